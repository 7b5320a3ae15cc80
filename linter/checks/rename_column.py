"""Renaming a column breaks the running application code that still uses the old name.

## Why is this bad?
`ALTER TABLE … RENAME COLUMN` is instant (a catalog change under a brief ACCESS EXCLUSIVE
lock, which blocks reads and writes while held), but from that moment every query of the
version of the application that is still running, and of every other client, that names
the old column fails. Deployments are not atomic: old and new code run side by side for a
while, and a rollback of the code brings the old name back.

Reported once per file (per dbmate/goose section), at the first rename, naming every
renamed column: whether the code still uses the old names is one decision for the deploy.

Not reported: columns added earlier in the same file, tables created earlier in the same
file, and down migrations (`.down.sql`, Flyway `U` files, dbmate `-- migrate:down` and
goose `-- +goose Down` sections), which are rollback code run by hand, not against
production traffic.

## Example
```sql
ALTER TABLE users RENAME COLUMN email TO email_address;
```

## Use instead
```sql
-- expand: add the new column and keep both in sync while old and new code run
ALTER TABLE users ADD COLUMN email_address text;
-- a trigger copies email <-> email_address; backfill in batches; deploy code that uses
-- email_address; then, in a later migration (contract): DROP COLUMN email
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- ALTER TABLE, RENAME: https://www.postgresql.org/docs/current/sql-altertable.html
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html
"""

from linter.grouping import listing
from linter.pg import columns, names
from linter.pg.locks import LockMode

ID = "rename-column"
FAMILY = "locking"
SCOPE = "statement"
KINDS = ("RenameStmt",)
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("renaming-column",)
REPORT = "per-file"


def check(ctx, stmt, options):
    if stmt.kind != "RenameStmt" or stmt.body.get("renameType") != "OBJECT_COLUMN":
        return
    if columns.is_rollback(stmt) or columns.in_function_body(stmt):
        return
    rv = stmt.body.get("relation")
    old, new = stmt.body.get("subname", ""), stmt.body.get("newname", "")
    if ctx.pg.is_new_table(rv, stmt) or columns.history(ctx).column_added(stmt, names.table_key(rv), old):
        return
    eff = columns.own_lock(ctx.pg.locks(stmt), rv)
    lock = eff.mode if eff else LockMode.ACCESS_EXCLUSIVE
    table = names.relation(rv)
    yield ctx.violation(
        columns.where(ctx, stmt, "rename_column", old),
        f'ALTER TABLE … RENAME COLUMN "{old}" TO "{new}" on "{table}" breaks running code that still uses "{old}" '
        f"(brief {lock.label} lock, which blocks {lock.blocks})",
        help=(f'Expand and contract: add "{new}", keep both columns in sync (trigger) and backfill, deploy code '
              f'that uses "{new}", then drop "{old}" in a later migration.'),
        lock=lock.label,
        table=table,
        blocks=lock.blocks,
        breaking=True,
        objects=[f'"{table}"."{old}" → "{new}"'],
    )


def group_message(violations, objects):
    """The message and help of the one finding for several renames in a file."""
    tables = len({v.properties.get("table") for v in violations})
    return (
        f"renames {len(objects)} columns in {tables} table{'s' if tables > 1 else ''} ({listing(objects)}): "
        "code still using the old names fails from this deploy until it is updated",
        "Expand and contract: add the new columns, keep old and new in sync (trigger) and backfill, deploy code that "
        "uses the new names, then drop the old columns in a later migration.",
    )
