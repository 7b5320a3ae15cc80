"""Rolling back this migration takes locks that block traffic.

## Why is this bad?
A down migration runs when a release is undone: by hand, once, often while the
application is still serving. Its `DROP INDEX`, `ALTER TABLE … ALTER COLUMN … TYPE` or
`CREATE INDEX` take the same locks as in an up migration, but a finding per statement
("no lock_timeout set", "CREATE INDEX without CONCURRENTLY") is rarely acted on in code
that exists to restore the previous schema. What the person rolling back needs to know is
which tables it blocks, and how hard, so they can pick the moment. This note says that
once per down migration (a down file, a `U` file, a `down/` mirror, a `-- migrate:down`
or `-- +goose Down` section), at its first locking statement, in place of the lock-hazard
findings (locks, rewrites, scans, timeouts: the rules whose docs say so) on its
statements. Findings of correctness rules (`syntax-error`,
`non-transactional-statement-in-transaction`, `nested-transaction`,
`not-null-column-without-default`, the `rollback` family…) keep their level on down code.

Teams that roll back under live traffic get the per-statement findings back with
`rollback_locking: full` in the configuration (the `flyway-dated` preset does that: its
standard makes downs mandatory for production rollback); `rollback_locking: off` drops
them without this note.

## Example
```sql
-- file: 0042_add_email_index.up.sql
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
-- file: 0042_add_email_index.down.sql
DROP INDEX users_email_idx;
```

## Use instead
```sql
-- file: 0042_add_email_index.up.sql
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
-- file: 0042_add_email_index.down.sql
DROP INDEX CONCURRENTLY users_email_idx;
```

## Options
None. The top-level setting `rollback_locking` (`off`, `summary`, `full`; default
`summary`) decides whether this rule reports.

## PostgreSQL versions
All versions.

## References
- Explicit locking, table-level lock modes: https://www.postgresql.org/docs/current/explicit-locking.html
"""

from __future__ import annotations

from linter.pg.locks import LockMode

ID = "locking-in-rollback"
FAMILY = "locking"
SCOPE = "file"  # run by the engine after the other rules, from what it folded (linter.rollback_locks)
DEFAULT_LEVEL = "note"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
#: Rules the docstring's examples are checked with: this rule summarises their findings.
EXAMPLE_ALSO = ("non-concurrent-drop-index",)

_MODES = {m.label: m for m in LockMode}
_SHOWN = 4


def check(ctx, options):
    """One note per group of ``ctx.rollback_locks`` (:func:`linter.rollback_locks.fold`):
    the lock modes the down takes, strongest first, each with its tables."""
    for group in getattr(ctx, "rollback_locks", None) or ():
        yield _note(ctx, group)


def _note(ctx, group: list):
    locks: dict[str, dict[str, None]] = {}
    blocking: dict[str, str] = {}  # lock mode -> what it blocks, as the first finding with it says
    rewrites: dict[str, None] = {}
    rules: dict[str, None] = {}
    lines: dict[int, None] = {}
    group = sorted(group, key=lambda rv: (rv[1].span.start.line, rv[1].span.start.column))
    named = {v.span.start.line for _r, v in group if v.properties.get("table")}
    for rule, v in group:
        rules[rule.id] = None
        lines[v.span.start.line] = None
        mode = v.properties.get("lock")
        tables = [f'"{t}"' for t in str(v.properties.get("table") or "").split(", ") if t]
        if not tables and v.properties.get("index") and v.span.start.line not in named:  # DROP INDEX, table unknown
            index = v.properties["index"]
            tables = [f'the table of "{i}"' for i in ([index] if isinstance(index, str) else index)]
        if mode in _MODES and tables:
            for t in tables:
                locks.setdefault(mode, {})[t] = None
            blocking.setdefault(mode, str(v.properties.get("blocks") or _MODES[mode].blocks))
        if v.properties.get("rewrite"):
            rewrites.update(dict.fromkeys(tables))
    first = group[0][1]
    modes = sorted(locks, key=lambda m: -_MODES[m])
    if modes:
        what = "; ".join(f"{m} on {_names(list(locks[m]))}" for m in modes)
        message = f"rolling back takes {what}"
        if rewrites:
            message += f", rewriting {_names(list(rewrites))}"
        blocks = blocking[modes[0]]
        message += f": it blocks {blocks} while it runs, so run it off-peak"
    else:
        blocks = ""
        message = "rolling back runs statements that hold their locks for long: run it off-peak"
    shown = ", ".join(map(str, lines))
    help_text = (f"Flagged on line{'s' if len(lines) > 1 else ''} {shown} by {', '.join(rules)}. "
                 "Set `lock_timeout` at the top of the down migration so a rollback never queues "
                 "behind a long transaction; set `rollback_locking: full` to report each finding.")
    props = {"lock": modes[0] if modes else "", "table": ", ".join(t[1:-1] for m in modes for t in locks[m] if t[0] == '"'),
             "blocks": blocks, "rules": list(rules), "statements": len(lines)}
    return ctx.violation(first.span, message, help=help_text, context=message, **props)


def _names(tables: list[str]) -> str:
    shown = ", ".join(tables[:_SHOWN])
    return shown + (f" and {len(tables) - _SHOWN} more" if len(tables) > _SHOWN else "")
