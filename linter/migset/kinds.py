"""The category of a statement, as the sequence-range standards group migrations.

Standard 001 ("Database Migration Versioning Standard", shared/standards/001_*.txt) gives
each block of sequence numbers one kind of change: schema DDL, indexes, constraints, data
(DML), partitioning, security (RLS, grants), performance, cleanup. :func:`categorize`
puts a parsed statement (pglast JSON) in one of:

=============  ================================================================================
category       statements
=============  ================================================================================
``ddl``        CREATE/ALTER of tables, columns, types, functions, triggers, views, sequences,
               schemas, extensions; renames; ALTER COLUMN TYPE / DEFAULT
``drop``       DROP TABLE/VIEW/FUNCTION/TYPE/SCHEMA/..., ALTER TABLE ... DROP COLUMN
``index``      CREATE/DROP INDEX, ALTER INDEX, REINDEX
``constraint`` ALTER TABLE ADD/DROP/VALIDATE CONSTRAINT, SET/DROP NOT NULL, ALTER DOMAIN constraints
``dml``        INSERT, UPDATE, DELETE, MERGE, COPY, TRUNCATE
``partition``  CREATE TABLE ... PARTITION OF / PARTITION BY, ATTACH/DETACH PARTITION
``security``   GRANT, REVOKE, policies, row-level security, roles, ownership, default privileges
``maintenance`` VACUUM, ANALYZE, CLUSTER, CREATE STATISTICS, REFRESH MATERIALIZED VIEW
``None``       neutral: BEGIN/COMMIT, SET, COMMENT ON, SELECT, DO blocks (judged by what they run)
=============  ================================================================================

An ALTER TABLE with several sub-commands takes the category of its first non-neutral one
in this order of precedence: partition, security, constraint, drop, ddl (adding a column
with an inline constraint is DDL).
"""

from __future__ import annotations

CATEGORIES = ("ddl", "drop", "index", "constraint", "dml", "partition", "security", "maintenance")

_DROP_KINDS = {
    "OBJECT_INDEX": "index",
    "OBJECT_POLICY": "security",
    "OBJECT_ROLE": "security",
    "OBJECT_STATISTIC_EXT": "maintenance",
}

_CONSTRAINT_CMDS = {
    "AT_AddConstraint", "AT_DropConstraint", "AT_ValidateConstraint", "AT_AlterConstraint",
    "AT_SetNotNull", "AT_DropNotNull", "AT_AddIndexConstraint", "AT_ReAddConstraint",
}
_SECURITY_CMDS = {
    "AT_EnableRowSecurity", "AT_DisableRowSecurity", "AT_ForceRowSecurity", "AT_NoForceRowSecurity",
    "AT_ChangeOwner",
}
_PARTITION_CMDS = {"AT_AttachPartition", "AT_DetachPartition", "AT_DetachPartitionFinalize"}
_DROP_CMDS = {"AT_DropColumn"}
_NEUTRAL_CMDS = {"AT_SetStatistics"}

_SIMPLE = {
    "InsertStmt": ("dml", "inserts into"),
    "UpdateStmt": ("dml", "updates"),
    "DeleteStmt": ("dml", "deletes from"),
    "MergeStmt": ("dml", "merges into"),
    "CopyStmt": ("dml", "copies into"),
    "TruncateStmt": ("dml", "truncates"),
    "IndexStmt": ("index", "creates index"),
    "ReindexStmt": ("index", "reindexes"),
    "GrantStmt": ("security", "grants or revokes privileges"),
    "GrantRoleStmt": ("security", "grants or revokes a role"),
    "CreatePolicyStmt": ("security", "creates policy"),
    "AlterPolicyStmt": ("security", "alters policy"),
    "CreateRoleStmt": ("security", "creates role"),
    "AlterRoleStmt": ("security", "alters role"),
    "DropRoleStmt": ("security", "drops role"),
    "AlterDefaultPrivilegesStmt": ("security", "alters default privileges"),
    "AlterOwnerStmt": ("security", "changes an owner"),
    "ReassignOwnedStmt": ("security", "reassigns ownership"),
    "DropOwnedStmt": ("security", "drops owned objects"),
    "SecLabelStmt": ("security", "sets a security label"),
    "VacuumStmt": ("maintenance", "vacuums or analyzes"),
    "ClusterStmt": ("maintenance", "clusters"),
    "CreateStatsStmt": ("maintenance", "creates statistics"),
    "RefreshMatViewStmt": ("maintenance", "refreshes materialized view"),
}

_NEUTRAL = frozenset({
    "TransactionStmt", "VariableSetStmt", "VariableShowStmt", "CommentStmt", "SelectStmt", "DoStmt",
    "ExplainStmt", "LockStmt", "NotifyStmt", "ListenStmt", "CheckPointStmt", "DiscardStmt",
    "PrepareStmt", "ExecuteStmt", "DeallocateStmt", "CallStmt", "LoadStmt",
})


def _rel(node: dict | None) -> str:
    """``schema.name`` of a RangeVar-like dict ('' if absent)."""
    if not node:
        return ""
    if "RangeVar" in node:
        node = node["RangeVar"]
    name = node.get("relname", "")
    schema = node.get("schemaname")
    return f"{schema}.{name}" if schema else name


def target_table(kind: str, body: dict) -> str:
    """The table a DML statement writes to ('' when it has none)."""
    if kind in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt"):
        return _rel(body.get("relation"))
    if kind == "TruncateStmt":
        rels = body.get("relations") or []
        return _rel(rels[0]) if rels else ""
    return ""


def categorize(kind: str, body: dict) -> tuple[str | None, str]:
    """``(category, what)`` of one statement: the category (``None`` when neutral) and a
    short description naming the object (``'creates table "users"'``)."""
    if kind in _NEUTRAL:
        return None, ""
    simple = _SIMPLE.get(kind)
    if simple is not None:
        cat, verb = simple
        name = target_table(kind, body) or body.get("idxname") or body.get("policy_name") or _rel(body.get("relation"))
        if kind == "CopyStmt" and not body.get("is_from"):
            return None, ""  # COPY ... TO writes nothing to the database
        return cat, f'{verb} "{name}"' if name else verb
    if kind == "CreateStmt":
        name = _rel(body.get("relation"))
        if body.get("partbound") or body.get("partspec"):
            return "partition", f'creates partitioned table "{name}"' if body.get("partspec") else f'creates partition "{name}"'
        return "ddl", f'creates table "{name}"'
    if kind == "DropStmt":
        rtype = body.get("removeType", "")
        cat = _DROP_KINDS.get(rtype, "drop")
        what = rtype.replace("OBJECT_", "").lower().replace("_", " ")
        return cat, f"drops {what}"
    if kind == "AlterTableStmt":
        return _alter_table(body)
    if kind == "RenameStmt":
        if body.get("renameType") == "OBJECT_INDEX":
            return "index", f'renames index "{_rel(body.get("relation"))}"'
        if body.get("renameType") in ("OBJECT_POLICY",):
            return "security", "renames policy"
        if body.get("renameType") in ("OBJECT_TABCONSTRAINT", "OBJECT_DOMCONSTRAINT"):
            return "constraint", "renames constraint"
        return "ddl", "renames " + body.get("renameType", "OBJECT_").replace("OBJECT_", "").lower()
    if kind == "AlterDomainStmt":
        sub = body.get("subtype", "")
        if sub in ("C", "X", "V", "N", "O"):  # add/drop/validate constraint, (drop/set) not null
            return "constraint", "alters a domain constraint"
        return "ddl", "alters domain"
    if kind == "CreateTableAsStmt":
        into = body.get("into") or {}
        into = into.get("IntoClause", into)
        name = _rel(into.get("rel"))
        if body.get("objtype") == "OBJECT_MATVIEW":
            return "ddl", f'creates materialized view "{name}"'
        return "ddl", f'creates table "{name}" from a query'
    return "ddl", _ddl_what(kind, body)  # every other statement changes the schema


def _alter_table(body: dict) -> tuple[str | None, str]:
    name = _rel(body.get("relation"))
    objtype = body.get("objtype", "OBJECT_TABLE")
    if objtype == "OBJECT_INDEX":
        return "index", f'alters index "{name}"'
    found: set[str] = set()
    for c in body.get("cmds") or ():
        sub = c.get("AlterTableCmd", {}).get("subtype", "")
        if sub in _PARTITION_CMDS:
            found.add("partition")
        elif sub in _SECURITY_CMDS:
            found.add("security")
        elif sub in _CONSTRAINT_CMDS:
            found.add("constraint")
        elif sub in _DROP_CMDS:
            found.add("drop")
        elif sub in _NEUTRAL_CMDS:
            continue
        else:
            found.add("ddl")
    for cat, verb in (("partition", "attaches or detaches a partition of"), ("security", "changes security of"),
                      ("constraint", "changes constraints of"), ("drop", "drops a column of"), ("ddl", "alters")):
        if cat in found:
            return cat, f'{verb} "{name}"'
    return None, ""


def _ddl_what(kind: str, body: dict) -> str:
    words = {
        "CreateFunctionStmt": "creates function", "CreateTrigStmt": "creates trigger", "ViewStmt": "creates view",
        "CreateEnumStmt": "creates type", "CompositeTypeStmt": "creates type", "CreateDomainStmt": "creates domain",
        "CreateSeqStmt": "creates sequence", "CreateSchemaStmt": "creates schema", "CreateExtensionStmt": "creates extension",
        "AlterEnumStmt": "alters type", "AlterSeqStmt": "alters sequence",
    }
    verb = words.get(kind)
    if verb is None:
        return kind.removesuffix("Stmt")
    name = ""
    if kind == "CreateFunctionStmt":
        name = ".".join(n.get("String", {}).get("sval", "") for n in body.get("funcname") or ())
    elif kind == "CreateTrigStmt":
        name = body.get("trigname", "")
    elif kind == "ViewStmt":
        name = _rel(body.get("view"))
    elif kind == "CreateSchemaStmt":
        name = body.get("schemaname", "")
    elif kind == "CreateExtensionStmt":
        name = body.get("extname", "")
    elif kind == "CreateSeqStmt":
        name = _rel(body.get("sequence"))
    elif kind in ("CreateEnumStmt", "AlterEnumStmt"):
        name = ".".join(n.get("String", {}).get("sval", "") for n in body.get("typeName") or ())
    elif kind == "CompositeTypeStmt":
        name = _rel(body.get("typevar"))
    return f'{verb} "{name}"' if name else verb
