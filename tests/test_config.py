"""Configuration loading, validation errors (file, key, line), presets and overrides."""

from __future__ import annotations

import pytest

from linter import config as configmod
from linter.config import ConfigError
from linter.model import Severity


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path, text, name=".miglint.yml"):
    f = write(tmp_path / name, text)
    with pytest.raises(ConfigError) as exc:
        configmod.load(str(f), cwd=tmp_path)
    return str(exc.value), f


def test_no_file_means_default_preset(tmp_path):
    cfg = configmod.load(cwd=tmp_path)
    assert cfg.pg_version == 16 and cfg.fail_on == "error"
    assert cfg.sources[-1].endswith("default.yaml")
    assert "sqlfluff-style" not in cfg.settings_for("a.sql")
    assert cfg.settings_for("a.sql")["syntax-error"].severity is Severity.ERROR


def test_nearest_file_walking_up(tmp_path):
    write(tmp_path / ".miglint.yml", "pg_version: 13\n")
    sub = tmp_path / "db" / "migrations"
    sub.mkdir(parents=True)
    assert configmod.load(cwd=sub).pg_version == 13


def test_pyproject_tool_table(tmp_path):
    write(tmp_path / "pyproject.toml", "[project]\nname='x'\n\n[tool.miglint]\nextends = 'strict'\npg_version = 12\n")
    cfg = configmod.load(cwd=tmp_path)
    assert cfg.pg_version == 12 and cfg.fail_on == "warning"


def test_pyproject_without_table_is_skipped_when_walking(tmp_path):
    write(tmp_path / "pyproject.toml", "[project]\nname='x'\n")
    assert configmod.find_config(tmp_path) is None or configmod.find_config(tmp_path).name != "pyproject.toml"


def test_unknown_top_level_key_names_file_key_and_line(tmp_path):
    msg, f = error_of(tmp_path, "pg_version: 15\n\npg_verison: 14\n")
    assert msg.startswith(f"{f}:3: pg_verison: unknown key")


def test_unknown_rule_names_line(tmp_path):
    msg, f = error_of(tmp_path, "rules:\n  syntax-error: error\n  no-such-rule: warning\n")
    assert msg.startswith(f"{f}:3: rules.no-such-rule: unknown rule")


def test_unknown_option_and_bad_type(tmp_path):
    msg, f = error_of(tmp_path, "rules:\n  sqlfluff-style:\n    level: warning\n    dialekt: postgres\n")
    assert f"{f}:4: rules.sqlfluff-style.dialekt: unknown option" in msg
    msg, f = error_of(tmp_path, "rules:\n  sqlfluff-style:\n    rules: LT01\n")
    assert "rules.sqlfluff-style.rules: must be a list" in msg


def test_bad_level(tmp_path):
    msg, _ = error_of(tmp_path, "rules:\n  syntax-error: fatal\n")
    assert "level must be one of error, warning, note, disable" in msg


def test_bad_values(tmp_path):
    assert "must be a PostgreSQL major version" in error_of(tmp_path, "pg_version: 3\n")[0]
    assert "must be an integer" in error_of(tmp_path, "pg_version: sixteen\n")[0]
    assert "must be one of error, warning, note, never" in error_of(tmp_path, "fail_on: sometimes\n")[0]
    assert "unknown syntax 'jinja'" in error_of(tmp_path, "placeholder_syntax: [jinja]\n")[0]


def test_invalid_yaml_names_line(tmp_path):
    msg, f = error_of(tmp_path, "rules:\n  syntax-error: [error\n")
    assert msg.startswith(f"{f}:") and "invalid YAML" in msg


def test_duplicate_key(tmp_path):
    msg, f = error_of(tmp_path, "pg_version: 15\npg_version: 14\n")
    assert msg.startswith(f"{f}:2: pg_version: duplicate key")


def test_unknown_preset_lists_available(tmp_path):
    msg, _ = error_of(tmp_path, "extends: nope\n")
    assert "unknown preset 'nope'" in msg and "default" in msg and "flyway-dated" in msg


def test_extends_a_file_relative_to_the_extender(tmp_path):
    write(tmp_path / "shared" / "base.yml", "extends: strict\npg_version: 11\n")
    f = write(tmp_path / "app" / ".miglint.yml", "extends: ../shared/base.yml\nrules:\n  empty-migration: note\n")
    cfg = configmod.load(str(f), cwd=tmp_path)
    assert cfg.pg_version == 11 and cfg.fail_on == "warning"
    assert cfg.settings_for("x.sql")["empty-migration"].severity is Severity.NOTE
    assert cfg.settings_for("x.sql")["unused-suppression"].severity is Severity.ERROR  # from strict


def test_extends_loop(tmp_path):
    write(tmp_path / "a.yml", "extends: ./b.yml\n")
    write(tmp_path / "b.yml", "extends: ./a.yml\n")
    with pytest.raises(ConfigError, match="loop"):
        configmod.load(str(tmp_path / "a.yml"), cwd=tmp_path)


def test_preset_flag_replaces_extends_but_keeps_the_file(tmp_path):
    f = write(tmp_path / ".miglint.yml", "extends: strict\npg_version: 10\n")
    cfg = configmod.load(str(f), preset="relaxed", cwd=tmp_path)
    assert cfg.fail_on == "error" and cfg.pg_version == 10
    assert cfg.settings_for("x.sql")["empty-migration"].severity is Severity.NOTE


def test_flags_win(tmp_path):
    f = write(tmp_path / ".miglint.yml", "pg_version: 10\nfail_on: note\n")
    cfg = configmod.load(str(f), cwd=tmp_path, pg_version=15, fail_on="never")
    assert (cfg.pg_version, cfg.fail_on) == (15, "never")


def test_alias_in_config_means_the_rule(tmp_path):
    f = write(tmp_path / ".miglint.yml", "rules:\n  sqlfluff: warning\n")
    cfg = configmod.load(str(f), cwd=tmp_path)
    assert cfg.settings_for("x.sql")["sqlfluff-style"].severity is Severity.WARNING


def test_overrides_use_gitignore_patterns(tmp_path):
    f = write(
        tmp_path / ".miglint.yml",
        "overrides:\n  - files: ['seeds/dev/**', '!seeds/dev/keep.sql']\n    rules: {empty-migration: disable, syntax-error: warning}\n",
    )
    cfg = configmod.load(str(f), cwd=tmp_path)
    dev = cfg.settings_for("seeds/dev/users.sql")
    assert "empty-migration" not in dev and dev["syntax-error"].severity is Severity.WARNING
    assert "empty-migration" in cfg.settings_for("seeds/dev/keep.sql")
    assert "empty-migration" in cfg.settings_for("db/V1__x.sql")


def test_override_errors(tmp_path):
    msg, f = error_of(tmp_path, "overrides:\n  - files: [a]\n    rulez: {}\n")
    assert f"{f}:3: overrides[0].rulez: unknown key" in msg
    assert "files must be a non-empty list" in error_of(tmp_path, "overrides:\n  - rules: {}\n")[0]


def test_select_and_ignore_by_family_id_and_alias(tmp_path):
    from linter import registry

    cfg = configmod.load(cwd=tmp_path)
    only_style = cfg.select(["style"], [])
    assert set(only_style.settings_for("x.sql")) == {"sqlfluff-style"}
    assert only_style.settings_for("x.sql")["sqlfluff-style"].severity is Severity.WARNING
    no_syntax = cfg.select([], ["syntax"])
    left = set(no_syntax.settings_for("x.sql"))
    assert left and not {r for r in left if registry.all_rules()[r].family == "syntax"}
    picked = cfg.select(["syntax-error,sqlfluff"], ["sqlfluff-style"])
    assert set(picked.settings_for("x.sql")) == {"syntax-error"}
    with pytest.raises(ConfigError, match="--select: unknown rule or family 'bogus'"):
        cfg.select(["bogus"], [])


def test_every_preset_loads_and_names_its_standard():
    names = configmod.preset_names()
    assert {"default", "strict", "relaxed"} <= set(names)
    standards = set()
    for name in names:
        cfg = configmod.load_preset(name)
        assert cfg.description, name
        if cfg.standard:
            standards.add(cfg.standard.split(":")[0])
    assert standards == {"000", "001", "002", "003", "004"}


def test_default_preset_names_every_rule():
    from linter import registry

    data = configmod.load_file(configmod.rules_dir() / "default.yaml")
    assert set(data["rules"]) == set(registry.all_rules())


def test_presets_from_the_generated_table_equal_the_yaml(monkeypatch):
    """linter/presets.py (read by default) configures exactly as rules/*.yaml (read when
    MIGLINT_RULES_DIR is set); `python -m linter.docs --check` keeps the table current."""
    names = configmod.preset_names()
    from_table = [configmod.load_preset(n) for n in names]
    monkeypatch.setenv("MIGLINT_RULES_DIR", str(configmod.rules_dir()))
    from_yaml = [configmod.load_preset(n) for n in names]
    assert from_table == from_yaml


def test_lint_without_a_configuration_file_does_not_import_yaml(tmp_path):
    import subprocess
    import sys

    (tmp_path / "V1__x.sql").write_text("SELECT 1;\n", encoding="utf-8")
    code = "import sys; from linter.cli import main; main(['lint', '.']); print('yaml' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.stdout.strip().endswith("False"), r.stdout + r.stderr


def test_rollback_locking_and_snapshots(tmp_path):
    assert configmod.load(cwd=tmp_path).rollback_locking == "summary"
    write(tmp_path / ".miglint.yml", "rollback_locking: full\nsnapshots: [db/structure.sql]\n")
    cfg = configmod.load(cwd=tmp_path)
    assert cfg.rollback_locking == "full" and cfg.snapshots == ["db/structure.sql"]
    msg, f = error_of(tmp_path / "bad", "pg_version: 16\nrollback_locking: some\n")
    assert msg.endswith(".miglint.yml:2: rollback_locking: must be one of off, summary, full")
    msg, _ = error_of(tmp_path / "bad2", "snapshots: db/structure.sql\n")
    assert "snapshots" in msg and "list" in msg


def test_flyway_dated_reports_every_lock_finding_on_downs():
    assert configmod.load_preset("flyway-dated").rollback_locking == "full"
    assert configmod.load_preset("default").rollback_locking == "summary"


def test_foreign_suppressions_is_a_boolean(tmp_path):
    assert configmod.load(cwd=tmp_path).foreign_suppressions is True
    f = write(tmp_path / "a" / ".miglint.yml", "foreign_suppressions: false\n")
    assert configmod.load(str(f), cwd=tmp_path / "a").foreign_suppressions is False
    assert "foreign_suppressions: must be true or false" in error_of(tmp_path / "b", "foreign_suppressions: sometimes\n")[0]


def test_verify_section_is_read_and_validated_strictly(tmp_path):
    f = write(tmp_path / ".miglint.yml", "verify:\n  setup: db/verify/roles.sql\n  roles: off\n  roundtrip: all\n"
                                        "  statement_timeout: 5\n  pg_bin: /opt/pg/bin\n  cache: .cache/verify\n"
                                        "  database_is_throwaway: true\n")
    v = configmod.load(str(f), cwd=tmp_path).verify
    assert (v.setup, v.roles, v.roundtrip, v.statement_timeout, v.pg_bin, v.cache, v.database_is_throwaway) == (
        ["db/verify/roles.sql"], "off", "all", 5.0, "/opt/pg/bin", ".cache/verify", True)
    assert configmod.load_preset("default").verify == configmod.VerifySettings()  # defaults
    msg, f = error_of(tmp_path, "verify:\n  roundtrip: new\n  database_url: postgres://x\n")
    assert msg.startswith(f"{f}:3: verify.database_url: unknown key")
    assert "verify.roles: must be one of auto, off" in error_of(tmp_path, "verify:\n  roles: yes-please\n")[0]
    assert "verify.roundtrip: must be one of new, all, off" in error_of(tmp_path, "verify:\n  roundtrip: some\n")[0]
    assert "verify.statement_timeout: must be 0 (never)" in error_of(tmp_path, "verify:\n  statement_timeout: -1\n")[0]
    assert "verify.statement_timeout: must be a number" in error_of(tmp_path, "verify:\n  statement_timeout: soon\n")[0]
    assert "verify.cache: must be true, false or a directory" in error_of(tmp_path, "verify:\n  cache: 3\n")[0]
    assert "verify.setup: must be a list of file paths" in error_of(tmp_path, "verify:\n  setup: [1]\n")[0]
    assert "verify: must be a mapping" in error_of(tmp_path, "verify: true\n")[0]
