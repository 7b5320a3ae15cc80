"""Column types the migration set declares: the old type of an ``ALTER COLUMN … TYPE``
whose column was created by an earlier file of the same root.

A statement rule sees one file; when the column it changes was created in another file
it cannot know the old type (``column-type-rewrite`` then says "may rewrite"). The set
knows it, and the engine has every file's summary after the workers are done, so no file
is parsed twice:

1. Each worker records, in the file's summary (key ``column_types``, asked for by a
   rule's ``NEEDS``), what the file's top-level statements do to column types, in file
   order (:func:`events`).
2. A finding that needs an old type carries the property :data:`LOOKUP` (see
   :func:`lookup_property`): the table, the column, the statement's index, its up/down
   side and what the rule wants back; :func:`resolve` removes it.
3. After all files (and the file-set rules), :func:`resolve` replays, per root and in
   version order, the up parts of the files before the finding's file (for a down file:
   the ups up to and including its version), then the finding's own file up to the
   statement, and hands the old type it found to the rule module's
   ``with_old_type(finding, old, where, pg_version, payload)``, which returns the finding
   restated, or ``None`` to drop it. Findings whose old type the set does not know
   either are passed to ``with_old_type`` with ``old=None``.

Event shapes (tuples of strings and ints, cheap to pickle), each ``(index, down, op, …)``
with ``index`` the statement's index in the file and ``down`` True in a down part:

* ``("create", table, ((column, type), ...), if_not_exists, line)``: CREATE TABLE;
* ``("add", table, column, type, line, if_not_exists)``: ADD COLUMN;
* ``("type", table, column, type, line)``: ALTER COLUMN … TYPE;
* ``("drop", table, column)``, ``("rename", table, old, new)``: DROP / RENAME COLUMN;
* ``("rename_table", table, new)``, ``("drop_table", table)``.

``type`` is :func:`compact` of a TypeName: ``(base name, integer modifiers, is array)``.
Tables are compared by bare name (:func:`linter.pg.names.table_key`), as everywhere else.
What is not recorded makes a column unknown, never wrong: CREATE TABLE … LIKE / AS,
statements inside DO blocks and functions, columns of views.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict

from linter.model import Direction
from linter.pg import names

#: The finding property that asks :func:`resolve` for an old type (removed by it).
LOOKUP = "old_type_lookup"

#: The summary key of :func:`events`.
NEEDS_KEY = "column_types"


#: A serial column's type is the integer type behind it ("8.1.4. Serial Types").
_SERIAL = {"serial": "int4", "serial4": "int4", "bigserial": "int8", "serial8": "int8", "smallserial": "int2", "serial2": "int2"}


def compact(type_name: dict | None) -> tuple:
    """``(base, (typmod, ...), is_array)`` of a TypeName dict: ``("varchar", (20,), False)``;
    serial types as the integer type the column gets (``serial`` is ``int4``). The same
    names as :func:`linter.pg.names.base_type` and :func:`~linter.pg.names.typmods`
    (inlined: every column definition of the corpus passes here)."""
    if not type_name:
        return ("", (), False)
    base = ""
    for item in reversed(type_name.get("names") or ()):
        if "String" in item:
            base = item["String"].get("sval", "")
            break
    mods = type_name.get("typmods")
    if mods:
        mods = tuple(int(m["A_Const"]["ival"].get("ival", 0)) for m in mods if "ival" in m.get("A_Const", ()))
    return (_SERIAL.get(base, base), mods or (), "arrayBounds" in type_name)


def type_node(t: tuple) -> dict:
    """A minimal TypeName dict for a :func:`compact` type (what :mod:`linter.pg.rewrites`
    and :func:`linter.pg.names.type_name` read)."""
    node: dict = {"names": [{"String": {"sval": t[0]}}], "typmods": [{"A_Const": {"ival": {"ival": m}}} for m in t[1]]}
    if t[2]:
        node["arrayBounds"] = [{"Integer": {"ival": -1}}]
    return node


def lookup_property(stmt, table: str, column: str, payload=None) -> tuple:
    """The value of the :data:`LOOKUP` property for ``column`` of ``table`` as it is just
    before ``stmt``: ``(table, column, statement index, in a down part, payload)``;
    ``payload`` (picklable) is handed back to the rule's ``with_old_type``."""
    top = stmt
    while top.parent is not None:
        top = top.parent
    return (table, column, top.index, top.section is Direction.DOWN, payload)


_KINDS = frozenset({"CreateStmt", "AlterTableStmt", "RenameStmt", "DropStmt"})


#: :class:`linter.migset.summary._Positions` (the summary's cheap line counter), imported
#: on first use (the summary imports this module) and kept.
_Positions = None


def events(source) -> tuple:
    """The column-type events of a parsed file's top-level statements (module doc)."""
    global _Positions
    if _Positions is None:
        from linter.migset.summary import _Positions

    out: list = []
    where = None
    wanted = _KINDS
    for st in source.statements:
        kind = st.kind
        if kind not in wanted:
            continue
        body = st.body
        down = st.section is Direction.DOWN
        i = st.index
        if kind == "DropStmt":
            if body.get("removeType") == "OBJECT_TABLE":
                for obj in body.get("objects", ()) or ():
                    parts = names.strings(obj)
                    if parts:
                        out.append((i, down, "drop_table", parts[-1]))
            continue
        if kind == "RenameStmt":
            rt = body.get("renameType")
            table = names.table_key(body.get("relation"))
            if rt == "OBJECT_COLUMN":
                out.append((i, down, "rename", table, body.get("subname", ""), body.get("newname", "")))
            elif rt == "OBJECT_TABLE":
                out.append((i, down, "rename_table", table, body.get("newname", "")))
            continue
        table = names.table_key(body.get("relation"))
        if kind == "CreateStmt":
            cols = tuple([
                (cd.get("colname", ""), compact(cd["typeName"]))
                for elt in body.get("tableElts", ()) or ()
                if (cd := elt.get("ColumnDef")) is not None and cd.get("typeName")
            ])
            if where is None:
                where = _Positions(source.text)
            out.append((i, down, "create", table, cols, bool(body.get("if_not_exists")), where._at(st.start)[0]))
            continue
        if body.get("objtype") not in (None, "OBJECT_TABLE"):
            continue
        line = 0
        for c in body.get("cmds", ()) or ():
            cmd = c.get("AlterTableCmd", {})
            sub = cmd.get("subtype")
            if sub == "AT_AddColumn" or sub == "AT_AlterColumnType":
                cd = cmd.get("def", {}).get("ColumnDef", {})
                if not cd.get("typeName"):
                    continue
                if not line:
                    if where is None:
                        where = _Positions(source.text)
                    line = where._at(st.start)[0]
                if sub == "AT_AddColumn":
                    out.append((i, down, "add", table, cd.get("colname", ""), compact(cd["typeName"]), line, bool(cmd.get("missing_ok"))))
                else:
                    out.append((i, down, "type", table, cmd.get("name", ""), compact(cd["typeName"]), line))
            elif sub == "AT_DropColumn":
                out.append((i, down, "drop", table, cmd.get("name", "")))
    return tuple(out)


class _State:
    """``{table: {column: (type, path, line)}}`` as the replayed files leave it."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, tuple]] = {}

    def apply(self, ev: tuple, path: str) -> None:
        op = ev[2]
        tables = self.tables
        if op == "create":
            if ev[5] and ev[3] in tables:  # IF NOT EXISTS on an existing table: nothing
                return
            line = ev[6]
            tables[ev[3]] = {col: (t, path, line) for col, t in ev[4]}
        elif op == "add":
            cols = tables.setdefault(ev[3], {})
            if not (ev[7] and ev[4] in cols):
                cols[ev[4]] = (ev[5], path, ev[6])
        elif op == "type":
            tables.setdefault(ev[3], {})[ev[4]] = (ev[5], path, ev[6])
        elif op == "drop":
            tables.get(ev[3], {}).pop(ev[4], None)
        elif op == "rename":
            cols = tables.get(ev[3])
            if cols is not None:
                got = cols.pop(ev[4], None)
                if got is not None:
                    cols[ev[5]] = got
                else:
                    cols.pop(ev[5], None)
        elif op == "rename_table":
            got = tables.pop(ev[3], None)
            if got is not None:
                tables[ev[4]] = got
            else:
                tables.pop(ev[4], None)
        elif op == "drop_table":
            tables.pop(ev[3], None)


class _OwnFile:
    """The events of the finding's own file, indexed for walking back from a statement:
    the up part's events, then the down part's (a down part runs after the up part), and
    for each table the positions of the events that touch it (a table rename touches both
    names)."""

    __slots__ = ("seq", "up_at", "down_at", "by_table")

    def __init__(self, evs: tuple) -> None:
        ups = [ev for ev in evs if not ev[1]]
        downs = [ev for ev in evs if ev[1]]
        self.seq = ups + downs
        self.up_at = [ev[0] for ev in ups]
        self.down_at = [ev[0] for ev in downs]
        by_table: dict[str, list[int]] = {}
        for pos, ev in enumerate(self.seq):
            by_table.setdefault(ev[3], []).append(pos)
            if ev[2] == "rename_table":
                by_table.setdefault(ev[4], []).append(pos)
        self.by_table = by_table

    def limit(self, index: int, down: bool) -> int:
        """How many events of :attr:`seq` run before statement ``index`` of the up or down part."""
        if down:
            return len(self.up_at) + bisect_left(self.down_at, index)
        return bisect_left(self.up_at, index)

    def origin(self, table: str, column: str, limit: int):
        """Walk back from event ``limit``: ``("known", (type, line))`` when the file itself
        says the type, ``("gone", None)`` when the column or table was dropped or
        (re)created without it, else ``("before", (table, column))``: the names to look up
        in the state before the file."""
        seq = self.seq
        while True:
            positions = self.by_table.get(table, ())
            switched = False
            for k in range(bisect_left(positions, limit) - 1, -1, -1):
                pos = positions[k]
                ev = seq[pos]
                op = ev[2]
                if op == "rename_table":
                    if ev[4] == table and ev[3] != table:
                        table, limit, switched = ev[3], pos, True
                        break
                    return "gone", None  # renamed away before the statement
                if op == "create":
                    for col, t in ev[4]:
                        if col == column:
                            return "known", (t, ev[6])
                    if not ev[5]:
                        return "gone", None
                elif op in ("add", "type"):
                    if ev[4] == column:
                        return "known", (ev[5], ev[6])
                elif op == "drop":
                    if ev[4] == column:
                        return "gone", None
                elif op == "drop_table":
                    return "gone", None
                elif op == "rename":
                    if ev[5] == column:
                        column = ev[4]
                    elif ev[4] == column:
                        return "gone", None  # renamed away before the statement
            if not switched:
                return "before", (table, column)


def types_before(files: list, summaries: dict[str, dict], first) -> dict[str, dict[str, tuple]]:
    """``{table: {column: compact type}}`` as the up and baseline ``files`` of a root
    (their :data:`NEEDS_KEY` events) leave the columns before the file ``first`` runs:
    the old types of what ``first`` changes. One replay; columns the set does not declare
    are absent."""
    key = _version_order(first)
    state = _State()
    for f in sorted((f for f in files if f.direction in _REPLAYED), key=_version_order):
        if _version_order(f) >= key:
            break
        for ev in summaries.get(f.path, {}).get(NEEDS_KEY, ()):
            if not ev[1]:
                state.apply(ev, f.path)
    return {t: {c: v[0] for c, v in cols.items()} for t, cols in state.tables.items()}


#: Integer types by size, with the decimal digits their largest value needs.
_INT_DIGITS = {"int2": 5, "int4": 10, "int8": 19}
_TEXTS = ("varchar", "bpchar", "text", "citext")


def widens(old: tuple | None, new: tuple) -> bool:
    """Whether changing a column from ``old`` to ``new`` (:func:`compact` types; ``old``
    ``None`` when unknown) keeps every value and admits more, so that changing it back
    would fail or cut on what was written since: a longer or unbounded ``varchar``, ``text``
    from a character type, a larger integer type, ``numeric`` with room for every value of
    the old integer or ``numeric`` type. With ``old`` unknown only an unbounded target
    (``text``, ``varchar`` without length, ``numeric`` without precision) counts. Checked
    on a real server in ``tests/test_migset.py`` (``test_widens_matches_postgresql``)."""
    nb, nm, narr = new
    if old is None:
        return not narr and (nb in ("text", "citext") or (nb in ("varchar", "numeric") and not nm))
    ob, om, oarr = old
    if oarr != narr:
        return False
    if ob in _TEXTS and nb in _TEXTS:
        if nb in ("text", "citext"):
            return True
        return nb == "varchar" and ob in ("varchar", "bpchar") and bool(om) and (not nm or nm[0] >= om[0])
    if nb == "numeric" and not nm:
        return ob in _INT_DIGITS or ob == "numeric"
    if ob in _INT_DIGITS and nb in _INT_DIGITS:
        return _INT_DIGITS[nb] > _INT_DIGITS[ob]
    if nb == "numeric" and nm:
        n_scale = nm[1] if len(nm) > 1 else 0
        if ob in _INT_DIGITS:
            return nm[0] - n_scale >= _INT_DIGITS[ob]
        if ob == "numeric" and om:
            o_scale = om[1] if len(om) > 1 else 0
            return n_scale >= o_scale and nm[0] - n_scale >= om[0] - o_scale
    return False


def version_order(f) -> tuple:
    """Sort key of a migration file as discovery orders a root's files: ``version_key``
    (integers before strings), then the path."""
    return (tuple([(0, x, "") if isinstance(x, int) else (1, 0, str(x)) for x in f.version_key]), f.path)


_version_order = version_order

#: The directions a set-wide replay applies: up files and baselines.
REPLAYED = _REPLAYED = (Direction.UP, Direction.BASELINE)


def marked_by_root(findings: list, files: list, key: str, keep=None) -> tuple[dict, dict, dict]:
    """What a set-wide post-pass needs to resolve the findings whose ``properties`` carry
    the internal ``key``: ``(by_path, roots, todo)``, where ``by_path`` is ``{path:
    MigrationFile}``, ``roots`` ``{root: [MigrationFile]}`` and ``todo`` ``{root: [index
    into findings]}`` of the marked findings whose file is known (and ``keep(file)`` is
    true, when given). A marked finding left out has ``key`` removed from its properties."""
    by_path = {f.path: f for f in files}
    roots: dict[str, list] = defaultdict(list)
    for f in files:
        roots[f.root].append(f)
    todo: dict[str, list] = defaultdict(list)
    for i, finding in enumerate(findings):
        if key not in finding.properties:
            continue
        f = by_path.get(finding.path)
        if f is not None and (keep is None or keep(f)):
            todo[f.root].append(i)
        else:
            finding.properties.pop(key, None)
    return by_path, roots, todo


def resolve(findings: list, files: list, summaries: dict[str, dict], config) -> list:
    """``findings`` with every :data:`LOOKUP` finding resolved (module doc); the others
    unchanged, in the same order. Cost: one replay of each root's events that has such a
    finding, in version order."""
    if not any(LOOKUP in f.properties for f in findings):
        return findings
    from linter import registry

    rules = registry.all_rules()
    by_path, roots, todo = marked_by_root(findings, files, LOOKUP)
    out = list(findings)
    dropped: set[int] = set()
    for root, idxs in todo.items():
        decorated = sorted((_version_order(f), f) for f in roots[root] if f.direction in _REPLAYED)
        ups = [f for _, f in decorated]
        keys = [k[0] for k, _ in decorated]
        pos_of = {f.path: n for n, f in enumerate(ups)}
        jobs = []
        for i in idxs:
            f = by_path[findings[i].path]
            if f.path in pos_of:
                pos = pos_of[f.path]  # the ups before this file
            else:  # a down file: after the ups up to and including its version
                pos = bisect_right(keys, _version_order(f)[0])
            jobs.append((pos, i, f))
        jobs.sort(key=lambda j: (j[0], j[1]))
        state = _State()
        done = 0
        own_files: dict[str, _OwnFile] = {}
        for pos, i, f in jobs:
            while done < pos:
                u = ups[done]
                for ev in summaries.get(u.path, {}).get(NEEDS_KEY, ()):
                    if not ev[1]:
                        state.apply(ev, u.path)
                done += 1
            finding = findings[i]
            # the lookup is internal: taken out of the finding's own properties (no copy)
            table, column, index, down, payload = finding.properties.pop(LOOKUP)
            own = own_files.get(f.path)
            if own is None:
                own = own_files[f.path] = _OwnFile(summaries.get(f.path, {}).get(NEEDS_KEY, ()))
            how, what = own.origin(table, column, own.limit(index, down))
            old = where = None
            if how == "known":
                old, where = what[0], (f.path, what[1])
            elif how == "before":
                got = state.tables.get(what[0], {}).get(what[1])
                if got is not None:
                    old, where = got[0], (got[1], got[2])
            module = rules[finding.rule_id].module
            new = module.with_old_type(finding, type_node(old) if old is not None else None, where, config.pg_version, payload)
            if new is None:
                dropped.add(i)
            else:
                out[i] = new
    return [f for i, f in enumerate(out) if i not in dropped]


#: The finding property that asks :func:`strip_retyped_fixes` whether a later file of the
#: root changes the column's type (removed by it): the value of :func:`lookup_property`.
RETYPED = "fix_unless_retyped"


#: Types a ``text`` column changes to without a rewrite, as a ``varchar(n)`` one does.
_UNBOUNDED_TEXT = (("text", (), False), ("varchar", (), False))


def retyped_later(summaries: dict[str, dict], ups: list, pos: int, index: int, table: str, column: str):
    """``(path, line)`` of the first ``ALTER COLUMN … TYPE`` that changes ``column`` of
    ``table`` after statement ``index`` of the up file ``ups[pos]``, in the up parts of
    that file and of the later files ``ups[pos + 1:]`` (version order), following column and
    table renames; ``None`` when none does before the column or table is dropped or the
    table created again, or when the change is to ``text`` or unbounded ``varchar`` (the
    column then ends the same from either type, without a rewrite)."""
    for n in range(pos, len(ups)):
        u = ups[n]
        for ev in summaries.get(u.path, {}).get(NEEDS_KEY, ()):
            if ev[1] or (n == pos and ev[0] <= index):
                continue
            op = ev[2]
            if ev[3] != table:
                continue
            if op == "type":
                if ev[4] == column:
                    # to text or unbounded varchar the column ends the same either way:
                    # binary-coercible from text as from varchar(n), no rewrite
                    return None if ev[5] in _UNBOUNDED_TEXT else (u.path, ev[6])
            elif op == "rename":
                if ev[4] == column:
                    column = ev[5]
                elif ev[5] == column:
                    return None
            elif op == "rename_table":
                table = ev[4]
            elif op == "drop":
                if ev[4] == column:
                    return None
            elif op == "drop_table" or (op == "create" and not ev[5]):
                return None
    return None


def strip_retyped_fixes(findings: list, files: list, summaries: dict[str, dict]) -> list:
    """``findings`` with the fix taken off each finding marked :data:`RETYPED` whose column
    a later up file of its root changes with ``ALTER COLUMN … TYPE`` (or the rest of its own
    up part, through a rename); its help says why. Such a fix changes what that later
    statement converts from: ``varchar(40)`` → ``varchar(40)`` is metadata-only, ``text`` →
    ``varchar(40)`` checks every row and rewrites the table (``column-type-rewrite`` at error
    level in the later file), so applied alone the fix would make the migration set worse.
    Findings on down files lose the mark only (the returned findings are copies without
    it; ``findings`` keep it). Cost: a scan of the findings when none is
    marked; else, per marked finding, a walk of the later files' events."""
    if not any(RETYPED in f.properties for f in findings):
        return findings
    import dataclasses

    by_path, roots, todo = marked_by_root(findings, files, RETYPED)
    out = list(findings)
    for root, idxs in todo.items():
        ups = [f for _, f in sorted((_version_order(f), f) for f in roots[root] if f.direction in _REPLAYED)]
        pos_of = {f.path: n for n, f in enumerate(ups)}
        for i in idxs:
            finding = findings[i]
            # a copy without the mark: the finding itself stays marked for a later
            # resolve of the same results (the language server resolves a root again)
            props = dict(finding.properties)
            table, column, index, down, _ = props.pop(RETYPED)
            pos = pos_of.get(finding.path)
            hit = None
            if pos is not None and not down and finding.fix is not None:
                hit = retyped_later(summaries, ups, pos, index, table, column)
            if hit is None:
                out[i] = dataclasses.replace(finding, properties=props)
                continue
            why = (f" No one-click fix: {hit[0]}:{hit[1]} later changes this column's type (ALTER COLUMN … TYPE), "
                   f"and from the fixed type that change would rewrite the table.")
            out[i] = dataclasses.replace(finding, fix=None, help=(finding.help or "") + why, properties=props)
    return out
