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

The fix writes that form in `CREATE TABLE` and on tables created earlier in the file. On
`ALTER TABLE … ADD COLUMN` of an existing table a column CHECK would scan the whole table
under the ACCESS EXCLUSIVE lock, so the fix adds the limit as a table constraint `NOT
VALID` instead (`ALTER TABLE users ADD COLUMN email text, ADD CHECK (char_length(email) <=
255) NOT VALID;`) and the help asks for `VALIDATE CONSTRAINT users_email_check` in a later
migration.

No fix is offered when a later statement of the file or a later migration of the same
root changes the column's type (`ALTER COLUMN … TYPE varchar(40)`): from `varchar(40)`
that change is metadata-only, from `text` it rewrites the table; the help names the
later statement.

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

from linter.model import Direction
from linter.pg import columns, names, tokens

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
#: linter.migset.coltypes.NEEDS_KEY: a fix is taken back when a later file changes the
#: column's type (:func:`linter.migset.coltypes.strip_retyped_fixes`)
NEEDS = ("column_types",)


def check(ctx, stmt, options):
    for site, _base, table, at in columns.typed_columns(ctx, stmt, ("varchar",)):
        tn = site.type_name
        mods = names.typmods(tn)
        if not mods:
            continue
        n = mods[0]
        fix = None
        help = f"Use text, with CHECK (char_length(…) <= {n}) if the limit matters: a CHECK can be replaced without blocking."
        if at and not tn.get("arrayBounds") and not _retyped_later(ctx, stmt, site):
            col = names.quote_ident(site.name)
            check = f"CHECK (char_length({col}) <= {n})"
            if site.how == "add" and not ctx.pg.is_new_table(site.table, stmt):
                # a CHECK added with the column scans the table under ACCESS EXCLUSIVE: NOT VALID
                # (a table constraint, at the end of the ALTER TABLE), VALIDATE later
                auto = f"{names.table_key(site.table)}_{site.name}_check"
                help += (f" On an existing table add it NOT VALID (ALTER TABLE … ADD CHECK (…) NOT VALID; a column "
                         f"CHECK scans the table under ACCESS EXCLUSIVE) and run ALTER TABLE … VALIDATE CONSTRAINT "
                         f"{names.quote_ident(auto)} in a later migration.")
                if stmt.parent is None and len(auto) <= 63:
                    text = ctx.source.text
                    fix = ctx.fix(at[0], stmt.end, tokens.in_file_case(ctx.source, "text") + text[at[1]:stmt.end]
                                  + tokens.in_file_case(ctx.source, f", ADD {check} NOT VALID"),
                                  f"Use text, with ADD {check} NOT VALID (VALIDATE it in a later migration)")
            else:
                fix = ctx.fix(at[0], at[1], tokens.in_file_case(ctx.source, f"text {check}"), f"Use text with {check}")
        extra = {}
        if fix is not None:
            from linter.migset import coltypes

            extra[coltypes.RETYPED] = coltypes.lookup_property(stmt, names.table_key(site.table), site.name)
        yield columns.type_violation(
            ctx,
            stmt,
            site,
            table,
            f'column "{site.name}" of "{table}" is {names.type_name(tn)}: changing the limit later takes an ACCESS '
            "EXCLUSIVE lock, which blocks reads and writes (shortening it rewrites the table)",
            help=help,
            fix=fix,
            **extra,
        )


def _retyped_later(ctx, stmt, site) -> bool:
    """True when a later statement of the same section changes this column's type: the fix
    would change what that ALTER COLUMN … TYPE converts from (text → varchar(n) scans and
    rewrites where varchar(n) → varchar(n) does not)."""
    evs = columns.history(ctx).events.get((names.table_key(site.table), site.name), ())
    down = stmt.section is Direction.DOWN
    return any(ev[0] > stmt.index and ev[1] == down and ev[2] == "type" for ev in evs)
