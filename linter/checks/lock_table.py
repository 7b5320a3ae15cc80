"""An explicit LOCK TABLE blocks traffic until the migration commits.

## Why is this bad?
`LOCK TABLE` takes a table lock up front and holds it until the transaction ends. In
ACCESS EXCLUSIVE mode (the default when no mode is given) no one can even read the table
for the rest of the migration; SHARE, SHARE ROW EXCLUSIVE and EXCLUSIVE block every write.
Each statement of the migration already takes the lock it needs, for as long as it needs
it; an explicit lock only widens it to the whole transaction, and while it waits for
running transactions to finish, every later query on the table queues behind it.
Outside a transaction block `LOCK TABLE` is an error ("LOCK TABLE can only be used in
transaction blocks", checked on PostgreSQL 15): seeds, Flyway
`executeInTransaction=false`, dbmate `transaction:false` with a single statement.

Locking up front on purpose, to take several locks in a fixed order and avoid deadlocks,
is a known recipe: then set `lock_timeout` first (or add `NOWAIT`) and keep the
transaction short; suppress the finding with a comment that says so. Modes that block
neither reads nor writes (ACCESS SHARE, ROW SHARE, ROW EXCLUSIVE, SHARE UPDATE
EXCLUSIVE) and tables created earlier in the same file are not reported inside a
transaction.

## Example
```sql
LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;
ALTER TABLE accounts ADD COLUMN tier text;
```

## Use instead
```sql
ALTER TABLE accounts ADD COLUMN tier text;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- LOCK: https://www.postgresql.org/docs/current/sql-lock.html
- Explicit locking, table-level lock modes: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
"""

from linter.pg import columns, session

ID = "lock-table"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
KINDS = ("LockStmt",)


def check(ctx, stmt, options):
    if columns.in_function_body(stmt):
        return
    effects = ctx.pg.locks(stmt)
    if not effects:
        return
    mode = effects[0].mode
    tables = ", ".join(f'"{e.relation}"' for e in effects)
    props = dict(lock=mode.label, table=tables.replace('"', ""), blocks=mode.blocks)
    if not ctx.pg.in_transaction(stmt):
        yield ctx.violation(
            stmt,
            f"LOCK TABLE {tables} runs outside a transaction block, where PostgreSQL refuses it "
            "(\"LOCK TABLE can only be used in transaction blocks\")",
            help="Remove it: each statement takes the lock it needs. If the lock must cover several statements, run them in a BEGIN … COMMIT block.",
            **props,
        )
        return
    if not mode.blocks_writes:
        return
    existing = [e for e in effects if not session.relation_is_new(ctx.pg, e, stmt)]
    if not existing:
        return
    tables = ", ".join(f'"{e.relation}"' for e in existing)
    yield ctx.violation(
        stmt,
        f"LOCK TABLE takes {session.article(mode.label)} lock on {tables} and holds it until the migration commits: "
        f"it blocks {mode.blocks} for the whole transaction, and queues them behind it while it waits",
        help=("Remove it: each statement takes the lock it needs, for no longer than needed. If you lock up front on purpose "
              "(a fixed lock order against deadlocks), set lock_timeout first or add NOWAIT, keep the transaction short, "
              "and say so in a suppression comment."),
        **props,
    )
