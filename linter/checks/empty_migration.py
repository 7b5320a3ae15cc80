"""The migration holds no SQL statement and no comment saying why.

## Why is this bad?
An empty up migration is recorded as applied without changing anything: usually the
content was lost in a merge or never written. A deliberate no-op (a version that only other
database engines need, data migrated in application code) should say so in a comment: a
comment-only file passes by default. For files with up and down sections (dbmate, goose),
the up section is what counts; empty *down* migrations are the `rollback` family's business.
Placeholders a tool needs pass too, with or without a comment:

- an empty dialect-specific file (ory popx `X.postgres.up.sql`), popx's explicit way to do
  nothing on PostgreSQL;
- an empty generic popx file (`20240213095000000000_x.up.sql` next to the
  `X.cockroach.up.sql` that holds the change): popx runs every migration of a version for
  each dialect and skips empty ones by design ("ignoring migration because content is
  empty. This is ok!", ory/x `popx/migration_box.go`), so ory's generator leaves the
  dialects a change does not concern blank;
- a file whose name says it is for another engine (authelia's
  `postgres/V0021.MySQLCachedValueType.up.sql`): kept so that every engine's set has
  each version.

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

from linter.migset import blank
from linter.model import Convention, Direction

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
    if _placeholder(ctx.file):
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


def _placeholder(file) -> bool:
    """A file the tool needs although it does nothing on PostgreSQL: a generic popx file
    (golang-migrate layout with a 20-digit popx version) or a name that says it is for
    another engine (:func:`linter.migset.blank.names_other_engine`)."""
    v = file.version or ""
    if file.convention is Convention.GOLANG_MIGRATE and len(v) == 20 and v.isdigit():
        return True
    return blank.names_other_engine(file.description)
