#!/usr/bin/env python3
"""The four speed targets of issue 15, each beside squawk-cli 2.70.0 in the same run.

A report, never a test: it prints figures and exits 0 whatever they are (1 only when a
run crashed or a tool is missing). Each case runs ``--runs`` times, interleaved with the
others, and the **median** is shown (wall ms and CPU ms, user + sys of the process tree),
through :func:`bench.measure` (bench/bench.py's fork/exec/``wait4`` launcher), with bytecode
cached as an installed package has it (:func:`bench.python_env`).

1. **Pull-request path**: a copy of openmeter's migration root (~540 files) in a git
   repository whose base commit lacks its newest up/down pair; the change adds the two
   files. miglint: ``lint --changed --base base`` when this miglint has ``--changed``
   (the prpath work), else ``lint FILE FILE`` on the two files (noted in the output).
   squawk on the same two files, and over the whole root. Target ≤ 150 ms.
2. **One file cold**: ``lint --no-cache`` on a typical file (:func:`bench.typical_file`);
   squawk on the same file. Target ≤ 100 ms.
3. **Warm corpus re-run**: ``lint`` of the whole corpus with a result cache primed by one
   unmeasured run (``--cache-dir`` in a tmp folder) vs squawk's cold run of the corpus.
   Target ≤ 1.0× squawk.
4. **Cold corpus**: ``lint --no-cache`` of the whole corpus vs squawk, and the peak of the
   process tree's summed RSS (one more, sampled run). Target ≤ 2.5× squawk, ≤ 150 MiB.

On a shared machine wall times swing: the CPU columns (and their ratios) are the steadier
figures. Usage: ``python bench/speed.py [--runs N] [--json FILE] [--corpus DIR]
[--miglint CMD] [--squawk PATH]``. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (bench/bench.py: measure, python_env, find_squawk, corpus files)

PR_PROJECT = "openmeterio__openmeter"
TARGET_PR_MS = 150.0
TARGET_ONE_FILE_MS = 100.0
TARGET_WARM_RATIO = 1.0
TARGET_COLD_RATIO = 2.5
TARGET_PEAK_MIB = 150.0


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@miglint.invalid", *args], cwd=repo, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pr_repo(corpus: Path, workdir: Path) -> tuple[Path, list[Path]]:
    """A git repository holding openmeter's migration root: branch ``base`` without the
    newest up/down pair, the working tree with it (as a pull request that adds them).
    Returns ``(repository, [the two added files])``."""
    src = corpus / PR_PROJECT
    repo = workdir / "pr"
    root = repo / "db" / "migrations"
    shutil.copytree(src, root)
    added = sorted(root.glob("*.sql"))[-2:]
    held = workdir / "pr-held"
    held.mkdir()
    for p in added:
        p.rename(held / p.name)
    _git(repo, "init", "-q", "-b", "base")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-q", "-b", "change")
    for p in added:
        (held / p.name).rename(p)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "add two migrations")
    return repo, added


def has_changed_flag(base_cmd: list[str], env: dict) -> bool:
    """Whether this miglint's ``lint`` has ``--changed`` (issue 15 §1)."""
    r = subprocess.run([*base_cmd, "lint", "--help"], capture_output=True, text=True, env=env)
    return "--changed" in r.stdout


class Series:
    """Runs of one case: wall and CPU milliseconds, largest process's peak RSS."""

    def __init__(self, name: str, cmd: list[str], cwd: Path, env: dict | None, stdout=None) -> None:
        self.name, self.cmd, self.cwd, self.env, self.stdout = name, cmd, cwd, env, stdout
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.peak_mib = 0.0
        self.tree_rss_mib: float | None = None

    def go(self, sample: bool = False) -> None:
        """Run the case once; with ``sample``, only to sample the tree's RSS (not timed).
        Raises :class:`bench.BenchError` when the tool exits with 2 or more."""
        out = open(self.stdout, "wb") if self.stdout else subprocess.DEVNULL
        try:
            run = bench.measure(self.cmd, cwd=self.cwd, env=self.env, stdout=out, sample=sample)
        finally:
            if self.stdout:
                out.close()
        if run.returncode not in (0, 1):
            raise bench.BenchError(f"{self.name}: {shlex.join(self.cmd)} exited {run.returncode}:\n{run.stderr.strip()[-3000:]}")
        if sample:
            self.tree_rss_mib = run.tree_rss_mib
        else:
            self.wall.append(run.wall_s * 1000)
            self.cpu.append(run.cpu_s * 1000)
        self.peak_mib = max(self.peak_mib, run.largest_mib)

    @property
    def wall_ms(self) -> float:
        """Median wall milliseconds of the timed runs."""
        return statistics.median(self.wall)

    @property
    def cpu_ms(self) -> float:
        """Median CPU milliseconds (user + sys of the process tree) of the timed runs."""
        return statistics.median(self.cpu)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run :func:`report` in a tmp folder; 0, or 1 when a run failed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=bench.DEFAULT_CORPUS, help=f"corpus directory (default {bench.DEFAULT_CORPUS})")
    ap.add_argument("--miglint", metavar="CMD", help="command that runs miglint (default: `PYTHON -m linter`, this Python)")
    ap.add_argument("--squawk", metavar="PATH", help="squawk executable (default: on PATH, else installed into bench/.cache/)")
    ap.add_argument("--runs", type=int, default=5, metavar="N", help="timed runs per case, median shown (default 5)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE as JSON")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"speed: no corpus at {corpus} (use --corpus DIR)", file=sys.stderr)
        return 1
    base_cmd = shlex.split(args.miglint) if args.miglint else [sys.executable, "-m", "linter"]
    try:
        with tempfile.TemporaryDirectory(prefix="miglint-speed-") as tmp:
            report(args, corpus, base_cmd, Path(tmp))
    except (bench.BenchError, OSError, subprocess.CalledProcessError) as exc:
        print(f"speed: {exc}", file=sys.stderr)
        return 1
    return 0


def report(args: argparse.Namespace, corpus: Path, base_cmd: list[str], workdir: Path) -> None:
    """Set up the cases, run them interleaved, print the table and the five verdicts."""
    env = bench.python_env(repo_on_path=args.miglint is None)  # sets MIGLINT_NO_CACHE=1: cold unless a case says
    warm_env = {k: v for k, v in env.items() if k not in ("MIGLINT_NO_CACHE", "MIGLINT_CACHE_DIR")}
    squawk = str(bench.find_squawk(args.squawk))
    sql, _ = bench.corpus_files(corpus)
    rel_sql = [str(p.relative_to(corpus)) for p in sql]
    repo, added = pr_repo(corpus, workdir)
    root = added[0].parent
    changed = has_changed_flag(base_cmd, env)
    one = bench.typical_file(corpus)
    out = str(workdir / "out.json")
    cache_dir = str(workdir / "cache")

    pr_cmd = ([*base_cmd, "lint", "--changed", "--base", "base", "--format", "json", "--output", out] if changed
              else [*base_cmd, "lint", *(str(p.relative_to(repo)) for p in added), "--format", "json", "--output", out])
    cases = {
        "pr": Series("miglint, PR adding 2 files" + ("" if changed else " (lint FILE FILE: no --changed yet)"), pr_cmd, repo, env),
        "pr_squawk": Series("squawk, the 2 files", [squawk, "--reporter", "json", *(str(p.relative_to(repo)) for p in added)], repo, None),
        "pr_squawk_root": Series("squawk, the whole root", [squawk, "--reporter", "json", *sorted(p.name for p in root.glob("*.sql"))], root, None),
        "one": Series(f"miglint, one file cold ({one.relative_to(corpus)})", [*base_cmd, "lint", str(one), "--format", "json", "--output", out], workdir, env),
        "one_squawk": Series("squawk, the same file", [squawk, "--reporter", "json", str(one)], workdir, None),
        "warm": Series("miglint, corpus re-run from the cache", [*base_cmd, "lint", str(corpus), "--cache-dir", cache_dir, "--format", "json", "--output", out], workdir, warm_env),
        "cold": Series("miglint, corpus cold (no cache)", [*base_cmd, "lint", str(corpus), "--format", "json", "--output", out], workdir, env),
        "squawk": Series("squawk, corpus cold", [squawk, "--reporter", "json", *rel_sql], corpus, None),
    }
    info = bench.machine(base_cmd[0] if base_cmd[1:2] == ["-m"] else sys.executable, Path(squawk), env)
    print("# miglint speed (issue 15 targets)\n")
    print(f"machine: {info['cpu_count']} CPUs, {info['cpu_model']}, load average {info['load_average'][0]:.2f}; "
          f"python {info['python']}, pglast {info['pglast']}, {info['squawk']}")
    print(f"miglint: {shlex.join(base_cmd)}; corpus {corpus} ({len(sql)} *.sql for squawk); "
          f"medians of {args.runs} interleaved runs\n")

    print("  warm-up (primes the result cache and the page cache) ...", file=sys.stderr, flush=True)
    for c in cases.values():
        c.go()
        c.wall.clear()
        c.cpu.clear()
    for i in range(args.runs):
        print(f"  round {i + 1}/{args.runs} ...", file=sys.stderr, flush=True)
        for c in cases.values():
            c.go()
    print("  memory run ...", file=sys.stderr, flush=True)
    cases["cold"].go(sample=True)

    width = max(len(c.name) for c in cases.values())
    print(f"{'case':<{width}}  {'wall ms':>8}  {'CPU ms':>8}  {'peak MiB':>8}")
    for c in cases.values():
        print(f"{c.name:<{width}}  {c.wall_ms:8.0f}  {c.cpu_ms:8.0f}  {c.peak_mib:8.0f}")
    print()
    s = cases["squawk"]
    peak = cases["cold"].tree_rss_mib if cases["cold"].tree_rss_mib is not None else cases["cold"].peak_mib
    checks = [
        ("1. PR adding 2 files to a 540-file root", cases["pr"].wall_ms, TARGET_PR_MS,
         f"{cases['pr'].wall_ms:.0f} ms (squawk: 2 files {cases['pr_squawk'].wall_ms:.0f} ms, root {cases['pr_squawk_root'].wall_ms:.0f} ms)",
         f"<= {TARGET_PR_MS:.0f} ms"),
        ("2. one file cold", cases["one"].wall_ms, TARGET_ONE_FILE_MS,
         f"{cases['one'].wall_ms:.0f} ms (squawk {cases['one_squawk'].wall_ms:.0f} ms)", f"<= {TARGET_ONE_FILE_MS:.0f} ms"),
        ("3. warm corpus re-run / squawk cold", cases["warm"].wall_ms / s.wall_ms, TARGET_WARM_RATIO,
         f"{cases['warm'].wall_ms / s.wall_ms:.2f}x wall, {cases['warm'].cpu_ms / s.cpu_ms:.2f}x CPU "
         f"({cases['warm'].wall_ms:.0f} vs {s.wall_ms:.0f} ms)", f"<= {TARGET_WARM_RATIO:.1f}x"),
        ("4. cold corpus / squawk cold", cases["cold"].wall_ms / s.wall_ms, TARGET_COLD_RATIO,
         f"{cases['cold'].wall_ms / s.wall_ms:.2f}x wall, {cases['cold'].cpu_ms / s.cpu_ms:.2f}x CPU "
         f"({cases['cold'].wall_ms:.0f} vs {s.wall_ms:.0f} ms)", f"<= {TARGET_COLD_RATIO:.1f}x"),
        ("4. cold corpus peak memory (tree RSS)", peak, TARGET_PEAK_MIB, f"{peak:.0f} MiB", f"<= {TARGET_PEAK_MIB:.0f} MiB"),
    ]
    targets = {}
    for label, value, limit, shown, want in checks:
        verdict = "PASS" if value <= limit else "MISS"
        targets[label] = {"value": value, "limit": limit, "verdict": verdict}
        print(f"{verdict}  {label}: {shown} (target {want})")
    if not changed:
        print("\nnote: this miglint has no `lint --changed`; the PR case lints the two files alone.")
    if args.json:
        doc = {"machine": info, "runs": args.runs, "pr_changed_flag": changed, "targets": targets,
               "cases": {k: {"name": c.name, "wall_ms": c.wall, "cpu_ms": c.cpu, "peak_mib": c.peak_mib,
                             "tree_rss_mib": c.tree_rss_mib} for k, c in cases.items()}}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    sys.exit(main())
