"""BEGIN, COMMIT or ROLLBACK that fights the transaction the migration already runs in.

## Why is this bad?
Most migration tools run each file in a transaction of their own (dbmate and goose unless
told otherwise, Flyway, diesel, Synapse), and commit it together with their record of the
migration. Inside it:

- `BEGIN` does nothing but warn ("there is already a transaction in progress");
- the file's `COMMIT` (or `ROLLBACK`) ends the *tool's* transaction early: everything after
  it runs in autocommit, so a failure later leaves the migration half applied, and the
  tool's bookkeeping no longer commits atomically with the schema change;
- a second `BEGIN` inside the file's own open block is ignored the same way;
- a `COMMIT`/`ROLLBACK` with no transaction in progress only warns, and usually means a
  `BEGIN` went missing;
- a `DO` block that runs `COMMIT` or `ROLLBACK` (the batching recipe of PL/pgSQL
  transaction control) fails with "invalid transaction termination" when it is called
  inside a transaction block, as it is in a wrapped migration (checked on PostgreSQL 15).

Whether the tool wraps the file is decided per file from its convention and markers
(dbmate `transaction:false`, goose `+goose NO TRANSACTION`, diesel `metadata.toml`,
Flyway `executeInTransaction`; golang-migrate and Prisma send a multi-statement file as
one query, which PostgreSQL runs as one implicit transaction, where `BEGIN … COMMIT`
is allowed); each up/down section is judged on its own. `BEGIN` never committed is
`uncommitted-transaction`.

## Example
```sql
-- migrate:up
BEGIN;
ALTER TABLE users ADD COLUMN nickname text;
COMMIT;
```

## Use instead
```sql
-- migrate:up
ALTER TABLE users ADD COLUMN nickname text;
```

## Options
None. A file that really must manage its own transactions should tell its tool to leave
it alone (dbmate `-- migrate:up transaction:false`, goose `-- +goose NO TRANSACTION`,
Flyway `-- flyway:executeInTransaction=false`, diesel `run_in_transaction = false`), or set
`transactions: {CONVENTION: false}` in the configuration.

## PostgreSQL versions
All versions; transaction control inside `DO` blocks exists since PostgreSQL 11.

## References
- BEGIN ("there is already a transaction in progress"): https://www.postgresql.org/docs/current/sql-begin.html
- COMMIT: https://www.postgresql.org/docs/current/sql-commit.html
- PL/pgSQL transaction management: https://www.postgresql.org/docs/current/plpgsql-transactions.html
- Multiple statements in a simple query (implicit transactions): https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
- dbmate options: https://github.com/amacneil/dbmate#options
"""

ID = "nested-transaction"
FAMILY = "locking"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("transaction-nesting",)

_KINDS = ("nested", "begin-in-tool", "early-commit", "no-transaction", "commit-in-do")


def check(ctx, options):
    if ctx.source is None or ctx.source.error is not None:
        return
    for p in ctx.pg.transaction_problems:
        if p.kind in _KINDS:
            yield ctx.violation(p.stmt, p.message, help=p.help, kind=p.kind)
