"""``miglint github``: lint what a pull request or push changed and report it on GitHub.

The flow of one run (each step in its own module; this one only wires them):

1. :mod:`linter.github.context` reads the Actions environment and the event payload.
2. What changed (:func:`linter.github.changes.changed_files`): for a pull request ``GET /pulls/{n}/files`` (all
   pages, at most 3,000 files, with patches), else ``git diff base...head`` when the checkout
   has both commits (:mod:`linter.github.gitdiff`); for a push ``git diff before...after``,
   else ``GET /compare/{before}...{after}``, else the file lists of the payload's commits.
3. Lint (:func:`linter.github.prepare.prepare`): every migration file of each migration root the change touches is
   linted (the whole directory is the context of the file-set rules), and the findings in the
   changed files (and on removed or renamed-away paths) are reported. When the change cannot
   be learnt, or with ``all-files``, every finding is reported.
4. Post (:func:`publish_pull_request`: :mod:`~linter.github.publish_review`,
   :mod:`~linter.github.publish_summary`; :mod:`~linter.github.checkrun`), by ``comment-mode``:

   ========== ====================================================================
   review     one review with one thread per statement (errors and warnings on lines
              the PR changed, by ``inline-level``; :mod:`linter.github.threads`),
              file-level threads, edits of changed and fixed threads, the sticky
              summary comment
   summary    the sticky summary comment only (and edits of fixed threads)
   annotations no pull-request writes
   none       no annotations and no pull-request writes
   ========== ====================================================================

   Always: the job summary, step outputs, the SARIF file when ``sarif-file`` is set, a
   check run (``miglint findings``) when ``check-run`` is true. One channel per finding in
   the Files changed view: a finding a review thread carries is not annotated again, in the
   check run or by a workflow command; workflow-command annotations (10 per type, except
   ``none``) are the fallback for the rest, and for everything when posting fails. A
   read-only token (403, e.g. a fork PR) or a request that still fails after the retries
   stops the pull-request writes; the log says what failed, once, and the findings are in
   the other channels.
5. Exit code by ``fail-on`` over the reported findings: the same whether posting worked.

The token is read from the ``github-token`` input or ``GITHUB_TOKEN`` and handed to the
client only; every log line passes through :meth:`linter.github.log.Log.line`, which masks it.
The fork-safe bundle is read and written by :mod:`linter.github.bundle`; the options by
:mod:`linter.github.inputs`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from linter import __version__
from linter.exitcodes import EXIT_FINDINGS, EXIT_OK, UsageError
from linter.formats.summary import JOB_SUMMARY_LIMIT, SummaryData, counts_phrase, render_summary
from linter.github import context as ctxmod, outputs
from linter.github.bundle import load_bundle, save_bundle
from linter.github.changes import changed_files
from linter.github.checkrun import publish_check_run
from linter.github.client import GitHubClient, GitHubError
from linter.github.identity import Identity
from linter.github.inputs import Options, options
from linter.github.log import Log
from linter.github.posting import Outcome, Writer
from linter.github.prepare import Prepared, prepare
from linter.github.publish_review import publish_review
from linter.github.publish_summary import publish_summary, run_links
from linter.github.threads import Plan
from linter.model import Report


def publish_pull_request(ctx, opts: Options, prep: Prepared, client: GitHubClient, log: Log, outcome: Outcome, summary_data: SummaryData) -> Plan:
    """Review, resolved comments and the sticky summary comment (module docstring, step 4);
    returns the review's plan (what its threads carry)."""
    writer = Writer(client, ctx, log, outcome, Identity.configured(opts.bot_login))
    plan = publish_review(ctx, opts, prep, client, log, outcome, writer)
    publish_summary(ctx, prep, client, log, outcome, writer, summary_data, plan)
    return plan


def run(args: argparse.Namespace) -> int:
    """The ``miglint github`` command (returns the exit code)."""
    from linter import engine, formats

    try:
        ctx = ctxmod.load()
        opts = options(args, ctx)
        Identity.configured(opts.bot_login)  # a bad bot-login is a usage error, before any work
    except (ctxmod.ContextError, ValueError) as exc:
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

    run_url, blob_url = run_links(ctx)

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
            run_url=run_url,
            blob_url=blob_url,
        )

    pr_data = summary_data()
    carried: set[str] = set()  # findings a review thread shows: no other channel repeats them
    if ctx.pull_request is not None and opts.comment_mode in ("review", "summary"):
        if not client.has_token:
            log.once("no-token", "no token (input github-token or GITHUB_TOKEN): nothing is posted to the pull request; see the annotations and the job summary")
        else:
            carried = publish_pull_request(ctx, opts, prep, client, log, outcome, pr_data).carried()

    if opts.check_run and client.has_token:
        text = render_summary(summary_data(), limit=60_000, marker=None)
        carried |= publish_check_run(ctx, prep, client, log, outcome, failing, text, carried)

    # workflow-command annotations: the fallback channel, for what no thread or check run shows
    if opts.comment_mode != "none":
        lines, left = outputs.annotations([f for f in prep.findings if f.fingerprint not in carried])
        if lines:
            sys.stdout.write("".join(line + "\n" for line in lines))
            sys.stdout.flush()
        outcome.left_out = left
        sentence = outputs.left_out_sentence(left)
        if sentence:
            log.line(sentence[0].upper() + sentence[1:])

    # job summary: everything, with what was posted where
    job = summary_data()
    job.run_url = None  # the job summary is on the run's page
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
