"""What changed in the migration history: since the base branch (git) or since the manifest.

The history rules (``modified-deployed-migration``, ``removed-deployed-migration``) and
``out-of-order-migration`` ask a :class:`History`, which the engine loads once per run in
the parent process (:func:`load`) and hands to every ``file-set`` check as ``ctx.history``:

* with ``--base REF`` (the CLI sets ``Config.base``): :class:`GitHistory`. "Deployed" means
  present at the merge base of ``REF`` and ``HEAD``; the change is everything between the
  merge base and the **working tree**, so committed, staged, unstaged and untracked work
  all count. Git is run as a subprocess (``git`` on ``PATH``), paths are relative to the
  directory miglint reports against:

  - ``git merge-base REF HEAD``; ``git ls-tree -r`` of the merge base (path and blob id of
    every deployed file) and of ``REF`` itself (the files on the base branch *now*: a
    migration merged there after this branch started is what a new one collides with);
  - ``git diff --name-status -M --relative <merge-base>``: modified, deleted and renamed
    files, tracked work included;
  - a deleted file whose blob equals an untracked file's (``git ls-files --others``,
    ``git hash-object``) was renamed without ``git add``;
  - a modified file whose text at the merge base (``git cat-file``) and now differ only
    in whitespace was edited in whitespace only (what the manifest's second hash tells).

* without ``--base``, when the manifest (``Config.manifest``, default ``.miglint.sum``)
  exists: :class:`ManifestHistory`, from the digests the workers computed
  (:mod:`linter.migset.manifest`).

* otherwise ``None``: the history rules have nothing to compare with and stay silent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from linter.migset import manifest as manifestmod
from linter.migset.summary import base_dir_of
from linter.model import Direction, MigrationFile, Record, set_field

#: Directions whose files are meant to change and are never "deployed history".
MUTABLE = frozenset({Direction.SEED, Direction.REPEATABLE, Direction.BASELINE})


class HistoryError(Exception):
    """git or the manifest could not give the history (exit code 2)."""


class Change(Record):
    """A deployed migration file that the change modified, renamed or deleted.

    ``path``: where it was (base branch / manifest); ``new_path``: where it is now
    (renamed); ``whitespace_only``: for ``modified``, True when only whitespace changed
    (``None`` when unknown); ``direction``/``root``: of the file as classified.
    """

    status: str  # modified | deleted | renamed
    path: str
    root: str
    direction: Direction
    new_path: str | None
    whitespace_only: bool | None

    def __init__(self, status: str, path: str, root: str, direction: Direction, new_path: str | None = None,
                 whitespace_only: bool | None = None) -> None:
        set_field(self, "status", status)
        set_field(self, "path", path)
        set_field(self, "root", root)
        set_field(self, "direction", direction)
        set_field(self, "new_path", new_path)
        set_field(self, "whitespace_only", whitespace_only)


def _sqlish(p: str) -> bool:
    return p.endswith(".sql") or p.endswith(".sql.postgres")


class _Classifier:
    """Classifies paths that are not (or no longer) in the working tree the way discovery
    would, applying the configured roots, seed and exclude patterns."""

    def __init__(self, base_dir: str, config) -> None:
        from linter.discovery import _matcher  # discovery's: pathspec only once a path may match

        self.base_dir = base_dir
        self.roots = sorted((r.strip("/") for r in config.roots), key=len, reverse=True)
        self.seeds = _matcher(config.seeds or ())
        self.exclude = _matcher(config.exclude or ())

    def __call__(self, path: str) -> MigrationFile | None:
        from linter.discovery import classify

        if not _sqlish(path) or (self.exclude is not None and self.exclude(path)):
            return None
        if self.seeds is not None and self.seeds(path):
            return None
        root = next((r for r in self.roots if path.startswith(r + "/")), None)
        return classify(path, base_dir=self.base_dir, root=root)


def _under(path: str, root: str) -> bool:
    return root == "." or path.startswith(root + "/")


class History:
    """The interface the checks use (see the subclasses)."""

    kind = ""
    label = ""

    def changes(self, root: str, files: list[MigrationFile], summaries: dict) -> list[Change]:
        """Deployed files of ``root`` that were modified, renamed or deleted."""
        raise NotImplementedError

    def is_new(self, f: MigrationFile, summaries: dict) -> bool:
        """True when ``f`` was added by the change (not deployed, not a renamed deployed file)."""
        raise NotImplementedError

    def reference(self, root: str) -> list[MigrationFile]:
        """The migration files of ``root`` the new ones must sort after: those on the base
        branch now (git), or those in the manifest."""
        raise NotImplementedError

    def where(self, path: str) -> str:
        """Where a reference file is, for messages (``on origin/main``, ``in .miglint.sum``)."""
        return f"on {self.label}" if self.kind == "git" else f"in {self.label}"


def deployed_changes(ctx, options: dict, statuses: tuple[str, ...]) -> Iterator[tuple[Change, MigrationFile | None]]:
    """The changes a history rule reports: ``(change, file)`` for each of
    ``ctx.history``'s :meth:`History.changes` whose ``status`` is in ``statuses``, in that
    order; changes to down migrations only with the rule's ``include-down`` option.
    ``file``: the :class:`~linter.model.MigrationFile` now at the change's place
    (``new_path`` for a rename, else ``path``), ``None`` where there is none (deleted).
    Yields nothing without a history (``ctx.history`` is ``None``)."""
    history = ctx.history
    if history is None:
        return
    by_path = {f.path: f for f in ctx.files}
    for c in history.changes(ctx.root, ctx.files, ctx.summaries):
        if c.status not in statuses or (c.direction is Direction.DOWN and not options["include-down"]):
            continue
        yield c, by_path.get(c.new_path or c.path)


# --------------------------------------------------------------------------- git


def _git(args: list[str], cwd: str, stdin: bytes | None = None) -> bytes:
    from linter.baseref import git  # only runs with --base pay for it (and for subprocess)

    try:
        code, out, err = git(args, cwd, stdin)
    except OSError as exc:
        raise HistoryError(f"git is not available: {exc}") from None
    if code != 0:
        msg = err.decode("utf-8", "replace").strip().splitlines()
        raise HistoryError(f"git {' '.join(args[:3])} failed: {msg[-1] if msg else code}")
    return out


def _z(out: bytes) -> list[str]:
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


class GitHistory(History):
    kind = "git"

    def __init__(self, ref: str, base_dir: str, files: list[MigrationFile], config) -> None:
        self.label = ref
        self.base_dir = base_dir
        classify = _Classifier(base_dir, config)
        by_path = {f.path: f for f in files}
        roots = sorted({f.root for f in files})

        tip = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], base_dir).decode().strip()
        try:
            mb = _git(["merge-base", tip, "HEAD"], base_dir).decode().strip()
        except HistoryError:
            mb = tip  # no HEAD yet, or unrelated histories: compare with the ref itself
        self.merge_base = mb
        deployed: dict[str, str] = {}  # path -> blob id at the merge base
        for entry in _z(_git(["ls-tree", "-r", "-z", mb], base_dir)):
            meta, _, path = entry.partition("\t")
            if _sqlish(path):
                deployed[path] = meta.split()[2]
        self.deployed = deployed
        if tip == mb:
            tip_paths = set(deployed)
        else:
            tip_paths = {p for p in _z(_git(["ls-tree", "-r", "-z", "--name-only", tip], base_dir)) if _sqlish(p)}
        self.tip_paths = tip_paths

        # modified / deleted / renamed, tracked work included
        raw = _z(_git(["diff", "--no-ext-diff", "--no-color", "--name-status", "-z", "-M", "--relative", mb], base_dir))
        modified: list[str] = []
        deleted: list[str] = []
        renamed: list[tuple[str, str]] = []
        i = 0
        while i < len(raw):
            status = raw[i]
            if status[0] in "RC":
                old, new = raw[i + 1], raw[i + 2]
                i += 3
                if status[0] == "R" and old in deployed:
                    renamed.append((old, new))
                continue
            path = raw[i + 1]
            i += 2
            if path not in deployed:
                continue
            if status[0] in "MT":
                modified.append(path)
            elif status[0] == "D":
                deleted.append(path)

        # renames git cannot see because the new file is untracked
        if deleted:
            untracked = [p for p in _z(_git(["ls-files", "-z", "--others", "--exclude-standard"], base_dir)) if _sqlish(p)]
            if untracked:
                blobs = _git(["hash-object", "--stdin-paths"], base_dir, "\n".join(untracked).encode("utf-8", "surrogateescape") + b"\n")
                by_blob = dict(zip(blobs.decode().split(), untracked))
                still = []
                for p in deleted:
                    new = by_blob.pop(deployed[p], None)
                    if new is not None:
                        renamed.append((p, new))
                    else:
                        still.append(p)
                deleted = still

        mig_modified = [p for p in modified if p in by_path and by_path[p].direction not in MUTABLE]
        ws_only = self._whitespace_only(mig_modified, deployed, base_dir)
        changes: list[Change] = []
        for p in mig_modified:
            f = by_path[p]
            changes.append(Change("modified", p, f.root, f.direction, whitespace_only=p in ws_only))
        self.rename_targets: set[str] = set()
        for old, new in renamed:
            f = by_path.get(new)
            if f is not None and f.direction not in MUTABLE:
                self.rename_targets.add(new)
                changes.append(Change("renamed", old, f.root, f.direction, new_path=new))
            else:
                deleted.append(old)
        for p in deleted:
            if not any(_under(p, r) for r in roots):
                continue
            g = classify(p)
            if g is not None and g.direction not in MUTABLE:
                changes.append(Change("deleted", p, g.root, g.direction))
        self._changes: dict[str, list[Change]] = {}
        for c in changes:
            self._changes.setdefault(c.root, []).append(c)

        # files on the base branch now, per root, for ordering new migrations
        self._reference: dict[str, list[MigrationFile]] = {}
        for p in sorted(tip_paths):
            if not any(_under(p, r) for r in roots):
                continue
            g = by_path.get(p)
            if g is None:
                g = classify(p)
            if g is not None and g.direction is Direction.UP and g.version is not None:
                self._reference.setdefault(g.root, []).append(g)

    @staticmethod
    def _whitespace_only(paths: list[str], deployed: dict[str, str], base_dir: str) -> set[str]:
        """The paths whose text differs from the merge base's only in whitespace (the same
        test as the manifest's second hash; ``git diff -w`` misses re-wrapped lines)."""
        if not paths:
            return set()
        blobs = _git(["cat-file", "--batch"], base_dir, "".join(deployed[p] + "\n" for p in paths).encode())
        out = set()
        pos = 0
        for p in paths:
            header_end = blobs.index(b"\n", pos)
            size = int(blobs[pos:header_end].split()[2])
            old = blobs[header_end + 1: header_end + 1 + size]
            pos = header_end + 1 + size + 1
            try:
                new = (Path(base_dir) / p).read_bytes()
            except OSError:
                continue
            old_t = old.decode("utf-8", "replace").removeprefix("\ufeff")
            new_t = new.decode("utf-8", "replace").removeprefix("\ufeff")
            if manifestmod.digest(old_t)[1] == manifestmod.digest(new_t)[1]:
                out.add(p)
        return out

    def changes(self, root, files, summaries):
        return list(self._changes.get(root, ()))

    def is_new(self, f, summaries):
        return f.path not in self.deployed and f.path not in self.tip_paths and f.path not in self.rename_targets

    def reference(self, root):
        return list(self._reference.get(root, ()))


# --------------------------------------------------------------------------- manifest


class ManifestHistory(History):
    kind = "manifest"

    def __init__(self, path: Path, base_dir: str, files: list[MigrationFile], config) -> None:
        try:
            self.entries = manifestmod.read(path, base_dir)
        except manifestmod.ManifestError as exc:
            raise HistoryError(str(exc)) from None
        self.label = os.path.relpath(path, base_dir).replace(os.sep, "/")
        classify = _Classifier(base_dir, config)
        by_path = {f.path: f for f in files}
        self._files: dict[str, MigrationFile] = {}
        for p in self.entries:
            g = by_path.get(p) or classify(p)
            if g is not None:
                self._files[p] = g
        self._missing_shas = {e.sha for p, e in self.entries.items() if p not in by_path}

    def _missing(self, root: str, files: list[MigrationFile]) -> list[str]:
        present = {f.path for f in files}
        return [p for p, g in self._files.items() if g.root == root and p not in present]

    def _renames(self, root: str, files: list[MigrationFile], summaries: dict) -> dict[str, str]:
        """old path -> new path, for missing entries whose exact text is now at a path the
        manifest does not list."""
        missing = {self.entries[p].sha: p for p in self._missing(root, files)}
        out = {}
        if not missing:
            return out
        for f in files:
            if f.path in self.entries:
                continue
            dg = summaries.get(f.path, {}).get("digest")
            if dg and dg[0] in missing:
                out[missing.pop(dg[0])] = f.path
        return out

    def changes(self, root, files, summaries):
        out = []
        for f in files:
            e = self.entries.get(f.path)
            if e is None or f.direction in MUTABLE:
                continue
            dg = summaries.get(f.path, {}).get("digest")
            if dg and dg[0] != e.sha:
                out.append(Change("modified", f.path, root, f.direction, whitespace_only=dg[1] == e.bare))
        renames = self._renames(root, files, summaries)
        by_path = {f.path: f for f in files}
        for old in self._missing(root, files):
            g = self._files[old]
            if g.direction in MUTABLE:
                continue
            new = renames.get(old)
            if new is not None:
                out.append(Change("renamed", old, root, by_path[new].direction, new_path=new))
            else:
                out.append(Change("deleted", old, root, g.direction))
        return out

    def is_new(self, f, summaries):
        if f.path in self.entries:
            return False
        dg = summaries.get(f.path, {}).get("digest")
        return not (dg and dg[0] in self._missing_shas)

    def reference(self, root):
        return [g for g in self._files.values() if g.root == root and g.direction is Direction.UP and g.version is not None]


# --------------------------------------------------------------------------- loading


def load(config, files: Iterable[MigrationFile]) -> History | None:
    """The run's :class:`History`: git when ``config.base`` is set, else the manifest when
    it exists, else ``None``. Raises :class:`HistoryError`."""
    files = list(files)
    if not files:
        return None
    base_dir = base_dir_of(files[0])
    if config.base:
        return GitHistory(config.base, base_dir, files, config)
    path = Path(base_dir) / config.manifest
    if path.is_file():
        return ManifestHistory(path, base_dir, files, config)
    return None
