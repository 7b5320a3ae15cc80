"""Turn a :class:`~linter.verify.replay.Replay` into findings.

* A failed statement becomes a finding of each enabled rule of scope ``"verify"``
  (``verify-statement-failed``), stamped as the engine stamps findings (severity from the
  configuration, fingerprint from the rule, path and statement).
* Each static finding that claims a lock (its ``lock`` and ``table`` properties, as the
  locking rules set them) on a statement whose locks were observed gets a ``verification``
  property: ``{"status": "confirmed" | "refuted" | "inconclusive", "observed": …,
  "server": "15.18"}``. *confirmed*: the server granted the statement that mode on that
  relation (and, when the finding says ``rewrite``, the relation's relfilenode changed);
  *refuted*: it granted another mode, none, or did not rewrite; *inconclusive*: the
  transaction already held that mode on that relation before the statement (an earlier
  statement took it, so this one's request is not visible in ``pg_locks``; the relation
  is followed by its OID through a rename), the claim is about a statement in a ``DO``
  block (a branch the block did not take runs nothing) or a function body, or a "may
  rewrite" claim whose table this server did not rewrite (a hedge that this one run
  neither bears out nor disproves). A ``missing-lock-timeout`` claim made once for a run of
  ``DROP`` statements is judged on the locks of the whole run.
* ``non-transactional-statement-in-transaction`` claims a failure: *confirmed* when the
  server refused the statement with SQLSTATE 25001, *refuted* when it ran it.
* The idempotency rules (:data:`RERUN_RULES`) claim a re-run fails: *confirmed* when a run
  again after a simulated failure (``FileRun.reruns``) failed at the statement, *refuted*
  when it ran it. When the file really failed and left an INVALID index (``FileRun.again``,
  the file run once more on what the failure left), that run again is the test: for
  ``CREATE INDEX CONCURRENTLY`` ("a failed build leaves an INVALID index, and the re-run
  fails") *confirmed* when the build failed, its index is among the invalid ones, and the
  run again failed at it.
"""

from __future__ import annotations

from linter.engine import _stamp
from linter.pg.locks import LockMode

_LABEL = {m.label: m for m in LockMode}
#: Its claim is a failure, not a lock: confirmed when the server refused the statement with
#: SQLSTATE 25001 ("cannot run inside a transaction block").
_FAILS_IN_TX = "non-transactional-statement-in-transaction"
#: Rules whose ``lock`` is the one an earlier statement of the transaction took and that is
#: still held while the statement runs: confirmed when the transaction holds it then.
_HELD_EARLIER = frozenset({"slow-statement-after-access-exclusive"})
#: A rule whose finding may speak for a run of statements: the tables a run of ``DROP
#: TABLE`` is tied to are locked by the drops of the run (:func:`_run_drops`).
_RUN_CLAIM = "missing-lock-timeout"
#: Statements whose claims are about a statement of their body (linter/pg/plpgsql.py
#: reports them on their own lines).
_RUNS_BODY = frozenset({"DoStmt", "CreateFunctionStmt"})
#: The words of a rewrite claim that is a hedge (add-column-rewrite's DEFAULT of a function
#: that may be volatile, column-type-rewrite's old type it cannot see): ``rewrite`` is True
#: (add-column-rewrite) or False (column-type-rewrite) on both; a hedge is confirmed when
#: the server rewrote, and inconclusive, not refuted, when it did not.
_HEDGE = " may rewrite "


def failure_findings(result, config) -> list:
    """Findings of the ``verify``-scope rules: each rule module's ``SUBJECT`` says what its
    ``check(ctx, subject, options)`` judges: ``"statement"`` (the default), every failed
    statement run (of an up, of its down in the round trip), with its file's context;
    ``"down"``, each round trip, with the down's context; ``"up"``, each up file run that
    had a round trip, with its context; ``"file"``, each file run that applied or failed
    (its re-runs, the indexes it left invalid), with its context; ``"observed"``, each
    statement whose locks were observed, with its file's context."""
    from linter import registry

    rules = [r for r in registry.all_rules().values() if r.scope == "verify"]
    out = []
    seen: dict = {}
    tied = None
    for fr in result.files:
        rt = fr.roundtrip
        # an up that fails when run again after its down is verify-roundtrip-drift's (or the
        # down's) finding, not a statement failure of its own
        runs = [fr] + ([rt.down] if rt is not None else [])
        for rule in rules:
            subject = getattr(rule.module, "SUBJECT", "statement")
            if subject == "statement":
                items = [(r.ctx, r.path, sr) for r in runs if r.ctx is not None for sr in r.statements if sr.status == "failed"]
            elif subject == "observed":
                if tied is None:  # once per verify, and only for a rule that reads it
                    tied = _set_locked(result)
                items = [(fr.ctx, fr.path, sr) for sr in fr.statements if sr.observed] if fr.ctx is not None else []
            elif subject == "file":
                items = [(fr.ctx, fr.path, fr)] if fr.ctx is not None and fr.status in ("applied", "failed") else []
            elif subject == "down":
                items = [(rt.down.ctx, rt.down.path, rt)] if rt is not None and rt.down.ctx is not None else []
            else:
                items = [(fr.ctx, fr.path, fr)] if rt is not None and fr.ctx is not None else []
            for ctx, path, item in items:
                setting = config.settings_for(path).get(rule.id)
                if setting is None:
                    continue
                for v in rule.module.check(ctx, item, setting.options):
                    out.append(_stamp(rule, setting, path, v, seen.setdefault(path, {})))
    return out


def _set_locked(result) -> dict:
    """Sets :attr:`~linter.verify.replay.StatementRun.set_locked` of each observed
    statement that takes ACCESS EXCLUSIVE on tables through ties the migration set knows
    (:func:`linter.migset.references.locked_through`: the table a dropped foreign key
    references, the tables a dropped table is tied to), replaying the tie events of each
    root's file runs in the order they ran (files whose runs came from the cached base
    have no context: their ties stay unknown). Returns ``{id(run): tables}``, once per
    verify."""
    from linter.migset import references

    states: dict = {}
    out: dict = {}
    for fr in result.files:
        source = getattr(fr.ctx, "source", None)
        if source is None or fr.status not in ("applied", "failed"):
            continue
        state = states.setdefault(fr.root, references._State())
        evs = references.events(source)
        k = 0
        for sr in fr.statements:
            if sr.stmt is None:
                continue
            while k < len(evs) and evs[k][0] < sr.stmt.index:
                state.apply(evs[k])
                k += 1
            if sr.observed and sr.stmt.parent is None:
                got = references.locked_through(state, sr.stmt)
                if got:
                    sr.set_locked = out[id(sr)] = got
        for ev in evs[k:]:
            state.apply(ev)
    return out


#: Static rules that claim a statement fails when the migration runs again: verified by the
#: re-runs (linter.verify.replay._reruns), and verify-not-rerunnable is not repeated on them.
RERUN_RULES = frozenset({"create-without-if-not-exists", "drop-without-if-exists", "create-without-or-replace", "create-without-guard"})


def _rerun_verification(fr, sr) -> dict | None:
    """The ``verification`` of a static "a re-run fails here" claim on ``sr`` from the
    re-runs of its file: *confirmed* when a run again after a commit point at or past the
    statement failed at it; *refuted* when such a run again ran it; None when no re-run
    ran the statement a second time. A file that failed and left an INVALID index is
    judged by its run again on what it left (:func:`_again_verification`)."""
    at = next((i for i, x in enumerate(fr.statements) if x is sr), None)
    if at is None:
        return None
    if fr.again is not None:
        return _again_verification(fr, sr, at)
    for rr in fr.reruns:
        if rr.committed <= at or at >= len(rr.run.statements):
            continue  # the statement had not run before this run again: no test of it
        again = rr.run.statements[at]
        if again.status == "failed":
            return {"server": sr.server_version, "status": "confirmed",
                    "observed": f"run again after line {rr.last_line}: {again.sqlstate} {again.message}"}
    for rr in fr.reruns:
        if rr.committed > at and at < len(rr.run.statements) and rr.run.statements[at].status == "ok":
            return {"server": sr.server_version, "status": "refuted",
                    "observed": f"run again after line {rr.last_line}, the server ran it without error"}
    return None


def _again_verification(fr, sr, at: int) -> dict | None:
    """The ``verification`` of a "a re-run fails here" claim on ``sr`` (the ``at``-th
    statement of the failed file run ``fr``) from ``fr.again``, the file run once more on
    what its failure left (:func:`linter.verify.replay._replay_root`). The statement left
    something behind when it committed (it ran outside a transaction) or when it is the
    failed ``CONCURRENTLY`` build whose index is among ``fr.invalid_indexes`` (PostgreSQL
    commits the index's catalog entry before the build: docs, CREATE INDEX, "Building
    Indexes Concurrently"); only then is its run again a test of the claim. None otherwise,
    or when the run again stopped before it."""
    if at >= len(fr.again.statements):
        return None
    body = sr.stmt.body if sr.stmt is not None else {}
    name = body.get("idxname") if sr.stmt is not None and sr.stmt.kind == "IndexStmt" and body.get("concurrent") else None
    left = [i for i in fr.invalid_indexes if name and i.rsplit(".", 1)[-1] == name]
    if sr.status == "failed" and left:
        first = f"the build failed ({sr.sqlstate} {sr.message}) and left the INVALID index {left[0]}"
    elif sr.status == "ok" and sr.in_transaction is False:
        first = f"it ran and committed, then the file failed at line {next((x.line for x in fr.statements if x.status == 'failed'), '?')}"
    else:
        return None
    again = fr.again.statements[at]
    if again.status == "failed":
        return {"server": sr.server_version, "status": "confirmed",
                "observed": f"{first}; run again on what that left, it failed here: {again.sqlstate} {again.message}"}
    if again.status == "ok":
        return {"server": sr.server_version, "status": "refuted",
                "observed": f"{first}; run again on what that left, the server ran it without error"}
    return None


def without_repeats(verify_found: list, static_found: list) -> list:
    """``verify_found`` without the ``verify-lock-differs`` findings whose every relation
    a static finding on the same statement already names in its ``table`` property (e.g.
    ``missing-lock-timeout`` restated with the tables a ``DROP TABLE`` is tied to by a
    foreign key, from the migration set), and without ``verify-not-rerunnable`` where a
    static rule of :data:`RERUN_RULES` already says it on the statement (that finding
    carries the re-run's ``verification``): one finding per hazard."""
    named: dict[tuple, list[str]] = {}
    rerun_said = set()
    for f in static_found:
        table = f.properties.get("table")
        if table:
            named.setdefault((f.path, f.span.start.line), []).extend(t.strip() for t in table.split(", ") if t.strip())
        if f.rule_id in RERUN_RULES:
            rerun_said.add((f.path, f.span.start.line))
    out = []
    for f in verify_found:
        if f.rule_id == "verify-not-rerunnable" and "sqlstate" in f.properties and (f.path, f.span.start.line) in rerun_said:
            continue
        if f.rule_id == "verify-lock-differs":
            said = named.get((f.path, f.span.start.line), [])
            if said and all(any(_matches(o["relation"], t) for t in said) for o in f.properties.get("observed", ())):
                continue
        out.append(f)
    return out


def _matches(observed: str, written: str) -> bool:
    """True when the observed ``schema.name`` is the relation ``written`` names (with or
    without a schema; unquoted names fold to lower case). A name as the static model
    writes it is the parser's, already folded: ``"Recipient"`` written quoted in the SQL
    is ``Recipient`` there, and matches as it is (documenso's Prisma migrations: every
    lock on a mixed-case table was reported as unpredicted, and its claims refuted)."""
    def same(o: str, part: str) -> bool:
        if part.startswith('"') and part.endswith('"'):
            return o == part[1:-1].replace('""', '"')
        return o == part or o == part.lower()

    parts = [p.strip() for p in written.split(".")]
    o_schema, _, o_name = observed.partition(".")
    if len(parts) == 1:
        return same(o_name, parts[0])
    return same(o_schema, parts[-2]) and same(o_name, parts[-1])


def verification(finding, sr, before_held=None, fr=None) -> dict | None:
    """The ``verification`` property for ``finding`` on the observed statement ``sr``, or
    None when the finding claims no lock. ``before_held``: ``table -> modes`` already held
    in the transaction before the statement (:func:`_held_before`); ``fr``: the file run
    ``sr`` belongs to (a ``missing-lock-timeout`` claim about a run of ``DROP TABLE``
    statements names the tables the later drops of the run lock: :func:`_run_drops`)."""
    props = finding.properties
    mode = _LABEL.get(props.get("lock") or "")
    table = props.get("table")
    if mode is None or not table:
        return None
    tables = [t.strip() for t in table.split(", ") if t.strip()]  # "a, b": a foreign key names both tables
    granted = {t: sorted({lk.mode for lk in sr.locks if _matches(lk.relation, t)}, reverse=True) for t in tables}
    where: dict[str, int] = {}  # table -> line of the later statement of the run that locked it
    if fr is not None and finding.rule_id == _RUN_CLAIM:
        for later in _run_drops(fr, sr):
            for t in tables:
                if mode not in granted[t]:
                    got = sorted({lk.mode for lk in later.locks if _matches(lk.relation, t)}, reverse=True)
                    if mode in got:
                        granted[t], where[t] = got, later.line
    seen = "; ".join(f"{', '.join(m.label for m in granted[t]) or 'no new lock'} on {t}"
                     + (f" (by line {where[t]})" if t in where else "") for t in tables)
    out = {"server": sr.server_version, "observed": seen}
    missing = [t for t in tables if mode not in granted[t]]
    hedged = _HEDGE in (finding.message or "")
    if not missing:
        out["status"] = "confirmed"
    elif finding.rule_id in _HELD_EARLIER:
        # the claim is about locks earlier statements took: relations renamed or dropped in
        # between hide them, so what cannot be shown held is inconclusive, never refuted
        held = before_held is not None and all(mode in before_held(t) for t in missing)
        out["status"] = "confirmed" if held else "inconclusive"
        out["observed"] += f" ({mode.label} {'held since an earlier statement of this transaction' if held else 'not seen held on every relation'})"
    elif _drop_if_exists_of_nothing(sr, granted, missing):
        out["status"] = "inconclusive"
        out["observed"] += " (DROP … IF EXISTS locks the table only when the object exists; it did not in the replayed schema)"
    elif all(t in sr.absent for t in missing):
        out["status"] = "inconclusive"
        out["observed"] += f" ({', '.join(missing)} did not exist in the replayed schema)"
    elif before_held is not None and all(mode in before_held(t) for t in missing):
        out["status"] = "inconclusive"
        out["observed"] += f" ({mode.label} was already held in this transaction)"
    elif sr.stmt is not None and sr.stmt.kind in _RUNS_BODY:
        # the claim is about a statement of the body: a DO block runs it only on the branch
        # it takes (marquez V52: DROP VIEW under IF the view exists; openmeter's repair
        # migration: ADD CONSTRAINT under IF NOT EXISTS), CREATE FUNCTION not at all
        out["status"] = "inconclusive"
        out["observed"] += (" (the statement is in a DO block: the server ran the block, which may not have run it, "
                            "e.g. an IF branch it did not take)" if sr.stmt.kind == "DoStmt" else
                            " (the statement is in a function body, which CREATE FUNCTION does not run)")
    else:
        out["status"] = "refuted"
        out["observed"] = f"the server granted {seen}, not {mode.label}"
    rewritten = any(_matches(r, t) for r in sr.rewritten for t in tables)
    if props.get("rewrite") and out["status"] != "refuted":
        if rewritten:
            out["observed"] += ", rewritten (relfilenode changed)"
        elif hedged:
            # "may rewrite": the rewrite hangs on what the file does not show (a function's
            # volatility once PostgreSQL inlines it, the old type); this schema did not
            # rewrite, which tells nothing against a claim that it may
            out["status"] = "inconclusive" if out["status"] == "confirmed" else out["status"]
            out["observed"] += ", not rewritten here (relfilenode unchanged; the claim is that it may be)"
        else:
            out["status"] = "refuted"
            out["observed"] += ", but the table was not rewritten (relfilenode unchanged)"
    elif props.get("rewrite") is False and rewritten:
        if hedged:  # column-type-rewrite's "may rewrite" (rewrite: False): it did
            out["observed"] += ", rewritten (relfilenode changed), as the claim says it may be"
        else:
            out["status"] = "refuted"
            out["observed"] += ", and the table was rewritten (relfilenode changed)"
    return out


def _run_drops(fr, sr) -> list:
    """The observed ``DROP`` statements that follow ``sr`` in ``fr`` without another kind of
    statement between: a ``missing-lock-timeout`` finding on a run that only drops tables
    (and their sequences and indexes) names the tables every drop of the run is tied to
    (:func:`linter.checks.missing_lock_timeout.with_ties`), reported once, at its first
    statement (openmeter's ``20250416094534``: the tables tied to the second ``DROP
    TABLE`` were looked for in the first one's locks)."""
    out = []
    after = False
    for other in fr.statements:
        if other is sr:
            after = True
        elif after:
            if other.stmt is None or other.stmt.kind != "DropStmt" or other.status != "ok":
                break
            if other.observed:
                out.append(other)
    return out


def _drop_if_exists_of_nothing(sr, granted, missing) -> bool:
    """True when ``sr`` is ``DROP TRIGGER/RULE/POLICY IF EXISTS … ON t`` and no lock was
    granted on ``t``: the object did not exist, so nothing was locked (``get_object_address``
    returns before locking; linter/pg/locks.py)."""
    body = sr.stmt.body if sr.stmt is not None and sr.stmt.kind == "DropStmt" else {}
    return (bool(body.get("missing_ok")) and body.get("removeType") in ("OBJECT_TRIGGER", "OBJECT_RULE", "OBJECT_POLICY")
            and all(not granted[t] for t in missing))


def annotate(findings: list, result) -> list:
    """``findings`` with a ``verification`` property on each lock claim of an observed
    statement (a new Finding object where one is added; the others unchanged)."""
    import dataclasses

    by_path: dict[str, list] = {}
    for fr in result.files:
        by_path.setdefault(fr.path, []).append(fr)
        if fr.roundtrip is not None:  # its down: a down file, or the down section of the same file
            by_path.setdefault(fr.roundtrip.down.path, []).append(fr.roundtrip.down)
    out = []
    for f in findings:
        fr = sr = None
        for cand in by_path.get(f.path, ()):
            sr = _statement_at(cand, f.span.start.line, f.span.start.column)
            if sr is not None:
                fr = cand
                break
        v = None
        if sr is not None and f.rule_id in RERUN_RULES and (fr.reruns or fr.again is not None):
            v = _rerun_verification(fr, sr)
        elif sr is not None and f.rule_id == _FAILS_IN_TX and sr.status in ("ok", "failed"):
            v = {"server": sr.server_version, "status": "confirmed" if sr.sqlstate == "25001" else "refuted",
                 "observed": f"{sr.sqlstate} {sr.message}" if sr.status == "failed" else "the server ran it"}
        elif sr is not None and sr.observed:
            v = verification(f, sr, _held_before(fr, sr), fr)
        if v is not None:
            f = dataclasses.replace(f, properties={**f.properties, "verification": v})
        out.append(f)
    return out


def _statement_at(fr, line: int, column: int):
    """The statement run whose span holds ``(line, column)`` (several statements may share
    a line), else the first one on ``line`` (a finding at the start of its line)."""
    first = None
    for sr in fr.statements:
        span = sr.stmt.span
        if (span.start.line, span.start.column) <= (line, column) <= (span.end.line, span.end.column):
            return sr
        if first is None and span.start.line <= line <= span.end.line:
            first = sr
    return first


def _held_before(fr, sr):
    """A function ``table as written -> modes`` granted to the earlier observed statements
    of the transaction ``sr`` runs in (the run of consecutive statements in a transaction
    before it). The relation is followed by its OID (``sr.oids``): a lock taken under a
    name an earlier statement renamed away is held on the relation ``sr`` names by the new
    one (lemmy's ``ALTER TABLE user_ RENAME TO person`` then ``ALTER TABLE person DROP
    COLUMN …``); by name when the OID is not known."""
    held: dict[str, set] = {}
    by_oid: dict[int, set] = {}
    for other in fr.statements:
        if other is sr:
            break
        if not other.in_transaction:
            held.clear()
            by_oid.clear()
            continue
        for lk in other.locks:
            held.setdefault(lk.relation, set()).add(lk.mode)
            if lk.oid:
                by_oid.setdefault(lk.oid, set()).add(lk.mode)
    oids = dict(sr.oids)

    def modes(written: str) -> set:
        got = {m for rel, ms in held.items() if _matches(rel, written) for m in ms}
        oid = oids.get(written)
        return got | by_oid.get(oid, set()) if oid else got

    return modes
