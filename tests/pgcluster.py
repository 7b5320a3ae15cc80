"""A throwaway PostgreSQL cluster for tests that need the real server.

The server is miglint's own (:class:`linter.verify.server.LocalServer`: binaries from
PATH, ``pg_config`` or ``/usr/lib/postgresql/*/bin``, run as the ``postgres`` user when the
tests run as root, a Unix socket in a temporary directory, stopped by its pid at the end);
this wrapper adds :meth:`Cluster.sql`, which runs a script with ``psql`` as the tests
always have.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from linter.verify.server import LocalServer, ServerError


class Cluster:
    """A running server: :meth:`sql` runs a script with psql and returns its output rows.
    ``sock`` is the socket directory, ``psql`` the client, ``version`` the major version."""

    def __init__(self) -> None:
        self.server = LocalServer()
        self.psql = self.server.binaries.tool("psql")
        if not Path(self.psql).is_file():
            raise ServerError(f"psql not found beside the server binaries in {self.server.binaries.bindir}")
        self.server.start()
        self.sock = Path(self.server.socket_dir)
        self.port = self.server.port
        self.version = self.server.major

    def sql(self, script: str) -> list[list[str]]:
        """Run ``script`` (stops at the first error) and return the rows it printed."""
        r = subprocess.run(
            [self.psql, "-h", str(self.sock), "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
            input=script, capture_output=True, text=True,
        )
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        self.server.stop()
