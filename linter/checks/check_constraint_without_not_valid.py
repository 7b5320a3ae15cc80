"""Add CHECK constraints to existing tables with NOT VALID, then VALIDATE them separately.

## Why is this bad?
`ALTER TABLE … ADD CONSTRAINT … CHECK (…)` takes an ACCESS EXCLUSIVE lock, which blocks
reads and writes, and then scans the whole table to check every existing row, holding
the lock until the scan ends. A CHECK on a column added in the same `ADD COLUMN` is
checked the same way. With `NOT VALID` the constraint is added at once, without the
scan (new and updated rows are checked from then on); a later `ALTER TABLE … VALIDATE
CONSTRAINT` scans the existing rows under SHARE UPDATE EXCLUSIVE, which blocks neither
reads nor writes. Run the VALIDATE in a separate transaction (a later migration, or
after a COMMIT): in the same transaction the ADD's lock is still held during the scan
(see `validate-constraint-in-same-transaction`).

## Example
```sql
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);
```

## Use instead
```sql
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;
-- in a later migration:
-- ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;
```

## Options
None. Not reported: tables created earlier in the same file (empty), and statements
inside the bodies of functions the file does not call. Foreign keys have their own rule, `foreign-key-without-not-valid`.

## PostgreSQL versions
`NOT VALID` CHECK constraints exist from PostgreSQL 9.2; the lock and scan are the same on
every supported version.

## References
- ALTER TABLE, ADD table_constraint [ NOT VALID ] and Notes: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
"""

from linter.pg import columns, names
from linter.pg.locks import LockMode

ID = "check-constraint-without-not-valid"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "error"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ("constraint-missing-not-valid",)
#: folded into this finding on its statement: NOT VALID skips the scan under the lock (ACCESS EXCLUSIVE is still taken: a lock timeout still matters)
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("AlterTableStmt",)  # the engine only calls check() for these statement kinds
SUBCOMMANDS = ("AT_AddConstraint", "AT_AddColumn")  # and only ALTER TABLEs with one of these subcommands


def check(ctx, stmt, options):
    table = names.relation(stmt.body.get("relation"))
    lock = LockMode.ACCESS_EXCLUSIVE
    for con, coldef in columns.added_constraints(ctx, stmt, ("CONSTR_CHECK",)):
        if con.get("skip_validation"):
            continue
        column = coldef.get("colname") if coldef is not None else None
        name = con.get("conname")
        label = f'"{name}" ' if name else ""
        validate = f"ALTER TABLE {table} VALIDATE CONSTRAINT {name or '<name>'}"
        fix = None
        if column is None:
            what = f"ALTER TABLE … ADD CONSTRAINT {label}CHECK"
            help = (f"Add it with NOT VALID (only new and updated rows are checked; no scan), then run `{validate}` "
                    "in a later migration: it scans under SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes.")
            if not name:
                help += " Name the constraint, so that the VALIDATE can refer to it."
            fix = columns.not_valid_fix(ctx, stmt, con)
        else:
            what = f'ALTER TABLE … ADD COLUMN "{column}" … {label}CHECK'
            help = (f"Add the column first, then the constraint with `ALTER TABLE {table} ADD CONSTRAINT … CHECK (…) "
                    f"NOT VALID` (a column constraint cannot be NOT VALID), then `{validate}` in a later migration.")
        yield ctx.violation(
            stmt,
            f'{what} on "{table}" scans the whole table to check existing rows while holding an {lock.label} lock, '
            f"which blocks {lock.blocks}",
            node=con,
            help=help,
            fix=fix,
            lock=lock.label,
            table=table,
            blocks=lock.blocks,
            scan=True,
        )
