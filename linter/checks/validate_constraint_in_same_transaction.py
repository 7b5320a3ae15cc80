"""VALIDATE CONSTRAINT in the same transaction as the ADD CONSTRAINT … NOT VALID before it.

## Why is this bad?
`NOT VALID` exists so that the scan of existing rows happens later, under VALIDATE
CONSTRAINT's SHARE UPDATE EXCLUSIVE lock, which blocks neither reads nor writes. But
locks are held until the transaction ends: when the VALIDATE runs in the transaction that
added the constraint, the ADD's lock (ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE
on both tables for a foreign key) is still held for the whole scan. The migration blocks
exactly as much as it would without NOT VALID. The message names the strongest lock the
transaction holds on each table (an ADD COLUMN earlier in it takes ACCESS EXCLUSIVE). Migration tools that run each file in
one transaction (dbmate, goose, diesel, Flyway, golang-migrate with several statements)
make this the usual outcome of writing both statements in one file.

## Example
```sql
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
```

## Use instead
```sql
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
-- and in the next migration (its own transaction):
-- ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
```

## Options
None. Not reported: tables created earlier in the same file, and statements inside
the bodies of functions the file does not call. A COMMIT (and new BEGIN) between the two statements passes, as does a
file the tool runs statement by statement outside a transaction.

## PostgreSQL versions
All supported versions (VALIDATE CONSTRAINT exists from 9.1 for foreign keys, 9.2 for
CHECK constraints).

## References
- ALTER TABLE, VALIDATE CONSTRAINT and Notes: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-VALIDATE-CONSTRAINT
- Explicit locking ("locks are held until the end of the transaction"): https://www.postgresql.org/docs/current/explicit-locking.html
"""

from linter.pg import columns, names
from linter.pg.session import article
from linter.pg.locks import LockMode

ID = "validate-constraint-in-same-transaction"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "error"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ()
#: folded into this finding on its statement: validating in a later transaction ends the hold of the ADD's lock during the scan
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("AlterTableStmt",)  # the engine only calls check() for these statement kinds


def check(ctx, stmt, options):
    if stmt.kind != "AlterTableStmt" or columns.in_function_body(stmt):
        return
    validated = [c.get("name") for c in columns.alter_cmds(stmt, "AT_ValidateConstraint")]
    if not validated:
        return
    rv = stmt.body.get("relation")
    if ctx.pg.is_new_table(rv, stmt):
        return
    table = names.relation(rv)
    added = _added_not_valid(ctx, stmt, names.table_key(rv))
    for name in validated:
        hit = added.get(name)
        if hit is None:
            continue
        earlier, con = hit
        if not ctx.pg.same_transaction(earlier, stmt):
            continue
        fk = con.get("contype") == "CONSTR_FOREIGN"
        added = LockMode.SHARE_ROW_EXCLUSIVE if fk else LockMode.ACCESS_EXCLUSIVE
        rels = [table] + ([names.relation(con.get("pktable"))] if fk else [])
        # the strongest lock the transaction holds on each table (an earlier ADD COLUMN
        # may have taken ACCESS EXCLUSIVE), at least the ADD CONSTRAINT's
        held = _held(ctx, stmt, rels, added)
        lock = max(held.values())
        if len(set(held.values())) == 1:
            on = " and ".join(f'"{r}"' for r in rels)
            locks_text = f"{article(lock.label)} lock on {on}"
        else:
            locks_text = " and ".join(f'{article(m.label)} lock on "{r}"' for r, m in held.items())
        line = ctx.source.index.position(earlier.start).line
        tx = ctx.pg.transaction_context(stmt)
        why = tx[0] if tx else "both run in one transaction"
        yield ctx.violation(
            stmt,
            f'VALIDATE CONSTRAINT "{name}" runs in the same transaction as its ADD CONSTRAINT … NOT VALID (line {line}), '
            f"so this transaction still holds {locks_text}: the validation scan blocks {lock.blocks} as if NOT VALID "
            f"had not been used ({why})",
            help=("Move the VALIDATE CONSTRAINT to a later migration, which runs in its own transaction "
                  "(or COMMIT between the two statements when the file manages its own transactions)."),
            lock=lock.label,
            table=table,
            blocks=lock.blocks,
            scan=True,
        )


def _held(ctx, stmt, rels: list[str], floor: LockMode) -> dict[str, LockMode]:
    """``{relation: strongest lock mode}`` the transaction of ``stmt`` holds on each of
    ``rels`` when ``stmt`` starts (at least ``floor``), from the session walk."""
    out = dict.fromkeys(rels, floor)
    keys = {r.rsplit(".", 1)[-1]: r for r in rels}
    for step in ctx.pg.session.steps:
        if step.stmt is stmt:
            for h in step.held:
                rel = keys.get(h.effect.relation.rsplit(".", 1)[-1])
                if rel is not None and h.effect.mode > out[rel]:
                    out[rel] = h.effect.mode
            break
    return out


def _added_not_valid(ctx, stmt, table_key):
    """``{constraint name: (statement, Constraint dict)}`` of constraints added NOT VALID to
    the table before ``stmt`` (top-level statements, and those of a DO block)."""
    out = {}
    candidates = [s for s in ctx.source.statements if s.index < stmt.index]
    if stmt.parent is not None:
        candidates += [s for s in ctx.source.embedded(stmt.parent) if s.start < stmt.start]
    for st in candidates:
        if st.kind != "AlterTableStmt" or names.table_key(st.body.get("relation")) != table_key:
            continue
        for cmd in columns.alter_cmds(st, "AT_AddConstraint"):
            con = cmd.get("def", {}).get("Constraint", {})
            if con.get("skip_validation") and con.get("conname"):
                out[con["conname"]] = (st, con)
    return out
