"""Lock-hazard findings on rollback code: taken out of the report, to be summarised.

A down migration (a down file, a Flyway ``U`` file, a ``down/`` mirror, a dbmate
``-- migrate:down`` or goose ``-- +goose Down`` section) runs when a release is undone,
by hand and usually once: a per-statement lock finding there ("CREATE INDEX takes a SHARE
lock", "no lock_timeout set") is true but rarely acted on. The engine calls :func:`fold`
after suppressions with the findings of one file: the findings of ``HAZARD = "lock"``
rules (:data:`linter.registry.HAZARDS`) inside down code leave the list; with
``rollback_locking: summary`` (the default) they are kept, grouped per down part, in
``ctx.rollback_locks`` for the ``locking-in-rollback`` rule to summarise in one note;
with ``off`` they are dropped; with ``full`` :func:`fold` is not called.

Correctness rules are not touched: a statement that fails in the tool's transaction, a
syntax error, a misordered or incomplete down is as wrong in a rollback as anywhere.
"""

from __future__ import annotations

from linter.model import Direction


def has_down_code(ctx) -> bool:
    """True when the file is a down migration or has a down section."""
    if ctx.file.direction is Direction.DOWN:
        return True
    source = ctx.source
    return source is not None and any(s.direction is Direction.DOWN for s in source.sections)


def fold(ctx, kept: list, summarise: bool) -> list:
    """``kept`` (``[(rule, violation)]``) without the lock-hazard findings in down code.

    With ``summarise``, those are grouped per down part (the whole file, or each down
    section, by its start offset) into ``ctx.rollback_locks``: ``[[(rule, violation),
    ...], ...]`` in file order. Cost: nothing for a file without down code.
    """
    if not has_down_code(ctx):
        return kept
    source = ctx.source
    whole = ctx.file.direction is Direction.DOWN and len(source.sections) == 1
    out: list = []
    groups: dict[int, list] = {}
    for rule, v in kept:
        if rule.hazard != "lock":
            out.append((rule, v))
            continue
        if whole:
            part = 0
        else:
            off = source.index.offset(v.span.start)
            sec = next((s for s in reversed(source.sections) if off >= s.start), source.sections[0])
            if sec.direction is not Direction.DOWN:
                out.append((rule, v))
                continue
            part = sec.start
        if summarise:
            groups.setdefault(part, []).append((rule, v))
    ctx.rollback_locks = [groups[k] for k in sorted(groups)]
    return out
