"""The per-file summary workers send back for the ``file-set`` rules.

A file-set rule module lists what it needs in ``NEEDS`` (a tuple of the keys below); the
engine asks :func:`summarize` for the union of what the rules enabled for a file need, so
the summary stays small (it is pickled per file) and costs nothing when those rules are
off. Keys, added to the engine's ``{"parsed": bool}``:

* ``sections`` (files of conventions that pair ups with downs): ``{"n_up": int,
  "n_schema": int, "n_down": int, "down_marker": int,
  "down_text": bool, "down_reason": bool}``: statements outside down sections (and how many of those change
  the schema, not data, comments or enum values), statements inside (a whole down file is one down section),
  the 1-based line of the first ``-- migrate:down`` / ``-- +goose Down`` marker (0 when
  there is none), whether the down part holds any text besides whitespace (comments), and
  whether, holding no statement, its comments say why (:func:`linter.migset.blank.gives_reason`);
  and ``"relax"``: when every schema change of the up part is an ``ALTER TABLE`` that only
  relaxes its table (DROP NOT NULL, DROP CONSTRAINT, ALTER COLUMN … TYPE with the SET NOT
  NULL or DEFAULT of the retyped column), the type changes ``((table, column, compact
  type), ...)`` among them (:func:`linter.migset.coltypes.compact`), else ``None``.
* ``categories``: ``{category: [(what, span, table), ...]}`` for the up part's statements
  (:mod:`linter.migset.kinds`; statements in DO blocks count as what they run): the first
  statement of each category, and for ``dml`` the first per target table.
* ``objects``: ``{"up": ((op, where), ...), "down": (...)}``, the
  :mod:`linter.migset.objects` effects of the up and down parts, in order, ``where`` being
  ``span + (path,)``, the statement's span and the file's path (in the down,
  the statements a DO block runs count, at the DO block's span); only for files the rollback rules can pair
  (up files of conventions with downs, down files). A ``replace`` op's ``arg`` is a hash
  of the statement's whitespace-normalised text.
* ``column_types``: the column-type events of the file's top-level statements
  (:func:`linter.migset.coltypes.events`), for up, down and baseline files; omitted when
  there are none. Asked for by ``column-type-rewrite``.
* ``table_ties``: the tables the up part creates, drops and renames, and the foreign keys,
  partitions and inheritance tying them to others (:func:`linter.migset.references.events`),
  for up and baseline files; omitted when there are none. Asked for by ``missing-lock-timeout``.
* ``digest``: ``(sha256, bare)`` of the text (:func:`linter.migset.manifest.digest`), only
  when a manifest is in use (no ``--base`` and the manifest file exists).

``span`` is ``(line, column, end_line, end_column)`` of the statement, 1-based.
"""

from __future__ import annotations

import os
from functools import lru_cache

from linter import lazyre
from linter.hashes import sha1
from linter.migset import blank, coltypes, kinds, manifest, objects, references
from linter.model import Convention, Direction, MigrationFile

NEEDS = ("sections", "categories", "objects", "digest", "column_types", "table_ties")


class _Positions:
    """1-based ``(line, column, end_line, end_column)`` of statements, counting line breaks
    from one statement to the next (cheaper than a line table when few positions are
    needed; the same numbers as :meth:`linter.source.TextIndex.position`). Fastest when
    asked in text order, as the summary does; an earlier offset counts again from the top."""

    __slots__ = ("text", "line", "last", "line_start")

    def __init__(self, text: str) -> None:
        self.text = text
        self.line, self.last, self.line_start = 1, 0, 0

    def _at(self, p: int) -> tuple[int, int]:
        text = self.text
        if p < self.last:
            self.line, self.last, self.line_start = 1, 0, 0
        n = text.count("\n", self.last, p)
        if n:
            self.line += n
            self.line_start = text.rfind("\n", self.last, p) + 1
        self.last = p
        return self.line, p - self.line_start + 1

    def span(self, st) -> tuple[int, int, int, int]:
        """The span of statement ``st`` (its ``start`` and ``end`` character offsets)."""
        return self._at(st.start) + self._at(st.end)


@lru_cache(maxsize=1024)
def _flyway_downs(root_abs: str, folder: str) -> bool:
    """True when a Flyway location has a ``down/`` mirror or ``U`` undo files."""
    if os.path.isdir(os.path.join(root_abs, "down")):
        return True
    try:
        return any(n.startswith("U") and n.endswith(".sql") for n in os.listdir(folder))
    except OSError:
        return False


def _down_may_hold_sql(up_path: str) -> bool:
    """False when the down file beside a golang-migrate / popx / diesel up migration is
    missing or empty: nothing to compare, so the up's effects are not worth computing."""
    d, name = os.path.split(up_path)
    if name == "up.sql":
        candidates = ["down.sql"]
    elif name.endswith(".up.sql"):
        stem = name[: -len(".up.sql")]
        candidates = [stem + ".down.sql"]
        head, dot, tail = stem.rpartition(".")
        if dot:  # popx: X.postgres.up.sql falls back to X.down.sql
            candidates.append(head + ".down.sql")
    elif name.endswith("_up.sql"):
        candidates = [name[: -len("_up.sql")] + "_down.sql"]
    else:
        return True
    for c in candidates:
        try:
            if os.stat(os.path.join(d, c)).st_size > 0:
                return True
        except OSError:
            continue
    return False


_PAIRED = frozenset({Convention.GOLANG_MIGRATE, Convention.DIESEL, Convention.UP_DOWN_DIRS, Convention.DBMATE, Convention.GOOSE})


def _pairable(file: MigrationFile) -> bool:
    """Whether the convention pairs this file with a down (forward-only conventions,
    seeds and repeatables are left out of the ``sections`` summary)."""
    if file.direction is Direction.DOWN or file.convention in _PAIRED:
        return True
    if file.convention is Convention.FLYWAY and file.direction is Direction.UP:
        return _flyway_downs(os.path.join(base_dir_of(file), file.root), os.path.dirname(file.abspath))
    return False


def _has_counterpart(file: MigrationFile, source) -> bool:
    """Whether the rollback rules can pair this file (computing effects is skipped for
    forward-only conventions), for a file :func:`_pairable` accepts (a Flyway up with
    downs in its location: always)."""
    if file.direction is Direction.DOWN:
        return True
    if file.direction is not Direction.UP:
        return False
    conv = file.convention
    if conv in (Convention.GOLANG_MIGRATE, Convention.DIESEL):
        # popx step groups (20-digit versions) are judged as a whole: always needed
        return len(file.version or "") == 20 or _down_may_hold_sql(file.abspath)
    if conv in (Convention.DBMATE, Convention.GOOSE):
        return any(s.direction is Direction.DOWN for s in source.sections)
    return conv is Convention.UP_DOWN_DIRS or conv is Convention.FLYWAY


@lru_cache(maxsize=1024)
def _manifest_exists(base_dir: str, name: str) -> bool:
    """Whether the manifest ``name`` exists in ``base_dir`` (once per directory and run)."""
    return os.path.isfile(os.path.join(base_dir, name))


def base_dir_of(file: MigrationFile) -> str:
    """The directory paths are reported relative to (``abspath`` minus ``path``)."""
    ap = file.abspath if os.sep == "/" else file.abspath.replace(os.sep, "/")
    if ap.endswith("/" + file.path):
        return file.abspath[: len(file.abspath) - len(file.path) - 1] or os.sep
    return os.path.dirname(file.abspath)


def summarize(file: MigrationFile, source, needs: frozenset[str], config) -> dict:
    """The summary keys in ``needs`` for one file (``source`` may be ``None`` or unparsed)."""
    out: dict = {}
    if source is None:
        return out
    if "digest" in needs and config.base is None and _manifest_exists(base_dir_of(file), config.manifest):
        out["digest"] = manifest.digest(source.text)
    if source.error is not None:
        return out
    pairable = ("sections" in needs or "objects" in needs) and _pairable(file)
    if "sections" in needs and pairable:
        out["sections"] = _sections(source)
    if "categories" in needs:
        out["categories"] = _categories(source)
    if "objects" in needs and pairable and _has_counterpart(file, source):
        out["objects"] = _objects(source, file.path)
    if "column_types" in needs and file.direction in _TYPED:
        got = coltypes.events(source)
        if got:
            out["column_types"] = got
    if "table_ties" in needs and file.direction in _TIED:
        got = references.events(source)
        if got:
            out["table_ties"] = got
    return out


#: Files whose tables and ties :mod:`linter.migset.references` replays.
_TIED = frozenset({Direction.UP, Direction.BASELINE})


#: Files whose column types :mod:`linter.migset.coltypes` replays or looks up in.
_TYPED = frozenset({Direction.UP, Direction.DOWN, Direction.BASELINE})


def _objects(source, path: str) -> dict:
    up: list = []
    down: list = []
    where = _Positions(source.text)
    tail = (path,)
    for st in source.statements:
        kind = st.kind
        if kind == "DoStmt":
            if st.section is not Direction.DOWN:
                continue  # missing what an up's DO block creates only misses a finding
            # what a down's DO block runs counts (crates.io re-adds a column in one)
            ops = [op for inner in source.embedded(st) for op in objects.effects(inner.kind, inner.body)]
        else:
            ops = objects.effects(kind, st.body)
            if ops and ops[0][0] == "replace":  # CREATE OR REPLACE: which definition
                ops[0] = ops[0][:5] + (_definition(st.text),)
        if ops:
            span = where.span(st) + tail
            (down if st.section is Direction.DOWN else up).extend([(op, span) for op in ops])
    # tuples of strings: the cyclic garbage collector stops tracking them
    return {"up": tuple(up), "down": tuple(down)}


#: Statements that change data or nothing, not the schema (an empty down is right for them).
_NOT_SCHEMA = frozenset({
    "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt", "SelectStmt", "TruncateStmt",
    "TransactionStmt", "VariableSetStmt", "VariableShowStmt", "NotifyStmt", "ListenStmt", "LockStmt",
    "VacuumStmt", "ClusterStmt", "CheckPointStmt", "RefreshMatViewStmt", "ExplainStmt", "CallStmt",
    "CommentStmt",  # documentation, not structure
    "AlterEnumStmt",  # ALTER TYPE ... ADD VALUE: PostgreSQL has no way to remove a value
})


def _definition(text: str) -> str:
    """A short hash of a statement's text, whitespace-insensitive: tells a redefinition
    from a repetition of the same definition."""
    return sha1(" ".join(text.split()).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _changes_schema(st) -> bool:
    kind = st.kind
    if kind in _NOT_SCHEMA or kind == "DoStmt":
        return False
    if kind == "CreateExtensionStmt":
        return not st.body.get("if_not_exists")
    return not objects.is_temporary(kind, st.body)


_TEXT = lazyre.compile(r"\S")


#: ALTER TABLE subcommands that relax a table: a down could only tighten it again, which
#: fails on the rows written since (NULLs, duplicates, longer values).
_RELAXING = frozenset({"AT_DropNotNull", "AT_DropConstraint", "AT_AlterColumnType"})
#: Subcommands that go with a retyped column in the same statement (its new definition).
_WITH_RETYPE = frozenset({"AT_SetNotNull", "AT_ColumnDefault"})


def _relaxes(st) -> list | None:
    """The type changes ``[(table, column, compact type)]`` of an ``ALTER TABLE`` that only
    relaxes its table (drops NOT NULL or constraints, changes column types, with what goes
    with a retyped column), ``None`` for any other statement."""
    if st.kind != "AlterTableStmt" or st.body.get("objtype") not in (None, "OBJECT_TABLE"):
        return None
    cmds = [c.get("AlterTableCmd", {}) for c in st.body.get("cmds", ()) or ()]
    retyped = {c.get("name") for c in cmds if c.get("subtype") == "AT_AlterColumnType"}
    table = (st.body.get("relation") or {}).get("relname", "")
    out = []
    for c in cmds:
        sub = c.get("subtype")
        if sub == "AT_AlterColumnType":
            tn = c.get("def", {}).get("ColumnDef", {}).get("typeName")
            if not tn:
                return None
            out.append((table, c.get("name", ""), coltypes.compact(tn)))
        elif sub not in _RELAXING and not (sub in _WITH_RETYPE and c.get("name") in retyped):
            return None
    return out


def _sections(source) -> dict:
    n_up = n_down = n_schema = 0
    blocks = []
    relax: list | None = []
    for st in source.statements:
        if st.section is Direction.DOWN:
            n_down += 1
        else:
            n_up += 1
            if st.kind == "DoStmt":
                blocks.append(st)
                relax = None
            elif _changes_schema(st):
                n_schema += 1
                if relax is not None:
                    got = _relaxes(st)
                    relax = None if got is None else relax + got
    if not n_schema and blocks:  # a DO block changes the schema if what it runs does
        n_schema = sum(1 for st in blocks if any(_changes_schema(inner) for inner in source.embedded(st)))
    down_marker = 0
    down_text = False
    down_reason = False
    text = source.text
    for sec in source.sections:
        if sec.direction is not Direction.DOWN:
            continue
        if sec.marker_line and not down_marker:
            down_marker = sec.marker_line
        start = sec.start
        if sec.marker_line:  # the text after the marker's line
            start = text.find("\n", start, sec.end) + 1
            if not start:
                continue
        if _TEXT.search(text, start, sec.end):
            down_text = True
            if not n_down and not down_reason:
                down_reason = blank.gives_reason(text[start : sec.end])
    return {"n_up": n_up, "n_schema": n_schema, "n_down": n_down, "down_marker": down_marker, "down_text": down_text,
            "down_reason": down_reason, "relax": tuple(relax) if relax is not None and n_schema else None}


def _categories(source) -> dict:
    out: dict[str, list] = {}
    firsts: list = []
    for st in source.statements:
        if st.section is Direction.DOWN:
            continue
        found = []
        if st.kind == "DoStmt":
            for inner in source.embedded(st):
                cat, what = kinds.categorize(inner.kind, inner.body)
                if cat is not None:
                    found.append((cat, what, kinds.target_table(inner.kind, inner.body)))
        else:
            cat, what = kinds.categorize(st.kind, st.body)
            if cat is not None:
                found.append((cat, what, kinds.target_table(st.kind, st.body)))
        for cat, what, table in found:
            entries = out.setdefault(cat, [])
            if not entries or (cat == "dml" and all(e[2] != table for e in entries)):
                entries.append([what, st, table])
                firsts.append(st)
    where = _Positions(source.text)
    spans = {id(st): where.span(st) for st in firsts}
    return {cat: [(what, spans[id(st)], table) for what, st, table in entries] for cat, entries in out.items()}
