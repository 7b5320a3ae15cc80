"""Migrations in one root are named by more than one scheme.

## Why is this bad?
One root is one ordered sequence. When some files use sequence numbers and others
timestamps, or Flyway versions like `V100` sit beside dated `V2025.10.31.001`, or
`.up.sql` files sit beside plain `.sql` ones, the order is hard to predict and merge
conflicts on version numbers come back (standard 001, "Problem statement"). Tools that
key on the suffix may not even run some of them.

A root that *switched* schemes once (older files one way, every file since the switch the
new way) is fine: deployed files cannot be renamed. What is reported is a file named the
old way **after** the root adopted the scheme its newest migration uses, once per root
and scheme, on the latest such file, with a count. (Flyway's numbered `V100` and dated
`V2025.10.31.001` versions never interleave: numbers sort before dates. A standard that
requires dated versions says so with `invalid-migration-name`'s `scheme: flyway-dated`.)

## Example
```text
migrations/201806191904_create_logs.sql
migrations/202401010000_add_tags.up.sql
migrations/202402020000_add_colors.sql
```

## Use instead
```text
migrations/201806191904_create_logs.sql
migrations/202401010000_add_tags.sql
migrations/202402020000_add_colors.sql
```

## Options
None.

## References
- Standard 001, "Problem statement" and "Version format"
- Standard 000, "Migration numbering schemes": pick one of sequential, timestamp, hybrid
"""

from __future__ import annotations

from linter.migset import names
from linter.model import Convention

ID = "mixed-naming-schemes"
FAMILY = "naming"
SCOPE = "file-set"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
NEEDS = ()


def check(ctx, options):
    ups = [f for f in names.versioned_ups(ctx.files) if f.convention not in (Convention.SYNAPSE, Convention.UNKNOWN)]
    if len(ups) < 2:
        return
    schemes = [names.scheme(f) for f in ups]
    current = schemes[-1]
    start = schemes.index(current)
    deviant: dict[str, list] = {}
    for f, s in zip(ups[start:], schemes[start:]):
        if s != current:
            deviant.setdefault(s, []).append(f)
    for s, group in deviant.items():
        last = group[-1]
        others = ", ".join(f.path.rsplit("/", 1)[-1] for f in group[:-1][-3:])
        more = f" (also {others}{' and more' if len(group) > 4 else ''})" if others else ""
        n = len(group)
        yield ctx.violation(
            last,
            f"{n} migration{'s are' if n != 1 else ' is'} named {s}{more} among migrations named {current}, "
            f"the scheme this root uses since {ups[start].path.rsplit('/', 1)[-1]}",
            help=f"Name new migrations {current}; renaming deployed ones would make the tool see them as new.",
        )
