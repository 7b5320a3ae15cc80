"""What a migration file created before a given statement.

A table created earlier in the same migration is empty (or only holds rows the migration
itself wrote): locking rules do not fire on it, as squawk's
``tables_created_in_transaction`` and eugene's "new table" rules do.
"""

from __future__ import annotations

from linter.pg import names


def created_tables(statements: list) -> dict[str, int]:
    """``{table key: index of the statement that created it}`` over top-level
    ``statements`` (CREATE TABLE, CREATE TABLE AS / SELECT INTO, CREATE MATERIALIZED VIEW)."""
    out: dict[str, int] = {}
    for i, st in enumerate(statements):
        rv = None
        if st.kind == "CreateStmt":
            rv = st.body.get("relation")
        elif st.kind == "CreateTableAsStmt":
            rv = st.body.get("into", {}).get("IntoClause", st.body.get("into", {})).get("rel")
        if rv is not None:
            out.setdefault(names.table_key(rv), i)
    return out
