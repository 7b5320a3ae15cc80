"""A throwaway PostgreSQL cluster for tests that need the real server.

Finds ``initdb``/``pg_ctl``/``postgres`` (PATH, then ``/usr/lib/postgresql/*/bin``), runs
them as the ``postgres`` user when the tests run as root (initdb refuses root), listens
only on a Unix socket in a temporary directory, and stops the server at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for cand in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return cand
    return None


class Cluster:
    """A running server: :meth:`sql` runs a script with psql and returns its output rows."""

    def __init__(self) -> None:
        self.initdb, self.pg_ctl, self.psql = _bin("initdb"), _bin("pg_ctl"), _bin("psql")
        if not (self.initdb and self.pg_ctl and self.psql):
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl, psql) not found")
        self.dir = Path(tempfile.mkdtemp(prefix="miglint-pg-"))
        self.data = self.dir / "data"
        self.sock = self.dir / "sock"
        self.sock.mkdir()
        self.user = None
        if os.geteuid() == 0:  # initdb refuses to run as root
            import pwd

            try:
                self.user = pwd.getpwnam("postgres").pw_name
            except KeyError:
                self.user = "nobody"
            shutil.chown(self.dir, self.user)
            shutil.chown(self.sock, self.user)
        self._run([self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"])
        opts = f"-c listen_addresses='' -c unix_socket_directories='{self.sock}' -c fsync=off"
        self._run([self.pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"])
        out = self.sql("SHOW server_version_num")
        self.version = int(out[0][0]) // 10000

    def _run(self, cmd: list[str], **kw) -> subprocess.CompletedProcess:
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)

    def sql(self, script: str) -> list[list[str]]:
        """Run ``script`` (stops at the first error) and return the rows it printed."""
        r = subprocess.run(
            [self.psql, "-h", str(self.sock), "-U", "postgres", "-d", "postgres", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
            input=script, capture_output=True, text=True,
        )
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def stop(self) -> None:
        try:
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
