#!/usr/bin/env python3
"""miglint and squawk-cli 2.70.0 side by side over the corpus, rule by overlapping rule.

For every miglint rule that lists a squawk id among its aliases, counts the findings of
both tools per corpus project, and per file: flagged by both, by squawk only, by miglint
only. squawk runs with its defaults (its users' view), plus ``--include`` for the opt-in
squawk rules we alias; miglint runs with the default preset plus every aliased rule
turned on (``--select``, with ``locking-in-rollback``). A file counts as flagged by a
miglint rule when that rule reports in it or when another finding there carries the
rule's hazard: its id in a finding's ``also`` (a timeout folded into the specific finding
of the statement) or in a ``locking-in-rollback`` note's ``rules`` (a down's lock
findings summarised); the "miglint findings" column counts those findings too. Prints a markdown table (the figures of
docs/compared-with-squawk.md) and, with ``--json FILE``, the raw counts; ``--examples N``
lists N files of each disagreement to read by hand.

Usage: ``python bench/compare_squawk.py [--corpus DIR] [--squawk PATH] [--json FILE] [--examples N]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import DEFAULT_CORPUS, find_squawk  # noqa: E402

from linter import registry  # noqa: E402
from linter.engine import ROLLBACK_RULE  # noqa: E402


def squawk_ids() -> dict[str, str]:
    """``{squawk rule id: miglint rule id}`` from the registry's aliases (squawk ids are
    the kebab-case aliases that are not miglint ids themselves)."""
    out = {}
    for rule in registry.all_rules().values():
        for alias in rule.aliases:
            if "-" in alias and alias != rule.id:
                out[alias] = rule.id
    return out


def run_squawk(exe: Path, corpus: Path, files: list[Path], include: list[str]) -> list[dict]:
    cmd = [str(exe), "--reporter", "json"] + [f"--include={r}" for r in include] + [str(f.relative_to(corpus)) for f in files]
    r = subprocess.run(cmd, cwd=corpus, capture_output=True, text=True)
    out = []
    decoder = json.JSONDecoder()
    text, pos = r.stdout.strip(), 0
    while pos < len(text):
        chunk, end = decoder.raw_decode(text, pos)
        out.extend(chunk)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def run_miglint(corpus: Path, rules: list[str]) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "m.json"
        cmd = [sys.executable, "-m", "linter", "lint", str(corpus), "--format", "json", "--output", str(out), "--fail-on", "never"]
        cmd += ["--select", ",".join(rules)]
        subprocess.run(cmd, cwd=tmp, check=True)
        data = json.loads(out.read_text(encoding="utf-8"))
        for f in data["findings"]:  # paths are relative to miglint's working directory
            f["path"] = str((Path(tmp) / f["path"]).resolve().relative_to(corpus.resolve()))
    return data["findings"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--squawk")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--examples", type=int, default=0)
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    mapping = squawk_ids()
    if not mapping:
        print("no miglint rule has a squawk alias yet", file=sys.stderr)
        return 1
    rules = registry.all_rules()
    include = sorted(s for s, m in mapping.items() if rules[m].default_level == "disable")
    files = sorted(p for p in corpus.rglob("*.sql") if p.is_file())
    sq = run_squawk(find_squawk(args.squawk), corpus, files, include)
    # locking-in-rollback is selected too: with the default ``rollback_locking: summary``
    # the lock findings of a down leave the report and its note names their rules
    mg = run_miglint(corpus, sorted(set(mapping.values()) | {ROLLBACK_RULE}))

    # squawk rules that map to the same miglint rule are pooled under that rule
    sq_by = defaultdict(Counter)  # miglint rule -> Counter(file)
    mg_by = defaultdict(Counter)
    for v in sq:
        rid = mapping.get(v.get("rule_name", ""))
        if rid:
            sq_by[rid][v["file"]] += 1
    for f in mg:
        # a finding folded into a more specific one (its rule id in "also", its point in the
        # message: linter/merge.py) is still reported in that file, and so is a lock finding
        # of a down summarised in its locking-in-rollback note (the note's "rules"). A down
        # that gets no note (below its summary threshold: brief locks only, or one heavy step per
        # table; see locking-in-rollback) is not counted as flagged.
        props = f.get("properties", {})
        folded = props.get("rules", ()) if f["rule"] == ROLLBACK_RULE else ()
        for rid in dict.fromkeys((f["rule"], *props.get("also", ()), *folded)):
            if rid in mapping.values():
                mg_by[rid][f["path"]] += 1

    rows = []
    for rid in sorted(set(mapping.values())):
        s, m = sq_by[rid], mg_by[rid]
        both = set(s) & set(m)
        rows.append({
            "rule": rid,
            "squawk": sorted(a for a, r in mapping.items() if r == rid),
            "squawk_findings": sum(s.values()),
            "miglint_findings": sum(m.values()),
            "files_both": len(both),
            "files_squawk_only": len(set(s) - both),
            "files_miglint_only": len(set(m) - both),
            "squawk_only_examples": sorted(set(s) - both)[: args.examples],
            "miglint_only_examples": sorted(set(m) - both)[: args.examples],
            "by_project": {
                p: {"squawk": sum(c for f, c in s.items() if f.split("/")[0] == p), "miglint": sum(c for f, c in m.items() if f.split("/")[0] == p)}
                for p in sorted({f.split("/")[0] for f in set(s) | set(m)})
            },
        })
    print(f"corpus: {corpus} ({len(files)} *.sql files; squawk --include {','.join(include) or '-'})\n")
    print("| miglint rule | squawk rule(s) | squawk findings | miglint findings | files both | squawk only | miglint only |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| `{r['rule']}` | {', '.join('`' + x + '`' for x in r['squawk'])} | {r['squawk_findings']} | {r['miglint_findings']} | {r['files_both']} | {r['files_squawk_only']} | {r['files_miglint_only']} |")
    if args.examples:
        for r in rows:
            for side in ("squawk_only_examples", "miglint_only_examples"):
                if r[side]:
                    print(f"\n{r['rule']} {side.replace('_', ' ')}:")
                    for f in r[side]:
                        print(f"  {f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
