"""Dropping NOT NULL lets NULLs in where running code may assume there are none.

## Why is this bad?
`ALTER TABLE … ALTER COLUMN c DROP NOT NULL` is a quick catalog change under an ACCESS
EXCLUSIVE lock (which blocks reads and writes while held), but it removes a guarantee:
once new code writes NULLs, readers of the old version that assume a value (non-optional
fields in typed clients, `NOT NULL` checks in reports) break. It is usually the right
*expand* step before dropping a column; this rule is a note, to make the change visible
in review.

Not reported: columns added and tables created earlier in the same file, and down
migrations (`.down.sql`, Flyway `U` files, dbmate `-- migrate:down`, goose
`-- +goose Down`).

One finding per statement, naming every column it changes.

## Example
```sql
ALTER TABLE orders ALTER COLUMN shipped_at DROP NOT NULL;
```

## Use instead
```sql
-- first deploy code that copes with NULL in shipped_at, then drop the constraint
-- (and say so in a suppression comment):
-- miglint: ignore drop-not-null -- readers handle NULL since v2.3
ALTER TABLE orders ALTER COLUMN shipped_at DROP NOT NULL;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- ALTER TABLE, SET/DROP NOT NULL: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DROP-NOT-NULL
"""

from linter.pg import columns, names

ID = "drop-not-null"
FAMILY = "locking"
SCOPE = "statement"
KINDS = ("AlterTableStmt",)
SUBCOMMANDS = ("AT_DropNotNull",)
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-drop-not-null",)


def check(ctx, stmt, options):
    alter = columns.breaking_alter(ctx, stmt, "AT_DropNotNull")
    if alter is None:
        return
    lock = alter.lock
    cols = list(alter.existing_columns(ctx))
    if not cols:
        return
    # one finding per statement, naming every column
    yield alter.violation(
        ctx,
        columns.where(ctx, stmt, "drop_not_null", cols[0]),
        f'ALTER TABLE … ALTER COLUMN {names.quoted_list(cols)} DROP NOT NULL on "{alter.table}" lets NULLs in where '
        f"running code may assume a value (brief {lock.label} lock, which blocks {lock.blocks})",
        help=f"Deploy code that handles NULL in {'these columns' if len(cols) > 1 else 'this column'} first; then drop the constraint.",
        breaking=True,
        columns=cols,
    )

