"""Dropping a table breaks the running code that still uses it, and its data is gone.

## Why is this bad?
`DROP TABLE` takes an ACCESS EXCLUSIVE lock (blocking reads and writes of the table while
it waits and runs) and removes the table and its data for good: every query of the
application version still running, and of other clients, that names it fails, and a
rollback of the code cannot bring the data back.

Reported once per file (per dbmate/goose section), at the first dropped table, naming
every dropped table: whether the code still uses them is one decision for the deploy.

Not reported: tables created earlier in the same file (scratch tables), a table swapped
aside by a RENAME earlier in the file (the rename is what `rename-table` judges), a table
whose rows an earlier statement of the file (same section) copied into another table
(`INSERT INTO x SELECT … FROM t`, `UPDATE x SET … FROM t`, `CREATE TABLE x AS SELECT … FROM
t`, also the `t_new` swap: filled from `t`, `t` dropped, `t_new` renamed into place; see
`linter/pg/intent.py`): its data is kept and dropping it is the intent, a DROP TABLE
whose comment lines directly above say the table is unused (`unused`, `not used`, `not
being used`, `no longer used`, `obsolete`; not `legacy` or `old`): the author answers the
deploy question there, where the reviewer reads and checks it, and
down migrations (`.down.sql`, Flyway `U` files, dbmate `-- migrate:down`, goose
`-- +goose Down`): dropping what the up migration created is what rollback code does.

## Example
```sql
DROP TABLE legacy_sessions;
```

## Use instead
```sql
-- contract last: deploy code that no longer uses the table, keep it aside for a
-- release so a rollback still finds its data, then drop it in a later migration
ALTER TABLE legacy_sessions RENAME TO legacy_sessions_deprecated;
CREATE VIEW legacy_sessions AS SELECT * FROM legacy_sessions_deprecated;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- DROP TABLE: https://www.postgresql.org/docs/current/sql-droptable.html
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html
"""

from linter.grouping import listing
from linter.pg import columns, intent, lifecycle, names
from linter.pg.locks import LockMode

ID = "drop-table"
FAMILY = "locking"
SCOPE = "statement"
KINDS = ("DropStmt",)
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-drop-table",)
REPORT = "per-file"


def check(ctx, stmt, options):
    if stmt.kind != "DropStmt" or stmt.body.get("removeType") != "OBJECT_TABLE":
        return
    if columns.is_rollback(stmt) or columns.in_function_body(stmt):
        return
    if stmt.parent is None and intent.comment_says_unused(ctx.source, stmt):
        return  # the author says in the file that nothing uses it (linter.pg.intent)
    statements = ctx.source.statements
    lock = LockMode.ACCESS_EXCLUSIVE
    tables = []
    for obj in stmt.body.get("objects", ()) or ():
        parts = names.strings(obj)
        if not parts:
            continue
        key, table = parts[-1], ".".join(parts)
        if ctx.pg.is_new_table(key, stmt) or lifecycle.renamed_to_before(statements, stmt, key):
            continue
        if ctx.pg.intent.copied_out(stmt, key) is not None:
            continue  # its rows were copied into another table earlier in the file (linter.pg.intent)
        tables.append(table)
    if not tables:
        return
    # one finding per statement, naming every table it drops
    them, their = ("them", "their") if len(tables) > 1 else ("it", "its")
    yield ctx.violation(
        stmt,
        f"DROP TABLE {names.quoted_list(tables)} breaks running code that still uses {them} and deletes {their} data "
        f"({lock.label} lock, which blocks {lock.blocks})",
        help=("Contract last: deploy code that no longer uses the table first; keep it renamed aside for a "
              "release so a rollback still finds its data, then drop it in a later migration."),
        lock=lock.label,
        table=", ".join(tables),
        blocks=lock.blocks,
        breaking=True,
        objects=[f'"{t}"' for t in tables],
    )


def group_message(violations, objects):
    """The message of the one finding for several dropped tables in a file (help: the first's)."""
    return (
        f"drops {len(objects)} tables ({listing(objects)}): code still using them fails from this deploy, and their "
        "data is deleted",
        None,
    )
