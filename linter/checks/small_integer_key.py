"""Use bigint for ids and keys: integer and smallint run out.

## Why is this bad?
An `integer` (`int`, `int4`, `serial`) id stops at 2,147,483,647 and a `smallint` one at
32,767; busy tables and their sequences get there, and then every `INSERT` fails.
Widening the column afterwards (`ALTER COLUMN id TYPE bigint`) rewrites the table and its
indexes under an ACCESS EXCLUSIVE lock, which blocks reads and writes, and the foreign
keys that reference it need the same change. `bigint` costs 4 bytes more per row.

By default only keys are reported: columns in a PRIMARY KEY or UNIQUE constraint,
foreign keys (REFERENCES), serial/identity columns, and columns named `id` or `…_id`.
squawk's `prefer-bigint-over-int` / `prefer-bigint-over-smallint` report every integer
column; set `keys-only: false` for that. Down migrations are not judged (they restore
the old schema as it was).

## Example
```sql
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers (id));
```

## Use instead
```sql
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
```

## Options
- `keys-only` (bool, default `true`): report only key columns (see above); `false`
  reports every integer and smallint column, as squawk does.

On by default at level `note` (it never fails a build with `fail_on: error`): squawk 2.70
has `prefer-bigint-over-int` on by default too. Turn it off with `small-integer-key: disable`.

## PostgreSQL versions
All versions.

## References
- Numeric types, integer types: https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-INT
- ALTER TABLE, Notes (type changes rewrite): https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
"""

from linter.model import replace
from linter.pg import columns, names

ID = "small-integer-key"
FAMILY = "locking"
HAZARD = "type"
SCOPE = "statement"
KINDS = ("CreateStmt", "AlterTableStmt")
SUBCOMMANDS = columns.SITE_SUBCOMMANDS
DEFAULT_LEVEL = "note"
OPTIONS = {"keys-only": bool}
DEFAULTS = {"keys-only": True}
ALIASES = ("prefer-bigint-over-int", "prefer-bigint-over-smallint", "prefer-big-int")

_SMALL = {"int4": 32, "int2": 16, "serial": 32, "serial4": 32, "smallserial": 16, "serial2": 16}
_WIDER = {"int": "bigint", "integer": "bigint", "int4": "int8", "smallint": "bigint", "int2": "int8",
          "serial": "bigserial", "serial4": "serial8", "smallserial": "bigserial", "serial2": "serial8"}


def check(ctx, stmt, options):
    keys = None
    for site, base in columns.typed_sites(ctx, stmt):
        bits = _SMALL.get(base)
        if bits is None:
            continue
        tn = site.type_name
        if tn.get("arrayBounds"):
            continue
        if options["keys-only"]:
            if keys is None:
                keys = columns.key_columns(stmt)
            if not (site.name in keys or site.name == "id" or site.name.endswith("_id")):
                continue
        at = columns.type_offsets(stmt, tn)
        written = ctx.source.text[at[0]:at[1]] if at else names.type_name(tn)
        first = written.split("(")[0].split()[0].lower() if written.strip() else ""
        wider = _WIDER.get(first.rsplit(".", 1)[-1])
        if wider and written.split("(")[0].split()[0].isupper():
            wider = wider.upper()
        fix = ctx.fix(at[0], at[0] + len(first), wider, f"Use {wider}") if at and wider and len(first) == len(written.strip()) else None
        limit = "2,147,483,647" if bits == 32 else "32,767"
        table = names.relation(site.table)
        v = columns.type_violation(
            ctx,
            stmt,
            site,
            table,
            f'column "{site.name}" of "{table}" is {written} ({bits}-bit, at most {limit}): widening it later '
            "rewrites the table under an ACCESS EXCLUSIVE lock, which blocks reads and writes",
            help=f"Use {(wider or 'bigint').lower()} (64-bit) for ids and keys, and for the columns that reference them.",
            fix=fix,
        )
        # folded into serial-column's finding on the same serial (its fix is a bigint identity)
        yield replace(v, fold=f"{written} is also {bits}-bit (at most {limit}): widening it later rewrites the table")
