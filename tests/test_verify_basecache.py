"""The replayed base schema of ``miglint verify --base`` (linter/verify/basecache.py): the
base files go into a template database once; a cold run stores the server's data directory
in the cache, a warm run starts from a copy and gives the same result; the key follows the
base files, the setup SQL and the binaries; a base that stops its chain is remembered with
its reason; nothing is left behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from linter import config as configmod
from linter.discovery import discover
from linter.verify import basecache
from linter.verify import server as srv

pytest.importorskip("psycopg")


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _binaries():
    try:
        return srv.find_bindir()
    except srv.ServerError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def _project(tmp_path: Path, base: dict[str, str], new: dict[str, str]) -> Path:
    d = tmp_path / "proj" / "migrations"
    d.mkdir(parents=True)
    for name, text in base.items():
        (d / name).write_text(text)
    _git(d.parent, "init", "-q", "-b", "main")
    _git(d.parent, "add", "-A")
    _git(d.parent, "commit", "-q", "-m", "base")
    _git(d.parent, "checkout", "-q", "-b", "feature")
    for name, text in new.items():
        (d / name).write_text(text)
    return d.parent


def _verify(proj: Path, cache, setup=()):
    from linter.verify import run

    cfg = configmod.load_preset("default")
    cfg.base = "main"
    found = discover([str(proj)], base_dir=str(proj))
    cwd = os.getcwd()
    os.chdir(proj)
    try:
        server = srv.LocalServer(binaries=_binaries())
        try:
            report, result = run(found.files, cfg, server=server, cache=cache, setup=setup)
            return report, result, server
        finally:
            server.stop()
    finally:
        os.chdir(cwd)


BASE = {
    "V1__users.sql": "CREATE TABLE users (id int PRIMARY KEY, email text);\nGRANT SELECT ON users TO app_ro;\n",
    "V2__idx.sql": "CREATE INDEX users_email ON users (email);\n",
}
NEW = {"V3__new.sql": "CREATE INDEX users_id_email ON users (id, email);\nALTER TABLE users OWNER TO app_owner;\n"}


def _summary(report, result):
    return ([(Path(fr.path).name, fr.status, fr.reason) for fr in result.files],
            sorted((f.rule_id, Path(f.path).name, f.line, str(f.properties.get("verification"))) for f in report.findings),
            result.roles)


def test_cold_then_warm_give_the_same_result_and_leave_nothing_behind(tmp_path):
    proj = _project(tmp_path, BASE, NEW)
    cache = basecache.Cache(tmp_path / "cache")
    cold_report, cold, s1 = _verify(proj, cache)
    assert any("base schema (2 files) replayed" in n and "saved to the cache" in n for n in cold_report.notes)
    entries = [p for p in (tmp_path / "cache").iterdir()]
    assert len(entries) == 1 and (entries[0] / "data" / "PG_VERSION").is_file() and (entries[0] / "base.json").is_file()
    assert not (entries[0] / "data" / "postmaster.pid").exists()
    # only the WAL segment the shutdown checkpoint's redo starts in (pg_controldata), not the recycled ones
    assert len([p for p in (entries[0] / "data" / "pg_wal").iterdir() if len(p.name) == 24]) == 1
    warm_report, warm, s2 = _verify(proj, cache)
    assert any("base schema (2 files) from the cache" in n for n in warm_report.notes)
    assert _summary(cold_report, cold) == _summary(warm_report, warm)
    assert [fr.status for fr in warm.files] == ["applied"] * 3
    assert warm.roles == ["app_owner", "app_ro"]  # the base's role came with the cache
    # the new file is observed on the copy: its index lock is confirmed
    assert any(f.rule_id == "non-concurrent-create-index" and f.properties.get("verification", {}).get("status") == "confirmed"
               for f in warm_report.findings)
    for s in (s1, s2):
        assert not s.dir.exists()
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]  # no half-written entry


def test_the_key_follows_the_base_files_and_the_setup(tmp_path):
    proj = _project(tmp_path, BASE, NEW)
    cfg = configmod.load_preset("default")
    found = discover([str(proj)], base_dir=str(proj))
    new = frozenset(f.path for f in found.files if f.path.endswith("V3__new.sql"))
    bases = basecache.base_files(found.files, new)
    assert [Path(f.path).name for fs in bases.values() for f in fs] == ["V1__users.sql", "V2__idx.sql"]
    k = basecache.key(bases, cfg, server_id="15", setup=(), auto_roles=True, timeout=60)
    assert k == basecache.key(bases, cfg, server_id="15", setup=(), auto_roles=True, timeout=60)
    assert k != basecache.key(bases, cfg, server_id="16", setup=(), auto_roles=True, timeout=60)
    assert k != basecache.key(bases, cfg, server_id="15", setup=("CREATE SCHEMA app;",), auto_roles=True, timeout=60)
    (proj / "migrations" / "V2__idx.sql").write_text("CREATE INDEX users_email ON users (lower(email));\n")
    assert k != basecache.key(bases, cfg, server_id="15", setup=(), auto_roles=True, timeout=60)
    # no --base (every file new) or a round trip of every file: no base
    assert basecache.base_files(found.files, None) == {}
    assert basecache.base_files(found.files, new, roundtrip="all") == {}


def test_a_base_that_stops_its_chain_is_remembered_with_its_reason(tmp_path):
    base = dict(BASE, **{"V2__idx.sql": "ALTER TABLE users ADD COLUMN email text;\n"})  # fails on an empty database: 42701
    proj = _project(tmp_path, base, NEW)
    cache = basecache.Cache(tmp_path / "cache")
    cold_report, cold, _ = _verify(proj, cache)
    warm_report, warm, _ = _verify(proj, cache)
    assert _summary(cold_report, cold) == _summary(warm_report, warm)
    status = {Path(fr.path).name: fr.status for fr in warm.files}
    assert status == {"V1__users.sql": "applied", "V2__idx.sql": "skipped", "V3__new.sql": "skipped"}
    v3 = next(fr for fr in warm.files if fr.path.endswith("V3__new.sql"))
    assert "V2__idx.sql was skipped" in v3.reason


def test_setup_sql_is_in_the_cached_template(tmp_path):
    proj = _project(tmp_path, {"V1__t.sql": "CREATE TABLE app.t (id int);\n"}, {"V2__i.sql": "CREATE INDEX t_id ON app.t (id);\n"})
    cache = basecache.Cache(tmp_path / "cache")
    setup = ("CREATE SCHEMA app;",)
    for _ in range(2):
        _, result, _ = _verify(proj, cache, setup=setup)
        assert [fr.status for fr in result.files] == ["applied", "applied"]
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_eviction_keeps_the_newest_entries(tmp_path):
    cache = basecache.Cache(tmp_path)
    for i in range(basecache.KEEP + 2):
        d = tmp_path / f"k{i}"
        d.mkdir()
        os.utime(d, (1000 + i, 1000 + i))
    cache._evict()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"k{i}" for i in range(2, basecache.KEEP + 2)]
    assert cache.lookup("k2") is None  # an entry without base.json is not used


def test_cli_reads_the_verify_section_and_its_flags_win(tmp_path):
    """``verify.setup`` and ``verify.roles: off`` from the configuration; ``--setup`` replaces
    the configured setup."""
    import json
    import sys

    _binaries()
    proj = tmp_path / "p"
    (proj / "migrations").mkdir(parents=True)
    (proj / "setup.sql").write_text("CREATE SCHEMA app;\n")
    (proj / "other.sql").write_text("CREATE SCHEMA app; CREATE ROLE app_ro NOLOGIN;\n")
    (proj / "migrations" / "V1__t.sql").write_text("CREATE TABLE app.t (id int);\n")
    (proj / "migrations" / "V2__g.sql").write_text("GRANT SELECT ON app.t TO app_ro;\n")
    (proj / ".miglint.yml").write_text("verify:\n  setup: [setup.sql]\n  roles: off\n  cache: false\n")
    root = Path(__file__).resolve().parents[1]

    def verify(*flags):
        r = subprocess.run([sys.executable, "-m", "linter", "verify", "migrations", "--format", "json", *flags], cwd=proj,
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root)})
        assert r.returncode in (0, 1), r.stderr
        return json.loads(r.stdout)

    out = verify()
    failed = [f for f in out["findings"] if f["rule"] == "verify-statement-failed"]
    assert [(Path(f["path"]).name, "42704" in f["message"]) for f in failed] == [("V2__g.sql", True)]  # no automatic role
    out = verify("--setup", "other.sql")
    assert not [f for f in out["findings"] if f["rule"] == "verify-statement-failed"]
    assert any("2 applied" in n for n in out["notes"])


def test_a_damaged_entry_means_a_cold_start(tmp_path):
    proj = _project(tmp_path, BASE, NEW)
    cache = basecache.Cache(tmp_path / "cache")
    _verify(proj, cache)
    (entry,) = (tmp_path / "cache").iterdir()
    (entry / "data" / "global" / "pg_control").unlink()  # the server cannot start from it
    report, result, server = _verify(proj, cache)
    assert [fr.status for fr in result.files] == ["applied"] * 3
    assert any("replayed" in n for n in report.notes if n.startswith("base schema"))
    assert not server.dir.exists()


def test_the_entry_keeps_the_base_index_texts_for_the_first_round_trip(tmp_path, monkeypatch):
    """pg_get_indexdef is slow on wide tables (linter/verify/snapshot.py): the cold run
    describes the base's indexes once (the template's snapshot, stored in base.json, and its
    first round trip on a copy finds them), the warm run not at all; the round trip is the same."""
    from linter.verify import snapshot

    asked = []
    real = snapshot._describe
    monkeypatch.setattr(snapshot, "_describe", lambda conn, oids: asked.append(len(oids)) or real(conn, oids))
    base = {"1_users.up.sql": "CREATE TABLE users (id int PRIMARY KEY, email text);\nCREATE INDEX users_email ON users (email);\n",
            "1_users.down.sql": "DROP TABLE users;\n"}
    new = {"2_note.up.sql": "ALTER TABLE users ADD COLUMN note text;\n", "2_note.down.sql": "SELECT 1;\n"}  # does not revert
    proj = _project(tmp_path, base, new)
    cache = basecache.Cache(tmp_path / "cache")
    cold_report, cold, _ = _verify(proj, cache)
    assert asked == [2]
    (entry,) = (tmp_path / "cache").iterdir()
    texts = sorted(t for _, _, t in __import__("json").loads((entry / "base.json").read_text())["indexdefs"])
    assert texts == ["CREATE INDEX users_email ON public.users USING btree (email)",
                     "CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)"]
    asked.clear()
    warm_report, warm, _ = _verify(proj, cache)
    assert asked == []
    assert _summary(cold_report, cold) == _summary(warm_report, warm)
    (trip,) = [fr.roundtrip for fr in warm.files if fr.roundtrip]
    assert trip.not_reverted == ["only after: column public.users.note"]
