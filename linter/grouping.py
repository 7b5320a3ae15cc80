"""One finding per file for rules whose findings share one deploy decision.

A reviewer makes one decision per file for some hazards, however many statements carry
them: "is the application code already not using these 106 columns?" for a file of
renames, "fix this down" for a down migration that leaves 16 objects behind. A rule
module says so with ``REPORT = "per-file"`` (:data:`linter.registry.REPORTS`); the engine
then calls :func:`merge` after suppressions (a suppressed statement is not listed), on the
findings of one file (:func:`linter.engine._lint_file`) and on the ``file-set`` findings of
one root (:func:`linter.engine.run_file_sets`).

:func:`merge` keeps, per rule and per file (per section for dbmate/goose files, whose up
and down parts are separate decisions), the first finding in file order, with its span,
help and fingerprint context (so the fingerprint does not move when unrelated lines
shift). Every finding of such a rule names what it is about in its ``objects`` property
(a list of display names, usually one); the kept finding's ``objects`` lists them all and
its ``lines`` property the line of each (parallel lists), ``count`` their number. When
there are several, the rule's ``group_message(violations, objects)`` gives the
message and help (:func:`listing` writes the names), and the finding offers no fix (a
fix of the first statement is not a fix of the group; none of these rules has one).
Cost: one pass over the file's findings, nothing more when no such rule fired.
"""

from __future__ import annotations


from linter.model import Violation, replace

#: How many names a grouped message shows before "… and N more".
SHOWN = 5


def listing(objects: list[str], shown: int = SHOWN) -> str:
    """``a, b, c, … and 3 more``: the first ``shown`` of ``objects``, then how many are left."""
    head = ", ".join(objects[:shown])
    rest = len(objects) - shown
    return f"{head}, … and {rest} more" if rest > 0 else head


def merge(found: list, part=None) -> list:
    """``found`` (``[(rule, violation)]``) with the violations of each ``REPORT =
    "per-file"`` rule merged into one per part, at the first one's place in the list.

    ``part(violation)`` says which part of a file a violation is in (a dbmate/goose
    section's start offset, or for ``file-set`` findings their ``path`` property); ``None``
    means the whole list is one file.
    """
    groups: dict = {}
    for i, (rule, v) in enumerate(found):
        if rule.report == "per-file":
            groups.setdefault((rule.id, part(v) if part else None), []).append(i)
    if not groups:
        return found
    out = list(found)
    drop: set[int] = set()
    for idxs in groups.values():
        rule = found[idxs[0]][0]
        members = sorted((found[i][1] for i in idxs), key=lambda v: (v.span.start.line, v.span.start.column))
        first = min(idxs, key=lambda i: (found[i][1].span.start.line, found[i][1].span.start.column))
        out[first] = (rule, _merged(rule, members))
        drop.update(i for i in idxs if i != first)
    return [x for i, x in enumerate(out) if i not in drop]


def _merged(rule, members: list[Violation]) -> Violation:
    """One violation for ``members`` (in file order) of ``rule``: see the module doc."""
    objects: list[str] = []
    lines: list[int] = []
    for v in members:
        names = v.properties.get("objects") or [v.message]
        objects.extend(names)
        lines.extend([v.span.start.line] * len(names))
    first = members[0]
    props = {**first.properties, "objects": objects, "lines": lines, "count": len(objects)}
    if len(members) == 1:
        return replace(first, properties=props)
    message, help = rule.module.group_message(members, objects)
    return replace(first, message=message, help=help or first.help, fix=None, properties=props)
