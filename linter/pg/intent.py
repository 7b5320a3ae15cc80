"""What a migration's data changes are for: the data-migration patterns that must run as
written. ``ctx.pg.intent`` in a check (:class:`Intent`, built once per file on first use).

The lock rules (``slow-statement-after-access-exclusive``, ``backfill-in-ddl-transaction``,
``missing-statement-timeout``) and ``drop-table`` ask these questions; the answers are
facts about the file, kept here in one place:

* **Backfill-then-constrain** (:meth:`Intent.prepares`): an ``UPDATE``/``DELETE`` of table
  ``T`` (or an ``INSERT … SELECT`` reading ``T``) whose ``WHERE`` names a column that a
  later statement of the *same transaction* constrains: ``SET NOT NULL``, ``ADD
  CONSTRAINT`` (UNIQUE, PRIMARY KEY, CHECK, FOREIGN KEY, EXCLUDE), ``CREATE UNIQUE INDEX``
  or ``ALTER COLUMN … TYPE`` on ``T`` (``UPDATE t SET c = 0 WHERE c IS NULL`` before
  ``SET NOT NULL``; deleting duplicates before a unique index; mapping old enum values
  before the type swap), or drops (``UPDATE t SET skip = true WHERE legacy`` before ``DROP
  COLUMN legacy``). The write picks exactly the rows that statement needs changed, so it
  must commit with it: split apart, new NULLs or duplicates arrive in between and the
  constraint fails, or the column's data is gone before it was kept. Advice to move it to
  another migration would make the migration worse. A write whose ``WHERE`` does not name
  that column (``UPDATE t SET c = (SELECT …)`` for every row, then ``SET NOT NULL``; ``UPDATE
  t SET c = x.c FROM x`` before ``DROP TABLE x``) is a data migration of its own, and the
  rules still report it.
* **Copy-then-delete** (also :meth:`Intent.prepares`): rows of ``T`` copied into another
  table earlier in the same transaction, then deleted from ``T`` by a ``DELETE`` that reads
  the copy (``DELETE FROM t WHERE id IN (SELECT id FROM copy)``): committed apart, rows are
  lost or copied twice.
* **Copied out before the drop** (:meth:`Intent.copied_out`): for ``drop-table``, the
  statement earlier in the file (same section) that copied ``T``'s rows into another table
  (``INSERT INTO x SELECT … FROM t``, ``UPDATE x SET … FROM t``, ``CREATE TABLE x AS
  SELECT … FROM t``): the data is kept, dropping ``T`` is the intent. This also covers the
  ``x_new`` swap (``groups_new`` filled from ``groups``, ``groups`` dropped, ``groups_new``
  renamed into place).
* **One-off copy into a new table** (:meth:`Intent.one_off_copy`): ``INSERT INTO new_t
  SELECT … FROM src …`` where ``new_t`` was created by this file and every lock held that
  blocks writes is on ``src`` itself, the table whose rows are copied (the new table's
  foreign key to it took the lock); or a copy whose row source is a table this file
  created (empty) or a view this file created over one. Nothing else waits for it.
  A copy that keeps writes to *other* live tables blocked (new foreign keys to a busy
  table while a whole history is copied from a third) is not one-off.
* **Said unused** (:func:`comment_says_unused`): the ``--`` comment lines directly above a
  statement say that what it drops is not used any more (``-- this table is unused``,
  ``-- no longer used``, ``-- is not being used``, ``-- obsolete``): the author has answered
  in the file the question ``drop-table`` asks, where a reviewer sees and checks it. Only
  these words count, not ``legacy`` or ``old`` (a legacy table may well still be read).
* **Locks of a dropped table** (:func:`drops_table`): a lock taken by ``DROP TABLE``
  is on a table that is gone for every client once the transaction commits; whether
  anything still uses it is ``drop-table``'s question, not how long the migration holds it.

Columns are compared by name (the last part of a column reference), tables by
:func:`linter.pg.names.table_key`. Cost: nothing until a rule asks; then a pass over the
session's ALTER TABLE/CREATE INDEX steps once per file, and per question only the
statements it is about (a slow write, a DROP TABLE's earlier copies), whose WHERE columns
and read tables are collected on first use.
"""

from __future__ import annotations

import re
import weakref
from functools import cached_property

from linter import lazyre
from linter.pg import names, session
from linter.pg.tree import nodes

_WRITES = frozenset({"UpdateStmt", "DeleteStmt", "InsertStmt"})
_CONSTRAINT_KINDS = ("CONSTR_UNIQUE", "CONSTR_PRIMARY", "CONSTR_CHECK", "CONSTR_FOREIGN", "CONSTR_EXCLUSION", "CONSTR_NOTNULL")


def column_names(node) -> set[str]:
    """The column names (last part of each ``ColumnRef``) in a parse-tree fragment."""
    out: set[str] = set()
    for ref in nodes(node, "ColumnRef"):
        parts = names.strings(ref.get("fields"))
        if parts and parts[-1] != "*":
            out.add(parts[-1])
    return out


def primary_source(select: dict | None) -> str | None:
    """The table key whose rows a SELECT (its ``SelectStmt`` fields) returns one per row:
    the leftmost relation of its FROM clause, through sub-selects and the left side of
    INNER/LEFT joins (the right side of a RIGHT join). ``None`` when the FROM clause is
    empty, a UNION, a function, or a FULL join."""
    if not select:
        return None
    frm = select.get("fromClause") or ()
    if not frm:
        return None
    node = frm[0]
    while True:
        if "RangeVar" in node:
            return names.table_key(node)
        if "RangeSubselect" in node:
            sub = node["RangeSubselect"].get("subquery", {}).get("SelectStmt")
            if not sub or sub.get("op", "SETOP_NONE") != "SETOP_NONE":
                return None
            frm = sub.get("fromClause") or ()
            if not frm:
                return None
            node = frm[0]
            continue
        join = node.get("JoinExpr")
        if join is None:
            return None
        jt = join.get("jointype", "JOIN_INNER")
        if jt == "JOIN_FULL":
            return None
        node = join.get("rarg") if jt == "JOIN_RIGHT" else join.get("larg")
        if not node:
            return None


def _select_of(stmt) -> dict | None:
    """The SelectStmt fields an INSERT … SELECT or CREATE TABLE … AS reads, else ``None``."""
    if stmt.kind == "InsertStmt":
        sel = stmt.body.get("selectStmt", {}).get("SelectStmt")
        return None if not sel or sel.get("valuesLists") else sel
    if stmt.kind == "CreateTableAsStmt":
        return stmt.body.get("query", {}).get("SelectStmt")
    return None


def _read_keys(node, ctes: set[str]) -> set[str]:
    return {k for k in (names.table_key(r) for r in session.reads_tables(node)) if k not in ctes}


def drops_table(stmt) -> bool:
    """True when ``stmt`` is a ``DROP TABLE``: the locks it takes are on a table that is
    gone for every client once its transaction commits (what the lock rules leave to
    ``drop-table``)."""
    return stmt.kind == "DropStmt" and stmt.body.get("removeType") == "OBJECT_TABLE"


#: Words of a comment saying that what the next statement drops is not used any more.
_UNUSED = lazyre.compile(r"\b(?:unused|not\s+(?:being\s+)?used|no\s+longer\s+(?:be\s+)?used|obsolete)\b", re.I)
#: A line that is a whole ``DROP TABLE …;`` statement (a comment may stand over several) or a
#: whole ``SET [LOCAL] name = value;`` (miglint's own lock_timeout fix goes there).
_DROP_TABLE_LINE = lazyre.compile(r"(?:drop\s+table\s[^;]*|set\s+(?:local\s+|session\s+)?\w+\s*(?:=|to)\s*[^;]*);\s*$", re.I)
#: How many lines directly above a statement :func:`comment_says_unused` reads.
_COMMENT_LINES = 8


def comment_says_unused(source, stmt) -> bool:
    """True when one of the ``--`` comment lines directly above ``stmt`` (up to
    :data:`_COMMENT_LINES`, no blank line between them and the statement; one-line ``DROP
    TABLE`` and ``SET`` statements between count as one block under the comment) says that what it
    drops is unused: ``unused``, ``not used``, ``not being used``, ``no longer used``,
    ``obsolete`` (case-insensitive). ``source`` is the file's :class:`~linter.source.Source`."""
    text = source.text
    end = text.rfind("\n", 0, stmt.start)  # the newline before the statement's line
    if end < 0 or text[end + 1 : stmt.start].strip():
        return False
    for _ in range(_COMMENT_LINES):
        if end <= 0:
            return False
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end].strip()
        if _DROP_TABLE_LINE.match(line):  # one comment over a block of DROP TABLEs
            end = start - 1
            continue
        if not line.startswith("--"):
            return False
        if _UNUSED.search(line):
            return True
        end = start - 1
    return False


class _Top:
    """A top-level statement in the place of a session step (only ``stmt`` is read)."""

    __slots__ = ("stmt",)

    def __init__(self, stmt) -> None:
        self.stmt = stmt


class _Write:
    """A data change of the file: ``target`` (table key written), and, found on first use,
    :attr:`where` (column names its WHERE names) and :attr:`reads` (tables read, CTE names
    left out)."""

    __slots__ = ("step", "target", "_where_node", "_node", "_ctes", "_where", "_reads")

    def __init__(self, step, target: str, where_node, node, ctes) -> None:
        self.step, self.target = step, target
        self._where_node, self._node, self._ctes = where_node, node, ctes
        self._where = self._reads = None

    @property
    def where(self) -> set[str]:
        if self._where is None:
            self._where = column_names(self._where_node) if self._where_node else set()
        return self._where

    @property
    def reads(self) -> set[str]:
        if self._reads is None:
            self._reads = _read_keys(self._node, self._ctes())
        return self._reads


def _write_of(step) -> _Write | None:
    """The :class:`_Write` of an UPDATE, DELETE, INSERT … SELECT or CREATE TABLE … AS."""
    stmt = step.stmt
    kind, body = stmt.kind, stmt.body
    if kind == "CreateTableAsStmt":
        sel = _select_of(stmt)
        if not sel or body.get("objtype") == "OBJECT_MATVIEW":
            return None
        into = body.get("into", {})
        target = names.table_key(into.get("IntoClause", into).get("rel"))
        return _Write(step, target, sel.get("whereClause"), sel, lambda: session.cte_names(sel))
    target = names.table_key(body.get("relation"))
    if kind == "InsertStmt":
        sel = _select_of(stmt)
        if sel is None:
            return None
        return _Write(step, target, sel.get("whereClause"), sel, lambda: session.cte_names(body) | session.cte_names(sel))
    node = [body.get("fromClause"), body.get("usingClause"), body.get("whereClause"), body.get("targetList")]
    return _Write(step, target, body.get("whereClause"), node, lambda: session.cte_names(body))


def _constrains(stmt) -> list[tuple[str, str, set[str]]]:
    """``[(table key, what, columns)]`` a statement constrains or removes: ``what`` is
    ``"constrain"`` (SET NOT NULL, ADD CONSTRAINT, ALTER COLUMN TYPE, CREATE UNIQUE INDEX)
    or ``"drop"`` (DROP COLUMN)."""
    kind, body = stmt.kind, stmt.body
    out = []
    if kind == "AlterTableStmt" and body.get("objtype") == "OBJECT_TABLE":
        table = names.table_key(body.get("relation"))
        for item in body.get("cmds", ()):
            cmd = item.get("AlterTableCmd", {})
            sub = cmd.get("subtype")
            if sub in ("AT_SetNotNull", "AT_AlterColumnType"):
                out.append((table, "constrain", {cmd.get("name", "")}))
            elif sub == "AT_DropColumn":
                out.append((table, "drop", {cmd.get("name", "")}))
            elif sub == "AT_AddConstraint":
                con = cmd.get("def", {}).get("Constraint", {})
                if con.get("contype") in _CONSTRAINT_KINDS:
                    cols = set(names.strings(con.get("keys"))) | set(names.strings(con.get("fk_attrs")))
                    cols |= column_names(con.get("raw_expr")) | column_names(con.get("exclusions"))
                    out.append((table, "constrain", cols))
    elif kind == "IndexStmt" and body.get("unique"):
        cols = set()
        for p in body.get("indexParams", ()):
            e = p.get("IndexElem", {})
            if e.get("name"):
                cols.add(e["name"])
            cols |= column_names(e.get("expr"))
        out.append((names.table_key(body.get("relation")), "constrain", cols))
    return out


class Intent:
    """The data-migration patterns of one file (see the module doc). ``pg`` is ``ctx.pg``."""

    def __init__(self, pg, source) -> None:
        # a proxy: the FileAnalysis caches this object, and a strong reference back would make
        # a reference cycle that keeps the file's parse tree alive until the cyclic collector runs
        self._pg = weakref.proxy(pg)
        self._source = source
        self._prepared: dict[int, str | None] = {}
        self._texts: dict[int, str] = {}  # id(statement) -> its lower-cased text (copied_out)

    @cached_property
    def _later(self) -> list[tuple[object, list]]:
        """``[(step, _constrains(step))]`` of the statements in a transaction that constrain
        or drop columns (ALTER TABLE, CREATE UNIQUE INDEX), in the order they run."""
        out = []
        for step in self._pg.session.steps:
            if step.tx is not None and step.stmt.kind in ("AlterTableStmt", "IndexStmt"):
                c = _constrains(step.stmt)
                if c:
                    out.append((step, c))
        return out

    def prepares(self, step) -> str | None:
        """Why ``step`` (a :class:`~linter.pg.session.Step`) must commit together with a
        later statement of its transaction (backfill-then-constrain, copy-then-delete), as
        a clause (``it prepares "t" for the constraint on line 9``); ``None`` otherwise."""
        if step.tx is None or step.stmt.kind not in _WRITES:
            return None
        cache = self._prepared
        key = id(step)
        if key not in cache:
            cache[key] = self._why(step)
        return cache[key]

    def _why(self, step) -> str | None:
        """:meth:`prepares`, uncached."""
        tx, pos = step.tx, step.pos
        w = None
        position = self._source.index.position
        for st, cons in self._later:
            if st.tx != tx or st.pos <= pos:
                continue
            if w is None:
                w = _write_of(step)
                if w is None or not w.where:
                    break
            for table, what, cols in cons:
                if w.where & cols and (table == w.target or table in w.reads):
                    line = position(st.stmt.start).line
                    return (f'it prepares "{table}" for the constraint on line {line}' if what == "constrain"
                            else f'it keeps the data of the "{table}" column that line {line} drops')
        if step.stmt.kind != "DeleteStmt":
            return None
        w = w or _write_of(step)
        if w is None:
            return None
        for prev in self._pg.session.steps[:pos]:  # a copy into another table earlier in the transaction
            if prev.tx != tx or prev.stmt.kind not in ("InsertStmt", "UpdateStmt", "CreateTableAsStmt"):
                continue
            c = _write_of(prev)
            if c is not None and c.target != w.target and c.target in w.reads and w.target in c.reads:
                line = position(prev.stmt.start).line
                return f'it deletes rows of "{w.target}" copied into "{c.target}" on line {line}'
        return None

    @cached_property
    def _top_copies(self) -> list[_Write]:
        """The file's top-level writes that may copy rows (INSERT … SELECT, UPDATE, CREATE
        TABLE … AS), in file order; read from the statements, not the session walk (which
        ``drop-table`` alone, on a schema dump, does not need)."""
        out = []
        for st in self._source.statements:
            if st.kind in ("InsertStmt", "UpdateStmt", "CreateTableAsStmt"):
                w = _write_of(_Top(st))
                if w is not None:
                    out.append(w)
        return out

    def copied_out(self, stmt, key: str):
        """The top-level statement earlier in the file, in ``stmt``'s section, that copied
        rows of table ``key`` into another table (INSERT … SELECT, UPDATE … FROM, CREATE
        TABLE … AS), or ``None``."""
        texts = self._texts
        for w in self._top_copies:
            st = w.step.stmt
            if st.index >= stmt.index:
                break
            if w.target == key or st.section is not stmt.section:
                continue
            text = texts.get(id(st))
            if text is None:
                text = texts[id(st)] = st.text.lower()
            if key.lower() in text and key in w.reads:  # the name in the text first: no tree walk for most
                return st
        return None

    def one_off_copy(self, step, held) -> bool:
        """True when ``step`` is an ``INSERT … SELECT`` into a table this file created whose
        row source is the only table ``held`` (the :class:`~linter.pg.session.Held` locks
        that block writes) are on, or is itself empty (created by this file, or a view this
        file created over such a table)."""
        stmt = step.stmt
        if stmt.kind not in ("InsertStmt", "CreateTableAsStmt"):
            return False
        src = primary_source(_select_of(stmt))
        if src is None:
            return False
        if self._empty(src, stmt):
            return True
        if stmt.kind != "InsertStmt" or not self._pg.is_new_table(stmt.body.get("relation"), stmt):
            return False
        return all(names.relation_key(h.effect.relation) == src for h in held)

    def _empty(self, key: str, stmt, depth: int = 0) -> bool:
        """True when relation ``key`` is a table this file created before ``stmt`` or a view
        it created over one (its row source, :func:`primary_source`)."""
        if self._pg.is_new_table(key, stmt):
            return True
        view = self._views.get(key)
        if view is None or depth > 3 or view.index >= stmt.index:
            return False
        src = primary_source(view.body.get("query", {}).get("SelectStmt"))
        return src is not None and self._empty(src, view, depth + 1)

    @cached_property
    def _views(self) -> dict:
        """``{view key: its ViewStmt}`` of the file's top-level CREATE VIEWs."""
        return {names.table_key(st.body.get("view")): st for st in self._source.statements if st.kind == "ViewStmt"}
