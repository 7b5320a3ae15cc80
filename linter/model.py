"""The data types every part of miglint shares: positions, findings, migration files.

All types are frozen :class:`Record` classes, which behave as frozen dataclasses
(hashable, picklable: the engine sends them between worker processes). Conventions used throughout:

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
from operator import attrgetter
from typing import Any

#: Default of an ``__init__`` parameter whose field gets a new object when not passed (a
#: default factory): ``{} if properties is NO_ARG else properties`` keeps an explicit
#: ``None`` as ``None``.
NO_ARG: Any = object()

#: ``object.__setattr__``: how the ``__init__`` of a frozen :class:`Record` stores a field
#: (its own ``__setattr__`` refuses), as :func:`dataclasses.dataclass` does.
set_field = object.__setattr__


class Record:
    """Base of miglint's value types: a plain class with an explicit ``__init__`` that
    behaves as the frozen (or plain) dataclass it replaces, without costing what
    :func:`dataclasses.dataclass` costs to create one: it generates and compiles source
    for ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` … of each class
    at import (about 4 M instructions a class, 36 classes on a one-file lint: a quarter of
    its run), and importing :mod:`dataclasses` imports :mod:`inspect`.

    A subclass writes its ``__init__``, whose parameters are the fields, in order. A frozen
    one stores them with :data:`set_field`, or, with ``__slots__`` (one per field, in
    order), through ``self._setters``, the slots' own setters (``put = self._setters;
    put[0](self, line)``): about half the cost per field of ``object.__setattr__``, for
    the types made by the ten thousand per corpus run (:class:`Position`,
    :class:`Violation`, session ``Held`` …). :meth:`__init_subclass__` reads the fields
    from ``__init__`` and adds, as ``@dataclass`` would:

    * ``__eq__`` (same class, equal field tuples) and, for ``frozen`` (the default) classes,
      ``__hash__`` over the same fields; a non-frozen class is unhashable unless it
      defines ``__hash__`` itself;
    * ``__repr__`` ``Name(field=value, …)``;
    * ``frozen``: ``__setattr__``/``__delattr__`` raising
      :class:`dataclasses.FrozenInstanceError`, and pickling through ``__init__``;
    * ``order=True``: ``<``, ``<=``, ``>``, ``>=`` on the field tuples;
    * ``not_compared``: fields left out of ``==`` and the hash (``field(compare=False)``);
      ``not_shown``: fields left out of the repr (``field(repr=False)``).

    :func:`dataclasses.fields`, :func:`dataclasses.replace`, :func:`dataclasses.asdict`
    and :func:`dataclasses.is_dataclass` work on these classes: ``__dataclass_fields__``
    is made on first use (:class:`_DataclassFields`). :func:`replace` does the same
    without importing :mod:`dataclasses`.
    """

    __slots__ = ()
    #: The fields, in order: the parameters of ``__init__`` after ``self``.
    _fields: tuple[str, ...] = ()
    _shown: tuple[str, ...] = ()
    #: A frozen class with slots: ``member.__set__`` of each field's slot, in field order.
    _setters: tuple = ()

    def __init_subclass__(cls, *, frozen: bool = True, order: bool = False, not_compared: tuple[str, ...] = (),
                          not_shown: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        code = cls.__init__.__code__
        fields = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
        unknown = set(not_compared).union(not_shown).difference(fields)
        if unknown:
            raise TypeError(f"{cls.__qualname__}: not fields of its __init__: {', '.join(sorted(unknown))}")
        cls._fields = fields
        cls._shown = tuple(f for f in fields if f not in not_shown)
        cls._not_compared = tuple(not_compared)
        compared = [f for f in fields if f not in not_compared]
        cls._key = staticmethod(attrgetter(*compared)) if len(compared) > 1 else (
            staticmethod(lambda self, _get=attrgetter(compared[0]): (_get(self),)) if compared else staticmethod(lambda self: ()))
        slots = cls.__dict__.get("__slots__", ())
        if frozen and slots:
            cls._setters = tuple(cls.__dict__[f].__set__ for f in fields)
        if frozen:
            cls.__setattr__ = _frozen_setattr
            cls.__delattr__ = _frozen_delattr
            if "__reduce__" not in cls.__dict__:
                cls.__reduce__ = _reduce
            if "__hash__" not in cls.__dict__:
                cls.__hash__ = Record.__hash__
        elif "__hash__" not in cls.__dict__:
            cls.__hash__ = None  # as a dataclass with eq and without frozen
        if order:
            cls.__lt__, cls.__le__, cls.__gt__, cls.__ge__ = _lt, _le, _gt, _ge

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key(self) == self._key(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key(self))

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._shown)})"


def _frozen_setattr(self, name: str, value: Any) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name: str) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _reduce(self) -> tuple:
    return (self.__class__, tuple([getattr(self, n) for n in self._fields]))


def _lt(self, other):
    return self._key(self) < self._key(other) if other.__class__ is self.__class__ else NotImplemented


def _le(self, other):
    return self._key(self) <= self._key(other) if other.__class__ is self.__class__ else NotImplemented


def _gt(self, other):
    return self._key(self) > self._key(other) if other.__class__ is self.__class__ else NotImplemented


def _ge(self, other):
    return self._key(self) >= self._key(other) if other.__class__ is self.__class__ else NotImplemented


class _DataclassFields:
    """``Record.__dataclass_fields__``: on first access for a class, the
    :class:`dataclasses.Field` of each of its fields (from a field-only dataclass made with
    :func:`dataclasses.make_dataclass`, which generates no code), kept on that class.
    Defaults are those of ``__init__``; a :data:`NO_ARG` default shows as no default."""

    def __get__(self, obj: Any, cls: type) -> dict:
        if cls is Record:
            return {}
        import dataclasses

        code = cls.__init__.__code__
        defaults = cls.__init__.__defaults__ or ()
        first_default = code.co_argcount - 1 - len(defaults)
        kwdefaults = cls.__init__.__kwdefaults__ or {}
        spec = []
        for i, name in enumerate(cls._fields):
            default = defaults[i - first_default] if i >= first_default and i < code.co_argcount - 1 else kwdefaults.get(name, NO_ARG)
            compared = name not in cls._not_compared
            kw = {"compare": compared, "hash": None if compared else False, "repr": name in cls._shown}
            if default is not NO_ARG:
                kw["default"] = default
            spec.append((name, cls.__dict__.get("__annotations__", {}).get(name, Any), dataclasses.field(**kw)))
        shadow = dataclasses.make_dataclass(cls.__name__, spec, init=False, repr=False, eq=False)
        fields = shadow.__dataclass_fields__
        type.__setattr__(cls, "__dataclass_fields__", fields)
        return fields


Record.__dataclass_fields__ = _DataclassFields()  # type: ignore[attr-defined]
Record._key = staticmethod(lambda self: ())  # type: ignore[assignment]
Record._not_compared = ()  # type: ignore[attr-defined]


def replace(obj: Any, /, **changes: Any) -> Any:
    """A copy of ``obj`` with ``changes`` (field name -> value), as
    :func:`dataclasses.replace` makes it (through ``__init__``); for a :class:`Record`
    without importing :mod:`dataclasses`, else by :func:`dataclasses.replace`. Raises
    ``TypeError`` for a name that is not a field."""
    fields = getattr(obj.__class__, "_fields", None)
    if fields is None or not isinstance(obj, Record):
        import dataclasses

        return dataclasses.replace(obj, **changes)
    for name in fields:
        if name not in changes:
            changes[name] = getattr(obj, name)
    return obj.__class__(**changes)


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


class Position(Record, order=True):
    """A place in a file: 1-based ``line`` and 1-based ``column`` in characters."""

    __slots__ = ("line", "column")
    line: int
    column: int

    def __init__(self, line: int, column: int) -> None:
        put = self._setters  # the slots' setters, in field order (Record)
        put[0](self, line)
        put[1](self, column)


class Span(Record):
    """A half-open region ``[start, end)`` of a file; ``end`` is just past the last character."""

    __slots__ = ("start", "end")
    start: Position
    end: Position

    def __init__(self, start: Position, end: Position) -> None:
        put = self._setters  # the slots' setters, in field order (Record)
        put[0](self, start)
        put[1](self, end)

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


class Fix(Record):
    """A mechanical fix: replace the text of ``span`` with ``replacement``.

    ``start``/``end`` are the same region as 0-based character offsets into the file text
    (``text[start:end]`` is what gets replaced), so a fix can be applied without recomputing
    line tables. ``description`` is a short imperative ("Add CONCURRENTLY").
    """

    __slots__ = ("span", "start", "end", "replacement", "description")
    span: Span
    start: int
    end: int
    replacement: str
    description: str

    def __init__(self, span: Span, start: int, end: int, replacement: str, description: str) -> None:
        put = self._setters  # the slots' setters, in field order (Record)
        put[0](self, span)
        put[1](self, start)
        put[2](self, end)
        put[3](self, replacement)
        put[4](self, description)


class Violation(Record, not_compared=("properties", "once", "fold", "build"), not_shown=("build",)):
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

    __slots__ = ("span", "message", "help", "fix", "context", "redacted", "properties", "once", "fold", "build")
    span: Span
    message: str
    help: str | None
    fix: Fix | None
    context: str
    redacted: bool
    properties: dict[str, Any]  # not compared, not hashed
    once: Any  # not compared, not hashed
    fold: str | None  # not compared, not hashed
    build: Any  # not compared, not hashed, not in the repr

    def __init__(self, span: Span, message: str, help: str | None = None, fix: Fix | None = None, context: str = "",
                 redacted: bool = False, properties: dict[str, Any] = NO_ARG, once: Any = None, fold: str | None = None,
                 build: Any = None) -> None:
        put = self._setters  # the slots' setters, in field order (Record)
        put[0](self, span)
        put[1](self, message)
        put[2](self, help)
        put[3](self, fix)
        put[4](self, context)
        put[5](self, redacted)
        put[6](self, {} if properties is NO_ARG else properties)
        put[7](self, once)
        put[8](self, fold)
        put[9](self, build)


class Finding(Record, not_compared=("properties",)):
    """One reported problem, ready for output.

    Shapes: ``rule_id`` kebab-case (``syntax-error``); ``family`` one of :data:`FAMILIES`;
    ``path`` repo-relative POSIX; ``span`` 1-based, half-open; ``docs_url`` an absolute URL;
    ``fingerprint`` 16 hex characters that stay the same when lines are added above the
    finding (built from rule, path and the finding's context text, not from its line).
    """

    __slots__ = ("rule_id", "family", "severity", "path", "span", "message", "help", "docs_url", "fingerprint", "fix",
                 "redacted", "properties")
    rule_id: str
    family: str
    severity: Severity
    path: str
    span: Span
    message: str
    help: str | None
    docs_url: str
    fingerprint: str
    fix: Fix | None
    redacted: bool
    properties: dict[str, Any]  # not compared, not hashed

    def __init__(self, rule_id: str, family: str, severity: Severity, path: str, span: Span, message: str,
                 help: str | None, docs_url: str, fingerprint: str, fix: Fix | None = None, redacted: bool = False,
                 properties: dict[str, Any] = NO_ARG) -> None:
        put = self._setters  # the slots' setters, in field order (Record)
        put[0](self, rule_id)
        put[1](self, family)
        put[2](self, severity)
        put[3](self, path)
        put[4](self, span)
        put[5](self, message)
        put[6](self, help)
        put[7](self, docs_url)
        put[8](self, fingerprint)
        put[9](self, fix)
        put[10](self, redacted)
        put[11](self, {} if properties is NO_ARG else properties)

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


class MigrationFile(Record):
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

    __slots__ = ("path", "abspath", "root", "convention", "direction", "version", "version_key", "description",
                 "migration_id", "dialect", "options")
    path: str
    abspath: str
    root: str
    convention: Convention
    direction: Direction
    version: str | None
    version_key: tuple
    description: str | None
    migration_id: str | None
    dialect: str | None
    options: tuple[tuple[str, Any], ...]

    def __init__(self, path: str, abspath: str, root: str, convention: Convention, direction: Direction,
                 version: str | None = None, version_key: tuple = (), description: str | None = None,
                 migration_id: str | None = None, dialect: str | None = None, options: tuple[tuple[str, Any], ...] = ()) -> None:
        put = self._setters  # the slots' setters, in field order (Record)
        put[0](self, path)
        put[1](self, abspath)
        put[2](self, root)
        put[3](self, convention)
        put[4](self, direction)
        put[5](self, version)
        put[6](self, version_key)
        put[7](self, description)
        put[8](self, migration_id)
        put[9](self, dialect)
        put[10](self, options)

    def option(self, key: str, default: Any = None) -> Any:
        """The value of a convention flag from :attr:`options`, or ``default``."""
        for k, v in self.options:
            if k == key:
                return v
        return default


class Report(Record, frozen=False):
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
    excerpts: dict[str, dict[int, str]]
    notes: list[str]
    tool_version: str
    observations: list[dict]

    def __init__(self, findings: list[Finding], files: list[MigrationFile], rules: list[Any],
                 excerpts: dict[str, dict[int, str]] = NO_ARG, notes: list[str] = NO_ARG, tool_version: str = "",
                 observations: list[dict] = NO_ARG) -> None:
        self.findings = findings
        self.files = files
        self.rules = rules
        self.excerpts = {} if excerpts is NO_ARG else excerpts
        self.notes = [] if notes is NO_ARG else notes
        self.tool_version = tool_version
        self.observations = [] if observations is NO_ARG else observations

    def counts(self) -> dict[str, int]:
        """``{"error": n, "warning": n, "note": n}`` over :attr:`findings`."""
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out
