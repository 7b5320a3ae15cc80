"""The migration-set rules end to end: fixture directories per convention with their
presets, throwaway git repositories (base branch + feature branch) for the history,
out-of-order and two-branches-both-add-042 cases, the `miglint hash` manifest, and every
corpus project with its matching preset."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from linter import config as configmod, engine
from linter.cli import main
from linter.discovery import discover
from linter.migset import history, manifest

FIXTURES = Path(__file__).parent / "fixtures" / "migset"
FAMILIES = {"naming", "versioning", "rollback", "history"}

#: (rule, path) of every naming/versioning/rollback/history finding, per fixture directory
#: linted with the preset of the same name. (Downs that drop only what their up created
#: give no destructive-down-migration note: issue 11, section 1.)
EXPECTED = {
    "flyway-dated": {
        ("invalid-migration-name", "database/migrations/V100__Some_Migration.sql"),
        ("invalid-migration-description", "database/migrations/V100__Some_Migration.sql"),
        ("missing-down-migration", "database/migrations/V100__Some_Migration.sql"),
        ("missing-migration-header", "database/migrations/V100__Some_Migration.sql"),
        ("missing-down-migration", "database/migrations/V2025.10.31.101__index_transactions_for_reporting.sql"),
        ("sequence-out-of-range", "database/migrations/V2025.10.31.101__index_transactions_for_reporting.sql"),
        ("unmarked-emergency-migration", "database/migrations/V2025.10.31.701__fix_transaction_reconciliation.sql"),
    },
    "sequential-ranges": {
        ("gap-in-migration-sequence", "supabase/migrations/004_functions_views.sql"),
        ("invalid-migration-name", "supabase/migrations/0803_grants.sql"),
        ("sequence-out-of-range", "supabase/migrations/802_add_owner.sql"),
        *{("missing-migration-header", f"supabase/migrations/{n}") for n in (
            "001_initial_schema.sql", "002_extended_schema.sql", "004_functions_views.sql",
            "801_core_rls_policies.sql", "802_add_owner.sql", "0803_grants.sql")},
    },
    "up-down-pairs": {
        ("missing-down-migration", "migrations/up/003_add_email_verified.sql"),
    },
    "dbmate-forward-only": {
        ("unexpected-down-migration", "db/migrations/20240101130000_add_email_index.sql"),
        ("invalid-migration-name", "db/migrations/2024010214_add_orders.sql"),
    },
    "immutable-history": set(),
    "golang-migrate": {
        # 0001 and 0002 predate the root's first down (since-first-down)
        ("missing-down-migration", "migrations/0006_alter_principals_add_blocked.up.sql"),
        ("incomplete-down-migration", "migrations/0003_create_table_usergroup_reviewers.down.sql"),
        # its down drops a misspelt usergroups_reviewers no migration creates: nothing is
        # destroyed (the DROP fails), so no destructive-down-migration (issue 11)
        ("misordered-down-migration", "migrations/0004_create_datacenter.down.sql"),
        ("empty-down-migration", "migrations/0005_add_x.down.sql"),
    },
    "diesel": {
        ("empty-down-migration", "migrations/2023-01-11-205851_add_avatar_color/down.sql"),
        ("invalid-migration-name", "migrations/data_oauth_github.sql"),
    },
    "dbmate": {
        ("empty-down-migration", "db/migrations/20220328213107_create_pgcrypto_extension.sql"),
        ("missing-down-migration", "db/migrations/20220401000000_add_notes.sql"),
    },
    "flyway": {("invalid-migration-name", "db/migration/V18_add_jobs.sql")},
}


def _lint(root: Path, preset: str, base: str | None = None):
    cfg = configmod.load(None, preset=preset, cwd=root)
    cfg.base = base
    found = discover([str(root)], base_dir=str(root), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude)
    return engine.lint(found.files, cfg, jobs=1)


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_fixture_directory_with_its_preset(preset):
    report = _lint(FIXTURES / preset, preset)
    got = {(f.rule_id, f.path) for f in report.findings if f.family in FAMILIES}
    assert got == EXPECTED[preset]


def test_every_fixture_directory_is_checked():
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} == set(EXPECTED)


# --------------------------------------------------------------------------- git


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository whose main branch holds migrations 0040 and 0041, with a feature branch."""
    _git(tmp_path, "init", "-q", "-b", "main")
    _write(tmp_path, {
        "db/migrations/0040_create_customers.up.sql": "CREATE TABLE customers (id bigint PRIMARY KEY);\n",
        "db/migrations/0040_create_customers.down.sql": "DROP TABLE customers;\n",
        "db/migrations/0041_create_invoices.up.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY);\n",
        "db/migrations/0041_create_invoices.down.sql": "DROP TABLE invoices;\n",
    })
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    _git(tmp_path, "checkout", "-q", "-b", "feature")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def _json(capsys) -> list[dict]:
    return json.loads(capsys.readouterr().out)["findings"]


def test_two_branches_both_add_042(repo, capsys):
    # branch A merged its 0042 into main after this branch started
    _git(repo, "checkout", "-q", "main")
    _write(repo, {"db/migrations/0042_add_invoice_recurring.up.sql": "ALTER TABLE invoices ADD COLUMN recurring boolean;\n",
                  "db/migrations/0042_add_invoice_recurring.down.sql": "ALTER TABLE invoices DROP COLUMN recurring;\n"})
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "A: 0042")
    _git(repo, "checkout", "-q", "feature")
    # branch B adds its own 0042 and commits it
    _write(repo, {"db/migrations/0042_add_customer_enrichment.up.sql": "ALTER TABLE customers ADD COLUMN enriched_at timestamptz;\n",
                  "db/migrations/0042_add_customer_enrichment.down.sql": "ALTER TABLE customers DROP COLUMN enriched_at;\n"})
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "B: 0042")
    assert main(["lint", "db", "--base", "main", "--format", "json", "--select", "versioning,history"]) == 1
    (f,) = _json(capsys)
    assert f["rule"] == "out-of-order-migration"
    assert f["path"] == "db/migrations/0042_add_customer_enrichment.up.sql"
    assert f["message"] == "version 0042 is already taken by 0042_add_invoice_recurring.up.sql on main"
    # after merging main in, both files are in the tree: now it is a duplicate version
    _git(repo, "merge", "-q", "--no-edit", "main")
    assert main(["lint", "db", "--base", "main", "--format", "json", "--select", "versioning,history"]) == 1
    rules = Counter(f["rule"] for f in _json(capsys))
    assert rules == {"duplicate-migration-version": 1}


def test_feature_branch_behind_base(repo, capsys):
    _git(repo, "checkout", "-q", "main")
    _write(repo, {"db/migrations/0043_add_index.up.sql": "CREATE INDEX i ON invoices (id);\n",
                  "db/migrations/0043_add_index.down.sql": "DROP INDEX i;\n"})
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "0043")
    _git(repo, "checkout", "-q", "feature")
    # untracked: never added to git, still linted as new work
    _write(repo, {"db/migrations/0042_add_notes.up.sql": "ALTER TABLE invoices ADD COLUMN notes text;\n",
                  "db/migrations/0042_add_notes.down.sql": "ALTER TABLE invoices DROP COLUMN notes;\n"})
    assert main(["lint", "db", "--base", "main", "--format", "json", "--select", "out-of-order-migration"]) == 1
    (f,) = _json(capsys)
    assert f["message"].startswith("new migration 0042 sorts before 0043_add_index.up.sql (0043), already on main")


def test_uncommitted_edit_rename_and_delete(repo, capsys):
    _write(repo, {"db/migrations/0040_create_customers.up.sql": "CREATE TABLE customers (id bigint PRIMARY KEY, name text);\n"})
    _git(repo, "mv", "db/migrations/0041_create_invoices.up.sql", "db/migrations/0042_create_invoices.up.sql")
    (repo / "db/migrations/0041_create_invoices.down.sql").unlink()
    assert main(["lint", "db", "--base", "main", "--format", "json", "--select", "history"]) == 1
    got = {(f["rule"], f["path"]) for f in _json(capsys)}
    assert got == {
        ("modified-deployed-migration", "db/migrations/0040_create_customers.up.sql"),
        ("removed-deployed-migration", "db/migrations/0042_create_invoices.up.sql"),  # renamed
    }  # the deleted .down.sql is a down migration: reported only with include-down
    assert main(["lint", "db", "--base", "main", "--format", "json", "--preset", "immutable-history", "--select", "history"]) == 1
    got = {(f["rule"], f["path"]) for f in _json(capsys)}
    assert ("removed-deployed-migration", "db/migrations/0041_create_invoices.down.sql") in got


def test_committed_on_the_branch_counts_too(repo, capsys):
    _write(repo, {"db/migrations/0041_create_invoices.up.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY);  \n"})
    _git(repo, "commit", "-q", "-am", "tidy")
    assert main(["lint", "db", "--base", "main", "--format", "json", "--select", "history"]) == 1
    (f,) = _json(capsys)
    assert "whitespace only" in f["message"]


def test_base_equal_to_head_is_clean(repo, capsys):
    assert main(["lint", "db", "--base", "HEAD", "--format", "json", "--select", "versioning,history"]) == 0


def test_lint_from_a_subdirectory(repo, capsys, monkeypatch):
    _write(repo, {"db/migrations/0041_create_invoices.up.sql": "CREATE TABLE invoices (id bigint);\n"})
    monkeypatch.chdir(repo / "db")
    assert main(["lint", "migrations", "--base", "main", "--format", "json", "--select", "history"]) == 1
    (f,) = _json(capsys)
    assert f["path"] == "migrations/0041_create_invoices.up.sql"


def test_history_error_without_a_repository(tmp_path):
    _write(tmp_path, {"m/0001_a.up.sql": "SELECT 1;\n"})
    cfg = configmod.load_preset("default")
    cfg.base = "main"
    files = discover([str(tmp_path)], base_dir=str(tmp_path)).files
    with pytest.raises(history.HistoryError):
        engine.lint(files, cfg, jobs=1)


# --------------------------------------------------------------------------- manifest


def test_hash_then_lint(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {
        "db/migration/V1__create_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
        "db/migration/V2__add_email.sql": "ALTER TABLE users ADD COLUMN email text;\n",
        "db/migration/R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 1;\n",
        "db/seeds/dev.sql": "INSERT INTO users VALUES (1);\n",
    })
    assert main(["hash"]) == 0
    out = capsys.readouterr()
    assert out.out == "wrote .miglint.sum: 2 migration files\n"
    assert "merge=union" in out.err
    text = (tmp_path / ".miglint.sum").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert [ln.split("  ")[2] for ln in lines] == ["db/migration/V1__create_users.sql", "db/migration/V2__add_email.sql"]
    sha, bare = manifest.digest("CREATE TABLE users (id bigint PRIMARY KEY);\n")
    assert lines[0] == f"{sha}  {bare}  db/migration/V1__create_users.sql"
    assert main(["lint", "db", "--format", "json", "--select", "history,out-of-order-migration"]) == 0
    capsys.readouterr()
    # edit, rename, and add an out-of-order migration
    _write(tmp_path, {"db/migration/V1__create_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n"})
    (tmp_path / "db/migration/V2__add_email.sql").rename(tmp_path / "db/migration/V3__add_email.sql")
    _write(tmp_path, {"db/migration/V1_5__add_name.sql": "ALTER TABLE users ADD COLUMN nick text;\n",
                      "db/migration/R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 2;\n"})
    assert main(["lint", "db", "--format", "json", "--select", "history,out-of-order-migration"]) == 1
    got = {(f["rule"], f["path"]) for f in _json(capsys)}
    assert got == {
        ("modified-deployed-migration", "db/migration/V1__create_users.sql"),
        ("removed-deployed-migration", "db/migration/V3__add_email.sql"),
        ("out-of-order-migration", "db/migration/V1_5__add_name.sql"),
    }


def test_union_merge_attribute_silences_the_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _git(tmp_path, "init", "-q")
    (tmp_path / ".gitattributes").write_text(".miglint.sum merge=union\n", encoding="utf-8")
    _write(tmp_path, {"migrations/0001_a.up.sql": "SELECT 1;\n", "migrations/0001_a.down.sql": "SELECT 1;\n"})
    assert main(["hash", "--output", "migrations.sum"]) == 0
    assert "merge=union" in capsys.readouterr().err  # the attribute names another file
    (tmp_path / ".gitattributes").write_text("*.sum merge=union\n", encoding="utf-8")
    assert main(["hash", "--output", "migrations.sum"]) == 0
    assert capsys.readouterr().err == ""
    assert len([ln for ln in (tmp_path / "migrations.sum").read_text().splitlines() if not ln.startswith("#")]) == 2


def test_branches_adding_migrations_merge_cleanly(tmp_path, monkeypatch, capsys):
    """The manifest has no total: two branches that each add a migration (and re-hash)
    merge without conflict when the file is merge=union."""
    monkeypatch.chdir(tmp_path)
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".gitattributes").write_text(".miglint.sum merge=union\n", encoding="utf-8")
    _write(tmp_path, {"migrations/0001_a.up.sql": "SELECT 1;\n", "migrations/0001_a.down.sql": "SELECT 1;\n"})
    main(["hash"])
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    for branch, n in (("a", "0002"), ("b", "0003")):
        _git(tmp_path, "checkout", "-q", "-b", branch, "main")
        _write(tmp_path, {f"migrations/{n}_x.up.sql": f"SELECT {n};\n", f"migrations/{n}_x.down.sql": "SELECT 1;\n"})
        main(["hash"])
        _git(tmp_path, "add", "-A")
        _git(tmp_path, "commit", "-q", "-m", branch)
    _git(tmp_path, "checkout", "-q", "a")
    _git(tmp_path, "merge", "-q", "--no-edit", "b")  # raises on a conflict
    capsys.readouterr()
    assert main(["lint", "migrations", "--format", "json", "--select", "history"]) == 0
    assert len(manifest.read(tmp_path / ".miglint.sum", tmp_path)) == 6


def test_malformed_manifest_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"migrations/0001_a.up.sql": "SELECT 1;\n", ".miglint.sum": "# miglint manifest v1\nnot a line\n"})
    assert main(["lint", "migrations"]) == 2
    assert ".miglint.sum:2: not '<sha256>  <16 hex>  <path>'" in capsys.readouterr().err


def test_presets_list_name_description_standard(capsys):
    assert main(["presets", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"golang-migrate", "dbmate", "diesel", "flyway"} <= set(rows)
    assert rows["flyway-dated"]["standard"].startswith("001:")
    assert "sequence-out-of-range" in rows["flyway-dated"]["rules"]
    assert all(r["description"] for r in rows.values())


# --------------------------------------------------------------------------- the corpus

#: The matching preset of every corpus project and the count of its naming, versioning,
#: rollback and history findings (each checked by hand: see the rules' docstrings).
#: destructive-down-migration notes only data of before the up (issue 11): what is left
#: are TRUNCATEs, drops of objects the up did not create and type changes that round.
# incomplete-down-migration and misordered-down-migration count down files (per-file
# grouping, linter/grouping.py), not objects
CORPUS = {
    # DROP SCHEMA r CASCADE (2024-02-24-034523) drops no table of the set: not destructive
    "LemmyNet__lemmy": ("diesel", {"destructive-down-migration": 1, "incomplete-down-migration": 1}),
    # 20141112082527_dumped_migration_89 only drops a constraint: its empty down is right
    "rust-lang__crates.io": ("diesel", {"empty-down-migration": 2,
                                        "incomplete-down-migration": 1, "invalid-migration-name": 1}),
    # 26 of its 46 downs are empty: the root's convention, not reported
    "dani-garcia__vaultwarden": ("diesel", {"misordered-down-migration": 1}),
    "element-hq__synapse": ("default", {}),
    # init-scripts/ are baselines run at database creation, not dbmate migrations: only
    # migrations/10000000000000_demote-postgres.sql (month 00) is misnamed
    "supabase__postgres": ("dbmate-forward-only", {"invalid-migration-name": 1}),
    "UPchieve__subway": ("dbmate", {"incomplete-down-migration": 2}),
    "harness__gitness": ("golang-migrate", {"destructive-down-migration": 1, "incomplete-down-migration": 1,
                                            # 0000-0012 predate its downs; 0033 lacks one
                                            "misordered-down-migration": 1, "missing-down-migration": 1}),
    # new CREATE OR REPLACE functions left behind are harmless (22, 37, 52, 62)
    "ente-io__ente": ("golang-migrate", {"incomplete-down-migration": 5,
                                         "misordered-down-migration": 2}),
    "openmeterio__openmeter": ("golang-migrate", {"incomplete-down-migration": 3}),
    # V0009 drops NOT NULL, V0011 widens a varchar: their empty downs are right
    "authelia__authelia": ("golang-migrate", {"incomplete-down-migration": 1}),
    # 20200830130642 … 46 is one run of one name (the first down undoes it all);
    # courier_body_type widens body to text
    "ory__kratos": ("golang-migrate", {"incomplete-down-migration": 3}),
    "ory__hydra": ("golang-migrate", {}),
    "MarquezProject__marquez": ("flyway", {}),
    "navikt__familie-ba-sak": ("flyway", {}),
    "dhis2__dhis2-core": ("flyway", {}),
    "eclipse-hawkbit__hawkbit": ("flyway", {}),
    "supabase__storage": ("default", {"invalid-migration-name": 1}),
    "graphile__worker": ("default", {}),
    "getfider__fider": ("default", {}),  # .up.sql / _up.sql among .sql: fider runs every <timestamp>_*.sql
    "openfga__openfga": ("default", {}),
    "documenso__documenso": ("default", {}),
    "midday-ai__midday": ("default", {}),  # its 0010-0013 pairs are not in drizzle's journal: no versions
    "mckaywrigley__chatbot-ui": ("default", {}),
}


def test_every_corpus_project_with_its_matching_preset(shared_dir):
    corpus = shared_dir / "corpus"
    assert {p.name for p in corpus.iterdir() if p.is_dir()} == set(CORPUS)
    got = {}
    for project, (preset, _counts) in CORPUS.items():
        cfg = configmod.load(None, preset=preset, cwd=corpus)
        cfg = cfg.select(sorted(FAMILIES), [])
        found = discover([project], base_dir=str(corpus), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude)
        report = engine.lint(found.files, cfg)
        assert not [f for f in report.findings if f.rule_id == "internal-error"], project
        # --select turns on opt-in rules: count what the preset itself enables
        enabled = configmod.load(None, preset=preset, cwd=corpus).settings_for("x")
        got[project] = dict(Counter(f.rule_id for f in report.findings if f.rule_id in enabled))
    assert got == {p: c for p, (_preset, c) in CORPUS.items()}


def test_hybrid_numbering_is_one_sequence():
    """Standard 000's hybrid numbering (2026_01_15_001_x.sql) orders by date, then sequence."""
    files = discover([str(FIXTURES / "immutable-history")], base_dir=str(FIXTURES / "immutable-history")).files
    assert [(f.version, f.version_key, f.description) for f in files] == [
        ("2026_01_15_001", (2026, 1, 15, 1), "initial_schema"),
        ("2026_01_15_002", (2026, 1, 15, 2), "add_users"),
        ("2026_01_16_001", (2026, 1, 16, 1), "add_orders"),
    ]


def test_effects_of_column_constraints_and_kinds_without_effects():
    from linter.migset import objects
    from linter.source import Source

    src = Source(
        "CREATE TYPE mood AS ENUM ('a');\n"
        "CREATE TABLE t (id serial PRIMARY KEY, m mood NOT NULL DEFAULT 'a', u int REFERENCES users, c int CHECK (c > 0));\n"
        "ALTER TABLE t ADD COLUMN v int NOT NULL DEFAULT 0 REFERENCES other, ADD COLUMN w mood;\n"
        "INSERT INTO t (id) VALUES (1);\nCOMMENT ON TABLE t IS 'x';\n"
    )
    got = {st.kind: objects.effects(st.kind, st.body) for st in src.statements}
    assert got["CreateStmt"] == [
        ("create", "table", "", "", "t", ""),
        ("create", "sequence", "", "", "t_id_seq", ""), ("dep", "sequence", "", "", "t_id_seq", ("owner", "t")),
        ("create", "constraint", "", "t", "t_pkey", ("id",)),
        ("dep", "table", "", "", "t", ("type", "mood")),
        ("create", "constraint", "", "t", "t_u_fkey", ("u",)), ("dep", "table", "", "", "t", ("table", "users")),
        ("create", "constraint", "", "t", "t_c_check", ("c",)),
    ]
    assert got["AlterTableStmt"] == [
        ("create", "column", "", "t", "v", ""), ("dep", "column", "", "t", "v", ("table", "other")),
        ("create", "column", "", "t", "w", ""), ("dep", "column", "", "t", "w", ("type", "mood")),
    ]
    for kind, ops in got.items():
        assert objects.has_effects(kind) or ops == [], kind
    assert not objects.has_effects("InsertStmt") and not objects.has_effects("CommentStmt")


def test_summary_positions_match_the_text_index_in_any_order():
    from linter.migset.summary import _Positions
    from linter.source import Source

    src = Source("-- head\nCREATE TABLE a (id int);\n\n  CREATE INDEX ON a (id); SELECT 1;\nDROP TABLE a;\n")
    want = {id(st): (st.span.start.line, st.span.start.column, st.span.end.line, st.span.end.column) for st in src.statements}
    where = _Positions(src.text)
    assert [where.span(st) for st in src.statements] == [want[id(st)] for st in src.statements]
    back = list(reversed(src.statements)) + src.statements[1:2]  # earlier offsets count again from the top
    assert [where.span(st) for st in back] == [want[id(st)] for st in back]


#: The comments of the corpus's comment-only downs (and of templates), and whether they say
#: why the down is empty (linter/migset/blank.py).
DOWN_COMMENTS = [
    ("-- Not reversible\n", True),  # rust-lang__crates.io 2019-11-11-162609_drop_email_from_user
    ("-- This file intentionally left blank; see the corresponding up.sql\n", True),  # crates.io 2017-10-06
    ("-- no-op\n", True),  # ente-io__ente 82_drop_location_tag_table
    ("-- do nothing\n", True),  # ente 25_alter_ids_to_bigint
    ("-- # DO NOTHING\n", True),  # ente 24_bump_ids
    ("--- nothing\n", True),  # ente 39_drop_file_and_thumbnail_object_keys
    ("-- Can't migrate down from this point.\n-- This file must be present here.\n", True),  # harness__gitness 0013
    ("-- Table was never used, keep deleted.\n", True),  # gitness 0042_drop_table_reqchecks
    ("-- Removed gathering-invoice detailed rows cannot be safely restored automatically.\n", True),  # openmeter
    ("-- Intentionally no-op.\n--\n-- Rolling back would require restoring the soft-deleted losers\n", True),  # openmeter
    ("-- Migration generated by the command below; DO NOT EDIT.\n-- hydra:generate hydra migrate gen\n"
     "-- Down migrations from Hydra 2.x to 1.x are not available.\n", True),  # ory__hydra 20150101000001000000
    ("-- Down migrations from Hydra 2.x to 1.x are not available.-- This blank migration was generated to meet "
     "ory/x/popx validation criteria, see https://github.com/ory/x/pull/509; DO NOT EDIT.\n", True),  # hydra 20220513
    ("-- This blank migration was generated to meet ory/x/popx validation criteria, see "
     "https://github.com/ory/x/pull/509; DO NOT EDIT.\n-- hydra:generate hydra migrate gen\n", False),
    ("-- This is a blank migration. It is generated to ensure that all dialects are represented in the migration "
     "files.\n-- ./hydra migrate gen ./persistence/sql/src/20220210000001_nid/ ./persistence/sql/migrations/\n", False),
    ("-- This file should undo anything in `up.sql`\n", False),  # diesel migration generate
    ("-- TODO: drop the column again\n", False),
    ("/* rollback */\n", False),
    ("", False),
]


@pytest.mark.parametrize("text, reason", DOWN_COMMENTS)
def test_down_comment_gives_a_reason(text, reason):
    from linter.migset import blank

    assert blank.gives_reason(text) is reason


def test_names_other_engine():
    from linter.migset import blank

    assert blank.names_other_engine("MySQLCachedValueType")
    assert blank.names_other_engine("sqlite_only_fix")
    assert not blank.names_other_engine("StorageAAD")
    assert not blank.names_other_engine(None)


# --------------------------------------------------------------------------- narrowing, on a real server

#: (type the up gives a column, type the down sets, a value the up's type holds): for each,
#: whether PostgreSQL's ALTER COLUMN … TYPE then silently changes it (a refused value makes
#: the rollback fail, which destroys nothing), which is what rollback.narrows() must say.
_NARROWINGS = [
    ("varchar(200)", "varchar(100)", "'" + "x" * 150 + "'"),
    ("text", "varchar(20)", "'" + "x" * 30 + "'"),
    ("varchar(20)", "varchar(200)", "'abc'"),
    ("varchar(20)", "text", "'abc'"),
    ("int8", "int4", "5000000000"),
    ("int4", "int8", "5"),
    ("float8", "int4", "1.5"),
    ("numeric(12,4)", "numeric(10,2)", "1.2345"),
    ("numeric(10,2)", "numeric(12,2)", "1.25"),
    ("float8", "float4", "1.000000001"),
    ("timestamp", "date", "'2024-01-01 12:34:56'"),
    ("timestamptz(6)", "timestamptz(0)", "'2024-01-01 12:34:56.789+00'"),
    ("timestamp", "timestamptz", "'2024-01-01 12:34:56'"),
    ("bpchar(36)", "bpchar(10)", "'" + "y" * 36 + "'"),
    ("numeric(12,2)", "numeric(8,2)", "1234567.25"),
    ("numeric", "int4", "2.5"),
    ("numeric", "numeric(10,2)", "1.2345"),
    # dani-garcia__vaultwarden 2019-09-16-150000_fix_attachments/down.sql: back to CHAR(36)
    ("varchar(40)", "bpchar(36)", "'" + "z" * 40 + "'"),
    ("text", "bpchar(36)", "'" + "z" * 40 + "'"),
]


@pytest.mark.parametrize("old, new, value", _NARROWINGS)
def test_narrows_matches_postgresql(pg_cluster, old, new, value):
    """destructive-down-migration's narrowing check against the server: a value that fits
    the old type is silently changed by the new one exactly when narrows() says so (an
    ALTER that refuses it fails, and fails the rollback: no data is lost)."""
    from linter.migset.rollback import narrows

    pg_cluster.sql(f"DROP TABLE IF EXISTS n; CREATE TABLE n (c {old}); INSERT INTO n VALUES ({value});")
    before = pg_cluster.sql("SELECT c::text FROM n;")
    try:
        pg_cluster.sql(f"SET timezone = 'UTC'; ALTER TABLE n ALTER COLUMN c TYPE {new};")
        after = pg_cluster.sql("SELECT c::text FROM n;")
        lost = [r[0].split("+")[0].rstrip("0").rstrip(".") for r in after] != [r[0].split("+")[0].rstrip("0").rstrip(".") for r in before]
        if old.startswith("timestamp") and new == "timestamptz":
            lost = False  # the same instant, shown in another zone
    except RuntimeError:
        lost = False  # refused ("value too long", "out of range"): the rollback fails, nothing changes
    assert narrows(old, new) is lost, (old, new, before)


# --------------------------------------------------------------------------- DROP TABLE locks, on a real server

_TIES_SETUP = """
CREATE TABLE parent (id bigint PRIMARY KEY);
CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id));
CREATE TABLE lone (id bigserial PRIMARY KEY, v text);
CREATE VIEW lone_v AS SELECT * FROM lone;
CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE a2 (id bigint PRIMARY KEY);
CREATE TABLE b2 (id bigint, a_id bigint);
ALTER TABLE b2 ADD CONSTRAINT b2_a_fk FOREIGN KEY (a_id) REFERENCES a2 (id);
"""


@pytest.mark.parametrize("drop, others", [
    # the table a foreign key references: ACCESS EXCLUSIVE there too (its FK triggers go)
    ("DROP TABLE child", {"parent"}),
    # a referencing table, with CASCADE: its constraint is dropped
    ("DROP TABLE parent CASCADE", {"child"}),
    # a partition: its parent is locked
    ("DROP TABLE ev_2026", {"ev"}),
    # owned sequence, indexes, a view dropped with CASCADE: its own dependents only
    ("DROP TABLE lone CASCADE", set()),
    # tables tied only to each other, dropped together
    ("DROP TABLE b2, a2", set()),
])
def test_drop_table_locks(pg_cluster, drop, others):
    """Which tables besides the dropped ones (and what goes with them) ``DROP TABLE`` takes
    ACCESS EXCLUSIVE on, read from pg_locks inside the transaction; and the ties
    :mod:`linter.migset.references` records from the same DDL name exactly those."""
    from linter.migset import references
    from linter.source import Source

    pg_cluster.sql("SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;" + _TIES_SETUP)
    before = dict((oid, name) for oid, name in pg_cluster.sql(
        "SELECT oid::text, relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"))
    rows = pg_cluster.sql(f"BEGIN;\n{drop};\nSELECT relation::text, mode FROM pg_locks WHERE pid = pg_backend_pid() "
                          "AND locktype = 'relation';\nROLLBACK;")
    dropped = {t.strip() for t in drop.split("TABLE", 1)[1].replace("CASCADE", "").split(",")}
    named = {before[oid] for oid, mode in rows if oid in before and mode == "AccessExclusiveLock"}
    tables = {name for name, kind in pg_cluster.sql(
        "SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace") if kind in ("r", "p")}
    assert (named & tables) - dropped == others, rows

    state = references._State()
    for ev in references.events(Source(_TIES_SETUP)):
        state.apply(ev)
    assert {o for t in dropped for o in state.ties.get(t, ()) if o not in dropped} == others


# --------------------------------------------------------------------------- widening, on a real server

#: (old type, new type, a value the old type holds, a value only the new one holds or None,
#: what coltypes.widens() must say): a widening keeps every old value and admits more, so
#: that changing the column back fails or cuts (empty-down-migration: such a down is right
#: to be empty).
_WIDENINGS = [
    ("varchar(255)", "varchar(768)", "'" + "a" * 255 + "'", "'" + "b" * 500 + "'", True),
    ("varchar(40)", "text", "'abc'", "'" + "c" * 100 + "'", True),
    ("bpchar(36)", "text", "'" + "d" * 36 + "'", "'" + "d" * 50 + "'", True),
    ("int4", "int8", "2147483647", "5000000000", True),
    ("int8", "numeric", "9223372036854775807", "1.5", True),
    ("numeric(10,2)", "numeric(12,4)", "12345678.99", "1.2345", True),
    ("int4", "numeric(10,0)", "2147483647", "9999999999", True),
    ("varchar(768)", "varchar(255)", "'" + "e" * 500 + "'", None, False),
    ("int8", "int4", "5000000000", None, False),
    ("numeric(12,4)", "numeric(12,2)", "1.2345", None, False),
    ("int8", "numeric(10,0)", "9223372036854775807", None, False),
]


@pytest.mark.parametrize("old, new, value, only_new, wider", _WIDENINGS)
def test_widens_matches_postgresql(pg_cluster, old, new, value, only_new, wider):
    """coltypes.widens() against the server: when it says True the old value survives the
    change unchanged and a value only the new type holds cannot go back; when False the
    old value does not survive unchanged."""
    from linter.migset.coltypes import compact
    from linter.source import Source

    def ctype(text):
        st = Source(f"ALTER TABLE w ALTER COLUMN c TYPE {text};").statements[0]
        return compact(st.body["cmds"][0]["AlterTableCmd"]["def"]["ColumnDef"]["typeName"])

    from linter.migset.coltypes import widens

    assert widens(ctype(old), ctype(new)) is wider
    pg_cluster.sql(f"DROP TABLE IF EXISTS w; CREATE TABLE w (c {old}); INSERT INTO w VALUES ({value});")
    try:
        pg_cluster.sql(f"ALTER TABLE w ALTER COLUMN c TYPE {new};")
        kept = pg_cluster.sql(f"SELECT count(*) FROM w WHERE c = {value};") == [["1"]]
    except RuntimeError:
        kept = False
    if not wider:
        assert not kept
        return
    assert kept
    pg_cluster.sql(f"DELETE FROM w; INSERT INTO w VALUES ({only_new});")
    try:
        pg_cluster.sql(f"ALTER TABLE w ALTER COLUMN c TYPE {old};")
        back = pg_cluster.sql(f"SELECT count(*) FROM w WHERE c = {only_new};") == [["1"]]
    except RuntimeError:
        back = False
    assert not back


#: DDL whose foreign keys the drops below remove (``_FK_DROPS``): a named constraint, a
#: column-level REFERENCES (PostgreSQL names it ``<table>_<column>_fkey``), a table-level
#: FOREIGN KEY left unnamed, and a unique index a foreign key depends on.
_FK_SETUP = """
CREATE TABLE users (id bigint PRIMARY KEY, code text);
CREATE UNIQUE INDEX users_code_key ON users (code);
CREATE TABLE orgs (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), org_id bigint, note text);
ALTER TABLE orders ADD CONSTRAINT orders_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);
CREATE TABLE codes (id bigint PRIMARY KEY, user_code text, FOREIGN KEY (user_code) REFERENCES users (code));
"""


@pytest.mark.parametrize("stmt, others", [
    # dropping a foreign key drops its triggers on the referenced table: ACCESS EXCLUSIVE there
    ("ALTER TABLE orders DROP CONSTRAINT orders_org_fk", {"orgs"}),
    ("ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey", {"users"}),
    ("ALTER TABLE codes DROP CONSTRAINT codes_user_code_fkey", {"users"}),
    # dropping the column a foreign key is on drops the key
    ("ALTER TABLE orders DROP COLUMN user_id", {"users"}),
    ("ALTER TABLE orders DROP COLUMN org_id, DROP COLUMN note", {"orgs"}),
    # near miss: a column no foreign key is on
    ("ALTER TABLE orders DROP COLUMN note", set()),
    # DROP INDEX … CASCADE drops the foreign keys that depend on the index: ACCESS
    # EXCLUSIVE on their tables (ory/hydra); the set does not model it (see below)
    ("DROP INDEX users_code_key CASCADE", {"codes"}),
])
def test_drop_foreign_key_locks(pg_cluster, stmt, others):
    """Dropping a foreign key (``DROP CONSTRAINT``, ``DROP COLUMN`` of its column) takes
    ACCESS EXCLUSIVE on the referenced table too (``RemoveTriggerById`` locks the table a
    trigger is on), read from pg_locks inside the transaction; and
    :func:`linter.migset.references.locked_through` names exactly those tables from the
    same DDL (except for ``DROP INDEX … CASCADE``, whose dependent keys it does not know)."""
    from linter.migset import references
    from linter.source import Source

    pg_cluster.sql("SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;" + _FK_SETUP)
    before = dict((oid, name) for oid, name in pg_cluster.sql(
        "SELECT oid::text, relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"))
    rows = pg_cluster.sql(f"BEGIN;\n{stmt};\nSELECT relation::text, mode FROM pg_locks WHERE pid = pg_backend_pid() "
                          "AND locktype = 'relation';\nROLLBACK;")
    own = stmt.split()[2] if stmt.startswith("ALTER") else "users"
    named = {before[oid] for oid, mode in rows if oid in before and mode == "AccessExclusiveLock"}
    assert named - {own} == others, rows

    state = references._State()
    for ev in references.events(Source(_FK_SETUP)):
        state.apply(ev)
    expected = set() if stmt.startswith("DROP INDEX") else others
    assert set(references.locked_through(state, Source(stmt + ";").statements[0])) == expected


_TABLE_EVENTS_SQL = """-- migrate:up
CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(100) NOT NULL);
CREATE TABLE orders (id int, user_id bigint REFERENCES users, CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES shops);
ALTER TABLE orders ADD COLUMN note text, ALTER COLUMN id TYPE bigint, DROP COLUMN legacy, DROP CONSTRAINT orders_shop_fk;
ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE orders RENAME COLUMN note TO remark;
ALTER TABLE orders RENAME TO purchases;
DROP TABLE old_stuff;
-- migrate:down
ALTER TABLE purchases ADD COLUMN legacy int REFERENCES users;
DROP TABLE purchases;
"""


def test_table_events_one_walk_gives_column_types_and_ties():
    # linter.migset.tables walks the statements once for both summaries; the events are
    # those coltypes.events and references.events gave when each walked on its own
    # (checked against the two separate walks before they were merged)
    from linter.migset import coltypes, references, tables
    from linter.source import Source

    src = Source(_TABLE_EVENTS_SQL)
    types = (
        (0, False, "create", "users", (("id", ("int8", (), False)), ("email", ("varchar", (100,), False))), False, 2),
        (1, False, "create", "orders", (("id", ("int4", (), False)), ("user_id", ("int8", (), False))), False, 3),
        (2, False, "add", "orders", "note", ("text", (), False), 4, False),
        (2, False, "type", "orders", "id", ("int8", (), False), 4),
        (2, False, "drop", "orders", "legacy"),
        (4, False, "rename", "orders", "note", "remark"),
        (5, False, "rename_table", "orders", "purchases"),
        (6, False, "drop_table", "old_stuff"),
        (7, True, "add", "purchases", "legacy", ("int4", (), False), 10, False),  # down parts: types only
        (8, True, "drop_table", "purchases"),
    )
    ties = (
        (0, "create", "users", ""),
        (1, "create", "orders", ""),
        (1, "tie", "orders", "users", "orders_user_id_fkey", ("user_id",)),
        (1, "tie", "orders", "shops", "orders_shop_fk", ("shop_id",)),
        (2, "dropcol", "orders", "legacy"),
        (2, "dropcon", "orders", "orders_shop_fk"),
        (3, "tie", "events_2024", "events"),
        (5, "rename", "orders", "purchases"),
        (6, "drop", "old_stuff"),
    )
    assert tables.events(src) == (types, ties)
    assert coltypes.events(src) == types and references.events(src) == ties
    assert tables.events(src, True, False) == (types, ()) and tables.events(src, False, True) == ((), ties)
