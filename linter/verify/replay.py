"""Replay migration roots on a real server, each file as its migration tool runs it, and
observe the locks each statement takes.

Data path: the discovered files (in discovery order: root, version, path) → per root, a
fresh database on the :class:`~linter.verify.server.LocalServer` → optional setup SQL and
automatic ``NOLOGIN`` roles → each up file in order:

* **How it runs** comes from :mod:`linter.pg.transactions` (no second model):
  ``tool_transaction`` says whether the tool wraps the file in one transaction
  (``wrapped``), sends it as one query that PostgreSQL runs as one implicit transaction
  (``implicit``), or runs each statement in autocommit. The replay sends ``BEGIN`` where the
  tool does, then each statement of the up run (its text, placeholders substituted), then
  ``COMMIT``; the file's own ``BEGIN``/``COMMIT``/``ROLLBACK`` go to the server as written, so
  a ``COMMIT`` that ends the tool's transaction early has the effect it has in production. An
  implicit transaction is replayed as a block that is (re)opened before each statement when
  none is open: PostgreSQL gives both the same failures (``IsTransactionBlock`` is true in
  an implicit block: "cannot run inside a transaction block", SQLSTATE 25001; an enum value
  added in it cannot be used in it, 55P04). Whether each statement really ran in a
  transaction is read from the connection and kept beside ``statement_flags``'s prediction.
* **A failure** (any SQLSTATE) ends the file as the tool ends it (the open transaction is
  rolled back) and the root's chain: the files after it are *skipped* with the reason.
  ``CREATE EXTENSION`` of an extension the server does not have
  (``pg_available_extensions``), or a failure that says the server lacks a file or an
  extension it needs (:func:`extension_missing`: 58P01, 0A000, 42704 for a required
  extension the server does not have), is a
  *skip* of the chain with that reason, not a failure of the migration.
* **Observation**: for a statement that runs inside a transaction block (the tool's, the
  file's, or a block the replay opens around an autocommit statement that can run in one:
  same effect, since the block commits right after it), the same session reads its own
  relation locks from ``pg_locks`` after the statement and before the commit (eugene's
  method) and keeps the ``(relation, mode)`` pairs that were not held before the statement;
  it also compares ``pg_class.relfilenode`` of the relations the static model names before
  and after (a changed relfilenode is a rewrite). The ``CONCURRENTLY`` forms (which cannot
  run in a transaction block) run alone while a gate session holds ROW EXCLUSIVE on their
  table, and an observer session reads their locks while they wait for it
  (:func:`_run_gated`); other statements that cannot run in a transaction block
  (``VACUUM``, ``CREATE DATABASE``) are not observed.

The database driver is psycopg 3 (the ``verify`` extra), imported here only.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field

from linter.model import Direction
from linter.pg import transactions
from linter.pg.locks import LockMode
from linter.verify import snapshot

#: ``pg_locks.mode`` → :class:`LockMode`.
PG_LOCK_MODES = {
    "AccessShareLock": LockMode.ACCESS_SHARE,
    "RowShareLock": LockMode.ROW_SHARE,
    "RowExclusiveLock": LockMode.ROW_EXCLUSIVE,
    "ShareUpdateExclusiveLock": LockMode.SHARE_UPDATE_EXCLUSIVE,
    "ShareLock": LockMode.SHARE,
    "ShareRowExclusiveLock": LockMode.SHARE_ROW_EXCLUSIVE,
    "ExclusiveLock": LockMode.EXCLUSIVE,
    "AccessExclusiveLock": LockMode.ACCESS_EXCLUSIVE,
}

#: The relation locks this backend holds: (oid, schema, name, relkind, mode). A relation
#: the statement dropped has no pg_class row any more (schema and name are NULL): its name
#: from before the statement is used (:func:`_own_locks`).
_OWN_LOCKS = """
SELECT l.relation, n.nspname, c.relname, c.relkind, l.mode
FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND (n.nspname IS NULL OR (n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'))
"""


@dataclass(frozen=True)
class ObservedLock:
    """A relation lock the server granted to a statement: ``relation`` (``schema.name``),
    ``relkind`` (``pg_class.relkind``: ``r`` table, ``i`` index, ``p`` partitioned table …)
    and ``mode``. ``parent``: the relation it belongs to, as ``schema.name`` (an index's
    table, an owned sequence's table, a partition's or inheritance child's parent), else
    ``""``; ``new``: the statement created it (invisible to other sessions until commit),
    ``granted``: False for the request a gated CONCURRENTLY form was seen waiting for (it
    holds it once the gate goes); ``oid``: its ``pg_class`` OID, which a rename keeps (the
    judgement of a lock claim follows the relation, not its name: a lock taken under the
    old name is held under the new one)."""

    relation: str
    relkind: str
    mode: LockMode
    parent: str = ""
    new: bool = False
    granted: bool = True
    oid: int = 0


@dataclass
class StatementRun:
    """What happened to one statement.

    ``status``: ``"ok"``, ``"failed"`` (``sqlstate``, ``message``), ``"skipped"``
    (``reason``: an extension the server lacks) or ``"not-run"`` (an earlier statement
    ended the file); ``in_transaction``: whether it ran inside a transaction block (read
    from the connection), ``predicted``: what ``statement_flags`` said; ``observed``: True
    when its locks were read (``locks``, ``rewritten``: relations whose relfilenode changed,
    both as ``schema.name``; ``absent``: relations the static model names, as written, that
    did not exist before it, e.g. the table of a ``DROP TABLE IF EXISTS`` that only
    production has; ``index_tables``: ``(index, its table)`` for
    the relations the static model names that were indexes before it, both as schema.name: ``DROP INDEX``
    locks the index's table, which the model means but cannot name); ``oids``: ``(name as
    written, pg_class OID)`` of the relations the static model names that existed before it
    (a relation renamed earlier in the transaction is found by its OID among the locks
    already held); ``ms``: its duration."""

    stmt: object
    line: int
    status: str = "not-run"
    in_transaction: bool | None = None
    predicted: bool | None = None
    sqlstate: str | None = None
    message: str = ""
    reason: str = ""
    observed: bool = False
    locks: tuple[ObservedLock, ...] = ()
    rewritten: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    index_tables: tuple[tuple[str, str], ...] = ()
    oids: tuple[tuple[str, int], ...] = ()
    #: ``(relation, trigger, function)`` of the enabled user triggers on the relations a
    #: row-changing statement (:data:`_FIRES_TRIGGERS`) names, read only when it was granted
    #: a lock stronger than ROW EXCLUSIVE on a relation it does not name: the code they run
    #: (lemmy's ``REFRESH MATERIALIZED VIEW CONCURRENTLY`` in a statement trigger) is what
    #: took it, and ``verify-lock-differs`` says so
    triggers: tuple[tuple[str, str, str], ...] = ()
    ms: float = 0.0
    server_version: str = ""
    #: bare names of the tables the migration set knows the statement takes ACCESS
    #: EXCLUSIVE on through foreign keys and partition ties (set by
    #: :func:`linter.verify.findings.failure_findings`, from
    #: :func:`linter.migset.references.locked_through`)
    set_locked: tuple[str, ...] = ()
    #: the seed files (``--seed``) whose rows were in the database when it ran (a failed
    #: statement only; :func:`_replay_root`)
    seed: tuple[str, ...] = ()


@dataclass
class FileRun:
    """One file: ``status`` ``"applied"``, ``"failed"``, ``"skipped"`` (``reason``) or
    ``"not-replayed"`` (not part of the chain: down files, seeds); ``why``: how its tool runs
    it; ``statements``; ``source``/``ctx`` are kept for the findings and dropped after."""

    path: str
    root: str
    status: str
    reason: str = ""
    why: str = ""
    statements: list[StatementRun] = field(default_factory=list)
    ctx: object = None
    roundtrip: "RoundTrip | None" = None
    #: indexes this run left INVALID (``pg_index.indisvalid`` false) that were not before it:
    #: a failed ``CREATE [UNIQUE] INDEX CONCURRENTLY`` or ``REINDEX … CONCURRENTLY``
    invalid_indexes: list[str] = field(default_factory=list)
    #: the re-runs after a simulated failure at each commit point (:func:`_reruns`)
    reruns: list["Rerun"] = field(default_factory=list)
    #: a failed file that left invalid indexes, run again as it was left (:func:`_replay_root`)
    again: "FileRun | None" = None


@dataclass
class RoundTrip:
    """The up → down → up of one new migration (:func:`_round_trip`).

    ``down``: the :class:`FileRun` of its down (a down file, or the down section of the
    same file); ``status``: ``"ok"``, ``"down-failed"`` (a down statement failed or was
    skipped), ``"up-failed"`` (the up run again after the down failed: ``up_again``);
    ``not_reverted``: what differs between the schema before the up and after the down
    (:func:`linter.verify.snapshot.diff`), ``order_notes``: tables whose columns came back
    in another order; ``drift``: what differs between the schema after the up and after
    the up run again."""

    down: FileRun
    status: str = "ok"
    not_reverted: list[str] = field(default_factory=list)
    order_notes: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    up_again: FileRun | None = None


@dataclass
class Rerun:
    """The whole file run again after its first ``committed`` statements ran and committed
    and the deployment stopped there (a fresh copy of the database from before the file).
    ``run``: that run's :class:`FileRun`; ``drift``: what differs from the schema the
    plain run reached (:func:`linter.verify.snapshot.diff`) when it applied."""

    committed: int
    last_line: int
    run: FileRun
    drift: list[str] = field(default_factory=list)


@dataclass
class Replay:
    """The result of :func:`replay`: the server's ``version``, every file's :class:`FileRun`
    (discovery order) and ``roles`` created automatically."""

    version: str
    files: list[FileRun]
    roles: list[str] = field(default_factory=list)
    #: roots whose database got the seed rows (``--seed``) before their first new file
    seeded: list[str] = field(default_factory=list)


@dataclass
class Base:
    """A root's base schema, replayed once into the template database ``template``
    (:mod:`linter.verify.basecache`): ``runs``, the :class:`FileRun` of each base file
    (statements left out); ``paths``, their paths; ``stopped``, why the rest of the chain
    is not replayed ("" when it goes on); ``applied``: a base file was applied."""

    template: str
    runs: list[FileRun] = field(default_factory=list)
    stopped: str = ""
    applied: bool = False

    @property
    def paths(self) -> frozenset[str]:
        """The paths of the base files."""
        return frozenset(r.path for r in self.runs)


_DATABASES = itertools.count()
#: Part of every database name miglint makes, so that two runs on one server (a
#: ``--database-url``) never pick the same name.
_RUN_TOKEN = os.urandom(4).hex()


def database_name(suffix: str) -> str:
    """A fresh name for a database miglint makes: ``miglint_verify_<random>_<suffix>``."""
    return f"miglint_verify_{_RUN_TOKEN}_{suffix}"


def _quietly(fn, *args) -> None:
    """Clean-up that must not mask the exception being raised: on SIGTERM the server is
    already stopped (:func:`linter.verify.server.stop_all`) when these run, and the
    SystemExit must reach the caller, not a "server closed the connection" error."""
    try:
        fn(*args)
    except Exception:
        pass

#: SQLSTATEs of a missing object (undefined_table, undefined_object, invalid_schema_name,
#: undefined_function, undefined_column). When the first file a root replays fails with
#: one, the root does not start from an empty database (it builds on another root, or on a
#: schema made outside the migrations): the chain is skipped with the reason, not failed.
UNDEFINED = frozenset({"42P01", "42704", "3F000", "42883", "42703"})


class SetupError(Exception):
    """The ``--setup`` SQL failed (a usage error: exit 2)."""


class SeedError(SetupError):
    """A ``--seed`` file failed: its message names the file, the line of the statement,
    the SQLSTATE and the server's message (a usage error: exit 2, never a finding of the
    migrations)."""


def seed_statements(text: str) -> list[tuple[int, str]]:
    """``[(line, statement), …]`` of a seed file's SQL, split with PostgreSQL's grammar
    (pglast's ``split``: libpq_query's parser, so a ``;`` in a string or a ``$$`` body does
    not split). Raises :class:`ValueError` (``(line, message)`` in ``args``) when it does not
    parse."""
    from pglast import parser

    try:
        slices = parser.split(text, with_parser=True, only_slices=True)
    except parser.ParseError as exc:  # args: (message, 0-based character offset)
        at = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        raise ValueError(text[:at].count("\n") + 1, exc.args[0] if exc.args else str(exc)) from None
    return [(text[: sl.start].count("\n") + 1, text[sl]) for sl in slices]  # character offsets


def run_seed(conn, seed: tuple[tuple[str, str], ...], before: str) -> None:
    """Run the seed files ``seed`` (``((path, text), …)``, in order) on ``conn`` in one
    transaction, statement by statement, so that a failure names its line. ``before``: the
    path of the migration it runs before (for the message). Raises :class:`SeedError`
    naming the file, the line and that migration."""
    import psycopg

    conn.execute("BEGIN")
    try:
        for path, text in seed:
            try:
                statements = seed_statements(text)
            except ValueError as exc:
                line, msg = exc.args
                raise SeedError(f"the seed {path} cannot be parsed at line {line}: {msg}") from None
            for line, stmt in statements:
                try:
                    conn.execute(stmt)
                except psycopg.Error as exc:
                    msg = ((exc.diag.message_primary if exc.diag else None) or str(exc)).strip()
                    raise SeedError(f"the seed {path} failed at line {line} (run before {before}, on the schema the "
                                    f"migrations before it made): {exc.sqlstate or ''} {msg}".replace(":  ", ": ")) from None
        conn.execute("COMMIT")
    finally:
        if _status(conn) != "idle":
            _quietly(conn.execute, "ROLLBACK")


# --------------------------------------------------------------------------- roles

def _walk_roles(node, out: set[str]) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            if n.get("roletype") == "ROLESPEC_CSTRING" and n.get("rolename"):  # a RoleSpec, wrapped or not
                out.add(n["rolename"])
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)


def role_names(statements) -> tuple[set[str], set[str]]:
    """``(used, created)``: role names the statements need to exist (every ``RoleSpec``
    naming a role: ``GRANT … TO``, ``OWNER TO``, ``CREATE POLICY … TO``, ``ALTER DEFAULT
    PRIVILEGES FOR ROLE``, ``CREATE SCHEMA … AUTHORIZATION``, and ``SET ROLE``) and the
    names they create themselves (``CREATE ROLE``/``USER``/``GROUP``)."""
    used: set[str] = set()
    created: set[str] = set()
    for st in statements:
        if st.kind == "CreateRoleStmt":
            created.add(st.body.get("role", ""))
            continue
        if st.kind == "VariableSetStmt" and st.body.get("name") == "role":
            for a in st.body.get("args") or ():
                sval = a.get("A_Const", {}).get("sval", {}).get("sval")
                if sval:
                    used.add(sval)
            continue
        _walk_roles(st.body, used)
    return used, created


# --------------------------------------------------------------------------- replay

def _connect(conninfo: str):
    import logging

    import psycopg

    # psycopg logs "query cancellation failed" when SIGTERM stopped the server under a
    # running statement: expected then, and not for the user's terminal
    logging.getLogger("psycopg").addHandler(logging.NullHandler())

    conn = psycopg.connect(conninfo, autocommit=True)
    conn.add_notice_handler(lambda diag: None)  # "there is already a transaction in progress" etc.
    return conn


def _status(conn) -> str:
    from psycopg import pq

    st = conn.info.transaction_status
    return {pq.TransactionStatus.IDLE: "idle", pq.TransactionStatus.INTRANS: "intrans", pq.TransactionStatus.INERROR: "inerror"}.get(st, "other")


#: The relation each of the relations ``%s`` (an array of OIDs) belongs to: an index's
#: table, a partition's or inheritance child's parent, an owned sequence's table.
_PARENTS = """
SELECT c.oid, (
  SELECT pn.nspname || '.' || p.relname FROM pg_class p JOIN pg_namespace pn ON pn.oid = p.relnamespace
  WHERE p.oid = coalesce(
    (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid),
    (SELECT h.inhparent FROM pg_inherits h WHERE h.inhrelid = c.oid LIMIT 1),
    (SELECT d.refobjid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1)))
FROM pg_class c WHERE c.oid = ANY(%s)
"""


def _with_parents(conn, locks: dict) -> tuple[ObservedLock, ...]:
    """``locks`` (``{(oid, mode): ObservedLock}``) with ``parent`` filled in for the ones
    stronger than ROW EXCLUSIVE on relations that existed before (the ones
    ``verify-lock-differs`` judges; one query, only when there are such locks)."""
    import dataclasses

    want = sorted({oid for (oid, _), lk in locks.items() if not lk.new and lk.mode > LockMode.ROW_EXCLUSIVE})
    parents = dict(conn.execute(_PARENTS, (want,)).fetchall()) if want else {}
    return tuple(dataclasses.replace(lk, parent=parents[oid]) if parents.get(oid) else lk for (oid, _), lk in locks.items())


def _own_locks(conn, known: dict[int, str] | None = None, max_oid: int | None = None) -> dict[tuple[int, str], ObservedLock]:
    """The relation locks this session holds, ``{(oid, pg_locks mode): ObservedLock}``.
    ``known``: ``{oid: schema.name}`` from before the statement: a relation it renamed or
    dropped keeps the name the statement (and the static model) used for it. ``max_oid``:
    the highest ``pg_class`` OID before the statement (:func:`_max_oid`): a relation with a
    higher one was created by it."""
    known = known or {}
    out = {}
    for oid, nsp, rel, kind, mode in conn.execute(_OWN_LOCKS).fetchall():
        m = PG_LOCK_MODES.get(mode)
        name = known.get(oid) or (f"{nsp}.{rel}" if rel is not None else None)
        if m is not None and name is not None:
            out[(oid, mode)] = ObservedLock(name, kind or "", m, "", max_oid is not None and oid > max_oid, oid=oid)
    return out


def _max_oid(conn) -> int:
    """The highest relation OID now. OIDs come from one cluster-wide counter that only
    grows (until it wraps at 2^32, which a fresh cluster never reaches: "8.19. Object
    Identifier Types"), so a relation a later statement creates has a higher one."""
    return int(conn.execute("SELECT coalesce(max(oid::int8), 0) FROM pg_class").fetchone()[0])


def _relfilenodes(conn, names: list[str]) -> dict[str, tuple[str, int, int, str]]:
    """``{name as written: (schema.name, relfilenode, oid, table)}`` for the names that
    resolve now; ``table``: for an index, its table's ``schema.name``, else ``""``. A name
    the static model writes is the parser's, already folded (``"Recipient"`` in the SQL is
    ``Recipient``): one with capitals is looked up quoted first, then as it is."""
    out = {}
    for name in names:
        row = None
        quoted = ".".join('"' + p.replace('"', '""') + '"' for p in name.split("."))
        for form in (quoted, name) if name != name.lower() else (name,):  # lower case: both forms are one
            try:
                row = conn.execute(
                    "SELECT n.nspname || '.' || c.relname, c.relfilenode, c.oid, c.relkind "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.oid = to_regclass(%s)", (form,)).fetchone()
            except Exception:  # a name to_regclass cannot parse: leave it out
                row = None
            if row:
                break
        if row:
            table = ""
            if row[3] in ("i", "I"):
                t = conn.execute("SELECT tn.nspname || '.' || t.relname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                                 "JOIN pg_namespace tn ON tn.oid = t.relnamespace WHERE i.indexrelid = %s", (row[2],)).fetchone()
                table = t[0] if t else ""
            out[name] = (row[0], row[1], row[2], table)
    return out


#: Statements that fire the triggers of the table they change.
_FIRES_TRIGGERS = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt", "TruncateStmt"})


def _triggers(conn, oids: list[int]) -> tuple[tuple[str, str, str], ...]:
    """``(schema.table, trigger, schema.function)`` of the enabled triggers on the relations
    ``oids`` that are not the internal ones of foreign keys (``pg_trigger.tgisinternal``)."""
    return tuple(conn.execute(
        "SELECT n.nspname || '.' || c.relname, t.tgname, pn.nspname || '.' || p.proname FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace "
        "WHERE t.tgrelid = ANY(%s) AND NOT t.tgisinternal AND t.tgenabled <> 'D' ORDER BY 1, 2", (oids,)).fetchall())


#: Seconds a replayed statement may run before miglint cancels it (``--statement-timeout``).
STATEMENT_TIMEOUT = 60.0


class _Watchdog:
    """Cancels the statement running on ``conn`` after ``seconds`` from another thread
    (libpq's cancel request, as ``pg_cancel_backend`` does), so a migration that sets its
    own ``statement_timeout`` cannot turn it off; ``fired`` tells that it did. The
    statement then fails with SQLSTATE 57014 and the root's chain stops; the next root
    goes on."""

    def __init__(self, conn, seconds: float) -> None:
        import threading

        self.fired = False
        self._conn = conn
        self._timer = threading.Timer(seconds, self._cancel) if seconds and seconds > 0 else None

    def _cancel(self) -> None:
        self.fired = True
        cancel = getattr(self._conn, "cancel_safe", None) or self._conn.cancel
        try:
            cancel()
        except Exception:  # the statement ended meanwhile
            pass

    def __enter__(self) -> "_Watchdog":
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _gated_form(stmt) -> bool:
    """True for the CONCURRENTLY forms :func:`_run_gated` observes: ``CREATE INDEX``,
    ``DROP INDEX``, ``REINDEX`` and ``DETACH PARTITION`` … ``CONCURRENTLY``."""
    form = transactions.cannot_run_in_transaction(stmt)
    return bool(form) and "CONCURRENTLY" in form


#: How long the observer waits for a gated statement to queue behind the gate (seconds).
GATE_WAIT = 5.0


def _gate_on(stmt, effects) -> str | None:
    """The relation the gate of :func:`_run_gated` locks, as written: the partition for
    ``DETACH PARTITION … CONCURRENTLY`` (with a writer on the parent it waits holding no
    relation lock; with one on the partition it is seen holding SHARE UPDATE EXCLUSIVE on
    the parent and asking ACCESS EXCLUSIVE on the partition in its second transaction:
    the verify design brief's spike, §5.2, checked again in tests/test_verify_rerun.py),
    else the statement's table (None: the first relation the model names)."""
    if stmt.kind == "AlterTableStmt":
        for c in stmt.body.get("cmds", ()):
            cmd = c.get("AlterTableCmd", {})
            part = cmd.get("def", {}).get("PartitionCmd", {})
            if cmd.get("subtype") == "AT_DetachPartition" and part.get("concurrent") and part.get("name"):
                from linter.pg import names as pgnames

                return pgnames.relation(part["name"]) or None
    return None


def _run_gated(conn, text: str, names: list[str], max_oid: int | None = None, gate_on: str | None = None) -> tuple[tuple[ObservedLock, ...], bool]:
    """Run ``text`` (a CONCURRENTLY form, which cannot run in a transaction block and so
    releases its locks before miglint could read them) on ``conn`` while a *gate* session
    holds ROW EXCLUSIVE on its table (``gate_on``, as written, when given: see
    :func:`_gate_on`), as an application writer in a transaction would. The statement
    takes its lock, then waits for the gate's transaction (CONCURRENTLY builds and drops
    wait for every transaction that could write the table: PostgreSQL docs, CREATE INDEX,
    "Building Indexes Concurrently"); an observer session reads its relation locks from
    ``pg_locks`` until it waits: the granted ones, and the relation lock it waits for
    (kept with ``granted=False``: it holds it once the gate goes); then the gate rolls
    back and the statement completes. Returns ``(locks, observed)``; ``observed`` is False
    when there is no table to gate, the statement finished before it waited, or no
    relation lock was seen. ``max_oid``: see :func:`_own_locks`. Errors of the statement
    are raised. Method from the verify design brief's spike (shared/designs/verify.md, §4.4)."""
    import threading

    import psycopg
    from psycopg import sql as pgsql
    from psycopg.conninfo import make_conninfo

    tables = []
    for name in ([gate_on] if gate_on else []) + names:
        row = conn.execute(
            "SELECT coalesce(i.indrelid, c.oid) FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid "
            "WHERE c.oid = to_regclass(%s)", (name,)).fetchone()
        if row and row[0] not in tables:
            tables.append(row[0])
    if not tables:
        conn.execute(text)
        return (), False
    known = {}
    parents = {}
    for oid in tables:
        for r in conn.execute("SELECT c.oid, n.nspname || '.' || c.relname, i.indrelid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "LEFT JOIN pg_index i ON i.indexrelid = c.oid "
                              "WHERE c.oid = %s OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = %s)", (oid, oid)).fetchall():
            known[r[0]] = r[1]
            if r[2] is not None:
                parents[r[0]] = r[2]
    params = conn.info.get_parameters()
    if conn.info.password:  # get_parameters() leaves the password out (a --database-url server has one)
        params["password"] = conn.info.password
    pid = conn.info.backend_pid
    gate = _connect(make_conninfo(**params))
    watcher = _connect(make_conninfo(**params))
    failure: list[BaseException] = []

    def work():
        try:
            conn.execute(text)
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    seen: dict = {}
    waited = False
    try:
        gate.execute("BEGIN")
        gate.execute(pgsql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(pgsql.Identifier(*known[tables[0]].split(".", 1))))
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        deadline = time.monotonic() + GATE_WAIT
        while worker.is_alive() and time.monotonic() < deadline:
            rows = watcher.execute("SELECT l.locktype, l.relation, l.mode, l.granted, c.relkind, n.nspname, c.relname FROM pg_locks l "
                                   "LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace "
                                   "WHERE l.pid = %s", (pid,)).fetchall()
            for locktype, oid, mode, granted, kind, nsp, rel in rows:
                m = PG_LOCK_MODES.get(mode)
                name = known.get(oid) or (f"{nsp}.{rel}" if rel else None)
                if locktype == "relation" and m is not None and name and not name.startswith(("pg_catalog.", "information_schema.", "pg_toast.")):
                    parent = known.get(parents.get(oid), "")
                    seen[(oid, mode)] = ObservedLock(name, kind or "", m, parent, max_oid is not None and oid > max_oid, bool(granted), oid)
            if any(not r[3] for r in rows):
                waited = True
                break
            time.sleep(0.002)
    finally:
        try:
            gate.execute("ROLLBACK")
        finally:
            gate.close()
            watcher.close()
    worker.join()
    if failure:
        if isinstance(failure[0], psycopg.Error):
            raise failure[0]
        raise RuntimeError(f"the statement failed: {failure[0]}")
    return tuple(seen.values()), waited and bool(seen)


#: SQLSTATEs of ``CREATE EXTENSION`` when the server lacks what it needs: 58P01 (no control
#: file, or the shared library it loads is not installed: "could not access file
#: "$libdir/postgis-3""), 0A000 (feature_not_supported: an extension the server cannot
#: install, e.g. one marked for another major).
EXTENSION_MISSING = frozenset({"58P01", "0A000"})


def extension_missing(sqlstate: str, message: str, available: set[str] | None) -> bool:
    """True when a failed ``CREATE EXTENSION`` failed because the *server* lacks something
    (:data:`EXTENSION_MISSING`), or with 42704 "required extension "x" is not installed"
    for an ``x`` the server does not have (``available``: ``pg_available_extensions``).
    42704 for an ``x`` it has is the migration's own failure (it needs ``CASCADE`` or an
    earlier ``CREATE EXTENSION x``). Source: PostgreSQL src/backend/commands/extension.c
    (``get_required_extension``: ERRCODE_UNDEFINED_OBJECT)."""
    if sqlstate in EXTENSION_MISSING:
        return True
    if sqlstate == "42704":
        import re

        m = re.search(r'required extension "([^"]+)" is not installed', message)
        return bool(m) and available is not None and m.group(1) not in available
    return False


def _extension_name(stmt) -> str | None:
    return stmt.body.get("extname") if stmt.kind == "CreateExtensionStmt" else None


def _statement_text(stmt, config) -> tuple[str, bool]:
    """The SQL to send for ``stmt`` (placeholders substituted) and whether a placeholder is
    left unresolved."""
    from linter.source import has_placeholder, substitute_placeholders

    text = stmt.text
    syntaxes = tuple(config.placeholder_syntax)
    if not has_placeholder(text, syntaxes):
        return text, False
    if config.placeholders:
        text = substitute_placeholders(text, config.placeholders, syntaxes, dummies=False)[0]
    return text, has_placeholder(text, syntaxes)


def parse_files(files, config, skip: frozenset[str] = frozenset()):
    """``(parsed, used, created)``: ``{path: (Source or None, ReadResult, FileContext or
    None)}`` of the replayable files (up, repeatable, baseline, down) not in ``skip``, and
    the role names their up code uses and creates (:func:`role_names`)."""
    from linter.engine import FileContext
    from linter.source import Source, read_text

    parsed = {}
    used: set[str] = set()
    created: set[str] = set()
    for f in files:
        if f.direction not in (Direction.UP, Direction.REPEATABLE, Direction.BASELINE, Direction.DOWN) or f.path in skip:
            continue
        read = read_text(f.abspath, config.max_file_size)
        if read.text is None:
            parsed[f.path] = (None, read, None)
            continue
        source = Source(read.text, f, placeholders=config.placeholders, placeholder_syntax=config.placeholder_syntax)
        parsed[f.path] = (source, read, FileContext(f, source, read, config))
        if source.error is None:
            u, c = role_names([s for s in source.all_statements() if s.section is not Direction.DOWN])
            used |= u
            created |= c
    return parsed, used, created


def create_roles(admin, names) -> list[str]:
    """Create a ``NOLOGIN`` role for each of ``names`` (sorted; ``pg_*`` names are
    reserved and left out); returns the names created.

    The connected role must be a superuser or have ``CREATEROLE`` (a ``--database-url``
    role may have neither): checked before the first one, and a
    :class:`~linter.verify.server.ServerError` (exit 2) names the roles and the ways out
    otherwise, never a traceback half-way. A role with ``CREATEROLE`` that is no superuser
    is also made a member of each role it creates (``GRANT name TO current_user``), as a
    superuser implicitly is: ``ALTER … OWNER TO name``, ``CREATE SCHEMA … AUTHORIZATION
    name`` and ``SET ROLE name`` need that membership (PostgreSQL docs, ALTER TABLE: "you
    must be able to SET ROLE to the new owning role"; CREATE ROLE: from 16 the creator gets
    ``ADMIN OPTION`` on the role, up to 15 ``CREATEROLE`` may grant any non-superuser role),
    so they do not fail for want of what a superuser deploying them has."""
    from psycopg import sql as pgsql

    wanted = [n for n in sorted(names) if not n.startswith("pg_")]  # pg_*: reserved, the predefined roles exist
    if not wanted:
        return []
    user, superuser, createrole = admin.execute(
        "SELECT current_user, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user").fetchone()
    if not (superuser or createrole):
        from linter.verify.server import ServerError

        raise ServerError(f"the role {user!r} may not create roles (it needs CREATEROLE, or to be a superuser), and the "
                          f"migrations name roles the server does not have: {', '.join(wanted)}. Grant it CREATEROLE, create "
                          f"those roles on the server first, or set `verify: roles: off` (the statements that name them "
                          f"then fail with 42704)")
    made = []
    for name in wanted:
        admin.execute(pgsql.SQL("CREATE ROLE {} NOLOGIN").format(pgsql.Identifier(name)))
        if not superuser:
            admin.execute(pgsql.SQL("GRANT {} TO CURRENT_USER").format(pgsql.Identifier(name)))
        made.append(name)
    return made


def replay(files, config, server, *, setup: tuple[str, ...] = (), auto_roles: bool = True, observe: bool = True,
           statement_timeout: float = STATEMENT_TIMEOUT, new: frozenset[str] | None = None, roundtrip: str = "new",
           rerun: str = "new", progress=None, bases: dict[str, Base] | None = None,
           seed: tuple[tuple[str, str], ...] = ()) -> Replay:
    """Replay ``files`` (a discovery's files) on ``server`` (a started
    :class:`~linter.verify.server.LocalServer`) as the module docstring says. ``setup``:
    SQL texts run (each as one query) in every root's database before its first file.
    ``statement_timeout``: seconds after which a statement is cancelled from outside
    (:class:`_Watchdog`). ``new``: the paths of the change's new files (``--base``): the
    others are the base, replayed without observation, and a base file that fails stops
    its root as *skipped* (the change did not bring that failure), not as a finding.
    ``None``: every file is new. ``roundtrip`` (:data:`ROUNDTRIP`): which files run their
    down and their up again (:func:`_round_trip`); ``rerun`` (same choices): which files that do
    not run in one transaction are run again after a simulated failure at each commit point
    (:func:`_reruns`). ``progress``: called as ``progress(i, n, file_run)`` after each of the
    ``n`` files (``miglint verify``'s line per migration on a terminal). ``bases``: ``{root: Base}``, roots whose
    base files are already in a template database (:mod:`linter.verify.basecache`): their
    databases are made from it and those files are neither parsed nor run again.
    ``seed``: ``((path, text), …)``, SQL run in each root's database after its base (the
    files before its first new one) and before that new file (:func:`_replay_root`).
    Raises :class:`SetupError` when a setup text fails, :class:`SeedError` when a seed does."""
    bases = bases or {}
    version = server.version_text
    roots: dict[str, list] = {}
    for f in files:
        roots.setdefault(f.root, []).append(f)
    # parse every file once; roles are cluster-wide, so collected over all roots first
    parsed, used, created = parse_files(files, config, frozenset().union(*(b.paths for b in bases.values())))
    out: list[FileRun] = _Progress(progress, len(files)) if progress else []
    admin = _connect(server.conninfo())
    made_roles: list[str] = []
    seeded: list[str] = []
    try:
        from psycopg import sql as pgsql

        roles_before = {r[0] for r in admin.execute("SELECT rolname FROM pg_roles").fetchall()}
        try:
            if auto_roles:
                made_roles = create_roles(admin, used - created - roles_before)
            for root, root_files in roots.items():
                base = bases.get(root)
                db = _RootDatabase(admin, server, root, setup, template=base.template if base else None)
                try:
                    _replay_root(db, root, root_files, parsed, config, out, version, observe, statement_timeout, new, roundtrip, rerun,
                                 base, seed=seed)
                    if db.seeded:
                        seeded.append(root)
                finally:
                    db.drop()
        finally:
            # roles are the cluster's: leave it with the roles it had (the replay's databases,
            # which own what the roles hold, are dropped by now), also after a setup or seed
            # error (a --database-url server is left as it was found)
            try:
                now = [r[0] for r in admin.execute("SELECT rolname FROM pg_roles").fetchall()]
            except Exception:  # the server is gone (SIGTERM): nothing to leave clean
                now = []
            for name in now:
                if name not in roles_before:
                    _quietly(admin.execute, pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(name)))
    finally:
        _quietly(admin.close)
    return Replay(version, list(out), made_roles, seeded)


class _Progress(list):
    """The list of :class:`FileRun` that reports each one as it is added."""

    def __init__(self, callback, total: int) -> None:
        super().__init__()
        self.callback, self.total = callback, total

    def append(self, fr) -> None:
        super().append(fr)
        self.callback(len(self), self.total, fr)


class _RootDatabase:
    """The fresh database of one root: created with the setup SQL run in it (``conn`` is
    connected to it), :meth:`reset` to start it again empty (after a round trip that did
    not come back), :meth:`drop` at the end. Roles are the cluster's: those made while
    the root ran are dropped by :meth:`reset` and :meth:`drop`, so that the next root (or
    the replay again) can create them."""

    def __init__(self, admin, server, root: str, setup, template: str | None = None, name: str | None = None) -> None:
        self.admin, self.server, self.root, self.setup = admin, server, root, setup
        self.template = template  # a base schema (its setup SQL already ran in it)
        self.fixed_name = name
        self.seeded = False  # the seed ran in it (_replay_root)
        self.roles = self._roles()
        self.name = ""
        self.conn = None
        self._create()

    def _roles(self) -> set[str]:
        return {r[0] for r in self.admin.execute("SELECT rolname FROM pg_roles").fetchall()}

    def _create(self) -> None:
        from psycopg import sql as pgsql

        self.name = self.fixed_name or database_name(str(next(_DATABASES)))
        self.admin.execute(pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(pgsql.Identifier(self.name),
                                                                          pgsql.Identifier(self.template or "template0")))
        self.conn = _connect(self.server.conninfo(self.name))
        for text in () if self.template else self.setup:
            try:
                self.conn.execute(text)
            except Exception as exc:
                raise SetupError(f"the setup SQL failed in the database of {self.root or '.'}: {exc}") from None

    def drop(self) -> None:
        """Close, drop the database and the roles made since the root started."""
        from psycopg import sql as pgsql

        if self.conn is not None:
            _quietly(self.conn.close)
        _quietly(self.admin.execute, pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(self.name)))
        try:
            made = self._roles() - self.roles
        except Exception:
            made = set()
        for name in sorted(made):
            _quietly(self.admin.execute, pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(name)))

    def reset(self):
        """A new empty database (setup run) in place of this one; returns its connection."""
        self.drop()
        self._create()
        return self.conn

    def freeze(self) -> str:
        """The name of a new database copied from this one as it is now (``CREATE DATABASE
        … TEMPLATE``, which needs no other session connected to the template: ``conn`` is
        closed and opened again, so session settings of earlier files are not kept)."""
        from psycopg import sql as pgsql

        self.conn.close()
        name = f"{self.name}_t{next(_DATABASES)}"
        try:
            self.admin.execute(pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(pgsql.Identifier(name), pgsql.Identifier(self.name)))
        finally:
            self.conn = _connect(self.server.conninfo(self.name))
        return name

    def copy_of(self, template: str):
        """``(name, connection)`` of a new database copied from ``template`` (:meth:`freeze`)."""
        from psycopg import sql as pgsql

        name = f"{self.name}_c{next(_DATABASES)}"
        self.admin.execute(pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(pgsql.Identifier(name), pgsql.Identifier(template)))
        return name, _connect(self.server.conninfo(name))

    def discard(self, name: str, conn=None) -> None:
        """Close ``conn`` and drop the database ``name`` (a :meth:`freeze` or :meth:`copy_of`)."""
        from psycopg import sql as pgsql

        if conn is not None:
            _quietly(conn.close)
        _quietly(self.admin.execute, pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


def _order(root_files):
    """The chain of a root: versioned up and baseline files in discovery (version) order,
    then Flyway's repeatable files (Flyway applies them after the versioned ones). A file
    without a version (``data_oauth_github.sql`` beside crates.io's diesel directories) is
    not run by the root's tool: it is left out."""
    ups = [f for f in root_files if f.direction in (Direction.UP, Direction.BASELINE) and f.version is not None]
    reps = [f for f in root_files if f.direction is Direction.REPEATABLE]
    return ups + reps


#: ``--roundtrip``: ``new``, the change's new files with ``--base``, else the last up file
#: of each root (the snapshot grows with the schema: every file of a long history costs
#: minutes); ``all``, every up file; ``off``.
ROUNDTRIP = ("new", "all", "off")


#: Most commit points re-run per file (the verify design brief, §4.7).
MAX_RERUNS = 20


def commit_points(statements, tx) -> list[int]:
    """The counts ``k`` (``1 <= k < n``) of leading statements of an up run (``statements``,
    in order) that have committed on their own when statement ``k + 1`` starts: after a
    statement the tool runs outside a transaction (autocommit; ``statement_flags`` of
    :mod:`linter.pg.transactions`), and after the file's own ``COMMIT`` (which ends the
    tool's transaction, an explicit block, or PostgreSQL's implicit block of a
    multi-statement query: docs 55.2.2.1). A file the tool runs in one transaction has none:
    it commits whole or not at all."""
    flags, _ = transactions.statement_flags(statements, tx)
    out = []
    for i, st in enumerate(statements[:-1]):
        if st.kind == "TransactionStmt":
            if st.body.get("kind") == "TRANS_STMT_COMMIT":
                out.append(i + 1)
        elif not flags.get(id(st), True):
            out.append(i + 1)
    return out


def _invalid_indexes(conn) -> set[str]:
    """``schema.name`` of every index of the database with ``pg_index.indisvalid`` false."""
    return {r[0] for r in conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid").fetchall()}


def _freeze(db) -> str | None:
    """:meth:`_RootDatabase.freeze`, or None when the server refuses the copy (the file is
    then replayed without re-runs)."""
    import psycopg

    try:
        return db.freeze()
    except psycopg.Error:
        return None


def _reruns(db, template, f, source, ctx, tx, points, config, version, timeout, reached) -> list[Rerun]:
    """For each commit point ``k`` (:func:`commit_points`, at most :data:`MAX_RERUNS`): a
    copy of ``template`` (the database before the file), the first ``k`` statements run
    and committed, the deployment stopped there, then the whole file run again as its tool
    runs it; it should apply and reach ``reached`` (the snapshot after the plain run)."""
    up = [s for s in source.statements if s.section is not Direction.DOWN]
    out = []
    import psycopg

    for k in points[:MAX_RERUNS]:
        try:
            name, conn = db.copy_of(template)
        except psycopg.Error:  # no copy (the server refuses another database): no more re-runs
            break
        try:
            first = _replay_file(conn, f, source, ctx, tx, config, version, False, timeout, limit=k)
            if first.status != "applied":
                continue
            again = _replay_file(conn, f, source, ctx, tx, config, version, False, timeout)
            rr = Rerun(k, up[k - 1].span.end.line, again)
            if again.status == "applied":
                rr.drift, _ = snapshot.diff(reached, snapshot.take(conn))
            out.append(rr)
        finally:
            db.discard(name, conn)
    return out


def _replay_root(db, root, root_files, parsed, config, out, version, observe, timeout, new=None, roundtrip="off",
                 rerun="off", base: Base | None = None, seed: tuple[tuple[str, str], ...] = ()) -> tuple[str, bool]:
    """Replay one root's chain on ``db`` (a :class:`_RootDatabase`), appending a
    :class:`FileRun` per file to ``out``; returns ``(stopped, applied)`` (see :class:`Base`).
    ``base``: the files it lists are already in ``db`` (made from its template): their
    runs are reported as they were, and the chain goes on after them. ``seed``
    (:func:`run_seed`) runs right before the root's first new file (``new``; without it,
    the last up file, the one ``--roundtrip new`` takes), on the schema the files before it
    made; a rebuild after a round trip runs it again at the same point, and the copies the
    re-runs start from hold its rows. A failed statement that ran on its rows gets their
    paths (:attr:`StatementRun.seed`)."""
    conn = db.conn
    done = []  # (file, source, ctx, transaction) applied since the database was made, to rebuild after a round trip
    stopped = base.stopped if base else ""  # why the rest of the chain is not replayed
    applied = base.applied if base else False  # a file of the root was applied
    skip = base.paths if base else frozenset()
    if base:
        out.extend(base.runs)
    chain = [f for f in _order(root_files) if f.path not in skip]
    in_chain = {id(f) for f in chain}
    downs = {f.migration_id: f for f in root_files if f.direction is Direction.DOWN and f.migration_id}
    for f in root_files:
        if id(f) not in in_chain and f.path not in skip:
            why = "it has no version, so the migration tool does not run it" if f.version is None else f"{f.direction} files are not part of the chain"
            out.append(FileRun(f.path, root, "not-replayed", reason=why))
    last_up = next((g for g in reversed(chain) if g.direction is Direction.UP), None)
    seed_at = next((g for g in chain if (g.path in new if new is not None else g is last_up)), None) if seed else None
    seed_paths = tuple(p for p, _ in seed)
    # (connection, snapshot) when nothing has run on that connection since the snapshot: the
    # end of a round trip that came back, the schema the next file's round trip starts from
    held = None
    for f in chain:
        prev, held = held, None
        source, read, ctx = parsed[f.path]
        if stopped:
            out.append(FileRun(f.path, root, "skipped", reason=stopped))
            continue
        if f is seed_at:
            run_seed(db.conn, seed, f.path)
            db.seeded = True
            prev = None  # the seed ran on the connection since that snapshot
            done.append((None, None, None, None))  # where a rebuild runs it again
        if source is None:
            out.append(FileRun(f.path, root, "skipped", reason=f"cannot be read: {read.message}"))
            stopped = f"{f.path} could not be read"
            continue
        if source.error is not None:
            at, msg = source.error
            pos = source.index.position(at)
            out.append(FileRun(f.path, root, "skipped", reason=f"miglint cannot parse it ({msg} at line {pos.line})"))
            stopped = f"{f.path} was not replayed (miglint cannot parse it)"
            continue
        tx = ctx.pg.transaction
        if tx.unknown:
            out.append(FileRun(f.path, root, "not-replayed", reason=tx.why, why=tx.why))
            continue
        is_new = new is None or f.path in new
        trip = roundtrip == "all" or (roundtrip == "new" and (f.path in new if new is not None else f is last_up))
        down = _down_of(f, source, downs, parsed) if trip and f.direction is Direction.UP else None
        up = [s for s in source.statements if s.section is not Direction.DOWN]
        rerun_it = f.direction is Direction.UP and (rerun == "all" or (rerun == "new" and (f.path in new if new is not None else f is last_up)))
        points = commit_points(up, tx) if rerun_it else []
        template = _freeze(db) if points else None
        conn = db.conn
        invalid = _invalid_indexes(conn) if is_new and any(_gated_form(s) for s in up) else None
        before = (prev[1] if prev is not None and prev[0] is conn else snapshot.take(conn)) if down else None
        run = _replay_file(conn, f, source, ctx, tx, config, version, observe and is_new, timeout)
        if invalid is not None:
            run.invalid_indexes = sorted(_invalid_indexes(conn) - invalid)
        # the schema the up reached: the re-runs must reach it, the round trip's up again too
        reached = snapshot.take(conn) if run.status == "applied" and (template is not None or down) else None
        if template is not None:
            if run.status == "applied":
                run.reruns = _reruns(db, template, f, source, ctx, tx, points, config, version, timeout, reached)
            db.discard(template)
        if run.status == "failed" and run.invalid_indexes:
            # the deployment failed here and left the index; it is run again as it was left
            # (the chain stops at this file anyway)
            run.again = _replay_file(conn, f, source, ctx, tx, config, version, False, timeout)
        if run.status == "applied":
            done.append((f, source, ctx, tx))
        if down and run.status == "applied":
            run.roundtrip, last = _round_trip(conn, f, source, ctx, tx, down, before, config, version, timeout, run, reached)
            if run.roundtrip.status == "ok" and not run.roundtrip.drift:
                held = (conn, last)
            else:
                # the schema is not the one the up left (after a down that did not revert, an up
                # run again that succeeds and reaches the same schema puts it back): start again
                # from an empty database and apply the chain so far, unobserved, no round trips
                conn = db.reset()
                for g, gsource, gctx, gtx in done:
                    if g is None:
                        run_seed(conn, seed, seed_at.path)
                        continue
                    again = _replay_file(conn, g, gsource, gctx, gtx, config, version, False, timeout)
                    if again.status != "applied":
                        stopped = f"the chain could not be rebuilt after the round trip of {f.path} ({g.path}: {again.status})"
                        break
        if run.status == "failed" and not is_new:
            bad = next(s for s in run.statements if s.status == "failed")
            bad.status = run.status = "skipped"
            run.reason = bad.reason = (f"a migration of the base fails on an empty database: line {bad.line}: "
                                       f"{bad.sqlstate} {bad.message} (give what it needs with --setup FILE)")
        elif run.status == "failed" and not applied:
            bad = next(s for s in run.statements if s.status == "failed")
            if bad.sqlstate in UNDEFINED:
                bad.status = run.status = "skipped"
                run.reason = bad.reason = (f"the root does not start from an empty database: line {bad.line}: {bad.message} "
                                           f"(give what it builds on with --setup FILE)")
        if db.seeded:
            _mark_seed(run, seed_paths)
        applied = applied or run.status == "applied"
        out.append(run)
        if run.status == "failed":
            bad = next(s for s in run.statements if s.status == "failed")
            stopped = f"{f.path} failed at line {bad.line} ({bad.sqlstate})"
        elif run.status == "skipped":
            stopped = f"{f.path} was skipped: {run.reason}"
    return stopped, applied


def _mark_seed(run: FileRun, paths: tuple[str, ...]) -> None:
    """Give ``paths`` (the seed files) to the failed statements of ``run``: its up, its
    round trip's down and up again, its run again after a failure, its re-runs."""
    rt = run.roundtrip
    runs = [run, run.again] + ([rt.down, rt.up_again] if rt is not None else []) + [rr.run for rr in run.reruns]
    for r in runs:
        for sr in r.statements if r is not None else ():
            if sr.status == "failed":
                sr.seed = paths


def _down_of(f, source, downs, parsed):
    """``(file, source, ctx, transaction)`` of the down of the up file ``f``: its down
    section (dbmate, goose) or its paired down file (golang-migrate, diesel, Flyway
    ``U``), None when it has none or it cannot be parsed."""
    if any(s.section is Direction.DOWN for s in source.statements) or any(sec.direction is Direction.DOWN for sec in source.sections):
        ctx = parsed[f.path][2]
        return f, source, ctx, ctx.pg.transaction
    d = downs.get(f.migration_id)
    if d is None or d.path not in parsed:
        return None
    dsource, _, dctx = parsed[d.path]
    if dsource is None or dsource.error is not None:
        return None
    return d, dsource, dctx, dctx.pg.transaction


def _about(line: str, relations: set[str]) -> bool:
    """True when a :func:`linter.verify.snapshot.diff` line (``only after: column
    public.t.c``) is about one of ``relations`` (bare lower-case names): its object is the
    relation, belongs to it (column, constraint, trigger, policy), or bears PostgreSQL's
    default name for its index or sequence (``t_pkey``, ``t_id_seq``, ``t_version_key``)."""
    key = line.split(": ", 1)[-1].split(" ", 1)[-1].split(":", 1)[0]
    parts = key.split(".")
    return len(parts) >= 2 and any(parts[1] == r or parts[1].startswith(r + "_") for r in relations)


def _round_trip(conn, f, source, ctx, tx, down, before, config, version, timeout, up_run=None, after=None):
    """Up → down → up of ``f``, which has just been applied on ``conn`` (``before``: the
    snapshot from before its up; ``after``: from after it, taken here when None): run the
    down as its tool runs it, snapshot and compare with ``before``, run the up again,
    snapshot and compare with ``after``. The seqwall "staircase" check, on a catalog
    snapshot (:mod:`linter.verify.snapshot`). Returns ``(RoundTrip, the last snapshot)``:
    the snapshot after the up run again (None when it did not apply), which is the schema
    on ``conn`` until something else runs there."""
    after = after if after is not None else snapshot.take(conn)
    dfile, dsource, dctx, dtx = down
    rt = RoundTrip(_replay_file(conn, dfile, dsource, dctx, dtx, config, version, False, timeout, section=Direction.DOWN))
    if rt.down.status != "applied":
        rt.status = "down-failed"
        return rt, None
    rt.not_reverted, rt.order_notes = snapshot.diff(before, snapshot.take(conn))
    # relations the up dropped with IF EXISTS that the replayed schema never had (a table only
    # production had): a down that creates them again is right for production, not a difference
    gone = {n.rsplit(".", 1)[-1].strip('"').lower() for sr in (up_run.statements if up_run else ()) for n in sr.absent}
    if gone:
        rt.not_reverted = [d for d in rt.not_reverted if not _about(d, gone)]
    rt.up_again = _replay_file(conn, f, source, ctx, tx, config, version, False, timeout)
    if rt.up_again.status != "applied":
        rt.status = "up-failed"
        return rt, None
    last = snapshot.take(conn)
    rt.drift, _ = snapshot.diff(after, last)
    return rt, last


def _replay_file(conn, f, source, ctx, tx, config, version, observe, timeout, section=Direction.UP, limit=None) -> FileRun:
    """Run the ``section`` statements of ``f`` on ``conn`` as its tool runs them (the module
    docstring). ``limit``: run only the first ``limit`` statements and stop there as a
    deployment that dies would (a transaction still open is rolled back)."""
    import psycopg

    if section is Direction.DOWN:
        stmts = [s for s in source.statements if s.section is Direction.DOWN]
    else:
        stmts = [s for s in source.statements if s.section is not Direction.DOWN]
    if limit is not None:
        stmts = stmts[:limit]
    predicted, _ = transactions.statement_flags(stmts, tx)
    run = FileRun(f.path, f.root, "applied", why=tx.why, ctx=ctx)
    run.statements = [StatementRun(s, s.span.start.line, predicted=predicted.get(id(s)), server_version=version) for s in stmts]
    available = None
    # the highest relation OID when the open transaction began: a relation above it was
    # created in this transaction and is invisible to other sessions (its locks block nobody)
    tx_oid = None
    if tx.wrapped and not tx.implicit:
        tx_oid = _max_oid(conn) if observe else None
        conn.execute("BEGIN")
    for sr in run.statements:
        st = sr.stmt
        text, unresolved = _statement_text(st, config)
        if unresolved:
            run.status, run.reason = "skipped", f"line {sr.line}: a placeholder has no value (set it under `placeholders:`)"
            sr.status, sr.reason = "skipped", run.reason
            break
        ext = _extension_name(st)
        if ext:
            if available is None:
                available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
            if ext not in available:
                run.status = "skipped"
                run.reason = sr.reason = f"line {sr.line}: the server has no extension {ext!r} (install it, or verify on a server that has it)"
                sr.status = "skipped"
                break
        if tx.implicit and st.kind != "TransactionStmt" and _status(conn) == "idle":
            tx_oid = _max_oid(conn) if observe else None
            conn.execute("BEGIN")  # the implicit block of a multi-statement query
        in_tx = _status(conn) == "intrans"
        own_block = False
        if observe and not in_tx and st.kind != "TransactionStmt" and transactions.cannot_run_in_transaction(st, ctx.pg_version) is None:
            tx_oid = _max_oid(conn)
            conn.execute("BEGIN")  # observe an autocommit statement: the block commits right after it
            own_block = True
        sr.in_transaction = in_tx
        watch = observe and (in_tx or own_block) and st.kind != "TransactionStmt"
        gated = observe and not in_tx and not own_block and _gated_form(st)
        effects = ctx.pg.locks(st) if watch or gated else []
        names = sorted({e.relation for e in effects if e.relation})
        nodes = _relfilenodes(conn, names) if watch or gated else {}
        sr.index_tables = tuple((v[0], v[3]) for v in nodes.values() if v[3])
        sr.oids = tuple((n, v[2]) for n, v in nodes.items())
        known = {v[2]: v[0] for v in nodes.values()}
        before = _own_locks(conn, known) if watch else {}
        max_oid = (tx_oid if tx_oid is not None and watch else _max_oid(conn)) if watch or gated else None
        t0 = time.perf_counter()
        dog = _Watchdog(conn, timeout)
        try:
            with dog:
                if gated:
                    sr.locks, sr.observed = _run_gated(conn, text, [e.relation for e in effects if e.relation], max_oid, _gate_on(st, effects))
                else:
                    conn.execute(text)
        except psycopg.Error as exc:
            sr.ms = (time.perf_counter() - t0) * 1000
            sqlstate = exc.sqlstate or ""
            msg = (exc.diag.message_primary or str(exc)).strip()
            if dog.fired and sqlstate == "57014":
                msg = f"cancelled by miglint after {timeout:g} s (--statement-timeout)"
            if _status(conn) in ("intrans", "inerror"):
                conn.execute("ROLLBACK")  # the tool rolls its transaction back
            if ext and extension_missing(sqlstate, msg, available):
                run.status = "skipped"
                run.reason = sr.reason = f"line {sr.line}: the server has no extension {ext!r} ({msg})"
                sr.status = "skipped"
            else:
                run.status = "failed"
                sr.status, sr.sqlstate, sr.message = "failed", sqlstate, msg
            return run
        sr.ms = (time.perf_counter() - t0) * 1000
        sr.status = "ok"
        if watch and _status(conn) == "intrans":
            after = _own_locks(conn, known, max_oid)
            sr.locks = _with_parents(conn, {k: v for k, v in after.items() if k not in before})
            now = _relfilenodes(conn, names)
            sr.rewritten = tuple(sorted({now[n][0] for n in names if n in now and n in nodes and now[n][1] != nodes[n][1]}))
            sr.absent = tuple(n for n in names if n not in nodes)
            sr.observed = True
            if st.kind in _FIRES_TRIGGERS and nodes and any(
                    not lk.new and lk.mode > LockMode.ROW_EXCLUSIVE and lk.oid not in known for lk in sr.locks):
                sr.triggers = _triggers(conn, list(known))
        if own_block:
            try:
                conn.execute("COMMIT")
            except psycopg.Error as exc:  # a deferred constraint: the statement fails at its commit
                sr.status, sr.sqlstate, sr.message = "failed", exc.sqlstate or "", (exc.diag.message_primary or str(exc)).strip()
                run.status = "failed"
                return run
    if limit is not None and _status(conn) != "idle":
        conn.execute("ROLLBACK")  # the deployment died here: what was not committed is lost
    elif run.status == "applied" and _status(conn) != "idle":
        try:
            conn.execute("COMMIT")  # the tool's COMMIT (or the end of the implicit block)
        except psycopg.Error as exc:
            last = run.statements[-1]
            last.status, last.sqlstate, last.message = "failed", exc.sqlstate or "", (exc.diag.message_primary or str(exc)).strip()
            run.status = "failed"
    elif run.status == "skipped" and _status(conn) != "idle":
        conn.execute("ROLLBACK")
    return run
