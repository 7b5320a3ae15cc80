"""Attach partitions after a validated CHECK constraint that matches the partition bound.

## Why is this bad?
`ALTER TABLE parent ATTACH PARTITION part FOR VALUES …` scans the whole of `part` to
prove every row fits the bound, holding an ACCESS EXCLUSIVE lock on `part` (all reads
and writes of it wait) and, from PostgreSQL 12, SHARE UPDATE EXCLUSIVE on the parent
(ACCESS EXCLUSIVE before 12). When the parent has a DEFAULT partition, that partition is
scanned under the same lock too, to prove it holds no row of the new range. PostgreSQL
skips the scan of `part` when a valid CHECK constraint on it implies the partition
constraint: add one with NOT VALID, VALIDATE it (SHARE UPDATE EXCLUSIVE, reads and writes
go on), attach, then drop the now redundant CHECK.

miglint cannot prove that a CHECK implies the bound: any validated CHECK constraint that
the same file added to the partition before the ATTACH counts.

## Example
```sql
ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
```

## Use instead
```sql
ALTER TABLE events_2025 ADD CONSTRAINT events_2025_bound
  CHECK (at IS NOT NULL AND at >= '2025-01-01' AND at < '2026-01-01') NOT VALID;
ALTER TABLE events_2025 VALIDATE CONSTRAINT events_2025_bound;
ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE events_2025 DROP CONSTRAINT events_2025_bound;
```

## Options
None. Not reported: partitions created earlier in the same file (empty), and statements
inside the bodies of functions the file does not call.

## PostgreSQL versions
All versions with declarative partitioning (10+). The lighter SHARE UPDATE EXCLUSIVE
lock on the parent holds from PostgreSQL 12.

## References
- ALTER TABLE, ATTACH PARTITION: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-ATTACH-PARTITION
- Partition maintenance: https://www.postgresql.org/docs/current/ddl-partitioning.html#DDL-PARTITIONING-DECLARATIVE-MAINTENANCE
"""

from linter.pg import columns, names
from linter.pg.locks import LockMode

ID = "attach-partition-without-check"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS = {}
DEFAULTS = {}
ALIASES = ()
#: folded into this finding on its statement: a matching CHECK spares the scan of the partition (ATTACH still takes its locks: a lock timeout still matters)
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("AlterTableStmt",)  # the engine only calls check() for these statement kinds
SUBCOMMANDS = ("AT_AttachPartition",)  # and only ALTER TABLEs with one of these subcommands


def check(ctx, stmt, options):
    if stmt.kind != "AlterTableStmt" or columns.in_function_body(stmt):
        return
    cmds = list(columns.alter_cmds(stmt, "AT_AttachPartition"))
    if not cmds or stmt.body.get("objtype") != "OBJECT_TABLE":
        return
    parent = names.relation(stmt.body.get("relation"))
    parent_lock = LockMode.SHARE_UPDATE_EXCLUSIVE if ctx.pg_version >= 12 else LockMode.ACCESS_EXCLUSIVE
    lock = LockMode.ACCESS_EXCLUSIVE
    for cmd in cmds:
        part_rv = cmd.get("def", {}).get("PartitionCmd", {}).get("name") or {}
        if ctx.pg.is_new_table(part_rv, stmt):
            continue
        key = names.table_key(part_rv)
        if _validated_check(ctx, stmt, key):
            continue
        part = names.relation(part_rv)
        yield ctx.violation(
            stmt,
            f'ALTER TABLE "{parent}" ATTACH PARTITION "{part}" scans "{part}" to check every row against the bound '
            f'while holding an {lock.label} lock on it, which blocks {lock.blocks} of "{part}" '
            f'({parent_lock.label} on "{parent}")',
            node=part_rv,
            help=(f'Before the ATTACH, add a CHECK constraint to "{part}" that matches the partition bound (partition '
                  "key IS NOT NULL and within the range) with NOT VALID, then VALIDATE it: PostgreSQL then skips the "
                  "scan. Drop the CHECK after the ATTACH. A DEFAULT partition of the parent is scanned too, unless a "
                  "CHECK on it excludes the new range."),
            lock=lock.label,
            table=part,
            blocks=lock.blocks,
            scan=True,
        )


def _validated_check(ctx, stmt, key):
    """True when a validated CHECK constraint was added to table ``key`` before ``stmt``."""
    pending = {}
    for st in ctx.source.statements:
        if st.index >= stmt.index:
            break
        if st.kind != "AlterTableStmt" or names.table_key(st.body.get("relation")) != key:
            continue
        for cmd in columns.alter_cmds(st, "AT_AddConstraint", "AT_ValidateConstraint", "AT_DropConstraint"):
            con = cmd.get("def", {}).get("Constraint", {})
            if cmd["subtype"] == "AT_AddConstraint" and con.get("contype") == "CONSTR_CHECK":
                pending[con.get("conname") or id(con)] = not con.get("skip_validation")
            elif cmd["subtype"] == "AT_ValidateConstraint" and cmd.get("name") in pending:
                pending[cmd["name"]] = True
            elif cmd["subtype"] == "AT_DropConstraint":
                pending.pop(cmd.get("name"), None)
    return any(pending.values())
