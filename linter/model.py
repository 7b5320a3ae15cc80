"""The data types every part of miglint shares: positions, findings, migration files.

All types are frozen dataclasses (hashable, picklable: the engine sends them between
worker processes). Conventions used throughout:

* Lines and columns are **1-based**. Columns count **Unicode code points** (characters of
  the decoded file), never bytes: pglast's byte offsets are converted once, in
  :mod:`linter.source`.
* A :class:`Span` is half-open: ``end`` is the position just *after* the last character,
  as SARIF's ``endColumn`` ("the column number of the character following the end of the
  region", SARIF 2.1.0 section 3.30.5) and LSP ranges are.
* Offsets (``Fix.start``/``Fix.end``) are 0-based **character** offsets into the file text.
* Paths in findings are POSIX, relative to the directory miglint reports against (the
  working directory, or the repository root in a pull request).
"""

from __future__ import annotations

import enum
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

_NO_ARG = object()  # "not passed", for a field with a default factory


class cached_property:
    """:func:`functools.cached_property` without its lock: the value is computed on first
    access and stored in the instance's ``__dict__`` under the same name, where later
    accesses find it without calling this descriptor. Python 3.11's version takes an
    ``RLock`` on every first access (removed in 3.12); miglint runs no threads (its
    workers are processes), and the per-file analyses compute ~20,000 such values per
    corpus run."""

    def __init__(self, func) -> None:
        self.func = func
        self.attrname: str | None = None
        self.__doc__ = func.__doc__
        self.__module__ = func.__module__

    def __set_name__(self, owner, name: str) -> None:
        self.attrname = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.attrname] = self.func(instance)
        return value


def fast_init(cls: type) -> type:
    """Give the frozen ``slots`` dataclass ``cls`` an ``__init__`` that stores each field
    through its slot's descriptor: the one :func:`dataclasses.dataclass` writes calls
    ``object.__setattr__`` per field, about three times the cost, and the hot types are
    made by the ten thousand per run (~57,000 :class:`Position`, ~41,000
    :class:`Violation`, ~35,000 session ``Held`` per corpus run). Same signature,
    defaults and default factories (``dataclasses.replace`` and pickling work as before).
    Raises ``TypeError`` for a class it cannot copy exactly (not frozen, no slots, a
    ``__post_init__``, an ``InitVar``, ``init=False`` or keyword-only fields). Use it as a
    class decorator, above ``@dataclass``."""
    flds = fields(cls)
    names = tuple(f.name for f in flds)
    code = cls.__init__.__code__  # the generated __init__'s parameters: exactly the fields, in order
    if (not cls.__dataclass_params__.frozen or "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__")
            or any(not f.init or f.kw_only for f in flds) or code.co_kwonlyargcount
            or code.co_varnames[1 : code.co_argcount] != names):
        raise TypeError(f"fast_init: {cls.__qualname__} is not a plain frozen slots dataclass")
    ns: dict[str, Any] = {"_NO_ARG": _NO_ARG}
    params, body = [], []
    for f in flds:
        ns["_set_" + f.name] = cls.__dict__[f.name].__set__
        if f.default is not MISSING:
            ns["_default_" + f.name] = f.default
            params.append(f"{f.name}=_default_{f.name}")
            body.append(f"_set_{f.name}(self, {f.name})")
        elif f.default_factory is not MISSING:
            ns["_factory_" + f.name] = f.default_factory
            params.append(f"{f.name}=_NO_ARG")
            body.append(f"_set_{f.name}(self, _factory_{f.name}() if {f.name} is _NO_ARG else {f.name})")
        else:
            params.append(f.name)
            body.append(f"_set_{f.name}(self, {f.name})")
    exec(f"def __init__(self, {', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body), ns)
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init
    return cls


class Severity(str, enum.Enum):
    """How bad a finding is. The names are SARIF's ``level`` values (SARIF 2.1.0, 3.27.10)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        """3 for error, 2 for warning, 1 for note: larger is more severe."""
        return _RANK[self]

    def __str__(self) -> str:  # "error", not "Severity.ERROR"
        return self.value


_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.NOTE: 1}
_SEVERITY = {s.value: s for s in Severity}

#: Config ``level`` values: a severity, or ``disable`` to turn the rule off.
LEVELS = ("error", "warning", "note", "disable")

#: The rule families, as ``--select``/``--ignore`` and presets name them.
FAMILIES = (
    "syntax",
    "style",
    "locking",
    "idempotency",
    "naming",
    "versioning",
    "rollback",
    "history",
    "secrets",
    "verify",  # found by `miglint verify` on a real server, never by `miglint lint`
)


@fast_init
@dataclass(frozen=True, order=True, slots=True)
class Position:
    """A place in a file: 1-based ``line`` and 1-based ``column`` in characters."""

    line: int
    column: int


@fast_init
@dataclass(frozen=True, slots=True)
class Span:
    """A half-open region ``[start, end)`` of a file; ``end`` is just past the last character."""

    start: Position
    end: Position

    @classmethod
    def at(cls, line: int, column: int, end_line: int | None = None, end_column: int | None = None) -> "Span":
        """A span from (line, column) to (end_line, end_column); defaults to one character."""
        return cls(Position(line, column), Position(end_line or line, end_column or column + 1))

    @property
    def one_line(self) -> bool:
        """True when the region starts and ends on the same line."""
        return self.start.line == self.end.line


#: The span used for findings about a file as a whole (line 1, column 1).
FILE_SPAN = Span(Position(1, 1), Position(1, 1))


@fast_init
@dataclass(frozen=True, slots=True)
class Fix:
    """A mechanical fix: replace the text of ``span`` with ``replacement``.

    ``start``/``end`` are the same region as 0-based character offsets into the file text
    (``text[start:end]`` is what gets replaced), so a fix can be applied without recomputing
    line tables. ``description`` is a short imperative ("Add CONCURRENTLY").
    """

    span: Span
    start: int
    end: int
    replacement: str
    description: str


@fast_init
@dataclass(frozen=True, slots=True)
class Violation:
    """What a check yields: a problem at a place, before the engine stamps rule and severity.

    ``context`` is the text the fingerprint is built from (normally the statement's
    normalised text); ``redacted`` marks findings whose source must never be echoed
    (secrets). ``properties`` carries rule-specific data for output formats (for example
    ``{"lock": "ACCESS EXCLUSIVE"}``); values must be JSON-serialisable.

    Two fields tell the engine's merge step (:mod:`linter.merge`) how the violation
    relates to others of the same file; checks set them with :func:`dataclasses.replace`:

    * ``once``: a key (any hashable value: a run of the file, a transaction) grouping
      *candidates* of one rule, of which only the first that is neither suppressed nor
      covered by a more specific finding is reported. ``None``: always reported.
    * ``fold``: the clause this violation adds to the message of a finding that covers it
      (``"no statement_timeout is set"``); ``None``: it adds nothing when folded.
    * ``build``: for a candidate, a function of no arguments that returns the complete
      violation (message, help, fix, properties); the merge step calls it only for the
      candidate it reports, so a rule can offer many candidates cheaply (span, ``once``
      and ``fold`` are all the merge step reads of the others).
    """

    span: Span
    message: str
    help: str | None = None
    fix: Fix | None = None
    context: str = ""
    redacted: bool = False
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    once: Any = field(default=None, hash=False, compare=False)
    fold: str | None = field(default=None, hash=False, compare=False)
    build: Any = field(default=None, hash=False, compare=False, repr=False)


@fast_init
@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem, ready for output.

    Shapes: ``rule_id`` kebab-case (``syntax-error``); ``family`` one of :data:`FAMILIES`;
    ``path`` repo-relative POSIX; ``span`` 1-based, half-open; ``docs_url`` an absolute URL;
    ``fingerprint`` 16 hex characters that stay the same when lines are added above the
    finding (built from rule, path and the finding's context text, not from its line).
    """

    rule_id: str
    family: str
    severity: Severity
    path: str
    span: Span
    message: str
    help: str | None
    docs_url: str
    fingerprint: str
    fix: Fix | None = None
    redacted: bool = False
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def line(self) -> int:
        """1-based start line."""
        return self.span.start.line

    @property
    def column(self) -> int:
        """1-based start column, in characters."""
        return self.span.start.column

    def sort_key(self) -> tuple:
        """Order used by every output: path, position, then rule id."""
        return (self.path, self.span.start.line, self.span.start.column, self.rule_id, self.message)

    def __reduce__(self) -> tuple:
        # Pickled as one flat tuple of plain values (worker processes send findings back):
        # the default pickling of the nested frozen dataclasses (Span, two Positions, Fix and
        # its Span) went through Python-level __getstate__/__setstate__ calls per object and
        # cost ~30 us per finding, several times the work of the rule that made it.
        s, fix = self.span, self.fix
        fixed = None if fix is None else (*_span_values(fix.span), fix.start, fix.end, fix.replacement, fix.description)
        return (_finding, (self.rule_id, self.family, self.severity.value, self.path, _span_values(s), self.message,
                           self.help, self.docs_url, self.fingerprint, fixed, self.redacted, self.properties))


def _span_values(span: Span) -> tuple[int, int, int, int]:
    return (span.start.line, span.start.column, span.end.line, span.end.column)


def _span(values: tuple[int, int, int, int]) -> Span:
    return Span(Position(values[0], values[1]), Position(values[2], values[3]))


def _finding(rule_id, family, severity, path, span, message, help, docs_url, fingerprint, fixed, redacted, properties) -> Finding:
    """Rebuild a :class:`Finding` from :meth:`Finding.__reduce__`'s values."""
    fix = None if fixed is None else Fix(_span(fixed[:4]), *fixed[4:])
    return Finding(rule_id, family, _SEVERITY[severity], path, _span(span), message, help, docs_url, fingerprint, fix, redacted, properties)


class Direction(str, enum.Enum):
    """Which way a migration file (or a section of one) moves the schema."""

    UP = "up"
    DOWN = "down"
    REPEATABLE = "repeatable"  # Flyway R__ files: re-applied whenever their checksum changes
    BASELINE = "baseline"  # Flyway B files and full-schema snapshots
    SEED = "seed"  # data files run outside the versioned sequence (seeds/*.sql)

    def __str__(self) -> str:
        return self.value


class Convention(str, enum.Enum):
    """The migration tool / naming scheme a file follows."""

    FLYWAY = "flyway"  # V<ver>__<desc>.sql, U<ver>__, R__<desc>.sql, B<ver>__
    GOLANG_MIGRATE = "golang-migrate"  # <ver>_<name>.up.sql / .down.sql
    DBMATE = "dbmate"  # <ts>_<name>.sql with -- migrate:up / -- migrate:down sections
    GOOSE = "goose"  # <ver>_<name>.sql with -- +goose Up / -- +goose Down
    DIESEL = "diesel"  # <ver>_<name>/up.sql + down.sql (also sourcegraph)
    PRISMA = "prisma"  # <ts>_<name>/migration.sql
    UP_DOWN_DIRS = "up-down-dirs"  # up/<name>.sql mirrored by down/<name>.sql
    TIMESTAMP = "timestamp"  # 20240115120000_name.sql
    SEQUENTIAL = "sequential"  # 001_name.sql, 0001-name.sql, 000001.sql
    SYNAPSE = "synapse"  # delta/<schema_version>/<NN>_<name>.sql[.postgres]
    SEED = "seed"  # seeds/*.sql
    UNKNOWN = "unknown"  # a .sql file that follows none of the above

    def __str__(self) -> str:
        return self.value


@fast_init
@dataclass(frozen=True, slots=True)
class MigrationFile:
    """One discovered migration file and what its name and place say about it.

    * ``path``: path as reported (repo-relative POSIX); ``abspath``: absolute filesystem path.
    * ``root``: the migration root it belongs to (POSIX, relative like ``path``): the
      directory whose files form one ordered sequence.
    * ``convention``: the naming scheme; ``version``: the version text as written in the
      name (``"2025.10.31.001"``, ``"20240115120000"``, ``"0042"``), ``None`` for
      repeatable, seed and unversioned files; ``version_key``: a tuple that orders versions
      the way the convention's own tool does (numeric part by part); ``description``:
      the name part after the version (``"add_wallet_index"``), ``None`` if there is none.
    * ``direction``: up/down/repeatable/baseline/seed. A file with both up and down
      sections (dbmate, goose) is ``UP``; its sections are in :class:`linter.source.Source`.
    * ``migration_id``: what pairs an up with its down (same for ``V1__x.sql`` and its
      ``U1__x.sql``, for ``1_x.up.sql`` and ``1_x.down.sql``, for a diesel directory).
    * ``dialect``: a dialect named in the file name (``postgres``, ``mysql``) where the
      convention encodes one (ory popx ``.postgres.up.sql``, hawkbit ``__POSTGRESQL``,
      synapse ``.sql.postgres``), else ``None``.
    * ``options``: convention flags found next to the file (diesel ``metadata.toml``
      ``run_in_transaction``, ory popx ``autocommit``, Flyway ``V1__x.sql.conf``
      ``executeInTransaction``), as a tuple of ``(key, value)`` pairs.
    """

    path: str
    abspath: str
    root: str
    convention: Convention
    direction: Direction
    version: str | None = None
    version_key: tuple = ()
    description: str | None = None
    migration_id: str | None = None
    dialect: str | None = None
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, key: str, default: Any = None) -> Any:
        """The value of a convention flag from :attr:`options`, or ``default``."""
        for k, v in self.options:
            if k == key:
                return v
        return default


@dataclass
class Report:
    """Everything one run produced, as output formats receive it.

    * ``findings``: sorted by :meth:`Finding.sort_key`, suppressed ones already removed.
    * ``files``: the migration files that were linted (discovery order).
    * ``rules``: registry entries (:class:`linter.registry.Rule`) of the rules that were
      enabled in this run; SARIF describes them in ``tool.driver.rules``.
    * ``excerpts``: ``{path: {line: text}}``, the source lines findings point at (1-based
      line numbers, text without the line break). Never holds a line of a redacted finding.
    * ``notes``: human-readable remarks about the run ("no migration files found in x").
    * ``tool_version``: miglint's version string.
    * ``observations``: ``miglint verify`` only: what the server did per replayed statement
      (:func:`linter.verify.observations`: dicts with ``path``, ``line``, ``statement``,
      ``status``, ``locks`` …); empty otherwise.
    """

    findings: list[Finding]
    files: list[MigrationFile]
    rules: list[Any]
    excerpts: dict[str, dict[int, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tool_version: str = ""
    observations: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """``{"error": n, "warning": n, "note": n}`` over :attr:`findings`."""
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out
