"""Inline suppressions: ``-- miglint: ignore RULE[, RULE] [-- reason]`` and friends.

Forms (the pattern of squawk's ``crates/squawk_linter/src/ignore.rs`` and ruff's noqa):

* ``-- miglint: ignore RULE[, RULE …] [-- reason]`` on a line of its own: suppresses the
  named rules on the **next statement**; written after code on a line (trailing): on the
  statement that line ends or is part of.
* ``-- miglint: ignore-file [RULE …] [-- reason]``: the whole file (every rule when none
  is named).
* ``-- squawk-ignore RULE[, RULE …]`` and ``-- squawk-ignore-file [RULE …]``: squawk's
  own comments, honoured for squawk ids that are aliases of miglint rules; squawk ids
  miglint has no equivalent for are left alone (squawk itself may still be in use).
* Atlas's ``-- atlas:nolint [CODE …]`` and diesel-guard's ``-- safety-assured:start`` …
  ``-- safety-assured:end``: read by :mod:`linter.foreign_suppressions` as acknowledged
  hazards (unless the ``foreign_suppressions`` setting is false).

Rule names may be ids or aliases. Comments are found with a line-based match, including
inside PL/pgSQL bodies (where ``--`` starts a comment too).
"""

from __future__ import annotations

import re
from linter.model import NO_ARG, Record

from linter import foreign_suppressions, lazyre, registry

_DIRECTIVE = lazyre.compile(
    r"--[ \t]*(?:(?P<mg>miglint:[ \t]*(?P<mgkind>ignore-file|ignore)\b)|(?P<sq>squawk-ignore(?P<sqfile>-file)?\b))"
    r"(?P<rest>[^\n]*)"
)


class Suppression(Record, frozen=False):
    """One ignore comment.

    ``rules``: resolved rule ids (empty with ``whole_file`` means every rule);
    ``names``: ``(name as written, character offset, resolved id or None)`` for each name;
    ``start``/``end``: character offsets of the comment; ``region``: ``(start, end)``
    offsets the suppression covers (``None`` for whole-file ones, and for next-statement
    ones with nothing after them); ``used``: rule ids it actually suppressed.
    ``foreign``: the other tool's name (``"atlas"``, ``"diesel-guard"``) for another
    linter's directive, whose ``names`` are that tool's codes (resolved id ``None``) and
    ``acknowledges`` the miglint rule ids it covers; never reported as unused or unknown.
    """

    start: int
    end: int
    line: int
    whole_file: bool
    squawk: bool
    names: list[tuple[str, int, str | None]]
    reason: str
    region: tuple[int, int] | None
    used: set[str]
    foreign: str | None
    acknowledges: frozenset[str] | None

    def __init__(self, start: int, end: int, line: int, whole_file: bool, squawk: bool,
                 names: list[tuple[str, int, str | None]], reason: str, region: tuple[int, int] | None = None,
                 used: set[str] = NO_ARG, foreign: str | None = None, acknowledges: frozenset[str] | None = None) -> None:
        self.start = start
        self.end = end
        self.line = line
        self.whole_file = whole_file
        self.squawk = squawk
        self.names = names
        self.reason = reason
        self.region = region
        self.used = set() if used is NO_ARG else used
        self.foreign = foreign
        self.acknowledges = acknowledges

    @property
    def rules(self) -> set[str]:
        if self.acknowledges is not None:
            return set(self.acknowledges)
        return {rid for _, _, rid in self.names if rid}

    def covers(self, rule_id: str, offset: int) -> bool:
        """True when this comment suppresses ``rule_id`` at character ``offset``."""
        if self.acknowledges is not None:
            if rule_id not in self.acknowledges:
                return False
            return self.whole_file or (self.region is not None and self.region[0] <= offset < self.region[1])
        if self.names and rule_id not in self.rules:
            return False
        if not self.names and not self.whole_file:
            return False
        if self.whole_file:
            return True
        return self.region is not None and self.region[0] <= offset < self.region[1]


def parse(text: str, statements: list, line_of, *, foreign: bool = True) -> list[Suppression]:
    """Find the suppressions in ``text``.

    ``statements`` are the file's statements (anything with ``start``/``end`` character
    offsets, nested ones included), ``line_of(offset)`` gives a 1-based line; ``foreign``:
    also read other linters' directives (:mod:`linter.foreign_suppressions`). Returns them
    in file order with ``region`` filled in.
    """
    others = foreign and foreign_suppressions.has_any(text)
    if "miglint:" not in text and "squawk-ignore" not in text and not others:
        return []
    out: list[Suppression] = []
    spans = sorted((s.start, s.end) for s in statements)
    if others:
        out = foreign_suppressions.parse(text, spans, line_of, _foreign)
    for m in _DIRECTIVE.finditer(text):
        rest = m.group("rest")
        reason = ""
        if "--" in rest:
            rest, reason = rest.split("--", 1)
            reason = reason.strip()
        names = []
        base = m.start("rest")
        for nm in re.finditer(r"[A-Za-z0-9_./-]+", rest):
            name = nm.group()
            names.append((name, base + nm.start(), registry.resolve(name)))
        whole = m.group("mgkind") == "ignore-file" or bool(m.group("sqfile"))
        s = Suppression(m.start(), m.end(), line_of(m.start()), whole, bool(m.group("sq")), names, reason)
        if s.squawk:  # only squawk ids we know; others belong to squawk
            s.names = [n for n in names if n[2]]
            if not s.names and names:
                continue
        if not whole:
            s.region = _region(text, m.start(), m.end(), spans)
        out.append(s)
    if others:
        out.sort(key=lambda s: s.start)
    return out


def _foreign(start, end, line, whole_file, names, region, tool, rules) -> Suppression:
    return Suppression(start, end, line, whole_file, False, names, "", region=region, foreign=tool, acknowledges=rules)


def _region(text: str, c0: int, c1: int, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    line_start = text.rfind("\n", 0, c0) + 1
    trailing = text[line_start:c0].strip() != ""
    if trailing:
        # the statement this line belongs to: the last one starting before the comment
        best = None
        for s0, s1 in spans:
            if s0 < c0 and (s1 >= line_start or s0 >= line_start):
                best = (s0, s1) if best is None or s0 >= best[0] else best
        if best:
            return (best[0], max(best[1], c1))
        return (line_start, c0)
    for s0, s1 in spans:
        if s0 >= c1:
            return (s0, max(s1, s0 + 1))
    # no statement after the comment (e.g. the file did not parse): the next code line
    nxt = c1
    while nxt < len(text):
        eol = text.find("\n", nxt + 1)
        eol = len(text) if eol < 0 else eol
        line = text[nxt:eol].strip()
        if line and not line.startswith("--"):
            return (nxt, eol)
        nxt = eol
    return None
