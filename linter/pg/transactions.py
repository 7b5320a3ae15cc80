"""Whether each statement of a migration runs inside a transaction, per migration tool.

Not one global flag (squawk's ``assume_in_transaction`` is the root of its most-reported
false positives): it is worked out per file, from the convention and its markers, then
from explicit ``BEGIN``/``COMMIT`` in the file. What each tool does:

=================  ========================================================================
tool               the file runs in one transaction …
=================  ========================================================================
dbmate             unless ``-- migrate:up transaction:false`` (dbmate README, "Options"); even
                   then it sends the up section as one query: two statements or more run in
                   PostgreSQL's implicit transaction (dbmate issues #126, #182, #285)
goose              unless ``-- +goose NO TRANSACTION`` (goose docs, "Annotations")
diesel             unless ``metadata.toml`` says ``run_in_transaction = false`` (diesel_migrations);
                   ``batch_execute`` then sends up.sql as one query (implicit transaction)
golang-migrate     when it holds several statements: the postgres driver sends the file as
                   one query, which PostgreSQL runs as one implicit transaction
                   ("53.2.2.1. Multiple Statements in a Simple Query")
ory popx           always, one transaction per file, unless the name holds ``.autocommit.``
                   (github.com/ory/x, popx/migrator.go: ``shouldNotUseTransaction`` is
                   ``m.Autocommit`` on PostgreSQL, else ``Up``/``Down`` run the file and
                   the version insert in ``mb.isolatedTransaction``): :func:`is_popx`
drizzle            a folder with ``meta/_journal.json``: drizzle-orm's migrator runs only
                   the files the journal lists (``readMigrationFiles`` in
                   drizzle-orm/src/migrator.ts reads ``${tag}.sql`` for each journal entry),
                   all pending ones in one transaction (``migrate`` in
                   drizzle-orm/src/pg-core/dialect.ts: ``session.transaction`` around the
                   loop); a file the journal does not list is not run by it at all: how
                   it is applied is unknown (``ToolTransaction.unknown``, :func:`drizzle_journal`)
Flyway             as its script configuration file (``V1__x.sql.conf``) says
                   (``executeInTransaction``, overriding the rest; Flyway 6.1+); else
                   unless ``-- flyway:executeInTransaction=false`` or every statement is one
                   Flyway runs outside a transaction (``CREATE INDEX CONCURRENTLY`` …,
                   PostgreSQLParser.detectCanExecuteInTransaction, :func:`flyway_runs_outside`:
                   not ``REINDEX INDEX|TABLE CONCURRENTLY`` nor ``DETACH … CONCURRENTLY``);
                   mixing both fails unless ``mixed=true``
Prisma             when it holds several statements (as golang-migrate)
sqlx               unless the first line is ``-- no-transaction``
npm postgres-      unless the file says ``-- postgres-migrations disable-transaction`` (then
migrations         one query, as above; supabase/storage uses it)
Synapse            always (each delta runs in a database transaction)
seeds              never (run with ``psql -f``: autocommit)
others             assumed yes; set ``transactions: {CONVENTION: false}`` to change
=================  ========================================================================
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from linter.model import Convention, Direction, fast_init
from linter.pg import locks

#: Statements PostgreSQL refuses inside a transaction block (PreventInTransactionBlock):
#: "… cannot run inside a transaction block", and inside a function or DO body: "… cannot
#: be executed from a function". Each statement's reference page says so ("… cannot be
#: executed inside a transaction block"); checked against a real server in tests/test_pg.py.
def cannot_run_in_transaction(stmt, pg_version: int = 16) -> str | None:
    """The statement form if ``stmt`` cannot run inside a transaction block, else None."""
    kind, body = stmt.kind, stmt.body
    if kind == "IndexStmt" and body.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and body.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt":
        if locks.reindex_concurrent(body):
            return "REINDEX CONCURRENTLY"
        what = body.get("kind", "").removeprefix("REINDEX_OBJECT_")
        if what in ("SCHEMA", "DATABASE", "SYSTEM"):  # one transaction per table
            return f"REINDEX {what}"
        return None
    if kind == "VacuumStmt" and body.get("is_vacuumcmd"):
        return "VACUUM"
    if kind == "ClusterStmt" and not body.get("relation"):
        return "CLUSTER (without a table name)"
    if kind in ("CreatedbStmt", "DropdbStmt"):
        return "CREATE DATABASE" if kind == "CreatedbStmt" else "DROP DATABASE"
    if kind == "AlterDatabaseStmt" and "tablespace" in {d.get("DefElem", {}).get("defname") for d in body.get("options", ()) or ()}:
        return "ALTER DATABASE … SET TABLESPACE"
    if kind == "AlterSystemStmt":
        return "ALTER SYSTEM"
    if kind in ("CreateTableSpaceStmt", "DropTableSpaceStmt"):
        return "CREATE/DROP TABLESPACE"
    if kind == "DiscardStmt" and body.get("target") == "DISCARD_ALL":
        return "DISCARD ALL"
    if kind == "CreateSubscriptionStmt":
        opts = {d.get("DefElem", {}).get("defname"): d.get("DefElem", {}).get("arg", {}).get("String", {}).get("sval", "") for d in body.get("options", ()) or ()}
        if opts.get("create_slot", "true").lower() not in ("false", "off", "0") and opts.get("connect", "true").lower() not in ("false", "off", "0"):
            return "CREATE SUBSCRIPTION (with create_slot = true)"
        return None
    if kind == "DropSubscriptionStmt":
        return "DROP SUBSCRIPTION (of a subscription with a replication slot)"
    if kind == "AlterEnumStmt" and body.get("newVal") and not body.get("oldVal") and pg_version < 12:
        return "ALTER TYPE … ADD VALUE (before PostgreSQL 12)"
    if kind == "AlterTableStmt":
        for c in body.get("cmds", ()):
            cmd = c.get("AlterTableCmd", {})
            if cmd.get("subtype") == "AT_DetachPartition" and cmd.get("def", {}).get("PartitionCmd", {}).get("concurrent"):
                return "ALTER TABLE … DETACH PARTITION CONCURRENTLY"
    return None


def flyway_runs_outside(stmt, pg_version: int = 16, *, assume_concurrently: bool = False) -> bool:
    """True when Flyway itself classes ``stmt`` as non-transactional (``assume_concurrently``:
    as it would once CONCURRENTLY is added to it).

    Flyway's PostgreSQLParser.detectCanExecuteInTransaction matches the start of each
    statement: ``(CREATE|DROP) [UNIQUE] INDEX CONCURRENTLY``, ``REINDEX [VERBOSE]
    (SCHEMA|DATABASE|SYSTEM)``, ``VACUUM``, ``DISCARD ALL``, ``ALTER SYSTEM``,
    ``(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)`` and, before PostgreSQL 12,
    ``ALTER TYPE … ADD VALUE``. It does not know ``REINDEX INDEX|TABLE CONCURRENTLY``
    or ``DETACH PARTITION … CONCURRENTLY``: a script holding one of those runs in a
    transaction and fails.
    """
    kind, body = stmt.kind, stmt.body
    if kind in ("IndexStmt", "DropStmt"):
        return bool(body.get("concurrent")) or (assume_concurrently and (kind == "IndexStmt" or body.get("removeType") == "OBJECT_INDEX"))
    if kind == "ReindexStmt":
        return body.get("kind", "") in ("REINDEX_OBJECT_SCHEMA", "REINDEX_OBJECT_DATABASE", "REINDEX_OBJECT_SYSTEM")
    if kind == "VacuumStmt":
        return bool(body.get("is_vacuumcmd"))
    if kind == "DiscardStmt":
        return body.get("target") == "DISCARD_ALL"
    if kind == "AlterEnumStmt":
        return bool(body.get("newVal")) and not body.get("oldVal") and pg_version < 12
    return kind in ("AlterSystemStmt", "CreatedbStmt", "DropdbStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
                    "CreateSubscriptionStmt", "DropSubscriptionStmt")


@fast_init
@dataclass(frozen=True, slots=True)
class ToolTransaction:
    """How the migration tool runs a file: ``wrapped`` in one transaction or not, and
    ``why`` (a sentence naming the tool and the marker that decided). ``implicit`` marks
    PostgreSQL's implicit block around a multi-statement query: an explicit BEGIN there
    turns it into a regular block (docs 53.2.2.1), so BEGIN/COMMIT in the file is fine.
    ``unknown`` marks a file no known tool runs (a drizzle folder's file that
    ``meta/_journal.json`` does not list): ``wrapped`` is False, so no statement is said to
    fail in a transaction, and rules that would claim a hazard of running *outside* one
    (re-run after a partial failure, a lock queue per statement) stay silent too."""

    wrapped: bool
    why: str
    implicit: bool = False
    unknown: bool = False


_FLYWAY_NO_TX = re.compile(r"^\s*--\s*flyway:executeInTransaction\s*=\s*false", re.I | re.M)
_SQLX_NO_TX = re.compile(r"\A\s*--\s*no-transaction\b", re.I)
#: postgres-migrations (npm, thomwright/postgres-migrations), "Disabling transactions":
#: the comment anywhere in the file; the file is then sent as one query.
_PGMIG_NO_TX = re.compile(r"^\s*--\s*postgres-migrations\s+disable-transaction\b", re.I | re.M)

#: What :func:`tool_transaction` says of a file whose tool it knows no more of (one object
#: per convention: it is frozen, and made for most files of the corpus).
_ASSUMED = {c: ToolTransaction(True, f"{c.value} files are assumed to run in a transaction (set `transactions: {{{c.value}: false}}` if not)")
            for c in Convention}

TRANSACTION_DEFAULTS = {c.value: True for c in Convention}
TRANSACTION_DEFAULTS[Convention.SEED.value] = False


def tool_transaction(file, source, overrides: dict[str, bool] | None = None, *, made_concurrent=None) -> ToolTransaction:
    """How ``file``'s tool runs it (see the module table). ``overrides`` maps convention
    names to a forced answer (config ``transactions:``). ``made_concurrent``: a statement
    to judge as if CONCURRENTLY were added to it (Flyway decides from the statements)."""
    conv = file.convention
    if overrides and conv.value in overrides:
        w = bool(overrides[conv.value])
        return ToolTransaction(w, f"the configuration says {conv.value} files run {'in' if w else 'outside'} a transaction")
    text = source.text
    if conv is Convention.DBMATE:
        if source.options.get("transaction") is False:
            if _several(file, source):  # dbmate issues #126, #182, #285: one Exec of the whole section
                return ToolTransaction(True, "dbmate runs this file without a transaction (transaction:false) but sends the up section as one query, which PostgreSQL runs as one implicit transaction", implicit=True)
            return ToolTransaction(False, "dbmate runs this file outside a transaction (transaction:false)")
        return ToolTransaction(True, "dbmate runs each migration in a transaction (no transaction:false)")
    if conv is Convention.GOOSE:
        if source.options.get("transaction") is False:
            return ToolTransaction(False, "goose runs this file outside a transaction (+goose NO TRANSACTION)")
        return ToolTransaction(True, "goose runs each migration in a transaction (no +goose NO TRANSACTION)")
    if conv is Convention.DIESEL:
        if file.option("run_in_transaction") is False:
            if _several(file, source):  # batch_execute: one simple query holding every statement
                return ToolTransaction(True, "diesel runs this migration without a transaction (metadata.toml run_in_transaction = false) but sends up.sql as one query, which PostgreSQL runs as one implicit transaction", implicit=True)
            return ToolTransaction(False, "diesel runs this migration outside a transaction (metadata.toml run_in_transaction = false)")
        return ToolTransaction(True, "diesel runs each migration in a transaction (no run_in_transaction = false in metadata.toml)")
    if conv in (Convention.GOLANG_MIGRATE, Convention.PRISMA):
        tool = "golang-migrate" if conv is Convention.GOLANG_MIGRATE else "Prisma Migrate"
        if file.option("autocommit"):
            return ToolTransaction(False, "popx runs .autocommit. files outside a transaction")
        if is_popx(file):
            return ToolTransaction(True, "popx runs each migration file in a transaction (the file name has no .autocommit.)")
        if _several(file, source):
            return ToolTransaction(True, f"{tool} sends the file as one query, which PostgreSQL runs as one implicit transaction", implicit=True)
        return ToolTransaction(False, f"{tool} sends the file as one query; a single statement runs on its own")
    if conv is Convention.FLYWAY:
        configured = file.option("executeInTransaction")
        if configured is not None:  # the script configuration file overrides Flyway's detection
            where = f"executeInTransaction={'true' if configured else 'false'} in {file.path.rsplit('/', 1)[-1]}.conf"
            return ToolTransaction(configured, f"Flyway runs this script {'in' if configured else 'outside'} a transaction ({where})")
        if _FLYWAY_NO_TX.search(text):
            return ToolTransaction(False, "Flyway runs this script outside a transaction (executeInTransaction=false)")
        ups = _deciding_run(file, source)
        outside = [flyway_runs_outside(s, assume_concurrently=s is made_concurrent) for s in ups]
        if ups and all(outside):
            return ToolTransaction(False, "Flyway runs scripts holding only non-transactional statements outside a transaction")
        if any(outside):
            return ToolTransaction(True, "Flyway runs this script in a transaction: it mixes statements that cannot run in one with others, which Flyway rejects unless mixed=true")
        return ToolTransaction(True, "Flyway runs each script in a transaction")
    if conv is Convention.SYNAPSE:
        return ToolTransaction(True, "Synapse runs each schema delta in a transaction")
    if "postgres-migrations" in text and _PGMIG_NO_TX.search(text):
        if _several(file, source):
            return ToolTransaction(True, "postgres-migrations runs this file without a transaction (disable-transaction) but sends it as one query, which PostgreSQL runs as one implicit transaction", implicit=True)
        return ToolTransaction(False, "postgres-migrations runs this file outside a transaction (-- postgres-migrations disable-transaction)")
    if _SQLX_NO_TX.match(text):
        if _several(file, source):  # sqlx sends the file as one simple query (launchbadge/sqlx#3574)
            return ToolTransaction(True, "sqlx runs this file without a transaction (-- no-transaction) but sends it as one query, which PostgreSQL runs as one implicit transaction", implicit=True)
        return ToolTransaction(False, "the file starts with -- no-transaction (sqlx)")
    if conv is Convention.SEED:
        return ToolTransaction(False, "seed files run with psql, which autocommits each statement")
    if conv in (Convention.SEQUENTIAL, Convention.TIMESTAMP, Convention.UNKNOWN):
        folder, name = os.path.split(file.abspath)
        tags = drizzle_journal(folder)
        if tags is not None:
            if os.path.splitext(name)[0] in tags:
                return ToolTransaction(True, "drizzle's migrator runs every pending migration of meta/_journal.json in one transaction")
            return ToolTransaction(False, "meta/_journal.json does not list this file, so drizzle's migrator does not run it "
                                   "(how it is applied is not known)", unknown=True)
    return _ASSUMED[conv]


def runs_statements_apart(file, tx: ToolTransaction) -> bool:
    """True when ``file``'s tool runs its statements one at a time, none of them in a
    transaction block, so that a statement added to the file runs on its own too: goose
    with ``-- +goose NO TRANSACTION`` (goose executes each statement it split off the file
    with its own ``ExecContext``; goose docs, "Annotations"), a Flyway script run outside a
    transaction (Flyway executes a script statement by statement over JDBC), and seeds run
    with ``psql -f`` (autocommit, one statement at a time). Not the tools that send the whole
    file as one query (golang-migrate, Prisma, dbmate ``transaction:false``, diesel
    ``run_in_transaction = false``, sqlx, postgres-migrations): there a second statement puts
    both in PostgreSQL's implicit transaction. Not when the configuration decided
    (``transactions:``), since miglint then does not know how the tool sends the file."""
    if tx.wrapped or tx.why.startswith("the configuration says"):
        return False
    return file.convention in (Convention.GOOSE, Convention.FLYWAY, Convention.SEED)


#: popx versions: a 14-digit timestamp and a 6-digit step (``20200519101057000006``).
POPX_VERSION_DIGITS = 20


def is_popx(file) -> bool:
    """True for an ory popx migration (kratos, hydra, keto): a golang-migrate-style name
    with a dialect infix (``.postgres.``), ``.autocommit.``, or a 20-digit version (a
    14-digit timestamp and a 6-digit step; golang-migrate itself uses up to 14 digits).
    popx's file pattern: ``MigrationFileRegexp`` in github.com/ory/x popx/match.go."""
    if file.convention is not Convention.GOLANG_MIGRATE:
        return False
    return file.dialect is not None or bool(file.option("autocommit")) or len(file.version or "") == POPX_VERSION_DIGITS


@lru_cache(maxsize=256)
def drizzle_journal(folder: str) -> frozenset[str] | None:
    """The tags (file names without ``.sql``) ``folder/meta/_journal.json`` lists, or
    ``None`` when there is no readable drizzle-kit journal there. drizzle-orm's
    ``readMigrationFiles`` (drizzle-orm/src/migrator.ts) reads ``meta/_journal.json`` and
    then ``${migrationsFolder}/${entry.tag}.sql`` for each of its ``entries``: no other
    file of the folder is run. Read once per folder and process."""
    path = os.path.join(folder, "meta", "_journal.json")
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read())
        return frozenset(str(e["tag"]) for e in data.get("entries", ()) if isinstance(e, dict) and "tag" in e)
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return None


def _deciding_run(file, source) -> list:
    """The statements of the run that decides how the tool runs the file: all of a down
    file; in a file with up/down sections, the up section."""
    if file.direction is Direction.DOWN:
        return source.statements
    return [s for s in source.statements if s.section is not Direction.DOWN]


def _several(file, source) -> bool:
    """True when :func:`_deciding_run` holds two statements or more (counts up to two)."""
    if file.direction is Direction.DOWN:
        return len(source.statements) > 1
    n = 0
    for s in source.statements:
        if s.section is not Direction.DOWN:
            n += 1
            if n > 1:
                return True
    return False


@dataclass(frozen=True)
class TransactionProblem:
    """A misuse of explicit transaction control: ``stmt``, a message, help, and ``kind``:

    * ``"nested"``: BEGIN inside an explicit block that is already open;
    * ``"begin-in-tool"``: BEGIN inside the migration tool's own transaction;
    * ``"early-commit"``: COMMIT/ROLLBACK that ends the tool's transaction early;
    * ``"no-transaction"``: COMMIT/ROLLBACK with no transaction in progress;
    * ``"commit-in-do"``: a ``DO`` block that runs COMMIT/ROLLBACK inside a transaction;
    * ``"uncommitted"``: BEGIN never committed.
    """

    stmt: object
    message: str
    help: str
    kind: str = ""


#: PL/pgSQL transaction control in a DO body ("43.8. Transaction Management").
_PLPGSQL_TX = re.compile(r"\b(commit|rollback)\b", re.I)


def do_block_transaction_control(stmt) -> str | None:
    """``"COMMIT"``/``"ROLLBACK"`` when the ``DO`` block ``stmt`` runs one itself, else None.

    "43.8. Transaction Management": a DO block may COMMIT only when it was not called
    inside a transaction block; otherwise PostgreSQL fails with "invalid transaction
    termination" (checked on PostgreSQL 15).
    """
    if stmt.kind != "DoStmt" or not _PLPGSQL_TX.search(stmt.text):
        return None
    from linter.pg.parser import loads, pg

    code = None
    for item in stmt.body.get("args") or ():
        de = item.get("DefElem", {})
        if de.get("defname") == "language" and de.get("arg", {}).get("String", {}).get("sval", "plpgsql").lower() != "plpgsql":
            return None
        if de.get("defname") == "as":
            code = de.get("arg", {}).get("String", {}).get("sval")
    if not code or not _PLPGSQL_TX.search(code) or "$miglint_tx$" in code:
        return None
    try:
        tree = loads(pg.parse_plpgsql_json(f"CREATE FUNCTION miglint_tx() RETURNS void LANGUAGE plpgsql AS $miglint_tx${code}$miglint_tx$"))
    except Exception:
        return None
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "PLpgSQL_stmt_commit" in node:
                return "COMMIT"
            if "PLpgSQL_stmt_rollback" in node:
                return "ROLLBACK"
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def statement_flags(statements: list, tool: ToolTransaction) -> tuple[dict[int, bool], list[TransactionProblem]]:
    """``({id(stmt): in a transaction}, problems)`` for top-level ``statements`` in order.

    Explicit ``BEGIN``/``START TRANSACTION`` opens a block and ``COMMIT``/``ROLLBACK``
    closes it. Inside the tool's own transaction, PostgreSQL ignores a ``BEGIN`` with a
    warning ("there is already a transaction in progress") and the file's ``COMMIT`` then
    ends the tool's transaction early: the statements after it run in autocommit, and the
    tool's own bookkeeping no longer commits with the migration. Both are reported, as is
    an explicit block left open at the end, a COMMIT with no transaction in progress
    (ignored with a warning) and a DO block that commits inside a transaction (an error).
    In PostgreSQL's implicit block around a multi-statement query (golang-migrate, Prisma)
    BEGIN/COMMIT are fine (docs 53.2.2.1). Each up/down section of a file is run on its
    own (dbmate, goose), so the state starts afresh at each section.

    A block the file opens after ending the tool's transaction early (``COMMIT; CREATE
    INDEX CONCURRENTLY …; BEGIN;``, the usual way out of a wrapping tool) is not left
    uncommitted: the tool ends its transaction with its own COMMIT on the same connection
    after the file (and its bookkeeping INSERT), which commits that block — database/sql
    ``Tx.Commit`` (goose, dbmate), JDBC ``Connection.commit`` (Flyway), diesel's
    transaction manager and DB-API ``commit()`` (Synapse) each send COMMIT.
    """
    flags: dict[int, bool] = {}
    problems: list[TransactionProblem] = []
    tool_open = tool.wrapped and not tool.implicit  # the tool's block, until a COMMIT ends it
    wraps = tool_open  # the tool COMMITs at the end of the file: a block left open is closed then
    explicit = None  # the BEGIN statement of an open explicit block
    # the file's COMMIT ended the tool's block: a BEGIN left open after it is committed by
    # the tool's own COMMIT at the end of the migration (popx/fizz "COMMIT; BEGIN;")
    reopened = False
    section = statements[0].section if statements else None
    for i, st in enumerate(statements):
        if st.section is not section:  # a new run of the tool: close the previous one
            if explicit is not None and not (wraps or reopened):
                problems.append(_uncommitted(explicit))
            section, explicit, reopened = st.section, None, False
            tool_open = tool.wrapped and not tool.implicit
        if st.kind == "TransactionStmt" and not tool.implicit:
            k = st.body.get("kind", "")
            if k in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                if explicit is not None:
                    problems.append(TransactionProblem(st, "BEGIN inside a transaction that is already open", "Remove the nested BEGIN; PostgreSQL ignores it with a warning.", "nested"))
                elif tool_open:
                    problems.append(TransactionProblem(st, f"BEGIN inside the migration tool's own transaction: {tool.why}", "Remove BEGIN/COMMIT from the file, or turn the tool's transaction off for it.", "begin-in-tool"))
                else:
                    explicit = st
            elif k in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"):
                word = "COMMIT" if k.endswith("COMMIT") else "ROLLBACK"
                if explicit is not None:
                    explicit = None
                elif tool_open:
                    nxt = statements[i + 1] if i + 1 < len(statements) else None
                    if nxt is not None and nxt.kind == "TransactionStmt" and nxt.body.get("kind", "") in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                        after = "so what came before it commits on its own, apart from the rest and the tool's bookkeeping (the BEGIN after it opens a transaction the tool commits)"
                    else:
                        after = "and what follows runs in autocommit"
                    problems.append(TransactionProblem(st, f"{word} ends the migration tool's transaction early, {after}: {tool.why}", "Remove it; the tool commits the migration together with its own bookkeeping.", "early-commit"))
                    tool_open = False
                    reopened = True
                else:
                    problems.append(TransactionProblem(st, f"{word} with no transaction in progress: PostgreSQL ignores it with a warning", "Remove it, or add the BEGIN it was meant to close.", "no-transaction"))
            flags[id(st)] = explicit is not None or tool_open
            continue
        inside = explicit is not None or tool_open or tool.implicit
        flags[id(st)] = inside
        if inside and st.kind == "DoStmt":
            word = do_block_transaction_control(st)
            if word:
                problems.append(TransactionProblem(st, f"this DO block runs {word} inside a transaction, which fails with \"invalid transaction termination\"", "Run the batches as separate migrations or statements, or run this file outside a transaction (and say so to the tool).", "commit-in-do"))
    if explicit is not None and not (wraps or reopened):
        problems.append(_uncommitted(explicit))
    return flags, problems


def _uncommitted(begin) -> TransactionProblem:
    return TransactionProblem(begin, "this BEGIN is never committed: the transaction is rolled back when the connection closes", "Add COMMIT at the end of the migration.", "uncommitted")


def way_out(file, tx: ToolTransaction, stmt, *, explicit: bool = False, pg_version: int = 16, made_concurrent: bool = False) -> str:
    """How to get ``stmt`` out of its transaction with ``file``'s migration tool (help text).

    ``explicit``: the statement sits in the file's own ``BEGIN … COMMIT`` block. The
    sources are those of the module table; a file that a tool sends as one query
    (golang-migrate, Prisma, dbmate ``transaction:false``, diesel
    ``run_in_transaction = false``, sqlx ``-- no-transaction``) runs in PostgreSQL's
    implicit transaction as soon as it holds two statements, so the way out is a
    migration holding that one statement.
    """
    conv = file.convention
    if explicit:
        return "Move it out of the BEGIN … COMMIT block (after the COMMIT)."
    if tx.why.startswith("the configuration says"):
        return (f"The configuration (`transactions: {{{conv.value}: true}}`) says these files run in a transaction: "
                "move the statement to a migration your tool runs without one.")
    alone = "keep it alone in that migration: the tool sends the file as one query, which PostgreSQL runs as one implicit transaction"
    if conv is Convention.DBMATE:
        if tx.implicit:
            return "Move it to a migration of its own: with transaction:false dbmate still sends the whole up section as one query."
        return f"Add `transaction:false` to the `-- migrate:up` line, and {alone}."
    if conv is Convention.GOOSE:
        return "Add `-- +goose NO TRANSACTION` at the top of the file (goose then runs each statement on its own)."
    if conv is Convention.DIESEL:
        if tx.implicit:
            return "Move it to a migration of its own: with run_in_transaction = false diesel still sends the whole up.sql as one query."
        return f"Put `run_in_transaction = false` in the migration's metadata.toml, and {alone}."
    if conv in (Convention.GOLANG_MIGRATE, Convention.PRISMA):
        tool = "golang-migrate" if conv is Convention.GOLANG_MIGRATE else "Prisma Migrate"
        extra = " (or, with golang-migrate, `x-multi-statement=true` in the database URL, which sends statements one by one)" if conv is Convention.GOLANG_MIGRATE else ""
        return f"Move it to a migration file of its own: {tool} sends a file as one query, and a lone statement runs outside any transaction{extra}."
    if conv is Convention.FLYWAY:
        if not flyway_runs_outside(stmt, pg_version, assume_concurrently=made_concurrent):
            name = file.path.rsplit("/", 1)[-1]
            return (f"Flyway does not recognise this statement as non-transactional: put it in a script of its own with a "
                    f"script configuration file `{name}.conf` holding `executeInTransaction=false` next to it.")
        return ("Move it to a script of its own: Flyway runs a script holding only such statements outside a transaction "
                "(or set `mixed=true`, which runs this whole script without a transaction).")
    if conv is Convention.SYNAPSE:
        return ("Synapse runs every schema delta in a transaction: build the index from a background update instead "
                "(a delta that inserts into background_updates, as Synapse's own deltas do).")
    if conv is Convention.SEED:
        return "Remove the BEGIN that opens the transaction, or move the statement before it."
    if tx.implicit:
        return ("Move it to a migration of its own: the file is sent as one query, and two statements or more run in "
                "PostgreSQL's implicit transaction.")
    return (f"If your tool runs this file without a transaction (sqlx: `-- no-transaction` as the first line; "
            f"postgres-migrations: `-- postgres-migrations disable-transaction`), keep the statement alone in it; if "
            f"miglint cannot see that, set `transactions: {{{conv.value}: false}}`.")
