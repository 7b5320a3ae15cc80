"""A BEGIN with no COMMIT: the migration's work is rolled back when the session ends.

## Why is this bad?
A transaction block the file opens and never closes stays open after the last statement.
When the tool (or `psql -f`) disconnects, PostgreSQL rolls it back: the migration appears
to run, and nothing of it is kept, or, with a tool that keeps the connection, the open
transaction holds every lock the migration took until something else commits it.
Each up/down section of a file (dbmate, goose) is checked on its own, since each runs
separately. Where the migration tool already wraps the file in a transaction, the `BEGIN`
itself is the problem (`nested-transaction`); this rule is for files that run without
one (seeds, Flyway `executeInTransaction=false`, goose `NO TRANSACTION`, …). A `BEGIN`
that re-opens a block after the file ended the tool's transaction early (`COMMIT; CREATE
INDEX CONCURRENTLY …; BEGIN;`) is not reported: the tool's own final COMMIT closes it. Nor
is a file the tool sends as one query (golang-migrate, dbmate `transaction:false`): the
tool's next statements on the connection close what it leaves open.

## Example
```sql
-- flyway:executeInTransaction=false
BEGIN;
ALTER TABLE users ADD COLUMN nickname text;
```

## Use instead
```sql
-- flyway:executeInTransaction=false
BEGIN;
ALTER TABLE users ADD COLUMN nickname text;
COMMIT;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- BEGIN: https://www.postgresql.org/docs/current/sql-begin.html
- COMMIT: https://www.postgresql.org/docs/current/sql-commit.html
"""

from linter.pg import tokens

ID = "uncommitted-transaction"
FAMILY = "locking"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-uncommitted-transaction",)


def check(ctx, options):
    if ctx.source is None or ctx.source.error is not None:
        return
    for p in ctx.pg.transaction_problems:
        if p.kind == "uncommitted":
            fix = None
            same = [st for st in ctx.source.statements if st.section is p.stmt.section and st.start >= p.stmt.start]
            if same:
                end = same[-1].end
                end += ctx.source.text[end:end + 1] == ";"
                fix = ctx.fix(end, end, tokens.in_file_case(ctx.source, "\nCOMMIT;"), "Add COMMIT after the last statement")
            yield ctx.violation(p.stmt, p.message, help=p.help, fix=fix)
