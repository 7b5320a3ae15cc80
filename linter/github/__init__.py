"""The pull-request bot, ``miglint github``: GitHub Actions in, GitHub API out.

* :mod:`~linter.github.client`: the HTTP client only (requests + urllib3 Retry, rate limits,
  timeouts, pagination, GHES by ``GITHUB_API_URL``).
* :mod:`~linter.github.context`: the Actions environment and event payload.
* :mod:`~linter.github.diff`: changed files and the lines of their patches a comment may sit on.
* :mod:`~linter.github.gitdiff`: the same from a local git checkout.
* :mod:`~linter.github.plan`: what to post where (pure).
* :mod:`~linter.github.outputs`: annotations, job summary, step outputs.
* :mod:`~linter.github.bot`: the command, wiring the above.

The markdown itself is rendered by two output formats, :mod:`linter.formats.review` and
:mod:`linter.formats.summary`, from the jinja2 templates in ``linter/templates/``.
"""
