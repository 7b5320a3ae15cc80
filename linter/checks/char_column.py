"""Do not use char(n).

## Why is this bad?
`char(n)` (`character(n)`, and `character` alone, which means `char(1)`) pads values with
spaces to `n` characters, ignores trailing spaces in comparisons but not in `LIKE` or
in clients, is no faster than `text`, and changing `n` later rewrites the table under an
ACCESS EXCLUSIVE lock (blocking reads and writes). Use `text` (or `varchar`), with a
CHECK when the length matters. The one-byte internal type `"char"` (quoted) is not
reported. Down migrations are not judged.

## Example
```sql
CREATE TABLE countries (code char(2) PRIMARY KEY);
```

## Use instead
```sql
CREATE TABLE countries (code text PRIMARY KEY CHECK (char_length(code) = 2));
```

## Options
None.

On by default at level `note` (it never fails a build with `fail_on: error`): squawk 2.70
has `ban-char-field` on by default too. Turn it off with `char-column: disable`.

## PostgreSQL versions
All versions.

## References
- Character types: https://www.postgresql.org/docs/current/datatype-character.html
- PostgreSQL wiki, "Don't Do This": https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_char.28n.29
"""

from linter.pg import columns, names

ID = "char-column"
FAMILY = "locking"
HAZARD = "type"
SCOPE = "statement"
KINDS = ("CreateStmt", "AlterTableStmt")
SUBCOMMANDS = columns.SITE_SUBCOMMANDS
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-char-field",)


def check(ctx, stmt, options):
    for site, _base, table, at in columns.typed_columns(ctx, stmt, ("bpchar",)):
        tn = site.type_name
        fix = ctx.fix(at[0], at[1], "text", "Use text") if at and not tn.get("arrayBounds") else None
        mods = names.typmods(tn)
        yield columns.type_violation(
            ctx,
            stmt,
            site,
            table,
            f'column "{site.name}" of "{table}" is char({mods[0] if mods else 1}): values are blank-padded, and '
            "changing the length later rewrites the table under an ACCESS EXCLUSIVE lock",
            help="Use text (or varchar), with a CHECK on char_length when the length matters.",
            fix=fix,
        )
