"""A statement failed when `miglint verify` replayed the migrations on a real PostgreSQL.

## Why is this bad?
The migration does not apply: the tool stops there, and with a tool that runs the file in a
transaction everything before it in the file is rolled back. `miglint verify` replays each
migration root's files in order on a throwaway server, each file as its migration tool runs
it (one transaction per file, one implicit transaction for a file sent as one query,
autocommit, the file's own `BEGIN`/`COMMIT`), so a failure here is what the deployment would
meet on an empty database: `CREATE INDEX CONCURRENTLY` inside the tool's transaction
(SQLSTATE 25001), a new enum value used before it is committed (55P04), a table dropped
before what depends on it (2BP01), a typo in a column name (42703). The finding gives the
SQLSTATE and the server's message; the files after it in the same root are reported as not
verified. A statement that needs an extension the server does not have is reported as
skipped, not as a failure, and so is a root whose very first replayed file misses an object
(a table, schema, role, function or column: SQLSTATE 42P01, 3F000, 42704, 42883, 42703):
such a root builds on something outside its own files (another root, a schema made by hand),
which `--setup FILE` can provide. Only `miglint verify` reports this rule; `miglint lint` never
executes anything.

The replayed tables are empty unless seed data is given (`--seed FILE`, `verify: seed:`): SQL
run after the migrations before the first new one. Then a statement that fails only on rows
is reported too (a down that adds back as NOT NULL a column its up dropped with its values,
an up that adds a NOT NULL column without a default, sets NOT NULL or a CHECK over rows
that break it, builds a unique index over duplicates, or casts a column to a type a value
does not fit: SQLSTATE class 22 or 23), and the message says that it failed on the seed
rows (property `seed`: the seed files).

## Example
```sql
-- migrate:up
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
```

## Use instead
```sql
-- migrate:up
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE INDEX users_email_idx ON users (email);
```
(the table is new: a plain index on it blocks nobody; on an existing table, move the
`CONCURRENTLY` build to a migration the tool runs without a transaction).

## Options
None. The replay itself is configured on the command line: `--setup FILE` (SQL run before
the first migration: roles, extensions, schemas the migrations assume), `--seed FILE` (rows,
before the first new migration) and `--pg-bin DIR`.

## PostgreSQL versions
The server `miglint verify` starts (the newest found; `--pg-bin` picks another). A failure
that depends on the version (e.g. `ALTER TYPE … ADD VALUE` in a transaction before 12) is
seen only on a server of that version.

## References
- PostgreSQL docs, "Appendix A. PostgreSQL Error Codes": https://www.postgresql.org/docs/current/errcodes-appendix.html
- PostgreSQL docs, "55.2.2.1. Multiple Statements in a Simple Query": https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
"""

ID = "verify-statement-failed"
FAMILY = "verify"
SCOPE = "verify"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()

#: Help for the SQLSTATEs a migration meets most (PostgreSQL error codes appendix).
_HELP = {
    "55P04": "Commit the new enum value before using it: move the statements that use it to a later migration.",
    "2BP01": "Drop or alter what depends on the object first (or drop it in the same statement with the objects that need it).",
    "42704": "Create the object first, or give it with --setup FILE (roles and extensions the migrations assume).",
    "3F000": "Create the schema first, or give it with --setup FILE.",
    "42P01": "Create the table first (is an earlier migration missing from the root?), or give it with --setup FILE.",
    "42883": "Create the function (or the extension that provides it) first, or give it with --setup FILE.",
}


#: SQLSTATE classes of failures that come from the rows: 22 data exception (a cast back that
#: a value does not fit, 22P02 invalid text representation), 23 integrity constraint
#: violation (23502 NOT NULL, 23505 unique, 23514 CHECK, 23503 foreign key).
_DATA_CLASSES = frozenset({"22", "23"})


def check(ctx, run, options):
    """``run``: a :class:`linter.verify.replay.StatementRun` whose statement failed."""
    if run.status != "failed" or run.stmt is None:
        return
    if run.sqlstate == "25001":
        from linter.pg import transactions

        help = transactions.way_out(ctx.file, ctx.pg.transaction, run.stmt, pg_version=ctx.pg_version)
    elif run.seed and (run.sqlstate or "")[:2] in _DATA_CLASSES:
        help = ("The rows of the seed data (which the migrations before it allow) break it: make it handle them "
                "(update or delete them first, or give a USING expression or a default), or, in a down, accept "
                "and document that it cannot run on such data.")
    else:
        help = _HELP.get(run.sqlstate or "", "Fix the statement so that it runs on an empty database after the migrations before it.")
    where = "in a transaction" if run.in_transaction else "outside a transaction"
    on_rows = ""
    if run.seed and (run.sqlstate or "")[:2] in _DATA_CLASSES:
        on_rows = f"; it failed on the seed rows ({', '.join(run.seed)})"
    elif run.seed:
        on_rows = f" (with the seed rows of {', '.join(run.seed)})"
    yield ctx.violation(
        run.stmt,
        f"the server refused this statement ({where}): {run.sqlstate} {run.message}{on_rows}",
        help=help,
        context=f"{run.sqlstate}:{' '.join(run.stmt.text.split())}",
        sqlstate=run.sqlstate,
        server_message=run.message,
        in_transaction=run.in_transaction,
        server_version=run.server_version,
        **({"seed": list(run.seed)} if run.seed else {}),
    )
