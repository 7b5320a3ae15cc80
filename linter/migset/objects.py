"""What a statement does to schema objects: creates, replaces, drops, renames, depends on.

The rollback rules compare an up migration with its down from these *effects*, which the
workers compute from the parse trees and send back in the file summary (a down check never
reads the up file). :func:`effects` turns one statement (pglast JSON) into a list of
:data:`Op` tuples::

    (verb, kind, schema, table, name, arg)

* ``verb``: ``create``, ``replace`` (CREATE OR REPLACE), ``drop``, ``rename``, ``dep``;
  ``retype`` (``ALTER COLUMN … TYPE``: ``arg`` is the new type, :func:`type_text`) and
  ``truncate`` (``arg`` ``"c"`` with CASCADE), which change data, not which objects exist.
* ``kind``: ``table``, ``view``, ``matview``, ``column``, ``index``, ``constraint``,
  ``trigger``, ``policy``, ``function``, ``type``, ``sequence``, ``schema``, ``extension``.
* ``schema``: the schema named in the statement, or ``""``.
* ``table``: for objects that live on a table (column, index, constraint, trigger,
  policy) the table's name, else ``""``.
* ``name``: the object's name; for an index or constraint without one, the name
  PostgreSQL chooses (``users_email_idx``, ``orders_pkey``, ``orders_user_id_fkey``;
  ``ChooseIndexName`` / ``ChooseConstraintName`` in PostgreSQL's ``indexcmds.c`` and
  ``pg_constraint.c``), or ``""`` when it cannot be known for sure.
* ``arg``: for ``drop`` the flags ``"c"`` (CASCADE) and ``"e"`` (IF EXISTS); for
  ``rename`` the new name; for ``dep`` the ``(kind, name)`` depended on (``kind``
  ``relation`` for a table, view or materialized view a view reads); for ``create`` of
  an index or constraint the tuple of columns it involves (dropping any of them drops
  it); for ``replace``, filled in by the summary with a hash of the definition; else ``""``.

``dep`` records dependencies PostgreSQL refuses to break with a plain DROP: a foreign key
on the referenced table, a trigger on its function, a view on the relations it reads, a
column on its user-defined type; and ``("owner", table)`` for a sequence ``OWNED BY`` a
table's column, which is dropped with the table. Names are compared as PostgreSQL stores them (unquoted
identifiers are already lower-cased by the parser). Statements inside DO blocks and
function bodies are not looked at: they are code, not the migration's own DDL.
"""

from __future__ import annotations

from typing import Iterator

from linter.pg.tree import nodes

Op = tuple  # (verb, kind, schema, table, name, arg)

#: DropStmt.removeType -> kind
_DROP = {
    "OBJECT_TABLE": "table", "OBJECT_FOREIGN_TABLE": "table", "OBJECT_VIEW": "view", "OBJECT_MATVIEW": "matview",
    "OBJECT_INDEX": "index", "OBJECT_SEQUENCE": "sequence", "OBJECT_TYPE": "type", "OBJECT_DOMAIN": "type",
    "OBJECT_FUNCTION": "function", "OBJECT_PROCEDURE": "function", "OBJECT_ROUTINE": "function",
    "OBJECT_TRIGGER": "trigger", "OBJECT_POLICY": "policy", "OBJECT_SCHEMA": "schema", "OBJECT_EXTENSION": "extension",
}
#: RenameStmt.renameType -> kind (renames of a relation itself)
_RENAME_REL = {
    "OBJECT_TABLE": "table", "OBJECT_FOREIGN_TABLE": "table", "OBJECT_VIEW": "view", "OBJECT_MATVIEW": "matview",
    "OBJECT_INDEX": "index", "OBJECT_SEQUENCE": "sequence",
}

#: Type names that are never user-defined (as written, without pg_catalog).
_BUILTIN_TYPES = frozenset(
    "text varchar char bpchar uuid json jsonb bytea date time timetz timestamp timestamptz interval bool boolean "
    "int int2 int4 int8 integer smallint bigint serial serial4 serial8 bigserial smallserial numeric decimal real "
    "float float4 float8 money inet cidr macaddr macaddr8 citext tsvector tsquery xml oid regclass point line lseg box "
    "path polygon circle bit varbit int4range int8range numrange tsrange tstzrange daterange hstore ltree geometry "
    "geography vector name record trigger void anyelement".split()
)

_MAX_IDENT = 63  # NAMEDATALEN - 1
_SERIALS = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})


def _s(node: dict) -> str:
    return node.get("String", {}).get("sval", "")


def _names(items: list | None) -> list[str]:
    return [n["String"].get("sval", "") for n in items or () if "String" in n]


def _rv(node: dict | None) -> tuple[str, str]:
    """(schema, name) of a RangeVar (wrapped or not)."""
    if not node:
        return "", ""
    if "RangeVar" in node:
        node = node["RangeVar"]
    return node.get("schemaname", "") or "", node.get("relname", "") or ""


def _qual(items: list[str]) -> tuple[str, str]:
    """(schema, name) of a possibly qualified name list."""
    if not items:
        return "", ""
    return (items[-2] if len(items) > 1 else ""), items[-1]


def _auto(table: str, cols: list[str], suffix: str) -> str:
    """PostgreSQL's generated name ``<table>_<cols>_<suffix>``, or '' when it would be
    truncated (then the exact name is not worth guessing)."""
    name = "_".join([table, *cols, suffix]) if cols else f"{table}_{suffix}"
    return name if len(name.encode("utf-8")) <= _MAX_IDENT else ""


def _type_names(type_name: dict | None) -> list[str]:
    """The name list of a TypeName node (``["pg_catalog", "int4"]``, ``["mood"]``)."""
    return _names((type_name or {}).get("names"))


def _type_dep(dependant: tuple[str, str, str, str], names: list[str]) -> Op | None:
    """The dependency of ``dependant`` on a user-defined type (``names``: :func:`_type_names`),
    or ``None`` for a built-in type."""
    if not names or names[0] == "pg_catalog":
        return None
    schema, name = _qual(names)
    if name in _BUILTIN_TYPES:
        return None
    kind, sch, table, dname = dependant
    return ("dep", kind, sch, table, dname, ("type", name))


#: Constraint types that are properties of a column, not objects of their own.
_COLUMN_PROPERTIES = frozenset({"CONSTR_NOTNULL", "CONSTR_NULL", "CONSTR_DEFAULT", "CONSTR_GENERATED", "CONSTR_IDENTITY"})


def _column_constraints(col: dict) -> list[dict]:
    """The Constraint nodes of a ColumnDef that are more than a property of the column
    (NOT NULL, DEFAULT … give no op; most column constraints are those)."""
    return [c["Constraint"] for c in col.get("constraints") or () if "Constraint" in c and c["Constraint"].get("contype", "") not in _COLUMN_PROPERTIES]


def _constraint_ops(table: str, schema: str, con: dict, column: str | None, owner: tuple[str, str, str, str], add: bool,
                    inline: bool = False) -> Iterator[Op]:
    """Ops of a constraint: a named object (``add``); a FOREIGN KEY is a dependency on the
    referenced table, of the constraint itself (ALTER TABLE ADD CONSTRAINT) or of its table
    or column when written inline (``inline``: dropping those drops the constraint)."""
    ctype = con.get("contype", "")
    if ctype in _COLUMN_PROPERTIES or not (add or ctype == "CONSTR_FOREIGN"):
        return  # (most inline constraints: NOT NULL, DEFAULT) nothing to create, no dependency
    name = con.get("conname", "")
    used = None
    if not name:
        if ctype == "CONSTR_PRIMARY":
            name = _auto(table, [], "pkey")
        elif ctype == "CONSTR_UNIQUE":
            name = _auto(table, _names(con.get("keys")) or ([column] if column else []), "key")
        elif ctype == "CONSTR_FOREIGN":
            name = _auto(table, _names(con.get("fk_attrs")) or ([column] if column else []), "fkey")
        elif ctype == "CONSTR_CHECK":
            # AddRelationNewConstraints: <table>_<col>_check when the expression uses one
            # column, else <table>_check
            used = sorted(set(_columns_in(con.get("raw_expr"))))
            name = _auto(table, used if len(used) == 1 else [], "check")
        elif ctype == "CONSTR_EXCLUSION":
            name = ""
    dependant = owner
    if add:
        cols = set(_names(con.get("keys"))) | set(_names(con.get("fk_attrs")))
        if used is not None:
            cols.update(used)
        elif con.get("raw_expr") is not None:
            cols.update(_columns_in(con["raw_expr"]))
        if column:
            cols.add(column)
        yield ("create", "constraint", schema, table, name, tuple(sorted(cols)))
        if not inline:
            dependant = ("constraint", schema, table, name)
    if ctype == "CONSTR_FOREIGN":
        _ps, pk = _rv(con.get("pktable"))
        if pk:
            kind, sch, tab, dname = dependant
            yield ("dep", kind, sch, tab, dname, ("table", pk))


def _index_name(body: dict) -> str:
    name = body.get("idxname")
    if name:
        return name
    _schema, table = _rv(body.get("relation"))
    cols = []
    for p in body.get("indexParams") or ():
        elem = p.get("IndexElem", {})
        cols.append(elem.get("name") or "expr")
    if body.get("primary"):
        return _auto(table, [], "pkey")
    return _auto(table, cols, "key" if body.get("isconstraint") else "idx")


#: Where a query names the relations it reads from: FROM lists, joins, subqueries in FROM,
#: CTEs and set operations (not expressions: a view's dependencies are its FROM relations).
_FROM_KEYS = ("fromClause", "larg", "rarg", "withClause", "ctes", "ctequery", "subquery", "quals")


def _relations_read(node) -> Iterator[str]:
    """Names of the relations a query reads from (RangeVar nodes in its FROM clauses)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(n)
            continue
        if not isinstance(n, dict):
            continue
        if len(n) == 1:
            (tag, inner), = n.items()
            if tag == "RangeVar":
                if inner.get("relname"):
                    yield inner["relname"]
                continue
            if isinstance(inner, dict) and tag[0].isupper():
                n = inner
        for k in _FROM_KEYS:
            v = n.get(k)
            if v is not None:
                stack.append(v)


def has_effects(kind: str) -> bool:
    """Whether :func:`effects` can give ops for a statement of ``kind`` (``False`` for
    INSERT, GRANT, COMMENT …: no need to look at the statement)."""
    return kind in _HANDLERS


def effects(kind: str, body: dict) -> list[Op]:
    """The :data:`Op` list of one top-level statement (``[]`` for statements that change
    no named object, such as INSERT or GRANT). Temporary objects (``CREATE TEMP TABLE``,
    functions in ``pg_temp``) get the schema ``pg_temp``: they end with the session."""
    fn = _HANDLERS.get(kind)
    return list(fn(body)) if fn is not None else []


def is_temporary(kind: str, body: dict) -> bool:
    """True for statements that create session-lived objects only."""
    if kind == "CreateStmt":
        return (body.get("relation") or {}).get("relpersistence") == "t"
    if kind == "CreateTableAsStmt":
        into = body.get("into") or {}
        into = into.get("IntoClause", into)
        return (into.get("rel") or {}).get("relpersistence") == "t"
    if kind == "CreateFunctionStmt":
        return _qual(_names(body.get("funcname")))[0] == "pg_temp"
    return False


def _create_table(body: dict) -> Iterator[Op]:
    schema, name = _rv(body.get("relation"))
    if (body.get("relation") or {}).get("relpersistence") == "t":
        schema = "pg_temp"
    yield ("create", "table", schema, "", name, "")
    owner = ("table", schema, "", name)
    for inh in body.get("inhRelations") or ():
        _ps, parent = _rv(inh)
        if parent and body.get("partbound"):
            yield ("dep", "table", schema, "", name, ("table", parent))
    for elt in body.get("tableElts") or ():
        if "ColumnDef" in elt:
            col = elt["ColumnDef"]
            cname = col.get("colname", "")
            tnames = _type_names(col.get("typeName"))
            if tnames:
                if tnames[0] != "pg_catalog":  # (a built-in type the parser qualified: no dependency)
                    dep = _type_dep(owner, tnames)
                    if dep is not None:
                        yield dep
                if tnames[-1] in _SERIALS:  # serial: a sequence owned by the column
                    seq = _auto(name, [cname], "seq")
                    if seq:
                        yield ("create", "sequence", schema, "", seq, "")
                        yield ("dep", "sequence", schema, "", seq, ("owner", name))
            if col.get("constraints"):  # most columns: none, or only NOT NULL / DEFAULT
                for con in _column_constraints(col):
                    yield from _constraint_ops(name, schema, con, cname, owner, add=True, inline=True)
        elif "Constraint" in elt:
            yield from _constraint_ops(name, schema, elt["Constraint"], None, owner, add=True, inline=True)


def _create_table_as(body: dict) -> Iterator[Op]:
    into = body.get("into") or {}
    into = into.get("IntoClause", into)
    schema, name = _rv(into.get("rel"))
    if (into.get("rel") or {}).get("relpersistence") == "t":
        schema = "pg_temp"
    kind = "matview" if body.get("objtype") == "OBJECT_MATVIEW" else "table"
    yield ("create", kind, schema, "", name, "")
    if kind == "matview":
        for rel in dict.fromkeys(_relations_read(body.get("query"))):  # first-seen order, not hash order
            yield ("dep", kind, schema, "", name, ("relation", rel))


def _view(body: dict) -> Iterator[Op]:
    schema, name = _rv(body.get("view"))
    yield ("replace" if body.get("replace") else "create", "view", schema, "", name, "")
    for rel in dict.fromkeys(_relations_read(body.get("query"))):  # first-seen order, not hash order
        if rel != name:
            yield ("dep", "view", schema, "", name, ("relation", rel))


def _columns_in(node) -> Iterator[str]:
    """Column names referenced anywhere in an expression (ColumnRef nodes)."""
    for ref in nodes(node, "ColumnRef"):
        fields = _names(ref.get("fields"))
        if fields:
            yield fields[-1]


#: :func:`_columns_in` for the rules (drop-constraint names the CHECK it compares).
columns_in = _columns_in


def _index(body: dict) -> Iterator[Op]:
    schema, table = _rv(body.get("relation"))
    cols = set()
    for p in body.get("indexParams") or ():
        elem = p.get("IndexElem", {})
        if elem.get("name"):
            cols.add(elem["name"])
        else:
            cols.update(_columns_in(elem.get("expr")))
    if body.get("whereClause") is not None:
        cols.update(_columns_in(body["whereClause"]))
    yield ("create", "index", schema, table, _index_name(body), tuple(sorted(cols)))


def _alter_table(body: dict) -> Iterator[Op]:
    objtype = body.get("objtype", "OBJECT_TABLE")
    if objtype not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"):
        return
    schema, table = _rv(body.get("relation"))
    for c in body.get("cmds") or ():
        cmd = c.get("AlterTableCmd", {})
        sub = cmd.get("subtype", "")
        if sub == "AT_AddColumn":
            col = cmd.get("def", {}).get("ColumnDef", {})
            cname = col.get("colname", "")
            yield ("create", "column", schema, table, cname, "")
            owner = ("column", schema, table, cname)
            dep = _type_dep(owner, _type_names(col.get("typeName")))
            if dep is not None:
                yield dep
            for con in _column_constraints(col):
                yield from _constraint_ops(table, schema, con, cname, owner, add=False)
        elif sub == "AT_DropColumn":
            yield ("drop", "column", schema, table, cmd.get("name", ""), _flags(cmd))
        elif sub == "AT_AddConstraint":
            con = cmd.get("def", {}).get("Constraint", {})
            yield from _constraint_ops(table, schema, con, None, ("table", schema, "", table), add=True)
        elif sub == "AT_DropConstraint":
            yield ("drop", "constraint", schema, table, cmd.get("name", ""), _flags(cmd))
        elif sub == "AT_AlterColumnType":
            col = cmd.get("def", {}).get("ColumnDef", {})
            yield ("retype", "column", schema, table, cmd.get("name", ""), type_text(col.get("typeName")))


#: Type names as ``format_type`` spells them, for the spellings the parser keeps as written.
_TYPE_ALIASES = {"integer": "int4", "int": "int4", "smallint": "int2", "bigint": "int8", "decimal": "numeric",
                 "real": "float4", "float": "float8", "double precision": "float8", "character varying": "varchar",
                 "character": "bpchar", "char": "bpchar", "boolean": "bool"}


def type_text(type_name: dict | None) -> str:
    """A TypeName node as short text: ``varchar(255)``, ``numeric(10,2)``, ``int4``,
    ``text[]`` (the last name part, PostgreSQL's internal names; ``""`` when absent).
    Type modifiers that are not integer constants are left out."""
    names = _type_names(type_name)
    if not names:
        return ""
    name = _TYPE_ALIASES.get(names[-1], names[-1])
    mods = []
    for m in (type_name or {}).get("typmods") or ():
        ival = m.get("A_Const", {}).get("ival")
        if ival is not None:
            mods.append(str(ival.get("ival", 0)))
    text = name + (f"({','.join(mods)})" if mods else "")
    return text + "[]" * len((type_name or {}).get("arrayBounds") or ())


def _truncate(body: dict) -> Iterator[Op]:
    flags = "c" if body.get("behavior") == "DROP_CASCADE" else ""
    for rel in body.get("relations") or ():
        schema, name = _rv(rel)
        yield ("truncate", "table", schema, "", name, flags)


def _flags(node: dict) -> str:
    return ("c" if node.get("behavior") == "DROP_CASCADE" else "") + ("e" if node.get("missing_ok") else "")


def _drop(body: dict) -> Iterator[Op]:
    kind = _DROP.get(body.get("removeType", ""))
    if kind is None:
        return
    flags = _flags(body)
    for obj in body.get("objects") or ():
        if kind in ("trigger", "policy"):
            items = _names(obj.get("List", {}).get("items"))
            if len(items) >= 2:
                yield ("drop", kind, "", items[-2], items[-1], flags)
            continue
        if "List" in obj:
            schema, name = _qual(_names(obj["List"].get("items")))
        elif "ObjectWithArgs" in obj:
            schema, name = _qual(_names(obj["ObjectWithArgs"].get("objname")))
        elif "TypeName" in obj:
            schema, name = _qual(_names(obj["TypeName"].get("names")))
        elif "String" in obj:
            schema, name = "", _s(obj)
        else:
            continue
        yield ("drop", kind, schema, "", name, flags)


def _rename(body: dict) -> Iterator[Op]:
    rtype = body.get("renameType", "")
    new = body.get("newname", "")
    if rtype in _RENAME_REL:
        schema, name = _rv(body.get("relation"))
        yield ("rename", _RENAME_REL[rtype], schema, "", name, new)
    elif rtype == "OBJECT_COLUMN" and body.get("relationType", "OBJECT_TABLE") in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"):
        schema, table = _rv(body.get("relation"))
        yield ("rename", "column", schema, table, body.get("subname", ""), new)
    elif rtype == "OBJECT_TABCONSTRAINT":
        schema, table = _rv(body.get("relation"))
        yield ("rename", "constraint", schema, table, body.get("subname", ""), new)
    elif rtype in ("OBJECT_TRIGGER", "OBJECT_POLICY"):
        schema, table = _rv(body.get("relation"))
        yield ("rename", "trigger" if rtype == "OBJECT_TRIGGER" else "policy", schema, table, body.get("subname", ""), new)
    elif rtype in ("OBJECT_TYPE", "OBJECT_DOMAIN", "OBJECT_FUNCTION", "OBJECT_PROCEDURE"):
        obj = body.get("object") or {}
        if "List" in obj:
            schema, name = _qual(_names(obj["List"].get("items")))
        elif "ObjectWithArgs" in obj:
            schema, name = _qual(_names(obj["ObjectWithArgs"].get("objname")))
        elif "TypeName" in obj:
            schema, name = _qual(_names(obj["TypeName"].get("names")))
        else:
            return
        kind = "function" if rtype in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE") else "type"
        yield ("rename", kind, schema, "", name, new)
    elif rtype == "OBJECT_SCHEMA":
        yield ("rename", "schema", "", "", body.get("subname", ""), new)


def _function(body: dict) -> Iterator[Op]:
    schema, name = _qual(_names(body.get("funcname")))
    yield ("replace" if body.get("replace") else "create", "function", schema, "", name, "")


def _trigger(body: dict) -> Iterator[Op]:
    schema, table = _rv(body.get("relation"))
    name = body.get("trigname", "")
    yield ("replace" if body.get("replace") else "create", "trigger", schema, table, name, "")
    _fs, fn = _qual(_names(body.get("funcname")))
    if fn:
        yield ("dep", "trigger", schema, table, name, ("function", fn))


def _enum(body: dict) -> Iterator[Op]:
    schema, name = _qual(_names(body.get("typeName")))
    yield ("create", "type", schema, "", name, "")


def _composite(body: dict) -> Iterator[Op]:
    schema, name = _rv(body.get("typevar"))
    yield ("create", "type", schema, "", name, "")


def _domain(body: dict) -> Iterator[Op]:
    schema, name = _qual(_names(body.get("domainname")))
    yield ("create", "type", schema, "", name, "")
    dep = _type_dep(("type", schema, "", name), _type_names(body.get("typeName")))
    if dep is not None:
        yield dep


def _define(body: dict) -> Iterator[Op]:
    if body.get("kind") == "OBJECT_TYPE":
        schema, name = _qual(_names(body.get("defnames")))
        yield ("create", "type", schema, "", name, "")


def _owned_by(body: dict, schema: str, name: str) -> Iterator[Op]:
    """``OWNED BY table.column``: the sequence is dropped with the table."""
    for opt in body.get("options") or ():
        de = opt.get("DefElem", {})
        if de.get("defname") == "owned_by":
            items = _names(de.get("arg", {}).get("List", {}).get("items"))
            if len(items) >= 2:
                yield ("dep", "sequence", schema, "", name, ("owner", items[-2]))


def _sequence(body: dict) -> Iterator[Op]:
    schema, name = _rv(body.get("sequence"))
    yield ("create", "sequence", schema, "", name, "")
    yield from _owned_by(body, schema, name)


def _alter_sequence(body: dict) -> Iterator[Op]:
    schema, name = _rv(body.get("sequence"))
    yield from _owned_by(body, schema, name)


def _schema(body: dict) -> Iterator[Op]:
    yield ("create", "schema", "", "", body.get("schemaname", ""), "")


def _extension(body: dict) -> Iterator[Op]:
    # IF NOT EXISTS: the extension may well exist already (and serve others): not the
    # migration's to drop
    if not body.get("if_not_exists"):
        yield ("create", "extension", "", "", body.get("extname", ""), "")


def _policy(body: dict) -> Iterator[Op]:
    _schema_, table = _rv(body.get("table"))
    yield ("create", "policy", _schema_, table, body.get("policy_name", ""), "")


_HANDLERS = {
    "CreateStmt": _create_table,
    "CreateTableAsStmt": _create_table_as,
    "ViewStmt": _view,
    "IndexStmt": _index,
    "AlterTableStmt": _alter_table,
    "DropStmt": _drop,
    "RenameStmt": _rename,
    "CreateFunctionStmt": _function,
    "CreateTrigStmt": _trigger,
    "CreateEnumStmt": _enum,
    "CreateRangeStmt": _enum,
    "CompositeTypeStmt": _composite,
    "CreateDomainStmt": _domain,
    "DefineStmt": _define,
    "CreateSeqStmt": _sequence,
    "AlterSeqStmt": _alter_sequence,
    "CreateSchemaStmt": _schema,
    "CreateExtensionStmt": _extension,
    "CreatePolicyStmt": _policy,
    "TruncateStmt": _truncate,
}
