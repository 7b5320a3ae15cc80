"""Statements that cannot run inside a transaction block, in a migration that runs in one.

## Why is this bad?
PostgreSQL refuses some statements inside a transaction block: `CREATE INDEX
CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`, `REINDEX
SCHEMA|DATABASE|SYSTEM`, `ALTER TABLE … DETACH PARTITION … CONCURRENTLY`, `VACUUM`,
`CLUSTER` without a table, `CREATE/DROP DATABASE`, `CREATE/DROP TABLESPACE`, `ALTER
SYSTEM`, `DISCARD ALL`, `CREATE/DROP SUBSCRIPTION` with a replication slot, and before
PostgreSQL 12 `ALTER TYPE … ADD VALUE`. The migration fails at run time with "… cannot run
inside a transaction block" (or, in a `DO` block or function, "… cannot be executed from
a function"), usually in production first, where the statement is finally needed.

Whether a statement runs in a transaction is worked out per file, from the migration
tool and its markers, not from one global flag: dbmate and goose wrap each file unless
`transaction:false` / `-- +goose NO TRANSACTION`; diesel unless `metadata.toml` says
`run_in_transaction = false`; Flyway wraps a script unless every statement in it is one
Flyway itself knows to be non-transactional (it does not know `REINDEX INDEX|TABLE
CONCURRENTLY` or `DETACH PARTITION … CONCURRENTLY`), and rejects a script that mixes both
kinds unless `mixed=true`; explicit `BEGIN … COMMIT` in the file counts too. Tools that
send the whole file as one query (golang-migrate, Prisma, and dbmate / diesel / sqlx with
their transaction turned off) put a file of two or more statements in PostgreSQL's
implicit transaction, which refuses these statements just the same. The finding says
which of these applies and how to get out of it with that tool.

## Example
```sql
-- migrate:up
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
-- migrate:down
DROP INDEX users_email_idx;
```

## Use instead
```sql
-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
-- migrate:down
DROP INDEX users_email_idx;
```

## Options
None. Set `transactions: {CONVENTION: false}` in the configuration when your tool runs a
convention's files outside a transaction and miglint cannot see it.

## PostgreSQL versions
All versions. `ALTER TYPE … ADD VALUE` is only reported with `pg_version` below 12 (from
12 it runs in a transaction, though the new value cannot be used before the commit).

## References
- CREATE INDEX, "Building Indexes Concurrently": https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
- Multiple statements in a simple query (implicit transaction): https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
- dbmate, transaction:false: https://github.com/amacneil/dbmate#options
- Flyway, executeInTransaction and mixed: https://documentation.red-gate.com/fd/flyway-execute-in-transaction-setting-277578997.html
"""

from linter.model import Convention, Direction
from linter.pg import transactions

ID = "non-transactional-statement-in-transaction"
FAMILY = "locking"
SCOPE = "statement"
DEFAULT_LEVEL = "error"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ("ban-concurrent-index-creation-in-transaction",)

_CANDIDATES = frozenset({
    "IndexStmt", "DropStmt", "ReindexStmt", "VacuumStmt", "ClusterStmt", "CreatedbStmt", "DropdbStmt",
    "AlterDatabaseStmt", "AlterSystemStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt", "DiscardStmt",
    "CreateSubscriptionStmt", "DropSubscriptionStmt", "AlterEnumStmt", "AlterTableStmt",
})
KINDS = _CANDIDATES  # the engine only calls check() for these statement kinds


def check(ctx, stmt, options):
    if stmt.kind not in _CANDIDATES:
        return ()
    form = transactions.cannot_run_in_transaction(stmt, ctx.pg_version)
    if form is None:
        return ()
    return _check(ctx, stmt, form)


def _check(ctx, stmt, form):
    if stmt.parent is not None:
        where = "a DO block" if stmt.parent.kind == "DoStmt" else "a function body"
        yield ctx.violation(
            stmt,
            f"{form} cannot run inside {where}: PostgreSQL refuses it there (\"cannot be executed from a function\")",
            help="Run it as a top-level statement of a migration that runs outside a transaction.",
            form=form,
        )
        return
    if stmt.section is Direction.DOWN and ctx.file.convention is Convention.DBMATE:
        return  # the down section's own transaction:false option is not read
    tx = ctx.pg.transaction_context(stmt)
    if tx is None:
        return
    why, how = tx
    yield ctx.violation(
        stmt,
        f"{form} cannot run inside a transaction block, and this statement runs in one: {why}",
        help=how,
        fix=_fix(ctx, stmt),
        form=form,
        why=why,
    )


def _fix(ctx, stmt):
    """A marker that takes the file out of its transaction, where one edit does it."""
    conv, tx, source = ctx.file.convention, ctx.pg.transaction, ctx.source
    if ctx.pg.explicit_begin(stmt) is not None and not tx.wrapped:
        return None
    if conv is Convention.GOOSE:
        return ctx.fix(0, 0, "-- +goose NO TRANSACTION\n", "Run the file outside a transaction (goose NO TRANSACTION)")
    if conv is Convention.DBMATE and not tx.implicit:
        ups = [s for s in source.statements if s.section is not Direction.DOWN]
        up = next((s for s in source.sections if s.direction is Direction.UP and s.marker_line), None)
        if len(ups) == 1 and up is not None:
            line_end = source.text.find("\n", up.start)
            at = len(source.text) if line_end < 0 else line_end
            at = at - 1 if at > 0 and source.text[at - 1] == "\r" else at
            return ctx.fix(at, at, " transaction:false", "Run the migration outside a transaction (dbmate transaction:false)")
    return None
