"""Repeats and clashing fixes in a miglint JSON report: one finding per hazard, one fix per edit.

Reads a report written by ``miglint lint … --format json`` and prints:

* ``statements with >1 finding``: top-level statements (DO blocks with what runs inside
  them count as one) that carry more than one finding, and the rule pairs that share them;
* ``overlapping fix pairs``: pairs of fixes in one file whose edits overlap (or insert
  at the same point) with different replacement text. Applying one of such a pair
  invalidates the other, so a reviewer shown both gets two contradicting suggestions.

Standard library plus miglint's own source reader (to find statement boundaries). Only
files with two or more findings are parsed. Exit status 0 always (a report, not a test)::

    python bench/overlap.py report.json [--top 15] [--base-dir DIR]
"""

from __future__ import annotations

import argparse
import bisect
import collections
import json
import os
import sys
from itertools import combinations

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def fix_clashes(findings: list[dict]) -> list[tuple[str, str]]:
    """Rule pairs ``(rule_a, rule_b)`` of overlapping fixes in one file's ``findings``
    (JSON objects): their regions intersect, or both insert at the same point, or one
    inserts inside the other's region, and the replacements differ."""
    fixes = []
    for f in findings:
        x = f.get("fix")
        if x:
            fixes.append(((x["line"], x["column"]), (x["end_line"], x["end_column"]), x["replacement"], f["rule"]))
    out = []
    for (s1, e1, r1, a), (s2, e2, r2, b) in combinations(fixes, 2):
        if r1 == r2:
            continue
        if (s1 < e2 and s2 < e1) or (s1 == e1 == s2 == e2) or (s1 == e1 and s2 < s1 < e2) or (s2 == e2 and s1 < s2 < e1):
            out.append(tuple(sorted((a, b))))
    return out


def statement_starts(path: str) -> tuple[list[int], "object"] | None:
    """Start offsets of ``path``'s top-level statements and its text index, or ``None``
    when it does not parse."""
    from linter.model import Convention, Direction, MigrationFile
    from linter.source import Source

    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
    except OSError:
        return None
    mf = MigrationFile(path, os.path.abspath(path), os.path.dirname(path), Convention.UNKNOWN, Direction.UP)
    src = Source(text, mf)
    if src.error is not None:
        return None
    return [s.start for s in src.statements], src.index


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--base-dir", default=".", help="directory the report's paths are relative to")
    args = ap.parse_args(argv)
    with open(args.report, encoding="utf-8") as fh:
        findings = json.load(fh)["findings"]
    by_path: dict[str, list[dict]] = collections.defaultdict(list)
    for f in findings:
        by_path[f["path"]].append(f)
    clashes: collections.Counter = collections.Counter()
    shared_pairs: collections.Counter = collections.Counter()
    multi = shared = statements_hit = 0
    for path, fs in by_path.items():
        clashes.update(fix_clashes(fs))
        located = [f for f in fs if (f["line"], f["column"]) != (1, 1) or f["end_line"] != 1 or f["end_column"] != 1]
        if len(located) < 2:
            statements_hit += len({(f["line"], f["column"]) for f in located})
            continue
        got = statement_starts(os.path.join(args.base_dir, path))
        if got is None:
            continue
        starts, index = got
        per: dict[int, list[str]] = collections.defaultdict(list)
        for f in located:
            off = index.offset(type(index.position(0))(f["line"], f["column"]))
            i = bisect.bisect_right(starts, off) - 1
            per[i].append(f["rule"])
        statements_hit += len(per)
        for rules in per.values():
            if len(rules) > 1:
                multi += 1
                shared += len(rules)
                shared_pairs.update(tuple(sorted(p)) for p in combinations(sorted(set(rules)), 2))
    print(f"findings: {len(findings)}")
    print(f"statements with a finding: {statements_hit}")
    print(f"statements with >1 finding: {multi} (holding {shared} findings)")
    print(f"overlapping fix pairs: {sum(clashes.values())}")
    for pair, n in clashes.most_common(args.top):
        print(f"  {n:6d}  {pair[0]} x {pair[1]}")
    print("rule pairs sharing a statement:")
    for pair, n in shared_pairs.most_common(args.top):
        print(f"  {n:6d}  {pair[0]} x {pair[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
