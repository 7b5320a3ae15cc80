"""Running the up again after its down gives another schema, or fails (seen by `miglint verify`).

## Why is this bad?
Up → down → up must be stable: a rollback followed by a redeploy (or `diesel migration
redo`, `dbmate rollback` then `dbmate up`) has to reach the schema the first deploy reached.
When the down leaves something the up does not expect (a role the up creates without
checking), the up fails the second time; when the up depends on what the down changed, it
reaches another schema. `miglint verify` runs each new
migration's up, its down and its up again on its throwaway server and compares catalog
snapshots of the schema after the first and the second up (see
`verify-down-not-reverting` for what the snapshot holds). The finding names each
difference, or the statement that failed when the up does not run again.

A down that leaves the schema different is `verify-down-not-reverting`; this rule reports
what the snapshot of one database does not show: objects of the whole cluster, such as
roles, that the down leaves and the up creates again.

## Example
```sql
-- migrate:up
CREATE ROLE app_reader NOLOGIN;
CREATE TABLE users (id bigint PRIMARY KEY);
GRANT SELECT ON users TO app_reader;
-- migrate:down
DROP TABLE users;
```

## Use instead
```sql
-- migrate:up
CREATE ROLE app_reader NOLOGIN;
CREATE TABLE users (id bigint PRIMARY KEY);
GRANT SELECT ON users TO app_reader;
-- migrate:down
DROP TABLE users;
DROP ROLE app_reader;
```

## Options
None. `--roundtrip new|all|off` says which migrations get a round trip (default `new`: those `--base`
says are new, else the last of each root).

## PostgreSQL versions
The server `miglint verify` runs on.

## References
- diesel issue 1584, "migration redo should check the schema": https://github.com/diesel-rs/diesel/issues/1584
- seqwall (round-trip checking of migrations): https://github.com/realkarych/seqwall
"""

from linter.verify.snapshot import describe

ID = "verify-roundtrip-drift"
FAMILY = "verify"
SCOPE = "verify"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
#: what linter.verify.findings passes to check(): the up's FileRun, with the up's context
SUBJECT = "up"

SHOWN = 5


def check(ctx, run, options):
    """``run``: the up's :class:`linter.verify.replay.FileRun` with its ``roundtrip``."""
    rt = run.roundtrip
    if rt is None or rt.status == "down-failed" or rt.not_reverted:
        return  # a down that fails or leaves another schema is the defect: reported on the down
    first = run.statements[0].stmt if run.statements else None
    if rt.status == "up-failed":
        bad = next((s for s in rt.up_again.statements if s.status in ("failed", "skipped")), None)
        if bad is None:
            return
        yield ctx.violation(
            bad.stmt,
            f"after the down, the up fails when run again: {bad.sqlstate or ''} {bad.message or bad.reason}".replace("  ", " "),
            help="Make the down remove everything the up creates (or guard the up with IF NOT EXISTS), so that a "
                 "rollback followed by a redeploy works.",
            context=f"up-again-failed:{bad.sqlstate}",
            sqlstate=bad.sqlstate,
            server_version=bad.server_version,
        )
        return
    if not rt.drift:
        return
    yield ctx.violation(
        first,
        f"up → down → up reaches another schema than the first up {describe(rt.drift, SHOWN)}",
        help="Make the down undo exactly what the up does, so that a rollback followed by a redeploy reaches the same schema.",
        context="roundtrip-drift",
        differences=list(rt.drift),
    )
