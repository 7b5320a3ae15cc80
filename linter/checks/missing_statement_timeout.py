"""Set statement_timeout before scanning or rewriting a table under a lock that blocks writes.

## Why is this bad?
Some statements hold a lock that blocks writes (or reads and writes) for as long as they
run, and how long they run grows with the table: `ALTER TABLE` forms that rewrite it (a
volatile default, a type change) or scan it (SET NOT NULL, a CHECK or FOREIGN KEY
without NOT VALID), `CREATE INDEX`, `VACUUM FULL`, `CLUSTER`, `REFRESH MATERIALIZED
VIEW`. On a table larger than the author's test database, the migration holds that lock
for minutes. `statement_timeout` caps it: the statement is cancelled, its transaction rolls
back, and traffic resumes. (`lock_timeout` only bounds the wait for the lock, not the
work done while holding it: see `missing-lock-timeout`.)

miglint follows the file as PostgreSQL runs it, as `missing-lock-timeout` does: `SET`,
`SET LOCAL` (inside a transaction only), `set_config`, `RESET`, `0` for "off", each
up/down section a run of its own, `ALTER ROLE/DATABASE … SET` not counting for the
current session. Slow work (an UPDATE or DELETE of an existing table, an INSERT …
SELECT, a scan) run while the transaction already holds such a lock from an earlier
statement counts too: the lock is held for as long as it runs. One finding per run, at
the first such statement left uncapped that no more specific finding covers: where a rule
names the statement's own hazard (`non-concurrent-create-index`,
`foreign-key-without-not-valid`, `check-constraint-without-not-valid`,
`set-not-null-without-check`, `column-type-rewrite`, `add-column-rewrite`,
`unique-constraint-without-index`, `slow-statement-after-access-exclusive`,
`backfill-in-ddl-transaction`, `missing-where-clause`, …), its finding ends with "no
statement_timeout is set" instead, and the next uncapped statement gets this one, except
after `slow-statement-after-access-exclusive` or `backfill-in-ddl-transaction`: their
finding counts the later slow statements of the transaction, and one `SET
statement_timeout` at the top of the run caps them all, so it tells the run; where
`missing-lock-timeout` reports the same statement, its finding says both and its fix sets
both timeouts. Tables created earlier in the file are empty and
do not count, nor do statements whose scan blocks neither reads nor writes (CREATE INDEX
CONCURRENTLY, VALIDATE CONSTRAINT), nor statements in function bodies, nor an `ADD COLUMN …
NOT NULL` without a default (it fails at the first row of a populated table:
`not-null-column-without-default` reports it).

Slow work under a held lock is not reported either (`linter/pg/intent.py`) when it is a
one-off copy into a table the file creates whose only held locks are on the table it
copies (`CREATE TABLE api_tokens (user_id … REFERENCES users); INSERT INTO api_tokens
SELECT … FROM users`), or a copy of a table or view the file created empty; when it is a
backfill-then-constrain write or a delete of rows just copied elsewhere, which must commit
with what follows; or when the only locks held were taken by `DROP TABLE` (gone once the
migration commits). A copy that keeps writes to *other* live tables waiting (new foreign
keys to `registries` while every artifact is copied) is still reported.

The fix puts `SET LOCAL statement_timeout = '5min';` before the statement. Where the
statement runs outside a transaction block, `SET LOCAL` would do nothing (PostgreSQL only
warns), and where the file commits its transaction and goes on (its own `BEGIN … COMMIT`
blocks) it would end at that `COMMIT`: the fix then puts plain `SET statement_timeout = '5min';` before it (which also
covers the migration's later statements), and the help asks for `RESET statement_timeout;`
at the end of the migration, so the setting does not outlive it on the tool's connection.

## Example
```sql
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
```

## Use instead
```sql
SET LOCAL statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
```

## Options
- `value` (string, default `"5min"`): the timeout the fix sets.

A tool that sets `statement_timeout` on its connection is invisible to the migrations:
disable the rule then.

## PostgreSQL versions
All supported versions.

## References
- Client connection defaults, `statement_timeout`: https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT
- ALTER TABLE, Notes (which forms rewrite or scan the table): https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
"""

from functools import partial

from linter.model import Violation
from linter.pg import intent, session

ID = "missing-statement-timeout"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "file"
DEFAULT_LEVEL = "warning"
OPTIONS = {"value": str}
DEFAULTS = {"value": "5min"}
ALIASES = ("require-statement-timeout",)

def _long(pg):
    """What makes a step long-running under a lock blocking writes: its own scan or rewrite
    of an existing table (``("own", effects)``), or slow work while its transaction holds
    such a lock from an earlier statement (``("held", effects of the held locks)``)."""

    def wants(step):
        own = [e for e in step.blocking if e.rewrite or e.scan]
        if own and step.stmt.kind == "AlterTableStmt" and session.scans_stop_at_first_row(pg, step.stmt):
            own = []  # ADD COLUMN … NOT NULL without a default: fails at the first row, never long
        if own:
            return ("own", own)
        if step.tx is None:
            return None
        held = step.held_blocking_writes
        if not held or session.slow_work(pg, step) is None:
            return None
        if any(h.stmt.kind == "DropStmt" for h in held):  # a dropped table is gone once this commits
            held = [h for h in held if not intent.drops_table(h.stmt)]
        if not held or pg.intent.prepares(step) is not None or pg.intent.one_off_copy(step, held):
            return None  # must commit with what follows it, or nothing else waits (linter.pg.intent)
        return ("held", [h.effect for h in held])

    return wants


def check(ctx, options):
    if ctx.source is None or ctx.source.error is not None:  # baselines: the engine skips HAZARD rules
        return
    # every uncapped statement is a candidate: the first one no more specific finding covers
    # is reported (linter.merge); the others only fold "no statement_timeout is set" in
    for step, found in session.unprotected(ctx.pg.session, "statement_timeout", _long(ctx.pg)):
        yield Violation(step.stmt.span, "", once=step.run, fold="no statement_timeout is set",
                        build=partial(_finding, ctx, step, found, options["value"]))


def _finding(ctx, step, found, value):
    """The complete finding at ``step`` (only built for the candidate that is reported)."""
    how, effects = found
    best, tables = session.lock_target(effects)
    sql, note = session.set_statement(ctx, step, "statement_timeout", value)
    help = (f"Cap it first (`{sql}`): past that, PostgreSQL cancels the "
            "statement and releases the lock instead of blocking traffic for as long as the table takes." + note)
    if how == "own":
        work = "rewrites" if any(e.rewrite for e in effects) else "scans"
        message = (f"{best.what} {work} {tables} while holding {session.article(best.mode.label)} lock, with no "
                   f"statement_timeout set: it blocks {best.mode.blocks} for as long as the table takes")
    else:
        form, does = session.slow_work(ctx.pg, step)
        message = (f"{form} {does} while this transaction holds {session.article(best.mode.label)} lock on {tables}, "
                   f"with no statement_timeout set: {best.mode.blocks} wait for as long as it takes")
    return session.timeout_violation(ctx, step, "statement_timeout", value, effects, message, help)
