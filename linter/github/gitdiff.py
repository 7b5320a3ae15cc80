"""Changed files from the local git checkout, when it has the history.

``git diff base...head`` (three dots: from the merge base, which is what a pull request's
"Files changed" shows) with rename detection and three lines of context, as GitHub's own
patches have. Every call adds ``-c safe.directory=*`` (the workspace of a container action is
owned by another user, and git refuses such repositories otherwise; a command-line setting
is honoured for this key) and ``-c core.quotepath=off``. Nothing here writes to the repository.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from linter.github.diff import ChangedFile, Changes

_GIT = ["git", "-c", "safe.directory=*", "-c", "core.quotepath=off"]
_STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied", "T": "changed"}
ZERO_SHA = "0" * 40


def git(args: list[str], cwd: str | Path, *, timeout: float = 120) -> subprocess.CompletedProcess | None:
    """Run git; ``None`` when git is missing or timed out."""
    try:
        return subprocess.run(_GIT + args, cwd=str(cwd), capture_output=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None


def repo_root(cwd: str | Path) -> Path | None:
    """The top of the work tree containing ``cwd``, or ``None`` outside a repository."""
    r = git(["rev-parse", "--show-toplevel"], cwd)
    if r is None or r.returncode != 0:
        return None
    return Path(r.stdout.decode("utf-8", "replace").strip())


def has_commit(sha: str | None, cwd: str | Path) -> bool:
    """True when ``sha`` names a commit present in the local repository."""
    if not sha or sha == ZERO_SHA:
        return False
    r = git(["cat-file", "-e", f"{sha}^{{commit}}"], cwd)
    return r is not None and r.returncode == 0


def head_sha(cwd: str | Path) -> str | None:
    r = git(["rev-parse", "HEAD"], cwd)
    return r.stdout.decode().strip() if r is not None and r.returncode == 0 else None


def same_content(sha: str, path: str, cwd: str | Path) -> bool | None:
    """Whether the working-tree file ``path`` is identical to its version at ``sha``
    (``None`` when git cannot tell)."""
    r = git(["diff", "--quiet", sha, "--", path], cwd)
    if r is None or r.returncode not in (0, 1):
        return None
    return r.returncode == 0


def diff_changes(base: str, head: str, cwd: str | Path) -> Changes | None:
    """The files changed between ``base`` and ``head`` (``base...head``), with patches;
    ``None`` when either commit is missing or git fails."""
    if not (has_commit(base, cwd) and has_commit(head, cwd)):
        return None
    rng = f"{base}...{head}"
    names = git(["diff", "--name-status", "-z", "-M", "--no-ext-diff", rng], cwd)
    if names is None or names.returncode != 0:
        return None
    entries = _name_status(names.stdout.decode("utf-8", "surrogateescape"))
    full = git(["diff", "-M", "-U3", "--no-color", "--no-ext-diff", "--no-textconv", rng], cwd)
    patches: list[str | None] = []
    if full is not None and full.returncode == 0:
        patches = _patches(full.stdout.decode("utf-8", "replace"))
    if len(patches) != len(entries):  # cannot pair them up: fall back to one diff per file
        patches = [_one_patch(rng, f, cwd) for f in entries]
    for f, patch in zip(entries, patches):
        f.patch = patch
    return Changes(entries, "git")


def _name_status(out: str) -> list[ChangedFile]:
    parts = out.split("\0")
    files: list[ChangedFile] = []
    i = 0
    while i < len(parts) and parts[i]:
        code = parts[i]
        kind = _STATUS.get(code[:1], "modified")
        if code[:1] in ("R", "C"):
            old, new = parts[i + 1], parts[i + 2]
            files.append(ChangedFile(new, kind, old))
            i += 3
        else:
            files.append(ChangedFile(parts[i + 1], kind))
            i += 2
    return files


def _patches(out: str) -> list[str | None]:
    """Split ``git diff`` output into the hunk part of each file section."""
    sections: list[list[str]] = []
    for line in out.split("\n"):
        if line.startswith("diff --git "):
            sections.append([])
        elif sections:
            sections[-1].append(line)
    result: list[str | None] = []
    for lines in sections:
        start = next((i for i, l in enumerate(lines) if l.startswith("@@ ")), None)
        result.append("\n".join(lines[start:]).rstrip("\n") if start is not None else None)
    return result


def _one_patch(rng: str, f: ChangedFile, cwd: str | Path) -> str | None:
    paths = [f.previous_path, f.path] if f.previous_path else [f.path]
    r = git(["diff", "-M", "-U3", "--no-color", "--no-ext-diff", "--no-textconv", rng, "--", *paths], cwd)
    if r is None or r.returncode != 0:
        return None
    patches = _patches(r.stdout.decode("utf-8", "replace"))
    return patches[0] if patches else None


def renames(since: str, head: str, cwd: str | Path) -> dict[str, str]:
    """``{old path: new path}`` of the files git sees renamed from commit ``since`` to
    ``head`` (``git diff -M --name-status``, similarity 50% or more); empty when either
    commit is missing or git fails. The bot uses it to follow a thread posted on an earlier
    head whose file was moved since (``git mv`` in a later push)."""
    if since == head or not (has_commit(since, cwd) and has_commit(head, cwd)):
        return {}
    r = git(["diff", "--name-status", "-z", "-M", "--no-ext-diff", since, head], cwd)
    if r is None or r.returncode != 0:
        return {}
    return {f.previous_path: f.path for f in _name_status(r.stdout.decode("utf-8", "surrogateescape")) if f.status == "renamed" and f.previous_path}
