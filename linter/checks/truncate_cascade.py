"""TRUNCATE … CASCADE also empties every table that references the named ones.

## Why is this bad?
`TRUNCATE … CASCADE` truncates the named tables *and* every table with a foreign key to
them, and every table referencing those, recursively: with `orders → order_items →
refunds`, truncating `orders` empties all three. Which tables that is depends on foreign
keys added anywhere in the schema's history, not on what the migration shows. Each of
them is locked ACCESS EXCLUSIVE (reads and writes wait) and its data is gone, without
the per-row `ON DELETE` logic. Without CASCADE, `TRUNCATE` fails when another table
references the named ones, which is the safe default: name every table to empty, and
the migration says what it deletes.

Tables created earlier in the same file are not reported.

The fix removes `CASCADE`.

## Example
```sql
TRUNCATE orders CASCADE;
```

## Use instead
```sql
TRUNCATE orders, order_items;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- TRUNCATE: https://www.postgresql.org/docs/current/sql-truncate.html
- Explicit locking (TRUNCATE takes ACCESS EXCLUSIVE): https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
"""

from linter.pg import columns, tokens

ID = "truncate-cascade"
FAMILY = "locking"
HAZARD = "populated"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-truncate-cascade",)
KINDS = ("TruncateStmt",)


def check(ctx, stmt, options):
    if stmt.body.get("behavior") != "DROP_CASCADE" or columns.in_function_body(stmt):
        return
    effects = [e for e in ctx.pg.locks(stmt) if e.node is None or not ctx.pg.is_new_table(e.node, stmt)]
    if not effects:
        return
    tables = ", ".join(f'"{e.relation}"' for e in effects)
    fix = None
    toks = tokens.tokens(stmt)
    if toks and toks[-1].name == "CASCADE":
        start = toks[-2].end if len(toks) > 1 else toks[-1].start
        fix = ctx.fix(start, toks[-1].end, "", "Remove CASCADE (TRUNCATE then fails if other tables reference these)")
    yield ctx.violation(
        stmt,
        f"TRUNCATE … CASCADE empties {tables} and every table whose foreign keys reference them, recursively, "
        "each under an ACCESS EXCLUSIVE lock that blocks reads and writes",
        help="Name every table to empty and drop CASCADE: TRUNCATE then fails, instead of deleting more, if another table still references them.",
        fix=fix,
        lock="ACCESS EXCLUSIVE",
        table=tables.replace('"', ""),
        blocks="reads and writes",
    )
