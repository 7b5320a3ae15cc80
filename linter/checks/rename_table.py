"""Renaming a table breaks the running application code that still uses the old name.

## Why is this bad?
`ALTER TABLE … RENAME TO` is instant (a catalog change under a brief ACCESS EXCLUSIVE
lock, which blocks reads and writes while held), but every query of the application
version still running, and of other clients, that names the old table fails from then on.

Reported once per file (per dbmate/goose section), at the first rename, naming every
renamed table: whether the code still uses the old names is one decision for the deploy.

Not reported: tables created earlier in the same file, renames after which the file
creates a table or view under the old name again (a swap such as `users` -> `users_old`,
`users_new` -> `users`, or a compatibility view), and down migrations (`.down.sql`,
Flyway `U` files, dbmate `-- migrate:down`, goose `-- +goose Down`: rollback code).

## Example
```sql
ALTER TABLE customers RENAME TO clients;
```

## Use instead
```sql
-- keep the old name working while old code runs: a simple view is updatable
ALTER TABLE customers RENAME TO clients;
CREATE VIEW customers AS SELECT * FROM clients;
-- drop the view in a later migration, once no code uses "customers"
```

## Options
None.

## PostgreSQL versions
All versions (simple views are automatically updatable from 9.3).

## References
- ALTER TABLE, RENAME: https://www.postgresql.org/docs/current/sql-altertable.html
- Updatable views, CREATE VIEW: https://www.postgresql.org/docs/current/sql-createview.html#SQL-CREATEVIEW-UPDATABLE-VIEWS
"""

from linter.grouping import listing
from linter.pg import columns, lifecycle, names
from linter.pg.locks import LockMode

ID = "rename-table"
FAMILY = "locking"
SCOPE = "statement"
KINDS = ("RenameStmt",)
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("renaming-table",)
REPORT = "per-file"

_RELKINDS = {"OBJECT_TABLE": "TABLE", "OBJECT_VIEW": "VIEW", "OBJECT_MATVIEW": "MATERIALIZED VIEW", "OBJECT_FOREIGN_TABLE": "FOREIGN TABLE"}


def check(ctx, stmt, options):
    if stmt.kind != "RenameStmt" or stmt.body.get("renameType") not in _RELKINDS:
        return
    if columns.is_rollback(stmt) or columns.in_function_body(stmt):
        return
    rv = stmt.body.get("relation")
    key = names.table_key(rv)
    statements = ctx.source.statements
    if ctx.pg.is_new_table(rv, stmt) or lifecycle.recreated_after(statements, stmt, key):
        return
    if lifecycle.renamed_to_before(statements, stmt, key):
        return  # already renamed into place in this file: the first rename is the one reported
    eff = columns.own_lock(ctx.pg.locks(stmt), rv)
    lock = eff.mode if eff else LockMode.ACCESS_EXCLUSIVE
    table, new = names.relation(rv), stmt.body.get("newname", "")
    kind = _RELKINDS[stmt.body["renameType"]]
    yield ctx.violation(
        stmt,
        f'ALTER {kind} "{table}" RENAME TO "{new}" breaks running code that still uses "{table}" '
        f"(brief {lock.label} lock, which blocks {lock.blocks})",
        node=rv,
        help=(f'Create a view named "{key}" over "{new}" in the same migration (simple views are updatable) and drop '
              "it once no code uses the old name; or expand and contract with a new table."),
        lock=lock.label,
        table=table,
        blocks=lock.blocks,
        breaking=True,
        objects=[f'"{table}" → "{new}"'],
    )


def group_message(violations, objects):
    """The message and help of the one finding for several renamed tables (views) in a file."""
    return (
        f"renames {len(objects)} tables or views ({listing(objects)}): code still using the old names fails from this "
        "deploy until it is updated",
        "For each, create a view under the old name over the renamed table in the same migration (simple views are "
        "updatable) and drop it once no code uses the old name; or expand and contract with a new table.",
    )
