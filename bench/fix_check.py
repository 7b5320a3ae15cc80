#!/usr/bin/env python3
"""Apply every fix miglint offers, alone, to a scratch copy of its file, and re-lint it.

A fix becomes a one-click suggestion on a pull request, so it is a promise: applied alone,
the file still parses, still runs under its migration tool's transaction semantics, and
miglint reports no *new* error or warning on it. This script checks that promise over a
corpus (default ``../shared/corpus``, default preset or ``--preset``, no configuration file) and prints,
per rule that offered fixes:

* ``fixes``: findings of the rule that carry a fix (all of them, or the ``--max`` sample);
* ``parse``: fixes after which the file no longer parses;
* ``new``: fixes after which a new error or warning appears (any rule, also the file-set
  rules of the file's migration root, also in another file of the root); a statement that must run outside a transaction
  but no longer does shows up here as ``non-transactional-statement-in-transaction``;
* ``kept``: fixes that did not remove the finding they were offered for;
* ``moved``: fixes after which discovery classifies the file differently (convention,
  root, direction, options).

How: the corpus is linted once in-process through the engine API (:mod:`linter.engine`,
:mod:`linter.discovery`), with the configuration ``miglint lint`` would load in an empty
directory. The corpus is mirrored once into a temporary directory as symbolic links (the
mirror sits at ``<tmp>/<absolute path>``, so every relative path and every sibling that
discovery and the per-file summaries look at is where it was: diesel ``metadata.toml``,
Flyway ``.conf`` files, dbmate/goose markers, drizzle journals, popx sibling names). For
each fix, the file's link is replaced by the fixed text, the file is classified again
(:func:`linter.discovery.classify`) and linted (:func:`linter.engine.lint_file`); when its
per-file summary changed, the file-set rules of its root run again, and the set post-pass
(:func:`linter.engine.resolve_with_set`) over every file of the root, so a fix that makes
a *later* file of the root worse is caught (``varchar(40)`` → ``text`` in one file turns
another file's ``ALTER COLUMN … TYPE varchar(40)`` into a rewrite): the other files'
error and warning findings are compared by path, rule and line. The other files are not
linted again (their statement findings depend on their own text only). The link is then
restored.

Findings are compared by :func:`linter.fixes.compare` (``miglint lint --fix`` checks the
fixes it makes with the same function): by rule and by the statement they point at, not by line (a fix
that inserts a line moves every later finding): each finding's start is mapped to an
offset of the original text (offsets after the fix move back by the fix's length change,
offsets inside the replacement map to the fix's start) and from there to the top-level
statement holding it; the statements the fix's replaced text overlaps count as one (a
fix that merges statements moves their findings onto the first). The rules of
:data:`linter.fixes.ONCE_PER_RUN` are compared per file. A finding is *new* when its rule reports more findings at error or
warning level on that statement (or on the file as a whole, for file-level findings)
after the fix than before, unless the fixed finding had absorbed that rule's finding (its
``also`` property, :mod:`linter.merge`): that hazard was already told in its message.

Usage::

    python bench/fix_check.py                         # every fix of the corpus
    python bench/fix_check.py --max 300 --seed 1      # a seeded sample of 300 fixes
    python bench/fix_check.py --rule varchar-length-limit --examples 10
    python bench/fix_check.py --json fixcheck.json
    python bench/fix_check.py --preset strict --ignore sqlfluff-style   # also the opt-in type-hygiene fixes

A report, never a test: exits 0 whatever the figures (tests/test_fix_check.py runs the
same check on the fixed sample in tests/fixtures/fixcheck/ and asserts it is clean).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
#: ``../shared/corpus`` next to the checkout (as bench.py), or one level up from a git
#: worktree under ``wt/``.
DEFAULT_CORPUS = next((p / "shared" / "corpus" for p in REPO.parents[:2] if (p / "shared" / "corpus").is_dir()),
                      REPO.parent / "shared" / "corpus")

if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from linter import config as configmod, engine  # noqa: E402
from linter.discovery import classify, discover  # noqa: E402
from linter.model import Finding, MigrationFile  # noqa: E402
from linter.fixes import COUNTED, apply_edits, compare  # noqa: E402
from linter.source import Source, read_text  # noqa: E402

@dataclass
class Outcome:
    """What applying one fix did. ``new``: ``[(rule, severity, line, message)]`` of the
    findings that appeared (line in the fixed text)."""

    rule: str
    path: str
    line: int
    description: str
    parse_error: str | None = None
    new: list[tuple[str, str, int, str]] = field(default_factory=list)
    kept: bool = False
    moved: str | None = None

    @property
    def bad(self) -> bool:
        """True when the fix broke its promise in any way."""
        return bool(self.parse_error or self.new or self.kept or self.moved)


def _statements(text: str, file: MigrationFile, config) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the top-level statements of ``text`` (empty when it
    does not parse)."""
    src = Source(text, file, placeholders=config.placeholders, placeholder_syntax=config.placeholder_syntax)
    spans = [(s.start, s.end) for s in src.statements]
    src.close()
    return spans


class Checker:
    """Lints a corpus once, then applies fixes one at a time to a mirrored scratch copy.

    ``corpus``: directory to lint; ``base_dir``: what reported paths are relative to (the
    repository, so paths read ``../shared/corpus/...`` as in the other bench scripts);
    ``config``: a :class:`linter.config.Config` (default: what ``miglint lint`` loads in a
    directory without a configuration file, with ``preset`` if given, e.g. ``"strict"``,
    which turns on the opt-in type-hygiene rules and their fixes). Call :meth:`close` to remove the scratch tree.
    """

    def __init__(self, corpus: Path, base_dir: Path = REPO, config=None, jobs: int | None = None,
                 preset: str | None = None) -> None:
        self.base_dir = base_dir.resolve()
        self.corpus = corpus.resolve()
        if config is None:
            empty = tempfile.mkdtemp(prefix="fixcheck-cfg-")
            config = configmod.load(None, cwd=empty, preset=preset)
            os.rmdir(empty)
        self.config = config
        found = discover([str(self.corpus)], base_dir=str(self.base_dir), roots=config.roots, seeds=config.seeds, exclude=config.exclude)
        self.files = found.files
        self.by_path = {f.path: f for f in self.files}
        self.results = {}
        for res in engine.lint_files(self.files, config, jobs=jobs):
            self.results[res.path] = res
        self.summaries = {p: r.summary for p, r in self.results.items()}
        self.ignored = {p: r.ignored_rules for p, r in self.results.items()}
        self.by_root: dict[str, list[MigrationFile]] = defaultdict(list)
        for f in self.files:
            self.by_root[f.root].append(f)
        self._set_cache: dict[str, list[Finding]] = {}
        self._root_cache: dict[str, list[Finding]] = {}
        self.scratch = Path(tempfile.mkdtemp(prefix="fixcheck-"))
        self._mirror()

    # -- scratch tree

    def _shadow(self, p: Path) -> Path:
        """Where an absolute path of the real tree sits in the scratch tree."""
        return self.scratch / str(p).lstrip(os.sep)

    def _mirror(self) -> None:
        """Every file of the corpus as a symbolic link at its shadow path (directories real)."""
        for top, dirs, names in os.walk(self.corpus):
            dst = self._shadow(Path(top))
            dst.mkdir(parents=True, exist_ok=True)
            for n in names:
                os.symlink(os.path.join(top, n), dst / n)
        self._shadow(self.base_dir).mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        """Remove the scratch tree."""
        shutil.rmtree(self.scratch, ignore_errors=True)

    # -- findings

    def fixes(self) -> list[Finding]:
        """Every finding with a fix, in report order, as ``miglint lint`` reports them (after
        the set post-pass, which takes some fixes back)."""
        out = [f for root in self.by_root for f in self._base_root(root) if f.fix is not None]
        out.sort(key=Finding.sort_key)
        return out

    def _set_findings(self, root: str, members: list[MigrationFile], summaries: dict) -> list[Finding]:
        return engine.run_file_sets(members, self.config, summaries, {m.path: self.ignored.get(m.path) for m in members})

    def _base_set(self, root: str) -> list[Finding]:
        hit = self._set_cache.get(root)
        if hit is None:
            members = self.by_root[root]
            hit = self._set_cache[root] = self._set_findings(root, members, {m.path: self.summaries[m.path] for m in members})
        return hit

    def _resolved(self, root: str, findings: list[Finding], summaries: dict) -> list[Finding]:
        """``findings`` (of ``root``'s files) through the set post-pass, as ``miglint lint``
        reports them (:func:`linter.engine.resolve_with_set`), on copies: the post-pass takes
        its marks out of the findings' properties."""
        marks = self._marks
        copies = [replace(f, properties=dict(f.properties)) if marks.intersection(f.properties) else f for f in findings]
        return engine.resolve_with_set(copies, self.by_root[root], summaries, self.config)

    @cached_property
    def _marks(self) -> frozenset[str]:
        """The internal properties the set post-pass takes out of findings (only findings
        carrying one are copied before it runs)."""
        from linter import registry
        from linter.migset import coltypes, references

        rollback = registry.all_rules()[engine.ROLLBACK_RULE].module.LOOKUP
        return frozenset({coltypes.LOOKUP, coltypes.RETYPED, references.LOOKUP, rollback})

    def _base_root(self, root: str) -> list[Finding]:
        """The findings of every file of ``root``, set rules and post-pass included."""
        hit = self._root_cache.get(root)
        if hit is None:
            members = self.by_root[root]
            raw = [g for m in members for g in self.results[m.path].findings] + self._base_set(root)
            hit = self._root_cache[root] = self._resolved(root, raw, {m.path: self.summaries[m.path] for m in members})
        return hit

    def check(self, finding: Finding) -> Outcome:
        """Apply ``finding.fix`` alone to a scratch copy of its file and compare the findings."""
        file = self.by_path[finding.path]
        fix = finding.fix
        assert fix is not None
        out = Outcome(finding.rule_id, finding.path, finding.line, fix.description)
        text = read_text(file.abspath, self.config.max_file_size).text
        assert text is not None
        new_text = apply_edits(text, [fix])

        shadow = self._shadow(Path(file.abspath))
        shadow.unlink()
        try:
            shadow.write_text(new_text, encoding="utf-8")
            # classify() alone, before and after: it does not climb Flyway release folders
            # as a whole-tree discover() does, so it is compared with itself
            was = classify(file.abspath, base_dir=str(self.base_dir))
            again = classify(str(shadow), base_dir=str(self._shadow(self.base_dir)))
            mine = replace(file, abspath=str(shadow))
            if again is None:
                out.moved = "no longer a migration file"
            elif was is not None and (again.path, again.root, again.convention, again.direction, again.options) != (
                was.path, was.root, was.convention, was.direction, was.options
            ):
                out.moved = f"{was.convention}/{was.direction} -> {again.convention}/{again.direction}"
            res = engine.lint_file(mine, self.config)
            before = self.results[file.path]
            if not res.summary.get("parsed") and before.summary.get("parsed"):
                src = Source(new_text, file)
                out.parse_error = src.error[1] if src.error else "does not parse"
                src.close()
            members = [mine if m.path == file.path else m for m in self.by_root[file.root]]
            summaries = {m.path: self.summaries[m.path] for m in members}
            summary_new = {k: v for k, v in res.summary.items() if k != "digest"}
            summary_old = {k: v for k, v in before.summary.items() if k != "digest"}
            if summary_new != summary_old or res.ignored_rules != before.ignored_rules:
                # the fix changed what the set knows of the file: the file-set rules, and the
                # set post-pass over every file of the root (a later file's ALTER COLUMN …
                # TYPE reads the type this file declares), as miglint lint runs them
                summaries[file.path] = res.summary
                ignored = dict(self.ignored)
                self.ignored[file.path] = res.ignored_rules
                try:
                    after_set = self._set_findings(file.root, members, summaries)
                finally:
                    self.ignored = ignored
                others = [g for m in members if m.path != file.path for g in self.results[m.path].findings]
                after_root = self._resolved(file.root, others + list(res.findings) + after_set, summaries)
                before_root = self._base_root(file.root)
                out.new += _new_elsewhere(before_root, after_root, file.path)
                before_findings = [g for g in before_root if g.path == file.path]
                after_findings = [g for g in after_root if g.path == file.path]
            else:  # only the file's own findings can differ: resolved with the set all the same
                before_findings = self._resolved(file.root, list(before.findings), summaries)
                after_findings = self._resolved(file.root, list(res.findings), summaries)
        finally:
            shadow.unlink()
            os.symlink(file.abspath, shadow)

        cmp = compare(before_findings, after_findings, path=file.path, old_text=text, new_text=new_text,
                      spans=_statements(text, file, self.config), edits=[fix], fixed=[finding])
        out.kept = bool(cmp.kept)
        out.new = [(f.rule_id, f.severity.value, f.line, f.message) for f in cmp.new] + out.new
        return out


def _new_elsewhere(before: list[Finding], after: list[Finding], path: str) -> list[tuple[str, str, int, str]]:
    """The findings at error or warning level (:data:`linter.fixes.COUNTED`) that a fix of
    ``path`` made appear in the *other* files of its root (their text is unchanged, so they
    are compared by path, rule and line): ``[(rule, severity, line, "path: message")]``."""
    def counted(findings: list[Finding]) -> Counter:
        return Counter((g.path, g.rule_id, g.line) for g in findings if g.path != path and g.severity in COUNTED)

    grown = counted(after) - counted(before)
    return [(g.rule_id, g.severity.value, g.line, f"{g.path}: {g.message}") for g in after
            if grown.get((g.path, g.rule_id, g.line)) and g.severity in COUNTED and g.path != path]


def run(corpus: Path, *, max_fixes: int | None = None, seed: int = 0, rules: list[str] | None = None,
        jobs: int | None = None, base_dir: Path = REPO, config=None, preset: str | None = None) -> dict:
    """Check the fixes of ``corpus`` (all, or a seeded sample of ``max_fixes``) and return
    ``{"findings": int, "fixes_total": {rule: n}, "outcomes": [Outcome], "seconds": float}``.
    ``rules``: only fixes of these rules."""
    t0 = time.perf_counter()
    ck = Checker(corpus, base_dir=base_dir, config=config, jobs=jobs, preset=preset)
    try:
        fixes = ck.fixes()
        total = Counter(f.rule_id for f in fixes)
        if rules:
            fixes = [f for f in fixes if f.rule_id in rules]
        if max_fixes is not None and len(fixes) > max_fixes:
            fixes = sorted(random.Random(seed).sample(fixes, max_fixes), key=Finding.sort_key)
        outcomes = [ck.check(f) for f in fixes]
        n_findings = sum(len(r.findings) for r in ck.results.values())
    finally:
        ck.close()
    return {"findings": n_findings, "fixes_total": dict(total), "outcomes": outcomes, "seconds": time.perf_counter() - t0}


def summarize(result: dict) -> dict:
    """Per-rule totals of :func:`run`'s outcomes: ``{rule: {"fixes", "parse", "new", "kept",
    "moved", "new_rules": {rule: n}}}`` plus ``"total"``."""
    per: dict[str, dict] = {}
    for o in result["outcomes"]:
        row = per.setdefault(o.rule, {"fixes": 0, "parse": 0, "new": 0, "kept": 0, "moved": 0, "new_rules": Counter()})
        row["fixes"] += 1
        row["parse"] += bool(o.parse_error)
        row["new"] += bool(o.new)
        row["kept"] += o.kept
        row["moved"] += bool(o.moved)
        for r, *_ in o.new:
            row["new_rules"][r] += 1
    total = {k: sum(r[k] for r in per.values()) for k in ("fixes", "parse", "new", "kept", "moved")}
    return {"rules": per, "total": total}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="directory to lint (default ../shared/corpus)")
    ap.add_argument("--max", type=int, dest="max_fixes", metavar="N", help="check a seeded random sample of N fixes")
    ap.add_argument("--seed", type=int, default=0, help="seed of the --max sample (default 0)")
    ap.add_argument("--preset", help="preset instead of the default one (strict: also the opt-in type-hygiene rules)")
    ap.add_argument("--ignore", action="append", default=[], metavar="RULES",
                    help="rules not to run, as miglint lint --ignore (e.g. sqlfluff-style with --preset strict)")
    ap.add_argument("--rule", action="append", default=[], help="only fixes of this rule (repeatable)")
    ap.add_argument("--examples", type=int, default=3, help="bad fixes to print per rule (default 3)")
    ap.add_argument("--jobs", type=int, help="processes for the first lint (default: as miglint)")
    ap.add_argument("--json", metavar="FILE", help="also write totals and every bad fix as JSON")
    args = ap.parse_args(argv)

    config = None
    if args.preset or args.ignore:
        empty = tempfile.mkdtemp(prefix="fixcheck-cfg-")
        config = configmod.load(None, cwd=empty, preset=args.preset).select([], args.ignore)
        os.rmdir(empty)
    result = run(args.corpus, max_fixes=args.max_fixes, seed=args.seed, rules=args.rule or None, jobs=args.jobs,
                 config=config)
    summ = summarize(result)
    outcomes = result["outcomes"]
    print(f"corpus: {args.corpus}  findings: {result['findings']}  findings with a fix: {sum(result['fixes_total'].values())}"
          f"  checked: {len(outcomes)}  ({result['seconds']:.1f} s)")
    print()
    width = max([len(r) for r in summ["rules"]] + [5])
    print(f"{'rule':<{width}}  {'offered':>7} {'checked':>7} {'parse':>5} {'new':>5} {'kept':>5} {'moved':>5}  new findings by rule")
    for rule in sorted(set(summ["rules"]) | set(result["fixes_total"])):
        row = summ["rules"].get(rule, {"fixes": 0, "parse": 0, "new": 0, "kept": 0, "moved": 0, "new_rules": Counter()})
        nr = ", ".join(f"{r} {n}" for r, n in row["new_rules"].most_common())
        print(f"{rule:<{width}}  {result['fixes_total'].get(rule, 0):>7} {row['fixes']:>7} {row['parse']:>5} {row['new']:>5} {row['kept']:>5} {row['moved']:>5}  {nr}")
    t = summ["total"]
    print(f"{'total':<{width}}  {sum(result['fixes_total'].values()):>7} {t['fixes']:>7} {t['parse']:>5} {t['new']:>5} {t['kept']:>5} {t['moved']:>5}")
    bad = [o for o in outcomes if o.bad]
    if bad and args.examples:
        print("\nexamples:")
        shown: Counter = Counter()
        for o in bad:
            if shown[o.rule] >= args.examples:
                continue
            shown[o.rule] += 1
            why = []
            if o.parse_error:
                why.append(f"parse error: {o.parse_error}")
            why += [f"new {r} ({sev}) line {ln}: {msg[:140]}" for r, sev, ln, msg in o.new[:2]]
            if o.kept:
                why.append("its own finding stays")
            if o.moved:
                why.append(f"discovery: {o.moved}")
            print(f"  {o.rule}  {o.path}:{o.line}  [{o.description}]")
            for w in why:
                print(f"      {w}")
    if args.json:
        data = {
            "corpus": str(args.corpus),
            "findings": result["findings"],
            "fixes_offered": result["fixes_total"],
            "checked": len(outcomes),
            "totals": summ["total"],
            "rules": {r: {**{k: v for k, v in row.items() if k != "new_rules"}, "new_rules": dict(row["new_rules"])} for r, row in summ["rules"].items()},
            "bad": [vars(o) for o in bad],
        }
        Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
