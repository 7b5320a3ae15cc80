"""``miglint verify --database-url`` (linter/verify/database.py): which hosts count as
local, and on real servers each guard's refusal (a remote host, a standby, a server that
holds other data, a role that may not create databases), the throwaway override, and a
verify run that leaves the server as it found it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linter.verify import database as dbmod
from linter.verify import server as srv

psycopg = pytest.importorskip("psycopg")


@pytest.mark.parametrize("host, kind", [
    ("", "socket"), ("/var/run/postgresql", "socket"), ("@abstract", "socket"),
    ("localhost", "loopback"), ("127.0.0.1", "loopback"), ("127.0.0.53", "loopback"), ("::1", "loopback"), ("[::1]", "loopback"),
    ("postgres", "service"), ("db_1", "service"),
    ("db.example.com", "remote"), ("10.0.0.5", "remote"), ("192.168.1.2", "remote"), ("2001:db8::1", "remote"),
])
def test_host_kind(host, kind):
    assert dbmod.host_kind(host) == kind


def test_locality_of_a_url():
    def local(url, env=None):
        from psycopg.conninfo import conninfo_to_dict

        return dbmod.is_local(conninfo_to_dict(url), env or {})

    assert local("postgresql://u:p@localhost:5432/db") == (True, "")
    assert local("postgresql://u@%2Fvar%2Frun%2Fpostgresql/db") == (True, "")
    assert local("dbname=x") == (True, "")  # libpq's default socket
    assert local("dbname=x", {"PGHOST": "db.example.com"}) == (False, "db.example.com")
    # a services container by its label: only inside GitHub Actions
    assert local("postgresql://postgres:postgres@postgres:5432/postgres") == (False, "postgres")
    assert local("postgresql://postgres:postgres@postgres:5432/postgres", {"GITHUB_ACTIONS": "true"}) == (True, "")
    # every host of a list, and hostaddr (what libpq really connects to)
    assert local("host=localhost,db.example.com dbname=x") == (False, "db.example.com")
    assert local("host=localhost hostaddr=10.1.2.3 dbname=x") == (False, "10.1.2.3")


def test_a_remote_host_is_refused_before_connecting():
    # 192.0.2.0/24 is TEST-NET-1: nothing answers there; the refusal comes first
    s = dbmod.UrlServer("postgresql://app:s3cret@192.0.2.10:5432/app", env={})
    with pytest.raises(srv.ServerError, match="192.0.2.10.*not local") as exc:
        s.start()
    assert "s3cret" not in str(exc.value)


def test_a_malformed_url_is_a_server_error():
    with pytest.raises(srv.ServerError, match="not a PostgreSQL connection URL"):
        dbmod.UrlServer("postgresql://[bad")


# ------------------------------------------------------------------ on real servers

def _binaries():
    try:
        return srv.find_bindir()
    except srv.ServerError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


@pytest.fixture
def fresh():
    """A server nobody else used (the session's pg_cluster holds the other tests' tables)."""
    with srv.LocalServer(binaries=_binaries()) as s:
        yield s


def _sql(server, text, dbname="postgres"):
    with psycopg.connect(server.conninfo(dbname), autocommit=True) as conn:
        cur = conn.execute(text)
        return cur.fetchall() if cur.description else None


def _url(server, dbname="postgres", user="postgres"):
    return f"host={server.socket_dir} port={server.port} user={user} dbname={dbname}"


def test_a_clean_server_passes_and_a_verify_run_leaves_it_as_found(fresh, tmp_path):
    from linter import config as configmod
    from linter.discovery import discover
    from linter.verify import run

    before_dbs = _sql(fresh, "SELECT datname FROM pg_database ORDER BY 1")
    before_roles = _sql(fresh, "SELECT rolname FROM pg_roles ORDER BY 1")
    _sql(fresh, "CREATE DATABASE app")  # an empty database (a service container's POSTGRES_DB) is no data
    d = tmp_path / "db" / "migrations"
    d.mkdir(parents=True)
    (d / "20240101000000_a.sql").write_text("-- migrate:up\nCREATE TABLE t (id int);\nGRANT SELECT ON t TO app_ro;\n-- migrate:down\nDROP TABLE t;\n")
    (d / "20240102000000_b.sql").write_text("-- migrate:up\nCREATE INDEX t_id ON t (id);\n-- migrate:down\nDROP INDEX t_id;\n")
    cfg = configmod.load_preset("default")
    found = discover([str(tmp_path)], base_dir=str(tmp_path))
    url = dbmod.UrlServer(_url(fresh, "app"), env={})
    report, result = run(found.files, cfg, server=url)
    assert [f.status for f in result.files] == ["applied", "applied"]
    assert result.roles == ["app_ro"]
    assert url.major == fresh.major
    # its databases and roles are gone
    assert _sql(fresh, "SELECT datname FROM pg_database WHERE datname <> 'app' ORDER BY 1") == before_dbs
    assert _sql(fresh, "SELECT rolname FROM pg_roles ORDER BY 1") == before_roles


def test_a_server_holding_other_data_is_refused_unless_throwaway(fresh):
    _sql(fresh, "CREATE DATABASE app")
    _sql(fresh, "CREATE TABLE users (id int)", "app")
    with pytest.raises(srv.ServerError, match=r"holds other data \(database app: public.users\)"):
        dbmod.UrlServer(_url(fresh), env={}).start()
    # a table in the URL's own database counts too
    _sql(fresh, "CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int)")
    with pytest.raises(srv.ServerError, match="database postgres: billing.invoices"):
        dbmod.UrlServer(_url(fresh), env={}).start()
    assert dbmod.UrlServer(_url(fresh), throwaway=True, env={}).start().major == fresh.major


def test_a_database_that_cannot_be_checked_counts_as_data(fresh):
    _sql(fresh, "CREATE DATABASE closed")
    _sql(fresh, "ALTER DATABASE closed ALLOW_CONNECTIONS false")
    with pytest.raises(srv.ServerError, match="database closed: does not accept connections"):
        dbmod.UrlServer(_url(fresh), env={}).start()


def test_a_role_that_may_not_create_databases_is_refused(fresh):
    _sql(fresh, "CREATE ROLE reader LOGIN")
    with pytest.raises(srv.ServerError, match="'reader' may not create databases"):
        dbmod.UrlServer(_url(fresh, user="reader"), env={}).start()


class _Standby(srv.LocalServer):
    """A server that starts in recovery: ``standby.signal`` in a cleanly initialised data
    directory (hot standby is on by default, so it accepts read-only connections)."""

    def _initdb(self) -> None:
        super()._initdb()
        (self.data / "standby.signal").write_text("")


def test_a_server_in_recovery_is_refused_even_when_throwaway():
    # a standby needs wal_level replica (miglint's own server runs with minimal)
    with _Standby(binaries=_binaries(), settings={"wal_level": "replica", "max_wal_senders": "10"}) as standby:
        assert _sql(standby, "SELECT pg_is_in_recovery()") == [(True,)]
        for throwaway in (False, True):
            with pytest.raises(srv.ServerError, match="in recovery"):
                dbmod.UrlServer(_url(standby), throwaway=throwaway, env={}).start()


def test_cli_database_url_refusal_is_exit_2(fresh, tmp_path):
    import subprocess
    import sys

    _sql(fresh, "CREATE DATABASE app")
    _sql(fresh, "CREATE TABLE users (id int)", "app")
    (tmp_path / "V1__a.sql").write_text("CREATE TABLE t (id int);\n")
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-m", "linter", "verify", str(tmp_path), "--database-url", _url(fresh)],
                       capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)})
    assert r.returncode == 2, r.stderr
    assert "holds other data" in r.stderr
    r = subprocess.run([sys.executable, "-m", "linter", "verify", str(tmp_path), "--database-url", _url(fresh), "--database-is-throwaway",
                        "--format", "json"], capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)})
    assert r.returncode in (0, 1), r.stderr
    assert "verified on PostgreSQL" in r.stdout
    assert _sql(fresh, "SELECT count(*) FROM pg_database WHERE datname LIKE 'miglint_verify_%'") == [(0,)]


def test_automatic_roles_need_createrole_checked_up_front(fresh, tmp_path):
    """The migrations name a role the server lacks: a --database-url role without
    CREATEROLE gets a clear error before anything runs (exit 2 on the command line, no
    traceback) and leaves the server as found; with CREATEROLE (no superuser) the roles are
    made, it is made a member of them so that CREATE SCHEMA … AUTHORIZATION works as for a
    superuser, and they are dropped at the end; with the roles on the server already, nothing is needed."""
    import subprocess
    import sys

    from linter import config as configmod
    from linter.discovery import discover
    from linter.verify import run

    d = tmp_path / "db" / "migrations"
    d.mkdir(parents=True)
    # CREATE SCHEMA … AUTHORIZATION needs membership in the role (42501 "must be member of
    # role" without it); ALTER TABLE … OWNER TO needs that and, for a non-superuser, CREATE
    # on the schema for the new owner, which miglint does not grant (a real difference)
    (d / "20240101000000_a.sql").write_text("-- migrate:up\nCREATE TABLE t (id int);\nGRANT SELECT ON t TO app_ro;\n"
                                            "CREATE SCHEMA billing AUTHORIZATION app_owner;\n"
                                            "-- migrate:down\nDROP SCHEMA billing;\nDROP TABLE t;\n")
    _sql(fresh, "CREATE ROLE deployer LOGIN CREATEDB; CREATE ROLE admin LOGIN CREATEDB CREATEROLE")
    before_roles = _sql(fresh, "SELECT rolname FROM pg_roles ORDER BY 1")
    cfg = configmod.load_preset("default")
    found = discover([str(tmp_path)], base_dir=str(tmp_path))

    with pytest.raises(srv.ServerError, match=r"the role 'deployer' may not create roles \(it needs CREATEROLE.*app_owner, app_ro"):
        run(found.files, cfg, server=dbmod.UrlServer(_url(fresh, user="deployer"), env={}))
    assert _sql(fresh, "SELECT count(*) FROM pg_database WHERE datname LIKE 'miglint_verify_%'") == [(0,)]
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-m", "linter", "verify", str(tmp_path), "--database-url", _url(fresh, user="deployer")],
                       capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)})
    assert r.returncode == 2 and "Traceback" not in r.stderr and "may not create roles" in r.stderr, r.stderr

    report, result = run(found.files, cfg, server=dbmod.UrlServer(_url(fresh, user="admin"), env={}))
    assert [f.status for f in result.files] == ["applied"] and result.roles == ["app_owner", "app_ro"]
    assert not [f for f in report.findings if f.rule_id == "verify-statement-failed"]
    assert _sql(fresh, "SELECT rolname FROM pg_roles ORDER BY 1") == before_roles

    # the roles exist on the server: no role is created, so CREATEROLE is not needed
    _sql(fresh, "CREATE ROLE app_ro NOLOGIN; CREATE ROLE app_owner NOLOGIN; GRANT app_owner TO deployer")
    report, result = run(found.files, cfg, server=dbmod.UrlServer(_url(fresh, user="deployer"), env={}))
    assert [f.status for f in result.files] == ["applied"] and result.roles == []
