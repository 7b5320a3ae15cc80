"""A throwaway PostgreSQL server that miglint owns: initdb, start, stop, remove.

``miglint verify`` replays migrations on a server it starts itself, so that it owns the
postmaster's pid and the whole data directory and can promise that nothing is left behind:

* **Binaries** (:func:`find_bindir`): ``--pg-bin DIR``, then ``$MIGLINT_PG_BIN``, then the
  directory of ``postgres``/``initdb`` on ``PATH`` (symlinks resolved), then
  ``pg_config --bindir``, then the distribution layouts (``/usr/lib/postgresql/N/bin`` on
  Debian/Ubuntu, ``/usr/pgsql-N/bin`` for PGDG RPMs), newest major first. A directory
  counts only when it holds both ``initdb`` and ``postgres``.
* **Cluster**: ``initdb -A trust -U postgres -E UTF8 --locale=C --no-sync`` into a fresh
  temporary directory, then the ``postgres`` binary is started directly (not through
  ``pg_ctl``, so the pid is the postmaster's) listening only on a Unix socket in that
  directory (``listen_addresses=''``) on a port that is free on the loopback interface,
  with durability off (``fsync``, ``synchronous_commit``, ``full_page_writes`` off:
  nothing here must survive a crash) and ``autovacuum`` off (no background worker holds
  locks that an observation of ``pg_locks`` would see). Readiness is read from
  ``postmaster.pid`` (its 8th line, ``ready``), as ``pg_ctl -w`` does: no driver needed.
* **Scrubbed environment**: ``initdb`` and ``postgres`` get only ``PATH`` (system
  directories), ``LANG``/``LC_ALL`` (``C``) and ``PGTZ``-free defaults; a migration that
  runs ``COPY … TO PROGRAM 'env'`` as the superuser sees none of miglint's variables
  (``GITHUB_TOKEN``, ``INPUT_GITHUB-TOKEN``, cloud credentials).
* **Root**: ``initdb`` refuses to run as root ("cannot be run as root"). When miglint runs
  as root (the container action does), both programs run as the ``postgres`` user when it
  exists, else ``nobody``, and the directory is given to that user.
* **Stopping** (:meth:`LocalServer.stop`): SIGINT to the postmaster's pid (PostgreSQL's
  "fast shutdown"), SIGQUIT ("immediate shutdown") after 10 s, SIGKILL after 5 s more,
  then the directory is removed. It runs when the ``with`` block ends (also on an
  exception), at interpreter exit (``atexit``) and on SIGTERM (a handler installed while a
  server runs, in the main thread only, which stops every server and exits with status
  143). The server runs in its own session, so a Ctrl-C or a SIGTERM sent to miglint's
  process group reaches miglint, which then stops the server in order. A *reaper* process
  (:data:`REAPER`) waits for miglint to end however it ends (even SIGKILL) and then does
  the same if miglint could not. (Linux's parent-death signal would not do: it is cleared
  when the server drops root's credentials.)

Sources: PostgreSQL docs "19.5. Shutting Down the Server" (SIGTERM smart, SIGINT fast,
SIGQUIT immediate), "20.5. Write Ahead Log" (``fsync``, ``full_page_writes``,
``synchronous_commit``), src/include/utils/pidfile.h (``postmaster.pid`` line 8 is the
status, ``PM_STATUS_READY`` = ``ready``).
"""

from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


class ServerError(RuntimeError):
    """The server cannot be found, initialised or started (the message says why)."""


#: Settings for a server whose data never has to survive a crash, and that shows only the
#: locks of the sessions miglint opens.
SETTINGS = {
    "listen_addresses": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "autovacuum": "off",
    # no replica will ever read this WAL: log the least, keep 2 segments of 1 MB (initdb
    # --wal-segsize=1), so that a cached copy of the data directory stays small
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "min_wal_size": "2MB",
}

#: The whole environment ``initdb`` and ``postgres`` run with.
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"



@dataclass(frozen=True)
class Binaries:
    """A directory holding ``initdb`` and ``postgres`` (``bindir``) and where it was found
    (``source``: "--pg-bin", "MIGLINT_PG_BIN", "PATH", "pg_config" or "layout")."""

    bindir: Path
    source: str

    def tool(self, name: str) -> str:
        """The path of the program ``name`` in :attr:`bindir`."""
        return str(self.bindir / name)


def _has_server(d: Path) -> bool:
    return (d / "initdb").is_file() and (d / "postgres").is_file() and os.access(d / "postgres", os.X_OK)


def _major_key(path: str) -> tuple:
    """Sort key: the version number in a layout path (``/usr/lib/postgresql/15/bin``)."""
    m = re.search(r"(?:postgresql/|pgsql-)(\d+)(?:\.(\d+))?", path)
    return (int(m.group(1)), int(m.group(2) or 0)) if m else (0, 0)


def find_bindir(pg_bin: str | None = None, *, env: dict | None = None, layouts: tuple[str, ...] = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin")) -> Binaries:
    """The server binaries, in the order the module docstring gives; ``pg_bin`` (the
    ``--pg-bin`` flag) wins and must hold them. ``env`` defaults to ``os.environ``.
    Raises :class:`ServerError` naming what was tried."""
    env = os.environ if env is None else env
    if pg_bin:
        d = Path(pg_bin)
        if not _has_server(d):
            raise ServerError(f"--pg-bin {pg_bin}: no initdb and postgres there")
        return Binaries(d, "--pg-bin")
    if env.get("MIGLINT_PG_BIN"):
        d = Path(env["MIGLINT_PG_BIN"])
        if _has_server(d):
            return Binaries(d, "MIGLINT_PG_BIN")
    for name in ("postgres", "initdb"):
        found = shutil.which(name, path=env.get("PATH", os.defpath))
        if found:
            d = Path(os.path.realpath(found)).parent
            if _has_server(d):
                return Binaries(d, "PATH")
    pg_config = shutil.which("pg_config", path=env.get("PATH", os.defpath))
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and _has_server(Path(out)):
            return Binaries(Path(out), "pg_config")
    for pattern in layouts:
        for cand in sorted(glob.glob(pattern), key=_major_key, reverse=True):
            if _has_server(Path(cand)):
                return Binaries(Path(cand), "layout")
    raise ServerError("PostgreSQL server binaries (initdb, postgres) not found: give --pg-bin DIR, put them on PATH, "
                      "or install a server package (Debian/Ubuntu: postgresql)")


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 now (the server listens only on its Unix
    socket, whose name holds the port; a free one keeps it free for TCP too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrubbed_env(bindir: Path) -> dict[str, str]:
    """The environment of ``initdb`` and ``postgres``: a system ``PATH`` and the C locale,
    nothing of miglint's own environment (tokens, credentials, ``PG*`` connection
    variables)."""
    return {"PATH": f"{bindir}:{SAFE_PATH}", "LANG": "C", "LC_ALL": "C"}


def _unprivileged_user() -> tuple[int, int, str] | None:
    """``(uid, gid, name)`` to run the server as when miglint runs as root, else None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_uid, pw.pw_gid, name
    raise ServerError("miglint runs as root and there is no postgres or nobody user to run the server as")


#: The reaper: a small process that outlives miglint only to stop the postmaster and remove
#: the directory when miglint dies without doing it (SIGKILL, a crash of the interpreter).
#: It waits for end-of-file on its standard input, a pipe only miglint holds the other end
#: of, so the kernel closes it whatever way miglint ends; the pid is checked against the
#: data directory in its command line first (a pid may be reused).
REAPER = r"""
import os, shutil, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pid, datadir, top = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.stdin.buffer.read()
def alive():
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as fh:
            return datadir.encode() in fh.read()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False
for sig, wait in ((signal.SIGINT, 10), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
    if not alive():
        break
    try:
        os.kill(pid, sig)
    except OSError:
        break
    end = time.monotonic() + wait
    while alive() and time.monotonic() < end:
        time.sleep(0.05)
shutil.rmtree(top, ignore_errors=True)
"""


_RUNNING: list["LocalServer"] = []
_LOCK = threading.Lock()
_PREVIOUS_SIGTERM = None
_ATEXIT = False


def stop_all() -> None:
    """Stop every server this process started and has not stopped yet."""
    for server in list(_RUNNING):
        server.stop()


def _on_sigterm(signum, frame):
    stop_all()
    raise SystemExit(128 + signum)


def _register(server: "LocalServer") -> None:
    global _PREVIOUS_SIGTERM, _ATEXIT
    with _LOCK:
        _RUNNING.append(server)
        if not _ATEXIT:
            atexit.register(stop_all)
            _ATEXIT = True
        if _PREVIOUS_SIGTERM is None and threading.current_thread() is threading.main_thread():
            _PREVIOUS_SIGTERM = signal.signal(signal.SIGTERM, _on_sigterm)


def _unregister(server: "LocalServer") -> None:
    global _PREVIOUS_SIGTERM
    with _LOCK:
        if server in _RUNNING:
            _RUNNING.remove(server)
        if not _RUNNING and _PREVIOUS_SIGTERM is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _PREVIOUS_SIGTERM)
            _PREVIOUS_SIGTERM = None


class ServerVersion:
    """What a server says of its version, from its ``version_num`` (``server_version_num``:
    major * 10000 + minor, PostgreSQL 10 and later): ``version_text`` and ``major``. Shared by
    :class:`LocalServer` and :class:`linter.verify.database.UrlServer`."""

    version_num: int

    @property
    def version_text(self) -> str:
        """``"15.18"``."""
        return f"{self.version_num // 10000}.{self.version_num % 10000}"

    @property
    def major(self) -> int:
        """The server's major version (15 for 15.18)."""
        return self.version_num // 10000


class LocalServer(ServerVersion):
    """A PostgreSQL cluster in a temporary directory, served by a postmaster miglint
    started (see the module docstring). Use as a context manager, or call :meth:`start`
    and :meth:`stop`.

    Attributes once started: ``dir`` (the temporary directory: ``data/``, the socket and
    ``server.log``), ``port``, ``pid`` (the postmaster's), ``version_num``
    (``server_version_num`` from ``PG_VERSION``/``postgres --version``: major * 10000 +
    minor), ``user`` (the OS user it runs as when miglint is root, else None).
    Connect with :meth:`conninfo` (host = the socket directory, user ``postgres``, no
    password: ``trust`` on the socket of a directory only that user can enter).
    """

    def __init__(self, pg_bin: str | None = None, *, binaries: Binaries | None = None, settings: dict[str, str] | None = None,
                 ready_timeout: float = 30.0) -> None:
        self.binaries = binaries or find_bindir(pg_bin)
        self.settings = {**SETTINGS, **(settings or {})}
        self.ready_timeout = ready_timeout
        self.dir: Path | None = None
        self.port = 0
        self.pid: int | None = None
        self.user: str | None = None
        self.version = ""
        self.version_num = 0
        self._proc: subprocess.Popen | None = None
        self._reaper: subprocess.Popen | None = None
        self._run_as: tuple[int, int, str] | None = None

    # ------------------------------------------------------------------ life cycle

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def data(self) -> Path:
        """The data directory (``initdb -D``)."""
        assert self.dir is not None
        return self.dir / "data"

    @property
    def socket_dir(self) -> str:
        """The directory holding the Unix socket (libpq's ``host``)."""
        return str(self.dir)

    def conninfo(self, dbname: str = "postgres") -> str:
        """A libpq connection string for ``dbname`` on this server."""
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={dbname}"

    #: The data directory can be copied into a cache and started from a copy
    #: (:mod:`linter.verify.basecache`); a ``--database-url`` server cannot.
    cacheable = True

    @property
    def started(self) -> bool:
        """True once :meth:`start` ran (until :meth:`stop`)."""
        return self.dir is not None and self._proc is not None

    def start(self, from_data: Path | None = None) -> "LocalServer":
        """initdb (or, with ``from_data``, copy that data directory of a cleanly stopped
        server of the same binaries: :mod:`linter.verify.basecache`), start and wait until
        the server accepts connections; on any failure the directory is removed and
        :class:`ServerError` is raised with the log's tail."""
        self._run_as = _unprivileged_user()
        self.user = self._run_as[2] if self._run_as else None
        self.dir = Path(tempfile.mkdtemp(prefix="miglint-pg-"))
        _register(self)
        try:
            if self._run_as:
                os.chown(self.dir, self._run_as[0], self._run_as[1])
            if from_data is not None:
                self._copy_data(Path(from_data), self.data)
                self.version = (self.data / "PG_VERSION").read_text().strip()
            else:
                self._initdb()
            self._spawn()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _copy_data(self, src: Path, dest: Path) -> None:
        """Copy a data directory (PostgreSQL wants it 0700 and owned by the server's user)."""
        try:
            shutil.copytree(src, dest, symlinks=True, copy_function=shutil.copyfile)
            os.chmod(dest, 0o700)
            if self._run_as:
                for d, dirs, files in os.walk(dest):
                    os.chown(d, self._run_as[0], self._run_as[1])
                    for name in files:
                        os.chown(os.path.join(d, name), self._run_as[0], self._run_as[1])
        except OSError as exc:
            raise ServerError(f"cannot copy the cached data directory {src}: {exc}") from None

    def save_data(self, dest: Path) -> None:
        """Stop the postmaster cleanly (fast shutdown: a checkpoint, so the files are
        consistent), copy the data directory to ``dest`` (which must not exist), and start
        the server again on the same directory and port. The old reaper keeps guarding the
        directory until the new postmaster has its own."""
        proc = self._proc
        if proc is None:
            raise ServerError("the server is not running")
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            raise ServerError("the server did not stop to save its data directory") from None
        redo = self._redo_wal_file()
        skip = shutil.ignore_patterns("postmaster.pid", "postmaster.opts", "*.log")

        def ignore(d: str, names: list[str]) -> set[str]:
            out = set(skip(d, names))
            if redo and os.path.basename(d) == "pg_wal":  # recycled segments kept for later: not needed
                out |= {n for n in names if re.fullmatch(r"[0-9A-F]{24}", n) and n != redo}
            return out

        try:
            shutil.copytree(self.data, dest, symlinks=True, copy_function=shutil.copyfile, ignore=ignore)
        finally:
            old_reaper = self._reaper
            port = self.port
            self._spawn(port)
            if old_reaper is not None:  # ignores SIGINT and SIGTERM; SIGKILL ends it without removing anything
                old_reaper.kill()
                old_reaper.wait()
            self._wait_ready()

    def _popen_kw(self) -> dict:
        kw: dict = {"env": scrubbed_env(self.binaries.bindir), "cwd": str(self.dir), "stdin": subprocess.DEVNULL}
        if self._run_as:
            kw.update(user=self._run_as[0], group=self._run_as[1], extra_groups=[])
        return kw

    def _initdb(self) -> None:
        cmd = [self.binaries.tool("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
               "--locale=C", "--no-sync", "--wal-segsize=1"]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **self._popen_kw())
        except (OSError, subprocess.SubprocessError) as exc:
            raise ServerError(f"initdb failed: {exc}") from None
        if r.returncode != 0:
            raise ServerError(f"initdb failed: {(r.stderr or r.stdout).strip()[-2000:]}")
        self.version = (self.data / "PG_VERSION").read_text().strip()

    def _spawn(self, port: int | None = None) -> None:
        self.port = port or free_port()
        cmd = [self.binaries.tool("postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.dir)]
        for k, v in self.settings.items():
            cmd += ["-c", f"{k}={v}"]
        log = open(self.dir / "server.log", "ab")
        try:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **self._popen_kw())
        except OSError as exc:
            raise ServerError(f"cannot start postgres: {exc}") from None
        finally:
            log.close()
        self.pid = self._proc.pid
        try:
            self._reaper = subprocess.Popen([sys.executable, "-I", "-c", REAPER, str(self.pid), str(self.data), str(self.dir)],
                                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            start_new_session=True)
        except OSError:  # no reaper: the exit, error and SIGTERM paths still stop the server
            self._reaper = None

    def _redo_wal_file(self) -> str | None:
        """The WAL segment the last checkpoint's redo starts in (``pg_controldata``), or None.
        After a clean shutdown it is the only segment a copy needs: the older ones are done
        with and the newer ones are segments recycled for later use, not yet written
        (PostgreSQL docs, "WAL Configuration": ``min_wal_size``, recycling)."""
        tool = self.binaries.tool("pg_controldata")
        try:
            out = subprocess.run([tool, "-D", str(self.data)], capture_output=True, text=True, timeout=10,
                                 env=scrubbed_env(self.binaries.bindir)).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        state = re.search(r"^Database cluster state:\s*shut down\s*$", out, re.M)
        m = re.search(r"^Latest checkpoint's REDO WAL file:\s*([0-9A-F]{24})\s*$", out, re.M)
        return m.group(1) if m and state else None

    def _wait_ready(self) -> None:
        pidfile = self.data / "postmaster.pid"
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ServerError(f"postgres exited with status {self._proc.returncode}: {self.log_tail()}")
            try:
                lines = pidfile.read_text().splitlines()
            except OSError:
                lines = []
            if len(lines) >= 8 and lines[7].strip() == "ready":
                self.version_num = self._version_num()
                return
            time.sleep(0.01)
        raise ServerError(f"postgres did not become ready in {self.ready_timeout:.0f} s: {self.log_tail()}")

    def _version_num(self) -> int:
        """``server_version_num`` from ``postgres --version`` ("postgres (PostgreSQL) 15.18 (Debian …)")."""
        try:
            out = subprocess.run([self.binaries.tool("postgres"), "--version"], capture_output=True, text=True, timeout=10,
                                 env=scrubbed_env(self.binaries.bindir)).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        m = re.search(r"\)\s*(\d+)(?:\.(\d+))?", out)
        if not m:
            return int(self.version.split(".")[0]) * 10000 if self.version.split(".")[0].isdigit() else 0
        return int(m.group(1)) * 10000 + int(m.group(2) or 0)

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the server's log (for error messages)."""
        try:
            return (self.dir / "server.log").read_text(errors="replace")[-chars:].strip()
        except (OSError, TypeError):
            return ""

    def running(self) -> bool:
        """True while the postmaster has not exited."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """Stop the postmaster by its pid (fast, then immediate, then kill) and remove the
        directory. Idempotent; safe to call from a signal handler or ``atexit``."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGINT, 10.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    proc.send_signal(sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        reaper, self._reaper = self._reaper, None
        if reaper is not None:  # nothing left for it to do: end-of-file lets it exit
            try:
                reaper.stdin.close()
                reaper.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _unregister(self)
