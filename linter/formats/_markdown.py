"""Markdown helpers shared by the pull-request formats (review comments, summary).

The templates are files in ``linter/templates/`` (``*.md.j2``), shipped inside the package.
Text that comes from a finding is escaped before it reaches markdown: ``&``, ``<`` and ``>``
become entities (so a message can neither hide text in an HTML comment nor forge the
markers the bot searches for), ``|`` and line breaks are escaped in table cells, and code
spans and fences are made longer than any backtick run inside them. Redacted findings
(secrets) pass through :func:`finding_view`, which drops the fix and the properties, as every
format does (:mod:`linter.formats._common`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

from linter.formats._common import visible_fix, visible_properties
from linter.model import Finding, Severity

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.NOTE: "ℹ️"}
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def md(text: object) -> str:
    """Inline markdown text with HTML special characters escaped."""
    return str(text if text is not None else "").translate(_HTML)


def cell(text: object) -> str:
    """Text for a markdown table cell: escaped, ``|`` escaped, line breaks as ``<br>``."""
    return md(text).replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def code(text: object) -> str:
    """An inline code span holding ``text`` literally (markdown's variable-length backticks)."""
    s = str(text).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s.strip() else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks in ``text`` (only runs at the start of a
    line could close it, but any run is counted: the fence costs nothing)."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    return "`" * max(3, longest + 1)


def _join(value: object) -> str:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def lock_of(finding: Finding) -> dict[str, str]:
    """``{"lock", "table", "blocks"}`` from a locking rule's properties (empty strings when absent)."""
    props = visible_properties(finding)
    lock = props.get("lock") or props.get("lock_mode") or ""
    return {"lock": _join(lock), "table": _join(props.get("table") or props.get("tables") or ""), "blocks": _join(props.get("blocks") or "")}


def finding_view(finding: Finding) -> dict:
    """What templates may show of a finding (never source text of a redacted one)."""
    fix = visible_fix(finding)
    return {
        "icon": ICONS[finding.severity],
        "severity": str(finding.severity),
        "rule": finding.rule_id,
        "docs_url": finding.docs_url,
        "path": finding.path,
        "line": finding.line,
        "message": finding.message,
        "help": finding.help,
        "fix_description": fix.description if fix else None,
        "redacted": finding.redacted,
        **lock_of(finding),
    }


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment of ``linter/templates`` (markdown: no HTML autoescape; text
    from findings goes through the ``md``/``cell``/``code`` filters)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(md=md, cell=cell, code=code)
    return env


def render_template(name: str, **values) -> str:
    """Render ``linter/templates/<name>``; runs of blank lines outside code fences become one."""
    text = environment().get_template(name).render(**values)
    return squeeze_blank_lines(text).strip("\n") + "\n"


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def squeeze_blank_lines(text: str) -> str:
    """Collapse consecutive blank lines to one, except inside fenced code blocks."""
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):].strip():
            fence = None
        elif fence is None and not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return "\n".join(out)
