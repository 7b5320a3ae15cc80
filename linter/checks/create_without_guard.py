"""Guard CREATE TYPE, DOMAIN, POLICY, ROLE and named constraints, which have no IF NOT EXISTS.

## Why is this bad?
A migration that fails part-way is re-run from the top. When the file does not run in one
transaction, what it created before the failure is still there, and the re-run stops at the
first statement that cannot skip an existing object. PostgreSQL has no `IF NOT EXISTS` or
`OR REPLACE` for these, so the guard has to be written out:

- `CREATE TYPE … AS ENUM / AS (…) / AS RANGE`, `CREATE DOMAIN`: `type "mood" already
  exists` (SQLSTATE 42710);
- `CREATE POLICY`: `policy "owner_only" for table "notes" already exists`;
- `CREATE ROLE` / `USER` / `GROUP`: `role "reporting" already exists`;
- `ALTER TABLE … ADD CONSTRAINT name …` and `ADD PRIMARY KEY`: `constraint … already
  exists`, `multiple primary keys … are not allowed`;
- `CREATE CONSTRAINT TRIGGER`, and `CREATE TRIGGER` before PostgreSQL 14;
- `CREATE EVENT TRIGGER`, `CREATE PUBLICATION`, `CREATE SCHEMA … (with elements)`, and the
  statements whose `IF NOT EXISTS` / `OR REPLACE` is newer than your `pg_version`.

Guards that count: a `DROP … IF EXISTS` of the same object earlier in the file (`DROP
POLICY IF EXISTS owner_only ON notes;` then `CREATE POLICY owner_only …`), or a `DO` block
that runs the statement under an `IF` (a catalog check such as `IF NOT EXISTS (SELECT 1
FROM pg_type WHERE typname = 'mood')`), a `CASE`, a loop, or in a `BEGIN … EXCEPTION WHEN
duplicate_object THEN NULL; END` block (any handler for duplicate_*, undefined_*,
unique_violation or others; a handler for an unrelated condition does not count). The
condition of an `IF` is not inspected: writing one is taken as the author's guard.

It does not fire, with the default `rely-on-transaction: true`, when the file runs in one
transaction, or on the file's last statement (only what comes after a statement can fail
once it has run, and a failing statement leaves nothing behind). Nor on a file no known tool
runs (a drizzle file that `meta/_journal.json` does not list): how it is applied is unknown. Down sections and the bodies of functions the file does not call are not checked.
There is no mechanical fix.

## Example
```sql
-- flyway:executeInTransaction=false
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE POLICY owner_only ON notes USING (owner = current_user);
```

## Use instead
```sql
-- flyway:executeInTransaction=false
DO $$
BEGIN
    CREATE TYPE mood AS ENUM ('happy', 'sad');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DROP POLICY IF EXISTS owner_only ON notes;
CREATE POLICY owner_only ON notes USING (owner = current_user);
```

## Options
- `rely-on-transaction` (bool, default `true`): do not flag files that run in one
  transaction, nor the last statement of a file. `false` in the `sequential-ranges` and
  `dbmate-forward-only` presets, whose standards ask for idempotent migrations.

## PostgreSQL versions
No version up to 18 has `IF NOT EXISTS` for CREATE TYPE, DOMAIN, POLICY, ROLE or ADD
CONSTRAINT. `CREATE OR REPLACE TRIGGER` arrived in 14 (not for constraint triggers),
`CREATE OR REPLACE AGGREGATE` in 12, `ADD COLUMN IF NOT EXISTS` in 9.6, `CREATE COLLATION
IF NOT EXISTS` in 10: before those, the statements are reported here.

## References
- CREATE TYPE: https://www.postgresql.org/docs/current/sql-createtype.html
- CREATE POLICY: https://www.postgresql.org/docs/current/sql-createpolicy.html
- PL/pgSQL, "Trapping Errors": https://www.postgresql.org/docs/current/plpgsql-control-structures.html#PLPGSQL-ERROR-TRAPPING
- PostgreSQL Error Codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
"""

from linter.pg import idempotency

ID = "create-without-guard"
FAMILY = "idempotency"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS = {"rely-on-transaction": bool}
DEFAULTS = {"rely-on-transaction": True}
ALIASES = ()
KINDS = idempotency.KINDS_OF[idempotency.GUARD]  # the engine only calls check() for these statement kinds
SUBCOMMANDS = idempotency.SUBCOMMANDS_OF[idempotency.GUARD]  # and only ALTER TABLEs with one of these subcommands


def check(ctx, stmt, options):
    for h in idempotency.unguarded(ctx, stmt, idempotency.GUARD, options):
        message = f"{h.subject} has no guard: a re-run fails with: {h.error}"
        yield idempotency.violation(ctx, stmt, h, options, message, f"Guard it with {h.guard}.", h.guard, fix=False)
