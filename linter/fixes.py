"""Findings' fixes as edits of one file's text: which to make together, making them, and
what a made fix did to the findings.

One module for every consumer of fixes: ``miglint lint --fix``/``--diff``
(:mod:`linter.autofix`), the pull-request suggestion that makes a thread's fixes at once
(:func:`linter.formats.review.suggestion_for_all`), the editor server's code actions, and
``bench/fix_check.py``, which checks every fix's promise over the corpus.

Units: an edit is a :class:`linter.model.Fix`. Its ``start``/``end`` are 0-based
**character** offsets (Unicode code points) into the file's text as
:func:`linter.source.read_text` gives it (decoded UTF-8, a byte-order mark dropped, line
breaks as in the file), never bytes; ``text[start:end]`` is what ``replacement`` replaces.
Its ``span`` is the same region as 1-based lines and character columns (an editor that
speaks LSP converts those columns to UTF-16 units itself).

* :func:`plan_fixes`: from one file's findings, the edits to make together: every fix
  that still matches the text, identical edits once, and of edits that overlap only the
  narrowest (the others are *skipped* with a reason, never applied blindly; after the
  planned ones are made and the file linted again, their findings offer fresh fixes).
* :func:`apply_edits`: the text with the planned edits made.
* :func:`compare`: the findings before and after edits, matched by rule and statement
  (not by line: an inserted line moves every later finding); tells the findings that
  are *new* at error or warning level and the fixed findings that *stayed*.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from linter.model import FILE_SPAN, Finding, Fix, Severity
from linter.source import TextIndex

#: Severities at which a finding that appears after a fix counts against it.
COUNTED = (Severity.ERROR, Severity.WARNING)

#: Rules that report once per run or transaction, at its first statement left unprotected
#: (their docstrings say so): a fix that protects that statement moves the finding to the
#: next one, which was unprotected before too. Their findings are compared per file.
ONCE_PER_RUN = frozenset({"missing-lock-timeout", "missing-statement-timeout", "slow-statement-after-access-exclusive"})

#: Why a finding's fix was not planned (:attr:`FixPlan.skipped`).
STALE = "the file changed since it was linted"
OVERLAP = "its edit overlaps the fix of {rule} at line {line}, which was made instead"


@dataclass
class FixPlan:
    """What :func:`plan_fixes` decided for one file.

    * ``edits``: the fixes to make together, sorted by ``start``, none overlapping another
      (two insertions at one point never both; adjacent edits may touch);
    * ``fixed``: the findings whose fix is among ``edits`` (several findings may share one
      edit);
    * ``skipped``: ``(finding, reason)`` for each finding with a fix that is not made.
    """

    edits: list[Fix] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    skipped: list[tuple[Finding, str]] = field(default_factory=list)


def fix_of(finding: Finding) -> Fix | None:
    """The fix to make for ``finding``: ``None`` for a redacted finding (a fix would quote
    the secret's source) or one without a fix."""
    return None if finding.redacted else finding.fix


def clash(a: Fix, b: Fix) -> bool:
    """True when the edits ``a`` and ``b`` cannot both be made: they overlap, start at the
    same point, or one inserts inside the other's region; two insertions at one point
    clash unless they are equal. Adjacent edits do not clash (the engine's merge step,
    :mod:`linter.merge`, keeps the fixes of one file apart by the same test)."""
    if (a.start, a.end) > (b.start, b.end):
        a, b = b, a
    if a.start == a.end == b.start == b.end:
        return a.replacement != b.replacement
    return b.start < a.end or a.start == b.start


def matches(fix: Fix, index: TextIndex) -> bool:
    """True when ``fix`` was made from this text: its offsets lie inside it and its span is
    the position of its offsets (a fix of an older version of the file fails this)."""
    if not (0 <= fix.start <= fix.end <= len(index.text)):
        return False
    return index.position(fix.start) == fix.span.start and index.position(fix.end) == fix.span.end


def plan_fixes(findings: Iterable[Finding], text: str, index: TextIndex | None = None) -> FixPlan:
    """The edits that make the fixes of ``findings`` (one file's, ``text`` its current
    text; findings without a fix are ignored) together: see :class:`FixPlan`.

    Of edits that clash (:func:`clash`), the narrowest is made (on a tie, the one of the
    earlier finding in report order), as the engine's merge step prefers it: a wide edit
    (``repeated-alter-table`` rewriting several statements) waits for the next lint of the
    fixed file. A fix whose span does not match ``text`` is skipped (:data:`STALE`).
    ``index``: a :class:`TextIndex` of ``text`` when the caller has one."""
    index = index or TextIndex(text)
    plan = FixPlan()
    by_edit: dict[tuple[int, int, str], list[Finding]] = {}
    order: list[tuple[int, int, str]] = []
    for f in sorted(findings, key=Finding.sort_key):
        fix = fix_of(f)
        if fix is None:
            continue
        if not matches(fix, index):
            plan.skipped.append((f, STALE))
            continue
        key = (fix.start, fix.end, fix.replacement)
        if key not in by_edit:
            by_edit[key] = []
            order.append(key)
        by_edit[key].append(f)
    taken: list[Fix] = []
    owner: dict[int, Finding] = {}  # id of a taken edit -> its first finding
    for _, key in sorted(enumerate(order), key=lambda nk: (nk[1][1] - nk[1][0], nk[0])):
        fix = fix_of(by_edit[key][0])
        other = next((e for e in taken if clash(e, fix)), None)
        if other is not None:
            who = owner[id(other)]
            plan.skipped.extend((f, OVERLAP.format(rule=who.rule_id, line=who.line)) for f in by_edit[key])
            continue
        taken.append(fix)
        owner[id(fix)] = by_edit[key][0]
    taken.sort(key=lambda e: (e.start, e.end))
    chosen = {(e.start, e.end, e.replacement) for e in taken}
    plan.edits = taken
    plan.fixed = sorted((f for key in order if key in chosen for f in by_edit[key]), key=Finding.sort_key)
    plan.skipped.sort(key=lambda fr: fr[0].sort_key())
    return plan


def apply_edits(text: str, edits: list[Fix]) -> str:
    """``text`` with every edit made: ``edits`` sorted by ``start`` and not overlapping (as
    :func:`plan_fixes` gives them), offsets into ``text`` (characters). Raises
    ``ValueError`` for edits out of order, overlapping, or outside the text."""
    parts, at = [], 0
    for e in edits:
        if e.start < at or e.end < e.start or e.end > len(text):
            raise ValueError(f"edit [{e.start}, {e.end}) overlaps an earlier one or lies outside the text")
        parts.append(text[at : e.start])
        parts.append(e.replacement)
        at = e.end
    parts.append(text[at:])
    return "".join(parts)


def back_mapper(edits: list[Fix]) -> Callable[[int], int]:
    """A function from a character offset of the edited text to the offset of the original
    text it came from: offsets between edits move back by the length change of the edits
    before them; an offset inside an edit's replacement maps to that edit's start."""
    rows = []  # (start in the new text, end of the replacement in the new text, edit start, shift after)
    shift = 0
    for e in edits:
        new_start = e.start + shift
        new_end = new_start + len(e.replacement)
        shift += len(e.replacement) - (e.end - e.start)
        rows.append((new_start, new_end, e.start, shift))
    starts = [r[0] for r in rows]

    def back(off: int) -> int:
        i = bisect.bisect_right(starts, off) - 1
        if i < 0:
            return off
        new_start, new_end, old_start, after = rows[i]
        if off < new_end:
            return old_start
        return off - after

    return back


def touched(spans: list[tuple[int, int]], edits: list[Fix]) -> dict[int, int]:
    """``{statement index: group}``: the top-level statements (``spans``, ``(start, end)``
    character offsets of the original text, in order) each edit overlaps (an insertion: the
    one it lands in), grouped so that the statements one edit spans share a group (a fix
    that merges statements moves their findings onto one)."""
    starts = [a for a, _ in spans]
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for e in edits:
        hit = [i for i, (a, b) in enumerate(spans) if a <= e.end and b >= e.start]
        if e.start == e.end:
            hit.append(bisect.bisect_right(starts, e.start) - 1)
        hit = hit or [-1]  # -1: before the first statement
        first = find(hit[0])
        for i in hit[1:]:
            parent[find(i)] = first
    return {i: find(i) for i in parent}


@dataclass
class Comparison:
    """What edits did to one file's findings (:func:`compare`): ``new`` the findings at
    error or warning level that appeared (of the edited text, at most one per rule and
    statement); ``kept`` the fixed findings that are still reported."""

    new: list[Finding] = field(default_factory=list)
    kept: list[Finding] = field(default_factory=list)


def compare(before: list[Finding], after: list[Finding], *, path: str, old_text: str, new_text: str,
            spans: list[tuple[int, int]], edits: list[Fix], fixed: list[Finding]) -> Comparison:
    """Compare the findings ``before`` (made on ``old_text``) and ``after`` (made on
    ``new_text``, which is ``old_text`` with ``edits`` made) of the file ``path``; findings of
    other paths are compared by rule and line (their text did not change). ``spans``: the
    top-level statements of ``old_text`` (character offsets); ``fixed``: the findings whose
    fixes ``edits`` make.

    Findings are keyed by rule and by the statement they point at, mapped back to the old
    text (:func:`back_mapper`); the statements an edit touches count as one
    (:func:`touched`); whole-file findings and the rules of :data:`ONCE_PER_RUN` count per
    file. A finding is *new* when its rule reports more findings on its key after the
    edits than before, at error or warning level, unless a fixed finding had absorbed that
    rule's finding (its ``also`` property, :mod:`linter.merge`): that hazard was already
    told in its message. A fixed finding is *kept* when its key has more findings after
    than before minus the fixed findings on it."""
    starts = [a for a, _ in spans]
    groups = touched(spans, edits)
    old_index, new_index = TextIndex(old_text), TextIndex(new_text)
    back = back_mapper(edits)

    def key(f: Finding, index: TextIndex, mapper) -> tuple:
        if f.path != path:
            return (f.rule_id, f.path, f.span.start.line if f.span != FILE_SPAN else -1)
        if f.span == FILE_SPAN or f.rule_id in ONCE_PER_RUN:
            return (f.rule_id, f.path, -1)
        i = bisect.bisect_right(starts, mapper(index.offset(f.span.start))) - 1
        return (f.rule_id, f.path, ("fix", groups[i]) if i in groups else i)

    same = lambda o: o  # noqa: E731
    before_c = Counter(key(f, old_index, same) for f in before)
    after_keys = [key(f, new_index, back) for f in after]
    after_c = Counter(after_keys)
    out = Comparison()
    fixed_c = Counter(key(f, old_index, same) for f in fixed)
    for f in fixed:
        k = key(f, old_index, same)
        if after_c[k] > before_c[k] - fixed_c[k]:
            out.kept.append(f)
    grew = {k for k in after_c if after_c[k] > before_c[k]}
    told = {r for f in fixed for r in f.properties.get("also", ())}
    for f, k in zip(after, after_keys):
        if k in grew and f.severity in COUNTED and f.rule_id not in told:
            out.new.append(f)
            grew.discard(k)
    return out
