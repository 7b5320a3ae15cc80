"""Does a down migration undo its up? Judged from both files' :mod:`~linter.migset.objects` effects.

:func:`analyse` replays the up's effects to find what it leaves behind (its *net* effect:
an object created and dropped again in the same up leaves nothing), then checks the down:

* ``not-dropped``: an object the up created is still there after the down (the down
  neither drops it nor its table, nor something it depends on with CASCADE, nor its
  schema with CASCADE, nor a column it is built on).
* ``not-restored``: an object the up redefined (CREATE OR REPLACE, or DROP then CREATE) is
  neither redefined nor dropped by the down, which leaves the new definition in place.
* ``not-recreated``: an object that existed before the up and was dropped by it is not
  created again by the down (a DROP ... IF EXISTS in the up is not counted: the object
  may never have existed).
* ``not-renamed-back``: an object the up renamed keeps its new name.
* ``misordered``: the down drops an object (without CASCADE) before an object that
  depends on it, which it drops later; PostgreSQL refuses the first DROP ("cannot drop
  table users because other objects depend on it").

Each problem names the object and carries the spans of the statements involved.
"""

from __future__ import annotations

from dataclasses import dataclass

CHILD_KINDS = frozenset({"column", "index", "constraint", "trigger", "policy"})
RELATIONS = frozenset({"table", "view", "matview"})

Span4 = tuple  # (line, col, end_line, end_col)


@dataclass(frozen=True)
class Problem:
    """One way the down fails to undo the up."""

    kind: str  # not-dropped | not-restored | not-recreated | not-renamed-back | misordered
    obj: tuple[str, str, str]  # (kind, table, name)
    up_span: Span4 | None
    down_span: Span4 | None = None
    other: tuple[str, str, str] | None = None  # misordered: the dependant dropped later; renamed: the new key
    other_span: Span4 | None = None  # misordered: where the dependant is dropped
    definition: str = ""  # not-restored after CREATE OR REPLACE: the new definition's hash


def describe(obj: tuple[str, str, str]) -> str:
    """``index "users_email_idx" on "users"``, ``table "users"``."""
    kind, table, name = obj
    word = {"matview": "materialized view"}.get(kind, kind)
    return f'{word} "{name}" on "{table}"' if table else f'{word} "{name}"'


def _key(kind: str, table: str, name: str) -> tuple[str, str, str]:
    """How objects are matched: index names are unique in their schema and DROP INDEX
    does not name the table, so indexes are matched by name alone; so are constraints
    (PostgreSQL's generated names start with the table's, and a down that rebuilds a
    table under its old name gets them back)."""
    return (kind, "" if kind in _BY_NAME else table, name)


#: Kinds matched by name alone (:func:`_key`).
_BY_NAME = frozenset({"index", "constraint"})


def analyse(up: list, down: list) -> list[Problem]:
    """Problems of the pair; ``up``/``down`` are lists of ``(op, span)`` in statement order."""
    created: dict[tuple, tuple] = {}  # key -> (span, schema, table)
    columns: dict[tuple, tuple] = {}  # index/constraint key -> the columns it involves
    replaced: dict[tuple, tuple] = {}
    dropped: dict[tuple, tuple] = {}  # pre-existing objects the up dropped
    renamed: dict[tuple, tuple] = {}  # new key -> (old name, span)
    deps: list[tuple[tuple, tuple, str]] = []  # (dependant key, (target kind, target name), dependant's table)
    owner: dict[tuple, str] = {}  # sequence key -> table it is OWNED BY
    gone_tables: set[str] = set()  # pre-existing relations the up dropped (with their indexes...)

    maybe_dropped: set[tuple] = set()  # DROP ... IF EXISTS of something the up did not create
    swapped_out: set[tuple] = set()  # old names of pre-existing objects the up renamed
    for op, span in up:
        verb, kind, schema, table, name, arg = op
        key = (kind, "" if kind in _BY_NAME else table, name)  # _key(), inline in the loops over ops
        if verb == "dep":
            if arg[0] == "owner":
                owner[key] = arg[1]
            else:
                deps.append((key, arg, table))
        elif verb == "create":
            if arg:
                columns[key] = arg
            if key in created or key in replaced:
                continue
            if key in dropped:  # dropped and built again (a rebuild): nothing left to undo
                del dropped[key]
            elif key in maybe_dropped or (kind in CHILD_KINDS and table in gone_tables):
                continue
            elif key in swapped_out:  # rename old aside, create the new one: a redefinition
                replaced[key] = (span, schema, table, "")
            else:
                created[key] = (span, schema, table)
        elif verb == "replace":
            if key in created or key in replaced:
                continue
            dropped.pop(key, None)
            replaced[key] = (span, schema, table, arg)
        elif verb == "drop":
            if key in created:
                del created[key]
                if kind in RELATIONS:
                    for k in [k for k, v in created.items() if k[0] in CHILD_KINDS and v[2] == name]:
                        del created[k]
                continue
            if kind in RELATIONS:
                gone_tables.add(name)
            if key in replaced:
                del replaced[key]
                dropped[key] = (span, schema, table)
            elif key in renamed:  # a pre-existing object, renamed aside and now dropped
                old, _span, otable = renamed.pop(key)
                okey = _key(kind, otable, old)
                if okey in created:
                    replaced[okey] = created.pop(okey) + ("",)
                elif okey not in replaced:
                    dropped[okey] = (span, schema, otable)
            elif "e" in arg or not name:
                maybe_dropped.add(key)
            else:
                dropped[key] = (span, schema, table)
        elif verb == "rename":
            new_key = _key(kind, table, arg)
            dropped.pop(new_key, None)  # the name is taken again
            if kind in RELATIONS:  # what lives on the table moves with it
                for d in (created, replaced, dropped, renamed):
                    for k in [k for k, v in d.items() if k[0] in CHILD_KINDS and v[2] == name]:
                        v = d.pop(k)
                        d[_key(k[0], arg, k[2])] = v[:2] + (arg,) + v[3:]
            if key in created:
                created[new_key] = created.pop(key)
            elif key in renamed:  # renamed twice: remember the first name
                renamed[new_key] = renamed.pop(key)
            else:
                renamed[new_key] = (name, span, table)
                swapped_out.add(key)

    # what the down does
    d_dropped: dict[tuple, tuple] = {}  # key -> (position, span, flags)
    d_tables: dict[str, int] = {}  # relation name -> position dropped
    d_cascade: list[tuple] = []  # keys dropped with CASCADE
    d_schemas: set[str] = set()  # schemas dropped with CASCADE
    d_columns: set[tuple[str, str]] = set()
    d_mentioned: set[tuple] = set()  # keys the down creates or replaces
    d_renames: set[tuple] = set()  # (kind, table, from, to)
    d_renamed_away: set[tuple] = set()  # keys the down renames to another name
    d_renamed_to: set[tuple] = set()  # keys the down gives to something by renaming it
    d_created_tables: set[str] = set()
    alias: dict[str, str] = {}  # a relation's name in the down -> its name after the up
    pos, last_span = -1, None
    for op, span in down:
        if span != last_span:  # one position per statement: DROP TABLE a, b drops both at once
            pos, last_span = pos + 1, span
        verb, kind, schema, table, name, arg = op
        table = alias.get(table, table)
        if kind in RELATIONS:
            name = alias.get(name, name)
        key = (kind, "" if kind in _BY_NAME else table, name)
        if verb == "drop":
            d_dropped.setdefault(key, (pos, span, arg))
            if kind in RELATIONS:
                d_tables.setdefault(name, pos)
            if kind == "column":
                d_columns.add((table, name))
            if "c" in arg:
                d_cascade.append(key)
                if kind == "schema":
                    d_schemas.add(name)
        elif verb in ("create", "replace"):
            d_mentioned.add(key)
            if kind in RELATIONS:
                d_created_tables.add(name)
        elif verb == "rename":
            d_renames.add((kind, "" if kind in ("index", "constraint") else table, name, arg))
            d_renamed_away.add(key)
            d_renamed_to.add(_key(kind, table, arg))
            if kind in RELATIONS:
                alias[arg] = name

    dep_map: dict[tuple, list] = {}
    for dependant, target, _table in deps:
        dep_map.setdefault(dependant, []).append(target)

    def cascaded(key: tuple, schema: str) -> bool:
        if schema and schema in d_schemas:
            return True
        for tkind, tname in dep_map.get(key, ()):
            for ck in d_cascade:
                if ck[2] == tname and (ck[0] == tkind or (tkind == "relation" and ck[0] in RELATIONS)):
                    return True
        return False

    out: list[Problem] = []
    for key, (span, schema, table) in created.items():
        kind, _t, name = key
        if not name or key in d_dropped or schema == "pg_temp":  # temporary: gone with the session
            continue
        if kind in CHILD_KINDS and table in d_tables:
            continue
        if kind == "column" and (table, name) in d_columns:
            continue
        if any((table, c) in d_columns for c in columns.get(key, ())):
            continue  # dropping a column drops the indexes and constraints involving it
        if key in d_renamed_away or owner.get(key) in d_tables:
            continue
        if key in d_mentioned:  # the down recreates it: the up rebuilt something that existed
            continue
        if cascaded(key, schema) or (kind in CHILD_KINDS and any(cascaded((r, "", table), schema) for r in RELATIONS)):
            continue
        out.append(Problem("not-dropped", (kind, table, name), span))
    # a table left behind, or rebuilt: no need to list its indexes, constraints, triggers,
    # sequences (they come and go with it)
    left = {p.obj[2] for p in out if p.kind == "not-dropped" and p.obj[0] in RELATIONS}
    left |= {k[2] for k in replaced if k[0] in RELATIONS}
    out = [p for p in out if not (p.obj[0] in CHILD_KINDS and p.obj[1] in left)
           and not (p.obj[0] == "sequence" and owner.get(_key("sequence", "", p.obj[2])) in left)]
    for key, (span, schema, table, *definition) in replaced.items():
        kind, _t, name = key
        if schema == "pg_temp":
            continue
        if key in d_mentioned or key in d_dropped or key in d_renamed_away or (kind in CHILD_KINDS and table in d_tables):
            continue
        if cascaded(key, schema):
            continue
        out.append(Problem("not-restored", (kind, table, name), span, definition=definition[0] if definition else ""))
    for key, (span, _schema, table) in dropped.items():
        kind, _t, name = key
        if key in d_mentioned or key in d_renamed_to or (kind in CHILD_KINDS and table in d_created_tables):
            continue
        if kind in RELATIONS and any(_key(r, "", name) in d_renamed_to | d_mentioned for r in RELATIONS):
            continue
        out.append(Problem("not-recreated", (kind, table, name), span))
    for key, (old, span, table) in renamed.items():
        kind, t, new = key
        if (kind, t, new, old) in d_renames or key in d_dropped or (kind, t, old) in d_mentioned:
            continue
        if kind in CHILD_KINDS and table in d_tables:
            continue
        out.append(Problem("not-renamed-back", (kind, table, old), span, other=(kind, table, new)))

    # order: a target dropped (no CASCADE) before a dependant that is dropped later
    def drop_pos(key: tuple, table: str) -> int | None:
        kind, _t, name = key
        best = None
        got = d_dropped.get(key)
        if got is not None and name:
            best = got[0]
        if kind in CHILD_KINDS and table in d_tables:
            p = d_tables[table]
            best = p if best is None else min(best, p)
        return best

    spans = []
    for _op, span in down:
        if not spans or spans[-1] != span:
            spans.append(span)
    seen: set = set()
    for dependant, (tkind, tname), dtable in deps:
        dpos = drop_pos(dependant, dtable)
        if dpos is None:
            continue
        for key, (pos, span, flags) in d_dropped.items():
            if key[2] != tname or "c" in flags or pos >= dpos:
                continue
            if not (key[0] == tkind or (tkind == "relation" and key[0] in RELATIONS)):
                continue
            if (key, dependant) in seen or key == dependant:
                continue
            seen.add((key, dependant))
            other = (dependant[0], dtable if dependant[0] in CHILD_KINDS else "", dependant[2])
            out.append(Problem("misordered", key, None, span, other=other, other_span=spans[dpos]))
    return out
