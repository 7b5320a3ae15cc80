"""Find migration files and work out what their names and places say about them.

:func:`discover` walks the paths given on the command line and returns every migration
file as a :class:`~linter.model.MigrationFile` (convention, version, direction, root,
pairing id, dialect, options); :func:`classify` does the same for one file.

Decisions are taken **per directory first** and then per file, because a name alone is
often ambiguous (``20240101120000_x.sql`` is dbmate, goose, Supabase CLI or a plain
timestamp file depending on its siblings). Only names and directory listings are used,
plus small reads: the first 4 KB of files whose names could be dbmate/goose files
(to look for ``-- migrate:up`` / ``-- +goose Up``), diesel ``metadata.toml`` files and
Flyway script configuration files (``V1__x.sql.conf``).

Where the facts come from (each rule below cites its tool):

* Flyway: https://flywaydb.org/documentation/migrations#versioned-migrations — prefixes
  ``V`` (versioned), ``U`` (undo), ``R`` (repeatable), ``B`` (baseline), separator
  ``__``, version parts separated by ``.`` or ``_``. Versions compare numerically part by
  part and trailing zero parts are dropped (``1.20.0`` == ``1.20``), as Flyway's
  ``MigrationVersion.tokenize``/``compareTo`` do. Flyway scans a location recursively, so
  per-release sub-folders form one sequence.
* golang-migrate: https://github.com/golang-migrate/migrate/blob/master/MIGRATIONS.md —
  ``{version}_{title}.up.sql`` / ``.down.sql``, version an unsigned integer; one directory
  is one sequence; up and down pair by version.
* ory popx (kratos, hydra): regex ``^(\\d+)_([^.]+)(\\.[a-z0-9]+)?(\\.autocommit)?\\.(up|down)\\.sql$``
  from ``github.com/ory/x/popx``; a ``.postgres.`` file overrides the generic file of the
  same version and direction on PostgreSQL (``Migrations.SortAndFilter``);
  ``.autocommit.`` runs outside a transaction.
* dbmate: https://github.com/amacneil/dbmate#creating-migrations — files matching
  ``^(\\d+).*\\.sql$`` with ``-- migrate:up`` / ``-- migrate:down`` sections.
* goose: https://pressly.github.io/goose/documentation/annotations/ — ``-- +goose Up``.
* diesel: https://diesel.rs/guides/getting-started — ``<version>_<name>/up.sql`` and
  ``down.sql``; diesel_migrations takes the version as the directory name up to the first
  ``_`` with ``-`` removed and orders versions as strings; ``metadata.toml`` may say
  ``run_in_transaction = false``.
* Prisma: https://www.prisma.io/docs/orm/prisma-migrate/understanding-prisma-migrate/migration-histories
  — ``<timestamp>_<name>/migration.sql``.
* Synapse: ``synapse/storage/prepare_database.py`` — deltas in
  ``<schema>/delta/<schema_version>/`` are applied by schema version, and within one
  version sorted by file name; ``.sql.postgres`` files run on PostgreSQL only and
  ``.sql.sqlite`` on SQLite only; ``full_schemas/<v>/`` are snapshots used for new
  databases (``_setup_new_database``: the highest snapshot at or below the current version,
  then only the deltas above it), so deltas at or below 16, the version PostgreSQL support
  started from, never ran on PostgreSQL.

What the fields hold, per convention (``migration_id`` is always ``"<root>:<key>"``):

=============  ==============================  ===================================  =========================
convention     version (as written)            version_key                          id key (pairs up/down)
=============  ==============================  ===================================  =========================
FLYWAY         ``2_31_5``, ``17.1``; R: None   ints, trailing zeros dropped          ``V2.31.5`` (V, U, down/
                                                                                     mirror), ``B1.20``,
                                                                                     ``R__<desc>``
GOLANG_MIGRATE ``0001``, 20-digit popx         ``(int,)``                           version; ``<v>_<desc>``
                                                                                     when a version repeats
DBMATE, GOOSE, ``20240115120000``, ``0042``    ``(int,)``                           file stem
TIMESTAMP,
SEQUENTIAL
DIESEL         ``2019-03-22-170700[-0000]``    digit groups; 14-digit compact form  directory name
                                               split as ``(Y, M, D, HHMMSS)``
PRISMA         ``20230505085625``              ``(int,)``                           directory name
UP_DOWN_DIRS   ``001``                         ``(int,)``                           version (stem if repeated)
SYNAPSE        schema version ``83``           ``(83, "06_x.sql")``; full schema:   ``83/06_x.sql``
                                               ``(72,)``
SEED, UNKNOWN  None                            ``()``                               path under the root
=============  ==============================  ===================================  =========================

Whole-schema snapshots next to migrations of one convention (dhis2's
``base/dhis2_base_schema.sql``, dbmate's ``db/schema.sql``) are that convention's
BASELINE, rooted in their own directory; Synapse's ``common/schema_version.sql`` is a
SYNAPSE BASELINE.
"""

from __future__ import annotations

import gc
import os
import re
from collections import Counter, defaultdict
from typing import Any, Sequence

from linter import lazyre
from linter.model import NO_ARG, Convention, Direction, MigrationFile, Record, replace

__all__ = ["Discovery", "discover", "classify"]

# --------------------------------------------------------------------------- data


class Discovery(Record, frozen=False):
    """What :func:`discover` found.

    * ``files``: the migration files, sorted by ``root``, then ``version_key``, then ``path``.
    * ``notes``: human-readable remarks, e.g. ``"skipped 24 files for other SQL dialects
      (cockroach, mysql, sqlite3) under x/"`` (one such note per root).
    * ``errors``: ``(path, message)`` for given paths that do not exist and directories
      that cannot be listed; ``path`` as the user gave it (given paths) or relative to
      ``base_dir`` (directories met while walking).
    """

    files: list[MigrationFile]
    notes: list[str]
    errors: list[tuple[str, str]]

    def __init__(self, files: list[MigrationFile] = NO_ARG, notes: list[str] = NO_ARG,
                 errors: list[tuple[str, str]] = NO_ARG) -> None:
        self.files = [] if files is NO_ARG else files
        self.notes = [] if notes is NO_ARG else notes
        self.errors = [] if errors is NO_ARG else errors


# --------------------------------------------------------------------------- name rules

#: Directories never walked into (hidden directories are skipped too).
_SKIP_DIRS = frozenset({"node_modules", ".git", "__pycache__"})

#: Directory names that are a migration *location* (Flyway's default is ``db/migration``):
#: the Flyway root never climbs above one of these.
_LOCATION_NAMES = frozenset({"migration", "migrations", "migrate", "db", "database", "sql", "flyway"})
#: How deep a tree may be and still count as one Flyway location (dhis2: 1).
_FLYWAY_DEPTH = 3

#: Flyway: ``V1__x.sql``, ``U1__x.sql``, ``B1__x.sql`` and ``R__x.sql``; hawkbit-style
#: ``__POSTGRESQL`` dialect suffix before ``.sql``.
_FLYWAY = lazyre.compile(r"^(?:(?P<p>[VUB])(?P<ver>\d+(?:[._]\d+)*)|R)__(?P<desc>.*?)(?:__(?P<dia>[A-Z][A-Z0-9_]*?))?\.sql$")
#: Flyway dialect suffixes (hawkbit uses these names); anything else stays in the description.
_FLYWAY_DIALECTS = {
    "POSTGRESQL": "postgres",
    "POSTGRES": "postgres",
    "PG": "postgres",
    "MYSQL": "mysql",
    "MARIADB": "mariadb",
    "H2": "h2",
    "SQL_SERVER": "sqlserver",
    "SQLSERVER": "sqlserver",
    "MSSQL": "sqlserver",
    "DB2": "db2",
    "ORACLE": "oracle",
    "HSQLDB": "hsqldb",
    "DERBY": "derby",
    "SQLITE": "sqlite",
    "COCKROACH": "cockroach",
    "COCKROACHDB": "cockroach",
}
#: golang-migrate ``1_x.up.sql`` (popx dialect/autocommit infixes are split off the title
#: afterwards); authelia's ``V0001.Title.up.sql`` variant.
_GOLANG = lazyre.compile(r"^(?P<v>V?)(?P<ver>\d+)(?:[_.](?P<rest>.*?))?\.(?P<d>up|down)\.sql$")
#: harness/gitness's ``0021_name_up.sql`` variant, accepted only next to real golang-migrate files.
_GOLANG_UNDERSCORE = lazyre.compile(r"^(?P<ver>\d+)_(?P<rest>.+?)_(?P<d>up|down)\.sql$")
#: popx dialect infixes (``name.postgres.up.sql``).
_POPX_DIALECTS = {"postgres": "postgres", "mysql": "mysql", "sqlite3": "sqlite3", "sqlite": "sqlite", "cockroach": "cockroach", "all": None}
#: Plain numbered file: ``001_x.sql``, ``0001-x.sql``, ``000001.sql``, ``20240115120000_x.sql``.
_PLAIN = lazyre.compile(r"^(?P<ver>\d+)(?:[_-](?P<desc>.*?))?\.sql$")
#: Standard 000's hybrid numbering, date plus a sequence: ``2026_01_15_001_initial_schema.sql``
#: (version ``2026_01_15_001``, ordered as ``(2026, 1, 15, 1)``).
_HYBRID = lazyre.compile(r"^(?P<ver>(?:19|20)\d\d_(?:0[1-9]|1[0-2])_\d\d_\d+)(?:_(?P<desc>.*?))?\.sql$")
#: Directory of a diesel migration (``2020-06-30-135809_name``, ``00000000000000_x``, ``0001``).
_DIESEL_DIR = lazyre.compile(r"^(?P<ver>\d[\d-]*)(?:_(?P<desc>.*))?$")
#: Directory of a Prisma migration (``20230505085625_create_subscription_table``).
_PRISMA_DIR = lazyre.compile(r"^(?P<ver>\d+)_(?P<desc>.+)$")
#: Leading sequence number of a Synapse delta file (``06_x.sql``, ``03drop_x.sql``).
_SYNAPSE_NUM = lazyre.compile(r"^\d+_?")
#: A file name stem that says "whole-schema snapshot" (dhis2 ``dhis2_base_schema``, dbmate ``schema``).
_BASELINE_STEM = lazyre.compile(r"(?:^|[_.-])(?:base(?:line)?(?:_schema)?|schema|structure|full_schema|schema_dump)$", re.I)
#: Directories of scripts run once when a database is created (supabase/postgres
#: ``init-scripts/``, the postgres Docker image's ``/docker-entrypoint-initdb.d``): BASELINE.
_INIT_DIRS = frozenset({"init-scripts", "init_scripts", "initdb", "initdb.d", "docker-entrypoint-initdb.d"})
#: What plain ``pg_dump`` output starts with (pg_dump.c, ``dumpDatabase``/the archive
#: header: ``-- PostgreSQL database dump``, ``-- Dumped from database version``,
#: ``-- Dumped by pg_dump version``) ...
_DUMP_HEADER = lazyre.compile(rb"^--[ \t]*(?:PostgreSQL database dump\s*$|Dumped (?:from database|by pg_dump) version )", re.M)
#: ... and the comment it writes before each object (pg_backup_archiver.c, ``_printTocEntry``:
#: ``-- Name: users; Type: TABLE; Schema: public; Owner: app``). A migration may quote one
#: such comment with a copied definition: :func:`_is_dump` asks for several.
_DUMP_TOC = lazyre.compile(rb"^-- Name: [^;\n]+; Type: [A-Z ]+; Schema: [^;\n]*; Owner: ", re.M)
#: How many object comments of pg_dump in a file's head make it a dump.
_DUMP_TOC_MIN = 3
#: One ``key=value`` line of a Java properties file (``=``, ``:`` or blanks separate; lines
#: starting with ``#`` or ``!`` are comments and do not match).
_PROPERTY = lazyre.compile(r"\s*([^#!=:\s][^=:\s]*)\s*[=:\s]\s*(.*)")

#: Markers, matched like :mod:`linter.source` does (case-insensitive, at line start).
_DBMATE_UP = lazyre.compile(rb"^--\s*migrate:up\b", re.M | re.I)
_GOOSE_UP = lazyre.compile(rb"^--\s*\+goose\s+up\b", re.M | re.I)
_HEAD_BYTES = 4096
_O_READ = os.O_RDONLY | getattr(os, "O_BINARY", 0)

#: Directory names of per-dialect trees (vaultwarden ``mysql/``, hawkbit ``MYSQL/``, openfga,
#: authelia, gitness ``sqlite/``); skipped when a PostgreSQL sibling directory exists.
_OTHER_DIALECT_DIRS = {
    "mysql": "mysql",
    "mariadb": "mariadb",
    "sqlite": "sqlite",
    "sqlite3": "sqlite3",
    "mssql": "sqlserver",
    "sqlserver": "sqlserver",
    "sql_server": "sqlserver",
    "oracle": "oracle",
    "h2": "h2",
    "hsqldb": "hsqldb",
    "derby": "derby",
    "db2": "db2",
    "cockroach": "cockroach",
    "cockroachdb": "cockroach",
    "clickhouse": "clickhouse",
}
_POSTGRES_DIRS = frozenset({"postgres", "postgresql", "pg", "pgsql", "psql"})

_SKIP_DIALECT = "dialect"
_SKIP_SHADOWED = "shadowed"
_SKIP_SUPERSEDED = "superseded"

#: Synapse's schema version when it gained PostgreSQL support: commit 127fad17dd "Add
#: postgres database engine" (2015-04-14) has ``SCHEMA_VERSION = 16`` and
#: ``full_schemas/16``. ``_setup_new_database`` in ``synapse/storage/prepare_database.py``
#: builds a new database from the highest ``full_schemas/<N>`` at or below
#: ``SCHEMA_VERSION`` and then applies only deltas for versions above N (``start_ver += 1``
#: in ``_upgrade_existing_database`` when the version came from a full schema), and
#: ``synapse_port_db`` creates its PostgreSQL database the same way. So no PostgreSQL
#: database ever ran a delta at version 16 or below: they are SQLite-era history.
SYNAPSE_FIRST_POSTGRES_SCHEMA = 16


#: ``*.sql``, Synapse's ``*.sql.postgres``, and ``*.sql.sqlite`` (kept only to be reported
#: as skipped).
_SQLISH = (".sql", ".sql.postgres", ".sql.sqlite")


def _is_sqlish(name: str) -> bool:
    """``name`` ends with one of :data:`_SQLISH`."""
    return name.endswith(_SQLISH)


def _flyway_key(ver: str) -> tuple[int, ...]:
    """Flyway's order: integer parts split on ``.``/``_``, trailing zero parts dropped."""
    parts = [int(p) for p in ver.replace("_", ".").split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _diesel_key(ver: str) -> tuple[int, ...]:
    """Integers of the digit groups of a diesel version; a compact 14-digit timestamp is
    split like the dashed form (``20161115111853`` -> ``(2016, 11, 15, 111853)``) so both
    forms, which crates.io mixes, order the way diesel's string comparison does."""
    groups = [g for g in ver.split("-") if g]
    if groups and len(groups[0]) == 14:
        g = groups[0]
        groups[0:1] = [g[0:4], g[4:6], g[6:8], g[8:14]]
    return tuple(int(g) for g in groups)


def _sort_key(f: MigrationFile) -> tuple:
    # version_key may mix ints and strings (Synapse); compare them without TypeError.
    vk = tuple((0, x, "") if isinstance(x, int) else (1, 0, str(x)) for x in f.version_key)
    return (f.root, vk, f.path)


# --------------------------------------------------------------------------- internals


class _P:
    """What one file's name and place say, before the root is final."""

    __slots__ = ("conv", "dir", "ver", "key", "desc", "dialect", "opts", "root", "idkey", "skip")

    def __init__(self, conv, direction, root, idkey, ver=None, key=(), desc=None, dialect=None, opts=(), skip=None):
        self.conv = conv
        self.dir = direction
        self.root = root
        self.idkey = idkey
        self.ver = ver
        self.key = key
        self.desc = desc or None
        self.dialect = dialect
        self.opts = opts
        self.skip = skip  # None, or (_SKIP_DIALECT, dialect) / (_SKIP_SHADOWED, None)


def _skip(root: str, dialect: str, reason: str = _SKIP_DIALECT) -> _P:
    return _P(Convention.UNKNOWN, Direction.UP, root, "", dialect=dialect, skip=(reason, dialect))


class _Ctx:
    """Caches for one discovery run: directory listings and per-directory decisions."""

    def __init__(self, base_dir: str, roots: Sequence[str] = ()):
        self.base = os.path.abspath(base_dir)
        self._prefix = self.base.rstrip(os.sep) + os.sep
        self.roots = sorted({os.path.abspath(os.path.join(self.base, r)) for r in roots}, key=len, reverse=True)
        self._listing: dict[str, tuple[list[str], list[str], frozenset[str]]] = {}
        self._list_errors: dict[str, str] = {}
        self._classified: dict[str, dict[str, _P]] = {}
        self._flyroot: dict[str, str] = {}
        self._flyonly: dict[tuple[str, int], bool] = {}
        self._busy: set[str] = set()
        self._clash: dict[str, bool] = {}
        self._rel_cache: dict[str, str] = {}
        self.notes: list[str] = []
        #: directories given to walk (may lie outside base_dir): neighbour lookups stay inside them too
        self.tops: list[str] = []

    # -- paths

    def rel(self, p: str) -> str:
        """POSIX path of absolute ``p`` relative to base_dir (``"."`` for base_dir itself)."""
        if p.startswith(self._prefix):
            r = p[len(self._prefix):]
        elif p == self.base:
            return "."
        else:
            r = os.path.relpath(p, self.base)
        return r.replace(os.sep, "/") if os.sep != "/" else r

    # -- listings

    def listing(self, d: str) -> tuple[list[str], list[str], frozenset[str]]:
        """(file names, directory names, names of symlinked directories) of ``d``, names
        sorted (so decisions never depend on the file system's listing order, and the
        final sort by version finds long sorted runs); empty when it cannot be listed (the
        error is kept for :meth:`list_error`)."""
        got = self._listing.get(d)
        if got is not None:
            return got
        files: list[str] = []
        dirs: list[str] = []
        links: set[str] = set()
        try:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        is_dir = e.is_dir()
                    except OSError:
                        is_dir = False
                    if is_dir:
                        dirs.append(e.name)
                        if e.is_symlink():
                            links.add(e.name)
                    else:
                        files.append(e.name)
        except OSError as exc:
            self._list_errors[d] = exc.strerror or str(exc)
        dirs.sort()
        files.sort()
        got = (files, dirs, frozenset(links))
        self._listing[d] = got
        return got

    def list_error(self, d: str) -> str | None:
        return self._list_errors.get(d)

    # -- per-directory classification

    def classify_dir(self, d: str, extra: str | None = None) -> dict[str, _P]:
        """Decisions for every SQL file directly in ``d`` (``extra``: a file name to
        include even if the listing does not show it, for paths that no longer exist)."""
        got = self._classified.get(d)
        if got is not None and (extra is None or extra in got):
            return got
        if d in self._busy:  # a neighbour lookup came back here: no answer yet
            return {}
        files, dirs, _ = self.listing(d)
        names = [n for n in files if n.endswith(_SQLISH)]
        if extra is not None and extra not in names and _is_sqlish(extra):
            names.append(extra)
        self._busy.add(d)
        try:
            out = self._classify(d, names, dirs) if names else {}
        finally:
            self._busy.discard(d)
        self._classified[d] = out
        return out

    def _classify(self, d: str, names: list[str], dirs: list[str]) -> dict[str, _P]:
        parent, name = os.path.split(d)
        pname = os.path.basename(parent)

        dd = self._dialect_dir(d)
        if dd is not None:
            dialect, anchor = dd
            return {n: _skip(anchor, dialect) for n in names}

        # Synapse: <schema>/delta/<N>/*.sql[.postgres], <schema>/full_schemas/<N>/*.
        if name.isdigit() and pname in ("delta", "full_schemas"):
            return self._synapse(d, names, int(name), baseline=pname == "full_schemas")
        if "delta" in dirs and self._is_synapse_schema(d):
            # e.g. common/schema_version.sql: run before everything else by Synapse.
            out = {}
            for n in names:
                if n.endswith(".sql.sqlite"):
                    out[n] = _skip(d, "sqlite")
                else:
                    out[n] = _P(Convention.SYNAPSE, Direction.BASELINE, d, n, desc=n.split(".", 1)[0],
                                dialect="postgres" if n.endswith(".postgres") else None)
            return out

        # directory-per-migration: diesel <ver>_<name>/up.sql, prisma <ts>_<name>/migration.sql
        if "up.sql" in names or "down.sql" in names:
            return self._diesel(d, names, parent, name)
        if "migration.sql" in names and _PRISMA_DIR.match(name):
            return self._prisma(d, names, parent, name)

        # up/ + down/ trees
        if name in ("up", "down"):
            pdirs = self.listing(parent)[1]
            other = "down" if name == "up" else "up"
            if other in pdirs:
                return self._updown(d, names, parent, name)
            if name == "down":
                return self._flat(d, names, dirs, mirror_of=parent)
        out = self._flat(d, names, dirs)
        if name.lower() in _INIT_DIRS:  # run once, on an empty database
            for p in out.values():
                if p.skip is None:
                    p.dir = Direction.BASELINE
        return out

    # -- dialect trees

    def _dialect_dir(self, d: str) -> tuple[str, str] | None:
        """(dialect, parent of the dialect directory) when ``d`` is in a per-dialect tree
        for another engine (``migrations/mysql/...`` next to ``migrations/postgres/``)."""
        tail = d.rsplit(os.sep, 4)[1:]
        if not any(t.lower() in _OTHER_DIALECT_DIRS for t in tail):
            return None
        cur = d
        for _ in range(4):
            parent, name = os.path.split(cur)
            if not name or parent == cur:
                return None
            dialect = _OTHER_DIALECT_DIRS.get(name.lower())
            if dialect is not None:
                sib = self.listing(parent)[1]
                if any(s.lower() in _POSTGRES_DIRS for s in sib):
                    return dialect, parent
            cur = parent
        return None

    # -- Synapse

    def _is_synapse_schema(self, d: str) -> bool:
        return any(x.isdigit() for x in self.listing(os.path.join(d, "delta"))[1])

    def _synapse(self, d: str, names: list[str], n: int, *, baseline: bool) -> dict[str, _P]:
        """Root: the schema directory (``main``, ``state``, ``common``), the parent of
        ``delta``: Synapse applies ``main`` and ``state`` deltas to different databases,
        and ``common`` deltas to both, so each schema directory is one sequence. Deltas at
        :data:`SYNAPSE_FIRST_POSTGRES_SCHEMA` or below never ran on PostgreSQL: skipped
        (one note per root)."""
        schema_dir = os.path.dirname(os.path.dirname(d))
        out: dict[str, _P] = {}
        sub = "full_schemas" if baseline else "delta"
        for f in names:
            if f.endswith(".sql.sqlite"):
                out[f] = _skip(schema_dir, "sqlite")
                continue
            if not baseline and n <= SYNAPSE_FIRST_POSTGRES_SCHEMA:
                out[f] = _skip(schema_dir, "synapse", _SKIP_SUPERSEDED)
                continue
            dialect = "postgres" if f.endswith(".sql.postgres") else None
            stem = f.split(".", 1)[0]
            if baseline:
                out[f] = _P(Convention.SYNAPSE, Direction.BASELINE, schema_dir, f"{sub}/{n}/{f}", ver=str(n),
                            key=(n,), desc=stem, dialect=dialect)
            else:
                out[f] = _P(Convention.SYNAPSE, Direction.UP, schema_dir, f"{n}/{f}", ver=str(n),
                            key=(n, f), desc=_SYNAPSE_NUM.sub("", stem) or stem, dialect=dialect)
        return out

    # -- diesel / prisma

    def _diesel(self, d: str, names: list[str], parent: str, name: str) -> dict[str, _P]:
        m = _DIESEL_DIR.match(name)
        out: dict[str, _P] = {}
        if m is None:
            for f in names:
                direction = Direction.DOWN if f == "down.sql" else Direction.UP
                out[f] = _P(Convention.UNKNOWN, direction, d, f)
            return out
        ver = m.group("ver")
        key = _diesel_key(ver)
        opts = self._diesel_options(d)
        for f in names:
            if f in ("up.sql", "down.sql"):
                direction = Direction.UP if f == "up.sql" else Direction.DOWN
                out[f] = _P(Convention.DIESEL, direction, parent, name, ver=ver, key=key, desc=m.group("desc"), opts=opts)
            else:  # some other SQL file inside a migration directory: diesel does not run it
                out[f] = _P(Convention.UNKNOWN, Direction.UP, parent, f"{name}/{f}")
        return out

    def _diesel_options(self, d: str) -> tuple[tuple[str, Any], ...]:
        if "metadata.toml" not in self.listing(d)[0]:
            return ()
        import tomllib  # only diesel directories with a metadata.toml pay for it

        path = os.path.join(d, "metadata.toml")
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            self.notes.append(f"could not read {self.rel(path)}: {exc}")
            return ()
        v = data.get("run_in_transaction")
        return (("run_in_transaction", v),) if isinstance(v, bool) else ()

    def _prisma(self, d: str, names: list[str], parent: str, name: str) -> dict[str, _P]:
        m = _PRISMA_DIR.match(name)
        assert m is not None
        out: dict[str, _P] = {}
        for f in names:
            if f == "migration.sql":
                out[f] = _P(Convention.PRISMA, Direction.UP, parent, name, ver=m.group("ver"),
                            key=(int(m.group("ver")),), desc=m.group("desc"))
            else:
                out[f] = _P(Convention.UNKNOWN, Direction.UP, parent, f"{name}/{f}")
        return out

    # -- up/ + down/ trees

    def _updown(self, d: str, names: list[str], parent: str, which: str) -> dict[str, _P]:
        """Standard 003 layout: ``up/001_x.sql`` pairs with ``down/001_y.sql`` by version
        (by file stem when a version is used more than once on either side)."""
        counts: Counter = Counter()
        for side in ("up", "down"):
            side_counts: Counter = Counter()
            for f in self.listing(os.path.join(parent, side))[0]:
                if f.endswith(".sql"):
                    ver, key, _ = self._updown_version(f)
                    if ver is not None:
                        side_counts[key] += 1
            for k, c in side_counts.items():
                counts[k] = max(counts[k], c)
        direction = Direction.UP if which == "up" else Direction.DOWN
        out: dict[str, _P] = {}
        for f in names:
            if not f.endswith(".sql"):
                out[f] = _skip(parent, "sqlite") if f.endswith(".sql.sqlite") else _P(Convention.UNKNOWN, direction, parent, f"{which}/{f}")
                continue
            ver, key, desc = self._updown_version(f)
            stem = f[:-4]
            idkey = ".".join(map(str, key)) if ver is not None and counts[key] <= 1 else stem
            out[f] = _P(Convention.UP_DOWN_DIRS, direction, parent, idkey, ver=ver, key=key, desc=desc if ver else stem)
        return out

    @staticmethod
    def _updown_version(f: str) -> tuple[str | None, tuple, str | None]:
        m = _PLAIN.match(f)
        if m:
            return m.group("ver"), (int(m.group("ver")),), m.group("desc")
        m = _FLYWAY.match(f)
        if m and m.group("ver"):
            return m.group("ver"), _flyway_key(m.group("ver")), m.group("desc")
        return None, (), None

    # -- flat directories

    def _flat(self, d: str, names: list[str], dirs: list[str], mirror_of: str | None = None) -> dict[str, _P]:
        """Files that sit directly in a migration directory (Flyway, golang-migrate, popx,
        dbmate, goose, timestamp, sequential). With ``mirror_of``, ``d`` is a ``down/``
        directory mirroring the file names of ``mirror_of`` (standard 001)."""
        out: dict[str, _P] = {}
        seq_root = mirror_of or d
        force_down = mirror_of is not None
        golang: list[tuple[str, str, str, str, bool]] = []  # (name, version, rest, up|down, V prefix)
        underscore: list[tuple[str, re.Match]] = []
        plain: list[tuple[str, str, str | None, str]] = []  # (name, version, description, stem)
        flyway_root: str | None = None
        confs: set[str] | None = None  # Flyway script configuration files in d

        for f in names:
            if not f.endswith(".sql"):  # names are all _SQLISH
                if f.endswith(".sql.sqlite"):
                    out[f] = _skip(seq_root, "sqlite")
                else:
                    out[f] = _P(Convention.UNKNOWN, Direction.DOWN if force_down else Direction.UP, seq_root, f, dialect="postgres")
                continue
            c = f[0]
            m = _FLYWAY.match(f) if c in "VUBR" else None
            if m:
                desc, dia = m.group("desc", "dia")
                dialect = None
                if dia:
                    dialect = _FLYWAY_DIALECTS.get(dia)
                    if dialect is None:  # not a dialect suffix: part of the description
                        desc = f"{desc}__{dia}"
                if flyway_root is None:
                    flyway_root = self.flyway_root(mirror_of or d)
                if dialect is not None and dialect != "postgres":
                    out[f] = _skip(flyway_root, dialect)
                    continue
                if confs is None:
                    confs = {n for n in self.listing(d)[0] if n.endswith(".sql.conf")}
                opts = self._flyway_options(d, f) if f + ".conf" in confs else ()
                out[f] = self._flyway(f, m, desc, dialect, flyway_root, force_down, opts)
                continue
            if not (c.isdigit() or c == "V"):
                out[f] = None  # type: ignore[assignment]  # decided below
                continue
            m = _GOLANG.match(f) if f.endswith(("up.sql", "down.sql")) else None
            if m:
                v, ver, rest, updown = m.groups()
                if v == "" or rest:
                    golang.append((f, ver, rest or "", updown, v == "V"))
                    continue
            m = _GOLANG_UNDERSCORE.match(f) if m is None and f.endswith(("_up.sql", "_down.sql")) else None
            if m:
                underscore.append((f, m))
                continue
            m = _HYBRID.match(f) or _PLAIN.match(f)
            if m:
                plain.append((f, m.group("ver"), m.group("desc"), f[:-4]))
                continue
            out[f] = None  # type: ignore[assignment]  # decided below

        has_down = any(g[3] == "down" for g in golang)
        if underscore:
            if has_down:  # harness/gitness: "_up.sql"/"_down.sql" among real golang-migrate files
                golang.extend((f, m.group("ver"), m.group("rest"), m.group("d"), False) for f, m in underscore)
            else:  # e.g. fider's "202410122105_create_reactions_up.sql": just a name
                for f, _m in underscore:
                    pm = _PLAIN.match(f)
                    assert pm is not None
                    plain.append((f, pm.group("ver"), pm.group("desc"), f[:-4]))
        if golang and plain and not has_down:
            # getfider/fider: "<ts>_x.up.sql" without any .down.sql among plain "<ts>_x.sql"
            # files is one plain sequence whose older files carry an ".up" suffix.
            keep = []
            for g in golang:
                f, ver, rest, updown, vprefix = g
                if updown == "up" and not vprefix and f.endswith(".up.sql") and "." not in rest:
                    plain.append((f, ver, rest, f[: -len(".up.sql")]))
                else:
                    keep.append(g)
            golang = keep
        if golang:
            out.update(self._golang(golang, seq_root, force_down))
        if plain:
            out.update(self._plain(d, plain, seq_root, force_down))
        for f, p in list(out.items()):
            if p is None:
                out[f] = self._unknown(d, f, seq_root, force_down, out)
        return out

    def _flyway_options(self, d: str, f: str) -> tuple[tuple[str, Any], ...]:
        """``(("executeInTransaction", bool),)`` from Flyway's script configuration file
        ``<f>.conf`` next to script ``f`` (Flyway 6.1+, "Script Configuration": Java
        properties; its ``executeInTransaction`` overrides Flyway's own detection,
        SqlScript.executeInTransaction), else ``()``. An unreadable file or a value other
        than true/false is reported as a note and ignored."""
        path = os.path.join(d, f + ".conf")
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError as exc:
            self.notes.append(f"could not read {self.rel(path)}: {exc.strerror or exc}")
            return ()
        for line in lines:
            m = _PROPERTY.match(line)
            if m is None or m.group(1) != "executeInTransaction":
                continue
            value = m.group(2).strip().lower()
            if value in ("true", "false"):
                return (("executeInTransaction", value == "true"),)
            self.notes.append(f"ignored {self.rel(path)}: executeInTransaction must be true or false")
        return ()

    def _flyway(self, f: str, m: re.Match, desc: str, dialect: str | None, root: str, force_down: bool, opts=()) -> _P:
        prefix, ver = m.group("p"), m.group("ver")
        if prefix is None:  # R__
            return _P(Convention.FLYWAY, Direction.DOWN if force_down else Direction.REPEATABLE, root, f"R__{desc}",
                      desc=desc, dialect=dialect, opts=opts)
        key = _flyway_key(ver)
        canon = ".".join(map(str, key))
        if prefix == "B":
            return _P(Convention.FLYWAY, Direction.DOWN if force_down else Direction.BASELINE, root, f"B{canon}",
                      ver=ver, key=key, desc=desc, dialect=dialect, opts=opts)
        direction = Direction.DOWN if (prefix == "U" or force_down) else Direction.UP
        return _P(Convention.FLYWAY, direction, root, f"V{canon}", ver=ver, key=key, desc=desc, dialect=dialect, opts=opts)

    def _golang(self, items: list[tuple[str, str, str, str, bool]], root: str, force_down: bool) -> dict[str, _P]:
        parsed = []
        up = Direction.DOWN if force_down else Direction.UP
        for f, ver, rest, updown, _vprefix in items:
            opts: tuple[tuple[str, Any], ...] = ()
            if rest.endswith(".autocommit"):
                rest = rest[: -len(".autocommit")]
                opts = (("autocommit", True),)
            raw = None  # the popx dialect infix as written ("all" names no dialect)
            head, dot, tail = rest.rpartition(".")
            if dot and tail in _POPX_DIALECTS:
                rest, raw = head, tail
            dialect = _POPX_DIALECTS[raw] if raw is not None else None
            direction = Direction.DOWN if updown == "down" else up
            parsed.append((f, ver, int(ver), rest, dialect, raw, opts, direction))
        # popx: a .postgres. file overrides the generic one of the same version and direction.
        specific = {(iv, d) for _, _, iv, _, dia, _, _, d in parsed if dia == "postgres"}
        counts: Counter = Counter()
        live = []
        out: dict[str, _P] = {}
        for f, v, iv, rest, dialect, raw, opts, direction in parsed:
            if raw is not None and dialect != "postgres" and raw != "all":
                out[f] = _skip(root, dialect or raw)
                continue
            if dialect is None and specific and (iv, direction) in specific:
                out[f] = _skip(root, "generic", _SKIP_SHADOWED)
                continue
            counts[(iv, direction)] += 1
            live.append((f, v, iv, rest, dialect, opts, direction))
        dup = {k[0] for k, c in counts.items() if c > 1}
        golang = Convention.GOLANG_MIGRATE
        for f, v, iv, rest, dialect, opts, direction in live:
            idkey = f"{iv}_{rest}" if iv in dup else str(iv)
            out[f] = _P(golang, direction, root, idkey, ver=v, key=(iv,), desc=rest, dialect=dialect, opts=opts)
        return out

    def _plain(self, d: str, items: list[tuple[str, str, str | None, str]], root: str, force_down: bool) -> dict[str, _P]:
        """dbmate / goose by markers (majority of the directory wins), else timestamp
        (versions of 12+ digits, majority) or sequential."""
        marks = []
        dumps = []  # pg_dump output under a migration's name: a baseline (not in a down/ mirror)
        n_db = n_goose = 0
        for f, _v, _desc, _stem in items:
            head = _read_head(os.path.join(d, f))
            dumps.append(not force_down and _is_dump(head))
            # The markers have no literal prefix for the regex engine to skip ahead with;
            # a lowercase substring test rules out most heads first.
            low = head.lower()
            db = b"migrate:up" in low and _DBMATE_UP.search(head) is not None
            gs = not db and b"+goose" in low and _GOOSE_UP.search(head) is not None
            n_db += db
            n_goose += gs
            marks.append((db, gs))
        n = len(items)
        dir_conv = None
        if 2 * n_db > n:
            dir_conv = Convention.DBMATE
        elif 2 * n_goose > n:
            dir_conv = Convention.GOOSE
        n_ts = sum(1 for _, v, _, _ in items if len(v) >= 12)
        shape = Convention.TIMESTAMP if 2 * n_ts >= n else Convention.SEQUENTIAL
        out = {}
        direction = Direction.DOWN if force_down else Direction.UP
        for (f, v, desc, stem), (db, gs), dump in zip(items, marks, dumps):
            conv = dir_conv or (Convention.DBMATE if db else Convention.GOOSE if gs else shape)
            key = tuple(int(x) for x in v.split("_")) if "_" in v else (int(v),)  # hybrid: (Y, M, D, N)
            out[f] = _P(conv, Direction.BASELINE if dump else direction, root, stem, ver=v, key=key, desc=desc)
        return out

    def _unknown(self, d: str, f: str, root: str, force_down: bool, siblings: dict[str, _P]) -> _P:
        """A file that follows no naming rule. A whole-schema snapshot (``schema.sql``,
        dhis2's ``base/dhis2_base_schema.sql``) next to migrations of one convention is that
        convention's BASELINE; anything else is UNKNOWN."""
        direction = Direction.DOWN if force_down else Direction.UP
        stem = f[:-4] if f.endswith(".sql") else f
        if not force_down and _BASELINE_STEM.search(stem):
            conv = self._neighbour_convention(d, siblings)
            if conv is not None:
                return _P(conv, Direction.BASELINE, d, f"baseline:{f}", desc=stem)
        if not force_down and _is_dump(_read_head(os.path.join(d, f))):
            return _P(Convention.UNKNOWN, Direction.BASELINE, root, f"baseline:{f}", desc=stem)
        return _P(Convention.UNKNOWN, direction, root, f)

    def _neighbour_convention(self, d: str, siblings: dict[str, _P]) -> Convention | None:
        found: set[Convention] = set()
        for p in siblings.values():
            if p is not None and p.skip is None and p.conv not in (Convention.UNKNOWN, Convention.SEED):
                found.add(p.conv)
        parent, name = os.path.split(d)
        places = [(d, None)]
        if self.inside(parent):  # never look at directories above base_dir
            places.append((parent, name))
        for where, skip in places:
            for sub in self.listing(where)[1]:
                if sub == skip or sub.startswith(".") or sub in _SKIP_DIRS:
                    continue
                s = os.path.join(where, sub)
                if self.flyway_only(s, need_one=True):
                    found.add(Convention.FLYWAY)
                    continue
                for p in self.classify_dir(s).values():
                    if p.skip is None and p.conv not in (Convention.UNKNOWN, Convention.SEED):
                        found.add(p.conv)
                # directory-per-migration roots hold their migrations one level down
                for sub2 in self.listing(s)[1][:3]:
                    for p in self.classify_dir(os.path.join(s, sub2)).values():
                        if p.skip is None and p.conv in (Convention.DIESEL, Convention.PRISMA):
                            found.add(p.conv)
        return found.pop() if len(found) == 1 else None

    # -- Flyway roots

    def flyway_root(self, d: str) -> str:
        """The Flyway location holding ``d``: climb while the parent's whole tree holds only
        Flyway files, the directory is not itself a location (``migration``, ``db``, ...)
        and merging would not give two sibling trees the same version (dhis2's
        ``migration/2.31/`` -> ``migration``)."""
        got = self._flyroot.get(d)
        if got is not None:
            return got
        r = d
        while os.path.basename(r).lower() not in _LOCATION_NAMES:
            parent = os.path.dirname(r)
            if parent == r or not self.inside(parent) or not self.flyway_only(parent) or self._version_clash(parent):
                break
            r = parent
        self._flyroot[d] = r
        return r

    def inside(self, d: str) -> bool:
        """True when ``d`` is base_dir or below it, or a directory given to walk or below it."""
        if d == self.base or d.startswith(self._prefix):
            return True
        return any(d == t or d.startswith(t.rstrip(os.sep) + os.sep) for t in self.tops)

    def flyway_only(self, d: str, need_one: bool = False, depth: int = _FLYWAY_DEPTH) -> bool:
        """True when every SQL file in ``d``'s tree has a Flyway name and the tree is at
        most ``depth`` directories deep (``need_one``: and there is at least one)."""
        got = self._flyonly.get((d, depth))
        if got is None:
            got = self._flyway_only(d, depth)
            self._flyonly[(d, depth)] = got
        if got and need_one:
            return self._has_flyway(d)
        return got

    def _flyway_only(self, d: str, depth: int) -> bool:
        files, dirs, links = self.listing(d)
        for f in files:
            if _is_sqlish(f) and not _FLYWAY.match(f):
                return False
        for s in dirs:
            if s.startswith(".") or s in _SKIP_DIRS or s in links:
                continue
            if depth <= 0 or not self.flyway_only(os.path.join(d, s), depth=depth - 1):
                return False
        return True

    def _has_flyway(self, d: str) -> bool:
        files, dirs, links = self.listing(d)
        if any(_FLYWAY.match(f) for f in files):
            return True
        return any(
            self._has_flyway(os.path.join(d, s)) for s in dirs if not (s.startswith(".") or s in _SKIP_DIRS or s in links)
        )

    def _version_clash(self, d: str) -> bool:
        got = self._clash.get(d)
        if got is None:
            got = self._clash[d] = self._version_clash_uncached(d)
        return got

    def _version_clash_uncached(self, d: str) -> bool:
        groups: list[set] = []
        files, dirs, links = self.listing(d)
        groups.append({_flyway_key(m.group("ver")) for f in files if (m := _FLYWAY.match(f)) and m.group("p") == "V"})
        for s in dirs:
            if s.startswith(".") or s in _SKIP_DIRS or s in links or s == "down":
                continue
            groups.append(self._flyway_versions(os.path.join(d, s)))
        seen: set = set()
        for g in groups:
            if seen & g:
                return True
            seen |= g
        return False

    def _flyway_versions(self, d: str) -> set:
        files, dirs, links = self.listing(d)
        out = {_flyway_key(m.group("ver")) for f in files if (m := _FLYWAY.match(f)) and m.group("p") == "V"}
        for s in dirs:
            if not (s.startswith(".") or s in _SKIP_DIRS or s in links or s == "down"):
                out |= self._flyway_versions(os.path.join(d, s))
        return out

    # -- roots and ids

    def root_for(self, abspath: str, inferred: str) -> str:
        """The deepest configured root containing ``abspath``, else ``inferred``."""
        for r in self.roots:
            if abspath.startswith(r + os.sep):
                return r
        return inferred

    def rel_dir(self, d: str) -> str:
        """:meth:`rel` of directory ``d``, cached."""
        got = self._rel_cache.get(d)
        if got is None:
            got = self._rel_cache[d] = self.rel(d)
        return got

    def rel_sub(self, d: str, name: str) -> str:
        """:meth:`rel_dir` of ``d``'s entry ``name`` (joined with ``os.sep``), cached. Below
        a directory outside base_dir it is the parent's relative path plus ``name`` (what
        ``os.path.relpath`` would give, without its cost), unless the entry is base_dir
        itself or one of its ancestors."""
        sub = d + os.sep + name
        got = self._rel_cache.get(sub)
        if got is None:
            if sub.startswith(self._prefix) or os.path.normcase(self.base + os.sep).startswith(os.path.normcase(sub + os.sep)):
                got = self.rel(sub)
            else:
                got = self.rel_dir(d) + "/" + name
            self._rel_cache[sub] = got
        return got

    def make(self, abspath: str, rel: str, p: _P, *, seed_root: str | None = None) -> MigrationFile:
        """The final record: root (configured or inferred) and ``migration_id`` =
        ``"<root>:<key>"``, where the key is what the convention pairs up and down by."""
        if seed_root is not None:
            root_rel = self.rel_dir(self.root_for(abspath, seed_root))
            idkey = rel[len(root_rel) + 1:] if root_rel != "." and rel.startswith(root_rel + "/") else rel
            name = os.path.basename(abspath)
            return MigrationFile(
                path=rel, abspath=abspath, root=root_rel, convention=Convention.SEED,
                direction=Direction.SEED, description=name[: name.rfind(".sql")] or None,
                migration_id=f"{root_rel}:{idkey}",
            )
        root_rel = self.rel_dir(self.root_for(abspath, p.root) if self.roots else p.root)
        return MigrationFile(
            path=rel,
            abspath=abspath,
            root=root_rel,
            convention=p.conv,
            direction=p.dir,
            version=p.ver,
            version_key=p.key,
            description=p.desc,
            migration_id=f"{root_rel}:{p.idkey}",
            dialect=p.dialect,
            options=p.opts,
        )

    def proto(self, abspath: str) -> _P | None:
        d, f = os.path.split(abspath)
        if not _is_sqlish(f):
            return None
        return self.classify_dir(d, extra=f).get(f)


def _read_head(path: str) -> bytes:
    """The first :data:`_HEAD_BYTES` bytes of ``path`` (``b""`` if it cannot be read): one
    unbuffered read, no file object."""
    try:
        fd = os.open(path, _O_READ)
    except OSError:
        return b""
    try:
        return os.read(fd, _HEAD_BYTES)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _is_dump(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) is ``pg_dump`` plain output: its header
    lines, or at least :data:`_DUMP_TOC_MIN` of its per-object comments."""
    if b"-- " not in head:
        return False
    if b"dump" in head and _DUMP_HEADER.search(head):
        return True
    return head.count(b"; Type: ") >= _DUMP_TOC_MIN and len(_DUMP_TOC.findall(head)) >= _DUMP_TOC_MIN


def _seed_root(abspath: str, base: str) -> str:
    """The ``seed``/``seeds`` directory above a seed file, else the file's directory."""
    d = os.path.dirname(abspath)
    cur = d
    while len(cur) >= len(base):
        if os.path.basename(cur).lower() in ("seed", "seeds"):
            return cur
        nxt = os.path.dirname(cur)
        if nxt == cur:
            break
        cur = nxt
    return d


# --------------------------------------------------------------------------- public API


def discover(
    paths: Sequence[str],
    *,
    base_dir: str,
    roots: Sequence[str] = (),
    seeds: Sequence[str] = ("seeds/**/*.sql", "seed/**/*.sql", "**/seeds/**/*.sql"),
    exclude: Sequence[str] = (),
    snapshots: Sequence[str] = (),
) -> Discovery:
    """Find the migration files under ``paths`` and classify them.

    * ``paths``: files and directories as given on the command line, relative to
      ``base_dir`` or absolute. Directories are walked recursively, skipping hidden
      directories, ``node_modules`` and ``.git`` and not following symlinked directories.
      A file given explicitly is linted if it is SQL (``*.sql``, ``*.sql.postgres``) even
      when it follows no convention (:attr:`Convention.UNKNOWN`); a given non-SQL file is
      skipped with a note.
    * ``base_dir``: the directory reported paths are relative to (POSIX separators;
      ``MigrationFile.abspath`` is absolute, not symlink-resolved).
    * ``roots``: configured migration roots relative to ``base_dir``; a file under one
      (the deepest that contains it) gets it as ``root``. Otherwise the root is inferred:
      the directory holding flat files (golang-migrate, dbmate, goose, timestamp,
      sequential), the Flyway location (climbing out of per-release folders such as
      dhis2's ``migration/2.31``), the parent of diesel/Prisma migration directories, the
      parent of ``up/`` and ``down/`` (also of a Flyway ``down/`` mirror), Synapse's schema
      directory (``main``, ``state``, ``common``: the parent of ``delta/``), and for seed
      files their ``seed``/``seeds`` directory.
    * ``seeds`` / ``exclude``: gitignore-style patterns (``pathspec``) matched against paths
      relative to ``base_dir``. Seed matches get :attr:`Convention.SEED` and
      :attr:`Direction.SEED`; excluded files and directories are left out silently (also
      when given explicitly).
    * ``snapshots``: gitignore-style patterns of baseline files (schema dumps, init
      scripts: run once on an empty database), which get :attr:`Direction.BASELINE`
      whatever their name says. Without a pattern, baselines are Flyway ``B`` files,
      Synapse ``full_schemas/``, whole-schema snapshots beside migrations
      (``schema.sql``, ``structure.sql``, dhis2's ``base/dhis2_base_schema.sql``), files
      in ``init-scripts/``-like directories (:data:`_INIT_DIRS`) and files whose first
      4 KB are ``pg_dump`` output (:func:`_is_dump`; checked for files that follow no
      naming rule and for numbered files, whose heads are read anyway).

    Files for other SQL dialects (popx ``.mysql.``/``.sqlite3.``/``.cockroach.``, Synapse
    ``.sql.sqlite``, hawkbit ``__MYSQL``, per-dialect directories such as ``mysql/`` next to
    ``postgres/``), popx generic files overridden by a ``.postgres.`` file and Synapse deltas
    from before its PostgreSQL support (schema version 16 or below) are skipped, with one
    note per root. Non-SQL files are never migration files.

    Returns a :class:`Discovery`; never raises for missing or unreadable paths (they go to
    ``errors``). Directory contents are read once; file contents only for the first 4 KB
    of files whose names could be dbmate/goose files, and diesel ``metadata.toml``. About
    5,500 files are discovered in roughly 0.1 s.

    Naming facts come from each tool's documentation or source, cited in the module
    docstring: Flyway's migration docs and ``MigrationVersion`` (numeric, part-by-part
    versions), golang-migrate's MIGRATIONS.md, ory popx's file regex, dbmate's README and
    file regex, goose's annotation docs, diesel's guide and ``diesel_migrations`` (string
    versions, ``metadata.toml``), Prisma's migration-history docs and Synapse's
    ``prepare_database.py``.
    """
    # Discovery allocates many small objects and no reference cycles: pausing the cyclic
    # garbage collector keeps it from scanning the caller's whole heap several times.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _discover(paths, base_dir=base_dir, roots=roots, seeds=seeds, exclude=exclude, snapshots=snapshots)
    finally:
        if gc_was_enabled:
            gc.enable()


def _discover(paths: Sequence[str], *, base_dir: str, roots: Sequence[str], seeds: Sequence[str], exclude: Sequence[str],
              snapshots: Sequence[str] = ()) -> Discovery:
    ctx = _Ctx(base_dir, roots)
    seed_match = _matcher(seeds)
    snap_match = _matcher(snapshots)
    excl_match = _matcher(exclude)
    result = Discovery()
    found: dict[str, MigrationFile] = {}
    # root -> [n dialect, dialects, n shadowed, n superseded]
    skipped: dict[str, list] = defaultdict(lambda: [0, set(), 0, 0])

    def take(abspath: str, rel: str, p: _P) -> None:
        if abspath in found:
            return
        if excl_match is not None and excl_match(rel):
            return
        if p.skip is not None:
            entry = skipped[ctx.rel_dir(ctx.root_for(abspath, p.root))]
            if p.skip[0] == _SKIP_SHADOWED:
                entry[2] += 1
            elif p.skip[0] == _SKIP_SUPERSEDED:
                entry[3] += 1
            else:
                entry[0] += 1
                entry[1].add(p.skip[1])
            return
        if seed_match is not None and seed_match(rel):
            found[abspath] = ctx.make(abspath, rel, p, seed_root=_seed_root(abspath, ctx.base))
        elif snap_match is not None and snap_match(rel):
            found[abspath] = replace(ctx.make(abspath, rel, p), direction=Direction.BASELINE)
        else:
            found[abspath] = ctx.make(abspath, rel, p)

    def counts() -> tuple[int, int, int]:
        return len(found), len(result.errors), sum(e[0] + e[2] + e[3] for e in skipped.values())

    for given in paths:
        ap = os.path.abspath(os.path.join(ctx.base, given))
        if os.path.isdir(ap):
            ctx.tops.append(ap)
            before = counts()
            _walk(ctx, ap, given, excl_match, take, result)
            if counts() == before:
                result.notes.append(f"no migration files found under {given.rstrip('/') or '/'}/")
        elif os.path.isfile(ap):
            p = ctx.proto(ap)
            if p is None:
                result.notes.append(f"skipped {given}: not an SQL file")
            else:
                take(ap, ctx.rel(ap), p)
        elif os.path.lexists(ap):
            result.errors.append((given, "not a regular file or directory"))
        else:
            result.errors.append((given, "no such file or directory"))

    for root in sorted(skipped):
        n, dialects, shadowed, superseded = skipped[root]
        if n:
            result.notes.append(
                f"skipped {n} file{'s' if n != 1 else ''} for other SQL dialects ({', '.join(sorted(dialects))}) under {root}/"
            )
        if shadowed:
            result.notes.append(
                f"skipped {shadowed} generic popx file{'s' if shadowed != 1 else ''} overridden by "
                f".postgres. variants under {root}/"
            )
        if superseded:
            result.notes.append(
                f"skipped {superseded} Synapse delta{'s' if superseded != 1 else ''} at schema version "
                f"{SYNAPSE_FIRST_POSTGRES_SCHEMA} or below under {root}/: PostgreSQL databases start from "
                f"full_schemas/{SYNAPSE_FIRST_POSTGRES_SCHEMA} or a later snapshot and never run them"
            )
    result.notes.extend(ctx.notes)
    files = list(found.values())
    try:
        files.sort(key=lambda f: (f.root, f.version_key, f.path))
    except TypeError:  # a root mixing int and str version parts
        files.sort(key=_sort_key)
    result.files = files
    return result


def _matcher(patterns: Sequence[str]):
    """A predicate for gitignore-style ``patterns`` (``pathspec``) on base-relative POSIX
    paths, or ``None`` when there are none. Uses the patterns' compiled regexes directly
    when no pattern negates (the common case; same answers, a few times faster), and
    when every pattern has a literal piece, tests for those first: the patterns (and
    pathspec itself) are only compiled once a path contains one, so a run over paths
    without "seed" in them never imports pathspec."""
    lines = [p for p in patterns if p and p.strip()]
    if not lines:
        return None
    lits = _literals(lines)
    exact = None

    def match(rel: str) -> bool:
        nonlocal exact
        if exact is None:
            exact = _exact_matcher(lines)
        return exact(rel)

    if len(lits) == 1:
        lit = lits[0]
        return lambda rel: lit in rel and match(rel)
    if lits:
        return lambda rel: any(lit in rel for lit in lits) and match(rel)
    return _exact_matcher(lines)


def _literals(lines: list[str]) -> list[str]:
    """A piece of literal text every path matching each pattern contains ("seeds" for
    "**/seeds/**/*.sql"), one per pattern, without the ones that contain another ("seeds"
    next to "seed"); ``[]`` when a pattern has none or negates, escapes or uses classes."""
    lits = []
    for line in lines:
        line = line.strip()
        if any(c in line for c in "\\[]!#") or line != line.lstrip("!"):
            return []
        pieces = [x.strip("/") for x in re.split(r"[*?]+", line)]
        best = max(pieces, key=len)
        if len(best) < 2:
            return []
        lits.append(best)
    shortest: list[str] = []
    for lit in sorted(set(lits), key=len):
        if not any(x in lit for x in shortest):
            shortest.append(lit)
    return shortest


def _exact_matcher(lines: list[str]):
    """``pathspec``'s answer for ``lines``, through the patterns' regexes when none negates."""
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    pats = [p for p in spec.patterns if getattr(p, "include", None) is not None]
    if not (pats and all(p.include and getattr(p, "regex", None) is not None for p in pats)):
        return spec.match_file
    rxs = [p.regex.match for p in pats]
    return lambda rel: any(m(rel) for m in rxs)


def _walk(ctx: _Ctx, top: str, given: str, excl_match, take, result: Discovery) -> None:
    stack = [top]
    sep = os.sep
    while stack:
        d = stack.pop()
        files, dirs, links = ctx.listing(d)
        err = ctx.list_error(d)
        if err is not None:
            result.errors.append((given if d == top else ctx.rel(d), err))
            continue
        for s in reversed(dirs):
            if s[0] == "." or s in _SKIP_DIRS or s in links:
                continue
            rel_sub = ctx.rel_sub(d, s)  # also caches it for rel_dir()
            if excl_match is not None and excl_match(rel_sub + "/"):
                continue
            stack.append(d + sep + s)
        if not any(f.endswith(_SQLISH) for f in files):
            continue
        rel_d = ctx.rel_dir(d)
        prefix = "" if rel_d == "." else rel_d + "/"
        for f, p in ctx.classify_dir(d).items():
            take(d + sep + f, prefix + f, p)


def classify(path: str, *, base_dir: str, root: str | None = None) -> MigrationFile | None:
    """Classify one file the way :func:`discover` would (same directory-level decisions:
    the file's siblings and, for Flyway roots, nearby directories are listed).

    * ``path``: relative to ``base_dir`` or absolute; it need not exist (the decision then
      rests on its name and whatever siblings exist).
    * ``root``: a configured migration root (relative to ``base_dir``) to use if the file
      is under it.

    Returns ``None`` when the file is not a migration file: not SQL (``*.sql`` or
    ``*.sql.postgres``), written for another SQL dialect, or a popx generic file overridden
    by a ``.postgres.`` variant. Seed and exclude patterns are not applied here (use
    :func:`discover`). Never raises for missing paths. The naming rules and their sources
    are those of :func:`discover` (module docstring).
    """
    ctx = _Ctx(base_dir, (root,) if root else ())
    ap = os.path.abspath(os.path.join(ctx.base, path))
    p = ctx.proto(ap)
    if p is None or p.skip is not None:
        return None
    return ctx.make(ap, ctx.rel(ap), p)
