"""The pull-request path: which files a run lints and reports (``lint --changed``,
``miglint github``).

A change touches a few migration files of a root that holds hundreds. Statement and file
rules only ever look at one file, so they run on the changed files and the other files of
their migration units (:func:`with_partners`); every other file of the touched roots is
context, summarised for the ``file-set`` rules without running a rule
(:func:`linter.engine.context_file`), and only the changed files' findings are reported
(:func:`linter.engine.lint`'s ``only``). Those findings are the ones a full run gives on
these files (``tests/test_changed.py`` compares them on corpus projects).

:func:`changed_paths` is what ``lint --changed`` takes as the change: the files that differ
between the merge base of the base ref and ``HEAD`` and the working tree (committed,
staged, unstaged and untracked work: what the history rules of ``--base`` call the
change, :class:`linter.migset.history.GitHistory`).
"""

from __future__ import annotations

from typing import Iterable

from linter import baseref
from linter.exitcodes import UsageError
from linter.model import MigrationFile

#: Refs ``lint --changed`` compares with when no ``--base`` is given, first found wins.
DEFAULT_BASES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


def _git(args: list[str], cwd: str | None = None) -> bytes:
    try:
        code, out, err = baseref.git(args, cwd)
    except OSError as exc:
        raise UsageError(f"--changed: git is not available ({exc})") from None
    if code != 0:
        msg = err.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"--changed: git {' '.join(args[:2])} failed: {msg[-1] if msg else code}")
    return out


def default_base(cwd: str | None = None) -> str:
    """The first of :data:`DEFAULT_BASES` that names a commit; raises :class:`UsageError`
    asking for ``--base`` when none does."""
    for ref in DEFAULT_BASES:
        try:
            if baseref.resolve(ref, cwd) is not None:
                return ref
        except OSError as exc:
            raise UsageError(f"--changed: git is not available ({exc})") from None
    raise UsageError(f"--changed: none of {', '.join(DEFAULT_BASES)} exists here; name the base branch with --base REF")


def changed_paths(ref: str, cwd: str | None = None) -> set[str]:
    """Paths relative to ``cwd`` that differ between the merge base of ``ref`` and
    ``HEAD`` (``ref`` itself when they share none) and the working tree: modified, added,
    deleted, both sides of a rename, and untracked files (``git ls-files --others
    --exclude-standard``). Raises :class:`UsageError` when git fails. The questions are
    those :class:`linter.migset.history.GitHistory` asks (the commit ``ref`` names, then
    the merge base with it), so that a run remembering git's answers asks them once."""
    try:
        tip = baseref.resolve(ref, cwd) or ref
    except OSError as exc:
        raise UsageError(f"--changed: git is not available ({exc})") from None
    try:
        mb = _git(["merge-base", tip, "HEAD"], cwd).decode().strip()
    except UsageError:
        mb = tip
    out: set[str] = set()
    raw = [p.decode("utf-8", "surrogateescape") for p in _git(
        ["diff", "--no-ext-diff", "--no-color", "--name-status", "-z", "-M", "--relative", mb], cwd).split(b"\0") if p]
    i = 0
    while i < len(raw):
        n = 3 if raw[i][:1] in ("R", "C") else 2
        out.update(raw[i + 1 : i + n])
        i += n
    out.update(p.decode("utf-8", "surrogateescape") for p in _git(["ls-files", "-z", "--others", "--exclude-standard"], cwd).split(b"\0") if p)
    return out


def _unit_key(f: MigrationFile) -> tuple | None:
    """What ties the files of one migration unit (:class:`linter.migset.pairs.Unit`):
    the migration id (an up and its down), or for ory popx steps (20-digit golang-migrate
    versions) the 14-digit version they share."""
    v = f.version or ""
    if len(v) == 20 and v.isdigit():
        return (f.root, "popx", v[:14])
    if f.migration_id:
        return (f.root, f.migration_id)
    return None


def with_partners(changed: Iterable[str], files: list[MigrationFile]) -> set[str]:
    """``changed`` plus the paths of ``files`` in the same migration unit as a changed
    file (its down or up partner, the other steps of a popx group)."""
    out = set(changed)
    keys = {_unit_key(f) for f in files if f.path in out} - {None}
    if keys:
        out.update(f.path for f in files if _unit_key(f) in keys)
    return out


def touched(changed: set[str], files: list[MigrationFile]) -> list[MigrationFile]:
    """The files of ``files`` in the roots that hold a changed path (a removed file's
    root: the nearest root above it), in their order."""
    roots = {f.root for f in files if f.path in changed}
    all_roots = {f.root for f in files}
    present = {f.path for f in files}
    for p in changed - present:
        roots.update(r for r in all_roots if r == "." or p.startswith(r.rstrip("/") + "/"))
    return [f for f in files if f.root in roots]
