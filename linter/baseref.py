"""The ``--base`` commit of the history rules (:mod:`linter.migset.history`): checked once,
before linting, by ``miglint lint`` and ``miglint github``."""

from __future__ import annotations

from linter.exitcodes import UsageError


def check_base(ref: str) -> None:
    """Raise :class:`UsageError` unless ``ref`` names a commit of the git repository around
    the working directory (``git rev-parse --verify --quiet REF^{commit}``)."""
    import subprocess

    try:
        r = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], capture_output=True, text=True)
    except OSError as exc:
        raise UsageError(f"--base {ref}: git is not available ({exc})") from None
    if r.returncode != 0:
        raise UsageError(f"--base {ref}: not a commit in this git repository")
