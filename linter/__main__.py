"""``python -m linter`` runs the ``miglint`` command."""

import sys

from linter.cli import main

sys.exit(main())
