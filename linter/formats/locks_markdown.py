"""``miglint locks --format markdown``: the lock report for a pull-request comment.

Compact on purpose (it goes, collapsed, into the PR summary comment; see
:mod:`linter.formats.summary`): a line of totals, then per file one line saying how its tool
runs it and a table with one row per statement that takes a table lock or cannot run where
it is (line, statement form, each relation with its lock mode and rewrite/scan, verdict;
with ``miglint locks --verify`` an Observed column: what the server granted).
Statements that take no table lock (``CREATE TABLE`` of a new table, ``SET``, ``SELECT`` …)
are counted under the table instead of listed. Files that could not be analysed say why.

Text taken from the migration (relation names, paths) goes into code spans, which show
``<`` and ``&`` as they are, with ``|`` escaped so a table name cannot break the table; other
text is escaped for markdown and HTML (:mod:`linter.formats._markdown`). Verdicts carry an icon, worst first: ❌ fails in a transaction, 🛑
rewrites table, ⛔ blocks reads and writes, ⚠️ blocks writes, 🔒 locks rows, 🆕 new table,
✅ safe.
"""

from __future__ import annotations

from linter.formats._markdown import cell, code
from linter.lockreport import FileLocks, LockReport, StatementLocks, direction_note

ICONS = {
    "fails in a transaction": "❌",
    "rewrites table": "🛑",
    "blocks reads and writes": "⛔",
    "blocks writes": "⚠️",
    "locks rows": "🔒",
    "new table": "🆕",
    "safe": "✅",
}


def _code(text: str) -> str:
    """A code span that is safe in a table cell (``|`` escaped; code spans show ``<`` as is)."""
    return code(text).replace("|", "\\|")


def _locks(s: StatementLocks) -> str:
    merged: dict[tuple, list[bool]] = {}  # (relation, mode, new table) -> [rewrite, scan]
    for lk in s.locks:
        flags = merged.setdefault((lk.relation, lk.mode, lk.new_table), [False, False])
        flags[0] |= lk.rewrite
        flags[1] |= lk.scan
    parts = []
    for (relation, mode, new_table), (rewrite, scan) in merged.items():
        extra = " (rewrite)" if rewrite else " (scan)" if scan else ""
        new = " · new table" if new_table else ""
        parts.append(f"{_code(relation)} {cell(mode)}{extra}{new}")
    parts.extend(cell(n) for n in s.notes)
    return "<br>".join(parts) if parts else "—"


def _observed(s: StatementLocks) -> str:
    """The Observed cell (``miglint locks --verify``)."""
    parts = [_code(o) for o in s.observed or ()]
    if s.observed is not None and not parts:
        parts.append("no table lock")
    if s.observed_note:
        parts.append(cell(s.observed_note))
    return "<br>".join(parts) if parts else "—"


def _row(s: StatementLocks, wrapped: bool | None, observed: bool = False) -> str:
    kind = _code(s.kind) + cell(direction_note(s))
    if s.nested_in == "do":
        kind += " in DO block"
    elif s.nested_in == "function":
        kind += " in function body (runs when called)"
    verdict = f"{ICONS.get(s.verdict, '')} {cell(s.verdict)}".strip()
    if s.nested_in is None and s.in_transaction is not None and s.in_transaction != wrapped:
        verdict += " · in a transaction" if s.in_transaction else " · outside a transaction"
    if observed:
        return f"| {s.line} | {kind} | {_locks(s)} | {_observed(s)} | {verdict} |"
    return f"| {s.line} | {kind} | {_locks(s)} | {verdict} |"


def _file(f: FileLocks, observed: bool = False) -> list[str]:
    head = f"**{_code(f.path)}**"
    if f.error:
        return [f"{head}: not analysed, {cell(f.error)}", ""]
    tx = "runs in one transaction" if f.wrapped else "does not run in one transaction"
    out = [f"{head} · {cell(f.convention)} · {tx}: {cell(f.why)}", ""]
    shown = [s for s in f.statements if s.locks or s.verdict == "fails in a transaction"]
    quiet = len(f.statements) - len(shown)
    if shown:
        if observed:
            out += ["| Line | Statement | Locks | Observed | Verdict |", "|---:|---|---|---|---|"]
        else:
            out += ["| Line | Statement | Locks | Verdict |", "|---:|---|---|---|"]
        out += [_row(s, f.wrapped, observed) for s in shown]
        out.append("")
    if quiet:
        out.append(f"{'No statement' if not shown else 'Other statements'}: {quiet} take{'s' if quiet == 1 else ''} no table lock.")
        out.append("")
    return out


def render(report: LockReport, *, color: bool = False) -> str:
    """The report as GitHub-flavoured markdown (``color`` is ignored)."""
    nf, ns = len(report.files), report.statements
    counts = " · ".join(f"{ICONS.get(v, '')} {n} {cell(v)}" for v, n in report.counts.items())
    lines = [
        f"{nf} file{'s' if nf != 1 else ''}, {ns} statement{'s' if ns != 1 else ''}"
        + (f": {counts}" if counts else "")
        + (f" (PostgreSQL {report.pg_version}; static analysis, observed on PostgreSQL {report.server})" if report.server
           else f" (PostgreSQL {report.pg_version}; static analysis, nothing was executed)"),
        "",
    ]
    for f in report.files:
        lines += _file(f, bool(report.server))
    for n in report.notes:
        lines.append(f"_{cell(n)}_")
    return "\n".join(lines).rstrip("\n") + "\n"
