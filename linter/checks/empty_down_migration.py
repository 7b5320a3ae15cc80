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
exists (`CREATE EXTENSION IF NOT EXISTS`). Nor is an up that only relaxes tables: drops
NOT NULL (authelia `V0009`: then nulls placeholder values), drops constraints, or widens
column types (`varchar(255)` → `varchar(768)`, → `text`, `int4` → `int8`: the old type
from the earlier migrations of the root; with it unknown only an unbounded target
counts), with the NOT NULL or default of a retyped column: the down that would tighten
them again fails on the rows written since (NULLs, duplicates, longer values), so an
empty down is the right one. An up that drops a default, or narrows a type, is undone
by one statement, and stays reported. ory popx splits one migration into
numbered steps and spreads the down statements over the first step files, leaving the
others empty: such a group is judged as a whole, and so is a run of consecutive
migrations of one name whose first down undoes the whole run (ory's fizz migrations cut
into versions).

A project that does not keep its downs is not told so once per migration: when a
migration root has at least `convention-min-downs` downs and at least `convention-percent`
of them hold no statement, empty downs are that root's convention and the rule reports
nothing there (supabase/postgres leaves all 30 dbmate `-- migrate:down` sections empty;
vaultwarden 26 of its 46 diesel `down.sql` files, every one after an `ADD COLUMN`). In a
project that writes its downs the empty ones are rare slips, and they are reported: in
the corpus such roots leave 0-19 % of their downs empty (authelia 5 of 26, ory/hydra 11
of 93, crates.io 9 of 284), the two convention roots 57 % and 100 %; the default of half
sits between.

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
- `convention-percent` (int, default `50`): when at least this share (in percent) of a
  root's downs hold no statement, empty downs are the root's convention: nothing is
  reported there. `101` turns the exemption off.
- `convention-min-downs` (int, default `5`): the exemption needs at least this many downs
  in the root (a root of two migrations shows no convention).

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
OPTIONS = {"allow-comment-only": bool, "convention-percent": int, "convention-min-downs": int}
DEFAULTS = {"allow-comment-only": False, "convention-percent": 50, "convention-min-downs": 5}
ALIASES = ()
NEEDS = ("sections", "column_types")


def _cannot_restore(ctx, unit, ups: list) -> bool:
    """Whether every schema change of the unit's ups only relaxes a table (the ``relax``
    of their ``sections`` summaries: DROP NOT NULL, DROP CONSTRAINT, a type change that
    widens the column, :func:`linter.migset.coltypes.widens`, its old type from the
    earlier migrations of the root): the down that would tighten it again fails on the
    rows written since (NULLs, duplicates, longer values), so an empty one is right."""
    if not all(u.get("relax") is not None for u in ups):
        return False
    retypes = [r for u in ups for r in u["relax"]]
    if not retypes:
        return True
    from linter.migset import coltypes

    old = coltypes.types_before(ctx.files, ctx.summaries, unit.ups[0])
    return all(coltypes.widens(old.get(t, {}).get(c), new) for t, c, new in retypes)


def check(ctx, options):
    units = pairsmod.root_units(ctx)
    convention = None  # counted at the first finding: lint --changed parses few downs
    for unit in units:
        if not pairsmod.wanted(ctx, unit):
            continue
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
        if convention is None:
            empty, total = pairsmod.empty_down_counts(units, ctx.summaries)
            convention = total >= options["convention-min-downs"] and empty * 100 >= options["convention-percent"] * total
        if convention:
            return  # the root does not write downs: its convention, not a per-file slip
        if _cannot_restore(ctx, unit, ups):
            continue  # the up only relaxes: a down could not put it back
        what = "only comments" if text else "nothing"
        if unit.sectioned:
            yield ctx.violation(unit.report_on, f"the down section holds {what}, but the up section changes the schema",
                                help="Undo the up section's changes in reverse order, or raise an exception saying why they cannot be undone.",
                                span=Span.at(downs[0]["down_marker"] or 1, 1))
        else:
            whose = "the down migrations hold" if len(unit.downs) > 1 else "the down migration holds"
            yield ctx.violation(unit.report_on, f"{whose} {what}, but {unit.label} {'change' if len(unit.ups) > 1 else 'changes'} the schema",
                                help="Undo the up migration's changes in reverse order, or raise an exception saying why they cannot be undone.")
