"""A data backfill runs while its transaction holds a lock that blocks writes.

## Why is this bad?
A lock is held until the transaction ends. When a statement earlier in the transaction
took a lock that blocks writes on an existing table (SHARE from `CREATE INDEX`, SHARE ROW
EXCLUSIVE from a foreign key or a trigger, EXCLUSIVE from a materialized view refresh), a
backfill after it (`UPDATE` or `DELETE` of an existing table, `INSERT … SELECT` into one,
`MERGE`) adds its whole running time to how long every write to that table waits. This
holds whichever table the backfill changes: the locked table is blocked for as long as
the transaction runs, so a backfill of another table blocks it just as long.

Only DDL *before* the backfill is reported. Backfill-then-constrain (`UPDATE … SET x =
… WHERE x IS NULL` then `SET NOT NULL`; delete duplicates then add a UNIQUE index; copy
data then drop the old column; copy rows into another table then delete them) must stay in
one transaction: split apart, new NULLs or duplicates arrive between the two, or the data
is lost when the copy commits without the drop or the drop without the copy. So a backfill
whose `WHERE` names the column a later statement of its transaction constrains or drops,
and a `DELETE` of rows copied into another table earlier in it, are not reported even
after other DDL (`linter/pg/intent.py`); nor do locks taken by `DROP TABLE` count (the
table is gone once the migration commits). When the lock held is ACCESS
EXCLUSIVE, `slow-statement-after-access-exclusive` reports the backfill instead. Updates
of system catalogs (`UPDATE pg_index …`) are catalog surgery, not backfills. Tables
created earlier in the same file, statements in autocommit and those in function bodies
are not reported. Reported once per transaction, at its first backfill.

## Example
```sql
CREATE INDEX orders_customer_idx ON orders (customer_id);
UPDATE orders SET customer_id = 0 WHERE customer_id IS NULL;
```

## Use instead
```sql
UPDATE orders SET customer_id = 0 WHERE customer_id IS NULL;
-- in the next migration, outside a transaction:
-- CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
```

## Options
None. Not reported: writes to system catalogs (`UPDATE pg_index SET indisvalid …`,
`pg_catalog.*`), which are catalog surgery, not changes to application rows.

## PostgreSQL versions
All versions.

## References
- Explicit locking, table-level locks: https://www.postgresql.org/docs/current/explicit-locking.html
- ALTER TABLE: https://www.postgresql.org/docs/current/sql-altertable.html
"""

from linter.pg import intent, names, session
from linter.pg.locks import LockMode

ID = "backfill-in-ddl-transaction"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "file"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
#: a missing-statement-timeout candidate folded into this finding tells its whole run: this
#: finding counts the later slow statements, one SET statement_timeout caps them (linter.merge)
TELLS_RUN_OF = ("missing-statement-timeout",)
#: folded into this finding on its statement: moving the backfill out of the schema change's transaction ends the hold
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")

_CHANGES = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})  # the kinds session.data_change looks at


def check(ctx, options):
    if ctx.source is None or ctx.source.error is not None:
        return
    pg = ctx.pg
    hits: dict[int, list] = {}
    for step in pg.session.steps:
        if step.tx is None or step.stmt.kind not in _CHANGES:
            continue
        held = step.held_blocking_writes
        if not held:
            continue
        if any(h.stmt.kind == "DropStmt" for h in held):  # a dropped table is gone once this commits
            held = [h for h in held if not intent.drops_table(h.stmt)]
        if not held or any(h.effect.mode is LockMode.ACCESS_EXCLUSIVE for h in held):
            continue  # nothing held, or slow-statement-after-access-exclusive reports it
        change = session.data_change(pg, step.stmt)
        if change is not None and pg.intent.prepares(step) is None:
            hits.setdefault(step.tx, []).append((step, change, held[-1]))
    for tx_hits in hits.values():
        step, (form, rv), h = tx_hits[0]
        e = h.effect
        more = f" ({len(tx_hits) - 1} more backfill statement{'s' if len(tx_hits) > 2 else ''} in this transaction)" if len(tx_hits) > 1 else ""
        line = ctx.source.index.position(h.stmt.start).line
        yield ctx.violation(
            step.stmt,
            f'{form} of "{names.relation(rv)}" runs while this transaction holds the {e.mode.label} lock that '
            f'{e.what} on line {line} took on "{e.relation}": {e.mode.blocks} on "{e.relation}" wait until the '
            f"backfill and the rest of the migration are done{more}",
            help=("Backfill before the schema change (or in a migration of its own, in batches), and build the index "
                  "or constraint afterwards, CONCURRENTLY or NOT VALID where PostgreSQL allows it."),
            lock=e.mode.label,
            table=e.relation,
            blocks=e.mode.blocks,
        )
