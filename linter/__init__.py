"""miglint: a linter for PostgreSQL database migrations.

The import package is ``linter``; the command is ``miglint`` (see :mod:`linter.cli`).
"""

__version__ = "0.1.0"

#: Where the project lives; rule documentation links are built from it.
HOMEPAGE = "https://github.com/miglint/miglint"

#: Base URL of the per-rule documentation (``docs/rules.md`` anchors).
DOCS_BASE = HOMEPAGE + "/blob/main/docs/rules.md"
