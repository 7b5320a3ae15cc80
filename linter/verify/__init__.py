"""``miglint verify``: replay migrations on a throwaway PostgreSQL and check what the
static model claims (:mod:`linter.verify.server` owns the server; :mod:`linter.verify.replay`
runs the files). The database driver (psycopg 3, the ``verify`` extra) is imported only
here, never by ``miglint lint``."""

from __future__ import annotations


def run(files, config, *, server=None, pg_bin: str | None = None, setup: tuple[str, ...] = (), notes=(), jobs: int | None = 1,
        statement_timeout: float | None = None, roundtrip: str = "new", rerun: str = "new", progress=None, cache=None,
        auto_roles: bool = True, seed: tuple[tuple[str, str], ...] = ()):
    """Lint ``files`` (the static findings) and :func:`check` them; returns ``(report,
    replay)`` (see :func:`check`). ``server``: None makes, starts and stops a
    :class:`~linter.verify.server.LocalServer` (``pg_bin``) here."""
    from linter import engine

    report = engine.lint(files, config, jobs=jobs, notes=list(notes))
    return check(report, files, config, server=server, pg_bin=pg_bin, setup=setup, statement_timeout=statement_timeout,
                 roundtrip=roundtrip, rerun=rerun, progress=progress, cache=cache, auto_roles=auto_roles, seed=seed)


def check(report, files, config, *, server=None, pg_bin: str | None = None, setup: tuple[str, ...] = (),
          statement_timeout: float | None = None, roundtrip: str = "new", rerun: str = "new", progress=None, cache=None,
          auto_roles: bool = True, seed: tuple[tuple[str, str], ...] = ()):
    """Replay ``files`` on ``server`` (a :class:`~linter.verify.server.LocalServer` or
    :class:`~linter.verify.database.UrlServer`, started here when it is not yet: from
    ``cache``, a :class:`~linter.verify.basecache.Cache`, when that holds the base schema)
    and merge what it did into ``report`` (the static findings of ``files``, changed in
    place and returned): each lock claim on an observed statement gets a ``verification``
    property, the ``verify-*`` findings are added (none that repeats a static finding), notes
    say what was verified, and ``report.observations`` what the server did per statement
    (:func:`observations`). ``roundtrip``/``rerun``/``progress``: as
    :func:`linter.verify.replay.replay` takes them. ``seed``: ``((path, SQL text), …)``
    run in each root's database before its first new file, after the base (never part of
    the cached base: the cache key does not depend on it).
    Returns ``(report, replay)``; ``replay`` is the :class:`~linter.verify.replay.Replay`.
    With ``config.base`` set (``--base REF``), only the files the change adds (per
    :meth:`linter.migset.history.History.is_new`) are observed; the others are replayed
    before them as the base (:mod:`linter.verify.basecache`).
    Raises :class:`~linter.verify.server.ServerError` when no server can be started or a
    ``--database-url`` server is refused, and :class:`~linter.verify.replay.SetupError`
    when the setup SQL fails (its :class:`~linter.verify.replay.SeedError` when a seed does)."""
    from linter.model import Finding
    from linter.verify import basecache, findings as vf, replay as rp
    from linter.verify.server import LocalServer

    new = None
    if config.base:
        from linter.migset import history as hist

        h = hist.load(config, files)
        new = frozenset(f.path for f in files if h is not None and h.is_new(f, {}))
    own = server is None
    if own:
        server = LocalServer(pg_bin)
    timeout = rp.STATEMENT_TIMEOUT if statement_timeout is None else statement_timeout
    prepared = None
    try:
        prepared = basecache.prepare(server, files, config, new, setup=tuple(setup), auto_roles=auto_roles, timeout=timeout,
                                     roundtrip=roundtrip, cache=cache)
        result = rp.replay(files, config, server, setup=setup, new=new, roundtrip=roundtrip, rerun=rerun, progress=progress,
                           statement_timeout=timeout, bases=prepared.bases, auto_roles=auto_roles, seed=tuple(seed))
        result.roles = sorted(set(prepared.roles) | set(result.roles))
    finally:
        if prepared is not None:
            basecache.drop(server, prepared)
        if own:
            server.stop()
    found = vf.annotate(report.findings, result) + vf.without_repeats(vf.failure_findings(result, config), report.findings)
    found.sort(key=Finding.sort_key)
    report.findings = found
    report.notes = list(report.notes) + summary_notes(result) + ([prepared.note] if prepared.note else [])
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
    if result.seeded:
        out.append(f"seed data loaded before the first new migration in {len(result.seeded)} root(s): "
                   f"{', '.join(r or '.' for r in result.seeded)}")
    for fr in result.files:
        if fr.status == "skipped":
            out.append(f"{fr.path}: not verified: {fr.reason}")
    return out


class Request:
    """How to verify, from the ``verify:`` section of the configuration
    (:class:`linter.config.VerifySettings`) and the flags that win over it (None: not
    given): :meth:`server` (a :class:`~linter.verify.database.UrlServer` for a database URL,
    else a :class:`~linter.verify.server.LocalServer`, not started), :meth:`setup_texts`,
    :meth:`seed_texts`, :meth:`cache`, and the keyword arguments of :func:`run`
    (:meth:`run_kwargs`). Raises :class:`~linter.exitcodes.UsageError` for a setup or seed
    file that cannot be read and
    :class:`~linter.verify.server.ServerError` when no server binaries are found."""

    def __init__(self, settings, *, setup=None, roundtrip=None, statement_timeout=None, pg_bin=None, database_url=None,
                 throwaway=None, cache=None, roles=None, rerun=None, seed=None) -> None:
        self.settings = settings
        self.setup_files = list(setup) if setup else list(settings.setup)
        self.seed_files = list(seed) if seed else list(settings.seed)
        self.roundtrip = roundtrip or settings.roundtrip
        self.rerun = rerun or settings.rerun
        self.statement_timeout = settings.statement_timeout if statement_timeout is None else statement_timeout
        self.pg_bin = pg_bin or settings.pg_bin
        self.database_url = database_url or None
        self.throwaway = settings.database_is_throwaway if throwaway is None else throwaway
        self.cache_setting = settings.cache if cache is None else cache
        self.auto_roles = (roles or settings.roles) == "auto"

    def server(self):
        """The server to verify on (not started)."""
        if self.database_url:
            from linter.verify.database import UrlServer

            return UrlServer(self.database_url, throwaway=self.throwaway)
        from linter.verify.server import LocalServer

        return LocalServer(self.pg_bin)

    def setup_texts(self) -> tuple[str, ...]:
        """The setup SQL files' texts, in order."""
        from pathlib import Path

        from linter.exitcodes import UsageError

        out = []
        for path in self.setup_files:
            try:
                out.append(Path(path).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"verify setup {path}: {getattr(exc, 'strerror', None) or exc}") from None
        return tuple(out)

    def seed_texts(self) -> tuple[tuple[str, str], ...]:
        """``((path, text), …)`` of the seed files, in order."""
        from pathlib import Path

        from linter.exitcodes import UsageError

        out = []
        for path in self.seed_files:
            try:
                out.append((str(path), Path(path).read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"verify seed {path}: {getattr(exc, 'strerror', None) or exc}") from None
        return tuple(out)

    def cache(self):
        """The :class:`~linter.verify.basecache.Cache` to use, or None (``cache: false``)."""
        from linter.verify.basecache import Cache, default_dir

        if self.cache_setting is False:
            return None
        return Cache(default_dir() if self.cache_setting is True else self.cache_setting)

    def run_kwargs(self) -> dict:
        """Keyword arguments of :func:`run` (and :func:`check`) but ``server``."""
        return {"setup": self.setup_texts(), "seed": self.seed_texts(), "statement_timeout": self.statement_timeout, "roundtrip": self.roundtrip,
                "rerun": self.rerun,
                "cache": self.cache(), "auto_roles": self.auto_roles}
