"""Secrets in migration and seed files: what the four ``secrets`` rules share.

:func:`scan` looks at one file once (the result is kept on the file's context, so the four
rules share it) and returns :class:`Hit` objects, each naming the rule it belongs to:

1. **Self-identifying values, anywhere in the text** (string literals, comments, COPY
   data, function bodies, files that do not parse): provider keys via detect-secrets
   (:mod:`linter.sensitive.keys`), JWTs (decoded, not verified), connection strings with a
   password, password hashes in a known format (bcrypt, argon2, scrypt, PBKDF2, crypt,
   PostgreSQL MD5/SCRAM role hashes).
2. **Values judged by their name** (:mod:`linter.sensitive.sql` pairs each literal with
   its column, option or setting; :mod:`linter.sensitive.names` says if the name holds a
   password or a secret): a plain-text password, an unsalted hex digest in a password
   column, a random-looking token in a secret column.
3. **Comments** such as ``-- admin password: hunter2``.

Placeholders (:func:`linter.sensitive.values.is_placeholder`) are never hits. A hit carries
its value only so that rules can apply their ``allow`` option; rules never put it in a
message, and :func:`violation` builds messages from the kind, the place and a redacted
preview, and the fingerprint context from the place, the kind and a non-secret row key.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from linter.model import Direction
from linter.sensitive._lazy import lazy
from linter.sensitive import keys, names, values
from linter.sensitive.sql import Item, Walker, blank_copy_data, comments, copy_items

if TYPE_CHECKING:
    import pathspec

PLAINTEXT = "plaintext-password"
HASH = "password-hash-in-seed-data"
KEY = "secret-key-in-migration"
ENTROPY = "high-entropy-secret"


class Hit:
    """One secret found: ``rule`` (id), ``kind`` (``"AWS access key ID"``), ``start``/``end``
    (original character offsets), ``where`` (``"users.password"``, ``"a comment"``),
    ``preview`` (redacted), ``anchor`` (non-secret row key), ``value`` (the secret: for
    the ``allow`` option only, never shown), ``extra`` (e.g. ``(("role", "anon"),)``)."""

    __slots__ = ("rule", "kind", "start", "end", "where", "preview", "anchor", "value", "extra")

    def __init__(self, rule, kind, start, end, where, preview, anchor="", value="", extra=()) -> None:
        self.rule, self.kind, self.start, self.end, self.where = rule, kind, start, end, where
        self.preview, self.anchor, self.value, self.extra = preview, anchor, value, extra

    def __repr__(self) -> str:  # never the value
        return f"<Hit {self.rule} {self.kind} in {self.where} {self.start}:{self.end}>"


# --------------------------------------------------------------------------- environments

#: Seed files for development and test (rule option ``dev-seeds``; gitignore patterns
#: matched against the file's path): folders and files named dev, development, local,
#: test, tests, testing (also as a ``_dev``/``.test``/``dev_`` part of a file name).
DEV_SEEDS = [
    "dev/", "development/", "local/", "test/", "tests/", "testing/",
    "dev.sql", "development.sql", "local.sql", "test.sql", "testing.sql",
    "*[._-]dev.sql", "*[._-]development.sql", "*[._-]local.sql", "*[._-]test.sql", "*[._-]testing.sql",
    "dev[._-]*.sql", "development[._-]*.sql", "local[._-]*.sql", "test[._-]*.sql", "testing[._-]*.sql",
]


@lru_cache(maxsize=32)
def _spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    import pathspec  # only seed files need it

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def is_dev_seed(file, patterns) -> bool:
    """True for a seed file whose path matches the ``dev-seeds`` patterns."""
    return file.direction is Direction.SEED and bool(patterns) and _spec(tuple(patterns)).match_file(file.path)


def place(file, dev: bool = False) -> str:
    """``"a migration"``, ``"a seed file"``, ``"a production seed"`` or ``"a
    development/test seed"`` (``dev``: the path matched ``dev-seeds``), for messages."""
    if file.direction is not Direction.SEED:
        return "a migration"
    if dev:
        return "a development/test seed"
    if re.search(r"(^|[/._-])prod(uction)?([/._-]|$)", file.path, re.I):
        return "a production seed"
    return "a seed file"


# --------------------------------------------------------------------------- scanning


def scan(ctx) -> list[Hit]:
    """Every :class:`Hit` in the file of ``ctx`` (computed once per file)."""
    cached = getattr(ctx, "_miglint_secrets", None)
    if cached is None:
        cached = _scan(ctx)
        ctx._miglint_secrets = cached
    return cached


_COMMENT_SECRET = lazy(
    r"\b(password|passwd|pwd|passphrase|secret|api[ _-]?key|token|credentials?)\b(?:\s+(?:for|of)(?:\s+[\w@.-]+){1,4}?)?\s*(?::|=|->|\bis\b|\bwas\b)\s*[`'\"]?([^\s`'\",;()]{4,})",
    re.I,
)
#: Lower-case words that start a :data:`_COMMENT_SECRET` match.
_COMMENT_WORDS = ("pass", "secret", "token", "api")


def _scan(ctx) -> list[Hit]:
    if ctx.source is None:
        return []
    text = ctx.source.text
    low = text.lower()
    walker = Walker(text, ctx.source.statements if ctx.source.error is None else None)
    items = _items(ctx, text, low, walker)
    starts = [i.start for i in items]
    hits: list[Hit] = []
    covered: list[tuple[int, int]] = []
    comment_spans: list[tuple[int, int]] | None = None

    def owner(start: int, end: int) -> Item | None:
        i = bisect.bisect_right(starts, start) - 1
        while i >= 0 and items[i].start <= start:
            if items[i].end >= end:
                return items[i]
            i -= 1
        return None

    def in_comment(at: int) -> bool:
        nonlocal comment_spans
        if comment_spans is None:
            comment_spans = list(comments(text))
        return any(s <= at < e for s, e in comment_spans)

    def where_of(start: int, end: int) -> tuple[str, str]:
        it = owner(start, end)
        if it is not None:
            return it.where, it.anchor
        if in_comment(start):
            return "a comment", ""
        line_start = text.rfind("\n", 0, start) + 1
        var = _ASSIGNED.search(text, line_start, start)
        if var is not None:
            return f"PL/pgSQL variable {var.group(1)}", ""
        st = _statement_at(ctx, start)
        if st is None:
            return "the SQL text", ""
        for it in walker.items(st, gated=False):  # a key in a column whose name says nothing
            if it.start <= start and end <= it.end:
                return it.where, it.anchor
        return f"{_article(_KIND_NAMES.get(st.kind, st.kind.removesuffix('Stmt')))} statement", ""

    def add(rule, kind, start, end, value, preview, where=None, extra=()):
        place, anchor = where if where is not None else where_of(start, end)
        hits.append(Hit(rule, kind, start, end, place, preview, anchor, value, extra))
        covered.append((start, end))

    # 1. self-identifying values anywhere in the text
    for start, end, label, token in keys.find_keys(text):
        if not values.is_placeholder(token):
            add(KEY, label, start, end, token, values.preview(token, reveal_prefix=True))
    for start, end, token in values.find_jwts(text):
        decoded = values.decode_jwt(token)
        if decoded is None or _inside(covered, start):
            continue
        header, payload = decoded
        role = str(payload.get("role", ""))
        add(KEY, values.jwt_label(header, payload), start, end, token, values.preview(token, reveal_prefix=True), extra=(("role", role),))
    for start, end, label, password in values.connection_strings(text, low):
        if not values.is_placeholder(password) and not _inside(covered, start):
            add(KEY, label, start, end, password, f"password of {len(password)} chars")
    for rx in values.HASH_SCAN:
        for m in rx.finditer(text):
            token = m.group()
            if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "$_"):
                continue
            fmt = values.hash_format(token)
            if fmt is not None and not _inside(covered, m.start()):
                kind = fmt if "hash" in fmt or "verifier" in fmt else f"{fmt} password hash"
                add(HASH, kind, m.start(), m.end(), token, values.preview(token, reveal_prefix=True))

    for it in items:  # the formats not searched for in the whole text
        found = keys.find_in_value(it.value) if len(it.value) >= 20 else None
        if found is not None and not values.is_placeholder(found[1]):
            at = text.find(found[1], it.start, it.end)
            s, e = (at, at + len(found[1])) if at >= 0 else (it.start, it.end)
            if not _inside(covered, s):
                add(KEY, found[0], s, e, found[1], values.preview(found[1], reveal_prefix=True), (it.where, it.anchor))

    # 2. values judged by the name they are stored under
    for it in items:
        if it.name is None or _overlaps(covered, it.start, it.end):
            continue
        cls = names.classify(it.name)
        if cls is None and it.origin == "argument":
            cls = "secret"
        if cls is None or values.is_placeholder(it.value):
            continue
        where = (it.where, it.anchor)
        if cls == "password":
            fmt = values.hash_format(it.value, password_column=True)
            if fmt is not None:
                kind = fmt if any(w in fmt for w in ("hash", "verifier", "digest")) else f"{fmt} password hash"
                add(HASH, kind, it.start, it.end, it.value, values.preview(it.value, reveal_prefix="digest" not in fmt), where)
            elif not _not_a_password(it.value):
                add(PLAINTEXT, "plaintext password", it.start, it.end, it.value, values.preview(it.value, reveal_prefix=False), where)
            continue
        if values.looks_random(it.value, 12)[0]:
            add(ENTROPY, "high-entropy value", it.start, it.end, it.value, values.preview(it.value, reveal_prefix=False), where)

    # 3. comments that give a password or a key away ("-- admin password: hunter2")
    for m in _comment_matches(text, low):
        value, vs, ve = m.group(2), m.start(2), m.end(2)
        if _inside(covered, vs) or values.is_placeholder(value) or _not_a_password(value) or not in_comment(m.start()):
            continue
        if names.classify(m.group(1)) == "password" or m.group(1).lower() in ("pwd", "passphrase"):
            if not (value.isalpha() and value.islower()):  # "password is hashed", "password: required"
                add(PLAINTEXT, "plaintext password", vs, ve, value, values.preview(value, reveal_prefix=False), ("a comment", ""))
        elif values.looks_random(value, 16)[0]:
            add(ENTROPY, "high-entropy value", vs, ve, value, values.preview(value, reveal_prefix=False), ("a comment", ""))
    hits.sort(key=lambda h: (h.start, h.rule))
    return hits


def _comment_matches(text: str, low: str):
    """:data:`_COMMENT_SECRET` matches on lines holding ``--`` or inside ``/* */``.

    Substring searches first: the case-insensitive regex is slow over whole files."""
    if len(low) != len(text):  # some characters change length when lower-cased
        yield from _COMMENT_SECRET.finditer(text)
        return
    if "-" not in text and "/" not in text:  # no "--" or "/*": no comment (memchr searches)
        return
    blocks: list[tuple[int, int]] = []
    lines: set[int] = set()
    for word in _COMMENT_WORDS:
        i = low.find(word)
        while i >= 0:
            after = low[i : i + 40]
            if ":" in after or "=" in after or " is " in after:  # "password text," in DDL is not
                line_start = text.rfind("\n", 0, i) + 1
                if line_start not in lines and (text.find("--", line_start, i) >= 0 or _in_block(text, blocks, i)):
                    lines.add(line_start)
                    line_end = text.find("\n", i)
                    yield from _COMMENT_SECRET.finditer(text, line_start, line_end if line_end >= 0 else len(text))
            i = low.find(word, i + 1)


def _in_block(text: str, blocks: list, at: int) -> bool:
    """Is ``at`` inside a ``/* */`` comment? ``blocks`` caches their spans (filled on first use)."""
    if "/*" not in text:
        return False
    if not blocks:
        blocks.extend((m.start(), m.end()) for m in _BLOCK_COMMENT.finditer(text))
        blocks.append((len(text) + 1, len(text) + 1))
    i = bisect.bisect_right(blocks, (at, float("inf"))) - 1
    return i >= 0 and blocks[i][0] <= at < blocks[i][1]


#: ``name type := '`` / ``name := '`` just before a literal: a PL/pgSQL variable
_ASSIGNED = lazy(r"\b([A-Za-z_]\w*)(?:\s+(?:constant\s+)?[\w.]+(?:\s*\([\d, ]+\))?)?\s*(?::=|\bdefault\b)\s*[EeUu&]?'$", re.I)
_BLOCK_COMMENT = lazy(r"/\*.*?(?:\*/|\Z)", re.S)
_WORDISH = lazy(r"^[a-z]+(?:[ _-][a-z]+)*$")


def _not_a_password(value: str) -> bool:
    """Values in a password column that are not a password: SQL-ish expressions, booleans."""
    v = value.strip()
    return v.lower() in ("true", "false", "t", "f", "yes", "no", "on", "off") or v.startswith(("crypt(", "$$"))


def _inside(spans, at: int) -> bool:
    return any(s <= at < e for s, e in spans)


def _overlaps(spans, a: int, b: int) -> bool:
    return any(s < b and a < e for s, e in spans)


def _statement_at(ctx, offset: int):
    """The innermost parsed statement around ``offset`` (``None`` if none or no parse)."""
    src = ctx.source
    if src is None or src.error is not None:
        return None
    found = None
    for st in src.all_statements():
        if st.start <= offset <= st.end:
            found = st
    return found


def _article(word: str) -> str:
    return ("an " if word[:1].upper() in "AEIOU" else "a ") + word


_KIND_NAMES = {"CreateFunctionStmt": "CREATE FUNCTION", "DoStmt": "DO", "InsertStmt": "INSERT", "UpdateStmt": "UPDATE", "CreateStmt": "CREATE TABLE", "SelectStmt": "SELECT", "CommentStmt": "COMMENT"}


_BODY_WORDS = ("pass", "pwd", "secret", "token", "cred", "jwt", "private", "api")
#: statement kinds :class:`Walker` looks into (the others hold no string worth pairing)
_WALKED = frozenset(("InsertStmt", "UpdateStmt", "CreateRoleStmt", "AlterRoleStmt", "CreateUserMappingStmt",
                     "AlterUserMappingStmt", "CreateForeignServerStmt", "AlterForeignServerStmt", "AlterSystemStmt",
                     "VariableSetStmt", "AlterDatabaseSetStmt", "AlterRoleSetStmt", "SelectStmt", "CallStmt"))


def _data_statements(src, text: str, low: str, bodies: list | None = None) -> list:
    """Top-level statements, and those inside DO blocks and PL/pgSQL bodies when the body
    names something secret-like (parsing bodies costs; most hold no data). The spans of
    those bodies are appended to ``bodies``."""
    out = []
    same = len(low) == len(text)
    for st in src.statements:
        if st.kind in _WALKED:
            out.append(st)
        elif st.kind in ("DoStmt", "CreateFunctionStmt"):
            body = low if same else text[st.start : st.end].lower()
            a, b = (st.start, st.end) if same else (0, len(body))
            if any(body.find(w, a, b) >= 0 for w in _BODY_WORDS):
                out.extend(src.embedded(st))
                if bodies is not None:
                    bodies.append((st.start, st.end))
    return out


#: ``name type :=`` / ``name :=`` at the end of the text before a literal (PL/pgSQL)
_VAR_BEFORE = lazy(r"\b([A-Za-z_]\w*)(?:\s+(?:constant\s+)?[\w.]+(?:\s*\([\d, ]+\))?)?\s*$", re.I)
_LITERAL = lazy(r"'((?:[^']|'')*)'")


def _variables(text: str, start: int, end: int):
    """An :class:`Item` per PL/pgSQL variable set to a literal between ``start`` and
    ``end`` (``name text := 'value'``, ``name := 'value'``)."""
    i = text.find(":=", start, end)
    while i >= 0:
        lit = _LITERAL.match(text, i + 2 + len(text[i + 2 : i + 12]) - len(text[i + 2 : i + 12].lstrip()))
        if lit is not None:
            line_start = max(text.rfind("\n", start, i) + 1, start)
            m = _VAR_BEFORE.search(text, line_start, i)
            if m is not None and names.classify(m.group(1)):
                yield Item(lit.group(1).replace("''", "'"), lit.start(), lit.end(), m.group(1), f"PL/pgSQL variable {m.group(1)}", "", "variable")
        i = text.find(":=", i + 2, end)


def _items(ctx, text: str, low: str, walker: Walker) -> list[Item]:
    """Every :class:`Item` of the file, sorted by offset."""
    src = ctx.source
    out: list[Item] = []
    statements = []
    bodies: list[tuple[int, int]] = []
    copy = "stdin" in low
    if not copy and not _may_hold_literal(text, src):
        return out
    if src is not None and src.error is None:
        statements = _data_statements(src, text, low, bodies)
    elif src is not None and src.error is not None and copy:
        blanked = blank_copy_data(text)
        if blanked is not None:  # pg_dump-style seed: COPY … FROM stdin data does not parse as SQL
            from linter.source import Source

            again = Source(blanked, None, placeholders=ctx.config.placeholders, placeholder_syntax=ctx.config.placeholder_syntax)
            if again.error is None:
                again.text = text  # same offsets; names and locations read from the original
                statements = _data_statements(again, text, low)
    for st in statements:
        out.extend(walker.items(st))
    for s, e in bodies:
        out.extend(_variables(text, s, e))
    if copy:
        out.extend(copy_items(text))
    out.sort(key=lambda i: (i.start, -i.end))
    return out


def _may_hold_literal(text: str, src) -> bool:
    """False when no statement of the file can give an :class:`Item`: items are string
    constants written as ``'…'``, ``E'…'``, ``U&'…'``, ``$$…$$`` (:meth:`Walker.span`
    drops the others, such as the bare word of ``SET x = word``) or ``U&"…"``, and DO
    blocks and function bodies are such constants too, so a file without ``'``, ``$`` or
    ``&`` has none, unless placeholders were substituted into the parsed text. Three
    one-character searches (memchr); three files in four hold no ``'``."""
    if "'" in text or "$" in text or "&" in text:
        return True
    return src is not None and src.placeholders_replaced > 0


# --------------------------------------------------------------------------- rules

#: Options every secrets rule has (``OPTIONS``/``DEFAULTS`` of the rule modules).
COMMON_OPTIONS = {"dev-seeds": list, "check-dev-seeds": bool, "allow": list}
COMMON_DEFAULTS = {"dev-seeds": DEV_SEEDS, "check-dev-seeds": False, "allow": []}


def violations(ctx, rule_id: str, options: dict, help: str, keep=None):
    """The redacted violations of ``rule_id`` in ``ctx``'s file.

    Skips development/test seeds unless ``check-dev-seeds``; drops hits whose value fully
    matches an ``allow`` pattern or that ``keep(hit)`` rejects. The message names the kind,
    the place and a redacted preview; the fingerprint context is ``where:kind:row key``.
    """
    hits = scan(ctx)  # once per file, by the first secrets rule (dev seeds too: by default
    if not hits:  # secret-key-in-migration checks them); most files have no hit
        return
    dev = is_dev_seed(ctx.file, options.get("dev-seeds") or ())
    if dev and not options.get("check-dev-seeds"):
        return
    allow = tuple(str(a) for a in options.get("allow") or ())
    at = place(ctx.file, dev)
    for h in hits:
        if h.rule != rule_id or (keep is not None and not keep(h)):
            continue
        if allow and values.is_placeholder(h.value, allow):
            continue
        yield ctx.violation(
            ctx.span(h.start, h.end),
            f"{h.kind} in {h.where} ({h.preview}), in {at}",
            help=help,
            redacted=True,
            context=f"{h.where}:{h.kind}:{h.anchor}",
            kind=h.kind,
            place=h.where,
        )
