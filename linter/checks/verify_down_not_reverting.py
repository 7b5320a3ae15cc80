"""The down migration does not restore the schema from before the up (seen by `miglint verify`).

## Why is this bad?
A rollback that leaves objects behind, or removes more than the up created, breaks the next
deploy of the same migration (an index that already exists, a column that is gone) and
hides the real state of a database rolled back in an incident. `miglint verify` runs each
new migration's up on its throwaway server, then its down (the down section of a dbmate or
goose file, or the paired down file) as the tool runs it, and compares a catalog snapshot
of the schema (tables, columns with their types, defaults and NOT NULL, constraints,
indexes, views, functions, triggers, types, sequences, policies, extensions; no OIDs, no
data) taken before the up with one taken after the down. Each difference is named:
`only after: index public.users_email_idx` (left behind), `only before: column
public.users.note` (dropped and not restored), `changed: column public.users.score: integer
-> bigint`. Columns that come back in another order (a down that drops a column and adds it
again puts it last) are a note, not a difference. A down that fails outright is a
`verify-statement-failed` finding instead.

## Example
```sql
-- migrate:up
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE INDEX users_email_idx ON users (email);
-- migrate:down
DROP INDEX users_email_idx;
```

## Use instead
```sql
-- migrate:up
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE INDEX users_email_idx ON users (email);
-- migrate:down
DROP TABLE users;
```

## Options
None. `--roundtrip new|all|off` says which migrations get a round trip (default `new`: those `--base`
says are new, else the last of each root).

## PostgreSQL versions
The server `miglint verify` runs on; the snapshot uses `pg_get_constraintdef`,
`pg_get_indexdef`, `pg_get_viewdef`, `pg_get_functiondef` and `pg_get_triggerdef`.

## References
- PostgreSQL docs, "System Catalogs": https://www.postgresql.org/docs/current/catalogs.html
- seqwall (round-trip checking of migrations): https://github.com/realkarych/seqwall
"""

from linter.verify.snapshot import describe

ID = "verify-down-not-reverting"
FAMILY = "verify"
SCOPE = "verify"
DEFAULT_LEVEL = "error"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
#: what linter.verify.findings passes to check(): the RoundTrip, with the down's context
SUBJECT = "down"

#: differences named in the message; the rest are counted
SHOWN = 5


def check(ctx, rt, options):
    """``rt``: a :class:`linter.verify.replay.RoundTrip` whose down ran; ``ctx``: the
    down's file context."""
    if rt.status == "down-failed" or not rt.not_reverted:
        return
    diffs = rt.not_reverted
    where = rt.down.statements[0].stmt if rt.down.statements else _down_marker(ctx)
    yield ctx.violation(
        where,
        f"the down does not restore the schema from before the up {describe(diffs, SHOWN)}",
        help="Make the down undo exactly what the up does, in reverse order: drop what the up creates, "
             "restore what it drops or changes.",
        context="down-not-reverting",
        differences=list(diffs),
        column_order=list(rt.order_notes),
        server_version=rt.down.statements[0].server_version if rt.down.statements else "",
    )


def _down_marker(ctx):
    """The span of the down section's marker line (an empty down section), else None (the file)."""
    from linter.model import Direction, Span

    for sec in getattr(ctx.source, "sections", ()) or ():
        if sec.direction is Direction.DOWN and sec.marker_line:
            return Span.at(sec.marker_line, 1)
    return None
