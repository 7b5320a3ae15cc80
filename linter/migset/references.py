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
* ``(i, "tie", table, other)``: a foreign key of ``table`` references ``other``, or
  ``table`` is a partition or child of ``other`` (CREATE TABLE, ADD CONSTRAINT, ADD COLUMN
  … REFERENCES, ATTACH PARTITION, INHERIT);
* ``(i, "drop", table)``, ``(i, "rename", table, new)``.

What is not recorded (statements in DO blocks and functions, a foreign key dropped again by
``DROP CONSTRAINT``) can only leave a tie in place, which keeps a finding: never one lost.
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

_KINDS = frozenset({"CreateStmt", "AlterTableStmt", "DropStmt", "RenameStmt"})


def _fk_targets(constraints) -> list[str]:
    out = []
    for c in constraints or ():
        con = c.get("Constraint", {})
        if con.get("contype") == "CONSTR_FOREIGN":
            other = names.table_key(con.get("pktable"))
            if other:
                out.append(other)
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
                    out.extend((i, "tie", table, other) for other in _fk_targets(cons))
        elif body.get("objtype") in (None, "OBJECT_TABLE"):
            table = names.table_key(body.get("relation"))
            for c in body.get("cmds", ()) or ():
                cmd = c.get("AlterTableCmd", {})
                sub, d = cmd.get("subtype"), cmd.get("def") or {}
                if sub == "AT_AddConstraint":
                    out.extend((i, "tie", table, other) for other in _fk_targets([d]))
                elif sub == "AT_AddColumn":
                    out.extend((i, "tie", table, other) for other in _fk_targets(d.get("ColumnDef", {}).get("constraints")))
                elif sub == "AT_AttachPartition":
                    part = names.table_key(d.get("PartitionCmd", {}).get("name"))
                    if part:
                        out.append((i, "tie", part, table))
                elif sub == "AT_AddInherit":
                    out.append((i, "tie", table, names.table_key(d)))
    return tuple(out)


class _State:
    """The tables the replayed events leave created, and the ties between them."""

    def __init__(self) -> None:
        self.created: set[str] = set()
        self.ties: dict[str, set[str]] = defaultdict(set)

    def apply(self, ev: tuple) -> None:
        op = ev[1]
        if op == "create":
            self.created.add(ev[2])
        elif op == "tie":
            a, b = ev[2], ev[3]
            if a and b and a != b:
                self.ties[a].add(b)
                self.ties[b].add(a)
        elif op == "drop":
            self._forget(ev[2])
        elif op == "rename":
            old, new = ev[2], ev[3]
            had = old in self.created
            others = self.ties.pop(old, set())
            self._forget(old)
            if had:
                self.created.add(new)
            for o in others:
                self.ties[o].add(new)
                self.ties[new].add(o)

    def _forget(self, table: str) -> None:
        self.created.discard(table)
        for o in self.ties.pop(table, ()):
            self.ties[o].discard(table)


def created(files: list, summaries: dict) -> tuple[set[str], set[str]]:
    """``(tables, schemas)``: the bare names of the tables the up and baseline ``files``
    create at any version, and the schemas they name when creating one (schema-qualified
    ``CREATE TABLE s.t``), from their summaries. A table no migration of the set creates
    (a name misspelt in a down, a table of another tool) holds no data the set put there."""
    tables: set[str] = set()
    schemas: set[str] = set()
    for f in files:
        for ev in summaries.get(f.path, {}).get(NEEDS_KEY, ()):
            if ev[1] == "create":
                tables.add(ev[2])
                if ev[3]:
                    schemas.add(ev[3])
    return tables, schemas


def resolve(findings: list, files: list, summaries: dict[str, dict]) -> list:
    """``findings`` with every :data:`LOOKUP` finding handed to its rule module's
    ``with_ties(finding, tied, dropped)`` (``dropped``: the bare names the finding's run
    drops), which returns it restated, or ``None`` to drop it.
    ``tied`` is ``None`` when a dropped table was not created by an earlier statement of
    the root's ups (the set does not know its ties) or when the file creates a table under
    its name again, or renames one into it (a rebuild: traffic keeps using the name, the
    table is not retired), else the sorted bare names of the
    tables outside the dropped ones that are tied to them. Cost: one replay of the events
    of each root holding such a finding, in version order."""
    if not any(LOOKUP in f.properties for f in findings):
        return findings
    from linter import registry

    rules = registry.all_rules()
    _, roots, todo = marked_by_root(findings, files, LOOKUP, lambda f: f.direction in REPLAYED)
    out = list(findings)
    dropped: set[int] = set()
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
            index, tables, others = finding.properties.pop(LOOKUP)
            own = summaries.get(finding.path, {}).get(NEEDS_KEY, ())
            here = _State()
            here.created, here.ties = set(state.created), defaultdict(set, {k: set(v) for k, v in state.ties.items()})
            for ev in own[: bisect_right([e[0] for e in own], index - 1)]:
                here.apply(ev)
            rebuilt = {ev[2] if ev[1] == "create" else ev[3] for ev in own if ev[0] > index and ev[1] in ("create", "rename")}
            if not all(t in here.created for t in tables) or rebuilt.intersection(tables):
                tied = None  # unknown; or built again under its name (x_new renamed into place): not retired
            else:
                gone = set(tables)
                tied = tuple(sorted({o for t in tables for o in here.ties.get(t, ()) if o not in gone}))
                if others and not tied:
                    tied = None  # the run also takes locks the set cannot judge: kept as it is
            new = rules[finding.rule_id].module.with_ties(finding, tied, tables)
            if new is None:
                dropped.add(i)
            else:
                out[i] = new
    return [f for i, f in enumerate(out) if i not in dropped]
