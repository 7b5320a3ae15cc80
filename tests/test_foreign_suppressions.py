"""Other linters' waivers (Atlas ``atlas:nolint``, diesel-guard ``safety-assured``): the
code-to-rule tables name real rules, and the comment grouping follows Atlas's scanner.
Per-rule behaviour is in the rule case files (``atlas_*`` / ``diesel_guard_*`` cases)."""

from __future__ import annotations

from linter import foreign_suppressions as fs, registry, suppress
from linter.source import Source


def test_tables_name_registered_rules():
    rules = registry.all_rules()
    named = {r for v in (*fs.ATLAS_CODES.values(), *fs.ATLAS_ANALYZERS.values()) for r in v} | fs.CORRECTNESS
    assert named <= set(rules)


def test_blanket_waiver_keeps_correctness_secrets_and_syntax():
    every = fs.acknowledge_all()
    assert "drop-column" in every and "missing-lock-timeout" in every and "create-without-if-not-exists" in every
    assert every.isdisjoint(fs.CORRECTNESS)
    assert all(registry.all_rules()[r].family in ("locking", "idempotency", "rollback") for r in every)
    assert "syntax-error" not in every and "plaintext-password" not in every


def _parse(sql):
    src = Source(sql)
    return src, suppress.parse(sql, list(src.all_statements()), lambda c: src.index.position(c).line)


def test_atlas_grouping_follows_its_scanner():
    # top comments directly followed by a statement belong to it (no file directive);
    # openmeterio__openmeter/20250327123818_entitlement-cursor.up.sql
    sql = '-- create index "e" to table: "entitlements"\n-- atlas:nolint\nCREATE UNIQUE INDEX e ON entitlements (created_at, id);\nDROP TABLE x;\n'
    src, (s,) = _parse(sql)
    assert (s.foreign, s.whole_file, s.region) == ("atlas", False, (src.statements[0].start, src.statements[0].end))
    # the same comments followed by a blank line: the whole file
    _, (s,) = _parse(sql.replace("-- atlas:nolint\n", "-- atlas:nolint\n\n"))
    assert s.whole_file and s.covers("drop-table", 10_000)
    # CRLF files and codes that miglint has no rule for
    src, (s,) = _parse("SELECT 1;\r\n-- atlas:nolint MF101 DS103\r\nALTER TABLE t DROP COLUMN c;\r\n")
    assert s.acknowledges == {"drop-column", "destructive-down-migration"}
    assert [n for n, _, _ in s.names] == ["MF101", "DS103"] and s.region[0] == src.statements[1].start
    # two spaces after "--" is no directive for Atlas (its prefix must be "--" or "-- ")
    assert _parse("--  atlas:nolint\nDROP TABLE x;\n")[1] == []


def test_safety_assured_block_covers_statements_starting_inside():
    sql = "DROP TABLE a;\n-- safety-assured:start\nDROP TABLE b;\nDROP TABLE c;\n-- SAFETY-ASSURED:END\nDROP TABLE d;\n"
    src, (s,) = _parse(sql)
    b, c = src.statements[1:3]
    assert s.foreign == "diesel-guard" and s.region == (b.start, c.end)
    assert not s.covers("drop-table", src.statements[0].start) and not s.covers("drop-table", src.statements[3].start)
    assert not s.covers("syntax-error", b.start)
    assert suppress.parse(sql, list(src.all_statements()), lambda c: 1, foreign=False) == []
