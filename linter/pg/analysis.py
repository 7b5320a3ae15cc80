"""Per-file PostgreSQL analysis that rules share: ``ctx.pg`` in a check.

Built lazily, once per file, on the first rule that asks. Shapes:

* ``ctx.pg.transaction``: :class:`~linter.pg.transactions.ToolTransaction` (how the tool
  runs the file);
* ``ctx.pg.in_transaction(stmt)``: bool, for top-level and nested statements;
* ``ctx.pg.transaction_problems``: nested/unclosed BEGIN and COMMIT misuse;
* ``ctx.pg.same_transaction(a, b)``: both run in one transaction; ``ctx.pg.explicit_begin(stmt)``:
  the file's own BEGIN whose block holds ``stmt``; ``ctx.pg.transaction_context(stmt)``:
  ``(why, way_out)`` for help texts when ``stmt`` runs in a transaction;
* ``ctx.pg.is_new_table(rangevar, stmt)``: the table was created earlier in this file (or
  by an earlier step of the same ory popx migration);
* ``ctx.pg.locks(stmt)``: :func:`linter.pg.locks.effects` for the run's ``pg_version``;
* ``ctx.pg.settings_before(stmt)``: ``{setting name: statement}`` of ``SET``/``SET LOCAL``
  statements before ``stmt`` (``lock_timeout``, ``statement_timeout`` …);
* ``ctx.pg.session``: :class:`~linter.pg.session.Session`, the file as PostgreSQL runs it:
  per statement its transaction, the settings in effect (SET LOCAL, RESET, set_config,
  per up/down section) and the locks its transaction already holds.
* ``ctx.pg.intent``: :class:`~linter.pg.intent.Intent`, what the file's data changes are
  for (backfill-then-constrain, copy-then-remove, rows copied out before a DROP TABLE).
* ``ctx.pg.idempotency``: :class:`~linter.pg.idempotency.FileFacts` (objects created and
  dropped earlier in the file, PL/pgSQL guards around DO-block statements).
* ``ctx.pg.memo``: a dict where helpers of :mod:`linter.pg` keep per-statement answers
  that several rules ask for (:func:`linter.pg.columns.table_alter`).
"""

from __future__ import annotations

from linter.model import Convention, Direction, cached_property
from linter.pg import locks, names, objects, transactions

#: Modules of linter.pg this one uses lazily (they import this one's users, or a file
#: rarely needs them): imported on first use and kept here, as an import statement run
#: per file or statement costs ~2 us (:func:`_lazy`).
_LAZY: dict = {}


def _lazy(name: str):
    """The module ``linter.pg.<name>``, imported on first use."""
    mod = _LAZY.get(name)
    if mod is None:
        import importlib

        mod = _LAZY[name] = importlib.import_module("linter.pg." + name)
    return mod

#: Transaction statements that end one transaction or start another.
_BOUNDARIES = frozenset({
    "TRANS_STMT_BEGIN", "TRANS_STMT_START", "TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK",
    "TRANS_STMT_PREPARE", "TRANS_STMT_COMMIT_PREPARED", "TRANS_STMT_ROLLBACK_PREPARED",
})


def _needs_facts(body: dict) -> bool:
    """True when an ALTER TABLE (its body) has a subcommand whose cost depends on the rest of
    the file: ALTER COLUMN … TYPE, VALIDATE CONSTRAINT, ADD … USING INDEX. Cheap: it runs
    for every ALTER TABLE."""
    if body.get("objtype") != "OBJECT_TABLE":
        return False
    for item in body.get("cmds", ()):
        cmd = item["AlterTableCmd"]
        sub = cmd.get("subtype")
        if sub == "AT_AlterColumnType" or sub == "AT_ValidateConstraint":
            return True
        if sub == "AT_AddConstraint" and "indexname" in cmd.get("def", {}).get("Constraint", ()):
            return True
    return False


class FileAnalysis:
    """Shared facts about one parsed file (see the module doc)."""

    def __init__(self, ctx) -> None:
        self._ctx = ctx
        self._source = ctx.source
        self.pg_version = ctx.pg_version
        self._locks: dict[int, list] = {}
        #: answers of the helpers several rules ask with the same arguments about one
        #: statement (``{(helper name, id(statement), argument …): answer}``, e.g.
        #: :func:`linter.pg.columns.table_alter`); statements live as long as the file
        self.memo: dict[tuple, object] = {}

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
        flags, wrapped = self._flags
        return flags.get(id(stmt), wrapped)

    @cached_property
    def _flags(self) -> tuple[dict[int, bool], bool]:
        """``({id(stmt): in a transaction}, the tool's default)`` for :meth:`in_transaction`."""
        return self._tx[0], self.transaction.wrapped

    def explicit_begin(self, stmt):
        """The file's own ``BEGIN``/``START TRANSACTION`` whose block holds ``stmt`` (top
        level, or the DO block's), or ``None``."""
        begin = None
        for st in self._top:
            if st.index >= stmt.index:
                break
            if st.kind == "TransactionStmt":
                k = st.body.get("kind", "")
                if k in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                    begin = begin or st
                elif k in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
                    begin = None
        return begin

    def transaction_context(self, stmt, *, made_concurrent: bool = False) -> tuple[str, str] | None:
        """``(why, way_out)`` when ``stmt`` runs inside a transaction block: why it does
        (the tool and its marker, the file's BEGIN, or the DO block / function around it)
        and how to run it outside one with this file's tool; ``None`` when it does not.
        ``made_concurrent``: judge ``stmt`` as it will be once CONCURRENTLY is added (a
        Flyway script holding only it then runs outside a transaction)."""
        if stmt.parent is not None:
            where = "a DO block" if stmt.parent.kind == "DoStmt" else "a function body"
            return (f"it is inside {where}, which runs in the transaction of the statement that runs it",
                    "Run it as a top-level statement instead.")
        tx = self.transaction
        flags = self._tx[0]
        if made_concurrent and self._ctx.file.convention is Convention.FLYWAY:
            overrides = getattr(self._ctx.config, "transactions", {}) or {}
            tx = transactions.tool_transaction(self._ctx.file, self._source, overrides, made_concurrent=stmt)
            flags = transactions.statement_flags(self._top, tx)[0]
        if not flags.get(id(stmt), tx.wrapped):
            return None
        begin = self.explicit_begin(stmt)
        if begin is not None and not tx.wrapped:
            line = self._source.index.position(begin.start).line
            return (f"it follows the BEGIN on line {line}", transactions.way_out(self._ctx.file, tx, stmt, explicit=True))
        return (tx.why, transactions.way_out(self._ctx.file, tx, stmt, pg_version=self.pg_version, made_concurrent=made_concurrent))

    def same_transaction(self, a, b) -> bool:
        """True when statements ``a`` and ``b`` (``a`` first) run in one transaction: both
        in a transaction and no BEGIN/COMMIT/ROLLBACK between them (statements of one DO
        block or function body share its transaction)."""
        if not (self.in_transaction(a) and self.in_transaction(b)):
            return False
        for st in self._top:
            if a.index < st.index < b.index and st.kind == "TransactionStmt" and st.body.get("kind", "") in _BOUNDARIES:
                return False
        return True

    @cached_property
    def _created(self) -> dict[str, int]:
        return objects.created_tables(self._top)

    def is_new_table(self, rv: dict | str | None, stmt) -> bool:
        """True when the table ``rv`` (RangeVar dict or name) was created earlier in this file,
        in the same up/down section (a down section runs long after the up section that
        created the table, against a table in use: it is not new there); also renamed
        into place after being created in the file (:func:`linter.pg.objects.created_tables`)
        and, in an ory popx step file, created by an earlier step of the same migration
        (:func:`linter.pg.objects.popx_unit_tables`). A ``DROP TABLE IF EXISTS`` of a name the
        file creates only later, as a TEMPORARY table, is new too: it clears that scratch
        table (temporary tables live in the session's own schema, ahead of ``public`` on the
        search path)."""
        if not self.creates_tables:
            return False
        key = rv if isinstance(rv, str) else names.table_key(rv)
        if self._unit_tables and key in self._unit_tables and stmt.section is not Direction.DOWN:
            return True
        at = self._created.get(key)
        if at is not None and self._top[at].section is stmt.section:
            if at < stmt.index:
                return True
            if stmt.kind == "DropStmt" and stmt.body.get("missing_ok") and _is_temporary(self._top[at]):
                # DROP TABLE IF EXISTS x before CREATE TEMP TABLE x: it clears the scratch
                # table the file is about to make (openmeter 20260527120000), not a table in use
                return True
        # CREATE TABLE inside a DO block: new for later statements of that block, and after it
        for index, start in self._created_in_do.get(key, ()):
            if self._top[index].section is not stmt.section:
                continue
            if index < stmt.index or (index == stmt.index and stmt.parent is not None and start < stmt.start):
                return True
        return False

    @cached_property
    def creates_tables(self) -> bool:
        """True when the file creates a table (top level or in a DO block), or is a popx
        step whose earlier steps did; when it does not, :meth:`is_new_table` is False for
        every table."""
        return bool(self._created or self._created_in_do or self._unit_tables)

    @cached_property
    def _unit_tables(self) -> frozenset[str]:
        """Tables the earlier steps of this popx step group created (empty for other files)."""
        file = self._ctx.file
        if file.direction is not Direction.UP or not transactions.is_popx(file):
            return frozenset()
        return objects.popx_unit_tables(file.abspath)

    @cached_property
    def _created_in_do(self) -> dict[str, list[tuple[int, int]]]:
        """``{table key: [(index of the DO block, offset of the CREATE TABLE)]}``; the bodies
        of functions the file calls count as DO blocks (:func:`linter.pg.dynamic.runs_in_migration`),
        and so do the ``EXECUTE``d CREATE TABLEs whose name is written out (a table named at
        run time is never new: it may be any table)."""
        out: dict[str, list[tuple[int, int]]] = {}
        if not any(st.kind in ("DoStmt", "CreateFunctionStmt") for st in self._top):
            return out  # most files: no PL/pgSQL body
        dynamic = _lazy("dynamic")
        for st in self._top:
            if st.kind == "DoStmt" or (st.kind == "CreateFunctionStmt" and dynamic.runs_in_migration(st)):
                for nested in (*self._source.embedded(st), *self._source.dynamic(st)):
                    if nested.kind == "CreateStmt":
                        key = names.table_key(nested.body.get("relation"))
                        if dynamic.SENTINEL not in key:
                            out.setdefault(key, []).append((st.index, nested.start))
        return out

    @cached_property
    def idempotency(self):
        """What the idempotency rules share (:class:`linter.pg.idempotency.FileFacts`)."""
        return _lazy("idempotency").FileFacts(self._ctx)

    def locks(self, stmt) -> list[locks.LockEffect]:
        """The table-level locks ``stmt`` takes (see :mod:`linter.pg.locks`); computed once
        per statement, however many rules ask."""
        cache = self._locks
        key = id(stmt)
        hit = cache.get(key)
        if hit is None:
            facts = self._alter_facts(stmt) if stmt.kind == "AlterTableStmt" and _needs_facts(stmt.body) else None
            hit = cache[key] = locks.effects(stmt, self.pg_version, facts)
        return hit

    def _alter_facts(self, stmt) -> locks.AlterFacts | None:
        """What the file says that changes an ALTER TABLE's cost (:class:`locks.AlterFacts`):
        old column types and the session TimeZone for ``ALTER COLUMN … TYPE``, foreign keys
        for ``VALIDATE CONSTRAINT``, nullable key columns for ``ADD PRIMARY KEY USING
        INDEX`` (:func:`_needs_facts` says whether one is there)."""
        cmds = [c.get("AlterTableCmd", {}) for c in stmt.body.get("cmds", ())]
        subs = {c.get("subtype") for c in cmds}
        pk_using = [c for c in cmds if c.get("subtype") == "AT_AddConstraint"
                    and c.get("def", {}).get("Constraint", {}).get("contype") == "CONSTR_PRIMARY"
                    and c.get("def", {}).get("Constraint", {}).get("indexname")]
        columns = _lazy("columns")
        table = names.table_key(stmt.body.get("relation"))
        old_types, utc, fks, nullable = {}, None, {}, set()
        if "AT_AlterColumnType" in subs:
            hist = columns.history(self._ctx)
            for c in cmds:
                if c.get("subtype") == "AT_AlterColumnType":
                    old_types[c.get("name", "")] = hist.column_type(stmt, table, c.get("name", ""))
            utc = columns.session_is_utc(self._ctx, stmt)
        if "AT_ValidateConstraint" in subs:
            fks = columns.foreign_keys_added(self._ctx, stmt, table)
        for c in pk_using:
            index = c["def"]["Constraint"]["indexname"]
            if columns.index_key_nullable(self._ctx, stmt, table, index):
                nullable.add(index)
        return locks.AlterFacts(old_types, utc, fks, frozenset(nullable))

    @cached_property
    def session(self):
        """The file as PostgreSQL runs it (:func:`linter.pg.session.walk`)."""
        return _lazy("session").walk(self, self._source)

    @cached_property
    def intent(self):
        """What the file's data changes are for (:class:`linter.pg.intent.Intent`)."""
        return _lazy("intent").Intent(self, self._source)

    @cached_property
    def _top_sets(self) -> dict[str, list[tuple[int, object]]]:
        """``{setting name: [(statement index, SET statement)]}`` of top-level SETs, in order."""
        out: dict[str, list[tuple[int, object]]] = {}
        for st in self._top:
            if st.kind == "VariableSetStmt" and st.body.get("name"):
                out.setdefault(st.body["name"].lower(), []).append((st.index, st))
        return out

    def setting_before(self, name: str, stmt):
        """The last top-level ``SET name …`` before ``stmt`` (what :meth:`settings_before`
        gives for ``name``), or ``None``; indexed once per file."""
        found = None
        for index, st in self._top_sets.get(name, ()):
            if index >= stmt.index:
                break
            found = st
        return found

    def settings_before(self, stmt) -> dict[str, object]:
        """``{name: SET statement}`` for settings set before ``stmt`` at top level."""
        out: dict[str, object] = {}
        for st in self._top:
            if st.index >= stmt.index:
                break
            if st.kind == "VariableSetStmt" and st.body.get("name"):
                out[st.body["name"].lower()] = st
        return out


def _is_temporary(st) -> bool:
    """True when ``st`` (a CREATE TABLE or CREATE TABLE AS statement) makes a TEMPORARY table."""
    body = st.body
    rv = body.get("relation") if st.kind == "CreateStmt" else body.get("into", {}).get("IntoClause", body.get("into", {})).get("rel")
    return (rv or {}).get("relpersistence") == "t"
