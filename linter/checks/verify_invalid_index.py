"""A failed `CONCURRENTLY` index build left an INVALID index behind.

## Why is this bad?
`CREATE INDEX CONCURRENTLY` commits the new index's catalog entry before it builds it. When
the build fails (duplicate rows for a `UNIQUE` index, a deadlock, a cancel or a lock
timeout), PostgreSQL leaves the index in place, marked INVALID: it is never used by
queries, but every write still updates it. Running the migration again does not repair it:
`CREATE INDEX CONCURRENTLY` fails with 42P07 because the name is taken, and with
`IF NOT EXISTS` it "succeeds" by skipping the existing, still invalid index, so the
deployment goes green without the index (or the uniqueness) it was meant to add.
`REINDEX … CONCURRENTLY` leaves a `_ccnew` index the same way. `miglint verify` looks for
indexes with `pg_index.indisvalid` false after each file with a `CONCURRENTLY` form, and,
when the file failed, runs it again on what it left to say which of the two happens.
Only `miglint verify` reports this rule.

## Example
```sql
-- flyway:executeInTransaction=false
CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);
INSERT INTO users VALUES (1, 'a@example.com'), (2, 'a@example.com') ON CONFLICT DO NOTHING;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);
```

## Use instead
```sql
-- flyway:executeInTransaction=false
CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);
INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com') ON CONFLICT DO NOTHING;
DROP INDEX CONCURRENTLY IF EXISTS users_email_key;
CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
```
(remove the duplicates first; the `DROP INDEX CONCURRENTLY IF EXISTS` before the build
removes an invalid index a failed earlier run left, so running the migration again builds
it afresh).

## Options
None.

## PostgreSQL versions
Every version with `CREATE INDEX CONCURRENTLY` (8.2); `REINDEX … CONCURRENTLY` from 12.

## References
- PostgreSQL docs, CREATE INDEX, "Building Indexes Concurrently": https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
- strong_migrations, "Invalid indexes": https://github.com/ankane/strong_migrations#adding-an-index-non-concurrently
"""

ID = "verify-invalid-index"
FAMILY = "verify"
SCOPE = "verify"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
#: what linter.verify.findings passes to check(): each file run, with its context
SUBJECT = "file"


def check(ctx, run, options):
    """``run``: a :class:`linter.verify.replay.FileRun`; its ``invalid_indexes`` and, when it
    failed, ``again`` (the file run once more on what the failure left)."""
    if not run.invalid_indexes:
        return
    bad = next((s for s in run.statements if s.status == "failed"), None)
    where = bad.stmt if bad is not None else (run.statements[0].stmt if run.statements else None)
    names = ", ".join(f'"{n}"' for n in run.invalid_indexes)
    cause = f" failed ({bad.sqlstate} {bad.message}) and" if bad is not None else ""
    then = ""
    if run.again is not None:
        again_bad = next((s for s in run.again.statements if s.status == "failed"), None)
        if run.again.status == "applied":
            then = "; running the migration again applies and leaves it invalid (IF NOT EXISTS skips the existing index)"
        elif again_bad is not None and again_bad.stmt is where:
            then = f"; running the migration again fails here ({again_bad.sqlstate} {again_bad.message}) until it is dropped"
        elif again_bad is not None:
            then = f"; running the migration again fails at line {again_bad.line} ({again_bad.sqlstate})"
    yield ctx.violation(
        where,
        f"this statement{cause} left the INVALID index{'es' if len(run.invalid_indexes) > 1 else ''} {names} behind: "
        f"queries never use it, writes still maintain it{then}",
        help="Drop it (DROP INDEX CONCURRENTLY IF EXISTS … before the build makes a run again start clean), "
             "fix the cause (e.g. duplicate rows for a UNIQUE index) and build it again.",
        context=f"invalid-index:{','.join(run.invalid_indexes)}",
        indexes=list(run.invalid_indexes),
        sqlstate=bad.sqlstate if bad is not None else None,
        rerun=run.again.status if run.again is not None else None,
        server_version=bad.server_version if bad is not None else "",
    )
