"""Lint what changed and pick the findings to report (step 3 of :mod:`linter.github.bot`):
:class:`Prepared` holds everything worked out before posting, and is what a bundle carries."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from linter.baseref import check_base
from linter.exitcodes import UsageError
from linter.formats._common import last_line
from linter.formats.review import Suggestion, suggestion_for
from linter.github import context as ctxmod, gitdiff
from linter.github.changes import changed_files
from linter.github.client import GitHubClient
from linter.github.diff import Changes
from linter.github.inputs import Options
from linter.github.log import Log
from linter.model import Finding, Report


@dataclass
class Prepared:
    """Everything worked out before posting (also what a bundle carries)."""

    findings: list[Finding]
    fail_on: str
    roots: dict[str, str] = field(default_factory=dict)
    files: int = 0
    scope: str = "changed migration files"
    suggestions: dict[str, Suggestion] = field(default_factory=dict)
    changes: Changes | None = None
    stale_paths: set[str] = field(default_factory=set)
    lock_markdown: str | None = None
    locks: object | None = None  # the LockReport behind lock_markdown (a bundle carries it as data)
    notes: list[str] = field(default_factory=list)
    report: Report | None = None
    #: ``{fingerprint: (first line, last line)}`` of each finding's top-level statement
    #: (:func:`statement_places`); a finding missing here is its own statement.
    statements: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: fingerprints of the findings on rollback code (down files, down sections).
    down: set[str] = field(default_factory=set)
    #: ``{path: text}`` of the files whose findings have fixes, to combine a thread's fixes
    #: into one suggestion (:func:`linter.formats.review.suggestion_for_all`); not in a bundle.
    texts: dict[str, str] = field(default_factory=dict)
    #: the :class:`linter.verify.replay.Replay` of ``verify: true`` (None otherwise); not in a bundle.
    verified: object | None = None


def _lint(files, cfg, base: str | None, notes: list[str], only=None):
    """Lint as ``miglint lint`` does: ``--base`` for the history rules, then the baseline;
    ``only``: the paths whose rules run (the others are context, :mod:`linter.changed`)."""
    from linter import engine

    if base and hasattr(cfg, "base"):
        cfg.base = base  # the history rules compare with it (linter.migset.history)
    try:
        from linter.migset.history import HistoryError
    except ImportError:  # pragma: no cover - before the history rules land
        HistoryError = ()  # type: ignore[assignment]
    try:
        report = engine.lint(files, cfg, notes=notes, only=only)
    except HistoryError as exc:  # type: ignore[misc]
        raise UsageError(str(exc)) from None
    baseline_file = getattr(cfg, "baseline", None)
    if baseline_file:
        from linter import baseline

        try:
            baseline.apply(report, baseline.load(baseline_file), baseline_file)
        except baseline.BaselineError as exc:
            raise UsageError(str(exc)) from None
    return report


def lock_report(files, cfg) -> tuple[object | None, str | None]:
    """``(report, markdown)``: the lock report (:mod:`linter.lockreport`) of the changed
    migration files ``files`` and its ``miglint locks --format markdown`` text; ``(None,
    None)`` when there are none, ``(None, sentence)`` when it could not be made."""
    try:
        from linter import lockreport
        from linter.formats import locks_markdown
    except ImportError:  # pragma: no cover - the lock report is a separate module
        return None, None
    if not files:
        return None, None
    try:
        report = lockreport.build(list(files), cfg)
        return report, locks_markdown.render(report)
    except Exception as exc:  # the summary must not fail because of the lock report
        return None, f"_The lock report could not be made ({type(exc).__name__})._"


def lock_markdown(files, cfg) -> str | None:
    """The markdown of :func:`lock_report`."""
    return lock_report(files, cfg)[1]


def prepare(ctx: ctxmod.ActionContext, opts: Options, client: GitHubClient, log: Log) -> Prepared:
    """Find the change, lint, and pick the findings to report (module docstring, steps 2-3)."""
    from linter import config as configmod
    from linter.discovery import discover

    cwd = Path.cwd()
    root = gitdiff.repo_root(cwd) or Path(ctx.workspace or cwd)
    try:
        prefix = PurePosixPath(cwd.resolve().relative_to(root.resolve()).as_posix())
    except ValueError:
        prefix = PurePosixPath(".")
    pfx = "" if str(prefix) == "." else str(prefix) + "/"

    cfg = configmod.load(opts.config, preset=opts.preset, cwd=cwd, pg_version=opts.pg_version, fail_on=opts.fail_on)
    cfg = cfg.select(opts.select, opts.ignore)
    base = opts.base
    if base:
        check_base(base)
    elif ctx.pull_request and gitdiff.has_commit(ctx.pull_request.base_sha, root):
        base = ctx.pull_request.base_sha

    changes = None if opts.all_files else changed_files(ctx, client, log, root, opts.diff_source)
    notes: list[str] = []
    if changes is not None and changes.note:
        notes.append(changes.note)

    paths = opts.paths or cfg.roots or ["."]
    found = discover(paths, base_dir=str(cwd), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude)
    if found.errors:
        raise UsageError("; ".join(f"{p}: {m}" for p, m in found.errors))
    notes.extend(found.notes)

    if changes is None:
        to_lint = list(found.files)
        changed_local: set[str] | None = None
        scope = "migration files"
        linted_changed = len(to_lint)
    else:
        changed_local = {p[len(pfx):] for p in changes.paths() if p.startswith(pfx)}
        touched_roots = {f.root for f in found.files if f.path in changed_local}
        for p in changed_local:  # a removed file's root: the nearest discovered root above it
            if not any(f.path == p for f in found.files):
                touched_roots.update(r for r in {f.root for f in found.files} if r == "." or p.startswith(r.rstrip("/") + "/"))
        to_lint = [f for f in found.files if f.root in touched_roots]
        scope = "changed migration files"
        linted_changed = sum(1 for f in found.files if f.path in changed_local)

    verifying = None
    if opts.verify:  # the server first: a refused --database-url stops the run before any work
        from linter.github import verifying as vmod

        verifying = vmod.server_for(opts, cfg)
    only = None
    if changed_local is not None:  # rules on the changed files and their units only
        from linter.changed import with_partners

        only = with_partners(changed_local, to_lint)
    report = _lint(to_lint, cfg, base, notes, only)
    verified = vmod.apply(report, to_lint, cfg, *verifying) if verifying else None
    reported = [f for f in report.findings if changed_local is None or f.path in changed_local]

    # texts for suggestions, read once per file
    abspaths = {f.path: f.abspath for f in report.files}
    suggestions: dict[str, Suggestion] = {}
    texts: dict[str, str | None] = {}
    from linter.source import read_text

    for f in reported:
        if f.fix is None or f.redacted or f.path not in abspaths:
            continue
        if f.path not in texts:
            texts[f.path] = read_text(abspaths[f.path], cfg.max_file_size).text
        s = suggestion_for(f, texts[f.path])
        if s is not None:
            suggestions[f.fingerprint] = s
    statements: dict[str, tuple[int, int]] = {}
    down: set[str] = set()
    # only threads need them: a review here, or one the trusted job posts from the saved bundle
    if ctx.pull_request is not None and (opts.comment_mode == "review" or opts.save_bundle):
        statements, down = statement_places(reported, {f.path: f for f in report.files}, texts, cfg.max_file_size)

    def repo(path: str) -> str:
        return pfx + path if pfx else path

    findings = [dataclasses.replace(f, path=repo(f.path)) for f in reported]
    roots = {repo(f.path): repo(f.root) if f.root != "." else (pfx.rstrip("/") or ".") for f in report.files}
    stale: set[str] = set()
    pr = ctx.pull_request
    if pr and changes is not None:
        head = gitdiff.head_sha(root)
        if head and head != pr.head_sha and gitdiff.has_commit(pr.head_sha, root):
            for path in {f.path for f in findings}:
                if gitdiff.same_content(pr.head_sha, path, root) is False:
                    stale.add(path)
    changed_files_linted = [f for f in report.files if changed_local is None or f.path in changed_local]
    locks, locks_md = lock_report(changed_files_linted, cfg)
    return Prepared(
        findings=findings,
        fail_on=cfg.fail_on,
        roots=roots,
        files=linted_changed,
        scope=scope,
        suggestions=suggestions,
        changes=changes,
        stale_paths=stale,
        lock_markdown=locks_md,
        locks=locks,
        notes=notes + [n for n in report.notes if n not in notes],
        report=dataclasses.replace(report, findings=findings),
        statements=statements,
        down=down,
        texts={repo(p): t for p, t in texts.items() if t is not None},
        verified=verified,
    )


def statement_places(findings: list[Finding], files: dict, texts: dict[str, str | None], max_size: int) -> tuple[dict[str, tuple[int, int]], set[str]]:
    """``({fingerprint: (first line, last line) of its top-level statement}, {fingerprints
    on rollback code})`` for ``findings``; ``files`` maps their paths to
    :class:`~linter.model.MigrationFile`. Each file with findings is parsed again
    (:class:`linter.source.Source`: the pull request's changed files only, never the
    whole tree); ``texts`` caches the texts read (``{path: text}``, filled here)."""
    from linter.model import Direction
    from linter.source import Source, read_text

    statements: dict[str, tuple[int, int]] = {}
    down: set[str] = set()
    paths: dict[str, list[Finding]] = {}
    for f in findings:
        paths.setdefault(f.path, []).append(f)
    for path, members in paths.items():
        mf = files.get(path)
        if mf is None:
            continue
        if mf.direction is Direction.DOWN:
            down.update(f.fingerprint for f in members)
        if path not in texts:
            texts[path] = read_text(mf.abspath, max_size).text
        text = texts[path]
        if text is None:
            continue
        try:
            source = Source(text, mf)
        except Exception:  # noqa: BLE001 - grouping is a convenience; never fail the run for it
            continue
        ranges = []
        for st in source.statements:
            span = st.span
            ranges.append((span.start.line, max(span.start.line, last_line(span))))
        down_lines = [
            (source.index.position(sec.start).line, source.index.position(max(sec.start, sec.end - 1)).line)
            for sec in source.sections
            if sec.direction is Direction.DOWN and mf.direction is not Direction.DOWN
        ]
        source.close()
        for f in members:
            for first, last in ranges:
                if first <= f.line <= last:
                    statements[f.fingerprint] = (first, last)
                    break
            if any(a <= f.line <= b for a, b in down_lines):
                down.add(f.fingerprint)
    return statements, down


def docs_url(rule_id: str) -> str:
    """The documentation URL of rule ``rule_id`` (the project page for an unknown id)."""
    from linter import registry

    r = registry.all_rules().get(rule_id)
    return r.docs_url if r else "https://github.com/miglint/miglint"
