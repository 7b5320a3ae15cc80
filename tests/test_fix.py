"""``miglint lint --fix`` and ``--diff`` (linter/autofix.py) and the edits they make
(linter/fixes.py), run as a user would: on copies of corpus projects, in a throwaway git
repository for ``--base``, and on small real statements for line endings, encodings and
overlapping edits."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from linter import autofix, fixes
from linter.cli import main
from linter.discovery import discover
from linter.model import Finding, Fix, Position, Severity, Span
from linter.source import Source

#: Corpus projects with fixable findings (MANIFEST.md), of three conventions: Flyway,
#: plain sequential (with .up.sql names), diesel directories.
PROJECTS = ("MarquezProject__marquez", "getfider__fider", "dani-garcia__vaultwarden")

COUNTED = ("error", "warning")


def _copy(shared_dir: Path, name: str, dest: Path) -> Path:
    src = shared_dir / "corpus" / name
    if not src.is_dir():
        pytest.skip(f"corpus project {name} is missing")
    shutil.copytree(src, dest)
    return dest


def _json(args: list[str], out: Path) -> tuple[int, list[dict], list[str]]:
    rc = main(["lint", *args, "--format", "json", "--output", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    return rc, data["findings"], data["notes"]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


# --------------------------------------------------------------------------- corpus projects


@pytest.mark.parametrize("name", PROJECTS)
def test_fix_on_a_corpus_project(shared_dir, tmp_path, monkeypatch, capsys, name):
    proj = _copy(shared_dir, name, tmp_path / name)
    monkeypatch.chdir(proj)
    _, before, _ = _json([], tmp_path / "before.json")
    fixable = [f for f in before if f["fix"]]
    assert fixable, "the project has fixable findings"
    original = _snapshot(proj)
    capsys.readouterr()

    rc, after, notes = _json(["--fix"], tmp_path / "after.json")
    err = capsys.readouterr().err
    fixed_files = _snapshot(proj)
    changed = [p for p in original if fixed_files[p] != original[p]]
    assert changed and set(fixed_files) == set(original)  # no file added or removed
    assert f"in {len(changed)} files" in err and any(n.startswith("Fixed ") for n in notes)
    assert rc == (1 if any(f["severity"] == "error" for f in after) else 0)  # by what remains

    # every fixed file parses
    files = {f.path: f for f in discover(["."], base_dir=str(proj)).files}
    for p in changed:
        src = Source(fixed_files[p].decode("utf-8"), files[p])
        assert src.error is None, (p, src.error)
        src.close()
    # nothing new at warning or above: per file and rule, never more than before
    was = Counter((f["path"], f["rule"]) for f in before if f["severity"] in COUNTED)
    now = Counter((f["path"], f["rule"]) for f in after if f["severity"] in COUNTED)
    grew = {k: (was[k], n) for k, n in now.items() if n > was[k]}
    assert grew == {}
    assert len(after) < len(before)
    # what --fix made no longer offers a fix of the same kind: the findings left with a fix
    # are only those it said it did not make
    assert not [f for f in after if f["fix"]] or "not fixed" in err

    # idempotent: a second run changes nothing, and --diff agrees
    capsys.readouterr()
    assert main(["lint", "--fix", "--format", "json", "--output", str(tmp_path / "again.json")]) == rc
    assert _snapshot(proj) == fixed_files
    assert "Fixed 0 findings in 0 files" in capsys.readouterr().err
    assert main(["lint", "--diff"]) == 0
    assert capsys.readouterr().out == ""


def test_diff_prints_what_fix_writes_and_writes_nothing(shared_dir, tmp_path, monkeypatch, capsys):
    proj = _copy(shared_dir, "getfider__fider", tmp_path / "p")
    twin = shutil.copytree(proj, tmp_path / "twin")
    monkeypatch.chdir(proj)
    original = _snapshot(proj)
    assert main(["lint", "--diff"]) == 1  # there would be edits
    captured = capsys.readouterr()
    diff = captured.out
    assert _snapshot(proj) == original  # nothing written
    assert diff.startswith("--- a/") and "\n+++ b/" in diff and "\n@@ -" in diff
    assert "Would fix " in captured.err
    # the diff applies (git apply, -p1 as git names the files) and gives what --fix writes
    (tmp_path / "fix.diff").write_text(diff, encoding="utf-8")
    subprocess.run(["git", "apply", "-p1", str(tmp_path / "fix.diff")], cwd=proj, check=True, capture_output=True)
    monkeypatch.chdir(twin)
    main(["lint", "--fix", "--format", "json", "--output", str(tmp_path / "o.json")])
    assert _snapshot(proj) == _snapshot(twin)


def test_diff_and_fix_flags_are_checked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--diff", "--format", "json"]) == 2
    assert "--diff prints a diff only" in capsys.readouterr().err
    assert main(["lint", "--fix-deployed"]) == 2
    assert "--fix-deployed goes with --fix or --diff" in capsys.readouterr().err


def test_a_fix_that_breaks_another_file_is_undone(shared_dir, tmp_path, monkeypatch, capsys):
    # vaultwarden's 2019-09-12 create_tables declares organizations.uuid VARCHAR(40); the
    # strict preset's varchar-length-limit fix makes it text, and then 2019-09-16
    # fix_attachments' ALTER COLUMN uuid TYPE VARCHAR(40) would rewrite the table (a new
    # column-type-rewrite error in another file): that edit is undone and said so. The rule
    # no longer offers that fix (the set post-pass coltypes.strip_retyped_fixes takes it
    # back, test_a_fix_a_later_file_would_break_is_not_offered); here the post-pass is
    # turned off so --fix's own check, the second line of defence, is what catches it
    from linter.migset import coltypes

    monkeypatch.setattr(coltypes, "strip_retyped_fixes", lambda findings, files, summaries: [
        dataclasses.replace(f, properties={k: v for k, v in f.properties.items() if k != coltypes.RETYPED})
        for f in findings])
    proj = _copy(shared_dir, "dani-garcia__vaultwarden", tmp_path / "p")
    monkeypatch.chdir(proj)
    args = ["--preset", "strict", "--ignore", "sqlfluff-style"]
    _, before, _ = _json(args, tmp_path / "b.json")
    capsys.readouterr()
    _, after, _ = _json([*args, "--fix"], tmp_path / "a.json")
    err = capsys.readouterr().err
    assert "undone 2019-09-12-100000_create_tables/up.sql: it made a new finding in " \
           "2019-09-16-150000_fix_attachments/up.sql, column-type-rewrite (error)" in err
    assert "not fixed 2019-09-12-100000_create_tables/up.sql:" in err
    was = Counter((f["path"], f["rule"]) for f in before if f["severity"] in COUNTED)
    now = Counter((f["path"], f["rule"]) for f in after if f["severity"] in COUNTED)
    assert {k: n for k, n in now.items() if n > was[k]} == {}
    left = [f for f in after if f["rule"] == "varchar-length-limit" and "create_tables" in f["path"]]
    assert {f["line"] for f in left} and all(f["fix"] for f in left)  # still offered, not made
    capsys.readouterr()
    assert main(["lint", *args, "--diff"]) == 0  # a fixed point: nothing more to make


def test_a_fix_a_later_file_would_break_is_not_offered(shared_dir, tmp_path, monkeypatch, capsys):
    # the same vaultwarden case: the fix is not offered, so --fix neither makes nor undoes it
    proj = _copy(shared_dir, "dani-garcia__vaultwarden", tmp_path / "p")
    monkeypatch.chdir(proj)
    args = ["--preset", "strict", "--ignore", "sqlfluff-style"]
    _, before, _ = _json(args, tmp_path / "b.json")
    left = {f["line"]: f for f in before if f["rule"] == "varchar-length-limit" and "create_tables" in f["path"]}
    assert left[36]["fix"] is None and "2019-09-16-150000_fix_attachments/up.sql:8 later changes" in left[36]["help"]
    capsys.readouterr()
    _, after, _ = _json([*args, "--fix"], tmp_path / "a.json")
    err = capsys.readouterr().err
    assert "undone" not in err
    was = Counter((f["path"], f["rule"]) for f in before if f["severity"] in COUNTED)
    now = Counter((f["path"], f["rule"]) for f in after if f["severity"] in COUNTED)
    assert {k: n for k, n in now.items() if n > was[k]} == {}


def test_an_edit_that_does_not_parse_is_undone(tmp_path, monkeypatch, capsys):
    # a fix that broke its promise (a made-up one: the rules' fixes are checked by
    # bench/fix_check.py) is found and put back; the other files' fixes are made
    mig = tmp_path / "db" / "migration"
    mig.mkdir(parents=True)
    (mig / "V1__index.sql").write_text("CREATE INDEX users_email_idx ON users (email);\n", encoding="utf-8")
    (mig / "V2__note.sql").write_text("ALTER TABLE users ADD COLUMN note text;\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    real_lint = autofix.engine.lint

    def lint(files, cfg, **kw):
        report = real_lint(files, cfg, **kw)
        out = []
        for f in report.findings:
            if f.path.endswith("V2__note.sql") and f.fix is not None:
                text = Path(next(m.abspath for m in files if m.path == f.path)).read_text(encoding="utf-8")
                at = text.index("ADD COLUMN")
                line = text.count("\n", 0, at) + 1
                col = at - (text.rfind("\n", 0, at) + 1) + 1
                bad = Fix(Span(Position(line, col), Position(line, col + 3)), at, at + 3, "ADD (", "breaks the statement")
                f = Finding(f.rule_id, f.family, f.severity, f.path, f.span, f.message, f.help, f.docs_url,
                            f.fingerprint, bad, f.redacted, f.properties)
            out.append(f)
        report.findings = out
        return report

    monkeypatch.setattr(autofix.engine, "lint", lint)
    main(["lint", "--fix", "--format", "json", "--output", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert "undone db/migration/V2__note.sql: the file no longer parses" in err
    assert (mig / "V2__note.sql").read_text(encoding="utf-8") == "ALTER TABLE users ADD COLUMN note text;\n"
    assert "CREATE INDEX CONCURRENTLY" in (mig / "V1__index.sql").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- deployed migrations


def test_deployed_migrations_are_not_edited(shared_dir, tmp_path, monkeypatch, capsys):
    proj = _copy(shared_dir, "MarquezProject__marquez", tmp_path / "repo")
    names = sorted(p.name for p in proj.iterdir() if p.name.startswith("V"))
    new = [n for n in names if n.startswith(("V7", "V6"))]  # V6x and V7x: this branch's work
    assert len(new) > 5
    hidden = tmp_path / "later"
    hidden.mkdir()
    for n in new:
        shutil.move(proj / n, hidden / n)
    _git(proj, "init", "-q", "-b", "main")
    _git(proj, "add", "-A")
    _git(proj, "commit", "-q", "-m", "deployed")
    _git(proj, "checkout", "-q", "-b", "work")
    for n in new:
        shutil.move(hidden / n, proj / n)
    _git(proj, "add", "-A")
    _git(proj, "commit", "-q", "-m", "new migrations")
    monkeypatch.chdir(proj)
    original = _snapshot(proj)

    main(["lint", "--fix", "--base", "main", "--format", "json", "--output", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    now = _snapshot(proj)
    changed = {p for p in original if now[p] != original[p]}
    assert changed and changed <= set(new)  # only the new migrations
    assert "the migration is deployed (on main); --fix-deployed fixes it anyway" in err
    report = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    assert not [f for f in report["findings"] if f["rule"] == "modified-deployed-migration"]

    main(["lint", "--diff", "--base", "main", "--fix-deployed"])
    diff = capsys.readouterr().out
    assert "--- a/V10__drop_unique_constraint_on_job_name.sql" in diff  # told to: deployed files too


# --------------------------------------------------------------------------- encodings and line endings


def test_crlf_and_byte_order_mark_are_kept(tmp_path, monkeypatch):
    # Marquez V14 (one CREATE INDEX), with a UTF-8 BOM, CRLF line breaks and a non-ASCII comment
    mig = tmp_path / "db" / "migration"
    mig.mkdir(parents=True)
    text = "/* SPDX-License-Identifier: Apache-2.0 — ünïcödé */\r\n\r\nCREATE INDEX datasetversion_datasetid_idx ON dataset_versions (dataset_uuid);\r\n"
    (mig / "V14__index_datasetversion_datasetid.sql").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    main(["lint", "--fix", "--format", "json", "--output", str(tmp_path / "o.json")])
    data = (mig / "V14__index_datasetversion_datasetid.sql").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    body = data[3:].decode("utf-8")
    assert "CONCURRENTLY" in body and "ünïcödé" in body
    assert body.count("\n") == body.count("\r\n") > 3  # every line break CRLF, the inserted ones too


def test_invalid_utf8_is_not_rewritten(tmp_path, monkeypatch, capsys):
    mig = tmp_path / "db" / "migration"
    mig.mkdir(parents=True)
    raw = b"-- caf\xe9 (latin-1)\nCREATE INDEX i ON t (c);\n"
    (mig / "V1__i.sql").write_bytes(raw)
    monkeypatch.chdir(tmp_path)
    main(["lint", "--fix", "--format", "json", "--output", str(tmp_path / "o.json")])
    assert (mig / "V1__i.sql").read_bytes() == raw
    assert "not valid UTF-8" in capsys.readouterr().err


# --------------------------------------------------------------------------- linter/fixes.py


def _lint_text(tmp_path: Path, sql: str, name: str = "V1__x.sql", preset: str | None = None) -> tuple[str, list[Finding]]:
    from linter import config as configmod, engine

    mig = tmp_path / "m"
    mig.mkdir(exist_ok=True)
    (mig / name).write_text(sql, encoding="utf-8")
    cfg = configmod.load(None, cwd=tmp_path, preset=preset)
    found = discover([str(mig)], base_dir=str(tmp_path))
    return sql, engine.lint(found.files, cfg, jobs=1).findings


def test_fixes_of_several_rules_on_one_statement_are_made_together(tmp_path):
    # fider 201808181931_add_api_key_users, first statement: lock timeout (insertion before
    # it) and varchar limit (its type) on one ALTER TABLE; offsets are characters (é)
    sql = "-- clé\nALTER TABLE users ADD api_key VARCHAR(32) NULL;\n"
    text, found = _lint_text(tmp_path, sql, preset="strict")
    plan = fixes.plan_fixes(found, text)
    assert sorted(f.rule_id for f in plan.fixed) == ["missing-lock-timeout", "varchar-length-limit"]
    assert plan.skipped == [] and len(plan.edits) == 2
    new = fixes.apply_edits(text, plan.edits)
    assert new.startswith("-- clé\nSET LOCAL lock_timeout")
    assert "ADD api_key text NULL, ADD CHECK (char_length(api_key) <= 32) NOT VALID;" in new


def test_overlapping_edits_are_never_made_blindly(tmp_path):
    text, found = _lint_text(tmp_path, "CREATE INDEX i ON t (c);\n")
    f = next(f for f in found if f.rule_id == "non-concurrent-create-index")
    assert f.fix is not None
    wide = Fix(Span(Position(1, 1), Position(1, 25)), 0, 24, "SELECT 1;", "replace all")
    other = Finding("lock-table", f.family, Severity.WARNING, f.path, f.span, "m", None, f.docs_url, "0" * 16, wide)
    plan = fixes.plan_fixes([f, other], text)
    assert [e.description for e in plan.edits] == [f.fix.description]  # the narrower edit
    (skipped, why), = plan.skipped
    assert skipped is other and "overlaps the fix of non-concurrent-create-index at line 1" in why
    # a fix made from another version of the file is not made either
    stale = fixes.plan_fixes([f], "\n" + text)
    assert stale.edits == [] and stale.skipped == [(f, fixes.STALE)]


def test_apply_edits_and_back_mapper():
    text = "abcdef"
    edits = [Fix(Span(Position(1, 2), Position(1, 2)), 1, 1, "XY", "ins"),
             Fix(Span(Position(1, 4), Position(1, 6)), 3, 5, "", "del")]
    assert fixes.apply_edits(text, edits) == "aXYbcf"
    back = fixes.back_mapper(edits)
    assert [back(i) for i in range(6)] == [0, 1, 1, 1, 2, 5]
    with pytest.raises(ValueError):
        fixes.apply_edits(text, list(reversed(edits)))


def test_diff_of_a_file_without_a_last_line_break_applies(tmp_path, monkeypatch, capsys):
    # a form feed in a comment (str.splitlines would cut there) and no line break at the end
    for d in ("a", "b"):
        mig = tmp_path / d / "db" / "migration"
        mig.mkdir(parents=True)
        (mig / "V3__index.sql").write_bytes(b"-- page\x0cbreak\nCREATE INDEX runs_created_at_idx ON runs (created_at);")
    monkeypatch.chdir(tmp_path / "a")
    assert main(["lint", "--diff"]) == 1
    diff = capsys.readouterr().out
    assert diff.endswith("\n\\ No newline at end of file\n") and diff.count("\\ No newline") == 2
    subprocess.run(["git", "apply", "-p1", "-"], input=diff.encode(), cwd=tmp_path / "a", check=True, capture_output=True)
    monkeypatch.chdir(tmp_path / "b")
    main(["lint", "--fix", "--format", "json", "--output", str(tmp_path / "o.json")])
    a = (tmp_path / "a/db/migration/V3__index.sql").read_bytes()
    assert a == (tmp_path / "b/db/migration/V3__index.sql").read_bytes() and b"CONCURRENTLY" in a


def test_migrations_in_the_checksum_manifest_are_not_edited(tmp_path, monkeypatch, capsys):
    mig = tmp_path / "db" / "migration"
    mig.mkdir(parents=True)
    v1 = "CREATE INDEX runs_created_at_idx ON runs (created_at);\n"  # Marquez V32
    (mig / "V32__index_runs_created_at.sql").write_text(v1, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["hash", "db/migration"]) == 0
    (mig / "V33__index_lineage_events_run_id.sql").write_text(
        "CREATE INDEX lineage_events_run_id_index ON lineage_events (run_id);\n", encoding="utf-8")
    capsys.readouterr()
    main(["lint", "db/migration", "--fix", "--format", "json", "--output", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert (mig / "V32__index_runs_created_at.sql").read_text(encoding="utf-8") == v1
    assert "CONCURRENTLY" in (mig / "V33__index_lineage_events_run_id.sql").read_text(encoding="utf-8")
    assert "the migration is deployed (in .miglint.sum)" in err


def test_baseline_findings_are_not_fixed_and_links_stay_links(tmp_path, monkeypatch, capsys):
    mig = tmp_path / "db" / "migration"
    mig.mkdir(parents=True)
    old = "CREATE INDEX runs_created_at_idx ON runs (created_at);\n"  # Marquez V32
    (mig / "V32__index_runs_created_at.sql").write_text(old, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["baseline", "db/migration"]) == 0
    store = tmp_path / "store"
    store.mkdir()
    (store / "V33.sql").write_text("CREATE INDEX lineage_events_run_id_index ON lineage_events (run_id);\n", encoding="utf-8")
    (mig / "V33__index_lineage_events_run_id.sql").symlink_to(store / "V33.sql")
    capsys.readouterr()
    main(["lint", "db/migration", "--fix", "--baseline", ".miglint-baseline.json", "--format", "json", "--output", str(tmp_path / "o.json")])
    assert (mig / "V32__index_runs_created_at.sql").read_text(encoding="utf-8") == old  # accepted: not reported, not fixed
    assert (mig / "V33__index_lineage_events_run_id.sql").is_symlink()
    assert "CONCURRENTLY" in (store / "V33.sql").read_text(encoding="utf-8")
    assert "Fixed 1 finding in 1 file." in capsys.readouterr().err
