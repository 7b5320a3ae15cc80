"""``miglint lint --fix`` and ``--diff``: make the findings' fixes, verified, to a fixed point.

A fix is a promise (:mod:`linter.fixes`): applied, the file parses, runs under its tool's
transaction semantics, and miglint reports no *new* error or warning on it. ``--fix``
checks that promise again for the fixes it makes together, before touching the user's
files:

1. The migration files are mirrored into a scratch directory as symbolic links (the
   mirror sits at ``<tmp>/<absolute path>``, as in ``bench/fix_check.py``; every directory
   holding a migration file, and each migration root, gets its entries linked, so the
   siblings a rule reads, diesel ``metadata.toml``, popx steps, Flyway ``.conf`` files, are
   where they were).
2. A *pass*: per file, the fixes of the reported findings are planned together
   (:func:`linter.fixes.plan_fixes`: every fix of one statement, of several rules, at
   once; of overlapping edits only the narrowest, the others skipped and reported), all
   files' edits are written to the mirror (a link becomes a file) and the migration roots
   they touch are linted again (:func:`_verify`). The promise is broken when a file no
   longer parses or discovery classifies it differently (convention, direction,
   options): that file's own edits did it; or when a new finding at error or warning
   level appears in any file of a root, or a fixed finding is still reported
   (:func:`linter.fixes.compare`): any edit in the root may have done it (a fix in one
   file changes what a later file's statement does: a column's type). The edits in
   question are put back and tried again by halves (a root's files, then a file's edits),
   down to the one edit that breaks the promise: it is undone, said so, and its findings
   are not fixed again in this run; every other edit is kept.
3. Passes repeat until no fix is left to make (at most :data:`MAX_PASSES`): a finding the
   narrower edit kept from being fixed offers a fresh fix on the next pass's lint. So a
   second ``--fix`` changes nothing.
4. ``--fix`` then writes each changed file over the original (atomically: a temporary
   file in the same directory, its permissions copied, then ``os.replace``), with the
   file's UTF-8 byte-order mark and its CRLF line breaks kept (an inserted line in a CRLF
   file gets CRLF); ``--diff`` prints the changes as a unified diff instead and writes
   nothing.

Never fixed: the findings of a migration that is already deployed (:func:`deployed`: with
``--base``, present at the merge base; without it, listed in the checksum manifest;
editing it changes a migration the database has already run) unless ``fix_deployed``;
findings accepted by the baseline (not reported, so not fixed); redacted findings (a fix
would quote the secret); files that are not valid UTF-8 (writing them back would replace
bytes).

The mirror is linted with the run's configuration without the ``history`` rules and
without ``--base`` (they judge edits of deployed files, which the mirror makes only with
``fix_deployed``, where they are the point); the report after ``--fix`` is a full lint of
the real files.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from linter import engine, fixes
from linter.atomic import replace_file
from linter.model import Finding, Fix, MigrationFile

#: Passes (lint, fix, lint again) at most in one run.
MAX_PASSES = 32

DEPLOYED = "the migration is deployed ({where}); --fix-deployed fixes it anyway"
ENCODING = "the file is not valid UTF-8: writing it back would change its bytes"
UNFIXABLE = "its fix was undone: {why}"


@dataclass
class FileChange:
    """One changed file: ``original`` and ``text`` as :func:`linter.source.read_text`
    gives them (decoded, no byte-order mark); ``bom``: the file starts with one;
    ``fixed``: the findings fixed in it (as reported on the pass that fixed them)."""

    file: MigrationFile
    original: str
    text: str
    bom: bool
    fixed: list[Finding] = field(default_factory=list)


@dataclass
class FixResult:
    """What :func:`run` did.

    * ``changes``: ``{path: FileChange}`` of the files whose text changed;
    * ``before``: the findings reported before any fix (of the mirror: no history rules);
    * ``left``: ``(finding, reason)`` for each finding still reported that has a fix
      which was not made, and why;
    * ``undone``: ``(path, why)`` for each edit found to break a fix's promise (put back,
      its findings not fixed in this run); ``retried``: times a file's edits were put back
      while looking for such an edit; ``lints``: lints of the mirror (of all its files, or
      of the roots a trial changed);
    * ``passes``: passes run; ``exhausted``: True when :data:`MAX_PASSES` stopped it with
      fixes left to try.
    """

    changes: dict[str, FileChange] = field(default_factory=dict)
    before: list[Finding] = field(default_factory=list)
    left: list[tuple[Finding, str]] = field(default_factory=list)
    undone: list[tuple[str, str]] = field(default_factory=list)
    passes: int = 0
    exhausted: bool = False
    retried: int = 0
    lints: int = 0

    @property
    def fixed(self) -> list[Finding]:
        """Every finding fixed, file by file."""
        return [f for c in self.changes.values() for f in c.fixed]


def deployed(files: list[MigrationFile], config) -> tuple[set[str], str | None]:
    """``(paths, where)``: the migration files the run's history (``--base``, else the
    checksum manifest, :mod:`linter.migset.history`) says are deployed, and where it says
    so (``on origin/main``, ``in .miglint.sum``); ``(set(), None)`` without a history.
    Every file the history does not call new counts, also the seed, repeatable and
    baseline files the history rules let change: a changed repeatable migration runs again
    on the next deploy, which a fix must not bring about unasked (the manifest lists only
    versioned migrations, so with it those stay fixable). Raises
    :class:`linter.migset.history.HistoryError`."""
    from linter.migset import manifest
    from linter.migset.history import load
    from linter.source import read_text

    history = load(config, files)
    if history is None:
        return set(), None
    summaries: dict[str, dict] = {}
    if history.kind == "manifest":  # is_new asks for the text's digest (a renamed deployed file)
        for f in files:
            read = read_text(f.abspath, config.max_file_size)
            if read.text is not None:
                summaries[f.path] = {"digest": manifest.digest(read.text)}
    out = {f.path for f in files if not history.is_new(f, summaries)}
    return out, history.where("")


class _Mirror:
    """The scratch tree: the migration files as links at ``<tmp>/<absolute path>``."""

    def __init__(self, files: list[MigrationFile]) -> None:
        from linter.migset.summary import base_dir_of

        self.root = Path(tempfile.mkdtemp(prefix="miglint-fix-"))
        dirs = {os.path.dirname(f.abspath) for f in files}
        dirs |= {os.path.normpath(os.path.join(base_dir_of(f), f.root)) for f in files}
        for d in dirs:
            self.shadow(d).mkdir(parents=True, exist_ok=True)
        for d in sorted(dirs):
            try:
                names = os.listdir(d)
            except OSError:
                continue
            for n in names:
                dst = self.shadow(os.path.join(d, n))
                if not os.path.lexists(dst):
                    os.symlink(os.path.join(d, n), dst)
        self.files = [dataclasses.replace(f, abspath=str(self.shadow(f.abspath))) for f in files]

    def shadow(self, path: str) -> Path:
        return self.root / str(path).lstrip(os.sep)

    def write(self, f: MigrationFile, text: str) -> None:
        """Put ``text`` at the mirror file of ``f`` (``f`` of :attr:`files`), never through a link."""
        p = Path(f.abspath)
        if p.is_symlink():
            p.unlink()
        p.write_bytes(text.encode("utf-8", "surrogatepass"))

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _crlf(text: str) -> bool:
    """True when every line break of ``text`` is CRLF (and there is one)."""
    n = text.count("\n")
    return n > 0 and text.count("\r\n") == n


def _adapt(edits: list[Fix], crlf: bool) -> list[Fix]:
    """``edits`` with LF line breaks of their replacements made CRLF in a CRLF file."""
    if not crlf:
        return edits
    out = []
    for e in edits:
        r = e.replacement.replace("\r\n", "\n").replace("\n", "\r\n")
        out.append(e if r == e.replacement else dataclasses.replace(e, replacement=r))
    return out


def _statements(text: str, file: MigrationFile, config) -> tuple[list[tuple[int, int]], str | None]:
    """``(spans, error)``: the top-level statements of ``text`` as character offsets, and the
    parse error (``None`` when it parses)."""
    from linter.source import Source

    src = Source(text, file, placeholders=config.placeholders, placeholder_syntax=config.placeholder_syntax)
    try:
        return [(s.start, s.end) for s in src.statements], (src.error[1] if src.error else None)
    finally:
        src.close()


def _classified(f: MigrationFile, base_dir: str):
    from linter.discovery import classify

    got = classify(f.abspath, base_dir=base_dir)
    return None if got is None else (got.path, got.root, got.convention, got.direction, got.options)


@dataclass
class _Unit:
    """Some of one file's planned edits: ``pairs`` of ``(edit, findings it fixes)``, the
    edits in the coordinates of the file's text when the pass planned them."""

    path: str
    pairs: list[tuple[Fix, list[Finding]]]

    def halves(self) -> list["_Unit"]:
        n = len(self.pairs) // 2
        return [_Unit(self.path, self.pairs[:n]), _Unit(self.path, self.pairs[n:])]


def _shifted(edits: list[Fix], before: list[Fix]) -> list[Fix]:
    """``edits`` (offsets of a text) in the offsets of that text once ``before`` (edits of
    it that overlap none of ``edits``) are made: each moves by the length change of the
    edits of ``before`` that end at or before its start."""
    out = []
    for e in edits:
        d = sum(len(a.replacement) - (a.end - a.start) for a in before if a.end <= e.start)
        out.append(e if d == 0 else dataclasses.replace(e, start=e.start + d, end=e.end + d))
    return out


def _moved(found: list[Finding], before: list[Fix], planned: str, current: str) -> list[Finding]:
    """``found`` (findings made on the text ``planned``) with their start moved to where it
    is in ``current``, which is ``planned`` with the edits ``before`` made (for
    :func:`linter.fixes.compare`, which reads only a finding's rule, path and start)."""
    if not before:
        return found
    from linter.model import Span
    from linter.source import TextIndex

    old, new = TextIndex(planned), TextIndex(current)
    out = []
    for f in found:
        off = old.offset(f.span.start)
        off += sum(len(a.replacement) - (a.end - a.start) for a in before if a.end <= off)
        pos = new.position(off)
        out.append(dataclasses.replace(f, span=Span(pos, pos)))
    return out


def run(files: list[MigrationFile], config, *, protected: set[str] = frozenset(), where: str | None = None,
        accepted: set[str] = frozenset(), jobs: int | None = None) -> FixResult:
    """Fix ``files`` in a scratch mirror to a fixed point (see the module docstring) and
    return the result; the real files are not touched (:func:`write` does that).

    ``protected``: paths whose findings are not fixed (deployed, :func:`deployed`), said
    to be deployed ``where``; ``accepted``: fingerprints of baseline-accepted findings
    (not fixed); ``jobs`` as :func:`linter.engine.lint`."""
    from linter.source import read_text

    cfg = dataclasses.replace(config.select([], ["history"]), base=None)
    out = FixResult()
    mirror = _Mirror(files)
    try:
        by_path = {f.path: f for f in mirror.files}
        real = {f.path: f for f in files}
        root_of = {f.path: f.root for f in files}
        texts: dict[str, str] = {}  # current text of each file read so far
        originals: dict[str, str] = {}
        boms: dict[str, bool] = {}
        bad_encoding: set[str] = set()
        rejected: dict[str, str] = {}  # fingerprint -> why its fix was undone

        def text_of(path: str) -> str | None:
            if path not in texts:
                read = read_text(real[path].abspath, config.max_file_size)
                if read.text is None:
                    return None
                if read.problem == "encoding":
                    bad_encoding.add(path)
                with open(real[path].abspath, "rb") as fh:
                    boms[path] = fh.read(3) == b"\xef\xbb\xbf"
                texts[path] = originals[path] = read.text
            return texts[path]

        def record(path: str, text: str, fixed: list[Finding]) -> None:
            change = out.changes.get(path)
            if change is None:
                change = out.changes[path] = FileChange(real[path], originals[path], text, False)
            change.fixed.extend(fixed)
            change.text = text

        def lint(roots: set[str] | None = None) -> list[Finding]:
            """The mirror's findings (only those of ``roots``' files, when given)."""
            members = mirror.files if roots is None else [f for f in mirror.files if f.root in roots]
            out.lints += 1
            return engine.lint(members, cfg, jobs=jobs).findings

        findings = lint()
        out.before = list(findings)
        left: dict[str, tuple[Finding, str]] = {}
        for n in range(MAX_PASSES + 1):
            left = {}
            units: list[_Unit] = []
            grouped: dict[str, list[Finding]] = {}
            for f in findings:
                if fixes.fix_of(f) is not None and f.fingerprint not in accepted and f.path in by_path:
                    grouped.setdefault(f.path, []).append(f)
            for path, fs in grouped.items():
                reason = None
                if path in protected:
                    reason = DEPLOYED.format(where=where or "history")
                else:
                    text = text_of(path)
                    if text is None:
                        reason = "the file cannot be read"
                    elif path in bad_encoding:
                        reason = ENCODING
                if reason is not None:
                    left.update((f.fingerprint, (f, reason)) for f in fs)
                    continue
                for f in fs:
                    if f.fingerprint in rejected:
                        left[f.fingerprint] = (f, UNFIXABLE.format(why=rejected[f.fingerprint]))
                plan = fixes.plan_fixes([f for f in fs if f.fingerprint not in rejected], text)
                left.update((f.fingerprint, (f, why)) for f, why in plan.skipped)
                if not plan.edits:
                    continue
                crlf = _crlf(text)
                pairs = []
                for e in plan.edits:
                    mine = [f for f in plan.fixed if (f.fix.start, f.fix.end, f.fix.replacement) == (e.start, e.end, e.replacement)]
                    pairs.append((_adapt([e], crlf)[0], mine))
                units.append(_Unit(path, pairs))
            if not units:
                break
            if n == MAX_PASSES:
                out.exhausted = True
                for u in units:
                    left.update((f.fingerprint, (f, f"not reached in {MAX_PASSES} passes: run --fix again"))
                                for _, fs in u.pairs for f in fs)
                break
            out.passes += 1
            findings = _verify(units, texts, findings, lint, record, mirror, by_path, root_of, rejected, out, cfg)
        out.left = sorted(left.values(), key=lambda fr: fr[0].sort_key())
        out.changes = {p: c for p, c in out.changes.items() if c.text != c.original}
        for path, c in out.changes.items():
            c.bom = boms.get(path, False)
        return out
    finally:
        mirror.close()


def _verify(units: list[_Unit], texts: dict[str, str], findings: list[Finding], lint, record, mirror, by_path, root_of,
            rejected: dict[str, str], out: FixResult, cfg) -> list[Finding]:
    """Make the edits of ``units`` in the mirror, keeping those that keep the promise
    (``record(path, new text, fixed findings)`` is told of each kept group), and return the
    findings after them. All at once first; when that breaks the promise in a
    root, its files are tried by halves, and a file's edits by halves, down to the one
    edit that breaks it (its findings go to ``rejected``): a few lints per such edit."""
    from linter.migset.summary import base_dir_of

    planned = {u.path: texts[u.path] for u in units}  # each file's text when the pass planned it
    done: dict[str, list[tuple[Fix, list[Finding]]]] = {p: [] for p in planned}
    was_class = {p: _classified(by_path[p], base_dir_of(by_path[p])) for p in planned}
    queue: list[list[_Unit]] = [units]
    while queue:
        group = queue.pop(0)
        trial: dict[str, tuple[str, list[Fix], list[Finding]]] = {}  # path -> (new text, shifted edits, fixed)
        for u in group:
            made = [e for e, _ in done[u.path]]
            mine = [e for e, _ in u.pairs]
            new = fixes.apply_edits(planned[u.path], sorted(made + mine, key=lambda e: (e.start, e.end)))
            prev = trial.get(u.path)
            assert prev is None, "one unit per file in a group"
            trial[u.path] = (new, _shifted(mine, made), _moved([f for _, fs in u.pairs for f in fs], made,
                                                               planned[u.path], texts[u.path]))
            mirror.write(by_path[u.path], new)
        roots = {root_of[p] for p in trial}
        after = lint(roots)
        after_all = [f for f in findings if root_of.get(f.path, f.path) not in roots] + after
        own, shared = _judge(trial, texts, findings, after_all, by_path, root_of, was_class, cfg)
        if not own and not shared:
            for u in group:
                done[u.path].extend(u.pairs)
                texts[u.path] = trial[u.path][0]
                record(u.path, texts[u.path], [f for _, fs in u.pairs for f in fs])
            findings = after_all
            continue
        for u in group:  # put back
            mirror.write(by_path[u.path], texts[u.path])
        halves: list[list[_Unit]] = []

        def alone(u: _Unit, why: str) -> None:
            """``u``'s edits broke the promise on their own: one edit is rejected, more are halved."""
            if len(u.pairs) == 1:
                out.undone.append((u.path, why))
                for f in u.pairs[0][1]:
                    rejected[f.fingerprint] = why
            else:
                out.retried += 1
                halves.extend([h] for h in u.halves())

        for u in group:
            if u.path in own:
                alone(u, own[u.path])
        for root, why in shared.items():
            members = [u for u in group if root_of[u.path] == root and u.path not in own]
            if len(members) == 1:
                alone(members[0], why)
            elif members:  # an edit of one of them: their files by halves
                out.retried += 1
                k = len(members) // 2
                halves.extend([members[:k], members[k:]])
        # made alongside a broken edit, in another root: tried once more without it
        again = [u for u in group if u.path not in own and root_of[u.path] not in shared]
        queue[:0] = ([again] if again else []) + halves
    return findings


def _judge(trial, texts, before, after, by_path, root_of, was_class, cfg) -> tuple[dict[str, str], dict[str, str]]:
    """``(own, shared)``: ``{path: why}`` of the files of ``trial`` (``{path: (new text,
    edits in the offsets of texts[path], fixed findings)}``) whose own edits broke a fix's
    promise (the file no longer parses, or discovery classifies it differently), and
    ``{root: why}`` of the roots where a new finding at error or warning level appeared, or
    a fixed finding stayed: an edit of any file of the root may have done that (a fix in
    one file can change what another's statement does: a column's type, a table's origin)."""
    from linter.migset.summary import base_dir_of

    own: dict[str, str] = {}
    shared: dict[str, str] = {}
    for path, (new_text, edits, fixed) in trial.items():
        f = by_path[path]
        spans, _ = _statements(texts[path], f, cfg)
        _, error = _statements(new_text, f, cfg)
        if error is not None:
            own[path] = f"the file no longer parses ({error})"
            continue
        if _classified(f, base_dir_of(f)) != was_class[path]:
            own[path] = "discovery would classify the file differently"
            continue
        cmp = fixes.compare([g for g in before if g.path == path], [g for g in after if g.path == path], path=path,
                            old_text=texts[path], new_text=new_text, spans=spans, edits=edits, fixed=fixed)
        if cmp.new:
            g = cmp.new[0]
            shared.setdefault(root_of[path], f"it made a new finding, {g.rule_id} ({g.severity}) at line {g.line}: {g.message}")
        elif cmp.kept:
            shared.setdefault(root_of[path], f"the {cmp.kept[0].rule_id} finding it fixes is still reported")
    roots = {root_of[p] for p in trial if p not in own}

    def others(findings: list[Finding]) -> Counter:
        return Counter((g.rule_id, g.path, g.line) for g in findings
                       if g.path not in trial and g.severity in fixes.COUNTED and root_of.get(g.path, g.path) in roots)

    was, now = others(before), others(after)
    for g in after:
        k = (g.rule_id, g.path, g.line)
        if k in now and now[k] > was[k]:
            shared.setdefault(root_of.get(g.path, g.path), f"it made a new finding in {g.path}, {g.rule_id} ({g.severity}) "
                                                           f"at line {g.line}: {g.message}")
    return own, shared


def write(changes: dict[str, FileChange]) -> list[str]:
    """Write each changed file over its original, atomically (a temporary file in the same
    directory with the original's permission bits, then ``os.replace``), the UTF-8
    byte-order mark kept; a migration that is a symbolic link is written where it points
    (the link stays). Returns the paths written; raises ``OSError``."""
    done = []
    for path, c in changes.items():
        target = os.path.realpath(c.file.abspath)
        data = (b"\xef\xbb\xbf" if c.bom else b"") + c.text.encode("utf-8", "surrogatepass")
        replace_file(target, data, prefix=".miglint-fix-", mode=os.stat(target).st_mode & 0o7777)
        done.append(path)
    return done


def _lines(text: str) -> list[str]:
    """``text`` cut after each LF, as ``diff`` and ``git`` cut lines (``str.splitlines``
    also cuts at form feeds and Unicode line separators)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def unified_diff(changes: dict[str, FileChange]) -> str:
    """The changes as a unified diff (``difflib``), one file after another in path order,
    ``a/<path>`` and ``b/<path>`` as git names them; a last line without a line break is
    marked ``\\ No newline at end of file`` as ``diff`` and ``git apply`` expect."""
    out = []
    for path in sorted(changes):
        c = changes[path]
        old, new = _lines(c.original), _lines(c.text)
        for line in difflib.unified_diff(old, new, fromfile=f"a/{path}", tofile=f"b/{path}"):
            if line.endswith("\n"):
                out.append(line)
            else:
                out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def summary_lines(result: FixResult, *, wrote: bool) -> list[str]:
    """What ``--fix`` (``wrote``) or ``--diff`` tells on standard error: per changed file
    the findings fixed by rule, each undone edit, the fixes left and why, and a total."""
    lines = []
    verb = "fixed" if wrote else "would fix"
    for path in sorted(result.changes):
        c = result.changes[path]
        by_rule = Counter(f.rule_id for f in c.fixed)
        lines.append(f"{verb} {path}: " + ", ".join(f"{r} ({n})" if n > 1 else r for r, n in sorted(by_rule.items())))
    for path, why in result.undone:
        lines.append(f"undone {path}: {why}")
    reasons = Counter()
    for f, why in result.left:
        if why.startswith("the migration is deployed"):
            reasons[why] += 1
        else:
            lines.append(f"not fixed {f.path}:{f.line} {f.rule_id}: {why}")
    for why, n in reasons.items():
        files = len({f.path for f, w in result.left if w == why})
        lines.append(f"not fixed: {n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}: {why}")
    n_fixed, n_files = len(result.fixed), len(result.changes)
    lines.append(f"{'Fixed' if wrote else 'Would fix'} {n_fixed} finding{'s' if n_fixed != 1 else ''} "
                 f"in {n_files} file{'s' if n_files != 1 else ''}"
                 + (f"; {len(result.left)} fix{'es' if len(result.left) != 1 else ''} not made" if result.left else "") + ".")
    return lines
