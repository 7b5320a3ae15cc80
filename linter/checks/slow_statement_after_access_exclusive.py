"""Slow work after an ACCESS EXCLUSIVE lock in the same transaction keeps the table blocked.

## Why is this bad?
A lock is held until the transaction ends. Once a statement of the migration has taken
ACCESS EXCLUSIVE on a table (most `ALTER TABLE` forms, `DROP`, `TRUNCATE`, `LOCK TABLE`),
nobody can read or write that table until the migration commits, so every later statement
of the same transaction adds its running time to the outage. A metadata-only `ALTER
TABLE` takes milliseconds; the `UPDATE` that backfills the new column, an index build, a
constraint validation or a copy out of a large table can take minutes, all of it with the
first table locked:

```sql
ALTER TABLE users ADD COLUMN email_lower text;   -- ACCESS EXCLUSIVE on users…
UPDATE users SET email_lower = lower(email);      -- …held for the whole backfill
```

Reported once per transaction, at the first slow statement (the message counts the
others). Slow here means work that grows with an existing table: a rewrite or full scan
(as the lock report shows it), `UPDATE`/`DELETE`/`MERGE` of an existing table, `INSERT …
SELECT` or `CREATE TABLE … AS` reading one. A statement that itself takes ACCESS
EXCLUSIVE on the same table adds nothing the table did not already suffer, and locks on
tables created earlier in the file do not count. Statements in autocommit hold nothing
after they end; each up/down section runs on its own; statements in `DO` blocks count
(they run in the block's transaction).

## Example
```sql
ALTER TABLE users ADD COLUMN email_lower text;
UPDATE users SET email_lower = lower(email);
```

## Use instead
```sql
ALTER TABLE users ADD COLUMN email_lower text;
-- in the next migration, in batches:
-- UPDATE users SET email_lower = lower(email) WHERE id BETWEEN 1 AND 10000;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- Explicit locking ("Once acquired, a lock is normally held until the end of the transaction"): https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
- eugene, E4 "Running more statements after taking AccessExclusiveLock": https://kaveland.no/eugene/hints/E4/
"""

from linter.pg import session
from linter.pg.locks import LockMode

ID = "slow-statement-after-access-exclusive"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "file"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()

_AE = LockMode.ACCESS_EXCLUSIVE


def check(ctx, options):
    if ctx.source is None or ctx.source.error is not None:
        return
    pg = ctx.pg
    found: dict[int, list] = {}  # transaction -> [(step, held, slow)]; held only for the first (the others count)
    locked: dict[str, object] = {}  # relation key -> the first Held ACCESS EXCLUSIVE of the transaction
    tx = None
    for step in pg.session.steps:
        if step.tx != tx:
            tx, locked = step.tx, {}
        if tx is None:
            continue
        if locked:
            slow = session.slow_work(pg, step)
            if slow is not None:
                own = {_key(e.relation) for e in step.effects if e.mode is _AE}
                hits = found.get(tx)
                if hits is None:
                    held = [h for k, h in locked.items() if k not in own]
                    if held:
                        found[tx] = [(step, held, slow)]
                elif any(k not in own for k in locked):
                    hits.append((step, None, slow))
        for e in step.existing():
            if e.mode is _AE:
                key = _key(e.relation)
                if key not in locked:
                    locked[key] = session.Held(e, step.stmt, False)
    for hits in found.values():
        step, held, (form, does) = hits[0]
        first = held[0]
        tables = list(dict.fromkeys(session.subject(h.effect) for h in held))
        locked = ", ".join(tables)
        line = ctx.source.index.position(first.stmt.start).line
        more = ""
        if len(hits) == 2:
            more = " (1 more slow statement follows in this transaction)"
        elif len(hits) > 2:
            more = f" ({len(hits) - 1} more slow statements follow in this transaction)"
        yield ctx.violation(
            step.stmt,
            f"{form} {does} while this transaction holds an ACCESS EXCLUSIVE lock on {locked} "
            f"(taken by {first.effect.what} on line {line}): reads and writes wait until it and the rest of the "
            f"migration are done{more}",
            help=("Commit the lock-taking change first (a migration of its own) and do the slow work in a later one, "
                  "batched; or do the slow work before the statement that takes the lock."),
            lock="ACCESS EXCLUSIVE",
            table=", ".join(dict.fromkeys(h.effect.relation for h in held)),
            blocks="reads and writes",
            statements=len(hits),
        )


def _key(relation: str) -> str:
    """A relation name without its schema: ``public.users`` and ``users`` are one table."""
    return relation.rsplit(".", 1)[-1]
