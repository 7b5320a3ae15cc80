"""``miglint verify`` on a real server: the replay of a root's chain per tool, failures
and skips, setup SQL and roles, observed locks compared with the static findings, and the
command line. Rule cases of ``verify-statement-failed`` are in
tests/cases/verify-statement-failed.yaml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from linter import config as configmod
from linter.discovery import discover

psycopg = pytest.importorskip("psycopg")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server(pg_cluster):
    return pg_cluster.server


def _verify(tmp_path: Path, files: dict[str, str], server, *, setup=(), auto_roles=True, config: dict | None = None, roundtrip="all"):
    from linter.verify import findings as vf, replay as rp
    from linter import engine

    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    cfg_path = tmp_path / ".miglint.yml"
    cfg_path.write_text(yaml.safe_dump({"extends": "default", **(config or {})}), encoding="utf-8")
    cfg = configmod.load(str(cfg_path), cwd=tmp_path)
    found = discover([str(tmp_path)], base_dir=str(tmp_path), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude)
    result = rp.replay(found.files, cfg, server, setup=tuple(setup), auto_roles=auto_roles, roundtrip=roundtrip)
    report = engine.lint(found.files, cfg, jobs=1)
    annotated = vf.annotate(report.findings, result) + vf.failure_findings(result, cfg)
    return result, annotated


def _by_path(result):
    return {Path(fr.path).name if "/" not in fr.path else fr.path: fr for fr in result.files}


def test_dbmate_failure_stops_the_chain_and_rolls_the_file_back(tmp_path, server):
    files = {
        "db/migrations/20240101000000_users.sql": "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- migrate:down\nDROP TABLE users;\n",
        "db/migrations/20240102000000_idx.sql": ("-- migrate:up\nALTER TABLE users ADD COLUMN name text;\n"
                                                 "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n-- migrate:down\n"),
        "db/migrations/20240103000000_more.sql": "-- migrate:up\nALTER TABLE users ADD COLUMN age int;\n-- migrate:down\n",
    }
    result, found = _verify(tmp_path, files, server)
    status = {Path(fr.path).name: fr.status for fr in result.files}
    assert status == {"20240101000000_users.sql": "applied", "20240102000000_idx.sql": "failed", "20240103000000_more.sql": "skipped"}
    failed = next(fr for fr in result.files if fr.status == "failed")
    first, cic = failed.statements
    assert first.status == "ok" and first.in_transaction and cic.status == "failed" and cic.sqlstate == "25001"
    skipped = next(fr for fr in result.files if fr.status == "skipped")
    assert "20240102000000_idx.sql failed at line 3 (25001)" in skipped.reason
    # the static claim that it fails in a transaction is confirmed by the server
    claim = [f for f in found if f.rule_id == "non-transactional-statement-in-transaction"]
    assert claim and claim[0].properties["verification"]["status"] == "confirmed"
    assert [f.span.start.line for f in found if f.rule_id == "verify-statement-failed"] == [3]


def test_golang_migrate_one_statement_file_runs_concurrently(tmp_path, server):
    files = {
        "migrations/1_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a');\n",
        "migrations/1_users.down.sql": "DROP TABLE users;\n",
        "migrations/2_idx.up.sql": "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n",
        "migrations/2_idx.down.sql": "DROP INDEX CONCURRENTLY users_email_idx;\n",
    }
    result, found = _verify(tmp_path, files, server)
    status = {Path(fr.path).name: fr.status for fr in result.files}
    assert status["1_users.up.sql"] == "applied" and status["2_idx.up.sql"] == "applied"
    assert status["1_users.down.sql"] == "not-replayed"
    cic = next(fr for fr in result.files if fr.path.endswith("2_idx.up.sql")).statements[0]
    assert cic.in_transaction is False and cic.predicted is False
    assert cic.observed and ("public.users", "SHARE UPDATE EXCLUSIVE") in {(lk.relation, lk.mode.label) for lk in cic.locks}
    assert not [f for f in found if f.rule_id == "verify-statement-failed"]


def test_missing_extension_skips_the_chain_with_the_reason(tmp_path, server):
    files = {
        "migrations/V1__ext.sql": "CREATE EXTENSION IF NOT EXISTS miglint_no_such_extension;\nCREATE TABLE places (id int);\n",
        "migrations/V2__more.sql": "ALTER TABLE places ADD COLUMN name text;\n",
    }
    result, found = _verify(tmp_path, files, server)
    v1, v2 = result.files
    assert v1.status == "skipped" and "no extension 'miglint_no_such_extension'" in v1.reason
    assert v2.status == "skipped" and "was skipped" in v2.reason
    assert not [f for f in found if f.rule_id == "verify-statement-failed"]


def test_roles_are_created_only_when_asked_and_setup_sql_runs_first(tmp_path, server):
    files = {"migrations/V1__grant.sql": "CREATE TABLE app.t (id int);\nGRANT SELECT ON app.t TO miglint_reader;\n"}
    setup = ["CREATE SCHEMA app;"]
    result, _ = _verify(tmp_path / "a", files, server, setup=setup, auto_roles=False)
    (fr,) = result.files
    assert fr.statements[1].sqlstate == "42704"
    # the first file of the root misses an object: the root builds on something else
    assert fr.status == "skipped" and 'role "miglint_reader" does not exist' in fr.reason
    result, _ = _verify(tmp_path / "b", files, server, setup=setup)
    assert result.files[0].status == "applied" and result.roles == ["miglint_reader"]
    # without the setup, the schema is missing
    result, _ = _verify(tmp_path / "c", files, server)
    assert result.files[0].statements[0].sqlstate == "3F000"


def test_missing_object_fails_once_the_chain_has_started(tmp_path, server):
    files = {
        "migrations/V1__users.sql": "CREATE TABLE users (id int);\n",
        "migrations/V2__typo.sql": "ALTER TABLE userz ADD COLUMN note text;\n",
        "migrations/V3__more.sql": "ALTER TABLE users ADD COLUMN note text;\n",
    }
    result, found = _verify(tmp_path, files, server)
    assert [fr.status for fr in result.files] == ["applied", "failed", "skipped"]
    (f,) = [f for f in found if f.rule_id == "verify-statement-failed"]
    assert f.path.endswith("V2__typo.sql") and "42P01" in f.message


def test_setup_failure_is_an_error(tmp_path, server):
    from linter.verify.replay import SetupError

    with pytest.raises(SetupError, match="setup SQL failed"):
        _verify(tmp_path, {"migrations/V1__a.sql": "SELECT 1;\n"}, server, setup=["CREATE SCHEMA ;"])


def test_locks_are_observed_and_compared_with_the_static_findings(tmp_path, server):
    files = {
        "migrations/V1__users.sql": "CREATE TABLE users (id int PRIMARY KEY, email text, score int);\n",
        "migrations/V2__change.sql": ("CREATE INDEX users_email ON users (email);\n"
                                      "ALTER TABLE users ALTER COLUMN score TYPE bigint;\n"),
        "migrations/V3__alone.sql": "ALTER TABLE users ALTER COLUMN score TYPE text;\n",
    }
    result, found = _verify(tmp_path, files, server)
    v2 = next(fr for fr in result.files if fr.path.endswith("V2__change.sql"))
    idx, alter = v2.statements
    assert {(lk.relation, lk.mode.label) for lk in idx.locks} >= {("public.users", "SHARE")}
    assert "public.users" in alter.rewritten
    by_rule = {(Path(f.path).name, f.rule_id): f.properties.get("verification") for f in found}
    assert by_rule[("V2__change.sql", "non-concurrent-create-index")]["status"] == "confirmed"
    # ACCESS EXCLUSIVE is new in V2 (SHARE was held before), and the table was rewritten
    assert by_rule[("V2__change.sql", "column-type-rewrite")]["status"] == "confirmed"
    assert "rewritten" in by_rule[("V2__change.sql", "column-type-rewrite")]["observed"]
    # an autocommit-safe statement of its own file is observed too (Flyway wraps V3 anyway)
    v3 = by_rule[("V3__alone.sql", "column-type-rewrite")]
    assert v3["status"] == "confirmed" and v3["server"] == server.version_text


def test_lock_already_held_in_the_transaction_is_inconclusive(tmp_path, server):
    files = {
        "migrations/V1__users.sql": "CREATE TABLE users (id int PRIMARY KEY, score int);\n",
        "migrations/V2__two.sql": "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ALTER COLUMN score TYPE bigint;\n",
    }
    _, found = _verify(tmp_path, files, server)
    v = next(f for f in found if f.rule_id == "column-type-rewrite").properties["verification"]
    assert v["status"] == "inconclusive" and "already held" in v["observed"]


def test_cli_verify_json_and_exit_code(tmp_path, pg_cluster):
    d = tmp_path / "proj"
    (d / "db/migrations").mkdir(parents=True)
    (d / "db/migrations/20240101000000_a.sql").write_text(
        "-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY, email text);\n-- migrate:down\nDROP TABLE users;\n")
    (d / "db/migrations/20240102000000_b.sql").write_text(
        "-- migrate:up\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n-- migrate:down\nDROP INDEX users_email;\n")
    env = {**os.environ, "GITHUB_TOKEN": "ghp_x"}
    r = subprocess.run([sys.executable, "-m", "linter", "verify", ".", "--format", "json", "--pg-bin", str(pg_cluster.server.binaries.bindir)],
                       cwd=d, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1, r.stderr
    data = json.loads(r.stdout)
    failed = [f for f in data["findings"] if f["rule"] == "verify-statement-failed"]
    assert [(f["line"], f["properties"]["sqlstate"]) for f in failed] == [(2, "25001")]
    assert any("verified on PostgreSQL" in n for n in data.get("notes", []))


def test_cli_verify_without_binaries_is_a_usage_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "linter", "verify", ".", "--pg-bin", str(tmp_path)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no initdb and postgres" in r.stderr


def test_cli_verify_with_an_unknown_base_is_a_usage_error(pg_cluster, tmp_path):
    """``--base`` is checked as ``miglint lint`` checks it (linter.baseref), before any server starts."""
    (tmp_path / "V1__a.sql").write_text("CREATE TABLE t (id int);\n")
    r = subprocess.run([sys.executable, "-m", "linter", "verify", ".", "--base", "no-such-ref",
                        "--pg-bin", str(pg_cluster.server.binaries.bindir)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--base no-such-ref: not a commit" in r.stderr, r.stderr


def test_lint_does_not_import_the_driver(tmp_path):
    (tmp_path / "V1__a.sql").write_text("CREATE TABLE t (id int);\n")
    code = ("import sys; from linter.cli import main; main(['lint', '.', '--format', 'json', '--output', 'out.json']); "
            "print('psycopg' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.stdout.strip() == "False", r.stderr


def test_dropped_and_renamed_relations_keep_their_names_and_fks_name_both_tables(tmp_path, server):
    files = {
        "migrations/V1__t.sql": "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int PRIMARY KEY, a_id int);\nCREATE TABLE old (id int);\nCREATE TABLE gone (id int);\n",
        "migrations/V2__fk.sql": "ALTER TABLE b ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES a (id);\n",
        "migrations/V3__rename.sql": "ALTER TABLE old RENAME TO new;\n",
        "migrations/V4__drop.sql": "DROP TABLE gone;\n",
        "migrations/V5__drop_absent.sql": "DROP TABLE IF EXISTS only_in_production;\n",
    }
    _, found = _verify(tmp_path, files, server)
    got = {(Path(f.path).name, f.rule_id): f.properties["verification"] for f in found if "verification" in f.properties}
    assert got[("V2__fk.sql", "foreign-key-without-not-valid")]["status"] == "confirmed"
    both = got[("V2__fk.sql", "missing-lock-timeout")]  # its table property names both tables: "b, a"
    assert both["status"] == "confirmed" and "on b" in both["observed"] and "on a" in both["observed"]
    assert got[("V3__rename.sql", "rename-table")]["status"] == "confirmed"
    assert got[("V4__drop.sql", "drop-table")]["status"] == "confirmed"
    absent = got[("V5__drop_absent.sql", "drop-table")]
    assert absent["status"] == "inconclusive" and "did not exist in the replayed schema" in absent["observed"]


def test_drop_trigger_if_exists_of_a_missing_trigger_takes_no_lock(tmp_path, server):
    """Seen in crates.io's 2026-06-07 migration: PostgreSQL locks nothing when the trigger
    does not exist (checked on 15), ACCESS EXCLUSIVE when it does. The static model says
    the lock is taken "when the trigger exists"; verify calls a missing one inconclusive
    (it was "refuted" before: wrong, production may have the trigger)."""
    files = {
        "migrations/V1__t.sql": "CREATE TABLE jobs (id int);\n",
        "migrations/V2__trg.sql": "DROP TRIGGER IF EXISTS jobs_notify ON jobs;\n",
    }
    _, found = _verify(tmp_path, files, server)
    f = next(f for f in found if f.path.endswith("V2__trg.sql") and "verification" in f.properties)
    v = f.properties["verification"]
    assert v["status"] == "inconclusive" and "no new lock on jobs" in v["observed"] and "did not in the replayed schema" in v["observed"]
    assert "DROP TRIGGER IF EXISTS (when the trigger exists)" in f.message
    files["migrations/V1__t.sql"] = ("CREATE TABLE jobs (id int);\nCREATE FUNCTION n() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
                                     "CREATE TRIGGER jobs_notify AFTER INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION n();\n")
    _, found = _verify(tmp_path / "exists", files, server)
    v = next(f.properties["verification"] for f in found if f.path.endswith("V2__trg.sql") and "verification" in f.properties)
    assert v["status"] == "confirmed", v


def test_a_finding_on_a_shared_line_is_matched_to_its_statement(tmp_path, server):
    files = {
        "migrations/V1__t.sql": "CREATE TABLE c (id int);\n",
        "migrations/V2__two.sql": "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; CREATE TRIGGER t BEFORE INSERT ON c FOR EACH ROW EXECUTE FUNCTION f();\n",
    }
    _, found = _verify(tmp_path, files, server)
    v = [f.properties["verification"] for f in found if f.path.endswith("V2__two.sql") and "verification" in f.properties]
    assert v and all(x["status"] == "confirmed" for x in v), v


def test_concurrently_forms_are_observed_behind_a_writer_gate(tmp_path, server):
    """CREATE/DROP INDEX and REINDEX … CONCURRENTLY run outside a transaction and release
    their locks at the end: they are seen while they wait for a writer's transaction."""
    files = {
        "migrations/20240101000000_users.sql": "-- +goose Up\nCREATE TABLE users (id int PRIMARY KEY, email text);\n-- +goose Down\nDROP TABLE users;\n",
        "migrations/20240102000000_idx.sql": ("-- +goose NO TRANSACTION\n-- +goose Up\n"
                                              "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n"
                                              "REINDEX INDEX CONCURRENTLY users_email_idx;\n"
                                              "DROP INDEX CONCURRENTLY users_email_idx;\n-- +goose Down\nSELECT 1;\n"),
    }
    result, _ = _verify(tmp_path, files, server)
    cic, reindex, dic = next(fr for fr in result.files if fr.path.endswith("_idx.sql")).statements
    for sr in (cic, reindex, dic):
        assert sr.status == "ok" and sr.in_transaction is False and sr.observed, sr
        assert ("public.users", "SHARE UPDATE EXCLUSIVE") in {(lk.relation, lk.mode.label) for lk in sr.locks}, sr.locks
    assert not any(lk.relation.startswith("pg_toast.") for lk in reindex.locks)


def test_a_concurrently_failure_behind_the_gate_is_reported(tmp_path, server):
    files = {
        "migrations/1_users.up.sql": "CREATE TABLE users (id int PRIMARY KEY, email text);\n",
        "migrations/2_idx.up.sql": "CREATE INDEX CONCURRENTLY users_pkey ON users (email);\n",  # the name is taken
    }
    result, found = _verify(tmp_path, files, server)
    assert [fr.status for fr in result.files] == ["applied", "failed"]
    assert [(f.rule_id, f.properties["sqlstate"]) for f in found if f.rule_id == "verify-statement-failed"] == [("verify-statement-failed", "42P07")]


def test_a_runaway_statement_is_cancelled_from_outside_and_the_next_root_goes_on(tmp_path, server):
    from linter.verify import replay as rp

    files = {
        "slow/V1__t.sql": "CREATE TABLE t (id int);\n",
        "slow/V2__sleep.sql": "SET statement_timeout = 0;\nSELECT pg_sleep(30);\n",  # a session SET cannot turn the watchdog off
        "other/V1__u.sql": "CREATE TABLE u (id int);\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    cfg = configmod.load_preset("default")
    found = discover([str(tmp_path)], base_dir=str(tmp_path))
    import time

    t0 = time.monotonic()
    result = rp.replay(found.files, cfg, server, statement_timeout=1.0)
    assert time.monotonic() - t0 < 15
    status = {fr.path.rsplit("/", 2)[-2] + "/" + fr.path.rsplit("/", 1)[-1]: fr.status for fr in result.files}
    assert status == {"slow/V1__t.sql": "applied", "slow/V2__sleep.sql": "failed", "other/V1__u.sql": "applied"}, status
    sleep = next(fr for fr in result.files if fr.path.endswith("V2__sleep.sql"))
    bad = next(s for s in sleep.statements if s.status == "failed")
    assert bad.line == 2 and bad.sqlstate == "57014" and "cancelled by miglint after 1 s" in bad.message


def test_text_output_shows_what_the_server_did(tmp_path, pg_cluster):
    from linter import formats
    from linter.verify import run

    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations/V1__t.sql").write_text("CREATE TABLE t (id int, e text);\n")
    (tmp_path / "migrations/V2__i.sql").write_text("CREATE INDEX t_e ON t (e);\n")
    cfg = configmod.load_preset("default")
    found = discover([str(tmp_path)], base_dir=str(tmp_path))
    report, _ = run(found.files, cfg, server=pg_cluster.server)
    text = formats.render("text", report, color=False)
    assert f"verified on PostgreSQL {pg_cluster.server.version_text}: confirmed: SHARE on t" in text
    assert "note: verified on PostgreSQL" in text


def _children(pid: int) -> list[tuple[int, str]]:
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "")
        if ppid == str(pid):
            out.append((int(d.name), cmd))
    return out


def test_sigterm_to_miglint_verify_stops_the_server_mid_statement(tmp_path, pg_cluster):
    import signal
    import time

    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations/V1__t.sql").write_text("CREATE TABLE t (id int);\n")
    (tmp_path / "migrations/V2__slow.sql").write_text("SELECT pg_sleep(30);\n")
    proc = subprocess.Popen([sys.executable, "-m", "linter", "verify", ".", "--pg-bin", str(pg_cluster.server.binaries.bindir)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        postmaster = None
        while postmaster is None and time.monotonic() < deadline:
            postmaster = next(((p, c) for p, c in _children(proc.pid) if "postgres -D" in c), None)
            time.sleep(0.05)
        assert postmaster, "no server started"
        pid, cmd = postmaster
        datadir = Path(cmd.split(" -D ", 1)[1].split()[0])
        time.sleep(1.5)  # into the pg_sleep
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err, err
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    assert not datadir.parent.exists()


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_base_files_are_replayed_first_and_only_new_ones_verified(tmp_path, pg_cluster):
    from linter.verify import run

    d = tmp_path / "migrations"
    d.mkdir()
    (d / "V1__users.sql").write_text("CREATE TABLE users (id int PRIMARY KEY, email text);\n")
    (d / "V2__idx.sql").write_text("CREATE INDEX users_email ON users (email);\n")
    (d / "V3__bad_on_empty.sql").write_text("ALTER TABLE users ADD COLUMN email text;\n")  # deployed long ago; fails on an empty database
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    _git(tmp_path, "checkout", "-q", "-b", "feature")
    (d / "V4__new.sql").write_text("CREATE INDEX users_id_email ON users (id, email);\n")
    cfg = configmod.load_preset("default")
    cfg.base = "main"
    found = discover([str(tmp_path)], base_dir=str(tmp_path))
    cwd = os.getcwd()
    os.chdir(tmp_path)  # git runs in the working directory
    try:
        report, result = run(found.files, cfg, server=pg_cluster.server)
    finally:
        os.chdir(cwd)
    status = {Path(fr.path).name: fr.status for fr in result.files}
    assert status == {"V1__users.sql": "applied", "V2__idx.sql": "applied", "V3__bad_on_empty.sql": "skipped", "V4__new.sql": "skipped"}
    v3 = next(fr for fr in result.files if fr.path.endswith("V3__bad_on_empty.sql"))
    assert "a migration of the base fails on an empty database" in v3.reason and "42701" in v3.reason
    assert not [f for f in report.findings if f.rule_id == "verify-statement-failed"]
    assert not any(s.observed for fr in result.files for s in fr.statements if not fr.path.endswith("V4__new.sql"))


def test_with_a_base_only_the_new_files_are_observed(tmp_path, pg_cluster):
    from linter.verify import run

    d = tmp_path / "migrations"
    d.mkdir()
    (d / "V1__users.sql").write_text("CREATE TABLE users (id int PRIMARY KEY, email text);\n")
    (d / "V2__idx.sql").write_text("CREATE INDEX users_email ON users (email);\n")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    _git(tmp_path, "checkout", "-q", "-b", "feature")
    (d / "V3__new.sql").write_text("CREATE INDEX users_id_email ON users (id, email);\n")
    cfg = configmod.load_preset("default")
    cfg.base = "main"
    found = discover([str(tmp_path)], base_dir=str(tmp_path))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        report, result = run(found.files, cfg, server=pg_cluster.server)
    finally:
        os.chdir(cwd)
    assert [fr.status for fr in result.files] == ["applied"] * 3
    verified = {Path(f.path).name: f.properties["verification"]["status"] for f in report.findings
                if f.rule_id == "non-concurrent-create-index" and "verification" in f.properties}
    assert verified == {"V3__new.sql": "confirmed"}


def test_round_trip_column_order_is_a_note_and_a_paired_down_file_is_used(tmp_path, server):
    files = {
        "migrations/1_users.up.sql": "CREATE TABLE users (id int PRIMARY KEY, note text, score int);\n",
        "migrations/1_users.down.sql": "DROP TABLE users;\n",
        "migrations/2_drop_note.up.sql": "ALTER TABLE users DROP COLUMN note;\n",
        "migrations/2_drop_note.down.sql": "ALTER TABLE users ADD COLUMN note text;\n",
        "migrations/3_score.up.sql": "ALTER TABLE users ALTER COLUMN score TYPE bigint;\n",
        "migrations/3_score.down.sql": "SELECT 1;\n",  # forgets to change the type back
    }
    result, found = _verify(tmp_path, files, server)
    runs = {Path(fr.path).name: fr for fr in result.files}
    rt2 = runs["2_drop_note.up.sql"].roundtrip
    assert rt2.status == "ok" and not rt2.not_reverted and not rt2.drift
    assert rt2.order_notes == ["column order of public.users: id, note, score -> id, score, note"]
    rt3 = runs["3_score.up.sql"].roundtrip
    assert rt3.not_reverted == ["changed: column public.users.score: integer -> bigint"]
    (f,) = [f for f in found if f.rule_id == "verify-down-not-reverting"]
    assert f.path.endswith("3_score.down.sql") and f.span.start.line == 1 and "public.users.score" in f.message
    assert not [f for f in found if f.rule_id in ("verify-roundtrip-drift", "verify-statement-failed")]
    assert all(fr.status in ("applied", "not-replayed") for fr in result.files)


def test_roles_the_migrations_create_are_dropped_at_the_end(tmp_path, server):
    files = {"migrations/V1__role.sql": "CREATE ROLE miglint_made_here NOLOGIN;\nGRANT miglint_made_here TO miglint_auto_role;\n"}
    result, _ = _verify(tmp_path, files, server)
    assert result.files[0].status == "applied" and result.roles == ["miglint_auto_role"]
    with psycopg.connect(server.conninfo(), autocommit=True) as c:
        left = c.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'miglint_%'").fetchall()
    assert left == []


def test_round_trip_of_a_drop_if_exists_of_a_table_only_production_had(tmp_path, server):
    """crates.io's 20170502181306_drop_schema_migrations: the up drops a table an older tool
    made in production, the down creates it again: not a difference on the replayed schema."""
    files = {
        "migrations/1_a.up.sql": "CREATE TABLE a (id int);\n",
        "migrations/1_a.down.sql": "DROP TABLE a;\n",
        "migrations/2_drop.up.sql": "DROP TABLE IF EXISTS schema_migrations;\n",
        "migrations/2_drop.down.sql": "CREATE TABLE schema_migrations (id serial PRIMARY KEY, version text UNIQUE);\n",
    }
    result, found = _verify(tmp_path, files, server)
    rt = next(fr for fr in result.files if fr.path.endswith("2_drop.up.sql")).roundtrip
    assert rt.status == "ok" and rt.not_reverted == []
    assert not [f for f in found if f.rule_id.startswith("verify-")]


def test_a_down_that_fails_stops_nothing_after_a_rebuild(tmp_path, server):
    """crates.io's 2024-10-25 down drops a constraint that is an index: 42704 in the down;
    the chain is rebuilt and goes on."""
    files = {
        "migrations/1_v.up.sql": "CREATE TABLE versions (id int, crate_id int, num text);\n",
        "migrations/1_v.down.sql": "DROP TABLE versions;\n",
        "migrations/2_u.up.sql": "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS versions_uindex ON versions (crate_id, num);\n",
        "migrations/2_u.down.sql": "ALTER TABLE versions DROP CONSTRAINT versions_uindex;\n",
        "migrations/3_n.up.sql": "ALTER TABLE versions ADD COLUMN note text;\n",
        "migrations/3_n.down.sql": "ALTER TABLE versions DROP COLUMN note;\n",
    }
    result, found = _verify(tmp_path, files, server)
    ups = [fr for fr in result.files if ".up." in fr.path]
    assert [fr.status for fr in ups] == ["applied"] * 3
    assert ups[1].roundtrip.status == "down-failed"
    (f,) = [f for f in found if f.rule_id == "verify-statement-failed"]
    assert f.path.endswith("2_u.down.sql") and f.properties["sqlstate"] == "42704"


def test_by_default_only_the_last_migration_of_a_root_gets_a_round_trip(tmp_path, server):
    files = {
        "migrations/1_a.up.sql": "CREATE TABLE a (id int);\n",
        "migrations/1_a.down.sql": "SELECT 1;\n",  # would not revert: not tried by default
        "migrations/2_b.up.sql": "CREATE TABLE b (id int);\n",
        "migrations/2_b.down.sql": "DROP TABLE b;\n",
    }
    result, found = _verify(tmp_path, files, server, roundtrip="new")
    trips = {Path(fr.path).name: fr.roundtrip is not None for fr in result.files if ".up." in fr.path}
    assert trips == {"1_a.up.sql": False, "2_b.up.sql": True}
    assert not [f for f in found if f.rule_id.startswith("verify-")]


def test_a_required_extension_the_server_has_is_the_migrations_failure(tmp_path, server):
    # earthdistance requires cube; both are in contrib: without CASCADE it is the migration's mistake (42704)
    # (not the root's first file: a first file that misses an object means the root builds on another)
    files = {"migrations/V1__t.sql": "CREATE TABLE places (id int);\n", "migrations/V2__ext.sql": "CREATE EXTENSION earthdistance;\n"}
    result, found = _verify(tmp_path, files, server)
    v1, v2 = result.files
    assert v2.status == "failed" and v2.statements[0].sqlstate == "42704"
    assert [f.rule_id for f in found if f.rule_id == "verify-statement-failed"] == ["verify-statement-failed"]


def test_extension_missing_on_the_server():
    from linter.verify.replay import extension_missing

    assert extension_missing("58P01", 'could not access file "$libdir/postgis-3": No such file or directory', {"postgis"})
    assert extension_missing("0A000", "anything", set())
    assert extension_missing("42704", 'required extension "postgis" is not installed', {"cube"})
    assert not extension_missing("42704", 'required extension "cube" is not installed', {"cube"})
    assert not extension_missing("42710", 'extension "cube" already exists', {"cube"})
