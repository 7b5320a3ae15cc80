"""The down migration is empty although its up migration changes something.

## Why is this bad?
An empty down runs "successfully" and records the rollback as done while every change of
the up migration stays: the next up then fails on objects that already exist, or the
application runs against a schema it does not expect. If a migration really cannot be
undone, the down should fail loudly (`RAISE EXCEPTION` in a `DO` block) rather than
pretend, or at least say so.

A down whose comment says why it is empty, or that it is empty on purpose, passes: it is
a decision a reviewer can read ("-- irreversible", "-- Not reversible", "-- no-op",
"-- This file intentionally left blank", "-- Can't migrate down from this point",
"-- Rolling back would require restoring …"). What a generator writes is no reason:
diesel's `-- This file should undo anything in `up.sql``, ory's "This is a blank
migration. It is generated to ensure that all dialects are represented" headers, and
TODO lines are left out before looking (:mod:`linter.migset.blank`). With
`allow-comment-only`, any comment passes.

Only downs whose up changes the schema are reported: a no-op up (ory's "this migration is
only for sqlite" files) rightly has a no-op down, and so may an up that only changes
data (a DELETE cannot be undone by SQL anyway), writes COMMENTs, adds enum values
(PostgreSQL cannot remove them), creates temporary objects or ensures an extension
exists (`CREATE EXTENSION IF NOT EXISTS`). ory popx splits one migration into
numbered steps and spreads the down statements over the first step files, leaving the
others empty: such a group is judged as a whole.

## Example
```sql
-- file: migrations/0042_add_invoice_index.up.sql
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
-- file: migrations/0042_add_invoice_index.down.sql
```

## Use instead
```sql
-- file: migrations/0042_add_invoice_index.up.sql
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
-- file: migrations/0042_add_invoice_index.down.sql
DROP INDEX invoices_customer_idx;
```

## Options
- `allow-comment-only` (bool, default `false`): a down holding only comments passes,
  even when they give no reason (a generator's template).

## References
- Standard 003, "Writing rollback scripts" and "Rollback testing"
- golang-migrate, MIGRATIONS.md: https://github.com/golang-migrate/migrate/blob/master/MIGRATIONS.md
"""

from __future__ import annotations

from linter.migset import pairs as pairsmod
from linter.model import Span

ID = "empty-down-migration"
FAMILY = "rollback"
SCOPE = "file-set"
DEFAULT_LEVEL = "warning"
OPTIONS = {"allow-comment-only": bool}
DEFAULTS = {"allow-comment-only": False}
ALIASES = ()
NEEDS = ("sections",)


def check(ctx, options):
    for unit in pairsmod.root_units(ctx):
        ups = [ctx.summaries.get(f.path, {}).get("sections") for f in unit.ups]
        downs = [ctx.summaries.get(f.path, {}).get("sections") for f in unit.downs]
        if not all(ups) or not all(downs):
            continue  # a file did not parse
        if sum(u["n_schema"] for u in ups) == 0 or sum(d["n_down"] for d in downs) > 0:
            continue
        text = any(d["down_text"] for d in downs)
        if options["allow-comment-only"] and text:
            continue
        if any(d.get("down_reason") for d in downs):
            continue  # the down says why it is empty
        what = "only comments" if text else "nothing"
        if unit.sectioned:
            yield ctx.violation(unit.report_on, f"the down section holds {what}, but the up section changes the schema",
                                help="Undo the up section's changes in reverse order, or raise an exception saying why they cannot be undone.",
                                span=Span.at(downs[0]["down_marker"] or 1, 1))
        else:
            whose = "the down migrations hold" if len(unit.downs) > 1 else "the down migration holds"
            yield ctx.violation(unit.report_on, f"{whose} {what}, but {unit.label} {'change' if len(unit.ups) > 1 else 'changes'} the schema",
                                help="Undo the up migration's changes in reverse order, or raise an exception saying why they cannot be undone.")
