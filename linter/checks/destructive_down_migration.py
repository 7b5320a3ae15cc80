"""Running this down migration destroys data.

## Why is this bad?
A down that drops a table or a column throws away every row written since the up ran;
rolling back a bad deploy then loses the data the new code collected. That may be the
right trade, but it should be a decision, taken knowingly: the note says so, so the
decision gets made before the rollback, not during it. One note per down migration (down
files, `U` files, `down/` mirrors, `-- migrate:down` and `-- +goose Down` sections), at
its first `DROP TABLE`, `DROP SCHEMA ... CASCADE`, `ALTER TABLE ... DROP COLUMN` or
`TRUNCATE`, naming what is lost.

## Example
```sql
-- migrate:up
ALTER TABLE users ADD COLUMN nickname text;
-- migrate:down
ALTER TABLE users DROP COLUMN nickname;
```

## Use instead
```sql
-- migrate:up
ALTER TABLE users ADD COLUMN nickname text;
-- migrate:down
-- miglint: ignore destructive-down-migration -- nicknames are cached from the profile service
ALTER TABLE users DROP COLUMN nickname;
```

## Options
None.

## References
- Standard 003, "Data-preserving rollback": rename instead of drop
- Standard 001, "Down migration template": `-- WARNING: {Any data loss warnings}`
"""

from __future__ import annotations

from linter.model import Direction

ID = "destructive-down-migration"
FAMILY = "rollback"
SCOPE = "file"
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()


def _name(obj) -> str:
    if "String" in obj:  # DROP SCHEMA names are plain strings
        return obj["String"].get("sval", "")
    return ".".join(i.get("String", {}).get("sval", "") for i in obj.get("List", {}).get("items", ()))


def check(ctx, options):
    # a file rule over top-level statements: no need to parse PL/pgSQL bodies for this
    source = ctx.source
    if source is None or source.error is not None:
        return
    if ctx.file.direction is not Direction.DOWN and all(s.direction is not Direction.DOWN for s in source.sections):
        return
    first = None
    what: list[str] = []
    for stmt in source.statements:
        if stmt.section is Direction.DOWN and stmt.kind in ("DropStmt", "AlterTableStmt", "TruncateStmt"):
            got = _destroys(stmt)
            if got:
                first = first or stmt
                what.extend(got)
    if first is None:
        return
    shown = ", ".join(what[:3]) + (f" and {len(what) - 3} more" if len(what) > 3 else "")
    yield ctx.violation(first, f"rolling back destroys data: it drops {shown}",
                        help="Make sure losing what was written since the up ran is acceptable; keep a copy otherwise.",
                        context="destroys")


def _destroys(stmt) -> list[str]:
    """What the statement throws away: ``table 'x'``, ``column 'c' of 't'``..."""
    body = stmt.body
    if stmt.kind == "DropStmt":
        rtype = body.get("removeType")
        objs = [_name(o) for o in body.get("objects") or ()]
        if rtype in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"):
            return [f"table {o!r}" for o in objs]
        if rtype == "OBJECT_SCHEMA" and body.get("behavior") == "DROP_CASCADE":
            return [f"schema {o!r} with everything in it" for o in objs]
        return []
    if stmt.kind == "AlterTableStmt":
        rel = body.get("relation", {}).get("relname", "")
        return [f"column {c['AlterTableCmd'].get('name', '')!r} of {rel!r}" for c in body.get("cmds") or ()
                if c.get("AlterTableCmd", {}).get("subtype") == "AT_DropColumn"]
    return ["the rows of " + ", ".join(repr(_rel(r)) for r in body.get("relations") or ()) + " (TRUNCATE)"]


def _rel(node) -> str:
    rv = node.get("RangeVar", node)
    return rv.get("relname", "")
