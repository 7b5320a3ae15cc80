"""The file could not be read as text: missing permissions, binary content, or too large.

## Why is this bad?
A migration tool that cannot read a file fails the deployment, and a linter that skips it
silently gives false confidence. miglint reports the file and goes on with the others.
Binary content (a NUL byte) usually means a file was committed by mistake or is stored with
Git LFS; a file over `max_file_size` bytes (default 5 MiB) is usually a data dump.

## Example
A `V3__seed.sql` that is a gzip archive, or a 200 MB `pg_dump` output in the migrations root.

## Use instead
Commit plain-text SQL; keep dumps out of migration roots (or list them under `exclude:`), or
raise `max_file_size`.

## Options
None (`max_file_size` is a top-level configuration key).

## References
- Flyway, "Migrations": https://documentation.red-gate.com/fd/migrations-184127470.html
"""

ID = "unreadable-file"
FAMILY = "syntax"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()


def check(ctx, options):
    read = ctx.read
    if read.problem not in ("unreadable", "too-large", "binary"):
        return
    yield ctx.violation(None, read.message, help="Make the file readable UTF-8 SQL text, or exclude it.", context=read.problem)
