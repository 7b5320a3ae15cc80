"""The server took a lock miglint's static lock model did not predict.

## Why is this bad?
Every locking rule, the lock report and the PR summary take their lock modes from miglint's
static model of PostgreSQL (`linter/pg/locks.py`, from the "Explicit Locking" tables and
`AlterTableGetLockLevel`). When `miglint verify` replays a statement on a real server and
reads its locks from `pg_locks`, a lock the model did not predict means those claims
understate what the migration does: a mode that blocks more than predicted (the server took
ACCESS EXCLUSIVE where the model said SHARE UPDATE EXCLUSIVE), or a strong lock on a
relation the model did not name at all (a referenced table, a view, another table a
statement touches). The rule reports each such statement once, naming every relation and
mode the model missed. It leaves out what the model covers by implication: locks no
stronger than ROW EXCLUSIVE (what reads and writes take), locks on relations created in the
same transaction (invisible to other sessions), and locks on an index, owned sequence, partition or inheritance child no stronger
than the model's lock on its table, the table of an index the model names (`DROP INDEX`
locks the index's table: the model says so but can name only the index), and the tables
the migration set knows a statement locks through its ties (`linter/migset/references.py`,
from the earlier migrations of the root: the other table of a foreign key dropped by `DROP
CONSTRAINT`, by `DROP COLUMN` of its column, with its `DROP TABLE`, or with CASCADE by
dropping the unique index, key or column it depends on, whose triggers are dropped under
ACCESS EXCLUSIVE; a dropped table's partitioned parent; the DEFAULT partition `ATTACH
PARTITION` scans). What the set does not know (a foreign key or DEFAULT partition made in
a `DO` block) is still reported. A `DO` block or `CALL` runs statements the static
analysis reports on their own lines, so they are left out too. A row change (`INSERT`,
`UPDATE`, `DELETE` …) fires its table's triggers, whose code the static model does not
follow: when it was granted such a lock, the finding names the triggers and what the lock
blocks (LemmyNet/lemmy's `DELETE FROM user_` fires a statement trigger that runs `REFRESH
MATERIALIZED VIEW CONCURRENTLY` on three views: EXCLUSIVE on them until the migration
commits, which every session whose writes fire the same refresh waits for, while plain
`SELECT`s of the views go on). Only `miglint verify` reports
this rule; it asks the static model about the server's major version (what
`miglint verify` uses unless `--pg-version` says otherwise).

## Example
```sql
-- flyway:executeInTransaction=false
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
DO $$BEGIN EXECUTE 'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id)'; END$$;
DROP TABLE orders;
```
(dropping `orders` drops its foreign key's triggers on `users`, under ACCESS EXCLUSIVE on
`users` too; the key is made by dynamic SQL, which the migration set does not read, so the
model predicts the lock on `orders` only).

## Use instead
```sql
-- flyway:executeInTransaction=false
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
DROP TABLE orders;
```
(the key declared in plain SQL, which the set reads: the lock on `users` is predicted. The
example shows what the rule reports more than a fix: until the model learns a statement's
lock, plan for what the server took).

## Options
None.

## PostgreSQL versions
The server `miglint verify` starts; the static model is asked for the same major.

## References
- PostgreSQL docs, "13.3. Explicit Locking", Table 13.2 "Conflicting Lock Modes": https://www.postgresql.org/docs/current/explicit-locking.html
- PostgreSQL docs, "pg_locks": https://www.postgresql.org/docs/current/view-pg-locks.html
"""

from linter.pg.locks import LockMode

ID = "verify-lock-differs"
FAMILY = "verify"
SCOPE = "verify"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()
#: what linter.verify.findings passes to check(): each statement whose locks were observed
SUBJECT = "observed"

#: Statements whose locks come from code they run, which the static analysis follows on
#: the code's own lines (linter/pg/plpgsql.py).
_RUNS_CODE = frozenset({"DoStmt", "CallStmt"})


def unpredicted(run, effects) -> list[tuple[str, LockMode]]:
    """``[(relation, mode)]`` the statement run ``run`` (a
    :class:`linter.verify.replay.StatementRun`) was granted or waited for that the static
    ``effects`` (:class:`linter.pg.locks.LockEffect`) do not cover: the strongest observed
    mode per pre-existing relation, stronger than ROW EXCLUSIVE, whose conflicts are not all
    conflicts of a mode the model predicts on that relation or the relation it belongs to
    (an index's table, a partition's parent …, followed upwards). A mode the model predicts
    on an index covers the index's table (``DROP INDEX`` locks the table: the model and the
    rules say "the index's table" but can only name the index)."""
    from linter.verify.findings import _matches

    parents = {lk.relation: lk.parent for lk in run.locks if lk.parent}
    strongest: dict[str, LockMode] = {}
    for lk in run.locks:
        if lk.new or lk.mode <= LockMode.ROW_EXCLUSIVE:
            continue
        strongest[lk.relation] = max(strongest.get(lk.relation, lk.mode), lk.mode)
        if lk.parent:
            parents.setdefault(lk.relation, lk.parent)
    out = []
    for rel, mode in strongest.items():
        wanted = {m for m in LockMode if mode.conflicts_with(m)}
        chain, cur = [], rel
        while cur and cur not in chain:
            chain.append(cur)
            cur = parents.get(cur, "")
        covered = any(
            wanted <= {m for m in LockMode if e.mode.conflicts_with(m)}
            for e in effects if e.relation for r in chain
            if _matches(r, e.relation) or any(t == r and _matches(i, e.relation) for i, t in run.index_tables))
        if not covered:
            out.append((rel, mode))
    return sorted(out, key=lambda x: (-x[1], x[0]))


def check(ctx, run, options):
    """``run``: a :class:`linter.verify.replay.StatementRun` whose locks were observed."""
    if run.stmt is None or run.stmt.kind in _RUNS_CODE or not run.locks:
        return
    major = (run.server_version or "").split(".", 1)[0]
    if major.isdigit() and int(major) != ctx.pg_version:
        from linter.pg import locks

        effects = locks.effects(run.stmt, int(major))  # the model for the server that ran it
    else:
        effects = ctx.pg.locks(run.stmt)
    if run.set_locked:  # what the migration set knows the statement locks through its ties
        from linter.pg.locks import LockEffect

        effects = [*effects, *(LockEffect(t, LockMode.ACCESS_EXCLUSIVE, "a tie the migration set knows")
                               for t in run.set_locked)]
    missed = unpredicted(run, effects)
    if not missed:
        return
    said = "; ".join(f"{e.mode.label} on {e.relation}" for e in effects if e.relation) or "no lock"
    took = ", ".join(f"{m.label} on {r}" for r, m in missed)
    if run.triggers:
        # a row change fires its table's triggers; their code took the locks (the static
        # model reads the statement, not the functions triggers run)
        fired = ", ".join(f"trigger {t} on {rel} runs {fn}()" for rel, t, fn in run.triggers)
        top = max(m for _, m in missed)
        who = ("every query on them" if top.blocks_reads else
               "every session that writes to them or fires the same triggers, while plain reads go on" if top.blocks_writes
               else "sessions that take a conflicting lock on them")
        message = (f"the server took {took}, in the code of the triggers this statement fires ({fired}), which the "
                   f"static lock model does not follow (it predicts {said}): held until the transaction commits, "
                   f"it makes {who} wait")
        help = ("Plan for the lock the triggers take (a quiet window, a short transaction: every session whose writes "
                "fire the same triggers waits for it), or run the statement where the triggers are not needed with "
                "them disabled.")
    else:
        message = (f"the server took {took}, which the static lock model did not predict (it predicts {said}); "
                   f"miglint's lock claims for this statement understate it")
        help = ("Plan for the lock the server took (a lock_timeout, a quiet window), and report the statement to "
                "miglint so that its lock model learns it.")
    yield ctx.violation(
        run.stmt,
        message,
        help=help,
        context=f"lock-differs:{took}",
        observed=[{"relation": r, "mode": m.label} for r, m in missed],
        predicted=[{"relation": e.relation, "mode": e.mode.label} for e in effects if e.relation],
        server_version=run.server_version,
        **({"triggers": [{"relation": rel, "trigger": t, "function": fn} for rel, t, fn in run.triggers]} if run.triggers else {}),
    )
