"""What the event changed (step 2 of :mod:`linter.github.bot`): the pull request's files
from the API or git, a push's from git, the compare API or the payload."""

from __future__ import annotations

from pathlib import Path

from linter.github import context as ctxmod, gitdiff
from linter.github.client import GitHubClient, GitHubError
from linter.github.diff import ChangedFile, Changes, from_api_item
from linter.github.log import Log

#: GitHub lists at most this many files of a pull request.
PR_FILES_LIMIT = 3000


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
