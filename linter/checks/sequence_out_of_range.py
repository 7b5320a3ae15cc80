"""The migration's sequence number is in a range meant for other kinds of change.

## Why is this bad?
Standard 001 ("Sequence number allocation") gives each block of a day's sequence numbers
one kind of change, so that the number alone says what a migration does and what it
risks: 001-099 schema DDL, 100-199 indexes, 200-299 constraints, 300-399 data (DML),
400-499 partitioning, 500-599 security (RLS, grants), 600-699 performance, 700-799
emergency fixes, 800-899 cleanup, 900-999 reserved. A table created by a file numbered as
an index migration, or an UPDATE in a schema migration, defeats that: reviewers look for
locks and backfills where the number says they are.

Each statement of the up migration is classified with the parser (ddl, drop, index,
constraint, dml, partition, security, maintenance; BEGIN/COMMIT, SET, COMMENT, SELECT
and DO blocks that only check things are neutral, and a DO block counts as what it runs).
Reported: a category the file's range does not allow (once per category, at its first
statement), a number in a `reserved` range, and a number in no range. DML on
`ignore-tables` (the standard's `schema_migrations_audit` bookkeeping insert) is neutral.

Opt-in: the `flyway-dated` (001) and `sequential-ranges` (002) presets declare ranges.

## Example
```sql
-- file: db/migration/V2025.10.31.101__index_wallet_owner.sql
CREATE TABLE wallet_owners (id bigint PRIMARY KEY);
```

## Use instead
```sql
-- file: db/migration/V2025.10.31.001__create_wallet_owners_table.sql
CREATE TABLE wallet_owners (id bigint PRIMARY KEY);
-- file: db/migration/V2025.10.31.101__index_wallet_owner.sql
CREATE INDEX CONCURRENTLY wallet_owners_id_idx ON wallet_owners (id);
```

## Options
- `ranges` (dict, default `{}`): `"<first>-<last>": [categories]` where a category is one
  of `ddl`, `drop`, `index`, `constraint`, `dml`, `partition`, `security`, `maintenance`,
  or `any` (anything goes) or `reserved` (no migration may use it).
- `sequence` (str, default `last`): which number the ranges apply to: `last`, the last
  part of the version (`V2025.10.31.101` -> 101, standard 001); `whole`, a one-number
  version (`101_x.sql` -> 101, standard 002).
- `ignore-tables` (list, default `[]`): tables whose DML is bookkeeping.

## References
- Standard 001, "Sequence number allocation" and "Migration types"
- Standard 002, "Version numbering convention"
"""

from __future__ import annotations

from linter.migset import kinds, names
from linter.model import Direction, Span

ID = "sequence-out-of-range"
FAMILY = "versioning"
SCOPE = "file-set"
DEFAULT_LEVEL = "disable"
OPTIONS = {"ranges": dict, "sequence": str, "ignore-tables": list}
DEFAULTS = {"ranges": {}, "sequence": "last", "ignore-tables": []}
ALIASES = ()
NEEDS = ("categories",)

_SPECIAL = ("any", "reserved")

#: Options the docstring's Example and Use instead are checked with (tests/test_cases.py).
EXAMPLE_OPTIONS = {"ranges": {"001-099": ["ddl", "drop"], "100-199": ["index"], "900-999": ["reserved"]}}


def _allowed(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def check(ctx, options):
    try:
        ranges = names.parse_ranges(options["ranges"])
    except ValueError as exc:
        yield ctx.violation(None, f"option ranges: {exc}")
        return
    if not ranges:
        return
    for lo, hi, value in ranges:
        bad = [c for c in _allowed(value) if c not in kinds.CATEGORIES and c not in _SPECIAL]
        if bad:
            yield ctx.violation(None, f"option ranges: {names.fmt_range(lo, hi)} names unknown category {bad[0]!r} "
                                      f"(known: {', '.join(kinds.CATEGORIES + _SPECIAL)})")
            return
    part = options["sequence"]
    ignore = {str(t).lower() for t in options["ignore-tables"]}
    for f in ctx.files:
        if f.direction is not Direction.UP:
            continue
        n = names.sequence(f, part)
        if n is None:
            continue
        r = names.find_range(ranges, n)
        if r is None:
            yield ctx.violation(f, f"sequence number {n:03d} is in none of the declared ranges",
                                help="Number the migration inside the range for its kind of change.")
            continue
        lo, hi, value = r
        allowed = _allowed(value)
        rng = names.fmt_range(lo, hi)
        if "reserved" in allowed:
            yield ctx.violation(f, f"sequence number {n:03d} is in the reserved range {rng}",
                                help="Reserved numbers are for future use; take the next free number of the range for this kind of change.")
            continue
        if "any" in allowed:
            continue
        cats = ctx.summaries.get(f.path, {}).get("categories") or {}
        for cat in kinds.CATEGORIES:
            entries = cats.get(cat)
            if not entries or cat in allowed:
                continue
            if cat == "dml":
                entries = [e for e in entries if e[2].lower() not in ignore and e[2].lower().rsplit(".", 1)[-1] not in ignore]
                if not entries:
                    continue
            what, span, _table = entries[0]
            yield ctx.violation(
                f,
                f"{what}: a {cat} statement in a file numbered {n:03d}, in the range {rng} for {', '.join(allowed)} changes",
                help=f"Move the {cat} statements to a migration numbered in the {cat} range, or renumber this one.",
                span=Span.at(span[0], span[1], span[2], span[3]),
            )
