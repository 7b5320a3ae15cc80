"""The migration does not start with the header comment the team's template asks for.

## Why is this bad?
Standards 001 and 002 open every migration with a comment block naming the migration,
its version, author, date and rollback plan (002 adds breaking changes and dependencies).
Reviewers and on-call engineers read it before the SQL; a missing field is usually the
question nobody asked ("how do we roll this back?").

The header is the comment block at the top of the file (after a `-- migrate:up` or
`-- +goose Up` marker), `--` lines or a `/* */` block. A field is a line that starts
with its name and a colon, in any case: `-- Rollback: down/V2025.10.31.001__x.sql`,
`-- ROLLBACK:`. Up migrations only. The rule does nothing until `fields` names some:
the `flyway-dated` and `sequential-ranges` presets list their standards' fields.

## Example
```sql
-- add an index for the reporting queries
CREATE INDEX CONCURRENTLY transactions_user_idx ON transactions (user_id);
```

## Use instead
```sql
-- Migration: index transactions for reporting
-- Version: V2025.10.31.101
-- Author: payments team
-- Date: 2025-10-31
-- Rollback: down/V2025.10.31.101__index_transactions_for_reporting.sql
CREATE INDEX CONCURRENTLY transactions_user_idx ON transactions (user_id);
```

## Options
- `fields` (list, default `[]`): field names the header must hold (case-insensitive).

## References
- Standard 001, "Migration file structure" (standard template)
- Standard 002, "File header template"
"""

from __future__ import annotations

import re

from linter.model import Direction

ID = "missing-migration-header"
FAMILY = "naming"
SCOPE = "file"
DEFAULT_LEVEL = "disable"
OPTIONS = {"fields": list}
DEFAULTS = {"fields": []}
ALIASES = ()

_MARKER = re.compile(r"^--\s*(?:migrate:up\b|\+goose\s+(?:up|no\s+transaction)\b)", re.I)
_FIELD = re.compile(r"^[\s\-*/#]*([A-Za-z][A-Za-z /_-]*?)\s*:")


def header(text: str) -> list[str]:
    """The lines of the leading comment block (markers skipped)."""
    out: list[str] = []
    in_block = False
    for line in text.splitlines():
        s = line.strip()
        if in_block:
            out.append(s)
            if "*/" in s:
                in_block = False
            continue
        if not s or _MARKER.match(s):
            continue
        if s.startswith("--"):
            out.append(s)
        elif s.startswith("/*"):
            out.append(s)
            in_block = "*/" not in s[2:]
        else:
            break
    return out


def check(ctx, options):
    fields = [str(x).strip() for x in options["fields"] if str(x).strip()]
    if not fields or ctx.source is None or ctx.file.direction is not Direction.UP:
        return
    lines = header(ctx.source.text)
    present = set()
    for line in lines:
        m = _FIELD.match(line)
        if m:
            present.add(" ".join(m.group(1).lower().replace("_", " ").split()))
    missing = [x for x in fields if " ".join(x.lower().replace("_", " ").split()) not in present]
    if not missing:
        return
    if not lines:
        msg = f"the migration has no header comment (expected {', '.join(fields)})"
    else:
        msg = f"the header comment lacks {', '.join(missing)}"
    yield ctx.violation(ctx.span(0, 0), msg, help="Start the file with the team's header template: "
                        + " / ".join(f"-- {x}: ..." for x in fields[:4]) + (" ..." if len(fields) > 4 else ""),
                        context="header")

#: Options the docstring's Example and Use instead are checked with (tests/test_cases.py).
EXAMPLE_OPTIONS = {"fields": ["Migration", "Version", "Author", "Date", "Rollback"]}
