"""Reviewdog Diagnostic Format, ``rdjson`` flavour (``--format rdjson``), for ``reviewdog -f=rdjson``.

Spec sources:

* reviewdog ``proto/rdf/reviewdog.proto`` (``DiagnosticResult`` and friends),
  https://github.com/reviewdog/reviewdog/blob/master/proto/rdf/reviewdog.proto
* reviewdog ``proto/rdf/README.md`` and its JSON Schemas,
  https://github.com/reviewdog/reviewdog/tree/master/proto/rdf

The output is one ``DiagnosticResult`` object::

    {"source": {"name": "miglint", "url": "https://github.com/miglint/miglint"},
     "severity": "ERROR",
     "diagnostics": [{"message": "...", "location": {"path": "...", "range": {...}},
                      "severity": "ERROR", "code": {"value": "syntax-error", "url": "..."},
                      "suggestions": [{"range": {...}, "text": "..."}]}]}

* ``severity`` (top level): the most severe level among the diagnostics (omitted when there
  are none). Per diagnostic: ``ERROR``, ``WARNING``, ``INFO`` for error, warning, note.
* ``message``: the message, then the help on a new line. ``code``: rule id and docs URL.
* **Columns are UTF-8 byte counts in rdjson** (the proto: "Column number, starting at 1
  (byte count in UTF-8)"), while miglint counts characters. Columns are converted with the
  source line from ``report.excerpts``; ranges are end-exclusive in both. When a line
  needed for the conversion is not available (always for redacted findings, whose lines
  are never used; or the end line of a multi-line span the report has no excerpt for), a
  column of 1 is kept (it is 1 in any unit) and otherwise the range becomes line-wise:
  ``start``/``end`` give only ``line`` (the proto's line-wise form, end line included).
* ``suggestions``: the fix as one suggestion (range + replacement text), only for
  non-redacted findings and only when its range converts exactly (a line-wise range would
  replace whole lines).
* ``original_output`` is not written (it is meant for diagnostics converted from another
  tool's output).
"""

from __future__ import annotations

import json
from typing import Any

from linter import HOMEPAGE
from linter.formats._common import excerpt_line, last_line, max_severity, message_and_help, utf8_column, visible_fix
from linter.model import Finding, Position, Report, Severity, Span

SEVERITIES = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.NOTE: "INFO"}


def _byte_column(report: Report, finding: Finding, position: Position) -> int | None:
    """The UTF-8 byte column of ``position``, or ``None`` if the line text is unavailable."""
    if position.column == 1:
        return 1
    line_text = excerpt_line(report, finding, position.line)
    if line_text is None:
        return None
    return utf8_column(line_text, position.column)


def _exact_range(report: Report, finding: Finding, span: Span) -> dict[str, Any] | None:
    """The span with byte columns, or ``None`` if a column cannot be converted."""
    start = _byte_column(report, finding, span.start)
    end = _byte_column(report, finding, span.end)
    if start is None or end is None:
        return None
    return {
        "start": {"line": span.start.line, "column": start},
        "end": {"line": span.end.line, "column": end},
    }


def _range(report: Report, finding: Finding) -> dict[str, Any]:
    exact = _exact_range(report, finding, finding.span)
    if exact is not None:
        return exact
    return {"start": {"line": finding.span.start.line}, "end": {"line": last_line(finding.span)}}


def diagnostic(report: Report, finding: Finding) -> dict[str, Any]:
    """One ``Diagnostic`` message for a finding."""
    out: dict[str, Any] = {
        "message": message_and_help(finding),
        "location": {"path": finding.path, "range": _range(report, finding)},
        "severity": SEVERITIES[finding.severity],
        "code": {"value": finding.rule_id, "url": finding.docs_url},
    }
    fix = visible_fix(finding)
    if fix is not None:
        fix_range = _exact_range(report, finding, fix.span)
        if fix_range is not None:
            out["suggestions"] = [{"range": fix_range, "text": fix.replacement}]
    return out


def result(report: Report) -> dict[str, Any]:
    """The report as a ``DiagnosticResult`` object."""
    out: dict[str, Any] = {"source": {"name": "miglint", "url": HOMEPAGE}}
    worst = max_severity(report.findings)
    if worst is not None:
        out["severity"] = SEVERITIES[worst]
    out["diagnostics"] = [diagnostic(report, f) for f in report.findings]
    return out


def render(report: Report, *, color: bool = False) -> str:
    """The report as an rdjson document (``color`` is ignored)."""
    return json.dumps(result(report), indent=2, ensure_ascii=False) + "\n"
