"""A value added with ALTER TYPE … ADD VALUE is used before its transaction commits.

## Why is this bad?
From PostgreSQL 12, `ALTER TYPE … ADD VALUE` may run inside a transaction block, but the
new value cannot be used until that transaction has committed: any statement of the same
transaction that needs it (an `INSERT` or `UPDATE` writing it, a `WHERE`, a partial
index predicate, a column `DEFAULT`, a `'new'::mood` cast, a `PERFORM` in a `DO` block)
fails with `unsafe use of new value "new" of enum type mood` ("New enum values must be
committed before they can be used"), and the whole migration rolls back. This holds even
when the type itself was created in the same transaction (all checked on PostgreSQL 15).
Migration tools wrap each file in a transaction (dbmate, goose, Flyway, diesel), and
golang-migrate and Prisma send a multi-statement file as one implicit transaction, so
adding a value and using it in one file fails on deploy, while it may pass a test that
runs statements one by one.

A use is the value's literal in a later statement of the same transaction, other than
another `ADD VALUE … BEFORE/AFTER` (which works) or a plain `SELECT 'new'` / a cast to
another type. Before PostgreSQL 12, `ADD VALUE` cannot run in a transaction block at all:
`non-transactional-statement-in-transaction` reports that.

## Example
```sql
ALTER TYPE order_status ADD VALUE 'refunded';
UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;
```

## Use instead
```sql
ALTER TYPE order_status ADD VALUE 'refunded';
```

## Options
None. Put the statements that use the value in the next migration, or let the tool run
this one without a transaction (dbmate `transaction:false`, goose `+goose NO
TRANSACTION`, Flyway `executeInTransaction=false`) with `ADD VALUE` as its own statement.

## PostgreSQL versions
From 12 (`pg_version` ≥ 12); before, `ADD VALUE` itself fails inside a transaction block.

## References
- ALTER TYPE, Notes: https://www.postgresql.org/docs/current/sql-altertype.html#SQL-ALTERTYPE-NOTES
- PostgreSQL 12 release notes ("Allow enum values to be added inside transaction blocks"): https://www.postgresql.org/docs/release/12.0/
"""

from linter.pg import names

ID = "enum-value-used-before-commit"
FAMILY = "locking"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()


def check(ctx, options):
    if ctx.pg_version < 12 or ctx.source is None or ctx.source.error is not None:
        return
    added: dict[tuple[int, str], tuple] = {}  # (tx, label) -> (step, type name)
    for step in ctx.pg.session.steps:
        stmt = step.stmt
        if stmt.kind == "AlterEnumStmt":
            b = stmt.body
            if b.get("newVal") and not b.get("oldVal") and step.tx is not None:
                added[(step.tx, b["newVal"])] = (step, names.dotted(b.get("typeName")))
            continue
        if step.tx is None or not added or stmt.kind == "CommentStmt":
            continue
        for label, node in _literals(stmt.node):
            hit = added.get((step.tx, label))
            if hit is None:
                continue
            add_step, typ = hit
            line = ctx.source.index.position(add_step.stmt.start).line
            yield ctx.violation(
                stmt,
                f"'{label}' was added to enum \"{typ}\" on line {line} in this same transaction: PostgreSQL refuses to use it "
                f"before that transaction commits (unsafe use of new value \"{label}\")",
                node=node,
                help=("Move the statements that use the new value to a later migration (or commit in between, running this "
                      "file without the tool's transaction)."),
                type=typ,
                value=label,
            )
            break


def _literals(tree):
    """``(string, node)`` for each string constant that may be read as an enum value: not
    a bare item of a SELECT list (``SELECT 'new'`` is text), not cast to a text type."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        const = node.get("A_Const")
        if const is not None:
            sval = const.get("sval", {}).get("sval")
            if sval is not None:
                yield sval, const
            continue
        tc = node.get("TypeCast")
        if tc is not None and "A_Const" in tc.get("arg", {}) and names.base_type(tc.get("typeName")) in _TEXT:
            continue
        sel = node.get("SelectStmt")
        if sel is not None and sel.get("targetList"):
            rest = {k: v for k, v in sel.items() if k != "targetList"}
            stack.append(rest)
            for item in sel["targetList"]:
                val = item.get("ResTarget", {}).get("val", {})
                if "A_Const" not in val:
                    stack.append(val)
            continue
        stack.extend(v for v in node.values() if isinstance(v, (dict, list)))


#: Casting to these makes the literal plain text, not the enum's value.
_TEXT = {"text", "varchar", "bpchar", "name", "char", "json", "jsonb"}
