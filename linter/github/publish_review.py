"""The review (step 4 of :mod:`linter.github.bot`, ``comment-mode: review``), as planned by
:mod:`linter.github.threads`: the new statement threads posted as one review, file-level
threads posted one by one (``POST /pulls/{n}/comments`` with ``subject_type: file``), the
edits of earlier threads whose set of findings changed, and of those whose findings are all
gone ("Fixed")."""

from __future__ import annotations

from pathlib import Path

from linter.formats.review import resolved_body, suggestion_for_all
from linter.github import gitdiff, threads
from linter.github.client import GitHubClient
from linter.github.identity import own
from linter.github.inputs import Options
from linter.github.log import Log
from linter.github.posting import Outcome, Writer, list_items
from linter.github.prepare import Prepared, docs_url

#: Edits of resolved comments per run at most (each is a write request).
MAX_RESOLVE_EDITS = 100


def _moved_since(existing: list[threads.ExistingComment], prep: Prepared, head: str) -> dict[str, str]:
    """``{old path: new path}`` of the files git sees renamed between the commit an open
    thread was posted on and ``head``, for the threads none of whose findings is reported
    on their path now (a ``git mv`` in a later push); empty without the history."""
    paths = {f.path for f in prep.findings}
    since = {c.commit for c in existing if not c.resolved and c.commit and c.path and c.path not in paths}
    if not since:
        return {}
    root = gitdiff.repo_root(Path.cwd())
    if root is None:
        return {}
    out: dict[str, str] = {}
    for commit in sorted(since)[:10]:
        for old, new in gitdiff.renames(commit, head, root).items():
            out.setdefault(old, new)
    return out


#: The review's body: no counts, which the next push would make stale (the summary comment
#: has them, and is edited on every run).
REVIEW_BODY = "miglint: one thread per statement below; the summary comment lists every finding of this pull request."


def publish_review(ctx, opts: Options, prep: Prepared, client: GitHubClient, log: Log, outcome: Outcome, writer: Writer) -> threads.Plan:
    """Plan the review (:func:`linter.github.threads.plan_review`), post its new threads,
    edit the changed ones and mark fixed the earlier threads whose findings are gone;
    returns the plan (where each finding went, for the summary; what threads carry, for
    the other channels)."""
    pr = ctx.pull_request
    inline = opts.comment_mode == "review"
    existing_items = list_items(client, log, f"{ctx.repo_path}/pulls/{pr.number}/comments", "the pull request's review comments")
    existing = threads.existing_comments(own(existing_items or [], writer.identity))  # never anyone else's
    changed = prep.changes.by_path() if prep.changes else {}
    moved = _moved_since(existing, prep, pr.head_sha)

    def combine(findings):
        text = prep.texts.get(findings[0].path)
        if text is None:
            have = [prep.suggestions[f.fingerprint] for f in findings if f.fingerprint in prep.suggestions]
            return have[0] if len(have) == 1 else None
        return suggestion_for_all(findings, text)

    p = threads.plan_review(
        prep.findings,
        changed,
        prep.suggestions,
        existing,
        max_comments=opts.max_comments,
        stale_paths=prep.stale_paths,
        inline=inline and existing_items is not None,
        level=opts.inline_level,
        statements=prep.statements,
        down=prep.down,
        combine=combine,
        moved=moved,
    )
    if existing_items is None and inline:
        p.reasons["the earlier comments could not be read, so none were posted (to avoid duplicates)"] += len(prep.findings)
    outcome.kept = len({id(c) for _, c in p.kept})

    if p.new:
        resp = writer.call(
            "Posting the review",
            "POST",
            f"{ctx.repo_path}/pulls/{pr.number}/reviews",
            {"commit_id": pr.head_sha, "body": REVIEW_BODY, "event": "COMMENT", "comments": [t.as_api() for t in p.new]},
        )
        if resp is not None:
            outcome.review_comments = len(p.new)
        else:
            p.fail(p.new, "GitHub did not accept the review" if not outcome.read_only else "the token is read-only")
            p.new = []
    posted = []
    for t in p.files:
        if writer.call("Posting a file comment", "POST", f"{ctx.repo_path}/pulls/{pr.number}/comments", t.as_file_comment(pr.head_sha)) is not None:
            posted.append(t)
            outcome.review_comments += 1
        else:
            p.fail([t], "GitHub did not accept the file comment" if not outcome.read_only else "the token is read-only")
    p.files = posted
    for t in p.edit:
        if writer.call("Updating a thread", "PATCH", f"{ctx.repo_path}/pulls/comments/{t.existing.id}", {"body": t.body}) is not None:
            outcome.edited += 1
    for c in p.resolve[:MAX_RESOLVE_EDITS]:
        docs = next((f.docs_url for f in prep.findings if f.rule_id == c.rule_id), None) or docs_url(c.rule_id)
        body = resolved_body(c.body, c.rule_id, docs, c.fingerprint, pr.head_sha)
        if writer.call("Marking a fixed comment", "PATCH", f"{ctx.repo_path}/pulls/comments/{c.id}", {"body": body}) is not None:
            outcome.resolved += 1
    return p
