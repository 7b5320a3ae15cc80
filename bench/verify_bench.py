#!/usr/bin/env python3
"""Speed of ``miglint verify``'s server and replay (issue 13's budget: cold start + base
replay + one new migration ≤ 2 s, ≤ 0.5 s per additional migration, 500-migration project).

A report, never a test: prints figures and exits 0 (1 when no server or driver). Builds a
synthetic dbmate project of ``--migrations`` files (a table, then per file an added column,
an index and an update: each wrapped in dbmate's transaction, every statement observed),
then measures, best of ``--repeat`` runs:

* **server**: :class:`linter.verify.server.LocalServer` start (initdb + postgres ready) and stop;
* **replay**: :func:`linter.verify.replay.replay` of the whole project on a started server
  (what a base replay costs today: there is no cache of the base schema yet; the round
  trip of the last file included, as ``--roundtrip new`` does without ``--base``), and per file;
* **one file**: the replay of a one-file project (the floor per run);
* **a change on a long history** (issue 13's budget), through :func:`linter.verify.run` as
  ``miglint verify --base main`` runs it (lint included): the same project in a git
  repository whose ``main`` holds all but the last ``k`` files (``k`` = 1 and
  ``--new``), started from nothing (**cold**: initdb, the base replayed into a template
  database and stored in an empty cache directory) and again (**warm**: the cached data
  directory copied and started); per additional new migration = (warm with ``--new`` −
  warm with 1) / (``--new`` − 1). ``--cli`` also times the warm run as a ``miglint
  verify`` process (interpreter start and imports included).

Linting itself is measured by bench/bench.py.

    .venv/bin/python bench/verify_bench.py [--migrations 500] [--repeat 3] [--new 5] [--cli]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _project(root: Path, n: int) -> None:
    d = root / "db" / "migrations"
    d.mkdir(parents=True)
    (d / "20240101000000_base.sql").write_text(
        "-- migrate:up\nCREATE TABLE items (id bigint PRIMARY KEY, name text);\n-- migrate:down\nDROP TABLE items;\n")
    for i in range(1, n):
        (d / f"{20240101000000 + i}_step_{i}.sql").write_text(
            f"-- migrate:up\nALTER TABLE items ADD COLUMN c{i} int;\nCREATE INDEX items_c{i}_idx ON items (c{i});\n"
            f"UPDATE items SET c{i} = 0 WHERE c{i} IS NULL;\n-- migrate:down\nALTER TABLE items DROP COLUMN c{i};\n")


def _replay(root: Path, server):
    from linter import config as configmod
    from linter.discovery import discover
    from linter.verify.replay import replay

    cfg = configmod.load_preset("default")
    found = discover([str(root)], base_dir=str(root))
    t0 = time.perf_counter()
    result = replay(found.files, cfg, server)
    return time.perf_counter() - t0, result


def _git(cwd: Path, *args: str) -> None:
    import os
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _change(root: Path, n: int, new: int) -> Path:
    """The ``n``-file project in a git repository: ``main`` without the last ``new`` files,
    the work tree with them (what a pull request adds)."""
    _project(root, n)
    d = root / "db" / "migrations"
    names = sorted(p.name for p in d.iterdir())
    held = root / "held"
    held.mkdir()
    for name in names[n - new:]:
        (d / name).rename(held / name)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "db")
    _git(root, "commit", "-q", "-m", "base")
    for p in held.iterdir():
        p.rename(d / p.name)
    held.rmdir()
    return root


def _verify_change(root: Path, cache_dir: Path):
    """``(wall seconds, (CPU seconds of miglint and the server, of the server alone), the
    base's note, cache state, files observed)`` of :func:`linter.verify.run` on ``root`` with
    ``--base main`` and a fresh :class:`LocalServer` (CPU: this process and its reaped
    children; the server's is the children's: the postmaster, its backends, ``initdb``)."""
    import os

    from linter import config as configmod
    from linter.discovery import discover
    from linter.verify import run
    from linter.verify.basecache import Cache
    from linter.verify.server import LocalServer

    import resource

    def cpu() -> tuple[float, float]:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, kids.ru_utime + kids.ru_stime

    cwd = os.getcwd()
    os.chdir(root)
    try:
        c0 = cpu()
        t0 = time.perf_counter()
        cfg = configmod.load_preset("default")
        cfg.base = "main"
        found = discover([str(root)], base_dir=str(root))
        server = LocalServer()
        try:
            report, result = run(found.files, cfg, server=server, cache=Cache(cache_dir) if cache_dir else None)
        finally:
            server.stop()
        secs = time.perf_counter() - t0
        c1 = cpu()
        cpu_secs = (c1[0] - c0[0], c1[1] - c0[1])
    finally:
        os.chdir(cwd)
    note = next((n for n in report.notes if n.startswith("base schema")), "")
    state = "hit" if "from the cache" in note else "miss" if "saved to the cache" in note else "off"
    observed = [fr for fr in result.files if any(s.observed for s in fr.statements)]
    return secs, cpu_secs, note, state, len(observed)


def _cli(root: Path, cache_dir: Path) -> float:
    import os
    import subprocess

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "linter", "verify", "--base", "main", "--cache-dir", str(cache_dir), "--format", "json",
                    "--output", os.devnull, "."], cwd=root, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    return time.perf_counter() - t0


def _change_bench(args, tmp: str) -> None:
    n, k = args.migrations, max(2, args.new)
    rows = {}
    for new in (1, k):
        cold, warm, clis, off = [], [], [], []
        for i in range(args.repeat):
            root = _change(Path(tmp) / f"change{new}-{i}", n, new)
            cache_dir = Path(tmp) / f"cache{new}-{i}"
            if new == 1:  # what every run cost before the cache: initdb, base replayed into a template
                secs, cpu_secs, note, state, observed = _verify_change(root, None)
                off.append((secs, *cpu_secs))
            secs, cpu_secs, note, state, observed = _verify_change(root, cache_dir)
            assert state == "miss", note
            cold.append((secs, *cpu_secs))
            secs, cpu_secs, note, state, observed = _verify_change(root, cache_dir)
            assert state == "hit", note
            assert observed == new, observed
            warm.append((secs, *cpu_secs))
            if args.cli:
                clis.append(_cli(root, cache_dir))
        rows[new] = (min(cold), min(warm), min(clis) if clis else None)
        if off:
            no_cache = min(off)
    print(f"  a change on a {n}-migration history (--base main; lint included), wall / CPU (of which the server's):")
    print(f"    1 new, no cache (--no-cache)                {no_cache[0]:6.3f} / {no_cache[1]:6.3f} ({no_cache[2]:.3f}) s")
    for new, (c, w, cli) in rows.items():
        extra = f"; warm as a process {cli:.3f} s wall" if cli is not None else ""
        print(f"    {new} new: cold (initdb, base replayed, cached) {c[0]:6.3f} / {c[1]:6.3f} ({c[2]:.3f}) s; "
              f"warm (cache copied) {w[0]:6.3f} / {w[1]:6.3f} ({w[2]:.3f}) s{extra}")
    per = [(rows[k][1][i] - rows[1][1][i]) / (k - 1) for i in range(3)]
    print(f"    per additional new migration (warm)  {per[0]:6.3f} / {per[1]:6.3f} ({per[2]:.3f}) s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--migrations", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--new", type=int, default=5, help="new migrations of the second change (default 5)")
    ap.add_argument("--cli", action="store_true", help="also time the warm run as a miglint verify process")
    ap.add_argument("--only-change", action="store_true", help="only the change on a long history")
    args = ap.parse_args(argv)
    try:
        import psycopg  # noqa: F401
        from linter.verify.server import LocalServer, ServerError
    except ImportError:
        print("psycopg is not installed: pip install -e '.[verify]'")
        return 1
    starts, stops, whole, one = [], [], [], []
    if args.only_change:
        with tempfile.TemporaryDirectory() as tmp:
            _change_bench(args, tmp)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        _project(big, args.migrations)
        _project(small, 1)
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            try:
                server = LocalServer().start()
            except ServerError as exc:
                print(f"no server: {exc}")
                return 1
            starts.append(time.perf_counter() - t0)
            try:
                one.append(_replay(small, server)[0])
                secs, result = _replay(big, server)
                whole.append(secs)
                applied = sum(1 for f in result.files if f.status == "applied")
            finally:
                t0 = time.perf_counter()
                server.stop()
                stops.append(time.perf_counter() - t0)
    n = args.migrations
    print(f"PostgreSQL {server.version_text}, {n} migrations ({applied} applied), best of {args.repeat}")
    print(f"  server start (initdb + ready)   {min(starts):7.3f} s")
    print(f"  server stop (and remove)        {min(stops):7.3f} s")
    print(f"  replay of a one-file project    {min(one):7.3f} s")
    print(f"  replay of {n} files            {min(whole):7.3f} s  ({min(whole) / n * 1000:.1f} ms per file)")
    print(f"  cold start + one file           {min(starts) + min(one) + min(stops):7.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        _change_bench(args, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
