"""The up migration has no down migration where the convention pairs them.

## Why is this bad?
A rollback is only as good as the down migration that exists when you need it: writing
it during an incident is too late. Layouts built around pairs make a missing half visible
and this rule reports it, per convention:

- golang-migrate: `0042_x.up.sql` without `0042_x.down.sql`;
- diesel: a migration directory without `down.sql`;
- `up/` + `down/` trees (standard 003): `up/001_x.sql` without a `down/001_*.sql`;
- dbmate, goose (when listed in `conventions`): no `-- migrate:down` / `-- +goose Down`
  section;
- Flyway (when `flyway` asks for it): no `down/` mirror of the same name (standard 001:
  "Every UP migration MUST have a corresponding DOWN migration") or no `U` undo file.

Ups older than the root's first migration that has a down are not reported: the project
started keeping downs then, and nobody writes downs for migrations that ran years ago
(harness/gitness keeps a down for every migration from 0013 on; 0000-0012 predate the
practice). A later up without a down is reported. A root with no down at all is
reported in full (a new project's first migration). Standards that make every down
mandatory turn this off (`since-first-down: false`; the `flyway-dated` and
`up-down-pairs` presets do).

Forward-only teams (standard 004, Flyway community, Prisma) turn this off; the
`dbmate-forward-only` preset reports down sections instead (`unexpected-down-migration`).

## Example
```sql
-- file: migrations/0042_add_invoice_index.up.sql
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
```

## Use instead
```sql
-- file: migrations/0042_add_invoice_index.up.sql
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
-- file: migrations/0042_add_invoice_index.down.sql
DROP INDEX invoices_customer_idx;
```

## Options
- `conventions` (list, default `[golang-migrate, diesel, up-down-dirs]`): conventions
  whose up migrations need a down: any of `golang-migrate`, `diesel`, `up-down-dirs`,
  `dbmate`, `goose`.
- `flyway` (str, default `none`): `none`; `down-directory`, a file of the same name in a
  `down/` directory beside the migrations (standard 001); or `undo`, a `U<version>__`
  file (Flyway Teams).
- `since-first-down` (bool, default `true`): ups older than the root's first migration
  with a down are not reported.

## References
- Standard 001, "Rollback migrations"; standard 003, "Migration file structure"
- golang-migrate, MIGRATIONS.md: https://github.com/golang-migrate/migrate/blob/master/MIGRATIONS.md
- Flyway undo migrations: https://documentation.red-gate.com/fd/migrations-184127470.html
"""

from __future__ import annotations

from linter.migset import pairs as pairsmod
from linter.model import Convention

ID = "missing-down-migration"
FAMILY = "rollback"
SCOPE = "file-set"
DEFAULT_LEVEL = "warning"
OPTIONS = {"conventions": list, "flyway": str, "since-first-down": bool}
DEFAULTS = {"conventions": ["golang-migrate", "diesel", "up-down-dirs"], "flyway": "none", "since-first-down": True}
ALIASES = ()
NEEDS = ("sections",)

_FLYWAY_MODES = ("none", "down-directory", "undo")


def check(ctx, options):
    wanted = {str(c) for c in options["conventions"]}
    mode = options["flyway"]
    if mode not in _FLYWAY_MODES:
        yield ctx.violation(None, f"option flyway: unknown mode {mode!r} (known: {', '.join(_FLYWAY_MODES)})")
        return
    if mode != "none":
        wanted.add("flyway")
    pairs = pairsmod.root_pairs(ctx)  # in version order (ctx.files is sorted)
    first = None
    if options["since-first-down"]:
        first = next((i for i, p in enumerate(pairs) if p.down is not None and p.up.version is not None), None)
    for i, pair in enumerate(pairs):
        f = pair.up
        if pair.down is not None or f.convention.value not in wanted or f.version is None:
            continue
        if first is not None and i < first and f.version_key != pairs[first].up.version_key:
            continue  # older than the root's first down: written before the project kept downs
        if f.convention in pairsmod.SECTIONED and "sections" not in ctx.summaries.get(f.path, {}):
            continue  # did not parse: no sections known
        name = f.path.rsplit("/", 1)[-1]
        if f.convention is Convention.FLYWAY:
            root = "" if ctx.root == "." else ctx.root + "/"
            where = f"{root}down/{name}" if mode == "down-directory" else f"U{f.version}__{f.description or ''}.sql"
            msg = f"no down migration ({where}) for {name}"
        elif f.convention is Convention.GOLANG_MIGRATE:
            msg = f"no {name.replace('.up.sql', '.down.sql').replace('_up.sql', '_down.sql')} for {name}"
        else:
            msg = f"no down migration ({pairsmod.DOWN_NAMES.get(f.convention, 'down')}) for this up migration"
        yield ctx.violation(f, msg, help="Write the down migration now, while the up is fresh in mind; make it undo the up "
                                         "in reverse order, or say in a comment why it cannot.")
