"""A down migration exists where the team's migrations are forward-only.

## Why is this bad?
Forward-only teams (standard 004: "Avoid down migrations in production"; Flyway
community; Prisma) undo a change with a new migration, because a down run in production
rarely restores what was lost and is rarely tested. A down section that does something
is a trap: someone will run `dbmate rollback` on production trusting it. Reported: a down
file or a `-- migrate:down` / `-- +goose Down` section holding SQL, at its first
statement. An empty down section (what `dbmate new` writes) is fine.

Opt-in: the `dbmate-forward-only` preset enables it.

## Example
```sql
-- migrate:up
CREATE TABLE users (id bigint PRIMARY KEY);
-- migrate:down
DROP TABLE users;
```

## Use instead
```sql
-- migrate:up
CREATE TABLE users (id bigint PRIMARY KEY);
-- migrate:down
```

## Options
None.

## References
- Standard 004, "Forward-only migrations (recommended)"
- dbmate, rollback: https://github.com/amacneil/dbmate#rolling-back-migrations
"""

from __future__ import annotations

from linter.model import Direction

ID = "unexpected-down-migration"
FAMILY = "rollback"
SCOPE = "file"
DEFAULT_LEVEL = "disable"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()


def check(ctx, options):
    source = ctx.source
    if source is None or source.error is not None:
        return
    first = next((s for s in source.statements if s.section is Direction.DOWN), None)
    if first is None:
        return
    what = "down migration" if ctx.file.direction is Direction.DOWN else "down section"
    yield ctx.violation(first, f"this {what} runs SQL, but migrations here are forward-only",
                        help="Undo changes with a new forward migration; leave the down section empty (or delete the down file).",
                        context="down")
