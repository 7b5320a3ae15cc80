"""The down migration drops an object before the objects that depend on it.

## Why is this bad?
PostgreSQL refuses to drop an object others depend on ("cannot drop table users because
other objects depend on it") unless CASCADE is given, so a down that drops `users` before
`orders`, whose foreign key references it, fails at its first statement, in the middle
of an incident. The dependencies come from the up migration: foreign keys (table on the
referenced table), triggers on their function, views on the relations they read, columns
on their user-defined type. Reported at the drop that comes too early, when the dependant
is dropped later in the same down (or with its table). Reverse the order of creation.
Reported once per down file (per down section), at the first such drop, naming every
misordered pair: reordering the down is one task.

## Example
```sql
-- file: migrations/0001_create_orders.up.sql
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
-- file: migrations/0001_create_orders.down.sql
DROP TABLE customers;
DROP TABLE orders;
```

## Use instead
```sql
-- file: migrations/0001_create_orders.up.sql
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
-- file: migrations/0001_create_orders.down.sql
DROP TABLE orders;
DROP TABLE customers;
```

## Options
None.

## References
- PostgreSQL, "Dependency tracking": https://www.postgresql.org/docs/current/ddl-depend.html
- Standard 001, "Down migration template": reverse the changes in opposite order
"""

from __future__ import annotations

from linter.grouping import listing
from linter.migset import pairs as pairsmod, rollback
from linter.model import Span

ID = "misordered-down-migration"
FAMILY = "rollback"
SCOPE = "file-set"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
NEEDS = ("objects", "sections")
REPORT = "per-file"


def check(ctx, options):
    by_path = {f.path: f for f in ctx.files}
    for unit, problems in pairsmod.analysed_units(ctx):
        for p in problems:
            if p.kind != "misordered":
                continue
            s = p.down_span
            later = ""
            if p.other_span:
                later = f" (line {p.other_span[0]})" if p.other_span[4] == s[4] else f" ({p.other_span[4].rsplit('/', 1)[-1]}, line {p.other_span[0]})"
            pair = f"{rollback.describe(p.obj)} before {rollback.describe(p.other)}"
            yield ctx.violation(
                by_path.get(s[4], unit.report_on),
                f"drops {rollback.describe(p.obj)} before {rollback.describe(p.other)}{later}, which depends on it: "
                f"PostgreSQL refuses this DROP",
                help="Drop dependants first: reverse the order in which the up migration created them.",
                span=Span.at(s[0], s[1], s[2], s[3]),
                context=pair,  # without lines: stable when unrelated lines shift
                objects=[pair + later],
            )


def group_message(violations, objects):
    """The message of the one finding for several misordered drops in a down (help: the first's)."""
    return (
        f"drops objects before the objects that depend on them, {len(objects)} times ({listing(objects)}): "
        "PostgreSQL refuses the first of these DROPs",
        None,
    )
