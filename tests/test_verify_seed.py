"""Seed data of ``miglint verify`` (``--seed FILE``, ``verify: seed:``) on a real server: SQL
run in each root's database after the migrations before its first new one, so that a down
(or an up) that fails only on rows is reported, with the seed named; a seed that fails is a
usage error naming the file and the line, not a finding; the seed is applied after a cached
base is restored (it is not part of the cache key); the config key is resolved relative to
the configuration file and validated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from linter import config as configmod
from linter.discovery import discover

psycopg = pytest.importorskip("psycopg")
ROOT = Path(__file__).resolve().parents[1]

USERS = "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n"
#: the up drops a NOT NULL column; its down adds it back NOT NULL without a default, which
#: an empty table takes and a table with rows refuses (23502), as the verify design brief's
#: spike found (shared/designs/verify.md, §5.4 "Data-dependent down")
DROP_EMAIL_UP = "ALTER TABLE users DROP COLUMN email;\n"
DROP_EMAIL_DOWN = "ALTER TABLE users ADD COLUMN email text NOT NULL;\n"
#: a later file that fails unless the seed's two rows are there: they are after the rebuild
COUNT_UP = ("DO $$ BEGIN IF (SELECT count(*) FROM users) <> 2 THEN RAISE EXCEPTION 'seed rows lost'; END IF; END $$;\n")
SEED = "-- rows production has\nINSERT INTO users (id, email) VALUES (1, 'a@example.com');\nINSERT INTO users VALUES (2, 'b@example.com');\n"


def _write(tmp_path: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


PROJECT = {
    "migrations/1_users.up.sql": USERS,
    "migrations/1_users.down.sql": "DROP TABLE users;\n",
    "migrations/2_drop_email.up.sql": DROP_EMAIL_UP,
    "migrations/2_drop_email.down.sql": DROP_EMAIL_DOWN,
    "migrations/3_count.up.sql": COUNT_UP,
    "migrations/3_count.down.sql": "SELECT 1;\n",
    "seed.sql": SEED,
}


def test_a_down_that_fails_only_on_rows_is_reported_with_the_seed_and_not_without(tmp_path, pg_cluster):
    from linter.verify import findings as vf, replay as rp

    _write(tmp_path, PROJECT)
    found = discover([str(tmp_path / "migrations")], base_dir=str(tmp_path))
    cfg = configmod.load_preset("default")
    new = frozenset(f.path for f in found.files if "2_drop_email" in f.path or "3_count" in f.path)
    # without a seed the tables are empty: the down runs, and 3_count (which wants two rows) fails
    result = rp.replay(found.files, cfg, pg_cluster.server, new=new, roundtrip="new")
    assert not result.seeded
    failed = [(Path(f.path).name, f.properties["sqlstate"]) for f in vf.failure_findings(result, cfg) if f.rule_id == "verify-statement-failed"]
    assert failed == [("3_count.up.sql", "P0001")]

    result = rp.replay(found.files, cfg, pg_cluster.server, new=new, roundtrip="new", seed=(("seed.sql", SEED),))
    assert result.seeded == [found.files[0].root]
    two = next(fr for fr in result.files if fr.path.endswith("2_drop_email.up.sql"))
    assert two.status == "applied" and two.roundtrip.status == "down-failed"
    (bad,) = [s for s in two.roundtrip.down.statements if s.status == "failed"]
    assert (bad.line, bad.sqlstate, bad.seed) == (1, "23502", ("seed.sql",))
    # the chain was rebuilt after the failed down with the seed again at its place: 3_count sees both rows
    assert [fr.status for fr in result.files if fr.path.endswith(".up.sql")] == ["applied"] * 3
    (f,) = [f for f in vf.failure_findings(result, cfg) if f.rule_id == "verify-statement-failed"]
    assert f.path.endswith("2_drop_email.down.sql") and f.span.start.line == 1
    assert "23502" in f.message and 'column "email" of relation "users" contains null values' in f.message
    assert "it failed on the seed rows (seed.sql)" in f.message
    assert f.properties["seed"] == ["seed.sql"] and f.properties["sqlstate"] == "23502"
    assert "seed data" in f.help


def test_an_up_that_fails_only_on_rows_names_the_seed_too(tmp_path, pg_cluster):
    from linter.verify import findings as vf, replay as rp

    files = {
        "migrations/1_users.up.sql": "CREATE TABLE users (id int PRIMARY KEY);\n",
        "migrations/2_org.up.sql": "ALTER TABLE users ADD COLUMN org_id int NOT NULL;\n",
    }
    _write(tmp_path, files)
    found = discover([str(tmp_path / "migrations")], base_dir=str(tmp_path))
    cfg = configmod.load_preset("default")
    result = rp.replay(found.files, cfg, pg_cluster.server, seed=(("rows.sql", "INSERT INTO users VALUES (1);"),))
    (f,) = [f for f in vf.failure_findings(result, cfg) if f.rule_id == "verify-statement-failed"]
    assert f.path.endswith("2_org.up.sql") and "23502" in f.message and "seed rows (rows.sql)" in f.message
    result = rp.replay(found.files, cfg, pg_cluster.server)
    assert [fr.status for fr in result.files] == ["applied", "applied"]


def test_a_seed_that_fails_names_its_file_and_line_and_is_no_finding(tmp_path, pg_cluster):
    from linter.verify import replay as rp

    _write(tmp_path, {**PROJECT, "migrations/1_users.up.sql": USERS + "GRANT SELECT ON users TO app_ro;\n"})
    found = discover([str(tmp_path / "migrations")], base_dir=str(tmp_path))
    cfg = configmod.load_preset("default")
    leftover = "SELECT count(*) FROM pg_database WHERE datname LIKE 'miglint_verify_%';SELECT count(*) FROM pg_roles WHERE rolname = 'app_ro';"
    before = pg_cluster.sql(leftover)  # the session's cluster: earlier tests may have left a database
    bad = "INSERT INTO users (id) VALUES (1);\n\nINSERT INTO users (id) VALUES (1);\n"  # before 3_count: email is gone
    with pytest.raises(rp.SeedError) as exc:
        rp.replay(found.files, cfg, pg_cluster.server, seed=(("db/seed.sql", bad),))
    msg = str(exc.value)
    assert "the seed db/seed.sql failed at line 3 (run before migrations/3_count.up.sql" in msg and "23505" in msg and "duplicate key" in msg
    with pytest.raises(rp.SeedError, match=r"the seed s\.sql cannot be parsed at line 2: syntax error"):
        rp.replay(found.files, cfg, pg_cluster.server, seed=(("s.sql", "SELECT 1;\nINSRT INTO users VALUES (1);\n"),))
    # nothing is left on the server: the replay's databases and the automatic role are dropped
    assert pg_cluster.sql(leftover) == before and before[1] == ["0"]


def test_cli_seed_flag_config_key_and_seed_error(tmp_path, pg_cluster):
    """``verify: seed:`` is read relative to the configuration file; ``--seed`` (relative to
    the working directory) wins; a failing seed is exit 2 with the file and line, no traceback."""
    proj = tmp_path / "p"
    _write(proj, {k: v for k, v in PROJECT.items() if k != "seed.sql" and "3_count" not in k})  # the seed runs before the last up
    _write(proj, {"db/verify/rows.sql": SEED, "db/verify/bad.sql": "SELECT 1;\nINSERT INTO nowhere VALUES (1);\n"})
    (proj / "db" / ".miglint.yml").write_text("verify:\n  seed: verify/rows.sql\n  cache: false\n  roundtrip: all\n")

    def verify(*flags):
        return subprocess.run([sys.executable, "-m", "linter", "verify", "migrations", "--config", "db/.miglint.yml",
                               "--format", "json", *flags], cwd=proj, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})

    r = verify()
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    failed = [(Path(f["path"]).name, f["line"], f["properties"]["sqlstate"], f["properties"].get("seed"))
              for f in out["findings"] if f["rule"] == "verify-statement-failed"]
    assert failed == [("2_drop_email.down.sql", 1, "23502", [str(Path("db") / "verify" / "rows.sql")])]
    assert any(n.startswith("seed data loaded before the first new migration in 1 root") for n in out["notes"])
    r = verify("--seed", "db/verify/bad.sql")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "the seed db/verify/bad.sql failed at line 2" in r.stderr and "42P01" in r.stderr


def test_config_seed_is_relative_to_the_config_file_and_validated(tmp_path):
    d = tmp_path / "conf"
    d.mkdir()
    (d / ".miglint.yml").write_text("verify:\n  seed: [rows.sql, /abs/more.sql]\n")
    cfg = configmod.load(str(d / ".miglint.yml"), cwd=tmp_path)
    assert cfg.verify.seed == [str(d / "rows.sql"), "/abs/more.sql"]
    for bad in ("seed: 3", "seed: ['']", "seed: {a: b}"):
        (d / ".miglint.yml").write_text(f"verify:\n  {bad}\n")
        with pytest.raises(configmod.ConfigError, match=r"verify\.seed"):
            configmod.load(str(d / ".miglint.yml"), cwd=tmp_path)


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_the_seed_is_applied_after_a_cached_base_and_not_in_its_key(tmp_path):
    """The cached base (a copy of the data directory after the base files) never holds the
    seed's rows: the seed runs in each run's database made from it, so one cache entry serves
    runs with and without a seed, and a changed seed needs no new entry."""
    from linter.verify import basecache, run
    from linter.verify import server as srv

    try:
        bindir = srv.find_bindir()
    except srv.ServerError as exc:
        pytest.skip(str(exc))
    proj = tmp_path / "proj"
    _write(proj, {k: v for k, v in PROJECT.items() if k.startswith("migrations/1_")})
    _git(proj, "init", "-q", "-b", "main")
    _git(proj, "add", "-A")
    _git(proj, "commit", "-q", "-m", "base")
    _git(proj, "checkout", "-q", "-b", "feature")
    _write(proj, {"migrations/2_drop_email.up.sql": DROP_EMAIL_UP, "migrations/2_drop_email.down.sql": DROP_EMAIL_DOWN})
    cache = basecache.Cache(tmp_path / "cache")

    def verify(seed=()):
        cfg = configmod.load_preset("default")
        cfg.base = "main"
        found = discover([str(proj)], base_dir=str(proj))
        cwd = os.getcwd()
        os.chdir(proj)
        server = srv.LocalServer(binaries=bindir)
        try:
            report, _ = run(found.files, cfg, server=server, cache=cache, seed=seed)
        finally:
            server.stop()
            os.chdir(cwd)
        failed = [(Path(f.path).name, f.properties.get("seed")) for f in report.findings if f.rule_id == "verify-statement-failed"]
        where = next(n for n in report.notes if n.startswith("base schema"))
        return failed, where, sorted(p.name for p in (tmp_path / "cache").iterdir())

    failed, where, entries = verify()
    assert failed == [] and "saved to the cache" in where and len(entries) == 1
    failed, where, again = verify(seed=(("seed.sql", SEED),))
    assert failed == [("2_drop_email.down.sql", ["seed.sql"])]
    assert "from the cache" in where and again == entries  # the same entry: the key does not hold the seed
    failed, where, again = verify(seed=(("seed.sql", SEED.replace("(2, ", "(3, ")),))
    assert failed == [("2_drop_email.down.sql", ["seed.sql"])] and "from the cache" in where and again == entries
