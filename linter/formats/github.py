"""GitHub Actions workflow commands: one annotation per finding (``--format github``).

Spec sources:

* "Workflow commands for GitHub Actions", sections "Setting an error/warning/notice
  message", https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
* Escaping: actions/toolkit ``packages/core/src/command.ts`` (``escapeData`` and
  ``escapeProperty``), https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
* Column rule as in ruff's ``crates/ruff_db/src/diagnostic/render/github.rs``.

Each line is::

    ::error file=db/V1__init.sql,line=3,endLine=3,col=8,endColumn=12,title=syntax-error::message%0Ahelp

* ``error`` / ``warning`` / ``notice`` for miglint's error / warning / note.
* ``col`` and ``endColumn`` are given only when the span is on one line (GitHub's check
  annotations accept columns only for one-line ranges). Columns count characters and
  ``endColumn`` is exclusive, as everywhere in miglint. ``endLine`` is the last line the
  finding covers (a span ending at column 1 of a line ends on the line before).
* The message is the finding's message, then its help on a new line.
* Escaping, exactly as the toolkit does it: in the message ``%`` -> ``%25``, CR -> ``%0D``,
  LF -> ``%0A``; in property values additionally ``:`` -> ``%3A`` and ``,`` -> ``%2C``.
* Lines are sorted most severe first (errors, warnings, notices), then by path and position.
  GitHub shows at most 10 error and 10 warning annotations per step; this format prints
  them all (the PR bot applies the cap), so the most important come first.
* Redacted findings show only message and help, like every format.
"""

from __future__ import annotations

from linter.formats._common import last_line, message_and_help, most_severe_first
from linter.model import Finding, Report, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(value: str) -> str:
    """Escape a command's message (toolkit ``escapeData``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command property value (toolkit ``escapeProperty``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(finding: Finding) -> str:
    """The workflow command line (without line break) for one finding."""
    span = finding.span
    props = [("file", finding.path), ("line", str(span.start.line)), ("endLine", str(last_line(span)))]
    if span.one_line:
        props += [("col", str(span.start.column)), ("endColumn", str(span.end.column))]
    props.append(("title", finding.rule_id))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{COMMANDS[finding.severity]} {joined}::{escape_data(message_and_help(finding))}"


def render(report: Report, *, color: bool = False) -> str:
    """One workflow command per finding, most severe first (``color`` is ignored)."""
    return "".join(command(f) + "\n" for f in most_severe_first(report.findings))
