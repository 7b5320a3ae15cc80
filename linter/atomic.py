"""Writing a file whole or not at all: the result cache (:mod:`linter.cache`) and ``lint
--fix`` (:mod:`linter.autofix`) write through :func:`replace_file`, so a reader, or a run
that stops half-way, never sees half a file."""

from __future__ import annotations

import os


def replace_file(path: str, data: bytes, *, prefix: str, suffix: str = "", mode: int | None = None) -> None:
    """Write ``data`` (bytes) to ``path``: into a temporary file named ``prefix…suffix`` in the
    same directory, its permission bits set to ``mode`` when given, then ``os.replace`` over
    ``path`` (atomic on POSIX and Windows within one file system: the last writer wins).
    Raises ``OSError``; the temporary file is removed when anything fails."""
    import tempfile  # only runs that write pay for it

    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
