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
* **one file**: the replay of a one-file project (the floor per run).

Linting itself is measured by bench/bench.py.

    .venv/bin/python bench/verify_bench.py [--migrations 500] [--repeat 3]
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--migrations", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    try:
        import psycopg  # noqa: F401
        from linter.verify.server import LocalServer, ServerError
    except ImportError:
        print("psycopg is not installed: pip install -e '.[verify]'")
        return 1
    starts, stops, whole, one = [], [], [], []
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
