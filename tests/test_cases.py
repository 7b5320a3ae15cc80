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
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from linter import registry
from tests.conftest import lint_tree

CASE_DIR = Path(__file__).parent / "cases"


def _cases():
    for path in sorted(CASE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, case in data["cases"].items():
            yield pytest.param(data["rule"], data.get("also", []), case or {}, id=f"{data['rule']}::{name}")


def _run(tmp_path, rule_id, also, sql, *, path="V1__case.sql", encoding="utf-8", bom=False, config=None):
    content = sql.encode(encoding)
    if bom:
        content = b"\xef\xbb\xbf" + content
    config = dict(config or {})
    rule_cfg = config.pop("rules", {})
    enable = {rid: "error" for rid in also}
    for rid in [rule_id, *rule_cfg]:
        setting = rule_cfg.get(rid)
        enable[rid] = {"level": "error", **setting} if isinstance(setting, dict) else (setting or "error")
    report = lint_tree(tmp_path, {path: content}, enable=enable, extra=config)
    return [f for f in report.findings if f.rule_id == rule_id]


@pytest.mark.parametrize("rule_id, also, case", list(_cases()))
def test_case(tmp_path, rule_id, also, case):
    assert rule_id in registry.all_rules(), f"case file for unknown rule {rule_id}"
    found = _run(
        tmp_path,
        rule_id,
        also,
        case["sql"],
        path=case.get("path", "V1__case.sql"),
        encoding=case.get("encoding", "utf-8"),
        bom=case.get("bom", False),
        config=case.get("config"),
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
    if "help" in case:
        assert found and all(case["help"] in (f.help or "") for f in found), [f.help for f in found]


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


@pytest.mark.parametrize("rule_id", list(registry.all_rules()))
def test_doc_example_fires_and_use_instead_passes(tmp_path, rule_id):
    """Docstring examples are tests too (pycodestyle's test_self_doctests)."""
    rule = registry.all_rules()[rule_id]
    for title in ("Why is this bad?", "Example", "Use instead", "Options", "References"):
        assert rule.section(title), f"{rule_id}: docstring lacks '## {title}'"
    bad, good = _sql_block(rule.section("Example")), _sql_block(rule.section("Use instead"))
    if bad is None or good is None:
        pytest.skip("examples are not SQL files")
    path = "20240101000000_example.sql" if "migrate:" in bad else "V1__example.sql"
    also = ["syntax-error"] if rule_id == "unused-suppression" else []
    assert _run(tmp_path / "bad", rule_id, also, bad, path=path), f"{rule_id}: Example does not fire"
    assert not _run(tmp_path / "good", rule_id, also, good, path=path), f"{rule_id}: Use instead fires"
