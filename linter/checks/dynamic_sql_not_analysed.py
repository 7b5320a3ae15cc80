"""DDL built at run time by EXECUTE that miglint could not read was not checked.

## Why is this bad?
PL/pgSQL's `EXECUTE` runs a string as a command. miglint reads the command when the string's
shape is written in the file (`EXECUTE 'ALTER TABLE …'`, `EXECUTE format('CREATE INDEX %I
ON %I (uid)', …)`, `'ALTER TABLE ' || quote_ident(t) || ' …'`, or a variable assigned one
of those) and checks it like any other statement. When the command is built in a way it
cannot follow (a variable that a loop appends to, a record field of a query, a string that
does not parse once its run-time parts are filled in), the DDL it runs is invisible: an
index built without CONCURRENTLY or a SET NOT NULL on every table would pass unreported.

This note says so once per file, at the first such `EXECUTE`, so that a reviewer checks
those statements by hand. It is only given where the strings around the `EXECUTE` plausibly
hold DDL (`CREATE`, `ALTER`, `DROP`, `TRUNCATE`, `REINDEX`, `CLUSTER`, `VACUUM`, `LOCK`,
`REFRESH` …), in a DO block or in a function the same file calls: an `EXECUTE` of a
`SELECT`, or one in a function that is only defined, gets none; nor does a `CREATE [OR
REPLACE] VIEW`/`FUNCTION` whose body is filled in at run time (it locks no table of the
application's).

## Example
```sql
DO $$
DECLARE r record; cmd text := '';
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    cmd := cmd || 'ALTER TABLE ' || quote_ident(r.tablename) || ' ADD COLUMN created_at timestamptz;';
  END LOOP;
  EXECUTE cmd;
END $$;
```

## Use instead
```sql
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE %I ADD COLUMN created_at timestamptz', r.tablename);
  END LOOP;
END $$;
```
(miglint reads this one, with the table named at run time, and checks the ALTER TABLE.)

## Options
None.

## References
- PL/pgSQL, Executing Dynamic Commands: https://www.postgresql.org/docs/current/plpgsql-statements.html#PLPGSQL-STATEMENTS-EXECUTING-DYN
- format(): https://www.postgresql.org/docs/current/functions-string.html#FUNCTIONS-STRING-FORMAT
"""


ID = "dynamic-sql-not-analysed"
FAMILY = "locking"
SCOPE = "file"
DEFAULT_LEVEL = "note"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ()


def check(ctx, options):
    source = ctx.source
    if source is None or source.error is not None:
        return
    bodies = [st for st in source.statements if st.kind in ("DoStmt", "CreateFunctionStmt")]
    if not bodies:  # most files: no PL/pgSQL body, nothing to import or read
        return
    from linter.pg import dynamic

    unknown = [u for st in bodies for u in dynamic.statements(source, st)[1]]
    if not unknown:
        return
    first = unknown[0]
    more = ""
    if len(unknown) > 1:
        lines = sorted({u.line for u in unknown[1:]})
        more = f"; {len(unknown) - 1} more on line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"
    yield ctx.violation(
        ctx.span(first.start, first.start),
        f"the command this EXECUTE runs is built from {first.why} and was not analysed{more}: "
        "the DDL it runs may take locks miglint cannot see",
        help="Check the statements it builds by hand (CREATE INDEX without CONCURRENTLY, SET NOT NULL, "
        "constraints without NOT VALID, …), or build them with a literal or a format('…') template miglint can read.",
        context="dynamic-sql",
    )
