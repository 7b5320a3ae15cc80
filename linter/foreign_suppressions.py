"""Other migration linters' suppression comments, read as acknowledged hazards.

A team that runs Atlas or diesel-guard has already reviewed the statements it marks; miglint
repeating the same hazard on them is noise. Each comment becomes a
:class:`linter.suppress.Suppression` with ``foreign`` set to the tool's name and
``acknowledges`` set to the miglint rule ids whose hazard the comment covers. They never
count as unused or unknown (the comment is for the other tool), and they never silence a
statement that fails (:data:`CORRECTNESS`): another tool's waiver cannot make a syntax error
or a CONCURRENTLY inside a transaction block run.

Atlas ``atlas:nolint`` (``atlas migrate lint``; semantics from Atlas's
``cmd/atlas/internal/migratelint/lint.go`` ``nolintRules``/``reporterFor``, the scanner in
``sql/migrate/lex.go`` and ``LocalFile.comments`` in ``sql/migrate/dir.go``; the docs page
``doc/md/versioned/lint.mdx``, "nolint directive"):

* On its own line in the comment group right before a statement (``-- atlas:nolint``,
  ``--atlas:nolint``, ``/*atlas:nolint*/``; a blank line ends the group): that statement.
* In the comments at the very top of the file, followed by a blank line: the whole file.
* No arguments: every check. Arguments (space-separated) are check codes (``DS103``) or
  analyzer names (``destructive``); each maps to the miglint rules that report the same
  hazard (:data:`ATLAS_CODES`, :data:`ATLAS_ANALYZERS`). Codes without a miglint
  counterpart suppress nothing here.

diesel-guard ``-- safety-assured:start`` … ``-- safety-assured:end`` (README "Escape Hatch";
``src/parser/comment_parser.rs`` and ``Registry::check_stmts_with_context`` in
``src/checks/mod.rs``): every check is skipped for the statements whose first line lies
between the two markers; an unclosed or nested block is an error there, so it acknowledges
nothing here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from linter import lazyre

#: Rules whose finding says the statement fails or is wrong whatever the data: a foreign
#: waiver never silences them.
CORRECTNESS = frozenset(
    {
        "non-transactional-statement-in-transaction",
        "nested-transaction",
        "uncommitted-transaction",
        "enum-value-used-before-commit",
        "identifier-too-long",
    }
)

#: Atlas check codes -> miglint rules reporting the same hazard. The list of codes is the
#: "Checks" table of Atlas's ``doc/md/lint/analyzers.mdx`` (ariga/atlas, before the docs
#: moved out in commit 22f2cea6, 2024-10-06); DS/BC/CD/MF codes are also in
#: ``sql/sqlcheck/{destructive,incompatible,condrop,datadepend}``. MySQL (MY1xx), SQLite
#: (LT101) and naming (NM1xx) codes have no PostgreSQL-migration counterpart.
ATLAS_CODES: dict[str, tuple[str, ...]] = {
    "DS101": ("destructive-down-migration",),  # schema dropped
    "DS102": ("drop-table", "destructive-down-migration"),  # table dropped
    "DS103": ("drop-column", "destructive-down-migration"),  # non-virtual column dropped
    "BC101": ("rename-table",),
    "BC102": ("rename-column",),
    "CD101": ("drop-constraint",),  # foreign key dropped
    # MF101/MF102: a unique index on existing rows may fail on duplicates; MF104: SET NOT
    # NULL may fail on NULLs. miglint reports no such data-dependent failure: its
    # non-concurrent-create-index / set-not-null-without-check report the lock, which
    # Atlas reports as PG101 / PG303, so these codes acknowledge nothing here.
    "MF101": (),
    "MF102": (),
    "MF103": ("not-null-column-without-default",),  # ADD COLUMN … NOT NULL on an existing table
    "MF104": (),
    "PG101": ("non-concurrent-create-index",),
    "PG102": ("non-concurrent-drop-index",),
    "PG103": (),  # missing `atlas:txmode none`: the statement fails (CORRECTNESS)
    "PG104": ("unique-constraint-without-index",),  # ADD PRIMARY KEY builds its index under ACCESS EXCLUSIVE
    "PG105": ("unique-constraint-without-index",),  # ADD UNIQUE, likewise
    "PG110": (),  # column alignment
    "PG301": ("column-type-rewrite",),
    "PG302": ("add-column-rewrite",),  # volatile DEFAULT rewrites the table
    "PG303": ("set-not-null-without-check",),
    "PG304": ("set-not-null-without-check", "unique-constraint-without-index"),  # PK on nullable columns
    "PG305": ("check-constraint-without-not-valid",),
    "PG306": ("foreign-key-without-not-valid",),
}

#: Atlas analyzer names (``Name()`` of each analyzer, also its ``atlas.hcl`` block) -> the
#: union of their codes' rules. ``destructive`` also covers a DELETE/UPDATE without WHERE:
#: openmeter marks ``DELETE FROM "plan_phases";`` with ``atlas:nolint destructive``.
ATLAS_ANALYZERS: dict[str, tuple[str, ...]] = {
    "destructive": ("drop-table", "drop-column", "destructive-down-migration", "missing-where-clause"),
    "incompatible": ("rename-table", "rename-column"),
    "condrop": ("drop-constraint",),
    "data_depend": ("not-null-column-without-default",),
    "concurrent_index": ("non-concurrent-create-index", "non-concurrent-drop-index"),
    "naming": (),
}

_ATLAS_LINE = lazyre.compile(r"^[ \t]*(?:--[ ]?|/\*)atlas:nolint\b(?P<args>[^\n]*)$", re.M)
_SAFETY = lazyre.compile(r"^[ \t]*--[ \t]*safety-assured:(start|end)[ \t]*\r?$", re.M | re.I)
#: a line that keeps an Atlas comment group going: a comment (or the statement itself)
_COMMENT_LINE = lazyre.compile(r"[ \t]*(?:--|/\*)")


@lru_cache(maxsize=1)
def acknowledge_all() -> frozenset[str]:
    """Rules a blanket waiver (bare ``atlas:nolint``, a ``safety-assured`` block) covers:
    every locking, breaking-change, type-hygiene and idempotency rule, and
    ``destructive-down-migration``; not :data:`CORRECTNESS`, syntax, secrets, naming or
    versioning rules."""
    from linter import registry

    return frozenset(
        r.id
        for r in registry.all_rules().values()
        if (r.family in ("locking", "idempotency") or r.id == "destructive-down-migration") and r.id not in CORRECTNESS
    )


def atlas_rules(args: list[str]) -> frozenset[str]:
    """miglint rules an ``atlas:nolint`` with ``args`` (codes or analyzer names, as
    written) acknowledges; no args means every rule of :func:`acknowledge_all`."""
    if not args:
        return acknowledge_all()
    out: set[str] = set()
    for a in args:
        out.update(ATLAS_CODES.get(a.upper(), ()) or ATLAS_ANALYZERS.get(a, ()))
    return frozenset(out)


def has_any(text: str) -> bool:
    """Cheap test: may ``text`` hold an Atlas or diesel-guard directive?"""
    return "atlas:nolint" in text or "safety-assured" in text or "SAFETY-ASSURED" in text


def parse(text: str, spans: list[tuple[int, int]], line_of, make) -> list:
    """The Atlas and diesel-guard directives in ``text`` as suppressions.

    ``spans``: sorted ``(start, end)`` character offsets of the file's statements;
    ``line_of(offset)``: 1-based line; ``make(start, end, line, whole_file, names, region,
    tool, rules)``: builds one :class:`linter.suppress.Suppression`.
    """
    out = []
    if "atlas:nolint" in text:
        top = _atlas_file_comments_end(text)
        for m in _ATLAS_LINE.finditer(text):
            args_text = m.group("args")
            if m.group().lstrip().startswith("/*"):
                if "*/" not in args_text:
                    continue
                args_text = args_text[: args_text.index("*/")]
            args = args_text.split()
            if args_text and not args_text[0].isspace():  # "atlas:nolintX" is no directive
                continue
            base = m.start("args")
            names = [(a, base + args_text.find(a), None) for a in args]
            rules = atlas_rules(args)
            if m.start() < top:  # file directive
                out.append(make(m.start(), m.end(), line_of(m.start()), True, names, None, "atlas", rules))
                continue
            region = _next_statement(text, m.end(), spans)
            if region is not None:
                out.append(make(m.start(), m.end(), line_of(m.start()), False, names, region, "atlas", rules))
    if "safety-assured" in text or "SAFETY-ASSURED" in text:
        out.extend(_safety_assured(text, spans, line_of, make))
    return out


def _safety_assured(text: str, spans: list[tuple[int, int]], line_of, make) -> list:
    blocks, start = [], None
    for m in _SAFETY.finditer(text):
        if (m.group(1).lower() == "start") == (start is not None):
            return []  # nested, or an end without a start: diesel-guard rejects the file
        if start is None:
            start = m
        else:
            blocks.append((start, m))
            start = None
    if start is not None:
        return []  # unclosed
    out = []
    for b0, b1 in blocks:
        inside = [(s0, s1) for s0, s1 in spans if b0.end() <= s0 < b1.start()]
        if inside:
            region = (inside[0][0], max(s1 for _, s1 in inside))
            out.append(make(b0.start(), b0.end(), line_of(b0.start()), False, [], region, "diesel-guard", acknowledge_all()))
    return out


def _atlas_file_comments_end(text: str) -> int:
    """Offset just past Atlas's file-level comment block, or 0 when there is none: the
    lines at the very top starting with ``--`` or ``#``, then a blank line (or the end of
    the file). Without the blank line those comments belong to the first statement."""
    pos = 0
    while text.startswith(("--", "#"), pos):
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        pos = nl + 1
    if pos == 0:
        return 0
    rest = text[pos:].lstrip(" \t")
    return pos if rest.startswith(("\n", "\r\n")) or rest == "" else 0


def _next_statement(text: str, c1: int, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Span of the statement the comment group ending past ``c1`` belongs to: the next one,
    when only comment lines (no blank line) come between."""
    nxt = next(((s0, s1) for s0, s1 in spans if s0 >= c1), None)
    if nxt is None:
        return None
    between = text[c1 : nxt[0]]
    lines = between.split("\n")[1:]  # the directive's own line ends at c1
    for ln in lines[:-1]:
        if not _COMMENT_LINE.match(ln):
            return None  # a blank line (or other text) ends Atlas's comment group
    if lines and lines[-1].strip():  # the statement's own line: only indentation before it
        return None
    return nxt
