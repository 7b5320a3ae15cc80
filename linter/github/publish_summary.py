"""The sticky summary comment (step 4 of :mod:`linter.github.bot`): one issue comment on
the pull request, recognised by its marker, created once and edited only when what it says
changed (:func:`linter.formats.summary.same_content`: the rendered body against the existing
one, ignoring only the footer line with the version and commit), so a rerun with the same
findings makes no write. :func:`run_links` gives the link to the workflow run (whose job
summary holds every finding) and to the changed files at the head commit."""

from __future__ import annotations

import re

from linter.formats.summary import COMMENT_LIMIT, MARKER, SummaryData, render_summary, same_content
from linter.github.client import GitHubClient
from linter.github.identity import own
from linter.github.log import Log
from linter.github.posting import Outcome, Writer, list_items
from linter.github.prepare import Prepared
from linter.github.threads import Plan

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def run_links(ctx) -> tuple[str | None, str | None]:
    """``(run_url, blob_url)`` from the runner's environment (NOTES.md section 1):
    ``GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID`` and
    ``GITHUB_SERVER_URL/GITHUB_REPOSITORY/blob/<head sha>/``; ``None`` for a part that is
    missing or malformed (outside Actions, or an http(s) server URL is not given)."""
    server = str(ctx.env.get("GITHUB_SERVER_URL") or "").strip().rstrip("/")
    if not re.match(r"^https?://[^\s/?#\"'<>()\[\]]+(/[^\s?#\"'<>()\[\]]*)?$", server) or not _REPO.match(ctx.repository or ""):
        return None, None
    run_id = str(ctx.env.get("GITHUB_RUN_ID") or "").strip()
    run_url = f"{server}/{ctx.repository}/actions/runs/{run_id}" if run_id.isdigit() else None
    sha = ctx.commit_sha or ""
    blob_url = f"{server}/{ctx.repository}/blob/{sha}/" if _SHA.match(sha) else None
    return run_url, blob_url


def publish_summary(ctx, prep: Prepared, client: GitHubClient, log: Log, outcome: Outcome, writer: Writer, summary_data: SummaryData, p: Plan) -> None:
    """Create the sticky summary comment, or edit it when its content changed (and delete
    duplicates an interrupted run left); nothing on a pull request that touches no
    migration file and never had one. ``p`` says where each finding went: findings with a
    thread (new or from an earlier run) are inline; ``summary_data.where`` gets the reason
    of each of the others and ``not_inline`` the run's sentences."""
    pr = ctx.pull_request
    issue_items = list_items(client, log, f"{ctx.repo_path}/issues/{pr.number}/comments", "the pull request's comments")
    if issue_items is None:
        outcome.failures.append("The summary comment was not posted: the existing comments could not be read.")
        return
    mine = own(issue_items, writer.identity, MARKER)  # author and marker: never anyone else's comment
    if not mine and prep.files == 0 and not prep.findings:
        return  # nothing to say on a pull request that touches no migration file
    carried = p.carried()  # findings a thread holds (new, edited or kept) are inline
    summary_data.where = {fp: reason for fp, reason in p.where.items() if fp not in carried}
    summary_data.not_inline = p.not_inline()
    summary_data.previous = bool(mine)
    body = render_summary(summary_data, limit=COMMENT_LIMIT, marker=MARKER)
    if mine:
        if same_content(mine[0].get("body") or "", body):
            outcome.summary = "unchanged"
        elif writer.call("Updating the summary comment", "PATCH", f"{ctx.repo_path}/issues/comments/{mine[0]['id']}", {"body": body}) is not None:
            outcome.summary = "updated"
        for extra in mine[1:]:  # duplicates left by an interrupted run
            writer.call("Deleting a duplicate summary comment", "DELETE", f"{ctx.repo_path}/issues/comments/{extra['id']}")
    elif writer.call("Posting the summary comment", "POST", f"{ctx.repo_path}/issues/{pr.number}/comments", {"body": body}) is not None:
        outcome.summary = "created"
