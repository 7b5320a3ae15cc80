"""What PL/pgSQL control flow surrounds a statement nested in a ``DO`` block or function body.

:meth:`linter.source.Source.embedded` gives the plain SQL statements of a PL/pgSQL body
(``stmt.parent`` set), but not the structure around them. This module walks the same
PL/pgSQL parse tree (libpg_query's ``parse_plpgsql_json``, the same wrapper and the same
depth-first order as :func:`linter.source._execsql_queries`) and says, for each of them,
whether it runs only conditionally or has its failure caught:

* inside ``IF`` / ``ELSIF`` / ``ELSE`` or ``CASE`` branches (``IF NOT EXISTS (SELECT 1 FROM
  pg_type …) THEN CREATE TYPE …``);
* inside a loop (``FOR r IN SELECT … FROM pg_tables … LOOP``, ``WHILE``);
* inside an ``EXCEPTION`` handler's action;
* inside a ``BEGIN … EXCEPTION WHEN <condition> … END`` block whose handler catches the
  error a re-run raises (``duplicate_object``, ``duplicate_table``, ``undefined_object``,
  …, ``others``, or their SQLSTATE codes). A handler for an unrelated condition
  (``division_by_zero``) does not count.

Sources: PostgreSQL docs "43.6.4. Conditionals", "43.6.5. Simple Loops", "43.6.8. Trapping
Errors" (https://www.postgresql.org/docs/current/plpgsql-control-structures.html) and
"Appendix A. PostgreSQL Error Codes" (https://www.postgresql.org/docs/current/errcodes-appendix.html).
"""

from __future__ import annotations

from typing import Iterator

from linter.pg.parser import loads, pg

from linter.source import plpgsql_code

#: Error conditions a re-run of DDL raises (names and SQLSTATE codes, Appendix A):
#: duplicate_* when something exists already, undefined_* when a DROP finds nothing,
#: unique_violation when two sessions create the same role or type at once.
CAUGHT_CONDITIONS = frozenset({
    "others",
    "duplicate_object", "duplicate_table", "duplicate_schema", "duplicate_function", "duplicate_column",
    "duplicate_database", "duplicate_alias",
    "undefined_object", "undefined_table", "undefined_column", "undefined_function", "invalid_schema_name",
    "unique_violation", "invalid_table_definition",
    "42710", "42p07", "42p06", "42723", "42701", "42p04", "42712",
    "42704", "42p01", "42703", "42883", "3f000", "23505", "42p16",
})

#: PL/pgSQL statement nodes whose bodies run only under a condition, and the label used.
_CONDITIONAL = {
    "PLpgSQL_stmt_if": "IF",
    "PLpgSQL_stmt_case": "CASE",
    "PLpgSQL_stmt_loop": "LOOP",
    "PLpgSQL_stmt_while": "WHILE loop",
    "PLpgSQL_stmt_fori": "FOR loop",
    "PLpgSQL_stmt_fors": "FOR … IN query loop",
    "PLpgSQL_stmt_forc": "FOR … IN cursor loop",
    "PLpgSQL_stmt_foreach_a": "FOREACH loop",
    "PLpgSQL_stmt_dynfors": "FOR … IN EXECUTE loop",
}


def _catches(exceptions: dict) -> bool:
    for exc in exceptions.get("PLpgSQL_exception_block", {}).get("exc_list", ()) or ():
        for cond in exc.get("PLpgSQL_exception", {}).get("conditions", ()) or ():
            name = str(cond.get("PLpgSQL_condition", {}).get("condname", "")).lower()
            if name in CAUGHT_CONDITIONS:
                return True
    return False


def _walk(node, guard: str | None) -> Iterator[tuple[int, str | None]]:
    """``(lineno, guard)`` of every ``PLpgSQL_stmt_execsql``, depth-first in key order."""
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, guard)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "PLpgSQL_stmt_execsql":
            if isinstance(value, dict) and value.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query"):
                yield value.get("lineno", 0), guard
            continue
        inner = guard
        if key in _CONDITIONAL:
            inner = guard or _CONDITIONAL[key]
        elif key == "PLpgSQL_stmt_block" and isinstance(value, dict):
            exc = value.get("exceptions")
            caught = guard or ("EXCEPTION handler" if exc and _catches(exc) else None)
            yield from _walk(value.get("body"), caught)
            if exc:
                yield from _walk(exc, guard or "EXCEPTION handler")
            continue
        yield from _walk(value, inner)


def execsql_guards(stmt) -> list[tuple[int, str | None]]:
    """``[(lineno, guard)]`` for each plain SQL statement of ``stmt``'s PL/pgSQL body, in
    the order :meth:`linter.source.Source.embedded` returns them. ``lineno`` is 1-based
    within the body text; ``guard`` names the control structure around the statement
    (``"IF"``, ``"EXCEPTION handler"``, ``"FOR … IN query loop"`` …) or is ``None``."""
    code = plpgsql_code(stmt)
    if code is None or "$miglint_body$" in code:
        return []
    wrapper = f"CREATE FUNCTION miglint_do() RETURNS void LANGUAGE plpgsql AS $miglint_body${code}$miglint_body$"
    try:
        tree = loads(pg.parse_plpgsql_json(wrapper))
    except Exception:
        if stmt.kind != "CreateFunctionStmt":
            return []
        try:  # a function that returns a value: its own statement (as Source.embedded does)
            tree = loads(pg.parse_plpgsql_json(stmt.text))
        except Exception:
            return []
    return list(_walk(tree, None))


def nested_guards(source, parent) -> dict[int, str | None]:
    """``{id(nested statement): guard}`` for the statements ``source.embedded(parent)``
    returns. Matched by order when each PL/pgSQL statement gave one SQL statement (the
    usual case), else by line (exact spans only)."""
    nested = source.embedded(parent)
    if not nested:
        return {}
    guards = execsql_guards(parent)
    if len(guards) == len(nested):
        return {id(s): g for s, (_, g) in zip(nested, guards)}
    # by line: the body's first line in the file, plus lineno - 1
    code = plpgsql_code(parent) or ""
    at = source.text.find(code, parent.start) if code else -1
    out: dict[int, str | None] = {}
    if at < 0:
        return {id(s): None for s in nested}
    first = source.index.position(at).line
    by_line: dict[int, list[str | None]] = {}
    for lineno, g in guards:
        by_line.setdefault(first + lineno - 1, []).append(g)
    for s in nested:
        slot = by_line.get(s.span.start.line)
        out[id(s)] = slot.pop(0) if slot else None
    return out
