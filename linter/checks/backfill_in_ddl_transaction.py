"""A data backfill runs in the same transaction as a schema change that blocks writes.

## Why is this bad?
A backfill (`UPDATE` or `DELETE` of an existing table, `INSERT … SELECT` into one,
`MERGE`) locks every row it changes until its transaction ends. Run in one transaction
with DDL that takes a lock blocking writes on an existing table, the two make each other
worse:

- DDL *before* the backfill (a SHARE lock from `CREATE INDEX`, SHARE ROW EXCLUSIVE from a
  foreign key, …) keeps writes to that table blocked for the whole backfill;
- DDL *after* the backfill queues for its lock while every changed row is still locked,
  and if it fails (a lock timeout, a constraint the data breaks), the whole backfill rolls
  back with it and must be redone.

The expand / backfill / contract recipe keeps them apart: add the column (or table) in
one migration, backfill in batches outside the schema migration, then add the constraint
or drop the old column in a later one. When the lock held before the backfill is ACCESS
EXCLUSIVE, `slow-statement-after-access-exclusive` reports it instead. Tables created
earlier in the same file, statements in autocommit and those in function bodies are not
reported. Reported once per transaction, at its first backfill.

## Example
```sql
CREATE INDEX orders_customer_idx ON orders (customer_id);
UPDATE orders SET customer_id = 0 WHERE customer_id IS NULL;
```

## Use instead
```sql
UPDATE orders SET customer_id = 0 WHERE customer_id IS NULL AND id BETWEEN 1 AND 10000;
```

## Options
None. Not reported: writes to system catalogs (`UPDATE pg_index SET indisvalid …`,
`pg_catalog.*`), which are catalog surgery, not changes to application rows.

## PostgreSQL versions
All versions.

## References
- Explicit locking, row-level and table-level locks: https://www.postgresql.org/docs/current/explicit-locking.html
- ALTER TABLE: https://www.postgresql.org/docs/current/sql-altertable.html
"""

from linter.pg import names, session
from linter.pg.locks import LockMode

ID = "backfill-in-ddl-transaction"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "file"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
#: folded into this finding on its statement: moving the backfill out of the schema change's transaction ends the hold
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")

_DML = ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "SelectStmt")
_CHANGES = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})  # the kinds session.data_change looks at


def check(ctx, options):
    if ctx.source is None or ctx.source.error is not None:
        return
    pg = ctx.pg
    by_tx: dict[int, list] = {}
    for step in pg.session.steps:
        if step.tx is not None:
            by_tx.setdefault(step.tx, []).append(step)
    for steps in by_tx.values():
        if not any(s.stmt.kind in _CHANGES for s in steps):
            continue
        ddl = [(s, e) for s in steps if s.stmt.kind not in _DML for e in s.existing() if e.mode.blocks_writes]
        if not ddl:
            continue
        hits = []
        for step in steps:
            change = session.data_change(pg, step.stmt)
            if change is None:
                continue
            own = {_key(e.relation) for e in step.effects if e.mode is LockMode.ACCESS_EXCLUSIVE}
            if any(h.effect.mode is LockMode.ACCESS_EXCLUSIVE and _key(h.effect.relation) not in own for h in step.held_blocking_writes):
                continue  # slow-statement-after-access-exclusive reports it
            hits.append((step, change))
        if not hits:
            continue
        step, (form, rv) = hits[0]
        table = names.relation(rv)
        more = f" ({len(hits) - 1} more backfill statement{'s' if len(hits) > 2 else ''} in this transaction)" if len(hits) > 1 else ""
        before = [(s, e) for s, e in ddl if s.pos < step.pos]
        after = [(s, e) for s, e in ddl if s.pos > step.pos]
        if before:
            s, e = before[-1]
            line = ctx.source.index.position(s.stmt.start).line
            message = (f'{form} of "{table}" runs in the same transaction as {e.what} on line {line}, whose '
                       f'{e.mode.label} lock on "{e.relation}" blocks {e.mode.blocks} until the backfill and the rest '
                       f"of the migration are done{more}")
        else:
            s, e = after[0]
            line = ctx.source.index.position(s.stmt.start).line
            message = (f'{form} of "{table}" runs in the same transaction as {e.what} on line {line}: the rows it '
                       f'changes stay locked while that statement waits for {session.article(e.mode.label)} lock on '
                       f'"{e.relation}", and a failure there rolls the whole backfill back{more}')
        lock = e
        yield ctx.violation(
            step.stmt,
            message,
            help=("Keep data changes out of schema migrations: expand (add the column or table), backfill in batches "
                  "in their own transactions, then contract (constraints, drops) in a later migration."),
            lock=lock.mode.label,
            table=lock.relation,
            blocks=lock.mode.blocks,
        )


def _key(relation: str) -> str:
    """A relation name without its schema: ``public.users`` and ``users`` are one table."""
    return relation.rsplit(".", 1)[-1]
