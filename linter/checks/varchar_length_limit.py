"""Prefer text (with a CHECK when the limit matters) to varchar(n).

## Why is this bad?
`varchar(n)` stores exactly what `text` stores; the limit is the only difference, and
it is the wrong tool for it: shortening it later rewrites the table under an ACCESS
EXCLUSIVE lock (blocking reads and writes), and even lengthening it takes that lock. A
`CHECK (char_length(col) <= n)` constraint says the same, can be replaced with
`NOT VALID` + `VALIDATE` without blocking, and is where a limit that matters belongs;
most limits (`varchar(255)`) are folklore from other databases. Down migrations are not
judged.

## Example
```sql
CREATE TABLE users (email varchar(255) NOT NULL);
```

## Use instead
```sql
CREATE TABLE users (email text NOT NULL CHECK (char_length(email) <= 255));
```

## Options
None.

On by default at level `note` (it never fails a build with `fail_on: error`): squawk 2.70
has `prefer-text-field` on by default too. Turn it off with `varchar-length-limit: disable`.

## PostgreSQL versions
All versions.

## References
- Character types: https://www.postgresql.org/docs/current/datatype-character.html
- ALTER TABLE, Notes: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
"""

from linter.pg import columns, names

ID = "varchar-length-limit"
FAMILY = "locking"
HAZARD = "type"
SCOPE = "statement"
KINDS = ("CreateStmt", "AlterTableStmt")
SUBCOMMANDS = columns.SITE_SUBCOMMANDS
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("prefer-text-field",)


def check(ctx, stmt, options):
    for site, _base, table, at in columns.typed_columns(ctx, stmt, ("varchar",)):
        tn = site.type_name
        mods = names.typmods(tn)
        if not mods:
            continue
        n = mods[0]
        fix = None
        if at and not tn.get("arrayBounds"):
            col = site.name if site.name.isidentifier() and site.name.islower() else '"' + site.name.replace('"', '""') + '"'
            fix = ctx.fix(at[0], at[1], f"text CHECK (char_length({col}) <= {n})", f"Use text with CHECK (char_length({col}) <= {n})")
        yield columns.type_violation(
            ctx,
            stmt,
            site,
            table,
            f'column "{site.name}" of "{table}" is {names.type_name(tn)}: changing the limit later takes an ACCESS '
            "EXCLUSIVE lock, which blocks reads and writes (shortening it rewrites the table)",
            help=f"Use text, with CHECK (char_length(…) <= {n}) if the limit matters: a CHECK can be replaced without blocking.",
            fix=fix,
        )
