"""Helpers shared by the output formats (not a format itself).

Everything here is pure: it reads a :class:`~linter.model.Report` or a
:class:`~linter.model.Finding` and returns plain values. The redaction rule every format
follows lives here too, so there is one place to read it: for a finding with
``redacted=True`` a format may show the rule, the position, the message and the help, and
nothing else (no excerpt line, no fix, no rule-specific properties).
"""

from __future__ import annotations

import unicodedata

from linter.model import Finding, Fix, Report, Severity, Span

#: Tab stops used when a source line is shown with a caret underline (rustc uses 4).
TAB_WIDTH = 4


def most_severe_first(findings: list[Finding]) -> list[Finding]:
    """Findings ordered by severity (errors first), then by :meth:`Finding.sort_key`."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.sort_key()))


def max_severity(findings: list[Finding]) -> Severity | None:
    """The most severe level among ``findings``, or ``None`` when there are none."""
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def visible_fix(finding: Finding) -> Fix | None:
    """The finding's fix, or ``None`` for redacted findings (a fix would quote source)."""
    return None if finding.redacted else finding.fix


def visible_properties(finding: Finding) -> dict:
    """Rule-specific properties, or ``{}`` for redacted findings."""
    return {} if finding.redacted else dict(finding.properties)


def excerpt_line(report: Report, finding: Finding, line: int) -> str | None:
    """The text of ``line`` in the finding's file, or ``None`` if it must not or cannot be shown.

    Always ``None`` for a redacted finding, even if the report (wrongly) carries the line.
    """
    if finding.redacted:
        return None
    return report.excerpts.get(finding.path, {}).get(line)


def message_and_help(finding: Finding, sep: str = "\n") -> str:
    """The message, then the help (if any) after ``sep``."""
    return finding.message + (sep + finding.help if finding.help else "")


def last_line(span: Span) -> int:
    """The last line a span actually covers, for formats that give whole lines only.

    A half-open span that ends at column 1 of a later line (just after a line break)
    covers nothing on that line, so its last line is the one before.
    """
    if span.end.line > span.start.line and span.end.column <= 1:
        return span.end.line - 1
    return span.end.line


def pascal_case(rule_id: str) -> str:
    """``non-concurrent-index`` -> ``NonConcurrentIndex`` (SARIF ``reportingDescriptor.name``)."""
    return "".join(part[:1].upper() + part[1:] for part in rule_id.replace("_", "-").split("-") if part)


def utf8_column(line_text: str, column: int) -> int:
    """Convert a 1-based code-point column on ``line_text`` to a 1-based UTF-8 byte column.

    Columns past the end of the line (a span ending after the last character, or at the
    line break) count one byte per missing character, as the line break is ASCII.
    """
    prefix = line_text[: column - 1]
    missing = max(0, column - 1 - len(line_text))
    return len(prefix.encode("utf-8", "surrogatepass")) + missing + 1


# ---------------------------------------------------------------------------------------
# Terminal display (text format): printable text and display widths.


def _char_display(ch: str) -> tuple[str, int]:
    """What to print for one source character and how many terminal cells it takes."""
    code = ord(ch)
    if code < 0x20 or 0x7F <= code < 0xA0:
        # Control characters (ESC, CR, ...) would let file content drive the terminal.
        return "\N{REPLACEMENT CHARACTER}", 1
    category = unicodedata.category(ch)
    if category in ("Mn", "Me") or (category == "Cf" and ch != "\u00ad"):
        # Combining marks and format characters (zero-width joiners, bidi controls) take
        # no cell of their own; bidi overrides could reorder what the reader sees, so they
        # are shown as a visible placeholder.
        if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
            return "\N{REPLACEMENT CHARACTER}", 1
        return ch, 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return ch, 2
    return ch, 1


def display_line(line_text: str) -> tuple[str, list[int]]:
    """A source line made safe to print, and the display cell where each character starts.

    Tabs expand to the next multiple of :data:`TAB_WIDTH`; control characters become
    U+FFFD; wide (East Asian) characters take two cells. ``starts`` has one entry per
    character of ``line_text`` plus one for the position just past its end, so a 1-based
    code-point column ``c`` starts at cell ``starts[c - 1]`` (for ``c`` up to
    ``len(line_text) + 1``).
    """
    out: list[str] = []
    starts: list[int] = []
    cell = 0
    for ch in line_text:
        starts.append(cell)
        if ch == "\t":
            width = TAB_WIDTH - cell % TAB_WIDTH
            out.append(" " * width)
        else:
            shown, width = _char_display(ch)
            out.append(shown)
        cell += width
    starts.append(cell)
    return "".join(out), starts


def caret_cells(line_text: str, start_column: int, end_column: int | None) -> tuple[str, int, int]:
    """Printable line, first underlined cell and underline length for a span on this line.

    ``end_column`` is exclusive; ``None`` means "to the end of the line" (the span goes on
    to later lines). The underline is at least one cell wide, so empty spans still point.
    """
    shown, starts = display_line(line_text)
    last = len(starts) - 1  # index of the end-of-line position

    def cell(column: int) -> int:
        index = column - 1
        if index <= last:
            return starts[max(index, 0)]
        return starts[last] + (index - last)  # past the end: one cell per missing character

    begin = cell(start_column)
    end = starts[last] if end_column is None else cell(end_column)
    return shown, begin, max(1, end - begin)
