"""``bench/precision.py``: stable keys, the seeded stratified sample and the weighted score.

The fixture is real: two corpus files (``tests/fixtures/precision/corpus``) and the 17
findings main's default preset reported on them (``report.json``, paths as miglint printed
them for ``../shared/corpus``).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "precision.py"
FIX = Path(__file__).resolve().parent / "fixtures" / "precision"
CRATES = "rust-lang__crates.io/20170308191449_crate_owners_does_not_need_id/up.sql"
LEMMY = "LemmyNet__lemmy/2022-11-21-204256_user-following/up.sql"


@pytest.fixture(scope="module")
def precision():
    spec = importlib.util.spec_from_file_location("precision_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture()
def findings():
    return json.loads((FIX / "report.json").read_text())["findings"]


def by_rule(items, rule):
    return [it for it in items if it.finding["rule"] == rule]


def test_split_statements_skips_comments_quotes_and_dollar_bodies(precision):
    text = "-- a; b\nSELECT 'x;y', \"q;\" /* c; /* d; */ e; */ ;\nDO $f$ BEGIN PERFORM 1; END $f$;\nSELECT 2"
    st = precision.split_statements(text)
    assert st.texts == ["SELECT 'x;y', \"q;\" ;", "DO $f$ BEGIN PERFORM 1; END $f$;", "SELECT 2"]
    assert st.at(3, 1) == 1 and st.at(1, 1) == 0 and st.at(4, 3) == 2


def test_keys_survive_line_shifts_and_message_changes(precision, findings):
    items = precision.key_findings(findings, FIX / "corpus")
    assert all(it.rel in (CRATES, LEMMY) for it in items)
    keys = {it.key for it in items}
    assert len(keys) == 17  # the three small-integer-key findings on one CREATE TABLE differ by occurrence

    # two comment lines added above every statement of the Lemmy file, messages reworded
    lemmy = (FIX / "corpus" / LEMMY).read_text()
    shifted = copy.deepcopy(findings)
    for f in shifted:
        f["message"] = "reworded: " + f["message"]
        if f["path"].endswith(LEMMY):
            f["line"] += 2
            f["end_line"] += 2

    def read(rel):
        text = (FIX / "corpus" / rel).read_text()
        return "-- new header\n-- second line;\n" + lemmy if rel == LEMMY else text

    again = precision.key_findings(shifted, FIX / "corpus", read=read)
    assert {it.key for it in again} == keys

    # a change to the statement's text is a different finding
    def edited(rel):
        text = (FIX / "corpus" / rel).read_text()
        return text.replace("pending = FALSE", "pending = TRUE")

    changed = precision.key_findings(findings, FIX / "corpus", read=edited)
    diff = {it.finding["rule"] for it in changed if it.key not in keys}
    assert diff == {"backfill-in-ddl-transaction", "missing-statement-timeout"}


def test_sample_is_seeded_stratified_and_stable(precision, findings):
    items = precision.key_findings(findings, FIX / "corpus")
    s = precision.sample(items, per_rule=2)
    assert sum(len(v) for v in s.values()) == 16  # 13 rules; 3 of them have 2+ findings
    assert [len(s[r]) for r in ("missing-lock-timeout", "small-integer-key", "drop-column")] == [2, 2, 1]
    sik = sorted(by_rule(items, "small-integer-key"), key=lambda it: it.rank)
    assert [it.key for it in s["small-integer-key"]] == [it.key for it in sik[:2]]
    # same report in another order: same sample; another seed: another order
    rev = precision.key_findings(list(reversed(findings)), FIX / "corpus")
    assert {k: [it.key for it in v] for k, v in precision.sample(rev, 2).items()} == \
        {k: [it.key for it in v] for k, v in s.items()}
    other = precision.key_findings(findings, FIX / "corpus", seed="other")
    assert {it.rank for it in other}.isdisjoint({it.rank for it in items})
    # dropping a finding of one rule leaves the other rules' samples alone
    fewer = precision.key_findings([f for f in findings if f["rule"] != "drop-column"], FIX / "corpus")
    s2 = precision.sample(fewer, 2)
    assert "drop-column" not in s2
    assert all([it.key for it in s2[r]] == [it.key for it in s[r]] for r in s2)


def labels_for(precision, items, per_rule=2):
    """Labels: missing-lock-timeout worth + noise, all three small-integer-key noise,
    serial-column worth, timestamp-without-time-zone wrong, and one label whose finding is gone."""
    mlt = sorted(by_rule(items, "missing-lock-timeout"), key=lambda it: it.rank)
    entries = [
        {"key": mlt[0].key, "verdict": "worth", "reason": "r"},
        {"key": mlt[1].key, "verdict": "noise", "reason": "r"},
        *({"key": it.key, "verdict": "noise", "reason": "r"} for it in by_rule(items, "small-integer-key")),
        {"key": by_rule(items, "serial-column")[0].key, "verdict": "worth", "reason": "r"},
        {"key": by_rule(items, "timestamp-without-time-zone")[0].key, "verdict": "wrong", "reason": "r"},
        {"key": "00000000deadbeef", "verdict": "worth", "reason": "finding since fixed"},
    ]
    return entries


def test_weighted_precision_arithmetic(precision, findings, tmp_path):
    items = precision.key_findings(findings, FIX / "corpus")
    s = precision.sample(items, per_rule=2)
    path = tmp_path / "labels.yaml"
    path.write_text("# rubric comment\n" + precision.dump_labels(labels_for(precision, items)))
    labels = precision.load_labels(path)
    sc = precision.score(items, s, labels)
    assert sc.total == 17
    # rules with labels: missing-lock-timeout (2 findings, 1/2 worth), small-integer-key
    # (3 findings, 0/2 worth), serial-column (1, 1/1), timestamp-without-time-zone (1, 0/1, wrong)
    assert sc.covered == 7
    assert sc.weighted["worth"] == pytest.approx((2 * 0.5 + 3 * 0 + 1 * 1 + 1 * 0) / 7)
    assert sc.weighted["noise"] == pytest.approx((2 * 0.5 + 3 * 1) / 7)
    assert sc.weighted["wrong"] == pytest.approx(1 / 7)
    assert sum(sc.weighted.values()) == pytest.approx(1)
    rs = {r.rule: r for r in sc.rules}
    assert (rs["small-integer-key"].count, rs["small-integer-key"].sampled, rs["small-integer-key"].labelled) == (3, 2, 2)
    assert rs["missing-lock-timeout"].share("worth") == 0.5 and rs["drop-column"].share("worth") is None
    assert [g["key"] for g in sc.gone] == ["00000000deadbeef"]
    assert sc.unsampled == 1  # the third small-integer-key finding
    assert len(sc.unlabelled) == 16 - 6


def test_main_prints_the_weighted_figures(precision, findings, tmp_path, capsys):
    items = precision.key_findings(findings, FIX / "corpus")
    labels = tmp_path / "labels.yaml"
    labels.write_text(precision.dump_labels(labels_for(precision, items)))
    stubs = tmp_path / "stubs.yaml"
    rc = precision.main(["--report", str(FIX / "report.json"), "--corpus", str(FIX / "corpus"),
                         "--labels", str(labels), "--per-rule", "2", "--unlabelled", "--stubs", str(stubs)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "weighted precision (worth flagging): 28.6%" in out
    assert "weighted wrong (factually false):     14.3%" in out
    assert "labels gone (finding no longer reported): 1" in out
    assert ">    4 | ALTER TABLE crate_owners DROP CONSTRAINT" not in out  # line 2 holds it
    assert ">    2 | ALTER TABLE crate_owners DROP CONSTRAINT crate_owners_unique_owner_per_crate;" in out
    # the stubs are valid label entries once a verdict is filled in
    text = stubs.read_text().replace('verdict: ""', "verdict: noise").replace("verdict: ''", "verdict: noise")
    stubs.write_text(text)
    assert len(precision.load_labels(stubs)) == 10


def test_bad_labels_are_rejected(precision, tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text("- {key: abc, verdict: maybe, reason: x}\n")
    with pytest.raises(ValueError, match="maybe"):
        precision.load_labels(path)
    path.write_text("- {key: abc, verdict: worth}\n- {key: abc, verdict: noise}\n")
    with pytest.raises(ValueError, match="twice"):
        precision.load_labels(path)


def test_tags_and_reworded_labels(precision, findings, tmp_path):
    items = precision.key_findings(findings, FIX / "corpus")
    s = precision.sample(items, per_rule=2)
    entries = labels_for(precision, items)
    for e in entries[2:5]:  # the three small-integer-key labels
        e["tag"] = "int FK matching an int key"
    entries[0]["message"] = "an older wording of the finding"  # missing-lock-timeout, worth
    path = tmp_path / "labels.yaml"
    path.write_text(precision.dump_labels(entries))
    sc = precision.score(items, s, precision.load_labels(path))
    # small-integer-key: 3 findings, both sampled ones noise with that tag -> 3/7 of the
    # covered findings; missing-lock-timeout's one noise label is untagged -> 1/7
    assert sc.tags[("noise", "int FK matching an int key")] == pytest.approx(3 / 7)
    assert sc.tags[("noise", "untagged")] == pytest.approx(1 / 7)
    assert sc.tags[("wrong", "untagged")] == pytest.approx(1 / 7)
    assert sum(sc.tags.values()) == pytest.approx(1)
    # a reworded finding keeps its label (and is counted) but is listed for re-judging
    assert [it.key for it in sc.reworded] == [entries[0]["key"]]
    assert sc.weighted["worth"] == pytest.approx(2 / 7)


def test_sample_size_and_margin(precision, findings, tmp_path):
    # the rules that weigh most get more samples; a larger size draws a superset
    assert precision.sample_size(4381, 21073, 10, 150) == 31
    assert precision.sample_size(1443, 21073, 10, 150) == 10
    assert precision.sample_size(5, 21073, 10, 150) == 5
    items = precision.key_findings(findings, FIX / "corpus")
    small, big = precision.sample(items, 1), precision.sample(items, 1, per_share=17 * 2)
    assert len(big["small-integer-key"]) == 3  # round(3/17 * 34) = 6, capped at the rule's 3 findings
    assert len(big["drop-column"]) == 1 and len(small["small-integer-key"]) == 1  # capped at its one finding
    for rule, its in small.items():
        assert [it.key for it in big[rule][:1]] == [it.key for it in its]
    # standard error of the stratified estimate: small-integer-key sampled 2 of 3, one
    # worth and one noise: w = 3/7, p = 1/2, n = 2, N = 3
    entries = labels_for(precision, items)
    s = precision.sample(items, per_rule=2)
    first = s["small-integer-key"][0].key
    for e in entries:
        if e["key"] == first:
            e["verdict"] = "worth"
    path = tmp_path / "labels.yaml"
    path.write_text(precision.dump_labels(entries))
    sc = precision.score(items, s, precision.load_labels(path))
    # missing-lock-timeout: n = N = 2 (no sampling error); one-label rules add nothing
    assert sc.stderr == pytest.approx(((3 / 7) ** 2 * 0.25 / 1 * (1 - 2 / 3)) ** 0.5)
