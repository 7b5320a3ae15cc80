"""Lock parity through ``miglint verify``: every statement kind of the lock table that
tests/test_pg.py checks with psql, and the CONCURRENTLY forms (observed behind a writer
gate), replayed by linter/verify/replay.py: the strongest mode observed on each relation
the static model names is the mode it predicts. A verify self-test (the design brief's
test plan, item 1)."""

from __future__ import annotations

import pytest

from linter import config as configmod
from linter.discovery import discover
from linter.pg import locks
from tests.test_pg import REAL_CASES, SETUP, _stmt

psycopg = pytest.importorskip("psycopg")

#: CONCURRENTLY forms, run outside a transaction (``-- flyway:executeInTransaction=false``:
#: Flyway itself does not class REINDEX … CONCURRENTLY as non-transactional, see
#: test_flyway_runs_reindex_concurrently_in_a_transaction).
GATED_CASES = [
    "CREATE INDEX CONCURRENTLY users_name_idx ON users (name)",
    "DROP INDEX CONCURRENTLY users_email_idx",
    "REINDEX INDEX CONCURRENTLY users_email_idx",
    "REINDEX TABLE CONCURRENTLY users",
]


@pytest.fixture(scope="module")
def observed(pg_cluster, tmp_path_factory):
    from linter.verify.replay import replay

    root = tmp_path_factory.mktemp("parity")
    cases = REAL_CASES + GATED_CASES
    for i, sql in enumerate(cases):
        d = root / f"case{i:02d}"
        d.mkdir()
        (d / "V1__setup.sql").write_text(SETUP)
        head = "-- flyway:executeInTransaction=false\n" if sql in GATED_CASES else ""
        (d / "V2__statement.sql").write_text(head + sql + ";\n")
    cfg = configmod.load_preset("default")
    found = discover([str(root)], base_dir=str(root))
    result = replay(found.files, cfg, pg_cluster.server)
    runs = {fr.path.split("/")[-2]: fr for fr in result.files if fr.path.endswith("V2__statement.sql")}
    return {sql: runs[f"case{i:02d}"] for i, sql in enumerate(cases)}, pg_cluster.version


@pytest.mark.parametrize("sql", REAL_CASES + GATED_CASES)
def test_observed_locks_match_the_static_model(observed, sql):
    runs, version = observed
    fr = runs[sql]
    assert fr.status == "applied", (fr.status, fr.reason, [(s.sqlstate, s.message) for s in fr.statements])
    (sr,) = fr.statements
    assert sr.observed, f"{sql}: not observed"
    held = {}
    for lk in sr.locks:
        name = lk.relation.split(".", 1)[1]
        held[name] = max(held.get(name, lk.mode), lk.mode)
    predicted = {}
    for e in locks.effects(_stmt(sql), version):
        predicted[e.relation] = max(predicted.get(e.relation, e.mode), e.mode)
    assert predicted
    for rel, mode in predicted.items():
        assert held.get(rel) == mode, f"{sql}: {rel} predicted {mode.label}, observed {held.get(rel)} (all: {sr.locks})"


def test_flyway_runs_reindex_concurrently_in_a_transaction(pg_cluster, tmp_path):
    """linter/pg/transactions.py: Flyway's PostgreSQLParser does not know REINDEX …
    CONCURRENTLY, so a script holding it runs in a transaction and fails: the server says so."""
    from linter.verify.replay import replay

    (tmp_path / "V1__setup.sql").write_text(SETUP)
    (tmp_path / "V2__reindex.sql").write_text("REINDEX TABLE CONCURRENTLY users;\n")
    found = discover([str(tmp_path)], base_dir=str(tmp_path))
    result = replay(found.files, configmod.load_preset("default"), pg_cluster.server)
    (sr,) = result.files[1].statements
    assert (result.files[1].status, sr.sqlstate, sr.in_transaction) == ("failed", "25001", True)
