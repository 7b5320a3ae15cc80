"""The migration's file name does not follow its root's naming scheme.

## Why is this bad?
Migration tools find, order and pair migrations by their names alone. A file whose name
the tool does not recognise is silently never applied (Flyway needs `V<version>__`, with
two underscores; diesel only runs `<version>_<name>/up.sql`). A timestamp version that is
not a real date-time, or lies in the future, sorts in the wrong place and pushes every
later migration behind it. A sequence number wider or narrower than its neighbours
(`12_x.sql` among `0011_y.sql`) sorts wrongly wherever names are compared as text.

With the default `scheme: auto`, each file is held to its root's own convention:

- a `.sql` file that follows no convention, in a root whose other files do;
- a timestamp or dated version more than `future-tolerance-days` ahead of today (a
  mistyped year that would sort after every migration written until then);
- a zero-padded sequence number whose width differs from the root's usual width.

Pseudo-timestamps are left alone in `auto` mode: lemmy numbers a day's migrations
`2025-08-01-000001` to `-000068`, ory `20191100000001` (day 00); they order correctly.

A team standard can require one scheme everywhere (`scheme`):

- `flyway-dated` (standard 001): `V{YYYY.MM.DD.XXX}__{description}.sql`: a real calendar
  date, a three-digit sequence from 001 to 999, two underscores; down mirrors and `U`
  files alike; `R__` repeatable files are allowed;
- `timestamp` (standard 004, dbmate): `{YYYYMMDDHHMMSS}_{name}.sql`, a real date-time
  (diesel's all-zero `00000000000000_diesel_initial_setup` is accepted);
- `sequential` (standard 002): `{NNN}_{name}.sql` with `sequence-width` digits.

Each file gets at most one finding, for its first problem.

## Example
```text
db/migration/V2025.10.31.001__add_wallet_index.sql
db/migration/V2025.10.31.002_add_wallet_limits.sql
```

## Use instead
```text
db/migration/V2025.10.31.001__add_wallet_index.sql
db/migration/V2025.10.31.002__add_wallet_limits.sql
```

## Options
- `scheme` (str, default `auto`): `auto`, `flyway-dated`, `timestamp` or `sequential`.
- `sequence-width` (int, default `0`): digits of a sequence number; `0` takes the root's
  most common width (`sequential` then needs at least 3).
- `future-tolerance-days` (int, default `1`): how far ahead of today a timestamp version
  may be (clocks and time zones differ); `-1` turns the check off.

## References
- Flyway, versioned migrations: https://documentation.red-gate.com/fd/migrations-184127470.html
- golang-migrate, MIGRATIONS.md: https://github.com/golang-migrate/migrate/blob/master/MIGRATIONS.md
- dbmate, creating migrations: https://github.com/amacneil/dbmate#creating-migrations
- diesel, migrations: https://diesel.rs/guides/getting-started
- Standard 001, "Version Format"; standard 002, "Sequential Migration Numbering"
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter

from linter import lazyre
from linter.migset import names
from linter.model import Convention, Direction

ID = "invalid-migration-name"
FAMILY = "naming"
SCOPE = "file-set"
DEFAULT_LEVEL = "warning"
OPTIONS = {"scheme": str, "sequence-width": int, "future-tolerance-days": int}
DEFAULTS = {"scheme": "auto", "sequence-width": 0, "future-tolerance-days": 1}
ALIASES = ()
NEEDS = ()

SCHEMES = ("auto", "flyway-dated", "timestamp", "sequential")

_TOOL = {
    Convention.FLYWAY: ("Flyway", "V<version>__<description>.sql"),
    Convention.GOLANG_MIGRATE: ("golang-migrate", "<version>_<title>.up.sql and .down.sql"),
    Convention.DBMATE: ("dbmate", "<version>_<name>.sql"),
    Convention.GOOSE: ("goose", "<version>_<name>.sql"),
    Convention.DIESEL: ("diesel", "<version>_<name>/up.sql and down.sql"),
    Convention.PRISMA: ("Prisma", "<timestamp>_<name>/migration.sql"),
    Convention.UP_DOWN_DIRS: ("the migration runner", "up/<number>_<name>.sql and down/<number>_<name>.sql"),
    Convention.TIMESTAMP: ("the migration runner", "<timestamp>_<name>.sql"),
    Convention.SEQUENTIAL: ("the migration runner", "<number>_<name>.sql"),
}
_DATED = lazyre.compile(r"^\d{4}\.\d{2}\.\d{2}\.\d{3}$")
_TS14 = lazyre.compile(r"^\d{14}_\S+$")


def check(ctx, options):
    scheme = options["scheme"]
    if scheme not in SCHEMES:
        yield ctx.violation(None, f"option scheme: unknown scheme {scheme!r} (known: {', '.join(SCHEMES)})")
        return
    files = [f for f in ctx.files if f.direction is not Direction.SEED and f.convention is not Convention.SYNAPSE]
    known = [f for f in files if f.convention is not Convention.UNKNOWN]
    if not known:
        return
    problems: dict[str, tuple] = {}  # path -> (file, message, help): the first problem of each file

    def report(f, message, help=None):
        problems.setdefault(f.path, (f, message, help))

    main = Counter(f.convention for f in known).most_common(1)[0][0]
    tool, pattern = _TOOL.get(main, ("the migration runner", "its naming scheme"))
    for f in files:
        if f.convention is Convention.UNKNOWN and not f.dialect:
            report(f, f"{f.path.rsplit('/', 1)[-1]} follows no migration naming scheme: {tool} expects "
                      f"{pattern} and never runs this file",
                   "Rename it to the root's scheme, or move it out of the migration directory if it is not a migration.")
    if scheme == "flyway-dated":
        _flyway_dated(known, report)
    elif scheme == "timestamp":
        for f in known:
            if f.direction in (Direction.UP, Direction.DOWN) and not _TS14.match(names.stem(f)):
                report(f, f"{names.stem(f)} does not follow {{YYYYMMDDHHMMSS}}_{{name}}",
                       "Name migrations with a 14-digit timestamp and a description, as `dbmate new` does.")
    _width(known, options, scheme, report)
    today = _dt.datetime.now()
    tolerance = options["future-tolerance-days"]
    # versions that sort before yesterday cannot be in the future: skip them in auto mode
    horizon = f"{today - _dt.timedelta(days=1):%Y%m%d}"
    for f in known:
        if f.direction is not Direction.UP or not names.is_timestamp(f):
            continue
        if scheme == "auto" and f.convention is not Convention.FLYWAY and names.digits_of(f)[:8] < horizon:
            continue
        when, problem = names.moment(f)
        if problem and scheme != "auto":  # the standard asks for real dates; in auto mode
            # pseudo-dates are a root's own business (lemmy's 2025-08-01-000068 counter)
            report(f, f"version {f.version} is not a real date-time ({problem})",
                   "Use the date and time the migration was written, as the tool's `new` command does.")
        elif when is not None and tolerance >= 0 and when > today + _dt.timedelta(days=tolerance):
            report(f, f"version {f.version} is dated in the future ({when:%Y-%m-%d})",
                   "A version from the future sorts after every migration written until then; use today's date.")
    for f, message, help in problems.values():
        yield ctx.violation(f, message, help=help or "Rename the migration before it is deployed.")


def _width(known, options, scheme, report):
    seq = [f for f in known if f.direction is Direction.UP and f.version and f.version.isdigit()
           and not names.is_timestamp(f) and len(f.version_key) == 1]
    if not seq and scheme != "sequential":
        return
    padded = any(len(f.version) > 1 and f.version[0] == "0" for f in seq)
    width = options["sequence-width"]
    if not width:
        common = Counter(len(f.version) for f in seq).most_common(1)[0][0] if seq else 3
        if scheme == "sequential":
            width = max(3, common)
        elif padded:
            width = common
        else:
            return
    for f in seq:
        stem = names.stem(f)
        if len(f.version) != width:
            report(f, f"version {f.version} is {len(f.version)} digits wide; this root's sequence numbers "
                      f"have {width} ({int(f.version):0{width}d})",
                   "Keep sequence numbers one width, zero-padded, so that they sort the same as text and as numbers.")
        elif scheme == "sequential" and not re.match(rf"^\d{{{width}}}_\S", stem):
            report(f, f"{stem} does not follow {{{'N' * width}}}_{{descriptive_name}}",
                   "Separate the number from the description with one underscore.")
    if scheme == "sequential":
        in_seq = {f.path for f in seq}
        for f in known:
            if f.direction is Direction.UP and f.path not in in_seq and f.version:
                report(f, f"version {f.version} is not a {width}-digit sequence number",
                       f"Number migrations {'0' * (width - 1)}1, {'0' * (width - 1)}2, ... in the order they apply.")


def _flyway_dated(known, report):
    for f in known:
        if f.direction not in (Direction.UP, Direction.DOWN, Direction.BASELINE):
            continue
        name = f.path.rsplit("/", 1)[-1]
        if f.convention is not Convention.FLYWAY:
            report(f, f"{name} does not follow V{{YYYY.MM.DD.XXX}}__{{description}}.sql",
                   "Name versioned migrations V<year>.<month>.<day>.<sequence>__<description>.sql.")
            continue
        if f.version is None:  # R__ repeatable
            continue
        if not _DATED.match(f.version):
            report(f, f"version {f.version} is not V{{YYYY.MM.DD.XXX}} (a date and a 3-digit sequence, separated by dots)",
                   "Use today's date and the next free sequence number of the day: V2025.10.31.001.")
            continue
        when, problem = names.moment(f)
        if problem:
            report(f, f"version {f.version} is not a real calendar date ({problem})")
        elif f.version.endswith(".000"):
            report(f, f"version {f.version}: the day's sequence numbers run from 001 to 999")
