"""Two migrations in one root claim the same version.

## Why is this bad?
Tools key applied migrations by version. Flyway, golang-migrate, goose, diesel and sqlx
refuse to run a directory with a repeated version; dbmate records the first and then
silently skips the other as already applied. It is what happens when two branches each
add migration 042 and both are merged: the files' descriptions differ, so git sees no
conflict. Versions are compared the way the tool compares them: Flyway's `1.20.0` and
`1.20` are the same version; diesel's `2019-03-22-170700` and `20190322170700` too.

The finding is on the file that arrived second: with `--base` (or a checksum manifest)
the one the change adds, not the one already deployed, so a pull request gets it on its
own file; without a history, the later path. Up migrations are compared (an up and its
down share a version by design; so do a Flyway `B` baseline and the `V` file it
replaces). A root where three or more up migrations share
one version is taken to be run by a tool that orders by whole file name and has no
versions to collide (harness/gitness's `0001_create_table_a_principals.up.sql`,
`0001_create_table_b_spaces.up.sql`, ... under maragudk/migrate), and is not reported;
two files on one version is what a collision looks like.

Files the root's tool does not run by version are left out: a folder with a drizzle-kit
`meta/_journal.json` runs only the files the journal lists (drizzle-orm's
`readMigrationFiles`, drizzle-orm/src/migrator.ts), so a hand-written file it does not
list (midday-ai/midday's `0010_add_invoice_recurring.sql` beside
`0010_add_customer_enrichment.sql`) is applied some other way and its number keys
nothing.

## Example
```text
migrations/0042_add_invoice_recurring.up.sql
migrations/0042_add_customer_enrichment.up.sql
```

## Use instead
```text
migrations/0042_add_invoice_recurring.up.sql
migrations/0043_add_customer_enrichment.up.sql
```

## Options
None.

## References
- golang-migrate, MIGRATIONS.md ("versions must be unique"): https://github.com/golang-migrate/migrate/blob/master/MIGRATIONS.md
- Flyway, "Found more than one migration with version": https://documentation.red-gate.com/fd/migrations-184127470.html
- dbmate, schema_migrations: https://github.com/amacneil/dbmate#how-it-works
"""

from __future__ import annotations

import os
from collections import defaultdict

from linter.migset import names
from linter.model import Convention
from linter.pg.transactions import drizzle_journal

ID = "duplicate-migration-version"
FAMILY = "versioning"
SCOPE = "file-set"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
NEEDS = ("history",)  # which file the change adds (ctx.history), to report on it


def check(ctx, options):
    groups: dict[tuple, list] = defaultdict(list)
    for f in names.versioned_ups(ctx.files):
        if f.convention in (Convention.SYNAPSE, Convention.UNKNOWN, Convention.SEED):
            continue
        if _unlisted_drizzle(f):
            continue  # not run by drizzle's migrator: no version to collide
        groups[(f.convention is Convention.FLYWAY, f.version_key)].append(f)
    if any(len(g) >= 3 for g in groups.values()):
        return
    for group in groups.values():
        if len(group) < 2:
            continue
        # the finding goes on the file the change adds, never on one already deployed
        # (with --base or a manifest, ctx.history knows which are new; a pull request can
        # only comment on its own files); otherwise on the later path
        group.sort(key=lambda f: (_is_new(ctx, f), f.path))
        first = group[0]
        for f in group[1:]:
            same = "" if f.version == first.version else f" ({first.version} and {f.version} are the same version)"
            label = names.stem(first) if first.convention in (Convention.DIESEL, Convention.PRISMA) else first.path.rsplit("/", 1)[-1]
            yield ctx.violation(
                f,
                f"version {f.version} is also claimed by {label}{same}",
                help="Give this migration the next free version; the tool keys applied migrations by version, so one of the "
                     "two would be refused or skipped.",
            )


def _is_new(ctx, f) -> bool:
    """True when the run's history (``ctx.history``: git with ``--base``, else the
    checksum manifest) says ``f`` was added by the change; False without a history."""
    history = ctx.history
    return history is not None and history.is_new(f, ctx.summaries)


def _unlisted_drizzle(f) -> bool:
    """True when ``f``'s folder has a drizzle-kit journal that does not list ``f``."""
    folder, name = os.path.split(f.abspath)
    tags = drizzle_journal(folder)
    return tags is not None and os.path.splitext(name)[0] not in tags
