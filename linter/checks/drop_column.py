"""Dropping a column breaks the running code that still uses it, and its data is gone.

## Why is this bad?
`ALTER TABLE … DROP COLUMN` is quick (the column is only marked dropped) but takes an
ACCESS EXCLUSIVE lock, which blocks reads and writes while it waits and runs, and from
then on every query of the application version still running that names the column, or
`INSERT`s a value into it, fails. The data cannot be brought back by a rollback.

Not reported: columns added earlier in the same file, tables created earlier in the same
file, and down migrations (`.down.sql`, Flyway `U` files, dbmate `-- migrate:down`,
goose `-- +goose Down`): removing what the up migration added is rollback code.

One finding per statement, at its first such column, naming every column it drops
(`DROP COLUMN "a", "b" and "c"`): one ALTER TABLE is one change to review.

## Example
```sql
ALTER TABLE payments DROP COLUMN merchant_id;
```

## Use instead
```sql
-- contract last: first deploy code that neither reads nor writes the column (ORMs:
-- mark it ignored), make it nullable so inserts without it work, then drop it in a
-- later migration
ALTER TABLE payments ALTER COLUMN merchant_id DROP NOT NULL;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- ALTER TABLE, DROP COLUMN: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-DROP-COLUMN
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html
"""

from linter.pg import columns, names

ID = "drop-column"
FAMILY = "locking"
SCOPE = "statement"
KINDS = ("AlterTableStmt",)
SUBCOMMANDS = ("AT_DropColumn",)
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-drop-column",)


def check(ctx, stmt, options):
    alter = columns.breaking_alter(ctx, stmt, "AT_DropColumn")
    if alter is None:
        return
    lock = alter.lock
    cols = list(alter.existing_columns(ctx))
    if not cols:
        return
    # one finding per statement, naming every column: one ALTER is one change to review
    them, it = ("them", "their") if len(cols) > 1 else ("it", "its")
    yield alter.violation(
        ctx,
        columns.where(ctx, stmt, "drop_column", cols[0]),
        f'ALTER TABLE … DROP COLUMN {names.quoted_list(cols)} on "{alter.table}" breaks running code that still uses '
        f"{them} and deletes {it} data ({lock.label} lock, which blocks {lock.blocks})",
        help=("Contract last: deploy code that no longer reads or writes the column (make it nullable first so "
              "inserts without it work), then drop it in a later migration."),
        breaking=True,
        columns=cols,
    )

