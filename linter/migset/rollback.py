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

from linter.model import Record, set_field

CHILD_KINDS = frozenset({"column", "index", "constraint", "trigger", "policy"})
RELATIONS = frozenset({"table", "view", "matview"})

Span4 = tuple  # (line, col, end_line, end_col)


class Problem(Record):
    """One way the down fails to undo the up."""

    kind: str  # not-dropped | not-restored | not-recreated | not-renamed-back | misordered
    obj: tuple[str, str, str]  # (kind, table, name)
    up_span: Span4 | None
    down_span: Span4 | None
    other: tuple[str, str, str] | None  # misordered: the dependant dropped later; renamed: the new key
    other_span: Span4 | None  # misordered: where the dependant is dropped
    definition: str  # not-restored after CREATE OR REPLACE: the new definition's hash

    def __init__(self, kind: str, obj: tuple[str, str, str], up_span: Span4 | None, down_span: Span4 | None = None,
                 other: tuple[str, str, str] | None = None, other_span: Span4 | None = None, definition: str = "") -> None:
        set_field(self, "kind", kind)
        set_field(self, "obj", obj)
        set_field(self, "up_span", up_span)
        set_field(self, "down_span", down_span)
        set_field(self, "other", other)
        set_field(self, "other_span", other_span)
        set_field(self, "definition", definition)


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


# --------------------------------------------------------------------------- data a down destroys

#: Integer and floating-point types, narrowest first: assigning a value of a later one to
#: an earlier one fails out of range or rounds (``numeric`` → ``int4`` rounds silently).
_NUMERIC_ORDER = ("int2", "int4", "int8", "float4", "float8", "numeric")
#: Bounded text types: ``varchar(n)``/``bpchar(n)`` cut or refuse what is longer.
_TEXTS = ("varchar", "bpchar", "text", "citext")
#: Time types that lose parts of a value: ``timestamp`` → ``date`` drops the time of day.
_TIMES = ("timestamp", "timestamptz")


def _parse_type(text: str) -> tuple[str, tuple[int, ...], int]:
    """``("varchar", (255,), 0)`` from ``varchar(255)``; the last item counts ``[]``."""
    dims = text.count("[]")
    base = text.replace("[]", "")
    name, _, mods = base.partition("(")
    return name, tuple(int(m) for m in mods.rstrip(")").split(",") if m.strip().isdigit()), dims


def narrows(old: str, new: str) -> bool:
    """True when changing a column from type ``old`` to ``new`` (:func:`linter.migset.objects.type_text`
    spellings) silently changes values ``old`` holds: fewer ``numeric`` decimals (rounded),
    a float to ``float4`` or an integer type (rounded), a timestamp to ``date`` or to a
    lower precision (cut or rounded). A change that *refuses* such values instead (a shorter
    ``varchar``/``char``, ``int8`` → ``int4``, fewer ``numeric`` digits with the same scale:
    "value too long", "out of range") destroys nothing: the rollback fails. Unknown pairs
    are not narrowing. ALTER COLUMN … TYPE converts with the assignment cast
    (https://www.postgresql.org/docs/current/sql-altertable.html); each pair is checked on
    a real server in tests/test_migset.py."""
    (on, om, od), (nn, nm, nd) = _parse_type(old), _parse_type(new)
    if od != nd or not on or not nn:
        return False
    if on in _NUMERIC_ORDER and nn in _NUMERIC_ORDER:
        if on == nn == "numeric":
            if not nm:
                return False
            o_scale = (om[1] if len(om) > 1 else 0) if om else None
            n_scale = nm[1] if len(nm) > 1 else 0
            return o_scale is None or n_scale < o_scale
        if on in _FLOATS:  # float8 -> float4 / an integer: rounded
            return _NUMERIC_ORDER.index(nn) < _NUMERIC_ORDER.index(on)
        if on == "numeric" and nn not in _FLOATS:  # numeric -> an integer: rounded
            return True
        return False  # a narrower integer (or numeric precision): "out of range", not a change
    if on in _TIMES:
        if nn == "date":
            return True
        if nn in _TIMES and nm:
            return nm[0] < (om[0] if om else 6)
    return False


#: Floating-point types (a narrower number type rounds them; integers are refused instead).
_FLOATS = ("float4", "float8")


class Destroyed(Record):
    """Data of before the up that a down destroys: ``what`` (``drops table 'users'``,
    ``drops column 'email' of 'users'``, ``empties 'countries' (TRUNCATE)``) and the down
    statement's span ``(line, col, end_line, end_col, path)``."""

    what: str
    span: tuple

    def __init__(self, what: str, span: tuple) -> None:
        set_field(self, "what", what)
        set_field(self, "span", span)


def destroyed(up: list, down: list, known: tuple[set, set] | None = None) -> list[Destroyed]:
    """What the down destroys of the data that existed **before** its up ran, from both
    parts' ``(op, span)`` effects (:mod:`linter.migset.objects`): a table, column or
    schema (``CASCADE``) it drops, or a table it truncates, that the up did not create
    (dropping what the up added only removes what was written since); a column it narrows
    (:func:`narrows`) from the type the up gave it. Names are matched without schema, as
    :func:`analyse` does; renames in the up are followed (a table the up created and
    renamed is still its own), and so are the down's: what the down creates or renames
    into place itself is a rebuild (copy into ``x_new``, drop ``x``, rename ``x_new`` to
    ``x``), not a loss. ``known`` (:func:`linter.migset.references.created`: the tables the
    set's migrations create, and the schemas they create tables in), when given, limits
    what is reported to data the set put there: a table no migration creates (a misspelt
    name: the DROP fails, nothing is lost) and a schema none of its tables are in (Lemmy's
    schema ``r`` of views and functions, rebuilt at startup) hold none."""
    tables: set[str] = set()
    columns: set[tuple[str, str]] = set()
    schemas: set[str] = set()
    types: dict[tuple[str, str], str] = {}
    was: dict[str, str] = {}  # pre-existing relations the up renamed: new name -> old name
    emptied: set[str] = set()  # relations the up dropped or truncated: their old rows are gone already
    for op, _span in up:
        verb, kind, _schema, table, name, arg = op
        if verb == "truncate" or (verb == "drop" and kind in RELATIONS):
            emptied.add(name)
        elif verb == "create":
            if kind in RELATIONS:
                tables.add(name)
            elif kind == "column":
                columns.add((table, name))
            elif kind == "schema":
                schemas.add(name)
        elif verb == "rename" and kind in RELATIONS:
            if name in tables:
                tables.add(arg)
            else:
                was[arg] = was.get(name, name)
            columns |= {(arg, c) for t, c in columns if t == name}  # its new columns move with it
        elif verb == "rename" and kind == "column" and (table, name) in columns:
            columns.add((table, arg))
        elif verb == "retype" and arg:
            types[(table, name)] = arg
    # what the down builds itself (a rebuild: ADD COLUMN x_new, copy, DROP COLUMN x,
    # RENAME x_new TO x loses nothing), and the names it renames things from
    made: set = set()
    for op, _span in down:
        verb, kind, _schema, table, name, arg = op
        if verb in ("create", "replace"):
            made.add(name if kind in RELATIONS else (table, name) if kind == "column" else None)
        elif verb == "rename" and kind in RELATIONS:
            made.add(arg)
        elif verb == "rename" and kind == "column":
            made.add((table, arg))
    alias: dict = {}  # table name, or (table, column), in the down so far -> its name before the down
    out: list[Destroyed] = []
    for op, span in down:
        verb, kind, _schema, table, name, arg = op
        if verb == "rename" and kind in RELATIONS:
            alias[arg] = alias.get(name, name)
        elif verb == "rename" and kind == "column":
            alias[(table, arg)] = alias.get((table, name), (table, name))
        if kind in RELATIONS or verb == "truncate":
            name = alias.get(name, name)
            if name in made or was.get(name) in made:  # rebuilt, or the up's rename undone by a rebuild
                continue
        elif kind == "column":
            table, name = alias.get((table, name), (table, name))
            if (table, name) in made or table in made:
                continue
        if kind in RELATIONS and name in emptied and (verb == "truncate" or "e" in arg):
            continue  # TRUNCATE after the up's, DROP IF EXISTS of what the up dropped
        if known is not None and ((kind == "table" and verb in ("drop", "truncate") and name not in known[0])
                                  or (kind == "schema" and name not in known[1])):
            continue  # no migration of the set put data there
        if verb == "drop" and kind == "table" and name and name not in tables:
            out.append(Destroyed(f"drops table {name!r}", span))
        elif verb == "drop" and kind == "column" and name and table not in tables and (table, name) not in columns:
            out.append(Destroyed(f"drops column {name!r} of {table!r}", span))
        elif verb == "drop" and kind == "schema" and "c" in arg and name not in schemas:
            out.append(Destroyed(f"drops schema {name!r} with everything in it", span))
        elif verb == "truncate" and name not in tables:
            out.append(Destroyed(f"empties {name!r} (TRUNCATE{' … CASCADE' if 'c' in arg else ''})", span))
        elif verb == "retype" and table not in tables and (table, name) not in columns:
            old = types.get((table, name))
            if old and arg and narrows(old, arg):
                out.append(Destroyed(f"narrows column {name!r} of {table!r} from {old} to {arg}", span))
    return out
