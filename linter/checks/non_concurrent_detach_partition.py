"""Detach partitions with DETACH PARTITION … CONCURRENTLY.

## Why is this bad?
`ALTER TABLE parent DETACH PARTITION part` takes an ACCESS EXCLUSIVE lock on the
partitioned table and on the partition. The detach itself is quick, but the lock waits for
every running query on the parent, and every query on the parent, reads included, queues
behind it meanwhile. `DETACH PARTITION … CONCURRENTLY` (PostgreSQL 14+) takes SHARE UPDATE
EXCLUSIVE on the parent and works in two transactions, so reads and writes of the parent
go on; the second transaction still takes ACCESS EXCLUSIVE on the partition itself, so it
waits for queries that read the partition directly (checked on a real server). It cannot run inside a transaction block, cannot be combined with other
subcommands, and is refused when the parent has a DEFAULT partition. If it is
interrupted, finish it with `ALTER TABLE … DETACH PARTITION … FINALIZE`.

The fix (add CONCURRENTLY) is offered only where the statement then runs outside a
transaction block; in a transaction CONCURRENTLY fails at deploy, so there the help says
how to move the statement and there is no fix.

## Example
```sql
ALTER TABLE events DETACH PARTITION events_2019;
```

## Use instead
```sql
ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;
```

## Options
None. Not reported: partitioned tables created earlier in the same file, `… FINALIZE`,
and statements inside the bodies of functions the file does not call.

## PostgreSQL versions
`CONCURRENTLY` exists from PostgreSQL 14; with `pg_version` below 14 there is no
non-blocking form and nothing is reported.

## References
- ALTER TABLE, DETACH PARTITION: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DETACH-PARTITION
- Partition maintenance: https://www.postgresql.org/docs/current/ddl-partitioning.html#DDL-PARTITIONING-DECLARATIVE-MAINTENANCE
"""

from linter.pg import columns, names, tokens
from linter.pg.locks import LockMode

ID = "non-concurrent-detach-partition"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ("require-concurrent-partition-detach",)
KINDS = ("AlterTableStmt",)  # the engine only calls check() for these statement kinds
SUBCOMMANDS = ("AT_DetachPartition",)  # and only ALTER TABLEs with one of these subcommands


def check(ctx, stmt, options):
    if stmt.kind != "AlterTableStmt" or ctx.pg_version < 14 or columns.in_function_body(stmt):
        return
    cmds = list(columns.alter_cmds(stmt, "AT_DetachPartition"))
    if not cmds:
        return
    rv = stmt.body.get("relation")
    if ctx.pg.is_new_table(rv, stmt):
        return
    parent = names.relation(rv)
    alone = len(stmt.body.get("cmds", ())) == 1
    tx = ctx.pg.transaction_context(stmt, made_concurrent=True)
    lock = LockMode.ACCESS_EXCLUSIVE
    for cmd in cmds:
        part_rv = cmd.get("def", {}).get("PartitionCmd", {})
        if part_rv.get("concurrent"):
            continue
        part_rv = part_rv.get("name") or {}
        part = names.relation(part_rv)
        help = ("Use DETACH PARTITION … CONCURRENTLY: it takes SHARE UPDATE EXCLUSIVE on the parent, so reads and "
                "writes go on; it cannot run inside a transaction block and is refused when the parent has a "
                "DEFAULT partition.")
        if not alone:
            help += " It must be the ALTER TABLE's only subcommand: split this statement."
        if tx is not None:
            help += f" Here it would run in a transaction: {tx[0]}. {tx[1]}"
        fix = None
        if tx is None and alone and stmt.parent is None and part_rv.get("location") is not None:
            start = stmt.offset_of(part_rv["location"])
            at = ctx.source.token_end(start)
            fix = ctx.fix(at, at, tokens.in_file_case(ctx.source, " CONCURRENTLY"), "Add CONCURRENTLY")
        yield ctx.violation(
            stmt,
            f'ALTER TABLE "{parent}" DETACH PARTITION "{part}" takes an {lock.label} lock on "{parent}", which '
            f"blocks {lock.blocks} of the whole partitioned table from the moment it starts waiting for running queries",
            node=part_rv,
            help=help,
            fix=fix,
            lock=lock.label,
            table=parent,
            blocks=lock.blocks,
        )
