"""SQL run through PL/pgSQL's ``EXECUTE``: the statements a DO block or a function body
builds as strings, and the functions a migration defines and then calls.

PL/pgSQL's ``EXECUTE expr`` runs the string ``expr`` evaluates to as a new command
(PostgreSQL docs "43.5.4. Executing Dynamic Commands",
https://www.postgresql.org/docs/current/plpgsql-statements.html#PLPGSQL-STATEMENTS-EXECUTING-DYN).
:meth:`linter.source.Source.embedded` does not see those commands; this module evaluates
the string where its shape is known and parses it:

* ``EXECUTE 'ALTER TABLE t …'``: a literal (``E''`` and dollar-quoted ones too, the SQL
  parser resolves their escapes);
* ``EXECUTE format('CREATE INDEX %I ON %I (uid)', a, b)``: format's ``%I`` and ``%s``
  become a *run-time name* (a sentinel identifier ``miglint_rt<n>``), ``%L`` a sentinel
  literal, ``%%`` a ``%`` (docs "9.4.1. format",
  https://www.postgresql.org/docs/current/functions-string.html#FUNCTIONS-STRING-FORMAT);
* ``EXECUTE 'ALTER TABLE ' || quote_ident(t) || ' ADD …'``: the literal pieces with a
  run-time name (``quote_literal``/``quote_nullable``: a run-time value) between them;
* ``v := <one of those>; … EXECUTE v;``: the variable's latest assignment before the
  ``EXECUTE`` in the body, or its ``DECLARE`` default (not one that uses the variable
  itself, as a loop that appends does).

The result is a :class:`~linter.source.Statement` per command (``stmt.dynamic`` set to a
:class:`Dynamic`, ``stmt.parent`` the DO block or function), whose span is the template's
string literal (else the ``EXECUTE`` line) and whose ``text`` is the evaluated SQL. Rules
judge them as they judge other nested statements; the engine then calls :func:`finish` on
their findings: no fix (it would edit a string template), the span of the literal, and
run-time names said as such ("a table named at run time (format %I)").

A command whose text is not knowable (``EXECUTE`` of a variable built in a loop, of a
record field, of a string that does not parse) is an :class:`Unknown`; it is kept only when
the strings around it plausibly hold DDL (:data:`DDL_WORDS`), for the
``dynamic-sql-not-analysed`` note.

Only DO blocks and functions the file calls (:func:`called_functions`) are analysed: a
function that is only defined runs later, when something calls it.
"""

from __future__ import annotations

import re
from typing import Iterator
from linter.model import NO_ARG, Record, replace, set_field

from linter.pg.parser import loads, pg

from linter.pg import plpgsql
from linter.pg.tree import nodes
from linter.source import Statement, plpgsql_code

#: Prefix of the sentinel identifiers that stand for run-time names (``miglint_rt1``).
SENTINEL = "miglint_rt"
_SENTINEL_RX = re.compile(SENTINEL + r"(\d+)")
_QUOTED_SENTINEL = re.compile(r'"([^"]*' + SENTINEL + r'\d+[^"]*)"')

#: Words that make a string plausibly DDL (a statement that locks or changes a table or
#: another object), for :class:`Unknown` commands.
DDL_WORDS = re.compile(r"\b(?:CREATE|ALTER|DROP|TRUNCATE|REINDEX|CLUSTER|VACUUM|LOCK|RENAME|REFRESH)\b", re.I)
_EXECUTE = re.compile(r"\bEXECUTE\b", re.I)
#: Commands that lock no table of the application's (a view or function defined anew, as
#: MarquezProject__marquez V52 re-creates a view from its saved definition): not worth the
#: note when their text does not parse.
_NO_TABLE_LOCK = re.compile(r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:RECURSIVE\s+)?(?:VIEW|FUNCTION|PROCEDURE)\b", re.I)
#: format() placeholders: %[position$][flags][width]type (docs "9.4.1. format").
_FORMAT_SPEC = re.compile(r"%(?:(\d+)\$)?-?(?:\d+|\*(?:\d+\$)?)?([sIL%])")
_DDL_LITERAL = re.compile(r"'[^']*" + DDL_WORDS.pattern, re.I)
_MAX_DEPTH = 4


class Dynamic(Record, frozen=False):
    """What a statement built by ``EXECUTE`` came from.

    ``sql``: the evaluated command text (sentinels for run-time parts); ``line``: 1-based
    file line of the ``EXECUTE``; ``guard``: the PL/pgSQL construct around it (``"IF"``,
    ``"FOR … IN query loop"`` …, see :mod:`linter.pg.plpgsql`) or ``None``; ``names``:
    ``{sentinel: how it is written}`` (``{"miglint_rt1": "%I"}``, ``"<tbl>"`` for a
    concatenated variable); ``roles``: ``{sentinel: "table" | "column"}`` for those that
    name a table or a column (:func:`_roles`). Both are the file's, shared by all its dynamic
    statements (sentinels are numbered per file), so that a finding on one statement that
    names another's table (a lock held since an earlier EXECUTE) says it right.
    """

    sql: str
    line: int
    guard: str | None
    names: dict[str, str]
    roles: dict[str, str]

    def __init__(self, sql: str, line: int, guard: str | None, names: dict[str, str] = NO_ARG,
                 roles: dict[str, str] = NO_ARG) -> None:
        self.sql = sql
        self.line = line
        self.guard = guard
        self.names = {} if names is NO_ARG else names
        self.roles = {} if roles is NO_ARG else roles


class Unknown(Record):
    """An ``EXECUTE`` whose command is not knowable but plausibly DDL: ``start`` is its
    original-text character offset (the line's first non-blank character), ``line`` its
    1-based line, ``why`` a phrase ("a variable built in a loop")."""

    start: int
    line: int
    why: str

    def __init__(self, start: int, line: int, why: str) -> None:
        set_field(self, "start", start)
        set_field(self, "line", line)
        set_field(self, "why", why)


# --------------------------------------------------------------------------- functions the file calls


def _defined(source) -> dict[str, list]:
    out: dict[str, list] = {}
    for st in source.statements:
        if st.kind == "CreateFunctionStmt" and plpgsql_code(st) is not None:
            parts = [n.get("String", {}).get("sval", "") for n in st.body.get("funcname", ())]
            if parts:
                out.setdefault(parts[-1].lower(), []).append(st)
    return out


def _func_calls(node) -> Iterator[str]:
    for fc in nodes(node, "FuncCall", into=True):
        parts = fc.get("funcname") or ()
        if parts:
            yield parts[-1].get("String", {}).get("sval", "").lower()


#: Statement kinds whose function calls run a function the file defines (besides DO blocks).
_CALLERS = frozenset({"SelectStmt", "CallStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "ExplainStmt", "CreateTableAsStmt"})


def called_functions(source) -> set[int]:
    """``{id(CREATE FUNCTION/PROCEDURE statement)}`` of the PL/pgSQL functions this file
    defines and then runs: called by a later top-level statement (``SELECT f();``,
    ``CALL p();``, ``INSERT … SELECT f()``), from a DO block (``PERFORM f();``), or from the
    body of a function that itself runs, in the same up/down section. Triggers
    (``EXECUTE FUNCTION f()``) do not count: they run on later writes. Cached on the source."""
    got = getattr(source, "_called", None)
    if got is not None:
        return got
    out: set[int] = set()
    source._called = out
    source._call_sites = {}
    defs = _defined(source)
    if not defs:
        return out
    rx = None  # compiled on first need: most files never call what they define
    # a call of an ASCII name in ASCII text contains the name in lower case (re.I matches
    # ASCII letters with non-ASCII ones only: "ı", "ſ", the Kelvin sign), a cheap test first
    ascii_names = all(n.isascii() for n in defs)

    def latest(name: str, before) -> object | None:
        best = None
        for d in defs.get(name, ()):
            if d.index < before.index and d.section is before.section:
                best = d
        return best

    sites: dict[int, list] = {}
    for st in source.statements:
        if st.kind != "DoStmt" and st.kind not in _CALLERS:
            continue
        text = st.text
        if ascii_names and text.isascii():
            low = text.lower()
            if not any(n in low for n in defs):
                continue
        if rx is None:
            rx = re.compile(r"\b(" + "|".join(re.escape(n) for n in defs) + r")\s*\(", re.I)
        if not rx.search(text):
            continue
        if st.kind == "DoStmt":
            names = [m.group(1).lower() for m in rx.finditer(plpgsql_code(st) or "")]
        else:
            names = list(_func_calls(st.body))
        if st.kind == "CallStmt":  # its "funccall" holds the FuncCall fields unwrapped
            parts = st.body.get("funccall", {}).get("funcname") or ()
            names += [p.get("String", {}).get("sval", "").lower() for p in parts[-1:]]
        queue = [latest(n, st) for n in names]
        order = []
        while queue:  # the functions this statement runs, through the ones they call
            d = queue.pop(0)
            if d is None or id(d) in out:
                continue
            out.add(id(d))
            order.append(d)
            queue += [latest(m.group(1).lower(), st) for m in rx.finditer(plpgsql_code(d) or "")]
        if order:
            sites[id(st)] = order
    source._call_sites = sites
    return out


def functions_run_by(source, stmt) -> list:
    """The CREATE FUNCTION statements whose bodies top-level ``stmt`` runs (it calls them,
    or they are called by those), in call order; each function is listed at its first call
    site only (see :func:`called_functions`)."""
    if called_functions(source) and stmt.parent is None:
        return source._call_sites.get(id(stmt), [])
    return []


def call_site(source, function):
    """The top-level statement at which the body of ``function`` (a CREATE FUNCTION this file
    calls) runs: the first that calls it, directly or through other functions; ``None``
    when the file does not call it."""
    if id(function) in called_functions(source):
        for site in source.statements:
            if any(fn is function for fn in source._call_sites.get(id(site), ())):
                return site
    return None


def runs_in_migration(parent) -> bool:
    """True when the statements of ``parent`` (a DO block or a CREATE FUNCTION) run while
    the migration runs: a DO block always, a function when the file calls it."""
    if parent.kind == "DoStmt":
        return True
    return parent.kind == "CreateFunctionStmt" and id(parent) in called_functions(parent._source)


# --------------------------------------------------------------------------- the PL/pgSQL walk


def _events(node, guard: str | None) -> Iterator[tuple]:
    """``("assign", varno, query, lineno)`` and ``("execute", query, lineno, guard)`` in
    body order (the depth-first order of :func:`linter.pg.plpgsql._walk`)."""
    if isinstance(node, list):
        for item in node:
            yield from _events(item, guard)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "PLpgSQL_stmt_assign" and isinstance(value, dict):
            q = value.get("expr", {}).get("PLpgSQL_expr", {}).get("query")
            if q:
                yield ("assign", value.get("varno", -1), q, value.get("lineno", 0))
            continue
        if key == "PLpgSQL_stmt_dynexecute" and isinstance(value, dict):
            q = value.get("query", {}).get("PLpgSQL_expr", {}).get("query")
            if q:
                yield ("execute", q, value.get("lineno", 0), guard)
            continue
        inner = guard
        if key in plpgsql._CONDITIONAL:
            inner = guard or plpgsql._CONDITIONAL[key]
        elif key == "PLpgSQL_stmt_block" and isinstance(value, dict):
            exc = value.get("exceptions")
            caught = guard or ("EXCEPTION handler" if exc and plpgsql._catches(exc) else None)
            yield from _events(value.get("body"), caught)
            if exc:
                yield from _events(exc, guard or "EXCEPTION handler")
            continue
        yield from _events(value, inner)


_ASSIGN = re.compile(r"^\s*[\w.\"]+(?:\s*\[[^\]]*\])?\s*(?::=|=)\s*", re.S)


class _Eval:
    """Evaluates one EXECUTE expression into ``[(kind, text)]`` pieces: ``("lit", sql)``,
    ``("id", "%I")`` (a run-time name), ``("val", "%L")`` (a run-time value)."""

    def __init__(self, assigns: list[tuple[str, str, int]], code: str = ""):
        self.assigns = assigns  # (variable name, expression, lineno) before this EXECUTE, in order
        self.code = code  # the body, to see whether a loop or a query also sets a variable
        self.literals: list[str] = []  # the template literals as written, for the span
        self.lines: list[int] = []  # lines of the assignments used
        self.why = "an expression"

    def expr(self, text: str, depth: int, exclude: str | None = None) -> list[tuple[str, str]] | None:
        try:
            tree = loads(pg.parse_sql_json("SELECT " + text))
            val = tree["stmts"][0]["stmt"]["SelectStmt"]["targetList"][0]["ResTarget"]["val"]
        except Exception:
            return None
        return self.node(val, "SELECT " + text, depth, exclude)

    def node(self, n: dict, text: str, depth: int, exclude: str | None) -> list[tuple[str, str]] | None:
        if len(n) != 1:
            return [("id", "an expression")]
        ((kind, body),) = n.items()
        if kind == "A_Const" and "sval" in body:
            self._literal(text, body.get("location", -1))
            return [("lit", body["sval"].get("sval", ""))]
        if kind == "TypeCast":
            return self.node(body.get("arg", {}), text, depth, exclude)
        if kind == "A_Expr" and body.get("kind") == "AEXPR_OP" and [x.get("String", {}).get("sval") for x in body.get("name", ())] == ["||"]:
            left = self.node(body.get("lexpr", {}), text, depth, exclude)
            right = self.node(body.get("rexpr", {}), text, depth, exclude)
            if left is None or right is None:
                return None
            return left + right
        if kind == "FuncCall":
            fname = (body.get("funcname") or [{}])[-1].get("String", {}).get("sval", "").lower()
            args = body.get("args") or []
            if fname == "format" and args and "sval" in args[0].get("A_Const", {}):
                self._literal(text, args[0]["A_Const"].get("location", -1))
                return _format(args[0]["A_Const"]["sval"].get("sval", ""))
            if fname in ("quote_literal", "quote_nullable"):
                return [("val", fname + "(…)")]
            if fname == "concat":
                out: list[tuple[str, str]] = []
                for a in args:
                    part = self.node(a, text, depth, exclude)
                    if part is None:
                        return None
                    out += part
                return out
            return [("id", (fname or "a function") + "(…)")]
        if kind == "ColumnRef":
            fields = [f.get("String", {}).get("sval") for f in body.get("fields", ())]
            if len(fields) == 1 and fields[0] and depth < _MAX_DEPTH:
                resolved = self.variable(fields[0], depth + 1, exclude)
                if resolved is not None:
                    return resolved
            return [("id", ".".join(f for f in fields if f) or "a variable")]
        return [("id", "an expression")]

    def variable(self, name: str, depth: int, exclude: str | None) -> list[tuple[str, str]] | None:
        """The pieces of ``name``'s latest assignment; ``None`` when it has none, or when
        that assignment uses ``name`` itself (``v := v || '…'`` in a loop)."""
        name = name.lower()
        if name == exclude:
            return None
        if _set_otherwise(self.code, name):
            self.why = "a variable set by a loop or a query"
            return None
        for var, expr, lineno in reversed(self.assigns):
            if var == name:
                if re.search(r"\b" + re.escape(name) + r"\b", expr, re.I):
                    self.why = "a variable that is built from itself (in a loop)"
                    return None
                self.lines.append(lineno)
                return self.expr(expr, depth, name)
        return None

    def _literal(self, text: str, loc: int) -> None:
        if 0 <= loc < len(text):
            m = re.match(r"[Ee]?'(?:[^']|'')*'|(\$\w*\$).*?\1", text[loc:], re.S)
            if m:
                self.literals.append(m.group())


def _set_otherwise(code: str, name: str) -> bool:
    """True when ``name`` is also set other than by ``:=`` (a loop variable, ``SELECT …
    INTO``/``FETCH … INTO``/``RETURNING … INTO`` target): its assignments then do not say
    what it holds at the EXECUTE."""
    if not code:
        return False
    n = re.escape(name)
    return re.search(rf"\bFOR(?:EACH)?\s+(?:[\w.]+\s*,\s*)*{n}\b|\bINTO\s+(?:STRICT\s+)?(?:[\w.]+\s*,\s*)*{n}\b",
                     code, re.I) is not None


def _format(template: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _FORMAT_SPEC.finditer(template):
        out.append(("lit", template[pos : m.start()]))
        pos = m.end()
        t = m.group(2)
        if t == "%":
            out.append(("lit", "%"))
        else:
            out.append(("val" if t == "L" else "id", m.group()))  # as written: %I, %1$I, %-10s
    out.append(("lit", template[pos:]))
    return out


# --------------------------------------------------------------------------- statements of a body


def statements(source, parent) -> tuple[list[Statement], list[Unknown]]:
    """``(statements, unknowns)`` built by the ``EXECUTE``s of ``parent`` (a DO block or a
    PL/pgSQL function the file calls, see :func:`runs_in_migration`); ``([], [])`` for
    anything else. Cached on the source per parent; never raises."""
    cache = source._dynamic
    got = cache.get(id(parent))
    if got is not None:
        return got
    got = ([], [])
    if not parent.nested and parent.kind in ("DoStmt", "CreateFunctionStmt"):
        code = plpgsql_code(parent)
        # a substring test first (EXECUTE is written in upper, lower or title case) spares
        # the regex on most bodies
        if code is not None and ("EXECUTE" in code or "execute" in code or "Execute" in code) \
                and _EXECUTE.search(code) and runs_in_migration(parent):
            try:
                got = _build(source, parent, code)
            except Exception:
                got = ([], [])
    cache[id(parent)] = got
    return got


def _build(source, parent, code: str) -> tuple[list[Statement], list[Unknown]]:
    tag = "$miglint_body$"
    if tag in code:
        return [], []
    tree = None
    if parent.kind == "CreateFunctionStmt" and not source.placeholders_replaced:
        try:  # the statement itself: its return type decides what RETURN may say
            tree = loads(pg.parse_plpgsql_json(parent.text))
        except Exception:
            tree = None
    if tree is None:
        head = "CREATE PROCEDURE miglint_do() LANGUAGE plpgsql AS " if parent.body.get("is_procedure") else \
            "CREATE FUNCTION miglint_do() RETURNS void LANGUAGE plpgsql AS "
        tree = loads(pg.parse_plpgsql_json(f"{head}{tag}{code}{tag}"))
    fn = tree[0].get("PLpgSQL_function", {}) if isinstance(tree, list) and tree else {}
    varnames = {}
    assigns: list[tuple[str, str, int]] = []
    for i, d in enumerate(fn.get("datums", ())):
        (inner,) = d.values() if len(d) == 1 else ({},)
        if isinstance(inner, dict) and inner.get("refname"):
            varnames[i] = inner["refname"].lower()
            default = (inner.get("default_val") or {}).get("PLpgSQL_expr", {}).get("query")
            if default:  # DECLARE cmd text := '…': the first assignment
                assigns.append((varnames[i], default, inner.get("lineno", 0)))
    text = source.text
    body_at = text.find(code, parent.start)
    line_offsets = [0] + [m.end() for m in re.finditer("\n", code)]
    index = source.index

    def where(lineno: int) -> int:
        """Original offset of the first non-blank character of body line ``lineno``."""
        if body_at < 0 or not 1 <= lineno <= len(line_offsets):
            return parent.start
        at = body_at + line_offsets[lineno - 1]
        while at < len(text) and text[at] in " \t":
            at += 1
        return at

    out: list[Statement] = []
    unknown: list[Unknown] = []
    names, roles = source._dyn_names, source._dyn_roles  # shared by the file's dynamic statements
    for ev in _events(fn.get("action"), None):
        if ev[0] == "assign":
            _, varno, q, lineno = ev
            var = varnames.get(varno)
            if var:
                assigns.append((var, _ASSIGN.sub("", q, count=1), lineno))
            continue
        _, q, lineno, guard = ev
        ev_ = _Eval(list(assigns), code)
        pieces = ev_.expr(q, 0)
        at = where(lineno)
        if pieces is None or not any(k == "lit" and v.strip() for k, v in pieces):
            why = ev_.why if ev_.why != "an expression" else ("a variable" if re.fullmatch(r"[\w.\"]+", q.strip()) else "an expression")
            if _plausibly_ddl(q, assigns, code):
                unknown.append(Unknown(at, index.position(at).line, why))
            continue
        sql, _ = _render(pieces, names)
        try:
            parsed = loads(pg.parse_sql_json(sql))
        except Exception:
            if DDL_WORDS.search(sql) and not _NO_TABLE_LOCK.match(sql):
                unknown.append(Unknown(at, index.position(at).line, "a string that does not parse as SQL once its run-time parts are filled in"))
            continue
        start, end = _literal_span(text, ev_.literals, body_at, line_offsets, [lineno] + ev_.lines, at)
        line = index.position(at).line
        for raw in parsed.get("stmts", ()):
            node = raw.get("stmt")
            if not node:
                continue
            (kind,) = node.keys()
            for k, role in _roles(node, names).items():
                roles.setdefault(k, role)
            dyn = Dynamic(sql, line, guard, names, roles)
            out.append(Statement(node, kind, start, end, parent.index, parent.section, parent, source, None, 0, dyn))
    return out, unknown


def _render(pieces: list[tuple[str, str]], names: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """``(sql, names)``: the command text of :class:`_Eval` pieces, each run-time part a new
    sentinel numbered after those already in ``names`` (the file's, so that a sentinel
    names one placeholder in the whole file), which it is added to."""
    parts: list[str] = []
    names = {} if names is None else names
    for kind, value in pieces:
        if kind == "lit":
            parts.append(value)
            continue
        sentinel = f"{SENTINEL}{len(names) + 1}"
        names[sentinel] = value if value.startswith("%") else ("%L" if kind == "val" else f"<{value}>")
        parts.append(sentinel if kind == "id" else f"'{sentinel}'")
    return "".join(parts), names


#: ALTER TABLE subcommands whose ``name`` is a constraint's, not a column's.
_CONSTRAINT_CMDS = frozenset({"AT_DropConstraint", "AT_ValidateConstraint", "AT_AlterConstraint"})
#: DROP / RENAME object types whose names are tables.
_TABLE_OBJECTS = frozenset({"OBJECT_TABLE", "OBJECT_FOREIGN_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW"})


def _roles(node: dict, names: dict[str, str]) -> dict[str, str]:
    """``{sentinel: "table" | "column"}`` for the sentinels of ``node`` that name a table
    (a RangeVar, a DROP TABLE's object, a table's new name) or a column (a column
    definition, an ALTER COLUMN, a RENAME COLUMN, an index or column reference)."""
    out: dict[str, str] = {}
    if not names:
        return out

    def mark(value, role: str) -> None:
        if isinstance(value, str) and SENTINEL in value:
            for m in _SENTINEL_RX.finditer(value):
                out.setdefault(m.group(), role)

    stack: list = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            if "relname" in n:  # a RangeVar (JSON "relation" fields hold them unwrapped)
                mark(n.get("relname"), "table")
            if "colname" in n:  # ColumnDef
                mark(n.get("colname"), "column")
            cmd = n.get("AlterTableCmd")
            if cmd is not None and cmd.get("subtype") not in _CONSTRAINT_CMDS:
                mark(cmd.get("name"), "column")
            ren = n.get("RenameStmt")
            if ren is not None:
                if ren.get("renameType") == "OBJECT_COLUMN":
                    mark(ren.get("subname"), "column")
                    mark(ren.get("newname"), "column")
                elif ren.get("renameType") in _TABLE_OBJECTS:
                    mark(ren.get("newname"), "table")
            drop = n.get("DropStmt")
            if drop is not None and drop.get("removeType") in _TABLE_OBJECTS:
                for obj in drop.get("objects") or ():
                    parts = obj.get("List", {}).get("items", []) if isinstance(obj, dict) else []
                    if parts:
                        mark(parts[-1].get("String", {}).get("sval"), "table")
            ref = n.get("ColumnRef")
            if ref is not None:
                for f in ref.get("fields") or ():
                    mark(f.get("String", {}).get("sval"), "column")
            elem = n.get("IndexElem")
            if elem is not None:
                mark(elem.get("name"), "column")
            stack.extend(v for v in n.values() if isinstance(v, (dict, list)))
        elif isinstance(n, list):
            stack.extend(n)
    return out


def _literal_span(text: str, literals: list[str], body_at: int, line_offsets: list[int], lines: list[int], at: int) -> tuple[int, int]:
    """Original ``(start, end)`` of the first template literal, searched from the lines of
    the EXECUTE and the assignments it used; else the EXECUTE's line."""
    if body_at >= 0:
        for lit in literals:
            for lineno in sorted(set(lines)):
                if 1 <= lineno <= len(line_offsets):
                    s = text.find(lit, body_at + line_offsets[lineno - 1])
                    if s >= 0:
                        return s, s + len(lit)
    end = text.find("\n", at)
    end = len(text) if end < 0 else end
    return at, max(at, len(text[:end].rstrip()))


def _plausibly_ddl(query: str, assigns: list[tuple[str, str, int]], code: str) -> bool:
    """True when the EXECUTE's expression, an assignment to a variable it names, or (for a
    bare variable or record field nothing assigns) a string literal of the body holds a
    DDL word."""
    if DDL_WORDS.search(query) and "'" in query:
        return _DDL_LITERAL.search(query) is not None
    words = {w.lower() for w in re.findall(r"[A-Za-z_]\w*", query)}
    mentioned = [e for v, e, _ in assigns if v in words]
    if mentioned:
        return any(_DDL_LITERAL.search(e) for e in mentioned)
    return re.fullmatch(r"\s*[\w.\"]+\s*", query) is not None and _DDL_LITERAL.search(code) is not None


# --------------------------------------------------------------------------- findings


def finish_all(source, raw: list) -> list:
    """``[(rule, violation)]`` with :func:`finish` applied to every violation at the span
    of a statement built by ``EXECUTE`` (whichever rule and scope reported it: statement
    rules on it, session rules on its step), and run-time names said as such in the others
    (a later statement's finding naming a lock an EXECUTE took); others unchanged."""
    at = {}
    for parent_id, (stmts, _) in source._dynamic.items():
        for st in stmts:
            at.setdefault(st.span, st)
    if not at:
        return raw
    any_dyn = next(iter(at.values())).dynamic  # the sentinels' names and roles are the file's
    out = []
    for rule, v in raw:
        if v.span in at:
            v = finish(v, at[v.span])
        elif SENTINEL in v.message or SENTINEL in (v.help or "") or SENTINEL in str(v.properties):
            # a finding elsewhere that names a run-time table (a lock held since an EXECUTE)
            props = {k: said(x, any_dyn, quoted=False) if isinstance(x, str) else x for k, x in v.properties.items()}
            v = replace(v, message=said(v.message, any_dyn), help=said(v.help, any_dyn, phrases=False) if v.help else v.help,
                        properties=props)
        out.append((rule, v))
    return out


def finish(v, stmt):
    """A finding ``v`` of a rule on dynamic statement ``stmt``, as the engine reports it:
    at the template literal (``stmt.span``), without a fix, sentinels said as what they are
    in the message (``"miglint_rt1"`` naming a table: ``a table named at run time (format
    %I)``; ``"uk_miglint_rt1_uid"``: ``"uk_%I_uid"``), as written in the help and the
    properties (``"%I"``, ``%I``)."""
    dyn = stmt.dynamic
    props = dict(v.properties)
    for k, val in props.items():
        if isinstance(val, str) and SENTINEL in val:
            props[k] = said(val, dyn, quoted=False)
    props["dynamic"] = True
    return replace(v, span=stmt.span, fix=None, message=said(v.message, dyn),
                   help=said(v.help, dyn, phrases=False) if v.help else v.help, properties=props)


_ROLE_WORDS = {"table": "a table named", "column": "a column named"}


def said(text: str, dyn: Dynamic, *, quoted: bool = True, phrases: bool = True) -> str:
    """``text`` with the file's sentinels replaced by how they are written (``%I``,
    ``<tbl>`` for a concatenated variable). With ``quoted``, a quoted name that is a
    sentinel (perhaps after a schema written out) becomes, with ``phrases``, "a table
    named at run time (format %I)" (or "a column named …", "a name chosen …"), else
    ``"%I"``; a quoted name holding one (``"uk_miglint_rt1_uid"``) becomes ``"uk_%I_uid"``."""
    if SENTINEL not in text:
        return text

    def spec(m: re.Match) -> str:
        return dyn.names.get(m.group(), "%s")

    def whole(m: re.Match) -> str:
        inner = m.group(1)
        shown = _SENTINEL_RX.sub(spec, inner)
        last = inner.split(".")[-1]
        if phrases and _SENTINEL_RX.fullmatch(last):  # a run-time name, perhaps in a schema written out
            what = _ROLE_WORDS.get(dyn.roles.get(last, ""), "a name chosen")
            return f"{what} at run time ({_how(shown)})"
        return f'"{shown}"'

    if quoted:
        text = _QUOTED_SENTINEL.sub(whole, text)
    # one EXECUTE run twice names its table twice ("on <t>, <t>, users"): say it once
    return _REPEATED.sub(r"\1", _SENTINEL_RX.sub(spec, text))


_REPEATED = re.compile(r"((?:a \w+ (?:named|chosen) at run time \([^()]*(?:\([^()]*\)[^()]*)*\))|\"[^\"]*\"|<[^<>]+>|%\w+)(?:, \1)+")


def _how(shown: str) -> str:
    """``format %I`` for a format() placeholder, ``from tbl`` for a concatenated value."""
    return f"format {shown}" if "%" in shown else "from " + shown.replace("<", "").replace(">", "")
