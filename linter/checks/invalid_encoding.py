"""The file is not valid UTF-8.

## Why is this bad?
PostgreSQL clients send the file in the client encoding; Flyway, dbmate and golang-migrate
read files as UTF-8. A Latin-1 `é` becomes an invalid byte sequence and the migration
fails, or worse, stores mojibake. miglint reports the first invalid byte and lints the rest
of the file with the bad bytes replaced by U+FFFD.

## Example
A file saved as Windows-1252 containing `INSERT INTO city VALUES ('Malmö');`.

## Use instead
Save the file as UTF-8 (without changing its meaning).

## Options
None.

## References
- PostgreSQL docs, "Character Set Support": https://www.postgresql.org/docs/current/multibyte.html
"""

ID = "invalid-encoding"
FAMILY = "syntax"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()


def check(ctx, options):
    read = ctx.read
    if read.problem != "encoding" or ctx.source is None:
        return
    yield ctx.violation(
        ctx.span(read.offset, read.offset + 1),
        read.message,
        help="Re-save the file as UTF-8.",
        context="encoding",
    )
