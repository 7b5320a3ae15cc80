"""SET NOT NULL on an existing table should be proven by a validated CHECK first.

## Why is this bad?
`ALTER TABLE … ALTER COLUMN c SET NOT NULL` takes an ACCESS EXCLUSIVE lock (blocking
reads and writes) and scans the whole table to check that no row holds a NULL. From
PostgreSQL 12 the scan is skipped when a valid `CHECK (c IS NOT NULL)` constraint already
proves it, and such a CHECK can be added `NOT VALID` (brief lock, no scan) and validated
separately under a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on.

miglint recognises the recipe when the file itself adds the CHECK and validates it (or
adds it without `NOT VALID`) before the SET NOT NULL, and when the file drops, after the
SET NOT NULL, a constraint on that table whose name mentions the column and "null" /
"nn" (the recipe's last step, its CHECK added and validated by an earlier migration).

One finding per statement, naming every column it changes: PostgreSQL checks them all in
one scan of the table. None when another subcommand of the same ALTER TABLE rewrites the
table (a type change, a volatile default): the NOT NULL check rides that one pass over the
rows, which `column-type-rewrite` or `add-column-rewrite` reports.

## Example
```sql
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
```

## Use instead
```sql
-- migration 1 (brief ACCESS EXCLUSIVE lock, no scan)
ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
-- migration 2, its own transaction (scan under SHARE UPDATE EXCLUSIVE: reads and writes go on)
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
-- migration 3: the valid CHECK proves it, so no scan
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_not_null;
```
(Validating in the same transaction as the `ADD CONSTRAINT` keeps its ACCESS EXCLUSIVE lock
during the scan: split the steps into separate migrations, or separate transactions.)

## Options
- `trust-dropped-check` (bool, default `true`): a later `DROP CONSTRAINT` in the same
  file whose name mentions the column and `null`/`nn` counts as the recipe's last step.

Tables created earlier in the same file are empty and are not reported.
On down code (down files and sections) this is one of the lock-hazard findings that
`locking-in-rollback` summarises, unless `rollback_locking: full` is set.

## PostgreSQL versions
From 12 a validated CHECK lets SET NOT NULL skip its scan (release notes 12). Before 12
there is no way around the scan: every SET NOT NULL on an existing table is reported, and
the help suggests keeping the CHECK constraint instead of NOT NULL.

## References
- ALTER TABLE, SET/DROP NOT NULL: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DROP-NOT-NULL
- PostgreSQL 12 release notes: https://www.postgresql.org/docs/release/12.0/
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html
"""

import re

from linter.pg import columns, names

ID = "set-not-null-without-check"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
KINDS = ("AlterTableStmt",)
SUBCOMMANDS = ("AT_SetNotNull",)
DEFAULT_LEVEL = "error"
OPTIONS = {"trust-dropped-check": bool}
DEFAULTS = {"trust-dropped-check": True}
ALIASES = ("adding-not-nullable-field",)
#: folded into this finding on its statement: a validated CHECK spares the scan under the lock (ACCESS EXCLUSIVE is still taken: a lock timeout still matters)
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")

_NN = re.compile(r"null|(?:^|_)nn(?:_|$)", re.I)


def check(ctx, stmt, options):
    alter = columns.table_alter(ctx, stmt, "AT_SetNotNull")
    if alter is None:
        return
    key, lock = alter.key, alter.lock
    if any(e.rewrite for e in ctx.pg.locks(stmt)):
        # another subcommand rewrites the table: PostgreSQL checks NOT NULL on each row it
        # copies (one pass), and column-type-rewrite / add-column-rewrite report that pass
        return
    statements = ctx.source.statements
    cols = []
    for cmd in alter.cmds:
        col = cmd.get("name", "")
        if ctx.pg_version >= 12:
            if columns.not_null_proof(statements, stmt, key, col):
                continue
            if options["trust-dropped-check"]:
                if columns.constraint_dropped_after(statements, stmt, key, lambda n: _names_check(n, col)):
                    continue
        cols.append(col)
    if not cols:
        return
    # one finding per statement, naming every column: the columns are checked in one scan
    check = f"{cols[0]} IS NOT NULL" if len(cols) == 1 else "<column> IS NOT NULL"
    each = "" if len(cols) == 1 else f" for each of {', '.join(cols)}"
    if ctx.pg_version >= 12:
        help_ = (f"Add CONSTRAINT … CHECK ({check}) NOT VALID{each}, VALIDATE it in a separate "
                 "transaction (SHARE UPDATE EXCLUSIVE: reads and writes go on), then SET NOT NULL skips "
                 "the scan; drop the CHECK afterwards.")
        why = f'no validated CHECK ("{cols[0]}" IS NOT NULL) proves it first' if len(cols) == 1 else \
            "no validated CHECK (<column> IS NOT NULL) proves them first"
    else:
        help_ = (f"Before PostgreSQL 12 SET NOT NULL always scans: keep a validated CHECK ({check}){each} "
                 "(added NOT VALID, then VALIDATE) instead, or run this in a maintenance window.")
        why = "before PostgreSQL 12 a CHECK constraint cannot spare the scan"
    yield alter.violation(
        ctx,
        columns.where(ctx, stmt, "set_not_null", cols[0]),
        f'ALTER TABLE … ALTER COLUMN {names.quoted_list(cols)} SET NOT NULL scans all of "{alter.table}" under an '
        f"{lock.label} lock, which blocks {lock.blocks}: {why}",
        help=help_,
        scan=True,
        columns=cols,
    )


def _names_check(name: str, column: str) -> bool:
    """A constraint name that mentions the column and null / nn: users_email_not_null."""
    return column.lower() in name.lower() and bool(_NN.search(name))
