"""What the fixes of the locking and idempotency rules rely on, checked on a real server.

* A failed ``CREATE INDEX CONCURRENTLY`` leaves an INVALID index behind; ``IF NOT EXISTS``
  on the re-run keeps it (a notice, no error), so create-without-if-not-exists never
  suggests it: its fix puts ``DROP INDEX CONCURRENTLY IF EXISTS`` before the build.
* ``CREATE INDEX CONCURRENTLY`` sent in one query with another statement runs in
  PostgreSQL's implicit transaction and fails: why CONCURRENTLY is not offered in a
  file a tool sends as one query, nor a DROP added before a lone concurrent build there.
* ``ADD COLUMN … text, ADD CHECK (…) NOT VALID`` (varchar-length-limit's fix on an
  existing table) leaves the constraint unvalidated under the name the help gives
  (``<table>_<column>_check``); a column CHECK written inline is validated at once.
* ``SET LOCAL`` outside a transaction block does nothing (a warning): the timeout
  rules suggest plain ``SET`` where the tool runs statements without a transaction.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def server(pg_cluster):
    pg_cluster.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
                   "CREATE TABLE dup (a int); INSERT INTO dup VALUES (1), (1);"
                   "CREATE TABLE charges (id int); INSERT INTO charges VALUES (1);")
    return pg_cluster


def _valid(server, name: str) -> list[list[str]]:
    return server.sql(f"SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('{name}')")


def test_failed_concurrent_build_leaves_an_invalid_index_that_if_not_exists_keeps(server):
    with pytest.raises(RuntimeError, match="could not create unique index"):
        server.sql("CREATE UNIQUE INDEX CONCURRENTLY dup_a ON dup (a);")
    assert _valid(server, "dup_a") == [["f"]]
    with pytest.raises(RuntimeError, match='relation "dup_a" already exists'):
        server.sql("CREATE UNIQUE INDEX CONCURRENTLY dup_a ON dup (a);")
    server.sql("DELETE FROM dup WHERE ctid <> (SELECT min(ctid) FROM dup);")  # the cause is fixed
    server.sql("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dup_a ON dup (a);")  # a notice only
    assert _valid(server, "dup_a") == [["f"]]  # the re-run kept the INVALID index
    server.sql("DROP INDEX CONCURRENTLY IF EXISTS dup_a;\nCREATE UNIQUE INDEX CONCURRENTLY dup_a ON dup (a);")
    assert _valid(server, "dup_a") == [["t"]]


def test_concurrent_build_in_a_multi_statement_query_fails(server):
    # psql's \; sends both statements as one simple query, as golang-migrate and dbmate do
    with pytest.raises(RuntimeError, match="cannot run inside a transaction block"):
        server.sql("DROP INDEX CONCURRENTLY IF EXISTS dup_b \\; CREATE INDEX CONCURRENTLY dup_b ON dup (a);")
    server.sql("CREATE INDEX CONCURRENTLY dup_b ON dup (a);")  # alone it runs
    assert _valid(server, "dup_b") == [["t"]]


def test_add_column_with_check_not_valid(server):
    server.sql("ALTER TABLE charges ADD COLUMN currency text NOT NULL DEFAULT 'USD', "
               "ADD CHECK (char_length(currency) <= 3) NOT VALID;\n"
               "ALTER TABLE charges ADD COLUMN code text CHECK (char_length(code) <= 3);")
    rows = server.sql("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'charges'::regclass ORDER BY conname")
    assert rows == [["charges_code_check", "t"], ["charges_currency_check", "f"]]
    server.sql("ALTER TABLE charges VALIDATE CONSTRAINT charges_currency_check;")


def test_set_local_outside_a_transaction_does_nothing(server):
    assert server.sql("SET LOCAL lock_timeout = '5s';\nSHOW lock_timeout;") == [["0"]]
    assert server.sql("SET lock_timeout = '5s';\nSHOW lock_timeout;\nRESET lock_timeout;\nSHOW lock_timeout;") == [["5s"], ["0"]]


def test_set_local_works_in_the_implicit_transaction_of_a_multi_statement_query(server):
    # one simple query (psql \;), as golang-migrate sends a file: SET LOCAL applies to it, then ends
    assert server.sql("SET LOCAL lock_timeout = '5s' \\; SHOW lock_timeout;\nSHOW lock_timeout;") == [["5s"], ["0"]]
