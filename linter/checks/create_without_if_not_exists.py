"""Create tables, indexes, schemas, sequences, extensions and columns with IF NOT EXISTS.

## Why is this bad?
A migration that fails part-way (a lock timeout, a bad row, a lost connection) is re-run
from the top once the cause is fixed. When the file does not run in one transaction, what
ran before the failure is still there, and the re-run stops at the first `CREATE` of it:
`ERROR: relation "audit_log" already exists` (SQLSTATE 42P07), `column "email" of
relation "users" already exists` (42701), `extension "pgcrypto" already exists` (42710).
The migration is then stuck until someone edits it or the database by hand.
`IF NOT EXISTS` turns the second run of the statement into a notice.

The rule looks at `CREATE TABLE` (also `… AS`, `… PARTITION OF`, `FOREIGN TABLE`),
`CREATE MATERIALIZED VIEW`, `CREATE INDEX` (an unnamed index is not an error on re-run but
a second, duplicate index: name it), `CREATE SCHEMA`, `CREATE SEQUENCE`, `CREATE
EXTENSION`, `CREATE COLLATION`, `ALTER TABLE … ADD COLUMN` and `ALTER TYPE … ADD VALUE`.

It does not fire when a re-run cannot find the object already there: the file runs in one
transaction (per migration tool: see `miglint locks` or the README, "Configuration"; a file no
known tool runs, such as a drizzle file `meta/_journal.json` does not list, counts too), or
the statement is its last (with the default `rely-on-transaction: true`: only what comes
after a statement can fail once it has run, and a failing statement leaves nothing behind,
so a re-run never finds the last statement's work done); the object was dropped
earlier in the file (`DROP TABLE IF EXISTS t; CREATE TABLE t …`); the statement sits in a
`DO` block under an `IF` / `CASE` / loop / matching `EXCEPTION` handler (a catalog check);
temporary tables and sequences (they vanish with the session). Statements inside the bodies
of functions the file does not call are not checked (they run when something calls the
function); those the `EXECUTE`s of a DO block build are, under the `IF` around the
`EXECUTE` as above (`EXECUTE 'CREATE TABLE …'` is reported at its string, without a fix). Down sections are not
checked. `CREATE INDEX CONCURRENTLY` is checked even alone in a file: a failed build leaves
an INVALID index behind, and the re-run fails on it. Its fix is never `IF NOT EXISTS`
(which would silently keep the INVALID index) but `DROP INDEX CONCURRENTLY IF EXISTS name;`
right before the build; it is reported only where the file can hold that DROP: the tool
runs the file's statements one at a time outside a transaction (goose `NO TRANSACTION`,
a Flyway script run without a transaction, seeds). In a file a tool sends as one query
(golang-migrate, dbmate `transaction:false`, …) a second statement would put the build
in PostgreSQL's implicit transaction, so nothing in the file can make it re-runnable.

Note that `IF NOT EXISTS` skips the statement when the object exists *with a different
definition*; that is the price of re-runnability.

## Example
```sql
-- flyway:executeInTransaction=false
CREATE TABLE audit_log (id bigint PRIMARY KEY, at timestamptz NOT NULL);
CREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at);
ALTER TABLE users ADD COLUMN email text;
```

## Use instead
```sql
-- flyway:executeInTransaction=false
CREATE TABLE IF NOT EXISTS audit_log (id bigint PRIMARY KEY, at timestamptz NOT NULL);
DROP INDEX CONCURRENTLY IF EXISTS orders_created_idx;
CREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at);
ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;
```

## Options
- `rely-on-transaction` (bool, default `true`): do not flag files that run in one
  transaction (a failure rolls everything back and the re-run starts clean), nor the last
  statement of a file. Set it to `false` when your standard asks every migration to be idempotent
  anyway (the `sequential-ranges` and `dbmate-forward-only` presets do), e.g. because
  migrations are also applied by hand or by tools that do not wrap them.

## PostgreSQL versions
`IF NOT EXISTS` exists for CREATE TABLE and CREATE EXTENSION since 9.1, CREATE SCHEMA and
ALTER TYPE … ADD VALUE since 9.3, CREATE INDEX / SEQUENCE / MATERIALIZED VIEW / TABLE AS
since 9.5, ADD COLUMN since 9.6, CREATE COLLATION since 10. With an older `pg_version` the
statement is reported by `create-without-guard` instead (no clause exists to add).

## References
- CREATE TABLE: https://www.postgresql.org/docs/current/sql-createtable.html
- CREATE INDEX, "Building Indexes Concurrently": https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
- ALTER TABLE … ADD COLUMN [ IF NOT EXISTS ]: https://www.postgresql.org/docs/current/sql-altertable.html
- PostgreSQL Error Codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
- squawk, prefer-robust-stmts: https://squawkhq.com/docs/prefer-robust-stmts
"""

from linter.pg import idempotency, tokens

ID = "create-without-if-not-exists"
FAMILY = "idempotency"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS = {"rely-on-transaction": bool}
DEFAULTS = {"rely-on-transaction": True}
ALIASES = ("prefer-robust-stmts",)
KINDS = idempotency.KINDS_OF[idempotency.IF_NOT_EXISTS]  # the engine only calls check() for these statement kinds
SUBCOMMANDS = idempotency.SUBCOMMANDS_OF[idempotency.IF_NOT_EXISTS]  # and only ALTER TABLEs with one of these subcommands


def check(ctx, stmt, options):
    for h in idempotency.unguarded(ctx, stmt, idempotency.IF_NOT_EXISTS, options):
        if stmt.kind == "IndexStmt" and stmt.body.get("concurrent") and h.key != ("relation", ""):
            yield from _concurrent_index(ctx, stmt, h, options)
            continue
        if h.key == ("relation", ""):  # an unnamed index
            message = f"{h.subject} has no index name: a re-run builds a second, duplicate index"
            advice = "Name the index and write CREATE INDEX IF NOT EXISTS name."
        else:
            message = f"{h.subject} without IF NOT EXISTS: a re-run fails with: {h.error}"
            advice = f"Write {h.fixed}."
        yield idempotency.violation(ctx, stmt, h, options, message, advice, "IF NOT EXISTS")


def _concurrent_index(ctx, stmt, h, options):
    """A named ``CREATE INDEX CONCURRENTLY``: never advise IF NOT EXISTS (it would keep
    the INVALID index a failed build leaves); advise dropping it first, where the file can
    hold that DROP (:func:`linter.pg.idempotency.concurrent_index_drop`). Elsewhere (a file
    the tool sends as one query, a transaction where the build fails anyway) nothing in
    the file can make it re-runnable: no finding."""
    drop = idempotency.concurrent_index_drop(ctx, stmt)
    if drop is None:
        return
    line_start = ctx.source.text.rfind("\n", 0, stmt.start) + 1
    indent = ctx.source.text[line_start : stmt.start]
    indent = indent if not indent.strip() else ""
    drop = tokens.in_file_case(ctx.source, drop)
    fix = ctx.fix(stmt.start, stmt.start, f"{drop}\n{indent}", f"Add `{drop}` before it")
    yield ctx.violation(
        stmt,
        f"{h.subject} without a DROP INDEX CONCURRENTLY IF EXISTS before it: a failed build leaves an INVALID "
        f"index \"{stmt.body['idxname']}\" behind, and the re-run fails with: {h.error}",
        node=h.node,
        help=f"Put `{drop}` right before it, so that a re-run first removes what a failed build left. Not IF NOT "
             "EXISTS: that would keep the INVALID index of a failed build.",
        fix=fix,
        object=h.what,
        guard="DROP INDEX CONCURRENTLY IF EXISTS",
    )
