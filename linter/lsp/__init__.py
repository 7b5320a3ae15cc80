"""``miglint server``: a language server (LSP) for editors, on pygls.

The parts, each in its own module:

* :mod:`linter.lsp.positions`: miglint's 1-based character columns <-> LSP positions
  (UTF-16 code units unless the client negotiated another encoding).
* :mod:`linter.lsp.project`: one workspace folder: its configuration, its migration files
  and what linting them gave; re-lints an edited buffer and re-runs the file-set rules of
  its migration root (naming, versions, rollback pairs). No pygls here.
* :mod:`linter.lsp.hover`: hover text (the rule's doc for a finding, the lock report of
  the statement under the cursor).
* :mod:`linter.lsp.server`: the pygls wiring (diagnostics, code actions, hover, watched
  files, debouncing). pygls is the optional ``server`` extra and only imported here, so
  ``miglint lint`` never loads it.
"""
