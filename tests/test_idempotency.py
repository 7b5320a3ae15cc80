"""linter/pg/idempotency and linter/pg/plpgsql: what a re-run fails on, checked against a real
PostgreSQL server (the error each rule quotes, and that its fix makes the statement
re-runnable), the fix positions, and the PL/pgSQL guards."""

from __future__ import annotations

import re

import pytest

from linter.pg import idempotency, plpgsql
from linter.source import Source
from tests.conftest import lint_tree

RULES = ("create-without-if-not-exists", "drop-without-if-exists", "create-without-or-replace", "create-without-guard")

TRG = "CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;"

#: (setup, statement): the statement succeeds once after setup, then fails when re-run.
RERUN_CASES = [
    ("", "CREATE TABLE t (id int)"),
    ("", "CREATE UNLOGGED TABLE t (id int)"),
    ("CREATE TABLE p (id int) PARTITION BY LIST (id);", "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)"),
    ("CREATE TABLE t (id int);", "CREATE INDEX t_i ON t (id)"),
    ("CREATE TABLE t (id int);", "CREATE UNIQUE INDEX t_i ON t (id)"),
    ("", "CREATE SCHEMA s1"),
    ("", "CREATE SEQUENCE q"),
    ("CREATE TABLE t (id int);", "ALTER TABLE t ADD COLUMN email text"),
    ("CREATE TABLE t (id int);", "alter table t add email text"),
    ("CREATE TYPE mood AS ENUM ('a');", "ALTER TYPE mood ADD VALUE 'meh'"),
    ("", "CREATE MATERIALIZED VIEW m AS SELECT 1 AS x"),
    ("", "CREATE TABLE t2 AS SELECT 1 AS x"),
    ("", "CREATE COLLATION c (locale = 'C')"),
    ("", "CREATE VIEW v AS SELECT 1 AS x"),
    ("", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ select 1 $$"),
    ("", "CREATE PROCEDURE pr() LANGUAGE sql AS $$ select 1 $$"),
    ("CREATE TABLE t (id int);" + TRG, "CREATE TRIGGER tg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg()"),
    ("CREATE TABLE t (id int);", "CREATE RULE r AS ON INSERT TO t DO NOTHING"),
    ("", "CREATE AGGREGATE agg (int) (sfunc = int4pl, stype = int)"),
    ("CREATE TABLE t (id int);", "DROP TABLE t"),
    ("CREATE TABLE t (id int); CREATE INDEX i ON t (id);", "DROP INDEX i"),
    ("CREATE VIEW v AS SELECT 1;", "DROP VIEW v"),
    ("CREATE TABLE t (id int, fax text);", "ALTER TABLE t DROP COLUMN fax"),
    ("CREATE TABLE t (id int CONSTRAINT t_id_check CHECK (id > 0));", "ALTER TABLE t DROP CONSTRAINT t_id_check"),
    ("CREATE TYPE mood AS ENUM ('a');", "DROP TYPE mood"),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ select 1 $$;", "DROP FUNCTION f()"),
    ("CREATE TABLE t (id int);" + TRG + "CREATE TRIGGER tg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg();", "DROP TRIGGER tg ON t"),
    ("CREATE TABLE t (id int); CREATE POLICY p ON t USING (true);", "DROP POLICY p ON t"),
    ("CREATE SCHEMA s1;", "DROP SCHEMA s1"),
    ("", "CREATE TYPE mood AS ENUM ('a')"),
    ("", "CREATE TYPE pair AS (a int, b int)"),
    ("", "CREATE DOMAIN email AS text"),
    ("CREATE TABLE t (id int);", "CREATE POLICY p ON t USING (true)"),
    ("CREATE TABLE t (id int);", "ALTER TABLE t ADD CONSTRAINT t_id_check CHECK (id > 0)"),
    ("CREATE TABLE t (id int);", "ALTER TABLE t ADD PRIMARY KEY (id)"),
    ("CREATE TABLE t (id int);" + TRG, "CREATE CONSTRAINT TRIGGER tg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg()"),
]

RESET = "DROP SCHEMA IF EXISTS public CASCADE; DROP SCHEMA IF EXISTS s1 CASCADE; CREATE SCHEMA public;\n"


def _stmt(sql: str):
    src = Source(sql)
    assert src.error is None, src.error
    return src.statements[0]


def _fixed(sql: str, hazards) -> str:
    for h in sorted((h for h in hazards if h.insert_at is not None), key=lambda h: -h.insert_at):
        sql = sql[: h.insert_at] + h.insert + sql[h.insert_at :]
    return sql


@pytest.fixture(scope="module")
def server(pg_cluster):
    return pg_cluster


@pytest.mark.parametrize("setup, sql", RERUN_CASES)
def test_rerun_fails_as_the_rule_says_and_the_fix_makes_it_rerunnable(server, setup, sql):
    hazards = idempotency.hazards(_stmt(sql), server.version)
    assert len(hazards) == 1, hazards
    (h,) = hazards
    server.sql(RESET + setup + "\n" + sql + ";")
    with pytest.raises(RuntimeError) as err:
        server.sql(sql + ";")
    pattern = re.escape(h.error).replace("…", ".*")
    assert re.search(pattern, str(err.value)), f"{sql}: server says {err.value}, the rule says {h.error}"
    if h.rule == idempotency.GUARD:
        assert h.insert_at is None
        return
    fixed = _fixed(sql, hazards)
    assert fixed != sql and h.guard in fixed
    assert not idempotency.hazards(_stmt(fixed), server.version), fixed
    server.sql(RESET + setup + "\n" + fixed + ";\n" + fixed + ";")  # twice, no error


def test_roles_rerun(server):
    (h,) = idempotency.hazards(_stmt("CREATE ROLE miglint_test_role"))
    server.sql("DROP ROLE IF EXISTS miglint_test_role; CREATE ROLE miglint_test_role;")
    try:
        with pytest.raises(RuntimeError, match=re.escape(h.error)):
            server.sql("CREATE ROLE miglint_test_role;")
        (d,) = idempotency.hazards(_stmt("DROP ROLE miglint_test_role"))
        server.sql("DROP ROLE miglint_test_role;")
        with pytest.raises(RuntimeError, match=re.escape(d.error)):
            server.sql("DROP ROLE miglint_test_role;")
    finally:
        server.sql("DROP ROLE IF EXISTS miglint_test_role;")


#: Guards the rules accept: each script runs twice on a real server without an error.
ACCEPTED_GUARDS = [
    "DO $$\nBEGIN\n    CREATE TYPE mood AS ENUM ('happy', 'sad');\nEXCEPTION WHEN duplicate_object THEN NULL;\nEND $$;",
    "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN\n    CREATE TYPE mood AS ENUM ('a');\n  END IF;\nEND $$;",
    "DO $$\nBEGIN\n    CREATE TABLE t (id int);\nEXCEPTION WHEN SQLSTATE '42P07' THEN NULL;\nEND $$;",
    "CREATE TABLE IF NOT EXISTS t (id int);\nDROP POLICY IF EXISTS p ON t;\nCREATE POLICY p ON t USING (true);",
    "CREATE TABLE IF NOT EXISTS t (id int);\nALTER TABLE t DROP CONSTRAINT IF EXISTS t_pos;\nALTER TABLE t ADD CONSTRAINT t_pos CHECK (id > 0);",
    "DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT 1 AS x;",
    "CREATE TABLE IF NOT EXISTS tmp (id int);\nDROP TABLE tmp;",
]


@pytest.mark.parametrize("script", ACCEPTED_GUARDS)
def test_accepted_guards_rerun_on_a_real_server(server, script, tmp_path):
    report = lint_tree(tmp_path, {"V1__x.sql": script + "\n"}, enable={r: {"level": "error", "rely-on-transaction": False} for r in RULES})
    assert not report.findings, [f.message for f in report.findings]
    server.sql(RESET + script + "\n" + script)


def test_fix_positions_tolerate_case_comments_and_line_breaks(tmp_path):
    sql = (
        "-- flyway:executeInTransaction=false\n"
        "create /* unlogged? */ unlogged\n  table \"Audit\" (id int);\n"
        "Alter Table users\n  add -- the column\n  column email text,\n  drop \"Fax\";\n"
        "DROP\n  INDEX   CONCURRENTLY  users_old;\n"
        "create function f() returns int language sql as $$ create table x (); $$;\n"
        "ALTER TYPE mood ADD VALUE 'x' BEFORE 'y';\n"
        "SELECT 1;\n"
    )
    enable = {r: "error" for r in RULES}
    report = lint_tree(tmp_path, {"V1__x.sql": sql}, enable=enable)
    fixes = sorted((f.fix for f in report.findings if f.fix), key=lambda f: -f.start)
    out = sql
    for f in fixes:
        out = out[: f.start] + f.replacement + out[f.end :]
    # most of the file's keywords are lower case: the inserted ones follow (tokens.in_file_case)
    assert "create /* unlogged? */ unlogged\n  table if not exists \"Audit\"" in out
    assert "add -- the column\n  column if not exists email text" in out
    assert 'drop if exists "Fax"' in out
    assert "DROP\n  INDEX   CONCURRENTLY if exists  users_old" in out
    assert "create or replace function f()" in out
    assert "ADD VALUE if not exists 'x' BEFORE 'y'" in out
    again = lint_tree(tmp_path / "again", {"V1__x.sql": out}, enable=enable)
    assert not again.findings, [f.message for f in again.findings]


def test_masked_blanks_comments_strings_and_bodies():
    text = "CREATE -- TABLE\nTABLE t (a text DEFAULT 'DROP TABLE x', b text DEFAULT $q$ TABLE $q$) /* TABLE */"
    m = idempotency.masked(text)
    assert len(m) == len(text) and m.count("TABLE") == 1 and "\n" in m
    assert idempotency.masked("E'it\\'s TABLE'").strip() == ""


def test_plpgsql_guards_by_order_and_by_line():
    sql = (
        "DO $$\nDECLARE r record;\nBEGIN\n"
        "  IF a THEN NULL; ELSIF b THEN CREATE TABLE q (); END IF;\n"  # 4
        "  CREATE TABLE plain ();\n"  # 5
        "  CASE WHEN x THEN CREATE TABLE z (); END CASE;\n"  # 6
        "  BEGIN\n    CREATE TYPE e AS ENUM ('a');\n  EXCEPTION WHEN duplicate_object THEN CREATE TABLE h ();\n  END;\n"  # 8, 9
        "  BEGIN\n    CREATE TYPE w AS ENUM ('a');\n  EXCEPTION WHEN division_by_zero THEN NULL;\n  END;\n"  # 12
        "  FOR r IN SELECT 1 LOOP CREATE TABLE l (); END LOOP;\n"  # 15
        "END $$;\n"
    )
    src = Source(sql)
    (do,) = src.statements
    nested = src.embedded(do)
    guards = plpgsql.nested_guards(src, do)
    got = [(s.span.start.line, guards[id(s)]) for s in nested]
    assert got == [(4, "IF"), (5, None), (6, "CASE"), (8, "EXCEPTION handler"), (9, "EXCEPTION handler"), (12, None), (15, "FOR … IN query loop")]
    # by line, when the counts disagree (a statement PL/pgSQL holds did not parse on its own)
    lines = plpgsql.execsql_guards(do)
    assert [g for _, g in lines] == [g for _, g in got]


def test_statements_of_function_bodies_are_not_checked(tmp_path):
    sql = "CREATE OR REPLACE FUNCTION mk() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  CREATE TABLE part (id int);\n  DROP TABLE old;\nEND $$;\n"
    report = lint_tree(tmp_path, {"V1__x.sql": sql}, enable={r: {"level": "error", "rely-on-transaction": False} for r in RULES})
    assert not report.findings


def test_real_corpus_files(shared_dir, tmp_path):
    """supabase__storage guards its migrations with DO blocks and IF NOT EXISTS: even with
    rely-on-transaction off, its guarded files give nothing; Marquez's lone CREATE INDEX
    CONCURRENTLY file is flagged with the default options."""
    corpus = shared_dir / "corpus"
    enable = {r: {"level": "error", "rely-on-transaction": False} for r in RULES}
    for name in ("tenant/0002-storage-schema.sql", "tenant/0044-vector-bucket-type.sql", "tenant/0038-iceberg-catalog-flag-on-buckets.sql",
                 "multitenant/0022-iceberg-catalog-sharding.sql"):
        text = (corpus / "supabase__storage" / name).read_text(encoding="utf-8")
        report = lint_tree(tmp_path / name.replace("/", "_"), {"0001_x.sql": text}, enable=enable)
        assert not report.findings, (name, [f"{f.span.start.line}: {f.message}" for f in report.findings])
    text = (corpus / "MarquezProject__marquez" / "V47__add_lineage_event_indexes.sql").read_text(encoding="utf-8")
    report = lint_tree(tmp_path / "marquez", {"V47__add_lineage_event_indexes.sql": text}, enable={r: "error" for r in RULES})
    assert [f.rule_id for f in report.findings] == ["create-without-if-not-exists"]
    assert "INVALID index" in report.findings[0].help


#: More statements with hazards (RERUN_CASES needs a server; these only need the parser).
MORE_HAZARDS = [
    "CREATE SCHEMA s2 CREATE TABLE t (id int)", "CREATE EXTENSION hstore", "CREATE TYPE r AS RANGE (subtype = int4)",
    "CREATE ROLE app", "CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION f()", "CREATE PUBLICATION pub",
    "CREATE TYPE box2 (input = box2_in, output = box2_out)", "CREATE FOREIGN TABLE ft (id int) SERVER s", "DROP ROLE app",
    "DROP DATABASE d", "ALTER TABLE t ADD COLUMN a int, DROP COLUMN b, ADD CONSTRAINT c UNIQUE (a), DROP CONSTRAINT d",
]


@pytest.mark.parametrize("pg", [9, 10, 11, 12, 13, 14, 16])
def test_rules_declare_every_statement_kind_and_subcommand_their_hazards_come_from(pg):
    assert set().union(*idempotency.KINDS_OF.values()) == idempotency.KINDS
    for sql in [s for _, s in RERUN_CASES] + MORE_HAZARDS:
        stmt = _stmt(sql)
        for h in idempotency.hazards(stmt, pg):
            assert stmt.kind in idempotency.KINDS_OF[h.rule], (sql, h.rule)
            if stmt.kind == "AlterTableStmt":
                subtypes = {c["AlterTableCmd"]["subtype"] for c in stmt.body["cmds"]}
                assert subtypes & set(idempotency.SUBCOMMANDS_OF[h.rule]), (sql, h.rule)
