"""Dropping a column default changes what INSERTs of running code that omit the column write.

## Why is this bad?
`ALTER TABLE … ALTER COLUMN c DROP DEFAULT` is a quick catalog change under an ACCESS
EXCLUSIVE lock (which blocks reads and writes while held), but `INSERT`s of the running
application version that omit the column no longer get the default: on a `NOT NULL`
column they fail ("null value in column … violates not-null constraint"), on a nullable
one they store NULL instead. The message says which when the file tells (a `SET NOT NULL`
or `ADD PRIMARY KEY` on the column); otherwise it names both outcomes.

Not reported: a default set again later in the same file (a default replaced, or dropped
around a type change) or replaced by an identity (`ADD GENERATED … AS IDENTITY`, which
gives omitted values one), a column the same file makes nullable with `DROP NOT NULL`
(`drop-not-null` reports the NULLs running code may then read), columns added and tables
created earlier in the same file, and down migrations (`.down.sql`, Flyway `U` files,
dbmate `-- migrate:down`, goose `-- +goose Down`).

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
- INSERT: "each column not present in the explicit or implicit column list will be filled
  with a default value, either its declared default value or null if there is none":
  https://www.postgresql.org/docs/current/sql-insert.html
"""

from linter.model import Direction
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
    cols = []
    for col in alter.existing_columns(ctx):
        if _set_again(statements, stmt, alter.key, col):
            continue
        null = _nullability(statements, stmt, alter.key, col)
        if null == "null":
            continue  # made nullable on purpose: drop-not-null reports the NULLs readers may get
        cols.append((col, null))
    if not cols:
        return
    # one finding per statement, naming every column
    names_ = [c for c, _ in cols]
    many = len(names_) > 1
    if all(null == "not null" for _, null in cols):
        what = f"fail: {'the columns are' if many else 'the column is'} NOT NULL and {'have' if many else 'has'} no default any more"
    else:
        what = "store NULL instead of the default (or fail, if the column is NOT NULL)"
    yield alter.violation(
        ctx,
        columns.where(ctx, stmt, "drop_default", names_[0]),
        f'ALTER TABLE … ALTER COLUMN {names.quoted_list(names_)} DROP DEFAULT on "{alter.table}": INSERTs of running code that '
        f"omit {'these columns' if many else 'the column'} now {what} (brief {lock.label} lock, which blocks {lock.blocks})",
        help=f"Deploy code that always writes {'these columns' if many else 'this column'} first; then drop the default.",
        breaking=True,
        columns=names_,
    )


def _later_alters(statements, stmt, key):
    """``stmt`` and the later top-level ALTER TABLEs of ``key`` in the same direction."""
    down = stmt.section is Direction.DOWN
    for st in [stmt, *(s for s in statements if s.index > stmt.index)]:
        if st.kind == "AlterTableStmt" and (st.section is Direction.DOWN) == down and names.table_key(st.body.get("relation")) == key:
            yield st


def _set_again(statements, stmt, key, col):
    """A SET DEFAULT on the column, or ADD GENERATED … AS IDENTITY (an identity gives
    omitted values one), in this statement or a later one of the file."""
    for st in _later_alters(statements, stmt, key):
        for c in columns.alter_cmds(st, "AT_ColumnDefault", "AT_AddIdentity"):
            if c.get("name") == col and (c.get("def") or c.get("subtype") == "AT_AddIdentity"):
                return True
    return False


def _nullability(statements, stmt, key, col) -> str | None:
    """What the file says the column is once it has run: ``"not null"`` (SET NOT NULL,
    ADD PRIMARY KEY on it), ``"null"`` (DROP NOT NULL), the last such statement of the
    file in this direction winning; ``None`` when the file does not say."""
    down = stmt.section is Direction.DOWN
    out = None
    for st in statements:
        if st.kind != "AlterTableStmt" or (st.section is Direction.DOWN) != down or names.table_key(st.body.get("relation")) != key:
            continue
        for c in columns.alter_cmds(st, "AT_SetNotNull", "AT_DropNotNull", "AT_AddConstraint"):
            sub = c.get("subtype")
            if sub == "AT_AddConstraint":
                con = c.get("def", {}).get("Constraint", {})
                if con.get("contype") == "CONSTR_PRIMARY" and col in names.strings(con.get("keys")):
                    out = "not null"
            elif c.get("name") == col:
                out = "not null" if sub == "AT_SetNotNull" else "null"
    return out
