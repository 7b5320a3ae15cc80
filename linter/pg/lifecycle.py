"""What a migration file does to a relation's *name* around a given statement: renamed to
it earlier, re-created under it later. The breaking-change rules use these to tell a
table swap (``RENAME users TO users_old; RENAME users_new TO users``) or a compatibility
view from a rename that running code would trip over.

A name is compared with :func:`linter.pg.names.table_key` (the relation name without
schema, as for tables created earlier in the file).
"""

from __future__ import annotations

from linter.pg import names

_RELATION_RENAMES = ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE")


def _created_key(st) -> str | None:
    """The relation name a statement creates (table, view, materialized view), if any."""
    if st.kind == "CreateStmt":
        return names.table_key(st.body.get("relation"))
    if st.kind == "ViewStmt":
        return names.table_key(st.body.get("view"))
    if st.kind == "CreateTableAsStmt":
        into = st.body.get("into", {})
        return names.table_key(into.get("IntoClause", into).get("rel"))
    if st.kind == "RenameStmt" and st.body.get("renameType") in _RELATION_RENAMES:
        return st.body.get("newname")
    return None


def renamed_to_before(statements: list, stmt, key: str) -> bool:
    """True when a RENAME earlier in the file gave a relation the name ``key`` (the old
    copy of a table swapped aside: ``RENAME users TO users_old``)."""
    for st in statements:
        if st.index >= stmt.index:
            return False
        if st.kind == "RenameStmt" and st.body.get("renameType") in _RELATION_RENAMES and st.body.get("newname") == key:
            return True
    return False


def recreated_after(statements: list, stmt, key: str) -> bool:
    """True when a later statement of the file creates a table or view named ``key``, or
    renames another relation to it (a swap, or a compatibility view under the old name)."""
    return any(st.index > stmt.index and _created_key(st) == key for st in statements)


def database_created_before(statements: list, stmt, name: str) -> bool:
    """True when ``CREATE DATABASE name`` comes earlier in the file."""
    return any(st.index < stmt.index and st.kind == "CreatedbStmt" and st.body.get("dbname") == name for st in statements)
