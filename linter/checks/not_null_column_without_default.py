"""A NOT NULL column added to an existing table needs a default.

## Why is this bad?
`ALTER TABLE … ADD COLUMN c type NOT NULL` (or `PRIMARY KEY`) with no DEFAULT gives every
existing row a NULL in a column that forbids it: on a table with rows PostgreSQL fails
with `column "c" … contains null values`, after waiting for its ACCESS EXCLUSIVE lock
(which blocks reads and writes). If it does pass (the table is empty in this
environment), it fails later in production, and every `INSERT` of the running
application code that does not know the new column fails too.

Identity, serial and generated columns fill themselves and are not reported here (see
`add-column-rewrite` for their rewrite).

One finding per statement, naming every such column it adds.

## Example
```sql
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
```

## Use instead
```sql
-- a constant default is catalog-only on PostgreSQL 11+: no rewrite, old INSERTs still work
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT 0;
```
or add the column nullable, backfill it in batches, then make it NOT NULL with a validated
`CHECK (tenant_id IS NOT NULL)` (see `set-not-null-without-check`).

## Options
None. Tables created earlier in the same file are empty: they are not reported.
Down migrations are judged too: a rollback that adds the column back fails on a table with
rows, whatever `rollback_locking` says (it only folds lock hazards).

## PostgreSQL versions
All versions. From 11 a constant DEFAULT is added without a rewrite (before 11 the DEFAULT
rewrites the table: `add-column-rewrite` reports that).

## References
- ALTER TABLE, ADD COLUMN and Notes: https://www.postgresql.org/docs/current/sql-altertable.html
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html
"""

from linter.pg import columns, names, rewrites

ID = "not-null-column-without-default"
FAMILY = "locking"
HAZARD = "populated"
SCOPE = "statement"
KINDS = ("AlterTableStmt",)
SUBCOMMANDS = ("AT_AddColumn",)
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("adding-required-field",)
#: folded into this finding on its statement: a constant DEFAULT makes the ADD COLUMN catalog-only
#: (no check of every row under the lock); ACCESS EXCLUSIVE is still taken: a lock timeout still matters
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")

_SELF_FILLING = {"CONSTR_IDENTITY", "CONSTR_GENERATED"}


def check(ctx, stmt, options):
    alter = columns.table_alter(ctx, stmt, "AT_AddColumn")
    if alter is None:
        return
    lock = alter.lock
    found = []
    for site in columns.column_sites(stmt):
        if site.how != "add":
            continue
        kinds = rewrites.column_constraint_types(site.coldef)
        required = "CONSTR_NOTNULL" in kinds or "CONSTR_PRIMARY" in kinds
        if not required or kinds & _SELF_FILLING or names.base_type(site.type_name) in rewrites.SERIAL_TYPES:
            continue
        expr, has_default = rewrites.column_default(site.coldef)
        if has_default and not (expr or {}).get("A_Const", {}).get("isnull"):
            continue
        found.append((site, "PRIMARY KEY" if "CONSTR_PRIMARY" in kinds else "NOT NULL"))
    if not found:
        return
    # one finding per statement, naming every column
    site, what = found[0]
    cols = [s.name for s, _ in found]
    if len(found) > 1:
        what = "NOT NULL" if all(w == "NOT NULL" for _, w in found) else "NOT NULL / PRIMARY KEY"
    yield alter.violation(
        ctx,
        stmt,
        f"ALTER TABLE … ADD COLUMN {names.quoted_list(cols)} {what} without a DEFAULT fails on \"{alter.table}\" if it has "
        f"rows (and breaks INSERTs that omit {'them' if len(cols) > 1 else 'the column'}); it takes an {lock.label} lock, "
        f"which blocks {lock.blocks}",
        ("Give the column a constant DEFAULT (catalog-only on PostgreSQL 11+), or add it nullable, "
         "backfill it, then SET NOT NULL after a validated CHECK (col IS NOT NULL)."),
        node=site.coldef,
        columns=cols,
    )
