"""One loader for every rule's YAML case file (tests/cases/<rule-id>.yaml).

A case file (the pattern of sqlfluff's test/fixtures/rules/std_rule_cases)::

    rule: syntax-error
    also: [other-rule]          # rules enabled alongside (for the suppression rules)
    cases:
      name:
        sql: "..."              # file content
        path: V1__x.sql         # file name (default V1__case.sql, a Flyway up migration)
        encoding: latin-1       # how to encode sql (default utf-8)
        bom: true               # prefix a UTF-8 byte-order mark
        config: {...}           # top-level config keys; rules.<id> merges into the rule's setting
        expect: [{line, col, end_line, end_col, message}]   # omitted: no finding
        help: "..."             # a substring of every finding's help
        fix: null               # no finding offers a fix (a string: every fix's replacement text)
        fixed: "..."            # the file once the first finding's fix is applied alone

File-set rules (naming, versioning, rollback, history) lint a tree instead of ``sql``::

      name:
        files: {path: content}  # the working tree (every file is discovered, roots inferred)
        base: {path: content}   # committed on branch main of a throwaway git repository; the
                                # working tree is branch feature, linted with --base main
        base_later: {path: content}  # committed on main after feature branched off
        delete: [path]          # base files removed from the working tree
        rename: {old: new}      # base files moved, without telling git
        history: manifest       # instead of git: `miglint hash` the base files first
        expect: [{path, line, col, message}]  # path: which file the finding is on

Docstring examples of such rules are ```sql blocks whose files start with ``-- file: P``
(``-- base: P``, ``-- base-later: P``, ``-- deleted: P``), or ```text blocks listing paths.
A rule module's ``EXAMPLE_OPTIONS`` are the options its examples are checked with, and its
``EXAMPLE_ALSO`` the rules enabled alongside (``locking-in-rollback`` summarises theirs).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from linter import config as configmod, engine, registry
from linter.discovery import discover
from tests.conftest import lint_tree

CASE_DIR = Path(__file__).parent / "cases"


def _cases():
    for path in sorted(CASE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, case in data["cases"].items():
            yield pytest.param(data["rule"], data.get("also", []), case or {}, id=f"{data['rule']}::{name}")


def _server_for(rule_id, request):
    """The test server for a rule of scope ``verify`` (its cases run ``miglint verify``), else None."""
    if registry.all_rules()[rule_id].scope != "verify":
        return None
    pytest.importorskip("psycopg")
    return request.getfixturevalue("pg_cluster").server


def _run(tmp_path, rule_id, also, sql, *, path="V1__case.sql", encoding="utf-8", bom=False, config=None, server=None):
    content = sql.encode(encoding)
    if bom:
        content = b"\xef\xbb\xbf" + content
    config = dict(config or {})
    rule_cfg = config.pop("rules", {})
    enable = {rid: "error" for rid in also}
    for rid in [rule_id, *rule_cfg]:
        setting = rule_cfg.get(rid)
        enable[rid] = {"level": "error", **setting} if isinstance(setting, dict) else (setting or "error")
    report = lint_tree(tmp_path, {path: content}, enable=enable, extra=config, verify=server)
    return [f for f in report.findings if f.rule_id == rule_id]


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _write(root: Path, files: dict) -> None:
    for rel, content in (files or {}).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else (content or "").encode("utf-8"))


def _run_tree(tmp_path, rule_id, also, files, *, base=None, base_later=None, delete=(), rename=None,
              history="git", config=None):
    """Lint a whole tree (file-set rules), optionally against a git base branch or a manifest."""
    root = tmp_path
    root.mkdir(parents=True, exist_ok=True)
    git = base is not None and history == "git"
    if git:
        _git(root, "init", "-q", "-b", "main")
        _write(root, base)
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "base")
        _git(root, "checkout", "-q", "-b", "feature")
        if base_later:
            _git(root, "checkout", "-q", "main")
            _write(root, base_later)
            _git(root, "add", "-A")
            _git(root, "commit", "-q", "-m", "later")
            _git(root, "checkout", "-q", "feature")
    elif base is not None:  # manifest
        from linter.migset import manifest

        _write(root, base)
        found = discover([str(root)], base_dir=str(root))
        entries = [(f.path, *manifest.digest((root / f.path).read_text(encoding="utf-8"))) for f in found.files]
        (root / ".miglint.sum").write_text(manifest.render(entries), encoding="utf-8")
    _write(root, files)
    for rel in delete or ():
        (root / rel).unlink()
    for old, new in (rename or {}).items():
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        (root / old).rename(root / new)
    config = dict(config or {})
    rule_cfg = config.pop("rules", {})
    rules = {rid: "disable" for rid in registry.all_rules()}
    rules.update({rid: "error" for rid in also})
    for rid in [rule_id, *rule_cfg]:
        setting = rule_cfg.get(rid)
        rules[rid] = {"level": "error", **setting} if isinstance(setting, dict) else (setting or "error")
    cfg_path = tmp_path.parent / f"{tmp_path.name}.miglint.yml"
    cfg_path.write_text(yaml.safe_dump({"extends": "default", "rules": rules, **config}), encoding="utf-8")
    cfg = configmod.load(str(cfg_path), cwd=root)
    if git:
        cfg.base = "main"
    found = discover([str(root)], base_dir=str(root), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude, snapshots=cfg.snapshots)
    report = engine.lint(found.files, cfg, jobs=1)
    return [f for f in report.findings if f.rule_id == rule_id]


def _check_properties(exp: dict, f) -> None:
    """An expectation's ``properties`` (``{name: value}``) are the finding's, value for value."""
    for name, value in (exp.get("properties") or {}).items():
        assert f.properties.get(name) == value, (name, f.properties)


@pytest.mark.parametrize("rule_id, also, case", list(_cases()))
def test_case(tmp_path, rule_id, also, case, request):
    assert rule_id in registry.all_rules(), f"case file for unknown rule {rule_id}"
    if "files" in case or "base" in case:
        found = _run_tree(tmp_path / "tree", rule_id, also, case.get("files") or {}, base=case.get("base"),
                          base_later=case.get("base_later"), delete=case.get("delete", ()), rename=case.get("rename"),
                          history=case.get("history", "git"), config=case.get("config"))
        expected = case.get("expect", [])
        got = [(f.path, f.span.start.line, f.span.start.column, f.message) for f in found]
        assert len(found) == len(expected), f"expected {len(expected)} finding(s), got {got}"
        for exp, f in zip(expected, sorted(found, key=lambda f: f.sort_key())):
            if "path" in exp:
                assert f.path == exp["path"], got
            if "line" in exp:
                assert (f.span.start.line, f.span.start.column) == (exp["line"], exp.get("col", 1)), got
            if "message" in exp:
                assert exp["message"] in f.message, got
            _check_properties(exp, f)
        if "help" in case:
            assert found and all(case["help"] in (f.help or "") for f in found), [f.help for f in found]
        return
    found = _run(
        tmp_path,
        rule_id,
        also,
        case["sql"],
        path=case.get("path", "V1__case.sql"),
        encoding=case.get("encoding", "utf-8"),
        bom=case.get("bom", False),
        config=case.get("config"),
        server=_server_for(rule_id, request),
    )
    expected = case.get("expect", [])
    got = [(f.span.start.line, f.span.start.column, f.span.end.line, f.span.end.column, f.message) for f in found]
    assert len(found) == len(expected), f"expected {len(expected)} finding(s), got {got}"
    for exp, f in zip(expected, found):
        assert (f.span.start.line, f.span.start.column) == (exp["line"], exp["col"]), got
        if "end_line" in exp:
            assert f.span.end.line == exp["end_line"], got
        if "end_col" in exp:
            assert f.span.end.column == exp["end_col"], got
        if "message" in exp:
            assert exp["message"] in f.message, got
        _check_properties(exp, f)
    if "help" in case:
        assert found and all(case["help"] in (f.help or "") for f in found), [f.help for f in found]
    if "fix" in case:  # null: no finding offers a fix; a string: each fix's replacement text
        want = case["fix"]
        assert found and all((f.fix and f.fix.replacement) == want for f in found), [f.fix for f in found]
    if "fixed" in case:  # the file once the first finding's fix is applied (alone)
        fix = found[0].fix
        assert fix is not None, "expected a fix"
        assert case["sql"][: fix.start] + fix.replacement + case["sql"][fix.end :] == case["fixed"]


def test_every_rule_has_a_case_file_with_firing_and_passing_cases():
    for rid in registry.all_rules():
        path = CASE_DIR / f"{rid}.yaml"
        assert path.is_file(), f"no case file for {rid}"
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"].values()
        assert any((c or {}).get("expect") for c in cases), f"{rid}: no case that fires"
        assert any(not (c or {}).get("expect") for c in cases), f"{rid}: no case that passes"


def _sql_block(text: str) -> str | None:
    m = re.search(r"```sql\n(.*?)```", text, re.S)
    return m.group(1) if m else None


_MARKER = re.compile(r"^-- (file|base|base-later|deleted): (\S+)\n", re.M)


def _tree_block(text: str) -> dict | None:
    """A docstring example as a tree: ```text paths, or ```sql with ``-- file:`` markers."""
    m = re.search(r"```text\n(.*?)```", text, re.S)
    if m:
        return {"files": {p.strip(): "SELECT 1;\n" for p in m.group(1).splitlines() if p.strip()}}
    sql = _sql_block(text)
    if sql is None or not _MARKER.match(sql):
        return None
    out: dict = {"files": {}}
    parts = _MARKER.split(sql)
    for kind, path, body in zip(parts[1::3], parts[2::3], parts[3::3]):
        if kind == "deleted":
            out.setdefault("delete", []).append(path)
        else:
            out.setdefault({"file": "files", "base": "base", "base-later": "base_later"}[kind], {})[path] = body
    return out


@pytest.mark.parametrize("rule_id", list(registry.all_rules()))
def test_doc_example_fires_and_use_instead_passes(tmp_path, rule_id, request):
    """Docstring examples are tests too (pycodestyle's test_self_doctests)."""
    rule = registry.all_rules()[rule_id]
    for title in ("Why is this bad?", "Example", "Use instead", "Options", "References"):
        assert rule.section(title), f"{rule_id}: docstring lacks '## {title}'"
    options = getattr(rule.module, "EXAMPLE_OPTIONS", None)
    config = {"rules": {rule_id: options}} if options else None
    example_also = list(getattr(rule.module, "EXAMPLE_ALSO", ()))
    bad_tree, good_tree = _tree_block(rule.section("Example")), _tree_block(rule.section("Use instead"))
    if bad_tree is not None and good_tree is not None:
        for tree, want, where in ((bad_tree, True, "bad"), (good_tree, False, "good")):
            found = _run_tree(tmp_path / where, rule_id, example_also, tree.pop("files"), delete=tree.pop("delete", ()),
                              config=config, **tree)
            assert bool(found) == want, f"{rule_id}: {'Example does not fire' if want else 'Use instead fires'}: {found}"
        return
    bad, good = _sql_block(rule.section("Example")), _sql_block(rule.section("Use instead"))
    if bad is None or good is None:
        pytest.skip("examples are not SQL files")
    path = "20240101000000_example.sql" if "migrate:" in bad else "V1__example.sql"
    also = ["syntax-error"] if rule_id == "unused-suppression" else example_also
    server = _server_for(rule_id, request)
    assert _run(tmp_path / "bad", rule_id, also, bad, path=path, config=config, server=server), f"{rule_id}: Example does not fire"
    assert not _run(tmp_path / "good", rule_id, also, good, path=path, config=config, server=server), f"{rule_id}: Use instead fires"
