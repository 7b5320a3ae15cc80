"""linter/pg: lock modes checked against a real PostgreSQL server, rewrites, transactions
per migration tool, tables created earlier."""

from __future__ import annotations

import re

import pytest

from linter.discovery import classify, discover
from linter.model import Convention
from linter.pg import locks, rewrites, transactions
from linter.pg.locks import LockMode
from linter.source import Source

SETUP = """
CREATE TABLE users (id bigint PRIMARY KEY, email text, name varchar(20), score numeric(10,2), note text);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int);
CREATE INDEX users_email_idx ON users (email);
CREATE MATERIALIZED VIEW user_counts AS SELECT count(*) AS n FROM users;
CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2025 (id bigint, at date);
CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;
CREATE SEQUENCE order_numbers OWNED BY orders.id;
"""

#: Statements whose locks PostgreSQL itself reports in pg_locks (each runs in a transaction
#: that is rolled back). CONCURRENTLY forms cannot run in a transaction; unit tests below.
REAL_CASES = [
    "CREATE INDEX orders_user_idx ON orders (user_id)",
    "ALTER TABLE users ADD COLUMN age int",
    "ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now()",
    "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
    "ALTER TABLE users ALTER COLUMN name TYPE varchar(40)",
    "ALTER TABLE users DROP COLUMN note",
    "ALTER TABLE users RENAME COLUMN note TO remark",
    "ALTER TABLE users RENAME TO members",
    "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)",
    "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID",
    "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check",
    "ALTER TABLE orders ADD CONSTRAINT orders_total_pos CHECK (total > 0)",
    "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)",
    "ALTER TABLE users ALTER COLUMN email SET STATISTICS 500",
    "ALTER TABLE users SET (fillfactor = 70)",
    "ALTER TABLE users SET (autovacuum_enabled = false)",
    "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x'",
    "ALTER TABLE users DISABLE TRIGGER ALL",
    "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    "ALTER INDEX users_email_idx RENAME TO users_mail_idx",
    "DROP INDEX users_email_idx",
    "DROP TABLE orders",
    "TRUNCATE orders",
    "LOCK TABLE orders IN SHARE MODE",
    "LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE",
    "LOCK TABLE orders",
    "REFRESH MATERIALIZED VIEW user_counts",
    "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION trg()",
    "CREATE POLICY p ON users USING (true)",
    "COMMENT ON TABLE users IS 'people'",
    "ANALYZE users",
    "CLUSTER users USING users_pkey",
    "REINDEX TABLE users",
    "UPDATE users SET email = lower(email)",
    "INSERT INTO orders VALUES (1, 1, 1)",
    "DELETE FROM orders",
    "CREATE TABLE invoices (id bigint, order_id bigint REFERENCES orders (id))",
    # SHARE ROW EXCLUSIVE on the sequence: inserts drawing from it wait (ente's 24_bump_ids)
    "ALTER SEQUENCE order_numbers RESTART WITH 10000000",
    "ALTER SEQUENCE order_numbers INCREMENT BY 5",
]


def _mode(pg_name: str) -> LockMode:
    return LockMode[re.sub(r"(?<!^)(?=[A-Z])", "_", pg_name.removesuffix("Lock")).upper()]


def _stmt(sql: str):
    src = Source(sql)
    assert src.error is None, src.error
    return src.statements[0]


@pytest.fixture(scope="module")
def server(pg_cluster):
    pg_cluster.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;" + SETUP)
    return pg_cluster


@pytest.mark.parametrize("sql", REAL_CASES)
def test_lock_modes_match_a_real_server(server, sql):
    # names are captured first: a renamed or dropped relation is gone from pg_class after
    rows = server.sql(
        "BEGIN;\nCREATE TEMP TABLE names AS SELECT oid, relname FROM pg_class WHERE relnamespace = 'public'::regnamespace;\n"
        f"{sql};\nSELECT n.relname, l.mode FROM pg_locks l JOIN names n ON n.oid = l.relation "
        "WHERE l.locktype = 'relation' AND l.pid = pg_backend_pid();\nROLLBACK;"
    )
    held: dict[str, LockMode] = {}
    for rel, mode in rows:
        held[rel] = max(held.get(rel, LockMode.ACCESS_SHARE), _mode(mode))
    predicted: dict[str, LockMode] = {}
    for e in locks.effects(_stmt(sql), server.version):
        predicted[e.relation] = max(predicted.get(e.relation, LockMode.ACCESS_SHARE), e.mode)
    assert predicted, f"no lock predicted for {sql}"
    for rel, mode in predicted.items():
        assert held.get(rel) == mode, f"{sql}: {rel} predicted {mode.label}, server holds {held.get(rel)} (all: {rows})"


def test_conflict_table_is_symmetric_and_blocks():
    for a in LockMode:
        for b in LockMode:
            assert a.conflicts_with(b) == b.conflicts_with(a)
    assert LockMode.ACCESS_EXCLUSIVE.blocks == "reads and writes"
    assert LockMode.SHARE.blocks == "writes" and LockMode.SHARE_ROW_EXCLUSIVE.blocks == "writes"
    assert LockMode.EXCLUSIVE.blocks == "writes"
    assert LockMode.SHARE_UPDATE_EXCLUSIVE.blocks == "no reads or writes"
    assert str(LockMode.SHARE_UPDATE_EXCLUSIVE) == "SHARE UPDATE EXCLUSIVE"


@pytest.mark.parametrize(
    "sql, relation, mode",
    [
        ("CREATE INDEX CONCURRENTLY i ON users (email)", "users", LockMode.SHARE_UPDATE_EXCLUSIVE),
        ("DROP INDEX CONCURRENTLY i", "i", LockMode.SHARE_UPDATE_EXCLUSIVE),
        ("REINDEX INDEX CONCURRENTLY i", "i", LockMode.SHARE_UPDATE_EXCLUSIVE),
        ("ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY", "events", LockMode.SHARE_UPDATE_EXCLUSIVE),
        ("ALTER TABLE events DETACH PARTITION events_2025", "events", LockMode.ACCESS_EXCLUSIVE),
        ("VACUUM FULL users", "users", LockMode.ACCESS_EXCLUSIVE),
        ("VACUUM users", "users", LockMode.SHARE_UPDATE_EXCLUSIVE),
        ("REFRESH MATERIALIZED VIEW CONCURRENTLY user_counts", "user_counts", LockMode.EXCLUSIVE),
        ("ALTER INDEX i RENAME TO j", "i", LockMode.SHARE_UPDATE_EXCLUSIVE),
    ],
)
def test_concurrent_and_non_transactional_forms(sql, relation, mode):
    effects = locks.effects(_stmt(sql), 16)
    assert (effects[0].relation, effects[0].mode) == (relation, mode)


def test_rewrite_and_scan_flags():
    def first(sql, pg=16):
        return locks.effects(_stmt(sql), pg)[0]

    assert first("ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()").rewrite
    assert not first("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()").rewrite
    assert first("ALTER TABLE t ADD COLUMN c int DEFAULT 0", pg=10).rewrite
    assert not first("ALTER TABLE t ADD COLUMN c int DEFAULT 0", pg=11).rewrite
    assert first("ALTER TABLE t ADD COLUMN c bigserial").rewrite
    assert first("ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a + 1) STORED").rewrite
    assert first("ALTER TABLE t ALTER COLUMN c TYPE bigint").rewrite
    assert not first("ALTER TABLE t ALTER COLUMN c TYPE text").rewrite  # binary coercible from varchar/text
    assert first("ALTER TABLE t ALTER COLUMN c SET NOT NULL").scan
    assert not first("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID").scan
    assert first("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)").scan
    assert first("VACUUM FULL t").rewrite and first("CLUSTER t USING i").rewrite


def test_default_volatility():
    def vol(expr_sql):
        st = _stmt(f"ALTER TABLE t ADD COLUMN c int DEFAULT {expr_sql}")
        coldef = st.body["cmds"][0]["AlterTableCmd"]["def"]["ColumnDef"]
        return rewrites.volatility(rewrites.column_default(coldef)[0])

    assert vol("0") == "constant" and vol("'x'::text") == "constant"
    assert vol("now()") == "stable" and vol("CURRENT_TIMESTAMP") == "stable"
    assert vol("random()") == "volatile" and vol("gen_random_uuid()") == "volatile"
    assert vol("my_func()") == "unknown"


def test_type_change_knowledge():
    def tn(sql_type):
        st = _stmt(f"ALTER TABLE t ALTER COLUMN c TYPE {sql_type}")
        return st.body["cmds"][0]["AlterTableCmd"]["def"]["ColumnDef"]["typeName"]

    assert rewrites.type_change_rewrites(tn("varchar(40)"), tn("varchar(20)"), False) is None
    assert rewrites.type_change_rewrites(tn("varchar(10)"), tn("varchar(20)"), False)
    assert rewrites.type_change_rewrites(tn("text"), tn("varchar(20)"), False) is None
    assert rewrites.type_change_rewrites(tn("numeric(12,2)"), tn("numeric(10,2)"), False) is None
    assert rewrites.type_change_rewrites(tn("numeric(12,3)"), tn("numeric(10,2)"), False)
    assert rewrites.type_change_rewrites(tn("bigint"), tn("int"), False)
    assert rewrites.type_change_rewrites(tn("text"), tn("varchar(20)"), True)  # USING


def _tx(name: str, sql: str, tmp_path, extra: dict[str, str] | None = None):
    for rel, content in (extra or {}).items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sql, encoding="utf-8")
    f = classify(str(path), base_dir=str(tmp_path))
    src = Source(sql, f)
    return f, src, transactions.tool_transaction(f, src)


def test_transactions_per_tool(tmp_path):
    idx = "CREATE INDEX CONCURRENTLY i ON t (a);\n"
    two = "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n"
    f, _, tx = _tx("db/20240101000000_x.sql", "-- migrate:up transaction:false\n" + idx, tmp_path / "dbmate")
    assert f.convention is Convention.DBMATE and not tx.wrapped and "transaction:false" in tx.why
    _, _, tx = _tx("db/20240101000000_x.sql", "-- migrate:up\n" + idx, tmp_path / "dbmate2")
    assert tx.wrapped
    _, _, tx = _tx("m/003_idx.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n" + idx, tmp_path / "goose")
    assert not tx.wrapped
    f, _, tx = _tx("migrations/2024-01-01-000000_idx/up.sql", idx, tmp_path / "diesel", {"migrations/2024-01-01-000000_idx/metadata.toml": "run_in_transaction = false\n", "migrations/2024-01-01-000000_idx/down.sql": "DROP INDEX i;\n"})
    assert f.convention is Convention.DIESEL and not tx.wrapped
    _, _, tx = _tx("m/0001_idx.up.sql", idx, tmp_path / "gm1", {"m/0001_idx.down.sql": ""})
    assert not tx.wrapped  # one statement: no implicit block
    _, _, tx = _tx("m/0001_two.up.sql", two, tmp_path / "gm2", {"m/0001_two.down.sql": ""})
    assert tx.wrapped and tx.implicit
    _, _, tx = _tx("db/migration/V1__idx.sql", idx, tmp_path / "fw1")
    assert not tx.wrapped  # Flyway runs non-transactional-only scripts outside a transaction
    _, _, tx = _tx("db/migration/V1__two.sql", two, tmp_path / "fw2")
    assert tx.wrapped
    _, _, tx = _tx("db/migration/V1__x.sql", "-- flyway:executeInTransaction=false\n" + two, tmp_path / "fw3")
    assert not tx.wrapped
    # a script configuration file overrides Flyway's detection, both ways
    _, _, tx = _tx("db/migration/V1__two.sql", two, tmp_path / "fw4", {"db/migration/V1__two.sql.conf": "executeInTransaction=false\n"})
    assert not tx.wrapped and "executeInTransaction=false in V1__two.sql.conf" in tx.why
    _, _, tx = _tx("db/migration/V1__idx.sql", idx, tmp_path / "fw5", {"db/migration/V1__idx.sql.conf": "executeInTransaction=true\n"})
    assert tx.wrapped and "V1__idx.sql.conf" in tx.why


def test_explicit_transaction_problems(tmp_path):
    _, src, tx = _tx("db/20240101000000_x.sql", "-- migrate:up\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n", tmp_path / "a")
    flags, problems = transactions.statement_flags(src.statements, tx)
    assert [p.message.split(":")[0].split(",")[0] for p in problems] == ["BEGIN inside the migration tool's own transaction", "COMMIT ends the migration tool's transaction early"]
    _, src, tx = _tx("db/20240101000000_y.sql", "-- migrate:up\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);\n", tmp_path / "a2")
    flags, problems = transactions.statement_flags(src.statements, tx)
    assert flags[id(src.statements[1])] is False and len(problems) == 1  # autocommit after the COMMIT
    _, src, tx = _tx("m/0001_x.up.sql", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n", tmp_path / "b", {"m/0001_x.down.sql": ""})
    assert transactions.statement_flags(src.statements, tx)[1] == []  # golang-migrate: implicit block, fine
    seed = tmp_path / "c" / "seeds" / "dev.sql"
    seed.parent.mkdir(parents=True)
    seed.write_text("BEGIN;\nINSERT INTO a VALUES (1);\n", encoding="utf-8")
    (f,) = discover([str(seed)], base_dir=str(tmp_path / "c"), seeds=["**/seeds/**/*.sql"]).files
    src = Source(seed.read_text(encoding="utf-8"), f)
    tx = transactions.tool_transaction(f, src)
    flags, problems = transactions.statement_flags(src.statements, tx)
    assert not tx.wrapped and [p.message[:31] for p in problems] == ["this BEGIN is never committed: "]
    assert flags[id(src.statements[1])] is True


def test_popx_and_drizzle_transactions(tmp_path):
    """popx wraps every file but .autocommit. ones (github.com/ory/x popx/migrator.go); a
    drizzle folder's journal decides which files drizzle's migrator runs at all."""
    idx = "CREATE INDEX CONCURRENTLY i ON t (a);\n"
    f, _, tx = _tx("m/20200519101057000006_x.postgres.up.sql", idx, tmp_path / "popx", {"m/20200519101057000006_x.down.sql": ""})
    assert transactions.is_popx(f) and tx.wrapped and not tx.implicit
    f, _, tx = _tx("m/20200519101057000006_x.postgres.autocommit.up.sql", idx, tmp_path / "popx2")
    assert not tx.wrapped
    f, _, tx = _tx("m/0001_idx.up.sql", idx, tmp_path / "gm", {"m/0001_idx.down.sql": ""})
    assert not transactions.is_popx(f) and not tx.wrapped  # plain golang-migrate, one statement
    journal = '{"entries": [{"idx": 0, "tag": "0000_init"}]}'
    _, _, tx = _tx("drizzle/0000_init.sql", idx, tmp_path / "dz", {"drizzle/meta/_journal.json": journal})
    assert tx.wrapped and not tx.unknown
    _, _, tx = _tx("drizzle/0016_hand.sql", idx, tmp_path / "dz", {"drizzle/meta/_journal.json": journal})
    assert not tx.wrapped and tx.unknown and "does not list" in tx.why
    _, _, tx = _tx("drizzle/0001_x.sql", idx, tmp_path / "dz2", {"drizzle/meta/_journal.json": "{not json"})
    assert not tx.unknown and tx.wrapped  # no readable journal: the convention's default
