"""Which fixes an editor may apply together, for the server's code actions.

A finding's :class:`~linter.model.Fix` is a promise for that fix applied **alone**
(README, "A fix is a promise"): the file still parses, runs under its tool's transaction
semantics, and gets no new error or warning. Several fixes at once ("fix all") are only
applied when their edits cannot interfere: :func:`plan` takes fixes in file order and
refuses any whose region overlaps one already taken, or meets it where one of the two is
an insertion (two insertions at the same offset, or an insertion at the start of a
replaced region: their order would be a guess), except an exact duplicate (two findings
offering the same edit), which is applied once. Edits that only touch end to start are
both applied.

This is the small stand-in the issue asked for until ``linter/fixes.py`` (``miglint lint
--fix``, its own planner) lands; :func:`plan` keeps the shape that one can replace.
"""

from __future__ import annotations

from typing import Iterable

from linter.model import Finding, Fix


def plan(findings: Iterable[Finding]) -> tuple[list[Fix], list[Finding]]:
    """``(fixes to apply, findings whose fix was refused)``: the fixes of ``findings``
    (those with one) in text order, without overlapping ones. ``Fix.start``/``Fix.end``
    are 0-based character offsets of the linted text; the returned fixes never overlap,
    so they can be applied from the last to the first."""
    with_fix = sorted((f for f in findings if f.fix is not None and not f.redacted),
                      key=lambda f: (f.fix.start, f.fix.end, f.rule_id))
    taken: list[Fix] = []
    refused: list[Finding] = []
    for f in with_fix:
        fix = f.fix
        if taken:
            last = taken[-1]
            if (fix.start, fix.end, fix.replacement) == (last.start, last.end, last.replacement):
                continue  # the same edit offered twice
            if fix.start < last.end or (fix.start == last.end and (fix.start == fix.end or last.start == last.end)):
                refused.append(f)
                continue
        taken.append(fix)
    return taken, refused


def apply(text: str, fixes: list[Fix]) -> str:
    """``text`` with ``fixes`` (non-overlapping, as :func:`plan` returns them) applied."""
    out = text
    for fix in sorted(fixes, key=lambda x: x.start, reverse=True):
        out = out[: fix.start] + fix.replacement + out[fix.end :]
    return out
