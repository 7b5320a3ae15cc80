"""Names in pglast's JSON parse tree: relations, dotted object names, type names.

Unquoted identifiers arrive lower-cased from the parser (PostgreSQL folds them, docs
"4.1.1. Identifiers and Key Words"); quoted ones keep their case. Comparisons here are on
those folded names, so ``Users`` and ``users`` match and ``"Users"`` does not.
"""

from __future__ import annotations


def relation(rv: dict | None) -> str:
    """``"schema.table"`` (or ``"table"``) of a RangeVar dict; ``"?"`` for ``None``."""
    if not rv:
        return "?"
    if "RangeVar" in rv:
        rv = rv["RangeVar"]
    catalog, schema, name = rv.get("catalogname"), rv.get("schemaname"), rv.get("relname")
    if not (catalog or schema):  # the usual case: a bare table name
        return name or ""
    return ".".join([p for p in (catalog, schema, name) if p])


def relation_key(relation: str) -> str:
    """:func:`table_key` of a relation name as :func:`relation` writes it (a
    :class:`~linter.pg.locks.LockEffect`'s ``relation``): ``public.users`` and ``users``
    are one table."""
    return relation.rsplit(".", 1)[-1]


def table_key(rv: dict | None) -> str:
    """The name used to compare relations: the relation name alone, since migrations
    mostly rely on ``search_path``; ``schema.t`` and ``t`` are taken to be the same table."""
    if not rv:
        return ""
    if "RangeVar" in rv:
        rv = rv["RangeVar"]
    return rv.get("relname", "")


def strings(node: dict | list | None) -> list[str]:
    """The ``sval`` of each ``String`` in a ``List`` (or list of nodes)."""
    if node is None:
        return []
    items = node.get("List", {}).get("items", []) if isinstance(node, dict) else node
    out = []
    for i in items:
        s = i.get("String")
        if s is not None:
            out.append(s.get("sval", ""))
        elif "A_Star" in i:
            out.append("*")
    return out


def dotted(node: dict | list | None, *, drop_last: bool = False) -> str:
    """A dotted name from a ``List`` of ``String`` nodes (``DROP TABLE s.t``)."""
    parts = strings(node)
    if drop_last:
        parts = parts[:-1]
    return ".".join(parts)


def type_name(tn: dict | None) -> str:
    """A readable type name from a TypeName dict: ``"varchar(20)"``, ``"int4"``, ``"text[]"``.

    The ``pg_catalog.`` prefix the parser adds to built-in types is dropped.
    """
    if not tn:
        return ""
    parts = [p for p in strings(tn.get("names")) if p != "pg_catalog"]
    name = ".".join(parts)
    mods = []
    for m in tn.get("typmods", ()) or ():
        const = m.get("A_Const", {})
        if "ival" in const:
            mods.append(str(const["ival"].get("ival", 0)))
        elif "sval" in const:
            mods.append(const["sval"].get("sval", ""))
    if mods:
        name += "(" + ",".join(mods) + ")"
    if tn.get("arrayBounds"):
        name += "[]"
    return name


def base_type(tn: dict | None) -> str:
    """The type's last name part without modifiers: ``"varchar"``, ``"int4"``."""
    if not tn:
        return ""
    items = tn.get("names")
    if isinstance(items, dict):
        items = items.get("List", {}).get("items", [])
    for i in reversed(items or ()):  # the last name of strings(names), without the list
        s = i.get("String")
        if s is not None:
            return s.get("sval", "")
        if "A_Star" in i:
            return "*"
    return ""


def typmods(tn: dict | None) -> list[int]:
    """Integer type modifiers: ``[20]`` for ``varchar(20)``, ``[10, 2]`` for ``numeric(10,2)``."""
    out = []
    for m in (tn or {}).get("typmods", ()) or ():
        const = m.get("A_Const", {})
        if "ival" in const:
            out.append(int(const["ival"].get("ival", 0)))
    return out


def quote_ident(name: str) -> str:
    """``name`` as SQL text: bare when PostgreSQL would read it back unchanged (lower case,
    letters, digits, ``_`` and ``$``, not starting with a digit, not a reserved or
    column-name/type-function key word), else double-quoted with inner quotes doubled
    (docs "4.1.1. Identifiers and Key Words"; key word lists from pglast.keywords)."""
    from pglast import keywords

    if (
        name
        and (name[0].isalpha() or name[0] == "_")
        and name == name.lower()
        and all(c.isalnum() or c in "_$" for c in name)
        and name.isascii()
        and name not in keywords.RESERVED_KEYWORDS
        and name not in keywords.COL_NAME_KEYWORDS
        and name not in keywords.TYPE_FUNC_NAME_KEYWORDS
    ):
        return name
    return '"' + name.replace('"', '""') + '"'


def quoted_list(items, limit: int = 8) -> str:
    """Names for a message: ``"a"``, ``"a" and "b"``, ``"a", "b" and "c"``; past ``limit``
    names, the first ``limit`` then ``and N more`` (``"a", "b", … and 22 more``)."""
    q = [f'"{i}"' for i in items]
    if len(q) > limit:
        return ", ".join(q[:limit]) + f" and {len(q) - limit} more"
    if len(q) <= 2:
        return " and ".join(q)
    return ", ".join(q[:-1]) + " and " + q[-1]
