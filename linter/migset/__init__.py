"""What the migration-set rules (naming, versioning, rollback, history) share.

A ``file-set`` check sees one migration root at a time and never reads files itself
(STYLE.md): what it needs of each file's SQL comes from the workers, as a small picklable
summary per file (:mod:`linter.migset.summary`), and what it needs of git or of a checksum
manifest comes from :mod:`linter.migset.history`, loaded once in the parent process.

* :mod:`~linter.migset.kinds`: the category of a statement (DDL, index, constraint, DML,
  partitioning, security, maintenance), for the sequence-range rules.
* :mod:`~linter.migset.objects`: the objects a statement creates, drops, renames or depends
  on, for the rollback rules.
* :mod:`~linter.migset.summary`: builds the per-file summary the workers send back.
* :mod:`~linter.migset.names`: version shapes, timestamps, name schemes, sequence ranges.
* :mod:`~linter.migset.manifest`: the ``miglint hash`` checksum manifest.
* :mod:`~linter.migset.history`: what changed since the base branch (git) or since the
  manifest was written.
"""
