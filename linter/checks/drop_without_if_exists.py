"""Drop objects, columns and constraints with IF EXISTS.

## Why is this bad?
A migration that fails part-way is re-run from the top once the cause is fixed. When the
file does not run in one transaction, a `DROP` that ran before the failure has already
removed its object, and the re-run stops there: `ERROR: table "legacy_sessions" does not
exist` (SQLSTATE 42P01), `column "fax" of relation "users" does not exist` (42703),
`type "mood" does not exist` (42704). `IF EXISTS` turns the second run into a notice.

The rule looks at every `DROP …` that accepts `IF EXISTS` (tables, indexes, views,
sequences, types, domains, schemas, extensions, functions, triggers, policies, roles,
databases …) and at `ALTER TABLE … DROP COLUMN` / `DROP CONSTRAINT`.

It does not fire when the re-run cannot find the object already gone: the file runs in one
transaction, or the statement is its last (with the default `rely-on-transaction: true`); the
object is created earlier in the same file (`CREATE TABLE tmp …; … DROP TABLE tmp;`); the
statement sits in a `DO` block under an `IF` / `CASE` / loop / matching `EXCEPTION`
handler. Statements inside the bodies of functions the file does not call and down sections are not checked.

Dropping is also a breaking change for running code and takes an ACCESS EXCLUSIVE lock:
those are the `locking` rules' business; this rule is only about re-runs.

## Example
```sql
-- flyway:executeInTransaction=false
DROP INDEX CONCURRENTLY users_legacy_idx;
ALTER TABLE users DROP COLUMN fax;
```

## Use instead
```sql
-- flyway:executeInTransaction=false
DROP INDEX CONCURRENTLY IF EXISTS users_legacy_idx;
ALTER TABLE users DROP COLUMN IF EXISTS fax;
```

## Options
- `rely-on-transaction` (bool, default `true`): do not flag files that run in one
  transaction, nor the last statement of a file. `false` in the `sequential-ranges` and
  `dbmate-forward-only` presets, whose standards ask for idempotent migrations.

## PostgreSQL versions
`DROP … IF EXISTS` and `ALTER TABLE … DROP COLUMN / CONSTRAINT IF EXISTS` exist since 9.0,
so in every version miglint supports.

## References
- DROP TABLE: https://www.postgresql.org/docs/current/sql-droptable.html
- ALTER TABLE (DROP COLUMN [ IF EXISTS ]): https://www.postgresql.org/docs/current/sql-altertable.html
- PostgreSQL Error Codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
"""

from linter.pg import idempotency

ID = "drop-without-if-exists"
FAMILY = "idempotency"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS = {"rely-on-transaction": bool}
DEFAULTS = {"rely-on-transaction": True}
ALIASES = ()
KINDS = idempotency.KINDS_OF[idempotency.IF_EXISTS]  # the engine only calls check() for these statement kinds
SUBCOMMANDS = idempotency.SUBCOMMANDS_OF[idempotency.IF_EXISTS]  # and only ALTER TABLEs with one of these subcommands


def check(ctx, stmt, options):
    for h in idempotency.unguarded(ctx, stmt, idempotency.IF_EXISTS, options):
        message = f"{h.subject} without IF EXISTS: a re-run fails with: {h.error}"
        yield idempotency.violation(ctx, stmt, h, options, message, f"Write {h.fixed}.", "IF EXISTS")
