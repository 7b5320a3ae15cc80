"""Add columns to existing tables without rewriting the table.

## Why is this bad?
`ALTER TABLE … ADD COLUMN` takes an ACCESS EXCLUSIVE lock, which blocks reads and writes.
With a constant (or stable) default PostgreSQL 11+ only records the default in the
catalog and the lock is brief. But the whole table and its indexes are rewritten, under
that lock, when the new column's value must be computed for every row:

- a volatile DEFAULT (`random()`, `gen_random_uuid()`, `clock_timestamp()`, `nextval()`,
  or a function miglint cannot see is stable: reported as "may be volatile");
- a `GENERATED ALWAYS AS (…) STORED` column;
- a `serial` / `bigserial` column or an identity column (`GENERATED … AS IDENTITY`),
  filled from a sequence row by row;
- before PostgreSQL 11, *any* non-null DEFAULT.

On a large table that is minutes of downtime.

## Example
```sql
ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
```

## Use instead
```sql
-- 1. add the column without a default (catalog-only), 2. set the default for new rows,
-- 3. backfill existing rows in batches from a later migration or a job
ALTER TABLE orders ADD COLUMN public_id uuid;
ALTER TABLE orders ALTER COLUMN public_id SET DEFAULT gen_random_uuid();
```

## Options
- `include-unknown-functions` (bool, default `true`): also report defaults that call a
  function miglint does not know to be stable (user functions may be volatile). Set to
  `false` when your own default functions are declared `STABLE`/`IMMUTABLE`.

Tables created earlier in the same file are empty: adding columns to them is not reported.
On down code (down files and sections) this is one of the lock-hazard findings that
`locking-in-rollback` summarises, unless `rollback_locking: full` is set.

## PostgreSQL versions
From 11, non-volatile defaults no longer rewrite (release notes 11, "E.1.3.2"); before
11, any non-null default rewrites. Volatile defaults, stored generated columns (12+) and
serial/identity columns rewrite on every version. Set `pg_version` to your server's.

## References
- ALTER TABLE, Notes: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
- Function volatility: https://www.postgresql.org/docs/current/xfunc-volatility.html
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html
"""

from linter.pg import columns, rewrites

ID = "add-column-rewrite"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
KINDS = ("AlterTableStmt",)
SUBCOMMANDS = ("AT_AddColumn",)
DEFAULT_LEVEL = "error"
OPTIONS = {"include-unknown-functions": bool}
DEFAULTS = {"include-unknown-functions": True}
ALIASES = ("adding-field-with-default",)
#: folded into this finding on its statement: the recommended form avoids the rewrite under the lock (ACCESS EXCLUSIVE is still taken briefly: a lock timeout still matters)
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")


def check(ctx, stmt, options):
    alter = columns.table_alter(ctx, stmt, "AT_AddColumn")
    if alter is None:
        return
    lock = alter.lock
    for site in columns.column_sites(stmt):
        if site.how != "add":
            continue
        why = rewrites.add_column_rewrites(site.coldef, ctx.pg_version)
        if why is None or ("may be volatile" in why and not options["include-unknown-functions"]):
            continue
        maybe = "may rewrite" if "may be volatile" in why else "rewrites"
        yield alter.violation(
            ctx,
            stmt,
            f'ALTER TABLE … ADD COLUMN "{site.name}" {maybe} "{alter.table}" under an {lock.label} lock, '
            f"which blocks {lock.blocks}: {why}",
            _help(site.coldef, why),
            node=site.coldef,
            rewrite=True,
        )


def _help(coldef, why):
    if "generated" in why:
        return ("Add a plain nullable column, fill it in batches, and compute it in the application "
                "or a trigger; or create the table anew with the generated column and swap.")
    if "serial" in why or "identity" in why:
        return ("Add a nullable bigint column, attach a sequence as its DEFAULT for new rows, backfill "
                "existing rows in batches, then add NOT NULL with a validated CHECK (col IS NOT NULL).")
    if "before PostgreSQL 11" in why:
        return ("Add the column without a default, then SET DEFAULT (affects new rows only), then "
                "backfill existing rows in batches; or upgrade to PostgreSQL 11+.")
    return ("Add the column without a default, then ALTER COLUMN … SET DEFAULT (new rows only), then "
            "backfill existing rows in batches in a separate migration or job.")
