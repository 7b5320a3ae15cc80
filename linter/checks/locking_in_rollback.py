"""Rolling back this migration takes locks that block traffic.

## Why is this bad?
A down migration runs when a release is undone: by hand, once, often while the
application is still serving. Its `DROP INDEX`, `ALTER TABLE … ALTER COLUMN … TYPE` or
`CREATE INDEX` take the same locks as in an up migration, but a finding per statement
("no lock_timeout set", "CREATE INDEX without CONCURRENTLY") is rarely acted on in code
that exists to restore the previous schema. What the person rolling back needs to know is
which tables it blocks, and how hard, so they can pick the moment. This note says that
once per down migration (a down file, a `U` file, a `down/` mirror, a `-- migrate:down`
or `-- +goose Down` section), at its first statement locking an older table, in place of the lock-hazard
findings (locks, rewrites, scans, timeouts: the rules whose docs say so) on its
statements. Findings of correctness rules (`syntax-error`,
`non-transactional-statement-in-transaction`, `nested-transaction`,
`not-null-column-without-default`, the `rollback` family…) keep their level on down code.

A down migration runs once, by hand, and a heavy step in it (an index build, a SET NOT
NULL scan, a rewrite, an UPDATE or DELETE of every row) blocks its table about as long as
the up's step blocked it: nobody changes a rollback or plans around one such step. So the
note is given only where the rollback does more than that (`summary` mode's threshold):

- **its locks compound**: the down holds ACCESS EXCLUSIVE on a table that existed before
  the up (taken by an earlier statement of its transaction: an `ALTER TABLE`, a `DROP
  INDEX` of one of its indexes) across two or more heavy steps on that same table that do
  not take ACCESS EXCLUSIVE themselves. `DROP INDEX a, b; CREATE INDEX a …; CREATE INDEX b
  …` in one transaction makes readers of the table wait for both builds, one after the
  other, as `slow-statement-after-access-exclusive` reports in up code; or
- **a fix is at hand**: the down builds an index on an older table without CONCURRENTLY
  although it runs outside a transaction block (an ory popx `.autocommit.` file, a
  diesel migration with `run_in_transaction = false`, `-- migrate:down transaction:false`):
  add CONCURRENTLY.

A down whose statements only queue for a lock they then hold for a moment (`ALTER TABLE …
ADD/DROP COLUMN`, `DROP INDEX`, a rename: the `missing-lock-timeout` and
`non-concurrent-drop-index` findings), or that runs one heavy step per table (an index
rebuilt after its `DROP INDEX`, a SET NOT NULL, emptying a seed table, rewrites of several
tables each under its own lock), gets no note.

The note lists only tables that existed before the up ran, and is not reported when there
is none: dropping a table the up created, or an index or constraint on one, blocks no
production traffic (nothing but the new code used it). The up is the up section of the
same file (dbmate, goose) or the paired up file (diesel `up.sql`, golang-migrate
`.up.sql`, `up/`, a Flyway `V` file for its `U` file; all steps of an ory popx
migration), compared after all files are linted, from what each file's summary says it
creates. A table the up created and then renamed is its own; one it dropped or renamed
and then rebuilt under the old name (a view dropped and created again, a table built as
`x_new` and renamed into place) existed before, and is listed. Tables the down creates
itself (and temporary tables) are not listed either. A `DROP INDEX` is listed as the lock
on its table (`DROP INDEX` takes ACCESS EXCLUSIVE on the table): named when the up
created the index, else "the table of "idx"". A down whose up is not known (no pair, or
it did not parse) keeps every table.

Teams that roll back under live traffic get the per-statement findings back with
`rollback_locking: full` in the configuration (the `flyway-dated` preset does that: its
standard makes downs mandatory for production rollback); `rollback_locking: off` drops
them without this note.

## Example
```sql
-- file: 0042_sort_indexes.up.sql
CREATE INDEX CONCURRENTLY comments_hot_idx ON comments (hot_rank DESC);
-- file: 0042_sort_indexes.down.sql
DROP INDEX comments_hot_idx;
ALTER TABLE comments ALTER COLUMN hot_rank SET DEFAULT 0;
CREATE INDEX comments_rank_idx ON comments (hot_rank);
CREATE INDEX comments_score_idx ON comments (score);
```

## Use instead
```sql
-- file: 0042_sort_indexes.up.sql
CREATE INDEX CONCURRENTLY comments_hot_idx ON comments (hot_rank DESC);
-- file: 0042_sort_indexes.down.sql
CREATE INDEX comments_rank_idx ON comments (hot_rank);
CREATE INDEX comments_score_idx ON comments (score);
DROP INDEX comments_hot_idx;
ALTER TABLE comments ALTER COLUMN hot_rank SET DEFAULT 0;
```

## Options
None. The top-level setting `rollback_locking` (`off`, `summary`, `full`; default
`summary`) decides whether this rule reports.

## PostgreSQL versions
All versions.

## References
- Explicit locking, table-level lock modes: https://www.postgresql.org/docs/current/explicit-locking.html
"""

from __future__ import annotations

from bisect import bisect_right

from linter import rollback_locks
from linter.migset import objects
from linter.model import Span, replace
from linter.pg import locks
from linter.pg.locks import LockMode

ID = "locking-in-rollback"
FAMILY = "locking"
SCOPE = "file"  # run by the engine after the other rules, from what it folded (linter.rollback_locks)
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
#: What the post-pass needs to tell the up's own tables from older ones
#: (:func:`linter.rollback_locks.resolve`): both parts' effects, and the sections to pair them.
NEEDS = ("objects", "sections")
#: Rules the docstring's examples are checked with: this rule summarises their findings.
EXAMPLE_ALSO = ("non-concurrent-create-index",)
#: The internal property the note carries to the post-pass: its :func:`entries`.
LOOKUP = "_rollback_entries"

_MODES = {m.label: m for m in LockMode}
_AE = LockMode.ACCESS_EXCLUSIVE
_SHOWN = 4


def check(ctx, options):
    """One note per group of ``ctx.rollback_locks`` (:func:`linter.rollback_locks.fold`):
    the lock modes the down takes, strongest first, each with its tables. The note
    carries its :func:`entries` (property :data:`LOOKUP`); after all files the engine's
    post-pass (:func:`linter.rollback_locks.resolve`) restates it without the tables the
    up created, or drops it (:func:`restate`).

    A note the post-pass would drop whatever the set knows (:func:`may_last` is False) is
    not made, when nothing else can tell it was (the file's only note, and no ignore
    comment in the file that it could use): most downs only drop what their up created."""
    groups = getattr(ctx, "rollback_locks", None) or ()
    alone = len(groups) == 1 and not ctx.suppressions
    for group in groups:
        if alone and all(rule.id in BRIEF for rule, _v in group):
            continue  # entries of BRIEF rules only: never lasting
        got = entries(ctx, group)
        if alone and not may_last(got):
            continue
        line, col, end_line, end_col, message, help_text, props = _render(got, {})
        props[LOOKUP] = got
        yield ctx.violation(Span.at(line, col, end_line, end_col), message, help=help_text, context=message, **props)


def entries(ctx, group: list) -> tuple:
    """What each folded finding of ``group`` (``[(rule, violation)]``) says the down
    locks, in statement order: ``(rule id, line, column, end line, end column, lock mode
    label or "", tables, indexes, rewrite, blocks, held, own, concurrent_possible)``;
    ``tables`` as the finding names them (maybe schema-qualified), ``indexes`` the index
    names of a ``DROP INDEX`` (whose table the file does not know: PostgreSQL locks it
    too); ``held``, ``own``, ``concurrent_possible`` as :func:`_compounding` says (what
    :func:`lasting` weighs). Tuples of strings,
    cheap to pickle."""
    group = sorted(group, key=lambda rv: (rv[1].span.start.line, rv[1].span.start.column))
    steps = _steps(ctx, group) if any(rule.id == _TIMEOUT_RULE for rule, _v in group) else []
    statements = ctx.source.statements
    starts = [st.start for st in statements]
    dropped: dict[str, None] = {}  # indexes the down drops: lock effects name them, not their tables
    for _rule, v in group:
        at = bisect_right(starts, ctx.source.index.offset(v.span.start)) - 1
        st = statements[at] if at >= 0 else None
        if st is not None and st.kind == "DropStmt" and st.body.get("removeType") == "OBJECT_INDEX":
            dropped.update((op[4], None) for op in objects.effects(st.kind, st.body) if op[4])
    for step in steps:
        for e in step.effects:
            if e.what.startswith("DROP INDEX"):
                dropped[_bare(e.relation)] = None
    step_of: dict = {}
    built: dict[str, str] = {}  # index name -> table, from the file's CREATE INDEX statements
    if any(rule.id not in BRIEF for rule, _v in group):
        step_of = {id(step.stmt): step for step in ctx.pg.session.steps}
        for st in statements:
            if st.kind == "IndexStmt" and st.body.get("idxname") and st.body.get("relation"):
                built.setdefault(st.body["idxname"], st.body["relation"].get("relname", ""))
    out = []
    for rule, v in group:
        tables = tuple(t for t in str(v.properties.get("table") or "").split(", ") if t)
        index = v.properties.get("index")
        indexes = tuple([index] if isinstance(index, str) else index or ())
        if dropped:
            indexes = tuple(dict.fromkeys(indexes + tuple(t for t in tables if _bare(t) in dropped)))
            tables = tuple(t for t in tables if _bare(t) not in dropped)
        if indexes and not tables and built:  # DROP INDEX i … CREATE INDEX i ON t: a rebuild, on t
            tables = tuple(dict.fromkeys(built[_bare(i)] for i in indexes if built.get(_bare(i))))
        s = v.span
        at = bisect_right(starts, ctx.source.index.offset(s.start)) - 1
        step = step_of.get(id(statements[at])) if rule.id not in BRIEF and at >= 0 else None
        out.append((rule.id, s.start.line, s.start.column, s.end.line, s.end.column, str(v.properties.get("lock") or ""),
                    tables, indexes, bool(v.properties.get("rewrite")), str(v.properties.get("blocks") or ""),
                    *_compounding(rule.id, step, built)))
    if steps:
        out.extend(_unprotected(steps, {e[1] for e in out}, dropped))
        out.sort(key=lambda e: (e[1], e[2]))
    return tuple(out)


#: Index builds that CONCURRENTLY avoids blocking writes for: outside a transaction block
#: the down can simply say CONCURRENTLY (a fix, not a plan for the moment).
_CONCURRENT_CAPABLE = frozenset({"non-concurrent-create-index", "non-concurrent-reindex"})


def _compounding(rule_id: str, step, built: dict) -> tuple:
    """``(held, own, concurrent_possible)`` for an entry of a heavy rule (not :data:`BRIEF`)
    whose statement runs as ``step`` (:class:`linter.pg.session.Step`, ``None`` when not
    found): ``held`` the bare names of the relations older than the file on which its
    transaction already holds ACCESS EXCLUSIVE, taken by earlier statements (an index
    name for a ``DROP INDEX``, unless the file builds an index of that name again, on the
    table ``built`` maps it to: a rebuild; else the post-pass resolves it); ``own`` the bare
    names it takes ACCESS EXCLUSIVE on itself; ``concurrent_possible`` when it builds an
    index without CONCURRENTLY outside a transaction block. Empty for other entries."""
    if step is None:
        return (), (), False
    stmt = step.stmt
    held: dict[str, None] = {}
    for h in step.held_blocking_writes:
        e = h.effect
        if e.mode is _AE and h.stmt is not stmt:
            bare = _bare(e.relation)
            held[built.get(bare) or bare] = None
    own = {_bare(e.relation): None for e in step.effects if e.mode is _AE}
    return tuple(held), tuple(own), step.tx is None and rule_id in _CONCURRENT_CAPABLE


#: Rules whose findings only say that a statement queues for a lock it then holds briefly
#: (a catalog change: ADD/DROP COLUMN, DROP INDEX, a rename…): a down made only of those
#: gets no note. What a rollback does for as long as the table takes (a rewrite, a scan,
#: an index build, an unbatched UPDATE) is what the person rolling back must plan for.
BRIEF = frozenset({"missing-lock-timeout", "non-concurrent-drop-index"})

#: The rule whose finding means the down runs without lock_timeout.
_TIMEOUT_RULE = "missing-lock-timeout"


def _steps(ctx, group: list) -> list:
    """The session steps (:mod:`linter.pg.session`, built by ``missing-lock-timeout``) of
    ``group``'s down part that run with no ``lock_timeout`` in effect."""
    source = ctx.source
    part = (0 if len(source.sections) == 1 else
            rollback_locks.down_part(source, source.index.offset(group[0][1].span.start)))
    out = []
    for step in ctx.pg.session.steps:
        top = step.stmt if step.stmt.parent is None else step.stmt.parent
        if step.timeout("lock_timeout") is None and (not part or rollback_locks.down_part(source, top.start) == part):
            out.append(step)
    return out


def _unprotected(steps: list, lines: set, dropped: dict) -> list:
    """Entries for the later ``steps`` (:func:`_steps`) that also wait for a lock blocking
    writes on a relation older than the file: ``missing-lock-timeout`` reports only the
    first of a run, and when that one locks a table the up created, the note must still
    name the older ones after it."""
    out = []
    for step in steps:
        effects = step.blocking
        if not effects:
            continue
        span = step.stmt.span
        if span.start.line in lines:
            continue
        best = locks.strongest(effects)
        tables = tuple(dict.fromkeys(e.relation for e in effects if e.mode == best.mode))
        indexes = tuple(t for t in tables if _bare(t) in dropped)
        tables = tuple(t for t in tables if _bare(t) not in dropped)
        out.append((_TIMEOUT_RULE, span.start.line, span.start.column, span.end.line, span.end.column, best.mode.label,
                    tables, indexes, False, best.mode.blocks, (), (), False))
    return out


def restate(finding, got: tuple, known: dict):
    """``finding`` (this rule's note) restated from its ``got`` entries (:func:`entries`)
    and what the migration set knows, or ``None`` when the down locks no table that
    existed before its up ran (``finding`` itself when nothing changes). ``known`` maps a bare table name to ``None`` (the up or an
    earlier statement of the down created it: no traffic uses it) and, with the key
    ``("index", name)``, an index the up created to its table. The fingerprint is left
    to the caller."""
    on_table = {i: e[6] for e in got if e[6] for i in e[7]}  # DROP INDEX whose table a finding names
    kept = tuple(e for e in (_keep(e, known, on_table) for e in got) if e is not None)
    if not kept or not lasting(kept, known, on_table):
        return None
    if len(kept) == len(got) and all(a is b for a, b in zip(kept, got)):
        return finding  # nothing the set knows changes it
    got = kept
    line, col, end_line, end_col, message, help_text, props = _render(got, known)
    return replace(finding, span=Span.at(line, col, end_line, end_col), message=message, help=help_text,
                   properties=props)


def lasting(got: tuple, known: dict, on_table: dict) -> bool:
    """Whether the rollback's locks on older tables (``got``: :func:`entries` left after
    :func:`_keep`) are worth a note in ``summary`` mode. A down that runs one heavy step
    (an index build, a SET NOT NULL scan, a rewrite, an UPDATE or DELETE of every row) on
    a table, or a few on different tables, blocks each table about as long as its up
    did, once, by hand: nobody changes or plans anything for that. The note is given when

    * **the locks compound**: the down holds ACCESS EXCLUSIVE on a table older than the
      migration (taken by an earlier statement of its transaction: an ``ALTER TABLE``, a
      ``DROP INDEX`` of one of its indexes, resolved through ``known`` and ``on_table``,
      see :func:`restate`) across at least :data:`COMPOUNDING` heavy steps on that same
      table that do not take ACCESS EXCLUSIVE themselves (``DROP INDEX a, b; CREATE INDEX
      a …; CREATE INDEX b …`` on ``t``): readers of ``t`` wait for every build, one after
      the other, the hazard ``slow-statement-after-access-exclusive`` reports in up
      code, and the one worth planning a rollback around; or
    * **a fix is at hand**: the down builds an index on an older table without
      CONCURRENTLY although it runs outside a transaction block (an ory popx
      ``.autocommit.`` file, a diesel ``run_in_transaction = false`` directory): adding
      CONCURRENTLY is all it takes.

    A down whose entries are all :data:`BRIEF` never gets one."""
    index_table: dict[str, set] = {}  # index name -> the tables it may be on
    for key, table in known.items():
        if isinstance(key, tuple) and table:
            index_table.setdefault(key[1], set()).add(_bare(table))
    for index, tables in on_table.items():
        index_table.setdefault(_bare(index), set()).update(_bare(t) for t in tables)
    compounding: dict[str, set] = {}  # older table -> lines of heavy steps run under its held ACCESS EXCLUSIVE
    for e in got:
        if e[0] in BRIEF or len(e) < 13:
            continue
        held, own, concurrent_possible = e[10:13]
        if concurrent_possible and e[6]:
            return True
        if not held:
            continue
        own_tables = {t for o in own for t in index_table.get(o, {o})}
        on = {_bare(t) for t in e[6]} | {t for i in e[7] for t in index_table.get(_bare(i), ())}
        new = _new_names(known, e[1])
        for h in held:
            for t in index_table.get(h, {h}):
                if t in on and t not in own_tables and t not in new:
                    compounding.setdefault(t, set()).add(e[1])
    return any(len(lines) >= COMPOUNDING for lines in compounding.values())


def may_last(got: tuple) -> bool:
    """Whether :func:`lasting` can be True for entries :func:`_keep` leaves of ``got``
    (:func:`entries`), whatever the set knows: only an entry of a rule outside
    :data:`BRIEF` that could use CONCURRENTLY on a named table, or that runs while its
    transaction holds ACCESS EXCLUSIVE on an older relation, can make it so (``_keep``
    only narrows an entry's tables and keeps its ``held`` and ``concurrent_possible``)."""
    return any(e[0] not in BRIEF and len(e) >= 13 and ((e[12] and e[6]) or e[10]) for e in got)


#: How many heavy steps under one held ACCESS EXCLUSIVE make a rollback note worth giving
#: (:func:`lasting`): one index rebuilt right after its DROP INDEX blocks readers about as
#: long as the up's build blocked writers; two or more add up.
COMPOUNDING = 2


def _new_names(known: dict, line: int) -> set:
    """Bare names ``known`` marks as no older than the migration at ``line``: the up's own
    relations, and those the down created before that line."""
    return {k for k, v in known.items() if isinstance(k, str) and (v is None or v < line)}


def _bare(table: str) -> str:
    return table.rsplit(".", 1)[-1].strip('"')


def _keep(entry: tuple, known: dict, on_table: dict):
    """``entry`` with only the tables that existed before the up ran (its DROP INDEX
    indexes resolved to their tables when the up created them, or when another finding
    names it: ``on_table``), or ``None`` when none is left. A name in parentheses
    (``(every table)``) is kept. Down-created tables count only for statements after the
    one that creates them (``known[name]`` is that line)."""
    rid, line, col, end_line, end_col, mode, tables, indexes, rewrite, blocks = entry[:10]
    extra = entry[10:]
    if not tables and not indexes:  # nothing named: cannot be judged, kept
        return entry

    def new(name: str) -> bool:
        got = known.get(_bare(name), -1)
        return got is None or (got != -1 and got < line)

    kept_tables = [t for t in tables if t.startswith("(") or not new(t)]
    if tables:  # the finding names the table of its indexes
        if len(kept_tables) == len(tables):
            return entry
        return (rid, line, col, end_line, end_col, mode, tuple(kept_tables), indexes, rewrite, blocks, *extra) if kept_tables else None
    kept_indexes = []
    for i in indexes:
        on = known.get(("index", _bare(i)))
        ons = (on,) if on is not None else on_table.get(i, ())
        if not ons:
            if not new(i):  # an index created earlier in the down is new too
                kept_indexes.append(i)
        for t in ons:
            if not new(t) and t not in kept_tables:
                kept_tables.append(t)
    if not kept_tables and not kept_indexes:
        return None
    if not kept_tables and len(kept_indexes) == len(indexes):
        return entry
    return (rid, line, col, end_line, end_col, mode, tuple(kept_tables), tuple(kept_indexes), rewrite, blocks, *extra)


def _render(got: tuple, known: dict) -> tuple:
    """``(line, column, end line, end column, message, help, properties)`` of the note
    for ``got`` (:func:`entries`): at the first entry's statement."""
    locks: dict[str, dict[str, None]] = {}
    blocking: dict[str, str] = {}  # lock mode -> what it blocks, as the first finding with it says
    rewrites: dict[str, None] = {}
    rules: dict[str, None] = {}
    lines: dict[int, None] = {}
    covered = {i for e in got if e[6] for i in e[7]}  # indexes a finding names the table of
    for rid, line, _c, _el, _ec, mode, tables, indexes, rewrite, blocks, *_extra in got:
        rules[rid] = None
        lines[line] = None
        shown = [f'"{t}"' for t in tables]
        if not shown:  # DROP INDEX, table unknown
            shown = [f'the table of "{i}"' for i in indexes if i not in covered]
        if mode in _MODES and shown:
            for t in shown:
                locks.setdefault(mode, {})[t] = None
            blocking.setdefault(mode, blocks or _MODES[mode].blocks)
        if rewrite:
            rewrites.update(dict.fromkeys(shown))
    first = got[0]
    modes = sorted(locks, key=lambda m: -_MODES[m])
    if modes:
        what = "; ".join(f"{m} on {_names(list(locks[m]))}" for m in modes)
        message = f"rolling back takes {what}"
        if rewrites:
            message += f", rewriting {_names(list(rewrites))}"
        blocks = blocking[modes[0]]
        message += f": it blocks {blocks} while it runs, so run it off-peak"
    else:
        blocks = ""
        message = "rolling back runs statements that hold their locks for long: run it off-peak"
    shown = ", ".join(map(str, lines))
    help_text = (f"Locks taken on line{'s' if len(lines) > 1 else ''} {shown} (findings of {', '.join(rules)}). "
                 "Set `lock_timeout` at the top of the down migration so a rollback never queues "
                 "behind a long transaction; set `rollback_locking: full` to report each finding.")
    props = {"lock": modes[0] if modes else "", "table": ", ".join(t[1:-1] for m in modes for t in locks[m] if t[0] == '"'),
             "blocks": blocks, "rules": list(rules), "statements": len(lines)}
    return (*first[1:5], message, help_text, props)


def _names(tables: list[str]) -> str:
    shown = ", ".join(tables[:_SHOWN])
    return shown + (f" and {len(tables) - _SHOWN} more" if len(tables) > _SHOWN else "")
