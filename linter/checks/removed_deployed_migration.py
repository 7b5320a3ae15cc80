"""A migration that is already deployed was deleted or renamed.

## Why is this bad?
Databases record applied migrations by version or name. Deleting one leaves databases
that ran it with schema nobody can rebuild from the repository; renaming one makes the
tool see a new migration and run it again (or, with checksums, refuse to start: Flyway's
"Detected applied migration not resolved locally"). Standard 000: "NEVER delete migration
history"; standard 002: "DON'T remove old migration files".

With `--base REF`: files present at the merge base of REF and HEAD that are deleted or
renamed in the working tree (renames git records, and deletions whose exact content
reappears as an untracked file). Without `--base`: entries of the `miglint hash` manifest
whose file is gone (renamed when the same text is at a new path). Up migrations only,
unless `include-down`.

## Example
```sql
-- base: db/migration/V1__create_users.sql
CREATE TABLE users (id bigint PRIMARY KEY);
-- base: db/migration/V2__add_email.sql
ALTER TABLE users ADD COLUMN email text;
-- deleted: db/migration/V2__add_email.sql
```

## Use instead
```sql
-- base: db/migration/V1__create_users.sql
CREATE TABLE users (id bigint PRIMARY KEY);
-- base: db/migration/V2__add_email.sql
ALTER TABLE users ADD COLUMN email text;
-- file: db/migration/V3__drop_email.sql
ALTER TABLE users DROP COLUMN email;
```

## Options
- `include-down` (bool, default `false`): also report deleted or renamed down migrations.

## References
- Standard 000, "Anti-patterns"; standard 002, "Best practices"
- Flyway, validate: https://documentation.red-gate.com/fd/validate-184127464.html
"""

from __future__ import annotations

from linter.migset import history as historymod

ID = "removed-deployed-migration"
FAMILY = "history"
SCOPE = "file-set"
DEFAULT_LEVEL = "error"
OPTIONS = {"include-down": bool}
DEFAULTS = {"include-down": False}
ALIASES = ()
NEEDS = ("history", "digest")


def check(ctx, options):
    history = ctx.history
    if history is None:
        return
    where = f"on {history.label}'s merge base" if history.kind == "git" else f"in {history.label}"
    for c, file in historymod.deployed_changes(ctx, options, ("deleted", "renamed")):
        if c.status == "renamed":
            yield ctx.violation(
                file,
                f"deployed migration {c.path} ({where}) was renamed to {c.new_path.rsplit('/', 1)[-1]}: "
                f"databases that ran it would run it again as a new migration",
                help="Restore the original name; make any further change in a new migration.",
            )
        else:
            yield ctx.violation(
                None,
                f"deployed migration {c.path} ({where}) was deleted",
                help="Restore the file: databases that ran it keep its changes. Undo them with a new migration instead.",
                path=c.path,
            )
