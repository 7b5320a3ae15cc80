"""Dropping a column default breaks INSERTs of running code that rely on it.

## Why is this bad?
`ALTER TABLE … ALTER COLUMN c DROP DEFAULT` is a quick catalog change under an ACCESS
EXCLUSIVE lock (which blocks reads and writes while held), but `INSERT`s of the running
application version that omit the column now store NULL, or fail when the column is
`NOT NULL`.

Not reported: a default set again later in the same file (a default replaced, or dropped
around a type change), columns added and tables created earlier in the same file, and
down migrations (`.down.sql`, Flyway `U` files, dbmate `-- migrate:down`, goose
`-- +goose Down`).

One finding per statement, naming every column it changes.

## Example
```sql
ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;
```

## Use instead
```sql
-- first deploy code that always writes the column, then drop the default;
-- replacing a default is fine:
ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- ALTER TABLE, SET/DROP DEFAULT: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DROP-DEFAULT
"""

from linter.pg import columns, names

ID = "drop-column-default"
FAMILY = "locking"
SCOPE = "statement"
KINDS = ("AlterTableStmt",)
SUBCOMMANDS = ("AT_ColumnDefault",)
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-drop-default",)


def check(ctx, stmt, options):
    alter = columns.breaking_alter(ctx, stmt, "AT_ColumnDefault", keep=lambda c: not c.get("def"))
    if alter is None:
        return
    statements, lock = ctx.source.statements, alter.lock
    cols = [col for col in alter.existing_columns(ctx) if not _set_again(statements, stmt, alter.key, col)]
    if not cols:
        return
    # one finding per statement, naming every column
    yield alter.violation(
        ctx,
        columns.where(ctx, stmt, "drop_default", cols[0]),
        f'ALTER TABLE … ALTER COLUMN {names.quoted_list(cols)} DROP DEFAULT on "{alter.table}" breaks INSERTs of running '
        f"code that omit {'these columns' if len(cols) > 1 else 'the column'} (brief {lock.label} lock, which blocks {lock.blocks})",
        help=f"Deploy code that always writes {'these columns' if len(cols) > 1 else 'this column'} first; then drop the default.",
        breaking=True,
        columns=cols,
    )


def _set_again(statements, stmt, key, col):
    """A SET DEFAULT on the column in this statement or a later one of the file."""
    for st in [stmt, *(s for s in statements if s.index > stmt.index)]:
        if st.kind == "AlterTableStmt" and names.table_key(st.body.get("relation")) == key:
            if any(c.get("def") and c.get("name") == col for c in columns.alter_cmds(st, "AT_ColumnDefault")):
                return True
    return False
