"""A migration that is already deployed was modified.

## Why is this bad?
Databases that ran a migration never run it again: an edit reaches fresh databases only,
and production and staging drift apart from them without anyone noticing. Flyway,
Liquibase, sqlx and Atlas checksum applied migrations and refuse to start when one
changed, even by whitespace (a whitespace-only edit is reported too, and the message
says it was whitespace-only). Standard 000: "NEVER modify deployed migrations. Instead:
create new migration".

"Deployed" means on the base branch: with `--base REF`, present at the merge base of REF
and HEAD and modified since, committed or not. Without `--base`, miglint compares with the
`miglint hash` manifest (`.miglint.sum`) when there is one. Up migrations only, unless
`include-down`; repeatable (Flyway `R__`), baseline and seed files are meant to change.

## Example
```sql
-- base: db/migration/V1__create_users.sql
CREATE TABLE users (id bigint PRIMARY KEY);
-- file: db/migration/V1__create_users.sql
CREATE TABLE users (id bigint PRIMARY KEY, email text);
```

## Use instead
```sql
-- base: db/migration/V1__create_users.sql
CREATE TABLE users (id bigint PRIMARY KEY);
-- file: db/migration/V2__add_user_email.sql
ALTER TABLE users ADD COLUMN email text;
```

## Options
- `include-down` (bool, default `false`): also report edits of deployed down migrations.

## References
- Standard 000, "Anti-patterns" and "Best practices: immutable history"
- Flyway, validate and checksums: https://documentation.red-gate.com/fd/validate-184127464.html
"""

from __future__ import annotations

from linter.migset import history as historymod

ID = "modified-deployed-migration"
FAMILY = "history"
SCOPE = "file-set"
DEFAULT_LEVEL = "error"
OPTIONS = {"include-down": bool}
DEFAULTS = {"include-down": False}
ALIASES = ()
NEEDS = ("history", "digest")


def check(ctx, options):
    history = ctx.history
    for c, file in historymod.deployed_changes(ctx, options, ("modified",)):
        since = f"since {history.label}'s merge base" if history.kind == "git" else f"since {history.label} was written"
        ws = " (whitespace only, which still changes its checksum)" if c.whitespace_only else ""
        yield ctx.violation(
            file,
            f"deployed migration modified {since}{ws}",
            help="Revert the edit and make the change in a new migration; if the edit must stay (a fix for fresh "
                 "databases only), update the checksums the tool recorded and `miglint hash`.",
        )
