"""``miglint github``: lint what a pull request or push changed and report it on GitHub.

The flow of one run (each step in its own module; this one only wires them):

1. :mod:`linter.github.context` reads the Actions environment and the event payload.
2. What changed (:func:`changed_files`): for a pull request ``GET /pulls/{n}/files`` (all
   pages, at most 3,000 files, with patches), else ``git diff base...head`` when the checkout
   has both commits (:mod:`linter.github.gitdiff`); for a push ``git diff before...after``,
   else ``GET /compare/{before}...{after}``, else the file lists of the payload's commits.
3. Lint (:func:`prepare`): every migration file of each migration root the change touches is
   linted (the whole directory is the context of the file-set rules), and the findings in the
   changed files (and on removed or renamed-away paths) are reported. When the change cannot
   be learnt, or with ``all-files``, every finding is reported.
4. Post (:func:`publish`), by ``comment-mode``:

   ========== ====================================================================
   review     one review with inline comments (new findings on diff lines only),
              edits of resolved comments, the sticky summary comment
   summary    the sticky summary comment only (and edits of resolved comments)
   annotations no pull-request writes
   none       no annotations and no pull-request writes
   ========== ====================================================================

   Always: workflow-command annotations (10 per type, except ``none``), the job summary,
   step outputs, the SARIF file when ``sarif-file`` is set, a check run when ``check-run``
   is true. A read-only token (403, e.g. a fork PR) or a request that still fails after the
   retries stops the pull-request writes; the log says what failed, once, and the findings
   are in the other channels.
5. Exit code by ``fail-on`` over the reported findings: the same whether posting worked.

The token is read from the ``github-token`` input or ``GITHUB_TOKEN`` and handed to the
client only; every log line passes through :meth:`Log.line`, which masks it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from linter import __version__
from linter.formats._common import last_line, most_severe_first
from linter.formats.review import Suggestion, resolved_body, suggestion_for
from linter.formats.summary import COMMENT_LIMIT, JOB_SUMMARY_LIMIT, MARKER, SummaryData, counts_phrase, render_summary
from linter.github import context as ctxmod, gitdiff, outputs, plan as planmod
from linter.github.client import GitHubClient, GitHubError
from linter.github.diff import ChangedFile, Changes, from_api_item
from linter.github.command import MODES, add_parser  # noqa: F401  (re-exported)
from linter.model import Finding, Report, Severity

#: GitHub lists at most this many files of a pull request.
PR_FILES_LIMIT = 3000
#: Check-run annotations sent at most (in batches of 50, the API's maximum per request).
CHECK_RUN_ANNOTATIONS = 1000
CHECK_RUN_BATCH = 50
#: Edits of resolved comments per run at most (each is a write request).
MAX_RESOLVE_EDITS = 100


# --------------------------------------------------------------------------- command line


@dataclass
class Options:
    paths: list[str]
    config: str | None
    preset: str | None
    pg_version: int | None
    fail_on: str | None
    select: list[str]
    ignore: list[str]
    base: str | None
    comment_mode: str
    sarif_file: str | None
    check_run: bool
    max_comments: int
    all_files: bool
    diff_source: str
    save_bundle: str | None
    bundle: str | None


def _split_list(value: str) -> list[str]:
    return [part for chunk in value.replace(",", " ").split() for part in [chunk.strip()] if part]


def _bool(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in ("", "false", "0", "no", "off"):
        return False
    if v in ("true", "1", "yes", "on"):
        return True
    raise ctxmod.ContextError(f"input {name}: expected true or false, got {value!r}")


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ctxmod.ContextError(f"input {name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def options(args: argparse.Namespace, ctx: ctxmod.ActionContext) -> Options:
    """Flags, else action inputs, else defaults."""

    def pick(flag, name: str) -> str:
        return flag if flag not in (None, [], "") else ctx.input(name)

    pg = args.pg_version
    if pg is None and ctx.input("pg-version"):
        try:
            pg = int(ctx.input("pg-version"))
        except ValueError:
            raise ctxmod.ContextError(f"input pg-version: not a number: {ctx.input('pg-version')!r}") from None
    fail_on = pick(args.fail_on, "fail-on") or None
    if fail_on and fail_on not in ("error", "warning", "note", "never"):
        raise ctxmod.ContextError(f"input fail-on: expected error, warning, note or never, got {fail_on!r}")
    mode = pick(args.comment_mode, "comment-mode") or "review"
    if mode not in MODES:
        raise ctxmod.ContextError(f"input comment-mode: expected one of {', '.join(MODES)}, got {mode!r}")
    max_comments = args.max_comments
    if max_comments is None:
        raw = ctx.input("max-comments")
        try:
            max_comments = int(raw) if raw else planmod.MAX_COMMENTS
        except ValueError:
            raise ctxmod.ContextError(f"input max-comments: not a number: {raw!r}") from None
    if max_comments < 0:
        raise ctxmod.ContextError("max-comments must be 0 or more")
    return Options(
        paths=list(args.paths) or _split_list(ctx.input("paths")),
        config=pick(args.config, "config") or None,
        preset=pick(args.preset, "preset") or None,
        pg_version=pg,
        fail_on=fail_on,
        select=list(args.select or []) or _split_list(ctx.input("select")),
        ignore=list(args.ignore or []) or _split_list(ctx.input("ignore")),
        base=pick(args.base, "base-ref") or ctx.input("base") or None,
        comment_mode=mode,
        sarif_file=pick(args.sarif_file, "sarif-file") or None,
        check_run=_bool(pick(args.check_run, "check-run"), "check-run"),
        max_comments=max_comments,
        all_files=_bool(pick(args.all_files, "all-files"), "all-files"),
        diff_source=_choice(pick(args.diff_source, "diff-source") or "auto", "diff-source", ("auto", "api", "git")),
        save_bundle=pick(args.save_bundle, "save-bundle") or None,
        bundle=pick(args.bundle, "bundle") or None,
    )


# --------------------------------------------------------------------------- log


class Log:
    """Log lines on standard error, ``miglint: ...``, with the token masked."""

    def __init__(self, secrets: list[str], stream=None) -> None:
        self._secrets = [s for s in secrets if s]
        self._stream = stream or sys.stderr
        self._once: set[str] = set()

    def redact(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, "***")
        return text

    def line(self, message: str) -> None:
        print("miglint: " + self.redact(message), file=self._stream, flush=True)

    def once(self, key: str, message: str) -> None:
        if key not in self._once:
            self._once.add(key)
            self.line(message)


# --------------------------------------------------------------------------- what changed


def changed_files(ctx: ctxmod.ActionContext, client: GitHubClient, log: Log, root: Path, source: str = "auto") -> Changes | None:
    """What the event changed (see the module docstring); ``None`` when it cannot be known
    (then every finding is reported). ``source``: ``auto``, ``api`` or ``git`` (only)."""
    pr, push = ctx.pull_request, ctx.push
    if source == "git":
        if pr is not None:
            return gitdiff.diff_changes(pr.base_sha, pr.head_sha, root) or _unknown(log, "the checkout lacks the pull request's base or head commit (fetch-depth: 0)")
        if push is not None and not push.deleted and not push.created:
            return gitdiff.diff_changes(push.before, push.after, root) or _unknown(log, "the checkout lacks the pushed commits")
    if pr is not None:
        api = None
        if client.has_token:
            try:
                items = list(client.paginate(f"{ctx.repo_path}/pulls/{pr.number}/files", max_items=PR_FILES_LIMIT))
                files = [cf for cf in map(from_api_item, items) if cf is not None]
                api = Changes(files, "api", complete=len(items) < PR_FILES_LIMIT)
            except GitHubError as exc:
                log.line(f"could not list the pull request's files ({exc}); trying git")
        if api is not None and api.complete:
            return api
        local = gitdiff.diff_changes(pr.base_sha, pr.head_sha, root) if source != "api" else None
        if local is not None:
            return local
        if api is not None:
            api.note = f"GitHub lists at most {PR_FILES_LIMIT} files of a pull request; files past that were not linted (fetch the history to lint them all)"
            return api
        log.line("the pull request's changed files are unknown (no token for the API and the checkout lacks the base or head commit): linting and reporting every migration file")
        return None
    if push is not None:
        if push.deleted:
            return Changes([], "payload", note=f"the push deleted {push.ref}: nothing to lint")
        if not push.created and push.before != gitdiff.ZERO_SHA:
            local = gitdiff.diff_changes(push.before, push.after, root) if source != "api" else None
            if local is not None:
                return local
            if client.has_token:
                try:
                    data = client.get(f"{ctx.repo_path}/compare/{push.before}...{push.after}")
                    items = data.get("files") or [] if isinstance(data, dict) else []
                    files = [cf for cf in map(from_api_item, items) if cf is not None]
                    return Changes(files, "compare", complete=len(items) < 300)
                except GitHubError as exc:
                    log.line(f"could not compare {push.before[:7]}...{push.after[:7]} ({exc}); using the files listed in the push's commits")
        files = [ChangedFile(path, status) for path, status in sorted(push.payload_files.items())]
        return Changes(files, "payload", note="changed files from the push's commit list (no diffs)")
    return None


def _unknown(log: Log, why: str) -> None:
    log.line(f"the changed files are unknown ({why}): linting and reporting every migration file")
    return None


# --------------------------------------------------------------------------- lint


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
    notes: list[str] = field(default_factory=list)
    report: Report | None = None


def _lint(files, cfg, base: str | None, notes: list[str]):
    """Lint as ``miglint lint`` does: ``--base`` for the history rules, then the baseline."""
    from linter import engine
    from linter.cli import UsageError

    if base and hasattr(cfg, "base"):
        cfg.base = base  # the history rules compare with it (linter.migset.history)
    try:
        from linter.migset.history import HistoryError
    except ImportError:  # pragma: no cover - before the history rules land
        HistoryError = ()  # type: ignore[assignment]
    try:
        report = engine.lint(files, cfg, notes=notes)
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


def lock_markdown(files, cfg) -> str | None:
    """The lock report (``miglint locks --format markdown``, :mod:`linter.lockreport`) of the
    changed migration files ``files``; ``None`` when there are none (or before that module)."""
    try:
        from linter import lockreport
        from linter.formats import locks_markdown
    except ImportError:  # pragma: no cover - the lock report is a separate module
        return None
    if not files:
        return None
    try:
        return locks_markdown.render(lockreport.build(list(files), cfg))
    except Exception as exc:  # the summary must not fail because of the lock report
        return f"_The lock report could not be made ({type(exc).__name__})._"


def prepare(ctx: ctxmod.ActionContext, opts: Options, client: GitHubClient, log: Log) -> Prepared:
    """Find the change, lint, and pick the findings to report (module docstring, steps 2-3)."""
    from linter import config as configmod
    from linter.cli import UsageError, _check_base
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
        _check_base(base)
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

    report = _lint(to_lint, cfg, base, notes)
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
    return Prepared(
        findings=findings,
        fail_on=cfg.fail_on,
        roots=roots,
        files=linted_changed,
        scope=scope,
        suggestions=suggestions,
        changes=changes,
        stale_paths=stale,
        lock_markdown=lock_markdown(changed_files_linted, cfg),
        notes=notes + [n for n in report.notes if n not in notes],
        report=dataclasses.replace(report, findings=findings),
    )


# --------------------------------------------------------------------------- post


@dataclass
class Outcome:
    """What the run managed to post, for the log, the job summary and the tests."""

    review_comments: int = 0
    kept: int = 0
    resolved: int = 0
    summary: str | None = None  # "created", "updated"
    check_run: int | None = None
    failures: list[str] = field(default_factory=list)
    read_only: bool = False
    left_out: dict[str, int] = field(default_factory=dict)

    def sentences(self) -> list[str]:
        out = []
        if self.review_comments:
            out.append(f"Posted a review with {self.review_comments} inline comment{'s' if self.review_comments != 1 else ''}.")
        if self.kept:
            out.append(f"{self.kept} finding{'s were' if self.kept != 1 else ' was'} already commented on by an earlier run.")
        if self.resolved:
            out.append(f"Marked {self.resolved} earlier comment{'s' if self.resolved != 1 else ''} as fixed.")
        if self.summary:
            out.append(f"The summary comment was {self.summary}.")
        if self.check_run is not None:
            out.append("A check run with the annotations was created.")
        out.extend(self.failures)
        return out


class _Writer:
    """Pull-request writes that stop after the first 403 (a read-only token)."""

    def __init__(self, client: GitHubClient, ctx: ctxmod.ActionContext, log: Log, outcome: Outcome) -> None:
        self.client, self.ctx, self.log, self.outcome = client, ctx, log, outcome

    def blocked(self) -> bool:
        return self.outcome.read_only

    def call(self, what: str, method: str, path: str, body: dict | None = None):
        if self.outcome.read_only:
            return None
        try:
            return self.client.request(method, path, json=body)
        except GitHubError as exc:
            if exc.forbidden:
                self.outcome.read_only = True
                fork = self.ctx.pull_request and self.ctx.pull_request.is_fork(self.ctx.repository)
                hint = (
                    " This is a pull request from a fork, whose token is read-only: see the README's "
                    "`pull_request` + `workflow_run` workflow to post on fork PRs safely."
                    if fork
                    else " Grant `pull-requests: write` (and `checks: write` for check runs) in the workflow's permissions."
                )
                self.log.once(
                    "read-only",
                    f"the token cannot write to this repository ({exc.status}: {exc.message}); falling back to annotations and the job summary.{hint}",
                )
                self.outcome.failures.append("Could not post to the pull request: the token is read-only; findings are in the annotations and this job summary.")
            else:
                self.log.line(f"{what} failed: {exc}")
                self.outcome.failures.append(f"{what} failed: {exc}")
            return None


def _list(client: GitHubClient, log: Log, path: str, what: str) -> list | None:
    try:
        return list(client.paginate(path))
    except GitHubError as exc:
        log.line(f"could not list {what}: {exc}")
        return None


def publish_pull_request(ctx, opts: Options, prep: Prepared, client: GitHubClient, log: Log, outcome: Outcome, summary_data: SummaryData) -> None:
    """Review, resolved comments and the sticky summary comment (module docstring, step 4)."""
    pr = ctx.pull_request
    writer = _Writer(client, ctx, log, outcome)
    inline = opts.comment_mode == "review"
    existing_items = _list(client, log, f"{ctx.repo_path}/pulls/{pr.number}/comments", "the pull request's review comments")
    existing = planmod.existing_comments(existing_items or [])
    changed = prep.changes.by_path() if prep.changes else {}
    p = planmod.plan_review(
        prep.findings,
        changed,
        prep.suggestions,
        existing,
        max_comments=opts.max_comments,
        stale_paths=prep.stale_paths,
        inline=inline and existing_items is not None,
    )
    if existing_items is None and inline:
        p.reasons["the earlier comments could not be read, so none were posted (to avoid duplicates)"] += len(prep.findings)
    outcome.kept = len(p.kept)

    if p.new:
        body = (
            f"miglint found {counts_phrase(outputs.counts(prep.findings))} in the changed migration files; "
            f"{len(p.new)} {'are' if len(p.new) != 1 else 'is'} commented inline below, and the summary comment lists all of them."
        )
        resp = writer.call(
            "Posting the review",
            "POST",
            f"{ctx.repo_path}/pulls/{pr.number}/reviews",
            {"commit_id": pr.head_sha, "body": body, "event": "COMMENT", "comments": [c.as_api() for c in p.new]},
        )
        if resp is not None:
            outcome.review_comments = len(p.new)
        else:
            reason = "GitHub did not accept the review" if not outcome.read_only else "the token is read-only"
            for c in p.new:
                p.where[c.finding.fingerprint] = reason
            p.reasons[reason] += len(p.new)
    for c in p.resolve[:MAX_RESOLVE_EDITS]:
        docs = next((f.docs_url for f in prep.findings if f.rule_id == c.rule_id), None) or _docs_url(c.rule_id)
        body = resolved_body(c.body, c.rule_id, docs, c.fingerprint, pr.head_sha)
        if writer.call("Marking a fixed comment", "PATCH", f"{ctx.repo_path}/pulls/comments/{c.id}", {"body": body}) is not None:
            outcome.resolved += 1

    # the sticky summary comment
    issue_items = _list(client, log, f"{ctx.repo_path}/issues/{pr.number}/comments", "the pull request's comments")
    if issue_items is None:
        outcome.failures.append("The summary comment was not posted: the existing comments could not be read.")
        return
    mine = [c for c in issue_items if isinstance(c, dict) and isinstance(c.get("id"), int) and MARKER in (c.get("body") or "")]
    if not mine and prep.files == 0 and not prep.findings:
        return  # nothing to say on a pull request that touches no migration file
    summary_data.where = p.where
    summary_data.not_inline = p.not_inline()
    summary_data.previous = bool(mine)
    body = render_summary(summary_data, limit=COMMENT_LIMIT, marker=MARKER)
    if mine:
        if writer.call("Updating the summary comment", "PATCH", f"{ctx.repo_path}/issues/comments/{mine[0]['id']}", {"body": body}) is not None:
            outcome.summary = "updated"
        for extra in mine[1:]:  # duplicates left by an interrupted run
            writer.call("Deleting a duplicate summary comment", "DELETE", f"{ctx.repo_path}/issues/comments/{extra['id']}")
    elif writer.call("Posting the summary comment", "POST", f"{ctx.repo_path}/issues/{pr.number}/comments", {"body": body}) is not None:
        outcome.summary = "created"


def _docs_url(rule_id: str) -> str:
    from linter import registry

    r = registry.all_rules().get(rule_id)
    return r.docs_url if r else "https://github.com/miglint/miglint"


def _annotation(f: Finding) -> dict:
    level = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.NOTE: "notice"}[f.severity]
    end = max(f.line, last_line(f.span))
    item = {
        "path": f.path,
        "start_line": f.line,
        "end_line": end,
        "annotation_level": level,
        "message": (f.message + ("\n" + f.help if f.help else ""))[:60_000],
        "title": f.rule_id[:255],
    }
    if f.span.one_line and f.line == end:
        item["start_column"] = f.span.start.column
        item["end_column"] = max(f.span.start.column, f.span.end.column)
    return item


def publish_check_run(ctx, prep: Prepared, client: GitHubClient, log: Log, outcome: Outcome, failing: bool, summary_text: str) -> None:
    """One check run named miglint on the head commit, annotations 50 per request."""
    sha = ctx.commit_sha
    if not sha or sha == gitdiff.ZERO_SHA:
        return
    writer = _Writer(client, ctx, log, outcome)
    anns = [_annotation(f) for f in most_severe_first(prep.findings)]
    if len(anns) > CHECK_RUN_ANNOTATIONS:
        summary_text += f"\n\n{len(anns) - CHECK_RUN_ANNOTATIONS} more findings are not annotated in this check run."
        anns = anns[:CHECK_RUN_ANNOTATIONS]
    title = f"miglint: {counts_phrase(outputs.counts(prep.findings))}"
    output = {"title": title, "summary": summary_text[:65_000]}
    conclusion = "failure" if failing else "success"
    batches = [anns[i : i + CHECK_RUN_BATCH] for i in range(0, len(anns), CHECK_RUN_BATCH)] or [[]]
    first = {"name": "miglint", "head_sha": sha, "output": {**output, "annotations": batches[0]}}
    if len(batches) == 1:
        first.update(status="completed", conclusion=conclusion)
    else:
        first.update(status="in_progress")
    resp = writer.call("Creating the check run", "POST", f"{ctx.repo_path}/check-runs", first)
    if resp is None or not isinstance(resp.data, dict) or not isinstance(resp.data.get("id"), int):
        return
    run_id = resp.data["id"]
    outcome.check_run = run_id
    for i, batch in enumerate(batches[1:], start=2):
        body: dict = {"output": {**output, "annotations": batch}}
        if i == len(batches):
            body.update(status="completed", conclusion=conclusion)
        if writer.call("Adding check-run annotations", "PATCH", f"{ctx.repo_path}/check-runs/{run_id}", body) is None:
            return


# --------------------------------------------------------------------------- bundle (workflow_run)

BUNDLE_KIND = "miglint-github-bundle"


def save_bundle(path: str, ctx: ctxmod.ActionContext, prep: Prepared) -> None:
    """Write what :func:`load_bundle` needs to post from another, trusted workflow."""
    from linter.formats.json import finding_dict

    pr = ctx.pull_request
    data = {
        "kind": BUNDLE_KIND,
        "version": 1,
        "tool_version": __version__,
        "repository": ctx.repository,
        "pull_request": None if pr is None else {"number": pr.number, "head_sha": pr.head_sha, "base_sha": pr.base_sha},
        "fail_on": prep.fail_on,
        "files": prep.files,
        "scope": prep.scope,
        "roots": prep.roots,
        "findings": [{**finding_dict(f), "suggestion": prep.suggestions[f.fingerprint].as_dict() if f.fingerprint in prep.suggestions else None} for f in prep.findings],
        "stale_paths": sorted(prep.stale_paths),
        "lock_markdown": prep.lock_markdown,
        "notes": prep.notes,
    }
    outputs.write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def load_bundle(path: str, ctx: ctxmod.ActionContext, client: GitHubClient, log: Log) -> Prepared:
    """Read a bundle written by ``--save-bundle`` in an untrusted ``pull_request`` run.

    Nothing in it is trusted more than a PR author's own comment would be: its fields are
    checked for type, its text is escaped by the templates like any finding, and it may only
    speak about the pull request whose head commit is the one the ``workflow_run`` event names
    (checked with ``GET /pulls/{n}``), in this repository."""
    from linter.model import Fix, Position, Span

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ctxmod.ContextError(f"{path}: cannot read the bundle ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != BUNDLE_KIND or data.get("version") != 1:
        raise ctxmod.ContextError(f"{path}: not a miglint bundle (written by `miglint github --save-bundle`)")
    if str(data.get("repository", "")).lower() != ctx.repository.lower():
        raise ctxmod.ContextError(f"{path}: the bundle is for {data.get('repository')!r}, not {ctx.repository}")
    pr = data.get("pull_request")
    if isinstance(pr, dict):
        try:
            number, head = int(pr["number"]), str(pr["head_sha"])
        except (KeyError, TypeError, ValueError):
            raise ctxmod.ContextError(f"{path}: the bundle's pull_request is malformed") from None
        expected = ((ctx.event.get("workflow_run") or {}).get("head_sha")) if ctx.event_name == "workflow_run" else None
        if ctx.event_name == "workflow_run" and expected != head:
            raise ctxmod.ContextError(f"{path}: the bundle names head {head[:7]}, but the workflow_run event is for {str(expected)[:7]}")
        live = client.get(f"{ctx.repo_path}/pulls/{number}") if client.has_token else None
        if not isinstance(live, dict) or (live.get("head") or {}).get("sha") != head:
            raise ctxmod.ContextError(f"{path}: pull request #{number} does not have head {head[:7]} (a newer push, or a forged bundle); nothing posted")
        ctx.pull_request = ctxmod.PullRequest(number, head, str(pr.get("base_sha") or ""), ((live.get("head") or {}).get("repo") or {}).get("full_name"))
    findings: list[Finding] = []
    suggestions: dict[str, Suggestion] = {}

    def _int(v) -> int:
        if not isinstance(v, int) or v < 1:
            raise ValueError
        return v

    try:
        for d in data.get("findings") or []:
            span = Span(Position(_int(d["line"]), _int(d["column"])), Position(_int(d["end_line"]), _int(d["end_column"])))
            fx = d.get("fix")
            fix = None
            if isinstance(fx, dict):
                fspan = Span(Position(_int(fx["line"]), _int(fx["column"])), Position(_int(fx["end_line"]), _int(fx["end_column"])))
                fix = Fix(fspan, 0, 0, str(fx.get("replacement", "")), str(fx.get("description", "")))
            f = Finding(
                rule_id=str(d["rule"]),
                family=str(d.get("family", "")),
                severity=Severity(d["severity"]),
                path=str(d["path"]),
                span=span,
                message=str(d["message"]),
                help=None if d.get("help") is None else str(d["help"]),
                docs_url=_docs_url(str(d["rule"])),
                fingerprint=str(d["fingerprint"])[:64],
                fix=fix,
                redacted=bool(d.get("redacted")),
                properties=d.get("properties") if isinstance(d.get("properties"), dict) and not d.get("redacted") else {},
            )
            findings.append(f)
            s = d.get("suggestion")
            if isinstance(s, dict) and not f.redacted:
                suggestions[f.fingerprint] = Suggestion(_int(s["first_line"]), _int(s["last_line"]), str(s["text"]))
    except (KeyError, TypeError, ValueError):
        raise ctxmod.ContextError(f"{path}: the bundle's findings are malformed") from None
    fail_on = data.get("fail_on") if data.get("fail_on") in ("error", "warning", "note", "never") else "error"
    roots = {str(k): str(v) for k, v in (data.get("roots") or {}).items()} if isinstance(data.get("roots"), dict) else {}
    return Prepared(
        findings=sorted(findings, key=Finding.sort_key),
        fail_on=fail_on,
        roots=roots,
        files=int(data.get("files") or 0) if isinstance(data.get("files"), int) else 0,
        scope=str(data.get("scope") or "changed migration files")[:60],
        suggestions=suggestions,
        stale_paths={str(p) for p in data.get("stale_paths") or []},
        lock_markdown=str(data["lock_markdown"]) if isinstance(data.get("lock_markdown"), str) else None,
        notes=[str(n) for n in data.get("notes") or []][:50],
    )


# --------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> int:
    """The ``miglint github`` command (returns the exit code)."""
    from linter import engine, formats
    from linter.cli import EXIT_FINDINGS, EXIT_OK, UsageError

    try:
        ctx = ctxmod.load()
        opts = options(args, ctx)
    except ctxmod.ContextError as exc:
        raise UsageError(str(exc)) from None
    log = Log([ctx.token])
    client = GitHubClient(ctx.api_url, ctx.token, log=log.line, user_agent=f"miglint/{__version__}")

    try:
        if opts.bundle:
            prep = load_bundle(opts.bundle, ctx, client, log)
            if ctx.pull_request is not None:  # the diff as GitHub has it now
                ctx.event_name = "pull_request"
                prep.changes = changed_files(ctx, client, log, Path.cwd(), "api")
        else:
            prep = prepare(ctx, opts, client, log)
    except ctxmod.ContextError as exc:
        raise UsageError(str(exc)) from None
    except GitHubError as exc:
        raise UsageError(log.redact(str(exc))) from None

    if opts.save_bundle:
        save_bundle(opts.save_bundle, ctx, prep)
        log.line(f"wrote the bundle for a workflow_run job to {opts.save_bundle}")

    failing = engine.fails(Report(prep.findings, [], []), prep.fail_on)
    outcome = Outcome()

    # annotations
    if opts.comment_mode != "none":
        lines, left = outputs.annotations(prep.findings)
        if lines:
            sys.stdout.write("".join(line + "\n" for line in lines))
            sys.stdout.flush()
        outcome.left_out = left
        sentence = outputs.left_out_sentence(left)
        if sentence:
            log.line(sentence[0].upper() + sentence[1:])

    # SARIF
    if opts.sarif_file and prep.report is not None:
        try:
            outputs.write_text(opts.sarif_file, formats.render("sarif", prep.report))
        except OSError as exc:
            raise UsageError(f"{opts.sarif_file}: cannot write SARIF: {exc.strerror or exc}") from None

    elsewhere = "the job summary of this workflow run, the annotations" + (" and the SARIF file" if opts.sarif_file else "")
    footer = f"miglint {__version__}"
    if ctx.commit_sha:
        footer += f" · {ctx.commit_sha[:7]}"
    if prep.changes is not None:
        footer += f" · changed files from {prep.changes.source}"

    def summary_data() -> SummaryData:
        return SummaryData(
            findings=prep.findings,
            roots=prep.roots,
            files=prep.files,
            scope=prep.scope,
            fail_on=prep.fail_on,
            failing=failing,
            notes=list(prep.notes),
            lock_markdown=prep.lock_markdown,
            footer=footer,
            elsewhere=elsewhere,
        )

    pr_data = summary_data()
    if ctx.pull_request is not None and opts.comment_mode in ("review", "summary"):
        if not client.has_token:
            log.once("no-token", "no token (input github-token or GITHUB_TOKEN): nothing is posted to the pull request; see the annotations and the job summary")
        else:
            publish_pull_request(ctx, opts, prep, client, log, outcome, pr_data)

    if opts.check_run and client.has_token:
        text = render_summary(summary_data(), limit=60_000, marker=None)
        publish_check_run(ctx, prep, client, log, outcome, failing, text)

    # job summary: everything, with what was posted where
    job = summary_data()
    job.where = pr_data.where
    job.not_inline = pr_data.not_inline
    job.delivery = outcome.sentences()
    if (left := outputs.left_out_sentence(outcome.left_out)):
        job.delivery.append(left[0].upper() + left[1:] + ".")
    text = render_summary(job, limit=JOB_SUMMARY_LIMIT, marker=None, measure=lambda t: len(t.encode("utf-8")))
    if ctx.step_summary and not outputs.append_file(ctx.step_summary, text + "\n"):
        log.line("could not write the job summary (GITHUB_STEP_SUMMARY)")

    counts = outputs.counts(prep.findings)
    values = {"errors": counts["error"], "warnings": counts["warning"], "notes": counts["note"], "findings": len(prep.findings)}
    values["sarif-file"] = opts.sarif_file or ""
    values["exit-code"] = EXIT_FINDINGS if failing else EXIT_OK
    if ctx.output and not outputs.append_file(ctx.output, outputs.output_lines(values)):
        log.line("could not write the step outputs (GITHUB_OUTPUT)")

    log.line(f"{counts_phrase(counts)} in {prep.files} {prep.scope if prep.files != 1 else prep.scope[:-1]}")
    for sentence in outcome.sentences():
        if not sentence.endswith(" failed.") and "failed:" not in sentence:  # failures were logged already
            log.line(sentence)
    return EXIT_FINDINGS if failing else EXIT_OK
