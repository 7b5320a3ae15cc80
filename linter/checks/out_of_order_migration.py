"""A new migration sorts before migrations already on the base branch.

## Why is this bad?
Databases that already ran the base branch's newest migration never run one that sorts
before it: golang-migrate and maragudk/migrate only apply versions above the current one,
Flyway refuses to migrate ("Detected resolved migration not applied to database") unless
`outOfOrder` is on, and tools that do apply it (dbmate, diesel) apply it in a different
order than on a fresh database. It happens when a branch is older than the base branch's
latest migration, and it is how two branches that each add migration 042 collide: once
the first is merged, the second's 042 is already taken.

"New" means added by the change. With `--base REF`, new migrations are compared with the
files on `REF` itself (not only its merge base, so a migration merged after this branch
started counts); without `--base`, with the ones in the `miglint hash` manifest. Nothing
is reported without either. Tools that apply out-of-order migrations on purpose can
lower this rule (the `dbmate` and `diesel` presets make it a warning).

## Example
```sql
-- base: migrations/0041_create_invoices.up.sql
CREATE TABLE invoices (id bigint PRIMARY KEY);
-- base-later: migrations/0042_add_invoice_recurring.up.sql
ALTER TABLE invoices ADD COLUMN recurring boolean;
-- file: migrations/0042_add_customer_enrichment.up.sql
ALTER TABLE invoices ADD COLUMN enriched_at timestamptz;
```

## Use instead
```sql
-- base: migrations/0041_create_invoices.up.sql
CREATE TABLE invoices (id bigint PRIMARY KEY);
-- base-later: migrations/0042_add_invoice_recurring.up.sql
ALTER TABLE invoices ADD COLUMN recurring boolean;
-- file: migrations/0043_add_customer_enrichment.up.sql
ALTER TABLE invoices ADD COLUMN enriched_at timestamptz;
```

## Options
None.

## References
- Flyway, outOfOrder: https://documentation.red-gate.com/fd/flyway-out-of-order-setting-277578979.html
- golang-migrate, "Migration ordering": https://github.com/golang-migrate/migrate/blob/master/MIGRATIONS.md
- Standard 001, "Conflict resolution": later migrations renumber to the next available
"""

from __future__ import annotations

from linter.migset import names
from linter.model import Convention

ID = "out-of-order-migration"
FAMILY = "versioning"
SCOPE = "file-set"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
NEEDS = ("history", "digest")


def _label(f) -> str:
    return names.stem(f) if f.convention in (Convention.DIESEL, Convention.PRISMA) else f.path.rsplit("/", 1)[-1]


def check(ctx, options):
    history = ctx.history
    if history is None:
        return
    ref = [g for g in history.reference(ctx.root) if g.convention is not Convention.SYNAPSE]
    if not ref:
        return
    try:
        top = max(ref, key=lambda g: g.version_key)
    except TypeError:
        return
    by_version = {}
    for g in ref:
        by_version.setdefault(g.version_key, g)
    here = {f.path for f in ctx.files}
    for f in names.versioned_ups(ctx.files):
        if f.convention is Convention.SYNAPSE or not history.is_new(f, ctx.summaries):
            continue
        try:
            behind = f.version_key <= top.version_key
        except TypeError:
            continue
        if not behind:
            continue
        taken = by_version.get(f.version_key)
        if taken is not None and taken.path in here:
            continue  # both files are in the tree: duplicate-migration-version reports it
        if taken is not None and taken.path != f.path:
            yield ctx.violation(
                f,
                f"version {f.version} is already taken by {_label(taken)} {history.where(taken.path)}",
                help=f"Renumber this migration after {top.version} ({_label(top)}), the newest {history.where(top.path)}.",
            )
        else:
            yield ctx.violation(
                f,
                f"new migration {f.version} sorts before {_label(top)} ({top.version}), already {history.where(top.path)}: "
                f"databases past {top.version} would skip it or refuse to migrate",
                help=f"Rebase and renumber it after {top.version}, the newest migration {history.where(top.path)}.",
            )
