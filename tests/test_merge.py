"""One finding per hazard (linter/merge.py): folding, candidates, suppressions, joined and
clashing fixes; the serial fix on a real server; the overlap measurement script."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from linter import merge, registry
from linter.model import Fix
from linter.source import Source
from tests.conftest import lint_tree

TIMEOUTS = {"missing-lock-timeout": "warning", "missing-statement-timeout": "warning",
            "slow-statement-after-access-exclusive": "warning"}


def _lint(tmp_path, sql, *rules, name="V1__x.sql"):
    enable = {**TIMEOUTS, **{r: "warning" for r in rules}, "unused-suppression": "warning"}
    return lint_tree(tmp_path, {name: sql}, enable=enable).findings


def _apply(text: str, fix: Fix) -> str:
    return text[: fix.start] + fix.replacement + text[fix.end :]


def test_index_finding_tells_the_missing_timeouts_and_the_next_statement_gets_its_own(tmp_path):
    sql = "CREATE INDEX users_email_idx ON users (email);\nALTER TABLE orders ADD COLUMN note text;\n"
    found = _lint(tmp_path, sql, "non-concurrent-create-index")
    assert [(f.rule_id, f.line) for f in found] == [("non-concurrent-create-index", 1), ("missing-lock-timeout", 2)]
    index = found[0]
    assert index.message.endswith("; no lock_timeout is set; no statement_timeout is set")
    assert index.properties["also"] == ["missing-lock-timeout", "missing-statement-timeout"]
    # no fix: this Flyway script mixes the index with an ALTER TABLE, so it runs in a
    # transaction, where CONCURRENTLY fails (fix safety, issue 11 section 4); and never a
    # statement_timeout fix, which would cap CREATE INDEX CONCURRENTLY and leave an INVALID
    # index behind on a big table
    assert index.fix is None and "Move it to a script of its own" in index.help


def test_slow_statement_after_access_exclusive_folds_into_the_index_finding(tmp_path):
    sql = "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCREATE INDEX users_b_idx ON orders (b);\nCOMMIT;\n"
    found = _lint(tmp_path, sql, "non-concurrent-create-index")
    rules = [f.rule_id for f in found]
    assert "slow-statement-after-access-exclusive" not in rules and "missing-statement-timeout" not in rules
    index = next(f for f in found if f.rule_id == "non-concurrent-create-index")
    assert 'this transaction already holds an ACCESS EXCLUSIVE lock on "users" since line 2' in index.message


def test_drop_index_is_one_finding(tmp_path):
    found = _lint(tmp_path, "DROP INDEX users_email_idx;\n", "non-concurrent-drop-index")
    assert [f.rule_id for f in found] == ["non-concurrent-drop-index"]
    assert found[0].message.endswith("; no lock_timeout is set")


def test_foreign_key_keeps_the_lock_timeout_finding(tmp_path):
    # NOT VALID still takes SHARE ROW EXCLUSIVE on both tables: the lock queue stays a hazard
    sql = "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n"
    found = _lint(tmp_path, sql, "foreign-key-without-not-valid")
    assert sorted(f.rule_id for f in found) == ["foreign-key-without-not-valid", "missing-lock-timeout"]
    fk = next(f for f in found if f.rule_id == "foreign-key-without-not-valid")
    assert fk.message.endswith("; no statement_timeout is set")


def test_suppressed_specific_finding_does_not_hide_the_folded_hazard(tmp_path):
    sql = "-- miglint: ignore non-concurrent-create-index -- built in the maintenance window\nCREATE INDEX i ON users (email);\n"
    found = _lint(tmp_path, sql, "non-concurrent-create-index")
    assert sorted(f.rule_id for f in found) == ["missing-lock-timeout"]
    assert found[0].message.endswith("; no statement_timeout is set")


def test_suppressed_first_candidate_stands_for_its_run(tmp_path):
    sql = ("-- miglint: ignore missing-lock-timeout -- quiet table\nALTER TABLE users ADD COLUMN a int;\n"
           "ALTER TABLE users ADD COLUMN b int;\n")
    assert _lint(tmp_path, sql) == []  # no unused-suppression either


def test_lock_and_statement_timeouts_on_one_statement_share_one_fix(tmp_path):
    sql = "ALTER TABLE users ALTER COLUMN b TYPE bigint;\n"
    found = _lint(tmp_path / "a", sql)
    assert [f.rule_id for f in found] == ["missing-lock-timeout"]
    assert found[0].message.endswith("; no statement_timeout is set")
    fixed = _apply(sql, found[0].fix)
    head = fixed[: -len(sql)]
    assert fixed.endswith(sql) and "lock_timeout = '5s';\n" in head and "statement_timeout = '5min';\n" in head
    assert _lint(tmp_path / "b", fixed) == []


def test_per_column_rules_report_once_per_statement(tmp_path):
    cols = ", ".join(f"DROP COLUMN c{i}" for i in range(30))
    found = _lint(tmp_path, f"ALTER TABLE attribute {cols};\n", "drop-column")
    drops = [f for f in found if f.rule_id == "drop-column"]
    assert len(drops) == 1
    assert drops[0].properties["columns"] == [f"c{i}" for i in range(30)]
    assert 'DROP COLUMN "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7" and 22 more on "attribute"' in drops[0].message


def test_serial_key_gets_one_finding_with_the_identity_fix(tmp_path):
    sql = "CREATE TABLE users (id serial PRIMARY KEY, owner_id int);\n"
    found = _lint(tmp_path / "a", sql, "serial-column", "small-integer-key")
    assert [(f.rule_id, f.properties["column"]) for f in found] == [("serial-column", "id"), ("small-integer-key", "owner_id")]
    serial = found[0]
    assert serial.fix.replacement == "bigint GENERATED BY DEFAULT AS IDENTITY"
    assert "serial is also 32-bit (at most 2,147,483,647)" in serial.message
    fixed = _apply(sql, serial.fix)
    assert [f.properties["column"] for f in _lint(tmp_path / "b", fixed, "serial-column", "small-integer-key")] == ["owner_id"]


def test_serial_identity_fix_keeps_existing_code_working(pg_cluster):
    """The fix's text runs, explicit ids still insert (BY DEFAULT), and the sequence keeps
    the name a serial's has, so nextval/setval/pg_get_serial_sequence still work."""
    pg_cluster.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    rows = pg_cluster.sql(
        "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text);\n"
        "INSERT INTO users (name) VALUES ('a');\n"
        "INSERT INTO users (id, name) VALUES (100, 'explicit');\n"
        "SELECT pg_get_serial_sequence('users', 'id');\n"
        "SELECT setval('users_id_seq', 200);\n"
        "INSERT INTO users (name) VALUES ('b');\n"
        "SELECT id FROM users ORDER BY id;\n"
    )
    assert rows == [["public.users_id_seq"], ["200"], ["1"], ["100"], ["201"]]


def test_repeated_alter_table_fix_gives_way_to_the_narrower_one(tmp_path):
    sql = ("ALTER TABLE orders ADD COLUMN user_id bigint;\n"
           "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n")
    found = _lint(tmp_path, sql, "repeated-alter-table", "foreign-key-without-not-valid")
    fixes = [f.fix for f in found if f.fix is not None]
    for i, a in enumerate(fixes):
        for b in fixes[i + 1 :]:
            first, second = sorted((a, b), key=lambda f: (f.start, f.end))
            assert not merge._clash(first, second) or first.replacement == second.replacement
    fk = next(f for f in found if f.rule_id == "foreign-key-without-not-valid")
    assert fk.fix is not None and "NOT VALID" in fk.fix.replacement


def _source(text):
    from linter.model import Convention, Direction, MigrationFile

    return Source(text, MigrationFile("V1__x.sql", "/nonexistent/V1__x.sql", ".", Convention.FLYWAY, Direction.UP))


def test_combine_keeps_the_text_between_edits_and_refuses_overlaps():
    src = _source("CREATE INDEX i ON t (a);\n")
    idx = src.index
    ins = Fix(idx.span(0, 0), 0, 0, "SET lock_timeout = '5s';\n", "a")
    ins2 = Fix(idx.span(0, 0), 0, 0, "SET statement_timeout = '5min';\n", "b")
    conc = Fix(idx.span(12, 12), 12, 12, " CONCURRENTLY", "c")
    both = merge.combine(ins, conc, src)
    assert _apply(src.text, both) == "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
    assert merge.combine(ins, ins2, src).replacement == "SET lock_timeout = '5s';\nSET statement_timeout = '5min';\n"
    wide = Fix(idx.span(0, 23), 0, 23, "x", "d")
    assert merge.combine(wide, conc, src) is None


def test_every_coverer_names_real_rules_and_no_cycle():
    rules = registry.all_rules()
    ranks = merge._ranks()
    for rule in rules.values():
        for other in rule.covers | rule.joins:
            assert ranks[other] > ranks[rule.id], (rule.id, other)


def _overlap_module():
    path = Path(__file__).resolve().parents[1] / "bench" / "overlap.py"
    spec = importlib.util.spec_from_file_location("overlap", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SAMPLE = {
    # shapes of corpus files that carried overlapping fixes before (1,096 pairs in all):
    # both timeouts on one statement (769), serial + small-integer-key on one token (272),
    # repeated-alter-table next to a constraint fix
    "a/V1__ids.sql": "CREATE TABLE users (id serial PRIMARY KEY, team_id int);\nALTER TABLE users ADD COLUMN x int DEFAULT 0;\n",
    "a/V2__types.sql": "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);\n",
    "a/V3__fk.sql": ("ALTER TABLE orders ADD COLUMN user_id bigint;\n"
                     "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n"),
}


def test_no_overlapping_fix_pairs_on_the_sample(tmp_path):
    overlap = _overlap_module()
    report = lint_tree(tmp_path, SAMPLE, enable={r: "warning" for r in registry.all_rules()})
    by_path: dict = {}
    for f in report.findings:
        fix = f.fix
        by_path.setdefault(f.path, []).append({"rule": f.rule_id, "fix": None if fix is None else {
            "line": fix.span.start.line, "column": fix.span.start.column, "end_line": fix.span.end.line,
            "end_column": fix.span.end.column, "replacement": fix.replacement}})
    assert sum(f.fix is not None for f in report.findings) > 2  # the sample has fixes that could clash
    assert [p for fs in by_path.values() for p in overlap.fix_clashes(fs)] == []


def test_overlap_script_counts_clashes():
    overlap = _overlap_module()
    fs = [
        {"rule": "serial-column", "fix": {"line": 1, "column": 20, "end_line": 1, "end_column": 26, "replacement": "bigint"}},
        {"rule": "small-integer-key", "fix": {"line": 1, "column": 20, "end_line": 1, "end_column": 26, "replacement": "bigserial"}},
        {"rule": "varchar-length-limit", "fix": {"line": 2, "column": 1, "end_line": 2, "end_column": 5, "replacement": "text"}},
    ]
    assert overlap.fix_clashes(fs) == [("serial-column", "small-integer-key")]
