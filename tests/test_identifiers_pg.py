"""`identifier-too-long`'s claims checked against a real PostgreSQL server.

PostgreSQL truncates identifiers to 63 bytes everywhere, so one long name works (its
CREATE and later mentions meet); two different long names with the same first 63 bytes
in one namespace are one name to the server. For each script the rule reports (with its
default ``report: collisions``) exactly when the server fails on it or drops the object
the other name created.
"""

from __future__ import annotations

import pytest

from tests.conftest import lint_tree

A = "a" * 62  # + "_x…" : 63 bytes in common once truncated

CASES = [
    # (script, server outcome: "ok", "fails" or "drops the other")
    (f"CREATE TABLE {A}_tbl (x int);\nINSERT INTO {A}_tbl VALUES (1);\nSELECT count(*) FROM {A}_tbl;\n", "ok"),
    (f"CREATE TABLE t1 (x int, y int);\nCREATE INDEX {A}_x_idx ON t1 (x);\nCREATE INDEX {A}_y_idx ON t1 (y);\n", "fails"),
    (f"CREATE TABLE t2 ({A}_col_one int, {A}_col_two int);\n", "fails"),
    (f"CREATE TABLE t3 (x int, y int);\nALTER TABLE t3 ADD CONSTRAINT {A}_x_chk CHECK (x > 0);\n"
     f"ALTER TABLE t3 ADD CONSTRAINT {A}_y_chk CHECK (y > 0);\n", "fails"),
    (f"CREATE TABLE t4 ({A}_col_one int);\nCREATE TABLE t5 ({A}_col_two int);\n", "ok"),
    (f"CREATE TABLE t6 (x int);\nCREATE TABLE t7 (x int);\nALTER TABLE t6 ADD CONSTRAINT {A}_x_chk CHECK (x > 0);\n"
     f"ALTER TABLE t7 ADD CONSTRAINT {A}_y_chk CHECK (x > 0);\n", "ok"),
    (f"CREATE TABLE t8 (x int);\nCREATE INDEX {A}_one ON t8 (x);\nDROP INDEX IF EXISTS {A}_two;\n", "drops the other"),
    (f"CREATE TABLE t9 (x int);\nCREATE INDEX {A}_one ON t9 (x);\nDROP INDEX {A}_one;\nCREATE INDEX {A}_two ON t9 (x);\n", "ok"),
]


def _server_outcome(server, script: str) -> str:
    # each case in its own schema, so the names of one case cannot meet another's
    wrapped = "DROP SCHEMA IF EXISTS c CASCADE; CREATE SCHEMA c; SET search_path = c;\n" + script
    try:
        server.sql(wrapped)
    except RuntimeError as exc:
        assert "already exists" in str(exc) or "specified more than once" in str(exc), exc
        return "fails"
    left = server.sql("SELECT count(*) FROM pg_class WHERE relnamespace = 'c'::regnamespace AND relkind = 'i';")
    if "DROP INDEX IF EXISTS" in script and left[0][0] == "0":
        return "drops the other"
    return "ok"


@pytest.mark.parametrize("script,outcome", CASES)
def test_collisions_match_the_server(pg_cluster, tmp_path, script, outcome):
    assert _server_outcome(pg_cluster, script) == outcome
    report = lint_tree(tmp_path, {"V1__case.sql": script}, enable={"identifier-too-long": "error"})
    found = [f for f in report.findings if f.rule_id == "identifier-too-long"]
    assert bool(found) == (outcome != "ok"), [f.message for f in found]
    if outcome == "drops the other":
        assert "this DROP removes what line 2 created" in found[0].message
