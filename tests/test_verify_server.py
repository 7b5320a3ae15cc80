"""The throwaway server of ``miglint verify`` (linter/verify/server.py): binary discovery
on fake directory trees, and on the real server: no postmaster or directory left after
success, an error and SIGTERM; the server cannot see miglint's secrets; as root it runs as
an unprivileged user."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from linter.verify import server as srv


def _fake_bindir(d: Path, *, postgres: bool = True) -> Path:
    d.mkdir(parents=True)
    names = ["initdb", "psql"] + (["postgres"] if postgres else [])
    for name in names:
        p = d / name
        p.write_text("#!/bin/sh\n")
        p.chmod(0o755)
    return d


def test_pg_bin_wins_and_must_hold_the_server(tmp_path):
    good = _fake_bindir(tmp_path / "good")
    found = srv.find_bindir(str(good), env={"PATH": ""})
    assert (found.bindir, found.source) == (good, "--pg-bin")
    half = _fake_bindir(tmp_path / "client-only", postgres=False)
    with pytest.raises(srv.ServerError, match="no initdb and postgres"):
        srv.find_bindir(str(half), env={"PATH": ""})


def test_discovery_order_env_then_path_then_layout(tmp_path):
    envdir = _fake_bindir(tmp_path / "env")
    pathdir = _fake_bindir(tmp_path / "path")
    layout = tmp_path / "usr/lib/postgresql"
    for major in ("9.6", "15", "16"):
        _fake_bindir(layout / major / "bin")
    pattern = (str(layout / "*" / "bin"),)
    assert srv.find_bindir(env={"MIGLINT_PG_BIN": str(envdir), "PATH": str(pathdir)}, layouts=pattern).source == "MIGLINT_PG_BIN"
    assert srv.find_bindir(env={"PATH": str(pathdir)}, layouts=pattern).bindir == pathdir
    # by major version, not by name: 16 before 9.6
    assert srv.find_bindir(env={"PATH": str(tmp_path / "none")}, layouts=pattern).bindir == layout / "16" / "bin"
    with pytest.raises(srv.ServerError, match="not found"):
        srv.find_bindir(env={"PATH": str(tmp_path / "none")}, layouts=(str(tmp_path / "nothing/*/bin"),))


def test_path_symlink_resolves_to_the_server_directory(tmp_path):
    real = _fake_bindir(tmp_path / "lib/postgresql/15/bin")
    onpath = tmp_path / "bin"
    onpath.mkdir()
    (onpath / "initdb").symlink_to(real / "initdb")  # Debian's /usr/local/bin/initdb, without postgres beside it
    assert srv.find_bindir(env={"PATH": str(onpath)}, layouts=()).bindir == real


def test_scrubbed_env_holds_nothing_of_ours(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    env = srv.scrubbed_env(Path("/x/bin"))
    assert set(env) == {"PATH", "LANG", "LC_ALL"}
    assert env["PATH"].startswith("/x/bin:")


# ------------------------------------------------------------------ on a real server

def _binaries():
    try:
        return srv.find_bindir()
    except srv.ServerError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            state = next(line for line in fh if line.startswith("State:"))
    except (FileNotFoundError, StopIteration):
        return False
    return "zombie" not in state


def _connect(server):
    psycopg = pytest.importorskip("psycopg")
    return psycopg.connect(server.conninfo(), autocommit=True)


def test_success_leaves_no_postmaster_nor_directory():
    with srv.LocalServer(binaries=_binaries()) as s:
        pid, d = s.pid, s.dir
        reaper = s._reaper.pid
        assert _alive(pid) and d.is_dir()
        with _connect(s) as conn:
            assert conn.execute("SHOW fsync").fetchone()[0] == "off"
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "off"
            assert conn.execute("SHOW full_page_writes").fetchone()[0] == "off"
            assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
            assert conn.execute("SHOW server_version_num").fetchone()[0] == str(s.version_num)
    assert not _alive(pid)
    assert not d.exists()
    assert not _alive(reaper)  # the reaper ends with the server
    assert s not in srv._RUNNING


def test_an_error_leaves_no_postmaster_nor_directory():
    with pytest.raises(ZeroDivisionError):
        with srv.LocalServer(binaries=_binaries()) as s:
            pid, d = s.pid, s.dir
            1 / 0
    assert not _alive(pid)
    assert not d.exists()


def test_a_server_that_does_not_start_leaves_no_directory():
    s = srv.LocalServer(binaries=_binaries(), settings={"no_such_setting": "1"})
    with pytest.raises(srv.ServerError, match="no_such_setting"):
        s.start()
    assert not s.dir.exists()
    assert s not in srv._RUNNING


def test_sigterm_stops_the_server_and_removes_the_directory(tmp_path):
    b = _binaries()
    script = textwrap.dedent(f"""
        import sys, time
        from linter.verify.server import LocalServer, Binaries
        from pathlib import Path
        s = LocalServer(binaries=Binaries(Path({str(b.bindir)!r}), "test")).start()
        print(s.pid, s.dir, flush=True)
        time.sleep(60)
    """)
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        pid_s, d = proc.stdout.readline().split()
        pid = int(pid_s)
        assert _alive(pid) and Path(d).is_dir()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert not Path(d).exists()


def test_the_server_cannot_see_our_secrets(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_verify_must_not_leak")
    monkeypatch.setenv("INPUT_GITHUB-TOKEN", "ghp_verify_must_not_leak")
    with srv.LocalServer(binaries=_binaries()) as s, _connect(s) as conn:
        conn.execute("CREATE TEMP TABLE env (line text)")
        conn.execute("COPY env FROM PROGRAM 'env'")  # what a migration running COPY … PROGRAM would see
        lines = [r[0] for r in conn.execute("SELECT line FROM env")]
    assert lines, "COPY FROM PROGRAM returned nothing"
    assert not [x for x in lines if "ghp_verify_must_not_leak" in x or x.startswith(("GITHUB_", "INPUT_"))]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="runs only as root")
def test_as_root_the_server_runs_unprivileged():
    with srv.LocalServer(binaries=_binaries()) as s:
        assert s.user in ("postgres", "nobody")
        with open(f"/proc/{s.pid}/status") as fh:
            uid = next(line for line in fh if line.startswith("Uid:")).split()[1]
        assert uid != "0"


def test_sigkill_of_miglint_still_stops_the_server(tmp_path):
    """The reaper: even after ``kill -9`` of miglint the postmaster is stopped and the
    directory removed."""
    import shutil

    b = _binaries()
    script = textwrap.dedent(f"""
        import time
        from linter.verify.server import LocalServer, Binaries
        from pathlib import Path
        s = LocalServer(binaries=Binaries(Path({str(b.bindir)!r}), "test")).start()
        print(s.pid, s.dir, flush=True)
        time.sleep(60)
    """)
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        pid_s, d = proc.stdout.readline().split()
        pid = int(pid_s)
        assert _alive(pid)
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 15
        while (_alive(pid) or Path(d).exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
        assert not Path(d).exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(d, ignore_errors=True)
