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

from dataclasses import replace

from linter.model import Direction


#: :data:`linter.migset.rollback.RELATIONS`, imported by :func:`_known` on first use.
RELATIONS = None


def has_down_code(ctx) -> bool:
    """True when the file is a down migration or has a down section."""
    if ctx.file.direction is Direction.DOWN:
        return True
    source = ctx.source
    return source is not None and any(s.direction is Direction.DOWN for s in source.sections)


def down_part(source, offset: int) -> int | None:
    """The start offset of the down section holding character ``offset``, ``None`` when
    that is up code."""
    sec = source.section_of(offset)
    return sec.start if sec.direction is Direction.DOWN else None


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
        part = 0 if whole else down_part(source, source.index.offset(v.span.start))
        if part is None:
            out.append((rule, v))
            continue
        if summarise:
            groups.setdefault(part, []).append((rule, v))
    ctx.rollback_locks = [groups[k] for k in sorted(groups)]
    return out


def resolve(findings: list, files: list, summaries: dict[str, dict]) -> list:
    """``findings`` with each ``locking-in-rollback`` note restated from what the
    migration set knows (the engine's post-pass, after all files; no file is read again):
    a table the down's up created (and maybe renamed), or that the down itself created
    before locking it, blocks no production traffic, so it leaves the note, and a note
    with nothing left is dropped. The up is the up part of the same file for dbmate and
    goose; the paired up file (diesel, golang-migrate, ``up/``/``down/``, Flyway ``V``
    with ``U``), or a popx migration's steps, found by :func:`linter.migset.pairs.units`
    from the per-file ``objects`` summaries. A down whose up is not known (no pair, not
    parsed) keeps every table but those it created itself. Cost: one scan of the
    findings, and one pairing per root that has a note."""
    from linter import registry
    from linter.engine import ROLLBACK_RULE, _fingerprint

    module = registry.all_rules()[ROLLBACK_RULE].module
    lookup = module.LOOKUP
    marked = [i for i, f in enumerate(findings) if f.rule_id == ROLLBACK_RULE and lookup in f.properties]
    if not marked:
        return findings
    from collections import defaultdict

    from linter.migset import pairs

    by_path = {f.path: f for f in files}
    roots: dict[str, list] = defaultdict(list)
    for f in files:
        roots[f.root].append(f)
    ups_of: dict[str, tuple] = {}  # down file path -> the up files of its unit
    done_roots: set[str] = set()
    out = list(findings)
    seen: dict = {}
    dropped = []
    for i in marked:
        finding = findings[i]
        got = finding.properties.pop(lookup)
        f = by_path.get(finding.path)
        if f is None:
            continue
        if f.root not in done_roots:
            done_roots.add(f.root)
            for unit in pairs.units(roots[f.root], summaries):
                for d in unit.downs:
                    ups_of.setdefault(d.path, unit.ups)
        known = _known(ups_of.get(f.path, ()), f.path, summaries)
        new = module.restate(finding, got, known)
        if new is None:
            dropped.append(i)
            continue
        if new is finding:
            continue
        key = (ROLLBACK_RULE, new.path, new.message)
        n = seen.get(key, 0)
        seen[key] = n + 1
        out[i] = replace(new, fingerprint=_fingerprint(ROLLBACK_RULE, new.path, new.message, n))
    if dropped:
        gone = set(dropped)
        out = [f for i, f in enumerate(out) if i not in gone]
    return out


def _known(ups: tuple, down_path: str, summaries: dict) -> dict:
    """What :func:`linter.checks.locking_in_rollback.restate` needs: bare names of the
    relations the ``ups`` leave created (following their renames) mapped to ``None``
    (a relation that existed before the up, one it drops or renames, is never its own,
    even when it then creates or renames something into its name: a rebuilt view, a
    table built as ``x_new`` and renamed into place are read by traffic as before), ``("index", name)`` of the indexes
    and constraints they create (a ``UNIQUE`` or ``PRIMARY KEY`` constraint's index has its
    name) mapped to their table, and the relations and indexes the down file's own
    down part creates mapped to the line of that statement (:mod:`linter.migset.objects`
    effects from the summaries)."""
    global RELATIONS
    if RELATIONS is None:  # imported on first use: most runs have no rollback note to restate
        from linter.migset.rollback import RELATIONS
    known: dict = {}
    before: set[str] = set()  # relations that existed before the up: it dropped or renamed them
    for up in ups:
        for op, _span in summaries.get(up.path, {}).get("objects", {}).get("up", ()):
            verb, kind, _schema, table, name, arg = op
            if kind in RELATIONS:
                if verb == "create" and name not in before:  # DROP VIEW v; CREATE VIEW v: still read by traffic
                    known[name] = None
                elif verb == "drop" or verb == "rename":
                    own = name in known
                    known.pop(name, None)
                    if not own:
                        before.add(name)
                    if verb == "rename":
                        if own and arg not in before:
                            known[arg] = None  # its own table under a new name
                        else:
                            before.add(arg)  # an older table under a new name
                if verb == "rename":  # its indexes move with it
                    for k, v in list(known.items()):
                        if v == name and isinstance(k, tuple):
                            known[k] = arg
            elif kind == "index" or kind == "constraint":  # a UNIQUE/PRIMARY KEY constraint's index has its name
                if verb == "create" and name:
                    known[("index", name)] = table
                elif verb == "drop":
                    known.pop(("index", name), None)
                elif verb == "rename" and ("index", name) in known:
                    known[("index", arg)] = known.pop(("index", name))
    for op, span in summaries.get(down_path, {}).get("objects", {}).get("down", ()):
        verb, kind, _schema, _table, name, _arg = op
        if verb == "create" and (kind in RELATIONS or kind == "index") and name and name not in known:
            known[name] = span[0]
    return known
