"""Where keywords and clauses sit in a statement's text: offsets for mechanical fixes.

Parse-tree nodes carry a start ``location`` but no end, and keywords (``INDEX``,
``CONCURRENTLY``) carry none at all. This module runs PostgreSQL's own scanner (pglast's
``scan``, the lexer of libpg_query) over a statement's original text, so comments,
string literals and quoted identifiers never confuse it, and answers with 0-based
character offsets into the file text (what ``ctx.fix`` takes).

Every function returns ``None`` when it cannot be sure (the scanner failed, or a
statement nested in a ``DO`` body whose text is not in the file verbatim); rules then
offer no fix.
"""

from __future__ import annotations

import re
from linter import lazyre
from linter.model import Record, set_field

from linter.pg.parser import pg


class Token(Record):
    """One token: ``name`` is the scanner's (``"INDEX"``, ``"IDENT"``, ``"ASCII_40"`` for
    ``(``); ``start``/``end`` are original-text character offsets, ``end`` exclusive."""

    name: str
    start: int
    end: int

    def __init__(self, name: str, start: int, end: int) -> None:
        set_field(self, "name", name)
        set_field(self, "start", start)
        set_field(self, "end", end)


_COMMENTS = ("C_COMMENT", "SQL_COMMENT")


def tokens(stmt) -> list[Token] | None:
    """The tokens of ``stmt``'s text, comments left out, or ``None``."""
    if stmt.parent is not None and stmt.start == stmt.parent.start and stmt.end == stmt.parent.end:
        return None  # a nested statement whose text could not be located in the file
    try:
        scanned = pg.scan(stmt.text)
    except Exception:
        return None
    base = stmt.start
    # pglast's scan() reports 0-based character offsets with an inclusive end
    return [Token(t.name, base + t.start, base + t.end + 1) for t in scanned if t.name not in _COMMENTS]


#: ``CREATE [UNIQUE] INDEX``, ``DROP INDEX``, ``REINDEX [(…)] KIND`` written plainly: the
#: common case, found without running the scanner.
_PLAIN_PREFIX = lazyre.compile(r"(?:CREATE\s+(?:UNIQUE\s+)?|DROP\s+|REINDEX\s+(?:\([\w\s,]*\)\s*)?)(\w+)\b", re.I)


def after_keyword(stmt, *names: str) -> int | None:
    """The offset just after the first top-level (outside parentheses) token named one of
    ``names`` (``after_keyword(stmt, "INDEX")`` for ``CREATE UNIQUE INDEX``)."""
    if stmt.parent is None:
        m = _PLAIN_PREFIX.match(stmt.text)
        if m and m.group(1).upper() in names:
            return stmt.start + m.end(1)
    toks = tokens(stmt)
    if toks is None:
        return None
    depth = 0
    for t in toks:
        if t.name == "ASCII_40":
            depth += 1
        elif t.name == "ASCII_41":
            depth -= 1
        elif depth == 0 and t.name in names:
            return t.end
    return None


def subcommands_text(stmt) -> str | None:
    """The text after the (possibly qualified) relation name of a statement with a
    ``relation`` RangeVar (``ALTER TABLE [ONLY] s.t …``), stripped: its subcommands as
    written. ``None`` when the name has no location."""
    loc = (stmt.body.get("relation") or {}).get("location")
    if loc is None or loc < 0:
        return None
    return stmt._source.text[stmt._source.token_end(stmt.offset_of(loc)):stmt.end].strip()


def clause_end(stmt, start: int) -> int | None:
    """The end offset of the clause starting at ``start`` (e.g. a table constraint of an
    ``ALTER TABLE``): its last token before a top-level ``,`` or the end of the statement."""
    if stmt.parent is not None or not stmt.start <= start < stmt.end:
        return None
    try:  # scan from the clause on: long ALTER TABLEs hold many subcommands before it
        scanned = pg.scan(stmt.text[start - stmt.start :])
    except Exception:
        return None
    depth = 0
    end = None
    for t in scanned:  # no Token objects: the walk usually stops at the clause's first top-level ","
        name = t.name
        if name in _COMMENTS or t.end < 0:
            continue
        if name == "ASCII_40":
            depth += 1
        elif name == "ASCII_41":
            depth -= 1
            if depth < 0:
                break
        elif depth == 0 and name in ("ASCII_44", "ASCII_59"):  # , ;
            break
        end = start + t.end + 1  # pglast's scan() reports an inclusive end
    return end


def has_keyword(stmt, name: str) -> bool:
    """True when a token named ``name`` occurs in ``stmt`` (outside comments and strings)."""
    toks = tokens(stmt)
    return bool(toks) and any(t.name == name for t in toks)


#: How much of a file :func:`keyword_case` reads: enough keywords to tell the file's case,
#: cut at a line end (the scanner sees whole tokens), and a bounded cost on every file with a
#: fix (~30 us per file, ~0.16 s over the corpus, against ~0.32 s for 8 KB). The top of the
#: file is also what sqlfluff's default CP01 policy (``consistent``) follows: the case of the
#: first keywords it meets.
_CASE_SAMPLE = 1024

#: :func:`keyword_case` counts the case of the first ``2 * _CASE_VOTES`` keywords only (the
#: vote is decided by then; the count is a cost paid on every file with a fix).
_CASE_VOTES = 40

#: Keywords nearly every migration that writes its keywords in lower case uses (a word in
#: a comment or string may match too: the scanner decides then). A sample without any of
#: them cannot be mostly lower case, and the scan is skipped (~25 us per file).
_LOWER_WORD = lazyre.compile(r"\b(?:create|alter|drop|table|index|insert|update|delete|select|set|begin|commit|add|column"
                         r"|not|null|on|into|from|where|values|primary|key|references|default|constraint|and|as)\b")

_case_of: list = [None, None]  # (source, case): the last file asked about (files are linted one at a time)


def keyword_case(source) -> str | None:
    """``"lower"`` when most keywords of ``source``'s text (its first :data:`_CASE_SAMPLE`
    characters, cut at a line end) are written in lower case, ``"upper"`` when most are in
    upper case, ``None`` when it cannot tell (no keyword, a tie, the scanner failed).
    Keywords are what PostgreSQL's scanner (pglast's ``scan``) calls keywords, comments and
    string literals never count; the first ``2 *`` :data:`_CASE_VOTES` keywords vote.
    Cached for the last file asked about."""
    if _case_of[0] is source:
        return _case_of[1]
    text = source.text
    if len(text) > _CASE_SAMPLE:
        cut = text.rfind("\n", 0, _CASE_SAMPLE)
        text = text[: cut if cut > 0 else _CASE_SAMPLE]
    if not _LOWER_WORD.search(text):  # no common keyword in lower case: "lower" cannot win
        _case_of[0], _case_of[1] = source, None
        return None
    try:  # a comprehension over the scanner's tuples (start, end, name, kind): no per-token branches
        words = [text[s : e + 1] for s, e, _, kind in pg.scan(text) if kind != "NO_KEYWORD"][: 2 * _CASE_VOTES]
    except Exception:
        words = []
    lower = sum(map(str.islower, words))
    upper = sum(map(str.isupper, words))
    case = "lower" if lower > upper else "upper" if upper > lower else None
    _case_of[0], _case_of[1] = source, case
    return case


def in_file_case(source, sql: str) -> str:
    """``sql`` (text a fix inserts, its keywords written in upper case) with its keywords in
    the case most of ``source``'s keywords are written in (:func:`keyword_case`): ``SET LOCAL
    lock_timeout = '5s';`` becomes ``set local lock_timeout = '5s';`` in a file written in
    lower case, so a style checker (sqlfluff's CP01 capitalisation) reports nothing new once
    the fix is applied. Identifiers, literals and comments are kept as they are; in an
    upper-case file, or when the case is unknown, ``sql`` is returned as is."""
    if keyword_case(source) != "lower" or not any(c.isupper() for c in sql):
        return sql
    try:
        scanned = pg.scan(sql)
    except Exception:
        return sql
    out, at = [], 0
    for t in scanned:
        if t.kind != "NO_KEYWORD":
            out.append(sql[at : t.start])
            out.append(sql[t.start : t.end + 1].lower())
            at = t.end + 1
    out.append(sql[at:])
    return "".join(out)
