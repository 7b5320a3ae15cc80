"""An emergency-range migration lacks the EMERGENCY_ marker or its incident ticket.

## Why is this bad?
Standard 001 ("Emergency migration procedure") puts critical production fixes in the
700-799 sequence range, prefixes their description with `EMERGENCY_` and names the
incident ticket (`V2025.10.31.701__EMERGENCY_fix_transaction_reconciliation_INC12345.sql`),
so an expedited change is recognisable in every listing and traceable to its incident.
Reported: a file in the emergency range whose description lacks the prefix or a ticket
id, and a file marked `EMERGENCY_` outside the range.

Opt-in: the `flyway-dated` preset enables it.

## Example
```text
db/migration/V2025.10.31.701__fix_transaction_reconciliation.sql
```

## Use instead
```text
db/migration/V2025.10.31.701__EMERGENCY_fix_transaction_reconciliation_INC12345.sql
```

## Options
- `range` (str, default `700-799`): the emergency sequence numbers.
- `sequence` (str, default `last`): `last` version part or `whole` version (as in
  `sequence-out-of-range`).
- `prefix` (str, default `EMERGENCY_`): what the description must start with.
- `ticket-pattern` (str, default `INC\\d+`): a regular expression the description must
  contain; empty: no ticket needed.

## References
- Standard 001, "Emergency migration procedure"
"""

from __future__ import annotations

import re

from linter.migset import names
from linter.model import Direction

ID = "unmarked-emergency-migration"
FAMILY = "versioning"
SCOPE = "file-set"
DEFAULT_LEVEL = "disable"
OPTIONS = {"range": str, "sequence": str, "prefix": str, "ticket-pattern": str}
DEFAULTS = {"range": "700-799", "sequence": "last", "prefix": "EMERGENCY_", "ticket-pattern": r"INC\d+"}
ALIASES = ()
NEEDS = ()


def check(ctx, options):
    try:
        (lo, hi, _), = names.parse_ranges({options["range"]: None})
        ticket = re.compile(options["ticket-pattern"]) if options["ticket-pattern"] else None
    except (ValueError, re.error) as exc:
        yield ctx.violation(None, f"invalid option: {exc}")
        return
    prefix = options["prefix"]
    rng = names.fmt_range(lo, hi)
    for f in ctx.files:
        if f.direction is not Direction.UP:
            continue
        n = names.sequence(f, options["sequence"])
        if n is None:
            continue
        desc = f.description or ""
        marked = bool(prefix) and desc.startswith(prefix)
        if lo <= n <= hi:
            missing = []
            if prefix and not marked:
                missing.append(f"the {prefix} prefix")
            if ticket is not None and not ticket.search(desc):
                missing.append(f"an incident ticket ({options['ticket-pattern']})")
            if missing:
                yield ctx.violation(f, f"emergency-range migration {n:03d} lacks {' and '.join(missing)} in its description",
                                    help=f"Name it {prefix}<what_it_fixes>_<TICKET>, e.g. {prefix}fix_transaction_reconciliation_INC12345.")
        elif marked:
            yield ctx.violation(f, f"{prefix} migration numbered {n:03d}, outside the emergency range {rng}",
                                help=f"Number emergency fixes in {rng}, or drop the {prefix} prefix if this is not one.")
