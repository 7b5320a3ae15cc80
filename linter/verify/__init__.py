"""``miglint verify``: replay migrations on a throwaway PostgreSQL and check what the
static model claims (:mod:`linter.verify.server` owns the server; :mod:`linter.verify.replay`
runs the files). The database driver (psycopg 3, the ``verify`` extra) is imported only
here, never by ``miglint lint``."""

from __future__ import annotations


def run(files, config, *, server=None, pg_bin: str | None = None, setup: tuple[str, ...] = (), notes=(), jobs: int | None = 1,
        statement_timeout: float | None = None, roundtrip: str = "new", rerun: str = "new", progress=None):
    # ``config.base`` (``--base REF``): the files the change adds are the new ones, observed
    # and reported; the others are the base, replayed first (linter.migset.history)
    """Lint ``files`` (the static findings), replay them on ``server`` (a started
    :class:`~linter.verify.server.LocalServer`; one is started and stopped here when None)
    and return ``(report, replay)``: the :class:`linter.model.Report` holds the static
    findings, each lock claim on an observed statement with a ``verification`` property,
    plus the ``verify-*`` findings; ``replay`` is the :class:`~linter.verify.replay.Replay`.
    With ``config.base`` set (``--base REF``), only the files the change adds (per
    :meth:`linter.migset.history.History.is_new`) are observed; the others are replayed
    before them as the base.
    Raises :class:`~linter.verify.server.ServerError` when no server can be started and
    :class:`~linter.verify.replay.SetupError` when the setup SQL fails."""
    from linter import engine
    from linter.model import Finding
    from linter.verify import findings as vf, replay as rp
    from linter.verify.server import LocalServer

    report = engine.lint(files, config, jobs=jobs, notes=list(notes))
    new = None
    if config.base:
        from linter.migset import history as hist

        h = hist.load(config, files)
        new = frozenset(f.path for f in files if h is not None and h.is_new(f, {}))
    own = server is None
    if own:
        server = LocalServer(pg_bin).start()
    try:
        result = rp.replay(files, config, server, setup=setup, new=new, roundtrip=roundtrip, rerun=rerun, progress=progress,
                           statement_timeout=rp.STATEMENT_TIMEOUT if statement_timeout is None else statement_timeout)
    finally:
        if own:
            server.stop()
    found = vf.annotate(report.findings, result) + vf.without_repeats(vf.failure_findings(result, config), report.findings)
    found.sort(key=Finding.sort_key)
    report.findings = found
    report.notes = list(report.notes) + summary_notes(result)
    report.observations = observations(result)
    return report, result


def observations(result) -> list[dict]:
    """What the server did per statement of the observed up runs of ``result`` (a
    :class:`~linter.verify.replay.Replay`), in replay order: ``{"path", "line",
    "statement"`` (its text on one line, shortened), ``"status"`` (``ok``, ``failed`` …),
    ``"in_transaction"``, ``"server"`` (version), ``"locks"``: ``[{"relation", "mode",
    "new"`` (created in the same transaction), ``"granted"}]``, ``"rewritten"``: relations
    whose relfilenode changed, ``"sqlstate"``/``"message"`` of a failure, ``"ms"}``. Only
    statements that were observed or failed are listed."""
    out = []
    for fr in result.files:
        for sr in fr.statements:
            if not (sr.observed or sr.status == "failed"):
                continue
            text = " ".join(sr.stmt.text.split()) if sr.stmt is not None else ""
            out.append({
                "path": fr.path, "line": sr.line, "statement": text if len(text) <= 70 else text[:69] + "…",
                "status": sr.status, "in_transaction": sr.in_transaction, "server": sr.server_version,
                "locks": [{"relation": lk.relation, "mode": lk.mode.label, "new": lk.new, "granted": lk.granted}
                          for lk in sorted(sr.locks, key=lambda lk: (lk.relation, -lk.mode))],
                "rewritten": list(sr.rewritten), "sqlstate": sr.sqlstate, "message": sr.message, "ms": round(sr.ms, 1),
            })
    return out


def notable(obs: dict) -> bool:
    """True for an observation worth a line in the text output: it failed, rewrote a
    relation, or took a lock stronger than ROW EXCLUSIVE (what reads and writes take) on a
    relation that existed before its transaction."""
    weak = ("ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE")
    return obs["status"] == "failed" or bool(obs["rewritten"]) or any(not lk["new"] and lk["mode"] not in weak for lk in obs["locks"])


def summary_notes(result) -> list[str]:
    """One note for the run ("verified on PostgreSQL 15.18: …") and one per skipped file."""
    from collections import Counter

    c = Counter(fr.status for fr in result.files)
    observed = sum(1 for fr in result.files for s in fr.statements if s.observed)
    parts = [f"{c[k]} {k}" for k in ("applied", "failed", "skipped", "not-replayed") if c.get(k)]
    out = [f"verified on PostgreSQL {result.version}: {', '.join(parts) or 'no files'}; locks observed for {observed} statement(s)"]
    if result.roles:
        out.append(f"created NOLOGIN roles the migrations name: {', '.join(result.roles)}")
    for fr in result.files:
        if fr.status == "skipped":
            out.append(f"{fr.path}: not verified: {fr.reason}")
    return out
