"""Migration names: stems, version shapes, timestamps, sequence numbers and ranges.

* :func:`stem`: the part of a migration's name that carries version and description: the
  directory name for diesel and Prisma, the file name without ``.up.sql``/``.down.sql``
  for golang-migrate, without ``.sql`` otherwise.
* :func:`moment`: the date (and time) a version encodes, for timestamp conventions and
  dated Flyway versions, or why it is not a real one.
* :func:`scheme`: a short pattern naming how a file is named (``<timestamp>_<name>.sql``,
  ``V<number>__<name>.sql``), to find roots that mix schemes.
* :func:`sequence`: the sequence number a range applies to (the last version part of
  ``V2025.10.31.101``, or the whole version of ``101_x.sql``).
* :func:`parse_ranges`: ``{"001-099": [...]}`` option values to ``[(lo, hi, value)]``.
"""

from __future__ import annotations

import datetime as _dt

from linter import lazyre
from linter.model import Convention, Direction, MigrationFile


def stem(f: MigrationFile) -> str:
    """The name that carries version and description (see the module doc)."""
    parts = f.path.rsplit("/", 2)
    name = parts[-1]
    if f.convention in (Convention.DIESEL, Convention.PRISMA) and len(parts) >= 2:
        return parts[-2]
    for suffix in (".up.sql", ".down.sql", ".sql.postgres", ".sql"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def suffix(f: MigrationFile) -> str:
    """How the file name ends after the stem (``.up.sql``, ``_up.sql``, ``.sql``, ``/up.sql``)."""
    name = f.path.rsplit("/", 1)[-1]
    if f.convention in (Convention.DIESEL, Convention.PRISMA):
        return "/" + name
    for s in (".up.sql", ".down.sql", "_up.sql", "_down.sql"):
        if name.endswith(s):
            return s
    return ".sql"


def digits_of(f: MigrationFile) -> str:
    """The version's digits (``2019-03-22-170700`` -> ``20190322170700``); '' if none."""
    v = f.version or ""
    if f.convention is Convention.DIESEL:
        groups = [g for g in v.split("-") if g]
        return "".join(groups[:4]) if groups and len(groups[0]) != 14 else (groups[0] if groups else "")
    return v if v.isdigit() else ""


def is_timestamp(f: MigrationFile) -> bool:
    """True when the version looks like a timestamp: 12+ digits, or a dated Flyway version."""
    if f.convention is Convention.FLYWAY:
        return _flyway_dated(f.version_key)
    d = digits_of(f)
    if is_hybrid(f):
        return True
    return len(d) >= 12


def is_hybrid(f: MigrationFile) -> bool:
    """Standard 000's hybrid numbering, ``2026_01_15_001_x.sql``."""
    return f.convention is not Convention.FLYWAY and len(f.version_key) == 4 and "_" in (f.version or "")


def _flyway_dated(key: tuple) -> bool:
    """``V2025.10.31.001``: a year, a month and more parts."""
    return len(key) >= 3 and all(isinstance(k, int) for k in key[:2]) and 1990 <= key[0] <= 2100 and 1 <= key[1] <= 12


def moment(f: MigrationFile) -> tuple[_dt.datetime | None, str | None]:
    """``(when, problem)``: the moment the version encodes and ``None``, or ``None`` and
    why it is not a real date-time (``"month 13"``); ``(None, None)`` when the version is
    not a timestamp at all (or is diesel's all-zero initial setup)."""
    if f.convention is Convention.FLYWAY:
        key = f.version_key
        if not (len(key) >= 3 and isinstance(key[0], int) and 1990 <= key[0] <= 2100):
            return None, None
        return _date(key[0], key[1], key[2] if len(key) > 2 else 1)
    if is_hybrid(f):
        y, m, d, _n = f.version_key
        return _date(y, m, d)
    d = digits_of(f)
    if len(d) < 12 or not d.strip("0"):
        return None, None
    d = d[:14]
    try:
        y, mo, dd, hh, mi = int(d[0:4]), int(d[4:6]), int(d[6:8]), int(d[8:10]), int(d[10:12])
        ss = int(d[12:14]) if len(d) >= 14 else 0
    except ValueError:
        return None, None
    when, problem = _date(y, mo, dd)
    if problem:
        return None, problem
    if hh > 23:
        return None, f"hour {hh:02d}"
    if mi > 59:
        return None, f"minute {mi:02d}"
    if ss > 59:
        return None, f"second {ss:02d}"
    return _dt.datetime(y, mo, dd, hh, mi, ss), None


def _date(y: int, m: int, d: int) -> tuple[_dt.datetime | None, str | None]:
    if not 1 <= m <= 12:
        return None, f"month {m:02d}"
    try:
        return _dt.datetime(y, m, d), None
    except ValueError:
        return None, f"day {d:02d} of {y:04d}-{m:02d}"


def scheme(f: MigrationFile) -> str:
    """A pattern naming how ``f`` is named: ``V<date>.<seq>__<name>.sql``,
    ``V<number>__<name>.sql``, ``<timestamp>_<name>.up.sql``, ``<number>-<name>.sql``,
    ``<YYYY-MM-DD-HHMMSS>_<name>/up.sql``."""
    if f.convention is Convention.FLYWAY:
        if f.version is None:
            return "R__<name>.sql"
        prefix = f.path.rsplit("/", 1)[-1][0]
        return f"{prefix}<date>.<seq>__<name>.sql" if _flyway_dated(f.version_key) else f"{prefix}<number>__<name>.sql"
    s = stem(f)
    v = f.version or ""
    if f.convention is Convention.DIESEL:
        shape = "<YYYY-MM-DD-HHMMSS>" if "-" in v else "<timestamp>" if len(v) >= 12 else "<number>"
    elif is_hybrid(f):
        shape = "<YYYY_MM_DD_NNN>"
    else:
        shape = "<timestamp>" if len(digits_of(f)) >= 12 else "<number>"
    prefix = "V" if s.startswith("V") else ""
    rest = s[len(prefix) + len(v):]
    sep = rest[:1] if rest and not rest[0].isalnum() else ""
    name = "<name>" if rest else ""
    return f"{prefix}{shape}{sep}{name}{suffix(f)}"


def sequence(f: MigrationFile, part: str) -> int | None:
    """The sequence number ranges apply to: ``part="last"``, the last version part
    (``V2025.10.31.101`` -> 101; only for versions of two or more parts); ``"whole"``, the
    whole version when it is one number (``101_x.sql`` -> 101)."""
    key = f.version_key
    if not key or not all(isinstance(k, int) for k in key):
        return None
    if part == "last":
        return key[-1] if len(key) >= 2 else None
    return key[0] if len(key) == 1 else None


_RANGE = lazyre.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def parse_ranges(spec: dict) -> list[tuple[int, int, object]]:
    """``{"001-099": v, "700": w}`` -> ``[(1, 99, v), (700, 700, w)]`` sorted; raises
    ``ValueError`` naming a key that is not ``N`` or ``N-M``."""
    out = []
    for k, v in spec.items():
        m = _RANGE.match(str(k))
        if not m:
            raise ValueError(f"range {k!r} is not N or N-M")
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        out.append((min(lo, hi), max(lo, hi), v))
    out.sort(key=lambda r: r[:2])
    return out


def find_range(ranges: list[tuple[int, int, object]], n: int) -> tuple[int, int, object] | None:
    """The first range holding ``n``."""
    for r in ranges:
        if r[0] <= n <= r[1]:
            return r
    return None


def fmt_range(lo: int, hi: int, width: int = 3) -> str:
    """``001-099``."""
    return f"{lo:0{width}d}-{hi:0{width}d}" if lo != hi else f"{lo:0{width}d}"


def versioned_ups(files: list[MigrationFile]) -> list[MigrationFile]:
    """The up migrations of a root that carry a version, in version order."""
    ups = [f for f in files if f.direction is Direction.UP and f.version is not None]
    try:
        ups.sort(key=lambda f: (f.version_key, f.path))
    except TypeError:
        ups.sort(key=lambda f: (tuple(str(k) for k in f.version_key), f.path))
    return ups
