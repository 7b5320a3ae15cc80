"""Columns as a migration file defines and changes them: where each column definition is,
what type a column had earlier in the file, which columns and constraints the file itself
added, and whether a validated ``CHECK (col IS NOT NULL)`` proves a column not null.

Rules about column types (the type-hygiene rules, ``column-type-rewrite``) and about
breaking changes (drops and renames of things the same file created are not breaking)
share these. Everything is static: a column created in another file has no known type
here, and callers say so instead of guessing.

Sources: "CREATE TABLE", "ALTER TABLE" (ADD COLUMN, ALTER COLUMN TYPE, SET NOT NULL,
VALIDATE CONSTRAINT) in the PostgreSQL documentation,
https://www.postgresql.org/docs/current/sql-altertable.html; SET NOT NULL skips its scan
when "a valid CHECK constraint exists for the table which proves no NULL can exist in it"
(PG 12 release notes, E.23.3.1.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from linter.model import Direction, fast_init
from linter.pg import names, rewrites, tokens

#: PostgreSQL truncates identifiers to NAMEDATALEN - 1 = 63 bytes ("4.1.1. Identifiers
#: and Key Words").
MAX_IDENTIFIER_BYTES = 63


@fast_init
@dataclass(frozen=True, slots=True)
class ColumnSite:
    """One column definition in a statement.

    ``table``: the RangeVar dict of its table; ``name``: the column name; ``coldef``: the
    ColumnDef dict; ``how``: ``"create"`` (CREATE TABLE), ``"add"`` (ADD COLUMN) or
    ``"type"`` (ALTER COLUMN … TYPE: ``coldef`` holds the new type and the ``USING``
    expression as ``raw_default``).
    """

    table: dict | None
    name: str
    coldef: dict
    how: str

    @property
    def type_name(self) -> dict:
        return self.coldef.get("typeName") or {}


#: The ALTER TABLE subcommands that hold a column definition (see :func:`column_sites`).
SITE_SUBCOMMANDS = ("AT_AddColumn", "AT_AlterColumnType")


def column_sites(stmt) -> Iterator[ColumnSite]:
    """Every column definition of ``stmt`` (CREATE TABLE, ALTER TABLE ADD COLUMN /
    ALTER COLUMN TYPE); nothing for other statements."""
    kind = stmt.kind
    if kind == "CreateStmt":
        rv = stmt.body.get("relation")
        for elt in stmt.body.get("tableElts", ()) or ():
            cd = elt.get("ColumnDef")
            if cd is not None and cd.get("typeName"):
                yield ColumnSite(rv, cd.get("colname", ""), cd, "create")
    elif kind == "AlterTableStmt":
        rv = stmt.body.get("relation")
        for item in stmt.body.get("cmds", ()):
            cmd = item.get("AlterTableCmd", {})
            sub = cmd.get("subtype")
            if sub == "AT_AddColumn":
                cd = cmd.get("def", {}).get("ColumnDef", {})
                yield ColumnSite(rv, cd.get("colname", ""), cd, "add")
            elif sub == "AT_AlterColumnType":
                cd = cmd.get("def", {}).get("ColumnDef", {})
                yield ColumnSite(rv, cmd.get("name", ""), cd, "type")


def alter_cmds(stmt, *subtypes: str) -> Iterator[dict]:
    """The AlterTableCmd dicts of an ALTER TABLE statement with one of ``subtypes``."""
    if stmt.kind != "AlterTableStmt":
        return
    for item in stmt.body.get("cmds", ()):
        cmd = item.get("AlterTableCmd", {})
        if cmd.get("subtype") in subtypes:
            yield cmd


def added_constraints(ctx, stmt, contypes: tuple[str, ...]) -> Iterator[tuple[dict, dict | None]]:
    """The constraints an ALTER TABLE adds to a table that existed before this file.

    ``contypes``: the Constraint ``contype`` values of interest (``"CONSTR_CHECK"`` …).
    Yields ``(constraint, None)`` for each ``ADD CONSTRAINT`` and ``(constraint, coldef)``
    for each column constraint of an ``ADD COLUMN`` (``coldef``: its ColumnDef dict), in
    statement order. Yields nothing for other statements, for tables created earlier in
    the same file (empty: nothing to scan) and for statements inside function bodies.
    """
    if stmt.kind != "AlterTableStmt" or stmt.body.get("objtype") != "OBJECT_TABLE" or in_function_body(stmt):
        return
    if not _adds_constraint(stmt.body, contypes) or ctx.pg.is_new_table(stmt.body.get("relation"), stmt):
        return
    for cmd in alter_cmds(stmt, "AT_AddConstraint", "AT_AddColumn"):
        if cmd["subtype"] == "AT_AddConstraint":
            pairs = [(cmd.get("def", {}).get("Constraint", {}), None)]
        else:
            coldef = cmd.get("def", {}).get("ColumnDef", {})
            pairs = [(c.get("Constraint", {}), coldef) for c in coldef.get("constraints", ()) or ()]
        for con, coldef in pairs:
            if con.get("contype") in contypes:
                yield con, coldef


def _adds_constraint(body: dict, contypes: tuple[str, ...]) -> bool:
    """A cheap first look: does any ADD CONSTRAINT / ADD COLUMN add a constraint of ``contypes``?"""
    for item in body.get("cmds", ()):
        cmd = item.get("AlterTableCmd", {})
        sub = cmd.get("subtype")
        if sub == "AT_AddConstraint":
            if cmd.get("def", {}).get("Constraint", {}).get("contype") in contypes:
                return True
        elif sub == "AT_AddColumn":
            for c in cmd.get("def", {}).get("ColumnDef", {}).get("constraints", ()) or ():
                if c.get("Constraint", {}).get("contype") in contypes:
                    return True
    return False


def not_valid_fix(ctx, stmt, con: dict):
    """The fix that appends `` NOT VALID`` to ``con``, the table constraint of an ``ADD
    CONSTRAINT``; ``None`` when its end is not known (a statement nested in a ``DO`` body,
    no location, or the scanner failed)."""
    if stmt.parent is not None or con.get("location") is None:
        return None
    end = tokens.clause_end(stmt, stmt.offset_of(con["location"]))
    if end is None:
        return None
    return ctx.fix(end, end, tokens.in_file_case(ctx.source, " NOT VALID"), "Add NOT VALID (and VALIDATE CONSTRAINT in a later migration)")


def added_columns(stmt) -> set:
    """The names of the columns an ALTER TABLE's ``ADD COLUMN`` subcommands add (``None``
    for a ColumnDef without a name); empty for other statements."""
    return {cmd.get("def", {}).get("ColumnDef", {}).get("colname") for cmd in alter_cmds(stmt, "AT_AddColumn")}


def is_rollback(stmt) -> bool:
    """True for statements in a down migration (a ``.down.sql`` file, Flyway ``U`` undo,
    a dbmate ``-- migrate:down`` or goose ``-- +goose Down`` section): rollback code, run
    by hand when a release is undone, not against the running application's traffic."""
    return stmt.section is Direction.DOWN


def _earlier(statements: list, stmt) -> Iterator:
    """Top-level statements before ``stmt`` (before its DO block for nested ones), in
    the same direction (an up statement never follows from a down section's)."""
    for st in statements:
        if st.index >= stmt.index:
            break
        if (st.section is Direction.DOWN) == (stmt.section is Direction.DOWN):
            yield st


class ColumnHistory:
    """What the file's top-level statements do to columns and constraints, indexed once
    per file (rules ask it for every ALTER; a rescan per question is quadratic on files
    with hundreds of ALTERs). Get it with :func:`history`.

    ``events[(table, column)]``: ``(index, down, kind, payload)`` in file order, ``kind``
    one of ``"create"``/``"add"``/``"type"`` (payload: the TypeName), ``"drop"``,
    ``"rename_to"`` (payload: the old name). ``constraints[table]``: ``(index, down,
    name)`` of constraints added (CREATE TABLE, ADD CONSTRAINT, RENAME CONSTRAINT … TO).
    """

    def __init__(self, statements: list) -> None:
        self.events: dict[tuple[str, str], list[tuple]] = {}
        self.constraints: dict[str, list[tuple]] = {}
        for st in statements:
            kind = st.kind
            if kind not in ("CreateStmt", "AlterTableStmt", "RenameStmt"):
                continue
            down = st.section is Direction.DOWN
            if kind == "RenameStmt":
                rt = st.body.get("renameType")
                table = names.table_key(st.body.get("relation"))
                if rt == "OBJECT_COLUMN":
                    self._event(table, st.body.get("newname", ""), (st.index, down, "rename_to", st.body.get("subname", "")))
                elif rt == "OBJECT_TABCONSTRAINT":
                    self.constraints.setdefault(table, []).append((st.index, down, st.body.get("newname", "")))
                continue
            table = names.table_key(st.body.get("relation"))
            for site in column_sites(st):
                self._event(table, site.name, (st.index, down, site.how, site.type_name))
            if kind == "CreateStmt":
                for elt in st.body.get("tableElts", ()) or ():
                    name = elt.get("Constraint", {}).get("conname")
                    if name:
                        self.constraints.setdefault(table, []).append((st.index, down, name))
                continue
            for cmd in alter_cmds(st, "AT_DropColumn", "AT_AddConstraint"):
                if cmd.get("subtype") == "AT_DropColumn":
                    self._event(table, cmd.get("name", ""), (st.index, down, "drop", None))
                else:
                    name = cmd.get("def", {}).get("Constraint", {}).get("conname")
                    if name:
                        self.constraints.setdefault(table, []).append((st.index, down, name))

    def _event(self, table: str, column: str, ev: tuple) -> None:
        self.events.setdefault((table, column), []).append(ev)

    def _before(self, evs, index: int, down: bool):
        for ev in reversed(evs):
            if ev[0] < index and ev[1] == down:
                yield ev

    def column_type(self, stmt, table: str, column: str, _index: int | None = None) -> dict | None:
        """The TypeName ``column`` of ``table`` had just before ``stmt``; ``None`` when the
        file does not say (the column came from another file, or was dropped)."""
        index = stmt.index if _index is None else _index
        down = stmt.section is Direction.DOWN
        for ev in self._before(self.events.get((table, column), ()), index, down):
            if ev[2] == "drop":
                return None
            if ev[2] == "rename_to":
                return self.column_type(stmt, table, ev[3], ev[0])
            return ev[3]
        return None

    def column_added(self, stmt, table: str, column: str) -> bool:
        """True when CREATE TABLE / ADD COLUMN / RENAME COLUMN … TO created ``column``
        before ``stmt`` in this file: no running code uses it yet."""
        down = stmt.section is Direction.DOWN
        return any(ev[2] != "type" for ev in self._before(self.events.get((table, column), ()), stmt.index, down))

    def constraint_added(self, stmt, table: str, name: str) -> bool:
        """True when a constraint ``name`` was added to ``table`` before ``stmt``."""
        down = stmt.section is Direction.DOWN
        return any(ev[2] == name for ev in self._before(self.constraints.get(table, ()), stmt.index, down))


def history(ctx) -> ColumnHistory:
    """The file's :class:`ColumnHistory`, built on first use (kept on the file context)."""
    h = ctx.__dict__.get("_column_history")
    if h is None:
        h = ctx.__dict__["_column_history"] = ColumnHistory(ctx.source.statements)
    return h


def _is_not_null_check(con: dict, column: str) -> bool:
    """``CHECK (column IS NOT NULL)`` (alone, or as one AND-ed term)."""
    if con.get("contype") != "CONSTR_CHECK":
        return False
    stack = [con.get("raw_expr") or {}]
    while stack:
        e = stack.pop()
        nt = e.get("NullTest")
        if nt is not None:
            fields = names.strings(nt.get("arg", {}).get("ColumnRef", {}).get("fields"))
            if nt.get("nulltesttype") == "IS_NOT_NULL" and fields and fields[-1] == column:
                return True
        be = e.get("BoolExpr")
        if be is not None and be.get("boolop") == "AND_EXPR":
            stack.extend(be.get("args", ()))
    return False


def not_null_proof(statements: list, stmt, table: str, column: str) -> str | None:
    """The name (or ``"(unnamed)"``) of a *validated* ``CHECK (column IS NOT NULL)`` on
    ``table`` added earlier in this file and not dropped since, else ``None``.

    Validated means added without ``NOT VALID``, or added ``NOT VALID`` and then
    ``VALIDATE CONSTRAINT``-ed before ``stmt``.
    """
    pending: dict[str, bool] = {}  # constraint name -> validated
    for st in _earlier(statements, stmt):
        if st.kind != "AlterTableStmt" or names.table_key(st.body.get("relation")) != table:
            continue
        for cmd in alter_cmds(st, "AT_AddConstraint", "AT_ValidateConstraint", "AT_DropConstraint"):
            sub = cmd.get("subtype")
            if sub == "AT_AddConstraint":
                con = cmd.get("def", {}).get("Constraint", {})
                if _is_not_null_check(con, column):
                    pending[con.get("conname") or "(unnamed)"] = not con.get("skip_validation", False)
            elif sub == "AT_ValidateConstraint" and cmd.get("name") in pending:
                pending[cmd["name"]] = True
            elif sub == "AT_DropConstraint":
                pending.pop(cmd.get("name"), None)
    return next((name for name, ok in pending.items() if ok), None)


def constraint_dropped_after(statements: list, stmt, table: str, match) -> str | None:
    """Name of a constraint for which ``match(name)`` holds that a later top-level
    statement of the file drops from ``table`` (the last step of the SET NOT NULL recipe),
    else ``None``."""
    for st in statements:
        if st.index <= stmt.index or st.kind != "AlterTableStmt":
            continue
        if names.table_key(st.body.get("relation")) != table:
            continue
        for cmd in alter_cmds(st, "AT_DropConstraint"):
            if match(cmd.get("name") or ""):
                return cmd["name"]
    return None


def node_offset(stmt, location: int | None) -> int | None:
    """Original-text character offset of a node ``location``, or ``None`` when it is
    unknown (no location, or a nested statement whose text is not in the file verbatim)."""
    if location is None or location < 0 or getattr(stmt, "_loc_index", None) is None:
        return None
    return stmt.offset_of(location)


#: A type as written, from its first word: ``int``, ``character varying(20)``,
#: ``timestamp(3) without time zone``, ``pg_catalog.int4``, ``"char"``, with ``[]``s.
_TYPE_TEXT = re.compile(
    r'(?:\w+\s*\.\s*)?(?:"[^"]*"|double\s+precision|character\s+varying|national\s+character(?:\s+varying)?'
    r'|bit\s+varying|(?:timestamp|time)(?!\w)(?:\s*\(\s*\d+\s*\))?(?:\s+with(?:out)?\s+time\s+zone)?|\w+)'
    r'(?:\s*\(\s*\d+(?:\s*,\s*-?\d+)?\s*\))?(?:\s*\[\s*\d*\s*\])*',
    re.I,
)


def type_offsets(stmt, type_name: dict) -> tuple[int, int] | None:
    """Original-text ``(start, end)`` of a TypeName as written, or ``None``."""
    start = node_offset(stmt, type_name.get("location"))
    if start is None:
        return None
    text = stmt._source.text
    m = _TYPE_TEXT.match(text, start)
    if m is None:
        return None
    return start, m.end()


def in_function_body(stmt) -> bool:
    """True for a statement inside a ``CREATE FUNCTION/PROCEDURE`` body that the file does
    not call: it runs when something calls the function, not when the migration runs (a
    ``DO`` block runs at once; so does the body of a function a later statement of the file
    calls, ``SELECT f();`` / ``PERFORM f();`` / ``CALL p();``, see
    :func:`linter.pg.dynamic.called_functions`)."""
    if stmt.parent is None or stmt.parent.kind != "CreateFunctionStmt":
        return False
    from linter.pg import dynamic

    return not dynamic.runs_in_migration(stmt.parent)


def own_lock(effects: list, rv: dict | None):
    """The strongest :class:`~linter.pg.locks.LockEffect` of ``effects`` on the statement's
    own table ``rv`` (not a referenced one); ``None`` if there is none."""
    locks = _LOCKS or _locks()
    rel = names.relation(rv)
    return locks.strongest([e for e in effects if e.relation == rel]) or locks.strongest(effects)


_NAME = r'("(?:[^"]|"")+"|[^\s",;()]+)'
#: Subcommands located by the column or constraint name they name (AlterTableCmd has no
#: location): the name is group 1.
CLAUSES = {
    "set_not_null": re.compile(rf"\bALTER\s+(?:COLUMN\s+)?{_NAME}\s*SET\s+NOT\s+NULL", re.I),
    "drop_not_null": re.compile(rf"\bALTER\s+(?:COLUMN\s+)?{_NAME}\s*DROP\s+NOT\s+NULL", re.I),
    "drop_default": re.compile(rf"\bALTER\s+(?:COLUMN\s+)?{_NAME}\s*DROP\s+DEFAULT", re.I),
    "drop_column": re.compile(rf"\bDROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?{_NAME}", re.I),
    "rename_column": re.compile(rf"\bRENAME\s+(?:COLUMN\s+)?{_NAME}\s+TO\s+{_NAME}", re.I),
    "drop_constraint": re.compile(rf"\bDROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?{_NAME}", re.I),
}


def _ident(token: str) -> str:
    return token[1:-1].replace('""', '"') if token.startswith('"') else token.lower()


def where(ctx, stmt, clause: str, name: str):
    """The span of the subcommand ``CLAUSES[clause]`` naming ``name`` in ``stmt``, else
    ``stmt`` itself: what to pass to ``ctx.violation``."""
    for m in CLAUSES[clause].finditer(stmt.text):
        if _ident(m.group(1)) == name:
            return ctx.span(stmt.start + m.start(), stmt.start + m.end())
    return stmt


_LOCKS = None


def _locks():
    """:mod:`linter.pg.locks`, imported on first use and kept in ``_LOCKS`` (an import
    statement in :func:`alter_lock`, run for every ALTER TABLE, cost ~2 us)."""
    global _LOCKS
    from linter.pg import locks

    _LOCKS = locks
    return locks


def alter_lock(stmt):
    """The :class:`~linter.pg.locks.LockMode` an ALTER TABLE takes on its table: the
    strongest of its subcommands' ("When multiple subcommands are given, the lock acquired
    will be the strictest one required by any subcommand", ALTER TABLE docs)."""
    locks = _LOCKS or _locks()
    cmds = [c.get("AlterTableCmd", {}) for c in stmt.body.get("cmds", ())]
    return max((locks.subcommand_lock(c) for c in cmds), default=locks.LockMode.ACCESS_EXCLUSIVE)


@fast_init
@dataclass(frozen=True, slots=True)
class TableAlter:
    """An ALTER TABLE on a table that existed before this file, with the subcommands a rule
    reports (drops running code may rely on, changes that scan or rewrite the table).

    ``cmds``: the AlterTableCmd dicts of interest, in statement order; ``key``: the table's
    :func:`~linter.pg.names.table_key`; ``table``: its :func:`~linter.pg.names.relation`;
    ``lock``: the :class:`~linter.pg.locks.LockMode` of the whole statement (:func:`alter_lock`).
    """

    stmt: object
    cmds: list
    key: str
    table: str
    lock: object

    def existing_columns(self, ctx):
        """The column name of each of :attr:`cmds` whose column was not created
        earlier in this file (by CREATE TABLE, ADD COLUMN or a RENAME COLUMN … TO: no
        running code uses such a column yet, so changing it breaks nothing)."""
        hist = history(ctx)
        for cmd in self.cmds:
            col = cmd.get("name", "")
            if not hist.column_added(self.stmt, self.key, col):
                yield col

    def violation(self, ctx, where, message: str, help: str, **properties):
        """The finding at ``where`` (a span, or the statement: see :func:`where`), with the
        ``lock``, ``table`` and ``blocks`` properties, then ``properties`` (``breaking=True`` …)."""
        lock = self.lock
        return ctx.violation(where, message, help=help, lock=lock.label, table=self.table, blocks=lock.blocks, **properties)


def table_alter(ctx, stmt, subtype: str, keep=None) -> TableAlter | None:
    """The :class:`TableAlter` of ``stmt`` for its ``subtype`` subcommands (those for which
    ``keep(cmd)`` is true, if given); ``None`` when there are none, for statements other
    than ALTER TABLE or inside a function body, and for tables created earlier in the same
    file (empty, and no running code uses them yet). ``ALTER TYPE … ALTER/DROP/ADD
    ATTRIBUTE`` (also an AlterTableStmt, objtype OBJECT_TYPE) changes a composite type,
    not a table: ``None``."""
    if stmt.kind != "AlterTableStmt" or in_function_body(stmt) or stmt.body.get("objtype") == "OBJECT_TYPE":
        return None
    cmds = [c for c in alter_cmds(stmt, subtype) if keep is None or keep(c)]
    if not cmds:
        return None
    rv = stmt.body.get("relation")
    if ctx.pg.is_new_table(rv, stmt):
        return None
    return TableAlter(stmt, cmds, names.table_key(rv), names.relation(rv), alter_lock(stmt))


def breaking_alter(ctx, stmt, subtype: str, keep=None) -> TableAlter | None:
    """:func:`table_alter` for the breaking-change rules, which also skip down migrations
    (rollback code restores the schema the old code expects)."""
    return None if is_rollback(stmt) else table_alter(ctx, stmt, subtype, keep)


def key_columns(stmt) -> set[str]:
    """Columns of a CREATE TABLE / ALTER TABLE that are keys: in a PRIMARY KEY or UNIQUE
    constraint, a FOREIGN KEY (REFERENCES), or an identity/serial column."""
    out: set[str] = set()
    cons: list[dict] = []
    for site in column_sites(stmt):
        for c in site.coldef.get("constraints", ()) or ():
            con = c.get("Constraint", {})
            if con.get("contype") in ("CONSTR_PRIMARY", "CONSTR_FOREIGN", "CONSTR_UNIQUE", "CONSTR_IDENTITY"):
                out.add(site.name)
        if names.base_type(site.type_name) in _SERIALS:
            out.add(site.name)
    if stmt.kind == "CreateStmt":
        cons = [e.get("Constraint", {}) for e in stmt.body.get("tableElts", ()) or () if "Constraint" in e]
    elif stmt.kind == "AlterTableStmt":
        cons = [c.get("def", {}).get("Constraint", {}) for c in alter_cmds(stmt, "AT_AddConstraint")]
    for con in cons:
        if con.get("contype") in ("CONSTR_PRIMARY", "CONSTR_UNIQUE"):
            out.update(names.strings(con.get("keys")))
        elif con.get("contype") == "CONSTR_FOREIGN":
            out.update(names.strings(con.get("fk_attrs")))
    return out


_SERIALS = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}


def hygiene_sites(stmt) -> Iterator[ColumnSite]:
    """Column definitions the type-hygiene rules judge: those of ``column_sites`` outside
    down migrations (rollback code restores the old schema as it was) and function bodies."""
    if stmt.kind not in ("CreateStmt", "AlterTableStmt") or is_rollback(stmt) or in_function_body(stmt):
        return iter(())
    return column_sites(stmt)


def written_type(stmt, type_name: dict) -> str:
    """A TypeName as the author wrote it (``character varying(20)``), else as parsed."""
    at = type_offsets(stmt, type_name)
    if at:
        return " ".join(stmt._source.text[at[0]:at[1]].split())
    return names.type_name(type_name)


def type_where(ctx, stmt, type_name: dict):
    """The span of a type as written (``character varying(20)``, all of it), else the
    statement: what to pass to ``ctx.violation``."""
    at = type_offsets(stmt, type_name)
    return ctx.span(*at) if at else stmt


#: TimeZone values with a zero UTC offset all year.
_UTC_ZONES = {"utc", "etc/utc", "gmt", "etc/gmt", "zulu", "z", "universal", "etc/universal", "gmt0", "+00", "00:00", "+00:00"}


def session_is_utc(ctx, stmt) -> bool | None:
    """True when a ``SET timezone = 'UTC'`` (or ``SET TIME ZONE``) earlier in the file
    makes the session TimeZone UTC, so timestamp <-> timestamptz skips the rewrite (PG 12+);
    False when the file sets another zone; ``None`` when it sets none (the server's or
    role's default applies, which the file does not show)."""
    st = ctx.pg.setting_before("timezone", stmt)
    if st is None:
        return None
    args = st.body.get("args") or ()
    val = args[0].get("A_Const", {}) if args else {}
    text = val.get("sval", {}).get("sval") if "sval" in val else str(val.get("ival", {}).get("ival", "")) if "ival" in val else None
    if text is None:
        return None
    return text.strip().lower() in _UTC_ZONES | {"0"}


def typed_sites(ctx, stmt) -> list[tuple[ColumnSite, str]]:
    """``(site, base type)`` for :func:`hygiene_sites`, computed once per statement and
    shared by the type-hygiene rules (kept on the file context)."""
    if stmt.kind not in ("CreateStmt", "AlterTableStmt"):
        return []
    cache = ctx.__dict__.get("_typed_sites")
    if cache is None:
        cache = ctx.__dict__["_typed_sites"] = {}
    got = cache.get(id(stmt))
    if got is None:
        got = cache[id(stmt)] = [(s, names.base_type(s.type_name)) for s in hygiene_sites(stmt)]
    return got


def typed_columns(ctx, stmt, bases) -> Iterator[tuple[ColumnSite, str, str, tuple[int, int] | None]]:
    """The columns a type-hygiene rule judges: ``(site, base type, table, at)`` for each of
    :func:`typed_sites` whose base type is in ``bases``, in statement order. ``table`` is
    the :func:`~linter.pg.names.relation` of the site's table; ``at`` the original-text
    ``(start, end)`` of its type (:func:`type_offsets`) where a fix may rewrite it, ``None``
    for ``ALTER COLUMN … TYPE`` (the type is the change itself) or where it is unknown."""
    for site, base in typed_sites(ctx, stmt):
        if base in bases:
            at = type_offsets(stmt, site.type_name) if site.how != "type" else None
            yield site, base, names.relation(site.table), at


def type_violation(ctx, stmt, site: ColumnSite, table: str, message: str, help: str, fix=None, **properties):
    """The finding of a type-hygiene rule on ``site`` (a column of ``table``): placed on its
    type as written (:func:`type_where`), with ``table`` and ``column`` properties (and
    ``properties``)."""
    return ctx.violation(
        type_where(ctx, stmt, site.type_name),
        message,
        help=help,
        fix=fix,
        table=table,
        column=site.name,
        **properties,
    )


def _not_null_columns(st, table: str) -> tuple[set[str], set[str]]:
    """``(made NOT NULL, allowing NULLs)``: columns of ``table`` that statement ``st``
    creates or alters, by what it says of their nullability."""
    sure, loose = set(), set()
    kind = st.kind
    if kind not in ("CreateStmt", "AlterTableStmt") or names.table_key(st.body.get("relation")) != table:
        return sure, loose
    for site in column_sites(st):
        if site.how == "type":
            continue
        kinds = {c.get("Constraint", {}).get("contype") for c in site.coldef.get("constraints", ()) or ()}
        # serial and identity columns are NOT NULL implicitly ("8.1.4. Serial Types", CREATE TABLE)
        implicit = names.base_type(site.coldef.get("typeName")) in rewrites.SERIAL_TYPES
        (sure if implicit or kinds & {"CONSTR_NOTNULL", "CONSTR_PRIMARY", "CONSTR_IDENTITY"} else loose).add(site.name)
    if kind == "CreateStmt":
        for elt in st.body.get("tableElts", ()) or ():
            con = elt.get("Constraint", {})
            if con.get("contype") == "CONSTR_PRIMARY":
                sure.update(names.strings(con.get("keys")))
        return sure, loose
    for cmd in alter_cmds(st, "AT_SetNotNull", "AT_DropNotNull"):
        (sure if cmd["subtype"] == "AT_SetNotNull" else loose).add(cmd.get("name", ""))
    return sure, loose


def _not_null_state(ctx, stmt, table: str) -> dict[str, bool]:
    """``{column: NOT NULL}`` for the columns of ``table`` (a table key) whose nullability
    the file states before ``stmt`` (same up/down section); a validated ``CHECK (col IS NOT
    NULL)`` counts as NOT NULL from PG 12 (SET NOT NULL then skips its scan)."""
    state: dict[str, bool] = {}
    for st in ctx.source.statements:
        if st.index >= stmt.index:
            break
        if st.section is not stmt.section:
            continue
        sure, loose = _not_null_columns(st, table)
        for c in loose:
            state[c] = False
        for c in sure:
            state[c] = True
    if ctx.pg_version >= 12:
        for c in validated_not_null_checks(ctx, stmt, table):
            state[c] = True
    return state


def index_keys(ctx, stmt, table: str, index: str) -> list[str] | None:
    """The key columns of ``CREATE [UNIQUE] INDEX index ON table (…)`` earlier in the file,
    ``None`` when the file does not create it there (or a key is an expression)."""
    keys = None
    for st in ctx.source.statements:
        if st.index >= stmt.index:
            break
        if st.kind == "IndexStmt" and st.body.get("idxname") == index and names.table_key(st.body.get("relation")) == table:
            keys = [p.get("IndexElem", {}).get("name") for p in st.body.get("indexParams", ()) or ()]
    return None if not keys or None in keys else keys


def columns_nullable(ctx, stmt, table: str, cols: list[str]) -> bool | None:
    """True when one of ``cols`` of ``table`` is known to allow NULLs before ``stmt`` (the
    file creates it without NOT NULL and does not make it NOT NULL), False when all are
    known NOT NULL, ``None`` when the file does not say (a column from another file)."""
    state = _not_null_state(ctx, stmt, table)
    known = [state.get(c) for c in cols]
    if any(v is False for v in known):
        return True
    return False if all(known) else None


def index_key_nullable(ctx, stmt, table: str, index: str) -> bool | None:
    """For ``ADD PRIMARY KEY USING INDEX index`` on ``table`` (a table key):
    :func:`columns_nullable` of the index's key columns (``None`` when the index comes
    from another file). PostgreSQL sets nullable key columns NOT NULL, with a scan of the
    table under ACCESS EXCLUSIVE (checked on a real server, tests/test_columns_pg.py)."""
    keys = index_keys(ctx, stmt, table, index)
    return None if keys is None else columns_nullable(ctx, stmt, table, keys)


def validated_not_null_checks(ctx, stmt, table: str) -> set[str]:
    """Columns of ``table`` with a ``CHECK (col IS NOT NULL)`` added before ``stmt`` in the
    file and validated (added without NOT VALID, or VALIDATEd later): SET NOT NULL and
    ADD PRIMARY KEY USING INDEX skip their scan for them (PG 12+)."""
    pending: dict[str, str] = {}
    valid: set[str] = set()
    for st in ctx.source.statements:
        if st.index >= stmt.index:
            break
        if st.kind != "AlterTableStmt" or names.table_key(st.body.get("relation")) != table:
            continue
        for cmd in alter_cmds(st, "AT_AddConstraint", "AT_ValidateConstraint"):
            if cmd["subtype"] == "AT_ValidateConstraint":
                col = pending.pop(cmd.get("name", ""), None)
                if col:
                    valid.add(col)
                continue
            con = cmd.get("def", {}).get("Constraint", {})
            test = con.get("raw_expr", {}).get("NullTest", {})
            if con.get("contype") != "CONSTR_CHECK" or test.get("nulltesttype") != "IS_NOT_NULL":
                continue
            col = (names.strings(test.get("arg", {}).get("ColumnRef", {}).get("fields")) or [""])[-1]
            if con.get("skip_validation"):
                pending[con.get("conname") or ""] = col
            else:
                valid.add(col)
    return valid


def foreign_keys_added(ctx, stmt, table: str) -> dict[str, dict]:
    """``{constraint name: referenced RangeVar}`` of the named foreign keys the file adds to
    ``table`` (a table key) before ``stmt``, in CREATE TABLE or ALTER TABLE."""
    out: dict[str, dict] = {}
    for st in ctx.source.statements:
        if st.index >= stmt.index:
            break
        if st.kind not in ("CreateStmt", "AlterTableStmt") or names.table_key(st.body.get("relation")) != table:
            continue
        if st.kind == "CreateStmt":
            cons = [e.get("Constraint", {}) for e in st.body.get("tableElts", ()) or ()]
            for e in st.body.get("tableElts", ()) or ():
                cons += [c.get("Constraint", {}) for c in e.get("ColumnDef", {}).get("constraints", ()) or ()]
        else:
            cons = [c.get("def", {}).get("Constraint", {}) for c in alter_cmds(st, "AT_AddConstraint")]
        for con in cons:
            if con.get("contype") == "CONSTR_FOREIGN" and con.get("conname") and con.get("pktable"):
                out[con["conname"]] = con["pktable"]
    return out
