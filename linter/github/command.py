"""The ``miglint github`` command line (kept free of heavy imports: ``miglint lint`` builds
this parser too). The command itself is :func:`linter.github.bot.run`."""

from __future__ import annotations

import argparse

#: ``comment-mode`` values (see :mod:`linter.github.bot`).
MODES = ("review", "summary", "annotations", "none")
#: Default cap on the open miglint threads of a pull request (counted across runs).
MAX_COMMENTS = 50
#: ``inline-level`` values: the lowest severity posted inline (``none``: no thread at all).
INLINE_LEVELS = ("error", "warning", "note", "none")


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``github`` subcommand to the ``miglint`` parser's subparsers."""
    p = sub.add_parser(
        "github",
        help="lint a pull request or push in GitHub Actions and report on GitHub",
        description=(
            "Lint the migration files a pull request (or push) changes and report them: one review with "
            "one thread per statement and suggestions, one sticky summary comment, annotations, the job summary, "
            "step outputs, optionally SARIF and a check run. Every option can also be given as an action "
            "input (INPUT_<NAME> environment variable, e.g. INPUT_FAIL-ON); a flag wins over an input."
        ),
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="migration directories or files (input `paths`; default: the configured roots, else .)")
    p.add_argument("--config", metavar="FILE", help="configuration file (input `config`)")
    p.add_argument("--preset", metavar="NAME", help="base preset (input `preset`)")
    p.add_argument("--pg-version", type=int, metavar="N", help="PostgreSQL major version (input `pg-version`)")
    p.add_argument("--fail-on", choices=("error", "warning", "note", "never"), help="lowest severity that makes the exit code 1 (input `fail-on`)")
    p.add_argument("--select", action="append", default=None, metavar="RULES", help="only these rules or families (input `select`)")
    p.add_argument("--ignore", action="append", default=None, metavar="RULES", help="not these rules or families (input `ignore`)")
    p.add_argument("--base", metavar="REF", help="base commit for the history rules (input `base-ref`; default: the PR's base SHA when the checkout has it)")
    p.add_argument("--comment-mode", choices=MODES, help="what to post on the pull request (input `comment-mode`; default review)")
    p.add_argument("--sarif-file", metavar="FILE", help="also write SARIF here, for github/codeql-action/upload-sarif (input `sarif-file`)")
    p.add_argument("--check-run", action="store_const", const="true", help="also create a check run with annotations (input `check-run`; needs checks: write)")
    p.add_argument("--max-comments", type=int, metavar="N", help=f"open miglint review threads on the pull request at most, counted across runs (input `max-comments`; default {MAX_COMMENTS})")
    p.add_argument("--inline-level", choices=INLINE_LEVELS, help="lowest severity posted as a review thread, on lines the PR changed; the rest go to the summary comment (input `inline-level`; default warning)")
    p.add_argument("--diff-source", choices=("auto", "api", "git"), help="where the changed files and their diffs come from (input `diff-source`; default auto: the API for pull requests, git when the API cannot tell)")
    p.add_argument("--all-files", action="store_const", const="true", help="report findings in every linted file, not only the changed ones (input `all-files`)")
    p.add_argument("--save-bundle", metavar="FILE", help="write what is needed to post later (fork-safe workflow_run pattern) to FILE (input `save-bundle`)")
    p.add_argument("--bundle", metavar="FILE", help="post from a bundle written by --save-bundle instead of linting, in a workflow_run job (input `bundle`)")
    p.add_argument("--verify", action="store_const", const="true",
                   help="also replay the changed migrations on PostgreSQL (miglint verify) and merge what it found (input `verify`; needs the verify extra and a server)")
    p.add_argument("--database-url", metavar="URL", help="with --verify: the server to verify on, e.g. a services container (input `database-url`; default: a server miglint starts)")
    p.add_argument("--database-is-throwaway", action="store_const", const="true",
                   help="with --database-url: nothing on that server matters (input `database-is-throwaway`)")
    p.add_argument("--bot-login", metavar="LOGIN", help="the login miglint's comments are posted as, when the token is not the workflow's GITHUB_TOKEN (input `bot-login`; default github-actions[bot]); only comments by it are ever edited or deleted")
    return p
