"""Output formats: each module renders a finished :class:`~linter.model.Report` to text.

Formats never run checks or read files; they only render what the report holds. Every
module exposes ``render(report, *, color=False) -> str`` (the complete output) and documents
its format, with the URLs of the spec it follows, in its docstring:

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

from types import ModuleType

from linter.formats import github, gitlab, json, rdjson, sarif, text
from linter.model import Report

#: ``{format name: module}``; the names are what ``--format`` accepts.
FORMATS: dict[str, ModuleType] = {
    "text": text,
    "json": json,
    "sarif": sarif,
    "github": github,
    "gitlab": gitlab,
    "rdjson": rdjson,
}


def render(name: str, report: Report, color: bool = False) -> str:
    """Render ``report`` in format ``name``; ``ValueError`` names the known formats if unknown."""
    try:
        module = FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown output format {name!r} (known: {', '.join(FORMATS)})") from None
    return module.render(report, color=color)
