"""Dropping a constraint removes a guarantee running code may rely on.

## Why is this bad?
`ALTER TABLE … DROP CONSTRAINT` takes an ACCESS EXCLUSIVE lock (which blocks reads and
writes while held) and removes a guarantee: uniqueness that `ON CONFLICT` clauses name, a
foreign key whose cascades the code relies on, a CHECK that readers assume. Dropping a
primary key or unique constraint also drops its index, so queries that used it slow down.
This rule is a note, to make the change visible in review.

Not reported: constraints added earlier in the same file, a constraint added again under
the same name later in the file (a constraint redefined; a `…_pkey` replaced by a new
PRIMARY KEY), the temporary CHECK of the
SET NOT NULL recipe (dropped after SET NOT NULL on that table), tables created earlier in
the same file, and down migrations (`.down.sql`, Flyway `U` files, dbmate
`-- migrate:down`, goose `-- +goose Down`).

## Example
```sql
ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
```

## Use instead
```sql
-- redefining a constraint under the same name keeps the guarantee
ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE NOT VALID;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- ALTER TABLE, DROP CONSTRAINT: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-DROP-CONSTRAINT
"""

from linter.pg import columns, names

ID = "drop-constraint"
FAMILY = "locking"
SCOPE = "statement"
KINDS = ("AlterTableStmt",)
SUBCOMMANDS = ("AT_DropConstraint",)
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-drop-constraint",)


def check(ctx, stmt, options):
    alter = columns.breaking_alter(ctx, stmt, "AT_DropConstraint")
    if alter is None:
        return
    statements, lock = ctx.source.statements, alter.lock
    not_null_cols = _set_not_null_before(statements, stmt, alter.key)
    for cmd in alter.cmds:
        name = cmd.get("name", "")
        if columns.history(ctx).constraint_added(stmt, alter.key, name) or _added_again(statements, stmt, alter.key, name):
            continue
        if "null" in name.lower() and any(c in name for c in not_null_cols):
            continue  # the recipe's CHECK (col IS NOT NULL), now replaced by NOT NULL
        yield alter.violation(
            ctx,
            columns.where(ctx, stmt, "drop_constraint", name),
            f'ALTER TABLE … DROP CONSTRAINT "{name}" on "{alter.table}" removes a guarantee running code may rely on '
            f"({lock.label} lock, which blocks {lock.blocks})",
            help=("Drop it only after the code no longer relies on it; to change a constraint, add the new one "
                  "(NOT VALID, then VALIDATE) before dropping the old."),
            breaking=True,
        )


def _added_again(statements, stmt, key, name):
    for st in [stmt, *(s for s in statements if s.index > stmt.index)]:
        if st.kind == "AlterTableStmt" and names.table_key(st.body.get("relation")) == key:
            for c in columns.alter_cmds(st, "AT_AddConstraint", "AT_AddIndexConstraint"):
                con = c.get("def", {}).get("Constraint", {}) or c.get("def", {}).get("IndexStmt", {})
                if con.get("conname") == name:
                    return True
                if name.endswith("_pkey") and (con.get("contype") == "CONSTR_PRIMARY" or con.get("primary")):
                    return True  # the primary key replaced (by default it is named <table>_pkey)
    return False


def _set_not_null_before(statements, stmt, key):
    out = {c.get("name", "") for c in columns.alter_cmds(stmt, "AT_SetNotNull")}
    for st in statements:
        if st.index < stmt.index and st.kind == "AlterTableStmt" and names.table_key(st.body.get("relation")) == key:
            out |= {c.get("name", "") for c in columns.alter_cmds(st, "AT_SetNotNull")}
    return {c for c in out if c}
