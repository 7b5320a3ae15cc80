"""Per-file PostgreSQL analysis that rules share: ``ctx.pg`` in a check.

Built lazily, once per file, on the first rule that asks. Shapes:

* ``ctx.pg.transaction``: :class:`~linter.pg.transactions.ToolTransaction` (how the tool
  runs the file);
* ``ctx.pg.in_transaction(stmt)``: bool, for top-level and nested statements;
* ``ctx.pg.transaction_problems``: nested/unclosed BEGIN and COMMIT misuse;
* ``ctx.pg.is_new_table(rangevar, stmt)``: the table was created earlier in this file;
* ``ctx.pg.locks(stmt)``: :func:`linter.pg.locks.effects` for the run's ``pg_version``;
* ``ctx.pg.settings_before(stmt)``: ``{setting name: statement}`` of ``SET``/``SET LOCAL``
  statements before ``stmt`` (``lock_timeout``, ``statement_timeout`` …).
"""

from __future__ import annotations

from functools import cached_property

from linter.pg import locks, names, objects, transactions


class FileAnalysis:
    """Shared facts about one parsed file (see the module doc)."""

    def __init__(self, ctx) -> None:
        self._ctx = ctx
        self._source = ctx.source
        self.pg_version = ctx.pg_version

    @cached_property
    def _top(self) -> list:
        return list(self._source.statements) if self._source is not None else []

    @cached_property
    def transaction(self) -> transactions.ToolTransaction:
        overrides = getattr(self._ctx.config, "transactions", {}) or {}
        return transactions.tool_transaction(self._ctx.file, self._source, overrides)

    @cached_property
    def _tx(self):
        return transactions.statement_flags(self._top, self.transaction)

    @property
    def transaction_problems(self) -> list[transactions.TransactionProblem]:
        return self._tx[1]

    def in_transaction(self, stmt) -> bool:
        """True when ``stmt`` runs inside a transaction block (the tool's or explicit)."""
        if stmt.parent is not None:
            return True  # a DO block or function body runs inside its statement's transaction
        return self._tx[0].get(id(stmt), self.transaction.wrapped)

    @cached_property
    def _created(self) -> dict[str, int]:
        return objects.created_tables(self._top)

    def is_new_table(self, rv: dict | str | None, stmt) -> bool:
        """True when the table ``rv`` (RangeVar dict or name) was created earlier in this file."""
        key = rv if isinstance(rv, str) else names.table_key(rv)
        at = self._created.get(key)
        return at is not None and at < stmt.index

    def locks(self, stmt) -> list[locks.LockEffect]:
        """The table-level locks ``stmt`` takes (see :mod:`linter.pg.locks`)."""
        return locks.effects(stmt, self.pg_version)

    def settings_before(self, stmt) -> dict[str, object]:
        """``{name: SET statement}`` for settings set before ``stmt`` at top level."""
        out: dict[str, object] = {}
        for st in self._top:
            if st.index >= stmt.index:
                break
            if st.kind == "VariableSetStmt" and st.body.get("name"):
                out[st.body["name"].lower()] = st
        return out
