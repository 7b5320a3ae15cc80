"""The file is not valid PostgreSQL: the parser rejected it.

## Why is this bad?
PostgreSQL will reject the migration at deploy time, usually after earlier statements of a
non-transactional migration have already run. miglint parses with libpg_query, which is
PostgreSQL's own grammar, so what fails here fails in the server too. The finding points at
the token the parser stopped at; the rest of the file is not checked by statement rules,
while the other files of the run are.

## Example
```sql
ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT;
```

## Use instead
```sql
ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';
```

## Options
None. Placeholders (`${name}`, `:name`) are substituted before parsing: set their values
with `placeholders:` in the configuration; unknown ones are replaced by same-length dummies
when the file does not parse otherwise.

## References
- PostgreSQL docs, "SQL Syntax": https://www.postgresql.org/docs/current/sql-syntax.html
- libpg_query: https://github.com/pganalyze/libpg_query
"""

import re
import unicodedata

from linter import lazyre

ID = "syntax-error"
FAMILY = "syntax"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("syntax",)


def check(ctx, options):
    source = ctx.source
    if source is None or source.error is None:
        return
    offset, message = source.error
    at_end = offset >= len(source.text)
    end = offset if at_end else max(source.token_end(offset), offset + 1)
    hidden = _invisible(source.text[offset:end])
    if hidden:
        message += f" (the text there holds {hidden}, which PostgreSQL does not read as white space)"
    help = "Fix the statement; if the text is a placeholder for a templating tool, declare it under `placeholders:`."
    missing = _missing_semicolon(source, offset, end)
    indented = _indented_dbmate_marker(ctx, offset)
    if indented:
        line, word = indented
        help = (f"`-- migrate:{word}` at line {line} is indented, so dbmate does not take it as a marker: it matches "
                f"markers only at the start of a line (`^--\\s*migrate:{word}` in pkg/dbmate/migration.go), and the "
                f"up runs on into what was meant as the {word} (dbmate 2.x refuses a file without a down marker). "
                f"Move the marker to the start of its line.")
    elif missing:
        help = f"Is a semicolon missing at the end of line {missing}? The statement before this one never ended."
    yield ctx.violation(ctx.span(offset, end), f"{message}: PostgreSQL's parser rejects this file", help=help, context=message)


#: A dbmate marker with white space before it: a comment to dbmate, whose ``upRegExp`` and
#: ``downRegExp`` (pkg/dbmate/migration.go, every release since 2019) anchor ``--`` at the
#: start of a line, as linter/source.py does.
_INDENTED_MARKER = lazyre.compile(r"^[ \t]+--\s*migrate:(up|down)\b", re.M | re.I)


def _indented_dbmate_marker(ctx, offset: int) -> tuple[int, str] | None:
    """``(line, "up"/"down")`` of an indented dbmate marker before ``offset`` in a dbmate
    file, else None."""
    from linter.model import Convention

    text = ctx.source.text
    if getattr(ctx.file, "convention", None) is not Convention.DBMATE or "migrate:" not in text:
        return None
    last = None
    for m in _INDENTED_MARKER.finditer(text, 0, offset):
        last = m
    if last is None:
        return None
    return ctx.source.index.position(last.start()).line, last.group(1).lower()


#: Keywords that begin a statement: an error on one of them, first on its line, after a
#: line that does not end in ";", is nearly always a missing semicolon.
_STARTERS = {
    "ALTER", "ANALYZE", "BEGIN", "CALL", "CLUSTER", "COMMENT", "COMMIT", "COPY", "CREATE", "DELETE",
    "DO", "DROP", "GRANT", "INSERT", "LOCK", "REFRESH", "REINDEX", "REVOKE", "SELECT", "SET",
    "TRUNCATE", "UPDATE", "VACUUM", "WITH",
}


def _missing_semicolon(source, offset: int, end: int) -> int | None:
    """The 1-based line that probably lacks its ";", or None."""
    if source.text[offset:end].upper() not in _STARTERS:
        return None
    pos = source.index.position(offset)
    if source.index.line_text(pos.line)[: pos.column - 1].strip():
        return None
    line = pos.line - 1
    while line >= 1:
        code = source.index.line_text(line).split("--", 1)[0].strip()
        if code:
            return None if code.endswith((";", "(", ",")) else line
        line -= 1
    return None


def _invisible(text: str) -> str:
    """Names of invisible or look-alike space characters in ``text`` ("U+00A0 NO-BREAK SPACE")."""
    seen = []
    for ch in text:
        if ch != " " and (unicodedata.category(ch) in ("Zs", "Cf", "Zl", "Zp") or ch == "\ufeff"):
            name = f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED')}"
            if name not in seen:
                seen.append(name)
    return ", ".join(seen)
