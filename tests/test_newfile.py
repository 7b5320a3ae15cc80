"""``miglint new`` (:mod:`linter.newfile`): the next file per convention, checked by
classifying the new file the way discovery does. Roots use real file names from
/work/shared/corpus (contents empty except the dbmate/goose markers)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from linter import cli, newfile
from linter.discovery import classify, discover
from linter.model import Direction

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=timezone.utc)
DBMATE = "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n"
GOOSE = "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 1;\n"


def _root(tmp_path: Path, names: list[str], content: str = "") -> Path:
    root = tmp_path / "migrations"
    for n in names:
        p = root / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content or "SELECT 1;\n", encoding="utf-8")
    return root


CASES = [
    # (id, existing names, content, expected new paths relative to the root)
    ("flyway", ["V98__behandlingstegtilstand_sett_avsluttet_til_utfort.sql", "V99__vilkaar_resultat_enum_endring.sql"], "",
     ["V100__add_users_index.sql"]),
    ("flyway-parts", ["V2_44_7__remove_tracker_stored_by.sql", "V2_44_8__drop_stored_by_from_tracked_entities_enrollments_and_events_by.sql"], "",
     ["V2_44_9__add_users_index.sql"]),
    ("flyway-dialect", ["V1_20_2__action_rollout_indexes__POSTGRESQL.sql", "V1_20_3__auto_assignment_approval__POSTGRESQL.sql"], "",
     ["V1_20_4__add_users_index__POSTGRESQL.sql"]),
    ("flyway-dated", ["V2026.11.22.001__create_users.sql", "down/V2026.11.22.001__create_users.sql",
                      "V2026.11.21.005__alter_users.sql", "down/V2026.11.21.005__alter_users.sql"], "",
     ["V2026.11.22.002__add_users_index.sql", "down/V2026.11.22.002__add_users_index.sql"]),
    ("flyway-dated-new-day", ["V2025.10.31.001__create_users.sql", "down/V2025.10.31.001__create_users.sql"], "",
     ["V2026.11.22.001__add_users_index.sql", "down/V2026.11.22.001__add_users_index.sql"]),
    ("golang-migrate", ["0079_alter_gitspaces_add_has_git_changes.up.sql", "0079_alter_gitspaces_add_has_git_changes.down.sql",
                        "0080_alter_table_pullreq_add_rebaseability.up.sql", "0080_alter_table_pullreq_add_rebaseability.down.sql"], "",
     ["0081_add_users_index.up.sql", "0081_add_users_index.down.sql"]),
    ("golang-migrate-ts", ["20260818090123_rate_card_feature_reference_constraints.up.sql",
                           "20260818090123_rate_card_feature_reference_constraints.down.sql"], "",
     ["20261122120000_add_users_index.up.sql", "20261122120000_add_users_index.down.sql"]),
    ("golang-migrate-v", ["V0025.StorageAAD.up.sql", "V0025.StorageAAD.down.sql", "V0026.StorageAADRowScoped.up.sql",
                          "V0026.StorageAADRowScoped.down.sql"], "",
     ["V0027.add_users_index.up.sql", "V0027.add_users_index.down.sql"]),
    ("dbmate", ["20231130133139_set_lock_timeout_to_authenticator_role.sql", "20240124080435_alter_lo_export_lo_import_owner.sql"],
     DBMATE, ["20261122120000_add_users_index.sql"]),
    ("goose", ["005_add_conditions_to_tuples.sql", "006_add_collate_index.sql"], GOOSE, ["007_add_users_index.sql"]),
    ("diesel", ["2026-07-08-184840-0000_add_report_resolve_reason/up.sql", "2026-07-08-184840-0000_add_report_resolve_reason/down.sql",
                "2026-07-27-143313-0000_rename_resolve_reason_to_conclusion/up.sql",
                "2026-07-27-143313-0000_rename_resolve_reason_to_conclusion/down.sql"], "",
     ["2026-11-22-120000-0000_add_users_index/up.sql", "2026-11-22-120000-0000_add_users_index/down.sql"]),
    ("diesel-short", ["2026-04-25-120000_sso_auth_binding/up.sql", "2026-04-25-120000_sso_auth_binding/down.sql",
                      "2026-05-05-120000_sso_auth_error/up.sql", "2026-05-05-120000_sso_auth_error/down.sql"], "",
     ["2026-11-22-120000_add_users_index/up.sql", "2026-11-22-120000_add_users_index/down.sql"]),
    ("prisma", ["20260616120000_add_cancelled_document_status/migration.sql", "20260622120000_add_recipient_reminder_count/migration.sql"], "",
     ["20261122120000_add_users_index/migration.sql"]),
    ("timestamp", ["20240213085646_add_context_length_to_custom_models.sql", "20240302004845_add_groq.sql"], "",
     ["20261122120000_add_users_index.sql"]),
    ("sequential", ["0037_add_platform_identity_tables.sql", "0038_add_provider_notification_batches.sql"], "",
     ["0039_add_users_index.sql"]),
    ("sequential-dash", ["0062-object-versioning-core.sql", "0063-fix-search-name-relative-to-prefix.sql"], "",
     ["0064-add_users_index.sql"]),
    ("sequential-12", ["202606101200_add_tenant_deletion_schedule.sql", "202606121200_add_tenant_description_template.sql"], "",
     ["202611221200_add_users_index.sql"]),
    ("up-down-dirs", ["up/001_create_users.sql", "down/001_create_users.sql", "up/002_add_email.sql", "down/002_add_email.sql"], "",
     ["up/003_add_users_index.sql", "down/003_add_users_index.sql"]),
]


@pytest.mark.parametrize("names,content,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_next_file_per_convention(tmp_path, monkeypatch, names, content, expected):
    monkeypatch.chdir(tmp_path)
    root = _root(tmp_path, names, content)
    before = [f for f in discover([str(root)], base_dir=str(tmp_path)).files if f.direction is Direction.UP]
    last = max(before, key=lambda f: f.version_key)
    created = newfile.create(root, "Add users-index", now=NOW)
    assert [p.relative_to(root).as_posix() for p in created] == expected
    for p in created:
        assert p.is_file()
        got = classify(str(p), base_dir=str(tmp_path))
        assert got is not None and got.convention is last.convention, got
        assert got.version_key > last.version_key
    assert classify(str(created[0]), base_dir=str(tmp_path)).direction is Direction.UP
    if len(created) == 2:
        assert classify(str(created[1]), base_dir=str(tmp_path)).direction is Direction.DOWN
        assert "undoes" in created[1].read_text(encoding="utf-8")
    # the whole root still reads as one convention
    after = discover([str(root)], base_dir=str(tmp_path)).files
    assert {f.convention for f in after} == {last.convention}


def test_header_and_markers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = _root(tmp_path, ["20231130133139_set_lock_timeout_to_authenticator_role.sql"], DBMATE)
    [p] = newfile.create(root, "add index", now=NOW)
    text = p.read_text(encoding="utf-8")
    assert "-- Migration: 20261122120000_add_index.sql" in text
    assert "-- Version: 20261122120000" in text and "-- Created: 2026-11-22" in text
    assert "-- migrate:up" in text and "-- migrate:down" in text


def test_empty_root_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    [p] = newfile.create(tmp_path / "db", "init", now=NOW)
    assert p.name == "20261122120000_init.sql"
    paths = newfile.create(tmp_path / "fw", "create users", now=NOW, convention="flyway-dated")
    assert [x.relative_to(tmp_path / "fw").as_posix() for x in paths] == [
        "V2026.11.22.001__create_users.sql", "down/V2026.11.22.001__create_users.sql"]
    paths = newfile.create(tmp_path / "gm", "init", now=NOW, convention="golang-migrate")
    assert [x.name for x in paths] == ["20261122120000_init.up.sql", "20261122120000_init.down.sql"]


def test_empty_root_uses_preset(tmp_path, monkeypatch):
    from linter import config as configmod

    monkeypatch.chdir(tmp_path)
    cfg = configmod.load(None, preset="diesel", cwd=tmp_path)
    paths = newfile.create(tmp_path / "m", "init", now=NOW, config=cfg)
    assert [x.relative_to(tmp_path / "m").as_posix() for x in paths] == [
        "2026-11-22-120000_init/up.sql", "2026-11-22-120000_init/down.sql"]


def test_custom_template(tmp_path, monkeypatch):
    from linter import config as configmod

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tpl.sql.j2").write_text("-- {{ convention }} {{ direction }} {{ version }} {{ description }}\n", encoding="utf-8")
    (tmp_path / ".miglint.yml").write_text("new_template: tpl.sql.j2\n", encoding="utf-8")
    cfg = configmod.load(None, cwd=tmp_path)
    assert cfg.new_template == "tpl.sql.j2"
    root = _root(tmp_path, ["005_add_conditions_to_tuples.sql"], GOOSE)
    [p] = newfile.create(root, "x", now=NOW, config=cfg)
    text = p.read_text(encoding="utf-8")
    assert text.startswith("-- goose up 006 x\n")
    assert "-- +goose Up" in text  # the tool's sections are added when the template lacks them


@pytest.mark.parametrize("bad", ["add; drop", "", "   ", "café/x"])
def test_bad_description(bad):
    with pytest.raises(newfile.NewFileError):
        newfile.normalise_description(bad)


def test_cli_new(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _root(tmp_path, ["0079_alter_gitspaces_add_has_git_changes.up.sql", "0079_alter_gitspaces_add_has_git_changes.down.sql"])
    assert cli.main(["new", "Add Users Index", "--root", "migrations"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["created migrations/0080_add_users_index.up.sql", "created migrations/0080_add_users_index.down.sql"]
    assert (tmp_path / "migrations/0080_add_users_index.down.sql").is_file()


def test_cli_dry_run_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    root = _root(tmp_path, ["0037_add_platform_identity_tables.sql"])
    assert cli.main(["new", "x y", "--root", "migrations", "--dry-run"]) == 0
    assert capsys.readouterr().out.strip() == "would create migrations/0038_x_y.sql"
    assert sorted(p.name for p in root.iterdir()) == ["0037_add_platform_identity_tables.sql"]


def test_cli_refuses_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    root = _root(tmp_path, ["up/001_create_users.sql", "down/001_create_users.sql"])
    (root / "down" / "002_again.sql").write_text("keep\n", encoding="utf-8")
    assert cli.main(["new", "again", "--root", "migrations"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert not (root / "up" / "002_again.sql").exists()
    assert (root / "down" / "002_again.sql").read_text(encoding="utf-8") == "keep\n"


def test_cli_bad_description(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["new", "drop table users;", "--root", "m"]) == 2
    assert "invalid description" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_preset_header_fields_pass_the_header_rule(tmp_path, monkeypatch):
    """flyway-dated requires Migration, Version, Author, Date, Rollback: the new file has them."""
    from linter import config as configmod, engine

    monkeypatch.chdir(tmp_path)
    cfg = configmod.load(None, preset="flyway-dated", cwd=tmp_path)
    up, down = newfile.create(tmp_path / "db", "create users", now=NOW, config=cfg)
    text = up.read_text(encoding="utf-8")
    assert "-- Date: 2026-11-22" in text and "-- Rollback: down/V2026.11.22.001__create_users.sql" in text
    assert "-- Author: " in text
    assert down.read_text(encoding="utf-8").count("-- Rollback:") == 1
    found = discover(["db"], base_dir=str(tmp_path))
    report = engine.lint(found.files, cfg.select(["missing-migration-header"], []))
    assert [f for f in report.findings if f.rule_id == "missing-migration-header"] == []
