"""``miglint verify`` on a real server: re-running a migration that commits in steps after a
simulated failure at each commit point (verify-not-rerunnable), the INVALID index a failed
CONCURRENTLY build leaves (verify-invalid-index), locks the static model did not predict
(verify-lock-differs) and the DETACH PARTITION … CONCURRENTLY gate. Rule cases are in
tests/cases/verify-*.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.pg import transactions
from linter.source import Source
from tests.test_verify_replay import _verify

psycopg = pytest.importorskip("psycopg")


@pytest.fixture(scope="module")
def server(pg_cluster):
    return pg_cluster.server


def _file(result, name):
    return next(fr for fr in result.files if fr.path.endswith(name))


GOOSE_HEAD = "-- +goose NO TRANSACTION\n-- +goose Up\n"


def test_commit_points_follow_the_tools_transactions():
    from linter.verify.replay import commit_points

    def points(text, shape):
        tx = transactions.ToolTransaction(wrapped=shape != "autocommit", why="test", implicit=shape == "implicit")
        return commit_points([s for s in Source(text).statements], tx)

    three = "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN b int;\nALTER TABLE t ADD COLUMN c int;\n"
    assert points(three, "autocommit") == [1, 2]  # after each statement but the last
    assert points(three, "wrapped") == []  # one transaction: none
    assert points(three, "implicit") == []  # one implicit block: none
    with_commit = "ALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nALTER TABLE t ADD COLUMN b int;\nALTER TABLE t ADD COLUMN c int;\n"
    assert points(with_commit, "implicit") == [2]  # the file's COMMIT commits the block so far
    assert points(with_commit, "wrapped") == [2, 3]  # it ends the tool's transaction: autocommit after it


def test_unguarded_rerun_fails_and_guarded_rerun_passes(tmp_path, server):
    base = "-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- +goose Down\nDROP TABLE users;\n"
    bad = {
        "migrations/20240101000000_users.sql": base,
        "migrations/20240102000000_more.sql": (GOOSE_HEAD + "ALTER TABLE users ADD COLUMN nickname text;\n"
                                               "ALTER TABLE users ADD COLUMN age int;\n"
                                               "CREATE INDEX CONCURRENTLY users_age_idx ON users (age);\n"
                                               "-- +goose Down\nALTER TABLE users DROP COLUMN age, DROP COLUMN nickname;\n"),
    }
    result, found = _verify(tmp_path / "bad", bad, server)
    fr = _file(result, "_more.sql")
    assert fr.status == "applied"
    # three statements in autocommit: stopped after line 3, then after line 4
    assert [rr.committed for rr in fr.reruns] == [1, 2]
    assert [rr.run.status for rr in fr.reruns] == ["failed", "failed"]
    assert {s.sqlstate for rr in fr.reruns for s in rr.run.statements if s.status == "failed"} == {"42701"}
    rerun = [f for f in found if f.rule_id == "verify-not-rerunnable"]
    # one finding per failing statement, after the earliest commit point that makes it fail
    # (each run again stops at line 3, so line 4 is not reached)
    assert [(f.span.start.line, f.properties["stopped_after_line"], f.properties["sqlstate"]) for f in rerun] == [(3, 3, "42701")]
    assert "running this migration again fails here: 42701" in rerun[0].message

    good = dict(bad)
    good["migrations/20240102000000_more.sql"] = (GOOSE_HEAD + "ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text;\n"
                                                  "ALTER TABLE users ADD COLUMN IF NOT EXISTS age int;\n"
                                                  "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_age_idx ON users (age);\n"
                                                  "-- +goose Down\nALTER TABLE users DROP COLUMN age, DROP COLUMN nickname;\n")
    result, found = _verify(tmp_path / "good", good, server)
    fr = _file(result, "_more.sql")
    assert [(rr.run.status, rr.drift) for rr in fr.reruns] == [("applied", []), ("applied", [])]
    assert not [f for f in found if f.rule_id in ("verify-not-rerunnable", "verify-invalid-index")]


def test_a_file_in_one_transaction_is_not_rerun(tmp_path, server):
    files = {"migrations/20240101000000_users.sql": "-- +goose Up\nCREATE TABLE users (id int);\nALTER TABLE users ADD COLUMN a int;\n-- +goose Down\nDROP TABLE users;\n"}
    result, found = _verify(tmp_path, files, server)
    assert result.files[0].status == "applied" and result.files[0].reruns == []
    assert not [f for f in found if f.rule_id == "verify-not-rerunnable"]


def test_failed_unique_concurrent_index_leaves_an_invalid_index(tmp_path, server):
    """The trap: CREATE UNIQUE INDEX CONCURRENTLY fails on duplicate rows (23505) after
    committing the index's catalog entry; with IF NOT EXISTS a run again "succeeds" and the
    index stays invalid."""
    seed = ("-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
            "INSERT INTO users VALUES (1, 'a@example.com'), (2, 'a@example.com');\n-- +goose Down\nDROP TABLE users;\n")
    guarded = {
        "migrations/20240101000000_users.sql": seed,
        "migrations/20240102000000_uniq.sql": GOOSE_HEAD + "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);\n-- +goose Down\nDROP INDEX users_email_key;\n",
    }
    result, found = _verify(tmp_path / "guarded", guarded, server)
    fr = _file(result, "_uniq.sql")
    assert fr.status == "failed" and fr.statements[0].sqlstate == "23505"
    assert fr.invalid_indexes == ["public.users_email_key"]
    assert fr.again is not None and fr.again.status == "applied"  # the trap: the run again passes
    (inv,) = [f for f in found if f.rule_id == "verify-invalid-index"]
    assert inv.span.start.line == 3 and inv.properties["indexes"] == ["public.users_email_key"]
    assert "applies and leaves it invalid" in inv.message
    assert [f.rule_id for f in found if f.rule_id == "verify-statement-failed"] == ["verify-statement-failed"]

    unguarded = dict(guarded)
    unguarded["migrations/20240102000000_uniq.sql"] = GOOSE_HEAD + "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n-- +goose Down\nDROP INDEX users_email_key;\n"
    result, found = _verify(tmp_path / "unguarded", unguarded, server)
    fr = _file(result, "_uniq.sql")
    assert fr.again is not None and fr.again.status == "failed" and fr.again.statements[0].sqlstate == "42P07"
    (inv,) = [f for f in found if f.rule_id == "verify-invalid-index"]
    assert "fails here (42P07" in inv.message


def test_no_invalid_index_after_a_clean_build(tmp_path, server):
    files = {
        "migrations/20240101000000_users.sql": "-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- +goose Down\nDROP TABLE users;\n",
        "migrations/20240102000000_uniq.sql": GOOSE_HEAD + "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n-- +goose Down\nDROP INDEX users_email_key;\n",
    }
    result, found = _verify(tmp_path, files, server)
    assert _file(result, "_uniq.sql").invalid_indexes == []
    assert not [f for f in found if f.rule_id == "verify-invalid-index"]


def test_detach_partition_concurrently_is_observed_behind_a_gate_on_the_partition(tmp_path, server):
    """With a writer on the partition, DETACH … CONCURRENTLY is seen holding SHARE UPDATE
    EXCLUSIVE on the parent and asking ACCESS EXCLUSIVE on the partition (its second
    transaction): what the static model predicts."""
    files = {
        "migrations/20240101000000_p.sql": ("-- +goose Up\nCREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\n"
                                            "CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
                                            "-- +goose Down\nDROP TABLE m;\n"),
        "migrations/20240102000000_detach.sql": GOOSE_HEAD + "ALTER TABLE m DETACH PARTITION m_2024 CONCURRENTLY;\n-- +goose Down\nSELECT 1;\n",
    }
    result, found = _verify(tmp_path, files, server)
    (sr,) = _file(result, "_detach.sql").statements
    assert sr.status == "ok" and sr.observed, sr
    got = {(lk.relation, lk.mode.label, lk.granted) for lk in sr.locks}
    assert ("public.m", "SHARE UPDATE EXCLUSIVE", True) in got
    assert ("public.m_2024", "ACCESS EXCLUSIVE", False) in got
    assert not [f for f in found if f.rule_id == "verify-lock-differs"]
    claims = [f.properties["verification"]["status"] for f in found if "verification" in f.properties and f.path.endswith("_detach.sql")]
    assert claims and set(claims) == {"confirmed"}, claims


def test_static_rerun_claims_are_verified_and_not_repeated(tmp_path, server):
    """create-without-if-not-exists says a re-run fails at the ADD COLUMN: the re-run
    confirms it, and verify-not-rerunnable is not repeated on that statement; with the
    static rule off, verify-not-rerunnable reports it."""
    from linter import config as configmod
    from linter.discovery import discover
    from linter.verify import run

    files = {
        "migrations/20240101000000_a.sql": "-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- +goose Down\nDROP TABLE users;\n",
        "migrations/20240102000000_b.sql": (GOOSE_HEAD + "ALTER TABLE users ADD COLUMN nickname text;\n"
                                            "CREATE INDEX CONCURRENTLY users_n ON users (nickname);\n-- +goose Down\nDROP INDEX users_n;\n"),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = discover([str(tmp_path)], base_dir=str(tmp_path)).files
    report, _ = run(found, configmod.load_preset("default"), server=server)
    static = [f for f in report.findings if f.rule_id == "create-without-if-not-exists" and f.span.start.line == 3]
    assert static and static[0].properties["verification"]["status"] == "confirmed"
    assert "run again after line 3: 42701" in static[0].properties["verification"]["observed"]
    assert not [f for f in report.findings if f.rule_id == "verify-not-rerunnable"]
    (tmp_path / ".miglint.yml").write_text("extends: default\nrules:\n  create-without-if-not-exists: disable\n")
    cfg = configmod.load(str(tmp_path / ".miglint.yml"), cwd=tmp_path)
    report, _ = run(found, cfg, server=server)
    assert [f.span.start.line for f in report.findings if f.rule_id == "verify-not-rerunnable"] == [3]


def test_static_cic_rerun_claim_is_confirmed_by_the_invalid_index_a_failed_build_leaves(tmp_path, server):
    """create-without-if-not-exists says of a CREATE INDEX CONCURRENTLY without a DROP INDEX
    CONCURRENTLY IF EXISTS before it: "a failed build leaves an INVALID index behind, and the
    re-run fails". With the seed's duplicate rows the unique build fails (23505), the index
    is left INVALID, and the file run again on that fails at it (42P07): confirmed. An
    earlier statement that committed before the failure is judged by the same run again."""
    from linter import config as configmod
    from linter.discovery import discover
    from linter.verify import run

    files = {
        "migrations/20240101000000_users.sql": "-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- +goose Down\nDROP TABLE users;\n",
        "migrations/20240102000000_uniq.sql": (GOOSE_HEAD + "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
                                               "-- +goose Down\nDROP INDEX users_email_key;\n"),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = discover([str(tmp_path)], base_dir=str(tmp_path)).files
    cfg = configmod.load_preset("default")
    seed = (("seed.sql", "INSERT INTO users VALUES (1, 'a@example.com'), (2, 'a@example.com');\n"),)

    def claim(report, line):
        (f,) = [f for f in report.findings if f.rule_id == "create-without-if-not-exists" and f.span.start.line == line]
        return f.properties.get("verification")

    report, result = run(found, cfg, server=server, seed=seed)
    fr = _file(result, "_uniq.sql")
    assert fr.status == "failed" and fr.invalid_indexes == ["public.users_email_key"]
    v = claim(report, 3)
    assert v["status"] == "confirmed", v
    assert "the build failed (23505" in v["observed"] and "INVALID index public.users_email_key" in v["observed"]
    assert "it failed here: 42P07" in v["observed"]
    # without the seed the build succeeds: no failure, nothing run again, no verification of the claim
    report, result = run(found, cfg, server=server)
    assert _file(result, "_uniq.sql").status == "applied" and claim(report, 3) is None

    # a statement that committed before the failed build: the run again fails at it first
    (tmp_path / "migrations/20240102000000_uniq.sql").write_text(
        GOOSE_HEAD + "ALTER TABLE users ADD COLUMN nick text;\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
        "-- +goose Down\nDROP INDEX users_email_key;\nALTER TABLE users DROP COLUMN nick;\n")
    report, result = run(found, cfg, server=server, seed=seed)
    v = claim(report, 3)
    assert v["status"] == "confirmed" and "it ran and committed, then the file failed at line 4" in v["observed"]
    assert "it failed here: 42701" in v["observed"]
    assert claim(report, 4) is None  # the run again stopped before the build
