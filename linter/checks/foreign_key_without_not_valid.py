"""Add foreign keys to existing tables with NOT VALID, then VALIDATE them separately.

## Why is this bad?
`ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY … REFERENCES other` takes a SHARE ROW
EXCLUSIVE lock on *both* tables, which blocks writes to both, and then scans the whole
referencing table, looking every value up in the referenced table, before it lets go. A
new column added with a DEFAULT and a `REFERENCES` clause is checked the same way (a new
column without a default is all NULL and is not scanned). With `NOT VALID` the
constraint is added at once (the locks are still taken, briefly); a later `ALTER TABLE
… VALIDATE CONSTRAINT` checks the existing rows under SHARE UPDATE EXCLUSIVE on the
referencing table and ROW SHARE on the referenced one, which block neither reads nor
writes. Run the VALIDATE in a separate transaction (a later migration, or after a
COMMIT); in the same transaction the ADD's locks are still held during the scan.

## Example
```sql
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
```

## Use instead
```sql
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
-- in a later migration:
-- ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
```

## Options
None. Not reported: referencing tables created earlier in the same file (empty: nothing
to scan, and the referenced table's lock is brief), and statements inside function
bodies.

## PostgreSQL versions
`NOT VALID` foreign keys exist from PostgreSQL 9.1. A foreign key on a partitioned table
cannot be added NOT VALID ("cannot add NOT VALID foreign key on partitioned table", checked
on PostgreSQL 15): add it NOT VALID to each partition instead.

## References
- ALTER TABLE, ADD table_constraint [ NOT VALID ] and Notes: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
"""

from linter.pg import columns, names, rewrites
from linter.pg.locks import LockMode

ID = "foreign-key-without-not-valid"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "error"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ("adding-foreign-key-constraint",)
#: folded into this finding on its statement: NOT VALID skips the scan under the lock (a lock timeout still matters: SHARE ROW EXCLUSIVE is still taken)
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("AlterTableStmt",)  # the engine only calls check() for these statement kinds
SUBCOMMANDS = ("AT_AddConstraint", "AT_AddColumn")  # and only ALTER TABLEs with one of these subcommands


def check(ctx, stmt, options):
    table = names.relation(stmt.body.get("relation"))
    lock = LockMode.SHARE_ROW_EXCLUSIVE
    for con, coldef in columns.added_constraints(ctx, stmt, ("CONSTR_FOREIGN",)):
        if coldef is not None and not rewrites.column_default(coldef)[1]:
            continue  # a new column without a default is all NULL: nothing to check
        if con.get("skip_validation"):
            continue
        column = coldef.get("colname") if coldef is not None else None
        ref = names.relation(con.get("pktable"))
        name = con.get("conname")
        label = f'"{name}" ' if name else ""
        validate = f"ALTER TABLE {table} VALIDATE CONSTRAINT {name or '<name>'}"
        fix = None
        if column is None:
            what = f"ALTER TABLE … ADD CONSTRAINT {label}FOREIGN KEY"
            help = (f"Add it with NOT VALID (no scan; the locks are taken only briefly), then run `{validate}` in a "
                    f'later migration: it scans under SHARE UPDATE EXCLUSIVE on "{table}" and ROW SHARE on "{ref}", '
                    "which block neither reads nor writes.")
            if not name:
                help += " Name the constraint, so that the VALIDATE can refer to it."
            fix = columns.not_valid_fix(ctx, stmt, con)
        else:
            what = f'ALTER TABLE … ADD COLUMN "{column}" … DEFAULT … REFERENCES'
            help = (f"Add the column without the REFERENCES clause, then `ALTER TABLE {table} ADD CONSTRAINT … "
                    f"FOREIGN KEY ({column}) REFERENCES {ref} NOT VALID` (a column constraint cannot be NOT VALID), "
                    f"then `{validate}` in a later migration.")
        yield ctx.violation(
            stmt,
            f'{what} scans "{table}" to check every existing row against "{ref}" while holding {lock.label} '
            f'locks on both tables, which block {lock.blocks} to "{table}" and "{ref}"',
            node=con,
            help=help,
            fix=fix,
            lock=lock.label,
            table=table,
            referenced_table=ref,
            blocks=lock.blocks,
            scan=True,
        )
