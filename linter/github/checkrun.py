"""The optional check run (``check-run: true``): one check run named ``miglint findings``
(a name no job of a workflow is likely to have, so its status never hides the job's) on the
head commit, with the findings no review thread carries as annotations, 50 per request."""

from __future__ import annotations

from linter.formats._common import last_line, most_severe_first
from linter.formats.summary import counts_phrase
from linter.github import gitdiff, outputs
from linter.github.client import GitHubClient
from linter.github.log import Log
from linter.github.posting import Outcome, Writer
from linter.github.prepare import Prepared
from linter.model import Finding, Severity

#: Check-run annotations sent at most (in batches of 50, the API's maximum per request).
CHECK_RUN_ANNOTATIONS = 1000
CHECK_RUN_BATCH = 50


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


#: The check run's name.
CHECK_RUN_NAME = "miglint findings"


def publish_check_run(ctx, prep: Prepared, client: GitHubClient, log: Log, outcome: Outcome, failing: bool, summary_text: str,
                      carried: set[str] = frozenset()) -> set[str]:
    """One check run on the head commit, annotations 50 per request, for the findings whose
    fingerprint is not in ``carried`` (a review thread shows them: one channel per finding).
    Returns the fingerprints annotated (empty when the check run was not made)."""
    sha = ctx.commit_sha
    if not sha or sha == gitdiff.ZERO_SHA:
        return set()
    writer = Writer(client, ctx, log, outcome)
    todo = [f for f in most_severe_first(prep.findings) if f.fingerprint not in carried]
    anns = [_annotation(f) for f in todo]
    annotated = {f.fingerprint for f in todo[:CHECK_RUN_ANNOTATIONS]}
    if len(anns) > CHECK_RUN_ANNOTATIONS:
        summary_text += f"\n\n{len(anns) - CHECK_RUN_ANNOTATIONS} more findings are not annotated in this check run."
        anns = anns[:CHECK_RUN_ANNOTATIONS]
    title = f"miglint: {counts_phrase(outputs.counts(prep.findings))}"
    output = {"title": title, "summary": summary_text[:65_000]}
    conclusion = "failure" if failing else "success"
    batches = [anns[i : i + CHECK_RUN_BATCH] for i in range(0, len(anns), CHECK_RUN_BATCH)] or [[]]
    first = {"name": CHECK_RUN_NAME, "head_sha": sha, "output": {**output, "annotations": batches[0]}}
    if len(batches) == 1:
        first.update(status="completed", conclusion=conclusion)
    else:
        first.update(status="in_progress")
    resp = writer.call("Creating the check run", "POST", f"{ctx.repo_path}/check-runs", first)
    if resp is None or not isinstance(resp.data, dict) or not isinstance(resp.data.get("id"), int):
        return set()
    run_id = resp.data["id"]
    outcome.check_run = run_id
    for i, batch in enumerate(batches[1:], start=2):
        body: dict = {"output": {**output, "annotations": batch}}
        if i == len(batches):
            body.update(status="completed", conclusion=conclusion)
        if writer.call("Adding check-run annotations", "PATCH", f"{ctx.repo_path}/check-runs/{run_id}", body) is None:
            return {f.fingerprint for f in todo[: (i - 1) * CHECK_RUN_BATCH]}
    return annotated
