"""A statement's readable form, as the PostgreSQL documentation titles commands.

``ALTER TABLE … ADD COLUMN``, ``CREATE UNIQUE INDEX CONCURRENTLY``, ``DROP MATERIALIZED
VIEW``, ``SET lock_timeout``: what the lock report shows in its "statement" column and what
messages can name. Forms follow the command names of "SQL Commands"
(https://www.postgresql.org/docs/current/sql-commands.html); ALTER TABLE subcommands use
:func:`linter.pg.locks.subcommand_text`. Unknown node kinds fall back to their name split
into words (``CreatePublicationStmt`` → ``CREATE PUBLICATION``).
"""

from __future__ import annotations

import re

from linter.pg import locks

_OBJECT_WORDS = {
    "OBJECT_MATVIEW": "MATERIALIZED VIEW",
    "OBJECT_FOREIGN_TABLE": "FOREIGN TABLE",
    "OBJECT_FDW": "FOREIGN DATA WRAPPER",
    "OBJECT_FOREIGN_SERVER": "SERVER",
    "OBJECT_OPCLASS": "OPERATOR CLASS",
    "OBJECT_OPFAMILY": "OPERATOR FAMILY",
    "OBJECT_STATISTIC_EXT": "STATISTICS",
    "OBJECT_TSCONFIGURATION": "TEXT SEARCH CONFIGURATION",
    "OBJECT_TSDICTIONARY": "TEXT SEARCH DICTIONARY",
    "OBJECT_TSPARSER": "TEXT SEARCH PARSER",
    "OBJECT_TSTEMPLATE": "TEXT SEARCH TEMPLATE",
    "OBJECT_TABCONSTRAINT": "CONSTRAINT",
}

_FIXED = {
    "SelectStmt": "SELECT",
    "InsertStmt": "INSERT",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE",
    "DoStmt": "DO",
    "CallStmt": "CALL",
    "TruncateStmt": "TRUNCATE",
    "LockStmt": "LOCK TABLE",
    "ClusterStmt": "CLUSTER",
    "CopyStmt": "COPY",
    "ExplainStmt": "EXPLAIN",
    "NotifyStmt": "NOTIFY",
    "CreateTrigStmt": "CREATE TRIGGER",
    "CreatePolicyStmt": "CREATE POLICY",
    "AlterPolicyStmt": "ALTER POLICY",
    "CreateEnumStmt": "CREATE TYPE … AS ENUM",
    "CompositeTypeStmt": "CREATE TYPE … AS (…)",
    "CreateRangeStmt": "CREATE TYPE … AS RANGE",
    "CreateDomainStmt": "CREATE DOMAIN",
    "AlterDomainStmt": "ALTER DOMAIN",
    "CreateSchemaStmt": "CREATE SCHEMA",
    "CreateSeqStmt": "CREATE SEQUENCE",
    "AlterSeqStmt": "ALTER SEQUENCE",
    "CreateExtensionStmt": "CREATE EXTENSION",
    "AlterExtensionStmt": "ALTER EXTENSION",
    "CreateRoleStmt": "CREATE ROLE",
    "AlterRoleStmt": "ALTER ROLE",
    "DropRoleStmt": "DROP ROLE",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "RuleStmt": "CREATE RULE",
    "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW",
    "CreateForeignTableStmt": "CREATE FOREIGN TABLE",
    "CreateEventTrigStmt": "CREATE EVENT TRIGGER",
    "AlterDefaultPrivilegesStmt": "ALTER DEFAULT PRIVILEGES",
    "CreateCastStmt": "CREATE CAST",
    "CreateStatsStmt": "CREATE STATISTICS",
}


def _words(kind: str) -> str:
    name = kind.removesuffix("Stmt")
    return " ".join(w.upper() for w in re.findall(r"[A-Z][a-z]*|[a-z]+", name))


def _object(objtype: str | None) -> str:
    if not objtype:
        return ""
    return _OBJECT_WORDS.get(objtype, objtype.removeprefix("OBJECT_").replace("_", " "))


def statement_form(stmt) -> str:
    """The readable form of ``stmt`` (a :class:`linter.source.Statement`)."""
    kind, b = stmt.kind, stmt.body
    if kind in _FIXED:
        if kind == "CreateTrigStmt" and b.get("isconstraint"):
            return "CREATE CONSTRAINT TRIGGER"
        if kind == "RefreshMatViewStmt" and b.get("concurrent"):
            return "REFRESH MATERIALIZED VIEW CONCURRENTLY"
        if kind == "TruncateStmt" and b.get("behavior") == "DROP_CASCADE":
            return "TRUNCATE … CASCADE"
        return _FIXED[kind]
    if kind == "CreateStmt":
        return "CREATE TABLE … PARTITION OF" if b.get("partbound") else "CREATE TABLE"
    if kind == "CreateTableAsStmt":
        return "CREATE MATERIALIZED VIEW" if b.get("objtype") == "OBJECT_MATVIEW" else "CREATE TABLE … AS"
    if kind == "IndexStmt":
        return "CREATE " + ("UNIQUE " if b.get("unique") else "") + "INDEX" + (" CONCURRENTLY" if b.get("concurrent") else "")
    if kind == "AlterTableStmt":
        head = "ALTER " + (_object(b.get("objtype")) or "TABLE")
        subs = []
        for item in b.get("cmds", ()):
            text = locks.subcommand_text(item.get("AlterTableCmd", {})).removeprefix("ALTER TABLE … ")
            if text not in subs:
                subs.append(text)
        return head + " … " + ", ".join(subs) if subs else head
    if kind == "DropStmt":
        return "DROP " + _object(b.get("removeType")) + (" CONCURRENTLY" if b.get("concurrent") else "")
    if kind == "RenameStmt":
        effects = locks.effects(stmt)
        if effects:
            return effects[0].what
        return "ALTER " + _object(b.get("renameType")) + " … RENAME"
    if kind == "ViewStmt":
        return "CREATE OR REPLACE VIEW" if b.get("replace") else "CREATE VIEW"
    if kind == "CreateFunctionStmt":
        word = "PROCEDURE" if b.get("is_procedure") else "FUNCTION"
        return f"CREATE OR REPLACE {word}" if b.get("replace") else f"CREATE {word}"
    if kind == "VariableSetStmt":
        name = b.get("name") or ""
        local = " LOCAL" if b.get("is_local") else ""
        if b.get("kind") == "VAR_RESET":
            return f"RESET {name}".strip()
        return f"SET{local} {name}".strip()
    if kind == "TransactionStmt":
        return {"TRANS_STMT_BEGIN": "BEGIN", "TRANS_STMT_START": "START TRANSACTION", "TRANS_STMT_COMMIT": "COMMIT",
                "TRANS_STMT_ROLLBACK": "ROLLBACK", "TRANS_STMT_SAVEPOINT": "SAVEPOINT"}.get(b.get("kind", ""), "transaction control")
    if kind == "CommentStmt":
        return "COMMENT ON " + _object(b.get("objtype"))
    if kind == "GrantStmt":
        return "GRANT" if b.get("is_grant") else "REVOKE"
    if kind == "GrantRoleStmt":
        return "GRANT role" if b.get("is_grant") else "REVOKE role"
    if kind == "AlterEnumStmt":
        return "ALTER TYPE … RENAME VALUE" if b.get("oldVal") else "ALTER TYPE … ADD VALUE"
    if kind == "VacuumStmt" or kind == "ReindexStmt":
        effects = locks.effects(stmt)
        return effects[0].what.split(" (")[0] if effects else _words(kind)
    if kind == "DefineStmt":
        return "CREATE " + _object(b.get("kind"))
    if kind == "AlterOwnerStmt":
        return "ALTER " + _object(b.get("objectType")) + " … OWNER TO"
    if kind == "AlterObjectSchemaStmt":
        return "ALTER " + _object(b.get("objectType")) + " … SET SCHEMA"
    return _words(kind)
