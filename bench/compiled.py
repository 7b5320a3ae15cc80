#!/usr/bin/env python3
"""Pure-Python miglint against a mypyc-compiled build of the same source, side by side.

A report, never a test: it prints figures and exits 0 whatever they are (1 when a run
crashed or the two builds' outputs differ). The compiled build is any Python that
imports a compiled ``linter``; the pure build is this checkout run by the Python running
this script. miglint does not ship a compiled build (issue 15: it saved no CPU, see
bench/README.md); commit c926df4 holds the experiment: its pyproject.toml mypyc hook and
``.ci/compiled.sh``, which builds one into ``.venv-compiled``.

Cases, each run ``--runs`` times with the two builds interleaved (CPU = user + sys of
the process tree through :func:`bench.measure`'s ``wait4`` launcher; on a shared machine
wall times swing, CPU is the steadier figure), the **median** shown:

* ``corpus --jobs 1`` and ``corpus`` (default worker count): ``lint --no-cache`` of the
  whole corpus, JSON output; the two builds' outputs must be byte-identical.
* ``one file``: ``lint --no-cache`` on :func:`bench.typical_file` (start-up dominates).
* ``import``: ``python -c "import linter.engine"`` plus what ``lint`` imports
  (:data:`bench.IMPORT_MIGLINT`): what loading the extension modules costs.

Then the cyclic garbage collector's figures for one ``--jobs 1`` corpus run per build
(objects found in reference cycles: compiled closures keep their environment in a cycle).
``--callgrind`` adds instruction counts (``valgrind --tool=callgrind``, the corpus with
``--jobs 1`` and the one file, once per build; several minutes each on the corpus).

Usage: ``python bench/compiled.py --compiled-python .venv-compiled/bin/python [--runs N]
[--callgrind] [--corpus DIR] [--json FILE]``. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (bench/bench.py: measure, python_env, typical_file)


def is_compiled(python: str, env: dict) -> list[str]:
    """The modules of this checkout's ``linter`` package that ``python`` would load from an
    extension module (empty: a pure build)."""
    names = sorted(".".join(p.relative_to(bench.REPO).with_suffix("").parts).removesuffix(".__init__")
                   for p in (bench.REPO / "linter").rglob("*.py"))
    code = ("import sys, importlib.util as u\n"
            "for n in sys.argv[1:]:\n"
            "    s = u.find_spec(n)\n"
            "    if s is not None and (s.origin or '').endswith(('.so', '.pyd')): print(n)\n")
    out = subprocess.run([python, "-c", code, *names], env=env, capture_output=True, text=True, check=True, cwd="/")
    return out.stdout.split()


#: ``--jobs 1`` corpus run in one process, then what the cyclic GC did: objects it found
#: unreachable (reference cycles reference counting could not free) and its collections.
GC_PROBE = r"""
import gc, json, sys
from linter.cli import main
code = main(sys.argv[1:])
stats = gc.get_stats()
print(json.dumps({"collected": sum(s["collected"] for s in stats),
                  "collections": sum(s["collections"] for s in stats)}))
"""


def gc_figures(python: str, env: dict, args: list[str], cwd: Path) -> dict:
    """:data:`GC_PROBE`'s figures for ``python -c GC_PROBE ARGS``."""
    out = subprocess.run([python, "-c", GC_PROBE, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise SystemExit(f"GC probe failed:\n{out.stderr[-2000:]}") from None


def callgrind(cmd: list[str], cwd: Path, env: dict) -> int:
    """Instructions (``Ir``) of ``cmd`` and its children under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                        f"--callgrind-out-file={tmp}/cg.%p", *cmd],
                       cwd=cwd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        total = 0
        for f in Path(tmp).glob("cg.*"):
            m = re.search(r"^summary:\s+(\d+)", f.read_text(errors="replace"), re.M)
            total += int(m.group(1)) if m else 0
        return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compiled-python", required=True, help="a Python whose `linter` is the compiled build")
    ap.add_argument("--corpus", default=str(bench.REPO.parent / "shared" / "corpus"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args(argv)
    corpus = Path(args.corpus).resolve()
    compiled_python = str(Path(args.compiled_python).absolute())  # a venv's python: keep the symlink
    builds = {"pure": (sys.executable, bench.python_env(repo_on_path=True)),
              "compiled": (compiled_python, bench.python_env(repo_on_path=False))}
    compiled = is_compiled(*builds["compiled"])
    if not compiled or is_compiled(*builds["pure"]):
        print(f"error: {args.compiled_python} loads no compiled linter module, or this checkout does", file=sys.stderr)
        return 1
    print(f"compiled modules ({len(compiled)}): {' '.join(m.removeprefix('linter.') for m in compiled)}")
    one = bench.typical_file(corpus)
    figures: dict = {"compiled_modules": compiled, "cpu_ms": {}, "wall_ms": {}, "instructions": {}}
    with tempfile.TemporaryDirectory(prefix="miglint-compiled-") as tmp:
        work = Path(tmp)

        def cmd(build: str, case: str) -> list[str]:
            lint = [builds[build][0], "-m", "linter", "lint", "--no-cache", "--format", "json"]
            if case == "import":
                return [builds[build][0], "-c", bench.IMPORT_MIGLINT]
            if case == "one file":
                return [*lint, "--output", str(work / f"{build}-one.json"), str(one)]
            jobs = ["--jobs", "1"] if case == "corpus --jobs 1" else []
            return [*lint, *jobs, "--output", str(work / f"{build}-{case}.json"), str(corpus)]

        cases = ["corpus --jobs 1", "corpus", "one file", "import"]
        for build in builds:  # once unmeasured: bytecode written, files in the page cache
            bench.measure(cmd(build, "one file"), cwd=work, env=builds[build][1])
        runs: dict[tuple[str, str], list] = {(b, c): [] for b in builds for c in cases}
        for _ in range(args.runs):
            for case in cases:
                for build in builds:
                    r = bench.measure(cmd(build, case), cwd=work, env=builds[build][1])
                    if r.returncode not in (0, 1):
                        print(f"error: {build} {case} exited {r.returncode}:\n{r.stderr[-2000:]}", file=sys.stderr)
                        return 1
                    runs[build, case].append(r)
        differ = [c for c in ("corpus --jobs 1", "corpus")
                  if (work / f"pure-{c}.json").read_bytes() != (work / f"compiled-{c}.json").read_bytes()]
        print(f"\n{'case':<18} {'pure CPU ms':>12} {'compiled CPU ms':>16} {'ratio':>6}   (median of {args.runs}, interleaved)")
        for case in cases:
            cpu = {b: statistics.median(r.cpu_s for r in runs[b, case]) * 1000 for b in builds}
            wall = {b: statistics.median(r.wall_s for r in runs[b, case]) * 1000 for b in builds}
            figures["cpu_ms"][case], figures["wall_ms"][case] = cpu, wall
            print(f"{case:<18} {cpu['pure']:>12.0f} {cpu['compiled']:>16.0f} {cpu['compiled'] / cpu['pure']:>6.2f}")
        print(f"\n{'cyclic GC, --jobs 1':<18} {'pure':>12} {'compiled':>16}")
        gc_args = ["lint", "--no-cache", "--jobs", "1", "--format", "json", "--output", str(work / "gc.json"), str(corpus)]
        gcs = {b: gc_figures(builds[b][0], builds[b][1], gc_args, work) for b in builds}
        figures["gc"] = gcs
        for key in ("collected", "collections"):
            print(f"{key:<18} {gcs['pure'][key]:>12,} {gcs['compiled'][key]:>16,}")
        if args.callgrind:
            if not shutil.which("valgrind"):
                print("error: --callgrind needs valgrind on PATH", file=sys.stderr)
                return 1
            print(f"\n{'instructions':<18} {'pure':>12} {'compiled':>16} {'ratio':>6}")
            for case in ("corpus --jobs 1", "one file"):
                ir = {b: callgrind(cmd(b, case), work, builds[b][1]) for b in builds}
                figures["instructions"][case] = ir
                print(f"{case:<18} {ir['pure'] / 1e6:>11.0f}M {ir['compiled'] / 1e6:>15.0f}M {ir['compiled'] / ir['pure']:>6.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    if differ:
        print(f"\nerror: the builds' JSON outputs differ ({', '.join(differ)})", file=sys.stderr)
        return 1
    print("\nJSON outputs identical (corpus, --jobs 1 and default)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
