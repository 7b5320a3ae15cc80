"""GitLab Code Quality report (``--format gitlab``), for ``artifacts:reports:codequality``.

Spec sources:

* GitLab, "Code Quality", section "Code Quality report format",
  https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format
* The Code Climate engine spec GitLab takes a subset of,
  https://github.com/codeclimate/platform/blob/master/spec/analyzers/SPEC.md#data-types

The report is a JSON array with one object per finding::

    [{"type": "issue", "check_name": "syntax-error", "description": "...",
      "fingerprint": "0123456789abcdef", "severity": "major",
      "location": {"path": "db/V1__init.sql", "lines": {"begin": 3, "end": 3}}}]

* ``check_name``: the rule id. ``description``: the message, then the help on a new line.
* ``fingerprint``: miglint's fingerprint. GitLab treats equal fingerprints as one issue, so
  when several findings share one (the same problem twice in a file), the second and later
  get ``-2``, ``-3``, ... appended in report order (path, line, column): deterministic, and
  the first keeps the plain fingerprint.
* ``severity``: note -> ``info``, warning -> ``minor``, error -> ``major``; an error of a
  secrets-family rule -> ``critical`` (a leaked credential must be rotated, not just fixed).
  ``blocker`` is not used.
* ``location``: ``path`` (repo-relative, no ``./``) and ``lines`` (``begin``/``end``,
  1-based; ``end`` is the last line the finding covers). GitLab reads only the first line (``lines.begin``, or ``positions.begin.line``);
  the ``lines`` form is the one every GitLab version reads, and columns would be ignored.
* ``type`` is always ``issue`` (required by Code Climate, ignored by GitLab).
* Redacted findings show only message and help, like every format.
"""

from __future__ import annotations

import json
from typing import Any

from linter.formats._common import last_line, message_and_help
from linter.model import Finding, Report, Severity

SEVERITIES = {Severity.NOTE: "info", Severity.WARNING: "minor", Severity.ERROR: "major"}


def severity(finding: Finding) -> str:
    """The Code Quality severity for a finding."""
    if finding.family == "secrets" and finding.severity is Severity.ERROR:
        return "critical"
    return SEVERITIES[finding.severity]


def issues(report: Report) -> list[dict[str, Any]]:
    """The report as a list of Code Quality issue objects."""
    seen: dict[str, int] = {}
    out = []
    for finding in report.findings:
        count = seen.get(finding.fingerprint, 0) + 1
        seen[finding.fingerprint] = count
        fingerprint = finding.fingerprint if count == 1 else f"{finding.fingerprint}-{count}"
        out.append(
            {
                "type": "issue",
                "check_name": finding.rule_id,
                "description": message_and_help(finding),
                "fingerprint": fingerprint,
                "severity": severity(finding),
                "location": {
                    "path": finding.path,
                    "lines": {"begin": finding.span.start.line, "end": last_line(finding.span)},
                },
            }
        )
    return out


def render(report: Report, *, color: bool = False) -> str:
    """The report as a GitLab Code Quality JSON array (``color`` is ignored)."""
    return json.dumps(issues(report), indent=2, ensure_ascii=False) + "\n"
