"""The engine: statement dispatch (PL/pgSQL included), suppressions, fingerprints,
parallel runs, and that the default path never imports sqlfluff."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
import types

import pytest

from linter import config as configmod, engine, registry
from linter.discovery import discover
from linter.model import Position, Severity
from tests.conftest import lint_tree


@pytest.fixture
def index_rule(monkeypatch):
    """A throwaway statement-scope rule, registered for one test: it flags CREATE INDEX
    without CONCURRENTLY at the index's table and offers a fix."""
    mod = types.ModuleType("linter.checks.test_index_rule")
    mod.__doc__ = "Test rule.\n\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx\n## Options\nx\n## References\nx"
    mod.ID, mod.FAMILY, mod.SCOPE, mod.DEFAULT_LEVEL = "test-index-rule", "locking", "statement", "warning"
    mod.OPTIONS, mod.DEFAULTS, mod.ALIASES = {}, {}, ("require-concurrent-index-creation",)

    def check(ctx, stmt, options):
        assert stmt.kind == "IndexStmt", "KINDS: the engine only passes IndexStmt"
        if not stmt.body.get("concurrent"):
            at = stmt.start + len("CREATE INDEX")
            yield ctx.violation(
                stmt,
                f"index on {stmt.body['relation']['relname']} without CONCURRENTLY",
                node=stmt.body["relation"],
                fix=ctx.fix(at, at, " CONCURRENTLY", "Add CONCURRENTLY"),
                nested=stmt.nested,
            )

    mod.check = check
    rules = dict(registry.all_rules())
    rule = registry.Rule("test-index-rule", "locking", "statement", "warning", "Test rule.", mod.__doc__, mod.ALIASES, {}, {}, mod, frozenset({"IndexStmt"}))
    rules[rule.id] = rule
    monkeypatch.setattr(registry, "all_rules", lambda: rules)
    monkeypatch.setattr(registry, "alias_map", lambda: {a: r.id for r in rules.values() for a in r.aliases})
    return rule


def _findings(tmp_path, files, rule="test-index-rule"):
    return [f for f in lint_tree(tmp_path, files, enable={rule: "warning", "unused-suppression": "warning"}).findings]


SQL = (
    "CREATE INDEX a_idx ON users (a);\n"
    "DO $$\nBEGIN\n  CREATE INDEX b_idx ON orders (b);\nEND $$;\n"
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f$\nBEGIN\n  CREATE INDEX c_idx ON \"Ünits\" (c);\nEND $f$;\n"
    "CREATE INDEX CONCURRENTLY d_idx ON users (d);\n"
)


def test_statement_rules_see_plpgsql_bodies_with_exact_positions(tmp_path, index_rule):
    found = _findings(tmp_path, {"V1__x.sql": SQL})
    got = [(f.span.start.line, f.span.start.column, f.span.end.column, f.properties["nested"]) for f in found]
    assert got == [(1, 23, 28, False), (4, 25, 31, True), (8, 25, 32, True)]
    assert found[0].fix.replacement == " CONCURRENTLY" and found[0].fix.span.start.column == 13


def test_fingerprints_survive_lines_added_above(tmp_path, index_rule):
    before = {f.fingerprint for f in _findings(tmp_path / "a", {"V1__x.sql": SQL})}
    after = {f.fingerprint for f in _findings(tmp_path / "b", {"V1__x.sql": "-- a new header\n\n" + SQL})}
    assert before == after and len(before) == 3


def test_identical_statements_get_distinct_fingerprints(tmp_path, index_rule):
    found = _findings(tmp_path, {"V1__x.sql": "CREATE INDEX i ON t (a);\nCREATE INDEX i ON t (a);\n"})
    assert len({f.fingerprint for f in found}) == 2


def test_suppressions_next_trailing_nested_and_squawk(tmp_path, index_rule):
    sql = (
        "-- miglint: ignore test-index-rule -- small table\n"
        "CREATE INDEX a_idx ON users (a);\n"
        "CREATE INDEX b_idx ON users (b); -- miglint: ignore test-index-rule\n"
        "DO $$\nBEGIN\n  -- miglint: ignore test-index-rule\n  CREATE INDEX c_idx ON t (c);\n  CREATE INDEX d_idx ON t (d);\nEND $$;\n"
        "-- squawk-ignore require-concurrent-index-creation\n"
        "CREATE INDEX e_idx ON users (e);\n"
        "-- squawk-ignore ban-drop-column\n"
        "CREATE INDEX f_idx ON users (f);\n"
    )
    found = _findings(tmp_path, {"V1__x.sql": sql})
    assert [(f.rule_id, f.span.start.line) for f in found] == [("test-index-rule", 8), ("test-index-rule", 13)]


def test_ignore_file_and_alias(tmp_path, index_rule):
    sql = "-- squawk-ignore-file require-concurrent-index-creation\nCREATE INDEX a ON t (a);\nCREATE INDEX b ON t (b);\n"
    assert _findings(tmp_path, {"V1__x.sql": sql}) == []


def test_parallel_and_serial_runs_agree(shared_dir):
    corpus = shared_dir / "corpus" / "UPchieve__subway"
    files = discover([str(corpus)], base_dir=str(corpus)).files
    cfg = configmod.load_preset("default")
    serial = engine.lint(files, cfg, jobs=1)
    parallel = engine.lint(files, cfg, jobs=2)
    assert serial.findings and serial.findings == parallel.findings
    assert [f.fingerprint for f in serial.findings] == [f.fingerprint for f in parallel.findings]


def test_a_crashing_rule_becomes_a_finding_and_others_go_on(tmp_path, index_rule, monkeypatch):
    def boom(ctx, stmt, options):
        if "boom" in stmt.text:
            raise RuntimeError("kaput")
        return ()

    monkeypatch.setattr(index_rule.module, "check", boom)
    report = lint_tree(tmp_path, {"V1__a.sql": "CREATE INDEX boom ON t (a);\n", "V2__b.sql": "CREATE TABEL x ();\n"}, enable={"test-index-rule": "warning", "syntax-error": "error"})
    got = sorted((f.path, f.rule_id) for f in report.findings)
    assert got == [("V1__a.sql", "internal-error"), ("V2__b.sql", "syntax-error")]
    assert "kaput" in report.findings[0].message


def test_subcommands_narrow_which_alter_tables_a_rule_sees(tmp_path, index_rule, monkeypatch):
    seen = []

    def check(ctx, stmt, options):
        seen.append(stmt.text)
        return ()

    monkeypatch.setattr(index_rule.module, "check", check)
    rules = registry.all_rules()
    rules[index_rule.id] = dataclasses.replace(index_rule, kinds=frozenset({"IndexStmt", "AlterTableStmt"}), subcommands=frozenset({"AT_DropColumn"}))
    sql = ("ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN b int, DROP COLUMN c;\nALTER TABLE t DROP COLUMN d;\n"
           "CREATE INDEX i ON t (a);\nALTER TABLE t ADD COLUMN e int;\nALTER TABLE t DROP COLUMN f;\n")
    _findings(tmp_path, {"V1__x.sql": sql})
    assert seen == ["ALTER TABLE t ADD COLUMN b int, DROP COLUMN c", "ALTER TABLE t DROP COLUMN d",
                    "CREATE INDEX i ON t (a)", "ALTER TABLE t DROP COLUMN f"]


def test_default_path_does_not_import_sqlfluff(tmp_path):
    (tmp_path / "V1__x.sql").write_text("SELECT 1;\n", encoding="utf-8")
    code = "import sys; from linter.cli import main; main(['lint', '.']); print('sqlfluff' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.stdout.strip().endswith("False"), r.stdout + r.stderr


def test_base_ref_is_accepted_in_a_git_repository(tmp_path, monkeypatch):
    from linter.cli import main

    (tmp_path / "V1__x.sql").write_text("SELECT 1;\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "add", "."], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "-qm", "init"], check=True)
    monkeypatch.chdir(tmp_path)
    assert main(["lint", ".", "--base", "HEAD"]) == 0
    assert main(["lint", ".", "--base", "no-such-branch"]) == 2


def test_findings_survive_pickling_whole(shared_dir):
    """Worker processes send findings back pickled (Finding.__reduce__ flattens them)."""
    corpus = shared_dir / "corpus" / "UPchieve__subway"
    files = discover([str(corpus)], base_dir=str(corpus)).files
    report = engine.lint(files, configmod.load_preset("default"), jobs=1)
    with_fix = [f for f in report.findings if f.fix is not None]
    assert with_fix and len(with_fix) < len(report.findings)
    back = pickle.loads(pickle.dumps(report.findings))
    assert back == report.findings
    assert [f.properties for f in back] == [f.properties for f in report.findings]  # not part of ==
    assert all(type(f.severity) is Severity and type(f.span.start) is Position for f in back)


_DOWN_RULES = {"non-concurrent-drop-index": "warning", "missing-lock-timeout": "warning", "locking-in-rollback": "note",
               "non-concurrent-create-index": "error",
               "unused-suppression": "warning", "nested-transaction": "error"}


def test_rollback_locking_summary_keeps_suppressions_working(tmp_path):
    """An ignore comment on a down statement is applied before the summary: the statement
    is left out of the note, and the comment is used (no unused-suppression)."""
    sql = ("DROP INDEX idx_b;\n-- miglint: ignore non-concurrent-create-index, missing-lock-timeout -- built at night\n"
           "CREATE INDEX idx_a ON a (x);\nCREATE INDEX idx_b ON b (x);\nCREATE INDEX idx_c ON b (y);\n")
    report = lint_tree(tmp_path, {"migrations/2024-01-01-000000_x/down.sql": sql}, enable=_DOWN_RULES)
    got = [(f.rule_id, f.line, f.severity) for f in report.findings]
    assert got == [("locking-in-rollback", 1, Severity.NOTE)]
    assert report.findings[0].message.startswith('rolling back takes ACCESS EXCLUSIVE on "b"; SHARE on "b":')


@pytest.mark.parametrize("mode, want", [
    # the ADD COLUMN's ACCESS EXCLUSIVE on t is held across both builds: one note
    ("summary", [("locking-in-rollback", 2)]),
    ("full", [("missing-lock-timeout", 2), ("non-concurrent-create-index", 3), ("non-concurrent-create-index", 4)]),
    ("off", []),
])
def test_rollback_locking_modes_on_a_down_file(tmp_path, mode, want):
    # LemmyNet__lemmy down.sql shape; the up file is untouched by the setting
    files = {"m/2024-01-01-000000_x/up.sql": "DROP INDEX CONCURRENTLY idx_a;\n",
             "m/2024-01-01-000000_x/down.sql": "-- undo\nALTER TABLE t ADD COLUMN a int;\nCREATE INDEX idx_a ON t (a);\nCREATE INDEX idx_b ON t (b);\n"}
    report = lint_tree(tmp_path, files, enable=_DOWN_RULES, extra={"rollback_locking": mode})
    assert [(f.rule_id, f.line) for f in report.findings if f.path.endswith("down.sql")] == want


def test_correctness_rules_keep_their_level_on_down_code(tmp_path):
    sql = "-- migrate:up\nSELECT 1;\n-- migrate:down\nBEGIN;\nALTER TABLE t ADD COLUMN a int;\nCREATE INDEX i ON t (a);\nCREATE INDEX j ON t (b);\n"
    report = lint_tree(tmp_path, {"20240101000000_x.sql": sql}, enable={**_DOWN_RULES, "nested-transaction": "error"})
    rules = sorted(f.rule_id for f in report.findings)
    assert "nested-transaction" in rules and "locking-in-rollback" in rules
    assert "non-concurrent-create-index" not in rules


def test_ignore_comments_apply_to_file_set_findings_on_their_statement(tmp_path):
    """A file-set rule's finding inside a file honours an ignore comment on its statement
    (the worker sends the comment's lines); the comment is not reported unused."""
    files = {"0000_init.up.sql": "CREATE TABLE users (id int);\nCREATE TABLE orders (id int);\n",
             "0001_x.up.sql": "ALTER TABLE users ADD COLUMN a int;\n",
             "0001_x.down.sql": ("ALTER TABLE users DROP COLUMN a;\n"
                                 "-- miglint: ignore destructive-down-migration -- re-imported from LDAP\n"
                                 "DROP TABLE users;\nDROP TABLE orders;\n")}
    enable = {"destructive-down-migration": "note", "unused-suppression": "warning"}
    report = lint_tree(tmp_path, files, enable=enable)
    assert [(f.rule_id, f.line) for f in report.findings] == []  # the note sits on line 3, the first destroying statement
    # the note is at the down's first destroying statement: a comment on a later one does not silence it
    files["0001_x.down.sql"] = "DROP TABLE orders;\n-- miglint: ignore destructive-down-migration\nDROP TABLE users;\n"
    report = lint_tree(tmp_path / "b", files, enable=enable)
    assert [(f.rule_id, f.line) for f in report.findings] == [("destructive-down-migration", 1)]


def test_rollback_note_is_resolved_with_the_paired_up_and_keeps_no_internal_property(tmp_path):
    # LemmyNet__lemmy-like pair: the down drops the up's own table (no traffic) and an index
    # the up added to an existing table (ACCESS EXCLUSIVE on "post"): the note names "post" only
    files = {
        "migrations/2023-06-06-104440_x/up.sql": "CREATE TABLE post_tag (id bigint);\nCREATE INDEX idx_post_url ON post (url);\n",
        "migrations/2023-06-06-104440_x/down.sql": ("DROP TABLE post_tag;\nDROP INDEX idx_post_url;\nCREATE INDEX idx_post_x ON post (x);\n"
                                                    "CREATE INDEX idx_comment_x ON comment (x);\nCREATE INDEX idx_post_y ON post (y);\n"),
    }
    enable = {"locking-in-rollback": "note", "missing-lock-timeout": "warning", "non-concurrent-drop-index": "warning",
              "non-concurrent-create-index": "error"}
    report = lint_tree(tmp_path, files, enable=enable)
    notes = [f for f in report.findings if f.rule_id == "locking-in-rollback"]
    assert [(f.line, f.message.split(":")[0]) for f in notes] == [(2, 'rolling back takes ACCESS EXCLUSIVE on "post"; SHARE on "post", "comment"')]
    assert notes[0].properties["table"] == "post, post, comment"
    assert all(not k.startswith("_") for f in report.findings for k in f.properties)
    # the same down alone (its up not linted): the index's table is not known, so nothing
    # is known to stay locked across the builds on "post": one build per lock, no note
    alone = lint_tree(tmp_path / "alone", {"migrations/2023-06-06-104440_x/down.sql": files["migrations/2023-06-06-104440_x/down.sql"]},
                      enable=enable)
    assert [f.message for f in alone.findings if f.rule_id == "locking-in-rollback"] == []


GROUPED = "ALTER TABLE a DROP COLUMN x;\nSELECT 1;\nALTER TABLE b DROP COLUMN y, DROP COLUMN z;\n"


def test_per_file_findings_keep_their_fingerprint_when_lines_shift(tmp_path):
    def run(root, text):
        return [f for f in lint_tree(root, {"V1__x.sql": text}, enable={"drop-column": "warning"}).findings if f.rule_id == "drop-column"]

    before = run(tmp_path / "a", GROUPED)
    after = run(tmp_path / "b", "-- a new header\n\n" + GROUPED.replace("SELECT 1;\n", "SELECT 1;\nSELECT 2;\n"))
    assert len(before) == len(after) == 1
    assert before[0].fingerprint == after[0].fingerprint
    assert before[0].properties["lines"] == [1, 3, 3] and after[0].properties["lines"] == [3, 6, 6]
    assert before[0].fix is None


def test_grouping_merges_per_part_and_keeps_the_first():
    # parts: dbmate/goose sections (the engine passes the section's start offset)
    from linter import grouping
    from linter.model import FILE_SPAN, Span, Violation

    rule = registry.all_rules()["drop-table"]
    vs = [Violation(Span.at(line, 1), f"m{line}", "h", None, f"c{line}", False, {"objects": [f'"t{line}"']}) for line in (2, 3, 6)]
    merged = grouping.merge([(rule, v) for v in vs], lambda v: 0 if v.span.start.line < 5 else 5)
    assert [(v.span.start.line, v.properties["objects"], v.message[:14]) for _r, v in merged] == [
        (2, ['"t2"', '"t3"'], "drops 2 tables"), (6, ['"t6"'], "m6")]
    assert merged[0][1].context == "c2" and FILE_SPAN != merged[0][1].span


def test_a_linted_file_leaves_no_reference_cycle(tmp_path):
    """``engine.lint`` suspends the cyclic collector while it lints (collecting young objects
    every ``GC_EVERY`` files), so a reference cycle through a file's analysis would keep its
    whole parse tree alive until then: 40 MiB more peak memory over the corpus when
    ``linter.pg.intent.Intent`` held its FileAnalysis strongly. Every per-file object must
    be freed by reference counting alone."""
    import gc

    sql = (
        "ALTER TABLE users ADD COLUMN email_lower text;\n"
        "UPDATE users SET email_lower = lower(email) WHERE email_lower IS NULL;\n"
        "ALTER TABLE users ALTER COLUMN email_lower SET NOT NULL;\n"
        "INSERT INTO archive SELECT * FROM orders;\nDROP TABLE orders;\n"
        "CREATE INDEX users_email_idx ON users (email);\n"
        "DO $$ BEGIN EXECUTE 'CREATE INDEX x ON t (a)'; END $$;\n"
    )
    (tmp_path / "V1__a.sql").write_text(sql, encoding="utf-8")
    (tmp_path / "V2__b.sql").write_text("ALTER TABLE users ALTER COLUMN email TYPE varchar(10);\n", encoding="utf-8")
    cfg = configmod.load(cwd=tmp_path)
    files = discover([str(tmp_path)], base_dir=str(tmp_path)).files
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        results = [engine.lint_file(f, cfg) for f in files]
        gc.collect()
        kept = {type(o).__qualname__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    assert all(r.findings for r in results)  # the rules ran
    assert not kept & {"Source", "Statement", "FileContext", "FileAnalysis", "Intent", "Session", "Step"}, kept
