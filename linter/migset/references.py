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
* ``(i, "tie", table, other)``: ``table`` is a child of ``other`` (INHERIT, CREATE TABLE
  … INHERITS);
* ``(i, "partition", table, parent, default)``: ``table`` is a partition of ``parent``
  (ATTACH PARTITION, CREATE TABLE … PARTITION OF), its DEFAULT partition when ``default``;
  ``(i, "detach", table, parent)``: DETACH PARTITION (it ends the DEFAULT, not the tie);
* ``(i, "tie", table, other, name, (column, ...), (referenced column, ...))``: the foreign
  key ``name`` of ``table`` (on those columns) references ``other`` (CREATE TABLE, ADD
  CONSTRAINT, ADD COLUMN … REFERENCES); ``name`` is PostgreSQL's default when the key is
  unnamed; no referenced columns: the primary key;
* ``(i, "unique", table, name, (column, ...), index, primary)``: a primary key, unique
  constraint or unique index (without expressions or WHERE) a foreign key can depend on;
  ``index``: the index ``ADD CONSTRAINT … USING INDEX`` turns into it, else ``""``;
* ``(i, "dropcon", table, name, cascade)``, ``(i, "dropcol", table, column, cascade)``:
  ALTER TABLE … DROP CONSTRAINT / DROP COLUMN (they end the foreign keys they drop, and the
  ties those keys made); ``(i, "dropidx", index, cascade)``: DROP INDEX; ``(i, "retype",
  table, column)``: ALTER COLUMN … TYPE (it rebuilds the foreign keys on or to the column);
* ``(i, "drop", table)``, ``(i, "rename", table, new)``, ``(i, "renidx", index, new)``
  (ALTER INDEX … RENAME), ``(i, "rencon", table, name, new)`` (RENAME CONSTRAINT),
  ``(i, "rencol", table, column, new)`` (RENAME COLUMN).

Dropping a foreign key (``DROP CONSTRAINT``, ``DROP COLUMN`` of its column, or with CASCADE
the index, key or column it depends on: ``DROP INDEX … CASCADE``) also takes ACCESS
EXCLUSIVE on the other table (its triggers there are dropped; checked on a real server in
``test_drop_foreign_key_locks``), and attaching a partition to a table with a DEFAULT
partition scans that partition under ACCESS EXCLUSIVE (``test_default_partition_locks``):
a statement rule cannot know that the constraint or column is a foreign key, nor that the
DEFAULT partition exists; the set can (:func:`set_locks`). A finding that asks (property
:data:`FK_LOOKUP`) is handed to its rule module's ``with_set_locks(finding, locks)`` by
:func:`resolve`.

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

#: The finding property that asks :func:`resolve` which tables a statement locks through
#: what the set knows (:func:`set_locks`: the foreign keys it drops, a DEFAULT partition it
#: scans; removed by it): the statement's index in the file.
FK_LOOKUP = "_dropped_foreign_keys_lookup"

_KINDS = frozenset({"CreateStmt", "AlterTableStmt", "DropStmt", "RenameStmt", "IndexStmt"})

#: The order in which ALTER TABLE runs its subcommands' kinds (``AlterTablePass`` in
#: tablecmds.c: drops first, then unique and primary keys, foreign keys last), so that a
#: statement's events replay as the server applies them.
_PASS = {"dropcon": 0, "dropcol": 0, "retype": 1, "unique": 2, "tie": 3}


def _fk_targets(constraints, table: str = "", column: str = "") -> list[tuple]:
    """``[(referenced table, constraint name, (column, ...), (referenced column, ...))]`` of
    the foreign keys among ``constraints`` (Constraint nodes) of ``table``; ``column``: the
    column they are declared on (a column-level ``REFERENCES``); the referenced columns are
    ``()`` when the key names none (it references the primary key). An unnamed key gets
    PostgreSQL's name, ``<table>_<columns joined by _>_fkey`` (``ChooseConstraintName`` with
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
                out.append((other, name, cols, tuple(names.strings(con.get("pk_attrs") or []))))
    return out


def _unique_keys(constraints, table: str, column: str = "") -> list[tuple]:
    """``[(name, (column, ...), index)]`` of the primary keys and unique constraints among
    ``constraints`` (Constraint nodes) of ``table`` that a foreign key can depend on (not
    DEFERRABLE: ``transformFkeyCheckAttrs`` refuses those); ``column``: the column they are
    declared on. ``index``: the existing index ``USING INDEX`` turns into the constraint
    (its columns are then the index's), else ``""``. An unnamed one gets PostgreSQL's
    name: ``<table>_pkey``, ``<table>_<columns joined by _>_key`` (``ChooseConstraintName``;
    checked on a real server, tests/test_migset.py)."""
    out = []
    for c in constraints or ():
        con = c.get("Constraint", {})
        kind = con.get("contype")
        if kind not in ("CONSTR_PRIMARY", "CONSTR_UNIQUE") or con.get("deferrable"):
            continue
        cols = tuple(names.strings(con.get("keys") or [])) or ((column,) if column else ())
        index = con.get("indexname", "")
        if not cols and not index:
            continue
        name = con.get("conname") or index or (
            f"{table}_pkey" if kind == "CONSTR_PRIMARY" else f"{table}_{'_'.join(cols)}_key")
        out.append((name, cols, index, kind == "CONSTR_PRIMARY"))
    return out


def events(source) -> tuple:
    """The tie events of a parsed file's up part (module doc); empty for a file with none."""
    out: list = []
    for st in source.statements:
        if st.kind in _KINDS and st.section is not Direction.DOWN:
            _add_events(st, out)
    return tuple(out)


def _add_events(st, out: list) -> None:
    """Appends the events of one top-level statement ``st`` to ``out`` (module doc)."""
    kind = st.kind
    body = st.body
    i = st.index
    if kind == "DropStmt":
        rt = body.get("removeType")
        if rt == "OBJECT_TABLE":
            for obj in body.get("objects", ()) or ():
                parts = names.strings(obj)
                if parts:
                    out.append((i, "drop", parts[-1]))
        elif rt == "OBJECT_INDEX":
            cascade = body.get("behavior") == "DROP_CASCADE"
            for obj in body.get("objects", ()) or ():
                parts = names.strings(obj)
                if parts:
                    out.append((i, "dropidx", parts[-1], cascade))
    elif kind == "IndexStmt":
        # a unique index a foreign key can depend on: no expression, no WHERE
        # (transformFkeyCheckAttrs); unnamed: <table>_<columns>_idx (ChooseIndexName)
        if body.get("unique") and not body.get("whereClause"):
            table = names.table_key(body.get("relation"))
            cols = tuple(p.get("IndexElem", {}).get("name") or "" for p in body.get("indexParams") or ())
            if table and cols and all(cols):
                out.append((i, "unique", table, body.get("idxname") or f"{table}_{'_'.join(cols)}_idx", cols, "", False))
    elif kind == "RenameStmt":
        rt = body.get("renameType")
        if rt == "OBJECT_TABLE":
            out.append((i, "rename", names.table_key(body.get("relation")), body.get("newname", "")))
        elif rt == "OBJECT_INDEX":
            out.append((i, "renidx", names.table_key(body.get("relation")), body.get("newname", "")))
        elif rt == "OBJECT_COLUMN" and body.get("relationType") in (None, "OBJECT_TABLE"):
            out.append((i, "rencol", names.table_key(body.get("relation")), body.get("subname", ""), body.get("newname", "")))
        elif rt == "OBJECT_TABCONSTRAINT":
            out.append((i, "rencon", names.table_key(body.get("relation")), body.get("subname", ""), body.get("newname", "")))
    elif kind == "CreateStmt":
        rel = body.get("relation") or {}
        table = rel.get("relname", "")
        if not table or rel.get("relpersistence") == "t":
            return
        out.append((i, "create", table, rel.get("schemaname", "")))
        bound = body.get("partbound")
        for parent in body.get("inhRelations") or ():
            if bound is not None:
                out.append((i, "partition", table, names.table_key(parent), bool(bound.get("is_default"))))
            else:
                out.append((i, "tie", table, names.table_key(parent)))
        fks: list = []
        for elt in body.get("tableElts") or ():
            cons = elt["ColumnDef"].get("constraints") if "ColumnDef" in elt else [elt] if "Constraint" in elt else ()
            if cons:  # most columns have none: no call
                col = elt["ColumnDef"].get("colname", "") if "ColumnDef" in elt else ""
                # the keys and unique constraints first: the foreign keys, self-references
                # too, are added after them (transformCreateStmt)
                out.extend((i, "unique", table, *u) for u in _unique_keys(cons, table, col))
                fks.extend((i, "tie", table, *fk) for fk in _fk_targets(cons, table, col))
        out.extend(fks)
    elif body.get("objtype") in (None, "OBJECT_TABLE"):
        table = names.table_key(body.get("relation"))
        mine: list = []
        for c in body.get("cmds", ()) or ():
            cmd = c.get("AlterTableCmd", {})
            sub, d = cmd.get("subtype"), cmd.get("def") or {}
            if sub == "AT_AddConstraint":
                mine.extend((i, "unique", table, *u) for u in _unique_keys([d], table))
                mine.extend((i, "tie", table, *fk) for fk in _fk_targets([d], table))
            elif sub == "AT_AddColumn":
                cd = d.get("ColumnDef", {})
                col = cd.get("colname", "")
                mine.extend((i, "unique", table, *u) for u in _unique_keys(cd.get("constraints"), table, col))
                mine.extend((i, "tie", table, *fk) for fk in _fk_targets(cd.get("constraints"), table, col))
            elif sub == "AT_DropConstraint" and cmd.get("name"):
                mine.append((i, "dropcon", table, cmd["name"], cmd.get("behavior") == "DROP_CASCADE"))
            elif sub == "AT_DropColumn" and cmd.get("name"):
                mine.append((i, "dropcol", table, cmd["name"], cmd.get("behavior") == "DROP_CASCADE"))
            elif sub == "AT_AlterColumnType" and cmd.get("name"):
                mine.append((i, "retype", table, cmd["name"]))
            elif sub == "AT_AttachPartition":
                pc = d.get("PartitionCmd", {})
                part = names.table_key(pc.get("name"))
                if part:
                    mine.append((i, "partition", part, table, bool((pc.get("bound") or {}).get("is_default"))))
            elif sub == "AT_DetachPartition":
                part = names.table_key(d.get("PartitionCmd", {}).get("name"))
                if part:
                    mine.append((i, "detach", part, table))
            elif sub == "AT_AddInherit":
                mine.append((i, "tie", table, names.table_key(d)))
        if len(mine) > 1:
            mine.sort(key=lambda ev: _PASS.get(ev[1], 1))
        out.extend(mine)


class _State:
    """The tables the replayed events leave created, the ties between them, the foreign
    keys and the unique indexes they depend on, and the DEFAULT partitions:

    * ``ties[table]``: the tables ``table`` is tied to as a partition, an inheritance child
      or parent, or by a foreign key the set cannot name (both directions); the ties of
      the foreign keys it knows come from ``fks`` (:meth:`tied`);
    * ``fks[table][constraint name] = (referenced table, (column, ...), index)``: ``index``,
      the name of the unique index (or primary key, unique constraint) of the referenced
      table the key depends on, ``""`` when the set does not know it;
    * ``uniques[table][index name] = ((column, ...), primary)``: the unique indexes and
      constraints of ``table`` a foreign key can depend on, in the order they were made
      (PostgreSQL picks the first match in OID order: ``transformFkeyCheckAttrs`` walks
      ``RelationGetIndexList``, sorted by OID), ``index_table[index name] = table``;
    * ``defaults[parent] = partition``: the DEFAULT partition of a partitioned table."""

    def __init__(self) -> None:
        self.created: set[str] = set()
        self.ties: dict[str, set[str]] = defaultdict(set)
        self.fks: dict[str, dict[str, tuple]] = defaultdict(dict)
        self.uniques: dict[str, dict[str, tuple]] = defaultdict(dict)
        self.index_table: dict[str, str] = {}
        self.defaults: dict[str, str] = {}

    def copy(self) -> "_State":
        """An independent copy (what one finding's file then replays on its own)."""
        new = _State()
        new.created = set(self.created)
        new.ties = defaultdict(set, {k: set(v) for k, v in self.ties.items()})
        new.fks = defaultdict(dict, {k: dict(v) for k, v in self.fks.items()})
        new.uniques = defaultdict(dict, {k: dict(v) for k, v in self.uniques.items()})
        new.index_table = dict(self.index_table)
        new.defaults = dict(self.defaults)
        return new

    def tied(self, table: str) -> set[str]:
        """The tables ``table`` is tied to: by :attr:`ties`, by its foreign keys and by
        the foreign keys that reference it."""
        out = set(self.ties.get(table, ()))
        out.update(other for other, _, _ in (self.fks.get(table) or {}).values())
        out.update(t for t, keys in self.fks.items() if t != table and any(k[0] == table for k in keys.values()))
        out.discard(table)
        return out

    def depends_on(self, table: str, refcols: tuple) -> str:
        """The name of the unique index of ``table`` a new foreign key referencing
        ``refcols`` (``()``: the primary key) depends on, or ``""`` when the set knows none:
        the primary key, else the first one made whose key columns are ``refcols`` in any
        order (``transformFkeyGetPrimaryKey``, ``transformFkeyCheckAttrs``)."""
        wanted = frozenset(refcols)
        for name, (cols, primary) in (self.uniques.get(table) or {}).items():
            if (primary and not refcols) or (refcols and len(cols) == len(refcols) and frozenset(cols) == wanted):
                return name
        return ""

    def apply(self, ev: tuple) -> None:
        op = ev[1]
        if op == "create":
            self.created.add(ev[2])
        elif op == "tie":
            a, b = ev[2], ev[3]
            if not a or not b or a == b:
                if a and len(ev) > 5 and ev[4]:  # a self-reference: the key, not a tie
                    self.fks[a][ev[4]] = (b, ev[5], self.depends_on(b, ev[6] if len(ev) > 6 else ()))
                return
            if len(ev) > 5 and ev[4] and ev[4] not in self.fks[a]:
                self.fks[a][ev[4]] = (b, ev[5], self.depends_on(b, ev[6] if len(ev) > 6 else ()))
            else:  # not named, or a name taken (PostgreSQL gave it another): a tie for good
                self.ties[a].add(b)
                self.ties[b].add(a)
        elif op == "partition":
            part, parent, default = ev[2], ev[3], ev[4]
            if part and parent and part != parent:
                self.ties[part].add(parent)
                self.ties[parent].add(part)
                if default:
                    self.defaults[parent] = part
        elif op == "detach":
            if self.defaults.get(ev[3]) == ev[2]:
                del self.defaults[ev[3]]
        elif op == "unique":
            table, name, cols, index = ev[2], ev[3], ev[4], ev[5]
            if index:  # ADD CONSTRAINT … USING INDEX: the index becomes the constraint, renamed
                got = (self.uniques.get(table) or {}).get(index)
                if got is not None:
                    self._rename_index(index, name)
                    self.uniques[table][name] = (got[0], ev[6])
                return
            if name not in self.index_table:  # IF NOT EXISTS of one that exists; a name PostgreSQL changed
                self.uniques[table][name] = (cols, ev[6])
                self.index_table[name] = table
        elif op == "dropidx":
            table = self.index_table.get(ev[2])
            if table is not None:
                self._drop_index(table, ev[2], ev[3])
        elif op == "dropcon":
            table, name = ev[2], ev[3]
            self.fks.get(table, {}).pop(name, None)
            if name in (self.uniques.get(table) or {}):
                self._drop_index(table, name, len(ev) > 4 and ev[4])
        elif op == "dropcol":
            table, col = ev[2], ev[3]
            keys = self.fks.get(table, {})
            for name in [n for n, (_, cols, _) in keys.items() if col in cols]:
                del keys[name]
            # the indexes on the column go with it; with CASCADE the foreign keys that
            # reference it too (they depend on the column itself)
            for name in [n for n, (cols, _) in (self.uniques.get(table) or {}).items() if col in cols]:
                self._drop_index(table, name, len(ev) > 4 and ev[4])
        elif op == "drop":
            self._forget(ev[2])
        elif op == "rename":
            self._rename(ev[2], ev[3])
        elif op == "renidx":
            if ev[2] in self.index_table:
                self._rename_index(ev[2], ev[3])
        elif op == "rencol":
            table, old, new = ev[2], ev[3], ev[4]
            keys = self.fks.get(table) or {}
            for name, (other, cols, idx) in list(keys.items()):
                if old in cols:
                    keys[name] = (other, tuple(new if c == old else c for c in cols), idx)
            uniques = self.uniques.get(table) or {}
            for name, (cols, primary) in list(uniques.items()):
                if old in cols:
                    uniques[name] = (tuple(new if c == old else c for c in cols), primary)
        elif op == "rencon":
            table, old, new = ev[2], ev[3], ev[4]
            keys = self.fks.get(table) or {}
            if old in keys:
                keys[new] = keys.pop(old)
            if old in (self.uniques.get(table) or {}):
                self._rename_index(old, new)

    def cascaded(self, table: str, index: str) -> list[tuple[str, str]]:
        """``[(referencing table, constraint name)]`` of the foreign keys, of other
        tables, that depend on the unique index ``index`` of ``table``."""
        return [(t, name) for t, keys in self.fks.items() if t != table
                for name, (other, _, idx) in keys.items() if other == table and idx == index]

    def _drop_index(self, table: str, index: str, cascade: bool) -> None:
        self.uniques.get(table, {}).pop(index, None)
        self.index_table.pop(index, None)
        if cascade:  # the foreign keys that depend on it are dropped with it
            for t, keys in self.fks.items():
                for name in [n for n, (other, _, idx) in keys.items() if other == table and idx == index]:
                    del keys[name]

    def _rename_index(self, old: str, new: str) -> None:
        table = self.index_table.pop(old, None)
        if table is None:
            return
        self.index_table[new] = table
        self.uniques[table] = {new if n == old else n: v for n, v in self.uniques[table].items()}
        for keys in self.fks.values():
            for name, (other, cols, idx) in list(keys.items()):
                if other == table and idx == old:
                    keys[name] = (other, cols, new)

    def _rename(self, old: str, new: str) -> None:
        """``ALTER TABLE old RENAME TO new``: everything ``old`` held and every reference to
        it move to ``new`` (the foreign keys that reference it are not dropped)."""
        if old in self.created:
            self.created.discard(old)
            self.created.add(new)
        others = self.ties.pop(old, set())
        for o in others:
            self.ties[o].discard(old)
            self.ties[o].add(new)
        if others:
            self.ties[new] |= others
        fks = self.fks.pop(old, None)
        if fks:
            self.fks[new] = fks
        for keys in self.fks.values():
            for name, (other, cols, idx) in list(keys.items()):
                if other == old:
                    keys[name] = (new, cols, idx)
        uniques = self.uniques.pop(old, None)
        if uniques:
            self.uniques[new] = uniques
            for name in uniques:
                self.index_table[name] = new
        default = self.defaults.pop(old, None)
        if default:
            self.defaults[new] = default
        for parent in [p for p, part in self.defaults.items() if part == old]:
            self.defaults[parent] = new

    def _forget(self, table: str) -> None:
        self.created.discard(table)
        for o in self.ties.pop(table, ()):
            self.ties[o].discard(table)
        self.fks.pop(table, None)
        for name in self.uniques.pop(table, {}):
            self.index_table.pop(name, None)
        self.defaults.pop(table, None)
        for parent in [p for p, part in self.defaults.items() if part == table]:
            del self.defaults[parent]
        for keys in self.fks.values():
            for name in [n for n, (other, _, _) in keys.items() if other == table]:
                del keys[name]  # dropped with CASCADE


def set_locks(state: _State, stmt) -> list[tuple[str, str, str, bool]]:
    """``[(bare table, kind, why, scan)]``: the tables, besides those it names, on which the
    top-level statement ``stmt`` (a :class:`linter.source.Statement`) takes ACCESS EXCLUSIVE
    through what ``state`` (the set replayed up to it) knows; ``kind``, one of the forms
    below (``"tied"``, ``"references"``, ``"cascade"``, ``"rebuilt"``, ``"default"``), ``why`` a phrase
    naming what it does there, ``scan`` True when it reads the whole table under the lock
    (checked on a real server in ``tests/test_migset.py``,
    ``test_drop_table_locks``, ``test_drop_foreign_key_locks`` and
    ``test_default_partition_locks``):

    * ``"tied"``: ``DROP TABLE t``: the tables ``t`` is tied to (:func:`resolve`);
    * ``"references"``: ``ALTER TABLE t DROP CONSTRAINT c``, where ``c`` is a known foreign key of ``t``, and
      ``ALTER TABLE t DROP COLUMN x``, where a known foreign key of ``t`` is on ``x``: the
      table the key references (dropping the key drops its triggers there,
      ``RemoveTriggerById`` in ``trigger.c``);
    * ``"cascade"``: ``DROP INDEX i CASCADE``, ``ALTER TABLE t DROP CONSTRAINT c CASCADE`` of a primary
      key or unique constraint, ``ALTER TABLE t DROP COLUMN x CASCADE`` of a column such a
      key is on: the tables whose foreign keys depend on it (they are dropped with it);
    * ``"rebuilt"``: ``ALTER TABLE t ALTER COLUMN x TYPE …`` of a column a known foreign
      key of ``t`` is on, or one a known key of another table references (through the
      unique index it depends on): the other table (the key is dropped and made again,
      its triggers with it, even when the type does not change; ``ATPostAlterTypeCleanup``);
    * ``"default"``: ``ALTER TABLE p ATTACH PARTITION x FOR VALUES …`` and ``CREATE TABLE x PARTITION OF
      p FOR VALUES …``, where the set knows ``p``'s DEFAULT partition: that partition,
      scanned to check that none of its rows belongs to the new one (``ALTER TABLE``,
      ATTACH PARTITION; ``check_default_partition_contents`` in ``partbounds.c``).

    Empty for any other statement, and for what the set does not know (keys declared in a
    ``DO`` block, by another tool, or under a name PostgreSQL truncated)."""
    kind = stmt.kind
    body = stmt.body
    if kind == "DropStmt" and body.get("removeType") == "OBJECT_TABLE":
        gone = {p[-1] for p in (names.strings(o) for o in body.get("objects", ()) or ()) if p}
        tied = {o for t in gone for o in state.tied(t) if o not in gone}
        return [(t, "tied", "tied to the dropped table by a foreign key or as a partition", False) for t in sorted(tied)]
    if kind not in _KINDS or kind == "RenameStmt" or stmt.section is Direction.DOWN:
        return []
    evs: list = []
    _add_events(stmt, evs)
    return _locks_of(state, evs)


def _locks_of(state: _State, evs) -> list[tuple[str, str, str, bool]]:
    """:func:`set_locks` of the statement whose events are ``evs``, but ``DROP TABLE``'s."""
    out: dict[str, tuple[str, str, bool]] = {}
    own = ""
    for ev in evs:
        op = ev[1]
        if op in ("dropcon", "dropcol"):
            table, name, cascade = ev[2], ev[3], len(ev) > 4 and ev[4]
            own = table
            keys = state.fks.get(table) or {}
            uniques = state.uniques.get(table) or {}
            if op == "dropcon":
                if name in keys:
                    out.setdefault(keys[name][0], ("references", f'the foreign key "{name}" it drops references it: the key\'s triggers there are dropped', False))
                idxs = [name] if cascade and name in uniques else []
            else:
                for fk, (other, cols, _) in keys.items():
                    if name in cols:
                        out.setdefault(other, ("references", f'the foreign key "{fk}" on the dropped column references it: the key\'s triggers there are dropped', False))
                idxs = [n for n, (cols, _) in uniques.items() if name in cols] if cascade else []
            for idx in idxs:
                for t, fk in state.cascaded(table, idx):
                    out.setdefault(t, ("cascade", f'CASCADE drops its foreign key "{fk}", which depends on "{idx}"', False))
        elif op == "retype":
            # the foreign keys on the column, and those of other tables that reference it,
            # are dropped and made again (ATPostAlterTypeCleanup in tablecmds.c), their
            # triggers with them, even when the type is the same
            table, col = ev[2], ev[3]
            own = table
            for fk, (other, cols, _) in (state.fks.get(table) or {}).items():
                if col in cols:
                    out.setdefault(other, ("rebuilt", f'the foreign key "{fk}" on the retyped column references it: the key is made again, its triggers there dropped and created', False))
            for idx, (cols, _) in (state.uniques.get(table) or {}).items():
                if col in cols:
                    for t, fk in state.cascaded(table, idx):
                        out.setdefault(t, ("rebuilt", f'its foreign key "{fk}" references the retyped column: the key is made again, its triggers dropped and created', False))
        elif op == "dropidx" and ev[3]:
            table = state.index_table.get(ev[2])
            if table is not None:
                own = table
                for t, fk in state.cascaded(table, ev[2]):
                    out.setdefault(t, ("cascade", f'CASCADE drops its foreign key "{fk}", which depends on the index', False))
        elif op == "partition" and not ev[4]:
            default = state.defaults.get(ev[3])
            if default and default != ev[2]:
                out.setdefault(default, ("default", f'the DEFAULT partition of "{ev[3]}", scanned for rows that belong to the new partition', True))
    out.pop(own, None)
    return [(t, *got) for t, got in sorted(out.items())]


def cascade_clause(tables: list[str], dropped: str) -> str:
    """The clause both ``missing-lock-timeout`` and ``non-concurrent-drop-index`` add to a
    finding when CASCADE drops the foreign keys of ``tables`` (bare names, from
    :func:`set_locks`) that depend on ``dropped`` (e.g. ``"the index"``): those keys go, under
    ACCESS EXCLUSIVE on their tables (checked on a real server, tests/test_migset.py)."""
    n = len(tables)
    them = "them" if n > 1 else "it"
    told = ", ".join(f'"{t}"' for t in tables)
    return (f"CASCADE also drops the foreign {'keys' if n > 1 else 'key'} of {told} "
            f"that {'depend' if n > 1 else 'depends'} on {dropped}, taking ACCESS EXCLUSIVE on "
            f"{'those tables' if n > 1 else 'that table'} too, so every "
            f"query on {them} queues as well, and {'those keys are' if n > 1 else 'the key is'} no longer enforced")


def locked_through(state: _State, stmt) -> tuple[str, ...]:
    """The bare names of the tables of :func:`set_locks`."""
    return tuple(got[0] for got in set_locks(state, stmt))


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
    is handed to ``with_set_locks(finding, locks)``: ``locks``, the ``(bare table, kind, why, scan)``
    of :func:`set_locks` for its statement (empty when the set knows none), which returns
    it restated. Cost: one replay of the events of each root
    holding such a finding, in version order."""
    if not any(LOOKUP in f.properties or FK_LOOKUP in f.properties for f in findings):
        return findings
    from linter import registry

    rules = registry.all_rules()
    out = list(findings)
    dropped: set[int] = set()
    for i, index, here, own in _states(findings, files, summaries, FK_LOOKUP):
        locks = tuple(_locks_of(here, [ev for ev in own if ev[0] == index]))
        out[i] = rules[findings[i].rule_id].module.with_set_locks(out[i], locks)
    for i, (index, tables, others), here, own in _states(findings, files, summaries, LOOKUP):
        finding = findings[i]
        rebuilt = {ev[2] if ev[1] == "create" else ev[3] for ev in own if ev[0] > index and ev[1] in ("create", "rename")}
        if not all(t in here.created for t in tables) or rebuilt.intersection(tables):
            tied = None  # unknown; or built again under its name (x_new renamed into place): not retired
        else:
            gone = set(tables)
            tied = tuple(sorted({o for t in tables for o in here.tied(t) if o not in gone}))
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
    findings, the key's value, the _State before the statement (not to be changed), the file's own events)``;
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
            before = own[: bisect_right([e[0] for e in own], index - 1)]
            here = state.copy() if before else state  # read only: a copy only to replay the file's own
            for ev in before:
                here.apply(ev)
            yield i, value, here, own
