"""The command line: exit codes, outputs, rules/explain/presets, error messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from linter import __version__, registry
from linter.cli import main

GOOD = "CREATE TABLE users (id bigint PRIMARY KEY);\n"
BAD = "CREATE TABEL users (id bigint);\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A throwaway project with a Flyway migrations folder, as the working directory."""
    mig = tmp_path / "db" / "migration"
    mig.mkdir(parents=True)
    (mig / "V1__create_users.sql").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def test_clean_run_exits_0(repo, capsys):
    assert main(["lint", "db/migration"]) == 0
    out = capsys.readouterr().out
    assert "No problems found in 1 file" in out


def test_findings_exit_1_and_text_points_at_the_token(repo, capsys):
    (repo / "db/migration/V2__broken.sql").write_text("-- broken\n" + BAD, encoding="utf-8")
    assert main(["lint", "db/migration"]) == 1
    out = capsys.readouterr().out
    assert "db/migration/V2__broken.sql:2:8: error syntax-error" in out
    assert "CREATE TABEL users (id bigint);" in out and "^^^^^" in out
    assert "\x1b[" not in out  # not a terminal: no colour


def test_fail_on_levels(repo):
    (repo / "db/migration/V2__empty.sql").write_text("\n", encoding="utf-8")  # a warning
    assert main(["lint", "db/migration"]) == 0
    assert main(["lint", "db/migration", "--fail-on", "warning"]) == 1
    assert main(["lint", "db/migration", "--fail-on", "note"]) == 1
    (repo / "db/migration/V3__broken.sql").write_text(BAD, encoding="utf-8")
    assert main(["lint", "db/migration", "--fail-on", "never"]) == 0


def test_no_migration_files_is_exit_0_with_a_note(repo, capsys):
    (repo / "empty").mkdir()
    assert main(["lint", "empty"]) == 0
    assert "no migration files found under empty/" in capsys.readouterr().out


def test_missing_path_is_exit_2(repo, capsys):
    assert main(["lint", "nope"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and err.startswith("miglint: error:")


def test_config_error_is_exit_2_naming_file_and_line(repo, capsys):
    (repo / ".miglint.yml").write_text("rules:\n  syntax-eror: error\n", encoding="utf-8")
    assert main(["lint", "db/migration"]) == 2
    err = capsys.readouterr().err
    assert ".miglint.yml:2: rules.syntax-eror: unknown rule" in err


def test_usage_errors_exit_2(repo, capsys):
    assert main(["lint", "--format", "xml"]) == 2
    assert main(["lint", "--select", "bogus"]) == 2
    assert main(["lint", "--format", "json", "--output", "a.json", "--output", "b.json"]) == 2  # one --format per --output
    assert main(["lint", "--pg-version", "99"]) == 2
    assert main([]) == 2
    assert "bogus" in capsys.readouterr().err


def test_several_formats_in_one_run(repo, capsys):
    (repo / "db/migration/V2__broken.sql").write_text(BAD, encoding="utf-8")
    code = main(["lint", "db/migration", "--format", "json", "--output", "out/r.json", "--format", "sarif", "--output", "out/r.sarif", "--format", "text"])
    assert code == 1
    data = json.loads((repo / "out/r.json").read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["summary"]["error"] == 1
    assert data["findings"][0]["rule"] == "syntax-error" and data["findings"][0]["line"] == 1
    sarif = json.loads((repo / "out/r.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"][0]["ruleId"] == "syntax-error"
    assert "syntax-error" in capsys.readouterr().out  # text to stdout


def test_select_ignore_flags(repo, capsys):
    (repo / "db/migration/V2__broken.sql").write_text(BAD, encoding="utf-8")
    assert main(["lint", "db/migration", "--ignore", "syntax"]) == 0
    assert main(["lint", "db/migration", "--select", "empty-migration"]) == 0
    assert main(["lint", "db/migration", "--select", "syntax-error"]) == 1


def test_base_must_be_a_commit(repo, capsys):
    assert main(["lint", "db/migration", "--base", "origin/main"]) == 2
    assert "--base origin/main" in capsys.readouterr().err


def test_broken_file_does_not_hide_others(repo):
    (repo / "db/migration/V2__broken.sql").write_text(BAD, encoding="utf-8")
    (repo / "db/migration/V3__binary.sql").write_bytes(b"\0\1\2")
    (repo / "db/migration/V4__empty.sql").write_text("", encoding="utf-8")
    (repo / "out").mkdir()
    assert main(["lint", "db/migration", "--format", "json", "--output", "out/r.json"]) == 1
    rules = sorted((f["path"].rsplit("/", 1)[1], f["rule"]) for f in json.loads((repo / "out/r.json").read_text())["findings"])
    assert rules == [("V2__broken.sql", "syntax-error"), ("V3__binary.sql", "unreadable-file"), ("V4__empty.sql", "empty-migration")]


def test_rules_json_lists_every_rule_with_aliases(capsys):
    assert main(["rules", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in data] == list(registry.all_rules())
    style = next(r for r in data if r["id"] == "sqlfluff-style")
    assert style["family"] == "style" and style["default_level"] == "disable" and "sqlfluff" in style["aliases"]
    assert all(r["summary"] for r in data)


def test_rules_text(capsys):
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == len(registry.all_rules()) and "syntax-error" in out


def test_explain_by_id_and_alias(capsys):
    assert main(["explain", "sqlfluff"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# sqlfluff-style") and "## Why is this bad?" in out
    assert main(["explain", "nope"]) == 2


def test_presets_json(capsys):
    assert main(["presets", "--format", "json"]) == 0
    names = {p["name"] for p in json.loads(capsys.readouterr().out)}
    assert {"default", "strict", "flyway-dated", "dbmate-forward-only"} <= names


def test_console_script_and_python_m(repo):
    env = {**os.environ, "NO_COLOR": "1"}
    r = subprocess.run([sys.executable, "-m", "linter", "--version"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and r.stdout.strip() == f"miglint {__version__}"
    r = subprocess.run([sys.executable, "-m", "linter", "lint", "db/migration", "--format", "github"], capture_output=True, text=True, env=env, cwd=repo)
    assert r.returncode == 0 and r.stdout == ""
    (repo / "db/migration/V2__broken.sql").write_text(BAD, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "linter", "lint", "db/migration", "--format", "github"], capture_output=True, text=True, env=env, cwd=repo)
    assert r.returncode == 1
    assert r.stdout.startswith("::error file=db/migration/V2__broken.sql,line=1,")


def test_color_always_and_no_color(repo, capsys, monkeypatch):
    (repo / "db/migration/V2__broken.sql").write_text(BAD, encoding="utf-8")
    main(["lint", "db/migration", "--color", "always"])
    assert "\x1b[" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    main(["lint", "db/migration", "--color", "auto"])
    assert "\x1b[" not in capsys.readouterr().out
