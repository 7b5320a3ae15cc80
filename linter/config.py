"""Configuration: a preset, the repository's file, then command-line flags.

Where the repository's configuration comes from (first found wins):

1. ``--config FILE`` (YAML, or a ``pyproject.toml`` whose ``[tool.miglint]`` table is used);
2. walking up from the working directory: ``.miglint.yml`` / ``.miglint.yaml`` (or a
   ``pyproject.toml`` with a ``[tool.miglint]`` table) in each directory, nearest first;
3. none: the ``default`` preset alone.

``extends:`` names a packaged preset from ``rules/`` (a bare name such as ``strict``) or a
file (a path, relative to the file that names it). Precedence is preset < repository file
< flags (``--preset`` replaces the file's ``extends``). Validation is strict, as in
yamllint's ``validate_rule_conf``: an unknown key, rule id, option or value raises
:class:`ConfigError` naming the file, the key and its line.

The keys (all optional)::

    extends: default             # preset name or path
    description: "..."           # what this configuration is for (presets)
    standard: "..."              # the team standard a preset encodes (presets)
    pg_version: 16               # PostgreSQL major version the migrations run on
    fail_on: error               # error | warning | note | never
    roots: [db/migrations]       # migration roots (default: inferred from file names)
    seeds: ["seeds/**/*.sql"]    # gitignore-style patterns of seed files
    exclude: ["legacy/**"]       # gitignore-style patterns of files not to lint
    snapshots: ["db/structure.sql"]  # gitignore-style patterns of files run once on an
                                 # empty database (schema dumps, baselines, init scripts)
    rollback_locking: summary    # lock findings on down code: off | summary | full
    placeholders: {SCHEMA: app}  # values for ${SCHEMA}, :SCHEMA, :'SCHEMA', $%SCHEMA%$
    placeholder_syntax: [flyway, psql, synapse]
    max_file_size: 5242880       # bytes; larger files get an unreadable-file finding
    foreign_suppressions: true   # honour Atlas `atlas:nolint` and diesel-guard `safety-assured`
    manifest: .miglint.sum       # `miglint hash` checksum manifest (history rules without --base)
    new_template: tpl.sql.j2     # `miglint new` jinja2 template (default: the packaged one)
    transactions: {sequential: false}  # does the tool run each file in a transaction?
    baseline: .miglint-baseline.json  # findings `lint` does not report (`miglint baseline`)
    cache_dir: .miglint_cache    # `lint`'s result cache folder (:mod:`linter.cache`)
    verify:                      # `miglint verify` (and the action's `verify: true`); see docs/verify.md
      setup: [db/verify/roles.sql]   # SQL files run in each root's database first
      seed: [db/verify/rows.sql]     # SQL (rows) run before the first new migration; relative to this file
      roles: auto                # auto | off: NOLOGIN roles for names GRANT/OWNER TO/POLICY use
      roundtrip: new             # new | all | off
      rerun: new                 # new | all | off: re-run after a failure at each commit point
      statement_timeout: 60      # seconds before a replayed statement is cancelled (0: never)
      pg_bin: /usr/lib/postgresql/16/bin   # the server binaries
      cache: true                # true | false | a directory: the replayed base schema
      database_is_throwaway: false   # lift the --database-url guards (local, no other data)
    rules:
      syntax-error: error        # a level: error | warning | note | disable
      sqlfluff: {level: warning, dialect: postgres}   # or a mapping with options
    overrides:                   # per-path rule settings, later entries win
      - files: ["seeds/dev/**"]
        rules: {some-rule: disable}
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linter import registry
from linter.model import FAMILIES, LEVELS, NO_ARG, Record, Severity, replace, set_field
from linter.source import PLACEHOLDER_SYNTAXES

if TYPE_CHECKING:
    import pathspec

CONFIG_NAMES = (".miglint.yml", ".miglint.yaml")
FAIL_ON = ("error", "warning", "note", "never")
#: ``rollback_locking`` values: what becomes of lock-hazard findings on down code (down
#: files and down sections). ``summary``: one ``locking-in-rollback`` note per down;
#: ``full``: every finding at its configured level; ``off``: none.
ROLLBACK_LOCKING = ("off", "summary", "full")
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024

_TOP_KEYS = {
    "extends": str,
    "description": str,
    "standard": str,
    "pg_version": int,
    "fail_on": str,
    "roots": list,
    "seeds": list,
    "exclude": list,
    "snapshots": list,
    "rollback_locking": str,
    "placeholders": dict,
    "placeholder_syntax": list,
    "max_file_size": int,
    "foreign_suppressions": bool,
    "manifest": str,
    "new_template": str,
    "transactions": dict,
    "baseline": str,
    "cache_dir": str,
    "verify": dict,
    "rules": dict,
    "overrides": list,
}

_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a mapping"}


class ConfigError(Exception):
    """A configuration problem; ``str()`` names the file, key and line (exit code 2)."""

    def __init__(self, message: str, source: str | None = None, key: str | None = None, line: int | None = None):
        where = source or "<command line>"
        if line:
            where += f":{line}"
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {message}")
        self.source, self.key, self.line = source, key, line


def rules_dir() -> Path:
    """The folder holding the packaged presets.

    Installed from a wheel, the presets live in ``linter/rules`` (``pyproject.toml``
    force-includes the repository's ``rules/`` there); in a source checkout they are the
    repository's ``rules/``. ``MIGLINT_RULES_DIR`` overrides both (the Dockerfile sets it).
    """
    env = os.environ.get("MIGLINT_RULES_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    packaged = here / "rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


def preset_names() -> list[str]:
    """Names of the packaged presets (file stems in :func:`rules_dir`), sorted."""
    return sorted(p.stem for p in rules_dir().glob("*.yaml"))


# --------------------------------------------------------------------------- YAML with lines


class _LineDict(dict):
    """A dict that remembers the 1-based line of each key (``lines[key]``)."""

    lines: dict[str, int]


def _construct_mapping(loader, node) -> _LineDict:
    loader.flatten_mapping(node)
    out = _LineDict()
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise ConfigError(f"duplicate key {key!r}", None, str(key), key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


@lru_cache(maxsize=1)
def _loaders() -> tuple[type, type]:
    """(PyYAML's pure-Python safe loader, the same on libyaml's parser), both making
    :class:`_LineDict` mappings. The second is PyYAML's ``CSafeLoader`` (about 8x faster;
    same nodes, marks and constructors), or the first when PyYAML was built without
    libyaml. PyYAML is imported here: a run without a configuration file never needs it."""
    import yaml

    loaders = [type("_LineLoader", (yaml.SafeLoader,), {})]
    loaders.append(type("_FastLineLoader", (yaml.CSafeLoader,), {}) if yaml.__with_libyaml__ else loaders[0])
    for loader in loaders:
        loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    return loaders[0], loaders[1]


def _load_yaml(raw: str) -> Any:
    """``raw`` parsed with the libyaml loader of :func:`_loaders`; invalid YAML is parsed
    again with the pure-Python one, so that errors carry PyYAML's messages either way."""
    import yaml

    slow, fast = _loaders()
    try:
        return yaml.load(raw, Loader=fast)
    except yaml.YAMLError:
        return yaml.load(raw, Loader=slow)


def _line(mapping: Any, key: str) -> int | None:
    return getattr(mapping, "lines", {}).get(key)


def load_file(path: str | Path) -> dict:
    """Read one configuration file (YAML, or ``pyproject.toml``'s ``[tool.miglint]``).

    Returns the raw mapping. Raises :class:`ConfigError` for unreadable files, invalid
    YAML/TOML (naming the line), or a top level that is not a mapping.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration: {exc}", str(path)) from None
    if path.name == "pyproject.toml":
        import tomllib

        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML: {exc}", str(path)) from None
        table = data.get("tool", {}).get("miglint")
        if table is None:
            raise ConfigError("has no [tool.miglint] table", str(path))
        return table
    import yaml

    try:
        data = _load_yaml(raw)
    except ConfigError as exc:
        raise ConfigError(str(exc).split(": ", 2)[-1], str(path), exc.key, exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", str(path), None, mark.line + 1 if mark else None) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping", str(path))
    return data


def find_config(start: str | Path) -> Path | None:
    """The nearest ``.miglint.yml``/``.miglint.yaml``/``pyproject.toml`` with
    ``[tool.miglint]``, walking up from ``start``; ``None`` if there is none."""
    d = Path(start).resolve()
    for folder in (d, *d.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        pp = folder / "pyproject.toml"
        if pp.is_file():
            import tomllib  # only projects with a pyproject.toml pay for it

            try:
                if "miglint" in tomllib.loads(pp.read_text(encoding="utf-8")).get("tool", {}):
                    return pp
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                pass
    return None


# --------------------------------------------------------------------------- the config


#: ``verify.roles`` and ``verify.roundtrip`` values.
VERIFY_ROLES = ("auto", "off")
VERIFY_ROUNDTRIP = ("new", "all", "off")
#: ``verify:`` keys and their types (``cache`` is checked on its own: true, false or a path).
_VERIFY_KEYS = {"setup": list, "seed": list, "roles": str, "roundtrip": str, "statement_timeout": float, "pg_bin": str, "cache": object,
                "database_is_throwaway": bool}


class VerifySettings(Record, frozen=False):
    """The ``verify:`` section (flags of ``miglint verify`` win over it). ``setup``: SQL
    files (relative to the working directory) run in each root's database before its
    first migration; ``seed``: SQL files (relative to the configuration file that names
    them, resolved when it is read) run in each root's database after its base and before
    its first new migration, so that a down (or an up) that fails only on rows is seen;
    ``roles``: ``auto`` (NOLOGIN roles for the names the migrations use
    and do not create) or ``off``; ``roundtrip`` and ``rerun`` (:data:`VERIFY_ROUNDTRIP`: which
    files get a round trip, which are re-run after a failure at each commit point);
    ``statement_timeout``: seconds (0: never); ``pg_bin``: the server binaries' directory;
    ``cache``: True (the default directory, :func:`linter.verify.basecache.default_dir`),
    False, or a directory; ``database_is_throwaway``: lift the ``--database-url`` guards
    that the server be local and hold no other data (:mod:`linter.verify.database`)."""

    setup: list[str]
    seed: list[str]
    roles: str
    roundtrip: str
    rerun: str
    statement_timeout: float
    pg_bin: str | None
    cache: bool | str
    database_is_throwaway: bool

    def __init__(self, setup: list[str] = NO_ARG, seed: list[str] = NO_ARG, roles: str = "auto", roundtrip: str = "new", rerun: str = "new",
                 statement_timeout: float = 60.0, pg_bin: str | None = None, cache: bool | str = True,
                 database_is_throwaway: bool = False) -> None:
        self.setup = [] if setup is NO_ARG else setup
        self.seed = [] if seed is NO_ARG else seed
        self.roles = roles
        self.roundtrip = roundtrip
        self.rerun = rerun
        self.statement_timeout = statement_timeout
        self.pg_bin = pg_bin
        self.cache = cache
        self.database_is_throwaway = database_is_throwaway


class RuleSetting(Record, not_compared=("options",)):
    """A rule as configured: its severity and its options (defaults filled in)."""

    severity: Severity
    options: dict[str, Any]  # not compared, not hashed

    def __init__(self, severity: Severity, options: dict[str, Any]) -> None:
        set_field(self, "severity", severity)
        set_field(self, "options", options)


class Config(Record, frozen=False):
    """The merged configuration of one run.

    ``rules`` maps every registered rule id to its level (``"disable"`` or a severity
    name) and options; :meth:`settings_for` applies ``overrides`` for one path.
    ``sources`` lists the files merged, base first (for messages).
    """

    pg_version: int
    fail_on: str
    roots: list[str]
    seeds: list[str]
    exclude: list[str]
    #: gitignore-style patterns of baseline files (schema dumps, init scripts): run once on
    #: an empty database, so lock, type-hygiene and populated-table rules skip them
    snapshots: list[str]
    #: what lock-hazard findings on down code become (:data:`ROLLBACK_LOCKING`)
    rollback_locking: str
    placeholders: dict[str, str]
    placeholder_syntax: tuple[str, ...]
    max_file_size: int
    #: honour Atlas's ``atlas:nolint`` and diesel-guard's ``safety-assured`` blocks
    #: (:mod:`linter.foreign_suppressions`)
    foreign_suppressions: bool
    transactions: dict[str, bool]
    levels: dict[str, str]
    options: dict[str, dict[str, Any]]
    overrides: list[tuple[tuple[str, ...], dict[str, str], dict[str, dict[str, Any]]]]
    sources: list[str]
    #: baseline file of accepted findings (``miglint baseline``), relative to the working directory
    baseline: str | None
    description: str
    standard: str
    #: ``miglint hash`` checksum manifest, relative to the working directory (history rules)
    manifest: str
    #: ``miglint new`` jinja2 template, relative to the working directory ("" = the packaged one)
    new_template: str
    #: result cache folder of ``lint``, relative to the working directory (None: the default,
    #: :data:`linter.cache.DEFAULT_DIR`)
    cache_dir: str | None
    #: ``--base REF``: git ref of the base branch (set by the CLI, never read from files)
    base: str | None
    #: the ``verify:`` section
    verify: VerifySettings

    def __init__(self, pg_version: int = 16, fail_on: str = "error", roots: list[str] = NO_ARG,
                 seeds: list[str] = NO_ARG, exclude: list[str] = NO_ARG, snapshots: list[str] = NO_ARG,
                 rollback_locking: str = "summary", placeholders: dict[str, str] = NO_ARG,
                 placeholder_syntax: tuple[str, ...] = PLACEHOLDER_SYNTAXES,
                 max_file_size: int = DEFAULT_MAX_FILE_SIZE, foreign_suppressions: bool = True,
                 transactions: dict[str, bool] = NO_ARG, levels: dict[str, str] = NO_ARG,
                 options: dict[str, dict[str, Any]] = NO_ARG,
                 overrides: list[tuple[tuple[str, ...], dict[str, str], dict[str, dict[str, Any]]]] = NO_ARG,
                 sources: list[str] = NO_ARG, baseline: str | None = None, description: str = "", standard: str = "",
                 manifest: str = ".miglint.sum", new_template: str = "", cache_dir: str | None = None,
                 base: str | None = None, verify: VerifySettings = NO_ARG) -> None:
        self.pg_version = pg_version
        self.fail_on = fail_on
        self.roots = [] if roots is NO_ARG else roots
        self.seeds = ["**/seeds/**/*.sql", "**/seed/**/*.sql"] if seeds is NO_ARG else seeds
        self.exclude = [] if exclude is NO_ARG else exclude
        self.snapshots = [] if snapshots is NO_ARG else snapshots
        self.rollback_locking = rollback_locking
        self.placeholders = {} if placeholders is NO_ARG else placeholders
        self.placeholder_syntax = placeholder_syntax
        self.max_file_size = max_file_size
        self.foreign_suppressions = foreign_suppressions
        self.transactions = {} if transactions is NO_ARG else transactions
        self.levels = {} if levels is NO_ARG else levels
        self.options = {} if options is NO_ARG else options
        self.overrides = [] if overrides is NO_ARG else overrides
        self.sources = [] if sources is NO_ARG else sources
        self.baseline = baseline
        self.description = description
        self.standard = standard
        self.manifest = manifest
        self.new_template = new_template
        self.cache_dir = cache_dir
        self.base = base
        self.verify = VerifySettings() if verify is NO_ARG else verify

    # -- queries

    def enabled_rules(self) -> list[str]:
        """Ids of rules enabled anywhere (base config or an override), registry order."""
        on = {r for r, lvl in self.levels.items() if lvl != "disable"}
        for _, levels, _ in self.overrides:
            on |= {r for r, lvl in levels.items() if lvl != "disable"}
        return [r for r in registry.all_rules() if r in on]

    def settings_for(self, path: str) -> dict[str, RuleSetting]:
        """``{rule id: RuleSetting}`` of the rules enabled for ``path`` (repo-relative POSIX)."""
        matched = tuple(i for i, (globs, _, _) in enumerate(self.overrides) if _spec(globs).match_file(path))
        return self._settings(matched)

    @lru_cache(maxsize=64)
    def _settings(self, matched: tuple[int, ...]) -> dict[str, RuleSetting]:
        levels = dict(self.levels)
        options = {k: dict(v) for k, v in self.options.items()}
        for i in matched:
            _, lv, op = self.overrides[i]
            levels.update(lv)
            for rid, o in op.items():
                options.setdefault(rid, {}).update(o)
        rules = registry.all_rules()
        out = {}
        for rid, level in levels.items():
            if level == "disable":
                continue
            opts = dict(rules[rid].defaults)
            opts.update(options.get(rid, {}))
            out[rid] = RuleSetting(Severity(level), opts)
        return out

    def __hash__(self) -> int:  # lru_cache on a method needs a hashable self
        return id(self)

    # -- selection from flags

    def select(self, select: list[str], ignore: list[str]) -> "Config":
        """A copy with ``--select``/``--ignore`` applied.

        Each item is a rule id, an alias or a family name. ``select`` keeps only the named
        rules (turning on opt-in ones at their default level, or ``warning``); ``ignore``
        turns rules off. Raises :class:`ConfigError` for an unknown name.
        """
        levels = dict(self.levels)
        if select:
            chosen = _expand(select, "--select")
            for rid in levels:
                if rid not in chosen:
                    levels[rid] = "disable"
                elif levels[rid] == "disable":
                    dflt = registry.all_rules()[rid].default_level
                    levels[rid] = dflt if dflt != "disable" else "warning"
        overrides = self.overrides
        if ignore:
            dropped = _expand(ignore, "--ignore")
            for rid in dropped:
                levels[rid] = "disable"
            overrides = [(g, {r: l for r, l in lv.items() if r not in dropped}, op) for g, lv, op in overrides]
        if select:
            overrides = [(g, {r: l for r, l in lv.items() if r in chosen}, op) for g, lv, op in overrides]
        return replace(self, levels=levels, overrides=overrides)


@lru_cache(maxsize=256)
def _spec(globs: tuple[str, ...]) -> pathspec.PathSpec:
    import pathspec  # only configurations with per-path overrides need it

    return pathspec.GitIgnoreSpec.from_lines(globs)


def _expand(names: list[str], flag: str) -> set[str]:
    out: set[str] = set()
    rules = registry.all_rules()
    for raw in names:
        for name in (n.strip() for n in raw.split(",")):
            if not name:
                continue
            if name in FAMILIES:
                out |= {r.id for r in rules.values() if r.family == name}
                continue
            rid = registry.resolve(name)
            if rid is None:
                raise ConfigError(f"unknown rule or family {name!r}", None, flag)
            out.add(rid)
    return out


# --------------------------------------------------------------------------- loading


def load(
    config_path: str | None = None,
    *,
    preset: str | None = None,
    cwd: str | Path = ".",
    pg_version: int | None = None,
    fail_on: str | None = None,
) -> Config:
    """Build the run's :class:`Config` (see the module doc for where it comes from).

    Raises :class:`ConfigError` for anything invalid, naming file, key and line.
    """
    rules = registry.all_rules()
    cfg = Config(levels={r.id: r.default_level for r in rules.values()})
    repo_file = Path(config_path) if config_path else find_config(cwd)
    if config_path and not Path(config_path).is_file():
        raise ConfigError("no such configuration file", config_path)
    data: dict = {}
    if repo_file is not None:
        data = load_file(repo_file)
    base = preset or data.get("extends") or "default"
    _apply_extends(cfg, base, str(repo_file) if repo_file else None, _line(data, "extends"), repo_file, seen=[])
    if repo_file is not None:
        _apply(cfg, data, str(repo_file))
    if pg_version is not None:
        cfg.pg_version = pg_version
    if fail_on is not None:
        cfg.fail_on = fail_on
    return cfg


def load_preset(name: str) -> Config:
    """The :class:`Config` of one packaged preset alone. Raises :class:`ConfigError`."""
    cfg = Config(levels={r.id: r.default_level for r in registry.all_rules().values()})
    _apply_extends(cfg, name, None, None, None, seen=[])
    return cfg


def _preset_path(name: str, source: str | None, line: int | None) -> Path:
    path = rules_dir() / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown preset {name!r} (available: {', '.join(preset_names())})", source, "extends", line)
    return path


def _apply_extends(cfg: Config, ref: str, source: str | None, line: int | None, relative_to: Path | None, seen: list[str]) -> None:
    if not isinstance(ref, str):
        raise ConfigError("must be a preset name or a path", source, "extends", line)
    if "/" in ref or ref.endswith((".yml", ".yaml", ".toml")):
        base_dir = relative_to.parent if relative_to else Path.cwd()
        path = (base_dir / ref).resolve()
        if not path.is_file():
            raise ConfigError(f"extends a file that does not exist: {ref}", source, "extends", line)
    else:
        path = _preset_path(ref, source, line)
    key = str(path)
    if key in seen:
        raise ConfigError(f"extends itself in a loop: {' -> '.join(seen + [key])}", source, "extends", line)
    data = _load_extended(path)
    parent = data.get("extends")
    if parent is not None:
        _apply_extends(cfg, parent, key, _line(data, "extends"), path, seen + [key])
    _apply(cfg, data, key)


def _load_extended(path: Path) -> dict:
    """The mapping of a file that ``extends`` names. A packaged preset comes from
    :data:`linter.presets.PRESETS` (its YAML parsed ahead of time by ``python -m
    linter.docs``, so that a run without a configuration file never imports PyYAML);
    any other file (also every preset of a ``MIGLINT_RULES_DIR``) is read with
    :func:`load_file`. The mapping is only read, never changed."""
    if not os.environ.get("MIGLINT_RULES_DIR") and path.parent == rules_dir():
        from linter.presets import PRESETS

        if path.name in PRESETS:
            return PRESETS[path.name]
    return load_file(path)


def _check_type(value: Any, typ: type, source: str, key: str, line: int | None) -> None:
    ok = isinstance(value, typ) and not (typ is int and isinstance(value, bool))
    if typ is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise ConfigError(f"must be {_TYPE_NAMES.get(typ, typ.__name__)}, not {value!r}", source, key, line)


def _apply(cfg: Config, data: dict, source: str) -> None:
    for key, value in data.items():
        line = _line(data, key)
        if key == "extends":  # resolved by the caller, before this file's own keys
            continue
        if key not in _TOP_KEYS:
            raise ConfigError(f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})", source, str(key), line)
        _check_type(value, _TOP_KEYS[key], source, key, line)
        if key == "pg_version":
            if not 9 <= value <= 18:
                raise ConfigError("must be a PostgreSQL major version from 9 to 18", source, key, line)
            cfg.pg_version = value
        elif key == "fail_on":
            if value not in FAIL_ON:
                raise ConfigError(f"must be one of {', '.join(FAIL_ON)}", source, key, line)
            cfg.fail_on = value
        elif key == "rollback_locking":
            if value not in ROLLBACK_LOCKING:
                raise ConfigError(f"must be one of {', '.join(ROLLBACK_LOCKING)}", source, key, line)
            cfg.rollback_locking = value
        elif key in ("roots", "seeds", "exclude", "snapshots"):
            if not all(isinstance(v, str) for v in value):
                raise ConfigError("must be a list of strings", source, key, line)
            setattr(cfg, key, list(value))
        elif key == "placeholders":
            for name, v in value.items():
                if not isinstance(v, (str, int)) or isinstance(v, bool):
                    raise ConfigError("placeholder values must be strings", source, f"placeholders.{name}", _line(value, name))
            cfg.placeholders = {**cfg.placeholders, **{str(k): str(v) for k, v in value.items()}}
        elif key == "placeholder_syntax":
            bad = [v for v in value if v not in PLACEHOLDER_SYNTAXES]
            if bad:
                raise ConfigError(f"unknown syntax {bad[0]!r} (known: {', '.join(PLACEHOLDER_SYNTAXES)})", source, key, line)
            cfg.placeholder_syntax = tuple(value)
        elif key == "transactions":
            from linter.model import Convention

            known = {c.value for c in Convention}
            for conv, v in value.items():
                if conv not in known:
                    raise ConfigError(f"unknown convention (known: {', '.join(sorted(known))})", source, f"transactions.{conv}", _line(value, conv))
                if not isinstance(v, bool):
                    raise ConfigError("must be true or false", source, f"transactions.{conv}", _line(value, conv))
            cfg.transactions = {**cfg.transactions, **value}
        elif key == "foreign_suppressions":
            cfg.foreign_suppressions = value
        elif key == "max_file_size":
            if value <= 0:
                raise ConfigError("must be a positive number of bytes", source, key, line)
            cfg.max_file_size = value
        elif key == "rules":
            levels, options = _parse_rules(value, source, "rules")
            cfg.levels.update(levels)
            for rid, o in options.items():
                cfg.options.setdefault(rid, {}).update(o)
        elif key == "overrides":
            for i, item in enumerate(value):
                where = f"overrides[{i}]"
                if not isinstance(item, dict):
                    raise ConfigError("must be a mapping with files and rules", source, where, line)
                unknown = set(item) - {"files", "rules"}
                if unknown:
                    k = sorted(unknown)[0]
                    raise ConfigError("unknown key (known: files, rules)", source, f"{where}.{k}", _line(item, k))
                files = item.get("files")
                if not files or not isinstance(files, list) or not all(isinstance(f, str) for f in files):
                    raise ConfigError("files must be a non-empty list of patterns", source, f"{where}.files", _line(item, "files") or line)
                rules = item.get("rules") or {}
                _check_type(rules, dict, source, f"{where}.rules", _line(item, "rules"))
                lv, op = _parse_rules(rules, source, f"{where}.rules")
                cfg.overrides.append((tuple(files), lv, op))
        elif key == "new_template":
            if not value.strip():
                raise ConfigError("must be a file path", source, key, line)
            cfg.new_template = value
        elif key == "manifest":
            if not value.strip():
                raise ConfigError("must be a file path", source, key, line)
            cfg.manifest = value
        elif key == "baseline":
            if not value.strip():
                raise ConfigError("must be a file path", source, key, line)
            cfg.baseline = value
        elif key == "cache_dir":
            if not value.strip():
                raise ConfigError("must be a folder path", source, key, line)
            cfg.cache_dir = value
        elif key == "verify":
            _apply_verify(cfg.verify, value, source, line)
        elif key == "description":
            cfg.description = value
        elif key == "standard":
            cfg.standard = value
    cfg.sources.append(source)


def _apply_verify(v: VerifySettings, value: dict, source: str, line: int | None) -> None:
    """Validate and apply a ``verify:`` mapping (:class:`VerifySettings`)."""
    for k, item in value.items():
        key, kline = f"verify.{k}", _line(value, k) or line
        if k not in _VERIFY_KEYS:
            raise ConfigError(f"unknown key (known: {', '.join(sorted(_VERIFY_KEYS))})", source, key, kline)
        if k == "setup":
            if isinstance(item, str):
                item = [item]
            _check_type(item, list, source, key, kline)
            if not all(isinstance(x, str) and x.strip() for x in item):
                raise ConfigError("must be a list of file paths", source, key, kline)
            v.setup = list(item)
        elif k == "seed":
            if isinstance(item, str):
                item = [item]
            _check_type(item, list, source, key, kline)
            if not all(isinstance(x, str) and x.strip() for x in item):
                raise ConfigError("must be a list of file paths", source, key, kline)
            here = Path(source).parent if source else Path(".")
            v.seed = [x if os.path.isabs(x) else str(here / x) for x in item]
        elif k == "cache":
            if isinstance(item, bool) or (isinstance(item, str) and item.strip()):
                v.cache = item
            else:
                raise ConfigError("must be true, false or a directory", source, key, kline)
        else:
            if k in ("roles", "roundtrip", "rerun") and isinstance(item, bool):  # YAML 1.1 reads a bare `off` as false
                item = {False: "off", True: "auto" if k == "roles" else "new"}[item]
            _check_type(item, _VERIFY_KEYS[k], source, key, kline)
            if k == "roles" and item not in VERIFY_ROLES:
                raise ConfigError(f"must be one of {', '.join(VERIFY_ROLES)}", source, key, kline)
            if k in ("roundtrip", "rerun") and item not in VERIFY_ROUNDTRIP:
                raise ConfigError(f"must be one of {', '.join(VERIFY_ROUNDTRIP)}", source, key, kline)
            if k == "statement_timeout" and item < 0:
                raise ConfigError("must be 0 (never) or a number of seconds", source, key, kline)
            if k == "pg_bin" and not item.strip():
                raise ConfigError("must be a directory", source, key, kline)
            setattr(v, k, float(item) if k == "statement_timeout" else item)


def _parse_rules(value: dict, source: str, prefix: str) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    rules = registry.all_rules()
    levels: dict[str, str] = {}
    options: dict[str, dict[str, Any]] = {}
    for name, setting in value.items():
        line = _line(value, name)
        key = f"{prefix}.{name}"
        rid = registry.resolve(str(name))
        if rid is None:
            raise ConfigError("unknown rule (see `miglint rules`)", source, key, line)
        rule = rules[rid]
        if isinstance(setting, str) or setting is None or isinstance(setting, bool):
            level = "disable" if setting in (None, False) else setting
            if level not in LEVELS:
                raise ConfigError(f"level must be one of {', '.join(LEVELS)}", source, key, line)
            levels[rid] = level
            continue
        if not isinstance(setting, dict):
            raise ConfigError("must be a level or a mapping of level and options", source, key, line)
        opts = {}
        for opt, v in setting.items():
            oline = _line(setting, opt) or line
            if opt == "level":
                if v not in LEVELS:
                    raise ConfigError(f"level must be one of {', '.join(LEVELS)}", source, f"{key}.level", oline)
                levels[rid] = v
                continue
            if opt not in rule.options:
                known = ", ".join(["level", *rule.options]) or "level"
                raise ConfigError(f"unknown option for {rid} (known: {known})", source, f"{key}.{opt}", oline)
            _check_type(v, rule.options[opt], source, f"{key}.{opt}", oline)
            opts[opt] = v
        if opts:
            options[rid] = opts
    return levels, options
