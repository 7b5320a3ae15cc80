"""Regular expressions compiled on first use, and skipped on texts they cannot match.

The secrets rules hold ~40 regular expressions; compiling them all when the rules are
registered would cost ~25 ms on every run, the one-file run included, though most files
need only a few of them. :class:`LazyRegex` has the methods of a compiled pattern that
the rules use and compiles on the first call.

Most of those expressions are run over the whole text of every file, and most files hold
no match. Two things keep that cheap: ``needs``, characters that every match contains
(a file without one of them cannot match, and looking for one character is a ``memchr``,
about twenty times cheaper than a pass of the expression), and :meth:`LazyRegex.finditer`
searching before it builds an iterator.
"""

from __future__ import annotations

import re
import sys


class LazyRegex:
    """``re.compile(pattern, flags)``, deferred until a method is first called.

    ``needs``: characters that every match of the pattern contains (each of them; check
    this against the pattern when writing it). :meth:`search` and :meth:`finditer` find
    nothing, without running the expression, in a string that lacks one of them.
    """

    __slots__ = ("_args", "_rx", "needs")

    def __init__(self, pattern: str, flags: int = 0, needs: str = "") -> None:
        self._args = (pattern, flags)
        self._rx: re.Pattern | None = None
        self.needs = needs

    @property
    def compiled(self) -> re.Pattern:
        """The compiled pattern (compiled now if it was not yet)."""
        rx = self._rx
        if rx is None:
            rx = self._rx = re.compile(*self._args)
        return rx

    def search(self, string, pos=0, endpos=sys.maxsize):
        for ch in self.needs:
            if ch not in string:
                return None
        return (self._rx or self.compiled).search(string, pos, endpos)

    def match(self, *args):
        return self.compiled.match(*args)

    def fullmatch(self, *args):
        return self.compiled.fullmatch(*args)

    def finditer(self, string, pos=0, endpos=sys.maxsize):
        """``re.Pattern.finditer``, from the first match a search finds: a failed search
        costs a third of a ``finditer`` that finds nothing (no iterator, no scanner)."""
        for ch in self.needs:  # (inlined search: this runs ~10 times per file)
            if ch not in string:
                return iter(())
        rx = self._rx or self.compiled
        first = rx.search(string, pos, endpos)
        if first is None:
            return iter(())
        return rx.finditer(string, first.start(), endpos)

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
