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

A primary key also makes its columns NOT NULL: `ADD PRIMARY KEY USING INDEX` on a column
that allows NULLs scans the whole table under its ACCESS EXCLUSIVE lock (reported when the
file created the column without NOT NULL). The help gives the recipe first: `CHECK (col IS
NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT` (SHARE UPDATE EXCLUSIVE), then `SET NOT NULL`,
which from PostgreSQL 12 uses the validated CHECK and skips its scan.

`ADD CONSTRAINT … EXCLUDE` builds its index under ACCESS EXCLUSIVE too, and has no `USING
INDEX` form: it is reported with other advice (add it while the table is small or
off-peak; a UNIQUE index built CONCURRENTLY where the constraint only compares with `=`).

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
bodies, and `PRIMARY KEY USING INDEX` when the file does not say that a key column allows
NULLs (the index or the column comes from another migration).

## PostgreSQL versions
`ADD CONSTRAINT … USING INDEX` exists from PostgreSQL 9.1. SET NOT NULL skips its scan
for a validated CHECK from PostgreSQL 12. `NULLS NOT DISTINCT` (15+)
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
#: folded into this finding on its statement: building the index CONCURRENTLY first avoids the build under the lock (ADD CONSTRAINT … USING INDEX still takes ACCESS EXCLUSIVE briefly: a lock timeout still matters)
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("AlterTableStmt",)  # the engine only calls check() for these statement kinds
SUBCOMMANDS = ("AT_AddConstraint", "AT_AddColumn")  # and only ALTER TABLEs with one of these subcommands

_KINDS = {"CONSTR_UNIQUE": "UNIQUE", "CONSTR_PRIMARY": "PRIMARY KEY", "CONSTR_EXCLUSION": "EXCLUDE"}


def check(ctx, stmt, options):
    rv = stmt.body.get("relation")
    table = names.relation(rv)
    bare = rv.get("relname", table) if rv else table
    lock = LockMode.ACCESS_EXCLUSIVE
    for con, coldef in columns.added_constraints(ctx, stmt, tuple(_KINDS)):
        column = coldef.get("colname") if coldef is not None else None
        if con["contype"] == "CONSTR_EXCLUSION":
            yield _exclusion(ctx, stmt, con, table, lock)
            continue
        if con.get("indexname"):
            if con["contype"] == "CONSTR_PRIMARY":
                found = _primary_key_using_nullable_index(ctx, stmt, con, table, lock)
                if found is not None:
                    yield found
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
        if kind == "PRIMARY KEY" and not column:
            nullable = [k for k in keys if not _known_not_null(ctx, stmt, k)]
            if nullable:
                help = _not_null_recipe(ctx, table, nullable) + " Then: " + help[0].lower() + help[1:]
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



def _known_not_null(ctx, stmt, column: str) -> bool:
    """True when the file makes ``column`` of the statement's table NOT NULL before it."""
    key = names.table_key(stmt.body.get("relation"))
    return columns.columns_nullable(ctx, stmt, key, [column]) is False


def _not_null_recipe(ctx, table: str, keys: list[str]) -> str:
    """The steps that make ``keys`` NOT NULL without a scan under ACCESS EXCLUSIVE."""
    bare = table.rsplit(".", 1)[-1]
    steps = []
    for k in keys:
        check = f"{bare}_{k}_not_null"
        steps.append(f"`ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({k} IS NOT NULL) NOT VALID;`, "
                     f"`ALTER TABLE {table} VALIDATE CONSTRAINT {check};` (in a later transaction), "
                     f"`ALTER TABLE {table} ALTER COLUMN {k} SET NOT NULL;`")
    text = ("A primary key makes its columns NOT NULL, and PostgreSQL checks every row for NULLs under the ACCESS "
            "EXCLUSIVE lock unless they already are: first " + "; then ".join(steps))
    if ctx.pg_version >= 12:
        return text + " (SET NOT NULL uses the validated CHECK and skips the scan; drop the CHECK afterwards)."
    return text + " (before PostgreSQL 12 SET NOT NULL still scans: run it off-peak)."


def _primary_key_using_nullable_index(ctx, stmt, con, table, lock):
    """The finding for ``ADD PRIMARY KEY USING INDEX i`` when a key column of ``i`` is known
    to allow NULLs (the file created it without NOT NULL): PostgreSQL sets it NOT NULL,
    scanning the table under ACCESS EXCLUSIVE (checked on a real server); else ``None``."""
    index = con["indexname"]
    key = names.table_key(stmt.body.get("relation"))
    keys = columns.index_keys(ctx, stmt, key, index)
    if not keys or columns.index_key_nullable(ctx, stmt, key, index) is not True:
        return None
    nullable = [k for k in keys if columns.columns_nullable(ctx, stmt, key, [k]) is True]
    label = f'"{con["conname"]}" ' if con.get("conname") else ""
    cols = ", ".join(f'"{k}"' for k in nullable)
    return ctx.violation(
        stmt,
        f'ALTER TABLE … ADD CONSTRAINT {label}PRIMARY KEY USING INDEX "{index}" on "{table}" sets '
        f"{cols} NOT NULL, which scans the whole table for NULLs while holding an {lock.label} lock, "
        f"which blocks {lock.blocks}",
        node=con,
        help=_not_null_recipe(ctx, table, nullable) + f" Then attach the index: `ALTER TABLE {table} ADD CONSTRAINT "
             f"{con.get('conname') or index} PRIMARY KEY USING INDEX {index};` (a brief lock, no scan).",
        lock=lock.label,
        table=table,
        blocks=lock.blocks,
        scan=True,
    )


def _exclusion(ctx, stmt, con, table, lock):
    """The finding for ``ADD CONSTRAINT … EXCLUDE`` on an existing table: its index is built
    under ACCESS EXCLUSIVE (checked on a real server), and there is no ``EXCLUDE … USING
    INDEX`` form to attach one built CONCURRENTLY (a syntax error)."""
    label = f'"{con["conname"]}" ' if con.get("conname") else ""
    return ctx.violation(
        stmt,
        f'ALTER TABLE … ADD CONSTRAINT {label}EXCLUDE on "{table}" builds its index (a full scan) while holding an '
        f"{lock.label} lock, which blocks {lock.blocks}",
        node=con,
        help=("An exclusion constraint cannot be attached from an index built CONCURRENTLY (there is no EXCLUDE … "
              "USING INDEX). Add it while the table is small, or off-peak with a short lock_timeout; where the "
              "constraint only compares with `=`, a UNIQUE index built CONCURRENTLY enforces the same rule."),
        lock=lock.label,
        table=table,
        blocks=lock.blocks,
        scan=True,
    )
