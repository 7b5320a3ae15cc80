"""The migration holds no SQL statement and no comment saying why.

## Why is this bad?
An empty up migration is recorded as applied without changing anything: usually the
content was lost in a merge or never written. A deliberate no-op (a version that only other
database engines need, data migrated in application code) should say so in a comment: a
comment-only file passes by default. For files with up and down sections (dbmate, goose),
the up section is what counts; empty *down* migrations are the `rollback` family's business.
An empty dialect-specific file (ory popx `X.postgres.up.sql`) is popx's explicit way to do
nothing on PostgreSQL, and passes too.

## Example
```sql
-- migrate:up

-- migrate:down
DROP TABLE users;
```

## Use instead
```sql
-- migrate:up
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
-- migrate:down
DROP TABLE users;
```

## Options
- `allow-comment-only` (bool, default `true`): a file holding only comments passes. The
  `strict` preset sets it to `false`.

## References
- dbmate, "Creating Migrations": https://github.com/amacneil/dbmate#creating-migrations
"""

from linter.model import Direction

ID = "empty-migration"
FAMILY = "syntax"
SCOPE = "file"
DEFAULT_LEVEL = "warning"
OPTIONS = {"allow-comment-only": bool}
DEFAULTS = {"allow-comment-only": True}
ALIASES = ()

_CHECKED = (Direction.UP, Direction.REPEATABLE, Direction.SEED, Direction.BASELINE)


def check(ctx, options):
    source = ctx.source
    if source is None or source.error is not None or ctx.file.direction not in _CHECKED or ctx.file.dialect:
        return
    if any(st.section is not Direction.DOWN for st in source.statements):
        return
    ups = [s for s in source.sections if s.direction is not Direction.DOWN]
    if options["allow-comment-only"] and any(_body(source.text, s).strip() for s in ups):
        return
    marked = bool(source.sections[0].marker_line)
    line = ups[0].marker_line if ups and marked else 1
    at = source.index.line_starts[line - 1]
    yield ctx.violation(
        ctx.span(at, at),
        f"{'the up section' if marked else 'the file'} holds no SQL statement",
        help="Write the migration; if it is a deliberate no-op, say why in a comment.",
        context="empty",
    )


def _body(text, section):
    """A section's text after its marker line (the whole text when it has no marker)."""
    body = text[section.start : section.end]
    return body.split("\n", 1)[1] if section.marker_line and "\n" in body else ("" if section.marker_line else body)
