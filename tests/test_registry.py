"""The rule registry: ids, modules, families, docs."""

from __future__ import annotations

import re

from linter import docs, registry
from linter.model import FAMILIES


def test_ids_are_kebab_case_unique_and_modules_are_named_after_them():
    rules = registry.all_rules()
    for rid, rule in rules.items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", rid), rid
        assert rule.module.__name__ == "linter.checks." + rid.replace("-", "_")
        assert rule.family in FAMILIES
        assert rule.summary and not rule.summary.endswith(":")
        assert set(rule.defaults) == set(rule.options), f"{rid}: every option needs a default"
    names = [a for r in rules.values() for a in (r.id, *r.aliases)]
    assert len(names) == len(set(names))


def test_subcommands_are_alter_table_subcommand_types():
    from pglast.enums.parsenodes import AlterTableType  # a typo would silently turn a rule off

    for rid, rule in registry.all_rules().items():
        if rule.subcommands is not None:
            assert "AlterTableStmt" in rule.kinds, rid
            assert rule.subcommands <= set(AlterTableType.__members__), rid


def test_resolve_ids_and_aliases():
    assert registry.resolve("syntax-error") == "syntax-error"
    assert registry.resolve("sqlfluff") == "sqlfluff-style"
    assert registry.resolve("nope") is None


def test_docs_rules_md_and_readme_presets_are_up_to_date():
    assert docs.main(["--check"]) == 0, "run `python -m linter.docs` and commit docs/rules.md and README.md"
    text = docs.DOCS_PATH.read_text(encoding="utf-8")
    for rid in registry.all_rules():
        assert f'<a id="{rid}"></a>' in text


def test_readme_shows_every_preset_verbatim():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    for preset in sorted((root / "rules").glob("*.yaml")):
        assert preset.read_text(encoding="utf-8") in readme, f"README.md does not show rules/{preset.name} verbatim"


def test_report_is_validated(monkeypatch):
    import sys
    import types

    import pytest

    mod = types.ModuleType("linter.checks.grouped_rule")
    mod.ID, mod.FAMILY, mod.SCOPE, mod.DEFAULT_LEVEL = "grouped-rule", "locking", "statement", "warning"
    mod.check = lambda ctx, stmt, options: ()
    monkeypatch.setitem(sys.modules, "linter.checks.grouped_rule", mod)
    mod.REPORT = "per-statement"
    with pytest.raises(ImportError, match="unknown report"):
        registry._load("grouped_rule")
    mod.REPORT = "per-file"
    with pytest.raises(ImportError, match="without a group_message"):
        registry._load("grouped_rule")
    mod.group_message = lambda violations, objects: ("m", None)
    assert registry._load("grouped_rule").report == "per-file"
    assert {r.id for r in registry.all_rules().values() if r.report == "per-file"} == {
        "rename-column", "rename-table", "drop-column", "drop-table", "incomplete-down-migration", "misordered-down-migration",
        "missing-where-clause"}
