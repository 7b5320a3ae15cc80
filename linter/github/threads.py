"""What to post where: pure decisions, no I/O (so every case is unit-tested).

:func:`plan_review` takes the findings reported for a pull request, its changed files (with
their patches), the suggestions computed from the fixes and the bot's existing review
comments, and decides:

* **new inline comments**: a finding not yet commented on (no active bot comment with its
  fingerprint) whose lines are in the diff. The comment covers the finding's lines when they
  are all in one hunk, else its first line, else the first of its lines that is in the diff.
  A finding with a suggestion covers exactly the lines the suggestion rewrites, and only
  when all of them are in one hunk (otherwise the comment is made without the suggestion).
  Findings on removed files go on the old file's deleted lines (``side: LEFT``). At most
  ``max_comments`` per run, most severe first.
* **kept**: findings whose comment from an earlier run is still there (same fingerprint):
  nothing is posted again, wherever their lines have moved.
* **resolve**: bot comments whose fingerprint is reported no more: edited to say the
  problem was fixed (see :func:`linter.formats.review.resolved_body`). A resolved comment
  whose finding comes back does not count as a comment of it: a new one is posted.
* **where**: for each finding that is not an inline comment, why (outside the diff, over
  the limit, the checkout differs from the PR head...); ``not_inline`` sums that up for the
  summary comment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from linter.formats._common import last_line, most_severe_first
from linter.formats.review import Suggestion, comment_body, parse_marker
from linter.github.diff import ChangedFile
from linter.model import Finding

from linter.github.command import MAX_COMMENTS  # noqa: E402  (the rest go to the summary comment)
#: How far into a long finding the first commentable line is looked for.
_SCAN_LINES = 500


@dataclass
class ExistingComment:
    """A review comment of the bot, recognised by its marker."""

    id: int
    fingerprint: str
    rule_id: str
    resolved: bool
    body: str
    path: str | None = None


@dataclass
class InlineComment:
    finding: Finding
    path: str
    line: int
    side: str
    body: str
    start_line: int | None = None

    def as_api(self) -> dict:
        """One item of ``comments[]`` in ``POST /pulls/{n}/reviews``."""
        item = {"path": self.path, "line": self.line, "side": self.side, "body": self.body}
        if self.start_line is not None and self.start_line < self.line:
            item["start_line"] = self.start_line
            item["start_side"] = self.side
        return item


@dataclass
class Plan:
    new: list[InlineComment] = field(default_factory=list)
    kept: list[tuple[Finding, ExistingComment]] = field(default_factory=list)
    resolve: list[ExistingComment] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)
    reasons: Counter = field(default_factory=Counter)

    def not_inline(self) -> list[str]:
        """Sentences for the summary's "Not posted inline" section."""
        out = []
        for reason, n in sorted(self.reasons.items(), key=lambda kv: -kv[1]):
            out.append(f"{n} finding{'s' if n != 1 else ''}: {reason}")
        return out


def existing_comments(items: list[dict]) -> list[ExistingComment]:
    """The bot's comments among ``GET /pulls/{n}/comments`` items (by their marker)."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        parsed = parse_marker(item.get("body"))
        if parsed is None or not isinstance(item.get("id"), int):
            continue
        fp, rule, resolved = parsed
        out.append(ExistingComment(item["id"], fp, rule, resolved, item.get("body") or "", item.get("path")))
    return out


OUTSIDE = "outside the diff"
OVER_LIMIT = "over the limit of {n} new inline comments per run"
STALE = "the checked-out file differs from the PR head"
NO_PATCH = "GitHub shows no diff for the file (binary, too large or a pure rename)"


def _anchor(f: Finding, cf: ChangedFile, sugg: Suggestion | None) -> tuple[int, int, str, Suggestion | None] | None:
    """(first line, last line, side, suggestion) of the comment for ``f``, or ``None``."""
    if cf.removed:
        return (f.line, f.line, "LEFT", None) if cf.commentable(f.line, f.line, "LEFT") else None
    if sugg is not None and cf.commentable(sugg.first_line, sugg.last_line):
        return sugg.first_line, sugg.last_line, "RIGHT", sugg
    first, last = f.line, max(f.line, last_line(f.span))
    if cf.commentable(first, last):
        return first, last, "RIGHT", None
    for n in range(first, min(last, first + _SCAN_LINES) + 1):
        if cf.commentable(n, n):
            return n, n, "RIGHT", None
    return None


def plan_review(
    findings: list[Finding],
    changed: dict[str, ChangedFile],
    suggestions: dict[str, Suggestion],
    existing: list[ExistingComment],
    *,
    max_comments: int = MAX_COMMENTS,
    stale_paths: set[str] = frozenset(),
    inline: bool = True,
) -> Plan:
    """Decide the review (see the module docstring). ``inline=False`` plans no new comments
    (summary-only mode) but still finds what to resolve."""
    plan = Plan()
    active = {c.fingerprint: c for c in existing if not c.resolved}
    current = {f.fingerprint for f in findings}
    for c in existing:
        if not c.resolved and c.fingerprint not in current:
            plan.resolve.append(c)
    posted: set[str] = set()
    for f in most_severe_first(findings):
        fp = f.fingerprint
        if fp in active:
            plan.kept.append((f, active[fp]))
            plan.where[fp] = "commented earlier"
            continue
        if not inline:
            continue
        cf = changed.get(f.path)
        reason = None
        anchor = None
        if cf is None:
            reason = OUTSIDE
        elif f.path in stale_paths:
            reason = STALE
        elif not cf.patch:
            reason = NO_PATCH
        else:
            anchor = _anchor(f, cf, suggestions.get(fp))
            if anchor is None:
                reason = OUTSIDE
        if anchor is not None and fp in posted:
            anchor, reason = None, "the same finding is already commented in this run"
        if anchor is not None and len(plan.new) >= max_comments:
            anchor, reason = None, OVER_LIMIT.format(n=max_comments)
        if anchor is None:
            plan.where[fp] = reason or OUTSIDE
            plan.reasons[reason or OUTSIDE] += 1
            continue
        first, last, side, sugg = anchor
        plan.new.append(InlineComment(f, f.path, last, side, comment_body(f, sugg), first if first < last else None))
        posted.add(fp)
    return plan
