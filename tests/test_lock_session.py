"""The locking rules about transactions, timeouts and table-wide operations: the session
model they share (linter/pg/session.py), their fixes applied to real SQL, and each claim
about PostgreSQL they make, checked on a real server (the ``pg_cluster`` fixture)."""

from __future__ import annotations

import dataclasses
import time

import pytest
import yaml

from linter import config as configmod, engine, registry
from linter.discovery import discover
from linter.engine import FileContext
from linter.pg.analysis import FileAnalysis
from linter.source import Source, read_text

# --------------------------------------------------------------------------- helpers


def _ctx(tmp_path, name: str, sql: str, *, pg_version: int = 16):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sql, encoding="utf-8")
    cfg = configmod.load(cwd=tmp_path)
    cfg = dataclasses.replace(cfg, pg_version=pg_version)
    (f,) = discover([str(path)], base_dir=str(tmp_path)).files
    src = Source(sql, f)
    return FileContext(f, src, read_text(str(path), 1 << 20), cfg)


def _findings(tmp_path, rule: str, sql: str, *, name: str = "V1__x.sql", pg_version: int = 16):
    files = {name: sql}
    for rel, content in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    rules = {rid: "disable" for rid in registry.all_rules()}
    rules[rule] = "error"
    cfg_path = tmp_path / ".miglint-test.yml"
    cfg_path.write_text(yaml.safe_dump({"extends": "default", "rules": rules}), encoding="utf-8")
    cfg = dataclasses.replace(configmod.load(str(cfg_path), cwd=tmp_path), pg_version=pg_version)
    found = discover([str(tmp_path / name)], base_dir=str(tmp_path))
    return [f for f in engine.lint(found.files, cfg, jobs=1).findings if f.rule_id == rule]


def _apply(sql: str, fixes) -> str:
    for fx in sorted(fixes, key=lambda f: f.start, reverse=True):
        sql = sql[: fx.start] + fx.replacement + sql[fx.end :]
    return sql


# --------------------------------------------------------------------------- the session model


def test_walk_numbers_transactions_and_tracks_settings_and_locks(tmp_path):
    sql = (
        "-- flyway:executeInTransaction=false\n"
        "SET lock_timeout = '1s';\n"             # session
        "BEGIN;\n"
        "SET LOCAL statement_timeout = '1min';\n"
        "ALTER TABLE users ADD COLUMN a int;\n"  # tx 1, holds ACCESS EXCLUSIVE on users
        "UPDATE users SET a = 1;\n"
        "COMMIT;\n"
        "UPDATE users SET a = 2;\n"              # autocommit: no statement_timeout, nothing held
        "DO $$ BEGIN ALTER TABLE orders ADD COLUMN b int; UPDATE orders SET b = 1; END $$;\n"
    )
    ctx = _ctx(tmp_path, "V1__x.sql", sql)
    steps = FileAnalysis(ctx).session.steps
    kinds = [s.stmt.kind for s in steps]
    assert kinds == ["VariableSetStmt", "TransactionStmt", "VariableSetStmt", "AlterTableStmt", "UpdateStmt",
                     "TransactionStmt", "UpdateStmt", "DoStmt", "AlterTableStmt", "UpdateStmt"]
    alter, update, after = steps[3], steps[4], steps[6]
    assert alter.tx == update.tx is not None and after.tx is None
    assert alter.timeout("lock_timeout").value == "1s" and alter.timeout("statement_timeout").value == "1min"
    assert after.timeout("lock_timeout") is not None and after.timeout("statement_timeout") is None
    assert [h.effect.mode.label for h in update.held] == ["ACCESS EXCLUSIVE"] and after.held == []
    do, nested_alter, nested_update = steps[7:]
    assert do.tx == nested_alter.tx == nested_update.tx is not None  # an autocommitted DO block is one transaction
    assert [h.effect.relation for h in nested_update.held] == ["orders"]


def test_walk_starts_afresh_in_each_section(tmp_path):
    sql = "-- migrate:up\nSET lock_timeout = '1s';\nALTER TABLE a ADD COLUMN x int;\n-- migrate:down\nALTER TABLE a DROP COLUMN x;\n"
    ctx = _ctx(tmp_path, "db/migrations/20240101000000_x.sql", sql)
    steps = FileAnalysis(ctx).session.steps
    assert steps[1].timeout("lock_timeout") is not None and steps[2].timeout("lock_timeout") is None
    assert steps[1].run == 0 and steps[2].run == 1 and steps[1].tx != steps[2].tx


def test_walk_held_blocking_writes_and_existing_match_their_definitions(tmp_path):
    sql = (
        "CREATE TABLE fresh (id int);\n"
        "ALTER TABLE fresh ADD COLUMN a int;\n"                          # new table: not existing
        "CREATE INDEX users_a_idx ON users (a);\n"                       # SHARE on users: blocks writes
        "ALTER TABLE users VALIDATE CONSTRAINT users_a_check;\n"          # SHARE UPDATE EXCLUSIVE: does not
        "ALTER TABLE orders ADD COLUMN b int, ALTER COLUMN b SET NOT NULL;\n"
        "UPDATE orders SET b = 1;\n"
        "COMMIT;\n"
        "UPDATE orders SET b = 2;\n"
    )
    ctx = _ctx(tmp_path, "V1__x.sql", sql)
    pg = FileAnalysis(ctx)
    steps = pg.session.steps
    assert pg.creates_tables
    for step in steps:
        assert step.existing() == [e for e, n in zip(step.effects, step.new) if not n]
        assert step.held_blocking_writes == [h for h in step.held if not h.new and h.effect.mode.blocks_writes]
    update = steps[5]
    assert [(h.effect.relation, h.effect.mode.label) for h in update.held_blocking_writes] == [
        ("users", "SHARE"), ("orders", "ACCESS EXCLUSIVE"), ("orders", "ACCESS EXCLUSIVE")]
    assert steps[1].existing() == [] and steps[1].new == [True]
    assert steps[7].held == [] and steps[7].held_blocking_writes == []  # after the COMMIT: autocommit
    assert not FileAnalysis(_ctx(tmp_path, "V2__y.sql", "ALTER TABLE users ADD COLUMN c int;\n")).creates_tables


# --------------------------------------------------------------------------- fixes


def test_lock_timeout_fix_goes_before_the_statement_with_its_indent(tmp_path):
    sql = "-- add a column\n  ALTER TABLE users ADD COLUMN nickname text;\n"
    (f,) = _findings(tmp_path, "missing-lock-timeout", sql)
    assert _apply(sql, [f.fix]) == "-- add a column\n  SET LOCAL lock_timeout = '5s';\n  ALTER TABLE users ADD COLUMN nickname text;\n"


def test_uncommitted_fix_adds_commit_after_the_last_statement(tmp_path):
    sql = "-- flyway:executeInTransaction=false\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text; -- done\n"
    (f,) = _findings(tmp_path, "uncommitted-transaction", sql)
    assert _apply(sql, [f.fix]) == "-- flyway:executeInTransaction=false\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT; -- done\n"


def test_truncate_fix_removes_cascade(tmp_path):
    sql = "TRUNCATE orders, payments CASCADE;\n"
    (f,) = _findings(tmp_path, "truncate-cascade", sql)
    assert _apply(sql, [f.fix]) == "TRUNCATE orders, payments;\n"


def test_repack_fix_only_from_pg19(tmp_path):
    sql = 'CLUSTER "Events" USING events_created_idx;\n'
    (f,) = _findings(tmp_path / "a", "vacuum-full-or-cluster", sql)
    assert f.fix is None and "pg_repack" in f.help
    (f,) = _findings(tmp_path / "b", "vacuum-full-or-cluster", sql, pg_version=19)
    assert _apply(sql, [f.fix]) == 'REPACK (CONCURRENTLY) "Events" USING INDEX events_created_idx;\n'
    (f,) = _findings(tmp_path / "c", "vacuum-full-or-cluster", "VACUUM (FULL, ANALYZE) public.events, logs;\n", pg_version=19)
    assert f.fix.replacement == "REPACK (CONCURRENTLY) public.events, logs"


def test_domain_validate_is_not_reported_from_pg19(tmp_path):
    sql = "ALTER DOMAIN email_address VALIDATE CONSTRAINT email_has_at;\n"
    assert _findings(tmp_path / "a", "domain-constraint-validation", sql)
    assert not _findings(tmp_path / "b", "domain-constraint-validation", sql, pg_version=19)


# --------------------------------------------------------------------------- on a real server

SETUP = """
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE people (id int PRIMARY KEY, m mood, a int, b int, c int);
INSERT INTO people SELECT g, 'ok', g, g, g FROM generate_series(1, 200) g;
CREATE TABLE pets (id int, owner int REFERENCES people (id));
INSERT INTO pets VALUES (1, 1);
CREATE DOMAIN plain_int AS int;
CREATE TABLE with_domain (id int, v plain_int);
"""


@pytest.fixture(scope="module")
def server(pg_cluster):
    pg_cluster.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;" + SETUP)
    return pg_cluster


def _error(server, sql: str) -> str:
    try:
        server.sql(sql)
    except RuntimeError as exc:
        return str(exc)
    return ""


def _relfilenode(server, table: str) -> str:
    return server.sql(f"SELECT relfilenode FROM pg_class WHERE relname = '{table}'")[0][0]


def _locks(server, sql: str) -> dict[str, str]:
    rows = server.sql(
        f"BEGIN;\n{sql};\nSELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE l.pid = pg_backend_pid() AND c.relnamespace = 'public'::regnamespace AND c.relkind = 'r';\nROLLBACK;"
    )
    return dict((r[0], r[1]) for r in rows)


def test_new_enum_value_cannot_be_used_in_its_transaction(server, tmp_path):
    sql = "ALTER TYPE mood ADD VALUE 'happy';\nUPDATE people SET m = 'happy' WHERE id = 1;\n"
    assert _findings(tmp_path, "enum-value-used-before-commit", sql)
    assert "unsafe use of new value" in _error(server, f"BEGIN;\n{sql}ROLLBACK;")
    ok = "ALTER TYPE mood ADD VALUE 'happy2';\nALTER TYPE mood ADD VALUE 'happy3' AFTER 'happy2';\nSELECT 'happy2';\n"
    assert not _findings(tmp_path / "ok", "enum-value-used-before-commit", ok)
    assert _error(server, f"BEGIN;\n{ok}ROLLBACK;") == ""
    same_tx_type = "CREATE TYPE m2 AS ENUM ('a');\nALTER TYPE m2 ADD VALUE 'b';\nSELECT 'b'::m2;\n"
    assert "unsafe use of new value" in _error(server, f"BEGIN;\n{same_tx_type}ROLLBACK;")


def test_do_block_commit_inside_a_transaction_fails(server, tmp_path):
    do = "DO $$ BEGIN UPDATE people SET a = a WHERE id = 1; COMMIT; END $$"
    assert "invalid transaction termination" in _error(server, f"BEGIN;\n{do};\nROLLBACK;")
    assert _error(server, f"{do};") == ""
    (f,) = _findings(tmp_path, "nested-transaction", f"{do};\n")
    assert "invalid transaction termination" in f.message


def test_lock_table_outside_a_transaction_fails(server):
    assert "LOCK TABLE can only be used in transaction blocks" in _error(server, "LOCK TABLE people IN ACCESS SHARE MODE;")


def test_adding_a_column_of_a_constrained_domain_rewrites(server):
    server.sql("CREATE DOMAIN pos_int AS int CHECK (VALUE > 0);\nCREATE DOMAIN other_int AS int;")
    before = _relfilenode(server, "people")
    server.sql("BEGIN; ALTER TABLE people ADD COLUMN p other_int; COMMIT;")
    assert _relfilenode(server, "people") == before  # a plain domain: metadata only
    server.sql("ALTER TABLE people ADD COLUMN q pos_int;")
    assert _relfilenode(server, "people") != before  # a constrained one: rewritten


def test_alter_domain_constraint_locks(server):
    assert _locks(server, "ALTER DOMAIN plain_int ADD CONSTRAINT c1 CHECK (VALUE > 0)")["with_domain"] == "ShareLock"
    assert "with_domain" not in _locks(server, "ALTER DOMAIN plain_int ADD CONSTRAINT c1 CHECK (VALUE > 0) NOT VALID")
    assert _locks(server, "ALTER DOMAIN plain_int SET NOT NULL")["with_domain"] == "ShareLock"
    if server.version < 19:
        held = _locks(server, "ALTER DOMAIN plain_int ADD CONSTRAINT c2 CHECK (VALUE > 0) NOT VALID;\nALTER DOMAIN plain_int VALIDATE CONSTRAINT c2")
        assert held["with_domain"] == "ShareLock"


def test_session_settings_semantics(server):
    assert server.sql("SET LOCAL lock_timeout = '1s';\nSHOW lock_timeout;")[0][0] == "0"  # no effect outside a block
    assert server.sql("BEGIN;\nSET LOCAL lock_timeout = '1s';\nCOMMIT;\nSHOW lock_timeout;")[0][0] == "0"
    assert server.sql("BEGIN;\nSET lock_timeout = '1s';\nROLLBACK;\nSHOW lock_timeout;")[0][0] == "0"
    assert server.sql("SELECT set_config('lock_timeout', '2s', false);\nSHOW lock_timeout;")[-1][0] == "2s"
    assert server.sql("ALTER ROLE postgres SET lock_timeout = '3s';\nSHOW lock_timeout;\nALTER ROLE postgres RESET lock_timeout;")[0][0] == "0"


def test_scans_of_not_null_columns(server):
    def seq_scans() -> int:
        server.sql("SELECT pg_stat_force_next_flush();")
        time.sleep(0.6)
        return int(server.sql("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'people'")[0][0])

    n = seq_scans()
    server.sql("ALTER TABLE people ADD COLUMN flag boolean NOT NULL DEFAULT false;")
    assert seq_scans() == n  # a non-null default proves NOT NULL without reading the rows
    server.sql("ALTER TABLE people ALTER COLUMN a SET NOT NULL;")
    assert seq_scans() == n + 1


def test_vacuum_full_false_does_not_rewrite(server, tmp_path):
    before = _relfilenode(server, "people")
    server.sql("VACUUM (FULL false) people;")
    assert _relfilenode(server, "people") == before
    assert not _findings(tmp_path, "vacuum-full-or-cluster", "VACUUM (FULL false) people;\n")
    server.sql("VACUUM FULL people;")
    assert _relfilenode(server, "people") != before


def test_truncate_cascade_empties_referencing_tables(server):
    rows = server.sql("BEGIN;\nTRUNCATE people CASCADE;\nSELECT count(*) FROM pets;\nROLLBACK;")
    assert rows == [["0"]]
    assert "cannot truncate a table referenced in a foreign key constraint" in _error(server, "BEGIN;\nTRUNCATE people;\nROLLBACK;")


def test_merged_alter_table_runs_and_unmergeable_runs_are_not_reported(server, tmp_path):
    sql = ("ALTER TABLE people ALTER COLUMN b SET NOT NULL;\n"
           "ALTER TABLE people\n    ALTER COLUMN c SET NOT NULL;\n"
           "ALTER TABLE people ALTER COLUMN b TYPE bigint;\n")
    (f,) = _findings(tmp_path, "repeated-alter-table", sql)
    merged = _apply(sql, [f.fix])
    assert merged.count("ALTER TABLE") == 1
    assert _error(server, f"BEGIN;\n{merged}ROLLBACK;") == ""
    apart = "ALTER TABLE people ADD COLUMN z int;\nALTER TABLE people ALTER COLUMN z TYPE bigint;\n"
    assert not _findings(tmp_path / "apart", "repeated-alter-table", "-- flyway:executeInTransaction=false\n" + apart)
    assert "does not exist" in _error(server, "BEGIN;\nALTER TABLE people ADD COLUMN z int, ALTER COLUMN z TYPE bigint;\nROLLBACK;")


def test_fixes_of_the_timeout_rules_run(server, tmp_path):
    sql = "ALTER TABLE people ALTER COLUMN b SET NOT NULL;\n"
    (lock,) = _findings(tmp_path / "l", "missing-lock-timeout", sql)
    (stmt,) = _findings(tmp_path / "s", "missing-statement-timeout", sql)
    fixed = _apply(sql, [lock.fix, stmt.fix]) if lock.fix.start != stmt.fix.start else _apply(_apply(sql, [lock.fix]), [stmt.fix])
    out = server.sql(f"BEGIN;\n{fixed}SHOW lock_timeout;\nSHOW statement_timeout;\nROLLBACK;")
    assert out == [["5s"], ["5min"]]


def test_create_or_replace_view_locks_the_view(server):
    from linter.pg import locks

    server.sql("CREATE VIEW people_ids AS SELECT id FROM people;")
    sql = "CREATE OR REPLACE VIEW people_ids AS SELECT id, a FROM people"
    rows = server.sql(
        f"BEGIN;\n{sql};\nSELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE l.pid = pg_backend_pid() AND c.relname = 'people_ids';\nROLLBACK;"
    )
    assert rows == [["people_ids", "AccessExclusiveLock"]]
    (effect,) = locks.effects(Source(sql).statements[0])
    assert effect.relation == "people_ids" and effect.mode.label == "ACCESS EXCLUSIVE"
    assert locks.effects(Source("CREATE VIEW v2 AS SELECT 1").statements[0]) == []


def test_following_the_flyway_advice_removes_the_finding(tmp_path):
    """non-transactional-statement-in-transaction tells Flyway users to add a script
    configuration file: with it, the statement runs outside a transaction."""
    from tests.conftest import lint_tree

    sql = "REINDEX INDEX CONCURRENTLY users_email_idx;\n"
    files = {"db/migration/V1__reindex.sql": sql}
    on = {"non-transactional-statement-in-transaction": "error"}
    before = lint_tree(tmp_path / "a", files, enable=on).findings
    assert [f.rule_id for f in before] == ["non-transactional-statement-in-transaction"]
    assert "V1__reindex.sql.conf" in before[0].help
    conf = tmp_path / "b" / "db" / "migration" / "V1__reindex.sql.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("executeInTransaction=false\n", encoding="utf-8")
    assert lint_tree(tmp_path / "b", files, enable=on).findings == []
