"""What a file's top-level statements do to tables, in one walk: the column-type events of
:mod:`linter.migset.coltypes` and the tie events of :mod:`linter.migset.references`.

Both summaries read the same statements (CREATE TABLE, ALTER TABLE, RENAME, DROP) and the
same parts of them (the relation, the subcommands and their column definitions); a worker
that needs both (``column-type-rewrite`` and ``missing-lock-timeout`` are in the default
preset) walks each statement once here instead of twice. The event shapes are the two
modules' own (their module docs): :func:`linter.migset.coltypes.events` and
:func:`linter.migset.references.events` are this walk with one side turned off.
"""

from __future__ import annotations

from linter.migset.coltypes import compact
from linter.migset.references import _fk_targets
from linter.model import Direction
from linter.pg import names

_KINDS = frozenset({"CreateStmt", "AlterTableStmt", "RenameStmt", "DropStmt"})
_DOWN = Direction.DOWN

#: :class:`linter.migset.summary._Positions` (the summary's cheap line counter), imported
#: on first use (the summary imports this module) and kept.
_Positions = None


def events(source, types: bool = True, ties: bool = True) -> tuple[tuple, tuple]:
    """``(column-type events, tie events)`` of a parsed file's top-level statements: the
    first for the up and down parts (``()`` unless ``types``), the second for the up part
    only (``()`` unless ``ties``); each in statement order, as
    :func:`linter.migset.coltypes.events` and :func:`linter.migset.references.events` give
    them."""
    global _Positions
    if _Positions is None:
        from linter.migset.summary import _Positions

    tev: list = []  # column-type events
    rev: list = []  # tie events
    where = None
    kinds = _KINDS
    for st in source.statements:
        kind = st.kind
        if kind not in kinds:
            continue
        down = st.section is _DOWN
        ty = types
        ti = ties and not down
        if not (ty or ti):
            continue
        body = st.body
        i = st.index
        if kind == "DropStmt":
            if body.get("removeType") == "OBJECT_TABLE":
                for obj in body.get("objects", ()) or ():
                    parts = names.strings(obj)
                    if parts:
                        if ty:
                            tev.append((i, down, "drop_table", parts[-1]))
                        if ti:
                            rev.append((i, "drop", parts[-1]))
            continue
        rel = body.get("relation")
        if kind == "RenameStmt":
            rt = body.get("renameType")
            if rt == "OBJECT_COLUMN":
                if ty:
                    tev.append((i, down, "rename", names.table_key(rel), body.get("subname", ""), body.get("newname", "")))
            elif rt == "OBJECT_TABLE":
                table = names.table_key(rel)
                if ty:
                    tev.append((i, down, "rename_table", table, body.get("newname", "")))
                if ti:
                    rev.append((i, "rename", table, body.get("newname", "")))
            continue
        if kind == "CreateStmt":
            elts = body.get("tableElts") or ()
            if ty:
                cols = tuple([
                    (cd.get("colname", ""), compact(cd["typeName"]))
                    for elt in elts
                    if (cd := elt.get("ColumnDef")) is not None and cd.get("typeName")
                ])
                if where is None:
                    where = _Positions(source.text)
                tev.append((i, down, "create", names.table_key(rel), cols, bool(body.get("if_not_exists")), where._at(st.start)[0]))
            if ti:
                rel = rel or {}
                table = rel.get("relname", "")
                if not table or rel.get("relpersistence") == "t":
                    continue
                rev.append((i, "create", table, rel.get("schemaname", "")))
                for parent in body.get("inhRelations") or ():
                    rev.append((i, "tie", table, names.table_key(parent)))
                for elt in elts:
                    cons = elt["ColumnDef"].get("constraints") if "ColumnDef" in elt else [elt] if "Constraint" in elt else ()
                    if cons:  # most columns have none: no call
                        col = elt["ColumnDef"].get("colname", "") if "ColumnDef" in elt else ""
                        rev.extend((i, "tie", table, *fk) for fk in _fk_targets(cons, table, col))
            continue
        if body.get("objtype") not in (None, "OBJECT_TABLE"):
            continue
        table = names.table_key(rel)
        line = 0
        for c in body.get("cmds", ()) or ():
            cmd = c.get("AlterTableCmd", {})
            sub = cmd.get("subtype")
            if sub == "AT_AddColumn":
                cd = (cmd.get("def") or {}).get("ColumnDef", {})
                if ty and cd.get("typeName"):
                    if not line:
                        if where is None:
                            where = _Positions(source.text)
                        line = where._at(st.start)[0]
                    tev.append((i, down, "add", table, cd.get("colname", ""), compact(cd["typeName"]), line, bool(cmd.get("missing_ok"))))
                if ti:
                    rev.extend((i, "tie", table, *fk) for fk in _fk_targets(cd.get("constraints"), table, cd.get("colname", "")))
            elif sub == "AT_AlterColumnType":
                if ty:
                    cd = cmd.get("def", {}).get("ColumnDef", {})
                    if cd.get("typeName"):
                        if not line:
                            if where is None:
                                where = _Positions(source.text)
                            line = where._at(st.start)[0]
                        tev.append((i, down, "type", table, cmd.get("name", ""), compact(cd["typeName"]), line))
            elif sub == "AT_DropColumn":
                if ty:
                    tev.append((i, down, "drop", table, cmd.get("name", "")))
                if ti and cmd.get("name"):
                    rev.append((i, "dropcol", table, cmd["name"]))
            elif ti:
                if sub == "AT_AddConstraint":
                    rev.extend((i, "tie", table, *fk) for fk in _fk_targets([cmd.get("def") or {}], table))
                elif sub == "AT_DropConstraint" and cmd.get("name"):
                    rev.append((i, "dropcon", table, cmd["name"]))
                elif sub == "AT_AttachPartition":
                    part = names.table_key((cmd.get("def") or {}).get("PartitionCmd", {}).get("name"))
                    if part:
                        rev.append((i, "tie", part, table))
                elif sub == "AT_AddInherit":
                    rev.append((i, "tie", table, names.table_key(cmd.get("def") or {})))
    return tuple(tev), tuple(rev)
