"""Rebuild indexes with REINDEX … CONCURRENTLY.

## Why is this bad?
A plain `REINDEX` takes a SHARE lock on the table, which blocks writes, and an ACCESS
EXCLUSIVE lock on each index it rebuilds. The query planner takes a lock on every index
of a table it plans for, whatever the query, so in practice REINDEX blocks nearly all
reads of the table too, for as long as the rebuild takes (the documentation says so).
`REINDEX … CONCURRENTLY` builds a new copy of each index beside the old one under SHARE
UPDATE EXCLUSIVE and swaps them, blocking neither reads nor writes; it cannot run inside
a transaction block.

The fix (add CONCURRENTLY) is offered only where the statement then runs outside a
transaction block; in a transaction CONCURRENTLY fails at deploy, so there the help says
how to move the statement and there is no fix.

## Example
```sql
REINDEX INDEX users_email_idx;
```

## Use instead
```sql
REINDEX INDEX CONCURRENTLY users_email_idx;
```

## Options
None. `REINDEX SYSTEM` (no concurrent form) and statements inside the bodies of functions the file does not
call are not reported, nor `REINDEX TABLE` of a table created earlier in the same file.
None. `REINDEX SYSTEM` (no concurrent form) and statements inside function bodies are not
reported, nor `REINDEX TABLE` of a table created earlier in the same file.
`REINDEX (CONCURRENTLY false) …` is a plain REINDEX and is reported.

## PostgreSQL versions
`REINDEX … CONCURRENTLY` exists from PostgreSQL 12. With `pg_version` below 12 the help
gives the older recipe instead: `CREATE INDEX CONCURRENTLY` a replacement, then
`DROP INDEX CONCURRENTLY` the old index and rename the new one.

## References
- REINDEX, Notes and "Rebuilding Indexes Concurrently": https://www.postgresql.org/docs/current/sql-reindex.html
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
"""

from linter.pg import columns, names, tokens
from linter.pg.locks import LockMode, reindex_concurrent

ID = "non-concurrent-reindex"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "error"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ("require-concurrent-reindex",)
#: folded into this finding on its statement: REINDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE (reads and writes go on) and runs outside a transaction: no blocking lock to wait for or hold
COVERS = ("missing-lock-timeout", "missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("ReindexStmt",)  # the engine only calls check() for these statement kinds

_KEYWORDS = ("INDEX", "TABLE", "SCHEMA", "DATABASE")


def check(ctx, stmt, options):
    body = stmt.body
    if stmt.kind != "ReindexStmt" or columns.in_function_body(stmt):
        return
    if reindex_concurrent(body):
        return
    what = body.get("kind", "").removeprefix("REINDEX_OBJECT_")
    if what not in _KEYWORDS:
        return  # SYSTEM: no concurrent form
    rv = body.get("relation")
    if what == "TABLE" and ctx.pg.is_new_table(rv, stmt):
        return
    target = names.relation(rv) if rv else (body.get("name") or "the current database")
    if what == "INDEX":
        locks = f'an ACCESS EXCLUSIVE lock on index "{target}" and a SHARE lock on its table'
    elif what == "TABLE":
        locks = f'a SHARE lock on "{target}" and an ACCESS EXCLUSIVE lock on each of its indexes'
    elif what == "SCHEMA":
        locks = f'a SHARE lock on each table of schema "{target}" in turn and an ACCESS EXCLUSIVE lock on each of its indexes'
    else:
        locks = "a SHARE lock on each table of the database in turn and an ACCESS EXCLUSIVE lock on each of its indexes"
    fix = None
    if ctx.pg_version < 12:
        help = ("PostgreSQL before 12 has no REINDEX CONCURRENTLY: build a replacement with CREATE INDEX CONCURRENTLY, "
                "then DROP INDEX CONCURRENTLY the old index and rename the new one (or upgrade).")
    else:
        help = ("Use REINDEX … CONCURRENTLY: it builds a new copy of each index under SHARE UPDATE EXCLUSIVE and swaps "
                "it in, blocking neither reads nor writes, and cannot run inside a transaction block.")
        tx = ctx.pg.transaction_context(stmt, made_concurrent=True)
        if tx is not None:  # CONCURRENTLY added here would make the migration fail: no fix
            help += f" Here it would run in a transaction: {tx[0]}. {tx[1]}"
        elif stmt.parent is None:
            at = tokens.after_keyword(stmt, what)
            if at is not None:
                fix = ctx.fix(at, at, tokens.in_file_case(ctx.source, " CONCURRENTLY"), "Add CONCURRENTLY")
    lock = LockMode.ACCESS_EXCLUSIVE
    yield ctx.violation(
        stmt,
        f"REINDEX {what} takes {locks} during the rebuild: writes wait, and so do reads, since planning "
        "any query locks every index of the table",
        help=help,
        fix=fix,
        lock=lock.label,
        table=target if what == "TABLE" else None,
        blocks=lock.blocks,
        scan=True,
    )
