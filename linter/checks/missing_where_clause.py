"""UPDATE or DELETE without WHERE changes every row of an existing table in one statement.

## Why is this bad?
`UPDATE t SET …` or `DELETE FROM t` with no `WHERE` touches every row, in one statement
and one transaction:

- every changed row stays locked until the migration commits: application `UPDATE`s,
  `DELETE`s and `SELECT … FOR UPDATE` of any row of the table wait that long;
- an `UPDATE` writes a new version of every row (the table and its indexes can double in
  size until vacuum catches up), a `DELETE` leaves every row dead; both generate WAL for
  the whole table, which replicas must replay;
- on a large table it runs for minutes, and a failure at the end rolls all of it back.

Often it is also a mistake: a `WHERE` lost in editing. When every row really is meant,
backfill in batches (`UPDATE … WHERE id BETWEEN … AND …`, a few thousand rows per
transaction, outside the schema migration), or, to empty a table, use `TRUNCATE`, which
is instant but takes an ACCESS EXCLUSIVE lock. Tables created earlier in the same file
(their rows are the migration's own), statements in the bodies of functions the file does not call (they
run when something calls them), seed files (they fill development databases) and baselines are not
reported; statements in `DO` blocks are. Nor is a statement on a table that an earlier statement of
the same transaction already holds ACCESS EXCLUSIVE on: every access waits anyway, the row locks add
nothing, and `slow-statement-after-access-exclusive` reports the wait (counting this statement;
with that rule off, this one reports it). One finding per file (per section), at its first
such statement, naming every table: batching the data migration is one decision.

## Example
```sql
UPDATE users SET email = lower(email);
```

## Use instead
```sql
UPDATE users SET email = lower(email) WHERE id BETWEEN 1 AND 10000 AND email <> lower(email);
```

## Options
None. Not reported: writes to system catalogs (`UPDATE pg_index SET indisvalid …`,
`pg_catalog.*`), which are catalog surgery, not changes to application rows.

## PostgreSQL versions
All versions.

## References
- UPDATE: https://www.postgresql.org/docs/current/sql-update.html
- DELETE: https://www.postgresql.org/docs/current/sql-delete.html
- Explicit locking, row-level locks: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-ROWS
- Routine vacuuming (dead rows): https://www.postgresql.org/docs/current/routine-vacuuming.html
"""

from linter.grouping import listing
from linter.model import Direction
from linter.pg.locks import LockMode
from linter.pg import columns, names, objects

ID = "missing-where-clause"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
REPORT = "per-file"  # one decision per file: batch the data migration or not (linter.grouping)
#: folded into this finding on its statement: batching the change in a later migration ends the long statement and the hold
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("UpdateStmt", "DeleteStmt")

_SKIP = (Direction.SEED,)  # baselines: the engine skips HAZARD rules


def check(ctx, stmt, options):
    body = stmt.body
    if body.get("whereClause") or stmt.section in _SKIP or ctx.file.direction in _SKIP or columns.in_function_body(stmt):
        return
    rv = body.get("relation")
    if not rv or objects.is_system_catalog(rv) or ctx.pg.is_new_table(rv, stmt):
        return  # UPDATE pg_index …: catalog surgery, not application rows
    table = names.relation(rv)
    if _under_access_exclusive(ctx, stmt, rv):
        return
    if stmt.kind == "UpdateStmt":
        form, does = "UPDATE", "writes a new version of every row"
        instead = "Add the WHERE clause it lost, or backfill in batches (WHERE id BETWEEN … AND …, each batch in its own transaction, outside the schema migration)."
    else:
        form, does = "DELETE", "deletes every row"
        instead = "Add the WHERE clause it lost, or delete in batches; to empty the table, TRUNCATE is instant (but takes an ACCESS EXCLUSIVE lock)."
    yield ctx.violation(
        stmt,
        f'{form} without WHERE on "{table}" {does} in one statement: each stays locked until the migration commits, '
        "so application updates and deletes of any row wait",
        node=rv,
        help=instead,
        lock="ROW EXCLUSIVE",
        table=table,
        blocks="writes to the changed rows",
        objects=[f'"{table}"'],
    )


def group_message(violations, objects):
    """The message of the one finding for several whole-table UPDATEs/DELETEs in a file
    (:mod:`linter.grouping`): one decision, to batch the data migration or not."""
    tables = list(dict.fromkeys(objects))
    return (
        f"{len(violations)} UPDATE/DELETE statements without WHERE change every row of {listing(tables)} in one "
        "migration: each changed row stays locked until the migration commits, so application updates and deletes "
        "of those tables wait",
        None,
    )


_SLOW = "slow-statement-after-access-exclusive"


def _under_access_exclusive(ctx, stmt, rv: dict) -> bool:
    """True when the transaction already holds ACCESS EXCLUSIVE on the table ``rv`` (taken by an
    earlier statement) and ``slow-statement-after-access-exclusive`` is on for the file:
    every access to the table waits anyway, the row locks add nothing, and that rule
    reports the wait (its finding counts this statement)."""
    if _SLOW not in ctx.config.settings_for(ctx.file.path):
        return False
    want = names.table_key(rv)
    for step in ctx.pg.session.steps:
        if step.stmt is stmt:
            return any(h.effect.mode is LockMode.ACCESS_EXCLUSIVE and names.relation_key(h.effect.relation) == want
                       for h in step.held)
    return False

