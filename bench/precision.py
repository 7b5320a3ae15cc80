#!/usr/bin/env python3
"""Weighted precision of miglint's findings over the real corpus, from a labelled sample.

A report, never a test: it prints figures and exits 0 whatever they are (1 only when
miglint crashed or an input is unreadable). In one run it:

1. gets a JSON report: runs ``python -m linter lint CORPUS --format json --output F``
   (default preset, run from an empty directory so no configuration file is read, this
   checkout importable), or reads one given with ``--report F``;
2. gives every finding a **key** that survives line shifts and message changes:
   the first 16 hex digits of ``sha256(rule \\0 path \\0 statement \\0 n)`` where ``path``
   is relative to the corpus root, ``statement`` is the whitespace-normalised text
   (comments removed) of the top-level statement holding the finding's start (empty for
   file-level findings at 1:1-1:1), and ``n`` counts earlier findings of the same rule on
   the same statement (ordered by line, column, message);
3. draws a seeded stratified sample: per rule, the ``max(--per-rule, round(share *
   --per-share))`` findings (defaults 10 and 150: the rules that weigh most get more) with
   the smallest ``sha256(seed \\0 key)``. A bottom-k sample is uniform, and it is
   stable: findings that stay keep their rank, new findings enter only where they rank
   lower, so most labels still apply after a change;
4. joins the sample with the labels file (``bench/precision_labels.yaml``, a YAML list
   of ``{key, rule, path, line, verdict, reason, message[, tag]}``; ``verdict`` is ``worth``,
   ``noise`` (true but nobody would act on it) or ``wrong`` (factually false));
5. prints per rule: findings in the report, sampled, labelled, precision (worth /
   labelled) and the noise and wrong shares; then the **weighted precision**: each rule's
   precision weighted by its share of all findings (over the rules with at least one
   labelled finding; the share of findings those rules cover is printed as coverage),
   with its 95 % margin (1.96 standard errors of the stratified estimate).
   Labels whose finding is no longer in the report are counted as *gone* (ignored);
   labelled findings that are still reported but no longer sampled are counted as
   *unsampled*; sampled findings with no label are listed (``--unlabelled`` prints each
   with its message, help, fix and statement source so that it can be judged, and
   ``--stubs FILE`` appends YAML stubs for them to FILE). A label whose ``message``
   differs from the finding's current one is still counted, and listed as *reworded*
   (re-judge it: a fixed message may turn ``wrong`` into ``worth``). An optional ``tag``
   on a label names its category; the noise and wrong shares are also printed by tag.

Usage: ``python bench/precision.py [--report F] [--corpus DIR] [--per-rule K] [--per-share N]
[--seed S] [--labels F] [--unlabelled] [--stubs F] [--json F]`` (see ``bench/README.md``).
Standard library and PyYAML (a miglint dependency) only.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_LABELS = BENCH_DIR / "precision_labels.yaml"
DEFAULT_SEED = "miglint-precision-1"
DEFAULT_PER_RULE = 10
#: a rule with share s of all findings gets max(per-rule, round(s * PER_SHARE)) samples, so
#: the rules that weigh most are measured most closely (missing-lock-timeout: ~31)
DEFAULT_PER_SHARE = 150
VERDICTS = ("worth", "noise", "wrong")


def default_corpus() -> Path:
    """``../shared/corpus`` next to the checkout (as ``bench/bench.py`` has it); for a git
    worktree under ``<root>/wt/<name>``, ``<root>/shared/corpus``."""
    for base in (REPO.parent, REPO.parent.parent):
        cand = base / "shared" / "corpus"
        if cand.is_dir():
            return cand
    return REPO.parent / "shared" / "corpus"


# --------------------------------------------------------------------------- statements

#: What matters to find statement boundaries: comments, quoted text, dollar quotes, ``;``.
_TOKEN = re.compile(r"--[^\n]*|/\*|'|\"|\$(?:[A-Za-z_\x80-\uffff][A-Za-z_0-9\x80-\uffff]*)?\$|;")
_NESTED_COMMENT = re.compile(r"/\*|\*/")


@dataclass
class Statements:
    """The top-level statements of one SQL text, found lexically (no parse, so it works on
    files that do not parse). ``ends[i]`` is the offset just past statement ``i``'s ``;``
    (or the end of the text); ``texts[i]`` its whitespace-normalised text without comments."""

    line_starts: list[int]
    ends: list[int]
    texts: list[str]

    def offset(self, line: int, column: int) -> int:
        """Character offset of 1-based ``line``:``column`` (clamped to the text)."""
        i = min(max(line, 1), len(self.line_starts)) - 1
        return self.line_starts[i] + max(column - 1, 0)

    def at(self, line: int, column: int) -> int:
        """Index of the statement holding ``line``:``column`` (a position between two
        statements belongs to the next one)."""
        i = bisect.bisect_right(self.ends, self.offset(line, column))
        return min(i, len(self.ends) - 1)


def split_statements(text: str) -> Statements:
    """Split ``text`` at top-level semicolons, skipping comments, quoted strings and
    identifiers, and dollar-quoted bodies (PostgreSQL's lexical rules, simplified: no
    ``E''`` backslash escapes). Unterminated quotes run to the end of the text."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    ends: list[int] = []
    texts: list[str] = []
    pieces: list[str] = []  # the current statement's text, comments left out
    start = pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN.search(text, pos)
        if m is None:
            break
        tok = m.group()
        if tok.startswith("--"):
            pieces.append(text[start:m.start()])
            start = pos = m.end()
        elif tok == "/*":
            depth, p = 1, m.end()
            while depth and p < n:
                c = _NESTED_COMMENT.search(text, p)
                if c is None:
                    p = n
                    break
                depth += 1 if c.group() == "/*" else -1
                p = c.end()
            pieces.append(text[start:m.start()] + " ")
            start = pos = p
        elif tok in ("'", '"'):
            p = m.end()
            while True:
                q = text.find(tok, p)
                if q < 0:
                    p = n
                    break
                if text.startswith(tok, q + 1):  # doubled quote
                    p = q + 2
                    continue
                p = q + 1
                break
            pos = p
        elif tok == ";":
            pieces.append(text[start:m.end()])
            ends.append(m.end())
            texts.append(" ".join("".join(pieces).split()))
            pieces = []
            start = pos = m.end()
        else:  # dollar quote
            q = text.find(tok, m.end())
            pos = n if q < 0 else q + len(tok)
    pieces.append(text[start:n])
    tail = " ".join("".join(pieces).split())
    if tail or not ends:
        ends.append(n)
        texts.append(tail)
    else:
        ends[-1] = n  # trailing whitespace belongs to the last statement
    return Statements(line_starts, ends, texts)


# --------------------------------------------------------------------------- findings


@dataclass
class Item:
    """One finding of the report with its stable ``key`` and its sampling ``rank``."""

    finding: dict
    rel: str  # path relative to the corpus root
    key: str = ""
    rank: str = ""
    stmt_index: int = -1


def relative_path(path: str, corpus: Path | None) -> str:
    """``path`` relative to the corpus root: the part after a ``corpus`` component that
    names an existing file under ``corpus`` (reports hold paths as miglint was given
    them, e.g. ``../shared/corpus/x/1.sql``), else after the first ``corpus`` component,
    else ``path`` unchanged."""
    parts = Path(path).parts
    first = None
    for i, part in enumerate(parts):
        if part == "corpus":
            tail = Path(*parts[i + 1:]) if i + 1 < len(parts) else None
            if tail is None:
                continue
            if first is None:
                first = tail
            if corpus is not None and (corpus / tail).is_file():
                return tail.as_posix()
    if corpus is not None:
        try:
            return Path(path).resolve().relative_to(corpus.resolve()).as_posix()
        except ValueError:
            pass
    return first.as_posix() if first is not None else path


def _is_file_level(f: dict) -> bool:
    return (f.get("line"), f.get("column"), f.get("end_line"), f.get("end_column")) == (1, 1, 1, 1)


def key_findings(findings: list[dict], corpus: Path | None, seed: str = DEFAULT_SEED,
                 read=None) -> list[Item]:
    """Give each finding its stable key and sampling rank (see the module doc).

    ``read(rel_path) -> str | None`` returns a file's text (default: from ``corpus``); a
    file that cannot be read gives its findings an empty statement text.
    """
    if read is None:
        def read(rel: str) -> str | None:
            if corpus is None:
                return None
            try:
                return (corpus / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
    items = [Item(f, relative_path(f["path"], corpus)) for f in findings]
    by_file: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        by_file[it.rel].append(it)
    for rel, group in by_file.items():
        stmts = None
        if any(not _is_file_level(it.finding) for it in group):
            text = read(rel)
            stmts = split_statements(text) if text is not None else None
        seen: dict[tuple[str, str], int] = defaultdict(int)
        group.sort(key=lambda it: (it.finding["rule"], it.finding.get("line") or 0,
                                   it.finding.get("column") or 0, it.finding.get("message") or ""))
        for it in group:
            f = it.finding
            if stmts is None or _is_file_level(f):
                context = ""
            else:
                it.stmt_index = stmts.at(f.get("line") or 1, f.get("column") or 1)
                context = stmts.texts[it.stmt_index]
            n = seen[(f["rule"], context)]
            seen[(f["rule"], context)] = n + 1
            it.key = _sha(f"{f['rule']}\0{rel}\0{context}\0{n}")
            it.rank = _sha(f"{seed}\0{it.key}", 64)
    return items


def _sha(s: str, digits: int = 16) -> str:
    return hashlib.sha256(s.encode("utf-8", "surrogatepass")).hexdigest()[:digits]


def sample_size(count: int, total: int, per_rule: int = DEFAULT_PER_RULE, per_share: int = 0) -> int:
    """How many of a rule's ``count`` findings (of ``total``) to sample:
    ``max(per_rule, round(count / total * per_share))``, at most ``count``."""
    share_n = round(count / total * per_share) if total else 0
    return min(count, max(per_rule, share_n))


def sample(items: list[Item], per_rule: int = DEFAULT_PER_RULE, per_share: int = 0) -> dict[str, list[Item]]:
    """Per rule, the :func:`sample_size` items of smallest rank (ties broken by key), in
    rank order. A larger size draws a superset of a smaller one."""
    by_rule: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        by_rule[it.finding["rule"]].append(it)
    total = len(items)
    return {rule: sorted(group, key=lambda it: (it.rank, it.key))[:sample_size(len(group), total, per_rule, per_share)]
            for rule, group in sorted(by_rule.items())}


# --------------------------------------------------------------------------- labels


def load_labels(path: Path) -> dict[str, dict]:
    """The labels of ``path`` by key. Raises ``ValueError`` on a malformed entry (no key,
    unknown verdict, key given twice); an entry whose verdict is empty is a stub and is
    left out."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of labels")
    labels: dict[str, dict] = {}
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not entry.get("key"):
            raise ValueError(f"{path}: entry {i} has no key")
        verdict = entry.get("verdict")
        if not verdict:
            continue
        if verdict not in VERDICTS:
            raise ValueError(f"{path}: entry {i} ({entry['key']}): verdict {verdict!r} is not one of {VERDICTS}")
        key = str(entry["key"])
        if key in labels:
            raise ValueError(f"{path}: key {key} labelled twice")
        labels[key] = entry
    return labels


# --------------------------------------------------------------------------- scoring


@dataclass
class RuleScore:
    """One rule's counts: ``count`` findings in the report, of which ``sampled`` were
    drawn and ``labelled`` have a verdict (``worth`` + ``noise`` + ``wrong``)."""

    rule: str
    count: int
    sampled: int = 0
    worth: int = 0
    noise: int = 0
    wrong: int = 0

    @property
    def labelled(self) -> int:
        return self.worth + self.noise + self.wrong

    def share(self, verdict: str) -> float | None:
        """Fraction of the labelled sample with ``verdict`` (None when nothing is labelled)."""
        return getattr(self, verdict) / self.labelled if self.labelled else None


@dataclass
class Score:
    """The whole report's scores. ``weighted[v]`` is the share of findings judged ``v``,
    each rule's share weighted by its count, over the rules with a labelled finding
    (``covered`` findings of ``total``)."""

    rules: list[RuleScore]
    total: int
    covered: int
    weighted: dict[str, float | None]
    unlabelled: list[Item] = field(default_factory=list)
    #: standard error of ``weighted["worth"]``: sqrt(sum of w_r^2 p_r (1 - p_r) / (n_r - 1)
    #: * (1 - n_r / N_r)) over the labelled rules (w_r = N_r / covered); rules with one
    #: label add nothing
    stderr: float | None = None
    gone: list[dict] = field(default_factory=list)  # labels whose finding is not reported
    unsampled: int = 0  # labels whose finding is reported but not sampled
    #: sampled findings whose label was given on another message (re-judge them)
    reworded: list[Item] = field(default_factory=list)
    #: (verdict, tag) -> estimated share of all findings, each rule's labelled sample
    #: scaled to the rule's count (labels without a ``tag`` count as "untagged")
    tags: dict[tuple[str, str], float] = field(default_factory=dict)


def score(items: list[Item], sampled: dict[str, list[Item]], labels: dict[str, dict]) -> Score:
    """Join the sample with the labels and compute per-rule and weighted precision."""
    counts: dict[str, int] = defaultdict(int)
    for it in items:
        counts[it.finding["rule"]] += 1
    present = {it.key for it in items}
    in_sample: set[str] = set()
    rules: list[RuleScore] = []
    unlabelled: list[Item] = []
    reworded: list[Item] = []
    judged: dict[str, list[dict]] = defaultdict(list)
    for rule in sorted(counts):
        rs = RuleScore(rule, counts[rule])
        for it in sampled.get(rule, []):
            rs.sampled += 1
            in_sample.add(it.key)
            label = labels.get(it.key)
            if label is None:
                unlabelled.append(it)
            else:
                setattr(rs, label["verdict"], getattr(rs, label["verdict"]) + 1)
                judged[rule].append(label)
                if label.get("message") not in (None, it.finding.get("message")):
                    reworded.append(it)
        rules.append(rs)
    total = sum(counts.values())
    covered = sum(rs.count for rs in rules if rs.labelled)
    weighted: dict[str, float | None] = {}
    for v in VERDICTS:
        weighted[v] = (sum(rs.count * rs.share(v) for rs in rules if rs.labelled) / covered) if covered else None
    stderr = None
    if covered:
        var = 0.0
        for rs in rules:
            n, big_n = rs.labelled, rs.count
            if n > 1:
                p = rs.worth / n
                var += (big_n / covered) ** 2 * p * (1 - p) / (n - 1) * max(0.0, 1 - n / big_n)
        stderr = var ** 0.5
    gone = [lab for k, lab in labels.items() if k not in present]
    unsampled = sum(1 for k in labels if k in present and k not in in_sample)
    tags: dict[tuple[str, str], float] = defaultdict(float)
    for rs in rules:
        for label in judged[rs.rule]:
            tags[(label["verdict"], str(label.get("tag") or "untagged"))] += rs.count / rs.labelled / covered
    return Score(rules, total, covered, weighted, unlabelled, stderr, gone, unsampled, reworded, dict(tags))


# --------------------------------------------------------------------------- output


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:5.1f}%"


def print_score(sc: Score, out=None) -> None:
    """The per-rule table and the weighted figures, to ``out`` (default: stdout)."""
    out = out or sys.stdout
    w = max([len(rs.rule) for rs in sc.rules] + [4])
    print(f"{'rule':<{w}}  {'count':>6} {'share':>6} {'sampled':>7} {'labelled':>8} {'precision':>9} {'noise':>6} {'wrong':>6}", file=out)
    for rs in sorted(sc.rules, key=lambda r: -r.count):
        print(f"{rs.rule:<{w}}  {rs.count:>6} {_pct(rs.count / sc.total if sc.total else None):>6} {rs.sampled:>7} "
              f"{rs.labelled:>8} {_pct(rs.share('worth')):>9} {_pct(rs.share('noise')):>6} {_pct(rs.share('wrong')):>6}", file=out)
    print(file=out)
    print(f"findings: {sc.total}; rules with labels cover {sc.covered} ({_pct(sc.covered / sc.total if sc.total else None).strip()})", file=out)
    ci = f" (± {100 * 1.96 * sc.stderr:.1f} points, 95 %)" if sc.stderr is not None else ""
    print(f"weighted precision (worth flagging): {_pct(sc.weighted['worth']).strip()}{ci}", file=out)
    print(f"weighted noise (true, not actionable): {_pct(sc.weighted['noise']).strip()}", file=out)
    print(f"weighted wrong (factually false):     {_pct(sc.weighted['wrong']).strip()}", file=out)
    print(f"sampled findings without a label: {len(sc.unlabelled)}; labels gone (finding no longer reported): "
          f"{len(sc.gone)}; labelled but no longer sampled: {sc.unsampled}; "
          f"labelled on another message (re-judge): {len(sc.reworded)}", file=out)
    bad = sorted(((share, v, tag) for (v, tag), share in sc.tags.items() if v != "worth"), reverse=True)
    if bad:
        print("\nnoise and wrong by tag (estimated share of all findings):", file=out)
        for share, v, tag in bad:
            print(f"  {_pct(share)}  {v:<5}  {tag}", file=out)


def describe(it: Item, corpus: Path | None, context_lines: int = 2) -> str:
    """A finding with what is needed to judge it: message, help, fix and the source lines
    of its statement (plus ``context_lines`` around it)."""
    f = it.finding
    lines = [f"--- {it.key}  {f['rule']}  {it.rel}:{f.get('line')}:{f.get('column')}  [{f.get('severity')}]",
             f"message: {f.get('message')}"]
    if f.get("help"):
        lines.append(f"help: {f['help']}")
    if f.get("fix"):
        fx = f["fix"]
        lines.append(f"fix: {fx.get('description')} @ {fx.get('line')}:{fx.get('column')}-{fx.get('end_line')}:{fx.get('end_column')} -> {fx.get('replacement')!r}")
    text = None
    if corpus is not None:
        try:
            text = (corpus / it.rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            pass
    if text is not None:
        src = text.splitlines()
        if _is_file_level(f) or it.stmt_index < 0:
            lo, hi = 1, min(len(src), 12)
        else:
            st = split_statements(text)
            begin = st.ends[it.stmt_index - 1] if it.stmt_index > 0 else 0
            end = st.ends[it.stmt_index]
            lo = bisect.bisect_right(st.line_starts, begin)
            while lo <= len(src) and lo < (f.get("line") or 1) and not src[lo - 1].strip():
                lo += 1
            hi = bisect.bisect_right(st.line_starts, max(end - 1, begin))
            lo, hi = max(1, lo - context_lines), min(len(src), hi + context_lines)
            if hi - lo > 40:  # long statements: around the finding only
                line = f.get("line") or 1
                lo, hi = max(lo, line - 15), min(hi, line + 15)
        for n in range(lo, hi + 1):
            mark = ">" if n == f.get("line") else " "
            lines.append(f"{mark}{n:5} | {src[n - 1]}")
    return "\n".join(lines)


def stub(it: Item) -> dict:
    """A label entry to fill in for ``it`` (empty verdict and reason)."""
    f = it.finding
    return {"key": it.key, "rule": f["rule"], "path": it.rel, "line": f.get("line"),
            "verdict": "", "reason": "", "message": f.get("message")}


def dump_labels(entries: list[dict]) -> str:
    """YAML text for label entries, one block mapping each, in a fixed key order."""
    order = ("key", "rule", "path", "line", "verdict", "tag", "reason", "message")
    out = []
    for e in entries:
        first = True
        for k in order + tuple(k for k in e if k not in order):
            if k not in e:
                continue
            v = yaml.safe_dump(e[k], default_flow_style=True, allow_unicode=True, width=10**6).strip()
            if v.endswith("\n...") or v.endswith("..."):
                v = v.rsplit("\n...", 1)[0].removesuffix("...").strip()
            out.append(f"{'- ' if first else '  '}{k}: {v}")
            first = False
    return "\n".join(out) + ("\n" if out else "")


# --------------------------------------------------------------------------- running


def run_miglint(corpus: Path, output: Path) -> None:
    """``python -m linter lint CORPUS --format json --output OUTPUT`` from an empty
    directory (no configuration file), with this checkout importable. Raises
    ``RuntimeError`` when miglint exits with 2 or more (1 only means findings)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    with tempfile.TemporaryDirectory() as empty:
        proc = subprocess.run([sys.executable, "-m", "linter", "lint", str(corpus), "--format", "json",
                               "--output", str(output)], cwd=empty, env=env, capture_output=True, text=True)
    if proc.returncode >= 2 or not output.exists():
        raise RuntimeError(f"miglint exited with {proc.returncode}: {proc.stderr.strip()[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--report", type=Path, help="a miglint JSON report (default: run miglint on the corpus)")
    ap.add_argument("--corpus", type=Path, default=None, help="corpus root (default: ../shared/corpus)")
    ap.add_argument("--per-rule", type=int, default=DEFAULT_PER_RULE, help="findings sampled per rule (at least)")
    ap.add_argument("--per-share", type=int, default=DEFAULT_PER_SHARE,
                    help="a rule with share s of all findings gets max(per-rule, round(s * this)) samples")
    ap.add_argument("--seed", default=DEFAULT_SEED)
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--rule", action="append", help="with --unlabelled/--stubs: only these rules")
    ap.add_argument("--unlabelled", action="store_true", help="print every sampled finding that has no label, with context")
    ap.add_argument("--stubs", type=Path, help="append YAML label stubs for the unlabelled sampled findings to this file")
    ap.add_argument("--json", type=Path, help="also write the scores as JSON")
    args = ap.parse_args(argv)
    corpus = (args.corpus or default_corpus()).resolve()
    try:
        if args.report:
            report = json.loads(args.report.read_text(encoding="utf-8"))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "report.json"
                run_miglint(corpus, out)
                report = json.loads(out.read_text(encoding="utf-8"))
        findings = report["findings"] if isinstance(report, dict) else report
        items = key_findings(findings, corpus, args.seed)
        sampled = sample(items, args.per_rule, args.per_share)
        labels = load_labels(args.labels)
    except (OSError, ValueError, RuntimeError, KeyError) as e:
        print(f"precision: {e}", file=sys.stderr)
        return 1
    sc = score(items, sampled, labels)
    print(f"report: {args.report or 'miglint on ' + str(corpus)}; seed {args.seed!r}; {args.per_rule} per rule, "
          f"more for rules over {100 * args.per_rule / args.per_share if args.per_share else 100:.1f} % of findings; "
          f"labels: {args.labels} ({len(labels)})\n")
    print_score(sc)
    todo = [it for it in sc.unlabelled if not args.rule or it.finding["rule"] in args.rule]
    if args.unlabelled:
        print()
        for it in todo:
            print(describe(it, corpus))
            print()
        for it in sc.reworded:
            if not args.rule or it.finding["rule"] in args.rule:
                label = labels[it.key]
                print(describe(it, corpus))
                print(f"judged {label['verdict']} on: {label.get('message')}\n  ({label.get('reason')})\n")
    elif todo:
        print("unlabelled (run with --unlabelled for context):")
        for it in todo:
            print(f"  {it.key}  {it.finding['rule']}  {it.rel}:{it.finding.get('line')}")
    if args.stubs:
        with args.stubs.open("a", encoding="utf-8") as fh:
            fh.write(dump_labels([stub(it) for it in todo]))
    if args.json:
        args.json.write_text(json.dumps({
            "total": sc.total, "covered": sc.covered, "weighted": sc.weighted,
            "rules": [{"rule": r.rule, "count": r.count, "sampled": r.sampled, "labelled": r.labelled,
                       "worth": r.worth, "noise": r.noise, "wrong": r.wrong} for r in sc.rules],
            "unlabelled": [it.key for it in sc.unlabelled], "gone": [g.get("key") for g in sc.gone],
            "unsampled": sc.unsampled, "reworded": [it.key for it in sc.reworded],
            "tags": [{"verdict": v, "tag": t, "share": x} for (v, t), x in sorted(sc.tags.items())]},
            indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
