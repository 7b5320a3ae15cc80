"""The ``miglint`` command: flags, configuration, outputs and exit codes.

Exit codes: 0, nothing at or above ``--fail-on``; 1, findings at or above it; 2, a usage,
configuration or I/O error (the message names the file and the key or line).

``cli.py`` chooses and writes outputs; rendering lives in :mod:`linter.formats` and the
checks in :mod:`linter.engine` (pylint's ``multi_reporter`` pattern: several outputs from
one run).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import Sequence

from linter import __version__, baseref
from linter.baseref import check_base
from linter.exitcodes import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, UsageError  # noqa: F401  (re-exported)


class _Parser(argparse.ArgumentParser):
    _adding = False

    def error(self, message: str):  # argparse exits 2 too; keep our prefix
        self.print_usage(sys.stderr)
        raise UsageError(message)

    def add_argument(self, *args, **kwargs):
        """``ArgumentParser.add_argument``, whose check of the metavar makes a help
        formatter (:meth:`_get_formatter`) only to call its ``_format_args``."""
        self._adding = True
        try:
            return super().add_argument(*args, **kwargs)
        finally:
            self._adding = False

    def _get_formatter(self):
        # For add_argument's metavar check, a formatter of any width does: the default one
        # asks shutil for the terminal's width, and importing shutil loads the bz2 and lzma
        # libraries, on every run. Help and usage text get the default formatter.
        if self._adding:
            return self.formatter_class(prog=self.prog, width=80)
        return super()._get_formatter()


class _OnlyCommand:
    """The subparsers of :func:`build_parser` when the command is known: only its parser is
    made; the other ``add_parser`` calls get :data:`_UNUSED`, which takes and drops their
    arguments. Each ``add_argument`` makes a help formatter (it checks the metavar), which
    asks for the terminal's size: building the eleven other parsers cost a one-file lint
    more than reading its configuration."""

    def __init__(self, sub, command: str) -> None:
        self.sub, self.command = sub, command

    def add_parser(self, name: str, **kwargs):
        """The real parser for the command being run, else :data:`_UNUSED`."""
        return self.sub.add_parser(name, **kwargs) if name == self.command else _UNUSED


class _Unused:
    """A parser nobody will use: ``add_argument`` does nothing."""

    def add_argument(self, *args, **kwargs) -> None:
        return None


_UNUSED = _Unused()


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` runs (its first argument, when it names one), else ``None``
    (no command, ``--help``, ``--version``, or a name argparse will refuse)."""
    return argv[0] if argv and argv[0] in _COMMANDS else None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (also used to render ``--help`` in the README). With ``command``
    (a key of :data:`_COMMANDS`), only that subcommand's parser is built: enough to parse
    an ``argv`` whose first argument is ``command`` (``miglint lint --help`` included)."""
    from linter import config as configmod
    from linter.formats import NAMES as FORMAT_NAMES

    p = _Parser(prog="miglint", description="Lint PostgreSQL migration files.")
    p.add_argument("--version", action="version", version=f"miglint {__version__}")
    # prog: what argparse would work out with a help formatter (the top level has no positionals)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, prog=p.prog)
    if command is not None:
        sub = _OnlyCommand(sub, command)

    lint = sub.add_parser("lint", help="lint migration files and directories (--fix: make the safe fixes)",
                          description="Lint migration files and directories; with --fix, first make the fixes that keep their promise.")
    lint.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: the configured roots, else .)")
    lint.add_argument("--config", metavar="FILE", help="configuration file (default: nearest .miglint.yml or pyproject.toml [tool.miglint])")
    lint.add_argument("--preset", metavar="NAME", help="base preset, replacing the config file's `extends` (see `miglint presets`)")
    lint.add_argument("--format", dest="formats", action="append", choices=FORMAT_NAMES, metavar="FORMAT",
                      help=f"output format, repeatable: {', '.join(FORMAT_NAMES)} (default text)")
    lint.add_argument("--output", dest="outputs", action="append", metavar="FILE",
                      help="write the matching --format (by order) to FILE instead of standard output")
    lint.add_argument("--fail-on", choices=configmod.FAIL_ON, help="lowest severity that makes the exit code 1 (default error)")
    lint.add_argument("--select", action="append", default=[], metavar="RULES", help="only these rule ids, aliases or families (comma-separated, repeatable)")
    lint.add_argument("--ignore", action="append", default=[], metavar="RULES", help="not these rule ids, aliases or families")
    lint.add_argument("--pg-version", type=int, metavar="N", help="PostgreSQL major version the migrations run on (default 16)")
    lint.add_argument("--base", metavar="REF", help="git ref of the base branch, for changed-file and history rules")
    lint.add_argument("--changed", action="store_true",
                      help="report only the migration files changed since the merge base with --base (default: origin/HEAD, "
                           "origin/main, origin/master, main or master), working tree included; the rest of their roots "
                           "is context for the migration-set rules, and their findings are those of a full run")
    lint.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour in text output (default auto: on a terminal, unless NO_COLOR is set)")
    lint.add_argument("--jobs", type=int, metavar="N", help="processes that lint, this one included (default: one per core for large runs; 1: no workers)")
    lint.add_argument("--baseline", metavar="FILE", help="do not report the findings accepted in FILE (default: the `baseline` setting; see `miglint baseline`)")
    lint.add_argument("--no-baseline", action="store_true", help="report every finding, also those in the baseline file")
    lint.add_argument("--no-cache", action="store_true", help="lint every file again, neither reading nor writing the result cache (also MIGLINT_NO_CACHE=1)")
    lint.add_argument("--cache-dir", metavar="DIR", help="result cache folder (default: the `cache_dir` setting, else $MIGLINT_CACHE_DIR, else .miglint_cache)")
    lint.add_argument("--fix", action="store_true",
                      help="make the fixes of the reported findings (verified: each fixed file parses and gets no new error "
                           "or warning, else its edit is undone), write the files, then report what remains")
    lint.add_argument("--diff", action="store_true",
                      help="print the edits --fix would make as a unified diff and write nothing (exit 1 when there are edits)")
    lint.add_argument("--fix-deployed", action="store_true",
                      help="with --fix/--diff: also edit migrations that --base (or the checksum manifest) says are deployed")

    rules = sub.add_parser("rules", help="list every rule", description="List every rule with its family, default level, summary and aliases.")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser("explain", help="print a rule's documentation", description="Print a rule's full documentation.")
    explain.add_argument("rule", metavar="RULE", help="rule id or alias")

    presets = sub.add_parser("presets", help="list the packaged presets", description="List the packaged presets.")
    presets.add_argument("--format", choices=("text", "json"), default="text")

    locks = sub.add_parser("locks", help="report what each statement locks (static analysis)",
                           description="Report, per statement, each relation it locks with the lock mode, rewrite or scan, "
                                       "what it blocks, whether it runs in a transaction, and a verdict. Nothing is executed.")
    locks.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: the configured roots, else .)")
    locks.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="output format (default text)")
    locks.add_argument("--pg-version", type=int, metavar="N", help="PostgreSQL major version the migrations run on (default 16)")
    locks.add_argument("--config", metavar="FILE", help="configuration file (default: nearest .miglint.yml or pyproject.toml [tool.miglint])")
    locks.add_argument("--verify", action="store_true",
                       help="also replay the files on a throwaway PostgreSQL (as miglint verify does) and show the locks it observed")
    locks.add_argument("--pg-bin", metavar="DIR", help="with --verify: directory holding initdb and postgres")

    ver = sub.add_parser("verify", help="replay the migrations on a throwaway PostgreSQL and check the lock claims",
                         description="Lint, then replay each migration root's up files in order on a throwaway PostgreSQL "
                                     "server miglint starts (and removes), each file as its tool runs it. A statement the "
                                     "server refuses is a verify-statement-failed finding; each lock a static finding claims "
                                     "gets a `verification` property (confirmed or refuted). Needs `pip install 'miglint[verify]'` "
                                     "and PostgreSQL server binaries.")
    ver.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: the configured roots, else .)")
    ver.add_argument("--config", metavar="FILE", help="configuration file (default: nearest .miglint.yml or pyproject.toml [tool.miglint])")
    ver.add_argument("--preset", metavar="NAME", help="base preset, replacing the config file's `extends`")
    ver.add_argument("--format", dest="formats", action="append", choices=FORMAT_NAMES, metavar="FORMAT",
                     help=f"output format, repeatable: {', '.join(FORMAT_NAMES)} (default text)")
    ver.add_argument("--output", dest="outputs", action="append", metavar="FILE", help="write the matching --format to FILE")
    ver.add_argument("--fail-on", choices=configmod.FAIL_ON, help="lowest severity that makes the exit code 1 (default error)")
    ver.add_argument("--pg-version", type=int, metavar="N", help="PostgreSQL major version of the static model (default: the server's)")
    ver.add_argument("--base", metavar="REF", help="git ref of the base branch: the files the change adds are verified, the others replayed first as the base")
    ver.add_argument("--pg-bin", metavar="DIR", help="directory holding initdb and postgres (default: verify.pg_bin, PATH, pg_config, /usr/lib/postgresql/N/bin)")
    ver.add_argument("--database-url", metavar="URL",
                     help="verify on this server (a CI service container) instead of starting one: miglint creates and drops its own "
                          "databases there, and refuses a server that is not local, is a standby, or holds other data")
    ver.add_argument("--database-is-throwaway", action="store_const", const=True, default=None,
                     help="with --database-url: nothing on that server matters (lifts the local and no-other-data guards)")
    ver.add_argument("--setup", action="append", default=None, metavar="FILE",
                     help="SQL run in each root's database before its first migration (roles, extensions, schemas), repeatable "
                          "(default: verify.setup)")
    ver.add_argument("--seed", action="append", default=None, metavar="FILE",
                     help="SQL (rows) run in each root's database after the migrations before its first new one, so that a "
                          "down that fails only on data is reported; repeatable (default: verify.seed)")
    ver.add_argument("--roundtrip", choices=("new", "all", "off"), default=None,
                     help="which migrations run their down and their up again: new (the change's new ones with --base, "
                          "else the last of each root; default), all, off")
    ver.add_argument("--rerun", choices=("new", "all", "off"), default=None,
                     help="which migrations that do not run in one transaction are run again after a simulated failure "
                          "at each commit point: new (as --roundtrip; the default, or the `verify: rerun` setting), all, off")
    ver.add_argument("--statement-timeout", type=float, default=None, metavar="SECONDS",
                     help="cancel a replayed statement after this many seconds (default 60; 0: never)")
    ver.add_argument("--cache-dir", metavar="DIR", help="where the replayed base schema is kept between runs (default: verify.cache, "
                                                        "else $MIGLINT_CACHE_DIR, else ~/.cache/miglint)")
    ver.add_argument("--no-cache", action="store_true", help="replay the base schema every time")
    ver.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour in text output")

    srv = sub.add_parser("server", help="run the language server (LSP) for editors",
                         description="Run miglint's language server on standard input/output: diagnostics as you type, "
                                     "quick fixes, hover with the rule's doc and the statement's locks. Editors start it "
                                     "themselves (docs/editors.md). Needs `pip install 'miglint[server]'`.")
    srv.add_argument("--stdio", action="store_true", help="talk LSP over standard input/output (the default and only transport)")

    from linter.github.command import add_parser as add_github_parser  # the pull-request bot

    add_github_parser(sub)

    bl = sub.add_parser("baseline", help="accept the current findings (write a baseline file)",
                        description="Write the fingerprints of the current findings to a baseline file (default: the "
                                    "`baseline` setting, else .miglint-baseline.json); `miglint lint` then reports only "
                                    "new findings. Takes the same selection flags as lint, e.g. --select secrets.")
    bl.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: the configured roots, else .)")
    bl.add_argument("--config", metavar="FILE", help="configuration file (default: nearest .miglint.yml or pyproject.toml [tool.miglint])")
    bl.add_argument("--preset", metavar="NAME", help="base preset, replacing the config file's `extends`")
    bl.add_argument("--output", metavar="FILE", help="baseline file to write ('-' for standard output)")
    bl.add_argument("--select", action="append", default=[], metavar="RULES", help="only these rule ids, aliases or families")
    bl.add_argument("--ignore", action="append", default=[], metavar="RULES", help="not these rule ids, aliases or families")
    bl.add_argument("--pg-version", type=int, metavar="N", help="PostgreSQL major version the migrations run on")
    bl.add_argument("--jobs", type=int, metavar="N", help="processes that lint, this one included")

    hsh = sub.add_parser("hash", help="write the migration checksum manifest",
                         description="Write the checksum manifest (default .miglint.sum) that `miglint lint` verifies "
                                     "when no --base is given: edited, removed or renamed migrations become findings.")
    hsh.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: the configured roots, else .)")
    hsh.add_argument("--config", metavar="FILE", help="configuration file (default: nearest .miglint.yml or pyproject.toml [tool.miglint])")
    hsh.add_argument("--preset", metavar="NAME", help="base preset, replacing the config file's `extends`")
    hsh.add_argument("--output", metavar="FILE", help="manifest to write (default: the `manifest` setting, .miglint.sum)")

    new = sub.add_parser("new", help="create the next migration file of a root",
                         description="Create the next migration file in the root's own convention (next version, "
                                     "correct name, header from the template, the matching down file where the "
                                     "convention pairs downs). Never overwrites a file.")
    new.add_argument("description", metavar="DESCRIPTION", help="what the migration does (letters, digits, spaces, _ and -)")
    new.add_argument("--root", metavar="DIR", help="migration root (default: the first configured root, else .)")
    new.add_argument("--config", metavar="FILE", help="configuration file (default: nearest .miglint.yml or pyproject.toml [tool.miglint])")
    new.add_argument("--preset", metavar="NAME", help="base preset, replacing the config file's `extends` (its convention is used for an empty root)")
    new.add_argument("--convention", metavar="NAME", help="force a convention (flyway, flyway-dated, golang-migrate, dbmate, goose, diesel, prisma, up-down-dirs, timestamp, sequential)")
    new.add_argument("--dry-run", action="store_true", help="print the paths without writing")

    ini = sub.add_parser("init", help="write a .miglint.yml that fits this repository",
                         description="Find the repository's migration roots, their tools and naming, propose the "
                                     "closest preset and write .miglint.yml with a comment on each choice; optionally "
                                     "the GitHub workflow and the pre-commit hook. Asks on a terminal unless --yes; "
                                     "never overwrites a file without --force. Ends by linting once with the new "
                                     "file and offering `miglint baseline` when there are findings.")
    ini.add_argument("directory", nargs="?", default=".", metavar="DIR", help="the repository (default .)")
    ini.add_argument("--yes", "-y", action="store_true", help="take the proposed answers without asking")
    ini.add_argument("--force", action="store_true", help="replace an existing configuration, workflow or baseline file")
    ini.add_argument("--preset", metavar="NAME", help="use this preset instead of the proposed one")
    ini.add_argument("--pg-version", type=int, metavar="N", help="PostgreSQL major version (default: from the repository's image tags, else 16)")
    ini.add_argument("--workflow", action="store_true", help="also write .github/workflows/miglint.yml")
    ini.add_argument("--pre-commit", action="store_true", help="also add the miglint hook to .pre-commit-config.yaml")
    ini.add_argument("--baseline", action="store_true", help="accept today's findings in .miglint-baseline.json and name it in the configuration")
    ini.add_argument("--dry-run", action="store_true", help="print the configuration without writing anything")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, 1 or 2)."""
    _defer_gc()
    from linter.config import ConfigError  # imports most of miglint: after _defer_gc

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_of(argv))
    try:
        args = parser.parse_args(argv)
        handler = _COMMANDS.get(args.command)
        if handler is not None:
            try:
                return handler(args)
            finally:
                baseref.remember(False)  # git's answers are for one command
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    except (UsageError, ConfigError) as exc:
        print(f"miglint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


# --------------------------------------------------------------------------- lint


def _use_color(mode: str, stream) -> bool:
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _defer_gc() -> None:
    """Collect young objects every 50,000 allocations instead of 700 (``gc.set_threshold``).

    Importing miglint (pglast's node classes, the rule modules) allocates a few hundred
    thousand objects that all live until the process ends; at the default threshold the
    collector traverses them about 60 times during start-up, about 5% of a one-file run.
    :func:`_tune_gc` keeps this threshold for the lint itself.
    """
    gc.set_threshold(50_000, 20, 20)


def _tune_gc() -> None:
    """Keep the cyclic garbage collector off the hot path.

    Each file's parse tree is many small dicts, freed by reference counting as soon as
    the file is done (:meth:`linter.source.Source.close` breaks the one cycle). The
    collector's default thresholds still traverse those live trees hundreds of times a
    run, about 40% of the run time (measured with bench/bench.py --profile). Freezing
    the start-up objects (``gc.freeze``, Python docs "gc" module) and collecting young
    objects every 50,000 allocations instead of 700 (:func:`_defer_gc`) removes that cost.
    """
    gc.freeze()
    _defer_gc()


def _outputs_wanted(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """``(formats, output files)`` of ``--format``/``--output`` (text on stdout by default);
    the i-th file takes the i-th format, formats without a file go to stdout. Raises
    :class:`UsageError` when there are more files than formats."""
    formats_wanted = args.formats or ["text"]
    outputs = args.outputs or []
    if len(outputs) > len(formats_wanted):
        raise UsageError("more --output files than --format options: give one --format per --output")
    return formats_wanted, outputs


def _write_outputs(args: argparse.Namespace, formats_wanted: list[str], outputs: list[str], report) -> None:
    """Render ``report`` in every wanted format: to its ``--output`` file (UTF-8, no color),
    else to stdout (UTF-8 when piped; color for text on a terminal, by ``--color``).
    Raises :class:`UsageError` naming a file that cannot be written."""
    from linter import formats

    for i, name in enumerate(formats_wanted):
        target = outputs[i] if i < len(outputs) else None
        stream = sys.stdout
        color = name == "text" and target is None and _use_color(args.color, stream)
        if target is None:
            text = formats.render(name, report, color=color)
            if not stream.isatty() and (stream.encoding or "").lower().replace("-", "") != "utf8":
                stream.reconfigure(encoding="utf-8")
            stream.write(text)
            stream.flush()
        else:
            try:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as out:
                    formats.write(name, report, out, color=color)
            except OSError as exc:
                raise UsageError(f"{target}: cannot write output: {exc.strerror or exc}") from None


def cmd_lint(args: argparse.Namespace) -> int:
    """``miglint lint``: discover, lint, write every requested output, exit by ``--fail-on``; with
    ``--fix`` first make the verified fixes (:func:`_fix`), with ``--diff`` only print them."""
    from linter import config as configmod, engine
    from linter.discovery import discover

    formats_wanted, outputs = _outputs_wanted(args)
    if args.diff and (args.formats or args.outputs):
        raise UsageError("--diff prints a diff only: drop --format and --output (or use --fix)")
    if args.fix_deployed and not (args.fix or args.diff):
        raise UsageError("--fix-deployed goes with --fix or --diff")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.pg_version is not None and not 9 <= args.pg_version <= 18:
        raise UsageError("--pg-version must be a PostgreSQL major version from 9 to 18")
    cwd = Path.cwd()
    cfg = configmod.load(args.config, preset=args.preset, cwd=cwd, pg_version=args.pg_version, fail_on=args.fail_on)
    cfg = cfg.select(args.select, args.ignore)
    baseref.remember()  # one run: --base, --changed and the history rules ask git the same questions
    if args.base:
        check_base(args.base)
        cfg.base = args.base  # the history rules compare with it (linter.migset.history)

    paths = args.paths or cfg.roots or ["."]
    found = discover(paths, base_dir=str(cwd), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude, snapshots=cfg.snapshots)
    if found.errors:
        raise UsageError("; ".join(f"{p}: {m}" for p, m in found.errors))
    notes = list(found.notes)
    if not found.files and not any(n.startswith("no migration files") for n in notes):
        notes.append(f"no migration files found in {', '.join(paths)}")
    files, only, changed = found.files, None, None
    if args.changed:  # the pull-request path (linter.changed)
        from linter import changed as changedmod

        base = args.base or changedmod.default_base()
        changed = changedmod.changed_paths(base)
        files = changedmod.touched(changed, found.files)
        only = changedmod.with_partners(changed, files)
        if not files:
            notes.append(f"no migration file changed since the merge base with {base}")
    _tune_gc()
    from linter.migset.history import HistoryError

    if args.fix or args.diff:
        fixed = _fix(args, cfg, found.files, changed)
        baseref.remember()  # the fixes changed the working tree: forget git's answers so far
        if args.diff:
            return fixed
        notes.append(fixed)
    try:
        from linter.cache import for_run

        report = engine.lint(files, cfg, jobs=args.jobs, notes=notes, only=only,
                             cache=for_run(cfg, no_cache=args.no_cache, cache_dir=args.cache_dir))
    except HistoryError as exc:
        raise UsageError(str(exc)) from None
    if changed is not None:  # the partners were linted for their units; report the change
        report.findings = [f for f in report.findings if f.path in changed]
        report.files = [f for f in report.files if f.path in changed]

    baseline_file = None if args.no_baseline else (args.baseline or cfg.baseline)
    if baseline_file:
        _apply_baseline(report, baseline_file)

    _write_outputs(args, formats_wanted, outputs, report)
    return EXIT_FINDINGS if engine.fails(report, cfg.fail_on) else EXIT_OK


def _fix(args: argparse.Namespace, cfg, files, changed: set[str] | None = None) -> int | str:
    """``lint --fix``/``--diff`` (:mod:`linter.autofix`): make the verified fixes, print per
    file what was fixed and what was not (standard error), then write the files (``--fix``:
    returns the note for the report) or print the unified diff (``--diff``: returns the exit
    code, 1 when there are edits). ``changed`` (``--changed``): the paths changed since the
    merge base; every other file is left as it is."""
    from linter import autofix, baseline
    from linter.migset.history import HistoryError

    accepted: set[str] = set()
    baseline_file = None if args.no_baseline else (args.baseline or cfg.baseline)
    if baseline_file:
        try:
            accepted = baseline.load(baseline_file)
        except baseline.BaselineError as exc:
            raise UsageError(str(exc)) from None
    try:
        protected, where = (set(), None) if args.fix_deployed else autofix.deployed(files, cfg)
        if changed is not None:
            protected = set(protected) | {f.path for f in files if f.path not in changed}
        result = autofix.run(files, cfg, protected=protected, where=where, accepted=accepted, jobs=args.jobs)
    except HistoryError as exc:
        raise UsageError(str(exc)) from None
    lines = autofix.summary_lines(result, wrote=not args.diff)
    total = lines[-1]
    if result.changes and where is None and not args.fix_deployed:
        lines.append("note: without --base or a checksum manifest miglint cannot tell deployed migrations from new ones: "
                     "review the edits before committing")
    if args.diff:
        sys.stdout.write(autofix.unified_diff(result.changes))
        sys.stdout.flush()
        print("\n".join(lines), file=sys.stderr)
        return EXIT_FINDINGS if result.changes else EXIT_OK
    try:
        autofix.write(result.changes)
    except OSError as exc:
        raise UsageError(f"{exc.filename or ''}: cannot write the fixed file: {exc.strerror or exc}") from None
    print("\n".join(lines), file=sys.stderr)
    return total


# --------------------------------------------------------------------------- rules, explain, presets


def cmd_rules(args: argparse.Namespace) -> int:
    """``miglint rules``: one line per rule, or a JSON list."""
    from linter import registry

    rules = list(registry.all_rules().values())
    if args.format == "json":
        data = [
            {
                "id": r.id,
                "family": r.family,
                "default_level": r.default_level,
                "summary": r.summary,
                "aliases": list(r.aliases),
                "options": {k: getattr(t, "__name__", str(t)) for k, t in r.options.items()},
                "defaults": r.defaults,
                "docs_url": r.docs_url,
            }
            for r in rules
        ]
        import json

        print(json.dumps(data, indent=2))
        return EXIT_OK
    width = max(len(r.id) for r in rules)
    for r in rules:
        alias = f"  (aliases: {', '.join(r.aliases)})" if r.aliases else ""
        print(f"{r.id:<{width}}  {r.family:<11} {r.default_level:<8} {r.summary}{alias}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """``miglint explain RULE``: the rule's whole documentation."""
    from linter import registry

    rid = registry.resolve(args.rule)
    if rid is None:
        raise UsageError(f"unknown rule {args.rule!r} (see `miglint rules`)")
    r = registry.all_rules()[rid]
    head = f"# {r.id}\n\nfamily: {r.family} · default level: {r.default_level}"
    if r.aliases:
        head += f" · aliases: {', '.join(r.aliases)}"
    print(f"{head}\n\n{r.doc}\n\n{r.docs_url}")
    return EXIT_OK


def cmd_presets(args: argparse.Namespace) -> int:
    """``miglint presets``: the packaged presets with description and standard."""
    from linter import config as configmod

    rows = []
    for name in configmod.preset_names():
        data = configmod.load_file(configmod.rules_dir() / f"{name}.yaml")
        rows.append({"name": name, "description": data.get("description", ""), "standard": data.get("standard", ""),
                     "extends": data.get("extends"), "rules": sorted(data.get("rules") or {})})
    if args.format == "json":
        import json

        print(json.dumps(rows, indent=2))
        return EXIT_OK
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        std = f" [standard: {r['standard']}]" if r["standard"] else ""
        print(f"{r['name']:<{width}}  {r['description']}{std}")
    return EXIT_OK


# --------------------------------------------------------------------------- locks


def cmd_locks(args: argparse.Namespace) -> int:
    """``miglint locks``: the lock report (:mod:`linter.lockreport`) in text, JSON or
    markdown. Exit 0, or 2 for a usage or configuration error; what a statement locks is
    never a failure here (the locking rules of ``miglint lint`` decide that)."""
    import importlib

    from linter import config as configmod, lockreport
    from linter.discovery import discover

    if args.pg_version is not None and not 9 <= args.pg_version <= 18:
        raise UsageError("--pg-version must be a PostgreSQL major version from 9 to 18")
    cwd = Path.cwd()
    cfg = configmod.load(args.config, cwd=cwd, pg_version=args.pg_version)
    paths = args.paths or cfg.roots or ["."]
    found = discover(paths, base_dir=str(cwd), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude, snapshots=cfg.snapshots)
    if found.errors:
        raise UsageError("; ".join(f"{p}: {m}" for p, m in found.errors))
    notes = list(found.notes)
    if not found.files and not any(n.startswith("no migration files") for n in notes):
        notes.append(f"no migration files found in {', '.join(paths)}")
    if args.verify:
        report = _locks_verified(args, cfg, found.files, notes)
    else:
        report = lockreport.build(found.files, cfg, notes=notes)
    renderer = importlib.import_module(f"linter.formats.locks_{args.format}")
    out = sys.stdout
    if hasattr(out, "reconfigure") and not out.isatty() and (out.encoding or "").lower().replace("-", "") != "utf8":
        out.reconfigure(encoding="utf-8")
    out.write(renderer.render(report))
    out.flush()
    return EXIT_OK


def _locks_verified(args, cfg, files, notes):
    """``miglint locks --verify``: the lock report with the observed columns
    (:func:`linter.lockreport.with_observations`) from a replay on a throwaway server (no
    round trips or re-runs: only the locks)."""
    from linter import lockreport

    try:
        import psycopg  # noqa: F401  (the verify extra)
    except ImportError:
        raise UsageError("miglint locks --verify needs the PostgreSQL driver: pip install 'miglint[verify]'") from None
    from linter.verify.replay import replay
    from linter.verify.server import LocalServer, ServerError

    try:
        server = LocalServer(args.pg_bin)
        server.start()
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    try:
        if args.pg_version is None:
            cfg.pg_version = server.major
        result = replay(files, cfg, server, roundtrip="off", rerun="off", progress=_verify_progress())
    finally:
        server.stop()
    from linter.verify import summary_notes

    report = lockreport.build(files, cfg, notes=list(notes) + summary_notes(result))
    return lockreport.with_observations(report, result)


# --------------------------------------------------------------------------- hash


def cmd_hash(args: argparse.Namespace) -> int:
    """``miglint hash``: write the checksum manifest of the versioned migrations (up and
    down files; not seeds, repeatable or baseline files). Format: :mod:`linter.migset.manifest`."""
    from linter import config as configmod
    from linter.discovery import discover
    from linter.migset import manifest
    from linter.migset.history import MUTABLE
    from linter.model import Convention
    from linter.source import read_text

    cwd = Path.cwd()
    cfg = configmod.load(args.config, preset=args.preset, cwd=cwd)
    target = Path(args.output or cfg.manifest)
    if not target.is_absolute():
        target = cwd / target
    paths = args.paths or cfg.roots or ["."]
    found = discover(paths, base_dir=str(cwd), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude, snapshots=cfg.snapshots)
    if found.errors:
        raise UsageError("; ".join(f"{p}: {m}" for p, m in found.errors))
    here = target.resolve().parent
    entries = []
    for f in found.files:
        if f.direction in MUTABLE or f.convention is Convention.UNKNOWN:
            continue
        read = read_text(f.abspath, cfg.max_file_size)
        if read.text is None:
            print(f"miglint: warning: {f.path}: {read.message}; not in the manifest", file=sys.stderr)
            continue
        sha, bare = manifest.digest(read.text)
        rel = os.path.relpath(f.abspath, here).replace(os.sep, "/")
        entries.append((rel, sha, bare))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(manifest.render(entries), encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageError(f"{target}: cannot write the manifest: {exc.strerror or exc}") from None
    shown = os.path.relpath(target, cwd).replace(os.sep, "/")
    print(f"wrote {shown}: {len(entries)} migration file{'s' if len(entries) != 1 else ''}")
    if not manifest.has_union_merge(target):
        print(f"hint: add '{target.name} merge=union' to .gitattributes so that branches adding migrations merge cleanly",
              file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------- new


def cmd_new(args: argparse.Namespace) -> int:
    """``miglint new``: create the next migration file(s) (:func:`linter.newfile.create`)
    and print their paths; exit 2 for a bad description or an existing file."""
    from linter import config as configmod, newfile

    cwd = Path.cwd()
    cfg = configmod.load(args.config, preset=args.preset, cwd=cwd)
    root = args.root or (cfg.roots[0] if cfg.roots else ".")
    try:
        paths = newfile.create(root, args.description, convention=args.convention, config=cfg, dry_run=args.dry_run)
    except newfile.NewFileError as exc:
        raise UsageError(str(exc)) from None
    for path in paths:
        shown = os.path.relpath(path, cwd) if path.is_absolute() else str(path)
        print(("would create " if args.dry_run else "created ") + shown.replace(os.sep, "/"))
    return EXIT_OK


# --------------------------------------------------------------------------- baseline


def _apply_baseline(report, path: str) -> None:
    """Drop the findings accepted in the baseline file ``path`` (exit 2 if unreadable)."""
    from linter import baseline

    try:
        accepted = baseline.load(path)
    except baseline.BaselineError as exc:
        raise UsageError(str(exc)) from None
    baseline.apply(report, accepted, path)


def cmd_baseline(args: argparse.Namespace) -> int:
    """``miglint baseline``: lint as ``lint`` does (same configuration and selection, no
    baseline applied) and write every finding's fingerprint to the baseline file
    (:mod:`linter.baseline`)."""
    from linter import baseline, config as configmod, engine
    from linter.discovery import discover

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    cwd = Path.cwd()
    cfg = configmod.load(args.config, preset=args.preset, cwd=cwd, pg_version=args.pg_version)
    cfg = cfg.select(args.select, args.ignore)
    paths = args.paths or cfg.roots or ["."]
    found = discover(paths, base_dir=str(cwd), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude, snapshots=cfg.snapshots)
    if found.errors:
        raise UsageError("; ".join(f"{p}: {m}" for p, m in found.errors))
    _tune_gc()
    report = engine.lint(found.files, cfg, jobs=args.jobs)
    text = baseline.dumps(report.findings)
    target = args.output or cfg.baseline or baseline.DEFAULT_PATH
    n = len(report.findings)
    if target == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(text, encoding="utf-8", newline="\n")
        except OSError as exc:
            raise UsageError(f"{target}: cannot write the baseline: {exc.strerror or exc}") from None
    print(f"wrote {target}: {n} finding{'s' if n != 1 else ''} accepted", file=sys.stderr)
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """``miglint init``: :func:`linter.initrepo.run` on this process's terminal."""
    from linter import initrepo

    return initrepo.run(args, stdin=sys.stdin, out=sys.stdout, err=sys.stderr)


def cmd_github(args: argparse.Namespace) -> int:
    """``miglint github``: the pull-request bot (imported here: ``lint`` does not pay for
    requests and jinja2)."""
    from linter.github.bot import run

    baseref.remember()  # one run: the base check and the history rules ask git the same question
    return run(args)


# --------------------------------------------------------------------------- verify


def cmd_verify(args: argparse.Namespace) -> int:
    """``miglint verify``: lint, replay on a throwaway server (:mod:`linter.verify`), write
    the findings (static ones with their ``verification``, plus ``verify-*``); exit by
    ``--fail-on``, 2 when the driver, the server or the setup SQL is missing or fails."""
    from linter import config as configmod, engine
    from linter.discovery import discover

    try:
        import psycopg  # noqa: F401  (the verify extra)
    except ImportError:
        raise UsageError("miglint verify needs the PostgreSQL driver: pip install 'miglint[verify]'") from None
    from linter.verify import Request, run as verify_run
    from linter.verify.replay import SetupError
    from linter.verify.server import ServerError

    formats_wanted, outputs = _outputs_wanted(args)
    cwd = Path.cwd()
    cfg = configmod.load(args.config, preset=args.preset, cwd=cwd, pg_version=args.pg_version, fail_on=args.fail_on)
    req = Request(cfg.verify, setup=args.setup, roundtrip=args.roundtrip, rerun=args.rerun, statement_timeout=args.statement_timeout,
                  pg_bin=args.pg_bin, database_url=args.database_url, throwaway=args.database_is_throwaway,
                  cache=False if args.no_cache else args.cache_dir, seed=args.seed)
    kwargs = req.run_kwargs()
    try:
        server = req.server()
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    if args.base:
        check_base(args.base)
        cfg.base = args.base
    paths = args.paths or cfg.roots or ["."]
    found = discover(paths, base_dir=str(cwd), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude, snapshots=cfg.snapshots)
    if found.errors:
        raise UsageError("; ".join(f"{p}: {m}" for p, m in found.errors))
    notes = list(found.notes)
    from linter.migset.history import HistoryError

    try:
        if not getattr(server, "cacheable", True):
            server.start()  # a --database-url server: its guards before any work
        if args.pg_version is None:  # the static model speaks of the server that verifies
            cfg.pg_version = server_major(server, cfg.pg_version)
        report, _ = verify_run(found.files, cfg, server=server, notes=notes, progress=_verify_progress(), **kwargs)
    except (ServerError, SetupError, HistoryError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        server.stop()
    _write_outputs(args, formats_wanted, outputs, report)
    return EXIT_FINDINGS if engine.fails(report, cfg.fail_on) else EXIT_OK


def server_major(server, default: int) -> int:
    """The major version of a :class:`~linter.verify.server.LocalServer` (from
    ``postgres --version``, before it starts) or of a started server; ``default`` when it
    cannot be told."""
    if getattr(server, "started", False):
        return server.major
    version = getattr(server, "_version_num", None)
    try:
        num = version() if version is not None else 0
    except Exception:  # noqa: BLE001 - a server that cannot tell its version is reported when it starts
        num = 0
    return num // 10000 or default


def _verify_progress():
    """A callback printing one line per replayed migration to stderr (``FileRun`` →
    ``verify: path: applied``), or None when stderr is not a terminal (CI logs stay clean)."""
    if not sys.stderr.isatty():
        return None

    def show(index: int, total: int, fr) -> None:
        extra = f" ({fr.reason})" if fr.reason and fr.status != "applied" else ""
        print(f"verify [{index}/{total}] {fr.path}: {fr.status}{extra}", file=sys.stderr, flush=True)

    return show


# --------------------------------------------------------------------------- server


def cmd_server(args: argparse.Namespace) -> int:
    """``miglint server``: the language server (:mod:`linter.lsp.server`; pygls is the
    optional ``server`` extra, imported only here)."""
    try:
        import pygls  # noqa: F401  (the server extra)
    except ImportError:
        raise UsageError("miglint server needs pygls: pip install 'miglint[server]'") from None
    from linter.lsp.server import main as serve

    return serve()


#: Subcommand name -> handler.
_COMMANDS = {
    "lint": cmd_lint,
    "rules": cmd_rules,
    "explain": cmd_explain,
    "presets": cmd_presets,
    "locks": cmd_locks,
    "github": cmd_github,
    "baseline": cmd_baseline,
    "hash": cmd_hash,
    "new": cmd_new,
    "verify": cmd_verify,
    "server": cmd_server,
    "init": cmd_init,
}
