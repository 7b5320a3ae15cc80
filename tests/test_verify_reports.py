"""What ``miglint verify`` shows: the text output per statement, the JSON ``observations``,
the "Verified on PostgreSQL N.M" section of the PR summary, the lock report's observed
columns (``miglint locks --verify``) and the progress line on a terminal. On a real server."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from linter import config as configmod, formats
from linter.discovery import discover

psycopg = pytest.importorskip("psycopg")

FILES = {
    "migrations/V1__t.sql": "CREATE TABLE t (id int, e text);\n",
    "migrations/V2__i.sql": "CREATE INDEX t_e ON t (e);\nALTER TABLE t ALTER COLUMN id TYPE bigint;\nINSERT INTO t VALUES (1, 'a');\n",
}


def _tree(tmp_path: Path, files=FILES) -> list:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return discover([str(tmp_path)], base_dir=str(tmp_path)).files


@pytest.fixture(scope="module")
def verified(pg_cluster, tmp_path_factory):
    from linter.verify import run

    files = _tree(tmp_path_factory.mktemp("reports"))
    cfg = configmod.load_preset("default")
    cfg.pg_version = pg_cluster.server.major
    return run(files, cfg, server=pg_cluster.server), files, cfg


def test_text_output_shows_per_statement_what_the_server_did(verified):
    (report, _), _, _ = verified
    text = formats.render("text", report, color=False)
    block = text.split("What PostgreSQL ", 1)[1]
    assert block.startswith(f"{report.observations[0]['server']} did (2 of 4 observed statements")
    assert "migrations/V2__i.sql:1  CREATE INDEX t_e ON t (e)\n      locks: SHARE on public.t\n" in block
    assert "migrations/V2__i.sql:2  ALTER TABLE t ALTER COLUMN id TYPE bigint\n      locks: ACCESS EXCLUSIVE on public.t\n      rewrote: public.t\n" in block
    assert "INSERT INTO" not in block  # ROW EXCLUSIVE: what writes take, not shown
    assert "CREATE TABLE" not in block  # a new table: its lock blocks nobody
    # a plain lint has no such block
    from linter import engine

    plain = engine.lint(verified[1], verified[2], jobs=1)
    assert "What PostgreSQL" not in formats.render("text", plain, color=False)


def test_json_carries_the_observations(verified):
    (report, _), _, _ = verified
    doc = json.loads(formats.render("json", report))
    obs = {(o["path"], o["line"]): o for o in doc["observations"]}
    assert {"relation": "public.t", "mode": "SHARE", "new": False, "granted": True} in obs[("migrations/V2__i.sql", 1)]["locks"]
    assert obs[("migrations/V2__i.sql", 2)]["rewritten"] == ["public.t"]
    assert obs[("migrations/V1__t.sql", 1)]["locks"][0]["new"] is True


def test_pr_summary_has_a_verified_section(verified):
    from linter.formats.summary import SummaryData, render_summary

    (report, _), _, _ = verified
    version = report.observations[0]["server"]
    data = SummaryData(findings=list(report.findings), files=2, notes=list(report.notes))
    body = render_summary(data, marker=None)
    section = body.split(f"**Verified on PostgreSQL {version}**", 1)[1]
    assert section.startswith(": 2 applied; locks observed for 4 statement(s)")
    assert "lock claims checked on the server: " in section and " confirmed" in section
    assert "- no `verify-*` findings" in section
    # the run note moves into the section
    assert "verified on PostgreSQL" not in body.split("<summary>Notes</summary>", 1)[-1] if "<summary>Notes" in body else True
    # a lint report (no verification) has no section
    plain = [f for f in report.findings if "verification" not in f.properties]
    assert "Verified on PostgreSQL" not in render_summary(SummaryData(findings=plain, files=2), marker=None)


def test_pr_summary_counts_verify_findings(pg_cluster, tmp_path):
    from linter.formats.summary import SummaryData, render_summary
    from linter.verify import run

    files = _tree(tmp_path, {"migrations/V1__t.sql": "CREATE TABLE t (id int);\n", "migrations/V2__x.sql": "ALTER TABLE t ADD COLUMN id int;\n"})
    report, _ = run(files, configmod.load_preset("default"), server=pg_cluster.server)
    body = render_summary(SummaryData(findings=list(report.findings), files=2, notes=list(report.notes)), marker=None)
    assert "what the server showed that the static model did not: verify-statement-failed (1)" in body
    assert "1 applied, 1 failed" in body


def test_lock_report_gains_observed_columns(verified):
    from linter import lockreport
    from linter.formats import locks_json, locks_markdown, locks_text

    (_, result), files, cfg = verified
    static = lockreport.build(files, cfg)
    report = lockreport.with_observations(static, result)
    assert report.server == result.version
    text = locks_text.render(report)
    assert "observed: SHARE on public.t\n" in text
    assert "observed: ACCESS EXCLUSIVE on public.t; rewrote public.t\n" in text
    assert f"observed on PostgreSQL {result.version}" in text
    md = locks_markdown.render(report)
    assert "| Line | Statement | Locks | Observed | Verdict |" in md
    assert "| `ACCESS EXCLUSIVE on public.t`<br>rewrote public.t |" in md
    doc = json.loads(locks_json.render(report))
    st = doc["files"][1]["statements"][0]
    assert doc["server"] == result.version and st["observed"] == ["SHARE on public.t"]
    # without --verify nothing changes
    assert "Observed" not in locks_markdown.render(static) and "server" not in json.loads(locks_json.render(static))


def test_cli_locks_verify(tmp_path, pg_cluster):
    _tree(tmp_path)
    r = subprocess.run([sys.executable, "-m", "linter", "locks", "--verify", ".", "--pg-bin", str(pg_cluster.server.binaries.bindir)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "observed: SHARE on public.t" in r.stdout
    assert r.stderr == ""  # not a terminal: no progress lines


def test_progress_line_only_on_a_terminal(monkeypatch):
    from linter import cli
    from linter.verify.replay import FileRun

    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert cli._verify_progress() is None
    tty = Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    show = cli._verify_progress()
    show(1, 3, FileRun("db/V1__t.sql", ".", "applied"))
    show(2, 3, FileRun("db/V2__x.sql", ".", "skipped", reason="db/V1 failed"))
    assert tty.getvalue() == "verify [1/3] db/V1__t.sql: applied\nverify [2/3] db/V2__x.sql: skipped (db/V1 failed)\n"
