"""The pull-request bot, ``miglint github``: GitHub Actions in, GitHub API out.

* :mod:`~linter.github.client`: the HTTP client only (requests + urllib3 Retry, rate limits,
  timeouts, pagination, GHES by ``GITHUB_API_URL``).
* :mod:`~linter.github.context`: the Actions environment and event payload.
* :mod:`~linter.github.diff`: changed files and the lines of their patches a comment may sit on.
* :mod:`~linter.github.gitdiff`: the same from a local git checkout.
* :mod:`~linter.github.inputs`: the options of a run (flags, else action inputs).
* :mod:`~linter.github.log`: the log, with the token masked.
* :mod:`~linter.github.changes`: what the event changed (API, git, payload).
* :mod:`~linter.github.prepare`: lint what changed and pick the findings to report.
* :mod:`~linter.github.threads`: one thread per statement, file-level threads, the cap: what to post where (pure).
* :mod:`~linter.github.posting`: the outcome of the writes and the writer that stops at a 403.
* :mod:`~linter.github.identity`: who miglint posts as, and the one test of "this comment is
  ours" (author AND marker) behind every edit, deletion, count and skip.
* :mod:`~linter.github.publish_review`: the review and the "Fixed" edits.
* :mod:`~linter.github.publish_summary`: the sticky summary comment.
* :mod:`~linter.github.checkrun`: the optional check run.
* :mod:`~linter.github.bundle`: the fork-safe bundle, out and in.
* :mod:`~linter.github.bundle_schema`: the bundle's layout, validated field by field.
* :mod:`~linter.github.outputs`: annotations, job summary, step outputs.
* :mod:`~linter.github.bot`: the command, wiring the above.

Exit codes and :class:`~linter.exitcodes.UsageError` (:mod:`linter.exitcodes`) and the
``--base`` check (:mod:`linter.baseref`) sit below both the CLI and the bot.

The markdown itself is rendered by two output formats, :mod:`linter.formats.review` and
:mod:`linter.formats.summary`, from the jinja2 templates in ``linter/templates/``; text that
miglint did not write reaches them only through :mod:`linter.formats._markdown`.
"""
