"""Add UNIQUE and PRIMARY KEY constraints from an index built CONCURRENTLY (USING INDEX).

## Why is this bad?
`ALTER TABLE … ADD CONSTRAINT … UNIQUE (…)` / `PRIMARY KEY (…)` (and a new column declared
`UNIQUE` or `PRIMARY KEY`) builds the constraint's unique index while holding an ACCESS
EXCLUSIVE lock on the table: it reads and sorts every row while all reads and writes
wait. A primary key also checks its columns for NULLs under that lock unless they are
already NOT NULL. Build the index first with `CREATE UNIQUE INDEX CONCURRENTLY` (SHARE
UPDATE EXCLUSIVE: reads and writes go on), then attach it with `ADD CONSTRAINT …
UNIQUE USING INDEX` / `PRIMARY KEY USING INDEX`, which only takes the ACCESS EXCLUSIVE lock
for a moment (the index is renamed to the constraint's name).

## Example
```sql
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
```

## Use instead
```sql
-- a migration that runs outside a transaction:
CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
-- then:
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
```

## Options
None. Not reported: tables created earlier in the same file, statements inside function
bodies, and EXCLUDE constraints (they have no USING INDEX form).

## PostgreSQL versions
`ADD CONSTRAINT … USING INDEX` exists from PostgreSQL 9.1. `NULLS NOT DISTINCT` (15+)
carries over to the CREATE UNIQUE INDEX.

## References
- ALTER TABLE, ADD table_constraint_using_index: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT-USING-INDEX
- CREATE INDEX, "Building Indexes Concurrently": https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
"""

from linter.pg import columns, names
from linter.pg.locks import LockMode

ID = "unique-constraint-without-index"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "error"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ("disallowed-unique-constraint", "adding-serial-primary-key-field")
KINDS = ("AlterTableStmt",)  # the engine only calls check() for these statement kinds
SUBCOMMANDS = ("AT_AddConstraint", "AT_AddColumn")  # and only ALTER TABLEs with one of these subcommands

_KINDS = {"CONSTR_UNIQUE": "UNIQUE", "CONSTR_PRIMARY": "PRIMARY KEY"}


def check(ctx, stmt, options):
    rv = stmt.body.get("relation")
    table = names.relation(rv)
    bare = rv.get("relname", table) if rv else table
    lock = LockMode.ACCESS_EXCLUSIVE
    for con, coldef in columns.added_constraints(ctx, stmt, tuple(_KINDS)):
        column = coldef.get("colname") if coldef is not None else None
        if con.get("indexname"):
            continue
        kind = _KINDS[con["contype"]]
        keys = names.strings(con.get("keys")) or ([column] if column else [])
        name = con.get("conname") or (f"{bare}_pkey" if kind == "PRIMARY KEY" else f"{bare}_{'_'.join(keys)}_key")
        label = f'"{con["conname"]}" ' if con.get("conname") else ""
        what = f'ALTER TABLE … ADD COLUMN "{column}" … {kind}' if column else f"ALTER TABLE … ADD CONSTRAINT {label}{kind}"
        nnd = " NULLS NOT DISTINCT" if con.get("nulls_not_distinct") else ""
        include = names.strings(con.get("including"))
        inc = f" INCLUDE ({', '.join(include)})" if include else ""
        help = (f"Build the index first, in a migration that runs outside a transaction: `CREATE UNIQUE INDEX "
                f"CONCURRENTLY {name} ON {table} ({', '.join(keys)}){inc}{nnd};`, then attach it: `ALTER TABLE "
                f"{table} ADD CONSTRAINT {name} {kind} USING INDEX {name};` (a brief lock, no build).")
        if column:
            help = f"Add the column without {kind} first. " + help
        if kind == "PRIMARY KEY":
            help += (" Make the key columns NOT NULL beforehand, or the ADD checks them for NULLs under its lock "
                     "(from PostgreSQL 12, SET NOT NULL skips its scan when a validated CHECK (col IS NOT NULL) exists).")
        yield ctx.violation(
            stmt,
            f'{what} on "{table}" builds a unique index (a full scan and sort) while holding an {lock.label} lock, '
            f"which blocks {lock.blocks}",
            node=con,
            help=help,
            lock=lock.label,
            table=table,
            blocks=lock.blocks,
            scan=True,
        )

