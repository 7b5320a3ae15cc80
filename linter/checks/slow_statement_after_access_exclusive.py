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

Reported once per transaction, at the first slow statement that no more specific finding
reports (the message counts the slow statements after it). Where a rule names the slow
statement's own hazard (an index built without CONCURRENTLY, a constraint without NOT
VALID, a rewrite, SET NOT NULL, a backfill, an UPDATE without WHERE, …), that finding ends
with "this transaction already holds an ACCESS EXCLUSIVE lock on … since line N" instead;
a missing `statement_timeout` on the statement reported here is told in this finding. Slow here means work that grows with an existing table: a rewrite or full scan
(as the lock report shows it; not the check of an `ADD COLUMN … NOT NULL` without a
default, which fails at the first row of a populated table), `UPDATE`/`DELETE`/`MERGE` of an
existing table, `INSERT … SELECT` or `CREATE TABLE … AS` reading one. A statement that itself takes ACCESS
EXCLUSIVE on the same table adds nothing the table did not already suffer, and locks on
tables created earlier in the file do not count. Statements in autocommit hold nothing
after they end; each up/down section runs on its own; statements in `DO` blocks count
(they run in the block's transaction).

Not reported (`linter/pg/intent.py`): a write whose `WHERE` picks the rows a later
statement of the same transaction constrains or drops (`UPDATE t SET c = false WHERE c IS
NULL` before `SET NOT NULL`, deleting duplicates before a UNIQUE constraint, `UPDATE … WHERE
legacy` before `DROP COLUMN legacy`), and a `DELETE` of rows copied into another table
earlier in the transaction: they must commit together, and that statement's own finding
(`set-not-null-without-check`, …) reports the lock. A write of every row (`UPDATE t SET c =
(SELECT …)`) is still reported. Locks taken by `DROP TABLE` do not count: the table is gone
for every client once the migration commits (`drop-table` reports that).

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

from functools import partial

from linter.model import Violation
from linter.pg import intent, names, session
from linter.pg.locks import LockMode

ID = "slow-statement-after-access-exclusive"
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
#: the slow statement's missing statement_timeout is told here (splitting the migration ends the hold)
COVERS = ("missing-statement-timeout",)

_AE = LockMode.ACCESS_EXCLUSIVE


def check(ctx, options):
    if ctx.source is None or ctx.source.error is not None:
        return
    pg = ctx.pg
    found: dict[int, list] = {}  # transaction -> [(step, own, locks held then, slow)]
    locked: dict[str, object] = {}  # relation key -> the first Held ACCESS EXCLUSIVE of the transaction
    of_tx: dict[int, dict] = {}  # transaction -> its ``locked`` (it only grows, in order)
    tx = None
    for step in pg.session.steps:
        if step.tx != tx:
            tx, locked = step.tx, {}
            of_tx[tx] = locked
        if tx is None:
            continue
        if locked:
            slow = session.slow_work(pg, step)
            if slow is not None:
                own = {names.relation_key(e.relation) for e in step.effects if e.mode is _AE}
                # it waits on a lock some other statement took, and is no backfill-then-constrain (linter.pg.intent)
                if len(locked) > len(own & locked.keys()) and pg.intent.prepares(step) is None:
                    found.setdefault(tx, []).append((step, own, len(locked), slow))
        for e in step.existing():
            if e.mode is _AE:
                key = names.relation_key(e.relation)
                if key not in locked:
                    if intent.drops_table(step.stmt):
                        break  # the dropped table is gone once this commits: drop-table judges that
                    locked[key] = session.Held(e, step.stmt, False)
    position = ctx.source.index.position
    for tx, hits in found.items():
        locks_of_tx = list(of_tx[tx].items())
        order = {k: i for i, (k, _) in enumerate(locks_of_tx)}
        for n, (step, own, n_locked, slow) in enumerate(hits):
            held = _held(locks_of_tx, n_locked, own, 3)
            shown = [session.subject(h.effect) for h in held]
            line = position(held[0].stmt.start).line
            more = n_locked - sum(1 for k in own if order.get(k, n_locked) < n_locked) - len(shown)
            short = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
            # one finding per transaction, at its first slow statement no more specific finding covers
            yield Violation(step.stmt.span, "", once=tx,
                            fold=f"this transaction already holds an ACCESS EXCLUSIVE lock on {short} since line {line}, "
                                 "so reads and writes wait for it too",
                            build=partial(_finding, ctx, step, locks_of_tx, n_locked, own, slow, len(hits) - n - 1))


def _held(locks_of_tx: list, n_locked: int, own: set, limit: int | None = None) -> list:
    """The first ``n_locked`` locks of the transaction (``[(key, Held)]``) on other tables
    than ``own``, at most ``limit`` of them."""
    out = []
    for k, h in locks_of_tx[:n_locked]:
        if k not in own:
            out.append(h)
            if limit is not None and len(out) == limit:
                break
    return out


def _finding(ctx, step, locks_of_tx, n_locked, own, slow, later):
    """The complete finding at ``step`` (only built for the candidate that is reported)."""
    held = _held(locks_of_tx, n_locked, own)
    form, does = slow
    first = held[0]
    locked = ", ".join(dict.fromkeys(session.subject(h.effect) for h in held))
    line = ctx.source.index.position(first.stmt.start).line
    more = ""
    if later == 1:
        more = " (1 more slow statement follows in this transaction)"
    elif later > 1:
        more = f" ({later} more slow statements follow in this transaction)"
    return ctx.violation(
        step.stmt,
        f"{form} {does} while this transaction holds an ACCESS EXCLUSIVE lock on {locked} "
        f"(taken by {first.effect.what} on line {line}): reads and writes wait until it and the rest of the "
        f"migration are done{more}",
        help=("Commit the lock-taking change first (a migration of its own) and do the slow work in a later one, "
              "batched; or do the slow work before the statement that takes the lock."),
        lock="ACCESS EXCLUSIVE",
        table=", ".join(dict.fromkeys(h.effect.relation for h in held)),
        blocks="reads and writes",
        statements=later + 1,
    )
