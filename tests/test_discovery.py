"""Tests for :mod:`linter.discovery`.

Fixtures under ``tests/fixtures/discovery/<convention>/`` are small real cases copied
from the migration corpus (``shared/corpus``) with their real names and layout; contents
are truncated or empty because only names and dbmate/goose markers matter here. A few
files that the corpus left out on purpose (other-dialect variants that sit next to the
PostgreSQL files upstream: kratos ``.mysql.``, hawkbit ``__MYSQL``, synapse
``.sql.sqlite``, vaultwarden ``mysql/``) are empty files with upstream-style names.
"""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path

import pytest

from linter.discovery import Discovery, classify, discover
from linter.model import Convention, Direction, MigrationFile

FIX = Path(__file__).resolve().parent / "fixtures" / "discovery"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def run(*paths: str, **kw) -> Discovery:
    return discover(list(paths) or ["."], base_dir=str(FIX), **kw)


@pytest.fixture(scope="module")
def everything() -> dict[str, MigrationFile]:
    d = run()
    assert d.errors == []
    return {f.path: f for f in d.files}


def by_suffix(files: dict[str, MigrationFile], prefix: str) -> dict[str, MigrationFile]:
    return {p[len(prefix):]: f for p, f in files.items() if p.startswith(prefix)}


# --------------------------------------------------------------------------- Flyway


def test_flyway_versions_descriptions_and_repeatable(everything):
    m = by_suffix(everything, "flyway/marquez/")
    assert set(m) == {
        "V9__initial_schema.sql",
        "V10__drop_unique_constraint_on_job_name.sql",
        "V17.1__unique_version_constraint.sql",
        "V2.1__alter_job_versions_to_add_job_context_uuid.sql",
        "R__Datasets_view.sql",
    }
    v = m["V17.1__unique_version_constraint.sql"]
    assert (v.convention, v.direction, v.version, v.version_key) == (Convention.FLYWAY, Direction.UP, "17.1", (17, 1))
    assert v.description == "unique_version_constraint"
    assert v.root == "flyway/marquez"
    r = m["R__Datasets_view.sql"]
    assert (r.convention, r.direction, r.version, r.version_key) == (Convention.FLYWAY, Direction.REPEATABLE, None, ())
    assert r.description == "Datasets_view"


def test_flyway_orders_numerically_part_by_part():
    files = [f for f in run("flyway/marquez").files if f.version is not None]
    assert [f.version for f in files] == ["2.1", "9", "10", "17.1"]  # not "10" < "17.1" < "2.1" < "9"
    undo = [f.version for f in run("flyway/undo").files if f.direction is Direction.UP]
    assert undo == ["1", "1.1", "1.2", "1.10"]


def test_flyway_trailing_zero_parts_do_not_count():
    # Flyway's MigrationVersion drops trailing zero parts: B1_20_0 is version 1.20.
    b = classify("flyway/hawkbit/B1_20_0__1.0.0_baseline__POSTGRESQL.sql", base_dir=str(FIX))
    assert b is not None
    assert (b.version, b.version_key, b.direction) == ("1_20_0", (1, 20), Direction.BASELINE)
    assert b.description == "1.0.0_baseline"
    assert b.dialect == "postgres"


def test_flyway_undo_pairs_with_versioned(everything):
    m = by_suffix(everything, "flyway/undo/db/migration/")
    v, u = m["V1__create_users.sql"], m["U1__create_users.sql"]
    assert (v.direction, u.direction) == (Direction.UP, Direction.DOWN)
    assert u.convention is Convention.FLYWAY
    assert v.migration_id == u.migration_id == "flyway/undo/db/migration:V1"
    assert m["V1.1__add_email.sql"].migration_id != v.migration_id


def test_flyway_non_ascii_names(everything):
    m = by_suffix(everything, "flyway/familie-ba-sak/")
    f = m["V132__legger_til_skjønnsmessig_vurdering_på_vilkår_resultat.sql"]
    assert f.convention is Convention.FLYWAY
    assert f.version_key == (132,)
    assert f.description == "legger_til_skjønnsmessig_vurdering_på_vilkår_resultat"
    assert f.path == "flyway/familie-ba-sak/V132__legger_til_skjønnsmessig_vurdering_på_vilkår_resultat.sql"
    assert os.path.isfile(f.abspath)
    assert m["V200__behandlingsmetadata_.sql"].description == "behandlingsmetadata_"


def test_flyway_release_folders_form_one_root_and_base_schema_is_baseline(everything):
    m = by_suffix(everything, "flyway/dhis2-core/")
    v = m["migration/2.31/V2_31_10__Remove_storagestatus_column_from_fileresource_table.sql"]
    assert (v.version, v.version_key) == ("2_31_10", (2, 31, 10))
    roots = {f.root for k, f in m.items() if k.startswith("migration/")}
    assert roots == {"flyway/dhis2-core/migration"}
    base = m["base/dhis2_base_schema.sql"]
    assert (base.convention, base.direction, base.version) == (Convention.FLYWAY, Direction.BASELINE, None)
    # the same answers when the files are given one by one (as in a pull request)
    one = run("flyway/dhis2-core/migration/2.40/V2_40_8__Create_table_userrolerestrictions.sql").files
    assert [f.root for f in one] == ["flyway/dhis2-core/migration"]


def test_flyway_down_mirror_directory(everything):
    m = by_suffix(everything, "flyway/standard-001/database/migrations/")
    up = m["V2025.10.31.001__add_foreign_key_constraints.sql"]
    down = m["down/V2025.10.31.001__add_foreign_key_constraints.sql"]
    assert (up.direction, down.direction) == (Direction.UP, Direction.DOWN)
    assert down.convention is Convention.FLYWAY
    assert up.root == down.root == "flyway/standard-001/database/migrations"
    assert up.migration_id == down.migration_id
    assert up.version_key == (2025, 10, 31, 1)
    other = m["V2025.10.31.002__create_payment_reconciliation_table.sql"]
    assert other.migration_id != up.migration_id


def test_hawkbit_other_dialects_skipped_with_note():
    d = run("flyway/hawkbit")
    names = sorted(os.path.basename(f.path) for f in d.files)
    assert names == ["B1_20_0__1.0.0_baseline__POSTGRESQL.sql", "V1_20_2__action_rollout_indexes__POSTGRESQL.sql"]
    v = [f for f in d.files if f.direction is Direction.UP][0]
    assert (v.description, v.dialect) == ("action_rollout_indexes", "postgres")
    assert d.notes == ["skipped 2 files for other SQL dialects (h2, mysql) under flyway/hawkbit/"]


# --------------------------------------------------------------------------- golang-migrate


def test_golang_migrate_pairs_by_version_even_when_names_differ(everything):
    m = by_suffix(everything, "golang-migrate/ente/")
    up, down = m["30_add_magic_metadata.up.sql"], m["30_drop_magic_metadata.down.sql"]
    assert (up.convention, up.direction, down.direction) == (Convention.GOLANG_MIGRATE, Direction.UP, Direction.DOWN)
    assert up.migration_id == down.migration_id == "golang-migrate/ente:30"
    assert (up.version, up.version_key, up.description) == ("30", (30,), "add_magic_metadata")
    assert down.description == "drop_magic_metadata"


def test_gitness_underscore_variant_and_shared_version(everything):
    m = by_suffix(everything, "golang-migrate/gitness/")
    assert {f.convention for f in m.values()} == {Convention.GOLANG_MIGRATE}
    up, down = m["0021_alter_table_webhook_add_internal_up.sql"], m["0021_alter_table_webhook_add_internal_down.sql"]
    assert (up.direction, down.direction) == (Direction.UP, Direction.DOWN)
    assert up.description == down.description == "alter_table_webhook_add_internal"
    assert up.migration_id == down.migration_id
    # three files share version 0000: each is its own migration, paired by name
    zero = [f for k, f in m.items() if k.startswith("0000_")]
    assert len(zero) == 3 and {f.version_key for f in zero} == {(0,)}
    assert len({f.migration_id for f in zero}) == 3


def test_authelia_v_prefix_dot_separator(everything):
    m = by_suffix(everything, "golang-migrate/authelia/")
    up, down = m["V0001.Initial_Schema.up.sql"], m["V0001.Initial_Schema.down.sql"]
    assert (up.convention, up.version, up.version_key, up.description) == (
        Convention.GOLANG_MIGRATE, "0001", (1,), "Initial_Schema")
    assert up.migration_id == down.migration_id != m["V0002.WebAuthn.up.sql"].migration_id


def test_popx_dialects_override_and_autocommit():
    d = run("golang-migrate/kratos")
    m = {f.path[len("golang-migrate/kratos/"):]: f for f in d.files}
    assert set(m) == {
        "sql/20230920171028000000_identity_search_index.postgres.up.sql",
        "sql/20230920171028000000_identity_search_index.postgres.down.sql",
        "sql/20241029153900000001_identities.autocommit.up.sql",
        "sql/20241029153900000001_identities.autocommit.down.sql",
        "legacy/20191100000002_requests.postgres.up.sql",
        "legacy/20191100000002_requests.postgres.down.sql",
    }
    pg = m["sql/20230920171028000000_identity_search_index.postgres.up.sql"]
    assert (pg.dialect, pg.description, pg.version_key) == ("postgres", "identity_search_index", (20230920171028000000,))
    assert pg.migration_id == m["sql/20230920171028000000_identity_search_index.postgres.down.sql"].migration_id
    ac = m["sql/20241029153900000001_identities.autocommit.up.sql"]
    assert ac.options == (("autocommit", True),) and ac.option("autocommit") is True
    assert ac.dialect is None and ac.description == "identities"
    assert pg.option("autocommit") is None
    # sql/ and legacy/ are separate sequences
    assert {f.root for f in d.files} == {"golang-migrate/kratos/sql", "golang-migrate/kratos/legacy"}
    assert sorted(d.notes) == [
        "skipped 2 generic popx files overridden by .postgres. variants under golang-migrate/kratos/sql/",
        "skipped 5 files for other SQL dialects (cockroach, mysql, sqlite3) under golang-migrate/kratos/sql/",
    ]
    assert classify("golang-migrate/kratos/sql/20230920171028000000_identity_search_index.mysql.up.sql", base_dir=str(FIX)) is None


# --------------------------------------------------------------------------- dbmate / goose


def test_dbmate_by_marker_and_by_directory_majority(everything):
    m = by_suffix(everything, "dbmate/subway/")
    assert {f.convention for f in m.values()} == {Convention.DBMATE}
    assert {f.direction for f in m.values()} == {Direction.UP}
    # this copy is empty (no marker): its siblings decide
    odd = m["migrations/20230524032337_add-cbsa-and-state-income-to-postal-codes.sql.sql"]
    assert odd.convention is Convention.DBMATE
    assert odd.version_key == (20230524032337,)
    assert {f.root for f in m.values()} == {"dbmate/subway/migrations", "dbmate/subway/seed-updates"}


def test_supabase_postgres_init_scripts_own_root(everything):
    m = by_suffix(everything, "dbmate/supabase-postgres/")
    init = m["init-scripts/00000000000001-auth-schema.sql"]
    assert (init.convention, init.version, init.version_key, init.description) == (
        Convention.DBMATE, "00000000000001", (1,), "auth-schema")
    assert init.root == "dbmate/supabase-postgres/init-scripts"
    assert m["migrations/10000000000000_demote-postgres.sql"].root == "dbmate/supabase-postgres/migrations"


def test_goose(everything):
    m = by_suffix(everything, "goose/openfga/")
    assert {f.convention for f in m.values()} == {Convention.GOOSE}
    f = m["006_add_collate_index.sql"]
    assert (f.version, f.version_key, f.description, f.direction) == ("006", (6,), "add_collate_index", Direction.UP)


def test_dbmate_schema_dump_is_baseline_and_seeds(everything):
    m = by_suffix(everything, "dbmate/standard-004/db/")
    assert m["schema.sql"].convention is Convention.DBMATE
    assert m["schema.sql"].direction is Direction.BASELINE
    seed = m["seeds/development.sql"]
    assert (seed.convention, seed.direction, seed.root, seed.version) == (
        Convention.SEED, Direction.SEED, "dbmate/standard-004/db/seeds", None)
    assert m["migrations/20240101120000_create_users_table.sql"].convention is Convention.DBMATE


# --------------------------------------------------------------------------- diesel / prisma


def test_diesel_directories_metadata_and_order():
    d = run("diesel/crates.io")
    order = [f.path[len("diesel/crates.io/"):] for f in d.files]
    assert order == [
        "data_oauth_github.sql",  # stray file in the diesel root: no version, sorts first
        "00000000000000_diesel_initial_setup/down.sql",
        "00000000000000_diesel_initial_setup/up.sql",
        "20161115111853_dumped_migration_117/down.sql",
        "20161115111853_dumped_migration_117/up.sql",
        "2019-03-22-170700_remove_crate_downloads/down.sql",
        "2019-03-22-170700_remove_crate_downloads/up.sql",
        "2024-10-25-112826_make-unique-version-unique/down.sql",
        "2024-10-25-112826_make-unique-version-unique/up.sql",
    ]
    m = {f.path[len("diesel/crates.io/"):]: f for f in d.files}
    stray = m["data_oauth_github.sql"]
    assert (stray.convention, stray.root) == (Convention.UNKNOWN, "diesel/crates.io")
    up = m["2024-10-25-112826_make-unique-version-unique/up.sql"]
    down = m["2024-10-25-112826_make-unique-version-unique/down.sql"]
    assert (up.convention, up.direction, down.direction) == (Convention.DIESEL, Direction.UP, Direction.DOWN)
    assert (up.version, up.description) == ("2024-10-25-112826", "make-unique-version-unique")
    assert up.options == down.options == (("run_in_transaction", False),)
    assert up.option("run_in_transaction") is False
    assert m["2019-03-22-170700_remove_crate_downloads/up.sql"].options == ()
    assert up.migration_id == down.migration_id == "diesel/crates.io:2024-10-25-112826_make-unique-version-unique"
    assert {f.root for f in d.files} == {"diesel/crates.io"}


def test_diesel_suffixed_versions_order(everything):
    m = by_suffix(everything, "diesel/lemmy/")
    a = m["2026-03-08-021022-0000_fixup_post_action_indexes/up.sql"]
    b = m["2026-03-08-202630-0000_add_modlog_foreign_keys/up.sql"]
    assert a.version == "2026-03-08-021022-0000"
    assert a.version_key < b.version_key
    assert a.description == "fixup_post_action_indexes"


def test_per_dialect_directories_are_skipped():
    d = run("diesel/vaultwarden")
    assert {f.root for f in d.files} == {"diesel/vaultwarden/migrations/postgresql"}
    assert len(d.files) == 2
    assert d.notes == ["skipped 4 files for other SQL dialects (mysql, sqlite) under diesel/vaultwarden/migrations/"]


def test_prisma(everything):
    m = by_suffix(everything, "prisma/documenso/")
    assert set(m) == {"20230404095503_initial_migration/migration.sql", "20230411134605_doc_208/migration.sql"}
    f = m["20230411134605_doc_208/migration.sql"]
    assert (f.convention, f.direction, f.version, f.description, f.root) == (
        Convention.PRISMA, Direction.UP, "20230411134605", "doc_208", "prisma/documenso")


# --------------------------------------------------------------------------- up/down trees, plain files


def test_up_down_directories_pair_by_version(everything):
    m = by_suffix(everything, "up-down-dirs/standard-003/migrations/")
    up, down = m["up/001_create_users.sql"], m["down/001_drop_users.sql"]
    assert (up.convention, down.convention) == (Convention.UP_DOWN_DIRS, Convention.UP_DOWN_DIRS)
    assert (up.direction, down.direction) == (Direction.UP, Direction.DOWN)
    assert up.root == down.root == "up-down-dirs/standard-003/migrations"
    assert up.migration_id == down.migration_id != m["up/002_add_indexes.sql"].migration_id
    # the default seed patterns are anchored (seed/**) or need "seeds": this one is not a seed ...
    assert m["seed/initial_data.sql"].convention is Convention.UNKNOWN
    # ... unless configured
    d = run("up-down-dirs", seeds=["**/seed/**/*.sql"])
    seed = [f for f in d.files if f.path.endswith("initial_data.sql")][0]
    assert (seed.convention, seed.root) == (Convention.SEED, "up-down-dirs/standard-003/migrations/seed")


def test_fider_mixed_up_suffix_is_one_timestamp_sequence(everything):
    m = by_suffix(everything, "timestamp/fider/")
    assert {f.convention for f in m.values()} == {Convention.TIMESTAMP}
    assert {f.direction for f in m.values()} == {Direction.UP}
    up = m["201805070759_add_logo_id.up.sql"]
    assert (up.version, up.description) == ("201805070759", "add_logo_id")
    assert [f.version for f in run("timestamp/fider").files] == ["201805070759", "201808291958", "202410122105"]


def test_supabase_cli_timestamps(everything):
    m = by_suffix(everything, "timestamp/chatbot-ui/supabase/migrations/")
    f = m["20240108234541_add_profiles.sql"]
    assert (f.convention, f.version_key, f.description) == (Convention.TIMESTAMP, (20240108234541,), "add_profiles")


def test_sequential_dash_separator_restarts_per_folder(everything):
    m = by_suffix(everything, "sequential/storage/")
    assert {f.convention for f in m.values()} == {Convention.SEQUENTIAL}
    assert m["tenant/00010-search-files-search-function.sql"].version_key == (10,)
    assert m["tenant/0002-storage-schema.sql"].description == "storage-schema"
    assert m["tenant/0001-initialmigration.sql"].root == "sequential/storage/tenant"
    assert m["multitenant/0001-initialmigration.sql"].root == "sequential/storage/multitenant"
    order = [f.version_key for f in run("sequential/storage/tenant").files]
    assert order == [(1,), (2,), (10,)]


def test_sequential_number_only_and_drizzle(everything):
    g = by_suffix(everything, "sequential/graphile-worker/")
    assert (g["000010.sql"].convention, g["000010.sql"].version_key, g["000010.sql"].description) == (
        Convention.SEQUENTIAL, (10,), None)
    mid = by_suffix(everything, "sequential/midday/")
    assert set(mid) == {"0001_add_report_types.sql", "0010_add_customer_enrichment.sql", "0010_add_invoice_recurring.sql"}
    dup = [f for f in mid.values() if f.version == "0010"]
    assert len(dup) == 2 and dup[0].migration_id != dup[1].migration_id
    assert {f.convention for f in mid.values()} == {Convention.SEQUENTIAL}


# --------------------------------------------------------------------------- Synapse


def test_synapse(everything):
    m = by_suffix(everything, "synapse/schema/")
    assert {f.convention for f in m.values()} == {Convention.SYNAPSE}
    pg = m["main/delta/84/03_auth_links_analyze.sql.postgres"]
    assert (pg.dialect, pg.version, pg.description, pg.root) == ("postgres", "84", "auth_links_analyze", "synapse/schema/main")
    assert m["main/delta/72/03drop_event_reference_hashes.sql"].description == "drop_event_reference_hashes"
    full = m["main/full_schemas/72/full.sql.postgres"]
    assert (full.direction, full.version_key) == (Direction.BASELINE, (72,))
    assert m["common/schema_version.sql"].direction is Direction.BASELINE
    assert m["state/delta/89/01_state_groups_deletion.sql"].root == "synapse/schema/state"
    assert m["common/delta/35/00background_updates_add_col.sql"].root == "synapse/schema/common"
    assert not any(p.endswith((".sqlite", ".py")) for p in m)
    d = run("synapse")
    # delta/16/users.sql (MySQL's UNSIGNED, from element-hq__synapse) predates PostgreSQL
    # support: no PostgreSQL database runs it (they start from full_schemas/16 or later)
    assert d.notes == [
        "skipped 1 file for other SQL dialects (sqlite) under synapse/schema/main/",
        "skipped 1 Synapse delta at schema version 16 or below under synapse/schema/main/: PostgreSQL "
        "databases start from full_schemas/16 or a later snapshot and never run them",
    ]
    main = [f.path.split("/", 3)[3] for f in d.files if f.root == "synapse/schema/main"]
    assert main == [
        "delta/56/device_stream_id_insert.sql",
        "full_schemas/72/full.sql.postgres",
        "delta/72/03drop_event_reference_hashes.sql",
        "delta/83/01_drop_old_tables.sql",
        "delta/84/03_auth_links_analyze.sql.postgres",
    ]


# --------------------------------------------------------------------------- API behaviour


def test_non_sql_files_are_never_migrations(everything):
    assert all(p.endswith((".sql", ".sql.postgres")) for p in everything)
    assert "prisma/documenso/migration_lock.toml" not in everything
    d = run("prisma/documenso/migration_lock.toml")
    assert d.files == [] and d.notes == ["skipped prisma/documenso/migration_lock.toml: not an SQL file"]
    assert classify("sequential/midday/meta/_journal.json", base_dir=str(FIX)) is None


def test_explicit_files_match_directory_walk(everything):
    # classify() and an explicit file argument give exactly what the walk gives
    for path, f in everything.items():
        assert run(path).files == [f], path
        if f.convention is not Convention.SEED:  # classify() does not apply seed patterns
            assert classify(path, base_dir=str(FIX)) == f, path
    some = ["golang-migrate/ente/30_drop_magic_metadata.down.sql", "diesel/crates.io/data_oauth_github.sql"]
    d = run(*some)
    assert d.files == [everything[some[1]], everything[some[0]]]  # sorted by root: "diesel/..." first


def test_sorted_by_root_version_path(everything):
    d = run()
    keys = [(f.root, f.path) for f in d.files]
    assert len(keys) == len(set(keys)) == len(everything)
    roots = [f.root for f in d.files]
    assert roots == sorted(roots)


def test_absolute_paths_and_base_dir(tmp_path):
    d = discover([str(FIX / "goose" / "openfga")], base_dir=str(FIX / "goose"))
    assert [f.path for f in d.files] == [
        "openfga/001_initialize_schema.sql", "openfga/002_add_authorization_model_version.sql", "openfga/006_add_collate_index.sql"]
    assert all(os.path.isabs(f.abspath) and os.path.isfile(f.abspath) for f in d.files)
    assert {f.root for f in d.files} == {"openfga"}


def test_missing_paths_are_errors_and_empty_dirs_noted(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("x")
    d = discover(["nope", "empty"], base_dir=str(tmp_path))
    assert d.files == []
    assert d.errors == [("nope", "no such file or directory")]
    assert d.notes == ["no migration files found under empty/"]


def test_configured_roots_override_inference():
    d = run("flyway/dhis2-core", roots=["flyway/dhis2-core"])
    assert {f.root for f in d.files} == {"flyway/dhis2-core"}
    assert all(f.migration_id.startswith("flyway/dhis2-core:") for f in d.files)
    f = classify("flyway/dhis2-core/migration/2.31/V2_31_1__Migrations_for_release_v31.sql",
                 base_dir=str(FIX), root="flyway/dhis2-core")
    assert f is not None and f.root == "flyway/dhis2-core"


def test_exclude_patterns():
    d = run("flyway", exclude=["hawkbit/", "flyway/marquez/R__*.sql"])
    paths = {f.path for f in d.files}
    assert not any(p.startswith("flyway/hawkbit/") for p in paths)
    assert "flyway/marquez/R__Datasets_view.sql" not in paths
    assert "flyway/marquez/V9__initial_schema.sql" in paths
    assert run("flyway/marquez/R__Datasets_view.sql", exclude=["**/R__*.sql"]).files == []


def test_hidden_and_node_modules_dirs_are_skipped(tmp_path):
    for sub in (".hidden", "node_modules", "ok"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "001_x.sql").write_text("select 1;\n")
    d = discover(["."], base_dir=str(tmp_path))
    assert [f.path for f in d.files] == ["ok/001_x.sql"]
    # but an explicitly given file is linted wherever it is, even with no convention
    (tmp_path / ".hidden" / "notes.sql").write_text("select 1;\n")
    d = discover([".hidden/notes.sql"], base_dir=str(tmp_path))
    assert [(f.path, f.convention) for f in d.files] == [(".hidden/notes.sql", Convention.UNKNOWN)]


def test_flyway_root_climbs_release_folders_but_never_merges_clashing_trees(tmp_path):
    def touch(rel: str, text: str = "") -> None:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    touch("app/db/migration/1.0/V1_0_1__create.sql")
    touch("app/db/migration/1.1/V1_1_1__alter.sql")
    touch("services/a/V1__create_a.sql")
    touch("services/b/V1__create_b.sql")
    d = discover(["."], base_dir=str(tmp_path))
    roots = {f.path: f.root for f in d.files}
    assert roots == {
        "app/db/migration/1.0/V1_0_1__create.sql": "app/db/migration",
        "app/db/migration/1.1/V1_1_1__alter.sql": "app/db/migration",
        "services/a/V1__create_a.sql": "services/a",  # both have V1: two sequences, not one
        "services/b/V1__create_b.sql": "services/b",
    }


def test_marker_minority_keeps_its_own_convention(tmp_path):
    for name in ("20240101120000_a.sql", "20240102120000_b.sql", "20240103120000_c.sql"):
        (tmp_path / name).write_text("select 1;\n")
    (tmp_path / "20240104120000_d.sql").write_text("-- migrate:up\nselect 1;\n-- migrate:down\n")
    conv = {f.path: f.convention for f in discover(["."], base_dir=str(tmp_path)).files}
    assert conv == {
        "20240101120000_a.sql": Convention.TIMESTAMP,
        "20240102120000_b.sql": Convention.TIMESTAMP,
        "20240103120000_c.sql": Convention.TIMESTAMP,
        "20240104120000_d.sql": Convention.DBMATE,
    }


def test_classify_of_a_path_that_does_not_exist_uses_its_name():
    f = classify("golang-migrate/ente/31_add_x.up.sql", base_dir=str(FIX))
    assert f is not None
    assert (f.convention, f.version_key, f.migration_id) == (Convention.GOLANG_MIGRATE, (31,), "golang-migrate/ente:31")


# --------------------------------------------------------------------------- the real corpus

#: MANIFEST.md: each project's convention (the brief's reading of "plain sequential":
#: 12/14-digit timestamps are TIMESTAMP, short numbers SEQUENTIAL).
EXPECTED = {
    "LemmyNet__lemmy": Convention.DIESEL,
    "rust-lang__crates.io": Convention.DIESEL,
    "dani-garcia__vaultwarden": Convention.DIESEL,
    "element-hq__synapse": Convention.SYNAPSE,
    "supabase__postgres": Convention.DBMATE,
    "UPchieve__subway": Convention.DBMATE,
    "harness__gitness": Convention.GOLANG_MIGRATE,
    "ente-io__ente": Convention.GOLANG_MIGRATE,
    "openmeterio__openmeter": Convention.GOLANG_MIGRATE,
    "authelia__authelia": Convention.GOLANG_MIGRATE,
    "ory__kratos": Convention.GOLANG_MIGRATE,
    "ory__hydra": Convention.GOLANG_MIGRATE,
    "MarquezProject__marquez": Convention.FLYWAY,
    "navikt__familie-ba-sak": Convention.FLYWAY,
    "dhis2__dhis2-core": Convention.FLYWAY,
    "eclipse-hawkbit__hawkbit": Convention.FLYWAY,
    "supabase__storage": Convention.SEQUENTIAL,
    "graphile__worker": Convention.SEQUENTIAL,
    "getfider__fider": Convention.TIMESTAMP,
    "openfga__openfga": Convention.GOOSE,
    "documenso__documenso": Convention.PRISMA,
    "midday-ai__midday": Convention.SEQUENTIAL,
    "mckaywrigley__chatbot-ui": Convention.TIMESTAMP,
}
#: The only corpus file that follows no convention: a stray backfill in the diesel root.
STRAY = {"rust-lang__crates.io/data_oauth_github.sql"}
#: popx generic files overridden by a .postgres. file of the same version and direction.
SHADOWED = {"ory__kratos": 10, "ory__hydra": 3}
#: Synapse deltas at schema version 16 or below: no PostgreSQL database ever ran them
SUPERSEDED = {"element-hq__synapse": 12}


@pytest.fixture(scope="module")
def corpus() -> Discovery:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    return discover([str(CORPUS)], base_dir=str(CORPUS))


def test_corpus_conventions_match_manifest(corpus):
    assert corpus.errors == []
    seen = collections.defaultdict(collections.Counter)
    for f in corpus.files:
        if f.path in STRAY:
            assert f.convention is Convention.UNKNOWN
            continue
        seen[f.path.split("/", 1)[0]][f.convention] += 1
    assert set(seen) == set(EXPECTED)
    for project, conv in EXPECTED.items():
        assert set(seen[project]) == {conv}, (project, seen[project])
    assert [f.path for f in corpus.files if f.convention is Convention.UNKNOWN] == sorted(STRAY)


def test_corpus_every_sql_file_is_found(corpus):
    on_disk = collections.Counter()
    for dirpath, _dirs, files in os.walk(CORPUS):
        project = os.path.relpath(dirpath, CORPUS).split(os.sep)[0]
        on_disk[project] += sum(1 for n in files if n.endswith((".sql", ".sql.postgres")))
    found = collections.Counter(f.path.split("/", 1)[0] for f in corpus.files)
    for project in EXPECTED:
        assert found[project] == on_disk[project] - SHADOWED.get(project, 0) - SUPERSEDED.get(project, 0), project
    assert sorted(n for n in corpus.notes if "popx" in n) == [
        "skipped 10 generic popx files overridden by .postgres. variants under ory__kratos/sql/",
        "skipped 3 generic popx files overridden by .postgres. variants under ory__hydra/",
    ]
    assert [n for n in corpus.notes if "Synapse" in n] == [
        "skipped 12 Synapse deltas at schema version 16 or below under element-hq__synapse/main/: "
        "PostgreSQL databases start from full_schemas/16 or a later snapshot and never run them"
    ]


def test_corpus_roots_and_pairing(corpus):
    roots = collections.defaultdict(set)
    for f in corpus.files:
        roots[f.path.split("/", 1)[0]].add(f.root)
    assert roots["dhis2__dhis2-core"] == {"dhis2__dhis2-core/migration", "dhis2__dhis2-core/base"}
    assert roots["element-hq__synapse"] == {f"element-hq__synapse/{s}" for s in ("main", "state", "common")}
    assert roots["supabase__storage"] == {f"supabase__storage/{s}" for s in ("tenant", "multitenant", "vector_store")}
    assert roots["ory__kratos"] == {"ory__kratos/sql", "ory__kratos/legacy"}
    assert roots["LemmyNet__lemmy"] == {"LemmyNet__lemmy"}
    # every down pairs with exactly one up; diesel and the perfectly paired golang-migrate
    # projects have an up for every down and a down for every up
    ups = collections.Counter(
        f.migration_id for f in corpus.files if f.direction is Direction.UP and f.convention is not Convention.UNKNOWN
    )
    downs = collections.Counter(f.migration_id for f in corpus.files if f.direction is Direction.DOWN)
    assert all(c == 1 for c in ups.values()) and all(c == 1 for c in downs.values())
    assert set(downs) <= set(ups)
    for project in ("LemmyNet__lemmy", "rust-lang__crates.io", "dani-garcia__vaultwarden", "ente-io__ente",
                    "openmeterio__openmeter", "authelia__authelia", "ory__kratos", "ory__hydra"):
        up_ids = {i for i in ups if i.startswith(project)}
        down_ids = {i for i in downs if i.startswith(project)}
        assert up_ids == down_ids and up_ids, project
    meta = [f for f in corpus.files if f.option("run_in_transaction") is False]
    assert len(meta) == 14  # 7 crates.io directories with metadata.toml, up.sql and down.sql
    # 38 ".autocommit." files (kratos 24, hydra 14), 5 of them generic ones overridden by a .postgres. file
    assert sum(1 for f in corpus.files if f.option("autocommit")) == 33


def test_corpus_discovery_is_fast(corpus):
    best = min(_timed(lambda: discover([str(CORPUS)], base_dir=str(CORPUS))) for _ in range(3))
    assert best < 0.5, f"discovery over the corpus took {best:.3f}s"  # target ~0.1 s; generous for CI


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# --------------------------------------------------------------------------- paths outside base_dir


def test_paths_outside_base_dir_match_relpath(tmp_path):
    # A walk above base_dir passes through base_dir itself and its ancestors: every reported
    # path must still be what os.path.relpath gives (".." steps only where needed).
    base = tmp_path / "work" / "main"
    for d in (base / "db", tmp_path / "work" / "other" / "db", tmp_path / "top"):
        d.mkdir(parents=True)
        (d / "001_a.sql").write_text("select 1;\n")
        (d / "002_b.sql").write_text("select 2;\n")
    d = discover([str(tmp_path)], base_dir=str(base))
    assert d.errors == []
    want = sorted(os.path.relpath(os.path.join(dp, f), base).replace(os.sep, "/")
                  for dp, _, fs in os.walk(tmp_path) for f in fs)
    assert sorted(f.path for f in d.files) == want
    assert {f.root for f in d.files} == {"db", "../other/db", "../../top"}
    assert all(f.migration_id.startswith(f.root + ":") for f in d.files)


def test_dbmate_and_goose_markers_anywhere_in_the_head(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "001_x.sql").write_text("-- a comment\n\n--   MIGRATE:UP\ncreate table t (id int);\n")
    (tmp_path / "a" / "002_y.sql").write_text("select 1; -- migrate:up is not at a line start\n")
    (tmp_path / "a" / "003_z.sql").write_text("-- migrate:up\nselect 1;\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "001_x.sql").write_text("\n-- +goose Up\nselect 1;\n")
    (tmp_path / "b" / "002_y.sql").write_text("-- +goose up\nselect 1;\n")
    (tmp_path / "b" / "003_z.sql").write_text("-- +goose\tUP\nselect 1;\n")
    files = {f.path: f for f in discover(["."], base_dir=str(tmp_path)).files}
    assert {p: f.convention for p, f in files.items()} == {
        "a/001_x.sql": Convention.DBMATE, "a/002_y.sql": Convention.DBMATE, "a/003_z.sql": Convention.DBMATE,
        "b/001_x.sql": Convention.GOOSE, "b/002_y.sql": Convention.GOOSE, "b/003_z.sql": Convention.GOOSE,
    }
    # one marked file among unmarked ones: the majority (sequential) decides the others
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "001_x.sql").write_text("select 1; -- migrate:up\n")
    (tmp_path / "c" / "002_y.sql").write_text("select 1;\n")
    (tmp_path / "c" / "003_z.sql").write_text("-- Migrate:Up\n")
    files = {f.path: f.convention for f in discover(["c"], base_dir=str(tmp_path)).files}
    assert files == {"c/001_x.sql": Convention.SEQUENTIAL, "c/002_y.sql": Convention.SEQUENTIAL,
                     "c/003_z.sql": Convention.DBMATE}


def test_seed_patterns_with_overlapping_literals(tmp_path):
    for d in ("seeds", "seed", "x/seeds/y", "seedling"):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "001_a.sql").write_text("select 1;\n")
    files = {f.path: f.convention for f in discover(["."], base_dir=str(tmp_path)).files}
    assert files == {
        "seeds/001_a.sql": Convention.SEED, "seed/001_a.sql": Convention.SEED,
        "x/seeds/y/001_a.sql": Convention.SEED, "seedling/001_a.sql": Convention.SEQUENTIAL,
    }


@pytest.mark.parametrize("patterns", [
    ["**/seeds/**/*.sql", "**/seed/**/*.sql"],  # literal prefilter, then the regexes
    ["db/seeds/", "*.seed.sql"],
    ["**/seeds/**", "!**/seeds/keep.sql"],  # negation: pathspec itself answers
    ["*.sql"],  # no literal piece of 2+ characters
])
def test_pattern_matcher_agrees_with_pathspec(patterns):
    import pathspec

    from linter.discovery import _matcher

    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    match = _matcher(patterns)
    paths = ["seeds/a.sql", "db/seeds/a.sql", "x/seeds/keep.sql", "seeds/keep.sql", "seed/a.sql",
             "seedling/a.sql", "db/a.seed.sql", "a.sql", "migrations/001_seeds.sql", "db/seeds"]
    assert [match(p) for p in paths] == [spec.match_file(p) for p in paths]


def test_paths_without_the_seed_literal_never_import_pathspec(tmp_path):
    import subprocess
    import sys

    (tmp_path / "V1__x.sql").write_text("SELECT 1;\n", encoding="utf-8")
    code = "import sys; from linter.cli import main; main(['lint', '.']); print('pathspec' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.stdout.strip().endswith("False"), r.stdout + r.stderr
    (tmp_path / "seeds").mkdir()  # a path with the literal: the patterns are compiled
    (tmp_path / "seeds" / "users.sql").write_text("SELECT 1;\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.stdout.strip().endswith("True"), r.stdout + r.stderr


def test_flyway_script_configuration_files(tmp_path):
    d = tmp_path / "db" / "migration"
    d.mkdir(parents=True)
    for name in ("V1__a.sql", "V2__b.sql", "V3__c.sql", "V4__d.sql", "R__e.sql"):
        (d / name).write_text("SELECT 1;\n", encoding="utf-8")
    (d / "V1__a.sql.conf").write_text("# Flyway script configuration\nexecuteInTransaction=false\n", encoding="utf-8")
    (d / "V2__b.sql.conf").write_text("encoding = UTF-8\nexecuteInTransaction : TRUE\n", encoding="utf-8")
    (d / "V3__c.sql.conf").write_text("executeInTransaction=maybe\n", encoding="utf-8")
    (d / "R__e.sql.conf").write_text("! comment\nexecuteInTransaction false\n", encoding="utf-8")
    found = discover(["."], base_dir=str(tmp_path))
    opts = {f.path.rsplit("/", 1)[-1]: f.option("executeInTransaction") for f in found.files}
    assert opts == {"V1__a.sql": False, "V2__b.sql": True, "V3__c.sql": None, "V4__d.sql": None, "R__e.sql": False}
    assert found.notes == ["ignored db/migration/V3__c.sql.conf: executeInTransaction must be true or false"]


# --------------------------------------------------------------------------- baselines (issue 11, section 2)

#: The head of plain pg_dump output (pg_dump 15), as dbmate's db/schema.sql and Rails'
#: db/structure.sql start.
_PG_DUMP_HEAD = ("--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.4\n"
                 "-- Dumped by pg_dump version 15.4\n\nSET statement_timeout = 0;\n\n"
                 "CREATE TABLE public.users (\n    id integer NOT NULL,\n    name character varying(255)\n);\n")
#: dhis2__dhis2-core/base/dhis2_base_schema.sql starts with pg_dump's per-object comments.
_TOC_HEAD = "".join(f"-- Name: t{i}; Type: TABLE; Schema: public; Owner: -\n--\n\nCREATE TABLE t{i} (id integer);\n\n"
                    for i in range(3))


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, MigrationFile]:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return {f.path: f for f in discover(["."], base_dir=str(tmp_path)).files}


def test_pg_dump_output_is_a_baseline_whatever_its_name(tmp_path):
    got = _tree(tmp_path, {
        "db/dump.sql": _PG_DUMP_HEAD,                                 # follows no naming rule
        "db/migrations/0001_initial.sql": _PG_DUMP_HEAD,              # a dump as the first migration
        "db/migrations/0002_add_email.sql": "ALTER TABLE users ADD COLUMN email text;\n",
        "legacy/prod_schema_2019.sql": _TOC_HEAD,                     # pg_dump object comments only
    })
    assert got["db/dump.sql"].direction is Direction.BASELINE
    assert got["db/migrations/0001_initial.sql"].direction is Direction.BASELINE
    assert got["db/migrations/0001_initial.sql"].convention is Convention.SEQUENTIAL
    assert got["db/migrations/0002_add_email.sql"].direction is Direction.UP
    assert got["legacy/prod_schema_2019.sql"].direction is Direction.BASELINE


def test_near_misses_stay_migrations(tmp_path):
    one_toc = "-- Name: users_name_idx; Type: INDEX; Schema: public; Owner: -\nCREATE INDEX users_name_idx ON users (name);\n"
    got = _tree(tmp_path, {
        # a definition copied from a dump keeps pg_dump's comment: one is not a dump
        "m/0003_add_index.sql": one_toc + "-- Name: x; Type: TABLE; Schema: public; Owner: -\n",
        # mentioning pg_dump is not being its output
        "m/0004_pg_graphql_pg_dump_perms.sql": "-- lets pg_dump read the schema (PostgreSQL database dump permissions)\nGRANT USAGE ON SCHEMA graphql TO postgres;\n",
        # real first migrations named "schema" (MarquezProject__marquez, openfga__openfga)
        "flyway/V1__initial_schema.sql": "CREATE TABLE jobs (uuid uuid PRIMARY KEY, name varchar(255));\n",
        "goose/001_initialize_schema.sql": "-- +goose Up\nCREATE TABLE tuple (store text);\n-- +goose Down\nDROP TABLE tuple;\n",
        # crates.io "dumped_migration" directories are diesel migrations
        "diesel/20140924113530_dumped_migration_1/up.sql": "CREATE TABLE users (id SERIAL PRIMARY KEY);\n",
        "diesel/20140924113530_dumped_migration_1/down.sql": "DROP TABLE users;\n",
        # supabase__storage/vector_store/0001-init.sql: an "init" file, not an init-scripts directory
        "vector_store/0001-init.sql": "CREATE SCHEMA IF NOT EXISTS storage;\n",
    })
    assert {p: f.direction for p, f in got.items()} == {
        "m/0003_add_index.sql": Direction.UP,
        "m/0004_pg_graphql_pg_dump_perms.sql": Direction.UP,
        "flyway/V1__initial_schema.sql": Direction.UP,
        "goose/001_initialize_schema.sql": Direction.UP,
        "diesel/20140924113530_dumped_migration_1/up.sql": Direction.UP,
        "diesel/20140924113530_dumped_migration_1/down.sql": Direction.DOWN,
        "vector_store/0001-init.sql": Direction.UP,
    }


def test_init_scripts_directories_are_baselines(tmp_path):
    # supabase__postgres/init-scripts: dbmate-marked files run once when the database is created
    dbmate = "-- migrate:up\nCREATE TABLE auth.users (id uuid, email varchar(255));\n-- migrate:down\n"
    got = _tree(tmp_path, {
        "init-scripts/00000000000001-auth-schema.sql": dbmate,
        "migrations/20211115181400_update-auth-permissions.sql": dbmate,
        "docker-entrypoint-initdb.d/01-roles.sql": "CREATE ROLE app;\n",
    })
    init = got["init-scripts/00000000000001-auth-schema.sql"]
    assert (init.direction, init.convention) == (Direction.BASELINE, Convention.DBMATE)
    assert got["docker-entrypoint-initdb.d/01-roles.sql"].direction is Direction.BASELINE
    assert got["migrations/20211115181400_update-auth-permissions.sql"].direction is Direction.UP


def test_snapshots_patterns_make_baselines(tmp_path):
    for rel, text in {"db/structure.sql": "CREATE TABLE a (id int);\n", "db/migrate/0001_x.sql": "SELECT 1;\n",
                      "db/migrate/0002_y.sql": "SELECT 1;\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    files = {f.path: f for f in discover(["."], base_dir=str(tmp_path), snapshots=["db/migrate/0001_*.sql"]).files}
    assert files["db/migrate/0001_x.sql"].direction is Direction.BASELINE
    assert files["db/migrate/0002_y.sql"].direction is Direction.UP


def test_baseline_beside_migrations_found_when_linting_a_tree_outside_the_working_directory(tmp_path):
    # dhis2__dhis2-core/base/dhis2_base_schema.sql beside migration/2.31/V2_31_1__x.sql, linted
    # as `miglint lint /elsewhere/dhis2` from another directory: the neighbour lookup may
    # look at the given tree (it used to stop at the working directory)
    repo = tmp_path / "dhis2"
    for rel in ("base/dhis2_base_schema.sql", "migration/2.31/V2_31_1__x.sql", "migration/2.32/V2_32_1__y.sql"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("SELECT 1;\n", encoding="utf-8")
    cwd = tmp_path / "work"
    cwd.mkdir()
    files = {f.path.split("dhis2/", 1)[1]: f for f in discover([str(repo)], base_dir=str(cwd)).files}
    assert files["base/dhis2_base_schema.sql"].direction is Direction.BASELINE
    assert files["migration/2.31/V2_31_1__x.sql"].root == files["migration/2.32/V2_32_1__y.sql"].root
