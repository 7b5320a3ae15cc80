"""``verify: true`` in the action (``--verify``): after the lint of step 3 of
:mod:`linter.github.bot`, replay the linted migration roots on PostgreSQL as ``miglint
verify`` does (:func:`linter.verify.check`) and merge what it found into the report, so
that the ``verify-*`` findings and each lock claim's ``verification`` flow into the review,
the summary, the annotations and SARIF like any finding.

The server: ``database-url`` (a ``services: postgres`` container; the guards of
:mod:`linter.verify.database` apply, ``database-is-throwaway`` lifts them), else one miglint
starts from the binaries it finds (the action's image carries one PostgreSQL major: see the
Dockerfile). Everything else comes from the configuration's ``verify:`` section. The base
is the pull request's base commit when the checkout has it (the files the change adds are
verified, the others replayed first); else every file is verified. Errors (no driver, no
server, a refused server, setup SQL that fails) stop the run with exit 2, as ``miglint
verify`` does.
"""

from __future__ import annotations

from linter.exitcodes import UsageError


def server_for(opts, cfg):
    """``(request, server)`` for ``opts`` (:class:`linter.github.inputs.Options`) and the
    configuration ``cfg``; the server is not started (a ``database-url`` one is: its
    guards run before any work). When ``pg-version`` is not given the static model follows
    the server, as in ``miglint verify``. Raises :class:`UsageError`."""
    try:
        import psycopg  # noqa: F401  (the verify extra)
    except ImportError:
        raise UsageError("verify: true needs the PostgreSQL driver: pip install 'miglint[verify]'") from None
    from linter.cli import server_major
    from linter.verify import Request
    from linter.verify.server import ServerError

    req = Request(cfg.verify, database_url=opts.database_url, throwaway=True if opts.database_is_throwaway else None)
    try:
        server = req.server()
        if not server.cacheable:
            server.start()
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    if opts.pg_version is None:
        cfg.pg_version = server_major(server, cfg.pg_version)
    return req, server


def apply(report, files, cfg, req, server):
    """Verify ``files`` (the linted ones) on ``server`` and merge into ``report`` (changed in
    place); returns the :class:`linter.verify.replay.Replay`. The server is stopped here.
    Raises :class:`UsageError`."""
    from linter.migset.history import HistoryError
    from linter.verify import check
    from linter.verify.replay import SetupError
    from linter.verify.server import ServerError

    try:
        _, result = check(report, files, cfg, server=server, **req.run_kwargs())
    except (ServerError, SetupError, HistoryError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        server.stop()
    return result
