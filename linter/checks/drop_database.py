"""Dropping a database in a migration destroys everything in it.

## Why is this bad?
`DROP DATABASE` removes a whole database, its schemas and data, for good. It waits for an
exclusive lock on the database and fails while anyone is connected (from PostgreSQL 13
`WITH (FORCE)` terminates those connections). It cannot run inside a transaction block,
so most migration tools fail on it anyway. In a migration run against production it is
almost never what was meant: test setup and one-off scripts belong elsewhere.

Not reported: down migrations (`.down.sql`, Flyway `U` files, dbmate `-- migrate:down`,
goose `-- +goose Down`) and a database created earlier in the same file.

## Example
```sql
DROP DATABASE analytics;
```

## Use instead
```sql
-- drop databases by hand, after a backup, outside the migration history
REVOKE CONNECT ON DATABASE analytics FROM PUBLIC;
```

## Options
None.

## PostgreSQL versions
All versions; `WITH (FORCE)` from 13.

## References
- DROP DATABASE: https://www.postgresql.org/docs/current/sql-dropdatabase.html
"""

from linter.pg import columns, lifecycle

ID = "drop-database"
FAMILY = "locking"
SCOPE = "statement"
KINDS = ("DropdbStmt",)
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-drop-database",)


def check(ctx, stmt, options):
    if stmt.kind != "DropdbStmt" or columns.is_rollback(stmt) or columns.in_function_body(stmt):
        return
    name = stmt.body.get("dbname", "")
    if lifecycle.database_created_before(ctx.source.statements, stmt, name):
        return
    yield ctx.violation(
        stmt,
        f'DROP DATABASE "{name}" destroys the whole database and breaks every client connected to it '
        "(it also cannot run inside a transaction block)",
        help="Drop databases by hand, after a backup, outside the migration history.",
        table=name,
        lock="database",
        blocks="every connection to the database",
        breaking=True,
    )
