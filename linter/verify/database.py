"""``--database-url``: verify on a PostgreSQL server someone else started (a CI service
container, a local development server), guarded so that miglint never touches data.

miglint only *connects* to the URL's database: to check the server (below) and to create
(and at the end drop) its own databases, ``miglint_verify_<random>_<n>`` (from
``template0``), and ``NOLOGIN`` roles it drops again; every migration runs in its own
database. The server must pass three guards before anything is created; each refusal is a
:class:`~linter.verify.server.ServerError` (exit 2) that names the guard:

1. **Local** (:func:`host_kind`): every host of the URL (``host``, else ``$PGHOST``; and
   ``hostaddr``, else ``$PGHOSTADDR``) is a Unix socket directory (an absolute path, or
   none: libpq's default socket), a loopback address (``127.0.0.0/8``, ``::1``) or
   ``localhost``. A single-label host name (``postgres``: a job's ``services:`` container,
   reachable by its label on the job's Docker network) counts as local only inside GitHub
   Actions (``GITHUB_ACTIONS=true``), where such a name can only be a container of the
   job. Anything else (a dotted name, another address) is refused unless the server is
   declared throwaway.
2. **Not in recovery**: ``pg_is_in_recovery()`` is false (a standby cannot create a
   database, and is someone's replica). Never overridden.
3. **Holds no other data** (:func:`other_data`): in every database that is not a template
   (``pg_database.datistemplate``), no *user relation*: a table, partitioned table, view,
   materialized view, sequence or foreign table outside ``pg_catalog``,
   ``information_schema`` and the ``pg_toast``/``pg_temp`` schemas that is not a member of
   an extension (PostGIS's ``spatial_ref_sys`` and its tiger geocoder tables are). Empty
   databases (a service container's ``POSTGRES_DB``) are fine; a database that does not
   accept connections, or that this role may not connect to, cannot be checked and counts
   as data; more than :data:`MAX_DATABASES` databases are not checked one by one and
   count as data. Leftovers of a miglint run that was killed hold tables too: drop them
   or declare the server throwaway.

``--database-is-throwaway`` (``verify: database_is_throwaway: true``) lifts guards 1 and
3: the user says nothing on that server matters. The role must be a superuser or have
``CREATEDB``; and ``CREATEROLE`` when the migrations name roles the server does not have
(the automatic ``NOLOGIN`` roles): :func:`linter.verify.replay.create_roles` checks that
before it creates the first one and stops with a :class:`ServerError` naming them
otherwise.

The URL is a libpq connection string or URI (``postgresql://user:password@host:5432/db``);
messages name its host, port and database, never its password.
"""

from __future__ import annotations

import ipaddress
import os
import re

from linter.verify.server import ServerError, ServerVersion

#: More non-template databases than this are not checked one by one: the server is not a
#: throwaway one.
MAX_DATABASES = 20

#: User relations of the connected database that are not extension members (at most 3).
USER_RELATIONS = """
SELECT n.nspname || '.' || c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1
LIMIT 3
"""


def host_kind(host: str) -> str:
    """What one libpq host is: ``"socket"`` (empty, or a directory path: libpq's Unix
    socket), ``"loopback"`` (``localhost``, ``127.0.0.0/8``, ``::1``), ``"service"`` (a
    single-label name such as ``postgres``) or ``"remote"``."""
    h = host.strip()
    if not h or h.startswith(("/", "@")):  # "@name": Linux's abstract socket namespace
        return "socket"
    if h.lower() in ("localhost", "localhost.", "localhost.localdomain"):
        return "loopback"
    try:
        return "loopback" if ipaddress.ip_address(h.strip("[]")).is_loopback else "remote"
    except ValueError:
        pass
    return "service" if re.fullmatch(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?", h) else "remote"


def url_hosts(params: dict, env: dict | None = None) -> list[str]:
    """Every host the connection parameters ``params`` (``conninfo_to_dict``) may reach:
    ``host`` (else ``$PGHOST``) and ``hostaddr`` (else ``$PGHOSTADDR``), each a
    comma-separated list in libpq; ``[""]`` for the default socket."""
    env = os.environ if env is None else env
    out = []
    for key, var in (("host", "PGHOST"), ("hostaddr", "PGHOSTADDR")):
        value = params.get(key) or env.get(var) or ""
        if value:
            out.extend(part.strip() for part in value.split(","))
    return out or [""]


def is_local(params: dict, env: dict | None = None) -> tuple[bool, str]:
    """``(local, the first host that is not)`` per guard 1 of the module docstring."""
    env = os.environ if env is None else env
    in_actions = env.get("GITHUB_ACTIONS") == "true"
    for h in url_hosts(params, env):
        kind = host_kind(h)
        if kind in ("socket", "loopback") or (kind == "service" and in_actions):
            continue
        return False, h
    return True, ""


def describe(params: dict) -> str:
    """``host:port/dbname`` of a connection, without user or password."""
    host = params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST") or "the default socket"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    db = params.get("dbname") or os.environ.get("PGDATABASE") or params.get("user") or "postgres"
    return f"{host}:{port}/{db}"


def other_data(admin, conninfo_for, own_db: str) -> list[str]:
    """Guard 3: a list of what the server holds (``"database app: public.users, …"``),
    empty when it holds nothing. ``admin``: a connection to the URL's database (named
    ``own_db``); ``conninfo_for(dbname)``: the connection string of another database."""
    import psycopg

    rows = admin.execute("SELECT datname, datallowconn FROM pg_database WHERE NOT datistemplate ORDER BY datname").fetchall()
    if len(rows) > MAX_DATABASES:
        return [f"{len(rows)} databases (more than {MAX_DATABASES}: not a throwaway server)"]
    found = []
    for name, allowconn in rows:
        if not allowconn:
            found.append(f"database {name}: does not accept connections, so it cannot be checked")
            continue
        try:
            if name == own_db:
                rels = [r[0] for r in admin.execute(USER_RELATIONS).fetchall()]
            else:
                with psycopg.connect(conninfo_for(name), autocommit=True, connect_timeout=10) as conn:
                    rels = [r[0] for r in conn.execute(USER_RELATIONS).fetchall()]
        except psycopg.Error as exc:
            found.append(f"database {name}: cannot be checked ({(getattr(exc, 'diag', None) and exc.diag.message_primary) or type(exc).__name__})")
            continue
        if rels:
            found.append(f"database {name}: {', '.join(rels)}" + (", …" if len(rels) == 3 else ""))
    return found


class UrlServer(ServerVersion):
    """A server given by ``--database-url``, checked by the guards of the module docstring
    when :meth:`start` is called. It has what :func:`linter.verify.replay.replay` uses of a
    :class:`~linter.verify.server.LocalServer`: :meth:`conninfo`, ``version_text``,
    ``major``, ``version_num``; :meth:`stop` only closes (the replay drops the databases it
    made). ``throwaway``: lift the locality and other-data guards."""

    #: The replayed base schema cannot be cached for a server miglint does not own.
    cacheable = False

    def __init__(self, url: str, *, throwaway: bool = False, env: dict | None = None) -> None:
        from psycopg.conninfo import conninfo_to_dict

        try:
            self.params = conninfo_to_dict(url)
        except Exception as exc:  # psycopg.ProgrammingError: a malformed URL
            raise ServerError(f"--database-url: not a PostgreSQL connection URL ({type(exc).__name__})") from None
        self.url = url
        self.throwaway = throwaway
        self.env = os.environ if env is None else env
        self.version_num = 0
        self.dbname = ""

    def conninfo(self, dbname: str | None = None) -> str:
        """The connection string of ``dbname`` (default: the URL's database) on this server."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.url, dbname=dbname) if dbname else self.url

    @property
    def started(self) -> bool:
        """True once :meth:`start` passed the guards."""
        return self.version_num != 0

    def start(self) -> "UrlServer":
        """Run the guards (module docstring); raises :class:`ServerError` naming the one that refused."""
        import psycopg

        where = describe(self.params)
        local, bad = is_local(self.params, self.env)
        if not local and not self.throwaway:
            raise ServerError(f"--database-url {where}: the host {bad!r} is not local (a Unix socket, localhost, 127.0.0.1, ::1, "
                              f"or a services container's name in GitHub Actions); miglint creates and drops databases there. "
                              f"If nothing on that server matters, add --database-is-throwaway")
        try:
            admin = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise ServerError(f"--database-url {where}: cannot connect: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
        try:
            self.version_num = int(admin.info.server_version)
            self.dbname = admin.info.dbname
            if admin.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                raise ServerError(f"--database-url {where}: the server is in recovery (a standby); miglint needs a primary it may write to")
            can = admin.execute("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()
            if not can or not can[0]:
                raise ServerError(f"--database-url {where}: the role {admin.info.user!r} may not create databases (it needs CREATEDB)")
            if not self.throwaway:
                found = other_data(admin, self.conninfo, self.dbname)
                if found:
                    raise ServerError(f"--database-url {where}: the server holds other data ({'; '.join(found)}); miglint verifies only "
                                      f"on a server that holds nothing. If nothing on it matters, add --database-is-throwaway")
        finally:
            admin.close()
        return self

    def stop(self) -> None:
        """Nothing to stop: the replay dropped its databases and roles."""

    def __enter__(self) -> "UrlServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
