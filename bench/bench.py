#!/usr/bin/env python3
"""Speed and memory benchmark of miglint over the real migration corpus.

A report, never a test: it prints figures and exits 0 whatever they are (1 only when a
run crashed or a tool is missing). In one run it measures, over ``shared/corpus``:

* **miglint**, default preset: ``python -m linter lint CORPUS --format json --output F``,
  and the same with ``--jobs 1`` (what the worker pool buys or costs);
* **squawk** 2.70.0 (``squawk-cli`` on PyPI), all default rules, JSON reporter, over
  every ``*.sql`` file of the corpus (squawk ignores ``*.sql.postgres``);
* **parse-only**: pglast's ``parse_sql_json`` + ``json.loads`` over every ``*.sql`` and
  ``*.sql.postgres`` file, in one process: the floor of what parsing alone costs;
* **one changed file**: miglint on one median-size file, process start to exit, best and
  median of ``--single-runs`` runs, next to the bare start-up of Python and of Python
  importing miglint's modules.

How (every tool is a child process run through a small fork/exec/``wait4`` launcher):

* wall s: fork to reaped. CPU s: user + sys of the process and all its descendants.
  Best of ``--repeat`` interleaved runs, run with no memory sampling (sampling ``/proc``
  costs ~2 ms of CPU every 10 ms, which would perturb a 2-core machine).
* peak MiB: ``ru_maxrss``, the peak RSS of the *largest single process* of the tree
  (highest of all runs). With worker processes this is not the tree's total, hence:
* tree RSS / tree PSS MiB: from one more run per tool, the process tree's memory summed
  every 10 ms from ``/proc``: RSS counts the pages that forked workers share with their
  parent once per process (an over-estimate); PSS splits shared pages between the
  processes sharing them (the tree's real footprint). Peaks shorter than 10 ms are missed.

Python children get their bytecode cached under ``bench/.cache/pycache`` (as an installed
wheel has it), even if ``PYTHONDONTWRITEBYTECODE`` is set. ``--profile`` also runs
miglint with ``--jobs 1`` in one process under cProfile, prints the top functions and
the time spent in the cyclic garbage collector (which cProfile cannot show).

Usage: ``python bench/bench.py [--repeat N] [--json FILE] [--profile]`` (see
``bench/README.md``). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CACHE = BENCH_DIR / ".cache"
SQUAWK_VERSION = "2.70.0"
SINGLE_FILE_PROJECT = "rust-lang__crates.io"

TARGET_WALL_RATIO = 1.0  # miglint wall / squawk wall, whole corpus
TARGET_PEAK_MIB = 150.0  # miglint, whole corpus, summed RSS of the process tree
TARGET_ONE_FILE_MS = 150.0  # miglint on one file, median

SAMPLE_INTERVAL = 0.010
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024

#: What ``miglint lint`` imports before it reads a file (for the start-up figure).
IMPORT_MIGLINT = (  # what `miglint lint` imports, with the GC setting cli.main uses while importing
    "import linter.cli; linter.cli._defer_gc(); "
    "import linter.config, linter.engine, linter.discovery, linter.formats, linter.registry; "
    "linter.registry.all_rules()"
)

#: Every measured command runs under this launcher: it forks, execs the command in the
#: child and ``wait4``s it, then writes to argv[1]: wall seconds (fork to reaped), user
#: and sys CPU seconds and ``ru_maxrss`` (KiB) of the child and its descendants, and the
#: exit code. Why not ``wait4`` the command straight from here: a process's ``ru_maxrss``
#: starts at the RSS of the process it was (v)forked from, so every child of this script
#: would report at least this script's own peak. Through the launcher the floor is the
#: launcher's RSS, a few MiB (``-I -S`` keeps it small).
LAUNCHER = r"""
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(out, "w") as fh:
    fh.write(f"{wall} {ru.ru_utime} {ru.ru_stime} {ru.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""

#: The parse-only child: parses every file listed (one path a line) in argv[1] and prints
#: what it did as JSON, with the seconds spent reading, in the C parser and in json.loads.
PARSE_ONLY = r"""
import json, sys, time
from pglast import parser
files = open(sys.argv[1], encoding="utf-8").read().splitlines()
clock = time.perf_counter
t_read = t_parse = t_loads = 0.0
ok = failed = stmts = 0
for path in files:
    t0 = clock()
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    t1 = clock()
    t_read += t1 - t0
    try:
        raw = parser.parse_sql_json(text)
    except Exception:
        failed += 1
        t_parse += clock() - t1
        continue
    t2 = clock()
    tree = json.loads(raw)
    t3 = clock()
    t_parse += t2 - t1
    t_loads += t3 - t2
    ok += 1
    stmts += len(tree.get("stmts", ()))
print(json.dumps({"files": len(files), "parsed": ok, "failed": failed, "statements": stmts,
                  "read_s": t_read, "parse_s": t_parse, "loads_s": t_loads}))
"""

#: ``--profile``: runs ``python -m linter`` ARGS (argv[3:]) in this process under
#: cProfile, dumps the stats to argv[1] and the cyclic GC's own figures to argv[2].
PROFILE_WRAPPER = r"""
import cProfile, gc, json, runpy, sys, time
stats_out, gc_out, args = sys.argv[1], sys.argv[2], sys.argv[3:]
gc_stats = {"collections": 0, "gen2": 0, "seconds": 0.0}
started = [0.0]
def on_gc(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        gc_stats["collections"] += 1
        gc_stats["gen2"] += info["generation"] == 2
        gc_stats["seconds"] += time.perf_counter() - started[0]
gc.callbacks.append(on_gc)
sys.argv = ["miglint", *args]
prof = cProfile.Profile()
t0 = time.perf_counter()
prof.enable()
try:
    runpy.run_module("linter", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
else:
    code = 0
prof.disable()
gc_stats["wall"] = time.perf_counter() - t0
prof.dump_stats(stats_out)
with open(gc_out, "w") as fh:
    json.dump(gc_stats, fh)
sys.exit(code)
"""


class BenchError(Exception):
    """A run that could not be done (a crash, a missing tool): exit code 1."""


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    """One child process, start to exit."""

    wall_s: float
    cpu_s: float
    largest_mib: float  # ru_maxrss: peak RSS of the largest single process of the tree
    tree_rss_mib: float | None  # peak of the tree's summed RSS (only when sampled)
    tree_pss_mib: float | None  # peak of the tree's summed PSS (only when sampled)
    returncode: int
    stderr: str = field(default="", repr=False)


def _children_index() -> dict[int, list[int]]:
    """ppid -> child pids, from one scan of /proc/*/stat."""
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split(None, 2)[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def _descendants(root: int) -> list[int]:
    kids = _children_index()
    out, todo = [], list(kids.get(root, ()))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


def _rss_pss(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; PSS is -1 if it may not be read."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            rss = int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0, 0  # gone
    pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
    except PermissionError:
        pss = -1
    except (OSError, ValueError):
        pass  # exited between the two reads
    return rss, pss


def measure(cmd: list[str], *, cwd: Path, env: dict | None = None, stdout=subprocess.DEVNULL, sample: bool = False) -> Run:
    """Run ``cmd`` through :data:`LAUNCHER`; with ``sample``, also poll the summed
    RSS/PSS of its process tree every 10 ms."""
    with tempfile.NamedTemporaryFile(suffix=".rusage", delete=False) as fh:
        usage_path = Path(fh.name)
    with tempfile.TemporaryFile() as errfile:  # a file, not a pipe: a chatty child never blocks
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER, str(usage_path), *cmd],
                                cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=errfile)
        peak_rss = peak_pss = 0
        pss_readable = True
        while sample and proc.poll() is None:
            rss = pss = 0
            for pid in _descendants(proc.pid):  # the launcher itself is not counted
                r, p = _rss_pss(pid)
                rss += r
                pss += max(p, 0)
                pss_readable &= p >= 0
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(SAMPLE_INTERVAL)
        proc.wait()
        errfile.seek(0)
        err = errfile.read().decode("utf-8", "replace")
    try:
        wall, user, system, maxrss_kib, code = usage_path.read_text().split()
    except ValueError:
        raise BenchError(f"the launcher failed (exit {proc.returncode}) on {shlex.join(cmd)}:\n{err[-3000:]}") from None
    finally:
        usage_path.unlink(missing_ok=True)
    return Run(
        wall_s=float(wall),
        cpu_s=float(user) + float(system),
        largest_mib=int(maxrss_kib) * 1024 / MIB,  # ru_maxrss is in KiB on Linux
        tree_rss_mib=peak_rss / MIB if sample else None,
        tree_pss_mib=peak_pss / MIB if sample and pss_readable else None,
        returncode=int(code),
        stderr=err,
    )


def python_env(repo_on_path: bool = True) -> dict:
    """Environment of the Python children: bytecode cached (under ``bench/.cache/pycache``)
    as an installed package has it, no result cache (``MIGLINT_NO_CACHE``), and with ``repo_on_path`` this checkout importable
    from any directory (not with ``--miglint``, which may name another install)."""
    env = dict(os.environ)
    if repo_on_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["MIGLINT_NO_CACHE"] = "1"  # cold runs: the repeated runs must not be served by the result cache
    return env


# --------------------------------------------------------------------------- the cases


@dataclass
class Outcome:
    """What one run of a case gave."""

    run: Run
    files: int
    findings: int
    extra: dict = field(default_factory=dict)


@dataclass
class Case:
    """One row of the table: a named way to run a tool over the corpus."""

    name: str
    go: Callable[[bool], Outcome]  # go(sample) runs the tool once


def miglint_case(name: str, base_cmd: list[str], target: Path, workdir: Path, env: dict, *extra: str) -> Case:
    """``miglint lint TARGET --format json --output F``, run from an empty directory so
    that no configuration file is found: the default preset."""
    out = workdir / "miglint.json"

    def go(sample: bool) -> Outcome:
        out.unlink(missing_ok=True)
        cmd = [*base_cmd, "lint", str(target), "--format", "json", "--output", str(out), *extra]
        run = measure(cmd, cwd=workdir, env=env, sample=sample)
        if run.returncode not in (0, 1) or not out.is_file():
            raise BenchError(f"miglint exited {run.returncode}:\n{run.stderr.strip()[-3000:]}")
        summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
        return Outcome(run, summary["files"], summary["findings"], {"summary": summary})

    return Case(name, go)


def squawk_case(exe: Path, corpus: Path, sql_files: list[Path], workdir: Path) -> Case:
    """``squawk --reporter json FILE...``: its JSON is a list of violations."""
    rel = [str(p.relative_to(corpus)) for p in sql_files]  # short paths: a short command line
    out = workdir / "squawk.json"

    def go(sample: bool) -> Outcome:
        with open(out, "wb") as fh:
            run = measure([str(exe), "--reporter", "json", *rel], cwd=corpus, stdout=fh, sample=sample)
        try:
            data = json.loads(out.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BenchError(f"squawk exited {run.returncode} without JSON:\n{run.stderr.strip()[-3000:]}") from None
        if not isinstance(data, list):
            raise BenchError(f"squawk's JSON is not a list of violations but a {type(data).__name__}")
        levels: dict[str, int] = {}
        for v in data:
            levels[str(v.get("level"))] = levels.get(str(v.get("level")), 0) + 1
        return Outcome(run, len(rel), len(data), {"levels": levels, "files_with_findings": len({v.get("file") for v in data})})

    return Case(f"squawk {SQUAWK_VERSION}", go)


def parse_only_case(python: str, files: list[Path], workdir: Path, env: dict) -> Case:
    """:data:`PARSE_ONLY` over ``files``, one process."""
    listing, out = workdir / "parse-files.txt", workdir / "parse.json"
    listing.write_text("\n".join(map(str, files)), encoding="utf-8")

    def go(sample: bool) -> Outcome:
        with open(out, "wb") as fh:
            run = measure([python, "-c", PARSE_ONLY, str(listing)], cwd=workdir, env=env, stdout=fh, sample=sample)
        if run.returncode != 0:
            raise BenchError(f"parse-only exited {run.returncode}:\n{run.stderr.strip()[-3000:]}")
        info = json.loads(out.read_text())
        return Outcome(run, info["files"], 0, info)

    return Case("parse-only (pglast)", go)


@dataclass
class Row:
    """A case's figures: best wall and CPU of the timed runs, highest memory."""

    tool: str
    files: int
    findings: int
    wall_s: float
    cpu_s: float
    largest_mib: float
    tree_rss_mib: float | None
    tree_pss_mib: float | None
    walls: list[float]
    extra: dict


def summarise(name: str, timed: list[Outcome], sampled: Outcome) -> Row:
    return Row(
        tool=name,
        files=sampled.files,
        findings=sampled.findings,
        wall_s=min(o.run.wall_s for o in timed),
        cpu_s=min(o.run.cpu_s for o in timed),
        largest_mib=max(o.run.largest_mib for o in (*timed, sampled)),
        tree_rss_mib=sampled.run.tree_rss_mib,
        tree_pss_mib=sampled.run.tree_pss_mib,
        walls=[o.run.wall_s for o in timed],
        extra=sampled.extra,
    )


# --------------------------------------------------------------------------- set-up


def find_squawk(explicit: str | None) -> Path:
    """``--squawk``, else ``squawk`` on PATH, else squawk-cli installed into a cache venv."""
    if explicit:
        return Path(explicit)
    found = shutil.which("squawk")
    if found:
        return Path(found)
    venv = CACHE / "squawk-venv"
    exe = venv / "bin" / "squawk"
    if not exe.is_file():
        print(f"installing squawk-cli=={SQUAWK_VERSION} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"squawk-cli=={SQUAWK_VERSION}"], check=True)
    return exe


def corpus_files(corpus: Path) -> tuple[list[Path], list[Path]]:
    """(every ``*.sql``, every ``*.sql.postgres``) under the corpus, sorted."""
    sql = sorted(p for p in corpus.rglob("*.sql") if p.is_file())
    pg = sorted(p for p in corpus.rglob("*.sql.postgres") if p.is_file())
    return sql, pg


def typical_file(corpus: Path) -> Path:
    """The median-size ``up.sql`` of one diesel project: a typical single changed file."""
    cands = sorted((corpus / SINGLE_FILE_PROJECT).rglob("up.sql"), key=lambda p: (p.stat().st_size, str(p)))
    if not cands:
        cands = sorted(corpus.rglob("*.sql"), key=lambda p: (p.stat().st_size, str(p)))
    if not cands:
        raise BenchError(f"no .sql file under {corpus}")
    return cands[len(cands) // 2]


def machine(python: str, squawk: Path, env: dict) -> dict:
    info: dict = {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": None,
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }
    try:
        info["cpu_model"] = next(
            line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    r = subprocess.run([python, "-c", "import sys, pglast; print(sys.version.split()[0], pglast.__version__)"],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise BenchError(f"{python} cannot import pglast:\n{r.stderr[-2000:]}")
    info["python"], info["pglast"] = r.stdout.split()[:2]
    info["squawk"] = subprocess.run([str(squawk), "--version"], capture_output=True, text=True).stdout.strip()
    return info


# --------------------------------------------------------------------------- one file, profile


def latency_ms(cmd: list[str], workdir: Path, env: dict, runs: int) -> list[float]:
    """Wall ms of ``runs`` runs of ``cmd`` (after one unmeasured warm-up run)."""
    times = []
    for i in range(runs + 1):
        run = measure(cmd, cwd=workdir, env=env)
        if run.returncode not in (0, 1):
            raise BenchError(f"{shlex.join(cmd)} exited {run.returncode}:\n{run.stderr.strip()[-3000:]}")
        if i:
            times.append(run.wall_s * 1000)
    return times


def profile(python: str, corpus: Path, workdir: Path, env: dict, top: int = 25) -> None:
    """miglint under cProfile in one process (``--jobs 1``): top functions, and GC time."""
    prof, gc_out = workdir / "miglint.prof", workdir / "gc.json"
    cmd = [python, "-c", PROFILE_WRAPPER, str(prof), str(gc_out),
           "lint", str(corpus), "--format", "json", "--output", str(workdir / "profile.json"), "--jobs", "1"]
    r = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    if r.returncode not in (0, 1) or not prof.is_file():
        raise BenchError(f"profiled miglint exited {r.returncode}:\n{r.stderr[-3000:]}")
    gcs = json.loads(gc_out.read_text())
    print(f"\n## Profile: miglint --jobs 1, one process under cProfile: {gcs['wall']:.2f} s with profiling overhead")
    print(f"cyclic GC during the run: {gcs['collections']} collections ({gcs['gen2']} of generation 2), "
          f"{gcs['seconds']:.2f} s; cProfile charges it to whatever function was allocating.\n")
    stats = pstats.Stats(str(prof), stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    print(f"## Profile: top {top} by own time (tottime)\n")
    stats.sort_stats("tottime").print_stats(top)


# --------------------------------------------------------------------------- report


def _fmt(v: float | None, spec: str = ".1f") -> str:
    return "-" if v is None else format(v, spec)


def print_table(rows: list[Row]) -> None:
    head = ("tool", "files", "findings", "wall s", "CPU s", "peak MiB", "tree RSS MiB", "tree PSS MiB")
    body = [(r.tool, str(r.files), str(r.findings), _fmt(r.wall_s, ".2f"), _fmt(r.cpu_s, ".2f"),
             _fmt(r.largest_mib), _fmt(r.tree_rss_mib), _fmt(r.tree_pss_mib)) for r in rows]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
    for cells in (head, ["-" * w for w in widths], *body):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"corpus directory (default {DEFAULT_CORPUS})")
    ap.add_argument("--miglint", metavar="CMD", help="command that runs miglint (default: `PYTHON -m linter`, this Python)")
    ap.add_argument("--squawk", metavar="PATH", help="squawk executable (default: on PATH, else installed into bench/.cache/)")
    ap.add_argument("--repeat", type=int, default=3, metavar="N", help="timed corpus runs per tool, best shown (default 3)")
    ap.add_argument("--single-runs", type=int, default=10, metavar="N", help="runs of the one-file case (default 10)")
    ap.add_argument("--no-serial", action="store_true", help="skip the `miglint --jobs 1` row")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE as JSON")
    ap.add_argument("--profile", action="store_true", help="also profile miglint --jobs 1 under cProfile")
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.single_runs < 1:
        ap.error("--repeat and --single-runs must be at least 1")
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"bench: no corpus at {corpus} (use --corpus DIR)", file=sys.stderr)
        return 1
    base_cmd = shlex.split(args.miglint) if args.miglint else [sys.executable, "-m", "linter"]
    python = base_cmd[0] if base_cmd[1:2] == ["-m"] else sys.executable  # parse-only, probes, --profile
    try:
        with tempfile.TemporaryDirectory(prefix="miglint-bench-") as tmp:
            report(args, corpus, base_cmd, python, Path(tmp))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    return 0


def report(args: argparse.Namespace, corpus: Path, base_cmd: list[str], python: str, workdir: Path) -> None:
    env = python_env(repo_on_path=args.miglint is None)
    squawk = find_squawk(args.squawk)
    sql, sql_pg = corpus_files(corpus)
    info = machine(python, squawk, env)
    print("# miglint benchmark\n")
    print(f"machine: {info['cpu_count']} CPUs ({info['cpus_usable']} usable), {info['cpu_model']}, "
          f"load average {info['load_average'][0]:.2f}; {info['platform']}")
    print(f"python {info['python']}, pglast {info['pglast']}, {info['squawk']}; miglint: {shlex.join(base_cmd)}")
    print(f"corpus {corpus}: {len(sql)} *.sql + {len(sql_pg)} *.sql.postgres files (squawk reads the *.sql only)")
    print(f"wall/CPU: best of {args.repeat} interleaved runs; tree RSS/PSS: one more run, sampled every "
          f"{SAMPLE_INTERVAL * 1000:.0f} ms\n")

    cases = [miglint_case("miglint", base_cmd, corpus, workdir, env)]
    if not args.no_serial:
        cases.append(miglint_case("miglint --jobs 1", base_cmd, corpus, workdir, env, "--jobs", "1"))
    cases += [squawk_case(squawk, corpus, sql, workdir), parse_only_case(python, sql + sql_pg, workdir, env)]
    timed: dict[str, list[Outcome]] = {c.name: [] for c in cases}
    for i in range(args.repeat):
        print(f"  round {i + 1}/{args.repeat} ...", file=sys.stderr, flush=True)
        for c in cases:
            timed[c.name].append(c.go(False))
    print("  memory runs ...", file=sys.stderr, flush=True)
    rows = [summarise(c.name, timed[c.name], c.go(True)) for c in cases]

    print("  one changed file ...", file=sys.stderr, flush=True)
    one = typical_file(corpus)
    singles = latency_ms([*base_cmd, "lint", str(one), "--format", "json", "--output", str(workdir / "one.json")], workdir, env, args.single_runs)
    startup = latency_ms([python, "-c", "pass"], workdir, env, args.single_runs)
    imports = latency_ms([python, "-c", IMPORT_MIGLINT], workdir, env, args.single_runs)
    single = {"file": str(one.relative_to(corpus)), "bytes": one.stat().st_size, "runs_ms": singles,
              "best_ms": min(singles), "median_ms": statistics.median(singles),
              "python_startup_median_ms": statistics.median(startup),
              "python_import_miglint_median_ms": statistics.median(imports)}

    print_table(rows)
    m, s = rows[0], next(r for r in rows if r.tool.startswith("squawk"))
    parse = next(r for r in rows if r.tool.startswith("parse-only")).extra
    ratio = m.wall_s / s.wall_s
    print()
    print("peak MiB: peak RSS of the largest single process (ru_maxrss). tree RSS / PSS MiB: peak of the sum")
    print("over the process tree; RSS counts pages forked workers share once per process, PSS splits them.")
    print(f"miglint summary: {m.extra['summary']}")
    print(f"squawk findings by level: {s.extra['levels']}, in {s.extra['files_with_findings']} files")
    print(f"parse-only: {parse['parsed']} parsed, {parse['failed']} failed, {parse['statements']} statements; "
          f"in-process seconds: read {parse['read_s']:.2f}, parse_sql_json {parse['parse_s']:.2f}, json.loads {parse['loads_s']:.2f}")
    print(f"one changed file ({single['file']}, {single['bytes']} bytes): best {single['best_ms']:.0f} ms, "
          f"median {single['median_ms']:.0f} ms of {len(singles)} runs; medians for scale: bare python start-up "
          f"{single['python_startup_median_ms']:.0f} ms, start-up + importing miglint {single['python_import_miglint_median_ms']:.0f} ms")
    print()
    peak = m.tree_rss_mib if m.tree_rss_mib is not None else m.largest_mib
    checks = [
        ("wall time, miglint / squawk", ratio, TARGET_WALL_RATIO, f"{ratio:.2f}x", f"<= {TARGET_WALL_RATIO:.1f}x"),
        ("peak memory (tree RSS)", peak, TARGET_PEAK_MIB, f"{peak:.0f} MiB", f"<= {TARGET_PEAK_MIB:.0f} MiB"),
        ("one changed file (median)", single["median_ms"], TARGET_ONE_FILE_MS, f"{single['median_ms']:.0f} ms", f"<= {TARGET_ONE_FILE_MS:.0f} ms"),
    ]
    targets = {}
    for label, value, limit, shown, want in checks:
        verdict = "PASS" if value <= limit else "MISS"
        targets[label] = {"value": value, "limit": limit, "verdict": verdict}
        print(f"{verdict}  {label}: {shown} (target {want})")

    if args.json:
        doc = {"machine": info, "corpus": str(corpus), "sql_files": len(sql), "sql_postgres_files": len(sql_pg),
               "repeat": args.repeat, "rows": [asdict(r) for r in rows], "wall_ratio": ratio,
               "one_file": single, "targets": targets}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    if args.profile:
        profile(python, corpus, workdir, env)


if __name__ == "__main__":
    sys.exit(main())
