"""Human-readable terminal output, in the compact style of ruff and rustc.

Spec sources (style, not a standard):

* rustc's diagnostic layout, https://rustc-dev-guide.rust-lang.org/diagnostics.html
* ruff's ``full`` output format, https://docs.astral.sh/ruff/settings/#output-format

One block per finding, then a summary::

    db/V2__users.sql:3:1: warning non-concurrent-index index "users_email_idx" on "users" ...
     3 | CREATE INDEX users_email_idx ON users (email);
       | ^^^^^^^^^^^^
      help: Add CONCURRENTLY and run this migration outside a transaction.
      fix: Add CONCURRENTLY

    Found 0 errors, 1 warning and 0 notes in 1 of 4 files.

* The header is ``path:line:column: severity rule-id message`` (1-based; columns count
  characters). Continuation lines of a multi-line message are indented by two spaces.
* The excerpt is the finding's first line with a caret underline under its span (to the
  end of the line when the span goes on). Tabs expand to 4-column stops in the line and the
  underline alike; wide characters take two cells; control characters print as U+FFFD,
  so file content cannot drive the terminal.
* Redacted findings (secrets) show only the header and the help: never the excerpt or fix.
* A finding ``miglint verify`` checked on a server (its ``verification`` property) ends
  with ``verified on PostgreSQL N.M: confirmed|refuted|inconclusive: what it saw``.
* ``color=True`` adds ANSI SGR colours to the severity and the underline; nothing else
  changes, and ``color=False`` output contains no escape codes.
* ``report.notes`` follow the summary, one ``note: ...`` line each.
* ``miglint verify``: before the summary, what the server did, one line per replayed
  statement that failed, rewrote a relation or took a lock stronger than ROW EXCLUSIVE on a
  relation that existed before its transaction (``path:line  statement``, then the locks
  it was granted, ``asked`` for one a CONCURRENTLY form waited for, and rewrites);
  :func:`linter.verify.notable` chooses them.
"""

from __future__ import annotations

from linter.formats._common import caret_cells, excerpt_line, visible_fix
from linter.model import Finding, Report, Severity

_RESET = "\x1b[0m"
_COLORS = {
    Severity.ERROR: "\x1b[1;31m",  # bold red
    Severity.WARNING: "\x1b[1;33m",  # bold yellow
    Severity.NOTE: "\x1b[1;36m",  # bold cyan
}


def _paint(text: str, severity: Severity, color: bool) -> str:
    return f"{_COLORS[severity]}{text}{_RESET}" if color else text


def _indent_continuation(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\n  ")


def _finding_block(report: Report, finding: Finding, color: bool) -> list[str]:
    span = finding.span
    lines = [
        f"{finding.path}:{span.start.line}:{span.start.column}: "
        f"{_paint(str(finding.severity), finding.severity, color)} {finding.rule_id} "
        f"{_indent_continuation(finding.message)}"
    ]
    source = excerpt_line(report, finding, span.start.line)
    if source is not None:
        end_column = span.end.column if span.one_line else None
        shown, begin, width = caret_cells(source, span.start.column, end_column)
        number = str(span.start.line)
        gutter = " " * len(number)
        lines.append(f" {number} | {shown}".rstrip())
        lines.append(f" {gutter} | {' ' * begin}{_paint('^' * width, finding.severity, color)}")
    if finding.help:
        lines.append(f"  help: {_indent_continuation(finding.help)}")
    fix = visible_fix(finding)
    if fix is not None:
        lines.append(f"  fix: {fix.description}")
    verified = None if finding.redacted else finding.properties.get("verification")
    if verified:  # miglint verify: what the server did (linter.verify.findings)
        lines.append(f"  verified on PostgreSQL {verified.get('server', '?')}: {verified.get('status')}: "
                     f"{_indent_continuation(str(verified.get('observed', '')))}")
    return lines


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(report: Report) -> str:
    """``Found 3 errors, 1 warning and 0 notes in 2 of 5 files.`` or ``No problems found ...``."""
    total_files = len(report.files)
    if not report.findings:
        return f"No problems found in {_plural(total_files, 'file')}."
    counts = report.counts()
    with_findings = len({f.path for f in report.findings})
    total_files = max(total_files, with_findings)
    return (
        f"Found {_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')} "
        f"and {_plural(counts['note'], 'note')} in {with_findings} of {_plural(total_files, 'file')}."
    )


def render(report: Report, *, color: bool = False) -> str:
    """The report as terminal text, ending in a newline."""
    out: list[str] = []
    for finding in report.findings:
        out.extend(_finding_block(report, finding, color))
        out.append("")
    out.extend(_observed(report))
    out.append(summary_line(report))
    out.extend(f"note: {_indent_continuation(note)}" for note in report.notes)
    return "\n".join(out) + "\n"


def _observed(report: Report) -> list[str]:
    """The "what the server did" block of ``miglint verify`` (see the module docstring)."""
    if not report.observations:
        return []
    from linter.verify import notable

    shown = [o for o in report.observations if notable(o)]
    server = report.observations[0].get("server") or "?"
    out = [f"What PostgreSQL {server} did ({len(shown)} of {len(report.observations)} observed statements: "
           f"the ones that failed, rewrote a table or took a lock stronger than ROW EXCLUSIVE on an existing relation):"]
    for o in shown:
        out.append(f"  {o['path']}:{o['line']}  {o['statement']}")
        if o["status"] == "failed":
            out.append(f"      failed: {o['sqlstate']} {o['message']}")
        locks = [f"{lk['mode']} on {lk['relation']}{'' if lk['granted'] else ' (asked)'}" for lk in o["locks"] if not lk["new"]]
        if locks:
            out.append(f"      locks: {', '.join(locks)}")
        if o["rewritten"]:
            out.append(f"      rewrote: {', '.join(o['rewritten'])}")
    out.append("")
    return out
