"""Changed files of a pull request or push, and the lines a review comment may sit on.

GitHub accepts a review comment only on a line inside a hunk of the PR's diff: on the
``RIGHT`` side an added (``+``) or unchanged context (`` ``) line of the new file, on the
``LEFT`` side a deleted (``-``) or context line of the old file; a multi-line comment's first
and last line must be in the same hunk (NOTES.md section 2, from the official descriptions
and observed 422 texts). One bad line rejects the whole review, so every inline comment is
checked against :class:`ChangedFile` first.

A ``patch`` is the unified-diff text GitHub returns per file in ``GET /pulls/{n}/files``
(hunks only, no ``diff --git`` header; absent for binary or very large diffs), or the same
part of ``git diff`` output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

#: GitHub's file statuses (``pulls/list-files``, ``repos/compare-commits``)
STATUSES = ("added", "removed", "modified", "renamed", "copied", "changed", "unchanged")


@dataclass
class Hunks:
    """Commentable lines of one file: line number -> index of the hunk it is in."""

    right: dict[int, int] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)
    added: set[int] = field(default_factory=set)


def parse_patch(patch: str | None) -> Hunks:
    """The commentable lines of a unified-diff ``patch`` (``None`` or ``""``: none)."""
    out = Hunks()
    if not patch:
        return out
    hunk = -1
    old = new = 0
    old_left = new_left = 0  # lines of the current hunk still to come, per side
    for raw in patch.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        m = _HUNK.match(line)
        if m:
            hunk += 1
            old, new = int(m.group(1)), int(m.group(3))
            old_left = int(m.group(2)) if m.group(2) is not None else 1
            new_left = int(m.group(4)) if m.group(4) is not None else 1
            continue
        if old_left <= 0 and new_left <= 0:
            continue  # between hunks: headers of a following file section, or the end
        tag = line[:1]
        if tag == "+":
            out.right[new] = hunk
            out.added.add(new)
            new += 1
            new_left -= 1
        elif tag == "-":
            out.left[old] = hunk
            old += 1
            old_left -= 1
        elif tag == " " or line == "":
            # a context line; some tools strip the lone space of an empty one
            out.right[new] = hunk
            out.left[old] = hunk
            old += 1
            new += 1
            old_left -= 1
            new_left -= 1
        # "\ No newline at end of file" and anything else: not a line of either file
    return out


@dataclass
class ChangedFile:
    """One file of the change: repo-relative POSIX ``path`` (the new name), ``status`` (one of
    :data:`STATUSES`), ``previous_path`` for renames and copies, and the ``patch``
    (``None`` when GitHub or git gave none: binary, too large, or a pure rename)."""

    path: str
    status: str
    previous_path: str | None = None
    patch: str | None = None
    _hunks: Hunks | None = field(default=None, repr=False, compare=False)

    @property
    def hunks(self) -> Hunks:
        if self._hunks is None:
            self._hunks = parse_patch(self.patch)
        return self._hunks

    @property
    def removed(self) -> bool:
        return self.status == "removed"

    def commentable(self, first: int, last: int, side: str = "RIGHT") -> bool:
        """True when lines ``first``..``last`` can carry one comment on ``side``: every line
        is in the diff, all in the same hunk."""
        lines = self.hunks.right if side == "RIGHT" else self.hunks.left
        hunk = lines.get(first)
        if hunk is None:
            return False
        return all(lines.get(n) == hunk for n in range(first, last + 1))

    def as_dict(self) -> dict:
        return {"path": self.path, "status": self.status, "previous_path": self.previous_path, "patch": self.patch}


@dataclass
class Changes:
    """What a pull request or push changed, and where that was learnt (``source``:
    ``api``, ``git``, ``compare``, ``payload`` or ``none``); ``complete`` is False when the list is
    known to be cut short (GitHub lists at most 3,000 files of a PR, 300 of a compare)."""

    files: list[ChangedFile]
    source: str
    complete: bool = True
    note: str | None = None

    def by_path(self) -> dict[str, ChangedFile]:
        return {f.path: f for f in self.files}

    def paths(self) -> set[str]:
        """Every path the change touches: new names, removed files and old names of renames."""
        out = {f.path for f in self.files}
        out.update(f.previous_path for f in self.files if f.previous_path)
        return out


def from_api_item(item: dict) -> ChangedFile | None:
    """A :class:`ChangedFile` from one ``pulls/list-files`` or compare ``files[]`` entry."""
    name = item.get("filename")
    if not isinstance(name, str) or not name:
        return None
    status = item.get("status") if item.get("status") in STATUSES else "modified"
    prev = item.get("previous_filename") if isinstance(item.get("previous_filename"), str) else None
    patch = item.get("patch") if isinstance(item.get("patch"), str) else None
    return ChangedFile(name, status, prev, patch)
