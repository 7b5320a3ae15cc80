"""The review (step 4 of :mod:`linter.github.bot`, ``comment-mode: review``): new inline
comments planned by :mod:`linter.github.threads`, posted as one review, and the edits of
earlier comments whose finding is gone ("Fixed")."""

from __future__ import annotations

from linter.formats.review import resolved_body
from linter.formats.summary import counts_phrase
from linter.github import outputs, threads
from linter.github.client import GitHubClient
from linter.github.identity import own
from linter.github.inputs import Options
from linter.github.log import Log
from linter.github.posting import Outcome, Writer, list_items
from linter.github.prepare import Prepared, docs_url

#: Edits of resolved comments per run at most (each is a write request).
MAX_RESOLVE_EDITS = 100


def publish_review(ctx, opts: Options, prep: Prepared, client: GitHubClient, log: Log, outcome: Outcome, writer: Writer) -> threads.Plan:
    """Plan the review (:func:`linter.github.threads.plan_review`), post its new comments as
    one review and mark fixed the earlier comments whose finding is gone; returns the plan
    (where each finding went, for the summary)."""
    pr = ctx.pull_request
    inline = opts.comment_mode == "review"
    existing_items = list_items(client, log, f"{ctx.repo_path}/pulls/{pr.number}/comments", "the pull request's review comments")
    existing = threads.existing_comments(own(existing_items or [], writer.identity))  # never anyone else's
    changed = prep.changes.by_path() if prep.changes else {}
    p = threads.plan_review(
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
        docs = next((f.docs_url for f in prep.findings if f.rule_id == c.rule_id), None) or docs_url(c.rule_id)
        body = resolved_body(c.body, c.rule_id, docs, c.fingerprint, pr.head_sha)
        if writer.call("Marking a fixed comment", "PATCH", f"{ctx.repo_path}/pulls/comments/{c.id}", {"body": body}) is not None:
            outcome.resolved += 1
    return p
