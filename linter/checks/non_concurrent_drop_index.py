"""Drop indexes of existing tables with DROP INDEX CONCURRENTLY.

## Why is this bad?
`DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table. The drop itself is
quick, but the lock must wait for every running query on the table to finish, and while
it waits every new query, reads included, queues behind it: one long report query turns
the drop into an outage. `DROP INDEX CONCURRENTLY` takes SHARE UPDATE EXCLUSIVE, waits
for conflicting transactions without blocking new ones, and cannot run inside a
transaction block. It drops one index at a time, without CASCADE, and cannot drop an
index that backs a constraint (use `ALTER TABLE … DROP CONSTRAINT`) or a partitioned
table's index.

The fix (add CONCURRENTLY) is offered only where the statement then runs outside a
transaction block; in a transaction CONCURRENTLY fails at deploy, so there the help says
how to move the statement and there is no fix.

## Example
```sql
DROP INDEX users_email_idx;
```

## Use instead
```sql
DROP INDEX CONCURRENTLY users_email_idx;
```

`DROP INDEX … CASCADE` also drops the foreign keys of other tables that depend on the
index (a unique index they reference), taking ACCESS EXCLUSIVE on those tables too (checked
on a real server): when an earlier migration of the set declared such a key, the message
names it and its table.

## Options
None. Not reported: indexes created earlier in the same file, DROP INDEXes followed
(after more DROP INDEXes only) by a DROP TABLE, which takes the same lock anyway (the
usual shape of a down migration), and statements inside the bodies of functions the file does not call (they run
when something calls the function).

## PostgreSQL versions
All supported versions (`DROP INDEX CONCURRENTLY` exists since 9.2).

## References
- DROP INDEX: https://www.postgresql.org/docs/current/sql-dropindex.html
- Explicit locking, table-level locks: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
"""

from linter.migset import references
from linter.model import Direction
from linter.pg import columns, names, tokens
from linter.pg.locks import LockMode

ID = "non-concurrent-drop-index"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ("require-concurrent-index-deletion",)
#: folded into this finding on its statement: DROP INDEX CONCURRENTLY waits for transactions using the index without blocking reads and writes: the lock-queue hazard is gone
COVERS = ("missing-lock-timeout",)
KINDS = ("DropStmt",)  # the engine only calls check() for these statement kinds
#: what the set declares about the foreign keys that depend on a dropped index (linter.migset.references)
NEEDS = ("table_ties",)


def check(ctx, stmt, options):
    body = stmt.body
    if stmt.kind != "DropStmt" or body.get("removeType") != "OBJECT_INDEX" or body.get("concurrent"):
        return
    if columns.in_function_body(stmt):
        return
    objs = [names.dotted(o) for o in body.get("objects", ()) or ()]
    created = _created_indexes(ctx, stmt)
    objs = [o for o in objs if o.rsplit(".", 1)[-1] not in created]
    if not objs or _table_dropped_next(ctx, stmt):
        return
    lock = LockMode.ACCESS_EXCLUSIVE
    listed = ", ".join(f'"{o}"' for o in objs)
    help = ("Use DROP INDEX CONCURRENTLY: it takes SHARE UPDATE EXCLUSIVE, lets reads and writes go on, "
            "and cannot run inside a transaction block.")
    several = len(body.get("objects", ()) or ()) > 1
    if several:
        help += " It drops one index per statement: write one DROP INDEX CONCURRENTLY for each."
    if body.get("behavior") == "DROP_CASCADE":
        help += " It does not support CASCADE: drop the dependent objects first."
    tx = ctx.pg.transaction_context(stmt, made_concurrent=True)
    if tx is not None:
        help += f" Here it would run in a transaction: {tx[0]}. {tx[1]}"
    fix = None
    if tx is None and stmt.parent is None and not several and body.get("behavior") != "DROP_CASCADE":
        at = tokens.after_keyword(stmt, "INDEX")
        if at is not None:
            fix = ctx.fix(at, at, tokens.in_file_case(ctx.source, " CONCURRENTLY"), "Add CONCURRENTLY")
    v = ctx.violation(
        stmt,
        f"DROP INDEX {listed} takes an {lock.label} lock on the index's table, which blocks {lock.blocks} "
        "from the moment it starts waiting for running queries",
        help=help,
        fix=fix,
        lock=lock.label,
        table=None,
        index=objs[0] if len(objs) == 1 else objs,
        blocks=lock.blocks,
    )
    if (body.get("behavior") == "DROP_CASCADE" and stmt.parent is None and stmt.section is not Direction.DOWN
            and ctx.file.direction is Direction.UP):
        v.properties[references.FK_LOOKUP] = stmt.index  # which foreign keys CASCADE drops: with_set_locks
    yield v


def with_set_locks(finding, locks: tuple):
    """The finding at a ``DROP INDEX … CASCADE``, once the migration set says which tables'
    foreign keys depend on the index (:func:`linter.migset.references.set_locks`: ``((bare
    table, kind, why, scan), ...)``, empty when it knows none): restated to name them, since the
    keys are dropped with the index, under ACCESS EXCLUSIVE on their tables (checked on a
    real server, tests/test_migset.py)."""
    if not locks:
        return finding
    from linter.migset.references import cascade_clause
    from linter.model import replace

    message = f"{finding.message}; {cascade_clause([got[0] for got in locks], 'the index')}"
    props = dict(finding.properties)
    props["table"] = ", ".join(got[0] for got in locks)
    return replace(finding, message=message, properties=props)


def _created_indexes(ctx, stmt) -> set[str]:
    """Names of indexes CREATE INDEX statements before ``stmt`` in this file (in the same
    direction: a down section undoes the up section's work) created."""
    return {
        st.body["idxname"] for st in _before(ctx, stmt)
        if st.kind == "IndexStmt" and st.body.get("idxname") and st.section is stmt.section
    }


def _table_dropped_next(ctx, stmt) -> bool:
    """True when the statements after ``stmt`` are more DROP INDEXes and then a DROP TABLE:
    the "drop the indexes, then their table" pattern of down migrations (Atlas writes
    them so), where the DROP TABLE takes the same ACCESS EXCLUSIVE lock anyway."""
    if stmt.parent is not None:
        return False
    stmts = ctx.source.statements
    for st in stmts[stmts.index(stmt) + 1 :]:
        if st.section is not stmt.section or st.kind != "DropStmt":
            return False
        kind = st.body.get("removeType")
        if kind != "OBJECT_INDEX":
            return kind == "OBJECT_TABLE"
    return False


def _before(ctx, stmt):
    """The top-level statements before ``stmt`` (before its DO block for nested ones)."""
    stmts = ctx.source.statements
    top = stmt.parent or stmt
    return stmts[: stmts.index(top)] if top in stmts else [s for s in stmts if s.index < stmt.index]
