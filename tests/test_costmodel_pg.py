"""The shared cost model (linter/pg: locks, rewrites, catalogs, volatility) and the rules
that state its facts, checked against a real PostgreSQL server (the ``pg_cluster``
fixture): what scans, what rewrites, which lock each table gets, and what the server
refuses. One test per fact of ISSUE11 §6 and the first bullet of §8."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import time

import pytest

from linter import config as configmod
from linter.discovery import discover
from linter.engine import FileContext
from linter.pg import locks, objects, rewrites, transactions
from linter.pg.locks import LockMode
from linter.source import Source, read_text
from tests.conftest import lint_tree

SETUP = """
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE orders (id bigint, user_id bigint, total int, at timestamp, at_tz timestamptz);
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 50) g;
INSERT INTO orders SELECT g, g, g, now(), now() FROM generate_series(1, 50) g;
CREATE INDEX users_email_idx ON users (email);
CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TYPE job_spec AS (max_attempts int, priority int);
CREATE EXTENSION IF NOT EXISTS btree_gist;
"""


@pytest.fixture(scope="module")
def server(pg_cluster):
    pg_cluster.sql("SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;" + SETUP)
    return pg_cluster


def _ctx(tmp_path, sql: str, *, pg_version: int = 16, name: str = "V1__x.sql"):
    """The file context of ``sql`` as one migration (``ctx.pg`` is its FileAnalysis)."""
    path = tmp_path / name
    path.write_text(sql, encoding="utf-8")
    cfg = dataclasses.replace(configmod.load(cwd=tmp_path), pg_version=pg_version)
    (f,) = discover([str(path)], base_dir=str(tmp_path)).files
    return FileContext(f, Source(sql, f), read_text(str(path), 1 << 20), cfg)


def _last_effects(tmp_path, sql: str, **kw) -> list[locks.LockEffect]:
    ctx = _ctx(tmp_path, sql, **kw)
    return ctx.pg.locks(ctx.source.statements[-1])


def _findings(tmp_path, rule: str, sql: str, **extra):
    report = lint_tree(tmp_path, {"V1__case.sql": sql}, enable={rule: "error"}, extra=extra or None)
    return [f for f in report.findings if f.rule_id == rule]


def _scans(server, prep: str, sql: str, table: str) -> bool:
    """True when ``sql`` (after ``prep``, in one rolled-back transaction) scanned ``table``."""
    rows = server.sql(
        f"BEGIN;\n{prep}SELECT pg_stat_get_xact_numscans('{table}'::regclass);\n{sql};\n"
        f"SELECT pg_stat_get_xact_numscans('{table}'::regclass);\nROLLBACK;"
    )
    return int(rows[-1][0]) > int(rows[-2][0])


def _held(server, prep: str, sql: str) -> dict[str, LockMode]:
    """``{relation: strongest mode}`` the transaction holds after ``prep`` and ``sql``."""
    rows = server.sql(
        f"BEGIN;\n{prep}{sql};\nSELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE l.pid = pg_backend_pid() AND c.relnamespace = 'public'::regnamespace;\nROLLBACK;"
    )
    out: dict[str, LockMode] = {}
    for rel, mode in rows:
        m = LockMode[re.sub(r"(?<!^)(?=[A-Z])", "_", mode.removesuffix("Lock")).upper()]
        out[rel] = max(out.get(rel, LockMode.ACCESS_SHARE), m)
    return out


# --------------------------------------------------------------------------- §6


@pytest.mark.parametrize("column, scans", [
    ("owner bigint REFERENCES users (id)", False),
    ("owner bigint DEFAULT NULL REFERENCES users (id)", True),
    ("owner bigint DEFAULT 1 REFERENCES users (id)", True),
])
def test_add_column_references_scans_only_with_a_default(server, tmp_path, column, scans):
    sql = f"ALTER TABLE orders ADD COLUMN {column}"
    assert _scans(server, "", sql, "orders") is scans
    (own, *_) = _last_effects(tmp_path, sql + ";\n")
    assert own.scan is scans
    assert bool(_findings(tmp_path, "foreign-key-without-not-valid", sql + ";\n")) is scans


def _rewrites(server, prep: str, sql: str) -> bool:
    rows = server.sql(
        f"BEGIN;\n{prep}SELECT relfilenode FROM pg_class WHERE relname = 'orders';\n{sql};\n"
        "SELECT relfilenode FROM pg_class WHERE relname = 'orders';\nROLLBACK;"
    )
    return rows[-1] != rows[-2]


@pytest.mark.parametrize("zone, change, rewrites_", [
    ("UTC", "ALTER TABLE orders ALTER COLUMN at TYPE timestamptz USING at", False),
    ("UTC", "ALTER TABLE orders ALTER COLUMN at_tz TYPE timestamp", False),
    ("Europe/Oslo", "ALTER TABLE orders ALTER COLUMN at TYPE timestamptz", True),
    ("UTC", "ALTER TABLE orders ALTER COLUMN total TYPE timestamptz USING to_timestamp(total)", True),
])
def test_timestamptz_under_a_utc_session(server, tmp_path, zone, change, rewrites_):
    assert _rewrites(server, f"SET LOCAL timezone = '{zone}';\n", change) is rewrites_
    # the same change in a file that states the old types (ADD COLUMN earlier in it)
    sql = ("ALTER TABLE orders ADD COLUMN at timestamp, ADD COLUMN at_tz timestamptz, ADD COLUMN total int;\n"
           f"SET timezone = '{zone}';\n{change};\n")
    (own,) = _last_effects(tmp_path, sql, pg_version=server.version)
    assert own.rewrite is rewrites_
    (own,) = _last_effects(tmp_path, sql, pg_version=11)
    assert own.rewrite  # before PostgreSQL 12 every such change rewrites
    said = [f for f in _findings(tmp_path, "column-type-rewrite", sql, pg_version=server.version) if " rewrites " in f.message]
    assert bool(said) is rewrites_


def test_alter_type_alter_attribute_changes_a_composite_type(server, tmp_path):
    sql = "ALTER TYPE job_spec ALTER ATTRIBUTE max_attempts TYPE smallint"
    # the only relation locked is the composite type's own (pg_class relkind 'c'): no table
    assert set(_held(server, "", sql)) == {"job_spec"}
    assert server.sql("SELECT relkind FROM pg_class WHERE relname = 'job_spec'") == [["c"]]
    assert locks.effects(Source(sql).statements[0]) == []
    assert not _findings(tmp_path, "column-type-rewrite", sql + ";\n")


def test_system_catalogs_match_the_server(server, tmp_path):
    rows = server.sql("SELECT relname FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r'")
    assert {r[0] for r in rows} <= objects.SYSTEM_CATALOGS
    sql = "UPDATE pg_index SET indisready = indisready WHERE indexrelid = 'users_email_idx'::regclass"
    server.sql(f"BEGIN;\n{sql};\nROLLBACK;")  # a superuser may (catalog surgery)
    surgery = "ALTER TABLE users ADD COLUMN nick text;\nUPDATE pg_catalog.pg_index SET indisvalid = true;\nUPDATE pg_index SET indisready = true;\n"
    assert not _findings(tmp_path, "missing-where-clause", surgery)
    assert not _findings(tmp_path / "b", "backfill-in-ddl-transaction", surgery)
    assert _findings(tmp_path / "c", "missing-where-clause", "UPDATE myschema.pg_index SET x = 1;\n")


def test_validate_names_the_strongest_lock_held(server, tmp_path):
    # openmeterio__openmeter 20260319155747_tax-code-fk.up.sql
    prep = ("ALTER TABLE orders ADD COLUMN owner bigint;\n"
            "ALTER TABLE orders ADD CONSTRAINT orders_owner_fk FOREIGN KEY (owner) REFERENCES users (id) NOT VALID;\n")
    held = _held(server, prep, "ALTER TABLE orders VALIDATE CONSTRAINT orders_owner_fk")
    assert held["orders"] == LockMode.ACCESS_EXCLUSIVE and held["users"] == LockMode.SHARE_ROW_EXCLUSIVE
    (f,) = _findings(tmp_path, "validate-constraint-in-same-transaction", prep + "ALTER TABLE orders VALIDATE CONSTRAINT orders_owner_fk;\n")
    assert 'an ACCESS EXCLUSIVE lock on "orders" and a SHARE ROW EXCLUSIVE lock on "users"' in f.message
    assert f.properties["lock"] == "ACCESS EXCLUSIVE"


def test_validating_a_foreign_key_reads_the_referenced_table(server, tmp_path):
    add = "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"
    rows = server.sql(
        f"{add};\nBEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n"
        "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE l.pid = pg_backend_pid() AND c.relname IN ('orders', 'users') AND l.mode <> 'AccessShareLock' ORDER BY 1;\n"
        "ROLLBACK;\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;"
    )
    assert rows == [["orders", "ShareUpdateExclusiveLock"], ["users", "RowShareLock"]]
    effects = _last_effects(tmp_path, f"{add};\nCOMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n")
    assert {(e.relation, e.mode) for e in effects} == {("orders", LockMode.SHARE_UPDATE_EXCLUSIVE), ("users", LockMode.ROW_SHARE)}


def test_detach_partition_concurrently_waits_for_access_exclusive_on_the_partition(server):
    server.sql("CREATE TABLE IF NOT EXISTS events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')")
    base = [server.psql, "-h", str(server.sock), "-p", str(server.port), "-U", "postgres", "-d", "postgres", "-X", "-q", "-c"]
    reader = subprocess.Popen(base + ["BEGIN; SELECT * FROM events_2026; SELECT pg_sleep(4); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.8)
    detach = subprocess.Popen(base + ["ALTER TABLE events DETACH PARTITION events_2026 CONCURRENTLY"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        waiting = []
        for _ in range(30):
            time.sleep(0.1)
            waiting = server.sql(
                "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.query LIKE '%DETACH PARTITION%'")
            if waiting:
                break
        assert waiting == [["events_2026", "AccessExclusiveLock"]]
    finally:
        reader.wait(timeout=20)
        detach.wait(timeout=20)
    effects = locks.effects(Source("ALTER TABLE events DETACH PARTITION events_2026 CONCURRENTLY").statements[0])
    assert {(e.relation, e.mode) for e in effects} == {("events", LockMode.SHARE_UPDATE_EXCLUSIVE), ("events_2026", LockMode.ACCESS_EXCLUSIVE)}


# --------------------------------------------------------------------------- §8


def test_reindex_concurrently_false_is_a_plain_reindex(server, tmp_path):
    sql = "REINDEX (CONCURRENTLY false) TABLE users"
    assert _held(server, "", sql)["users"] == LockMode.SHARE  # and it runs in a transaction block
    st = Source(sql).statements[0]
    assert transactions.cannot_run_in_transaction(st, server.version) is None
    assert [e.mode for e in locks.effects(st)] == [LockMode.SHARE]
    assert _findings(tmp_path, "non-concurrent-reindex", sql + ";\n")
    assert not _findings(tmp_path / "c", "non-concurrent-reindex", "REINDEX (CONCURRENTLY true) TABLE users;\n")


def test_builtin_volatility_matches_pg_proc(server):
    rows = server.sql(
        "SELECT proname, provolatile, pronargs, pronargdefaults, provariadic <> 0 FROM pg_proc "
        "WHERE pronamespace = 'pg_catalog'::regnamespace")
    seen: dict[str, set[str]] = {}
    for name, vol, nargs, ndefaults, variadic in rows:
        known = rewrites.BUILTIN_FUNCTIONS.get(name)
        if known is None:
            continue
        low, high = known[1]
        n, d = int(nargs), int(ndefaults)
        if variadic == "t" or (n - d <= high if high is not None else True) and n >= low:
            seen.setdefault(name, set()).add("volatile" if vol == "v" else "stable")
    for name, kinds in seen.items():
        assert kinds == {rewrites.BUILTIN_FUNCTIONS[name][0]}, (name, kinds)


@pytest.mark.parametrize("default, rewrites_", [
    ("now()", False),
    ("pg_catalog.now()", False),
    ("costmodel.now()", True),  # a user function that happens to be called now
    ("now(1)", True),  # another signature: public.now(int), volatile
    ("txid_current()", False),
    ("random()", True),
])
def test_default_volatility_resolves_schema_and_arguments(server, tmp_path, default, rewrites_):
    prep = ("CREATE SCHEMA IF NOT EXISTS costmodel;\n"
            "CREATE OR REPLACE FUNCTION costmodel.now() RETURNS timestamptz LANGUAGE sql VOLATILE AS 'SELECT clock_timestamp()';\n"
            "CREATE OR REPLACE FUNCTION public.now(int) RETURNS timestamptz LANGUAGE sql VOLATILE AS 'SELECT clock_timestamp()';\n")
    sql = f"ALTER TABLE orders ADD COLUMN c timestamptz DEFAULT {default}"
    if default.startswith("txid"):
        sql = f"ALTER TABLE orders ADD COLUMN c bigint DEFAULT {default}"
    if default.startswith("random"):
        sql = f"ALTER TABLE orders ADD COLUMN c float8 DEFAULT {default}"
    assert _rewrites(server, prep, sql) is rewrites_
    found = _findings(tmp_path, "add-column-rewrite", sql + ";\n")
    assert bool(found) is rewrites_, [f.message for f in found]


def test_exclude_constraint_builds_its_index_under_access_exclusive(server, tmp_path):
    sql = "ALTER TABLE orders ADD CONSTRAINT orders_no_overlap EXCLUDE USING gist (total WITH =)"
    assert _held(server, "", sql)["orders"] == LockMode.ACCESS_EXCLUSIVE
    assert _scans(server, "", sql, "orders")
    with pytest.raises(RuntimeError, match="syntax error"):
        server.sql("ALTER TABLE orders ADD CONSTRAINT x EXCLUDE USING INDEX users_email_idx")
    (f,) = _findings(tmp_path, "unique-constraint-without-index", sql + ";\n")
    assert "EXCLUDE" in f.message and f.fix is None


@pytest.mark.parametrize("prep, scans", [
    ("", True),
    ("ALTER TABLE orders ADD CONSTRAINT orders_nn CHECK (id IS NOT NULL) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_nn;\n", False),
    ("ALTER TABLE orders ALTER COLUMN id SET NOT NULL;\n", False),
])
def test_primary_key_using_index_sets_nullable_columns_not_null(server, tmp_path, prep, scans):
    index = "CREATE UNIQUE INDEX orders_id_idx ON orders (id);\n"
    sql = "ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_id_idx"
    assert _scans(server, index + prep, sql, "orders") is scans
    # the file states that the column allows NULLs: it adds it
    file = "ALTER TABLE orders ADD COLUMN id bigint;\n" + index.replace("INDEX", "INDEX CONCURRENTLY") + prep + sql + ";\n"
    assert bool(_findings(tmp_path, "unique-constraint-without-index", file, pg_version=server.version)) is scans
    (own,) = _last_effects(tmp_path, file, pg_version=server.version)
    assert own.scan is scans


def test_a_begin_reopened_for_the_tools_final_commit_is_committed(server, tmp_path):
    """What a wrapping tool (goose, Flyway, dbmate…) sends: its BEGIN, the file (which steps
    out for CONCURRENTLY and re-opens a block), its bookkeeping and its COMMIT, on one
    connection: the re-opened block is committed. Without the tool's COMMIT (a session that
    just ends) the block is rolled back."""
    file = ("ALTER TABLE users ADD COLUMN nick text;\nCOMMIT;\n"
            "CREATE INDEX CONCURRENTLY users_nick_idx ON users (nick);\nBEGIN;\nUPDATE users SET nick = 'n';\n")
    server.sql("CREATE TABLE IF NOT EXISTS tool_versions (v int);")
    server.sql(f"SET client_min_messages = error;\nBEGIN;\n{file}INSERT INTO tool_versions VALUES (2);\nCOMMIT;")
    assert server.sql("SELECT count(*) FROM users WHERE nick = 'n'") == [["50"]]
    assert server.sql("SELECT v FROM tool_versions") == [["2"]]
    server.sql("BEGIN;\nUPDATE users SET nick = 'lost';\n")  # the session ends: rolled back
    assert server.sql("SELECT count(*) FROM users WHERE nick = 'lost'") == [["0"]]
    server.sql("DROP INDEX users_nick_idx; ALTER TABLE users DROP COLUMN nick; DROP TABLE tool_versions;")
    wrapped = "-- +goose Up\n" + file
    report = lint_tree(tmp_path, {"00002_nick.sql": wrapped}, enable={"uncommitted-transaction": "error"})
    assert not report.findings
    report = lint_tree(tmp_path / "n", {"00002_nick.sql": "-- +goose NO TRANSACTION\n" + wrapped}, enable={"uncommitted-transaction": "error"})
    assert [f.rule_id for f in report.findings] == ["uncommitted-transaction"]


@pytest.mark.parametrize("column, fails_fast", [
    ("x int NOT NULL", True),
    ("x int NOT NULL DEFAULT NULL", True),
    ("x int NOT NULL CHECK (x > 0)", True),
    ("x int NOT NULL UNIQUE", False),
])
def test_add_column_not_null_without_default_stops_at_the_first_row(server, tmp_path, column, fails_fast):
    """Every existing row is NULL in the new column: the ALTER fails (23502) at the first row
    it reads, so its scan never grows with the table; SET NOT NULL reads every row.
    slow-statement-after-access-exclusive therefore does not count it as slow work."""
    rows = server.sql(
        "BEGIN;\nSELECT pg_stat_get_xact_tuples_returned('orders'::regclass);\n"
        f"DO $$ BEGIN ALTER TABLE orders ADD COLUMN {column}; "
        "EXCEPTION WHEN not_null_violation THEN NULL; END $$;\n"
        "SELECT pg_stat_get_xact_tuples_returned('orders'::regclass);\n"
        "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;\n"
        "SELECT pg_stat_get_xact_tuples_returned('orders'::regclass);\nROLLBACK;"
    )
    before, failed, set_not_null = (int(r[0]) for r in rows)
    assert set_not_null - failed == 50  # SET NOT NULL reads every row
    assert (failed - before <= 1) is fails_fast
    sql = f"ALTER TABLE users ADD COLUMN note text;\nALTER TABLE orders ADD COLUMN {column};\n"
    assert bool(_findings(tmp_path, "slow-statement-after-access-exclusive", sql)) is not fails_fast


def test_set_not_null_rides_a_rewrite_of_the_same_alter(server, tmp_path):
    """With a type change that rewrites in the same ALTER TABLE, SET NOT NULL is checked on
    each copied row: one pass over the table, not two; set-not-null-without-check leaves it
    to column-type-rewrite."""
    rows = server.sql(
        "BEGIN;\nSELECT pg_stat_get_xact_tuples_returned('orders'::regclass);\n"
        "ALTER TABLE orders ALTER COLUMN total TYPE bigint, ALTER COLUMN total SET NOT NULL;\n"
        "SELECT pg_stat_get_xact_tuples_returned('orders'::regclass);\nROLLBACK;"
    )
    assert int(rows[1][0]) - int(rows[0][0]) == 50
    sql = "ALTER TABLE orders ALTER COLUMN total TYPE bigint USING total::bigint, ALTER COLUMN total SET NOT NULL;\n"
    assert not _findings(tmp_path, "set-not-null-without-check", sql)
    assert _findings(tmp_path, "set-not-null-without-check", "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;\n")
