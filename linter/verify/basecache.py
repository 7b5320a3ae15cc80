"""The base schema of ``miglint verify --base``: the migrations that precede a change's new
ones, replayed once into a template database per root, and kept in a cache between runs.

**What the base is.** Per migration root, the files of its chain
(:func:`linter.verify.replay._order`: versioned up and baseline files in the tool's order)
before the first new one (:meth:`linter.migset.history.History.is_new`). They are replayed
unobserved, as the chain's first part always was; only the new files are observed. A root
whose first file is new has no base. Without ``--base`` every file is new: no base, no
cache. ``--roundtrip all`` asks for a round trip of the base files too: no base either.

**The template.** The setup SQL runs in a database ``miglint_verify_<random>_base<N>``
made from ``template0``, the automatic ``NOLOGIN`` roles of the base files are created
(roles are the cluster's), the base files are replayed, and the connection closes. Each new
run of the root then starts from ``CREATE DATABASE … TEMPLATE`` that database, which
PostgreSQL copies file by file (PostgreSQL docs, "Template Databases"): the round trip's
rebuild after a down that does not revert starts from it too.

**The cache** (:class:`Cache`, a server miglint owns only, :class:`~linter.verify.server.LocalServer`):
after the base is replayed the server is stopped cleanly, its data directory (with the
template databases and the roles) is copied into ``<cache dir>/<key>/data`` beside a
``base.json`` holding what each base file's replay gave, and the server starts again. The
next run with the same key copies that directory instead of running ``initdb`` and
replaying the base: a warm start. The key (:func:`key`) is the SHA-256 of everything
the base's schema depends on:

* miglint's version, the server binaries (``postgres --version`` and their directory);
* the setup SQL texts, whether roles are made automatically, the statement timeout;
* the configuration that changes what is sent or how (``placeholders``,
  ``placeholder_syntax``, ``transactions``, ``pg_version``);
* per root, in order, each base file's path, convention, direction, version, the options
  found beside it (diesel ``metadata.toml``, Flyway ``.conf``) and the SHA-256 of its bytes.

The seed data (``--seed``) is not in the template nor in the key: it runs in each run's
database made from the template, before the first new file
(:func:`linter.verify.replay._replay_root`), on a warm start as on a cold one, so one
entry serves runs with and without a seed and a changed seed needs no new entry.

``base.json`` also keeps the index texts of the templates' catalog snapshot
(:func:`linter.verify.snapshot.known`): ``pg_get_indexdef`` costs about 1 ms per index on a
wide table, and a warm run's first round-trip snapshot would otherwise describe every index
of the base again. They are keyed by everything that text depends on, so they are only
reused where the server would print the same.

The cache directory is ``verify.cache`` in the configuration, else ``$MIGLINT_CACHE_DIR``,
else ``$XDG_CACHE_HOME/miglint``, else ``~/.cache/miglint``, under ``verify/``; the newest
:data:`KEEP` entries are kept. An entry is written to a temporary name and renamed into
place, so a reader never sees half of one; one that cannot be read, or whose copy does not
start (another run evicted it meanwhile), is ignored: the run starts cold.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from linter.verify import replay as rp

#: Cache entries kept (the newest by modification time); each is one data directory
#: (about 30-40 MB: ``initdb``'s three databases, one 1 MB WAL segment, the base templates).
KEEP = 3
#: Bumped when the layout of an entry or what the replay puts in it changes.
FORMAT = 1


def default_dir(env: dict | None = None) -> Path:
    """``$MIGLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/miglint``, else ``~/.cache/miglint``;
    then ``verify``."""
    env = os.environ if env is None else env
    if env.get("MIGLINT_CACHE_DIR"):
        return Path(env["MIGLINT_CACHE_DIR"]) / "verify"
    root = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return root / "miglint" / "verify"


def base_files(files, new: frozenset[str] | None, roundtrip: str = "new") -> dict[str, list]:
    """``{root: [file, …]}``: each root's base (module docstring), roots without one left out."""
    if new is None or roundtrip == "all":
        return {}
    roots: dict[str, list] = {}
    for f in files:
        roots.setdefault(f.root, []).append(f)
    out = {}
    for root, root_files in roots.items():
        prefix = []
        for f in rp._order(root_files):
            if f.path in new:
                break
            prefix.append(f)
        if prefix:
            out[root] = prefix
    return out


def server_identity(server) -> str:
    """The binaries of a :class:`~linter.verify.server.LocalServer`: their directory and
    ``postgres --version``."""
    import subprocess

    from linter.verify.server import scrubbed_env

    try:
        out = subprocess.run([server.binaries.tool("postgres"), "--version"], capture_output=True, text=True, timeout=10,
                             env=scrubbed_env(server.binaries.bindir)).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return f"{server.binaries.bindir}|{out}"


def key(bases: dict[str, list], config, *, server_id: str, setup: tuple[str, ...], auto_roles: bool, timeout: float) -> str:
    """The cache key of ``bases`` (module docstring): a hex SHA-256."""
    from linter import __version__

    h = hashlib.sha256()
    head = {
        "format": FORMAT, "miglint": __version__, "server": server_id, "setup": list(setup), "roles": auto_roles,
        "timeout": timeout, "placeholders": sorted(config.placeholders.items()), "syntax": list(config.placeholder_syntax),
        "transactions": sorted(config.transactions.items()), "pg_version": config.pg_version,
    }
    h.update(json.dumps(head, sort_keys=True).encode())
    for root in sorted(bases):
        h.update(b"\0root\0" + root.encode())
        for f in bases[root]:
            try:
                digest = hashlib.sha256(Path(f.abspath).read_bytes()).hexdigest()
            except OSError:
                digest = "unreadable"
            meta = [f.path, str(f.convention), str(f.direction), f.version, repr(f.options), digest]
            h.update(json.dumps(meta).encode())
    return h.hexdigest()


@dataclass
class Prepared:
    """What :func:`prepare` did: ``bases`` (``{root: Base}`` for
    :func:`linter.verify.replay.replay`), ``roles`` made for the base files, ``note`` (one
    sentence for the report: where the base came from), ``cache`` (``"hit"``, ``"miss"``,
    ``"off"``) and ``seconds`` (time spent on the base: replay, or copy and start);
    ``new_roles``: every role the base made (also by its own ``CREATE ROLE``), which
    :func:`drop` drops on a server miglint does not own."""

    bases: dict
    roles: list[str]
    note: str = ""
    new_roles: tuple[str, ...] = ()
    cache: str = "off"
    seconds: float = 0.0


def _run_to_json(r) -> dict:
    return {"path": r.path, "root": r.root, "status": r.status, "reason": r.reason, "why": r.why}


def _base_to_json(b) -> dict:
    return {"template": b.template, "stopped": b.stopped, "applied": b.applied, "runs": [_run_to_json(r) for r in b.runs]}


def _base_from_json(d: dict):
    runs = [rp.FileRun(r["path"], r["root"], r["status"], reason=r["reason"], why=r["why"]) for r in d["runs"]]
    return rp.Base(d["template"], runs, d["stopped"], d["applied"])


class Cache:
    """The cache directory (module docstring): :meth:`lookup` an entry, :meth:`store` one."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)

    def lookup(self, k: str) -> tuple[Path, dict] | None:
        """``(data directory, base.json content)`` of entry ``k``, None when absent or unreadable."""
        entry = self.dir / k
        try:
            meta = json.loads((entry / "base.json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT or not (entry / "data" / "PG_VERSION").is_file():
                return None
            os.utime(entry)  # most recently used
        except (OSError, ValueError):
            return None
        return entry / "data", meta

    def store(self, k: str, server, meta: dict) -> bool:
        """Save ``server``'s data directory (:meth:`LocalServer.save_data`) and ``meta`` as
        entry ``k``; False when the cache cannot be written (the run goes on)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp = self.dir / f".{k}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(mode=0o700)  # the entry is as private as the server's data directory
        except OSError:
            return False
        try:
            server.save_data(tmp / "data")
            (tmp / "base.json").write_text(json.dumps({"format": FORMAT, **meta}), encoding="utf-8")
            try:
                os.rename(tmp, self.dir / k)
            except OSError:  # another run stored it meanwhile
                return False
            self._evict()
            return True
        except OSError:
            return False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _evict(self) -> None:
        entries = [p for p in self.dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            shutil.rmtree(old, ignore_errors=True)


def replay_bases(server, bases: dict[str, list], files, config, *, setup, auto_roles: bool, timeout: float) -> tuple[dict, list[str], tuple[str, ...]]:
    """Replay each root's base files into its template database on the started ``server``;
    returns ``({root: Base}, roles made automatically, every role made)``.
    Raises :class:`~linter.verify.replay.SetupError`."""
    wanted = {f.path for fs in bases.values() for f in fs}
    parsed, used, created = rp.parse_files([f for f in files if f.path in wanted], config)
    admin = rp._connect(server.conninfo())
    out = {}
    try:
        roles_before = {r[0] for r in admin.execute("SELECT rolname FROM pg_roles").fetchall()}
        made = rp.create_roles(admin, used - created - roles_before) if auto_roles else []
        for root, root_files in bases.items():
            db = rp._RootDatabase(admin, server, root, setup, name=rp.database_name(f"base{next(rp._DATABASES)}"))
            runs: list = []
            try:
                stopped, applied = rp._replay_root(db, root, root_files, parsed, config, runs, server.version_text, False, timeout,
                                                   frozenset(), "off")
            finally:
                rp._quietly(db.conn.close)
            for r in runs:  # what the report needs of a base file; the same from the cache
                r.statements, r.ctx = [], None
            out[root] = rp.Base(db.name, runs, stopped, applied)
        every = tuple(sorted({r[0] for r in admin.execute("SELECT rolname FROM pg_roles").fetchall()} - roles_before))
    finally:
        rp._quietly(admin.close)
    return out, made, every


def prepare(server, files, config, new, *, setup=(), auto_roles=True, timeout=rp.STATEMENT_TIMEOUT, roundtrip="new",
            cache: Cache | None = None) -> Prepared:
    """Start ``server`` when it is not started yet and give it the base schema (module
    docstring): from ``cache`` when it has the key, else by replaying the base (and then
    storing it). A ``--database-url`` server (not ``cacheable``) is never cached."""
    from linter.verify import snapshot

    snapshot.forget()  # a run starts with no index texts but its cached base's
    bases = base_files(files, new, roundtrip)
    cacheable = getattr(server, "cacheable", False) and cache is not None and not getattr(server, "started", True)
    t0 = time.perf_counter()
    if not bases:
        if not getattr(server, "started", True):
            server.start()
        return Prepared({}, [])
    n = sum(len(v) for v in bases.values())
    k = ""
    if cacheable:
        k = key(bases, config, server_id=server_identity(server), setup=tuple(setup), auto_roles=auto_roles, timeout=timeout)
        hit = cache.lookup(k)
        if hit is not None:
            from linter.verify.server import ServerError

            data, meta = hit
            try:
                got = {root: _base_from_json(d) for root, d in meta["bases"].items()}
                server.start(from_data=data)
            except (ServerError, KeyError, TypeError):
                # evicted by another run while copied, or damaged: start cold (start removed its directory)
                pass
            else:
                snapshot.learn(meta.get("indexdefs") or [])
                secs = time.perf_counter() - t0
                return Prepared(got, list(meta.get("roles", [])), f"base schema ({n} files) from the cache in {secs:.1f} s", "hit", secs)
    if not getattr(server, "started", True):
        server.start()
    got, made, every = replay_bases(server, bases, files, config, setup=setup, auto_roles=auto_roles, timeout=timeout)
    state = "off"
    if cacheable:
        meta = {"bases": {root: _base_to_json(b) for root, b in got.items()}, "roles": made,
                "indexdefs": _index_texts(server, got) if roundtrip != "off" else []}
        state = "miss" if cache.store(k, server, meta) else "off"
    secs = time.perf_counter() - t0
    where = " (saved to the cache)" if state == "miss" else ""
    return Prepared(got, made, f"base schema ({n} files) replayed in {secs:.1f} s{where}", state, secs, every)


def _index_texts(server, bases: dict) -> list[list[str]]:
    """The index texts of a snapshot of each template database in ``bases``
    (:func:`linter.verify.snapshot.known`), to keep in the cache entry: the first round trip
    of this run (on a copy of a template) finds them there too, so the cold run pays for
    them once, as it did before. ``[]`` when a template cannot be read."""
    import psycopg

    from linter.verify import snapshot

    try:
        for b in bases.values():
            conn = rp._connect(server.conninfo(b.template))
            try:
                snapshot.take(conn)
            finally:
                rp._quietly(conn.close)
    except psycopg.Error:
        return []
    return snapshot.known()


def drop(server, prepared: Prepared) -> None:
    """Drop the template databases and the roles made for the base: a ``--database-url``
    server (and a test's server, used again) is left as it was found."""
    if not prepared.bases or not getattr(server, "started", True):
        return
    from psycopg import sql as pgsql

    try:
        admin = rp._connect(server.conninfo())
    except Exception:
        return
    try:
        for b in prepared.bases.values():
            rp._quietly(admin.execute, pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(b.template)))
        for name in prepared.new_roles:
            rp._quietly(admin.execute, pgsql.SQL("DROP ROLE IF EXISTS {}").format(pgsql.Identifier(name)))
    finally:
        rp._quietly(admin.close)
