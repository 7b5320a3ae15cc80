"""Create functions, procedures, views, triggers and rules with OR REPLACE.

## Why is this bad?
A migration that fails part-way is re-run from the top. When the file does not run in one
transaction, a function or view it created before the failure is still there, and the
re-run stops at its `CREATE`: `ERROR: function "touch_updated_at" already exists with
same argument types` (SQLSTATE 42723), `relation "active_users" already exists` (42P07),
`trigger "users_touch" for relation "users" already exists` (42710). `CREATE OR REPLACE`
runs the same way the first and the second time.

The rule looks at `CREATE FUNCTION`, `CREATE PROCEDURE`, `CREATE VIEW` (not temporary
ones), `CREATE TRIGGER` (from PostgreSQL 14), `CREATE RULE` and `CREATE AGGREGATE` (from
PostgreSQL 12). Materialized views have no `OR REPLACE`: `create-without-if-not-exists`
covers them. Constraint triggers, and triggers before PostgreSQL 14, cannot be replaced:
`create-without-guard` covers them.

It does not fire when the file runs in one transaction or on its last statement (with the
default `rely-on-transaction: true`), when the object is dropped earlier in the file
(`DROP FUNCTION IF EXISTS f; CREATE FUNCTION f …`), or when the statement sits in a `DO`
block under an `IF` / `CASE` / loop / matching `EXCEPTION` handler. Down sections and
the bodies of functions the file does not call are not checked.

## Example
```sql
-- flyway:executeInTransaction=false
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
CREATE VIEW active_users AS SELECT * FROM users WHERE active;
```

## Use instead
```sql
-- flyway:executeInTransaction=false
CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
CREATE OR REPLACE VIEW active_users AS SELECT * FROM users WHERE active;
```

## Options
- `rely-on-transaction` (bool, default `true`): do not flag files that run in one
  transaction, nor the last statement of a file. `false` in the `sequential-ranges` and
  `dbmate-forward-only` presets, whose standards ask for idempotent migrations.

## PostgreSQL versions
`CREATE OR REPLACE FUNCTION`, `VIEW` and `RULE` exist in every version miglint supports;
`CREATE OR REPLACE PROCEDURE` since 11 (procedures are new in 11), `AGGREGATE` since 12,
`TRIGGER` since 14 (`pg_version` decides which rule reports a trigger or aggregate).

## References
- CREATE FUNCTION: https://www.postgresql.org/docs/current/sql-createfunction.html
- CREATE VIEW: https://www.postgresql.org/docs/current/sql-createview.html
- CREATE TRIGGER ("OR REPLACE", PostgreSQL 14): https://www.postgresql.org/docs/current/sql-createtrigger.html
- PostgreSQL 14 release notes: https://www.postgresql.org/docs/release/14.0/
"""

from linter.pg import idempotency

ID = "create-without-or-replace"
FAMILY = "idempotency"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS = {"rely-on-transaction": bool}
DEFAULTS = {"rely-on-transaction": True}
ALIASES = ()
KINDS = idempotency.KINDS_OF[idempotency.OR_REPLACE]  # the engine only calls check() for these statement kinds


def check(ctx, stmt, options):
    for h in idempotency.unguarded(ctx, stmt, idempotency.OR_REPLACE, options):
        message = f"{h.subject} without OR REPLACE: a re-run fails with: {h.error}"
        yield idempotency.violation(ctx, stmt, h, options, message, f"Write {h.fixed}.", "OR REPLACE")
