"""Runs the checks: by scope, in parallel, with suppressions, severities and fingerprints.

Scopes (what a check module's ``SCOPE`` asks the engine to pass):

* ``"statement"``: ``check(ctx, stmt, options)`` for every statement of a file that
  parsed, top-level ones and those inside ``DO`` blocks / PL/pgSQL bodies
  (``stmt.parent`` is set for those), and those the ``EXECUTE``s of DO blocks and called
  functions build (``stmt.dynamic`` is set: their findings get no fix and point at the
  string literal, :func:`linter.pg.dynamic.finish_all`, whichever rule reports them). A rule module that declares
  ``KINDS = ("IndexStmt", ...)`` is only called for statements of those kinds; one that
  also declares ``SUBCOMMANDS = ("AT_DropColumn", ...)`` is called for an
  ``AlterTableStmt`` only when one of its subcommands (``AlterTableCmd.subtype``) is of
  those types (statements of its other kinds are unaffected).
* ``"file"``: ``check(ctx, options)`` once per file, whether it parsed or not
  (``ctx.source`` is ``None`` when it could not be read).
* ``"file-set"``: ``check(ctx, options)`` once per migration root, with every
  :class:`~linter.model.MigrationFile` of that root (naming, versions, down files).

A rule of any scope lists in ``NEEDS`` what the per-file summaries must hold for it
(:mod:`linter.migset.summary`). After the file-set checks, one post-pass resolves the
findings a statement rule marked as depending on earlier files of the root (a column's
old type: :func:`resolve_with_set`, :mod:`linter.migset.coltypes`), from those summaries.

A check yields :class:`~linter.model.Violation` objects made with ``ctx.violation``; it
never prints, picks a severity or reads other files. The engine stamps rule id, family,
severity (from the configuration, per path) and a fingerprint, drops suppressed ones,
folds findings that repeat a more specific one's hazard into it (:mod:`linter.merge`), adds ``unknown-rule-in-suppression``/``unused-suppression`` findings, and sorts.

Where a rule's ``HAZARD`` (:data:`linter.registry.HAZARDS`) does not apply, the engine
decides, not the rule: on baselines (:attr:`Direction.BASELINE`, run once on an empty
database) rules with a ``HAZARD`` are not run (:data:`BASELINE_SKIPS`); on down code,
``"lock"`` findings are folded after suppressions into one ``locking-in-rollback`` note
per down part, or dropped, or kept, as ``rollback_locking`` says (:mod:`linter.rollback_locks`).

A rule whose module declares ``REPORT = "per-file"`` (:data:`linter.registry.REPORTS`:
hazards on which a reviewer makes one decision per file, such as a file of renames or an
incomplete down) reports once per file, per dbmate/goose section: after suppressions, the
engine merges its findings on one file into the first, which names them all
(:func:`linter.grouping.merge`, also for the ``file-set`` findings of :func:`run_file_sets`).

Files are linted in parallel when there are many of them (the parse is CPU-bound C code;
there are two cores on CI machines): this process and ``jobs - 1`` forked workers share the
batches (:func:`lint_files`). One file's failure never stops the run: an
unexpected exception in a check becomes an ``internal-error`` note on that file.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator

from linter import HOMEPAGE, __version__, grouping, merge, registry, rollback_locks, suppress
from linter.config import Config, RuleSetting
from linter.model import FILE_SPAN, Direction, Finding, Fix, MigrationFile, Report, Severity, Span, Violation, cached_property
from linter.source import ReadResult, Source, Statement, read_text

#: Below this many files the engine works in-process (start-up of workers costs ~50 ms).
PARALLEL_THRESHOLD = 48
#: While :func:`lint` runs, the cyclic garbage collector is suspended and young objects are
#: collected once per this many files (in each process).
GC_EVERY = 512

#: A quoted token of 9+ characters in a message: blanked on lines that hold a secret.
_QUOTED_TOKEN = re.compile(r'"[^"]{9,}"')

#: Rules the engine itself produces from suppression comments.
SUPPRESSION_RULES = ("unknown-rule-in-suppression", "unused-suppression")
#: The rule that summarises lock-hazard findings on down code (:mod:`linter.rollback_locks`).
ROLLBACK_RULE = "locking-in-rollback"
#: Rules the engine runs itself, after the others (never from the plan).
ENGINE_RULES = (*SUPPRESSION_RULES, ROLLBACK_RULE)


# --------------------------------------------------------------------------- contexts


#: :class:`linter.pg.analysis.FileAnalysis` and :func:`linter.migset.summary.summarize`,
#: imported on first use (a run that needs neither loads neither) and kept here.
_FileAnalysis: Any = None
_summarize: Any = None


class FileContext:
    """What a ``statement``/``file`` check sees of one file.

    ``file``: the :class:`MigrationFile`; ``source``: its :class:`Source` (``None`` if the
    file could not be read); ``read``: the :class:`ReadResult`; ``config``: the run's
    :class:`Config` (``pg_version`` etc.); ``pg``: shared PostgreSQL facts (transactions,
    locks, tables created earlier); ``suppressions``: the ignore comments (filled in for
    the suppression rules).
    """

    def __init__(self, file: MigrationFile, source: Source | None, read: ReadResult, config: Config) -> None:
        self.file = file
        self.source = source
        self.read = read
        self.config = config
        self.pg_version = config.pg_version
        self.suppressions: list[suppress.Suppression] = []
        #: lock-hazard findings on down code, per down part (:func:`linter.rollback_locks.fold`)
        self.rollback_locks: list[list] = []

    @cached_property
    def pg(self):
        """Shared PostgreSQL facts about this file (:class:`linter.pg.analysis.FileAnalysis`),
        built on first use and then a plain attribute (rules read it ~140,000 times per
        corpus run); :meth:`release` drops it."""
        global _FileAnalysis
        if _FileAnalysis is None:  # imported on first use, then kept: an import statement per file costs ~2 us
            from linter.pg.analysis import FileAnalysis as _FileAnalysis
        return _FileAnalysis(self)

    def release(self) -> None:
        """Drop the shared facts: :class:`~linter.pg.analysis.FileAnalysis` refers back to
        this context, a cycle that would keep the parse tree alive until the collector ran."""
        self.__dict__.pop("pg", None)

    def violation(
        self,
        where: Statement | Span | None,
        message: str,
        *,
        node: dict | None = None,
        help: str | None = None,
        fix: Fix | None = None,
        redacted: bool = False,
        context: str | None = None,
        **properties: Any,
    ) -> Violation:
        """A :class:`Violation` at a statement (at ``node`` inside it, if given), a span,
        or the whole file (``where=None``). The fingerprint context defaults to the
        statement's whitespace-normalised text."""
        if isinstance(where, Statement):
            span = where.node_span(node) if node is not None else where.span
            if context is not None:
                ctx_text = context
            elif redacted:  # never hash a secret's text: a short one could be guessed back
                ctx_text = f"{where.kind}:{message}"
            else:
                ctx_text = " ".join(where.text.split())
        else:
            span = where or FILE_SPAN
            ctx_text = context if context is not None else message
        return Violation(span, message, help, fix, ctx_text, redacted, properties)

    def fix(self, start: int, end: int, replacement: str, description: str) -> Fix:
        """A :class:`Fix` replacing original-text characters ``[start, end)``."""
        assert self.source is not None
        return Fix(self.source.index.span(start, end), start, end, replacement, description)

    def span(self, start: int, end: int) -> Span:
        """The span of original-text character offsets ``[start, end)``."""
        assert self.source is not None
        return self.source.index.span(start, end)


@dataclass
class FileSetContext:
    """What a ``file-set`` check sees: one migration root and all of its files.

    ``summaries`` maps a file's path to what the workers learnt of it: ``{"parsed":
    bool}`` plus what the enabled rules' ``NEEDS`` asked for (:mod:`linter.migset.summary`).
    ``history`` is the run's :class:`linter.migset.history.History` (git with ``--base``,
    else the checksum manifest, else ``None``) when an enabled rule's ``NEEDS`` holds
    ``"history"``.
    """

    root: str
    files: list[MigrationFile]
    config: Config
    summaries: dict[str, dict] = field(default_factory=dict)
    history: Any = None
    #: what one rule computed and others of the same root reuse (rollback pairs, analyses)
    cache: dict = field(default_factory=dict)
    #: the paths whose findings are wanted (``lint --changed``, :func:`lint`'s ``only``), ``None``
    #: for all: a check may skip work whose findings could only land on other files
    #: (:func:`linter.migset.pairs.wanted`), never work that findings on these paths depend on
    only: frozenset[str] | None = None

    def violation(self, file: MigrationFile | None, message: str, *, help: str | None = None, span: Span | None = None,
                  context: str | None = None, **properties: Any) -> Violation:
        """A violation about a whole file (or the root, ``file=None``; or a file that no
        longer exists, ``path=...``). The fingerprint context defaults to the message."""
        props = dict(properties)
        if file is not None or "path" not in props:
            props["path"] = file.path if file else self.root
        return Violation(span or FILE_SPAN, message, help, None, message if context is None else context, False, props)


# --------------------------------------------------------------------------- one file


@dataclass
class FileResult:
    """What linting one file gave (picklable; workers send it back)."""

    path: str
    findings: list[Finding]
    excerpts: dict[int, str]
    ignored_rules: set[str] | None  # rules ignored file-wide; {"*"} means every rule
    summary: dict


def _fingerprint(rule_id: str, path: str, context: str, n: int) -> str:
    h = hashlib.sha256(f"{rule_id}\0{path}\0{context}\0{n}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]


def _stamp(rule: registry.Rule, setting: RuleSetting, path: str, v: Violation, seen: dict) -> Finding:
    key = (rule.id, v.context)
    n = seen.get(key, 0)
    seen[key] = n + 1
    return Finding(
        rule_id=rule.id,
        family=rule.family,
        severity=setting.severity,
        path=path,
        span=v.span,
        message=v.message,
        # one string object per distinct help text: most findings of a rule share theirs,
        # and pickling (worker results) and memory then hold it once
        help=sys.intern(v.help) if v.help else v.help,
        docs_url=rule.docs_url,
        fingerprint=_fingerprint(rule.id, path, v.context, n),
        fix=v.fix,
        redacted=v.redacted,
        properties=v.properties,
    )


_LINTED = 0  # files linted in this process since young objects were last collected


def lint_file(file: MigrationFile, config: Config, read: ReadResult | None = None) -> FileResult:
    """Lint one file with the statement and file checks enabled for its path. ``read``:
    the file's text when it is not to be read from ``file.abspath`` (an editor's unsaved
    buffer, :mod:`linter.lsp`). While the
    cyclic garbage collector is off (:func:`lint`), every :data:`GC_EVERY` files it
    collects the young objects (here, between two files, no parse tree is alive)."""
    global _LINTED
    _LINTED += 1
    if _LINTED >= GC_EVERY and not gc.isenabled():
        _LINTED = 0
        gc.collect(0)
    try:
        return _lint_file(file, config, read)
    except Exception:  # a bug in a check must not hide the other files' findings
        import traceback

        last = traceback.format_exc().strip().splitlines()[-1]
        f = Finding(
            rule_id="internal-error",
            family="syntax",
            severity=Severity.ERROR,
            path=file.path,
            span=FILE_SPAN,
            message=f"miglint failed on this file ({last}); the other files were linted",
            help="Please report this, with the file, at " + HOMEPAGE + "/issues.",
            docs_url=HOMEPAGE,
            fingerprint=_fingerprint("internal-error", file.path, last, 0),
        )
        return FileResult(file.path, [f], {}, None, {"parsed": False})


_PLANS: dict[int, tuple] = {}


def _plan(settings: dict[str, RuleSetting]) -> tuple[dict, list, list]:
    """``({statement kind: statement rules to call}, statement rules for any other kind,
    file rules)`` for one settings mapping, in registry order, each rule as ``(rule, its
    module's check function, its options)``. A rule that declares
    ``KINDS`` is only called for statements of those kinds; :func:`_statement_rules`
    narrows the ``"AlterTableStmt"`` entry by the rules' ``SUBCOMMANDS``, keeping what it
    picks for each set of subcommand types under the key ``("AlterTableStmt", frozenset)``.
    Cached per settings object (the config hands out one per group of paths)."""
    hit = _PLANS.get(id(settings))
    if hit is not None and hit[0] is settings:
        return hit[1], hit[2], hit[3]
    rules = registry.all_rules()
    stmt_rules = [(rules[r], registry.check_of(rules[r]), s.options) for r, s in settings.items() if rules[r].scope == "statement"]
    file_rules = [(rules[r], registry.check_of(rules[r]), s.options) for r, s in settings.items()
                  if rules[r].scope == "file" and r not in ENGINE_RULES]
    every = [t for t in stmt_rules if t[0].kinds is None]
    by_kind: dict = {}
    for t in stmt_rules:
        for kind in t[0].kinds or ():
            by_kind.setdefault(kind, list(every)).append(t)
    _PLANS[id(settings)] = (settings, by_kind, every, file_rules)
    return by_kind, every, file_rules


def _statement_rules(stmt: Statement, by_kind: dict, every: list) -> list:
    """The ``(rule, check, options)`` of a :func:`_plan` to call for ``stmt``: those of its
    kind; for an ALTER TABLE, without the rules none of whose ``SUBCOMMANDS`` it has."""
    rules = by_kind.get(stmt.kind, every)
    if stmt.kind != "AlterTableStmt" or rules is every:
        return rules
    subtypes = frozenset(c.get("AlterTableCmd", {}).get("subtype") for c in stmt.body.get("cmds", ()))
    key = ("AlterTableStmt", subtypes)
    hit = by_kind.get(key)
    if hit is None:
        hit = by_kind[key] = [t for t in rules if t[0].subcommands is None or not t[0].subcommands.isdisjoint(subtypes)]
    return hit


#: ``HAZARD`` values of rules that assume an existing table with rows: not run on
#: baselines (:attr:`Direction.BASELINE`: dumps, init scripts, Flyway ``B`` files), which
#: run once on an empty database.
BASELINE_SKIPS = frozenset({"lock", "type", "populated"})
_BASELINE_SETTINGS: dict[int, tuple] = {}


def _baseline_settings(settings: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
    """``settings`` without the rules whose ``HAZARD`` is in :data:`BASELINE_SKIPS`;
    cached per settings object, like :func:`_plan`."""
    hit = _BASELINE_SETTINGS.get(id(settings))
    if hit is None or hit[0] is not settings:
        rules = registry.all_rules()
        hit = _BASELINE_SETTINGS[id(settings)] = (settings, {r: s for r, s in settings.items() if rules[r].hazard not in BASELINE_SKIPS})
    return hit[1]


def _section_of(source: Source | None):
    """For :func:`linter.grouping.merge`: the start offset of the dbmate/goose section a
    violation is in; ``None`` (one part) for a file without sections."""
    if source is None or len(source.sections) <= 1:
        return None
    return lambda v: source.section_of(source.index.offset(v.span.start)).start


def _lint_file(file: MigrationFile, config: Config, read: ReadResult | None = None) -> FileResult:
    rules = registry.all_rules()
    settings = config.settings_for(file.path)
    if file.direction is Direction.BASELINE:
        settings = _baseline_settings(settings)
    if read is None:
        read = read_text(file.abspath, config.max_file_size)
    source = None
    if read.text is not None:
        source = Source(read.text, file, placeholders=config.placeholders, placeholder_syntax=config.placeholder_syntax)
    ctx = FileContext(file, source, read, config)
    raw: list[tuple[registry.Rule, Violation]] = []
    by_kind, every, file_rules = _plan(settings)
    statements: list[Statement] = []
    if source is not None and source.error is None:
        statements = list(source.all_statements()) if by_kind or every or "miglint:" in source.text else source.statements
        for stmt in statements:
            n = len(raw)
            kind = stmt.kind
            chosen = by_kind.get(kind, every) if kind != "AlterTableStmt" else _statement_rules(stmt, by_kind, every)
            for rule, check, options in chosen:
                for v in check(ctx, stmt, options) or ():
                    raw.append((rule, v))
            if stmt.dynamic is not None and len(raw) > n:  # built by EXECUTE: at its literal, no fix
                from linter.pg.dynamic import finish

                raw[n:] = [(rule, finish(v, stmt)) for rule, v in raw[n:]]
    for rule, check, options in file_rules:
        for v in check(ctx, options) or ():
            raw.append((rule, v))

    # suppressions
    ignored: set[str] | None = None
    if source is not None:
        ctx.suppressions = suppress.parse(
            source.text, statements, lambda c: source.index.position(c).line, foreign=config.foreign_suppressions
        )
    kept = raw
    if ctx.suppressions or merge.wanted(raw):  # most files: no ignore comment, nothing to fold
        kept = merge.resolve(raw, ctx.suppressions, source)  # suppressions, one finding per hazard
    if source is not None and source._dynamic and kept:  # findings of other scopes on EXECUTEd commands
        from linter.pg.dynamic import finish_all  # (after merge: it builds candidates' messages and fixes)

        kept = finish_all(source, kept)
    if source is not None and config.rollback_locking != "full":  # lock findings on down code
        kept = rollback_locks.fold(ctx, kept, summarise=config.rollback_locking == "summary" and ROLLBACK_RULE in settings)
        if ctx.rollback_locks:
            notes = [(rules[ROLLBACK_RULE], v) for v in rules[ROLLBACK_RULE].module.check(ctx, settings[ROLLBACK_RULE].options)]
            kept += merge.resolve(notes, ctx.suppressions, source) if ctx.suppressions else notes  # its own ignore comments
    kept = grouping.merge(kept, _section_of(source))  # REPORT = "per-file" rules: one finding per file
    set_ignores = []  # ignore comments naming file-set rules: applied by run_file_sets
    for s in ctx.suppressions:
        if s.whole_file:
            ignored = ignored or set()
            ignored |= s.rules if s.names or s.acknowledges is not None else {"*"}
        elif s.region is not None:
            for rid in s.rules:
                if rules[rid].scope == "file-set" and rid in settings:
                    s.used.add(rid)  # whether it suppresses anything is known only later
                    set_ignores.append((rid, source.index.position(s.region[0]).line, source.index.position(s.region[1]).line))
    for rid in SUPPRESSION_RULES:
        if rid in settings and ctx.suppressions:
            for v in rules[rid].module.check(ctx, settings[rid].options) or ():
                kept.append((rules[rid], v))

    seen: dict = {}
    findings = [_stamp(rule, settings[rule.id], file.path, v, seen) for rule, v in kept]
    excerpts: dict[int, str] = {}
    if source is not None:
        secret_lines = {ln for f in findings if f.redacted for ln in range(f.span.start.line, f.span.end.line + 1)}
        if secret_lines:  # another rule's finding on a line holding a secret must not echo it either:
            # no excerpt, no fix, and no quoted token ("syntax error at or near "'AKIA…'"")
            findings = [
                replace(f, redacted=True, message=_QUOTED_TOKEN.sub('"…"', f.message))
                if not f.redacted and not secret_lines.isdisjoint(range(f.span.start.line, f.span.end.line + 1))
                else f
                for f in findings
            ]
        if findings:
            index = source.index
            n_lines, line_text = index.line_count, index.line_text
            for f in findings:
                if not f.redacted:
                    first = f.span.start.line
                    for ln in range(first, min(f.span.end.line, first + 2, n_lines) + 1):
                        if ln not in excerpts:
                            excerpts[ln] = line_text(ln)
    summary = {"parsed": source is not None and source.error is None}
    if set_ignores:
        summary["set_ignores"] = set_ignores
    needs = _summary_needs(settings)
    if needs:
        global _summarize
        if _summarize is None:
            from linter.migset.summary import summarize as _summarize
        summary.update(_summarize(file, source, needs, config))
    if source is not None:
        source.close()
    ctx.release()  # FileAnalysis refers back to ctx: break the cycle so the tree is freed now
    return FileResult(file.path, findings, excerpts, ignored, summary)


def context_file(file: MigrationFile, config: Config) -> FileResult:
    """What the ``file-set`` rules need of a file whose own findings are not wanted (a
    context file of ``lint --changed`` / ``miglint github``, :func:`lint`'s ``only``): the
    summary keys the enabled rules' ``NEEDS`` ask for (:func:`_summary_needs`), computed
    exactly as :func:`_lint_file` computes them (same :class:`Source`, same
    :func:`linter.migset.summary.summarize`), and no statement or file rule run. The
    file is parsed only when a key needs statements (``digest`` needs the text, a
    history rule nothing; no key: not even read). No findings, no ignore comments:
    both only ever concern the file itself, and its findings are not reported."""
    settings = config.settings_for(file.path)
    if file.direction is Direction.BASELINE:
        settings = _baseline_settings(settings)
    needs = _summary_needs(settings)
    if not needs - _NO_READ_NEEDS:
        return FileResult(file.path, [], {}, None, {})
    read = read_text(file.abspath, config.max_file_size)
    source = None
    if read.text is not None:
        if needs - _TEXT_NEEDS:
            source = Source(read.text, file, placeholders=config.placeholders, placeholder_syntax=config.placeholder_syntax)
        else:  # the digest needs the text only
            source = _TextOnly(read.text)
    from linter.migset.summary import summarize

    summary = summarize(file, source, needs, config)
    if isinstance(source, Source):
        summary["parsed"] = source.error is None
        source.close()
    return FileResult(file.path, [], {}, None, summary)


class ContextSummary(dict):
    """The summary of a context file (:func:`lint`'s ``only``), computed by
    :func:`context_file` when a ``file-set`` rule or the set post-pass first asks for one of
    its keys (``get``, ``[]``, ``in``, or a look at the whole): a change's findings need
    only some files of a root (the units a rule reports on, the tables a dropped one is tied
    to), so most context files are never parsed. Asking for a key no summary holds (an
    engine key such as ``set_ignores``) computes nothing. Lives in the process that runs
    the set rules (never pickled)."""

    __slots__ = ("_file", "_config", "_done", "_folded")

    def __init__(self, file: MigrationFile, config: Config) -> None:
        super().__init__()
        self._file = file
        self._config = config
        self._done = False
        self._folded: str | None = None

    def may_name(self, name: str) -> bool:
        """False only when no statement of the file can name the object ``name`` (a bare
        identifier as the parser gives it): its text does not hold ``name`` in any letter
        case, and neither Unicode escapes (``U&"..."``) nor placeholders (replaced before
        parsing) could spell it. Reads the text, parses nothing."""
        if self._done:
            return True
        if self._folded is None:
            read = read_text(self._file.abspath, self._config.max_file_size)
            text = (read.text or "").casefold()
            self._folded = "" if read.text is None else text
            if self._config.placeholders or 'u&"' in text or "u&'" in text:
                self._fill()
                return True
        return name.casefold() in self._folded

    def _fill(self) -> None:
        if not self._done:
            self._done = True
            self.update(context_file(self._file, self._config).summary)

    def get(self, key, default=None):
        if key in _SUMMARY_KEYS:
            self._fill()
        return dict.get(self, key, default)

    def __getitem__(self, key):
        self._fill()
        return dict.__getitem__(self, key)

    def __contains__(self, key) -> bool:
        if key in _SUMMARY_KEYS:
            self._fill()
        return dict.__contains__(self, key)

    def __len__(self) -> int:
        self._fill()
        return dict.__len__(self)

    def __iter__(self):
        self._fill()
        return dict.__iter__(self)

    def keys(self):
        self._fill()
        return dict.keys(self)

    def items(self):
        self._fill()
        return dict.items(self)

    def values(self):
        self._fill()
        return dict.values(self)

    def __eq__(self, other) -> bool:
        self._fill()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]


#: The keys :func:`context_file` can put in a summary (:mod:`linter.migset.summary`'s, and ``parsed``).
_SUMMARY_KEYS = frozenset({"parsed", "sections", "categories", "objects", "digest", "column_types", "table_ties"})


class _TextOnly:
    """What :func:`linter.migset.summary.summarize` reads of an unparsed file: its text
    (an ``error`` stops it before the keys that need statements)."""

    __slots__ = ("text", "error")

    def __init__(self, text: str) -> None:
        self.text = text
        self.error = (0, "not parsed")


#: Summary needs that read nothing of a file (the history is loaded once for the run).
_NO_READ_NEEDS = frozenset({"history"})
#: Summary needs that read a file's text but need no parse.
_TEXT_NEEDS = _NO_READ_NEEDS | {"digest"}


# --------------------------------------------------------------------------- the run

_WORKER_CONFIG: Config | None = None
_WORKER_FILES: list[MigrationFile] = []


def _init_worker(config: Config, files: list[MigrationFile]) -> None:
    """A forked worker's start: the run's configuration and files come with the fork
    (initializer arguments are not pickled under the ``fork`` start method), so a batch is
    sent as indices into ``files``."""
    global _WORKER_CONFIG, _WORKER_FILES
    _WORKER_CONFIG = config
    _WORKER_FILES = files


def _work(batch: list[int]) -> list[FileResult]:
    assert _WORKER_CONFIG is not None
    files = _WORKER_FILES
    return [lint_file(files[i], _WORKER_CONFIG) for i in batch]


def _jobs(requested: int | None, n_files: int) -> int:
    if requested is not None:
        return max(1, requested)
    if n_files < PARALLEL_THRESHOLD:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def lint_files(files: list[MigrationFile], config: Config, *, jobs: int | None = None) -> Iterator[FileResult]:
    """Yield a :class:`FileResult` per file, in the order of ``files``.

    ``jobs``: processes that lint (default: one per core when there are at least
    :data:`PARALLEL_THRESHOLD` files, else in-process). With ``jobs`` = n, this process
    is one of them and forks n - 1 workers: files are cut into batches, biggest files
    first; the workers take batches from the front while this process takes them from
    the back (a batch no worker has started can be cancelled and linted here), so both
    ends meet with no straggler, and the results linted here are never pickled. Before
    forking, this process lints one file, so the modules and compiled patterns every
    file needs are loaded once and shared with the workers.
    """
    n = _jobs(jobs, len(files))
    if n > 1:  # imported here: a one-file run should not pay for the pool (~20 ms)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if "fork" not in multiprocessing.get_all_start_methods():
            n = 1
        else:  # a large run: the workers share orjson and the rule modules, imported once here
            from linter.pg.parser import prefer_fast_json

            prefer_fast_json()
            registry.import_all()
    if n == 1:
        if len(files) >= PARALLEL_THRESHOLD:  # a large run calls nearly every rule: no stand-ins (registry.check_of)
            registry.import_all()
        for f in files:
            yield lint_file(f, config)
        return
    results: list[FileResult | None] = [None] * len(files)
    order = sorted(range(len(files)), key=lambda i: -_size(files[i].abspath))
    first = order.pop()  # the smallest file: the warm-up before forking
    results[first] = lint_file(files[first], config)
    size = max(1, min(32, len(order) // (n * 8) or 1))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=n - 1, mp_context=ctx, initializer=_init_worker, initargs=(config, files)) as pool:
        futures = [pool.submit(_work, b) for b in batches]  # indices: the workers have ``files`` from the fork
        for batch, fut in zip(reversed(batches), reversed(futures)):
            if not fut.cancel():  # a worker has it: every batch before it is theirs too
                break
            for i in batch:
                results[i] = lint_file(files[i], config)
        for batch, fut in zip(batches, futures):
            if not fut.cancelled():
                for i, res in zip(batch, fut.result()):
                    results[i] = res
    yield from results  # type: ignore[misc]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


_NEEDS: dict[int, tuple] = {}


def _summary_needs(settings: dict[str, RuleSetting]) -> frozenset[str]:
    """What the enabled rules need in each file's summary (their ``NEEDS``: the
    ``file-set`` rules, and statement rules whose findings the set resolves after all
    files, :func:`resolve_with_set`); cached per settings object, like :func:`_plan`."""
    hit = _NEEDS.get(id(settings))
    if hit is not None and hit[0] is settings:
        return hit[1]
    rules = registry.all_rules()
    needs = frozenset(n for r in settings for n in (rules[r].needs if rules[r].needs is not None else getattr(rules[r].module, "NEEDS", ())))
    _NEEDS[id(settings)] = (settings, needs)
    return needs


def run_file_sets(files: list[MigrationFile], config: Config, summaries: dict[str, dict], ignored: dict[str, set[str] | None],
                  only: frozenset[str] | None = None) -> list[Finding]:
    """Run the ``file-set`` checks once per migration root; honours ``ignore-file``, and
    ignore comments on the statement a finding points at (the workers send their lines in
    the summary's ``set_ignores``: ``[(rule id, first line, last line)]``). ``only``: the
    paths whose findings are wanted (:func:`lint`), also told to the checks
    (:attr:`FileSetContext.only`); ``None``: all.
    Loads the history (git or manifest, :mod:`linter.migset.history`) once when an enabled
    rule needs it; raises :class:`linter.migset.history.HistoryError` when git fails."""
    rules = registry.all_rules()
    by_root: dict[str, list[MigrationFile]] = defaultdict(list)
    for f in files:
        by_root[f.root].append(f)
    history = None
    if any("history" in _summary_needs(config.settings_for(m[0].path)) for m in by_root.values()):
        from linter.migset.history import load

        history = load(config, files)
    out: list[Finding] = []
    for root, members in by_root.items():
        settings = config.settings_for(members[0].path)
        ctx = FileSetContext(root, members, config, {m.path: summaries.get(m.path, {}) for m in members}, history, only=only)
        seen: dict = {}
        kept: list = []
        for rid, setting in settings.items():
            rule = rules[rid]
            if rule.scope != "file-set":
                continue
            for v in rule.module.check(ctx, setting.options) or ():
                path = v.properties.get("path", root)
                if only is not None and path not in only:
                    continue
                ig = ignored.get(path)
                if ig and ("*" in ig or rid in ig):
                    continue
                line = v.span.start.line
                if any(r == rid and l0 <= line <= l1 for r, l0, l1 in summaries.get(path, {}).get("set_ignores", ())):
                    continue  # an ignore comment on the statement the finding points at
                if rid not in config.settings_for(path):
                    continue
                kept.append((rule, v))
        kept = grouping.merge(kept, lambda v: v.properties.get("path", root))  # one per file
        for rule, v in kept:
            path = v.properties.get("path", root)
            out.append(_stamp(rule, config.settings_for(path)[rule.id], path, v, seen))
    return out


def resolve_with_set(findings: list[Finding], files: list[MigrationFile], summaries: dict[str, dict], config: Config) -> list[Finding]:
    """The post-pass after all files: findings a statement rule marked as depending on
    what earlier files of the root declare (a column's old type) are restated or dropped
    from the per-file summaries (:func:`linter.migset.coltypes.resolve`), and so are the
    ``locking-in-rollback`` notes, without the tables the down's up created
    (:func:`linter.rollback_locks.resolve`), and ``DROP TABLE`` findings from the tables tied
    to the dropped ones (:func:`linter.migset.references.resolve`); fixes a later file's
    ``ALTER COLUMN … TYPE`` would turn into a rewrite are taken off
    (:func:`linter.migset.coltypes.strip_retyped_fixes`); no file is read again. Costs a scan of the
    findings per resolver when none is marked."""
    from linter.migset import coltypes, references

    findings = rollback_locks.resolve(findings, files, summaries)
    findings = references.resolve(findings, files, summaries)
    findings = coltypes.strip_retyped_fixes(findings, files, summaries)
    return coltypes.resolve(findings, files, summaries, config)


def _set_excerpts(found: list[Finding], files: list[MigrationFile], excerpts: dict[str, dict[int, str]], config: Config) -> None:
    """Source lines for ``file-set`` findings inside a file (the workers only send the lines
    of their own findings); each such file is read once, and only these few."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for f in found:
        if not f.redacted and f.span != FILE_SPAN:  # whole-file findings show no line
            wanted[f.path].update(range(f.span.start.line, min(f.span.end.line, f.span.start.line + 2) + 1))
    by_path = {f.path: f for f in files}
    for path, lines in wanted.items():
        if path not in by_path:
            continue
        read = read_text(by_path[path].abspath, config.max_file_size)
        if read.text is None:
            continue
        text_lines = read.text.split("\n")
        got = excerpts.setdefault(path, {})
        for ln in lines:
            if ln <= len(text_lines):
                got.setdefault(ln, text_lines[ln - 1].rstrip("\r"))


def lint(files: list[MigrationFile], config: Config, *, jobs: int | None = None, notes: Iterable[str] = (),
         only: Iterable[str] | None = None, cache=None) -> Report:
    """Lint ``files`` and return the sorted :class:`Report`.

    ``only`` (the pull-request path: ``lint --changed``, ``miglint github``): the paths
    whose findings are wanted. Statement and file rules run on those files alone; the
    others of ``files`` are context for the ``file-set`` rules and the set post-pass
    (:func:`context_file`: the same summaries, no rules), and the report holds only the
    findings on ``only``'s paths (a removed file's path included). Those findings are the
    ones a run without ``only`` gives on these paths (tests/test_changed.py).

    The cyclic garbage collector is suspended meanwhile (and resumed after, if it was on):
    a file's parse tree is freed by reference counting when the file is done (the engine
    breaks the few cycles, :meth:`linter.source.Source.close`), but a collection that falls
    while a large file's tree is alive traverses all of it, and the findings and summaries
    kept so far, for nothing (~5 % of a corpus run). :func:`lint_file` collects young
    objects between files every :data:`GC_EVERY` files instead (in each process), so a
    cycle a file leaves behind is still freed.

    ``cache``: a :class:`linter.cache.ResultCache`, or ``None``: files whose cached result is
    still right are not linted again; a run whose every input is unchanged is served whole."""
    findings: list[Finding] = []
    excerpts: dict[str, dict[int, str]] = {}
    summaries: dict[str, dict] = {}
    ignored: dict[str, set[str] | None] = {}
    suspended = gc.isenabled()
    if suspended:
        gc.disable()
    wanted = None if only is None else frozenset(only)
    # the whole run is cached (and served) only when its files and settings are all it reads
    whole_run = cache is not None and wanted is None and not _reads_history(files, config)
    whole = cache.run_lookup(files) if whole_run else None
    if whole is not None:  # no input of the run changed: its findings, set rules included
        findings, excerpts = whole
    try:
        linted = files if wanted is None else [f for f in files if f.path in wanted]
        for res in _cached_lint_files(linted, config, jobs, cache) if whole is None else ():
            findings.extend(res.findings)
            if res.excerpts:
                excerpts[res.path] = res.excerpts
            summaries[res.path] = res.summary
            ignored[res.path] = res.ignored_rules
        if whole is None:
            if wanted is not None:  # context: summarised when a set rule first looks (in this process)
                for f in files:
                    if f.path not in wanted:
                        summaries[f.path] = ContextSummary(f, config)
            set_findings = run_file_sets(files, config, summaries, ignored, only=wanted)
            _set_excerpts(set_findings, files, excerpts, config)
            findings.extend(set_findings)
            findings = resolve_with_set(findings, files, summaries, config)
            if wanted is not None:
                findings = [f for f in findings if f.path in wanted]
    finally:
        if suspended:
            gc.enable()
    if whole is None:
        findings.sort(key=Finding.sort_key)
        if whole_run:
            cache.run_store(files, findings, excerpts)
    rules = registry.all_rules()
    enabled = [rules[r] for r in config.enabled_rules()]
    return Report(findings, list(files), enabled, excerpts, list(notes), __version__)


def _cached_lint_files(files: list[MigrationFile], config: Config, jobs: int | None, cache) -> Iterator[FileResult]:
    """:func:`lint_files`, with the results of the files ``cache`` (a
    :class:`linter.cache.ResultCache`, or ``None``) still holds taken from it, and the new
    ones written to it once all are done."""
    if cache is None:
        yield from lint_files(files, config, jobs=jobs)
        return
    hits = cache.lookup(files)
    fresh = lint_files([f for f in files if f.path not in hits], config, jobs=jobs) if len(hits) < len(files) else iter(())
    results = {}
    for f in files:
        res = results[f.path] = hits.get(f.path) or next(fresh)
        yield res
    cache.store(files, results)


def _reads_history(files: list[MigrationFile], config: Config) -> bool:
    """True when the run's set rules would read a history (:func:`linter.migset.history.load`:
    ``--base``, or the checksum manifest): its results then depend on more than the files."""
    firsts = {f.root: f for f in reversed(files)}.values()  # one file per root, as run_file_sets asks
    if not files or not any("history" in _summary_needs(config.settings_for(f.path)) for f in firsts):
        return False
    from linter.migset.summary import _manifest_exists, base_dir_of

    return bool(config.base) or _manifest_exists(base_dir_of(files[0]), config.manifest)


def fails(report: Report, fail_on: str) -> bool:
    """True when a finding is at or above ``fail_on`` (``never`` never fails)."""
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in report.findings)
