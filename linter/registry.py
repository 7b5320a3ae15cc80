"""The rule registry: the list of check modules and what each one declares.

Every rule is one module in :mod:`linter.checks`, named after its id with underscores
(``syntax-error`` lives in ``linter/checks/syntax_error.py``). A module declares:

* ``ID`` (kebab-case), ``FAMILY`` (one of :data:`linter.model.FAMILIES`),
  ``SCOPE`` (``"statement"``, ``"file"`` or ``"file-set"``, see :mod:`linter.engine`),
  ``DEFAULT_LEVEL`` (``"error"``, ``"warning"``, ``"note"`` or ``"disable"`` for opt-in
  rules), ``OPTIONS`` (``{name: type}``, kebab-case names), ``DEFAULTS`` (``{name: value}``),
  ``ALIASES`` (other tools' ids and old ids, e.g. squawk's), optionally ``KINDS`` (the
  pglast statement kinds a ``statement`` rule looks at, so the engine skips the others)
  and ``SUBCOMMANDS`` (the ``AlterTableCmd`` subtypes, ``"AT_DropColumn"`` …, it looks at
  in an ``AlterTableStmt``: the engine skips ALTER TABLEs with none of them), optionally
  ``HAZARD`` (one of :data:`HAZARDS`: what kind of harm its findings are about, which
  decides where the engine does not report them), ``COVERS`` and ``JOINS`` (ids of rules whose finding on the same statement this rule's
  finding absorbs, see :mod:`linter.merge`), optionally ``REPORT`` (one of
  :data:`REPORTS`; ``"per-file"`` rules also define ``group_message(violations,
  objects) -> (message, help)``, see :mod:`linter.grouping`), and ``check(...)``.
* A docstring: a one-line summary, then ``## Why is this bad?``, ``## Example``,
  ``## Use instead``, ``## Options``, ``## References`` sections (markdown).

The pattern is yamllint's ``yamllint/rules/__init__.py``: an explicit import list, no
plugin discovery, so a typo fails at import time and ``miglint rules`` is deterministic.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from types import ModuleType
from typing import Any

from linter import DOCS_BASE
from linter.model import FAMILIES, LEVELS, Record, set_field

#: Modules under linter/checks, one per rule. Add new rules here.
CHECK_MODULES = (
    "syntax_error",
    "unreadable_file",
    "invalid_encoding",
    "empty_migration",
    "unknown_rule_in_suppression",
    "unused_suppression",
    "sqlfluff_style",
    # verify: what a real server did (miglint verify)
    "verify_statement_failed",
    "verify_down_not_reverting",
    "verify_roundtrip_drift",
    "verify_not_rerunnable",
    "verify_invalid_index",
    "verify_lock_differs",
    # locking: indexes, constraints, partitions
    "non_concurrent_create_index",
    "non_concurrent_drop_index",
    "non_concurrent_reindex",
    "non_concurrent_detach_partition",
    "non_transactional_statement_in_transaction",
    "check_constraint_without_not_valid",
    "foreign_key_without_not_valid",
    "validate_constraint_in_same_transaction",
    "unique_constraint_without_index",
    "attach_partition_without_check",
    # locking: columns, types, breaking changes
    "add_column_rewrite",
    "not_null_column_without_default",
    "set_not_null_without_check",
    "column_type_rewrite",
    "rename_column",
    "rename_table",
    "drop_table",
    "drop_column",
    "drop_database",
    "drop_not_null",
    "drop_column_default",
    "drop_constraint",
    "small_integer_key",
    "serial_column",
    "varchar_length_limit",
    "timestamp_without_time_zone",
    "char_column",
    "identifier_too_long",
    # locking: transactions, timeouts, table-wide operations
    "missing_lock_timeout",
    "missing_statement_timeout",
    "slow_statement_after_access_exclusive",
    "repeated_alter_table",
    "missing_where_clause",
    "backfill_in_ddl_transaction",
    "vacuum_full_or_cluster",
    "dynamic_sql_not_analysed",
    "truncate_cascade",
    "lock_table",
    "enum_value_used_before_commit",
    "domain_with_constraint",
    "domain_constraint_validation",
    "nested_transaction",
    "uncommitted_transaction",
    "locking_in_rollback",
    # idempotency
    "create_without_if_not_exists",
    "drop_without_if_exists",
    "create_without_or_replace",
    "create_without_guard",
    # secrets
    "plaintext_password",
    "password_hash_in_seed_data",
    "secret_key_in_migration",
    "high_entropy_secret",
    # naming, versioning, rollback, history
    "invalid_migration_name",
    "mixed_naming_schemes",
    "invalid_migration_description",
    "missing_migration_header",
    "duplicate_migration_version",
    "gap_in_migration_sequence",
    "out_of_order_migration",
    "sequence_out_of_range",
    "unmarked_emergency_migration",
    "missing_down_migration",
    "empty_down_migration",
    "incomplete_down_migration",
    "misordered_down_migration",
    "destructive_down_migration",
    "unexpected_down_migration",
    "modified_deployed_migration",
    "removed_deployed_migration",
)

#: ``"verify"``: the rule judges what ``miglint verify`` saw on a real server
#: (:mod:`linter.verify`); ``miglint lint`` never runs it.
SCOPES = ("statement", "file", "file-set", "verify")

#: What a rule's findings are about (its module's ``HAZARD``), for where they do not apply:
#:
#: * ``"lock"``: locks, rewrites, scans and timeouts that block live traffic. On down
#:   code (down files, down sections) these become one ``locking-in-rollback`` note per
#:   down (the ``rollback_locking`` setting); baselines do not get them.
#: * ``"type"``: column-type hygiene (``varchar(n)``, ``serial``, ``timestamp`` ...). A
#:   baseline records the schema as it is: advice on its types is not acted on there.
#: * ``"populated"``: fails or loses data only on a table that has rows (a NOT NULL column
#:   without default). A baseline runs on an empty database: not reported there.
#:
#: Rules without ``HAZARD`` (syntax, transactions, secrets, rollback, naming ...) are
#: reported everywhere.
HAZARDS = ("lock", "type", "populated")

#: How many findings a rule's module (its ``REPORT``) gives for the hazards of one file:
#:
#: * ``"each"`` (the default): one per hazard it finds.
#: * ``"per-file"``: one per file (per dbmate/goose section), at the first, naming all
#:   (:mod:`linter.grouping`): for hazards on which a reviewer makes one decision per file,
#:   such as the renames of one deploy or what one down migration leaves behind.
REPORTS = ("each", "per-file")


class Rule(Record, not_compared=("options", "defaults", "module"), not_shown=("module",)):
    """A registry entry: a rule's metadata and its module.

    ``summary`` is the docstring's first line (also SARIF's ``shortDescription``);
    ``doc`` is the whole docstring as markdown; ``docs_url`` an absolute URL.
    """

    id: str
    family: str
    scope: str
    default_level: str
    summary: str
    doc: str
    aliases: tuple[str, ...]
    options: dict[str, Any]  # not compared, not hashed
    defaults: dict[str, Any]  # not compared, not hashed
    module: ModuleType  # not compared, not hashed, not in the repr
    kinds: frozenset[str] | None
    subcommands: frozenset[str] | None
    hazard: str | None
    #: rules whose finding inside this rule's finding's span folds into it, fix dropped
    covers: frozenset[str]
    #: the same, with the absorbed finding's fix combined into this one's (compatible edits)
    joins: frozenset[str]
    report: str
    #: the module's ``NEEDS`` (per-file summary keys, :mod:`linter.migset.summary`);
    #: ``None``: ask the module
    needs: tuple[str, ...] | None

    def __init__(self, id: str, family: str, scope: str, default_level: str, summary: str, doc: str,
                 aliases: tuple[str, ...], options: dict[str, Any], defaults: dict[str, Any], module: ModuleType,
                 kinds: frozenset[str] | None = None, subcommands: frozenset[str] | None = None,
                 hazard: str | None = None, covers: frozenset[str] = frozenset(), joins: frozenset[str] = frozenset(),
                 report: str = "each", needs: tuple[str, ...] | None = None) -> None:
        set_field(self, "id", id)
        set_field(self, "family", family)
        set_field(self, "scope", scope)
        set_field(self, "default_level", default_level)
        set_field(self, "summary", summary)
        set_field(self, "doc", doc)
        set_field(self, "aliases", aliases)
        set_field(self, "options", options)
        set_field(self, "defaults", defaults)
        set_field(self, "module", module)
        set_field(self, "kinds", kinds)
        set_field(self, "subcommands", subcommands)
        set_field(self, "hazard", hazard)
        set_field(self, "covers", covers)
        set_field(self, "joins", joins)
        set_field(self, "report", report)
        set_field(self, "needs", needs)

    @property
    def docs_url(self) -> str:
        """Link to this rule's section of the rule docs."""
        return f"{DOCS_BASE}#{self.id}"

    def section(self, title: str) -> str:
        """The text of one ``## title`` section of the doc ('' if absent)."""
        m = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", self.doc, re.M | re.S)
        return m.group(1).strip() if m else ""


class _Deferred:
    """What :attr:`Rule.module` holds for a rule made from :data:`linter.rule_index.RULES`
    until the module is needed: reading any attribute imports ``linter.checks.<name>``,
    puts the module itself in the rule's ``module`` field (later reads cost nothing) and
    returns the module's attribute. A run imports only the check modules it calls: a
    statement rule whose ``KINDS`` no statement of the run has, a disabled rule, never."""

    __slots__ = ("_rule", "_name")

    def __init__(self, rule: "Rule", name: str) -> None:
        object.__setattr__(self, "_rule", rule)
        object.__setattr__(self, "_name", name)

    def __getattribute__(self, attr: str):
        module = importlib.import_module(f"linter.checks.{object.__getattribute__(self, '_name')}")
        object.__setattr__(object.__getattribute__(self, "_rule"), "module", module)
        return getattr(module, attr)


#: Option types an index entry names (every rule's ``OPTIONS`` values are among them).
_TYPES = {t.__name__: t for t in (bool, int, float, str, list, dict)}


def index_entry(rule: Rule) -> dict:
    """The :data:`linter.rule_index.RULES` entry of ``rule`` (made from its module by
    :func:`_load`): its metadata as plain data, option types by name."""
    return {
        "id": rule.id, "family": rule.family, "scope": rule.scope, "default_level": rule.default_level,
        "summary": rule.summary, "doc": rule.doc, "aliases": rule.aliases,
        "options": {k: t.__name__ for k, t in rule.options.items()}, "defaults": rule.defaults,
        "kinds": tuple(sorted(rule.kinds)) if rule.kinds is not None else None,
        "subcommands": tuple(sorted(rule.subcommands)) if rule.subcommands is not None else None,
        "hazard": rule.hazard, "covers": tuple(sorted(rule.covers)), "joins": tuple(sorted(rule.joins)),
        "report": rule.report, "needs": tuple(getattr(rule.module, "NEEDS", ())),
    }


def _from_index(name: str, e: dict) -> Rule:
    """The :class:`Rule` of index entry ``e`` (:func:`index_entry`), its module deferred."""
    rule = Rule(
        id=e["id"], family=e["family"], scope=e["scope"], default_level=e["default_level"], summary=e["summary"],
        doc=e["doc"], aliases=tuple(e["aliases"]), options={k: _TYPES[t] for k, t in e["options"].items()},
        defaults=dict(e["defaults"]), module=None,  # type: ignore[arg-type]
        kinds=frozenset(e["kinds"]) if e["kinds"] is not None else None,
        subcommands=frozenset(e["subcommands"]) if e["subcommands"] is not None else None,
        hazard=e["hazard"], covers=frozenset(e["covers"]), joins=frozenset(e["joins"]), report=e["report"],
        needs=tuple(e["needs"]),
    )
    object.__setattr__(rule, "module", _Deferred(rule, name))
    return rule


def _index() -> dict[str, dict]:
    """:data:`linter.rule_index.RULES` (``{}`` when it is missing)."""
    try:
        from linter.rule_index import RULES
    except ImportError:  # pragma: no cover - before `python -m linter.docs` first wrote it
        return {}
    return RULES


def _load(name: str) -> Rule:
    """The :class:`Rule` of ``linter.checks.<name>``, imported and checked (what
    ``python -m linter.docs`` writes into :mod:`linter.rule_index`); raises
    ``ImportError`` naming the module's problems."""
    module = importlib.import_module(f"linter.checks.{name}")
    doc = (module.__doc__ or "").strip()
    rule = Rule(
        id=module.ID,
        family=module.FAMILY,
        scope=module.SCOPE,
        default_level=module.DEFAULT_LEVEL,
        summary=doc.splitlines()[0].strip() if doc else "",
        doc=_dedent_doc(doc),
        aliases=tuple(getattr(module, "ALIASES", ())),
        options=dict(getattr(module, "OPTIONS", {})),
        defaults=dict(getattr(module, "DEFAULTS", {})),
        module=module,
        kinds=frozenset(module.KINDS) if getattr(module, "KINDS", None) else None,
        subcommands=frozenset(module.SUBCOMMANDS) if getattr(module, "SUBCOMMANDS", None) else None,
        hazard=getattr(module, "HAZARD", None),
        covers=frozenset(getattr(module, "COVERS", ())),
        joins=frozenset(getattr(module, "JOINS", ())),
        report=getattr(module, "REPORT", "each"),
        needs=tuple(getattr(module, "NEEDS", ())),
    )
    problems = []
    if rule.id.replace("-", "_") != name:
        problems.append(f"module {name} declares ID {rule.id!r}")
    if rule.family not in FAMILIES:
        problems.append(f"unknown family {rule.family!r}")
    if rule.scope not in SCOPES:
        problems.append(f"unknown scope {rule.scope!r}")
    if rule.default_level not in LEVELS:
        problems.append(f"unknown default level {rule.default_level!r}")
    if rule.subcommands and "AlterTableStmt" not in (rule.kinds or ()):
        problems.append("SUBCOMMANDS without AlterTableStmt in KINDS")
    if rule.hazard is not None and rule.hazard not in HAZARDS:
        problems.append(f"unknown hazard {rule.hazard!r}")
    if rule.report not in REPORTS:
        problems.append(f"unknown report {rule.report!r}")
    elif rule.report == "per-file" and not callable(getattr(module, "group_message", None)):
        problems.append('REPORT = "per-file" without a group_message function')
    if set(rule.defaults) - set(rule.options):
        problems.append("DEFAULTS names options not in OPTIONS")
    if problems:
        raise ImportError(f"linter.checks.{name}: " + "; ".join(problems))
    return rule


def _dedent_doc(doc: str) -> str:
    lines = doc.splitlines()
    if len(lines) <= 1:
        return doc
    rest = [ln for ln in lines[1:] if ln.strip()]
    indent = min((len(ln) - len(ln.lstrip()) for ln in rest), default=0)
    return "\n".join([lines[0]] + [ln[indent:] for ln in lines[1:]])


@lru_cache(maxsize=2)
def all_rules(imported: bool = False) -> dict[str, Rule]:
    """``{rule id: Rule}`` for every registered rule, in registry order.

    The metadata comes from :data:`linter.rule_index.RULES` (generated from the modules
    by ``python -m linter.docs``; a test fails when it differs from them), and each
    module is imported when the run first uses it (:class:`_Deferred`); a module missing
    from the index is imported at once. ``imported=True``: every module imported and
    checked now (what the index is generated from). Raises ``ImportError`` naming the
    module when a rule module is malformed, and ``ValueError`` when two rules share an id
    or alias.
    """
    rules: dict[str, Rule] = {}
    seen: dict[str, str] = {}
    index = {} if imported else _index()
    for name in CHECK_MODULES:
        entry = index.get(name)
        rule = _from_index(name, entry) if entry is not None else _load(name)
        for key in (rule.id, *rule.aliases):
            if key in seen:
                raise ValueError(f"rule id or alias {key!r} is claimed by {seen[key]} and {rule.id}")
            seen[key] = rule.id
        rules[rule.id] = rule
    for rule in rules.values():
        unknown = sorted((rule.covers | rule.joins) - set(rules))
        if unknown:
            raise ImportError(f"linter.checks.{rule.id.replace('-', '_')}: COVERS/JOINS name unknown rules {unknown}")
    return rules


@lru_cache(maxsize=1)
def alias_map() -> dict[str, str]:
    """``{alias: rule id}`` for every alias (squawk ids, renamed ids)."""
    return {a: r.id for r in all_rules().values() for a in r.aliases}


def check_of(rule: Rule):
    """``rule``'s check function; while its module is still deferred (:class:`_Deferred`: a
    run imports only the check modules it calls), a stand-in that imports it on the first
    call. ``type()``, not ``isinstance``: the latter reads ``__class__``, which would import
    the module."""
    if type(rule.module) is not _Deferred:
        return rule.module.check
    real = None

    def check(*args, **kwargs):
        nonlocal real
        if real is None:
            real = rule.module.check
        return real(*args, **kwargs)

    return check


def import_all() -> None:
    """Import every rule's module now (before forking workers, so that they share them)."""
    for rule in all_rules().values():
        rule.module.ID  # noqa: B018 - the attribute read imports a deferred module


def resolve(name: str) -> str | None:
    """The rule id that ``name`` (an id or an alias) means, or ``None`` if unknown."""
    rules = all_rules()
    if name in rules:
        return name
    return alias_map().get(name)
