"""Regular expressions compiled on first use.

The secrets rules hold ~40 regular expressions; compiling them all when the rules are
registered would cost ~25 ms on every run, the one-file run included, though most files
need only a few of them. :class:`LazyRegex` has the methods of a compiled pattern that
the rules use and compiles on the first call.
"""

from __future__ import annotations

import re


class LazyRegex:
    """``re.compile(pattern, flags)``, deferred until a method is first called."""

    __slots__ = ("_args", "_rx")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._rx: re.Pattern | None = None

    @property
    def compiled(self) -> re.Pattern:
        """The compiled pattern (compiled now if it was not yet)."""
        rx = self._rx
        if rx is None:
            rx = self._rx = re.compile(*self._args)
        return rx

    def search(self, *args):
        return self.compiled.search(*args)

    def match(self, *args):
        return self.compiled.match(*args)

    def fullmatch(self, *args):
        return self.compiled.fullmatch(*args)

    def finditer(self, *args):
        return self.compiled.finditer(*args)

    def findall(self, *args):
        return self.compiled.findall(*args)

    def sub(self, *args):
        return self.compiled.sub(*args)

    def split(self, *args):
        return self.compiled.split(*args)

    @property
    def pattern(self) -> str:
        return self._args[0]


lazy = LazyRegex
