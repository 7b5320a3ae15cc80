"""``miglint locks --format text``: the lock report for a terminal.

One block per file: its path, its convention and how its tool runs it (in one transaction
or not, and why), then one line per statement (line number, verdict, statement form) with
one indented line per relation it locks (lock mode, rewrite/scan, what waits; the
subcommands behind it when a statement locks one table several ways). Statements inside
``DO`` blocks and function bodies say so; a statement whose transaction differs from the
file's (after a ``COMMIT``, inside the file's own ``BEGIN``) says why. A last line counts
the verdicts. With ``miglint locks --verify``, an ``observed:`` line per replayed statement
says what the server granted. See :mod:`linter.lockreport` for the meaning of each verdict.
"""

from __future__ import annotations

from linter.lockreport import LockReport, RelationLock, StatementLocks, direction_note, grouped, lock_parts

_VERDICT_WIDTH = 23  # "blocks reads and writes"


def _lock_line(lk: RelationLock, whats: list[str], several: bool) -> str:
    line = f"{lk.relation}: " + ", ".join(lock_parts(lk))
    if several:
        line += " [" + "; ".join(w.removeprefix("ALTER TABLE … ") for w in whats) + "]"
    return line


def _statement(s: StatementLocks, wrapped: bool | None) -> list[str]:
    label = s.kind + direction_note(s)
    if s.nested:
        label += f" (in {s.nested})"
    out = [f"  {s.line:>5}  {s.verdict:<{_VERDICT_WIDTH}}  {label}"]
    pad = " " * 9
    groups = grouped(s)
    several = len({lk.what for lk in s.locks}) > 1
    for lk, whats in groups:
        out.append(f"{pad}{_lock_line(lk, whats, several)}")
    if s.nested is None and s.in_transaction is not None and s.in_transaction != wrapped:
        state = "in a transaction" if s.in_transaction else "outside a transaction"
        out.append(f"{pad}{state}: {s.transaction}")
    for n in s.notes:
        out.append(f"{pad}! {n}")
    if s.observed is not None or s.observed_note:  # miglint locks --verify
        seen = ", ".join(s.observed or ()) or ("no table lock" if s.observed is not None else "")
        out.append(f"{pad}observed: {'; '.join(p for p in (seen, s.observed_note) if p)}")
    return out


def render(report: LockReport, *, color: bool = False) -> str:
    """The report as text (``color`` is accepted like the other formats' and ignored)."""
    lines: list[str] = []
    for f in report.files:
        lines.append(f.path)
        if f.error:
            lines += [f"  not analysed: {f.error}", ""]
            continue
        tx = "in one transaction" if f.wrapped else "not in one transaction"
        lines.append(f"  {f.convention}, {f.direction} · {tx}: {f.why}")
        if not f.statements:
            lines += ["  (no statements)", ""]
            continue
        lines.append(f"  {'line':>5}  {'verdict':<{_VERDICT_WIDTH}}  statement")
        for s in f.statements:
            lines.extend(_statement(s, f.wrapped))
        lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def summary_line(report: LockReport) -> str:
    """``3 files, 12 statements: 1 rewrites table, 9 safe (PostgreSQL 16; …)`` and notes."""
    nf, ns = len(report.files), report.statements
    counts = ", ".join(f"{n} {v}" for v, n in report.counts.items())
    head = f"{nf} file{'s' if nf != 1 else ''}, {ns} statement{'s' if ns != 1 else ''}"
    tail = f"PostgreSQL {report.pg_version}; static analysis, nothing was executed"
    if report.server:
        tail = f"PostgreSQL {report.pg_version}; static analysis, observed on PostgreSQL {report.server}"
    notes = "".join(f"\nnote: {n}" for n in report.notes)
    return f"{head}{': ' + counts if counts else ''} ({tail}){notes}"
