"""The checksum manifest ``miglint hash`` writes and ``miglint lint`` verifies.

For teams without a base branch to compare against (``--base``), the manifest records what
each deployed migration looked like, so that an edited, removed or renamed one is caught.

Format (UTF-8 text, ``.miglint.sum`` by default; version 1)::

    # miglint manifest v1
    # <sha256 of the text> <sha256 of the text without whitespace, first 16 hex> <path>
    9f86d081884c7d65...  1b4f0e9851971998  db/migrations/V1__create_users.sql
    60303ae22b998861...  2c26b46b68ffc68f  db/migrations/V2__add_email.sql

* One line per migration file: two hashes and the path, separated by two spaces. Paths
  are POSIX, relative to the manifest's own directory; lines are sorted by path. Lines
  starting with ``#`` and blank lines are ignored; readers must accept lines in any order.
* The first hash is SHA-256 of the file's text as miglint reads it (UTF-8, without a
  byte-order mark). The second is SHA-256 of that text with every whitespace character
  removed, cut to 16 hex digits: when only it still matches, the edit was whitespace-only,
  which the finding says (Flyway and most tools checksum whitespace too).
* Up and down migrations are listed; repeatable (Flyway ``R__``), baseline and seed files
  are not: they are meant to change.
* There is **no total over all files**, unlike a chained sum (Atlas's ``atlas.sum`` starts
  with one): two branches that each add a migration add different lines, and nothing else
  changes. Git still sees two insertions at the same place as a conflict when the new
  lines sort next to each other, so mark the file ``merge=union`` in ``.gitattributes``
  (``.miglint.sum merge=union``): git then keeps both sides' lines, and since order does not
  matter the merged file is right as it is. ``miglint hash`` prints that hint when the
  attribute is missing.
"""

from __future__ import annotations

import os
from pathlib import Path
from linter import lazyre
from linter.hashes import sha256
from linter.model import Record, set_field

DEFAULT_NAME = ".miglint.sum"
HEADER = (
    "# miglint manifest v1\n"
    "# <sha256 of the text> <sha256 of the text without whitespace, first 16 hex> <path>\n"
)
_WS = lazyre.compile(r"\s+")
_LINE = lazyre.compile(r"^([0-9a-f]{64})  ([0-9a-f]{16})  (.+)$")


def digest(text: str) -> tuple[str, str]:
    """``(sha256 of text, first 16 hex of sha256 of text without whitespace)``."""
    data = text.encode("utf-8", "surrogatepass")
    full = sha256(data).hexdigest()
    bare = sha256(_WS.sub("", text).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return full, bare


class ManifestError(ValueError):
    """A manifest that cannot be read; ``str()`` names the file and line."""


class Entry(Record):
    """One manifest line: ``path`` relative to the directory miglint reports against."""

    path: str
    sha: str
    bare: str

    def __init__(self, path: str, sha: str, bare: str) -> None:
        set_field(self, "path", path)
        set_field(self, "sha", sha)
        set_field(self, "bare", bare)


def read(path: str | Path, base_dir: str | Path) -> dict[str, Entry]:
    """The entries of manifest ``path``, keyed by path relative to ``base_dir`` (POSIX).
    Raises :class:`ManifestError` for an unreadable file or a malformed line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read the manifest: {exc}") from None
    here = path.resolve().parent
    base = Path(base_dir).resolve()
    out: dict[str, Entry] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise ManifestError(f"{path}:{n}: not '<sha256>  <16 hex>  <path>' (regenerate it with `miglint hash`)")
        rel = os.path.relpath(here / m.group(3), base).replace(os.sep, "/")
        out[rel] = Entry(rel, m.group(1), m.group(2))
    return out


def render(entries: list[tuple[str, str, str]]) -> str:
    """Manifest text for ``(path relative to the manifest, sha, bare)`` triples."""
    lines = [f"{sha}  {bare}  {p}\n" for p, sha, bare in sorted(entries)]
    return HEADER + "".join(lines)


def has_union_merge(manifest: Path) -> bool:
    """True when a ``.gitattributes`` at or above the manifest marks it ``merge=union``."""
    name = manifest.name
    for folder in (manifest.resolve().parent, *manifest.resolve().parents):
        ga = folder / ".gitattributes"
        if ga.is_file():
            try:
                for line in ga.read_text(encoding="utf-8").splitlines():
                    parts = line.split()
                    if parts and "merge=union" in parts[1:] and parts[0].lstrip("/").rsplit("/", 1)[-1] in (name, "*.sum"):
                        return True
            except (OSError, UnicodeDecodeError):
                pass
        if (folder / ".git").exists():
            break
    return False
