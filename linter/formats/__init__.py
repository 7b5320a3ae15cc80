"""Output formats: each module renders a finished :class:`~linter.model.Report` to text.

Formats never run checks or read files; they only render what the report holds. Every
module exposes ``render(report, *, color=False) -> str`` (the complete output) and documents
its format, with the URLs of the spec it follows, in its docstring. A format whose output
grows with the findings may also expose ``chunks(report) -> Iterator[bytes]``, the same
output as UTF-8 pieces, which :func:`write` streams to a file:

* ``text``: terminal output, ruff/rustc style (:mod:`linter.formats.text`)
* ``json``: miglint's versioned JSON (:mod:`linter.formats.json`)
* ``sarif``: SARIF 2.1.0 for GitHub code scanning (:mod:`linter.formats.sarif`)
* ``github``: GitHub Actions workflow-command annotations (:mod:`linter.formats.github`)
* ``gitlab``: GitLab Code Quality report (:mod:`linter.formats.gitlab`)
* ``rdjson``: reviewdog Diagnostic Format (:mod:`linter.formats.rdjson`)

All formats share one rule for findings with ``redacted=True`` (secrets): only the rule,
position, message and help are shown; never an excerpt line, fix or rule properties.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import BinaryIO

from linter.model import Report

#: The names ``--format`` accepts; each is a module of this package, imported on first use
#: (a run pays only for the formats it writes).
NAMES = ("text", "json", "sarif", "github", "gitlab", "rdjson")


def module(name: str) -> ModuleType:
    """The module of format ``name``; ``ValueError`` names the known formats if unknown."""
    if name not in NAMES:
        raise ValueError(f"unknown output format {name!r} (known: {', '.join(NAMES)})")
    return importlib.import_module(f"linter.formats.{name}")


def render(name: str, report: Report, color: bool = False) -> str:
    """Render ``report`` in format ``name``; ``ValueError`` names the known formats if unknown."""
    return module(name).render(report, color=color)


def write(name: str, report: Report, out: BinaryIO, color: bool = False) -> None:
    """Write ``report`` in format ``name`` to the binary stream ``out``, UTF-8 encoded.

    Byte for byte ``render(...).encode("utf-8")``; formats with ``chunks`` are written
    piece by piece, so a large report is never held whole in memory (nor twice, as text
    and as bytes). ``ValueError`` names the known formats if ``name`` is unknown.
    """
    mod = module(name)
    pieces = getattr(mod, "chunks", None)
    if pieces is None:
        out.write(mod.render(report, color=color).encode("utf-8"))
    else:
        out.writelines(pieces(report))
