"""Consecutive ALTER TABLE statements on one table that could be one statement.

## Why is this bad?
One `ALTER TABLE` with several comma-separated subcommands takes the table's lock once
and makes at most one pass over the table; separate statements pay each time:

- outside a transaction (autocommit, Flyway `executeInTransaction=false`, dbmate
  `transaction:false`), each statement queues for its lock again: more chances to block
  behind a long-running query and stall the traffic queued behind it;
- in a transaction the lock is already held, but each statement that rewrites or scans
  the table (a type change, SET NOT NULL, a CHECK or FOREIGN KEY being validated) reads
  the whole table again, with the lock held all along. "The main reason for providing
  the option to specify multiple changes in a single ALTER TABLE is that multiple table
  scans or rewrites can thereby be combined into a single pass over the table" (ALTER
  TABLE docs).

So in a transaction, only runs where two or more statements scan or rewrite are
reported; outside one, any run of two or more on an existing table (a file no known
tool runs, such as a drizzle file `meta/_journal.json` does not list, is judged as in a
transaction: only what holds either way is said). Only statements that
follow each other directly count (a `SET` between them does not break the run; the fix
is then not offered, since it would move a statement across the `SET`), with the same
`ONLY` and `IF EXISTS`; `ATTACH` and
`DETACH PARTITION` must stand alone, and a statement that changes the type of, or drops, a
column an earlier one of the run added is kept apart (PostgreSQL runs type changes and
drops before additions, so the combined statement would fail). Tables created earlier in
the file are not reported.

Reported once per run, at its second statement; the fix combines the run into its first
statement.

## Example
```sql
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
```

## Use instead
```sql
ALTER TABLE orders ALTER COLUMN status SET NOT NULL, ALTER COLUMN total SET NOT NULL;
```

## Options
None.

## PostgreSQL versions
All versions.

## References
- ALTER TABLE, Notes (combining subcommands into one pass): https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
- eugene, W12 "Multiple ALTER TABLE statements where one will do": https://kaveland.no/eugene/hints/W12/
"""

from linter.pg import columns, names, tokens

ID = "repeated-alter-table"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "file"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()

_ALONE = {"AT_AttachPartition", "AT_DetachPartition", "AT_DetachPartitionFinalize"}
_BEFORE_ADD = {"AT_AlterColumnType", "AT_DropColumn", "AT_SetExpression", "AT_DropExpression"}


def check(ctx, options):
    if ctx.source is None or ctx.source.error is not None:
        return
    pg = ctx.pg
    group: list = []
    group_key = None  # _key of the group's statements
    for step in pg.session.steps:
        stmt = step.stmt
        if stmt.parent is not None:
            continue
        if stmt.kind == "VariableSetStmt" and group:
            # a SET between two ALTER TABLEs (a lock_timeout before the second one, as the
            # timeout rules' fix puts it) does not keep them from being one statement
            continue
        key = _key(stmt)
        if key is None or not group or group_key != key or group[-1].run != step.run or not _combinable(group, stmt):
            if group:
                yield from _report(ctx, group)
            group = [step] if key is not None and not pg.is_new_table(stmt.body.get("relation"), stmt) else []
            group_key = key
            continue
        group.append(step)
    if group:
        yield from _report(ctx, group)


def _key(stmt):
    """What must match for two ALTER TABLEs to merge: the table, ONLY, IF EXISTS."""
    if stmt.kind != "AlterTableStmt" or stmt.body.get("objtype") not in ("OBJECT_TABLE", None):
        return None
    rv = stmt.body.get("relation") or {}
    cmds = [c.get("AlterTableCmd", {}) for c in stmt.body.get("cmds", ())]
    if not cmds or any(c.get("subtype") in _ALONE for c in cmds):
        return None
    return (names.relation(rv), bool(rv.get("inh")), bool(stmt.body.get("missing_ok")))


def _combinable(group, stmt) -> bool:
    """False when ``stmt`` changes or drops a column that the group adds: one ALTER TABLE
    runs those subcommands before its ADD COLUMNs, so the merged statement would fail."""
    added = set().union(*(columns.added_columns(s.stmt) for s in group))
    return not any(cmd.get("name") in added for cmd in columns.alter_cmds(stmt, *_BEFORE_ADD))


def _report(ctx, group):
    if len(group) < 2:
        return
    passes = [s for s in group if any(e.rewrite or e.scan for e in s.existing())]
    same_tx = all(s.tx is not None and s.tx == group[0].tx for s in group)
    if ctx.pg.transaction.unknown:  # no known tool runs the file (unlisted drizzle file)
        same_tx = True  # claim only what holds either way: a pass of its own per scan or rewrite
    if same_tx and len(passes) < 2:
        return
    table = names.relation(group[0].stmt.body.get("relation"))
    first_line = ctx.source.index.position(group[0].stmt.start).line
    n = len(group)
    if same_tx:
        message = (f'{n} ALTER TABLE statements in a row on "{table}" (from line {first_line}), {len(passes)} of which '
                   "scan or rewrite the table, each in a pass of its own while the lock is held: one ALTER TABLE with all "
                   "the subcommands makes a single pass")
    else:
        message = (f'{n} ALTER TABLE statements in a row on "{table}" (from line {first_line}), not in one transaction: '
                   "each waits for the table's lock again, and traffic queues behind each wait; one ALTER TABLE with all "
                   "the subcommands takes it once")
    yield ctx.violation(
        group[1].stmt,
        message,
        help="Combine them into one ALTER TABLE, separating the subcommands with commas.",
        fix=_merge(ctx, [s.stmt for s in group]),
        table=table,
        statements=n,
    )


def _merge(ctx, stmts):
    """One fix that appends the subcommands of ``stmts[1:]`` to ``stmts[0]``; ``None``
    when anything but whitespace and ``;`` sits between them (a comment would be lost)."""
    text = ctx.source.text
    first = stmts[0]
    line_start = text.rfind("\n", 0, first.start) + 1
    multiline = "\n" in text[first.start:first.end]
    joiner = ",\n" + " " * (first.start - line_start + 4) if multiline else ", "
    parts = []
    for prev, stmt in zip(stmts, stmts[1:]):
        if text[prev.end:stmt.start].strip() not in (";", ""):
            return None
        rest = tokens.subcommands_text(stmt)
        if not rest:  # no located table name, or nothing after it
            return None
        parts.append(rest)
    return ctx.fix(first.end, stmts[-1].end, joiner + joiner.join(parts), "Combine into one ALTER TABLE")
