"""Shared PostgreSQL knowledge for the rules: names, lock modes, rewrites, transactions,
and what a migration created before a given statement.

Rules ask these modules instead of re-deriving facts (squawk shares
``tables_created_in_transaction`` between rules the same way). Every fact cites the
PostgreSQL documentation page it comes from.
"""
