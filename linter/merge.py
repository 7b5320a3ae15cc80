"""One finding per hazard: the engine's last step over one file's violations.

Several rules can see one hazard from different sides: ``non-concurrent-create-index``
reports the index build, ``missing-statement-timeout`` that nothing caps how long it holds
its lock, ``slow-statement-after-access-exclusive`` that an earlier statement's lock is
still held while it runs. A reviewer should get one finding that says all of it. This
module turns the violations of one file (with the suppressions of the file) into what is
reported:

* **Suppressions.** A violation a suppression comment covers is dropped (and the comment
  marked used), as before; a suppressed finding never absorbs another, so suppressing the
  specific finding leaves the folded hazard to be reported on its own (it does not vanish).
* **Covering.** A rule module may declare ``COVERS`` and ``JOINS``: ids of rules whose
  violation, when its span contains this rule's violation's span (the same statement, or
  the same column for per-column rules), folds into this one. The absorbed violation's
  ``fold`` clause is appended to the message (``…; no statement_timeout is set``) and its
  rule id listed in the ``also`` property. With ``COVERS`` its fix is dropped (the
  covering rule's remedy removes that hazard: ``CREATE INDEX CONCURRENTLY`` needs no
  ``statement_timeout``, and capping it would leave an INVALID index behind); with
  ``JOINS`` the two fixes become one when their edits do not overlap (:func:`combine`).
  Only a reported violation absorbs: one that is suppressed, folded itself, or a candidate
  not reported covers nothing (rules are settled coverers first, so this is known in time).
* **Candidates.** A violation with ``once`` set is one candidate of a group (a run of the
  file for the timeout rules, a transaction for ``slow-statement-after-access-exclusive``):
  the first candidate that is neither suppressed nor covered is reported (made complete by
  its ``build`` function, if it has one), later ones are not; covered candidates fold into
  their coverer wherever they are. A candidate joined into another finding (its fix ships
  with that finding) counts as its group's report, and so does one folded into another
finding whose rule says ``TELLS_RUN_OF`` (:func:`_tells_run`). A suppressed candidate reached before
  that stands for its group (the group then reports nothing), as the single finding it
  used to be did.
* **Fixes never clash.** Of two fixes in the file whose edits overlap (or insert at the
  same point) with different text, only the narrower edit is offered: the wider one
  (``repeated-alter-table``'s merge of several statements) loses its fix, and on a tie the
  later violation (file rules come after statement rules, so the less specific one) does.
  The finding itself stays.

Costs: nothing when a file has no suppression, no candidate, no foldable rule's violation
and fewer than two fixes (:func:`wanted`); otherwise one pass plus a sort of the fixes.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import replace
from functools import lru_cache

from linter import registry
from linter.model import Fix, Violation


@lru_cache(maxsize=1)
def foldable() -> frozenset[str]:
    """Ids of the rules some rule ``COVERS`` or ``JOINS``."""
    return frozenset(r for rule in registry.all_rules().values() for r in rule.covers | rule.joins)


def wanted(raw: list) -> bool:
    """True when ``raw`` (``[(rule, Violation)]``) needs :func:`resolve` even without
    suppressions: a candidate, a foldable rule's violation, or two fixes that may clash."""
    fold = foldable()
    fixes = 0
    for rule, v in raw:
        if v.once is not None or rule.id in fold:
            return True
        if v.fix is not None:
            fixes += 1
            if fixes > 1:
                return True
    return False


@lru_cache(maxsize=1)
def _ranks() -> dict[str, int]:
    """``{rule id: rank}``: 0 for rules nobody covers, else one more than the highest rank
    of the rules that cover or join it, so coverers are settled before what they absorb."""
    rules = registry.all_rules()
    by: dict[str, list[str]] = defaultdict(list)
    for rule in rules.values():
        for other in rule.covers | rule.joins:
            by[other].append(rule.id)
    ranks: dict[str, int] = {}

    def rank(rid: str, path: tuple = ()) -> int:
        if rid not in ranks:
            if rid in path:
                raise ValueError(f"COVERS/JOINS form a cycle: {' -> '.join(path + (rid,))}")
            ranks[rid] = 1 + max((rank(o, path + (rid,)) for o in by[rid]), default=-1)
        return ranks[rid]

    for rid in rules:
        rank(rid)
    return ranks


_ROLES: dict[str, tuple[int, bool, frozenset]] = {}


def _role(rule) -> tuple[int, bool, frozenset]:
    """``(rank, foldable, ids it absorbs)`` of a registry rule, cached by id (one dict
    lookup per violation on the hot path)."""
    role = _ROLES.get(rule.id)
    if role is None:
        role = _ROLES[rule.id] = (_ranks().get(rule.id, 0), rule.id in foldable(), rule.covers | rule.joins)
    return role


_TELLS: dict[str, frozenset] = {}


def _tells_run(coverer, rule) -> bool:
    """True when a candidate of ``rule`` folded into ``coverer``'s finding tells its whole
    group: ``coverer``'s module lists ``rule`` in ``TELLS_RUN_OF``.
    ``slow-statement-after-access-exclusive`` and ``backfill-in-ddl-transaction`` do so for
    ``missing-statement-timeout``: their finding counts the later slow statements of its
    transaction, and one ``SET statement_timeout`` at the top of the run caps them all, so
    its clause "no statement_timeout is set" says it for the run. (A coverer whose remedy
    removes the need, such as CONCURRENTLY, does not: the next slow statement still gets
    the finding.) Cached per coverer (a module without the name would raise and catch an
    AttributeError on every call)."""
    tells = _TELLS.get(coverer.id)
    if tells is None:
        tells = _TELLS[coverer.id] = frozenset(getattr(coverer.module, "TELLS_RUN_OF", ()))
    return rule.id in tells


def resolve(raw: list, suppressions: list, source) -> list:
    """The ``[(rule, Violation)]`` to report out of ``raw`` (same shape, in its order),
    given the file's ``suppressions`` (:mod:`linter.suppress`; marked used here) and its
    :class:`~linter.source.Source` (``None`` when unread: nothing folds then).

    Violations are settled rule by rule, coverers first (:func:`_ranks`), each in file
    order: suppressed, else folded into a reported violation that covers it, else
    reported unless an earlier candidate of its group was. Only a coverer's place and,
    once a coverer is kept, a foldable violation's are looked up (a coverer is settled
    before what it may absorb, so a file whose coverers are all gone folds nothing)."""
    n = len(raw)
    index = source.index if source is not None else None
    get_role = _ROLES.get
    roles = [get_role(rule.id) or _role(rule) for rule, _ in raw]
    order = range(n)
    ranks = [r[0] for r in roles]
    by_rank = any(ranks)
    if by_rank:  # coverers first; a stable sort keeps file order
        order = sorted(order, key=ranks.__getitem__)
    line_starts = index.line_starts if index is not None else None
    starts = None  # statement start offsets, listed on first need
    absorbers: dict[int, list] = {}  # statement number -> [(j, start, end, ids)] of kept coverers
    kept: list[int] = []
    absorbed: dict[int, list[int]] = defaultdict(list)
    done: set = set()
    bisect_right = bisect.bisect_right
    for i in order:
        rule, v = raw[i]
        _, is_folded, absorbs = roles[i]
        once = v.once
        key = None if once is None else (rule.id, once)
        if suppressions and index is not None:
            off = index.offset(v.span.start)
            hit = next((s for s in suppressions if s.covers(rule.id, off)), None)
            if hit is not None:
                if key is None or key not in done:
                    hit.used.add(rule.id)
                    if key is not None:
                        done.add(key)
                continue
        if key is not None and not is_folded and key in done:
            continue
        stmt = None
        if line_starts is not None and (absorbs or (is_folded and absorbers)):
            s0, s1 = v.span.start, v.span.end
            a, b = line_starts[s0.line - 1] + s0.column - 1, line_starts[s1.line - 1] + s1.column - 1
            if starts is None:
                starts = [s.start for s in source.statements]
            stmt = bisect_right(starts, a)
            cands = absorbers.get(stmt) if is_folded else None
            if cands is not None:
                for j, ja, jb, ab in cands:
                    if a <= ja and jb <= b and rule.id in ab:
                        absorbed[j].append(i)
                        if key is not None and (rule.id in raw[j][0].joins or _tells_run(raw[j][0], rule)):
                            done.add(key)  # its fix ships with the joining finding, or its clause tells the group
                        break
                else:
                    j = None
                if j is not None:
                    continue
        if key is not None:
            if key in done:
                continue
            done.add(key)
        kept.append(i)
        if stmt is not None and absorbs:
            absorbers.setdefault(stmt, []).append((i, a, b, absorbs))
    if by_rank:
        kept.sort()  # back to file order
    out = []
    fixes = 0
    for i in kept:
        rule, v = raw[i]
        if v.build is not None:
            v = v.build()
        if absorbed and i in absorbed:
            v = _absorb(rule, v, [raw[k] for k in sorted(absorbed[i])], source)
        out.append((rule, v))
        if v.fix is not None:
            fixes += 1
    if index is not None and fixes > 1:
        return _without_clashes(out)
    return out


def _absorb(rule, v: Violation, extra: list, source) -> Violation:
    """``v`` with the violations of ``extra`` (``[(rule, Violation)]``) folded in."""
    notes = []
    fix = v.fix
    for other, w in extra:
        if w.fold and w.fold not in notes and w.fold not in v.message:
            notes.append(w.fold)
        if other.id in rule.joins:
            if w.build is not None:  # a candidate: its fix is made on demand
                w = w.build()
            if w.fix is not None:
                fix = combine(fix, w.fix, source) or fix
    also = list(dict.fromkeys([*v.properties.get("also", ()), *(other.id for other, _ in extra)]))
    message = v.message + "".join("; " + note for note in notes)
    return Violation(v.span, message, v.help, fix, v.context, v.redacted, {**v.properties, "also": also})


def combine(a: Fix | None, b: Fix | None, source) -> Fix | None:
    """One fix that makes the edits of ``a`` and ``b``, or ``None`` when they overlap.

    Two insertions at one point become one (``a``'s text first); edits apart become one
    replacement of the text from the first edit's start to the second's end, the original
    text between them kept. A :class:`~linter.model.Fix` stays a single replacement, which
    every output format (and a pull-request suggestion) can show."""
    if a is None or b is None:
        return a or b
    first, second = (a, b) if (a.start, a.end) <= (b.start, b.end) else (b, a)
    if a.start == a.end == b.start == b.end:
        first, second = a, b
    elif _clash(first, second):
        return None
    text = source.text
    start, end = first.start, max(first.end, second.end)
    replacement = first.replacement + text[first.end : second.start] + second.replacement
    return Fix(source.index.span(start, end), start, end, replacement, f"{first.description}; {second.description}")


def _clash(a: Fix, b: Fix) -> bool:
    """True when ``a`` and ``b`` (``a.start <= b.start``) edit overlapping text, start at
    the same point, or one inserts inside the other's region; two insertions at one point
    clash unless they are equal. Adjacent edits do not clash."""
    if a.start == a.end == b.start == b.end:
        return a.replacement != b.replacement
    return b.start < a.end or a.start == b.start


def _without_clashes(out: list) -> list:
    """``out`` with the fix taken off every violation whose edit clashes with a narrower
    (or, as wide, earlier) one."""
    fixes = sorted((v.fix.start, v.fix.end, i) for i, (_, v) in enumerate(out) if v.fix is not None)
    losers: set[int] = set()
    for k, (s1, e1, i) in enumerate(fixes):
        f1 = out[i][1].fix
        for s2, e2, j in fixes[k + 1 :]:
            if s2 > e1:
                break
            f2 = out[j][1].fix
            if f1.replacement == f2.replacement and (s1, e1) == (s2, e2):
                continue
            if not _clash(f1, f2):
                continue
            w1, w2 = e1 - s1, e2 - s2
            losers.add(i if (w1, i) > (w2, j) else j)
    if not losers:
        return out
    return [(rule, replace(v, fix=None)) if i in losers else (rule, v) for i, (rule, v) in enumerate(out)]
