"""VACUUM FULL and CLUSTER rewrite the whole table under an ACCESS EXCLUSIVE lock.

## Why is this bad?
`VACUUM FULL` and `CLUSTER` copy every live row of the table into a new file and rebuild
all its indexes, holding an ACCESS EXCLUSIVE lock the whole time: no query can even read
the table until they finish, and the copy needs as much free disk as the table itself.
On a table of any size that is downtime, not maintenance. Without a table name they do
this to every table in the database (`CLUSTER` to every table clustered before), one
after the other.

Plain `VACUUM` (SHARE UPDATE EXCLUSIVE: reads and writes go on) makes dead space
reusable, which is usually what a migration wants; to give space back to the operating
system without blocking traffic use `pg_repack` or `pg_squeeze`, or, from PostgreSQL 19,
`REPACK (CONCURRENTLY)`, which holds the exclusive lock only briefly at the end. These are
operations to schedule, not to hide in a schema migration. Tables created earlier in the
same file are not reported; neither is `VACUUM (FULL false)`.

The fix (PostgreSQL 19 and later) replaces the statement with `REPACK (CONCURRENTLY)` on
the same table (and index); `REPACK (CONCURRENTLY)` cannot run in a transaction block.

## Example
```sql
VACUUM FULL events;
```

## Use instead
```sql
VACUUM events;
```

## Options
None.

## PostgreSQL versions
All versions take ACCESS EXCLUSIVE for `VACUUM FULL` and `CLUSTER`. `REPACK` (with
`CONCURRENTLY`) exists from PostgreSQL 19.

## References
- VACUUM (FULL): https://www.postgresql.org/docs/current/sql-vacuum.html
- CLUSTER: https://www.postgresql.org/docs/current/sql-cluster.html
- Routine vacuuming, "Recovering Disk Space": https://www.postgresql.org/docs/current/routine-vacuuming.html#VACUUM-FOR-SPACE-RECOVERY
- PostgreSQL 19 feature matrix, REPACK (CONCURRENTLY): https://www.postgresql.org/about/featurematrix/detail/repack-concurrently/
- pg_repack: https://reorg.github.io/pg_repack/
"""

from linter.pg import columns, names, tokens

ID = "vacuum-full-or-cluster"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("prefer-repack",)
#: folded into this finding on its statement: plain VACUUM blocks neither reads nor writes: no blocking lock to wait for or hold
COVERS = ("missing-lock-timeout", "missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("VacuumStmt", "ClusterStmt")


def check(ctx, stmt, options):
    if columns.in_function_body(stmt):
        return
    effects = [e for e in ctx.pg.locks(stmt) if e.what in ("VACUUM FULL", "CLUSTER")]
    existing = [e for e in effects if e.node is None or not ctx.pg.is_new_table(e.node, stmt)]
    if not existing:
        return
    e = existing[0]
    tables = ", ".join(x.relation if x.relation.startswith("(") else f'"{x.relation}"' for x in existing)
    fix = None
    if ctx.pg_version >= 19 and stmt.parent is None:
        fix = ctx.fix(stmt.start, stmt.end, tokens.in_file_case(ctx.source, _repack(ctx, stmt)), "Replace with REPACK (CONCURRENTLY) (run it outside a transaction)")
    alternative = ("`REPACK (CONCURRENTLY)` (outside a transaction)" if ctx.pg_version >= 19
                   else "pg_repack or pg_squeeze (from PostgreSQL 19, `REPACK (CONCURRENTLY)`)")
    yield ctx.violation(
        stmt,
        f"{e.what} rewrites {tables} and rebuilds its indexes under an ACCESS EXCLUSIVE lock, "
        f"which blocks reads and writes until the copy is done",
        help=("Use plain VACUUM to make dead space reusable (it blocks neither reads nor writes); to return space to the "
              f"operating system without downtime use {alternative}, scheduled as maintenance rather than in a migration."),
        fix=fix,
        lock="ACCESS EXCLUSIVE",
        table=tables.replace('"', ""),
        blocks="reads and writes",
        rewrite=True,
    )


def _repack(ctx, stmt) -> str:
    body = stmt.body
    if stmt.kind == "ClusterStmt":
        rv = body.get("relation")
        if rv is None:
            return "REPACK (CONCURRENTLY)"
        idx = body.get("indexname")
        return f"REPACK (CONCURRENTLY) {_written(ctx, stmt, rv)}" + (f' USING INDEX "{idx}"' if idx and not idx.islower() else f" USING INDEX {idx}" if idx else "")
    rels = [_written(ctx, stmt, r.get("VacuumRelation", {}).get("relation")) for r in body.get("rels") or ()]
    return "REPACK (CONCURRENTLY)" + (" " + ", ".join(rels) if rels else "")


def _written(ctx, stmt, rv) -> str:
    """The relation name as the file writes it (quotes and schema kept)."""
    loc = (rv or {}).get("location")
    if loc is None or loc < 0:
        return names.relation(rv)
    start = stmt.offset_of(loc)
    return ctx.source.text[start:ctx.source.token_end(start)]
