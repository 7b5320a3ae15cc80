"""One workspace folder as the language server sees it: configuration, migration files,
and what linting them gave, kept current as buffers are edited and files change.

The findings of a file are those ``miglint lint`` would report if the editor's buffers were
saved: its own (statement and file rules, run on the buffer's text), plus the file-set
rules of its migration root (naming, versions, rollback pairs, history), run over the
per-file summaries of every file of that root (:func:`linter.engine.run_file_sets`), then
the set-wide post-pass, then the baseline. The whole folder is linted once when it is
loaded (in parallel, as ``miglint lint`` does); after that an edit re-lints one file and
re-runs its root's file-set rules, which read summaries only.

A buffer that does not parse keeps, beside its syntax error, the findings of the last
version of it that parsed (:func:`carry`): those before the edited region stay where they
were, those after it move with the text, those inside it are dropped, and none keeps its
fix (a fix is a promise about a file that parses). The file-set rules keep using that
version's summary meanwhile.

No pygls here: :mod:`linter.lsp.server` calls this from one worker thread, so nothing in
it needs a lock.
"""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from dataclasses import dataclass, replace

from linter import config as configmod, engine
from linter.config import Config, ConfigError
from linter.model import Finding, MigrationFile
from linter.source import ReadResult, TextIndex


@dataclass
class Good:
    """The last version of a file that parsed: its ``text`` and its ``findings`` (all of
    them, set ones included, baseline applied), and the per-file ``summary``."""

    text: str
    findings: list[Finding]
    summary: dict


def buffer_read(text: str, max_bytes: int) -> ReadResult:
    """The :class:`ReadResult` of an editor's buffer, as :func:`linter.source.read_text`
    would give for the file saved as UTF-8 (a leading U+FEFF dropped, the size limit
    applied; a NUL character makes it binary)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return ReadResult(None, "too-large", f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (max_file_size)")
    if "\0" in text:
        nul = text.index("\0")
        return ReadResult(None, "binary", f"binary content: NUL byte at byte offset {len(text[:nul].encode('utf-8', 'surrogatepass'))}", nul)
    return ReadResult(text)


class Project:
    """One workspace folder.

    * ``root``: the folder, absolute; paths in findings are relative to it (POSIX), as
      ``miglint lint`` run there reports them, and its configuration is the one
      ``miglint lint`` run there would load (``.miglint.yml`` or ``pyproject.toml``, found
      upwards from ``root``).
    * ``config_error``: why the configuration could not be loaded (the ``default`` preset
      is used meanwhile), else ``None``.
    * ``files``: ``{abspath: MigrationFile}`` of the discovered migration files, plus the
      files opened in the editor that discovery does not walk into (linted as
      ``miglint lint FILE`` would).
    * ``buffers``: ``{abspath: text}`` of open documents (linted instead of the disk).
    * ``loaded``: :meth:`load` has run.
    """

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.config: Config = configmod.load_preset("default")
        self.config_error: str | None = None
        self.files: dict[str, MigrationFile] = {}
        self.buffers: dict[str, str] = {}
        self.notes: list[str] = []
        self.loaded = False
        self._opened: dict[str, MigrationFile] = {}  # opened files discovery does not find
        self._not_migration: set[str] = set()  # opened files that are not migration files
        self._results: dict[str, engine.FileResult] = {}  # by path
        self._good: dict[str, Good] = {}  # by path
        self._resolved: dict[str, dict[str, list[Finding]]] = {}  # migration root -> path -> findings
        self._accepted: set[str] = set()

    # ------------------------------------------------------------------ loading

    def load(self, jobs: int | None = None) -> None:
        """(Re)load the configuration, discover the files and lint all of them (buffers
        of open documents instead of their files). Never raises for configuration or
        baseline problems: they go to ``config_error``."""
        self.loaded = True
        self.config_error = None
        try:
            self.config = configmod.load(None, cwd=self.root)
        except ConfigError as exc:
            self.config_error = str(exc)
            self.config = configmod.load_preset("default")
        self._accepted = set()
        if self.config.baseline:
            from linter import baseline

            try:
                self._accepted = baseline.load(os.path.join(self.root, self.config.baseline))
            except baseline.BaselineError as exc:
                self.config_error = str(exc)
        self._results.clear()
        self._good.clear()
        self._resolved.clear()
        self._discover()
        files = list(self.files.values())
        on_disk = [f for f in files if f.abspath not in self.buffers]
        was = gc.isenabled()
        gc.disable()  # as engine.lint: no collection traverses live parse trees
        try:
            for res in engine.lint_files(on_disk, self.config, jobs=jobs):
                self._results[res.path] = res
            for f in files:
                if f.abspath in self.buffers:
                    self._lint(f)
        finally:
            if was:
                gc.enable()

    def _discover(self) -> None:
        from linter.discovery import discover

        cfg = self.config
        found = discover(cfg.roots or ["."], base_dir=self.root, roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude,
                         snapshots=cfg.snapshots)
        self.notes = list(found.notes) + [f"{p}: {m}" for p, m in found.errors]
        self.files = {f.abspath: f for f in found.files}
        self._not_migration.clear()
        for ap, f in list(self._opened.items()):
            if ap in self.files or not os.path.exists(ap) and ap not in self.buffers:
                del self._opened[ap]
            else:
                self.files[ap] = f

    def rediscover(self) -> set[str]:
        """Discover again after files were created, deleted or renamed on disk: lint the
        new files, forget the gone ones. Returns the migration roots whose file set
        changed."""
        old = dict(self.files)
        self._discover()
        changed: set[str] = set()
        for ap in old.keys() - self.files.keys():
            f = old[ap]
            changed.add(f.root)
            self._results.pop(f.path, None)
            self._good.pop(f.path, None)
        new = [f for ap, f in self.files.items() if ap not in old or old[ap] != f]
        for f in new:
            changed.add(f.root)
            if ap_old := old.get(f.abspath):
                changed.add(ap_old.root)
            self._lint(f)
        for root in changed:
            self._resolved.pop(root, None)
        return changed

    # ------------------------------------------------------------------ queries

    def owns(self, abspath: str) -> bool:
        """True when ``abspath`` is inside this folder."""
        try:
            return os.path.commonpath([self.root, os.path.abspath(abspath)]) == self.root
        except ValueError:  # another drive
            return False

    def file(self, abspath: str) -> MigrationFile | None:
        """The :class:`MigrationFile` of ``abspath``: discovered, or classified as
        ``miglint lint FILE`` would (``None``: not a migration file, or excluded by the
        configuration)."""
        abspath = os.path.abspath(abspath)
        hit = self.files.get(abspath)
        if hit is not None:
            return hit
        if abspath in self._not_migration or not self.owns(abspath):
            return None
        from linter.discovery import classify, discover

        cfg = self.config
        rel = os.path.relpath(abspath, self.root)
        if os.path.isfile(abspath):
            found = discover([rel], base_dir=self.root, roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude,
                             snapshots=cfg.snapshots)
            f = found.files[0] if found.files else None
        else:  # not saved yet: by its name and its siblings
            f = classify(rel, base_dir=self.root, root=next((r for r in cfg.roots if (rel + "/").startswith(r.rstrip("/") + "/")), None))
        if f is None:
            self._not_migration.add(abspath)
        else:
            self._opened[abspath] = f
            self.files[abspath] = f
            self._resolved.pop(f.root, None)
        return f

    def findings(self, abspath: str) -> list[Finding]:
        """The findings of one file, as ``miglint lint`` would report them with every open
        buffer saved (sorted; the baseline applied). For a buffer that does not parse, the
        findings of its last version that parsed are carried along (:func:`carry`)."""
        f = self.file(abspath)
        if f is None:
            return []
        if f.path not in self._results:
            self._lint(f)
        out = self._root_findings(f.root).get(f.path, [])
        res = self._results[f.path]
        good = self._good.get(f.path)
        if res.summary.get("parsed") or good is None:
            return out
        text = self.text(f)
        now = {x.fingerprint for x in out}
        kept = carry(good.text, text, [x for x in good.findings if x.fingerprint not in now]) if text is not None else []
        return sorted(out + kept, key=Finding.sort_key)

    def text(self, f: MigrationFile) -> str | None:
        """The text miglint lints for ``f``: its buffer (without a byte-order mark), else
        the file on disk."""
        buf = self.buffers.get(f.abspath)
        read = buffer_read(buf, self.config.max_file_size) if buf is not None else self._read(f)
        return read.text

    def _read(self, f: MigrationFile) -> ReadResult:
        from linter.source import read_text

        return read_text(f.abspath, self.config.max_file_size)

    # ------------------------------------------------------------------ updates

    def update(self, abspath: str, text: str | None) -> str | None:
        """The document at ``abspath`` now holds ``text`` (``None``: it was closed, or
        saved: lint the disk again). Re-lints it; returns its migration root (whose other
        files' findings may change too), or ``None`` when it is not a migration file."""
        abspath = os.path.abspath(abspath)
        if text is None:
            self.buffers.pop(abspath, None)
        else:
            self.buffers[abspath] = text
        f = self.file(abspath)
        if f is None:
            return None
        if text is None and abspath in self._opened and not os.path.exists(abspath):
            del self._opened[abspath]
            self.files.pop(abspath, None)
            self._results.pop(f.path, None)
            self._good.pop(f.path, None)
            self._resolved.pop(f.root, None)
            return f.root
        self._lint(f)
        return f.root

    def _lint(self, f: MigrationFile) -> None:
        buf = self.buffers.get(f.abspath)
        read = buffer_read(buf, self.config.max_file_size) if buf is not None else None
        res = engine.lint_file(f, self.config, read)
        self._results[f.path] = res
        self._resolved.pop(f.root, None)
        if res.summary.get("parsed"):
            self._good.pop(f.path, None)  # refreshed from the resolved findings when asked

    def _root_findings(self, root: str) -> dict[str, list[Finding]]:
        hit = self._resolved.get(root)
        if hit is not None:
            return hit
        members = [f for f in self.files.values() if f.root == root]
        for f in members:
            if f.path not in self._results:
                self._lint(f)
        summaries, ignored, findings = {}, {}, []
        for f in members:
            res = self._results[f.path]
            good = self._good.get(f.path)
            summaries[f.path] = good.summary if good is not None and not res.summary.get("parsed") else res.summary
            ignored[f.path] = res.ignored_rules
            findings.extend(res.findings)
        from linter.migset.history import HistoryError

        try:
            findings.extend(engine.run_file_sets(members, self.config, summaries, ignored))
        except HistoryError as exc:  # the manifest is unreadable: the per-file findings still count
            self.config_error = str(exc)
        findings = engine.resolve_with_set(findings, members, summaries, self.config)
        by_path: dict[str, list[Finding]] = defaultdict(list)
        for x in sorted(findings, key=Finding.sort_key):
            if x.fingerprint not in self._accepted:
                by_path[x.path].append(x)
        self._resolved[root] = by_path
        for f in members:  # remember the last version of open documents that parsed
            if f.abspath not in self.buffers:
                continue
            res = self._results[f.path]
            if res.summary.get("parsed") and (f.path not in self._good or self._good[f.path].summary is not res.summary):
                text = self.text(f)
                if text is not None:
                    self._good[f.path] = Good(text, by_path.get(f.path, []), res.summary)
        return by_path


def carry(old: str, new: str, findings: list[Finding]) -> list[Finding]:
    """``findings`` of text ``old`` placed in text ``new``, without their fixes: one edited
    region is found (the common prefix and suffix of the two texts); a finding wholly
    before it keeps its offsets, one wholly after it moves by the length change, one that
    touches it is dropped. Whole-file findings (line 1, column 1, empty) stay."""
    n = min(len(old), len(new))
    p = 0
    while p < n and old[p] == new[p]:
        p += 1
    s = 0
    while s < n - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    old_end, delta = len(old) - s, len(new) - len(old)
    oi, ni = TextIndex(old), TextIndex(new)
    out = []
    for f in findings:
        a, b = oi.offset(f.span.start), oi.offset(f.span.end)
        if b <= p:
            pass
        elif a >= old_end:
            a, b = a + delta, b + delta
        else:
            continue
        out.append(replace(f, span=ni.span(a, b), fix=None))
    return out
