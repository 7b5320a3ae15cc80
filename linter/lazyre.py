"""Module-level regular expressions compiled on first use.

Compiling a pattern runs :mod:`re`'s parser and compiler in Python: about 0.75 M
instructions a pattern, and the modules a one-file lint imports define some sixty
patterns at module level, of which it uses four (45 M instructions of a ~280 M run).
``_NAME = lazyre.compile(r"…")`` defers the work to the first use, after which the
module's global ``_NAME`` is the compiled :class:`re.Pattern` itself (later uses cost
nothing extra). The secrets rules have their own deferred patterns
(:mod:`linter.sensitive._lazy`), which also skip texts that cannot match.
"""

from __future__ import annotations

import re
import sys
from typing import Any


class _Later:
    """Stands for ``re.compile(pattern, flags)`` until an attribute (``search``,
    ``match``, ``sub``, ``pattern`` …) is first read: then it compiles, rebinds every
    global name of its module that holds it to the compiled pattern, keeps the pattern's
    attributes (so a copy held elsewhere, in a dict or a tuple, forwards at the cost of an
    attribute lookup) and answers. Not a :class:`re.Pattern`: do not pass it to
    ``re.sub`` and friends; call its methods."""

    def __init__(self, pattern: str | bytes, flags: int, namespace: dict) -> None:
        self.__dict__["_later"] = (pattern, flags, namespace)

    def __getattr__(self, name: str) -> Any:
        pattern, flags, namespace = self.__dict__["_later"]
        rx = re.compile(pattern, flags)
        for key, value in list(namespace.items()):
            if value is self:
                namespace[key] = rx
        for attr in ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
                     "pattern", "flags", "groups", "groupindex"):
            self.__dict__[attr] = getattr(rx, attr)
        return getattr(rx, name)

    def __repr__(self) -> str:
        pattern, flags, _ = self.__dict__["_later"]
        return f"lazyre.compile({pattern!r}, {flags!r})"


def compile(pattern: str | bytes, flags: int = 0) -> Any:  # noqa: A001 - named after re.compile, which it stands for
    """``re.compile(pattern, flags)`` on first use (module docstring). Call it at module
    level only: the compiled pattern replaces the caller's module globals that hold it."""
    return _Later(pattern, flags, sys._getframe(1).f_globals)
