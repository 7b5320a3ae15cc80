"""Up migrations and their down counterparts, per convention.

What pairs an up with its down is the file's ``migration_id`` (:mod:`linter.discovery`):
``0042.up.sql`` with ``0042.down.sql`` (golang-migrate), ``up.sql`` with ``down.sql`` in
one diesel directory, ``up/001_x.sql`` with ``down/001_y.sql``, a Flyway ``V`` file with
its ``U`` file or its ``down/`` mirror. dbmate and goose keep both directions in one file:
its down part is a ``-- migrate:down`` / ``-- +goose Down`` section.
"""

from __future__ import annotations


from linter.model import Convention, Direction, MigrationFile, Record

#: Conventions whose down migration is a section of the up file.
SECTIONED = frozenset({Convention.DBMATE, Convention.GOOSE})

#: How each convention names its down migration, for messages.
DOWN_NAMES = {
    Convention.GOLANG_MIGRATE: "a .down.sql file",
    Convention.DIESEL: "a down.sql in the migration's directory",
    Convention.UP_DOWN_DIRS: "a file of the same number in down/",
    Convention.DBMATE: "a -- migrate:down section",
    Convention.GOOSE: "a -- +goose Down section",
    Convention.FLYWAY: "a down/ mirror or U file",
}


class Pair(Record):
    """An up migration and where its down is: ``down`` is the down file (the up file
    itself for dbmate/goose sections), ``None`` when there is none."""

    __slots__ = ("up", "down")
    up: MigrationFile
    down: MigrationFile | None

    def __init__(self, up: MigrationFile, down: MigrationFile | None) -> None:
        put = self._setters  # the slots' setters, in field order (Record)
        put[0](self, up)
        put[1](self, down)

    @property
    def sectioned(self) -> bool:
        return self.down is self.up


def pairs(files: list[MigrationFile], summaries: dict) -> list[Pair]:
    """One :class:`Pair` per up migration of a root (repeatable, baseline and seed files
    have no down)."""
    downs: dict[str, MigrationFile] = {}
    for f in files:
        if f.direction is Direction.DOWN and f.migration_id:
            downs.setdefault(f.migration_id, f)
    out = []
    for f in files:
        if f.direction is not Direction.UP:
            continue
        if f.convention in SECTIONED:
            sec = summaries.get(f.path, {}).get("sections")
            out.append(Pair(f, f if sec and sec["down_marker"] else None))
        else:
            out.append(Pair(f, downs.get(f.migration_id or "")))
    return out


class Unit(Record):
    """What a rollback undoes as one: usually one :class:`Pair`; for ory popx, whose
    generator splits one migration into numbered steps (``20210410175418000000`` ...
    ``20210410175418000089``: a 14-digit version and a 6-digit step) and distributes the
    down statements over the step files without keeping them aligned with the ups, the
    whole group. ``ups`` in version order; ``downs`` in the order a rollback runs them
    (descending version); ``report_on``: the down file findings about the unit go to."""

    __slots__ = ("ups", "downs", "report_on", "sectioned")
    ups: tuple[MigrationFile, ...]
    downs: tuple[MigrationFile, ...]
    report_on: MigrationFile
    sectioned: bool

    def __init__(self, ups: tuple[MigrationFile, ...], downs: tuple[MigrationFile, ...], report_on: MigrationFile,
                 sectioned: bool = False) -> None:
        put = self._setters  # the slots' setters, in field order (Record)
        put[0](self, ups)
        put[1](self, downs)
        put[2](self, report_on)
        put[3](self, sectioned)

    @property
    def label(self) -> str:
        """How messages name the up side: ``up.sql``, ``0042_x.up.sql``, ``the up
        section``, ``the 90 steps of 20210410175418``."""
        if self.sectioned:
            return "the up section"
        if len(self.ups) > 1:
            return f"the {len(self.ups)} steps of {self.ups[0].version[:14]}"
        return self.ups[0].path.rsplit("/", 1)[-1]


def _popx_group(f: MigrationFile) -> str | None:
    v = f.version or ""
    if f.convention is Convention.GOLANG_MIGRATE and len(v) == 20 and v.isdigit():
        return v[:14]
    return None


def units(files: list[MigrationFile], summaries: dict, pair_list: list[Pair] | None = None) -> list[Unit]:
    """The rollback units of a root (see :class:`Unit`); ups without a down are left out."""
    out: list[Unit] = []
    groups: dict[str, list[Pair]] = {}
    for p in pair_list if pair_list is not None else pairs(files, summaries):
        if p.down is None:
            continue
        g = _popx_group(p.up)
        if g is None:
            out.append(Unit((p.up,), (p.down,), p.down, p.sectioned))
        else:
            groups.setdefault(g, []).append(p)
    for members in groups.values():
        members.sort(key=lambda p: p.up.version_key)
        if len(members) == 1:
            p = members[0]
            out.append(Unit((p.up,), (p.down,), p.down))
            continue
        downs = tuple(p.down for p in reversed(members))
        out.append(Unit(tuple(p.up for p in members), downs, downs[0]))
    return _named_runs(out, summaries)


def _empty_downs(unit: Unit, summaries: dict) -> bool | None:
    """Whether ``unit``'s downs hold no statement (``None`` when a summary is missing)."""
    secs = [summaries.get(f.path, {}).get("sections") for f in unit.downs]
    if not all(secs):
        return None
    return sum(s["n_down"] for s in secs) == 0


def _named_runs(units_: list[Unit], summaries: dict) -> list[Unit]:
    """``units_`` with each run of consecutive migrations of one name merged into one
    unit, when only the first of the run has a down that holds statements: ory's fizz
    migrations were cut into several versions of the same name
    (``ory__kratos/legacy/20200830130642_add_verification_methods`` … ``…130646_…``,
    and their popx steps under ``sql/``), and the generator wrote the whole rollback into
    the first version's down, leaving the others empty. Rolling back runs the empty downs
    first, then that one, which drops what the later versions created: one unit, as
    popx's steps are. Runs of ``golang-migrate`` files only (the convention of both);
    other units are returned as they are."""
    runs: dict[tuple, list[Unit]] = {}
    for u in units_:
        first = u.ups[0]
        if first.convention is Convention.GOLANG_MIGRATE and first.description and not u.sectioned:
            runs.setdefault((first.root, first.dialect), []).append(u)
    if not runs:
        return units_
    merged: dict[int, Unit] = {}  # id of the first unit of a run -> the run's unit
    gone: set[int] = set()
    for group in runs.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda u: u.ups[0].version_key)
        i = 0
        while i < len(group):
            j = i + 1
            while (j < len(group) and group[j].ups[0].description == group[i].ups[0].description
                   and _empty_downs(group[j], summaries)):
                j += 1
            if j - i > 1:
                run = group[i:j]
                ups = tuple(f for u in run for f in u.ups)
                downs = tuple(f for u in reversed(run) for f in u.downs)
                merged[id(run[0])] = Unit(ups, downs, run[0].report_on)
                gone.update(id(u) for u in run[1:])
            i = j
    if not merged:
        return units_
    return [merged.get(id(u), u) for u in units_ if id(u) not in gone]


def unit_ops(unit: Unit, summaries: dict) -> tuple[list, list] | None:
    """The unit's up and down effects, ``[(op, span + (path,))]`` in run order (as the
    summaries hold them), or ``None`` when a file did not parse or the downs hold no
    statement (an empty down is ``empty-down-migration``'s business)."""
    up: list = []
    down: list = []
    n_down = 0
    for f in unit.ups:
        s = summaries.get(f.path, {})
        if "objects" not in s:
            return None
        up.extend(s["objects"]["up"])
    for f in unit.downs:
        s = summaries.get(f.path, {})
        if "objects" not in s or "sections" not in s:
            return None
        n_down += s["sections"]["n_down"]
        down.extend(s["objects"]["down"])
    if not n_down:
        return None
    return up, down


def cached(ctx, key: str, compute):
    """``compute()`` once per root: the file-set rules of one root share ``ctx.cache``."""
    cache = getattr(ctx, "cache", None)
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def root_pairs(ctx) -> list[Pair]:
    """:func:`pairs` of ``ctx``'s root, computed once per root."""
    return cached(ctx, "pairs", lambda: pairs(ctx.files, ctx.summaries))


def root_units(ctx) -> list[Unit]:
    """:func:`units` of ``ctx``'s root, computed once per root."""
    return cached(ctx, "units", lambda: units(ctx.files, ctx.summaries, root_pairs(ctx)))


def empty_down_counts(units_: list[Unit], summaries: dict) -> tuple[int, int]:
    """``(empty, total)``: how many of ``units_`` have downs holding no statement (comments
    only, or nothing), out of those whose files all parsed. A root where nearly every down
    is empty does not write downs by convention (vaultwarden's diesel ``down.sql`` files,
    supabase/postgres's dbmate ``-- migrate:down`` sections)."""
    empty = total = 0
    for unit in units_:
        secs = [summaries.get(f.path, {}).get("sections") for f in unit.downs]
        if not all(secs):
            continue
        total += 1
        if sum(s["n_down"] for s in secs) == 0:
            empty += 1
    return empty, total


def wanted(ctx, unit: Unit) -> bool:
    """Whether findings about ``unit`` (reported on its own files) are wanted in this run:
    always, unless the run reports on some paths only (``ctx.only``, ``lint --changed``)
    and none of the unit's files is among them."""
    only = getattr(ctx, "only", None)
    return only is None or any(f.path in only for f in (*unit.ups, *unit.downs))


def analysed_units(ctx) -> list[tuple[Unit, list]]:
    """``[(unit, problems)]`` for the units of ``ctx``'s root whose files all parsed and
    whose downs hold statements (the :func:`wanted` ones) (:func:`linter.migset.rollback.analyse`), computed once
    for the rollback rules of a root."""
    from linter.migset import rollback

    def compute():
        out = []
        for unit in root_units(ctx):
            if not wanted(ctx, unit):
                continue
            got = unit_ops(unit, ctx.summaries)
            if got is not None:
                out.append((unit, rollback.analyse(*got)))
        return out

    return cached(ctx, "analysed", compute)
