"""Time from ``miglint server`` start to the first diagnostics, as an editor sees it.

Starts the server as an editor does (``python -m linter server --stdio``), sends
``initialize`` with the repository as the workspace folder, ``initialized``, then
``textDocument/didOpen`` of one migration file of it at once, and measures the wall time
from process start to the ``textDocument/publishDiagnostics`` of that file; then
``shutdown`` and ``exit``, and the server's CPU time (user + system, its worker processes
included, from ``os.wait4``). The server lints the whole workspace before its first
diagnostics (the file-set rules need every file's summary), so this is the cold start of
a repository.

Usage::

    python bench/server_bench.py [REPO] [--file PATH] [--runs N]

REPO defaults to the corpus's openmeterio__openmeter (538 migration files, one
golang-migrate root); ``--file`` picks the file opened (default: the last ``*.sql`` in sorted
order). Plain JSON-RPC over pipes: no LSP client library is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_REPO = HERE.parent.parent / "shared" / "corpus" / "openmeterio__openmeter"


def _send(proc: subprocess.Popen, msg: dict) -> None:
    body = json.dumps(msg).encode("utf-8")
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()


def _read(proc: subprocess.Popen) -> dict:
    length = 0
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the server closed its output")
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(proc.stdout.read(length))


def run_once(repo: Path, target: Path) -> tuple[float, float, int]:
    """``(seconds to first diagnostics, server CPU seconds, diagnostics received)``."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "linter", "server", "--stdio"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, cwd=str(HERE.parent))
    uri = target.resolve().as_uri()
    _send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": os.getpid(), "rootUri": repo.resolve().as_uri(), "capabilities": {},
        "workspaceFolders": [{"uri": repo.resolve().as_uri(), "name": repo.name}]}})
    while "id" not in (msg := _read(proc)) or msg.get("id") != 1:
        pass
    _send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    _send(proc, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "sql", "version": 1, "text": target.read_text(encoding="utf-8")}}})
    while True:
        msg = _read(proc)
        if msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri:
            elapsed = time.perf_counter() - start
            count = len(msg["params"]["diagnostics"])
            break
    _send(proc, {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
    while _read(proc).get("id") != 2:
        pass
    _send(proc, {"jsonrpc": "2.0", "method": "exit", "params": None})
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"the server exited with {proc.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime, count


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", nargs="?", default=str(DEFAULT_REPO), help="repository opened as the workspace")
    ap.add_argument("--file", help="migration file opened (default: the last *.sql of the repository)")
    ap.add_argument("--runs", type=int, default=3, help="runs; the best is reported too (default 3)")
    args = ap.parse_args(argv)
    repo = Path(args.repo)
    files = sorted(repo.rglob("*.sql"))
    target = Path(args.file) if args.file else files[-1]
    print(f"repository {repo} ({len(files)} *.sql files); opening {target.relative_to(repo) if target.is_relative_to(repo) else target}")
    times = []
    for i in range(args.runs):
        elapsed, cpu, count = run_once(repo, target)
        times.append(elapsed)
        print(f"run {i + 1}: first diagnostics after {elapsed:.2f} s ({count} diagnostics); server CPU {cpu:.2f} s")
    print(f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
