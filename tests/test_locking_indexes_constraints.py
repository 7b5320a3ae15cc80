"""The index, constraint and partition lock rules: their claims checked against a real
PostgreSQL server, their fixes applied, and transaction detection across several files
(diesel metadata.toml, ory popx ``.autocommit.``)."""

from __future__ import annotations

import subprocess

import pytest

from linter.pg import transactions
from linter.source import Source
from tests.conftest import lint_tree

SETUP = """
CREATE TABLE users (id bigint PRIMARY KEY, email text, code text);
CREATE TABLE orders (id bigint, user_id bigint, total int);
INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 50) g;
INSERT INTO orders SELECT g, g, g FROM generate_series(1, 50) g;
CREATE INDEX users_email_idx ON users (email);
CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2025 (id bigint, at date);
INSERT INTO events_2025 VALUES (1, '2025-06-01');
CREATE TYPE mood AS ENUM ('happy');
"""


@pytest.fixture(scope="module")
def server(pg_cluster):
    pg_cluster.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;" + SETUP)
    return pg_cluster


def _stmt(sql: str):
    src = Source(sql)
    assert src.error is None, src.error
    return src.statements[0]


def _error(server, script: str) -> str:
    try:
        server.sql(script)
    except RuntimeError as exc:
        return str(exc)
    return ""


# --------------------------------------------------------------------------- transactions

REFUSED_IN_TRANSACTION = [
    "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id)",
    "DROP INDEX CONCURRENTLY users_email_idx",
    "REINDEX INDEX CONCURRENTLY users_email_idx",
    "REINDEX (CONCURRENTLY) TABLE users",
    "REINDEX SCHEMA public",
    "REINDEX DATABASE postgres",
    "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY",
    "VACUUM users",
    "VACUUM FULL users",
    "CLUSTER",
    "CREATE DATABASE miglint_x",
    "DROP DATABASE miglint_x",
    "CREATE TABLESPACE miglint_x LOCATION '/nonexistent'",
    "ALTER SYSTEM SET work_mem = '8MB'",
    "DISCARD ALL",
]

ALLOWED_IN_TRANSACTION = [
    "CREATE INDEX orders_user_idx ON orders (user_id)",
    "REINDEX TABLE users",
    "ANALYZE users",
    "ALTER TYPE mood ADD VALUE 'sad'",
    "DISCARD PLANS",
    "CLUSTER users USING users_pkey",
]


@pytest.mark.parametrize("sql", REFUSED_IN_TRANSACTION)
def test_statements_refused_in_a_transaction_block(server, sql):
    assert transactions.cannot_run_in_transaction(_stmt(sql), server.version)
    if "DETACH" in sql:  # needs a partition to detach
        server.sql("CREATE TABLE IF NOT EXISTS events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    err = _error(server, f"BEGIN;\n{sql};\nROLLBACK;")
    assert "cannot run inside a transaction block" in err, err
    err = _error(server, f"DO $miglint$ BEGIN {sql}; END $miglint$;")
    assert "cannot be executed from a function" in err or "cannot run inside a transaction block" in err, err


@pytest.mark.parametrize("sql", ALLOWED_IN_TRANSACTION)
def test_statements_allowed_in_a_transaction_block(server, sql):
    assert transactions.cannot_run_in_transaction(_stmt(sql), server.version) is None
    assert _error(server, f"BEGIN;\n{sql};\nROLLBACK;") == ""


def test_alter_type_add_value_before_pg_12():
    st = _stmt("ALTER TYPE mood ADD VALUE 'sad'")
    assert transactions.cannot_run_in_transaction(st, 11)
    assert transactions.flyway_runs_outside(st, 11) and not transactions.flyway_runs_outside(st, 12)


def test_a_multi_statement_query_is_an_implicit_transaction(server):
    """What golang-migrate, Prisma, and dbmate/diesel/sqlx without their transaction do:
    send the file as one query (protocol 55.2.2.1)."""

    def one_query(sql):
        cmd = [server.psql, "-h", str(server.sock), "-p", str(server.port), "-U", "postgres", "-d", "postgres", "-X", "-c", sql]
        return subprocess.run(cmd, capture_output=True, text=True)

    r = one_query("SELECT 1; CREATE INDEX CONCURRENTLY users_code_idx ON users (code)")
    assert r.returncode != 0 and "cannot run inside a transaction block" in r.stderr
    r = one_query("CREATE INDEX CONCURRENTLY users_code_idx ON users (code)")
    assert r.returncode == 0, r.stderr
    server.sql("DROP INDEX users_code_idx")


# --------------------------------------------------------------------------- scans


def _scans(server, sql: str, table: str) -> bool:
    """True when ``sql`` read ``table`` sequentially (pg_stat_xact_user_tables.seq_scan)."""
    rows = server.sql(
        f"BEGIN;\n{sql};\nSELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = '{table}';\nROLLBACK;"
    )
    return bool(rows) and int(rows[0][0]) > 0


#: (rule, statement, table): the rule fires exactly when PostgreSQL scans the table.
SCAN_CASES = [
    ("check-constraint-without-not-valid", "ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0)", "orders"),
    ("check-constraint-without-not-valid", "ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID", "orders"),
    ("check-constraint-without-not-valid", "ALTER TABLE orders ADD COLUMN qty int CHECK (qty > 0)", "orders"),
    ("foreign-key-without-not-valid", "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)", "orders"),
    ("foreign-key-without-not-valid", "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID", "orders"),
    ("foreign-key-without-not-valid", "ALTER TABLE orders ADD COLUMN owner bigint REFERENCES users (id)", "orders"),
    ("foreign-key-without-not-valid", "ALTER TABLE orders ADD COLUMN owner bigint DEFAULT 1 REFERENCES users (id)", "orders"),
    ("unique-constraint-without-index", "ALTER TABLE users ADD CONSTRAINT users_code_key UNIQUE (code)", "users"),
    ("unique-constraint-without-index", "ALTER TABLE orders ADD PRIMARY KEY (id)", "orders"),
    ("attach-partition-without-check", "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')", "events_2025"),
    ("attach-partition-without-check",
     "ALTER TABLE events_2025 ADD CONSTRAINT b CHECK (at IS NOT NULL AND at >= '2025-01-01' AND at < '2026-01-01');\n"
     "CREATE TEMP TABLE before AS SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'events_2025';\n"
     "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')", None),
]


@pytest.mark.parametrize("rule, sql, table", SCAN_CASES)
def test_rules_fire_exactly_when_the_server_scans(server, tmp_path, rule, sql, table):
    last = sql.rsplit(";\n", 1)[-1]
    if table is None:  # the scan of events_2025 by the ATTACH alone: compare before/after
        rows = server.sql(
            f"BEGIN;\n{sql};\nSELECT s.seq_scan - b.seq_scan FROM pg_stat_xact_user_tables s, before b "
            "WHERE s.relname = 'events_2025';\nROLLBACK;"
        )
        scanned = int(rows[-1][0]) > 0
    else:
        scanned = _scans(server, sql, table)
    statements = "".join(s + ";\n" for s in sql.split(";\n") if not s.startswith(("SELECT", "CREATE TEMP")))
    report = lint_tree(tmp_path, {"V1__x.sql": statements}, enable={rule: "error"})
    fired = [f for f in report.findings if f.rule_id == rule and f.span.start.line == statements.count("\n")]
    assert bool(fired) == scanned, f"{rule} on {last!r}: fired={bool(fired)}, server scanned={scanned}"


def test_not_valid_then_validate_in_one_transaction_holds_the_add_lock(server):
    rows = server.sql(
        "BEGIN;\nALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT c;\n"
        "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'orders' AND l.pid = pg_backend_pid();\nROLLBACK;"
    )
    assert ["AccessExclusiveLock"] in rows
    rows = server.sql(
        "ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;\n"
        "BEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT c;\n"
        "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'orders' AND l.pid = pg_backend_pid();\nROLLBACK;\n"
        "ALTER TABLE orders DROP CONSTRAINT c;"
    )
    assert rows == [["ShareUpdateExclusiveLock"]]


def test_postgresql_refusals_the_help_texts_mention(server):
    assert "does not support dropping multiple objects" in _error(server, "DROP INDEX CONCURRENTLY users_email_idx, users_pkey;")
    assert "syntax error" in _error(server, "ALTER TABLE orders ADD COLUMN o bigint REFERENCES users NOT VALID;")
    assert "cannot create index on partitioned table" in _error(server, "CREATE INDEX CONCURRENTLY e_idx ON events (at);")
    assert _error(server, "CREATE INDEX e_idx ON ONLY events (at); DROP INDEX e_idx;") == ""
    err = _error(server, "ALTER TABLE events ADD COLUMN user_id bigint REFERENCES users (id);\n"
                 "ALTER TABLE events ADD CONSTRAINT e_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;")
    server.sql("ALTER TABLE events DROP COLUMN IF EXISTS user_id;")
    assert "cannot add NOT VALID foreign key on partitioned table" in err or server.version >= 18, err
    assert "cannot detach partitions concurrently when a default partition exists" in _error(
        server, "CREATE TABLE events_default PARTITION OF events DEFAULT;\n"
        "ALTER TABLE events DETACH PARTITION events_default CONCURRENTLY;")
    server.sql("DROP TABLE IF EXISTS events_default;")


# --------------------------------------------------------------------------- fixes

FIXES = [
    ("non-concurrent-create-index", "CREATE UNIQUE INDEX /* c */ users_code_idx ON users (code);\n",
     "CREATE UNIQUE INDEX CONCURRENTLY /* c */ users_code_idx ON users (code);\n"),
    ("non-concurrent-drop-index", "DROP INDEX IF EXISTS users_email_idx;\n", "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n"),
    ("non-concurrent-reindex", "REINDEX (VERBOSE) TABLE users;\n", "REINDEX (VERBOSE) TABLE CONCURRENTLY users;\n"),
    ("non-concurrent-detach-partition", "ALTER TABLE events DETACH PARTITION events_2024;\n",
     "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;\n"),
    ("check-constraint-without-not-valid", "ALTER TABLE orders ADD CONSTRAINT a CHECK (total > 0), ADD CONSTRAINT b CHECK ((total) < 100);\n",
     "ALTER TABLE orders ADD CONSTRAINT a CHECK (total > 0) NOT VALID, ADD CONSTRAINT b CHECK ((total) < 100) NOT VALID;\n"),
    ("foreign-key-without-not-valid",
     "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE DEFERRABLE;\n",
     "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE DEFERRABLE NOT VALID;\n"),
]


def _apply(text: str, fixes) -> str:
    for fx in sorted(fixes, key=lambda f: -f.start):
        text = text[: fx.start] + fx.replacement + text[fx.end :]
    return text


@pytest.mark.parametrize("rule, sql, fixed", FIXES)
def test_fixes_give_statements_the_server_runs(server, tmp_path, rule, sql, fixed):
    path = "0001_x.up.sql"  # a lone statement: golang-migrate runs it outside a transaction
    report = lint_tree(tmp_path, {path: sql}, enable={rule: "error"})
    found = [f for f in report.findings if f.rule_id == rule]
    assert found and all(f.fix for f in found), found
    assert _apply(sql, [f.fix for f in found]) == fixed
    assert not [f for f in lint_tree(tmp_path / "again", {path: fixed}, enable={rule: "error"}).findings if f.rule_id == rule]
    if "DETACH" in fixed:
        server.sql("CREATE TABLE IF NOT EXISTS events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    server.sql(fixed)  # psql sends each statement on its own, as a lone-statement migration does
    if "CREATE UNIQUE INDEX" in fixed:
        server.sql("DROP INDEX users_code_idx")
    if "DROP INDEX" in fixed:
        server.sql("CREATE INDEX users_email_idx ON users (email)")
    if "ADD CONSTRAINT a" in fixed:
        server.sql("ALTER TABLE orders DROP CONSTRAINT a, DROP CONSTRAINT b")
    if "ADD CONSTRAINT fk" in fixed:
        server.sql("ALTER TABLE orders DROP CONSTRAINT fk")


def test_transaction_markers_are_fixed_where_one_edit_does_it(tmp_path):
    rule = "non-transactional-statement-in-transaction"
    sql = "-- migrate:up\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n-- migrate:down\r\n"
    (f,) = [f for f in lint_tree(tmp_path / "a", {"db/20240101000000_x.sql": sql}, enable={rule: "error"}).findings]
    fixed = _apply(sql, [f.fix])
    assert fixed.startswith("-- migrate:up transaction:false\r\n")
    assert not lint_tree(tmp_path / "b", {"db/20240101000000_x.sql": fixed}, enable={rule: "error"}).findings
    sql = "-- +goose Up\nDROP INDEX CONCURRENTLY i;\n"
    (f,) = lint_tree(tmp_path / "c", {"00042_x.sql": sql}, enable={rule: "error"}).findings
    fixed = _apply(sql, [f.fix])
    assert fixed.startswith("-- +goose NO TRANSACTION\n")
    assert not lint_tree(tmp_path / "d", {"00042_x.sql": fixed}, enable={rule: "error"}).findings


# --------------------------------------------------------------------------- several files


def test_diesel_metadata_toml_takes_the_migration_out_of_its_transaction(tmp_path):
    # rust-lang__crates.io: run_in_transaction = false next to a lone CREATE INDEX CONCURRENTLY
    rule = "non-transactional-statement-in-transaction"
    d = "migrations/2024-03-05-120032_add-crate-downloads-index"
    files = {f"{d}/up.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON crate_downloads (version_id);\n",
             f"{d}/down.sql": "DROP INDEX IF EXISTS i;\n", f"{d}/metadata.toml": "run_in_transaction = false\n"}
    assert not [f for f in lint_tree(tmp_path / "a", files, enable={rule: "error"}).findings if f.rule_id == rule]
    files[f"{d}/up.sql"] = "CREATE INDEX CONCURRENTLY i ON crate_downloads (a);\nCREATE INDEX CONCURRENTLY j ON crate_downloads (b);\n"
    found = [f for f in lint_tree(tmp_path / "b", files, enable={rule: "error"}).findings if f.rule_id == rule]
    assert len(found) == 2 and "implicit transaction" in found[0].message
    del files[f"{d}/metadata.toml"]
    files[f"{d}/up.sql"] = "CREATE INDEX CONCURRENTLY i ON crate_downloads (a);\n"
    (f,) = [f for f in lint_tree(tmp_path / "c", files, enable={rule: "error"}).findings if f.rule_id == rule]
    assert "run_in_transaction = false" in f.help
    # the CONCURRENTLY rule tells the same story for the plain index
    files[f"{d}/up.sql"] = "CREATE INDEX i ON crate_downloads (a);\n"
    (f,) = [f for f in lint_tree(tmp_path / "d", files, enable={"non-concurrent-create-index": "error"}).findings]
    assert "metadata.toml" in f.help


def test_popx_autocommit_files_run_outside_a_transaction(tmp_path):
    rule = "non-transactional-statement-in-transaction"
    files = {"sql/20260616000000000000_idx.postgres.autocommit.up.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON m (a);\n",
             "sql/20260616000000000000_idx.postgres.autocommit.down.sql": "DROP INDEX CONCURRENTLY IF EXISTS i;\n"}
    assert not [f for f in lint_tree(tmp_path, files, enable={rule: "error"}).findings if f.rule_id == rule]
