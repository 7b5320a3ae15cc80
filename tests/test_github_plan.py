"""Unit tests of the review's planning (linter/github/threads.py) and thread bodies
(linter/formats/review.py): grouping by statement, the inline policy, file-level threads,
edits of changed threads, the cap and the combined suggestion."""

from __future__ import annotations

from linter.formats import review
from linter.github import threads
from linter.github.diff import ChangedFile
from linter.model import Finding, Fix, Position, Severity, Span

TEXT = "ALTER TABLE t ADD COLUMN a int;\nCREATE INDEX i ON t (a);\n"
NEW = ChangedFile("db/V2__x.sql", "added", patch="@@ -0,0 +1,2 @@\n+ALTER TABLE t ADD COLUMN a int;\n+CREATE INDEX i ON t (a);")


def f(rule, line=1, sev=Severity.WARNING, fp=None, fix=None, family="locking", path="db/V2__x.sql", msg=None):
    return Finding(rule, family, sev, path, Span.at(line, 1, line, 10), msg or f"{rule} says so", f"Do the {rule} thing.",
                   f"https://docs/{rule}", fp or (rule[:8].encode().hex() + "0" * 16)[:16], fix)


def test_a_statements_findings_make_one_thread_most_severe_first():
    warn, err, note = f("missing-lock-timeout", fp="a" * 16), f("add-column-rewrite", sev=Severity.ERROR, fp="b" * 16), f("serial-column", sev=Severity.NOTE, fp="c" * 16)
    p = threads.plan_review([warn, err, note], {NEW.path: NEW}, {}, [], statements={x.fingerprint: (1, 1) for x in (warn, err, note)})
    (t,) = p.new
    assert [x.rule_id for x in t.findings] == ["add-column-rewrite", "missing-lock-timeout"]
    assert t.body.startswith(review.marker("b" * 16, "add-column-rewrite", also=[("a" * 16, "missing-lock-timeout")]))
    assert "**Fix:** Do the add-column-rewrite thing." in t.body
    assert "- ⚠️ [`missing-lock-timeout`](https://docs/missing-lock-timeout): missing-lock-timeout says so" in t.body
    # the note is not inline by default: it is in the summary, with the reason
    assert p.where["c" * 16] == "below `inline-level: warning`"
    assert review.parse_members(t.body) == {"b" * 16: "add-column-rewrite", "a" * 16: "missing-lock-timeout"}
    # inline-level note posts it, in the same thread
    p = threads.plan_review([warn, err, note], {NEW.path: NEW}, {}, [], statements={x.fingerprint: (1, 1) for x in (warn, err, note)}, level="note")
    assert len(p.new) == 1 and len(p.new[0].findings) == 3


def test_rollback_code_only_correctness_errors():
    lock_err = f("non-concurrent-create-index", line=2, sev=Severity.ERROR, fp="d" * 16)
    syntax = f("syntax-error", line=1, sev=Severity.ERROR, fp="e" * 16, family="syntax")
    p = threads.plan_review([lock_err, syntax], {NEW.path: NEW}, {}, [], down={"d" * 16, "e" * 16})
    assert [t.finding.rule_id for t in p.new] == ["syntax-error"]
    assert "rollback code" in p.where["d" * 16]


def test_file_findings_are_file_level_threads_and_up_files_come_first_under_the_cap():
    down_path = "db/V2__x.down.sql"
    down = ChangedFile(down_path, "added", patch="@@ -0,0 +1 @@\n+DROP TABLE t;")
    dup = f("duplicate-migration-version", sev=Severity.ERROR, fp="f" * 16, family="versioning")
    up_e = f("syntax-error", line=2, sev=Severity.ERROR, fp="1" * 16, family="syntax")
    down_e = f("syntax-error", line=1, sev=Severity.ERROR, fp="2" * 16, path=down_path, family="syntax")
    p = threads.plan_review([down_e, up_e, dup], {NEW.path: NEW, down_path: down}, {}, [], max_comments=2, down={"2" * 16})
    assert [t.path for t in p.files] == [NEW.path] and p.files[0].as_file_comment("9" * 40)["subject_type"] == "file"
    assert "line" not in p.files[0].as_file_comment("9" * 40)
    assert [t.finding.fingerprint for t in p.new] == ["1" * 16]  # up before down within errors
    assert "over the limit of 2 open miglint threads" in p.where["2" * 16]


def test_a_changed_set_edits_the_thread_and_a_gone_one_is_resolved():
    err, warn = f("add-column-rewrite", sev=Severity.ERROR, fp="b" * 16), f("missing-lock-timeout", fp="a" * 16)
    old = threads.existing_comments([
        {"id": 5, "body": review.thread_body([err]), "path": NEW.path, "line": 1},
        {"id": 6, "body": review.thread_body([f("drop-table", fp="9" * 16)]), "path": NEW.path, "line": 2},
    ])
    p = threads.plan_review([err, warn], {NEW.path: NEW}, {}, old, statements={"a" * 16: (1, 1), "b" * 16: (1, 1)})
    assert p.new == [] and [t.existing.id for t in p.edit] == [5]
    assert review.parse_members(p.edit[0].body) == {"b" * 16: "add-column-rewrite", "a" * 16: "missing-lock-timeout"}
    assert [c.id for c in p.resolve] == [6]
    assert p.carried() == {"a" * 16, "b" * 16}


def test_one_suggestion_makes_every_fix_of_a_thread():
    add = Fix(Span(Position(1, 1), Position(1, 1)), 0, 0, "SET lock_timeout = '1s';\n", "set lock_timeout")
    conc = Fix(Span(Position(2, 13), Position(2, 13)), 44, 44, " CONCURRENTLY", "add CONCURRENTLY")
    a, b = f("missing-lock-timeout", fp="a" * 16, fix=add), f("non-concurrent-create-index", line=2, fp="b" * 16, fix=conc)
    s = review.suggestion_for_all([a, b], TEXT)
    assert (s.first_line, s.last_line) == (1, 2)
    assert s.text == "SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN a int;\nCREATE INDEX CONCURRENTLY i ON t (a);"
    # overlapping edits do not combine
    clash = Fix(Span(Position(2, 13), Position(2, 13)), 44, 44, " x", "x")
    assert review.suggestion_for_all([b, f("other", line=2, fp="c" * 16, fix=clash)], TEXT) is None
    body = review.thread_body([b, a], s)
    assert body.count("```suggestion") == 1 and "One suggestion makes the 2 fixes" in body


def test_a_suggestion_only_on_lines_the_pr_changed():
    conc = Fix(Span(Position(2, 13), Position(2, 13)), 44, 44, " CONCURRENTLY", "add CONCURRENTLY")
    b = f("non-concurrent-create-index", line=2, sev=Severity.ERROR, fp="b" * 16, fix=conc)
    sugg = review.suggestion_for(b, TEXT)
    # line 2 is a context line here: the PR changed line 1 only
    cf = ChangedFile(NEW.path, "modified", patch="@@ -1,2 +1,2 @@\n-ALTER TABLE t ADD COLUMN b int;\n+ALTER TABLE t ADD COLUMN a int;\n CREATE INDEX i ON t (a);")
    p = threads.plan_review([b], {cf.path: cf}, {b.fingerprint: sugg}, [], statements={b.fingerprint: (1, 2)})
    assert len(p.new) == 1 and "```suggestion" not in p.new[0].body
    p = threads.plan_review([b], {NEW.path: NEW}, {b.fingerprint: sugg}, [])
    assert "```suggestion\nCREATE INDEX CONCURRENTLY i ON t (a);\n```" in p.new[0].body


def test_old_single_finding_markers_still_parse():
    old = '<!-- miglint:finding fp=0123456789abcdef rule=syntax-error -->\nbody'
    assert review.parse_marker(old) == ("0123456789abcdef", "syntax-error", False)
    assert review.parse_members(old) == {"0123456789abcdef": "syntax-error"}
    done = review.resolved_body(review.thread_body([f("a-rule", fp="1" * 16), f("b-rule", fp="2" * 16)]), "a-rule", "u", "1" * 16)
    assert review.parse_marker(done) == ("1" * 16, "a-rule", True) and review.parse_members(done) == {"1" * 16: "a-rule", "2" * 16: "b-rule"}


def test_a_thread_split_between_two_statements_is_edited_once():
    a, b = f("add-column-rewrite", sev=Severity.ERROR, fp="a" * 16), f("non-concurrent-create-index", line=2, sev=Severity.ERROR, fp="b" * 16)
    old = threads.existing_comments([{"id": 7, "body": review.thread_body([a, b]), "path": NEW.path, "line": 1}])
    p = threads.plan_review([a, b], {NEW.path: NEW}, {}, old, statements={"a" * 16: (1, 1), "b" * 16: (2, 2)})
    assert [t.existing.id for t in p.edit] == [7] and [x.fingerprint for x in p.edit[0].findings] == ["a" * 16]
    assert [t.finding.fingerprint for t in p.new] == ["b" * 16] and p.resolve == []
