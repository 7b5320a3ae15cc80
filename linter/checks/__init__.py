"""One module per rule, named after the rule id (see :mod:`linter.registry`)."""
