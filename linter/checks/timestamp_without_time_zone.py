"""Prefer timestamptz to timestamp without time zone.

## Why is this bad?
`timestamp` (without time zone) drops the UTC offset of what is written into it:
`2019-10-11 21:11:24+02` and `2019-10-11 21:11:24-06` are stored as the same value, eight
hours apart in reality. `timestamptz` stores an absolute instant (converted to UTC) and
costs nothing more. Changing the type later rewrites the table under an ACCESS EXCLUSIVE
lock unless the session TimeZone is UTC (PostgreSQL 12+). Down migrations are not judged.

## Example
```sql
CREATE TABLE events (happened_at timestamp NOT NULL);
```

## Use instead
```sql
CREATE TABLE events (happened_at timestamptz NOT NULL);
```

## Options
None.

On by default at level `note` (it never fails a build with `fail_on: error`): squawk 2.70
has `prefer-timestamp-tz` on by default too. Turn it off with `timestamp-without-time-zone: disable`.

## PostgreSQL versions
All versions.

## References
- Date/time types: https://www.postgresql.org/docs/current/datatype-datetime.html
- PostgreSQL wiki, "Don't Do This": https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_timestamp_.28without_time_zone.29
"""

import re

from linter.pg import columns

ID = "timestamp-without-time-zone"
FAMILY = "locking"
HAZARD = "type"
SCOPE = "statement"
KINDS = ("CreateStmt", "AlterTableStmt")
SUBCOMMANDS = columns.SITE_SUBCOMMANDS
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("prefer-timestamp-tz", "prefer-timestamptz")

_WRITTEN = re.compile(r"timestamp(\s*\(\s*\d+\s*\))?(\s+without\s+time\s+zone)?", re.I)


def check(ctx, stmt, options):
    for site, _base, table, at in columns.typed_columns(ctx, stmt, ("timestamp",)):
        fix = None
        m = _WRITTEN.match(ctx.source.text, at[0]) if at else None
        if m:
            word = "TIMESTAMPTZ" if m.group().startswith("TIMESTAMP") else "timestamptz"
            prec = re.sub(r"\s+", "", m.group(1) or "")
            fix = ctx.fix(m.start(), m.end(), word + prec, f"Use {word}{prec}")
        yield columns.type_violation(
            ctx,
            stmt,
            site,
            table,
            f'column "{site.name}" of "{table}" is timestamp without time zone: the UTC offset of what is written '
            "is dropped",
            help="Use timestamptz (timestamp with time zone): it stores an absolute instant at no extra cost.",
            fix=fix,
        )
