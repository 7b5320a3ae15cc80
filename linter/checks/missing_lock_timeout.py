"""Set lock_timeout before the first statement that waits for a lock blocking traffic.

## Why is this bad?
A statement that needs a lock conflicting with normal traffic (ACCESS EXCLUSIVE for most
`ALTER TABLE` forms, `DROP`, `TRUNCATE`; SHARE for `CREATE INDEX`; SHARE ROW EXCLUSIVE for
a foreign key, on the referenced table too) has to wait until every transaction already
using the table ends. While it waits it sits in the lock queue, and every later query
that conflicts with it queues behind it: for ACCESS EXCLUSIVE even plain `SELECT`s. One
long-running report or an idle-in-transaction session turns a one-millisecond `ALTER
TABLE` into an outage. With `lock_timeout` set the statement gives up after that long
instead (the migration fails and can be retried), and traffic goes on.

miglint follows the file as PostgreSQL runs it: `SET lock_timeout` and `SELECT
set_config('lock_timeout', …, false)` last for the session, `SET LOCAL` (or
`set_config(…, true)`) until the end of the transaction, and only inside one (outside a
transaction block `SET LOCAL` does nothing); `RESET`, `SET … TO DEFAULT` and a value of
`0` turn it off again; `ALTER ROLE … SET lock_timeout` and `ALTER DATABASE … SET` only
change the default of *new* sessions, so they do not count. Each up/down section of a
file is its own run. The finding is reported once per run, at the first statement left
unprotected that no more specific finding covers: where `non-concurrent-create-index`,
`non-concurrent-drop-index`, `non-concurrent-reindex` or `vacuum-full-or-cluster` reports
the statement (their fix takes no lock that blocks traffic), that finding ends with "no
lock_timeout is set" instead, and the next unprotected statement gets this one. Rules
whose fix still queues for a blocking lock (a foreign key `NOT VALID` still takes SHARE ROW
EXCLUSIVE, `SET NOT NULL` and a rewrite ACCESS EXCLUSIVE) leave it in place. Where
`missing-statement-timeout` would report the same statement, this one finding tells both
(it ends with "no statement_timeout is set") and its fix sets both. Statements on tables
created earlier in the file, and those taking only
locks that let reads and writes go on (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT,
plain INSERT/UPDATE/DELETE), do not count. Statements inside `DO` blocks count; those in
function bodies run later, when the function is called, and do not.

A run whose only such statements drop tables (`DROP TABLE`, retiring a table the code no
longer reads) is judged with what the migration set knows (`linter/migset/references.py`,
after all files): `DROP TABLE` takes ACCESS EXCLUSIVE on the dropped table and what goes
with it (indexes, owned sequences, with CASCADE the views on it), but also on the table
its foreign keys reference, on the tables whose foreign keys reference it (with CASCADE)
and on its partitioned parent (checked on a real server). When an earlier migration of
the set created each dropped table and ties it by none of these to a table outside the
statement, nothing but the retired tables is locked and no finding is given; when it ties
it to live tables, the message names them, since their traffic queues too. A table the
set does not create (its ties are unknown), or one the file builds again under the same
name (a rebuild the code keeps using), keeps the finding; so does a run that also drops
sequences or indexes (their locks are not judged), whose message still names the tied
tables. Likewise `ALTER TABLE … DROP CONSTRAINT` of a foreign key an earlier migration of
the set declared, and `DROP COLUMN` of a column such a key is on, take ACCESS EXCLUSIVE on
the table the key references too (its triggers there are dropped); with CASCADE, dropping
a primary key, unique constraint or column such a key of another table depends on drops
that key, under ACCESS EXCLUSIVE on its table; `ALTER COLUMN … TYPE` of a column such a
key is on, or references, makes the key again, under ACCESS EXCLUSIVE on its other table
(even when the type does not change); and `ATTACH PARTITION` to a table whose
DEFAULT partition the set knows takes ACCESS EXCLUSIVE on that partition and scans it
(checked on a real server): the message names those tables.

The fix puts `SET LOCAL lock_timeout = '5s';` before the statement. Where the statement
runs outside a transaction block, `SET LOCAL` would do nothing (PostgreSQL only warns), and
where the file commits its transaction and goes on (its own `BEGIN … COMMIT` blocks) it
would end at that `COMMIT`: the fix then puts plain `SET lock_timeout = '5s';` before it (which also covers the
migration's later statements), and the help asks for `RESET lock_timeout;` at the end of
the migration, so the setting does not outlive it on the migration tool's connection.

## Example
```sql
ALTER TABLE users ADD COLUMN nickname text;
```

## Use instead
```sql
SET LOCAL lock_timeout = '5s';
ALTER TABLE users ADD COLUMN nickname text;
```

## Options
- `value` (string, default `"5s"`): the timeout the fix sets.

If your migration tool already sets `lock_timeout` on its connection (`PGOPTIONS='-c
lock_timeout=5s'`, a connection-string option, a role default set outside the
migrations), the migrations cannot show it: disable this rule.

## PostgreSQL versions
`lock_timeout` exists since PostgreSQL 9.3; everything here holds for every supported
version.

## References
- Client connection defaults, `lock_timeout`: https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
- Explicit locking, table-level lock modes and conflicts: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
- SET (`SET LOCAL`): https://www.postgresql.org/docs/current/sql-set.html
- ALTER ROLE (`SET` applies to new sessions): https://www.postgresql.org/docs/current/sql-alterrole.html
- eugene, E9 "Taking dangerous lock without timeout": https://kaveland.no/eugene/hints/E9/
"""

from functools import partial

from linter.migset import references
from linter.model import Direction, Violation
from linter.pg import names, session

ID = "missing-lock-timeout"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "file"
DEFAULT_LEVEL = "warning"
OPTIONS = {"value": str}
DEFAULTS = {"value": "5s"}
ALIASES = ("require-lock-timeout", "require-timeout-settings")
#: on one statement, a missing statement_timeout is told in this finding, both SETs in one fix
JOINS = ("missing-statement-timeout",)
#: what the set declares about the tables a run only drops (linter.migset.references)
NEEDS = ("table_ties",)

def _blocking(step):
    return step.blocking


def check(ctx, options):
    if ctx.source is None or ctx.source.error is not None:  # baselines: the engine skips HAZARD rules
        return
    # every unprotected statement is a candidate: the first one no more specific finding
    # covers is reported (linter.merge); the others only fold "no lock_timeout is set" in
    found = session.unprotected(ctx.pg.session, "lock_timeout", _blocking)
    drops = _dropped_tables(ctx, found) if found else {}
    for step, effects in found:
        yield Violation(step.stmt.span, "", once=step.run, fold="no lock_timeout is set",
                        build=partial(_finding, ctx, step, effects, options["value"], drops.get(step.run)))


def _dropped_tables(ctx, found: list) -> dict:
    """``{run: (statement index, (bare table, ...), others)}`` for the runs of an up file
    whose unprotected statements (``found``) are top-level ``DROP TABLE``s, maybe with
    ``DROP SEQUENCE`` / ``DROP INDEX`` statements (``others``: locks the set cannot judge,
    so the finding stays, but it can still name the tables the dropped ones are tied to):
    the tables the set may know to be tied to nothing else
    (:mod:`linter.migset.references`), and the index of the first ``DROP TABLE``."""
    if ctx.file.direction is not Direction.UP:
        return {}
    runs: dict = {}
    for step, _effects in found:
        st = step.stmt
        got = runs.get(step.run)
        if got is False:
            continue
        kind = st.body.get("removeType") if st.kind == "DropStmt" else None
        if st.parent is not None or st.section is Direction.DOWN or kind not in _DROPS:
            runs[step.run] = False
            continue
        if kind != "OBJECT_TABLE":
            runs[step.run] = (None, (), True) if got is None else (got[0], got[1], True)
            continue
        tables = tuple(p[-1] for p in (names.strings(o) for o in st.body.get("objects", ()) or ()) if p)
        runs[step.run] = (st.index, tables, False) if got is None else (
            got[0] if got[0] is not None else st.index, got[1] + tables, got[2])
    return {run: got for run, got in runs.items() if got and got[1]}


#: DropStmt forms a table-dropping run may hold: DROP TABLE, and the sequences and indexes
#: retired with it (whose own locks the set cannot judge: they keep the finding).
_DROPS = frozenset({"OBJECT_TABLE", "OBJECT_SEQUENCE", "OBJECT_INDEX"})


def _finding(ctx, step, effects, value, drops=None):
    """The complete finding at ``step`` (only built for the candidate that is reported);
    ``drops`` (:func:`_dropped_tables` of its run) marks it for :func:`with_ties`."""
    best, tables = session.lock_target(effects)
    who = "every later query" if best.mode.blocks_reads else "every later write"
    message = (f"{best.what} waits for {session.article(best.mode.label)} lock on {tables} with no lock_timeout set: "
               f"while it waits behind a running transaction, {who} on {tables} queues behind it "
               f"(it blocks {best.mode.blocks})")
    sql, note = session.set_statement(ctx, step, "lock_timeout", value)
    help = (f"Set a lock timeout first (`{sql}`) so the statement gives up "
            "instead of blocking traffic, and retry the migration when it times out." + note)
    v = session.timeout_violation(ctx, step, "lock_timeout", value, effects, message, help)
    if drops is not None:
        v.properties[references.LOOKUP] = drops
    elif _drops_keys(ctx, step.stmt):
        v.properties[references.FK_LOOKUP] = step.stmt.index
    return v


#: ALTER TABLE subcommands that may lock a table the statement does not name through what
#: the migration set knows (:func:`linter.migset.references.set_locks`).
_SET_LOCKS = frozenset({"AT_DropConstraint", "AT_DropColumn", "AT_AttachPartition", "AT_AlterColumnType"})


def _drops_keys(ctx, st) -> bool:
    """Whether ``st`` is a top-level ``ALTER TABLE … DROP CONSTRAINT`` / ``DROP COLUMN`` /
    ``ALTER COLUMN … TYPE`` / ``ATTACH PARTITION`` of an up (what may drop or rebuild a
    foreign key the set knows, or scan a DEFAULT partition it knows: :func:`with_set_locks`)."""
    return (st.kind == "AlterTableStmt" and st.parent is None and st.section is not Direction.DOWN
            and ctx.file.direction is Direction.UP
            and any(c.get("AlterTableCmd", {}).get("subtype") in _SET_LOCKS
                    for c in st.body.get("cmds", ()) or ()))


def with_set_locks(finding, locks: tuple):
    """The finding at an ``ALTER TABLE … DROP CONSTRAINT`` / ``DROP COLUMN`` / ``ALTER
    COLUMN … TYPE`` / ``ATTACH PARTITION``, once the migration set says which other tables it takes ACCESS EXCLUSIVE
    on (:func:`linter.migset.references.set_locks`: ``((bare table, kind, why, scan),
    ...)``, empty when it knows none): restated to name them and say why (the table a
    dropped foreign key references, whose triggers there are dropped; a table whose foreign
    key CASCADE drops; the other table of a foreign key a column type change makes again;
    the DEFAULT partition an ATTACH scans; checked on a real server)."""
    if not locks:
        return finding
    from linter.model import replace

    def them(n: int) -> str:
        return "them" if n > 1 else "it"

    parts = []
    referenced = [got[0] for got in locks if got[1] == "references"]
    if referenced:
        n = len(referenced)
        parts.append(f"{'the foreign keys it drops reference' if n > 1 else 'the foreign key it drops references'} "
                     f"{_quoted(referenced)}, on which dropping {them(n)} takes ACCESS EXCLUSIVE too (the key's "
                     f"triggers there are dropped), so every query on {them(n)} queues as well")
    cascaded = [got[0] for got in locks if got[1] == "cascade"]
    if cascaded:
        from linter.migset.references import cascade_clause

        parts.append(cascade_clause(cascaded, "what it drops"))
    rebuilt = [got[0] for got in locks if got[1] == "rebuilt"]
    if rebuilt:
        n = len(rebuilt)
        parts.append(f"changing the type of a foreign key's column makes the key again, which takes ACCESS EXCLUSIVE on "
                     f"{_quoted(rebuilt)} too (the key's triggers there are dropped and created), so every query on "
                     f"{them(n)} queues as well")
    for got in locks:
        if got[1] == "default":
            parts.append(f'it also takes ACCESS EXCLUSIVE on "{got[0]}", the DEFAULT partition, and scans it for rows that '
                         "belong to the new partition, so every query on it queues for the whole scan")
    message = "; ".join((finding.message, *parts))
    props = dict(finding.properties)
    props["table"] = ", ".join(t for t in (props.get("table", ""), *(got[0] for got in locks)) if t)
    return replace(finding, message=message, properties=props)


def _quoted(tables: list) -> str:
    return ", ".join(f'"{t}"' for t in tables)


def with_ties(finding, tied, dropped: tuple = ()):
    """The finding of a run that only drops tables (``dropped``, bare names), once the
    migration set says what they are tied to (:func:`linter.migset.references.resolve`):
    kept as it is when ``tied`` is ``None`` (a table no earlier migration of the set
    created: its ties are unknown); dropped when it is empty (retired tables: their code no
    longer reads them, and ``DROP TABLE`` locks nothing else); else restated to name the
    tied tables, on which ``DROP TABLE`` takes ACCESS EXCLUSIVE too (the table a foreign
    key references, a referencing table with CASCADE, a partition's parent)."""
    if tied is None:
        return finding
    if not tied:
        return None
    from linter.model import replace

    others = ", ".join(f'"{t}"' for t in tied)
    several = len(dropped) > 1
    message = (f"{finding.message}; {'the tables this migration drops are' if several else 'the dropped table is'} "
               f"tied by a foreign key or as a partition to {others}, on which DROP TABLE takes ACCESS EXCLUSIVE too, "
               "so every query on them queues as well")
    props = dict(finding.properties)
    props["table"] = ", ".join(t for t in (props.get("table", ""), *tied) if t)
    return replace(finding, message=message, properties=props)
