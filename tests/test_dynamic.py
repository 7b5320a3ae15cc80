"""SQL run through PL/pgSQL's EXECUTE (linter/pg/dynamic.py): which commands are read,
where their findings point, what they say, and that they never carry a fix.

``tests/fixtures/dynsql/V2_41_10__Add_missing_uid_indexes_all_tables.sql`` is
``dhis2__dhis2-core/migration/2.41/`` of the corpus, copied unchanged: it defines functions
that build ``CREATE UNIQUE INDEX`` and ``SET NOT NULL`` with ``format('… %I …')`` and calls
them at the end, so they run on every table with a ``uid`` column.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from linter.pg import dynamic
from linter.source import Source
from tests.conftest import lint_tree

FIXTURE = Path(__file__).parent / "fixtures" / "dynsql" / "V2_41_10__Add_missing_uid_indexes_all_tables.sql"

LOCK_RULES = ("non-concurrent-create-index", "non-concurrent-drop-index", "set-not-null-without-check",
              "missing-where-clause", "create-without-if-not-exists", "dynamic-sql-not-analysed", "drop-table")


def _lint(tmp_path, sql: str, rules=LOCK_RULES, name="V1__case.sql"):
    return lint_tree(tmp_path, {name: sql}, enable={r: "error" for r in rules}).findings


def test_dhis2_uid_indexes_are_reported_at_their_templates(tmp_path):
    findings = _lint(tmp_path, FIXTURE.read_text(encoding="utf-8"), name="V2_41_10__Add_missing_uid_indexes_all_tables.sql")
    got = {(f.rule_id, f.span.start.line, f.span.start.column, f.span.end.column) for f in findings}
    # line 11: v_sql := format('ALTER TABLE %I ALTER COLUMN uid SET NOT NULL;', p_table_name); EXECUTE v_sql;
    # lines 26/27: EXECUTE format('DROP INDEX IF EXISTS uk_%I_uid' / 'CREATE UNIQUE INDEX uk_%I_uid ON %I (uid)')
    assert got == {
        ("set-not-null-without-check", 11, 21, 68),
        ("non-concurrent-drop-index", 26, 24, 56),
        ("non-concurrent-create-index", 27, 24, 67),
    }
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["non-concurrent-create-index"].message.startswith(
        'CREATE UNIQUE INDEX "uk_%I_uid" on a table named at run time (format %I) takes a SHARE lock')
    assert "a table named at run time (format %I)" in by_rule["set-not-null-without-check"].message
    for f in findings:
        assert f.fix is None and f.properties["dynamic"] is True
        assert dynamic.SENTINEL not in f.message + (f.help or "") + str(f.properties)


def test_the_functions_it_calls_are_the_ones_that_run():
    src = Source(FIXTURE.read_text(encoding="utf-8"))
    called = dynamic.called_functions(src)
    names = {st.body["funcname"][-1]["String"]["sval"] for st in src.statements if id(st) in called}
    # SELECT alter_uid_not_null_all_tables_missing() -> PERFORM alter_uid_not_null(…), and so on
    assert names == {"alter_uid_not_null", "make_uid_unique", "get_tables_with_uid_column", "get_tables_missing_uid_index",
                     "alter_uid_not_null_all_tables_missing", "create_missing_uid_indexes_all_tables"}


def test_without_the_calls_nothing_runs(tmp_path):
    text = FIXTURE.read_text(encoding="utf-8")
    uncalled = text[: text.index("BEGIN;\n    SELECT")]
    assert _lint(tmp_path, uncalled) == []


NEAR_MISSES = {
    "execute_of_a_select": "DO $$ DECLARE n int; BEGIN EXECUTE 'SELECT count(*) FROM users' INTO n; END $$;\n",
    "format_with_values_only": (
        "DO $$ BEGIN EXECUTE format('UPDATE settings SET value = %L WHERE key = %L', 'on', 'flag'); END $$;\n"),
    "function_defined_never_called": (
        "CREATE FUNCTION f(t text) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  EXECUTE format('CREATE UNIQUE INDEX ON %I (uid)', t);\n  EXECUTE 'ALTER TABLE ' || t || ' ALTER uid SET NOT NULL';\nEND $$;\n"),
    "execute_of_a_set": "DO $$ BEGIN EXECUTE 'SET lock_timeout = ''1s'''; END $$;\n",
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses_pass(tmp_path, name):
    assert [(f.rule_id, f.message) for f in _lint(tmp_path, NEAR_MISSES[name])] == []


def test_a_fix_the_rule_gives_a_static_statement_is_not_given_a_dynamic_one(tmp_path):
    sql = ("-- flyway:executeInTransaction=false\nDO $$\nBEGIN\n  CREATE TABLE a (id int);\n"
           "  EXECUTE 'CREATE TABLE b (id int)';\nEND $$;\nSELECT 1;\n")
    found = lint_tree(tmp_path, {"V1__case.sql": sql}, enable={"create-without-if-not-exists": {"level": "error"}}).findings
    assert [(f.span.start.line, f.fix is not None) for f in found] == [(4, True), (5, False)]
    assert found[1].span.start.column == 11 and found[1].message.startswith('CREATE TABLE "b" without IF NOT EXISTS')


def test_positions_are_in_characters_and_never_bogus(tmp_path):
    # a non-ASCII character before the literal: columns count code points
    sql = "-- über\nDO $$\nBEGIN\n  RAISE NOTICE 'é';  EXECUTE 'CREATE INDEX i ON t (a)';\nEND $$;\n"
    (f,) = _lint(tmp_path / "a", sql)
    assert (f.span.start.line, f.span.start.column, f.span.end.column) == (4, 30, 55)
    # a single-quoted body is not in the file verbatim: the finding is on the EXECUTE's line or the DO
    sql = "DO 'BEGIN\n  EXECUTE ''CREATE INDEX i ON t (a)'';\nEND';\n"
    (f,) = _lint(tmp_path / "b", sql)
    assert f.span.start.line == 1 and f.span.start.column == 1 and f.fix is None


def test_guard_of_a_dynamic_statement_is_its_execute_guard():
    src = Source("DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1) THEN\n    EXECUTE 'CREATE TYPE mood AS ENUM (''ok'')';\n  END IF;\n"
                 "  EXECUTE 'CREATE TYPE other AS ENUM (''ok'')';\nEND $$;\n")
    stmts, unknown = dynamic.statements(src, src.statements[0])
    assert [(s.kind, s.dynamic.guard, s.span.start.line) for s in stmts] == [("CreateEnumStmt", "IF", 4), ("CreateEnumStmt", None, 6)]
    assert unknown == []


@pytest.mark.parametrize("expr,expected", [
    ("'ALTER TABLE t ADD b int'", "ALTER TABLE t ADD b int"),
    ("E'ALTER TABLE t\\tADD b int'", "ALTER TABLE t\tADD b int"),
    ("$q$ALTER TABLE t ADD b text DEFAULT 'x'$q$", "ALTER TABLE t ADD b text DEFAULT 'x'"),
    ("format('CREATE INDEX uk_%I_uid ON %I (uid)', p, p)", "CREATE INDEX uk_miglint_rt1_uid ON miglint_rt2 (uid)"),
    ("format('UPDATE %1$I SET a = %2$L WHERE b LIKE ''x%%''', t, v)", "UPDATE miglint_rt1 SET a = 'miglint_rt2' WHERE b LIKE 'x%'"),
    ("'ALTER TABLE ' || quote_ident(t) || ' SET (fillfactor = 90)'", "ALTER TABLE miglint_rt1 SET (fillfactor = 90)"),
    ("'UPDATE t SET a = ' || quote_literal(v)", "UPDATE t SET a = 'miglint_rt1'"),
    ("concat('DROP TABLE ', t)::text", "DROP TABLE miglint_rt1"),
])
def test_templates_render_as_format_would(expr, expected):
    pieces = dynamic._Eval([]).expr(expr, 0)
    assert dynamic._render(pieces)[0] == expected


def test_rendering_matches_the_server(pg_cluster):
    """format()'s %I/%s/%L, positional arguments and %% give on a real server what
    _render gives when the run-time values are the sentinels themselves."""
    cases = [
        ("format('CREATE UNIQUE INDEX uk_%I_uid ON %I (uid)', p, p)", "format('CREATE UNIQUE INDEX uk_%I_uid ON %I (uid)', 'miglint_rt1', 'miglint_rt2')"),
        ("format('UPDATE %1$I SET a = %2$L WHERE b LIKE ''x%%''', t, v)", "format('UPDATE %1$I SET a = %2$L WHERE b LIKE ''x%%''', 'miglint_rt1', 'miglint_rt2')"),
        ("format('DROP INDEX IF EXISTS s.%-3s_i6', x)", "format('DROP INDEX IF EXISTS s.%-3s_i6', 'miglint_rt1')"),
        ("'ALTER TABLE ' || quote_ident(t) || ' ADD b int'", "'ALTER TABLE ' || quote_ident('miglint_rt1') || ' ADD b int'"),
        ("'UPDATE t SET a = ' || quote_literal(v)", "'UPDATE t SET a = ' || quote_literal('miglint_rt1')"),
    ]
    for expr, on_server in cases:
        mine = dynamic._render(dynamic._Eval([]).expr(expr, 0))[0]
        (row,) = pg_cluster.sql(f"SELECT md5({on_server});")
        assert row[0] == hashlib.md5(mine.encode()).hexdigest(), (expr, mine)


def test_session_rules_see_the_called_functions_at_their_call(tmp_path):
    """The session (linter/pg/session.py) runs a called function's body at the statement
    that calls it: the UPDATE of line 7 and the SET NOT NULL of line 11 run in the one
    transaction Flyway opens for the script, the index builds of line 27 after them."""
    rules = ("backfill-in-ddl-transaction", "missing-lock-timeout", "slow-statement-after-access-exclusive")
    findings = _lint(tmp_path, FIXTURE.read_text(encoding="utf-8"), rules=rules)
    got = sorted((f.rule_id, f.span.start.line) for f in findings)
    assert got == [("backfill-in-ddl-transaction", 7), ("missing-lock-timeout", 11), ("slow-statement-after-access-exclusive", 27)]
    for f in findings:
        assert f.fix is None and dynamic.SENTINEL not in f.message + (f.help or "")
    (slow,) = [f for f in findings if f.rule_id == "slow-statement-after-access-exclusive"]
    assert "holds an ACCESS EXCLUSIVE lock on a table named at run time (format %I)" in slow.message


def test_a_function_called_twice_is_walked_at_its_first_call_only():
    src = Source("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'ALTER TABLE t ADD b int'; END $$;\n"
                 "SELECT f();\nSELECT f();\n")
    assert [fn.kind for fn in dynamic.functions_run_by(src, src.statements[1])] == ["CreateFunctionStmt"]
    assert dynamic.functions_run_by(src, src.statements[2]) == []


def test_run_time_names_are_said_by_their_role(tmp_path):
    sql = ("DO $$\nDECLARE tbl text := 'users'; col text := 'x';\nBEGIN\n"
           "  SELECT table_name, column_name INTO tbl, col FROM pending LIMIT 1;\n"
           "  EXECUTE 'ALTER TABLE ' || tbl || ' ADD COLUMN ' || col || ' bigint NOT NULL';\n"
           "  EXECUTE format('ALTER TABLE %I RENAME COLUMN %I TO %I', tbl, col, col || '_old');\nEND $$;\n")
    found = lint_tree(tmp_path, {"V1__case.sql": sql},
                      enable={"not-null-column-without-default": "error", "rename-column": "error"}).findings
    by_rule = {f.rule_id: f for f in found}
    assert by_rule["not-null-column-without-default"].message.startswith(
        "ALTER TABLE … ADD COLUMN a column named at run time (from col) NOT NULL without a DEFAULT fails on "
        "a table named at run time (from tbl)")
    rename = by_rule["rename-column"]
    assert rename.message.startswith("ALTER TABLE … RENAME COLUMN a column named at run time (format %I) TO")
    assert '"%I"' in rename.help  # the help keeps the template's own words


def test_a_later_statement_naming_a_run_time_table_says_so(tmp_path):
    # dhis2__dhis2-core/migration/2.34/V2_34_17__…: DROP CONSTRAINT on tables named at run time,
    # then an UPDATE while their ACCESS EXCLUSIVE locks are held
    sql = ("DO $$\nDECLARE t text;\nBEGIN\n  FOR t IN SELECT unnest(ARRAY['a', 'b']) LOOP\n"
           "    EXECUTE 'ALTER TABLE ' || t || ' DROP CONSTRAINT c';\n    EXECUTE 'ALTER TABLE ' || t || ' DROP CONSTRAINT d';\n"
           "  END LOOP;\nEND $$;\nUPDATE users SET a = 1;\n")
    found = lint_tree(tmp_path, {"V1__case.sql": sql}, enable={"slow-statement-after-access-exclusive": "error"}).findings
    (f,) = [f for f in found if f.span.start.line == 9]
    assert "holds an ACCESS EXCLUSIVE lock on a table named at run time (from t) (taken by" in f.message
    assert f.properties["table"] == "<t>" and f.fix is None


def test_a_timeout_fix_for_a_called_function_goes_before_the_call(tmp_path):
    # dhis2__dhis2-core/migration/2.40/V2_40_13__Attribute_flags_as_jsonb.sql has this shape
    sql = ("ALTER TABLE attribute ADD COLUMN objecttypes jsonb;\n"
           "CREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  UPDATE attribute SET objecttypes = '[]';\nEND;\n$$ LANGUAGE plpgsql;\n"
           "SELECT f();\n")
    found = lint_tree(tmp_path, {"V1__case.sql": sql}, enable={"missing-statement-timeout": "error"}).findings
    (f,) = found
    assert f.span.start.line == 4 and (f.fix.span.start.line, f.fix.replacement) == (7, "SET LOCAL statement_timeout = '5min';\n")
    assert f.fix.description.endswith("before the call on line 7")
