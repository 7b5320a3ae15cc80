"""The ``--base`` commit of the history rules (:mod:`linter.migset.history`): checked once,
before linting, by ``miglint lint`` and ``miglint github``; and :func:`git`, through which
:mod:`linter.changed` and :mod:`linter.migset.history` ask git about it."""

from __future__ import annotations

import os

from linter.exitcodes import UsageError

#: Answers of :func:`git` kept for the rest of the run (:func:`remember`), else ``None``.
_answers: dict | None = None


def remember(on: bool = True) -> None:
    """From now on, keep :func:`git`'s answers (``on``, forgetting those kept so far), or
    stop keeping them. For one command run (``miglint lint``, ``miglint github``: the
    command line turns it on, and off when the command ends), where ``lint --changed
    --base REF`` asked git the same questions twice (``check_base``, then
    :func:`linter.changed.changed_paths`, then the history rules: 8 git processes, 5
    now). Never in a long-running process (the language server), whose repository
    changes under it; turn it on again after writing files (``lint --fix``)."""
    global _answers
    _answers = {} if on else None


def git(args: list[str], cwd: str | None = None, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    """``git -c core.quotepath=off ARGS`` in ``cwd`` (default: the working directory), fed
    ``stdin``: ``(exit code, stdout, stderr)``. Raises ``OSError`` when git cannot be run.
    A question asked before in this run is answered from memory when :func:`remember` is
    on."""
    key = None
    if _answers is not None:
        key = (tuple(args), os.path.abspath(cwd or "."), stdin)
        got = _answers.get(key)
        if got is not None:
            return got
    import subprocess  # only runs that ask git pay for it

    r = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd, input=stdin, capture_output=True)
    got = (r.returncode, r.stdout, r.stderr)
    if key is not None:
        _answers[key] = got
    return got


def resolve(ref: str, cwd: str | None = None) -> str | None:
    """The commit id ``ref`` names (``git rev-parse --verify --quiet REF^{commit}``), or
    ``None`` when it names none. Raises ``OSError`` when git cannot be run."""
    code, out, _ = git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    return out.decode().strip() if code == 0 else None


def check_base(ref: str) -> None:
    """Raise :class:`UsageError` unless ``ref`` names a commit of the git repository around
    the working directory (``git rev-parse --verify --quiet REF^{commit}``)."""
    try:
        sha = resolve(ref)
    except OSError as exc:
        raise UsageError(f"--base {ref}: git is not available ({exc})") from None
    if sha is None:
        raise UsageError(f"--base {ref}: not a commit in this git repository")
