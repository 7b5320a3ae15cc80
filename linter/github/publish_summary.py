"""The sticky summary comment (step 4 of :mod:`linter.github.bot`): one issue comment on
the pull request, recognised by its marker, created once and edited on every run."""

from __future__ import annotations

from linter.formats.summary import COMMENT_LIMIT, MARKER, SummaryData, render_summary
from linter.github.client import GitHubClient
from linter.github.identity import own
from linter.github.log import Log
from linter.github.posting import Outcome, Writer, list_items
from linter.github.prepare import Prepared
from linter.github.threads import Plan


def publish_summary(ctx, prep: Prepared, client: GitHubClient, log: Log, outcome: Outcome, writer: Writer, summary_data: SummaryData, p: Plan) -> None:
    """Create or update the sticky summary comment (and delete duplicates an interrupted
    run left); nothing on a pull request that touches no migration file and never had one.
    ``p`` says where each finding went (``summary_data.where`` and ``not_inline`` are set)."""
    pr = ctx.pull_request
    issue_items = list_items(client, log, f"{ctx.repo_path}/issues/{pr.number}/comments", "the pull request's comments")
    if issue_items is None:
        outcome.failures.append("The summary comment was not posted: the existing comments could not be read.")
        return
    mine = own(issue_items, writer.identity, MARKER)  # author and marker: never anyone else's comment
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
