"""Dropping a constraint removes a guarantee running code may rely on.

## Why is this bad?
`ALTER TABLE … DROP CONSTRAINT` takes an ACCESS EXCLUSIVE lock (which blocks reads and
writes while held) and removes a guarantee: uniqueness that `ON CONFLICT` clauses name, a
foreign key whose cascades the code relies on, a CHECK that readers assume. Dropping a
primary key or unique constraint also drops its index, so queries that used it slow down.
This rule is a note, to make the change visible in review. When the file adds the
constraint back only in a later transaction (a tool that runs statements one by one, or
a COMMIT in between), the note says so: until then writes are not checked, and rows that
violate it make the re-add fail; create the replacement first, then drop the old one.

Not reported: constraints added earlier in the same file; a constraint added back in the
same statement or transaction, so that no other session sees the table without it:
under the same name (a constraint redefined), as a PRIMARY KEY where a `…_pkey` was
dropped, or, where the dropped name is the one PostgreSQL gives by default
(`<table>_<columns>_key`, `_fkey`, `_check`), as the same kind of guarantee on the same
columns under another name (a UNIQUE turned into a PRIMARY KEY or a unique index, a
CHECK re-added without a name); constraints of a table the file then renames away to
rebuild it (`rename-table` reports the rename); a default-named constraint on a column
the file drops (`drop-column` reports that, and dropping the column drops the
constraint); the temporary CHECK of the
SET NOT NULL recipe (dropped after SET NOT NULL on that table), tables created earlier in
the same file, and down migrations (`.down.sql`, Flyway `U` files, dbmate
`-- migrate:down`, goose `-- +goose Down`).

## Example
```sql
ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
```

## Use instead
```sql
-- redefining a constraint under the same name keeps the guarantee
ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
  FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE NOT VALID;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- ALTER TABLE, DROP CONSTRAINT: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-DROP-CONSTRAINT
"""

import re
from itertools import permutations

from linter.migset import objects
from linter.model import Direction
from linter.pg import columns, names

ID = "drop-constraint"
FAMILY = "locking"
SCOPE = "statement"
KINDS = ("AlterTableStmt",)
SUBCOMMANDS = ("AT_DropConstraint",)
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-drop-constraint",)


def check(ctx, stmt, options):
    alter = columns.breaking_alter(ctx, stmt, "AT_DropConstraint")
    if alter is None:
        return
    statements, lock = ctx.source.statements, alter.lock
    not_null_cols = _set_not_null_before(statements, stmt, alter.key)
    if _renamed_away(statements, stmt, alter.key):
        return  # a table rebuilt: the old one moves aside (rename-table reports that) and frees the names
    relname = (stmt.body.get("relation") or {}).get("relname", "")
    for cmd in alter.cmds:
        name = cmd.get("name", "")
        if columns.history(ctx).constraint_added(stmt, alter.key, name):
            continue
        if "null" in name.lower() and any(c in name for c in not_null_cols):
            continue  # the recipe's CHECK (col IS NOT NULL), now replaced by NOT NULL
        kind, cols = _default_parts(relname, name)
        again = _added_again(statements, stmt, alter.key, name, kind, cols)
        where = columns.where(ctx, stmt, "drop_constraint", name)
        if again is None and cols and _column_dropped(ctx, statements, stmt, alter.key, cols):
            continue  # the constraint's column goes too: drop-column's finding says it
        if again is None:
            yield alter.violation(
                ctx, where,
                f'ALTER TABLE … DROP CONSTRAINT "{name}" on "{alter.table}" removes a guarantee running code may rely on '
                f"({lock.label} lock, which blocks {lock.blocks})",
                help=("Drop it only after the code no longer relies on it; to change a constraint, add the new one "
                      "(NOT VALID, then VALIDATE) before dropping the old."),
                breaking=True,
            )
        elif again is not stmt and not ctx.pg.same_transaction(stmt, again):
            line = ctx.source.index.position(again.start).line
            yield alter.violation(
                ctx, where,
                f'ALTER TABLE … DROP CONSTRAINT "{name}" on "{alter.table}" leaves the table without it until line {line} '
                f"adds it back in another transaction: writes in between are not checked, and rows that violate it make "
                f"line {line} fail ({lock.label} lock, which blocks {lock.blocks})",
                help=("Add the replacement first (a unique index built CONCURRENTLY, a constraint NOT VALID then "
                      "VALIDATE), then drop the old constraint; or drop and add back in one transaction."),
                breaking=True,
            )


#: The suffixes PostgreSQL gives constraints it names (ChooseConstraintName in
#: src/backend/catalog/pg_constraint.c, called from AddRelationNewConstraints and
#: index_create); a digit follows when the name was taken.
_DEFAULT_NAME = re.compile(r"^(?:(?P<cols>.+)_)?(?P<kind>pkey|key|fkey|check)\d*$")
_MAX_IDENT = 63  # NAMEDATALEN - 1: longer default names are truncated, their columns unknown


def _default_parts(relname: str, name: str) -> tuple[str | None, str | None]:
    """``(kind, columns part)`` of a constraint name of PostgreSQL's default form
    ``<relname>_<columns>_<kind>`` (:data:`_DEFAULT_NAME`; columns part ``""`` for
    ``<relname>_pkey`` and ``<relname>_check``), else ``(None, None)``."""
    if name.startswith(relname + "_") and len(name.encode()) < _MAX_IDENT:
        m = _DEFAULT_NAME.match(name[len(relname) + 1:])
        if m:
            return m.group("kind"), m.group("cols") or ""
    return None, None


def _column_dropped(ctx, statements, stmt, key, col) -> bool:
    """True when this statement or a later top-level one of the same direction drops
    column ``col`` of ``key``, a column that existed before the file (so ``drop-column``
    reports it; dropping a column drops the constraints on it)."""
    down = stmt.section is Direction.DOWN
    hist = columns.history(ctx)
    for st in [stmt, *(s for s in statements if s.index > stmt.index)]:
        if st.kind == "AlterTableStmt" and (st.section is Direction.DOWN) == down and names.table_key(st.body.get("relation")) == key:
            for c in columns.alter_cmds(st, "AT_DropColumn"):
                if c.get("name") == col and not hist.column_added(st, key, col):
                    return True
    return False


def _added_again(statements, stmt, key, name, kind, cols):
    """The statement (``stmt`` itself or a later top-level one of the same direction) that
    adds the guarantee of constraint ``name`` back to table ``key``, else ``None``: a
    constraint of the same name; a PRIMARY KEY for a ``…_pkey``; for a default name
    (``kind`` and ``cols`` from :func:`_default_parts`), a constraint of the same kind on
    the same columns (a UNIQUE also as a PRIMARY KEY or a plain unique index)."""
    down = stmt.section is Direction.DOWN
    for st in [stmt, *(s for s in statements if s.index > stmt.index)]:
        if (st.section is Direction.DOWN) != down:
            continue
        if st.kind == "IndexStmt" and names.table_key(st.body.get("relation")) == key:
            body = st.body
            if body.get("idxname") == name:
                return st
            if kind == "key" and body.get("unique") and not body.get("whereClause"):
                elems = [p.get("IndexElem", {}).get("name") for p in body.get("indexParams", ())]
                if all(elems) and _joins_to(elems, cols):
                    return st
            continue
        if st.kind != "AlterTableStmt" or names.table_key(st.body.get("relation")) != key:
            continue
        for c in columns.alter_cmds(st, "AT_AddConstraint", "AT_AddIndexConstraint"):
            con = c.get("def", {}).get("Constraint", {}) or c.get("def", {}).get("IndexStmt", {})
            if con.get("conname") == name or con.get("idxname") == name:
                return st
            contype = con.get("contype") or ("CONSTR_PRIMARY" if con.get("primary") else None)
            if name.endswith("_pkey") and contype == "CONSTR_PRIMARY":
                return st  # the primary key replaced (by default it is named <table>_pkey)
            if kind == "key" and contype in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") and _joins_to(names.strings(con.get("keys")), cols):
                return st
            if kind == "fkey" and contype == "CONSTR_FOREIGN" and _joins_to(names.strings(con.get("fk_attrs")), cols):
                return st
            if kind == "check" and contype == "CONSTR_CHECK":
                used = sorted(set(objects.columns_in(con.get("raw_expr"))))
                if (used[0] if len(used) == 1 else "") == cols:
                    return st  # the name PostgreSQL gives this CHECK is the dropped one's
    return None


def _renamed_away(statements, stmt, key) -> bool:
    """True when a later top-level statement of the same direction renames table ``key``
    (``ALTER TABLE t RENAME TO _bkp_t``, then a new ``t`` is created): authelia's
    V0002.WebAuthn drops ``totp_configurations_pkey`` so that the new table can take
    the name."""
    down = stmt.section is Direction.DOWN
    for st in statements:
        if st.index > stmt.index and st.kind == "RenameStmt" and (st.section is Direction.DOWN) == down:
            body = st.body
            if body.get("renameType") == "OBJECT_TABLE" and names.table_key(body.get("relation")) == key:
                return True
    return False


def _joins_to(cols: list, joined: str) -> bool:
    """True when the columns, in some order, joined by ``_`` spell ``joined`` (the
    columns part of a default constraint name)."""
    if not cols or sum(map(len, cols)) + len(cols) - 1 != len(joined):
        return False
    if len(cols) > 6:
        return "_".join(cols) == joined
    return any("_".join(p) == joined for p in permutations(cols))


def _set_not_null_before(statements, stmt, key):
    out = {c.get("name", "") for c in columns.alter_cmds(stmt, "AT_SetNotNull")}
    for st in statements:
        if st.index < stmt.index and st.kind == "AlterTableStmt" and names.table_key(st.body.get("relation")) == key:
            out |= {c.get("name", "") for c in columns.alter_cmds(st, "AT_SetNotNull")}
    return {c for c in out if c}
