"""Exit codes of every ``miglint`` command and the error that means exit code 2.

Shared by :mod:`linter.cli` and the pull-request bot (:mod:`linter.github`), which must not
import each other's private helpers.

* ``0`` (:data:`EXIT_OK`): nothing at or above ``--fail-on``;
* ``1`` (:data:`EXIT_FINDINGS`): findings at or above it;
* ``2`` (:data:`EXIT_ERROR`): a usage, configuration or I/O error (:class:`UsageError`).
"""

from __future__ import annotations

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A bad command line or unusable input path (exit code 2)."""
