"""Which tables of the migration set are tied to others: foreign keys, partitions, inheritance.

``DROP TABLE t`` takes ACCESS EXCLUSIVE on ``t`` and on what is dropped with it (its
indexes, its TOAST table, the sequences it owns, with CASCADE the views on it), but also on
the tables tied to it (checked on a real server in ``tests/test_migset.py``,
``test_drop_table_locks``):

* the table a foreign key of ``t`` references: dropping the key's triggers there takes
  ACCESS EXCLUSIVE on it (``RemoveTriggerById`` in PostgreSQL's ``trigger.c``);
* with CASCADE, each table whose foreign key references ``t`` (its constraint is dropped);
* the partitioned table ``t`` is a partition of (and likewise an inheritance parent).

A ``DROP TABLE`` of a retired table (nothing reads it any more) blocks traffic only through
those ties. A statement rule sees one file and cannot know them; the set can, when an
earlier migration of the root created the table: each worker records, in the file's summary
(key :data:`NEEDS_KEY`, asked for by ``missing-lock-timeout``), what its up part's
top-level statements declare (:func:`events`), and after all files :func:`resolve` replays
the ups before a marked finding's statement and asks the rule module's
``with_ties(finding, tied, dropped)`` what becomes of it.

Event shapes (tuples of strings and ints, cheap to pickle), each ``(index, op, …)`` with
``index`` the statement's index in the file; names are bare (no schema), as the rollback
rules compare them:

* ``(i, "create", table, schema)``: CREATE TABLE (not temporary), ``schema`` as written
  (``""`` when unqualified);
* ``(i, "tie", table, other)``: ``table`` is a partition or child of ``other`` (ATTACH
  PARTITION, INHERIT, CREATE TABLE … PARTITION OF / INHERITS);
* ``(i, "tie", table, other, name, (column, ...))``: the foreign key ``name`` of ``table``
  (on those columns) references ``other`` (CREATE TABLE, ADD CONSTRAINT, ADD COLUMN …
  REFERENCES); ``name`` is PostgreSQL's default when the key is unnamed;
* ``(i, "dropcon", table, name)``, ``(i, "dropcol", table, column)``: ALTER TABLE … DROP
  CONSTRAINT / DROP COLUMN (they end the foreign keys they drop, not the ties);
* ``(i, "drop", table)``, ``(i, "rename", table, new)``.

Dropping a foreign key (``DROP CONSTRAINT``, ``DROP COLUMN`` of its column) also takes
ACCESS EXCLUSIVE on the table it references (its triggers there are dropped; checked on a
real server in ``test_drop_foreign_key_locks``): a statement rule cannot know that the
constraint or column is a foreign key, the set can (:func:`locked_through`). A finding that
asks (property :data:`FK_LOOKUP`) is handed to its rule module's
``with_fk_drops(finding, referenced)`` by :func:`resolve`.

What is not recorded (statements in DO blocks and functions) can only leave a tie in place,
which keeps a finding: never one lost.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict

from linter.migset.coltypes import REPLAYED, marked_by_root, version_order
from linter.model import Direction
from linter.pg import names

#: The summary key of :func:`events`.
NEEDS_KEY = "table_ties"

#: The finding property that asks :func:`resolve` about dropped tables (removed by it):
#: ``(statement index, (bare table, ...), others)``, ``others`` True when the run also
#: takes locks the set cannot judge (then no tie found keeps the finding as it is).
LOOKUP = "_dropped_tables_lookup"

#: The finding property that asks :func:`resolve` which tables a statement that drops
#: foreign keys locks through them (removed by it): the statement's index in the file.
FK_LOOKUP = "_dropped_foreign_keys_lookup"

_KINDS = frozenset({"CreateStmt", "AlterTableStmt", "DropStmt", "RenameStmt"})


def _fk_targets(constraints, table: str = "", column: str = "") -> list[tuple]:
    """``[(referenced table, constraint name, (column, ...))]`` of the foreign keys among
    ``constraints`` (Constraint nodes) of ``table``; ``column``: the column they are
    declared on (a column-level ``REFERENCES``). An unnamed key gets PostgreSQL's name,
    ``<table>_<columns joined by _>_fkey`` (``ChooseConstraintName`` with
    ``ChooseForeignKeyConstraintNameAddition``, indexcmds.c / tablecmds.c; a name longer
    than 63 bytes, which PostgreSQL truncates, is left as is and so matches nothing)."""
    out = []
    for c in constraints or ():
        con = c.get("Constraint", {})
        if con.get("contype") == "CONSTR_FOREIGN":
            other = names.table_key(con.get("pktable"))
            if other:
                cols = tuple(c for c in names.strings(con.get("fk_attrs") or []) if c) or (
                    (column,) if column else ())
                name = con.get("conname") or (f"{table}_{'_'.join(cols)}_fkey" if table and cols else "")
                out.append((other, name, cols))
    return out


def events(source) -> tuple:
    """The tie events of a parsed file's up part (module doc); empty for a file with none."""
    out: list = []
    for st in source.statements:
        kind = st.kind
        if kind not in _KINDS or st.section is Direction.DOWN:
            continue
        body = st.body
        i = st.index
        if kind == "DropStmt":
            if body.get("removeType") == "OBJECT_TABLE":
                for obj in body.get("objects", ()) or ():
                    parts = names.strings(obj)
                    if parts:
                        out.append((i, "drop", parts[-1]))
        elif kind == "RenameStmt":
            if body.get("renameType") == "OBJECT_TABLE":
                out.append((i, "rename", names.table_key(body.get("relation")), body.get("newname", "")))
        elif kind == "CreateStmt":
            rel = body.get("relation") or {}
            table = rel.get("relname", "")
            if not table or rel.get("relpersistence") == "t":
                continue
            out.append((i, "create", table, rel.get("schemaname", "")))
            for parent in body.get("inhRelations") or ():
                out.append((i, "tie", table, names.table_key(parent)))
            for elt in body.get("tableElts") or ():
                cons = elt["ColumnDef"].get("constraints") if "ColumnDef" in elt else [elt] if "Constraint" in elt else ()
                if cons:  # most columns have none: no call
                    col = elt["ColumnDef"].get("colname", "") if "ColumnDef" in elt else ""
                    out.extend((i, "tie", table, *fk) for fk in _fk_targets(cons, table, col))
        elif body.get("objtype") in (None, "OBJECT_TABLE"):
            table = names.table_key(body.get("relation"))
            for c in body.get("cmds", ()) or ():
                cmd = c.get("AlterTableCmd", {})
                sub, d = cmd.get("subtype"), cmd.get("def") or {}
                if sub == "AT_AddConstraint":
                    out.extend((i, "tie", table, *fk) for fk in _fk_targets([d], table))
                elif sub == "AT_AddColumn":
                    cd = d.get("ColumnDef", {})
                    out.extend((i, "tie", table, *fk) for fk in _fk_targets(cd.get("constraints"), table, cd.get("colname", "")))
                elif sub == "AT_DropConstraint" and cmd.get("name"):
                    out.append((i, "dropcon", table, cmd["name"]))
                elif sub == "AT_DropColumn" and cmd.get("name"):
                    out.append((i, "dropcol", table, cmd["name"]))
                elif sub == "AT_AttachPartition":
                    part = names.table_key(d.get("PartitionCmd", {}).get("name"))
                    if part:
                        out.append((i, "tie", part, table))
                elif sub == "AT_AddInherit":
                    out.append((i, "tie", table, names.table_key(d)))
    return tuple(out)


class _State:
    """The tables the replayed events leave created, the ties between them, and the
    foreign keys by table: ``fks[table][constraint name] = (referenced table, (column, ...))``."""

    def __init__(self) -> None:
        self.created: set[str] = set()
        self.ties: dict[str, set[str]] = defaultdict(set)
        self.fks: dict[str, dict[str, tuple]] = defaultdict(dict)

    def copy(self) -> "_State":
        """An independent copy (what one finding's file then replays on its own)."""
        new = _State()
        new.created = set(self.created)
        new.ties = defaultdict(set, {k: set(v) for k, v in self.ties.items()})
        new.fks = defaultdict(dict, {k: dict(v) for k, v in self.fks.items()})
        return new

    def apply(self, ev: tuple) -> None:
        op = ev[1]
        if op == "create":
            self.created.add(ev[2])
        elif op == "tie":
            a, b = ev[2], ev[3]
            if a and b and a != b:
                self.ties[a].add(b)
                self.ties[b].add(a)
            if a and b and len(ev) > 5 and ev[4]:
                self.fks[a][ev[4]] = (b, ev[5])
        elif op == "dropcon":
            self.fks.get(ev[2], {}).pop(ev[3], None)
        elif op == "dropcol":
            keys = self.fks.get(ev[2], {})
            for name in [n for n, (_, cols) in keys.items() if ev[3] in cols]:
                del keys[name]
        elif op == "drop":
            self._forget(ev[2])
        elif op == "rename":
            old, new = ev[2], ev[3]
            had = old in self.created
            others = self.ties.pop(old, set())
            fks = self.fks.pop(old, {})
            self._forget(old)
            if had:
                self.created.add(new)
            for o in others:
                self.ties[o].add(new)
                self.ties[new].add(o)
            if fks:
                self.fks[new] = fks
            for keys in self.fks.values():
                for name, (other, cols) in list(keys.items()):
                    if other == old:
                        keys[name] = (new, cols)

    def _forget(self, table: str) -> None:
        self.created.discard(table)
        for o in self.ties.pop(table, ()):
            self.ties[o].discard(table)
        self.fks.pop(table, None)
        for keys in self.fks.values():
            for name in [n for n, (other, _) in keys.items() if other == table]:
                del keys[name]  # dropped with CASCADE


def locked_through(state: _State, stmt) -> tuple[str, ...]:
    """The bare names of the tables, besides those it names, on which the top-level
    statement ``stmt`` (a :class:`linter.source.Statement`) takes ACCESS EXCLUSIVE through
    ties ``state`` (the set replayed up to it) knows (checked on a real server in
    ``tests/test_migset.py``, ``test_drop_table_locks`` and ``test_drop_foreign_key_locks``):

    * ``DROP TABLE t``: the tables ``t`` is tied to (:func:`resolve`);
    * ``ALTER TABLE t DROP CONSTRAINT c``, where ``c`` is a known foreign key of ``t``, and
      ``ALTER TABLE t DROP COLUMN x``, where a known foreign key of ``t`` is on ``x``: the
      table the key references (dropping the key drops its triggers there,
      ``RemoveTriggerById`` in ``trigger.c``).

    Empty for any other statement, and for keys the set does not know (declared in a
    ``DO`` block, by another tool, or under a name PostgreSQL truncated). ``DROP INDEX …
    CASCADE`` also locks the tables whose foreign keys depend on the index; the set does
    not know which index a key depends on, so it is not named."""
    body = stmt.body
    if stmt.kind == "DropStmt" and body.get("removeType") == "OBJECT_TABLE":
        gone = {p[-1] for p in (names.strings(o) for o in body.get("objects", ()) or ()) if p}
        return tuple(sorted({o for t in gone for o in state.ties.get(t, ()) if o not in gone}))
    if stmt.kind != "AlterTableStmt" or body.get("objtype") not in (None, "OBJECT_TABLE"):
        return ()
    table = names.table_key(body.get("relation"))
    keys = state.fks.get(table) or {}
    out = set()
    for c in body.get("cmds", ()) or ():
        cmd = c.get("AlterTableCmd", {})
        sub, name = cmd.get("subtype"), cmd.get("name")
        if sub == "AT_DropConstraint" and name in keys:
            out.add(keys[name][0])
        elif sub == "AT_DropColumn":
            out.update(other for other, cols in keys.values() if name in cols)
    out.discard(table)
    return tuple(sorted(out))


def created(files: list, summaries: dict) -> tuple[set[str], set[str]]:
    """``(tables, schemas)``: the bare names of the tables the up and baseline ``files``
    create at any version, and the schemas they name when creating one (schema-qualified
    ``CREATE TABLE s.t``), from their summaries. A table no migration of the set creates
    (a name misspelt in a down, a table of another tool) holds no data the set put there.

    When some summaries are computed on demand (context files of ``lint --changed``,
    :class:`linter.engine.ContextSummary`), both are :class:`_Created` containers that
    answer ``in`` only (all the callers ask), looking only at the files that may name it."""
    if any(hasattr(summaries.get(f.path), "may_name") for f in files):
        return _Created(files, summaries, 2), _Created(files, summaries, 3)
    tables: set[str] = set()
    schemas: set[str] = set()
    for f in files:
        for ev in summaries.get(f.path, {}).get(NEEDS_KEY, ()):
            if ev[1] == "create":
                tables.add(ev[2])
                if ev[3]:
                    schemas.add(ev[3])
    return tables, schemas


class _Created:
    """The tables (``field`` 2 of a ``create`` event) or schemas (``field`` 3) of
    :func:`created`, as a container that answers ``name in it`` from the summaries of the
    files that may name it (a summary's ``may_name``, else every file), once per name."""

    def __init__(self, files: list, summaries: dict, field: int) -> None:
        self.files = files
        self.summaries = summaries
        self.field = field
        self.answers: dict[str, bool] = {}

    def __contains__(self, name) -> bool:
        got = self.answers.get(name)
        if got is None:
            got = self.answers[name] = self._find(name)
        return got

    def _find(self, name: str) -> bool:
        i = self.field
        for f in self.files:
            s = self.summaries.get(f.path, {})
            may = getattr(s, "may_name", None)
            if may is not None and not may(name):
                continue
            if any(ev[1] == "create" and ev[i] == name for ev in s.get(NEEDS_KEY, ())):
                return True
        return False


def resolve(findings: list, files: list, summaries: dict[str, dict]) -> list:
    """``findings`` with every :data:`LOOKUP` finding handed to its rule module's
    ``with_ties(finding, tied, dropped)`` (``dropped``: the bare names the finding's run
    drops), which returns it restated, or ``None`` to drop it.
    ``tied`` is ``None`` when a dropped table was not created by an earlier statement of
    the root's ups (the set does not know its ties) or when the file creates a table under
    its name again, or renames one into it (a rebuild: traffic keeps using the name, the
    table is not retired), else the sorted bare names of the
    tables outside the dropped ones that are tied to them. Every :data:`FK_LOOKUP` finding
    is handed to ``with_fk_drops(finding, referenced)``: ``referenced``, the sorted bare
    names of the tables the foreign keys its statement drops reference (empty when the set
    knows none), which returns it restated. Cost: one replay of the events of each root
    holding such a finding, in version order."""
    if not any(LOOKUP in f.properties or FK_LOOKUP in f.properties for f in findings):
        return findings
    from linter import registry

    rules = registry.all_rules()
    out = list(findings)
    dropped: set[int] = set()
    for i, index, here, own in _states(findings, files, summaries, FK_LOOKUP):
        fk = ev_table = None
        gone = set()
        for ev in own:
            if ev[0] == index and ev[1] in ("dropcon", "dropcol"):
                ev_table = ev[2]
                keys = here.fks.get(ev[2]) or {}
                if ev[1] == "dropcon" and ev[3] in keys:
                    gone.add(keys[ev[3]][0])
                elif ev[1] == "dropcol":
                    gone.update(other for other, cols in keys.values() if ev[3] in cols)
        fk = tuple(sorted(gone - {ev_table}))
        out[i] = rules[findings[i].rule_id].module.with_fk_drops(out[i], fk)
    for i, (index, tables, others), here, own in _states(findings, files, summaries, LOOKUP):
        finding = findings[i]
        rebuilt = {ev[2] if ev[1] == "create" else ev[3] for ev in own if ev[0] > index and ev[1] in ("create", "rename")}
        if not all(t in here.created for t in tables) or rebuilt.intersection(tables):
            tied = None  # unknown; or built again under its name (x_new renamed into place): not retired
        else:
            gone = set(tables)
            tied = tuple(sorted({o for t in tables for o in here.ties.get(t, ()) if o not in gone}))
            if others and not tied:
                tied = None  # the run also takes locks the set cannot judge: kept as it is
        new = rules[finding.rule_id].module.with_ties(out[i], tied, tables)
        if new is None:
            dropped.add(i)
        else:
            out[i] = new
    return [f for i, f in enumerate(out) if i not in dropped]


def _states(findings: list, files: list, summaries: dict, key: str):
    """For each finding marked with ``key`` (popped from its properties): ``(index into
    findings, the key's value, the _State before the statement, the file's own events)``;
    the statement index is the value, or its first item. One replay per root."""
    if not any(key in f.properties for f in findings):
        return
    _, roots, todo = marked_by_root(findings, files, key, lambda f: f.direction in REPLAYED)
    for root, idxs in todo.items():
        ups = [f for _, f in sorted((version_order(f), f) for f in roots[root] if f.direction in REPLAYED)]
        pos_of = {f.path: n for n, f in enumerate(ups)}
        jobs = sorted((pos_of[findings[i].path], i) for i in idxs)
        state = _State()
        done = 0
        for pos, i in jobs:
            while done < pos:
                for ev in summaries.get(ups[done].path, {}).get(NEEDS_KEY, ()):
                    state.apply(ev)
                done += 1
            finding = findings[i]
            value = finding.properties.pop(key)
            index = value[0] if isinstance(value, tuple) else value
            own = summaries.get(finding.path, {}).get(NEEDS_KEY, ())
            here = state.copy()
            for ev in own[: bisect_right([e[0] for e in own], index - 1)]:
                here.apply(ev)
            yield i, value, here, own
