"""Every fix miglint offers, applied alone, leaves a file that parses, runs under its tool's
transaction semantics and on which miglint reports no new error or warning.

Runs ``bench/fix_check.py``'s checker over tests/fixtures/fixcheck/: small real corpus
files (their names and directory layout kept, so discovery classifies them as in their
projects: diesel directories, popx sub-steps, golang-migrate pairs, Flyway scripts) that
carry fixes of most fixing rules, among them the issue's examples of fixes that used to
break a migration (CONCURRENTLY in supabase__storage's tenant/0020, a diesel or popx
transaction).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "fixcheck"


@pytest.fixture(scope="module")
def fix_check():
    spec = importlib.util.spec_from_file_location("fix_check", REPO / "bench" / "fix_check.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fix_check"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """The strict preset (it also turns on the opt-in type-hygiene rules and their fixes),
    without sqlfluff-style (a formatter's opinion on the inserted text is not a new hazard),
    with ``rollback_locking: full``: the fixes of lock rules on down code are promises too
    (the corpus's only TRUNCATE … CASCADE is in a down file)."""
    import dataclasses

    from linter import config as configmod

    cfg = configmod.load(None, cwd=tmp_path_factory.mktemp("cfg"), preset="strict").select([], ["sqlfluff-style"])
    return dataclasses.replace(cfg, rollback_locking="full")


@pytest.fixture(scope="module")
def result(fix_check, config):
    return fix_check.run(FIXTURES, base_dir=FIXTURES, jobs=1, config=config)


def test_every_fix_keeps_its_promise(result):
    outcomes = result["outcomes"]
    bad = [(o.rule, o.path, o.line, o.description, o.parse_error, o.new, o.kept, o.moved) for o in outcomes if o.bad]
    assert bad == []


def test_the_sample_covers_the_fixing_rules(result):
    checked = Counter(o.rule for o in result["outcomes"])
    for rule in ("non-concurrent-create-index", "non-concurrent-drop-index", "create-without-if-not-exists",
                 "varchar-length-limit", "missing-lock-timeout", "missing-statement-timeout",
                 "foreign-key-without-not-valid", "check-constraint-without-not-valid", "repeated-alter-table",
                 "char-column", "timestamp-without-time-zone", "serial-column", "small-integer-key", "truncate-cascade"):
        assert checked[rule] > 0, rule
    assert len(result["outcomes"]) == sum(result["fixes_total"].values())


def test_no_concurrently_fix_where_the_statement_runs_in_a_transaction(fix_check, config):
    # supabase__storage tenant/0020: the file runs in one transaction (postgres-migrations);
    # CONCURRENTLY there fails at deploy, so the finding has help and no fix
    ck = fix_check.Checker(FIXTURES, base_dir=FIXTURES, jobs=1, config=config)
    try:
        found = [f for r in ck.results.values() for f in r.findings if f.rule_id == "non-concurrent-create-index"]
    finally:
        ck.close()
    in_tx = [f for f in found if "supabase__storage" in f.path]
    assert in_tx and all(f.fix is None and "transaction" in f.help for f in in_tx)
    alone = [f for f in found if "V299__indeks_task_type" in f.path]
    assert alone and all(f.fix is not None and "CONCURRENTLY" in f.fix.replacement for f in alone)


def test_the_check_sees_a_fix_that_makes_a_later_file_worse(fix_check, config, monkeypatch):
    # dani-garcia__vaultwarden 2019-09-12 create_tables declares organizations.uuid
    # varchar(40); 2019-09-16 fix_attachments runs ALTER COLUMN uuid TYPE VARCHAR(40) on it,
    # metadata-only from varchar(40). varchar-length-limit's fix (text) would turn that later
    # statement into a rewrite: the set post-pass takes the fix back, and without that
    # post-pass the check must report the later file's new column-type-rewrite error
    from linter.migset import coltypes

    def kept(findings, files, summaries):
        return [dataclasses.replace(f, properties={k: v for k, v in f.properties.items() if k != coltypes.RETYPED})
                for f in findings]

    monkeypatch.setattr(coltypes, "strip_retyped_fixes", kept)
    got = fix_check.run(FIXTURES / "dani-garcia__vaultwarden", base_dir=FIXTURES, jobs=1, config=config,
                        rules=["varchar-length-limit"])
    bad = {(Path(o.path).parent.name, o.line): o.new for o in got["outcomes"] if o.bad}
    assert set(bad) == {("2019-09-12-100000_create_tables", 36), ("2019-09-12-100000_create_tables", 73),
                        ("2019-09-12-100000_create_tables", 74)}
    new = bad[("2019-09-12-100000_create_tables", 36)]
    assert [(r, sev, line) for r, sev, line, _ in new] == [("column-type-rewrite", "error", 8)]
    assert "2019-09-16-150000_fix_attachments/up.sql" in new[0][3]


def test_no_fix_where_a_later_file_retypes_the_column(fix_check, config):
    ck = fix_check.Checker(FIXTURES, base_dir=FIXTURES, jobs=1, config=config)
    try:
        found = {f.line: f for f in ck._base_root("dani-garcia__vaultwarden") if f.rule_id == "varchar-length-limit"
                 and "2019-09-12" in f.path}
    finally:
        ck.close()
    assert found[36].fix is None and "2019-09-16-150000_fix_attachments/up.sql:8 later changes" in found[36].help
    # users.email becomes TEXT later: the same from text, so the fix stays
    assert found[5].fix is not None and "later changes" not in found[5].help
