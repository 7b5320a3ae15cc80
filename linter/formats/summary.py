"""The pull-request summary: one markdown document for the sticky PR comment and the job summary.

Rendered from ``linter/templates/summary.md.j2``: a title with the counts, a table of counts
by severity and the pass/fail verdict for ``fail-on``, then one collapsible table per
migration directory (root) with every finding (severity, file, line, rule linked to its
docs, message, lock mode where the rule knows it, and where it went when it is not an inline
comment), the lock report of the changed files (collapsed), a list of what could not be
posted inline and why, and the run's notes. A clean run says so.

Size: the PR comment must stay under GitHub's 65,536-character limit for comment bodies
(NOTES.md section 4; not in the OpenAPI schema), the job summary under 1 MiB. When the full
document is larger, rows are dropped, least severe first, until it fits, and the comment
says how many were left out and where to see them (the job summary, annotations, SARIF);
a lock report larger than a quarter of the budget is left out with a note.

Redacted findings show their message only (never source, fix or properties).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from linter.formats._common import most_severe_first
from linter.formats._markdown import ICONS, lock_of, render_template
from linter.model import Finding, Report, Severity

#: Hidden first line of the sticky PR comment; the bot finds its comment by it.
MARKER = "<!-- miglint:summary -->"
#: Budget for the PR comment body (GitHub rejects bodies over 65,536 characters).
COMMENT_LIMIT = 60_000
#: Budget for the job summary (GitHub accepts up to 1 MiB per step), in UTF-8 bytes.
JOB_SUMMARY_LIMIT = 1_000_000
#: Directories with at most this many rows are shown expanded.
OPEN_ROWS = 25


@dataclass
class SummaryData:
    """Everything the summary shows.

    * ``findings``: the findings reported for this change; ``roots``: ``{path: migration
      root}`` for grouping (a path without one is grouped by its directory).
    * ``where``: ``{fingerprint: short text}`` for findings that are not an inline comment
      ("outside the diff", "over the comment limit"...); ``not_inline``: sentences for the
      "Not posted inline" section; ``notes``: remarks about the run.
    * ``files``: number of changed migration files linted; ``scope``: what they are
      ("changed migration files", "migration files"); ``delivery``: what was posted where
      (the job summary shows it under the verdict).
    """

    findings: list[Finding]
    roots: dict[str, str] = field(default_factory=dict)
    files: int = 0
    scope: str = "changed migration files"
    fail_on: str = "error"
    failing: bool = False
    where: dict[str, str] = field(default_factory=dict)
    not_inline: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lock_markdown: str | None = None
    previous: bool = False
    delivery: list[str] = field(default_factory=list)
    footer: str = "miglint"
    elsewhere: str = "the job summary and the workflow annotations"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def counts_phrase(counts: dict[str, int]) -> str:
    parts = [_plural(counts[s.value], s.value) for s in Severity if counts[s.value]]
    if not parts:
        return "no findings"
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def _counts(findings: list[Finding]) -> dict[str, int]:
    out = {s.value: 0 for s in Severity}
    for f in findings:
        out[f.severity.value] += 1
    return out


def _groups(rows: list[Finding], all_findings: list[Finding], data: SummaryData) -> list[dict]:
    def root_of(f: Finding) -> str:
        return data.roots.get(f.path) or posixpath.dirname(f.path) or "."

    totals: dict[str, list[Finding]] = {}
    for f in all_findings:
        totals.setdefault(root_of(f), []).append(f)
    shown: dict[str, list[Finding]] = {}
    for f in rows:
        shown.setdefault(root_of(f), []).append(f)
    groups = []
    for name in sorted(totals):
        members = sorted(shown.get(name, []), key=Finding.sort_key)
        total = totals[name]
        groups.append(
            {
                "name": name,
                "counts_phrase": counts_phrase(_counts(total)),
                "open": len(members) <= OPEN_ROWS,
                "more": len(total) - len(members),
                "rows": [
                    {
                        "icon": ICONS[f.severity],
                        "path": f.path,
                        "line": f.line,
                        "rule": f.rule_id,
                        "docs_url": f.docs_url,
                        "message": f.message,
                        "lock": "" if lock_of(f)["lock"] in f.message else lock_of(f)["lock"],
                        "where": data.where.get(f.fingerprint, ""),
                    }
                    for f in members
                ],
            }
        )
    return groups


def _render(data: SummaryData, rows: list[Finding], lock_markdown: str | None, marker: str | None, extra_notes: list[str]) -> str:
    counts = _counts(data.findings)
    total = len(data.findings)
    if total:
        title = f"miglint: {counts_phrase(counts)}"
    elif data.files:
        title = "miglint: no problems"
    else:
        title = "miglint: no migration files changed" if data.scope.startswith("changed") else "miglint: no migration files"
    noun = data.scope if data.files != 1 else data.scope[:-1]
    files_phrase = f"the {data.files} {noun}" if data.files else "this change (it touches no migration files)"
    if data.fail_on == "never":
        verdict = "The check does not fail on findings (`fail-on: never`)."
    elif data.failing:
        verdict = f"❌ **Fails**: findings at or above `{data.fail_on}` (`fail-on`)."
    else:
        verdict = f"✅ **Passes**: nothing at or above `{data.fail_on}` (`fail-on`)."
    s = {
        "counts": counts,
        "scope_label": data.scope,
        "files_phrase": files_phrase,
        "verdict": verdict,
        "previous": data.previous,
        "groups": _groups(rows, data.findings, data),
        "omitted": total - len(rows),
        "elsewhere": data.elsewhere,
        "lock_markdown": lock_markdown,
        "not_inline": data.not_inline,
        "not_inline_open": len(data.not_inline) <= 5,
        "notes": list(data.notes) + extra_notes,
        "delivery": data.delivery,
        "footer": data.footer,
    }
    return render_template("summary.md.j2", marker=marker, title=title, clean=total == 0, s=s)


def render_summary(data: SummaryData, *, limit: int = COMMENT_LIMIT, marker: str | None = MARKER, measure=len) -> str:
    """The summary document, cut to ``limit`` (as counted by ``measure``: ``len`` for
    characters, or a byte counter) by dropping the least severe rows."""
    lock = data.lock_markdown.strip() if data.lock_markdown else None
    notes: list[str] = []
    if lock and measure(lock) > limit // 4:
        lock = None
        notes.append("The lock report is too large for this comment; run `miglint locks` on the changed files to see it.")
    ordered = most_severe_first(data.findings)
    text = _render(data, ordered, lock, marker, notes)
    keep = len(ordered)
    while measure(text) > limit and keep > 0:
        keep = max(0, min(keep - 1, int(keep * limit / measure(text) * 0.9)))
        text = _render(data, ordered[:keep], lock, marker, notes)
    if measure(text) > limit:  # the frame alone is too large (enormous notes): hard cut
        cut = text[: max(0, limit - 200)]
        while measure(cut) > limit - 200:
            cut = cut[: len(cut) * 9 // 10]
        text = cut + "\n\n… (cut to fit GitHub's size limit)\n"
    return text


def render(report: Report, *, color: bool = False) -> str:
    """A summary of a plain run (no pull request): every finding, grouped by root."""
    data = SummaryData(
        findings=list(report.findings),
        roots={f.path: f.root for f in report.files},
        files=len(report.files),
        scope="migration files",
        notes=list(report.notes),
        footer=f"miglint {report.tool_version}",
    )
    return render_summary(data, marker=None, limit=JOB_SUMMARY_LIMIT, measure=lambda t: len(t.encode("utf-8")))
