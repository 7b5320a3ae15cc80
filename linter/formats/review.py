"""Pull-request review comments: one markdown comment per finding on a line of the diff.

Rendered from ``linter/templates/review_comment.md.j2``. A comment shows the severity, the
rule id linked to its documentation, the lock mode (and table, and what it blocks) when the
rule knows it, the message and the help, and, when the finding has a mechanical fix whose
lines are all in the diff, a GitHub suggestion block the author can commit with one click
("Incorporating feedback in your pull request", GitHub docs: a ```` ```suggestion ```` block
replaces the lines the comment covers, ``start_line``..``line``).

Each comment begins with a hidden marker, ``<!-- miglint:finding fp=<fingerprint> rule=<id> -->``
(``state=resolved`` once the finding is gone), which is how a later run recognises its own
comments: same fingerprint and still reported, nothing is posted again; reported no more, the
comment is edited to say it was fixed (``resolved_comment.md.j2``).

Redacted findings (secrets) never get a suggestion or properties: only message and help.

``render(report)`` gives every finding's comment, one after another, as an example page
(``docs/pull-request-comments.md`` is made with it); the bot uses :func:`comment_body`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linter.formats._common import visible_fix
from linter.formats._markdown import fence_for, finding_view, render_template
from linter.model import Finding, Report

MARKER_RE = re.compile(r"<!-- miglint:finding fp=([0-9a-f]{1,64}) rule=([a-z0-9-]+)(?: state=(resolved))? -->")
#: Largest suggestion block put in a comment (characters); a larger fix is only described.
MAX_SUGGESTION = 20_000


def marker(fingerprint: str, rule_id: str, resolved: bool = False) -> str:
    """The hidden first line of a finding's review comment."""
    state = " state=resolved" if resolved else ""
    return f"<!-- miglint:finding fp={fingerprint} rule={rule_id}{state} -->"


def parse_marker(body: str | None) -> tuple[str, str, bool] | None:
    """``(fingerprint, rule id, resolved)`` from a comment body made by :func:`comment_body`."""
    m = MARKER_RE.search(body or "")
    if not m:
        return None
    return m.group(1), m.group(2), m.group(3) == "resolved"


@dataclass(frozen=True)
class Suggestion:
    """Replacement text for whole lines ``first_line``..``last_line`` of the new file."""

    first_line: int
    last_line: int
    text: str

    def as_dict(self) -> dict:
        return {"first_line": self.first_line, "last_line": self.last_line, "text": self.text}


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1


def suggestion_for(finding: Finding, text: str | None) -> Suggestion | None:
    """The lines a finding's fix rewrites, as they would read after the fix, or ``None``
    (no fix, redacted, text unavailable or not matching the fix, CRLF lines, too large, or
    holding miglint's marker text, which a comment body only ever has on its first line)."""
    fix = visible_fix(finding)
    if fix is None or text is None or not (0 <= fix.start <= fix.end <= len(text)):
        return None
    starts = _line_starts(text)
    first = _line_of(starts, fix.start)
    last = _line_of(starts, max(fix.start, fix.end - 1))
    end_line = _line_of(starts, fix.end)
    where = (first, fix.start - starts[first - 1] + 1, end_line, fix.end - starts[end_line - 1] + 1)
    if where != (fix.span.start.line, fix.span.start.column, fix.span.end.line, fix.span.end.column):
        return None  # the file on disk is not the one the finding was made from
    begin = starts[first - 1]
    end = starts[last] if last < len(starts) else len(text)
    region = text[begin:fix.start] + fix.replacement + text[fix.end:end]
    if "\r" in text[begin:end] or "\r" in fix.replacement:
        return None
    if region.endswith("\n"):
        region = region[:-1]
    if len(region) > MAX_SUGGESTION:
        return None
    if "<!-- miglint" in region:  # a suggestion is verbatim SQL: never let it carry marker text
        return None
    return Suggestion(first, last, region)


def comment_body(finding: Finding, suggestion: Suggestion | None = None) -> str:
    """The markdown body of the review comment for ``finding`` (with its suggestion block)."""
    view = finding_view(finding)
    text = None if finding.redacted or suggestion is None else suggestion.text
    return render_template(
        "review_comment.md.j2",
        marker=marker(finding.fingerprint, finding.rule_id),
        f=view,
        suggestion=text,
        fence=fence_for(text or ""),
    )


def resolved_body(original: str, rule_id: str, docs_url: str, fingerprint: str, commit: str | None = None) -> str:
    """The body a bot comment is edited to once its finding is gone: a note that it was
    fixed, with the original comment collapsed (its suggestion block shown as plain SQL)."""
    kept = MARKER_RE.sub("", original or "").strip()
    kept = re.sub(r"^(\s*`{3,})suggestion\s*$", r"\1sql", kept, flags=re.M)
    return render_template(
        "resolved_comment.md.j2",
        marker=marker(fingerprint, rule_id, resolved=True),
        rule=rule_id,
        docs_url=docs_url,
        commit=commit[:7] if commit else None,
        original=kept,
    )


def render(report: Report, *, color: bool = False) -> str:
    """Every finding's review comment, with its suggestion (read from the linted file),
    separated by horizontal rules (``color`` is ignored)."""
    from linter.source import read_text

    paths = {f.path: f.abspath for f in report.files}
    texts: dict[str, str | None] = {}
    out = []
    for f in report.findings:
        if f.path not in texts:
            texts[f.path] = read_text(paths[f.path], 1 << 26).text if f.path in paths else None
        out.append(comment_body(f, suggestion_for(f, texts[f.path])))
    return "\n---\n\n".join(out)
