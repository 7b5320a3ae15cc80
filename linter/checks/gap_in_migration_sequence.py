"""Sequence numbers skip values where the standard says "no gaps".

## Why is this bad?
Standard 002 ("Sequential migration numbering") applies migrations in numerical order
with no gaps: a missing number is a migration that was deleted, renumbered, or is still
on someone's branch, and any of those means databases disagree about what version 7 is.
Only plain sequence numbers are checked (timestamps and dated versions have gaps by
nature). With per-domain number ranges (002: 001-099 core, 100-199 auth, ...), set
`block-size: 100`: numbers are then compared only with numbers of the same block, so
starting the auth block at 100 after core's 012 is not a gap.

Opt-in: the `sequential-ranges` preset enables it.

## Example
```text
migrations/001_initial_schema.sql
migrations/002_extended_schema.sql
migrations/004_rls_policies.sql
```

## Use instead
```text
migrations/001_initial_schema.sql
migrations/002_extended_schema.sql
migrations/003_rls_policies.sql
```

## Options
- `max-gap` (int, default `1`): the largest allowed step between consecutive numbers.
- `block-size` (int, default `0`): size of the number blocks numbered independently
  (`100` for 001-099, 100-199, ...); `0`: one sequence.

## References
- Standard 002, "Versioning principles" and "Version numbering convention"
"""

from __future__ import annotations

from linter.migset import names

ID = "gap-in-migration-sequence"
FAMILY = "versioning"
SCOPE = "file-set"
DEFAULT_LEVEL = "disable"
OPTIONS = {"max-gap": int, "block-size": int}
DEFAULTS = {"max-gap": 1, "block-size": 0}
ALIASES = ()
NEEDS = ()


def check(ctx, options):
    seq = [f for f in names.versioned_ups(ctx.files)
           if len(f.version_key) == 1 and isinstance(f.version_key[0], int) and not names.is_timestamp(f)]
    step = max(1, options["max-gap"])
    block = options["block-size"]
    prev = None
    for f in seq:
        n = f.version_key[0]
        if prev is not None and n != prev.version_key[0]:
            p = prev.version_key[0]
            if (not block or p // block == n // block) and n - p > step:
                width = len(f.version or "")
                lo, hi = p + 1, n - 1
                missing = f"{lo:0{width}d}" if lo == hi else f"{lo:0{width}d}-{hi:0{width}d}"
                yield ctx.violation(
                    f,
                    f"version{'s' if lo != hi else ''} {missing} {'are' if lo != hi else 'is'} missing between "
                    f"{prev.path.rsplit('/', 1)[-1]} and {f.path.rsplit('/', 1)[-1]}",
                    help="Number migrations consecutively; if a migration was removed, find out whether databases ran it.",
                )
        prev = f
