"""miglint positions <-> LSP positions.

miglint's :class:`~linter.model.Position` is 1-based, with columns counted in **code
points** of the decoded text (:mod:`linter.model`), and lines split at ``\\n`` only (a
``\\r`` before it is the last character of its line). LSP positions are 0-based and count
``character`` in the **code units** of the encoding the client and server agreed on at
``initialize`` (LSP 3.17, "Position": UTF-16 unless ``general.positionEncodings`` offered
another and the server chose it); lines end at ``\\n``, ``\\r\\n`` or ``\\r``. A character
outside the Basic Multilingual Plane (an emoji) is one code point, two UTF-16 code units and
four UTF-8 bytes.

:class:`Lines` converts both ways for one text. A lone ``\\r`` (no ``\\n`` after it) is a line
break for LSP but not for miglint; such files are treated as miglint sees them.
"""

from __future__ import annotations

from itertools import accumulate

from linter.model import Position

#: LSP ``PositionEncodingKind`` values.
UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def units(text: str, encoding: str = UTF16) -> int:
    """The length of ``text`` in code units of ``encoding`` (``"utf-16"``, ``"utf-8"`` or
    ``"utf-32"``, LSP's ``PositionEncodingKind``). Lone surrogates count as one unit each
    in UTF-16 (they are what an editor holds for a broken pair)."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for c in text if c > "\uffff")


class Lines:
    """The lines of one text, for converting positions.

    ``text`` is the text miglint linted (without a byte-order mark); ``bom``: the buffer
    the client holds starts with U+FEFF, which miglint dropped (it shifts line 0 by one
    unit); ``encoding``: the negotiated position encoding.
    """

    __slots__ = ("lines", "starts", "encoding", "bom", "_ascii")

    def __init__(self, text: str, encoding: str = UTF16, bom: bool = False) -> None:
        self.lines = text.split("\n")
        self.starts = list(accumulate((len(t) + 1 for t in self.lines), initial=0))  # offset of each line
        self.encoding = encoding
        self.bom = bom
        self._ascii = text.isascii()

    def _units(self, text: str) -> int:
        return len(text) if self._ascii else units(text, self.encoding)

    def to_lsp(self, pos: Position) -> tuple[int, int]:
        """``(line, character)`` (0-based, code units) of a miglint position. A column past
        the end of its line is clamped to the line's end (before a ``\\r``), a line past the
        text to the end of the text."""
        line = pos.line - 1
        if line < 0:
            return 0, 1 if self.bom else 0
        if line >= len(self.lines):
            line = len(self.lines) - 1
            col = len(self.lines[line])
        else:
            col = min(max(pos.column - 1, 0), len(self.lines[line].rstrip("\r")))
        ch = self._units(self.lines[line][:col])
        return line, ch + 1 if self.bom and line == 0 else ch

    def to_offset(self, line: int, character: int) -> int:
        """The 0-based character offset into the text of an LSP position (``character`` in
        the middle of a surrogate pair moves to the character's end; past the line's end,
        to the line's end; a line past the text, to the text's end)."""
        if line < 0:
            return 0
        if line >= len(self.lines):
            return self.starts[-1] - 1
        if self.bom and line == 0:
            character = max(0, character - 1)
        text = self.lines[line]
        if self._ascii or self.encoding == UTF32:
            return self.starts[line] + min(character, len(text))
        n = 0
        for i, c in enumerate(text):
            if n >= character:
                return self.starts[line] + i
            n += units(c, self.encoding)
        return self.starts[line] + len(text)

    def to_position(self, line: int, character: int) -> Position:
        """The miglint :class:`Position` (1-based, code points) of an LSP position."""
        offset = self.to_offset(line, character)
        ln = max(0, min(line, len(self.lines) - 1))
        return Position(ln + 1, offset - self.starts[ln] + 1)
