"""``miglint new``: create the next migration file of a root, in the root's own convention.

The convention and the last version come from the root's existing files
(:func:`linter.discovery.discover`); the next version keeps that convention's form (same
width, separator, number of parts). An empty root uses the convention the preset implies,
else ``YYYYMMDDHHMMSS_desc.sql``. The content is rendered from a jinja2 template: the
``new_template`` setting if given, else ``linter/templates/new_migration.sql.j2``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jinja2

from linter.model import Convention, Direction, MigrationFile

__all__ = ["NewFileError", "create", "normalise_description", "CONVENTIONS"]

TEMPLATE = Path(__file__).resolve().parent / "templates" / "new_migration.sql.j2"

#: ``--convention`` values: the discovery conventions that can be created, plus
#: ``flyway-dated`` (standard 001, ``V{YYYY.MM.DD}.{NNN}__desc.sql`` with a ``down/`` mirror).
CONVENTIONS = ("flyway", "flyway-dated", "golang-migrate", "dbmate", "goose", "diesel", "prisma",
               "up-down-dirs", "timestamp", "sequential")

#: The convention a packaged preset implies for an empty root.
_PRESET_CONVENTION = {
    "flyway": "flyway", "flyway-dated": "flyway-dated", "golang-migrate": "golang-migrate",
    "dbmate": "dbmate", "dbmate-forward-only": "dbmate", "diesel": "diesel",
    "up-down-pairs": "up-down-dirs", "sequential-ranges": "sequential",
}

_DESC_OK = re.compile(r"^[A-Za-z0-9 _-]+$")
_TS_FORMAT = "%Y%m%d%H%M%S"
_FLYWAY_NAME = re.compile(r"^(?P<p>[VUB])(?P<ver>\d+(?:[._]\d+)*)__(?P<desc>.*?)(?P<dia>__[A-Z][A-Z0-9_]*?)?\.sql$")
_GOLANG_NAME = re.compile(r"^(?P<p>V?)(?P<ver>\d+)(?P<sep>[_.])")
_PLAIN_NAME = re.compile(r"^(?P<ver>\d+)(?P<sep>[_-])?")
_DIESEL_VER = re.compile(r"^\d{4}-\d\d-\d\d-\d{6}(?P<suffix>-\d+)?$")

_BODIES = {
    "dbmate": {"up": "-- migrate:up\n\n\n-- migrate:down\n"},
    "goose": {"up": "-- +goose Up\n\n\n-- +goose Down\n"},
}


class NewFileError(Exception):
    """The file cannot be created (bad description, existing file, unknown convention)."""


def normalise_description(text: str) -> str:
    """``"Add wallet-Index"`` -> ``"add_wallet_index"``; raises :class:`NewFileError` for
    characters other than letters, digits, spaces, ``_`` and ``-``, or an empty result."""
    if not _DESC_OK.match(text or ""):
        raise NewFileError(f"invalid description {text!r}: use letters, digits, spaces, '_' and '-' only")
    words = [w for w in re.split(r"[\s_-]+", text.lower()) if w]
    if not words:
        raise NewFileError(f"invalid description {text!r}: it has no letters or digits")
    return "_".join(words)


def create(root, description: str, *, convention: str | None = None, now: datetime | None = None,
           config=None, dry_run: bool = False) -> list[Path]:
    """Create the next migration file(s) of ``root`` and return their paths (up first).

    * ``root``: the migration root directory (created if missing, unless ``dry_run``).
    * ``description``: words normalised to ``lower_case_with_underscores``.
    * ``convention``: force one of :data:`CONVENTIONS`; default: the convention most of
      the root's versioned files follow, else the one the preset implies (from
      ``config.sources``), else ``timestamp``.
    * ``now``: the creation time (default: now, UTC; a naive datetime is taken as UTC).
    * ``config``: a :class:`linter.config.Config`; its ``new_template`` (a path relative to
      the working directory) replaces the packaged template.
    * ``dry_run``: compute and return the paths, write nothing.

    Conventions that pair downs (golang-migrate, diesel, up/down trees, Flyway with a
    ``down/`` mirror) also get the matching down file. Raises :class:`NewFileError` for a
    bad description, an unsupported convention or a file that already exists.
    """
    from linter.discovery import discover

    desc = normalise_description(description)
    now = now or datetime.now(timezone.utc)
    now = now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)
    root = Path(root)
    files: list[MigrationFile] = []
    if root.is_dir():
        found = discover([str(root)], base_dir=os.getcwd())
        files = [f for f in found.files if f.version is not None and f.direction in (Direction.UP, Direction.DOWN)
                 and f.convention not in (Convention.SEED, Convention.UNKNOWN)]
    elif root.exists():
        raise NewFileError(f"{root}: not a directory")

    conv = convention or _detect(files) or _preset_convention(config) or "timestamp"
    if conv not in CONVENTIONS:
        raise NewFileError(f"cannot create {conv!r} migrations (supported: {', '.join(CONVENTIONS)})")
    base_conv = "flyway" if conv == "flyway-dated" else conv
    same = [f for f in files if f.convention.value == base_conv]
    ups = sorted((f for f in same if f.direction is Direction.UP), key=lambda f: (f.version_key, f.path))
    downs = [f for f in same if f.direction is Direction.DOWN]
    last = ups[-1] if ups else None
    if conv == "flyway" and last is not None and _is_dated(last.version):
        conv = "flyway-dated"

    plan = _plan(conv, root, desc, last, ups, downs, now, config)  # [(path, direction, version)]
    existing = [p for p, _, _ in plan if p.exists() or (p.parent != root and p.parent.exists() and conv in ("diesel", "prisma"))]
    if existing:
        raise NewFileError(f"{existing[0]}: already exists; not overwriting")
    if dry_run:
        return [p for p, _, _ in plan]

    template = _template(config)
    author = _git_author(root)
    up_name = plan[0][0].name if conv not in ("diesel", "prisma") else plan[0][0].parent.name
    down_path = next((p for p, d, _ in plan if d == "down"), None)
    required = _required_fields(config)
    for path, direction, version in plan:
        name = path.parent.name if conv in ("diesel", "prisma") else path.name
        body = _BODIES.get(conv, {}).get(direction, "")
        date = now.strftime("%Y-%m-%d")
        extra = _extra_fields(required, date=date, author=author, root=root, down=down_path, conv=conv)
        text = template.render(version=version, description=desc, name=name, convention=conv,
                               date=date, author=author, direction=direction,
                               up_name=up_name, body=body,
                               extra_fields=[x for x in extra if direction == "up" or x[0].lower() != "rollback"])
        for marker in body.splitlines()[:1]:
            if marker and marker not in text:  # a custom template without the tool's sections
                text = text.rstrip("\n") + "\n\n" + body
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="utf-8", newline="\n") as fh:
                fh.write(text.rstrip("\n") + "\n")
        except FileExistsError:
            raise NewFileError(f"{path}: already exists; not overwriting") from None
    return [p for p, _, _ in plan]


# --------------------------------------------------------------------------- helpers


def _detect(files: list[MigrationFile]) -> str | None:
    counts = Counter(f.convention.value for f in files if f.direction is Direction.UP)
    return counts.most_common(1)[0][0] if counts else None


def _preset_convention(config) -> str | None:
    for src in reversed(getattr(config, "sources", None) or []):
        stem = Path(str(src)).stem
        if stem in _PRESET_CONVENTION:
            return _PRESET_CONVENTION[stem]
    return None


def _is_dated(version: str | None) -> bool:
    parts = re.split(r"[._]", version or "")
    return len(parts) == 4 and len(parts[0]) == 4 and parts[0][:2] in ("19", "20") and len(parts[1]) == 2 and len(parts[2]) == 2


def _looks_timestamp(version: str) -> bool:
    if len(version) < 12 or version[:2] not in ("19", "20"):
        return False
    try:
        datetime.strptime(version[:8], "%Y%m%d")
    except ValueError:
        return False
    return True


def _next_int(last: str | None, now: datetime, *, timestamp_default: bool, width_default: int = 3) -> str:
    """Next integer version text: a UTC timestamp of the same width when the last one is a
    timestamp, else last + 1 keeping the zero-padded width."""
    if last is None:
        return now.strftime(_TS_FORMAT) if timestamp_default else str(1).zfill(width_default)
    if _looks_timestamp(last):
        width = len(last)
        ts = now.strftime(_TS_FORMAT)
        cand = ts[:width] if width <= 14 else ts + "0" * (width - 14)
        if int(cand) > int(last):
            return cand
    return str(int(last) + 1).zfill(len(last))


def _plan(conv: str, root: Path, desc: str, last: MigrationFile | None, ups: list[MigrationFile],
          downs: list[MigrationFile], now: datetime, config) -> list[tuple[Path, str, str]]:
    here = Path(last.abspath).parent if last else root
    lname = Path(last.abspath).name if last else ""

    if conv in ("flyway", "flyway-dated"):
        m = _FLYWAY_NAME.match(lname) if last else None
        dia = (m.group("dia") or "") if m else ""
        if conv == "flyway-dated":
            day = now.strftime("%Y.%m.%d")
            seqs = [f.version_key[3] for f in ups if _is_dated(f.version) and f.version_key[:3] == tuple(int(x) for x in day.split("."))]
            version = f"{day}.{max(seqs, default=0) + 1:03d}"
        elif m:
            parts = re.split(r"([._])", m.group("ver"))
            parts[-1] = str(int(parts[-1]) + 1).zfill(len(parts[-1]))
            version = "".join(parts)
        else:
            version = "1"
        name = f"V{version}__{desc}{dia}.sql"
        plan = [(here / name, "up", version)]
        if downs:
            plan.append((Path(downs[-1].abspath).parent / name, "down", version))
        elif conv == "flyway-dated" and last is None:  # standard 001: mandatory down/ mirror
            plan.append((here / "down" / name, "down", version))
        return plan

    if conv == "golang-migrate":
        m = _GOLANG_NAME.match(lname) if last else None
        prefix, sep = (m.group("p"), m.group("sep")) if m else ("", "_")
        version = _next_int(last.version if last else None, now, timestamp_default=True)
        stem = f"{prefix}{version}{sep}{desc}"
        return [(here / f"{stem}.up.sql", "up", version), (here / f"{stem}.down.sql", "down", version)]

    if conv in ("dbmate", "timestamp", "goose", "sequential"):
        m = _PLAIN_NAME.match(lname) if last else None
        sep = (m.group("sep") or "_") if m else "_"
        version = _next_int(last.version if last else None, now,
                            timestamp_default=conv in ("dbmate", "timestamp", "goose"))
        return [(here / f"{version}{sep}{desc}.sql", "up", version)]

    if conv == "up-down-dirs":
        top = Path(last.abspath).parent.parent if last else root
        m = _PLAIN_NAME.match(lname) if last else None
        sep = (m.group("sep") or "_") if m else "_"
        version = _next_int(last.version if last else None, now, timestamp_default=False)
        name = f"{version}{sep}{desc}.sql"
        return [(top / "up" / name, "up", version), (top / "down" / name, "down", version)]

    if conv == "diesel":
        top = Path(last.abspath).parent.parent if last else root
        m = _DIESEL_VER.match(last.version or "") if last else None
        suffix = (m.group("suffix") or "") if m else ""
        t = now
        while True:
            version = t.strftime("%Y-%m-%d-%H%M%S") + suffix
            if last is None or version.replace("-", "") > (last.version or "").replace("-", ""):
                break
            t += timedelta(seconds=1)
        d = top / f"{version}_{desc}"
        return [(d / "up.sql", "up", version), (d / "down.sql", "down", version)]

    if conv == "prisma":
        top = Path(last.abspath).parent.parent if last else root
        version = _next_int(last.version if last else None, now, timestamp_default=True)
        return [(top / f"{version}_{desc}" / "migration.sql", "up", version)]

    raise NewFileError(f"cannot create {conv!r} migrations")


#: Header fields the packaged template always writes.
_WRITTEN = {"migration", "version", "description", "created"}


def _required_fields(config) -> list[str]:
    """Header fields the ``missing-migration-header`` rule requires (when enabled)."""
    levels = getattr(config, "levels", None) or {}
    if levels.get("missing-migration-header", "disable") == "disable":
        return []
    opts = (getattr(config, "options", None) or {}).get("missing-migration-header") or {}
    return [str(x).strip() for x in opts.get("fields") or [] if str(x).strip()]


def _extra_fields(required: list[str], *, date: str, author: str, root: Path, down: Path | None,
                  conv: str) -> list[tuple[str, str]]:
    """``(field, value)`` for the required header fields the template does not write
    itself (``extra_fields`` in the template), so that a new file passes the header rule."""
    out = []
    for field in required:
        key = " ".join(field.lower().replace("_", " ").split())
        if key in _WRITTEN or (key == "author" and author):
            continue
        if key == "date":
            value = date
        elif key == "author":
            value = "TODO"
        elif key == "rollback":
            value = (os.path.relpath(down, root).replace(os.sep, "/") if down else
                     "-- migrate:down section" if conv == "dbmate" else "TODO")
        else:
            value = "TODO"
        out.append((field, value))
    return out


def _template(config) -> jinja2.Template:
    path = getattr(config, "new_template", "") or ""
    src = Path(path) if path else TEMPLATE
    try:
        text = src.read_text(encoding="utf-8")
    except OSError as exc:
        raise NewFileError(f"{src}: cannot read the new_template: {exc.strerror or exc}") from None
    try:
        return jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.ChainableUndefined).from_string(text)
    except jinja2.TemplateSyntaxError as exc:
        raise NewFileError(f"{src}:{exc.lineno}: template error: {exc.message}") from None


def _git_author(cwd: Path) -> str:
    where = cwd if cwd.is_dir() else Path.cwd()
    try:
        r = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, cwd=where, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return r.stdout.strip() if r.returncode == 0 else ""
