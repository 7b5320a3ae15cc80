"""What to post where: pure decisions, no I/O (so every case is unit-tested).

:func:`plan_review` takes the findings reported for a pull request, its changed files (with
their patches), the suggestions computed from the fixes, where each finding's statement is
and which findings are on rollback code, and the bot's existing review comments, and
decides:

* **threads**: the findings of one statement make one review comment (the most severe in
  full, each other as one line, one suggestion for all their fixes:
  :func:`linter.formats.review.thread_body`). Findings about a file rather than a line
  (:func:`file_level`: history, versioning and naming rules, a missing or empty down, an
  empty or unreadable file) make one file-level comment per file (``subject_type: file``).
* **what goes inline** (:func:`inline_reason`): findings at or above ``level`` (the
  ``inline-level`` input: ``warning`` by default, so notes go to the summary) on lines the
  pull request added or changed (the statement's lines for a statement finding; on a
  removed file, its deleted lines). On rollback code (down files and down sections) only
  errors of rules that are not about locks (``HAZARD = "lock"``,
  :data:`linter.registry.HAZARDS`), whatever the level: the rollback policy of
  :mod:`linter.rollback_locks`. Everything else is listed in the summary with the reason.
* **anchor**: a thread covers its most severe finding's lines when they are all in one
  hunk, else the first of them the PR added, else the first in the diff. With a
  suggestion it covers exactly the lines the suggestion rewrites, and a suggestion is only
  offered when the PR added or changed every one of those lines (all in one hunk).
  Findings on removed files go on the old file's deleted lines (``side: LEFT``).
* **earlier threads** (markers of :mod:`linter.formats.review`): a thread that holds at
  least one current finding of a statement is that statement's thread. Same findings: kept
  (nothing posted). Another set: **edited** to the new set (never a second thread). None of
  its findings reported any more: **resolved** (edited to say they were fixed). A thread
  on a path the PR renamed (``previous_filename``, or git's rename detection) whose
  findings reappear on the new path (same rule, nearest line) moved with the file: kept,
  not "fixed", and not posted again.
* **cap**: ``max_comments`` is the most open miglint threads on the pull request, counted
  across runs: open earlier threads that stay count, new threads fill what is left, the
  most severe first, up files before down files within a severity.
* **where**: for each finding that is in no thread, why; ``not_inline`` sums that up for
  the summary comment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from linter.formats._common import last_line
from linter.formats.review import Suggestion, parse_marker, parse_members, thread_body
from linter.github.diff import ChangedFile
from linter.model import Finding, Severity

from linter.github.command import INLINE_LEVELS, MAX_COMMENTS  # noqa: E402  (the rest go to the summary comment)

#: How far into a long finding the first commentable line is looked for.
_SCAN_LINES = 500

#: Rule families whose findings are about a file (its name, version, history), not a line.
FILE_FAMILIES = frozenset({"history", "versioning", "naming"})
#: Other rules whose findings are about a whole file.
FILE_RULES = frozenset({
    "missing-down-migration", "unexpected-down-migration", "empty-down-migration",
    "empty-migration", "invalid-encoding", "unreadable-file",
})


def file_level(f: Finding) -> bool:
    """True when ``f`` is about its file rather than a line (a file-level review comment)."""
    return f.family in FILE_FAMILIES or f.rule_id in FILE_RULES


@dataclass
class ExistingComment:
    """A review comment of the bot, recognised by its marker: the thread's most severe
    finding (``fingerprint``, ``rule_id``), every finding it names (``members``,
    ``{fingerprint: rule id}``), where it was posted (``path``, ``line``: the original
    line, ``None`` for a file-level comment)."""

    id: int
    fingerprint: str
    rule_id: str
    resolved: bool
    body: str
    path: str | None = None
    members: dict[str, str] = field(default_factory=dict)
    line: int | None = None
    file_level: bool = False
    commit: str | None = None


@dataclass
class Thread:
    """One review comment to post (or, with ``existing``, to edit): ``findings`` the most
    severe first, on ``path`` at ``start_line``..``line`` on ``side``; ``file_level``
    comments have no line."""

    findings: list[Finding]
    path: str
    line: int | None
    side: str
    body: str
    start_line: int | None = None
    file_level: bool = False
    existing: ExistingComment | None = None

    @property
    def finding(self) -> Finding:
        return self.findings[0]

    def as_api(self) -> dict:
        """One item of ``comments[]`` in ``POST /pulls/{n}/reviews``."""
        item = {"path": self.path, "line": self.line, "side": self.side, "body": self.body}
        if self.start_line is not None and self.start_line < self.line:
            item["start_line"] = self.start_line
            item["start_side"] = self.side
        return item

    def as_file_comment(self, commit_id: str) -> dict:
        """The body of ``POST /pulls/{n}/comments`` for a file-level comment (the review's
        ``comments[]`` items have no ``subject_type``: openapi-subset.json)."""
        return {"body": self.body, "commit_id": commit_id, "path": self.path, "subject_type": "file"}


#: The name the tests and older callers know.
InlineComment = Thread


@dataclass
class Plan:
    """The review to make: ``new`` line threads (one review), ``files`` file-level threads
    (one request each), ``edit`` earlier threads whose set of findings changed, ``kept``
    ``(finding, thread)`` already commented, ``resolve`` threads whose findings are all
    gone; ``where`` and ``reasons`` for the findings in no thread."""

    new: list[Thread] = field(default_factory=list)
    files: list[Thread] = field(default_factory=list)
    edit: list[Thread] = field(default_factory=list)
    kept: list[tuple[Finding, ExistingComment]] = field(default_factory=list)
    resolve: list[ExistingComment] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)
    reasons: Counter = field(default_factory=Counter)
    open_before: int = 0

    def not_inline(self) -> list[str]:
        """Sentences for the summary's "Not posted inline" section."""
        out = []
        for reason, n in sorted(self.reasons.items(), key=lambda kv: -kv[1]):
            out.append(f"{n} finding{'s' if n != 1 else ''}: {reason}")
        return out

    def carried(self) -> set[str]:
        """Fingerprints of the findings a thread of the pull request carries (new, edited or
        kept; a new one only once posted: the caller drops failed ones from ``new``)."""
        out = {f.fingerprint for t in (*self.new, *self.files, *self.edit) for f in t.findings}
        out.update(f.fingerprint for f, _ in self.kept)
        return out

    def fail(self, threads: list[Thread], reason: str) -> None:
        """Record that ``threads`` could not be posted (``reason``): their findings go to
        the summary."""
        for t in threads:
            for f in t.findings:
                self.where[f.fingerprint] = reason
            self.reasons[reason] += len(t.findings)


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
        body = item.get("body") or ""
        line = item.get("original_line") if isinstance(item.get("original_line"), int) else item.get("line")
        out.append(
            ExistingComment(
                item["id"], fp, rule, resolved, body, item.get("path"), parse_members(body),
                line if isinstance(line, int) else None, item.get("subject_type") == "file",
                item.get("original_commit_id") or item.get("commit_id"),
            )
        )
    return out


OUTSIDE = "outside the diff"
OVER_LIMIT = "over the limit of {n} open miglint threads on this pull request"
STALE = "the checked-out file differs from the PR head"
NO_PATCH = "GitHub shows no diff for the file (binary, too large or a pure rename)"
UNCHANGED = "on lines this pull request did not change"
BELOW_LEVEL = "below `inline-level: {level}`"
ROLLBACK = "on rollback code, where only errors that are not about locks are posted inline"
NOT_POSTED = "{rule} made in this run is already in a thread"


def _severity(level: str) -> Severity | None:
    return None if level == "none" else Severity(level)


def _lock_rules() -> frozenset[str]:
    from linter import registry

    return frozenset(r.id for r in registry.all_rules().values() if r.hazard == "lock")


def inline_reason(f: Finding, *, level: str, down: bool, lock_rules: frozenset[str]) -> str | None:
    """Why ``f`` is not posted inline by policy (severity and rollback code), or ``None``
    (its lines are checked by the planner)."""
    threshold = _severity(level)
    if down:
        if f.severity is not Severity.ERROR or f.rule_id in lock_rules:
            return ROLLBACK
    if threshold is None or f.severity.rank < threshold.rank:
        return BELOW_LEVEL.format(level=level)
    return None


def _changed_lines(cf: ChangedFile, first: int, last: int, side: str) -> list[int]:
    """Lines of ``first``..``last`` the change added (``RIGHT``) or deleted (``LEFT``)."""
    if side == "LEFT":
        lines = cf.hunks.left
        return [n for n in range(first, min(last, first + _SCAN_LINES) + 1) if n in lines]
    added = cf.hunks.added
    return [n for n in range(first, min(last, first + _SCAN_LINES) + 1) if n in added]


def _anchor(lead: Finding, cf: ChangedFile, sugg: Suggestion | None, stmt: tuple[int, int]) -> tuple[int, int, str, Suggestion | None] | None:
    """(first line, last line, side, suggestion) of the thread whose most severe finding is
    ``lead``, or ``None`` when the PR changed none of the statement's lines ``stmt``."""
    side = "LEFT" if cf.removed else "RIGHT"
    if not _changed_lines(cf, stmt[0], stmt[1], side) and not _changed_lines(cf, lead.line, max(lead.line, last_line(lead.span)), side):
        return None
    if cf.removed:
        for n in range(lead.line, min(max(lead.line, last_line(lead.span)), lead.line + _SCAN_LINES) + 1):
            if cf.commentable(n, n, "LEFT"):
                return n, n, "LEFT", None
        return None
    if sugg is not None and cf.commentable(sugg.first_line, sugg.last_line) and all(
        n in cf.hunks.added for n in range(sugg.first_line, sugg.last_line + 1)
    ):
        return sugg.first_line, sugg.last_line, "RIGHT", sugg
    first, last = lead.line, max(lead.line, last_line(lead.span))
    if cf.commentable(first, last):
        return first, last, "RIGHT", None
    changed = _changed_lines(cf, first, last, "RIGHT") or _changed_lines(cf, stmt[0], stmt[1], "RIGHT")
    for n in changed:
        if cf.commentable(n, n):
            return n, n, "RIGHT", None
    for n in range(first, min(last, first + _SCAN_LINES) + 1):
        if cf.commentable(n, n):
            return n, n, "RIGHT", None
    return None


def _rank(f: Finding, down: set[str]) -> tuple:
    """Order of findings and threads: most severe first, up code before down code, then
    by place."""
    return (-f.severity.rank, f.fingerprint in down, f.sort_key())


def _moved(comment: ExistingComment, renames: dict[str, str], by_path: dict[str, list[Finding]], taken: set[str]) -> list[Finding]:
    """Current findings that are ``comment``'s findings moved by a rename of its path: for
    each rule it names, the not yet matched finding of that rule on the new path nearest
    to the comment's line."""
    new_path = renames.get(comment.path or "")
    if new_path is None:
        return []
    out = []
    for fp, rule in comment.members.items():
        candidates = [f for f in by_path.get(new_path, ()) if f.rule_id == rule and f.fingerprint not in taken]
        if not candidates:
            continue
        best = min(candidates, key=lambda f: abs(f.line - (comment.line or f.line)))
        taken.add(best.fingerprint)
        out.append(best)
    return out


def plan_review(
    findings: list[Finding],
    changed: dict[str, ChangedFile],
    suggestions: dict[str, Suggestion],
    existing: list[ExistingComment],
    *,
    max_comments: int = MAX_COMMENTS,
    stale_paths: set[str] = frozenset(),
    inline: bool = True,
    level: str = "warning",
    statements: dict[str, tuple[int, int]] | None = None,
    down: set[str] = frozenset(),
    combine=None,
    moved: dict[str, str] | None = None,
) -> Plan:
    """Decide the review (see the module docstring). ``inline=False`` plans no new threads
    (summary-only mode) but still finds what to resolve.

    ``statements``: ``{fingerprint: (first line, last line)}`` of each finding's statement
    (a finding missing there is its own statement, keyed by its first line); ``down``:
    fingerprints of findings on rollback code; ``combine``: a function of a thread's
    findings that returns one :class:`Suggestion` for their fixes, or ``None`` (default:
    the one suggestion of ``suggestions`` when exactly one of them has one); ``moved``:
    ``{old path: new path}`` of files renamed since earlier threads were posted (git),
    besides the renames of the pull request's own file list."""
    assert level in INLINE_LEVELS
    statements = statements or {}
    lock_rules = _lock_rules()
    plan = Plan()
    current = {f.fingerprint: f for f in findings}
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    renames = dict(moved or {})
    renames.update({cf.previous_path: cf.path for cf in changed.values() if cf.previous_path and cf.status == "renamed"})

    # earlier threads: which current findings each one holds
    owner: dict[str, ExistingComment] = {}
    holds: dict[int, list[Finding]] = {}
    active = [c for c in existing if not c.resolved]
    for c in active:
        mine = [current[fp] for fp in c.members or {c.fingerprint: c.rule_id} if fp in current and fp not in owner]
        for f in mine:
            owner[f.fingerprint] = c
        holds[c.id] = mine
    taken = set(owner)
    for c in active:
        if not holds[c.id]:
            moved = _moved(c, renames, by_path, taken)
            for f in moved:
                owner.setdefault(f.fingerprint, c)
            holds[c.id] = moved
    open_threads = [c for c in active if holds[c.id]]
    plan.resolve = [c for c in active if not holds[c.id]]
    plan.open_before = len(open_threads)

    # group the findings into statement and file threads
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        if file_level(f):
            key = (f.path, "file")
        else:
            key = (f.path, statements.get(f.fingerprint, (f.line, f.line))[0])
        groups.setdefault(key, []).append(f)

    def skip(f: Finding, reason: str) -> None:
        plan.where[f.fingerprint] = reason
        plan.reasons[reason] += 1

    candidates: list[tuple[tuple, Thread]] = []
    for key, members in groups.items():
        members.sort(key=lambda f: _rank(f, down))
        path, is_file = key[0], key[1] == "file"
        held = [f for f in members if f.fingerprint in owner]
        eligible: list[Finding] = []
        for f in members:
            reason = inline_reason(f, level=level, down=f.fingerprint in down, lock_rules=lock_rules)
            if reason is None:
                eligible.append(f)
            elif f.fingerprint not in owner:
                skip(f, reason)
        thread_of = owner.get(held[0].fingerprint) if held else None
        if thread_of is not None:
            # the statement has a thread: keep it, or edit it to the new set of findings
            want = [f for f in members if owner.get(f.fingerprint) is thread_of or (f in eligible and f.fingerprint not in owner)]
            for f in members:
                if f.fingerprint in owner and owner[f.fingerprint] is not thread_of:
                    plan.kept.append((f, owner[f.fingerprint]))  # an older thread of its own
                    plan.where[f.fingerprint] = "commented earlier"
            for f in want:
                plan.where[f.fingerprint] = "commented earlier"
            same = set(thread_of.members or {thread_of.fingerprint: ""}) == {f.fingerprint for f in want}
            if same or not inline:
                plan.kept.extend((f, thread_of) for f in want)
                continue
            sugg = None  # an edited comment stays on its lines, which may have moved: no suggestion
            body = thread_body(want, sugg, file_level=is_file)
            plan.edit.append(Thread(want, path, thread_of.line, "RIGHT", body, file_level=is_file, existing=thread_of))
            continue
        if not eligible or not inline:
            continue
        cf = changed.get(path)
        reason = None
        thread = None
        if cf is None:
            reason = OUTSIDE
        elif is_file:
            thread = Thread(eligible, path, None, "RIGHT", thread_body(eligible, file_level=True), file_level=True)
        elif path in stale_paths:
            reason = STALE
        elif not cf.patch:
            reason = NO_PATCH
        else:
            lead = eligible[0]
            stmt = statements.get(lead.fingerprint, (lead.line, max(lead.line, last_line(lead.span))))
            sugg = _suggestion(eligible, suggestions, combine)
            anchor = _anchor(lead, cf, sugg, stmt)
            if anchor is None:
                reason = UNCHANGED
            else:
                first, last, side, used = anchor
                thread = Thread(eligible, path, last, side, thread_body(eligible, used), first if first < last else None)
        if thread is None:
            for f in eligible:
                skip(f, reason or OUTSIDE)
            continue
        candidates.append((_rank(eligible[0], down), thread))

    # the cap: open threads across runs
    room = max(0, max_comments - len(open_threads))
    candidates.sort(key=lambda kv: kv[0])
    for i, (_, thread) in enumerate(candidates):
        if i >= room:
            for f in thread.findings:
                skip(f, OVER_LIMIT.format(n=max_comments))
            continue
        (plan.files if thread.file_level else plan.new).append(thread)
    return plan


def _suggestion(findings: list[Finding], suggestions: dict[str, Suggestion], combine) -> Suggestion | None:
    """One suggestion for the fixes of ``findings``: ``combine(findings)`` when given, else
    the suggestion of the only finding that has one."""
    if combine is not None:
        return combine(findings)
    have = [suggestions[f.fingerprint] for f in findings if f.fingerprint in suggestions]
    return have[0] if len(have) == 1 else None
