"""names.relation and names.base_type: the fast paths give what the general definitions give."""

from __future__ import annotations

import pytest

from linter.pg import locks, names


@pytest.mark.parametrize("rv", [
    {"relname": "t"},
    {"schemaname": "s", "relname": "t"},
    {"catalogname": "c", "schemaname": "s", "relname": "t"},
    {"catalogname": "c", "relname": "t"},
    {"schemaname": "s"},
    {},
    {"RangeVar": {"schemaname": "s", "relname": "t", "inh": True}},
])
def test_relation_joins_the_names_given(rv):
    inner = rv.get("RangeVar", rv)
    expected = ".".join(p for p in (inner.get("catalogname"), inner.get("schemaname"), inner.get("relname")) if p)
    assert names.relation(rv) == (expected if rv else "?")


def test_relation_of_nothing():
    assert names.relation(None) == "?"


@pytest.mark.parametrize("tn", [
    {"names": [{"String": {"sval": "pg_catalog"}}, {"String": {"sval": "int4"}}]},
    {"names": [{"String": {"sval": "text"}}]},
    {"names": [{"String": {"sval": "t"}}, {"A_Star": {}}]},
    {"names": {"List": {"items": [{"String": {"sval": "s"}}, {"String": {"sval": "money"}}]}}},
    {"names": []},
    {"names": None},
    {},
])
def test_base_type_is_the_last_name(tn):
    parts = names.strings(tn.get("names"))
    assert names.base_type(tn) == (parts[-1] if parts else "")


def test_lock_labels_and_alter_texts():
    assert [m.label for m in locks.LockMode][-1] == "ACCESS EXCLUSIVE"
    assert str(locks.LockMode.SHARE_UPDATE_EXCLUSIVE) == "SHARE UPDATE EXCLUSIVE"
    assert locks.subcommand_text({"subtype": "AT_SetNotNull"}) == "ALTER TABLE … ALTER COLUMN … SET NOT NULL"
    assert locks.subcommand_text({"subtype": "AT_NewThing"}) == "ALTER TABLE … NewThing"
