"""Running this down migration destroys data that existed before its up migration ran.

## Why is this bad?
A down migration should put the schema back as it was before the up ran. Dropping what
the up added does that: the rows lost are the ones written since. But a down that drops a
table or column the up did not create, empties a table with `TRUNCATE`, or narrows a
column's type back in a way that silently changes values (`numeric(12,4)` →
`numeric(10,2)` rounds, `timestamp` → `date` drops the time of day, `float8` → `integer`
rounds) throws away data that was there before the release. A narrowing that refuses
values instead (`text` → `varchar(50)`, `bigint` → `integer`: "value too long", "out of
range") destroys nothing: the rollback fails on such rows, and is not reported here.
That may be the right trade, but it should be a decision, taken knowingly: the note says
so, so the decision gets made before the rollback, not during it.

The down is compared with its up (what each statement creates and drops, `linter/migset/`): one
note per down migration (down files, `U` files, `down/` mirrors, `-- migrate:down` and
`-- +goose Down` sections), at its first such statement, naming what is lost. A down whose
up is missing or did not parse is not judged. Tables the up created in a `DO` block are not
seen as its own. An ory popx migration is judged with all its steps, and so is a run of
consecutive migrations of one name whose later downs are empty (ory's fizz migrations cut
into several versions, the whole rollback written into the first one's down): what a
later version of the run created is the run's own. Only data the set's migrations put
there counts: a table no migration of the set creates (a misspelt name: the `DROP` fails
and destroys nothing) and a schema none of the set's tables are created in (Lemmy's
`DROP SCHEMA r CASCADE` of the views and functions it rebuilds at startup) are not
reported.

## Example
```sql
-- migrate:up
ALTER TABLE items ALTER COLUMN price TYPE numeric(12,4);
-- migrate:down
ALTER TABLE items ALTER COLUMN price TYPE numeric(10,2);
```

## Use instead
```sql
-- migrate:up
ALTER TABLE items ALTER COLUMN price TYPE numeric(12,4);
-- migrate:down
-- miglint: ignore destructive-down-migration -- prices were entered with 2 decimals until this release
ALTER TABLE items ALTER COLUMN price TYPE numeric(10,2);
```

## Options
None.

## References
- Standard 003, "Data-preserving rollback": rename instead of drop
- Standard 001, "Down migration template": `-- WARNING: {Any data loss warnings}`
- Type conversion on assignment: https://www.postgresql.org/docs/current/typeconv-query.html
"""

from __future__ import annotations

from linter.migset import pairs as pairsmod, references, rollback
from linter.model import Span

ID = "destructive-down-migration"
FAMILY = "rollback"
SCOPE = "file-set"
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
NEEDS = ("objects", "sections", "table_ties")


def check(ctx, options):
    by_path = {f.path: f for f in ctx.files}
    known = None
    for unit in pairsmod.root_units(ctx):
        if not pairsmod.wanted(ctx, unit):
            continue
        got = pairsmod.unit_ops(unit, ctx.summaries)
        if got is None:
            continue
        if known is None:
            known = references.created(ctx.files, ctx.summaries)
        per_file: dict[str, list] = {}
        for d in rollback.destroyed(*got, known=known):
            per_file.setdefault(d.span[4], []).append(d)
        for path, found in per_file.items():
            what = [d.what for d in found]
            shown = ", ".join(what[:3]) + (f" and {len(what) - 3} more" if len(what) > 3 else "")
            line, col, end_line, end_col = found[0].span[:4]
            yield ctx.violation(
                by_path.get(path), f"rolling back destroys data that existed before the up ran: it {shown}",
                help="Make sure losing it is acceptable (keep a copy, or rename instead of dropping); "
                     "dropping only what the up added is not reported.",
                span=Span.at(line, col, end_line, end_col))
