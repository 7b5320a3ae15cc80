"""Pull-request review comments: one markdown comment per statement (a *thread*) on a line
of the diff, or per file for findings about a file rather than a line.

Rendered from ``linter/templates/review_comment.md.j2``. A comment shows its most severe
finding in full: the severity, the rule id linked to its documentation, the lock mode (and
table, and what it blocks) when the rule knows it, the message and, under a **Fix:** label,
the help. Each other finding of the same statement follows as one line (severity, rule
link, message). When the findings have mechanical fixes whose lines the pull request
changed, one GitHub suggestion block makes all of them at once (the engine offers no two
fixes of a file that overlap, :mod:`linter.merge`, so they combine: :func:`suggestion_for_all`);
the author commits it with one click ("Incorporating feedback in your pull request", GitHub
docs: a ```` ```suggestion ```` block replaces the lines the comment covers,
``start_line``..``line``).

Each comment begins with a hidden marker,
``<!-- miglint:finding fp=<fingerprint> rule=<id> also=<fp>:<id>,... -->`` (the most
severe finding, then the others; ``state=resolved`` once they are all gone), which is how a
later run recognises its own comments: the same findings still reported, nothing is posted
again; a changed set, the comment is edited; none reported any more, the comment is
edited to say they were fixed (``resolved_comment.md.j2``).

Redacted findings (secrets) never get a suggestion or properties: only message and help.

``render(report)`` gives every finding's comment, one after another, as an example page
(``docs/pull-request-comments.md`` is made with it); the bot uses :func:`comment_body`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from linter.formats._common import visible_fix
from linter.formats._markdown import fence_for, finding_view, render_template
from linter.model import Finding, Report

MARKER_RE = re.compile(
    r"<!-- miglint:finding fp=([0-9a-f]{1,64}) rule=([a-z0-9-]+)((?: also=[0-9a-f]{1,64}:[a-z0-9-]+(?:,[0-9a-f]{1,64}:[a-z0-9-]+)*)?)(?: state=(resolved))? -->"
)
#: Largest suggestion block put in a comment (characters); a larger fix is only described.
MAX_SUGGESTION = 20_000


def marker(fingerprint: str, rule_id: str, resolved: bool = False, also: list[tuple[str, str]] | tuple = ()) -> str:
    """The hidden first line of a thread's review comment: its most severe finding
    (``fingerprint``, ``rule_id``) and the others of the thread (``also``: ``(fingerprint,
    rule id)`` pairs)."""
    state = " state=resolved" if resolved else ""
    more = " also=" + ",".join(f"{fp}:{rule}" for fp, rule in also) if also else ""
    return f"<!-- miglint:finding fp={fingerprint} rule={rule_id}{more}{state} -->"


def parse_marker(body: str | None) -> tuple[str, str, bool] | None:
    """``(fingerprint, rule id, resolved)`` of the most severe finding of a comment body
    made by :func:`thread_body` (see :func:`parse_members` for the others)."""
    m = MARKER_RE.search(body or "")
    if not m:
        return None
    return m.group(1), m.group(2), m.group(4) == "resolved"


def parse_members(body: str | None) -> dict[str, str]:
    """``{fingerprint: rule id}`` of every finding a thread's marker names (the most severe
    first); empty when the body has no marker."""
    m = MARKER_RE.search(body or "")
    if not m:
        return {}
    out = {m.group(1): m.group(2)}
    if m.group(3):
        for pair in m.group(3)[len(" also="):].split(","):
            fp, _, rule = pair.partition(":")
            out.setdefault(fp, rule)
    return out


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


def suggestion_for_all(findings: list[Finding], text: str | None) -> Suggestion | None:
    """One suggestion making the fixes of every finding in ``findings`` that has one (the
    lines from the first fix's to the last fix's, as they read after all of them), or
    ``None`` (no fix, text unavailable or not matching a fix, two fixes that overlap, CRLF
    lines, too large). With one fix it is :func:`suggestion_for`. Which edits go together,
    and the edits made, are :mod:`linter.fixes`' (as ``miglint lint --fix`` makes them); a
    suggestion makes all of a thread's fixes or none."""
    from linter.fixes import apply_edits, plan_fixes

    if text is None:
        return None
    mine = [f for f in findings if visible_fix(f) is not None]
    if not mine:
        return None
    plan = plan_fixes(mine, text)
    if plan.skipped or not plan.edits:
        return None  # overlapping edits (the engine's merge step keeps them apart), or a stale file
    if len(plan.edits) == 1:
        return suggestion_for(plan.fixed[0], text)
    fixes = plan.edits
    starts = _line_starts(text)
    first = _line_of(starts, fixes[0].start)
    last = max(_line_of(starts, max(fx.start, fx.end - 1)) for fx in fixes)
    begin = starts[first - 1]
    end = starts[last] if last < len(starts) else len(text)
    region = apply_edits(text[begin:end], [replace(fx, start=fx.start - begin, end=fx.end - begin) for fx in fixes])
    if "\r" in text[begin:end] or any("\r" in fx.replacement for fx in fixes):
        return None
    if region.endswith("\n"):
        region = region[:-1]
    if len(region) > MAX_SUGGESTION or "<!-- miglint" in region:  # never marker text (see suggestion_for)
        return None
    return Suggestion(first, last, region)


def _fix_count(findings: list[Finding]) -> int:
    return sum(1 for f in findings if visible_fix(f) is not None)


def thread_body(findings: list[Finding], suggestion: Suggestion | None = None, *, file_level: bool = False) -> str:
    """The markdown body of the review comment for one statement's (or, with
    ``file_level``, one file's) ``findings``, the most severe first: it in full, each other
    as one line, and ``suggestion`` (making every fix of the thread) as one block."""
    lead, others = findings[0], findings[1:]
    text = None if suggestion is None or any(f.redacted for f in findings) else suggestion.text
    fixes = [f for f in findings if visible_fix(f) is not None]
    return render_template(
        "review_comment.md.j2",
        marker=marker(lead.fingerprint, lead.rule_id, also=[(f.fingerprint, f.rule_id) for f in others]),
        f=finding_view(lead),
        others=[finding_view(f) for f in others],
        suggestion=text,
        fixes=len(fixes),
        fix_description="; ".join(visible_fix(f).description for f in fixes if visible_fix(f).description) if text is None else None,
        file_level=file_level,
        fence=fence_for(text or ""),
    )


def comment_body(finding: Finding, suggestion: Suggestion | None = None) -> str:
    """The markdown body of the review comment for ``finding`` alone (with its suggestion
    block): :func:`thread_body` of one finding."""
    return thread_body([finding], suggestion)


def resolved_body(original: str, rule_id: str, docs_url: str, fingerprint: str, commit: str | None = None) -> str:
    """The body a bot comment is edited to once its findings are gone: a note that they
    were fixed, with the original comment collapsed (its suggestion block shown as plain SQL)."""
    members = parse_members(original)
    also = [(fp, rule) for fp, rule in members.items() if fp != fingerprint]
    kept = MARKER_RE.sub("", original or "").strip()
    kept = re.sub(r"^(\s*`{3,})suggestion\s*$", r"\1sql", kept, flags=re.M)
    return render_template(
        "resolved_comment.md.j2",
        marker=marker(fingerprint, rule_id, resolved=True, also=also),
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
