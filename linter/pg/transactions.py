"""Whether each statement of a migration runs inside a transaction, per migration tool.

Not one global flag (squawk's ``assume_in_transaction`` is the root of its most-reported
false positives): it is worked out per file, from the convention and its markers, then
from explicit ``BEGIN``/``COMMIT`` in the file. What each tool does:

=================  ========================================================================
tool               the file runs in one transaction …
=================  ========================================================================
dbmate             unless ``-- migrate:up transaction:false`` (dbmate README, "Options")
goose              unless ``-- +goose NO TRANSACTION`` (goose docs, "Annotations")
diesel             unless ``metadata.toml`` says ``run_in_transaction = false`` (diesel_migrations)
golang-migrate     when it holds several statements: the postgres driver sends the file as
                   one query, which PostgreSQL runs as one implicit transaction
                   ("53.2.2.1. Multiple Statements in a Simple Query"); ory popx: unless the
                   name holds ``.autocommit.``
Flyway             unless ``-- flyway:executeInTransaction=false`` or every statement is one
                   Flyway runs outside a transaction (``CREATE INDEX CONCURRENTLY`` …,
                   PostgreSQLParser.detectCanExecuteInTransaction); mixing both fails
                   unless ``mixed=true``
Prisma             when it holds several statements (as golang-migrate)
sqlx               unless the first line is ``-- no-transaction``
Synapse            always (each delta runs in a database transaction)
seeds              never (run with ``psql -f``: autocommit)
others             assumed yes; set ``transactions: {CONVENTION: false}`` to change
=================  ========================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linter.model import Convention, Direction

#: Statements PostgreSQL refuses inside a transaction block (PreventInTransactionBlock):
#: "… cannot run inside a transaction block".
def cannot_run_in_transaction(stmt) -> str | None:
    """The statement form if ``stmt`` cannot run inside a transaction block, else None."""
    kind, body = stmt.kind, stmt.body
    if kind == "IndexStmt" and body.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and body.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt" and any(d.get("DefElem", {}).get("defname") == "concurrently" for d in body.get("params", ()) or ()):
        return "REINDEX CONCURRENTLY"
    if kind == "VacuumStmt" and body.get("is_vacuumcmd"):
        return "VACUUM"
    if kind in ("CreatedbStmt", "DropdbStmt"):
        return "CREATE DATABASE" if kind == "CreatedbStmt" else "DROP DATABASE"
    if kind == "AlterSystemStmt":
        return "ALTER SYSTEM"
    if kind in ("CreateTableSpaceStmt", "DropTableSpaceStmt"):
        return "CREATE/DROP TABLESPACE"
    if kind == "AlterTableStmt":
        for c in body.get("cmds", ()):
            cmd = c.get("AlterTableCmd", {})
            if cmd.get("subtype") == "AT_DetachPartition" and cmd.get("def", {}).get("PartitionCmd", {}).get("concurrent"):
                return "ALTER TABLE … DETACH PARTITION CONCURRENTLY"
    return None


@dataclass(frozen=True)
class ToolTransaction:
    """How the migration tool runs a file: ``wrapped`` in one transaction or not, and
    ``why`` (a sentence naming the tool and the marker that decided). ``implicit`` marks
    PostgreSQL's implicit block around a multi-statement query: an explicit BEGIN there
    turns it into a regular block (docs 53.2.2.1), so BEGIN/COMMIT in the file is fine."""

    wrapped: bool
    why: str
    implicit: bool = False


_FLYWAY_NO_TX = re.compile(r"^\s*--\s*flyway:executeInTransaction\s*=\s*false", re.I | re.M)
_SQLX_NO_TX = re.compile(r"\A\s*--\s*no-transaction\b", re.I)

TRANSACTION_DEFAULTS = {c.value: True for c in Convention}
TRANSACTION_DEFAULTS[Convention.SEED.value] = False


def tool_transaction(file, source, overrides: dict[str, bool] | None = None) -> ToolTransaction:
    """How ``file``'s tool runs it (see the module table). ``overrides`` maps convention
    names to a forced answer (config ``transactions:``)."""
    conv = file.convention
    overrides = overrides or {}
    if conv.value in overrides:
        w = bool(overrides[conv.value])
        return ToolTransaction(w, f"the configuration says {conv.value} files run {'in' if w else 'outside'} a transaction")
    text = source.text
    ups = [s for s in source.statements if s.section is not Direction.DOWN]
    if conv is Convention.DBMATE:
        if source.options.get("transaction") is False:
            return ToolTransaction(False, "dbmate runs this file outside a transaction (transaction:false)")
        return ToolTransaction(True, "dbmate runs each migration in a transaction (no transaction:false)")
    if conv is Convention.GOOSE:
        if source.options.get("transaction") is False:
            return ToolTransaction(False, "goose runs this file outside a transaction (+goose NO TRANSACTION)")
        return ToolTransaction(True, "goose runs each migration in a transaction (no +goose NO TRANSACTION)")
    if conv is Convention.DIESEL:
        if file.option("run_in_transaction") is False:
            return ToolTransaction(False, "diesel runs this migration outside a transaction (metadata.toml run_in_transaction = false)")
        return ToolTransaction(True, "diesel runs each migration in a transaction (no run_in_transaction = false in metadata.toml)")
    if conv in (Convention.GOLANG_MIGRATE, Convention.PRISMA):
        tool = "golang-migrate" if conv is Convention.GOLANG_MIGRATE else "Prisma Migrate"
        if file.option("autocommit"):
            return ToolTransaction(False, "popx runs .autocommit. files outside a transaction")
        if len(ups) > 1:
            return ToolTransaction(True, f"{tool} sends the file as one query, which PostgreSQL runs as one implicit transaction", implicit=True)
        return ToolTransaction(False, f"{tool} sends the file as one query; a single statement runs on its own")
    if conv is Convention.FLYWAY:
        if _FLYWAY_NO_TX.search(text):
            return ToolTransaction(False, "Flyway runs this script outside a transaction (executeInTransaction=false)")
        if ups and all(cannot_run_in_transaction(s) for s in ups):
            return ToolTransaction(False, "Flyway runs scripts holding only non-transactional statements outside a transaction")
        return ToolTransaction(True, "Flyway runs each script in a transaction")
    if conv is Convention.SYNAPSE:
        return ToolTransaction(True, "Synapse runs each schema delta in a transaction")
    if _SQLX_NO_TX.match(text):
        return ToolTransaction(False, "the file starts with -- no-transaction (sqlx)")
    if conv is Convention.SEED:
        return ToolTransaction(False, "seed files run with psql, which autocommits each statement")
    return ToolTransaction(True, f"{conv.value} files are assumed to run in a transaction (set `transactions: {{{conv.value}: false}}` if not)")


@dataclass(frozen=True)
class TransactionProblem:
    """A misuse of explicit transaction control: ``stmt`` and a message."""

    stmt: object
    message: str
    help: str


def statement_flags(statements: list, tool: ToolTransaction) -> tuple[dict[int, bool], list[TransactionProblem]]:
    """``({id(stmt): in a transaction}, problems)`` for top-level ``statements`` in order.

    Explicit ``BEGIN``/``START TRANSACTION`` opens a block and ``COMMIT``/``ROLLBACK``
    closes it. Inside the tool's own transaction, PostgreSQL ignores a ``BEGIN`` with a
    warning ("there is already a transaction in progress") and the file's ``COMMIT`` then
    ends the tool's transaction early: the statements after it run in autocommit, and the
    tool's own bookkeeping no longer commits with the migration. Both are reported, as is
    an explicit block left open at the end. In PostgreSQL's implicit block around a
    multi-statement query (golang-migrate, Prisma) BEGIN/COMMIT are fine (docs 53.2.2.1).
    """
    flags: dict[int, bool] = {}
    problems: list[TransactionProblem] = []
    tool_open = tool.wrapped and not tool.implicit  # the tool's block, until a COMMIT ends it
    explicit = None  # the BEGIN statement of an open explicit block
    for st in statements:
        if st.kind == "TransactionStmt" and not tool.implicit:
            k = st.body.get("kind", "")
            if k in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                if explicit is not None:
                    problems.append(TransactionProblem(st, "BEGIN inside a transaction that is already open", "Remove the nested BEGIN; PostgreSQL ignores it with a warning."))
                elif tool_open:
                    problems.append(TransactionProblem(st, f"BEGIN inside the migration tool's own transaction: {tool.why}", "Remove BEGIN/COMMIT from the file, or turn the tool's transaction off for it."))
                else:
                    explicit = st
            elif k in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"):
                word = "COMMIT" if k.endswith("COMMIT") else "ROLLBACK"
                if explicit is not None:
                    explicit = None
                elif tool_open:
                    problems.append(TransactionProblem(st, f"{word} ends the migration tool's transaction early, and what follows runs in autocommit: {tool.why}", "Remove it; the tool commits the migration together with its own bookkeeping."))
                    tool_open = False
            flags[id(st)] = explicit is not None or tool_open
            continue
        flags[id(st)] = explicit is not None or tool_open or tool.implicit
    if explicit is not None:
        problems.append(TransactionProblem(explicit, "this BEGIN is never committed: the transaction is rolled back when the connection closes", "Add COMMIT at the end of the migration."))
    return flags, problems
