#!/usr/bin/env python3
"""Where users wait: the pull-request path and one file, cold (issue 15, targets 1 and 2).

* **pull request**: a copy of ``openmeterio__openmeter`` (one golang-migrate root of ~540
  files) committed in a throwaway git repository as branch ``main``; on a branch, a change
  adds 2 files (a new up migration and its down). Measured: ``miglint lint --changed --base
  main --format json --output F`` in that repository, process start to exit. ``miglint
  github`` takes the same path (:mod:`linter.changed`) after asking GitHub for the change.
  Target: <= 150 ms median.
* **one file**: ``miglint lint FILE`` on the median-size ``up.sql`` of ``rust-lang__crates.io``
  (the file bench/bench.py times), process start to exit. Target: <= 100 ms median.

Each is run ``--runs`` times, interleaved; printed: median and best wall time, and the median
CPU time (user + sys of the child, from ``os.wait4``: on a shared machine, wall time moves
with the other processes' load, CPU time much less). Python children cache their bytecode
under ``bench/.cache/pycache`` as an installed package has it.

``measure(corpus, runs)`` returns the figures as a dict (for bench/speed.py); ``python
bench/pr_path.py [--runs N] [--corpus DIR] [--json FILE] [--before DIR]`` prints them
(``--before``: another checkout timed in the same runs). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
CACHE = BENCH_DIR / ".cache"
PR_PROJECT = "openmeterio__openmeter"
SINGLE_FILE_PROJECT = "rust-lang__crates.io"
#: Targets of issue 15, in milliseconds (median wall time).
TARGETS = {"pr_path": 150.0, "one_file": 100.0}


def python_env(repo: Path = REPO) -> dict:
    """The children's environment: checkout ``repo`` importable, bytecode cached."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    env["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@invalid", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def pr_repo(corpus: Path, where: Path) -> Path:
    """The pull-request scenario in ``where``/repo (module docstring); returns the repository."""
    repo = where / "repo"
    shutil.copytree(corpus / PR_PROJECT, repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-qb", "change")
    (repo / "29990101000000_add_invoice_notes.up.sql").write_text(
        "ALTER TABLE billing_invoices ADD COLUMN notes text;\n"
        "CREATE INDEX billing_invoices_notes_idx ON billing_invoices (notes);\n", encoding="utf-8")
    (repo / "29990101000000_add_invoice_notes.down.sql").write_text(
        "DROP INDEX billing_invoices_notes_idx;\nALTER TABLE billing_invoices DROP COLUMN notes;\n", encoding="utf-8")
    return repo


def typical_file(corpus: Path) -> Path:
    """The median-size ``up.sql`` of crates.io (as bench/bench.py picks it)."""
    cands = sorted((corpus / SINGLE_FILE_PROJECT).rglob("up.sql"), key=lambda p: (p.stat().st_size, str(p)))
    return cands[len(cands) // 2]


def _run(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float, int]:
    """``(wall s, CPU s, exit code)`` of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def measure(corpus: Path = DEFAULT_CORPUS, runs: int = 15, python: str = sys.executable, before: Path | None = None) -> dict:
    """Run both cases ``runs`` times, interleaved; ``{case: {"median_ms", "best_ms",
    "cpu_median_ms", "target_ms", "what"}}``. ``before``: another checkout of miglint,
    timed in the same runs (cases ``pr_path_before``, ``one_file_before``); one without
    ``--changed`` lints the whole root with ``--base main``, as ``miglint github`` did."""
    env = python_env()
    times: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="miglint-prpath-") as tmp:
        tmpd = Path(tmp)
        repo = pr_repo(corpus, tmpd)
        one = typical_file(corpus)
        out = tmpd / "out.json"
        json_out = ["--format", "json", "--output", str(out)]
        cases = {
            "pr_path": ([python, "-m", "linter", "lint", "--changed", "--base", "main", *json_out], repo, env),
            "one_file": ([python, "-m", "linter", "lint", str(one)], tmpd, env),
        }
        if before is not None:
            benv = python_env(before)
            has_changed = "--changed" in (before / "linter" / "cli.py").read_text(encoding="utf-8")
            pr = ["--changed"] if has_changed else []
            cases["pr_path_before"] = ([python, "-m", "linter", "lint", *pr, "--base", "main", *json_out], repo, benv)
            cases["one_file_before"] = ([python, "-m", "linter", "lint", str(one)], tmpd, benv)
        for cmd, cwd, e in cases.values():  # warm the bytecode cache and the page cache
            _run(cmd, cwd, e)
        for _ in range(runs):
            for name, (cmd, cwd, e) in cases.items():
                wall, cpu, _ = _run(cmd, cwd, e)
                times.setdefault(name, []).append((wall, cpu))
    what = {"pr_path": f"lint --changed: 2 files added to {PR_PROJECT} (~540 files)",
            "one_file": f"lint {SINGLE_FILE_PROJECT}/{one.parent.name}/{one.name}"}
    what.update({f"{k}_before": f"{v}, with {before}" for k, v in list(what.items())})
    if before is not None and not has_changed:
        what["pr_path_before"] = f"lint --base main (the whole root, no --changed), with {before}"
    return {
        name: {
            "what": what[name],
            "median_ms": round(statistics.median(w for w, _ in got) * 1000, 1),
            "best_ms": round(min(w for w, _ in got) * 1000, 1),
            "cpu_median_ms": round(statistics.median(c for _, c in got) * 1000, 1),
            "target_ms": TARGETS[name.removesuffix("_before")],
            "runs": len(got),
        }
        for name, got in times.items()
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--before", type=Path, metavar="DIR", help="also time the miglint checkout in DIR, interleaved")
    args = ap.parse_args(argv)
    got = measure(args.corpus, args.runs, before=args.before)
    print(f"{'case':<16} {'median ms':>10} {'best ms':>8} {'CPU ms':>7} {'target':>7}  what")
    for name, r in got.items():
        print(f"{name:<16} {r['median_ms']:>10.1f} {r['best_ms']:>8.1f} {r['cpu_median_ms']:>7.1f} {r['target_ms']:>7.0f}  {r['what']}")
    if args.json:
        args.json.write_text(json.dumps(got, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
