"""``miglint init``: look at a repository and write the configuration that fits it.

:func:`survey` walks the repository with :func:`linter.discovery.discover` (the same
walk and naming rules ``miglint lint`` uses) and summarises each migration root: its
tool (the dominant convention of its versioned files), how many up, down, repeatable,
baseline and seed files it holds, and what decides transactions there (diesel
``metadata.toml``, Flyway ``.sql.conf``, popx ``.autocommit.``, a drizzle journal).
:func:`propose` turns that into :class:`Choices` (the preset, the roots, the PostgreSQL
version, transaction answers); :func:`render_config` writes ``.miglint.yml`` text with
a comment on every choice; :func:`render_workflow` and :func:`precommit_entry` the
GitHub workflow and the pre-commit hook entry.

Which preset: the tool presets of ``rules/`` (``flyway``, ``golang-migrate``,
``dbmate``, ``diesel``) for roots of those tools, else ``default``. The presets that
encode a team standard (those with a ``standard:`` key: ``flyway-dated``,
``sequential-ranges``, ``up-down-pairs``, ``immutable-history``,
``dbmate-forward-only``) are never chosen for the user: they turn a standard's house
rules into errors (header fields, number ranges, ``rely-on-transaction: false``) that
a repository not written to that standard fails everywhere. The comments name them.

Transactions: miglint already knows how each tool it recognises runs a file
(:mod:`linter.pg.transactions`, with the tools' sources cited there), so no
``transactions:`` key is written for them: forcing one would be wrong for the files
whose markers say otherwise (a golang-migrate file of one statement runs alone, a
diesel migration with ``run_in_transaction = false`` outside a transaction). Only files
named by number or timestamp alone (``sequential``, ``timestamp``, ``up-down-dirs``)
leave the tool unknown; miglint assumes a transaction there, and ``init`` asks (or,
with ``--yes``, keeps the assumption and says how to change it).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from linter import HOMEPAGE
from linter.model import Convention, Direction, MigrationFile

__all__ = ["RootSurvey", "Survey", "Choices", "survey", "propose", "render_config", "render_workflow",
           "precommit_entry", "add_precommit", "WORKFLOW_PATH", "PRECOMMIT_PATH", "CONFIG_PATH", "REPO_URL"]

CONFIG_PATH = ".miglint.yml"
WORKFLOW_PATH = ".github/workflows/miglint.yml"
PRECOMMIT_PATH = ".pre-commit-config.yaml"
#: Where the action, the pre-commit hook and the documentation live.
REPO_URL = HOMEPAGE

#: Tool presets (no ``standard:``) by the convention they are written for.
_TOOL_PRESET = {
    Convention.FLYWAY: "flyway",
    Convention.GOLANG_MIGRATE: "golang-migrate",
    Convention.DBMATE: "dbmate",
    Convention.DIESEL: "diesel",
}
#: Team-standard presets worth naming beside a convention (never chosen automatically).
_STANDARD_HINTS = {
    Convention.FLYWAY: ("flyway-dated", "Flyway V{YYYY.MM.DD.NNN}__ names, down/ mirrors, per-day sequence ranges"),
    Convention.DBMATE: ("dbmate-forward-only", "forward-only dbmate with re-runnable (guarded) statements"),
    Convention.SEQUENTIAL: ("sequential-ranges", "XXX_name.sql without gaps, per-domain number ranges"),
    Convention.UP_DOWN_DIRS: ("up-down-pairs", "every up with its down, as errors"),
}
#: Human names of the tools behind each convention.
_TOOL_NAME = {
    Convention.FLYWAY: "Flyway",
    Convention.GOLANG_MIGRATE: "golang-migrate",
    Convention.DBMATE: "dbmate",
    Convention.GOOSE: "goose",
    Convention.DIESEL: "diesel",
    Convention.PRISMA: "Prisma Migrate",
    Convention.SYNAPSE: "Synapse schema deltas",
    Convention.UP_DOWN_DIRS: "up/ and down/ trees",
    Convention.TIMESTAMP: "timestamp-named files",
    Convention.SEQUENTIAL: "numbered files",
    Convention.SEED: "seed files",
}
#: Conventions whose tool miglint cannot name: it assumes each file runs in a
#: transaction (:func:`linter.pg.transactions.tool_transaction`, last line).
ASSUMED_TRANSACTION = (Convention.TIMESTAMP, Convention.SEQUENTIAL, Convention.UP_DOWN_DIRS)
#: ``image: postgres:15``, ``postgres:16-alpine``, ``postgis/postgis:15-3.4``,
#: ``FROM postgres:14`` (compose files, Dockerfiles, workflow service containers).
_PG_IMAGE = re.compile(r"\b(?:postgres|postgresql|postgis/postgis|timescale/timescaledb(?:-ha)?|supabase/postgres)"
                       r":(?:pg)?(\d{1,2})(?!\d)", re.I)
#: Files read for a PostgreSQL image tag, at most this deep below the repository.
_PG_FILES = re.compile(r"^(?:docker-compose[\w.-]*|compose[\w.-]*)\.ya?ml$|^Dockerfile[\w.-]*$|^[\w.-]+\.ya?ml$")
_PG_DEPTH = 3


@dataclass
class RootSurvey:
    """One migration root as :func:`survey` found it.

    * ``root``: the root (POSIX, relative to the repository, ``"."`` for the top).
    * ``convention``: the dominant convention of its versioned files (``SEED`` for a seed
      directory, ``UNKNOWN`` when none follows a naming rule).
    * ``counts``: ``{direction value: number of files}``; ``files``: all of them.
    * ``facts``: sentences about what decides transactions or naming here (for comments).
    """

    root: str
    convention: Convention
    counts: dict[str, int]
    files: int
    facts: list[str] = field(default_factory=list)

    @property
    def tool(self) -> str:
        """The tool's or the naming scheme's human name."""
        if self.counts and set(self.counts) == {"baseline"}:
            return "baselines (schema dumps, init scripts)"
        return _TOOL_NAME.get(self.convention, "SQL files that follow no migration naming")

    @property
    def usable(self) -> bool:
        """Worth linting: migrations, baselines or seeds, not only files that follow no naming rule."""
        return self.convention is not Convention.UNKNOWN or bool(self.counts.get("baseline"))


@dataclass
class Survey:
    """What :func:`survey` found: ``roots`` (most files first), the PostgreSQL major
    versions named by image tags (``pg_versions``: ``{version: [files]}``) and the
    discovery notes."""

    roots: list[RootSurvey]
    pg_versions: dict[int, list[str]]
    notes: list[str]
    files: list[MigrationFile] = field(default_factory=list, repr=False)


@dataclass
class Choices:
    """What ``init`` writes: the preset and why, the roots, the PostgreSQL version and
    where it came from, and ``transactions`` answers (``{convention: bool}``, only for
    the conventions of :data:`ASSUMED_TRANSACTION` whose answer differs from miglint's
    assumption)."""

    preset: str
    preset_reason: str
    roots: list[RootSurvey]
    pg_version: int
    pg_reason: str
    transactions: dict[str, bool] = field(default_factory=dict)
    baseline: str | None = None


def survey(base_dir: str | Path) -> Survey:
    """Walk ``base_dir`` (the repository) as ``miglint lint`` walks it and summarise each
    migration root. Never raises for unreadable directories (they are left out)."""
    from linter.config import Config
    from linter.discovery import discover

    base = str(Path(base_dir).resolve())
    found = discover(["."], base_dir=base, roots=(), seeds=Config().seeds, exclude=(), snapshots=())
    by_root: dict[str, list[MigrationFile]] = {}
    for f in found.files:
        by_root.setdefault(f.root, []).append(f)
    roots = [_root_survey(root, files) for root, files in by_root.items()]
    roots.sort(key=lambda r: (-r.files, r.root))
    return Survey(roots=roots, pg_versions=_pg_versions(base), notes=list(found.notes), files=found.files)


def _root_survey(root: str, files: list[MigrationFile]) -> RootSurvey:
    from linter.pg.transactions import drizzle_journal, is_popx

    counts = Counter(f.direction.value for f in files)
    versioned = Counter(f.convention for f in files
                        if f.convention not in (Convention.UNKNOWN, Convention.SEED)
                        and f.direction in (Direction.UP, Direction.DOWN, Direction.REPEATABLE))
    if versioned:
        conv = versioned.most_common(1)[0][0]
    elif all(f.convention is Convention.SEED for f in files):
        conv = Convention.SEED
    elif any(f.direction is Direction.BASELINE for f in files):  # init scripts, schema dumps only
        conv = next((f.convention for f in files if f.convention not in (Convention.UNKNOWN, Convention.SEED)),
                    Convention.UNKNOWN)
    else:
        conv = Convention.UNKNOWN
    facts: list[str] = []
    if conv is Convention.DIESEL:
        off = {f.migration_id for f in files if f.option("run_in_transaction") is False}
        facts.append("diesel runs each migration in a transaction unless its metadata.toml says "
                     "run_in_transaction = false" + (f" ({len(off)} here; miglint reads them)" if off else ""))
    elif conv is Convention.FLYWAY:
        conf = [f for f in files if f.option("executeInTransaction") is not None]
        facts.append("Flyway runs each script in a transaction unless -- flyway:executeInTransaction=false, a "
                     "V…sql.conf says so, or every statement is one Flyway runs outside (CREATE INDEX "
                     "CONCURRENTLY …)" + (f" ({len(conf)} .sql.conf files here; miglint reads them)" if conf else ""))
    elif conv is Convention.GOLANG_MIGRATE:
        if any(is_popx(f) for f in files):
            auto = sum(1 for f in files if f.option("autocommit"))
            facts.append("ory popx runs each file in a transaction, .autocommit. files outside one"
                         + (f" ({auto} here)" if auto else ""))
        else:
            facts.append("golang-migrate sends each file as one query: several statements run in one "
                         "implicit transaction, a single statement on its own")
    elif conv is Convention.DBMATE:
        facts.append("dbmate runs each file in a transaction unless -- migrate:up transaction:false")
    elif conv is Convention.GOOSE:
        facts.append("goose runs each file in a transaction unless -- +goose NO TRANSACTION")
    elif conv is Convention.PRISMA:
        facts.append("Prisma Migrate sends each migration.sql as one query: several statements run in one "
                     "implicit transaction")
    elif conv is Convention.SYNAPSE:
        facts.append("Synapse runs each schema delta in a transaction")
    elif conv is Convention.SEED:
        facts.append("seed files are taken to run with psql (autocommit)")
    elif conv in ASSUMED_TRANSACTION:
        folders = {os.path.dirname(f.abspath) for f in files}
        if any(drizzle_journal(d) is not None for d in folders):
            facts.append("drizzle: meta/_journal.json lists the files its migrator runs, all pending ones in one "
                         "transaction; miglint reads the journal")
        else:
            facts.append("the file names do not say which tool applies them: miglint assumes each file runs in "
                         "a transaction (markers such as sqlx's -- no-transaction are read)")
    if counts.get("baseline"):
        facts.append(f"{counts['baseline']} baseline file{'s' if counts['baseline'] != 1 else ''} (schema dumps, "
                     "init scripts: run once on an empty database, so lock rules skip them)")
    return RootSurvey(root=root, convention=conv, counts=dict(counts), files=len(files), facts=facts)


def _pg_versions(base: str) -> dict[int, list[str]]:
    """``{major: [files]}`` of PostgreSQL image tags in compose files, Dockerfiles and
    YAML files (workflow service containers) up to :data:`_PG_DEPTH` directories deep;
    hidden directories other than ``.github`` and ``node_modules`` are not read."""
    out: dict[int, list[str]] = {}
    top = len(Path(base).parts)
    for dirpath, dirs, names in os.walk(base):
        depth = len(Path(dirpath).parts) - top
        dirs[:] = [d for d in dirs if (not d.startswith(".") or d in (".github", "workflows")) and d != "node_modules"]
        if depth >= _PG_DEPTH:
            dirs[:] = []
        for name in names:
            if not _PG_FILES.match(name):
                continue
            path = os.path.join(dirpath, name)
            try:
                if os.path.getsize(path) > 256 * 1024:
                    continue
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                continue
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            for m in _PG_IMAGE.finditer(text):
                major = int(m.group(1))
                if 9 <= major <= 18 and rel not in out.get(major, []):
                    out.setdefault(major, []).append(rel)
    return out


def propose(found: Survey, *, preset: str | None = None, pg_version: int | None = None) -> Choices:
    """The answers ``init --yes`` writes: every usable root, the tool preset of the root
    with the most files (``default`` when its tool has none), the PostgreSQL version of
    the repository's image tags (the most often named; ``16``, miglint's default,
    without one), and miglint's transaction assumptions kept."""
    roots = [r for r in found.roots if r.usable]
    tool_roots = [r for r in roots if r.convention is not Convention.SEED]
    if preset:
        reason = "chosen with --preset"
    elif tool_roots:
        top = tool_roots[0]
        preset = _TOOL_PRESET.get(top.convention, "default")
        others = sorted({r.tool for r in tool_roots[1:] if r.convention is not top.convention})
        if preset == "default":
            reason = f"{top.root}/ holds {top.tool}, for which no tool preset exists: every rule at its default level"
        else:
            reason = f"{top.root}/ holds {top.tool} migrations ({top.files} files), the most of any root"
        if others:
            reason += f"; other roots hold {', '.join(others)}, which the preset's naming options may not fit"
    else:
        preset, reason = "default", "no migration root found yet: every rule at its default level"
    if pg_version is not None:
        pg_reason = "chosen with --pg-version"
    elif found.pg_versions:
        counted = sorted(found.pg_versions.items(), key=lambda kv: (-len(kv[1]), -kv[0]))
        pg_version, files = counted[0]
        pg_reason = f"the PostgreSQL image in {', '.join(files[:3])}"
        if len(counted) > 1:
            pg_reason += f" (also named: {', '.join(str(v) for v, _ in counted[1:])})"
    else:
        pg_version, pg_reason = 16, "miglint's default: no PostgreSQL image tag found in the repository; set your server's"
    return Choices(preset=preset, preset_reason=reason, roots=roots, pg_version=pg_version, pg_reason=pg_reason)


def _yaml_str(s: str) -> str:
    """``s`` as a double-quoted YAML scalar (a root named ``2024`` stays a string)."""
    import json

    return json.dumps(s, ensure_ascii=False)


def render_config(found: Survey, choices: Choices, *, version: str) -> str:
    """The ``.miglint.yml`` text for ``choices``, each key with a comment saying why.
    Valid for :func:`linter.config.load` (tests load every file written)."""
    from linter import config as configmod

    desc = configmod.load_file(configmod.rules_dir() / f"{choices.preset}.yaml").get("description", "")
    lines = [
        f"# miglint configuration, written by `miglint init` (miglint {version}).",
        f"# Every key: {REPO_URL}#configuration · presets: `miglint presets` · rules: `miglint rules`.",
        "",
        f"# Preset: {choices.preset_reason}.",
    ]
    if desc:
        lines.append(f"# {choices.preset}: {desc}")
    hints = sorted({_STANDARD_HINTS[r.convention] for r in choices.roots if r.convention in _STANDARD_HINTS})
    for name, what in hints:
        lines.append(f"# If your team follows the standard it encodes, `extends: {name}` is stricter ({what}).")
    lines.append(f"extends: {choices.preset}")
    lines.append("")
    lines.append(f"# PostgreSQL major version the migrations run on: {choices.pg_reason}.")
    lines.append(f"pg_version: {choices.pg_version}")
    lines.append("")
    if choices.roots:
        lines.append("# Migration roots found (`miglint lint` without paths lints these):")
        lines.append("roots:")
        for r in choices.roots:
            parts = ", ".join(f"{n} {d}" for d, n in sorted(r.counts.items(), key=lambda kv: -kv[1]))
            lines.append(f"  - {_yaml_str(r.root)}  # {r.tool}: {parts}")
        left = [r for r in found.roots if not r.usable]
        for r in left:
            lines.append(f"  # not listed: {r.root}/ ({r.files} .sql file{'s' if r.files != 1 else ''} "
                         "that follow no migration naming)")
    else:
        lines.append("# No migration root listed: `miglint lint` walks the repository. List yours here:")
        lines.append("# roots: [db/migrations]")
    lines.append("")
    lines.append("# Transactions: how each tool runs a file decides which statements can fail inside a")
    lines.append("# transaction block and what a failure leaves behind. miglint knows these:")
    seen: set[str] = set()
    for r in choices.roots:
        for fact in r.facts:
            if fact not in seen:
                seen.add(fact)
                lines.append(f"#   {r.root}/: {fact}")
    assumed = sorted({r.convention.value for r in choices.roots if r.convention in ASSUMED_TRANSACTION})
    if choices.transactions:
        lines.append("# Your answer to `miglint init` for files whose tool miglint cannot tell:")
        lines.append("transactions:")
        for conv, wrapped in sorted(choices.transactions.items()):
            lines.append(f"  {conv}: {'true' if wrapped else 'false'}")
    elif assumed:
        example = ", ".join(f"{c}: false" for c in assumed)
        lines.append("# If your tool runs these files outside a transaction (autocommit), say so:")
        lines.append(f"# transactions: {{{example}}}")
    lines.append("")
    if choices.baseline:
        lines.append("# Findings accepted when miglint was introduced (`miglint baseline`); lint reports new ones only.")
        lines.append(f"baseline: {_yaml_str(choices.baseline)}")
    else:
        lines.append("# To accept today's findings and report only new ones: run `miglint baseline`, then")
        lines.append("# baseline: .miglint-baseline.json")
    return "\n".join(lines) + "\n"


def render_workflow(roots: list[str], *, version: str) -> str:
    """The pull-request workflow of the README's "Pull requests" section, linting
    ``roots`` with the action at ``v<version>``."""
    paths = " ".join(r for r in roots) or "."
    return f"""\
# miglint on pull requests: one review with a thread per statement, a summary comment,
# SARIF for code scanning. Written by `miglint init`; inputs: {REPO_URL}/blob/main/docs/github.md
name: miglint
on: pull_request
permissions:
  contents: read
  pull-requests: write
  security-events: write           # only for the SARIF upload
jobs:
  miglint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}  # the lines the review points at
          fetch-depth: 0                                  # the base branch, for the history rules
      - uses: miglint/miglint@v{version}
        with:
          paths: {paths}
          sarif-file: miglint.sarif
      - uses: github/codeql-action/upload-sarif@v3
        if: ${{{{ !cancelled() }}}}
        with:
          sarif_file: miglint.sarif
          category: miglint
"""


def precommit_entry(*, version: str, files_regex: str | None = None) -> str:
    """One ``repos:`` item (YAML text, indented for a ``repos:`` list) running the
    ``miglint`` hook of ``.pre-commit-hooks.yaml`` at tag ``v<version>``; ``files_regex``
    narrows it to the migration roots."""
    text = f"  - repo: {REPO_URL}\n    rev: v{version}\n    hooks:\n      - id: miglint\n"
    if files_regex:
        quoted = "'" + files_regex.replace("'", "''") + "'"  # YAML single quotes keep backslashes
        text += f"        files: {quoted}\n"
    return text


def files_regex(roots: list[str]) -> str | None:
    """A pre-commit ``files`` regex matching SQL files under ``roots`` (``None`` when a
    root is the repository itself)."""
    if not roots or "." in roots:
        return None
    alts = "|".join(re.escape(r.rstrip("/")) + "/" for r in sorted(roots))
    return f"^({alts}).*\\.sql$"


def add_precommit(path: Path, entry: str) -> str:
    """Write ``entry`` into the pre-commit configuration at ``path``: a new file holding
    only it, or appended to an existing file whose last top-level key is ``repos:`` (the
    rest of the file is kept byte for byte). Returns what was done (``"created"``,
    ``"appended"``, ``"present"`` when a miglint hook is already there). Raises
    ``ValueError`` when the file exists and the entry cannot be appended safely."""
    import yaml

    if not path.exists():
        path.write_text("# pre-commit (https://pre-commit.com): hooks run on `git commit`.\nrepos:\n" + entry,
                        encoding="utf-8", newline="\n")
        return "created"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or not isinstance(data.get("repos", []), list):
        raise ValueError(f"{path.name}: not a pre-commit configuration (no repos: list)")
    for repo in data.get("repos") or []:
        if isinstance(repo, dict) and any(isinstance(h, dict) and h.get("id") == "miglint" for h in repo.get("hooks") or []):
            return "present"
    top_keys = re.findall(r"^([A-Za-z_][\w-]*)\s*:", text, re.M)
    if not top_keys or top_keys[-1] != "repos" or re.search(r"^repos\s*:\s*\[", text, re.M):
        raise ValueError(f"{path.name}: `repos:` is not its last key in block style; add this entry by hand:\n{entry}")
    new = text if text.endswith("\n") else text + "\n"
    new += entry
    check = yaml.safe_load(new)
    if not any(isinstance(r, dict) and r.get("repo") == REPO_URL for r in check.get("repos") or []):
        raise ValueError(f"{path.name}: the entry would not land in repos:; add it by hand:\n{entry}")
    path.write_text(new, encoding="utf-8", newline="\n")
    return "appended"


# --------------------------------------------------------------------------- the command


def _ask(prompt: str, default: bool, stdin, out) -> bool:
    """A yes/no question on the terminal; Enter keeps ``default``."""
    hint = "[Y/n]" if default else "[y/N]"
    while True:
        out.write(f"{prompt} {hint} ")
        out.flush()
        answer = stdin.readline()
        if not answer:  # end of input: keep the default
            out.write("\n")
            return default
        answer = answer.strip().lower()
        if not answer:
            return default
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False


def _ask_text(prompt: str, default: str, valid, stdin, out) -> str:
    """A question with a free answer checked by ``valid``; Enter keeps ``default``."""
    while True:
        out.write(f"{prompt} [{default}] ")
        out.flush()
        answer = stdin.readline()
        if not answer:
            out.write("\n")
            return default
        answer = answer.strip() or default
        if valid(answer):
            return answer
        out.write(f"  not one of the choices: {answer}\n")


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _existing_config(base: Path) -> Path | None:
    """The configuration file ``miglint lint`` would read in ``base`` itself, if any."""
    from linter.config import CONFIG_NAMES

    for name in CONFIG_NAMES:
        if (base / name).is_file():
            return base / name
    pp = base / "pyproject.toml"
    if pp.is_file():
        import tomllib

        try:
            if "miglint" in tomllib.loads(pp.read_text(encoding="utf-8")).get("tool", {}):
                return pp
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
    return None


def _lint_counts(base: Path, config_path: Path):
    """Lint the repository as ``miglint lint`` run in ``base`` would with the new
    configuration; returns the :class:`~linter.model.Report`."""
    from linter import config as configmod, engine
    from linter.discovery import discover

    here = os.getcwd()
    os.chdir(base)
    try:
        cfg = configmod.load(str(config_path), cwd=base)
        paths = cfg.roots or ["."]
        found = discover(paths, base_dir=str(base), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude,
                         snapshots=cfg.snapshots)
        return engine.lint(found.files, cfg, notes=list(found.notes))
    finally:
        os.chdir(here)


def run(args, *, stdin, out, err) -> int:
    """``miglint init [DIR]``: survey, ask (on a terminal, unless ``--yes``), write
    ``.miglint.yml`` (never over an existing configuration without ``--force``), the
    workflow (``--workflow``) and the pre-commit entry (``--pre-commit``), then lint
    once with the new file and offer ``miglint baseline``. Returns the exit code: 0, or
    2 (:class:`~linter.exitcodes.UsageError`) for an existing file or a bad directory."""
    from linter import __version__, baseline as baselinemod, config as configmod
    from linter.exitcodes import EXIT_OK, UsageError

    base = Path(args.directory).resolve()
    if not base.is_dir():
        raise UsageError(f"{args.directory}: not a directory")
    target = base / CONFIG_PATH
    existing = _existing_config(base)
    if existing is not None and not args.force and not args.dry_run:
        raise UsageError(f"{existing.name} already configures miglint here; pass --force to replace it with {CONFIG_PATH}")
    if args.preset and args.preset not in configmod.preset_names():
        raise UsageError(f"unknown preset {args.preset!r} (available: {', '.join(configmod.preset_names())})")
    if args.pg_version is not None and not 9 <= args.pg_version <= 18:
        raise UsageError("--pg-version must be a PostgreSQL major version from 9 to 18")
    interactive = not args.yes and hasattr(stdin, "isatty") and stdin.isatty()

    found = survey(base)
    choices = propose(found, preset=args.preset, pg_version=args.pg_version)
    out.write(f"Migration roots in {base}:\n" if found.roots else f"No migration files found in {base}.\n")
    for r in found.roots:
        mark = "" if r.usable else "  (not linted: no migration naming)"
        out.write(f"  {r.root}/  {r.tool}, {r.files} file{'s' if r.files != 1 else ''}{mark}\n")

    workflow, precommit = args.workflow, args.pre_commit
    if interactive:
        choices.roots = [r for r in choices.roots
                         if _ask(f"Lint {r.root}/ ({r.tool}, {r.files} files)?", True, stdin, out)]
        names, proposed = configmod.preset_names(), choices.preset
        choices.preset = _ask_text(f"Preset ({', '.join(names)})?", choices.preset, names.__contains__, stdin, out)
        if choices.preset != proposed:
            choices.preset_reason = "chosen when `miglint init` asked"
        pg = _ask_text("PostgreSQL major version?", str(choices.pg_version),
                       lambda s: s.isdigit() and 9 <= int(s) <= 18, stdin, out)
        if int(pg) != choices.pg_version:
            choices.pg_version, choices.pg_reason = int(pg), "given when `miglint init` asked"
        for conv in sorted({r.convention for r in choices.roots if r.convention in ASSUMED_TRANSACTION}, key=str):
            where = ", ".join(f"{r.root}/" for r in choices.roots if r.convention is conv)
            if not _ask(f"Does the tool that applies {where} run each file in a transaction?", True, stdin, out):
                choices.transactions[conv.value] = False
        workflow = workflow or _ask(f"Write the GitHub workflow {WORKFLOW_PATH}?", False, stdin, out)
        precommit = precommit or _ask(f"Add the pre-commit hook to {PRECOMMIT_PATH}?", False, stdin, out)
    elif not args.yes:
        err.write("miglint init: standard input is not a terminal: writing the proposed answers (--yes says so)\n")

    text = render_config(found, choices, version=__version__)
    check = target.with_name(f".miglint-init-{os.getpid()}.yml")
    try:  # what is written must load: a ConfigError here is miglint's bug, never the user's
        check.write_text(text, encoding="utf-8")
        configmod.load(str(check), cwd=base)
    finally:
        check.unlink(missing_ok=True)
    if args.dry_run:
        out.write(f"\n--- {CONFIG_PATH} (not written: --dry-run)\n{text}")
        return EXIT_OK
    target.write_text(text, encoding="utf-8", newline="\n")
    out.write(f"wrote {CONFIG_PATH}: extends {choices.preset}, {len(choices.roots)} root"
              f"{'s' if len(choices.roots) != 1 else ''}, pg_version {choices.pg_version}\n")
    if existing is not None and existing.name != CONFIG_PATH:
        out.write(f"note: {CONFIG_PATH} is read before {existing.name}, which miglint no longer reads\n")

    roots = [r.root for r in choices.roots]
    if workflow:
        wf = base / WORKFLOW_PATH
        if wf.exists() and not args.force:
            err.write(f"miglint init: {WORKFLOW_PATH} exists; not overwritten (pass --force to replace it)\n")
        else:
            wf.parent.mkdir(parents=True, exist_ok=True)
            wf.write_text(render_workflow(roots, version=__version__), encoding="utf-8", newline="\n")
            out.write(f"wrote {WORKFLOW_PATH}\n")
    if precommit:
        try:
            done = add_precommit(base / PRECOMMIT_PATH, precommit_entry(version=__version__, files_regex=files_regex(roots)))
        except ValueError as exc:
            err.write(f"miglint init: {exc}\n")
        else:
            out.write({"created": f"wrote {PRECOMMIT_PATH}\n", "appended": f"added the miglint hook to {PRECOMMIT_PATH}\n",
                       "present": f"{PRECOMMIT_PATH} already runs the miglint hook\n"}[done])

    report = _lint_counts(base, target)
    counts = report.counts()
    n = len(report.findings)
    if n == 0:
        out.write("miglint lint finds nothing to report in this repository today.\n")
        return EXIT_OK
    out.write(f"miglint lint finds {_n(n, 'finding')} in this repository today ({_n(counts['error'], 'error')}, "
              f"{_n(counts['warning'], 'warning')}, {_n(counts['note'], 'note')}); `miglint lint` shows them.\n")
    accept = args.baseline or (interactive and _ask(
        f"Accept them in {baselinemod.DEFAULT_PATH}, so that lint reports only new findings?", False, stdin, out))
    if not accept:
        out.write(f"To accept them and report only new ones: miglint baseline, then uncomment "
                  f"`baseline: {baselinemod.DEFAULT_PATH}` in {CONFIG_PATH}\n")
        return EXIT_OK
    bl = base / baselinemod.DEFAULT_PATH
    if bl.exists() and not args.force:
        err.write(f"miglint init: {baselinemod.DEFAULT_PATH} exists; not overwritten (pass --force to replace it)\n")
        return EXIT_OK
    bl.write_text(baselinemod.dumps(report.findings), encoding="utf-8", newline="\n")
    choices.baseline = baselinemod.DEFAULT_PATH
    target.write_text(render_config(found, choices, version=__version__), encoding="utf-8", newline="\n")
    out.write(f"wrote {baselinemod.DEFAULT_PATH}: {n} finding{'s' if n != 1 else ''} accepted (as `miglint baseline` "
              f"writes it); {CONFIG_PATH} names it\n")
    return EXIT_OK
