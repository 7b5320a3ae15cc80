"""A migration file as PostgreSQL runs it: per statement, the transaction it is in, the
settings in effect (``lock_timeout``, ``statement_timeout`` …) and the locks its
transaction already holds. ``ctx.pg.session`` in a check.

What PostgreSQL does, and where the documentation says so:

* Locks are held until the transaction ends ("13.3. Explicit Locking": "Once acquired, a
  lock is normally held until the end of the transaction"); a statement that autocommits
  releases its locks when it ends.
* ``SET`` lasts for the session, ``SET LOCAL`` until the end of the transaction, and
  ``SET LOCAL`` outside a transaction block has no effect (PostgreSQL warns "SET LOCAL can
  only be used in transaction blocks"); ``ROLLBACK`` undoes the ``SET`` s of its
  transaction; ``RESET``/``SET … TO DEFAULT`` return to the default; ``set_config(name,
  value, is_local)`` is the function form ("SET", "9.28.1. Configuration Settings
  Functions"). ``lock_timeout = 0`` / ``statement_timeout = 0`` turn the timeout off
  ("20.11.1. Statement Behavior"). ``ALTER ROLE … SET`` / ``ALTER DATABASE … SET`` change
  the default for *new* sessions only ("ALTER ROLE": "the new value becomes the session
  default … whenever the role subsequently starts a new session").
* Each up/down section of a file (dbmate, goose) runs on its own, so each starts afresh.
* A ``DO`` block's statements run as part of it, in its transaction; statements in a
  ``CREATE FUNCTION`` body only run when the function is called, not by the migration.

Static analysis: the settings a migration tool or the server configuration may apply
(``PGOPTIONS``, ``postgresql.conf``, a role default set earlier) are not visible here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from linter.model import fast_init
from linter.pg import locks, names, objects, rewrites, tokens
from linter.pg.tree import nodes

#: Timeout settings whose value 0 means "off" ("20.11.1. Statement Behavior").
TIMEOUTS = ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout", "transaction_timeout")


@dataclass(frozen=True)
class Setting:
    """A setting made by a statement of the file: ``name`` (lower case), ``value`` as
    written, the ``stmt`` that made it, ``local`` (SET LOCAL / set_config(…, true)) and
    ``off`` (a timeout set to 0)."""

    name: str
    value: str
    stmt: object
    local: bool = False
    off: bool = False


@fast_init
@dataclass(frozen=True, slots=True)
class Held:
    """A lock the current transaction holds: the :class:`~linter.pg.locks.LockEffect`,
    the ``stmt`` that took it, and ``new`` (the relation was created earlier in the file)."""

    effect: locks.LockEffect
    stmt: object
    new: bool


@dataclass(slots=True)
class Step:
    """One statement as it runs.

    ``stmt``; ``pos``: its index in :attr:`Session.steps`; ``run``: the index of the file
    section it is in (up and down sections run separately); ``tx``: the number of the
    transaction it runs in (``None`` when it autocommits); ``settings``: ``{name:
    Setting}`` in effect when it starts; ``held``: locks its transaction already holds
    (taken by earlier statements); ``effects``: the locks it takes
    (:func:`linter.pg.locks.effects`); ``new``: one flag per effect, True when that
    relation was created earlier in the file.

    The lists a step hands out are shared (with the per-statement lock cache and with the
    other steps of its transaction): read them, do not change them.
    """

    stmt: object
    pos: int
    run: int
    tx: int | None
    settings: dict[str, Setting]
    _held: list
    _n_held: int
    effects: list[locks.LockEffect]
    new: list[bool]
    _existing: list
    _blocking: list
    _n_blocking: int

    @property
    def held(self) -> list[Held]:
        """The locks its transaction already holds, oldest first."""
        return self._held[: self._n_held]

    @property
    def held_blocking_writes(self) -> list[Held]:
        """The held locks (see :attr:`held`) on relations that existed before the file and
        whose mode blocks writes (SHARE or stronger), oldest first."""
        return self._blocking[: self._n_blocking]

    def existing(self) -> list[locks.LockEffect]:
        """The effects on relations that existed before the file (not created by it)."""
        return self._existing

    def timeout(self, name: str) -> Setting | None:
        """The setting ``name`` in effect, unless it is absent or turned off."""
        s = self.settings.get(name)
        return s if s is not None and not s.off else None


@dataclass(frozen=True)
class Unapplied:
    """A statement that looks like it sets ``name`` but does not for this session:
    ``SET LOCAL`` outside a transaction, ``ALTER ROLE/DATABASE … SET``. ``pos``: the
    step index it is at; ``why``: a sentence."""

    pos: int
    run: int
    name: str
    stmt: object
    why: str


@dataclass
class Session:
    """:attr:`steps` (one :class:`Step` per statement run) and :attr:`unapplied`."""

    steps: list[Step] = field(default_factory=list)
    unapplied: list[Unapplied] = field(default_factory=list)

    def unapplied_before(self, step: Step, name: str) -> list[Unapplied]:
        """Unapplied settings of ``name`` earlier in ``step``'s run."""
        return [u for u in self.unapplied if u.name == name and u.run == step.run and u.pos < step.pos]


def relation_is_new(pg, effect: locks.LockEffect, stmt) -> bool:
    """True when ``effect``'s relation was created earlier in the file (``pg`` is
    ``ctx.pg``). Names without a parse node (DROP lists) compare by their last part."""
    if effect.node is not None:
        return pg.is_new_table(effect.node, stmt)
    if effect.relation.startswith("("):  # "(every table)"
        return False
    return pg.is_new_table(effect.relation.rsplit(".", 1)[-1], stmt)


_TX_END = ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE")


def walk(pg, source) -> Session:
    """The :class:`Session` of a file: a :class:`Step` for every statement the migration
    runs, in order (top-level ones, each ``DO`` block followed by the statements inside
    it and those its ``EXECUTE``s build, each statement that calls functions the file
    defines followed by their bodies', :mod:`linter.pg.dynamic`). ``pg`` is ``ctx.pg``."""
    out = Session()
    if source is None or source.error is not None:
        return out
    steps = out.steps
    run, section, tx_count = -1, None, 0
    current: int | None = None
    settings: dict[str, Setting] = {}
    before_tx: dict[str, Setting] = {}
    held: list[Held] = []
    blocking: list[Held] = []  # the Held of ``held`` on existing relations that block writes
    creates: bool | None = None  # whether the file creates a table (else no relation is new): asked once, when needed

    def add(st, tx) -> Step:
        nonlocal settings, creates
        effects = pg.locks(st)
        if not effects:
            new, existing = [], effects
        else:
            if creates is None:
                creates = pg.creates_tables
            new = [relation_is_new(pg, e, st) for e in effects] if creates else [False] * len(effects)
            existing = [e for e, n in zip(effects, new) if not n] if True in new else effects
        # settings are shared between steps and replaced, never changed, when a statement
        # changes them; the held lists grow in place and each step keeps their lengths
        step = Step(st, len(steps), run, tx, settings, held, len(held), effects, new, existing, blocking, len(blocking))
        steps.append(step)
        kind = st.kind
        if kind in _SETTING_KINDS:
            for name, value, local, reset in _settings_made(st):
                if name == "*":
                    settings = {}
                elif local and tx is None:
                    out.unapplied.append(Unapplied(step.pos, run, name, st, "SET LOCAL outside a transaction has no effect"))
                elif reset:
                    settings = {k: v for k, v in settings.items() if k != name}
                else:
                    settings = {**settings, name: Setting(name, value, st, local, name in TIMEOUTS and _is_zero(value))}
        elif kind in ("AlterRoleSetStmt", "AlterDatabaseSetStmt"):
            name = ((st.body.get("setstmt") or {}).get("name") or "").lower()
            if name:
                who = "ALTER ROLE … SET" if kind == "AlterRoleSetStmt" else "ALTER DATABASE … SET"
                out.unapplied.append(Unapplied(step.pos, run, name, st, f"{who} applies to new sessions only, not to this one"))
        if tx is not None and effects:
            for e, n in zip(effects, new):
                h = Held(e, st, n)
                held.append(h)
                if not n and e.mode.blocks_writes:
                    blocking.append(h)
        return step

    def open_tx() -> int:
        nonlocal tx_count, before_tx
        tx_count += 1
        before_tx = settings
        return tx_count

    def end_tx(rollback: bool = False) -> None:
        nonlocal current, settings, held, blocking
        settings = before_tx if rollback else {k: v for k, v in settings.items() if not v.local}
        held, blocking = [], []
        current = None

    # functions the file defines may be called by a later statement (their bodies then run there)
    calls = _dynamic().functions_run_by if any(st.kind == "CreateFunctionStmt" for st in source.statements) else None
    for st in source.statements:
        if st.section is not section:  # a new run of the tool: a new session
            section, run = st.section, run + 1
            current, settings, held, blocking = None, {}, [], []
        if st.kind == "TransactionStmt":
            k = st.body.get("kind", "")
            if k in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                if current is None:
                    current = open_tx()
                add(st, current)
                continue
            if k in _TX_END:
                add(st, current)
                if current is not None:
                    end_tx(rollback=k == "TRANS_STMT_ROLLBACK")
                continue
        inside = pg.in_transaction(st)
        if inside and current is None:
            current = open_tx()
        elif not inside and current is not None:
            end_tx()
        own = current is None and st.kind == "DoStmt"  # an autocommitted DO block is one transaction
        tx = open_tx() if own else current
        add(st, tx)
        if st.kind == "DoStmt":
            for sub in source.embedded(st):
                add(sub, tx)
            for sub in source.dynamic(st):  # the commands its EXECUTEs build
                add(sub, tx)
        for fn in calls(source, st) if calls else ():  # SELECT f(); the body runs here, in its transaction
            for sub in (*source.embedded(fn), *source.dynamic(fn)):
                add(sub, tx)
        if own:
            settings = {k: v for k, v in settings.items() if not v.local}
            held, blocking = [], []
    return out


#: Statement kinds :func:`_settings_made` finds settings in.
_SETTING_KINDS = frozenset({"VariableSetStmt", "SelectStmt"})


def _settings_made(st):
    """``(name, value, local, reset)`` for each setting ``st`` changes; name ``"*"`` for RESET ALL."""
    kind = st.kind
    if kind == "VariableSetStmt":
        b = st.body
        vk = b.get("kind", "")
        name = (b.get("name") or "").lower()
        if vk == "VAR_RESET_ALL":
            yield "*", "", False, True
        elif vk in ("VAR_SET_DEFAULT", "VAR_RESET") and name:
            yield name, "", bool(b.get("is_local")), True
        elif vk == "VAR_SET_VALUE" and name:
            yield name, _const_text(b.get("args")), bool(b.get("is_local")), False
    elif kind == "SelectStmt" and "set_config" in st.text.lower():
        for t in st.body.get("targetList") or ():
            fc = t.get("ResTarget", {}).get("val", {}).get("FuncCall")
            if not fc or (names.strings(fc.get("funcname")) or [""])[-1] != "set_config":
                continue
            args = fc.get("args") or []
            if len(args) != 3:
                continue
            name = _const_text([args[0]]).lower()
            local = args[2].get("A_Const", {}).get("boolval", {}).get("boolval", False)
            if name:
                yield name, _const_text([args[1]]), bool(local), False


def _const_text(args) -> str:
    """The text of a SET value list: ``'5s'`` -> ``5s``, ``5000`` -> ``5000``."""
    out = []
    for a in args or ():
        c = a.get("A_Const")
        if c is None:
            out.append("?")
            continue
        if "sval" in c:
            out.append(c["sval"].get("sval", ""))
        elif "ival" in c:
            out.append(str(c["ival"].get("ival", 0)))
        elif "fval" in c:
            out.append(c["fval"].get("fval", ""))
        elif "boolval" in c:
            out.append("true" if c["boolval"].get("boolval") else "false")
        else:
            out.append("")
    return ", ".join(out)


_ZERO = re.compile(r"^\s*0+(\.0*)?\s*(us|ms|s|min|h|d)?\s*$", re.I)


def _is_zero(value: str) -> bool:
    return bool(_ZERO.match(value))


# --------------------------------------------------------------------------- statement facts


def reads_tables(node) -> list[dict]:
    """Every RangeVar in a parse-tree fragment (FROM, USING, sub-selects), CTE names
    included (callers drop those)."""
    return list(nodes(node, "RangeVar"))


def cte_names(body: dict) -> set[str]:
    """Names the statement's WITH clause defines."""
    wc = body.get("withClause", {}).get("WithClause", body.get("withClause", {}))
    return {c.get("CommonTableExpr", {}).get("ctename", "") for c in wc.get("ctes", ()) or ()}


def data_change(pg, stmt) -> tuple[str, dict | None] | None:
    """``(statement form, target RangeVar)`` when ``stmt`` changes rows of a table that
    existed before the file, in an amount the file does not bound: UPDATE, DELETE, MERGE,
    or INSERT … SELECT reading a table. ``None`` otherwise (INSERT … VALUES, a SELECT, a
    statement on a table the file created, catalog surgery such as ``UPDATE pg_index``)."""
    kind = stmt.kind
    if kind not in ("UpdateStmt", "DeleteStmt", "InsertStmt", "MergeStmt"):
        return None
    body = stmt.body
    rv = body.get("relation")
    if rv is None or objects.is_system_catalog(rv) or pg.is_new_table(rv, stmt) or names.table_key(rv) in cte_names(body):
        return None
    if kind == "InsertStmt":
        sel = body.get("selectStmt", {}).get("SelectStmt")
        if not sel or sel.get("valuesLists"):
            return None
        ctes = cte_names(body) | cte_names(sel)
        sources = [r for r in reads_tables(sel.get("fromClause")) if names.table_key(r) not in ctes]
        if not sources:
            return None
        return "INSERT … SELECT", rv
    return {"UpdateStmt": "UPDATE", "DeleteStmt": "DELETE", "MergeStmt": "MERGE"}[kind], rv


# --------------------------------------------------------------------------- timeouts


def uncovered(session: Session, name: str, wants) -> list[tuple[Step, list]]:
    """Per run of the file, the first step for which ``wants(step)`` returns a non-empty
    list (of lock effects) while the timeout ``name`` is not in effect: ``[(step, what)]``."""
    out = []
    done: set[int] = set()
    for step in session.steps:
        if step.run in done:
            continue
        s = step.settings.get(name)
        if s is not None and not s.off:  # step.timeout(name) is not None
            continue
        what = wants(step)
        if what:
            out.append((step, what))
            done.add(step.run)
    return out


def unprotected(session: Session, name: str, wants) -> list[tuple[Step, list]]:
    """Every step for which ``wants(step)`` returns a non-empty list (of lock effects)
    while the timeout ``name`` is not in effect, in order: ``[(step, what)]``. The timeout
    rules report the first of each run (``step.run``) that no more specific finding covers
    (:mod:`linter.merge`); :func:`uncovered` is the first of each run."""
    out = []
    for step in session.steps:
        s = step.settings.get(name)
        if s is not None and not s.off:
            continue
        what = wants(step)
        if what:
            out.append((step, what))
    return out


def insert_setting(ctx, step: Step, name: str, value: str):
    """A fix that puts ``SET [LOCAL] name = 'value';`` just before ``step``'s statement
    (before the DO block for a statement inside one, before the statement that calls the
    function for one in a function body). SET LOCAL when the statement runs in a
    transaction (also PostgreSQL's implicit one around a multi-statement query) that lasts
    to the end of the run, so the setting ends with it. Plain SET otherwise: outside a
    transaction SET LOCAL does nothing (a WARNING), and when the file commits and goes on
    (:func:`session_set_needed`) it would end at that COMMIT; plain SET also covers the
    later statements of the migration (the rules report the first uncovered one); the
    rules' help asks for ``RESET name;`` at the end of the migration (checked in
    tests/test_fix_safety_pg.py). ``None`` when there is no safe place."""
    stmt = step.stmt if step.stmt.parent is None else step.stmt.parent
    where = "this statement"
    if stmt.kind == "CreateFunctionStmt":  # a called function's body runs at its call
        stmt = _dynamic().call_site(ctx.source, stmt)
        if stmt is None:
            return None
        where = f"the call on line {ctx.source.index.position(stmt.start).line}"
    text = ctx.source.text
    line_start = text.rfind("\n", 0, stmt.start) + 1
    indent = text[line_start:stmt.start]
    local = "" if session_set_needed(ctx, step) else "LOCAL "
    sql = tokens.in_file_case(ctx.source, f"SET {local}{name} = '{value}';")
    if not indent.strip():  # above an ignore comment right over it, which must stay next to it
        line_start = _above_ignore_comments(text, line_start)
    if indent.strip():
        return ctx.fix(stmt.start, stmt.start, sql + " ", f"Add `{sql}` before {where}")
    return ctx.fix(line_start, line_start, f"{indent}{sql}\n", f"Add `{sql}` before {where}")


def _dynamic():
    """:mod:`linter.pg.dynamic`, imported on first use (~6 ms of compiled patterns that a
    file without PL/pgSQL bodies never needs)."""
    from linter.pg import dynamic

    return dynamic


def set_statement(ctx, step: Step, name: str, value: str) -> tuple[str, str]:
    """``(statement, note)`` for a missing-timeout rule's help: ``SET LOCAL name =
    'value';``, or plain ``SET`` when :func:`session_set_needed` says so, with a note that
    says why and asks for ``RESET name;`` at the end of the migration (``""`` otherwise)."""
    plain = session_set_needed(ctx, step)
    sql = f"{'SET' if plain else 'SET LOCAL'} {name} = '{value}';"
    if not plain:
        return sql, ""
    return sql, (f" {plain}: use SET, and `RESET {name};` at the end of the migration so the setting does not "
                 "outlive it on the tool's connection.")


def session_set_needed(ctx, step: Step) -> str | None:
    """Why a timeout set for ``step`` must be a session setting (plain ``SET``) rather than
    ``SET LOCAL``, or ``None`` when ``SET LOCAL`` lasts as long as needed: the statement
    autocommits (SET LOCAL outside a transaction block does nothing, PostgreSQL only warns),
    or a later statement of its run (file section) runs outside its transaction (the file
    COMMITs and goes on, as ente's golang-migrate files with their own BEGIN … COMMIT blocks
    do), where SET LOCAL would end at that COMMIT and the rule report the next run."""
    if step.tx is None:
        return "It runs outside a transaction, where SET LOCAL does nothing"
    steps = ctx.pg.session.steps
    for i in range(step.pos + 1, len(steps)):  # not a slice: a copy of the rest of a long file per finding
        later = steps[i]
        if later.run != step.run:
            break
        if later.tx != step.tx:
            return "The file commits its transaction and goes on, so SET LOCAL would end at that COMMIT"
    return None


#: Comment lines a migration tool reads (section markers, file flags): a fix never goes above them.
_TOOL_COMMENT = re.compile(r"\s*--\s*(?:\+goose|migrate:|no-transaction|postgres-migrations|flyway:)", re.I)
#: An ignore comment of miglint, squawk, Atlas or diesel-guard (linter.suppress, linter.foreign_suppressions).
_IGNORE_COMMENT = re.compile(r"\s*--\s*(?:miglint:\s*ignore\b|squawk-ignore\b|atlas:nolint\b|safety-assured:)", re.I)


_LAST_TEXT: list = [None, False]  # (text, whether it may hold an ignore comment): the last file asked about


def _may_hold_ignore_comment(text: str) -> bool:
    """False when no line of ``text`` can match :data:`_IGNORE_COMMENT` (none of its
    words is in the text, in any case); answered once per file text."""
    if _LAST_TEXT[0] is not text:
        low = text.lower()
        _LAST_TEXT[:] = [text, "ignore" in low or "nolint" in low or "safety-assured" in low]
    return _LAST_TEXT[1]


def _above_ignore_comments(text: str, line_start: int) -> int:
    """Where a line inserted before the statement at ``line_start`` goes: above the
    ``--`` comment lines directly over it (no blank line between) when one of them is an
    ignore comment (a line between it and its statement would end the waiver), never
    above a tool's marker comment; else ``line_start``."""
    if not _may_hold_ignore_comment(text):  # most files: no comment line can be one
        return line_start
    top, ignore = line_start, False
    while top > 0:
        prev = text.rfind("\n", 0, top - 1) + 1
        line = text[prev : top - 1]
        if not line.lstrip().startswith("--") or _TOOL_COMMENT.match(line):
            break
        ignore = ignore or bool(_IGNORE_COMMENT.match(line))
        top = prev
    return top if ignore else line_start


def timeout_violation(ctx, step: Step, name: str, value: str, effects: list, message: str, help: str):
    """The finding of a missing-timeout rule at ``step``, for the setting ``name``
    (``"lock_timeout"``, ``"statement_timeout"``) with the suggested ``value`` (``"5s"``).

    ``help`` is followed by a note on the settings of ``name`` earlier in the file that do
    not apply at ``step`` and on a value of it that turns the timeout off (with their line
    numbers), if any; the fix inserts ``SET [LOCAL] name = 'value';`` (:func:`insert_setting`);
    the ``lock``, ``table`` and ``blocks`` properties describe the strongest of ``effects``
    (the :class:`~linter.pg.locks.LockEffect` list the step is reported for).
    """
    position = ctx.source.index.position
    notes = [f"{u.why} (line {position(u.stmt.start).line})" for u in ctx.pg.session.unapplied_before(step, name)]
    off = step.settings.get(name)
    if off is not None:
        notes.append(f"{name} = {off.value} on line {position(off.stmt.start).line} turns the timeout off")
    if notes:
        help += " Note: " + "; ".join(notes) + "."
    best = locks.strongest(effects)
    return ctx.violation(
        step.stmt,
        message,
        help=help,
        fix=insert_setting(ctx, step, name, value),
        lock=best.mode.label,
        table=", ".join(dict.fromkeys(e.relation for e in effects if e.mode == best.mode)),
        blocks=best.mode.blocks,
    )


def lock_target(effects) -> tuple[locks.LockEffect, str]:
    """The strongest effect, and what its lock is on for a message: the quoted relation
    names of the effects with that mode (``DROP INDEX`` locks the index's table too)."""
    best = locks.strongest(effects)
    rels = []
    for e in effects:
        if e.mode == best.mode:
            name = subject(e)
            if name not in rels:
                rels.append(name)
    return best, ", ".join(rels)


def subject(effect: locks.LockEffect) -> str:
    """``"users"``, ``index "users_email_idx" and its table``, ``(every table)``."""
    if effect.relation.startswith("("):
        return effect.relation
    if effect.what.startswith("DROP INDEX"):
        return f'index "{effect.relation}" and its table'
    return f'"{effect.relation}"'


def article(label: str) -> str:
    """``"an ACCESS EXCLUSIVE"``, ``"a SHARE"``."""
    return ("an " if label[:1] in "AEIOU" else "a ") + label


def slow_work(pg, step: Step) -> tuple[str, str] | None:
    """``(statement form, what it does)`` when ``step``'s statement takes time that grows
    with an existing table: it rewrites or scans one (an ALTER TABLE form, CREATE INDEX,
    VALIDATE, REFRESH, VACUUM FULL, CLUSTER), changes rows of one (UPDATE, DELETE, MERGE,
    INSERT … SELECT), or copies rows out of one (INSERT … SELECT, CREATE TABLE … AS).
    ``None`` for statements whose cost the file bounds (metadata-only DDL, INSERT … VALUES,
    work on tables the file created)."""
    stmt = step.stmt
    for e, new in zip(step.effects, step.new):
        if not new and (e.rewrite or e.scan) and not e.relation.startswith("("):
            if stmt.kind == "AlterTableStmt" and scans_stop_at_first_row(pg, stmt):
                break
            return e.what, f'{"rewrites" if e.rewrite else "scans"} "{e.relation}"'
    change = data_change(pg, stmt)
    if change is not None:
        form, rv = change
        return form, f'changes rows of "{names.relation(rv)}"'
    sel = None
    if stmt.kind == "InsertStmt":
        sel = stmt.body.get("selectStmt", {}).get("SelectStmt")
        form = "INSERT … SELECT"
    elif stmt.kind == "CreateTableAsStmt":
        sel = stmt.body.get("query", {}).get("SelectStmt")
        form = "CREATE TABLE … AS" if stmt.body.get("objtype") != "OBJECT_MATVIEW" else "CREATE MATERIALIZED VIEW"
    if sel:
        ctes = cte_names(stmt.body) | cte_names(sel)
        for r in reads_tables(sel.get("fromClause")):
            if names.table_key(r) not in ctes and not pg.is_new_table(r, stmt):
                return form, f'copies rows out of "{names.relation(r)}"'
    return None


def scans_stop_at_first_row(pg, stmt) -> bool:
    """Every subcommand of ALTER TABLE ``stmt`` that scans or rewrites is an ``ADD COLUMN …
    NOT NULL`` that fails at the first row of a populated table
    (:func:`linter.pg.rewrites.scan_stops_at_first_row`): its time does not grow with the table."""
    version = pg.pg_version
    cmds = [item.get("AlterTableCmd", {}) for item in stmt.body.get("cmds", ())]
    fast = [rewrites.scan_stops_at_first_row(c, version) for c in cmds]
    if not any(fast):
        return False
    return all(f or not any(rewrites.alter_cmd_cost(c, version)) for c, f in zip(cmds, fast))