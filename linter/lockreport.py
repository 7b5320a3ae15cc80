"""The lock report behind ``miglint locks``: what each statement locks, and what that blocks.

Static analysis only: nothing is executed. For every statement of every file (top-level,
and those inside ``DO`` blocks and PL/pgSQL function bodies, marked as such, with the
commands their ``EXECUTE``s build, :mod:`linter.pg.dynamic`: names chosen at run time
shown as written, ``%I``) the report
gives its position, its readable form (:func:`linter.pg.forms.statement_form`), each
relation it locks with the lock mode PostgreSQL requests, whether that rewrites or scans
the table, what application traffic waits (:mod:`linter.pg.locks`, checked against a real
server in ``tests/test_pg.py``), whether it runs inside a transaction and why (per
migration tool, :mod:`linter.pg.transactions`), and a verdict:

==============================  =============================================================
verdict                         meaning
==============================  =============================================================
``fails in a transaction``      PostgreSQL refuses the statement inside a transaction block
                                (``CREATE INDEX CONCURRENTLY`` in a wrapped file)
``rewrites table``              the table is copied under its lock (ACCESS EXCLUSIVE)
``blocks reads and writes``     the lock conflicts with ``SELECT``
``blocks writes``               the lock conflicts with ``INSERT``/``UPDATE``/``DELETE``
``locks rows``                  ``UPDATE``/``DELETE``/``MERGE``: row locks on what it changes
``new table``                   every relation it locks was created earlier in the file
                                (empty: harmless)
``safe``                        no table lock that blocks application reads or writes
==============================  =============================================================

The model is plain frozen dataclasses; the renderers are :mod:`linter.formats.locks_text`,
:mod:`linter.formats.locks_json` and :mod:`linter.formats.locks_markdown`. No rule runs
here: the report reads :class:`linter.source.Source` and :mod:`linter.pg`, and what the
migration set knows of the ties between tables (:mod:`linter.migset.references`,
replayed over a root's up files in version order): a statement that drops a foreign key
an earlier migration declared (itself, or with CASCADE the unique index, key or column it
depends on) also lists ACCESS EXCLUSIVE on the key's other table (its triggers there are
dropped), one that attaches a partition to a table whose DEFAULT partition the set knows
lists that partition (scanned), and a ``DROP TABLE`` the tables the dropped one is tied to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from linter import __version__
from linter.model import Direction, MigrationFile
from linter.pg import dynamic, forms, transactions
from linter.pg.locks import LockMode
from linter.source import ReadResult, Source, read_text

#: Verdicts, worst first (the order of summaries and of the markdown icons).
VERDICTS = ("fails in a transaction", "rewrites table", "blocks reads and writes", "blocks writes", "locks rows", "new table", "safe")

_ROW_LOCKING = frozenset({"UPDATE", "DELETE", "MERGE"})


@dataclass(frozen=True)
class RelationLock:
    """One lock one statement takes: ``relation`` as written, ``mode`` (``"SHARE"``),
    ``what`` (the statement form behind it), ``rewrite``/``scan`` of the table under the
    lock, ``blocks`` (``"reads and writes"``, ``"writes"``, ``"no reads or writes"``) and
    ``new_table`` (created earlier in the same file)."""

    relation: str
    mode: str
    what: str
    rewrite: bool
    scan: bool
    blocks: str
    new_table: bool


@dataclass(frozen=True)
class StatementLocks:
    """One statement of the report.

    ``line``/``column``/``end_line``/``end_column``: its span (1-based, half-open);
    ``kind``: readable form; ``text``: its first line, shortened; ``nested``: ``None`` for
    top-level statements, else where it sits (``"DO block at line 4"``, ``"function f() at
    line 9, runs when called"``); ``nested_in``: ``"do"``, ``"function"`` or
    ``None``; ``section``: ``"up"``, ``"down"``, …; ``in_transaction``: ``True``/``False``,
    ``None`` for function bodies (the caller decides); ``transaction``: why; ``locks``;
    ``verdict`` (see the module table); ``notes``: extra remarks. ``observed``: set by
    :func:`with_observations` when ``miglint locks --verify`` replayed the file: the locks
    the server granted (``"SHARE on public.t"``; ``… (asked)`` for one a CONCURRENTLY
    form waited for), ``()`` for none; ``None`` when not observed; ``observed_note``: a
    failure, a rewrite, or why it was not observed.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    kind: str
    text: str
    nested: str | None
    nested_in: str | None
    section: str
    in_transaction: bool | None
    transaction: str
    locks: tuple[RelationLock, ...]
    verdict: str
    notes: tuple[str, ...] = ()
    observed: tuple[str, ...] | None = None
    observed_note: str = ""


@dataclass(frozen=True)
class FileLocks:
    """One file: ``path``, ``convention``, ``direction``, how its tool runs it
    (``wrapped``, ``why``), its ``statements``, or the ``error`` that kept it from being
    analysed (it could not be read, or does not parse)."""

    path: str
    convention: str
    direction: str
    wrapped: bool | None
    why: str
    statements: tuple[StatementLocks, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class LockReport:
    """The whole report: ``files`` in the order given, the ``pg_version`` the facts are for,
    run ``notes``, and the tool version; ``server``: the version of the PostgreSQL that
    ``miglint locks --verify`` replayed the files on (:func:`with_observations`), else ``""``."""

    files: tuple[FileLocks, ...]
    pg_version: int
    notes: tuple[str, ...] = ()
    tool_version: str = __version__
    counts: dict[str, int] = field(default_factory=dict, hash=False, compare=False)
    server: str = ""

    @property
    def statements(self) -> int:
        """Number of statements over all files."""
        return sum(len(f.statements) for f in self.files)


# --------------------------------------------------------------------------- building


def build(files: list[MigrationFile], config=None, *, notes=()) -> LockReport:
    """The :class:`LockReport` of ``files`` (as :func:`linter.discovery.discover` finds
    them), with ``config`` (a :class:`linter.config.Config`; the ``default`` preset when
    ``None``) giving ``pg_version``, placeholders, ``transactions`` overrides and the file
    size limit."""
    if config is None:
        from linter import config as configmod

        config = configmod.load_preset("default")
    out = tuple(analyse_file(f, config, ties=ties) for f, ties in zip(files, _set_ties(files)))
    counts = Counter(s.verdict for f in out for s in f.statements)
    ordered = {v: counts[v] for v in VERDICTS if counts.get(v)}
    return LockReport(out, config.pg_version, tuple(notes), __version__, ordered)


def with_observations(report: LockReport, replay) -> LockReport:
    """``report`` with the observed columns filled from ``replay`` (a
    :class:`linter.verify.replay.Replay` of the same files): each top-level statement of an
    up run gets what the server granted it (relations created in the same transaction left
    out), matched by its position in the file."""
    import dataclasses

    runs = {}
    for fr in replay.files:
        for sr in fr.statements:
            if sr.stmt is not None:
                runs[(fr.path, sr.stmt.span.start.line, sr.stmt.span.start.column)] = (fr, sr)
    files = []
    for f in report.files:
        stmts = []
        for st in f.statements:
            hit = runs.get((f.path, st.line, st.column)) if st.nested is None else None
            if hit is None:
                stmts.append(st)
                continue
            fr, sr = hit
            if sr.observed:
                seen = tuple(f"{lk.mode.label} on {lk.relation}{'' if lk.granted else ' (asked)'}"
                             for lk in sorted(sr.locks, key=lambda lk: (lk.relation, -lk.mode)) if not lk.new)
                note = f"rewrote {', '.join(sr.rewritten)}" if sr.rewritten else ""
            elif sr.status == "failed":
                seen, note = (), f"failed: {sr.sqlstate} {sr.message}"
            else:
                seen, note = None, {"ok": "ran, locks not observed", "not-run": "not run"}.get(sr.status, sr.status)
                if sr.status in ("skipped",) and sr.reason:
                    note = f"skipped: {sr.reason}"
            stmts.append(dataclasses.replace(st, observed=seen, observed_note=note))
        files.append(dataclasses.replace(f, statements=tuple(stmts)))
    return dataclasses.replace(report, files=tuple(files), server=replay.version)


def _set_ties(files: list[MigrationFile]) -> list:
    """For each of ``files``, the :class:`linter.migset.references._State` that
    :func:`analyse_file` replays the file's tie events on (one per root, shared by its up
    and baseline files, which :func:`build` must then analyse in version order), or
    ``None`` (downs and other files: their ties are not replayed)."""
    from linter.migset import references
    from linter.migset.coltypes import REPLAYED, version_order

    last: dict = {}
    states: dict = {}
    out = []
    for f in files:
        if f.direction not in REPLAYED:
            out.append(None)
            continue
        key = version_order(f)
        if f.root in last and key < last[f.root]:
            states[f.root] = None  # not in version order: what the set knows would come too late
        last[f.root] = key
        out.append(states.setdefault(f.root, references._State()))
    return [None if s is None or states.get(f.root) is None else s for f, s in zip(files, out)]


def analyse_file(file: MigrationFile, config, read: ReadResult | None = None, ties=None) -> FileLocks:
    """The :class:`FileLocks` of one file; ``read``: its text when not to be read from
    ``file.abspath`` (an editor's buffer, :mod:`linter.lsp.hover`). ``ties``: the
    :class:`linter.migset.references._State` of the root's earlier files, or ``None``: when
    given, a top-level up statement also lists the tables it locks through ties the set
    knows (:func:`linter.migset.references.set_locks`: the other table of a dropped foreign
    key, a scanned DEFAULT partition), and the file's own tie events are applied to it."""
    from linter.engine import FileContext

    if read is None:
        read = read_text(file.abspath, config.max_file_size)
    base = dict(path=file.path, convention=str(file.convention), direction=str(file.direction))
    if read.text is None:
        return FileLocks(**base, wrapped=None, why="", error=read.message)
    source = Source(read.text, file, placeholders=config.placeholders, placeholder_syntax=config.placeholder_syntax)
    try:
        if source.error is not None:
            at, msg = source.error
            pos = source.index.position(at)
            return FileLocks(**base, wrapped=None, why="", error=f"does not parse: {msg} at line {pos.line}, column {pos.column}")
        ctx = FileContext(file, source, read, config)
        tool = ctx.pg.transaction
        entries = []
        evs = _tie_events(source) if ties is not None else ()
        k = 0
        for stmt in source.all_statements():
            tied: tuple = ()
            if ties is not None and stmt.parent is None:
                while k < len(evs) and evs[k][0] < stmt.index:
                    ties.apply(evs[k])
                    k += 1
                if stmt.section is not Direction.DOWN:
                    tied = _locked_through(ties, stmt)
            entries.append(_statement(ctx, source, stmt, tied))
        for ev in evs[k:]:
            ties.apply(ev)
        return FileLocks(**base, wrapped=tool.wrapped, why=tool.why, statements=tuple(entries))
    finally:
        source.close()


def _excerpt(text: str, limit: int = 72) -> str:
    first = " ".join(text.split("\n", 1)[0].split())
    more = "\n" in text.strip()
    if len(first) > limit:
        return first[: limit - 1].rstrip() + "…"
    return first + (" …" if more else "")


def _tie_events(source) -> tuple:
    from linter.migset import references

    return references.events(source)


def _locked_through(ties, stmt) -> list:
    from linter.migset import references

    return references.set_locks(ties, stmt)


def _statement(ctx, source, stmt, tied: tuple = ()) -> StatementLocks:
    pg = ctx.pg
    span = stmt.span
    parent = stmt.parent
    nested = nested_in = None
    notes: list[str] = []
    if parent is not None:
        pline = parent.span.start.line
        if parent.kind == "DoStmt":
            nested, nested_in = f"DO block at line {pline}", "do"
        else:
            fname = ".".join(s.get("String", {}).get("sval", "") for s in parent.body.get("funcname", ()))
            when = "called in this file" if dynamic.runs_in_migration(parent) else "runs when called"
            nested, nested_in = f"function {fname}() at line {pline}, {when}", "function"
        if stmt.dynamic is not None:
            nested += ", run by EXECUTE"
    in_tx, why = _transaction(ctx, stmt)
    effects = pg.locks(stmt)
    if tied:  # (table, kind, why, scan) the set knows it locks (references.set_locks: a dropped foreign key's table, a DEFAULT partition)
        from linter.pg.locks import LockEffect

        form = forms.statement_form(stmt)
        effects = [*effects, *(LockEffect(t, LockMode.ACCESS_EXCLUSIVE, f"{form} ({why})", scan=scan) for t, _, why, scan in tied)]
    held = []
    for e in effects:
        key = e.node if e.node else e.relation.rsplit(".", 1)[-1]
        relation = e.relation if stmt.dynamic is None else dynamic.said(e.relation, stmt.dynamic, quoted=False)
        held.append(RelationLock(relation, e.mode.label, e.what, e.rewrite, e.scan, e.mode.blocks, pg.is_new_table(key, stmt)))
    refused = transactions.cannot_run_in_transaction(stmt, ctx.pg_version)
    if refused and in_tx and nested_in != "function":
        verdict = "fails in a transaction"
        notes.append(f"{refused} cannot run inside a transaction block")
    elif refused and nested_in is not None:
        verdict = "fails in a transaction"
        notes.append(f"{refused} cannot run inside a function or DO block")
    else:
        verdict = _verdict(stmt, effects, held)
    return StatementLocks(
        span.start.line, span.start.column, span.end.line, span.end.column,
        forms.statement_form(stmt), _excerpt(stmt.text if stmt.dynamic is None else dynamic.said(stmt.text, stmt.dynamic, quoted=False)), nested, nested_in, str(stmt.section),
        in_tx, why, tuple(held), verdict, tuple(notes),
    )


def _verdict(stmt, effects, held: list[RelationLock]) -> str:
    if not held:
        return "safe"
    live = [(e, h) for e, h in zip(effects, held) if not h.new_table]
    if not live:
        return "new table"
    if any(h.rewrite for _, h in live):
        return "rewrites table"
    strongest = max(e.mode for e, _ in live)
    if strongest.blocks_reads:
        return "blocks reads and writes"
    if strongest.blocks_writes:
        return "blocks writes"
    if strongest == LockMode.ROW_EXCLUSIVE and any(h.what in _ROW_LOCKING for _, h in live):
        return "locks rows"
    return "safe"


def _transaction(ctx, stmt) -> tuple[bool | None, str]:
    """(in a transaction, why) for a statement."""
    pg = ctx.pg
    parent = stmt.parent
    if parent is not None and parent.kind != "DoStmt":
        return None, "runs in the transaction of the statement that calls the function"
    top = parent or stmt
    tool = pg.transaction
    flag = pg.in_transaction(top)
    if stmt.kind == "TransactionStmt" and stmt.body.get("kind") in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK") and not flag:
        # it runs inside the block it ends
        what = "the file's own BEGIN block" if not tool.wrapped or tool.implicit else "the migration tool's transaction"
        return True, f"it ends {what}" + ("" if not tool.wrapped or tool.implicit else f": {tool.why}")
    begin = getattr(pg, "explicit_begin", lambda s: None)(top) if flag and not tool.wrapped else None
    if begin is not None:
        why = f"inside the file's own BEGIN at line {begin.span.start.line}"
    elif flag:
        why = tool.why
    elif tool.wrapped and not tool.implicit:
        why = "a COMMIT earlier in the file ended the tool's transaction: " + tool.why
    else:
        why = tool.why
    if parent is not None:
        pline = parent.span.start.line
        if flag:
            return True, f"inside the DO block at line {pline}; {why}"
        return True, f"inside the DO block at line {pline}, which runs as one statement in its own transaction ({why})"
    return flag, why


def grouped(s: StatementLocks) -> list[tuple[RelationLock, list[str]]]:
    """The statement's locks with identical relation, mode, rewrite, scan and new-table flag
    merged (a multi-subcommand ALTER TABLE), each with the forms behind it."""
    out: list[tuple[RelationLock, list[str]]] = []
    for lk in s.locks:
        for first, whats in out:
            if (first.relation, first.mode, first.rewrite, first.scan, first.new_table) == (lk.relation, lk.mode, lk.rewrite, lk.scan, lk.new_table):
                if lk.what not in whats:
                    whats.append(lk.what)
                break
        else:
            out.append((lk, [lk.what]))
    return out


#: How a relation lock's ``blocks`` reads in a report line.
_BLOCKS = {"reads and writes": "blocks reads and writes", "writes": "blocks writes", "no reads or writes": "reads and writes continue"}


def lock_parts(lk: RelationLock) -> list[str]:
    """What a report line says of one relation lock, in order: the lock mode, "rewrites the
    table" or "scans the table", what it blocks, and "new table: …" when the file created
    the relation (the text report, :mod:`linter.formats.locks_text`, and the editor's hover,
    :mod:`linter.lsp.hover`, join them)."""
    parts = [lk.mode]
    if lk.rewrite:
        parts.append("rewrites the table")
    elif lk.scan:
        parts.append("scans the table")
    parts.append(_BLOCKS.get(lk.blocks, lk.blocks))
    if lk.new_table:
        parts.append("new table: created earlier in this file")
    return parts


def direction_note(s: StatementLocks) -> str:
    """``" (down)"`` for statements of down sections, else ``""``."""
    return " (down)" if s.section == str(Direction.DOWN) else ""
