"""The pull-request path (linter.changed, engine.lint(only=...)): `lint --changed` reports on
the changed files exactly what a full run reports on them, on real corpus projects copied
into a git repository, history rules with --base included; context files get the same
summaries as linted ones."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from linter import config as configmod, engine
from linter.changed import touched, with_partners
from linter.cli import main
from linter.discovery import discover
from linter.model import Direction

#: One project per family of conventions: golang-migrate (the ~540-file root of the speed
#: target), ory popx steps with dialect suffixes, dbmate sections, diesel directories.
PROJECTS = ("openmeterio__openmeter", "ory__hydra", "supabase__postgres", "dani-garcia__vaultwarden")


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _later(rel: str) -> str:
    """``rel`` with the year of the first version-like number in its last two parts set to
    2099: a migration that sorts after every other one of the root."""
    head, _, tail = rel.rpartition("/")
    parent, _, name = head.rpartition("/")
    for part in (name, tail):
        m = re.search(r"20\d\d", part)
        if m:
            new = part[: m.start()] + "2099" + part[m.end():]
            parts = [p for p in (parent, name if part is tail else new, new if part is tail else tail) if p]
            return "/".join(parts)
    raise AssertionError(f"no version in {rel}")


_CREATE = re.compile(r"^\s*CREATE TABLE (?:IF NOT EXISTS )?((?:\"?\w+\"?\.)?\"?\w+\"?)\s*\(", re.I | re.M)


def make_change(repo: Path) -> tuple[set[str], set[str]]:
    """Commit ``repo`` as branch main, then on a new branch add a migration after the last
    one (a copy of the last migration's files under a later version: its up and its down
    where there is one), edit a deployed one (the second to last up) and delete another
    (the third to last up). Returns ``(added paths, edited and deleted paths)``, relative
    to ``repo``."""
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-qb", "change")
    files = discover(["."], base_dir=str(repo)).files
    ups = sorted((f for f in files if f.direction is Direction.UP and f.version), key=lambda f: f.version_key)
    last, edited = ups[-1], ups[-2]
    # a table an early migration creates: the new up drops it and retypes a column, which
    # the set post-pass resolves from the context files' summaries (table ties, column types)
    table = next(m.group(1) for f in files for m in [_CREATE.search(Path(f.abspath).read_text(encoding="utf-8"))] if m)
    added = set()
    for f in files:
        if f.root == last.root and f.migration_id == last.migration_id:
            new = repo / _later(f.path)
            new.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f.abspath, new)
            if f.direction is Direction.UP:
                text = new.read_text(encoding="utf-8")
                head, marker, down = text.partition("-- migrate:down")  # dbmate: into the up section
                new.write_text(f"{head.rstrip()}\nALTER TABLE {table} ALTER COLUMN id TYPE text;\nDROP TABLE {table};\n\n{marker}{down}",
                               encoding="utf-8")
            added.add(_later(f.path))
    p = Path(edited.abspath)
    text = p.read_text(encoding="utf-8")
    stmt = "ALTER TABLE added_by_change ADD COLUMN note text NOT NULL;\n"
    if text.startswith("-- migrate:up"):  # dbmate: into the up section
        first, _, rest = text.partition("\n")
        text = f"{first}\n{stmt}{rest}"
    else:
        text = stmt + text
    p.write_text(text, encoding="utf-8")
    removed = ups[-3]
    os.remove(removed.abspath)
    return added, {edited.path, removed.path}


def _findings(repo: Path, out: Path, *flags: str) -> list[dict]:
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        rc = main(["lint", "--base", "main", "--format", "json", "--output", str(out), "--jobs", "1", *flags])
    finally:
        os.chdir(cwd)
    assert rc in (0, 1)
    return json.loads(out.read_text(encoding="utf-8"))["findings"]


@pytest.mark.parametrize("project", PROJECTS)
def test_changed_findings_equal_the_full_runs(project, shared_dir, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(shared_dir / "corpus" / project, repo)
    added, modified = make_change(repo)
    changed = added | modified
    full = _findings(repo, tmp_path / "full.json")
    only = _findings(repo, tmp_path / "changed.json", "--changed")
    expected = [f for f in full if f["path"] in changed]
    assert only == expected
    assert {f["path"] for f in only} <= changed
    # the comparison means something: the new files have findings, and the history rule
    # (--base) reports the edit of the deployed migration
    assert any(f["path"] in added for f in only)
    assert any(f["rule"] == "modified-deployed-migration" and f["path"] in modified for f in only)
    assert any(f["rule"] == "removed-deployed-migration" and f["path"] in modified for f in only)
    # and findings resolved from the context files' summaries (the dropped table's ties,
    # the retyped column's old type) are there
    assert {"drop-table", "column-type-rewrite"} <= {f["rule"] for f in only if f["path"] in added}


@pytest.mark.parametrize("project", ("openmeterio__openmeter", "supabase__postgres", "ory__hydra"))
def test_context_summaries_equal_linted_ones(project, shared_dir, tmp_path):
    """engine.context_file gives each file the summary lint_file gives it (the ignore
    comments of set rules aside: they only concern the file's own findings)."""
    corpus = shared_dir / "corpus"
    cfg = configmod.load(None, cwd=tmp_path)
    files = discover([str(corpus / project)], base_dir=str(corpus)).files
    for f in files:
        linted = dict(engine.lint_file(f, cfg).summary)
        linted.pop("set_ignores", None)
        assert engine.context_file(f, cfg).summary == linted, f.path


def test_partners_and_touched_roots(shared_dir):
    corpus = shared_dir / "corpus"
    files = discover([str(corpus / "ory__hydra"), str(corpus / "openmeterio__openmeter")], base_dir=str(corpus)).files
    up = next(f for f in files if f.path.endswith("20190100000002000000_client.up.sql"))
    got = with_partners({up.path}, files)
    assert up.path.replace(".up.", ".down.") in got
    # a popx step brings the other steps of its 14-digit version
    step = next(f for f in files if f.version and len(f.version) == 20 and f.version.endswith("000001"))
    assert {f.path for f in files if f.version and f.version[:14] == step.version[:14]} <= with_partners({step.path}, files)
    roots = {f.root for f in touched({up.path}, files)}
    assert roots == {up.root}
    # a removed file's root is touched too
    assert {f.root for f in touched({up.root + "/gone.up.sql"}, files)} >= {up.root}


def test_changed_without_a_base_branch_says_so(tmp_path, capsys):
    (tmp_path / "001_a.sql").write_text("SELECT 1;\n", encoding="utf-8")
    _git(tmp_path, "init", "-q", "-b", "work")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "x")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["lint", "--changed"]) == 2
    finally:
        os.chdir(cwd)
    assert "--base" in capsys.readouterr().err


def test_context_summary_keys_are_the_summary_keys():
    from linter.migset import summary

    assert engine._SUMMARY_KEYS == set(summary.NEEDS) | {"parsed"}


def test_changed_with_nothing_changed_says_so(tmp_path, capsys):
    (tmp_path / "001_a.sql").write_text("CREATE INDEX i ON t (c);\n", encoding="utf-8")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "x")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["lint", "--changed"]) == 0  # main is the default base
    finally:
        os.chdir(cwd)
    assert "no migration file changed since the merge base with main" in capsys.readouterr().out


def test_one_run_asks_git_each_question_once_and_the_next_run_asks_again(tmp_path, monkeypatch):
    """lint --changed --base: check_base, changed_paths and the history rules share git's
    answers within the run (linter.baseref.remember); a second run in the same process,
    after an edit, asks git again and sees the edit."""
    (tmp_path / "0001_a.up.sql").write_text("CREATE TABLE a (id bigint PRIMARY KEY);\n", encoding="utf-8")
    (tmp_path / "0001_a.down.sql").write_text("DROP TABLE a;\n", encoding="utf-8")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    _git(tmp_path, "checkout", "-qb", "change")
    (tmp_path / "0002_b.up.sql").write_text("CREATE INDEX a_id ON a (id);\n", encoding="utf-8")
    (tmp_path / "0002_b.down.sql").write_text("DROP INDEX a_id;\n", encoding="utf-8")
    asked: list[tuple[str, ...]] = []
    run = subprocess.run

    def counting(cmd, *args, **kwargs):
        if cmd[0] == "git":
            asked.append(tuple(cmd))
        return run(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    first = _findings(tmp_path, tmp_path / "a.json", "--changed")
    assert asked and len(asked) == len(set(asked))  # rev-parse, merge-base, diff, ls-files, ls-tree: once each
    assert {f["path"] for f in first} <= {"0002_b.up.sql", "0002_b.down.sql"}
    assert not any(f["rule"] == "modified-deployed-migration" for f in first)
    (tmp_path / "0001_a.up.sql").write_text("CREATE TABLE a (id bigint PRIMARY KEY, note text);\n", encoding="utf-8")
    asked.clear()
    second = _findings(tmp_path, tmp_path / "b.json", "--changed")
    assert asked and len(asked) == len(set(asked))
    assert any(f["rule"] == "modified-deployed-migration" and f["path"] == "0001_a.up.sql" for f in second)
