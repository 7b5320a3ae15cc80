"""Build indexes on existing tables with CREATE INDEX CONCURRENTLY.

## Why is this bad?
`CREATE INDEX` takes a SHARE lock on the table for the whole build: it reads every row
and sorts them while INSERT, UPDATE and DELETE wait (reads go on). On a large table that
is minutes of blocked writes, and every session queued behind the lock waits too.
`CREATE INDEX CONCURRENTLY` takes SHARE UPDATE EXCLUSIVE instead, which blocks neither
reads nor writes; it scans the table twice and waits for running transactions, so it
takes longer, and it cannot run inside a transaction block. If it fails it leaves an
INVALID index behind: drop it (`DROP INDEX CONCURRENTLY`) and build it again.

The finding's help says whether the statement runs in a transaction and, if it does, how
to take it out of one with the file's migration tool (dbmate `transaction:false`, goose
`-- +goose NO TRANSACTION`, diesel `run_in_transaction = false`, a file of its own for
golang-migrate and Flyway).

The fix (add CONCURRENTLY) is offered only where the statement then runs outside a
transaction block (a lone statement of a golang-migrate file, a Flyway script holding only
it, goose `NO TRANSACTION`, …): in a transaction CONCURRENTLY fails at deploy, so there the
help says how to move the statement and there is no fix. Where the tool runs statements one
at a time (goose `NO TRANSACTION`, a Flyway script run outside a transaction, seeds) the fix
also puts `DROP INDEX CONCURRENTLY IF EXISTS name;` before the build, which a re-run needs
after a failed build (see `create-without-if-not-exists`). An unnamed index gets no fix:
name it first (a re-run would build a second, duplicate index).

## Example
```sql
CREATE INDEX users_email_idx ON users (email);
```

## Use instead
```sql
DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
```

## Options
None. Not reported: indexes on tables created earlier in the same file (they are empty),
`CREATE INDEX … ON ONLY parent` (the first step of indexing a partitioned table, which
has no CONCURRENTLY form: then `CREATE INDEX CONCURRENTLY` on each partition and
`ALTER INDEX … ATTACH PARTITION`), and statements inside the bodies of functions the file does not call (they run
when something calls the function, not when the migration runs). A function the file
calls (`SELECT f();`, `PERFORM f();`, `CALL p();`) runs its body during the migration,
like a DO block; the commands `EXECUTE` builds there (`EXECUTE format('CREATE INDEX …
ON %I …', t)`) are checked too, and their findings name a table chosen at run time as
such and carry no fix.

## PostgreSQL versions
All supported versions (CONCURRENTLY exists since 8.2). PostgreSQL cannot build
an index CONCURRENTLY on a partitioned table ("Concurrent builds for indexes on
partitioned tables are currently not supported"): use the ON ONLY recipe above.

## References
- CREATE INDEX, "Building Indexes Concurrently": https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
- Explicit locking, table-level locks: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
"""

from linter.pg import columns, idempotency, names, tokens
from linter.pg.locks import LockMode

ID = "non-concurrent-create-index"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "error"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ("require-concurrent-index-creation",)
#: folded into this finding on its statement: CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE (reads and writes go on) and runs outside a transaction: no blocking lock to wait for or hold
COVERS = ("missing-lock-timeout", "missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("IndexStmt",)  # the engine only calls check() for these statement kinds


def check(ctx, stmt, options):
    if stmt.kind != "IndexStmt" or stmt.body.get("concurrent") or columns.in_function_body(stmt):
        return
    rv = stmt.body.get("relation") or {}
    if not rv.get("inh", False) or rv.get("relpersistence") == "t" or ctx.pg.is_new_table(rv, stmt):
        return  # ON ONLY (partitioned parent), temporary table, table created in this file
    table = names.relation(rv)
    lock = next((e.mode for e in ctx.pg.locks(stmt)), LockMode.SHARE)
    name = stmt.body.get("idxname")
    what = ("CREATE UNIQUE INDEX" if stmt.body.get("unique") else "CREATE INDEX") + (f' "{name}"' if name else "")
    help = ("Use CREATE INDEX CONCURRENTLY: it takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on, "
            "and cannot run inside a transaction block.")
    tx = ctx.pg.transaction_context(stmt, made_concurrent=True)
    fix = None
    if tx is not None:  # CONCURRENTLY added here would make the migration fail: no fix
        help += f" Here it would run in a transaction: {tx[0]}. {tx[1]}"
    elif not name:  # a re-run of a failed concurrent build would build a second index
        help += " Name the index first: a re-run after a failed concurrent build would otherwise build a second one."
    elif stmt.parent is None:
        at = tokens.after_keyword(stmt, "INDEX")
        if at is not None:
            fix = ctx.fix(at, at, tokens.in_file_case(ctx.source, " CONCURRENTLY"), "Add CONCURRENTLY")
            drop = idempotency.concurrent_index_drop(ctx, stmt, made_concurrent=True)
            if drop is not None:  # what create-without-if-not-exists asks of a concurrent build
                fix = ctx.fix(stmt.start, at, f"{tokens.in_file_case(ctx.source, drop)}\n{_indent(ctx, stmt)}{ctx.source.text[stmt.start:at]}{tokens.in_file_case(ctx.source, ' CONCURRENTLY')}",
                              f"Add CONCURRENTLY, and `{drop}` before it")
                help += (f" Put `{drop}` before it: a failed concurrent build leaves an INVALID index behind, "
                         "which the re-run must drop first.")
    yield ctx.violation(
        stmt,
        f'{what} on "{table}" takes a {lock.label} lock for the whole build (a full scan of the table), '
        f"which blocks {lock.blocks}",
        help=help,
        fix=fix,
        lock=lock.label,
        table=table,
        blocks=lock.blocks,
        scan=True,
    )


def _indent(ctx, stmt) -> str:
    """The blanks before ``stmt`` on its first line ("" when other text precedes it)."""
    text = ctx.source.text
    before = text[text.rfind("\n", 0, stmt.start) + 1 : stmt.start]
    return before if not before.strip() else ""
