"""Markdown helpers shared by the pull-request formats (review comments, summary, lock
report, check-run text, job summary): the one place where text miglint did not write is made
inert before it reaches GitHub markdown.

The templates are files in ``linter/templates/`` (``*.md.j2``), shipped inside the package.
Text that comes from a finding, a migration file or a bundle (messages, help, identifiers,
SQL excerpts, paths, notes) goes through :func:`md` (prose), :func:`cell` (a table cell) or
:func:`code` (a code span); templates never print such text raw. What they guarantee:

* **Identifiers and SQL excerpts are code spans.** In prose, a double-quoted identifier
  (``"user_"``, PostgreSQL's quoting, ``""`` inside) and a backtick span written by a rule
  (```SET lock_timeout = '5s'```) become code spans whose fence is longer than any backtick
  run inside (CommonMark 6.1: a span closes only on a run of the same length), so a name
  holding backticks cannot end the span early. Inside a rule's backtick span, backticks
  within SQL quotes (``"a`b"``, ``'a`b'``) are content, not the span's end.
* **Nothing in prose renders as markup.** ``&``, ``<`` and ``>`` become entities (no HTML,
  no ``<!-- miglint…`` marker, no ``<https://…>`` autolink); ``\\``, ``[``, ``]``,
  ``*``, ``~``, ``$`` and stray backticks are backslash-escaped (no link, image, emphasis or
  math); a zero-width space (``&#8203;``) follows ``@`` (no ``@``-mention, no e-mail
  autolink: the same defence Renovate and Dependabot use), sits inside ``http://``,
  ``https://``, ``www.`` (no GFM autolink) and after ``#`` before a digit (no issue
  reference); line breaks become spaces and a block marker at the start (``#``, ``-``,
  ``+``, ``=``, ``|``, ``1.``) is escaped, so a message cannot be a heading, a list or a table.
* **Code spans cannot carry a marker**: ``<!--`` inside a span gets a zero-width space after
  ``<!`` (a code span shows ``<`` as is, so the raw body would otherwise hold the marker
  text the bot looks for; it only trusts markers at the start of its own comments anyway).

Redacted findings (secrets) pass through :func:`finding_view`, which drops the fix and the
properties, as every format does (:mod:`linter.formats._common`).
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


#: Zero-width space as an entity: breaks mentions, autolinks and references, renders as nothing.
ZWSP = "&#8203;"
_PROSE_ESCAPES = {"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "*": "\\*", "~": "\\~", "$": "\\$", "`": "\\`"}
_AT = re.compile(r"@")
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp)(?=://)|\b(www)(?=\.)")
_REFERENCE = re.compile(r"#(?=\d)")
_BLOCK_START = re.compile(r"^(?:[#+=|_-]|\d{1,9}(?=[.)]))")


def _escape_prose(text: str) -> str:
    out = "".join(_PROSE_ESCAPES.get(ch, ch) for ch in text)
    out = _REFERENCE.sub("#" + ZWSP, out)  # first: the entities added below hold "#8"
    out = _AT.sub("@" + ZWSP, out)
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2)) + ZWSP, out)


def _closing(text: str, start: int, ticks: int, quote_aware: bool) -> int:
    """Index of the backtick run of exactly ``ticks`` that closes a span opened before
    ``start`` (``-1`` if none); with ``quote_aware``, runs inside SQL quotes do not count."""
    quote = None
    i, n = start, len(text)
    while i < n:
        ch = text[i]
        if quote_aware and ch in "\"'":
            quote = None if quote == ch else (ch if quote is None else quote)
        elif ch == "`":
            j = i
            while j < n and text[j] == "`":
                j += 1
            if j - i == ticks and quote is None:
                return i
            i = j
            continue
        i += 1
    return -1


def segments(text: str) -> list[tuple[str, str]]:
    """``[("code" | "text", piece)]``: the double-quoted identifiers and backtick spans of a
    line of prose, and the text between them (see the module docstring)."""
    out: list[tuple[str, str]] = []
    buf: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if buf:
            out.append(("text", "".join(buf)))
            buf.clear()

    while i < n:
        ch = text[i]
        if ch == "`":
            j = i
            while j < n and text[j] == "`":
                j += 1
            ticks = j - i
            end = _closing(text, j, ticks, True)
            if end < 0:
                end = _closing(text, j, ticks, False)
            if end >= 0:
                inner = text[j:end]
                if len(inner) > 2 and inner.startswith(" ") and inner.endswith(" ") and inner.strip():
                    inner = inner[1:-1]
                flush()
                out.append(("code", inner))
                i = end + ticks
                continue
            buf.append(text[i:j])
            i = j
            continue
        if ch == '"':
            j = i + 1
            while j < n:
                if text[j] == '"':
                    if j + 1 < n and text[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            if j < n and j > i + 1:
                flush()
                out.append(("code", text[i : j + 1]))
                i = j + 1
                continue
        buf.append(ch)
        i += 1
    flush()
    return out


def md(text: object) -> str:
    """One line of markdown prose holding ``text`` inertly: identifiers and rules' backtick
    spans as code spans, everything else escaped (see the module docstring)."""
    s = re.sub(r"\s*\n\s*", " ", str(text if text is not None else "").replace("\r", "")).strip()
    rendered = "".join(code(piece) if kind == "code" else _escape_prose(piece) for kind, piece in segments(s))
    if _BLOCK_START.match(rendered):
        m = _BLOCK_START.match(rendered)
        cut = m.end()
        rendered = rendered[:cut] + "\\" + rendered[cut:] if rendered[0].isdigit() else "\\" + rendered
    return rendered


def cell(text: object) -> str:
    """Text for a markdown table cell: :func:`md` per line, lines joined with ``<br>``, and
    every ``|`` escaped (GFM tables split cells on ``|`` even inside code spans, and
    unescape ``\\|`` there)."""
    lines = str(text if text is not None else "").replace("\r\n", "\n").split("\n")
    return "<br>".join(md(line) for line in lines if line.strip()).replace("|", "\\|")


def code(text: object) -> str:
    """An inline code span holding ``text`` literally: a fence longer than any backtick run
    inside, padded when the text starts or ends with a backtick, line breaks as spaces and
    ``<!--`` broken so the raw body cannot hold a comment marker."""
    s = str(text if text is not None else "").replace("\r", "").replace("\n", " ").replace("<!--", "<!\u200b--")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s.strip() or (s.startswith(" ") and s.endswith(" ")) else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def link_title(text: object, limit: int = 300, *, in_table: bool = False) -> str:
    """The title of a markdown link (``[x](url "title")``, shown as a tooltip) holding
    ``text``: one line, at most ``limit`` characters, ``"`` and ``\\`` backslash-escaped so it
    cannot end the title, ``&``, ``<``, ``>`` as entities, and a zero-width space after ``@``
    (a title is an attribute, not text, so nothing in it renders or mentions; the space keeps
    the raw body free of ``@login`` for tools that scan it); ``in_table``: ``|`` escaped too."""
    s = " ".join(str(text if text is not None else "").split())
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    s = "".join(_PROSE_ESCAPES.get(ch, ch) if ch in "\\&<>" else ch for ch in s).replace('"', '\\"')
    s = _AT.sub("@" + ZWSP, s)
    return s.replace("|", "\\|") if in_table else s


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
