"""miglint's own JSON output (``--format json``): the reference for scripts and bots.

Spec source: this docstring. Compatibility promise: **fields are only ever added; meanings
never change.** A change that would alter a field's meaning gets a new field name (or a new
``version``), as pylint kept ``json`` and added ``json2``
(https://pylint.readthedocs.io/en/latest/user_guide/usage/output.html). Consumers should
ignore fields they do not know.

The output is one JSON object (UTF-8, pretty-printed, ending in a newline)::

    {
      "version": 1,
      "tool": {"name": "miglint", "version": "0.1.0"},
      "findings": [ ... ],
      "summary": {"files": 5, "findings": 4, "error": 3, "warning": 1, "note": 0},
      "notes": ["no migration files found in legacy/"]
    }

Top level:

``version`` (int)
    Version of this document's layout: ``1``. It goes up only if a meaning ever changes.
``tool``
    ``name`` is ``"miglint"``; ``version`` is miglint's version string.
``findings`` (array)
    One object per finding (below), sorted by path, line, column, then rule id.
    Suppressed findings are not included.
``summary``
    ``files``: number of migration files linted; ``findings``: number of findings;
    ``error`` / ``warning`` / ``note``: number of findings at each severity.
``notes`` (array of strings)
    Human-readable remarks about the run (not findings).
``observations`` (array of objects; ``miglint verify`` only, absent otherwise)
    What the server did per replayed statement that was observed or failed: ``path``,
    ``line``, ``statement`` (shortened), ``status``, ``in_transaction``, ``server``,
    ``locks`` (``relation``, ``mode``, ``new``: created in the same transaction,
    ``granted``), ``rewritten``, ``sqlstate``, ``message``, ``ms``
    (:func:`linter.verify.observations`).

Each finding:

``rule`` (string)
    The rule id, kebab-case (``"non-concurrent-index"``).
``family`` (string)
    The rule family: ``syntax``, ``style``, ``locking``, ``idempotency``, ``naming``,
    ``versioning``, ``rollback``, ``history`` or ``secrets``.
``severity`` (string)
    ``"error"``, ``"warning"`` or ``"note"`` (as configured for this run).
``path`` (string)
    The file, POSIX, relative to the directory miglint reported against (the working
    directory, or the repository root in a pull request).
``line``, ``column``, ``end_line``, ``end_column`` (int)
    The region, 1-based. Columns count Unicode code points (characters), not bytes or
    UTF-16 units. The region is half-open: ``end_line``/``end_column`` is the position just
    *after* the last character (so a one-character region at 3:5 ends at 3:6, and a
    finding about a whole file is ``1:1`` to ``1:1``).
``message`` (string)
    What is wrong. May contain line breaks.
``help`` (string or null)
    What to do about it.
``docs_url`` (string)
    Absolute URL of the rule's documentation.
``fingerprint`` (string)
    16 hex characters identifying the finding across runs: built from the rule, the path
    and the finding's source context, not its line, so it survives lines added above.
    Two findings can share a fingerprint (the same problem twice in one file).
``redacted`` (bool)
    ``true`` for findings whose source must never be shown (secrets). For these, ``fix``
    is always ``null`` and ``properties`` always ``{}``; only ``message`` and ``help``
    describe the problem.
``fix`` (object or null)
    A mechanical fix: replace the region ``line:column`` to ``end_line:end_column``
    (same conventions as above; an empty region is an insertion) with ``replacement``.
    ``description`` is a short imperative ("Add CONCURRENTLY").
``properties`` (object)
    Rule-specific data, e.g. ``{"lock": "ACCESS EXCLUSIVE"}``. Keys are documented with
    each rule; ``{}`` when there are none. Two keys any rule may carry: ``also`` (the ids
    of rules whose findings on the same statement were folded into this one, their point
    appended to the message, see ``linter/merge.py``) and ``columns`` (the columns a
    once-per-statement finding names).
"""

from __future__ import annotations

from typing import Any, Iterator

from linter.formats._common import visible_fix, visible_properties
from linter.model import Finding, Report

#: Layout version of this format (the ``version`` field).
VERSION = 1


def fix_dict(fix) -> dict[str, Any] | None:
    """A :class:`~linter.model.Fix` as JSON: ``description``, ``replacement`` and its span
    (1-based ``line``/``column``, ``end_line``/``end_column``); ``None`` for no fix."""
    if fix is None:
        return None
    start, end = fix.span.start, fix.span.end
    return {"description": fix.description, "replacement": fix.replacement,
            "line": start.line, "column": start.column, "end_line": end.line, "end_column": end.column}


def finding_dict(finding: Finding) -> dict[str, Any]:
    """One finding as the JSON object described in the module docstring."""
    span = finding.span
    fix = visible_fix(finding)
    return {
        "rule": finding.rule_id,
        "family": finding.family,
        "severity": str(finding.severity),
        "path": finding.path,
        "line": span.start.line,
        "column": span.start.column,
        "end_line": span.end.line,
        "end_column": span.end.column,
        "message": finding.message,
        "help": finding.help,
        "docs_url": finding.docs_url,
        "fingerprint": finding.fingerprint,
        "redacted": finding.redacted,
        "fix": fix_dict(fix),
        "properties": visible_properties(finding),
    }


def report_dict(report: Report, *, findings: bool = True) -> dict[str, Any]:
    """The whole report as the JSON document described in the module docstring
    (``findings=False``: with an empty ``findings`` array; the summary still counts them)."""
    counts = report.counts()
    return {
        "version": VERSION,
        "tool": {"name": "miglint", "version": report.tool_version},
        "findings": [finding_dict(f) for f in report.findings] if findings else [],
        "summary": {
            "files": len(report.files),
            "findings": len(report.findings),
            "error": counts["error"],
            "warning": counts["warning"],
            "note": counts["note"],
        },
        "notes": list(report.notes),
        **({"observations": list(report.observations)} if getattr(report, "observations", None) else {}),
    }


def chunks(report: Report) -> Iterator[bytes]:
    """The document of :func:`render` as UTF-8 byte chunks, one finding per chunk.

    A whole-repository report has tens of thousands of findings (25 MB of JSON for the
    shared corpus); writing it chunk by chunk never holds every finding's dict, the encoded
    document and its decoded text in memory at once. The bytes are exactly
    ``render(report).encode("utf-8")``: each finding is encoded with orjson's 2-space indent
    and shifted by the 4 spaces of its depth in the document.
    """
    dumps = _small_dumps if len(report.findings) <= SMALL_REPORT else _dumps
    doc = report_dict(report, findings=False)
    head, sep, tail = dumps(doc).partition(_EMPTY_FINDINGS)
    if not report.findings:
        yield head + sep + tail + b"\n"
        return
    yield head + b'"findings": [\n'
    last = len(report.findings) - 1
    for i, finding in enumerate(report.findings):
        item = dumps(finding_dict(finding))
        # pretty-printing is the only source of raw line breaks (strings escape theirs)
        yield b"    " + item.replace(b"\n", b"\n    ") + (b",\n" if i < last else b"\n")
    yield b"  ]" + tail + b"\n"


#: How orjson writes the empty ``findings`` array that :func:`chunks` fills in.
_EMPTY_FINDINGS = b'"findings": []'

#: Reports of at most this many findings are encoded with the standard library's ``json``
#: (the same bytes, tests/test_formats.py): importing orjson costs more than encoding a
#: few hundred findings in pure Python (a pull request's, one file's).
SMALL_REPORT = 200


def _dumps(obj) -> bytes:
    import orjson

    return orjson.dumps(obj, option=orjson.OPT_INDENT_2)


def _small_dumps(obj) -> bytes:
    import json

    return json.dumps(obj, indent=2, ensure_ascii=False).encode("utf-8")


def render(report: Report, *, color: bool = False) -> str:
    """The report as a JSON document (``color`` is ignored)."""
    # orjson for large reports: the stdlib encoder with indent is pure Python and took
    # seconds for a whole-repository report; the output is the same (2-space indent,
    # UTF-8, key order)
    return b"".join(chunks(report)).decode("utf-8")
