"""One migration file: its text, its pglast statements, and offset -> (line, column).

pglast (libpg_query) reports node and statement locations as **byte offsets into the
UTF-8 encoding** of the SQL text (``stmt_location``, ``stmt_len``, every ``location``),
while :class:`pglast.parser.ParseError` carries a 0-based **character** offset. Everything
here converts once into 0-based character offsets of the original file text, and from
those into 1-based :class:`~linter.model.Position` (columns in code points).

Placeholders (Flyway ``${name}``, psql ``:name`` / ``:'name'`` / ``:"name"``) are replaced
before parsing; a :class:`OffsetMap` maps positions in the substituted text back to the
original, so findings point at what the author wrote.

Statements are the parse tree as pglast's JSON (``parse_sql_json``) decoded to plain
dicts (:func:`linter.pg.parser.loads`): ``{"IndexStmt": {...}}``. Building pglast's Python ``Node`` objects
costs several times more and rules do not need them.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any, Iterator

from linter.pg.parser import loads, pg

from linter.model import Direction, MigrationFile, Position, Span, cached_property, fast_init

# --------------------------------------------------------------------------- text index


class TextIndex:
    """Converts offsets in one string to positions.

    ``char_of_byte(b)``: UTF-8 byte offset -> character offset (both 0-based).
    ``position(c)``: character offset -> 1-based :class:`Position`.
    """

    __slots__ = ("text", "_len", "_line_starts", "_ascii", "_nb_bytes", "_nb_extra")

    def __init__(self, text: str) -> None:
        self.text = text
        self._len = len(text)
        self._line_starts: list[int] | None = None  # built on first use: most files need no position
        self._ascii = text.isascii()
        self._nb_bytes: list[int] = []  # byte offset just after each non-ASCII character
        self._nb_extra: list[int] = []  # cumulative extra bytes up to and including it
        if not self._ascii:
            extra = 0
            char_to_byte_shift = 0
            for m in _NON_ASCII.finditer(text):
                ch = m.group()
                n = len(ch.encode("utf-8", "surrogatepass")) - 1
                byte_start = m.start() + char_to_byte_shift
                extra += n
                char_to_byte_shift += n
                self._nb_bytes.append(byte_start + n + 1)
                self._nb_extra.append(extra)

    @property
    def line_starts(self) -> list[int]:
        """Character offset of the start of each line (``[0, ...]``)."""
        if self._line_starts is None:
            # each line starts one past the end of the one before: a running sum of
            # (length + 1) over the lines, all in C; the last sum (len + 1) starts no line
            starts = list(accumulate(map(_PLUS_ONE, map(len, self.text.split("\n"))), initial=0))
            starts.pop()
            self._line_starts = starts
        return self._line_starts

    def char_of_byte(self, b: int) -> int:
        """The character offset of UTF-8 byte offset ``b`` (inside a character: its start)."""
        if self._ascii or b <= 0:
            return b
        i = bisect_right(self._nb_bytes, b) - 1
        if i < 0:
            return b
        extra = self._nb_extra[i]
        return b - extra

    def position(self, c: int) -> Position:
        """1-based line and column of character offset ``c`` (clamped into the text)."""
        starts = self._line_starts or self.line_starts
        if c <= 0:
            return Position(1, 1)
        if c > self._len:
            c = self._len
        line = bisect_right(starts, c)
        return Position(line, c - starts[line - 1] + 1)

    def offset(self, pos: Position) -> int:
        """The character offset of a 1-based position (inverse of :meth:`position`)."""
        return self.line_starts[pos.line - 1] + pos.column - 1

    def span(self, start: int, end: int) -> Span:
        """The half-open span of character offsets ``[start, end)``."""
        return Span(self.position(start), self.position(end if end > start else start))

    def line_text(self, line: int) -> str:
        """The text of 1-based ``line`` without its line break ('' past the end)."""
        starts = self.line_starts
        if line < 1 or line > len(starts):
            return ""
        end = starts[line] if line < len(starts) else self._len
        return self.text[starts[line - 1] : end].rstrip("\r\n")

    @property
    def line_count(self) -> int:
        """Number of lines (a final line without a line break counts)."""
        return len(self.line_starts)


_PLUS_ONE = (1).__add__
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


# --------------------------------------------------------------------------- placeholders


@fast_init
@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Maps character offsets in substituted text back to the original text.

    ``segments`` holds ``(new_start, new_end, orig_start, orig_end)`` for each
    replacement, in order; offsets outside replacements shift by the replacements before
    them, offsets inside one map to the start of the placeholder it replaced.
    """

    segments: tuple[tuple[int, int, int, int], ...] = ()

    def to_original(self, c: int) -> int:
        """Original character offset for substituted-text character offset ``c``."""
        if not self.segments:
            return c
        starts = [s[0] for s in self.segments]
        i = bisect_right(starts, c) - 1
        if i < 0:
            return c
        new_start, new_end, orig_start, orig_end = self.segments[i]
        if c < new_end:
            return orig_start
        return orig_end + (c - new_end)


#: Flyway ``${name}`` (https://documentation.red-gate.com/fd/placeholders-184127475.html)
_FLYWAY_PLACEHOLDER = r"\$\{(?P<fw>[^}\s]+)\}"
#: psql variables (https://www.postgresql.org/docs/current/app-psql.html#APP-PSQL-INTERPOLATION):
#: ``:name``, ``:'name'`` (as a literal), ``:"name"`` (as an identifier); not ``::cast``.
_PSQL_PLACEHOLDER = r"(?<![:\w]):(?:(?P<ps>[A-Za-z_]\w*)|'(?P<psq>[A-Za-z_]\w*)'|\"(?P<psi>[A-Za-z_]\w*)\")"

#: Synapse's schema deltas: ``$%AUTO_INCREMENT_PRIMARY_KEY%$`` (synapse/storage/engines).
_SYNAPSE_PLACEHOLDER = r"\$%(?P<sy>[A-Za-z_]\w*)%\$"

PLACEHOLDER_SYNTAXES = ("flyway", "psql", "synapse")


@lru_cache(maxsize=8)
def _placeholder_regex(syntaxes: tuple[str, ...]) -> re.Pattern | None:
    parts = []
    if "flyway" in syntaxes:
        parts.append(_FLYWAY_PLACEHOLDER)
    if "psql" in syntaxes:
        parts.append(_PSQL_PLACEHOLDER)
    if "synapse" in syntaxes:
        parts.append(_SYNAPSE_PLACEHOLDER)
    return re.compile("|".join(parts)) if parts else None


def substitute_placeholders(
    text: str, values: dict[str, str], syntaxes: tuple[str, ...], *, dummies: bool
) -> tuple[str, OffsetMap, int]:
    """Replace placeholders in ``text``.

    Syntaxes: ``flyway`` ``${name}``, ``psql`` ``:name``/``:'name'``/``:"name"``,
    ``synapse`` ``$%name%$``. A placeholder whose name is in ``values`` becomes that value (psql ``:'x'`` becomes a
    quoted literal, ``:"x"`` a quoted identifier, as psql does). With ``dummies=True`` an
    unknown one becomes a same-length identifier or literal (``:SCHEMA`` -> ``_SCHEMA``),
    so that the file parses and positions stay exact; with ``dummies=False`` it is kept.
    Returns ``(new_text, offset_map, count_replaced)``.
    """
    rx = _placeholder_regex(syntaxes)
    if rx is None:
        return text, OffsetMap(), 0
    out: list[str] = []
    segs: list[tuple[int, int, int, int]] = []
    pos = 0
    new_len = 0
    count = 0
    for m in rx.finditer(text):
        name = None
        kind = ""
        if name is None:
            for k in ("fw", "sy", "ps", "psq", "psi"):
                if k in rx.groupindex and m.group(k):
                    name, kind = m.group(k), k
                    break
        if name is None:
            continue
        if name in values:
            value = values[name]
            if kind == "psq":
                value = "'" + value.replace("'", "''") + "'"
            elif kind == "psi":
                value = '"' + value.replace('"', '""') + '"'
        elif dummies:
            safe = re.sub(r"\W", "_", name)
            if kind == "psq":
                value = "'_" + safe + "'"
            elif kind == "psi":
                value = '"_' + safe + '"'
            elif kind == "fw":
                value = "_" + safe + "__"
            elif kind == "sy":
                value = "_" + safe + "___"
            else:
                value = "_" + safe
        else:
            continue
        chunk = text[pos : m.start()]
        out.append(chunk)
        new_len += len(chunk)
        segs.append((new_len, new_len + len(value), m.start(), m.end()))
        out.append(value)
        new_len += len(value)
        pos = m.end()
        count += 1
    if not count:
        return text, OffsetMap(), 0
    out.append(text[pos:])
    # identical lengths need no map
    if all(s[1] - s[0] == s[3] - s[2] for s in segs):
        return "".join(out), OffsetMap(), count
    return "".join(out), OffsetMap(tuple(segs)), count


def has_placeholder(text: str, syntaxes: tuple[str, ...]) -> bool:
    """True when ``text`` holds something that looks like a placeholder of ``syntaxes``."""
    rx = _placeholder_regex(syntaxes)
    return bool(rx and rx.search(text))


# --------------------------------------------------------------------------- sections

#: dbmate (https://github.com/amacneil/dbmate#creating-migrations): ``-- migrate:up``,
#: ``-- migrate:down``, options such as ``transaction:false`` on the marker line.
_DBMATE_MARKER = re.compile(r"^--\s*migrate:(up|down)\b(.*)$", re.M | re.I)
#: goose (https://pressly.github.io/goose/documentation/annotations/): ``-- +goose Up``,
#: ``-- +goose Down``, ``-- +goose NO TRANSACTION``.
_GOOSE_MARKER = re.compile(r"^--\s*\+goose\s+(Up|Down|NO\s+TRANSACTION)\b", re.M | re.I)


@fast_init
@dataclass(frozen=True, slots=True)
class Section:
    """A run of a file that moves in one direction: ``[start, end)`` character offsets."""

    direction: Direction
    start: int
    end: int
    marker_line: int  # 1-based line of the marker comment; 0 when the file has no markers


# --------------------------------------------------------------------------- statements


class Statement:
    """One parsed SQL statement.

    * ``node``: pglast JSON of the statement, ``{"IndexStmt": {...}}``; ``kind`` its key;
      ``body`` the statement's fields, ``node[kind]``.
    * ``start``/``end``: 0-based character offsets in the original file text, from the
      statement's first token (never the comments before it) to just past its last token
      (the ``;`` is not included).
    * ``span``: the same as 1-based positions; ``text``: the original text of the span
      (the span is computed on first use and kept, the text on each use).
    * ``index``: 0-based position among the file's top-level statements (nested
      statements carry their parent's index).
    * ``section``: the direction of the file section it is in.
    * ``parent``: for a statement inside a ``DO`` block or PL/pgSQL function body, the
      ``DoStmt`` / ``CreateFunctionStmt`` around it; ``None`` for top-level statements.
    * ``dynamic``: for a statement built by PL/pgSQL's ``EXECUTE`` (:mod:`linter.pg.dynamic`),
      a :class:`~linter.pg.dynamic.Dynamic` (its evaluated SQL, run-time names); its span
      is then the string literal it was built from and ``text`` the evaluated SQL.
      ``None`` for every other statement.
    """

    __slots__ = (
        "node", "kind", "body", "start", "end", "index", "section", "parent", "_source", "_loc_index", "_loc_base", "_span",
        "dynamic",
    )

    def __init__(
        self,
        node: dict,
        kind: str,
        start: int,
        end: int,
        index: int,
        section: Direction,
        parent: "Statement | None",
        source: "Source",
        loc_index: TextIndex | None,
        loc_base: int,
        dynamic=None,
    ) -> None:
        self.node = node
        self.kind = kind
        self.body: dict = node[kind]
        self.start = start
        self.end = end
        self.index = index
        self.section = section
        self.parent = parent
        self._source = source
        self._loc_index = loc_index  # index of the text node locations are relative to
        self._loc_base = loc_base  # character offset in the parse text where that text starts
        self._span: Span | None = None
        self.dynamic = dynamic

    def __repr__(self) -> str:
        return f"<Statement {self.kind} {self.start}:{self.end}>"

    @property
    def span(self) -> Span:
        """1-based span of ``[start, end)``."""
        if self._span is None:
            self._span = self._source.index.span(self.start, self.end)
        return self._span

    @property
    def text(self) -> str:
        """The statement's original text (placeholders as written); for a statement built by
        ``EXECUTE``, the evaluated SQL."""
        if self.dynamic is not None:
            return self.dynamic.sql
        return self._source.text[self.start : self.end]

    @property
    def nested(self) -> bool:
        """True for statements found inside a PL/pgSQL body."""
        return self.parent is not None

    def offset_of(self, location: int) -> int:
        """Original-text character offset of a node ``location`` (a UTF-8 byte offset);
        the statement's start when its node locations do not map into the file (nested
        statements not found verbatim, statements built by ``EXECUTE``)."""
        if self._loc_index is None:
            return self.start
        c = self._loc_index.char_of_byte(location) + self._loc_base
        return self._source.offset_map.to_original(c)

    def node_span(self, node: dict | None) -> Span:
        """Span of the token at ``node``'s ``location`` (a qualified name: all its parts).

        ``node`` is a dict holding a ``location`` key (e.g. a RangeVar), or a wrapper
        ``{"RangeVar": {...}}``. Falls back to the statement span when the node has no
        location (libpg_query does not record one for every node), or for nested
        statements whose text could not be found verbatim in the file.
        """
        if not node:
            return self.span
        if len(node) == 1:
            (inner,) = node.values()
            if isinstance(inner, dict) and "location" in inner and "location" not in node:
                node = inner
        loc = node.get("location")
        if loc is None or loc < 0 or self._loc_index is None:
            return self.span
        start = self.offset_of(loc)
        end = self._source.token_end(start)
        return self._source.index.span(start, end)


#: A (possibly qualified, possibly quoted) name, or a string literal: what most node
#: locations point at. Other tokens fall back to pglast's scanner.
_NAME = re.compile(r'(?:[^\W\d]\w*|"(?:[^"]|"")*")(?:\s*\.\s*(?:[^\W\d][\w$]*|"(?:[^"]|"")*"))*|\'(?:[^\']|\'\')*\'')
_TRIM = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*(?:[^*]|\*(?!/))*\*/)*")


class Source:
    """A migration file's text and parse.

    Shapes: ``text`` is the decoded file (UTF-8, BOM removed); ``index`` its
    :class:`TextIndex`; ``statements`` the top-level statements in order;
    ``error`` the parse error as ``(character offset, message)`` or ``None``;
    ``sections`` the up/down :class:`Section` list (one section for files without
    markers); ``options`` file flags found in markers (``{"transaction": False}``).

    Construction parses immediately. Raises nothing for bad SQL: it is recorded in
    ``error``. ``pglast`` may raise ``RecursionError``-like errors on pathological
    input; they are recorded too.
    """

    def __init__(
        self,
        text: str,
        file: MigrationFile | None = None,
        *,
        placeholders: dict[str, str] | None = None,
        placeholder_syntax: tuple[str, ...] = PLACEHOLDER_SYNTAXES,
        direction: Direction = Direction.UP,
    ) -> None:
        self.file = file
        self.text = text
        self.index = TextIndex(text)
        self.direction = file.direction if file is not None else direction
        self.options: dict[str, Any] = {}
        self.sections = self._find_sections()
        self.error: tuple[int, str] | None = None
        self.placeholders_replaced = 0
        self.statements: list[Statement] = []
        self._embedded: dict[int, list[Statement]] = {}
        self._dynamic: dict[int, tuple] = {}  # linter.pg.dynamic.statements, per DO block / function
        self._called: set[int] | None = None  # linter.pg.dynamic.called_functions
        self._call_sites: dict[int, list] = {}  # and the functions each statement runs
        self._dyn_names: dict[str, str] = {}  # run-time name sentinels of EXECUTEd commands
        self._dyn_roles: dict[str, str] = {}
        self._parse(placeholders or {}, tuple(placeholder_syntax))

    # -- parsing

    def _parse(self, values: dict[str, str], syntaxes: tuple[str, ...]) -> None:
        text = self._end_dbmate_sections(self.text)
        self.offset_map = OffsetMap()
        if values and has_placeholder(text, syntaxes):
            text, self.offset_map, n = substitute_placeholders(text, values, syntaxes, dummies=False)
            self.placeholders_replaced += n
        try:
            tree = loads(pg.parse_sql_json(text))
        except pg.ParseError as exc:
            retried = False
            if syntaxes and has_placeholder(text, syntaxes):
                text2, map2, n = substitute_placeholders(text, {}, syntaxes, dummies=True)
                if n and not map2.segments:  # dummies keep lengths: the offset map still holds
                    try:
                        tree = loads(pg.parse_sql_json(text2))
                        text = text2
                        self.placeholders_replaced += n
                        retried = True
                    except pg.ParseError as exc2:
                        exc = exc2
            if not retried:
                self.parse_text = text
                loc = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
                self.error = (self.offset_map.to_original(max(0, loc)), str(exc.args[0]))
                return
        except Exception as exc:  # libpg_query limits (stack depth) or other parser failures
            self.parse_text = text
            self.error = (0, f"the parser failed: {exc}")
            return
        self.parse_text = text
        self.parse_index = index = self.index if text is self.text else TextIndex(text)
        char_of_byte, make, append = index.char_of_byte, self._make_statement, self.statements.append
        for i, raw in enumerate(tree.get("stmts", ())):
            node = raw.get("stmt")
            if not node:
                continue
            b0 = raw.get("stmt_location", 0)
            blen = raw.get("stmt_len", 0)
            c1 = char_of_byte(b0 + blen) if blen else len(text)
            append(make(node, char_of_byte(b0), c1, i, None, index, 0))

    def _make_statement(
        self, node: dict, c0: int, c1: int, index: int, parent: Statement | None, loc_index: TextIndex, loc_base: int
    ) -> Statement:
        """Trim comments/whitespace at both ends of parse-text range [c0, c1) and build it."""
        text = self.parse_text
        c0 = _TRIM.match(text, c0, c1).end()  # the pattern also matches the empty string
        while c1 > c0 and text[c1 - 1] in " \t\r\n;":
            c1 -= 1
        if self.offset_map.segments:
            o0 = self.offset_map.to_original(c0)
            o1 = self.offset_map.to_original(c1) if c1 > c0 else o0
        else:
            o0, o1 = c0, c1 if c1 > c0 else c0
        sections = self.sections
        section = sections[0].direction if len(sections) == 1 else self.section_at(o0)
        (kind,) = node.keys()
        return Statement(node, kind, o0, o1, index, section, parent, self, loc_index, loc_base)

    def _end_dbmate_sections(self, text: str) -> str:
        """``text`` with each dbmate marker line replaced by ``;`` and spaces (same length
        in characters, so offsets need no map): dbmate cuts the file at its markers and
        runs each block as one script (``parseMigrationSection`` in dbmate's
        ``pkg/dbmate/migration.go``: the up block is the text from ``-- migrate:up`` to
        ``-- migrate:down``), so a statement never runs on across a marker, and the last
        statement of a block needs no ``;``. Without the cut the file would not parse as
        one text."""
        if not self._dbmate_lines:
            return text
        parts, last = [], 0
        for c0, c1 in self._dbmate_lines:
            parts.append(text[last:c0])
            parts.append(";" + " " * (c1 - c0 - 1))
            last = c1
        parts.append(text[last:])
        return "".join(parts)

    def _find_sections(self) -> list[Section]:
        text = self.text
        markers: list[tuple[int, Direction, int]] = []
        self._dbmate_lines: list[tuple[int, int]] = []
        if "migrate:" in text:
            for m in _DBMATE_MARKER.finditer(text):
                self._dbmate_lines.append((m.start(), m.end()))
                d = Direction.UP if m.group(1).lower() == "up" else Direction.DOWN
                markers.append((m.start(), d, self.index.position(m.start()).line))
                if d is Direction.UP and re.search(r"transaction\s*:\s*false", m.group(2), re.I):
                    self.options["transaction"] = False
        if "+goose" in text:
            for m in _GOOSE_MARKER.finditer(text):
                word = m.group(1).lower()
                if word.startswith("no"):
                    self.options["transaction"] = False
                    continue
                d = Direction.UP if word == "up" else Direction.DOWN
                markers.append((m.start(), d, self.index.position(m.start()).line))
        if not markers:
            return [Section(self.direction, 0, len(text), 0)]
        markers.sort()
        out = []
        for i, (off, d, line) in enumerate(markers):
            end = markers[i + 1][0] if i + 1 < len(markers) else len(text)
            out.append(Section(d, off, end, line))
        return out

    def section_of(self, offset: int) -> Section:
        """The :class:`Section` holding character ``offset`` (before any marker: the
        first section)."""
        for s in reversed(self.sections):
            if offset >= s.start:
                return s
        return self.sections[0]

    def section_at(self, offset: int) -> Direction:
        """Direction of the section holding character ``offset`` (before any marker: the
        first section's direction)."""
        return self.section_of(offset).direction

    # -- tokens

    @cached_property
    def _token_ends(self) -> tuple[list[int], list[int]]:
        """Sorted original-text (start, end) character offsets of every token."""
        try:
            tokens = pg.scan(self.parse_text)
        except Exception:
            return [], []
        # pglast's scan() reports 0-based *character* offsets with an inclusive end
        starts, ends = [], []
        for t in tokens:
            starts.append(self.offset_map.to_original(t.start))
            ends.append(self.offset_map.to_original(t.end + 1))
        return starts, ends

    def token_end(self, start: int) -> int:
        """End offset (exclusive) of the token starting at character ``start``; a dotted
        qualified name (``s.t``, ``"S"."T"``) is extended to its last part."""
        m = _NAME.match(self.text, start)
        if m:
            return m.end()
        starts, ends = self._token_ends
        i = bisect_left(starts, start)
        if i >= len(starts) or starts[i] != start:
            return start + 1
        return ends[i]

    # -- PL/pgSQL

    def embedded(self, stmt: Statement) -> list[Statement]:
        """Statements inside a ``DO`` block or ``CREATE FUNCTION/PROCEDURE … LANGUAGE
        plpgsql`` body, parsed with libpg_query's PL/pgSQL parser (``parse_plpgsql_json``)
        and then each SQL statement with the SQL parser. Only the statements PL/pgSQL runs
        as plain SQL (``PLpgSQL_stmt_execsql``) are returned; the commands of dynamic
        ``EXECUTE`` strings are in :meth:`dynamic`. Spans are exact when the body text appears verbatim in the file (dollar
        quoting); otherwise they are the enclosing statement's span. Bodies that do not
        parse give ``[]``.
        """
        if stmt.nested or stmt.kind not in ("DoStmt", "CreateFunctionStmt"):
            return []
        cached = self._embedded.get(id(stmt))
        if cached is not None:
            return cached
        out: list[Statement] = []
        try:
            out = self._parse_body(stmt)
        except Exception:
            out = []
        self._embedded[id(stmt)] = out
        return out

    def _parse_body(self, stmt: Statement) -> list[Statement]:
        body = stmt.body
        code = plpgsql_code(stmt)
        if code is None:
            return []
        tag = "$miglint_body$"
        if tag in code:
            return []
        wrapper = f"CREATE FUNCTION miglint_do() RETURNS void LANGUAGE plpgsql AS {tag}{code}{tag}"
        if stmt.kind == "CreateFunctionStmt" and body.get("is_procedure"):
            wrapper = f"CREATE PROCEDURE miglint_do() LANGUAGE plpgsql AS {tag}{code}{tag}"
        own = stmt.kind == "CreateFunctionStmt" and not self.placeholders_replaced
        if own and _returns_value(body):
            # the wrapper says the body returns void: for a function that returns a value
            # it fails ("RETURN cannot have a parameter in function returning void", 396 of
            # the corpus's 445 such functions), so the function's own statement is parsed
            # first (where both parse, their PL/pgSQL statements are the same)
            try:
                tree = loads(pg.parse_plpgsql_json(stmt.text))
            except Exception:  # then as before: the wrapper decides
                tree = loads(pg.parse_plpgsql_json(wrapper))
        else:
            try:
                tree = loads(pg.parse_plpgsql_json(wrapper))
            except pg.ParseError:
                # "RETURN cannot have a parameter in function returning void": a function that
                # returns a value; its own statement says what it returns
                if not own:
                    raise
                tree = loads(pg.parse_plpgsql_json(stmt.text))
        queries = list(_execsql_queries(tree))
        out: list[Statement] = []
        # locate the body in the parse text to map nested offsets exactly
        stmt_parse_start = self._to_parse_offset(stmt.start)
        body_at = self.parse_text.find(code, stmt_parse_start)
        search = body_at if body_at >= 0 else -1
        for q in queries:
            try:
                sub = loads(pg.parse_sql_json(q))
            except Exception:
                continue
            qpos = self.parse_text.find(q, search) if search >= 0 else -1
            qindex = TextIndex(q)
            for raw in sub.get("stmts", ()):
                node = raw.get("stmt")
                if not node:
                    continue
                if qpos >= 0:
                    b0 = raw.get("stmt_location", 0)
                    blen = raw.get("stmt_len", 0)
                    c0 = qpos + qindex.char_of_byte(b0)
                    c1 = qpos + (qindex.char_of_byte(b0 + blen) if blen else len(q))
                    out.append(self._make_statement(node, c0, c1, stmt.index, stmt, qindex, qpos))
                else:
                    (kind,) = node.keys()
                    out.append(Statement(node, kind, stmt.start, stmt.end, stmt.index, stmt.section, stmt, self, None, 0))
            if qpos >= 0:
                search = qpos + len(q)
        return out

    def _to_parse_offset(self, orig: int) -> int:
        """Parse-text offset of original offset ``orig`` (exact when lengths match)."""
        m = self.offset_map
        if not m.segments:
            return orig
        shift = 0
        for ns, ne, os_, oe in m.segments:
            if oe <= orig:
                shift += (ne - ns) - (oe - os_)
        return orig + shift

    def close(self) -> None:
        """Drop the statements. Each statement refers back to its Source, so a Source that
        keeps them is a reference cycle only the garbage collector frees; the engine calls
        this when a file is done, which keeps collector time off the hot path."""
        self.statements = []
        self._embedded.clear()
        self._dynamic.clear()
        self._called = None
        self._call_sites = {}
        self._dyn_names = {}
        self._dyn_roles = {}

    def dynamic(self, stmt: Statement) -> list[Statement]:
        """Statements built by the ``EXECUTE``s of a ``DO`` block or of a PL/pgSQL function
        this file calls (:func:`linter.pg.dynamic.statements`), after its embedded ones;
        ``[]`` for anything else."""
        global _dynamic_statements
        if _dynamic_statements is None:  # imported on first use, then kept
            from linter.pg.dynamic import statements as _dynamic_statements
        return _dynamic_statements(self, stmt)[0]

    def all_statements(self) -> Iterator[Statement]:
        """Top-level statements, each followed by those embedded in it (DO / PL/pgSQL) and
        those its ``EXECUTE``s build (:meth:`dynamic`)."""
        for s in self.statements:
            yield s
            if s.kind in ("DoStmt", "CreateFunctionStmt"):
                yield from self.embedded(s)
                yield from self.dynamic(s)

    def statements_in(self, direction: Direction) -> list[Statement]:
        """Top-level statements in sections of ``direction``."""
        return [s for s in self.statements if s.section is direction]


#: :func:`linter.pg.dynamic.statements`, imported by :meth:`Source.dynamic` on first use.
_dynamic_statements = None


def plpgsql_code(stmt: Statement) -> str | None:
    """The PL/pgSQL source of a ``DO`` or ``CREATE FUNCTION/PROCEDURE`` statement: the
    ``AS`` string of its options, or ``None`` when there is none or the language is not
    ``plpgsql`` (the default for ``DO``)."""
    lang = "plpgsql"
    code = None
    items = stmt.body.get("args") if stmt.kind == "DoStmt" else stmt.body.get("options")
    for item in items or ():
        de = item.get("DefElem", {})
        arg = de.get("arg", {})
        if de.get("defname") == "language":
            lang = arg.get("String", {}).get("sval", lang)
        elif de.get("defname") == "as":
            if "String" in arg:
                code = arg["String"]["sval"]
            elif "List" in arg:
                parts = arg["List"].get("items", [])
                code = parts[0].get("String", {}).get("sval") if parts else None
    if code is None or lang.lower() != "plpgsql":
        return None
    return code


def _returns_value(body: dict) -> bool:
    """True when a ``CreateFunctionStmt`` body declares a return type other than ``void``
    (``RETURNS int``, ``RETURNS trigger``, ``RETURNS SETOF t``); False for procedures and
    functions with no ``RETURNS`` clause."""
    names = (body.get("returnType") or {}).get("names") or ()
    return bool(names) and names[-1].get("String", {}).get("sval") != "void"


def _execsql_queries(tree: Any) -> Iterator[str]:
    """Yield the query text of every ``PLpgSQL_stmt_execsql`` in a PL/pgSQL JSON tree, in
    body order (depth first). Only containers are visited, and not the inside of an
    ``execsql`` (its expression and INTO target hold no statement)."""
    stack = [tree] if type(tree) is dict or type(tree) is list else []
    pop, push = stack.pop, stack.extend
    while stack:
        node = pop()
        if type(node) is dict:
            ex = node.get("PLpgSQL_stmt_execsql")
            if ex is not None:
                q = ex.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query")
                if q:
                    yield q
                continue
            push([v for v in reversed(node.values()) if type(v) is dict or type(v) is list])
        else:  # a list: only containers are pushed
            push([v for v in reversed(node) if type(v) is dict or type(v) is list])


# --------------------------------------------------------------------------- reading files


@fast_init
@dataclass(frozen=True, slots=True)
class ReadResult:
    """What reading a file gave.

    ``text``: the decoded text (``None`` when nothing usable could be read);
    ``problem``: ``None``, ``"unreadable"``, ``"too-large"``, ``"binary"`` or
    ``"encoding"`` (the text was decoded with U+FFFD replacements); ``message`` says what
    happened; ``offset``: 0-based character offset of the first bad byte for
    ``"encoding"``/``"binary"`` problems.
    """

    text: str | None
    problem: str | None = None
    message: str = ""
    offset: int = 0


def _too_large(size: int, max_bytes: int) -> ReadResult:
    return ReadResult(None, "too-large", f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (max_file_size)")


def read_text(path: str, max_bytes: int) -> ReadResult:
    """Read a migration file as UTF-8 (a UTF-8 byte-order mark is dropped).

    Never raises for file problems: an unreadable, too large (over ``max_bytes`` bytes)
    or binary (NUL byte) file gives ``text=None``; invalid UTF-8 gives the text decoded
    with replacement characters and ``problem="encoding"``.
    """
    try:  # the size of the open file (one system call fewer than a stat of the path first)
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                return _too_large(size, max_bytes)
            data = fh.read()
    except OSError:  # as before: a file too large is said so even when it cannot be opened
        try:
            size = os.path.getsize(path)
            if size > max_bytes:
                return _too_large(size, max_bytes)
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            return ReadResult(None, "unreadable", f"cannot read file: {exc.strerror or exc}")
    if b"\0" in data:
        nul = data.index(b"\0")
        prefix = data[:nul].decode("utf-8", "replace")
        return ReadResult(None, "binary", f"binary content: NUL byte at byte offset {nul}", len(prefix))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return ReadResult(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "replace")
        offset = len(data[: exc.start].decode("utf-8", "replace"))
        return ReadResult(
            text,
            "encoding",
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start} ({exc.reason})",
            offset,
        )
