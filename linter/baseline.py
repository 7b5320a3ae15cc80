"""Baseline files: findings a repository has accepted, so ``lint`` stops reporting them.

``miglint baseline`` writes one; ``miglint lint`` reads it from ``--baseline FILE`` or the
``baseline:`` configuration key and drops every finding whose fingerprint it lists. A
repository can so adopt a rule (the secrets family above all) without rewriting history
first: what is there today is accepted, anything new is reported.

The file is JSON, sorted, one entry per finding, and never holds source text or a secret::

    {"version": 1, "tool": "miglint", "comment": "Findings accepted by `miglint baseline` …", "findings": [
      {"fingerprint": "3f1c9a0b7d2e4c15", "rule": "plaintext-password", "path": "db/seeds/prod.sql"}
    ]}

``fingerprint`` is the finding's fingerprint (see :class:`linter.model.Finding`): built
from the rule, the path and the finding's context, not its line, so an accepted finding
stays accepted when lines are added above it; for the secrets rules the context is the
table and column (or role, option, comment), the kind and a non-secret key of the row.
``rule`` and ``path`` are there for people reviewing the file. Readers accept any
``version`` 1 file and ignore keys they do not know; the version changes only if a key
changes meaning.
"""

from __future__ import annotations

import json
from pathlib import Path

from linter.model import Finding, Report

VERSION = 1
DEFAULT_PATH = ".miglint-baseline.json"
COMMENT = (
    "Findings accepted by `miglint baseline`: `miglint lint` does not report them. "
    "Regenerate with `miglint baseline`; remove entries as you fix them."
)


class BaselineError(Exception):
    """A baseline file that cannot be read or is not a miglint baseline."""


def dumps(findings: list[Finding]) -> str:
    """The baseline file text for ``findings``: sorted by path, rule and fingerprint, one
    entry per line (so that diffs stay readable), ending with a newline."""
    entries = sorted({(f.path, f.rule_id, f.fingerprint) for f in findings})
    lines = [
        "  " + json.dumps({"fingerprint": fp, "rule": rule, "path": path}, ensure_ascii=False)
        for path, rule, fp in entries
    ]
    head = json.dumps({"version": VERSION, "tool": "miglint", "comment": COMMENT}, ensure_ascii=False)[:-1]
    body = ",\n".join(lines)
    return f"{head}, \"findings\": [\n{body}\n]}}\n" if lines else f"{head}, \"findings\": []}}\n"


def load(path: str | Path) -> set[str]:
    """The accepted fingerprints of the baseline file at ``path``.

    Raises :class:`BaselineError` naming the file when it is missing, not JSON, or not a
    version 1 miglint baseline.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a JSON baseline file: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a miglint baseline (version {VERSION}, a findings list)")
    out = set()
    for i, entry in enumerate(data["findings"]):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str):
            raise BaselineError(f"{path}: findings[{i}] has no fingerprint")
        out.add(fp)
    return out


def apply(report: Report, accepted: set[str], source: str) -> int:
    """Drop the findings of ``report`` whose fingerprint is in ``accepted``; add a note
    saying how many were dropped and how many entries matched nothing. Returns the number
    dropped."""
    kept, dropped, used = [], 0, set()
    for f in report.findings:
        if f.fingerprint in accepted:
            dropped += 1
            used.add(f.fingerprint)
        else:
            kept.append(f)
    report.findings = kept
    if dropped:
        report.notes.append(f"{dropped} finding{'s' if dropped != 1 else ''} accepted by the baseline {source}")
    stale = len(accepted - used)
    if stale:
        report.notes.append(
            f"{stale} baseline entr{'ies' if stale != 1 else 'y'} in {source} matched no finding "
            "(fixed, or the files were not linted): regenerate it with `miglint baseline`"
        )
    return dropped
