"""A migration that commits in steps fails, or ends elsewhere, when it is run again after a failure.

## Why is this bad?
A migration its tool does not run in one transaction (golang-migrate and dbmate
`transaction:false` files with a `COMMIT` in them, goose `NO TRANSACTION`, sqlx
`-- no-transaction`, Flyway scripts with `executeInTransaction=false`, seed scripts) commits
statement by statement. When the deployment stops halfway (a lock timeout, a
`CREATE INDEX CONCURRENTLY` that fails, a killed pod), what ran before is kept, the tool does
not record the version, and the fix is to run the migration again. It must then succeed and
reach the same schema. `miglint verify` checks it on a real server: for each commit point of
the file (each statement that commits on its own, each `COMMIT` in the file; at most 20), it
starts from a copy of the database before the file, runs the statements up to that point,
stops, and runs the whole file again as its tool does. This rule reports the statement where
the run again fails (`ADD COLUMN` of a column that is already there: 42701; `CREATE TABLE` of
a table that exists: 42P07), once, after the earliest commit point that makes it fail, and a
run again that applies but reaches another schema than the plain run. Where a static
idempotency rule (`create-without-if-not-exists`, `drop-without-if-exists`,
`create-without-or-replace`, `create-without-guard`) already reports the statement, that
finding gets the re-run as its `verification` (confirmed or refuted) and this rule stays
silent. A file the tool runs in one transaction commits whole or not at all and is not checked. Only `miglint verify` reports
this rule (`--rerun new|all|off`; by default the change's new migrations with `--base`, else
the last of each root).

## Example
```sql
-- flyway:executeInTransaction=false
CREATE TABLE users (id bigint PRIMARY KEY, email text);
ALTER TABLE users ADD COLUMN nickname text;
```

## Use instead
```sql
-- flyway:executeInTransaction=false
CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);
ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text;
```

## Options
None. `--rerun new|all|off` on `miglint verify` picks the files.

## PostgreSQL versions
The server `miglint verify` starts. `IF NOT EXISTS` on `ADD COLUMN` needs PostgreSQL 9.6,
on `CREATE INDEX` 9.5.

## References
- PostgreSQL docs, "55.2.2.1. Multiple Statements in a Simple Query": https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
- strong_migrations, "Running the migration again can result in an error": https://github.com/ankane/strong_migrations#adding-an-index-non-concurrently
"""

from linter.verify.snapshot import describe

ID = "verify-not-rerunnable"
FAMILY = "verify"
SCOPE = "verify"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
#: what linter.verify.findings passes to check(): each file run, with its context
SUBJECT = "file"

#: differences named in the message; the rest are counted
SHOWN = 3


def check(ctx, run, options):
    """``run``: a :class:`linter.verify.replay.FileRun` whose ``reruns`` were tried."""
    failed: dict[int, tuple] = {}  # id(statement) -> (rerun, statement run), earliest commit point first
    drift = None
    for rr in run.reruns:
        if rr.run.status == "failed":
            bad = next(s for s in rr.run.statements if s.status == "failed")
            failed.setdefault(id(bad.stmt), (rr, bad))
        elif rr.run.status == "applied" and rr.drift and drift is None:
            drift = rr
    for rr, bad in failed.values():
        yield ctx.violation(
            bad.stmt,
            f"if the deployment stops after line {rr.last_line} (committed: {_why(run)}), running this migration again "
            f"fails here: {bad.sqlstate} {bad.message}",
            help="Make the statement safe to run twice (IF NOT EXISTS / IF EXISTS / OR REPLACE), "
                 "or let the tool run the file in one transaction.",
            context=f"rerun:{bad.sqlstate}:{' '.join(bad.stmt.text.split())}",
            sqlstate=bad.sqlstate,
            server_message=bad.message,
            stopped_after_line=rr.last_line,
            server_version=bad.server_version,
        )
    if drift is not None:
        where = run.statements[0].stmt if run.statements else None
        d = drift.drift
        yield ctx.violation(
            where,
            f"if the deployment stops after line {drift.last_line}, running this migration again applies but reaches "
            f"another schema than one run {describe(d, SHOWN)}",
            help="Make each step reach the same state whether or not it ran before (drop and create again, or guard it).",
            context="rerun-drift",
            differences=list(d),
            stopped_after_line=drift.last_line,
        )


def _why(run) -> str:
    """How the tool runs the file, shortened: its ``why`` without a trailing period."""
    return (run.why or "the tool runs it outside one transaction").rstrip(".")
