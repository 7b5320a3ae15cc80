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

How an up file ends is not a scheme of its own when the file is marked as an up
(`.up.sql`, `_up.sql`): the version and name order it as before, and the root's runner
applies it (getfider/fider runs every `<timestamp>_*.sql`, so its two `.up.sql` and one
`_up.sql` files among plain `.sql` ones ran; harness/gitness ships `_up.sql` files with
their `_down.sql` among `.up.sql` pairs). A plain `.sql` file among `.up.sql` files is
still reported: tools that need the `.up.` marker (golang-migrate) never run it.

## Example
```text
migrations/0001_create_logs.up.sql
migrations/0002_add_tags.up.sql
migrations/0003_add_colors.sql
migrations/0004_add_owner.up.sql
```

## Use instead
```text
migrations/0001_create_logs.up.sql
migrations/0002_add_tags.up.sql
migrations/0003_add_colors.up.sql
migrations/0004_add_owner.up.sql
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
    cur_file = ups[-1]
    for f, s in zip(ups[start:], schemes[start:]):
        if s != current and not _only_up_marker(f, s, cur_file, current):
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


_UP_MARKERS = (".up.sql", "_up.sql")


def _only_up_marker(f, s: str, cur, current: str) -> bool:
    """True when ``f``'s scheme ``s`` differs from ``current`` only in that ``f`` ends in an
    up marker (``.up.sql``, ``_up.sql``) where the root's files end in another up marker or
    plain ``.sql``: the order is the same and the runner applies the file."""
    fs, cs = names.suffix(f), names.suffix(cur)
    if fs not in _UP_MARKERS or cs not in _UP_MARKERS + (".sql",):
        return False
    return s[: -len(fs)] == current[: -len(cs)]
