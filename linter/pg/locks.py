"""Which table-level lock each statement takes, and whether it rewrites or scans the table.

Sources (PostgreSQL 18 documentation; the facts hold from the version noted):

* "13.3. Explicit Locking", Table 13.2 "Conflicting Lock Modes":
  https://www.postgresql.org/docs/current/explicit-locking.html
* "ALTER TABLE", Notes and per-subcommand lock levels (``AlterTableGetLockLevel`` in
  ``src/backend/commands/tablecmds.c``): https://www.postgresql.org/docs/current/sql-altertable.html
* "CREATE INDEX" ("Building Indexes Concurrently"), "DROP INDEX", "REINDEX", "CLUSTER",
  "VACUUM", "TRUNCATE", "LOCK", "REFRESH MATERIALIZED VIEW", "CREATE TRIGGER",
  "CREATE POLICY", "COMMENT", "CREATE TABLE … PARTITION OF".

Two statements lock a second table: ``VALIDATE CONSTRAINT`` of a foreign key takes ROW
SHARE on the referenced table (when the file shows the constraint is a foreign key), and
``DETACH PARTITION … CONCURRENTLY`` takes ACCESS EXCLUSIVE on the partition in its second
transaction (checked on a real server, tests/test_costmodel_pg.py).

This is static analysis: nothing is executed, so what is reported is the lock PostgreSQL
requests, not how long it waits for it. A table's own name is as written (schema-qualified
when the SQL qualifies it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from linter.model import fast_init
from linter.pg import names, rewrites


class LockMode(enum.IntEnum):
    """PostgreSQL's eight table-level lock modes, weakest first.

    The values are PostgreSQL's own (``src/include/storage/lockdefs.h``), which is also how
    ``LOCK TABLE``'s mode appears in the parse tree.

    Each member also has, as plain attributes (set below the class: the rules and the
    session walk read them ~150,000 times per corpus run, a property call each before):

    * ``label``: the documentation's name, ``"ACCESS EXCLUSIVE"``;
    * ``blocks_reads``: True when plain ``SELECT`` (ACCESS SHARE) waits for this lock
      (only ACCESS EXCLUSIVE conflicts with ACCESS SHARE, Table 13.2);
    * ``blocks_writes``: True when ``INSERT``/``UPDATE``/``DELETE`` (ROW EXCLUSIVE) wait
      for this lock: SHARE and every stronger mode (Table 13.2);
    * ``blocks``: what application traffic waits, ``"reads and writes"``, ``"writes"`` or
      ``"no reads or writes"``.
    """

    label: str
    blocks_reads: bool
    blocks_writes: bool
    blocks: str

    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    def __str__(self) -> str:
        return self.label

    def conflicts_with(self, other: "LockMode") -> bool:
        """True when the two modes conflict (Table 13.2)."""
        return other in _CONFLICTS[self]


_M = LockMode
#: :attr:`LockMode.label` of each mode.
_LABELS: dict[LockMode, str] = {m: m.name.replace("_", " ") for m in LockMode}
for _mode in LockMode:  # the member attributes the class docstring lists
    _mode.label = _LABELS[_mode]
    _mode.blocks_reads = _mode is LockMode.ACCESS_EXCLUSIVE  # the only mode conflicting with ACCESS SHARE
    _mode.blocks_writes = _mode >= LockMode.SHARE
    _mode.blocks = "reads and writes" if _mode.blocks_reads else "writes" if _mode.blocks_writes else "no reads or writes"
del _mode
#: Table 13.2, "Conflicting Lock Modes".
_CONFLICTS: dict[LockMode, frozenset[LockMode]] = {
    _M.ACCESS_SHARE: frozenset({_M.ACCESS_EXCLUSIVE}),
    _M.ROW_SHARE: frozenset({_M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}),
    _M.ROW_EXCLUSIVE: frozenset({_M.SHARE, _M.SHARE_ROW_EXCLUSIVE, _M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}),
    _M.SHARE_UPDATE_EXCLUSIVE: frozenset(
        {_M.SHARE_UPDATE_EXCLUSIVE, _M.SHARE, _M.SHARE_ROW_EXCLUSIVE, _M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}
    ),
    _M.SHARE: frozenset({_M.ROW_EXCLUSIVE, _M.SHARE_UPDATE_EXCLUSIVE, _M.SHARE_ROW_EXCLUSIVE, _M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}),
    _M.SHARE_ROW_EXCLUSIVE: frozenset(
        {_M.ROW_EXCLUSIVE, _M.SHARE_UPDATE_EXCLUSIVE, _M.SHARE, _M.SHARE_ROW_EXCLUSIVE, _M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}
    ),
    _M.EXCLUSIVE: frozenset(
        {_M.ROW_SHARE, _M.ROW_EXCLUSIVE, _M.SHARE_UPDATE_EXCLUSIVE, _M.SHARE, _M.SHARE_ROW_EXCLUSIVE, _M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}
    ),
    _M.ACCESS_EXCLUSIVE: frozenset(_M),
}


@fast_init
@dataclass(frozen=True, slots=True)
class LockEffect:
    """One lock a statement takes.

    ``relation``: the table (or index, view) as written, e.g. ``"public.users"``;
    ``mode``: the :class:`LockMode`; ``rewrite``: the table is rewritten (a full copy,
    held under the lock); ``scan``: the whole table is read under the lock (validation,
    index build); ``what``: the statement form, e.g. ``"ALTER TABLE … SET NOT NULL"``;
    ``node``: the parse-tree node to point at (a RangeVar), or ``None``.
    """

    relation: str
    mode: LockMode
    what: str
    rewrite: bool = False
    scan: bool = False
    node: dict | None = field(default=None, compare=False, hash=False)

    @property
    def blocks(self) -> str:
        """What waits while the lock is held (see :attr:`LockMode.blocks`)."""
        return self.mode.blocks


# --------------------------------------------------------------------------- ALTER TABLE

#: ``AlterTableGetLockLevel`` (tablecmds.c): subcommands that take less than ACCESS
#: EXCLUSIVE. Everything else takes ACCESS EXCLUSIVE ("An ACCESS EXCLUSIVE lock is
#: acquired unless explicitly noted", ALTER TABLE docs).
_SUBCOMMAND_LOCK: dict[str, LockMode] = {
    "AT_SetStatistics": _M.SHARE_UPDATE_EXCLUSIVE,
    "AT_SetOptions": _M.SHARE_UPDATE_EXCLUSIVE,
    "AT_ResetOptions": _M.SHARE_UPDATE_EXCLUSIVE,
    "AT_ClusterOn": _M.SHARE_UPDATE_EXCLUSIVE,
    "AT_DropCluster": _M.SHARE_UPDATE_EXCLUSIVE,
    "AT_ValidateConstraint": _M.SHARE_UPDATE_EXCLUSIVE,
    "AT_AttachPartition": _M.SHARE_UPDATE_EXCLUSIVE,  # on the parent, PG 12+
    "AT_DetachPartitionFinalize": _M.SHARE_UPDATE_EXCLUSIVE,
    "AT_EnableTrig": _M.SHARE_ROW_EXCLUSIVE,
    "AT_EnableAlwaysTrig": _M.SHARE_ROW_EXCLUSIVE,
    "AT_EnableReplicaTrig": _M.SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrig": _M.SHARE_ROW_EXCLUSIVE,
    "AT_EnableTrigAll": _M.SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrigAll": _M.SHARE_ROW_EXCLUSIVE,
    "AT_EnableTrigUser": _M.SHARE_ROW_EXCLUSIVE,
    "AT_DisableTrigUser": _M.SHARE_ROW_EXCLUSIVE,
    "AT_EnableRule": _M.SHARE_ROW_EXCLUSIVE,
    "AT_EnableAlwaysRule": _M.SHARE_ROW_EXCLUSIVE,
    "AT_EnableReplicaRule": _M.SHARE_ROW_EXCLUSIVE,
    "AT_DisableRule": _M.SHARE_ROW_EXCLUSIVE,
}

#: Storage parameters that ``ALTER TABLE … SET (…)`` changes under SHARE UPDATE EXCLUSIVE
#: (the others need ACCESS EXCLUSIVE): "SET ( storage_parameter … )" in the ALTER TABLE docs.
_LIGHT_RELOPTIONS = {
    "fillfactor", "toast_tuple_target", "parallel_workers", "vacuum_truncate", "vacuum_index_cleanup",
    "log_autovacuum_min_duration", "autovacuum_enabled",
}

#: Subcommand -> the statement form shown in reports.
_SUBCOMMAND_TEXT = {
    "AT_AddColumn": "ADD COLUMN",
    "AT_ColumnDefault": "ALTER COLUMN … SET/DROP DEFAULT",
    "AT_DropNotNull": "ALTER COLUMN … DROP NOT NULL",
    "AT_SetNotNull": "ALTER COLUMN … SET NOT NULL",
    "AT_SetExpression": "ALTER COLUMN … SET EXPRESSION",
    "AT_DropExpression": "ALTER COLUMN … DROP EXPRESSION",
    "AT_SetStatistics": "ALTER COLUMN … SET STATISTICS",
    "AT_SetStorage": "ALTER COLUMN … SET STORAGE",
    "AT_SetCompression": "ALTER COLUMN … SET COMPRESSION",
    "AT_DropColumn": "DROP COLUMN",
    "AT_AddConstraint": "ADD CONSTRAINT",
    "AT_AlterConstraint": "ALTER CONSTRAINT",
    "AT_ValidateConstraint": "VALIDATE CONSTRAINT",
    "AT_AddIndexConstraint": "ADD CONSTRAINT … USING INDEX",
    "AT_DropConstraint": "DROP CONSTRAINT",
    "AT_AlterColumnType": "ALTER COLUMN … TYPE",
    "AT_ChangeOwner": "OWNER TO",
    "AT_ClusterOn": "CLUSTER ON",
    "AT_SetLogged": "SET LOGGED",
    "AT_SetUnLogged": "SET UNLOGGED",
    "AT_SetAccessMethod": "SET ACCESS METHOD",
    "AT_SetTableSpace": "SET TABLESPACE",
    "AT_SetRelOptions": "SET (storage parameters)",
    "AT_ResetRelOptions": "RESET (storage parameters)",
    "AT_AddInherit": "INHERIT",
    "AT_DropInherit": "NO INHERIT",
    "AT_ReplicaIdentity": "REPLICA IDENTITY",
    "AT_EnableRowSecurity": "ENABLE ROW LEVEL SECURITY",
    "AT_DisableRowSecurity": "DISABLE ROW LEVEL SECURITY",
    "AT_ForceRowSecurity": "FORCE ROW LEVEL SECURITY",
    "AT_AttachPartition": "ATTACH PARTITION",
    "AT_DetachPartition": "DETACH PARTITION",
    "AT_AddIdentity": "ALTER COLUMN … ADD GENERATED AS IDENTITY",
    "AT_EnableTrig": "ENABLE TRIGGER",
    "AT_EnableAlwaysTrig": "ENABLE ALWAYS TRIGGER",
    "AT_EnableReplicaTrig": "ENABLE REPLICA TRIGGER",
    "AT_DisableTrig": "DISABLE TRIGGER",
    "AT_EnableTrigAll": "ENABLE TRIGGER ALL",
    "AT_DisableTrigAll": "DISABLE TRIGGER ALL",
    "AT_EnableTrigUser": "ENABLE TRIGGER USER",
    "AT_DisableTrigUser": "DISABLE TRIGGER USER",
    "AT_EnableRule": "ENABLE RULE",
    "AT_DisableRule": "DISABLE RULE",
    "AT_DetachPartitionFinalize": "DETACH PARTITION … FINALIZE",
    "AT_SetIdentity": "ALTER COLUMN … SET GENERATED",
    "AT_DropIdentity": "ALTER COLUMN … DROP IDENTITY",
}
#: :func:`subcommand_text` of each subcommand in ``_SUBCOMMAND_TEXT``.
_ALTER_TEXT = {sub: "ALTER TABLE … " + text for sub, text in _SUBCOMMAND_TEXT.items()}


def subcommand_lock(cmd: dict) -> LockMode:
    """The lock one ``AlterTableCmd`` (its dict) takes on the altered table."""
    sub = cmd.get("subtype", "")
    mode = _SUBCOMMAND_LOCK.get(sub)
    if mode is not None:
        return mode
    if sub == "AT_DetachPartition":
        concurrent = cmd.get("def", {}).get("PartitionCmd", {}).get("concurrent")
        return _M.SHARE_UPDATE_EXCLUSIVE if concurrent else _M.ACCESS_EXCLUSIVE
    if sub == "AT_AddConstraint":
        con = cmd.get("def", {}).get("Constraint", {})
        if con.get("contype") == "CONSTR_FOREIGN":
            return _M.SHARE_ROW_EXCLUSIVE
        return _M.ACCESS_EXCLUSIVE
    if sub in ("AT_SetRelOptions", "AT_ResetRelOptions"):
        opts = {d.get("DefElem", {}).get("defname", "") for d in cmd.get("def", {}).get("List", {}).get("items", [])}
        if opts and all(o in _LIGHT_RELOPTIONS or o.startswith(("autovacuum_", "toast.autovacuum_")) for o in opts):
            return _M.SHARE_UPDATE_EXCLUSIVE
    return _M.ACCESS_EXCLUSIVE


def subcommand_text(cmd: dict) -> str:
    """The statement form of one subcommand, e.g. ``"ALTER TABLE … SET NOT NULL"``."""
    sub = cmd.get("subtype", "")
    return _ALTER_TEXT.get(sub) or "ALTER TABLE … " + sub.removeprefix("AT_")


# --------------------------------------------------------------------------- statements


class AlterFacts:
    """What the rest of the file says about one ALTER TABLE (built by
    :meth:`linter.pg.analysis.FileAnalysis.locks`): ``old_types`` ``{column: TypeName}``
    before it (columns the file does not type are absent); ``utc_session``: the session
    TimeZone is UTC (True), another zone (False) or not set by the file (``None``);
    ``foreign_keys`` ``{constraint name: referenced RangeVar}`` of foreign keys the file
    added to the table; ``nullable_keys``: index names whose key columns are known to allow
    NULLs (``ADD PRIMARY KEY USING INDEX`` then scans). A plain class: a dataclass costs
    more to create at import than this module's every other definition together."""

    __slots__ = ("old_types", "utc_session", "foreign_keys", "nullable_keys")

    def __init__(self, old_types: dict | None = None, utc_session: bool | None = None,
                 foreign_keys: dict | None = None, nullable_keys: frozenset = frozenset()) -> None:
        self.old_types = old_types or {}
        self.utc_session = utc_session
        self.foreign_keys = foreign_keys or {}
        self.nullable_keys = nullable_keys


def effects(stmt, pg_version: int = 16, facts: AlterFacts | None = None) -> list[LockEffect]:
    """The table-level locks ``stmt`` (a :class:`linter.source.Statement`) takes.

    Returns ``[]`` for statements that lock no table beyond what they read or write row by
    row in the normal course (``SELECT``, ``SET``, ``CREATE TABLE`` of a new table, …).
    ``INSERT``/``UPDATE``/``DELETE`` report ROW EXCLUSIVE so reports can list them.
    ``pg_version`` selects version-dependent facts (noted at each place); ``facts``: what
    the file says about an ALTER TABLE's columns and constraints (:class:`AlterFacts`).
    """
    kind = stmt.kind
    body = stmt.body
    if facts is not None and kind == "AlterTableStmt":
        return _alter_table(body, pg_version, facts)
    fn = _HANDLERS.get(kind)
    return fn(body, pg_version) if fn else []


def _eff(rv: dict | None, mode: LockMode, what: str, *, rewrite: bool = False, scan: bool = False) -> LockEffect:
    return LockEffect(names.relation(rv) if rv else "?", mode, what, rewrite, scan, rv)


_NO_FACTS = AlterFacts()


def _alter_table(body: dict, pg: int, facts: AlterFacts = _NO_FACTS) -> list[LockEffect]:
    objtype = body.get("objtype")
    if objtype not in ("OBJECT_TABLE", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE", None, "OBJECT_INDEX"):
        return []
    rv = body.get("relation")
    relation = names.relation(rv) if rv else "?"  # as _eff names it, once for every subcommand
    out: list[LockEffect] = []
    for item in body.get("cmds", ()):
        cmd = item.get("AlterTableCmd", {})
        sub = cmd.get("subtype")
        mode = subcommand_lock(cmd)
        if sub == "AT_AttachPartition" and pg < 12:
            mode = _M.ACCESS_EXCLUSIVE  # SHARE UPDATE EXCLUSIVE on the parent from PG 12 (release notes E.23.3.1.1)
        if objtype == "OBJECT_INDEX":
            mode = min(mode, _M.SHARE_UPDATE_EXCLUSIVE) if sub in ("AT_SetRelOptions", "AT_ResetRelOptions", "AT_SetStatistics") else mode
        if facts is _NO_FACTS:
            rewrite, scan = rewrites.alter_cmd_cost(cmd, pg)
        else:
            con = cmd.get("def", {}).get("Constraint", {}) if sub == "AT_AddConstraint" else {}
            rewrite, scan = rewrites.alter_cmd_cost(
                cmd, pg, facts.old_types.get(cmd.get("name", "")), facts.utc_session,
                con.get("indexname") in facts.nullable_keys)
        out.append(LockEffect(relation, mode, subcommand_text(cmd), rewrite, scan, rv))
        if sub == "AT_ValidateConstraint":
            # a foreign key's validation reads the referenced table under ROW SHARE
            # (RI_Initial_Check; checked on a real server, tests/test_pg.py)
            ref = facts.foreign_keys.get(cmd.get("name", ""))
            if ref:
                out.append(_eff(ref, _M.ROW_SHARE, "ALTER TABLE … VALIDATE CONSTRAINT (referenced table)", scan=True))
        elif sub == "AT_AddConstraint":
            con = cmd.get("def", {}).get("Constraint", {})
            if con.get("contype") == "CONSTR_FOREIGN" and con.get("pktable"):
                out.append(_eff(con["pktable"], _M.SHARE_ROW_EXCLUSIVE, "ALTER TABLE … ADD FOREIGN KEY (referenced table)"))
        elif sub == "AT_AddColumn":
            for c in cmd.get("def", {}).get("ColumnDef", {}).get("constraints", ()) or ():
                ref = c.get("Constraint", {})
                if ref.get("contype") == "CONSTR_FOREIGN" and ref.get("pktable"):
                    out.append(_eff(ref["pktable"], _M.SHARE_ROW_EXCLUSIVE, "ALTER TABLE … ADD COLUMN … REFERENCES (referenced table)"))
        elif sub in ("AT_AttachPartition", "AT_DetachPartition"):
            part = cmd.get("def", {}).get("PartitionCmd", {}).get("name")
            concurrent = cmd.get("def", {}).get("PartitionCmd", {}).get("concurrent")
            if part:
                # DETACH … CONCURRENTLY: SHARE UPDATE EXCLUSIVE on both in its first
                # transaction, then ACCESS EXCLUSIVE on the partition in the second ("ALTER
                # TABLE", DETACH PARTITION; checked on a real server, tests/test_pg.py)
                what = subcommand_text(cmd) + (" CONCURRENTLY (partition, second transaction)" if concurrent else " (partition)")
                out.append(_eff(part, _M.ACCESS_EXCLUSIVE, what, scan=sub == "AT_AttachPartition"))
    # "When multiple subcommands are given, the lock acquired will be the strictest one
    # required by any subcommand": one effect per relation would hide which subcommand;
    # reports show each, rules look at the strongest.
    return out


def _index(body: dict, pg: int) -> list[LockEffect]:
    if body.get("concurrent"):
        return [_eff(body.get("relation"), _M.SHARE_UPDATE_EXCLUSIVE, "CREATE INDEX CONCURRENTLY", scan=True)]
    return [_eff(body.get("relation"), _M.SHARE, "CREATE INDEX", scan=True)]


def _drop(body: dict, pg: int) -> list[LockEffect]:
    rt = body.get("removeType")
    out = []
    for obj in body.get("objects", ()) or ():
        rv = None  # DROP lists names without locations: findings point at the statement
        if rt == "OBJECT_INDEX":
            mode = _M.SHARE_UPDATE_EXCLUSIVE if body.get("concurrent") else _M.ACCESS_EXCLUSIVE
            what = "DROP INDEX CONCURRENTLY" if body.get("concurrent") else "DROP INDEX"
            out.append(LockEffect(names.dotted(obj), mode, what, node=rv))
        elif rt in ("OBJECT_TABLE", "OBJECT_MATVIEW", "OBJECT_VIEW", "OBJECT_FOREIGN_TABLE", "OBJECT_SEQUENCE"):
            out.append(LockEffect(names.dotted(obj), _M.ACCESS_EXCLUSIVE, "DROP " + rt.removeprefix("OBJECT_").replace("_", " "), node=rv))
        elif rt in ("OBJECT_TRIGGER", "OBJECT_RULE", "OBJECT_POLICY"):
            # DROP TRIGGER name ON table: objects is [table..., name]; the table is locked.
            # With IF EXISTS only when the object exists: get_object_address returns without
            # locking when it finds none (objectaddress.c; seen by miglint verify on
            # crates.io's 2026-06-07 migration, checked in tests/test_verify_replay.py)
            table = names.dotted(obj, drop_last=True)
            word = rt.removeprefix("OBJECT_")
            what = f"DROP {word} IF EXISTS (when the {word.lower()} exists)" if body.get("missing_ok") else f"DROP {word}"
            out.append(LockEffect(table, _M.ACCESS_EXCLUSIVE, what, node=rv))
    return out


def _truncate(body: dict, pg: int) -> list[LockEffect]:
    return [_eff(rv.get("RangeVar"), _M.ACCESS_EXCLUSIVE, "TRUNCATE") for rv in body.get("relations", ())]


def _vacuum(body: dict, pg: int) -> list[LockEffect]:
    is_vacuum = body.get("is_vacuumcmd")
    # VACUUM (FULL false) / (FULL off) / (FULL 0) is a plain VACUUM ("VACUUM", boolean options)
    full = is_vacuum and any(_is_true(d.get("DefElem", {})) for d in body.get("options") or () if d.get("DefElem", {}).get("defname") == "full")
    mode = _M.ACCESS_EXCLUSIVE if full else _M.SHARE_UPDATE_EXCLUSIVE
    what = "VACUUM FULL" if full else ("VACUUM" if is_vacuum else "ANALYZE")
    rels = body.get("rels") or ()
    if not rels:
        return [LockEffect("(every table)", mode, what, rewrite=bool(full), scan=True)]
    return [_eff(r.get("VacuumRelation", {}).get("relation"), mode, what, rewrite=bool(full), scan=True) for r in rels]


def _is_true(defelem: dict) -> bool:
    """A boolean option's value: absent means true; false/off/no/0 mean false."""
    arg = defelem.get("arg")
    if not arg:
        return True
    const = arg.get("A_Const", arg)
    if "String" in arg:
        return arg["String"].get("sval", "").lower() not in ("false", "off", "no", "0")
    if "Integer" in arg:
        return arg["Integer"].get("ival", 0) != 0
    if "boolval" in const:
        return bool(const["boolval"].get("boolval"))
    return True


def _cluster(body: dict, pg: int) -> list[LockEffect]:
    rv = body.get("relation")
    if rv is None:
        return [LockEffect("(every clustered table)", _M.ACCESS_EXCLUSIVE, "CLUSTER", rewrite=True, scan=True)]
    return [_eff(rv, _M.ACCESS_EXCLUSIVE, "CLUSTER", rewrite=True, scan=True)]


def reindex_concurrent(body: dict) -> bool:
    """True for ``REINDEX CONCURRENTLY …`` / ``REINDEX (CONCURRENTLY [true]) …`` (a ReindexStmt
    dict); ``REINDEX (CONCURRENTLY false)`` (or off, 0) is a plain REINDEX ("REINDEX":
    boolean options; checked on a real server, tests/test_locking_indexes_constraints.py)."""
    return any(_is_true(d.get("DefElem", {})) for d in body.get("params") or () if d.get("DefElem", {}).get("defname") == "concurrently")


def _reindex(body: dict, pg: int) -> list[LockEffect]:
    concurrent = reindex_concurrent(body)
    rv = body.get("relation")
    kind = body.get("kind", "")
    if concurrent:
        return [_eff(rv, _M.SHARE_UPDATE_EXCLUSIVE, "REINDEX CONCURRENTLY", scan=True)]
    if kind == "REINDEX_OBJECT_INDEX":
        # ACCESS EXCLUSIVE on the index (reads using it wait), SHARE on its table
        return [_eff(rv, _M.ACCESS_EXCLUSIVE, "REINDEX INDEX (the index; its table gets SHARE)", scan=True)]
    if kind == "REINDEX_OBJECT_TABLE":
        return [_eff(rv, _M.SHARE, "REINDEX TABLE (its indexes get ACCESS EXCLUSIVE)", scan=True)]
    return [LockEffect(body.get("name") or "(every table)", _M.SHARE, "REINDEX " + kind.removeprefix("REINDEX_OBJECT_"), scan=True)]


def _lock(body: dict, pg: int) -> list[LockEffect]:
    mode = LockMode(body.get("mode", 8))
    return [_eff(r.get("RangeVar"), mode, f"LOCK TABLE … IN {mode.label} MODE") for r in body.get("relations", ())]


def _refresh(body: dict, pg: int) -> list[LockEffect]:
    if body.get("concurrent"):
        return [_eff(body.get("relation"), _M.EXCLUSIVE, "REFRESH MATERIALIZED VIEW CONCURRENTLY", scan=True)]
    return [_eff(body.get("relation"), _M.ACCESS_EXCLUSIVE, "REFRESH MATERIALIZED VIEW", rewrite=True, scan=True)]


def _trigger(body: dict, pg: int) -> list[LockEffect]:
    return [_eff(body.get("relation"), _M.SHARE_ROW_EXCLUSIVE, "CREATE TRIGGER")]


def _policy(body: dict, pg: int) -> list[LockEffect]:
    return [_eff(body.get("table"), _M.ACCESS_EXCLUSIVE, "CREATE POLICY")]


def _alter_policy(body: dict, pg: int) -> list[LockEffect]:
    return [_eff(body.get("table"), _M.ACCESS_EXCLUSIVE, "ALTER POLICY")]


def _rule(body: dict, pg: int) -> list[LockEffect]:
    return [_eff(body.get("relation"), _M.ACCESS_EXCLUSIVE, "CREATE RULE")]


def _create(body: dict, pg: int) -> list[LockEffect]:
    out = []
    if body.get("partbound"):
        for parent in body.get("inhRelations", ()):
            out.append(_eff(parent.get("RangeVar"), _M.ACCESS_EXCLUSIVE, "CREATE TABLE … PARTITION OF (the parent)"))
    for elt in body.get("tableElts", ()) or ():
        col = elt.get("ColumnDef")
        if col is not None:  # a column (with its constraints), not a table constraint
            for c in col.get("constraints", ()) or ():
                ref = c.get("Constraint", {})
                if ref.get("contype") == "CONSTR_FOREIGN" and ref.get("pktable"):
                    out.append(_eff(ref["pktable"], _M.SHARE_ROW_EXCLUSIVE, "CREATE TABLE … REFERENCES (referenced table)"))
            continue
        con = elt.get("Constraint", {})
        if con.get("contype") == "CONSTR_FOREIGN" and con.get("pktable"):
            out.append(_eff(con["pktable"], _M.SHARE_ROW_EXCLUSIVE, "CREATE TABLE … FOREIGN KEY (referenced table)"))
    return out


def _view(body: dict, pg: int) -> list[LockEffect]:
    # CREATE OR REPLACE VIEW takes ACCESS EXCLUSIVE on the view it replaces: queries of
    # the view wait (checked on PostgreSQL 15); a new view is nobody's yet
    if not body.get("replace"):
        return []
    return [_eff(body.get("view"), _M.ACCESS_EXCLUSIVE, "CREATE OR REPLACE VIEW")]


def _comment(body: dict, pg: int) -> list[LockEffect]:
    if body.get("objtype") in ("OBJECT_TABLE", "OBJECT_COLUMN"):
        obj = body.get("object", {})
        return [LockEffect(names.dotted(obj, drop_last=body.get("objtype") == "OBJECT_COLUMN"), _M.SHARE_UPDATE_EXCLUSIVE, "COMMENT ON " + body["objtype"].removeprefix("OBJECT_"))]
    return []


def _dml(what: str):
    def handler(body: dict, pg: int) -> list[LockEffect]:
        return [_eff(body.get("relation"), _M.ROW_EXCLUSIVE, what)]

    return handler


def _rename(body: dict, pg: int) -> list[LockEffect]:
    rt = body.get("renameType", "")
    rv = body.get("relation")
    if rv is None:
        return []
    if rt == "OBJECT_INDEX":  # ALTER INDEX … RENAME: SHARE UPDATE EXCLUSIVE since PG 12
        return [_eff(rv, _M.SHARE_UPDATE_EXCLUSIVE if pg >= 12 else _M.ACCESS_EXCLUSIVE, "ALTER INDEX … RENAME")]
    what = {"OBJECT_TABLE": "ALTER TABLE … RENAME TO", "OBJECT_COLUMN": "ALTER TABLE … RENAME COLUMN", "OBJECT_TABCONSTRAINT": "ALTER TABLE … RENAME CONSTRAINT"}.get(rt, f"RENAME ({rt.removeprefix('OBJECT_')})")
    return [_eff(rv, _M.ACCESS_EXCLUSIVE, what)]


_HANDLERS = {
    "AlterTableStmt": _alter_table,
    "IndexStmt": _index,
    "DropStmt": _drop,
    "TruncateStmt": _truncate,
    "VacuumStmt": _vacuum,
    "ClusterStmt": _cluster,
    "ReindexStmt": _reindex,
    "LockStmt": _lock,
    "RefreshMatViewStmt": _refresh,
    "CreateTrigStmt": _trigger,
    "CreatePolicyStmt": _policy,
    "AlterPolicyStmt": _alter_policy,
    "RuleStmt": _rule,
    "CreateStmt": _create,
    "CommentStmt": _comment,
    "ViewStmt": _view,
    "InsertStmt": _dml("INSERT"),
    "UpdateStmt": _dml("UPDATE"),
    "DeleteStmt": _dml("DELETE"),
    "MergeStmt": _dml("MERGE"),
    "RenameStmt": _rename,
}


def strongest(effects_: list[LockEffect]) -> LockEffect | None:
    """The effect with the strongest mode (the first of equals), or ``None``."""
    best = None
    for e in effects_:
        if best is None or e.mode > best.mode:
            best = e
    return best
