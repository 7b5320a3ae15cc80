"""The down migration does not undo everything its up migration does.

## Why is this bad?
After a rollback the schema should be what it was before the up ran; whatever the down
leaves behind makes the next up fail ("relation already exists") or leaves the
application facing objects it does not know. Both migrations are parsed and compared:

- an object the up creates (table, view, materialized view, column, index, constraint,
  trigger, policy, function, type, sequence, schema, extension) that the down does not
  drop, directly or with its table, its schema or what it depends on (CASCADE);
- an object the up redefines (`CREATE OR REPLACE`) that the down neither redefines nor
  drops: the new definition stays. A function or view that an earlier migration of the
  root defined exactly the same way is not a redefinition, nor is a helper several
  migrations define identically. A view no earlier migration defined is new, and the down
  should drop it; a new function made with `CREATE OR REPLACE` (a trigger function, a
  helper) is not reported: left behind it breaks nothing, and running the up again
  replaces it (a plain `CREATE FUNCTION` left behind makes that up fail, and is reported);
- an object that existed before and that the up drops, which the down does not create
  again (it can recreate the structure, never the rows: say so in the down);
- an object the up renames that the down does not rename back.

Objects are matched by kind and name (unnamed indexes and constraints by the name
PostgreSQL gives them, `<table>_<column>_idx`, `<table>_pkey`...; when that name would be
truncated they are not judged); a down that renames tables is followed through its
renames. Dropping and recreating an object in the up (a rebuild) asks nothing of the
down; neither do `CREATE EXTENSION IF NOT EXISTS`, temporary tables and `pg_temp`
functions, nor an object the down itself creates again (it existed before the up). A
table left behind is reported once, not with each of its indexes and constraints.
Statements a DO block in the down runs count; function bodies are not analysed. ory popx step groups
are judged as a whole. Empty downs are `empty-down-migration`'s business.

Reported once per down file (per down section), naming everything it leaves undone:
fixing the down is one task.

## Example
```sql
-- file: migrations/0042_add_invoice_index.up.sql
ALTER TABLE invoices ADD COLUMN customer_id bigint;
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
-- file: migrations/0042_add_invoice_index.down.sql
DROP INDEX invoices_customer_idx;
```

## Use instead
```sql
-- file: migrations/0042_add_invoice_index.up.sql
ALTER TABLE invoices ADD COLUMN customer_id bigint;
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
-- file: migrations/0042_add_invoice_index.down.sql
DROP INDEX invoices_customer_idx;
ALTER TABLE invoices DROP COLUMN customer_id;
```

## Options
- `check-recreated` (bool, default `true`): also report objects the up drops that the
  down does not recreate.

## References
- Standard 003, "Rollback procedures" and "Rollback testing": run up, down, up
- Standard 001, "Down migration template": reverse the changes in opposite order
"""

from __future__ import annotations

from linter.grouping import listing
from linter.migset import names, pairs as pairsmod, rollback
from linter.model import Span

ID = "incomplete-down-migration"
FAMILY = "rollback"
SCOPE = "file-set"
DEFAULT_LEVEL = "warning"
OPTIONS = {"check-recreated": bool}
DEFAULTS = {"check-recreated": True}
ALIASES = ()
NEEDS = ("objects", "sections")
REPORT = "per-file"

_VERB = {"table": "DROP TABLE", "view": "DROP VIEW", "matview": "DROP MATERIALIZED VIEW", "column": "ALTER TABLE ... DROP COLUMN",
         "index": "DROP INDEX", "constraint": "ALTER TABLE ... DROP CONSTRAINT", "trigger": "DROP TRIGGER",
         "policy": "DROP POLICY", "function": "DROP FUNCTION", "type": "DROP TYPE", "sequence": "DROP SEQUENCE",
         "schema": "DROP SCHEMA", "extension": "DROP EXTENSION"}


def _definitions(ctx) -> dict:
    """``{(kind, name): [(version_key, definition hash or '')]}`` of the functions, views
    and triggers the root's up migrations create or replace, in version order."""
    out: dict = {}
    for f in names.versioned_ups(ctx.files):
        for op, _span in ctx.summaries.get(f.path, {}).get("objects", {}).get("up", ()):
            if op[0] in ("create", "replace") and op[1] in ("function", "view", "trigger", "matview"):
                out.setdefault((op[1], op[4]), []).append((f.version_key, op[5] if op[0] == "replace" else ""))
    return out


def _earlier(defs: list, version_key) -> list:
    try:
        return [h for v, h in defs if v < version_key]
    except TypeError:
        return []


def check(ctx, options):
    definitions = None
    for unit, problems in pairsmod.analysed_units(ctx):
        where = None
        if unit.sectioned:
            where = Span.at(ctx.summaries[unit.report_on.path]["sections"]["down_marker"] or 1, 1)
        for p in problems:
            obj = rollback.describe(p.obj)
            line = ""
            if p.up_span:
                line = f" (line {p.up_span[0]})" if len(unit.ups) == 1 else f" ({p.up_span[4].rsplit('/', 1)[-1]}, line {p.up_span[0]})"
            at = f", {line[2:-1]}" if line else ""  # ", line 3" / ", 0001_x.up.sql, line 3"
            change, what = "create", f"{obj}{line}"
            if p.kind == "not-dropped":
                msg = f"the down leaves {obj}, which {unit.label} {'create' if len(unit.ups) > 1 else 'creates'}{line}"
                hint = f"Add {_VERB.get(p.obj[0], 'a DROP')} for it to the down migration, in reverse order of creation."
            elif p.kind == "not-restored":
                # CREATE OR REPLACE: new (the down should drop it), the same definition as
                # before (nothing to undo), or a new definition (the down should restore the old)
                if definitions is None:
                    definitions = _definitions(ctx)
                defs = definitions.get((p.obj[0], p.obj[2]), [])
                before = _earlier(defs, unit.ups[0].version_key)
                if before and p.definition and before[-1] == p.definition:
                    continue
                if p.definition and sum(1 for _v, h in defs if h == p.definition) > 1:
                    continue  # a shared helper many migrations define the same way
                if not before and p.obj[0] == "function":
                    continue  # a new CREATE OR REPLACE function left behind: harmless, the next up replaces it
                if not before:
                    msg = f"the down leaves {obj}, which {unit.label} {'create' if len(unit.ups) > 1 else 'creates'}{line}"
                    hint = f"Add {_VERB.get(p.obj[0], 'a DROP')} for it to the down migration."
                else:
                    change, what = "redefine", f"{obj} (redefined{at})"
                    msg = f"the down leaves {obj} as {unit.label} {'redefine' if len(unit.ups) > 1 else 'redefines'} it{line}"
                    hint = "Restore its previous definition in the down migration (CREATE OR REPLACE with the old body)."
            elif p.kind == "not-recreated":
                if not options["check-recreated"]:
                    continue
                change, what = "drop", f"{obj} (dropped{at})"
                msg = f"the down does not recreate {obj}, which {unit.label} {'drop' if len(unit.ups) > 1 else 'drops'}{line}"
                hint = "Recreate it in the down migration; its data cannot come back, so say so in a comment."
            elif p.kind == "not-renamed-back":
                change, what = "rename", f"{rollback.describe(p.other)} (renamed from \"{p.obj[2]}\"{at})"
                msg = f"the down does not rename {rollback.describe(p.other)} back to \"{p.obj[2]}\"{line}"
                hint = "Rename it back in the down migration."
            else:
                continue
            # fingerprint context without the up's line: stable when unrelated lines shift
            yield ctx.violation(unit.report_on, msg, help=hint, span=where, context=f"{p.kind}:{p.obj}",
                                objects=[what], change=change)


#: What the down should do about each kind of change its up makes (``change`` property).
_UNDO = {"create": "drop what the up creates, in reverse order of creation",
         "redefine": "restore the previous definition of what it redefines (CREATE OR REPLACE with the old body)",
         "drop": "recreate what it drops (its data cannot come back: say so in a comment)",
         "rename": "rename back what it renames"}


def group_message(violations, objects):
    """The message and help of the one finding for everything a down leaves undone."""
    changes = [c for c in _UNDO if any(v.properties.get("change") == c for v in violations)]
    return (
        f"the down leaves {len(objects)} changes of its up in place ({listing(objects)}): after a rollback the next up "
        "fails or the application meets objects it does not know",
        "In the down migration, " + "; ".join(_UNDO[c] for c in changes) + ".",
    )
