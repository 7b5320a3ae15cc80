"""``miglint verify``'s judgement of static lock claims on a real server
(linter/verify/findings.py): cases where a claim was refuted although the server did what
it says, each reduced from a corpus migration (PostgreSQL's behaviour checked here on the
cluster of tests/pgcluster.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_verify_replay import _verify

psycopg = pytest.importorskip("psycopg")


@pytest.fixture(scope="module")
def server(pg_cluster):
    return pg_cluster.server


def _claims(found, name: str) -> dict:
    """``{(line, rule): verification}`` of the findings on the file called ``name``."""
    return {(f.span.start.line, f.rule_id): f.properties.get("verification") for f in found if Path(f.path).name == name}


def test_a_lock_taken_under_a_name_renamed_away_is_held(tmp_path, server):
    # ente-io/ente 10_update_temp_object_keys.up.sql (golang-migrate: one implicit
    # transaction), and lemmy's split_user_table_2 (RENAME TO, then RENAME COLUMN)
    files = {
        "migrations/9_init.up.sql": ("CREATE TABLE temp_object_keys (id int);\n"
                                     "CREATE TABLE user_aggregates (id int, user_id int);\n"),
        "migrations/9_init.down.sql": "DROP TABLE temp_object_keys;\n",
        "migrations/10_update_temp_object_keys.up.sql": (
            "ALTER TABLE temp_object_keys  \n    RENAME TO temp_objects;\n\n"
            "ALTER TABLE temp_objects\n    ADD COLUMN is_multipart  BOOLEAN,\n    ADD COLUMN upload_id TEXT;\n\n"
            "UPDATE temp_objects SET is_multipart ='f';\n\n"
            "ALTER TABLE temp_objects \n    ALTER COLUMN is_multipart SET NOT NULL,\n    ALTER COLUMN is_multipart SET DEFAULT FALSE;\n"
            "ALTER TABLE user_aggregates RENAME TO person_aggregates;\n"
            "ALTER TABLE person_aggregates RENAME COLUMN user_id TO person_id;\n"),
        "migrations/10_update_temp_object_keys.down.sql": "SELECT 1;\n",
    }
    _, found = _verify(tmp_path, files, server, roundtrip="off")
    got = _claims(found, "10_update_temp_object_keys.up.sql")
    v = got[(11, "set-not-null-without-check")]
    assert v["status"] == "inconclusive" and "already held" in v["observed"], v
    v = got[(14, "rename-column")]
    assert v["status"] == "inconclusive" and "already held" in v["observed"], v
    assert not [k for k, v in got.items() if v and v["status"] == "refuted"]


def test_a_statement_in_a_do_block_branch_not_taken_is_inconclusive(tmp_path, server):
    # openmeter 20260520130000_repair_rebased_migrations (ADD CONSTRAINT under IF NOT
    # EXISTS of a constraint an earlier migration made) and marquez V52 (DROP VIEW under
    # IF the view exists); the branch that runs is still confirmed
    files = {
        "migrations/1_init.up.sql": ("CREATE TABLE tax_codes (id character(26) PRIMARY KEY);\n"
                                     "CREATE TABLE charge_flat_fees (id int, tax_code_id character(26));\n"
                                     "ALTER TABLE charge_flat_fees ADD CONSTRAINT charge_flat_fees_tax_codes_charge_flat_fees "
                                     "FOREIGN KEY (tax_code_id) REFERENCES tax_codes (id);\n"
                                     "CREATE TABLE charge_usage_based (id int, tax_code_id character(26));\n"
                                     "CREATE TABLE dataset_symlinks (name varchar(64));\n"),
        "migrations/1_init.down.sql": "SELECT 1;\n",
        "migrations/2_repair.up.sql": """DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint
    WHERE conname = 'charge_flat_fees_tax_codes_charge_flat_fees' AND conrelid = 'charge_flat_fees'::regclass
  ) THEN
    ALTER TABLE "charge_flat_fees"
      ADD CONSTRAINT "charge_flat_fees_tax_codes_charge_flat_fees"
      FOREIGN KEY ("tax_code_id") REFERENCES "tax_codes" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
  END IF;
END $$;
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint
    WHERE conname = 'charge_usage_based_tax_codes_charge_usage_based' AND conrelid = 'charge_usage_based'::regclass
  ) THEN
    ALTER TABLE "charge_usage_based"
      ADD CONSTRAINT "charge_usage_based_tax_codes_charge_usage_based"
      FOREIGN KEY ("tax_code_id") REFERENCES "tax_codes" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
  END IF;
END $$;
""",
        "migrations/2_repair.down.sql": "SELECT 1;\n",
        "migrations/3_symlinks.up.sql": """DO
$$
DECLARE
    datasets_view_exists boolean;
BEGIN
    SELECT EXISTS (
        SELECT * FROM information_schema.views
        WHERE table_schema='public' AND table_name='datasets_view'
    ) INTO datasets_view_exists;

    IF datasets_view_exists THEN
        DROP VIEW datasets_view;
        ALTER TABLE dataset_symlinks ALTER COLUMN name TYPE VARCHAR;
    ELSE
        ALTER TABLE dataset_symlinks ALTER COLUMN name TYPE VARCHAR;
    END IF;
END
$$ LANGUAGE plpgsql;
""",
        "migrations/3_symlinks.down.sql": "SELECT 1;\n",
    }
    _, found = _verify(tmp_path, files, server, roundtrip="off")
    got = _claims(found, "2_repair.up.sql")
    skipped = got[(8, "foreign-key-without-not-valid")]  # the constraint exists: the branch did not run
    assert skipped["status"] == "inconclusive" and "DO block" in skipped["observed"], skipped
    ran = got[(19, "foreign-key-without-not-valid")]  # it does not: the branch ran
    assert ran["status"] == "confirmed", ran
    assert got[(7, "missing-lock-timeout")]["status"] == "inconclusive"
    got = _claims(found, "3_symlinks.up.sql")
    assert got[(12, "missing-lock-timeout")]["status"] == "inconclusive", got
    assert not [k for k, v in got.items() if v and v["status"] == "refuted"], got


def test_a_run_level_lock_timeout_claim_is_judged_on_the_run(tmp_path, server):
    # openmeter 20250416094534_delete-subsadd-ratecards: one missing-lock-timeout finding
    # for a run of DROP TABLE; the tables tied to the second drop are locked by it
    files = {
        "migrations/1_init.up.sql": (
            "CREATE TABLE addon_rate_cards (id text PRIMARY KEY);\n"
            "CREATE TABLE subscription_items (id text PRIMARY KEY);\n"
            "CREATE TABLE subscription_addon_rate_cards (id text PRIMARY KEY, "
            "addon_rate_card_id text REFERENCES addon_rate_cards (id));\n"
            "CREATE TABLE subscription_addon_rate_card_item_links (id text PRIMARY KEY, "
            "subscription_addon_rate_card_id text REFERENCES subscription_addon_rate_cards (id), "
            "subscription_item_id text REFERENCES subscription_items (id));\n"),
        "migrations/1_init.down.sql": "SELECT 1;\n",
        "migrations/2_delete-subsadd-ratecards.up.sql": (
            '-- drop "subscription_addon_rate_card_item_links" table\n'
            'DROP TABLE "subscription_addon_rate_card_item_links";\n'
            '-- drop "subscription_addon_rate_cards" table\n'
            'DROP TABLE "subscription_addon_rate_cards";\n'),
        "migrations/2_delete-subsadd-ratecards.down.sql": "SELECT 1;\n",
    }
    _, found = _verify(tmp_path, files, server, roundtrip="off")
    claim = next(f for f in found if f.rule_id == "missing-lock-timeout" and f.path.endswith("2_delete-subsadd-ratecards.up.sql"))
    assert "addon_rate_cards" in claim.properties["table"].split(", ")
    v = claim.properties["verification"]
    assert v["status"] == "confirmed", v
    assert "ACCESS EXCLUSIVE on addon_rate_cards (by line 4)" in v["observed"], v


def test_a_may_rewrite_hedge_is_judged_as_a_hedge(tmp_path, server):
    # ente-io/ente 28_queue_time_stamp: a DEFAULT of a LANGUAGE sql function (VOLATILE as
    # declared) that PostgreSQL inlines into now() (STABLE) before it decides on the
    # rewrite: no rewrite, so the hedge is not borne out (not refuted either); getfider
    # 202601191200: regconfig to text, a type the model does not know: "may rewrite", and
    # the server rewrote (confirmed, not refuted as a claim of no rewrite)
    files = {
        "migrations/22_fn.up.sql": ("CREATE OR REPLACE FUNCTION now_utc_micro_seconds() RETURNS BIGINT AS\n$$\n"
                                    "SELECT CAST(extract(EPOCH from now() at time zone 'utc') * 1000000 as BIGINT) ;\n"
                                    "$$ language sql;\n"
                                    "CREATE TABLE queue (queue_name text, item text);\n"
                                    "INSERT INTO queue VALUES ('a', 'b');\n"
                                    "CREATE TABLE posts (id int, title text, language regconfig);\n"
                                    "INSERT INTO posts VALUES (1, 'x', 'english');\n"),
        "migrations/22_fn.down.sql": "SELECT 1;\n",
        "migrations/28_queue_time_stamp.up.sql": ("ALTER TABLE queue\n"
                                                  "    ADD COLUMN created_at bigint DEFAULT now_utc_micro_seconds(),\n"
                                                  "    ADD COLUMN is_deleted bool   DEFAULT false;\n"),
        "migrations/28_queue_time_stamp.down.sql": "SELECT 1;\n",
        "migrations/29_fix_regconfig_column.up.sql": "ALTER TABLE posts ALTER COLUMN language TYPE TEXT USING language::TEXT;\n",
        "migrations/29_fix_regconfig_column.down.sql": "SELECT 1;\n",
    }
    _, found = _verify(tmp_path, files, server, roundtrip="off")
    add = next(f for f in found if f.rule_id == "add-column-rewrite" and f.path.endswith("28_queue_time_stamp.up.sql"))
    assert "may rewrite" in add.message and add.properties["rewrite"] is True
    v = add.properties["verification"]
    assert v["status"] == "inconclusive" and "not rewritten here" in v["observed"], v
    typ = next(f for f in found if f.rule_id == "column-type-rewrite")
    assert "may rewrite" in typ.message and typ.properties["rewrite"] is False
    v = typ.properties["verification"]
    assert v["status"] == "confirmed" and "rewritten (relfilenode changed), as the claim says it may be" in v["observed"], v


def test_a_certain_rewrite_claim_is_still_refuted_without_a_rewrite():
    # the hedge is the message's "may rewrite": a claim that says "rewrites" and saw none is refuted
    from types import SimpleNamespace

    from linter.verify import findings as vf
    from linter.verify.replay import ObservedLock
    from linter.pg.locks import LockMode

    sr = SimpleNamespace(locks=(ObservedLock("public.t", "r", LockMode.ACCESS_EXCLUSIVE, oid=1),), rewritten=(), absent=(),
                         server_version="15", stmt=None, oids=(("t", 1),))
    certain = SimpleNamespace(rule_id="add-column-rewrite", message='ALTER TABLE … ADD COLUMN "c" rewrites "t" under …',
                              properties={"lock": "ACCESS EXCLUSIVE", "table": "t", "rewrite": True})
    assert vf.verification(certain, sr)["status"] == "refuted"
    hedged = SimpleNamespace(rule_id="add-column-rewrite", message='ALTER TABLE … ADD COLUMN "c" may rewrite "t" under …',
                             properties={"lock": "ACCESS EXCLUSIVE", "table": "t", "rewrite": True})
    assert vf.verification(hedged, sr)["status"] == "inconclusive"


def test_locks_taken_by_trigger_code_are_attributed_to_the_triggers(tmp_path, server):
    # LemmyNet/lemmy 2020-02-02-004806 DELETE FROM user_, whose statement trigger (made in
    # 2020-01-13-025151_create_materialized_views) refreshes materialized views
    # CONCURRENTLY: EXCLUSIVE on them until the migration commits
    files = {
        "migrations/2020-01-13-025151_create_materialized_views/up.sql": """CREATE TABLE user_ (id serial PRIMARY KEY, name text);
CREATE MATERIALIZED VIEW user_mview AS SELECT id, name FROM user_;
CREATE UNIQUE INDEX idx_user_mview_id ON user_mview (id);
CREATE OR REPLACE FUNCTION refresh_user ()
    RETURNS TRIGGER
    LANGUAGE plpgsql
    AS $$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY user_mview;
    RETURN NULL;
END
$$;

CREATE TRIGGER refresh_user
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_
    FOR EACH statement
    EXECUTE PROCEDURE refresh_user ();
""",
        "migrations/2020-01-13-025151_create_materialized_views/down.sql": "SELECT 1;\n",
        "migrations/2020-02-02-004806_add_case_insensitive_usernames/up.sql": (
            "DELETE FROM user_\nWHERE id NOT IN (\n        SELECT\n            min(id)\n        FROM\n            user_\n"
            "        GROUP BY\n            lower(name));\n"),
        "migrations/2020-02-02-004806_add_case_insensitive_usernames/down.sql": "SELECT 1;\n",
    }
    result, found = _verify(tmp_path, files, server, roundtrip="off")
    (f,) = [f for f in found if f.rule_id == "verify-lock-differs"]
    assert f.properties["observed"] == [{"relation": "public.user_mview", "mode": "EXCLUSIVE"}]
    assert f.properties["triggers"] == [{"relation": "public.user_", "trigger": "refresh_user", "function": "public.refresh_user"}]
    assert "triggers this statement fires (trigger refresh_user on public.user_ runs public.refresh_user())" in f.message
    assert "plain reads go on" in f.message
    # what the message says it blocks, on the server: with the DELETE's transaction open, a
    # SELECT of the view goes on, and a write to user_ (whose trigger refreshes it) waits
    db = next(fr for fr in result.files if fr.path.endswith("create_materialized_views/up.sql"))
    assert db.status == "applied"
    with psycopg.connect(server.conninfo(), autocommit=True) as admin:
        admin.execute("CREATE DATABASE miglint_trigger_lock")
    try:
        conninfo = server.conninfo("miglint_trigger_lock")
        with psycopg.connect(conninfo, autocommit=True) as a, psycopg.connect(conninfo, autocommit=True) as b:
            a.execute(files["migrations/2020-01-13-025151_create_materialized_views/up.sql"])
            a.execute("BEGIN")
            a.execute("DELETE FROM user_ WHERE id < 0")
            b.execute("SET lock_timeout = '200ms'")
            assert b.execute("SELECT count(*) FROM user_mview").fetchone() == (0,)
            with pytest.raises(psycopg.errors.LockNotAvailable):
                b.execute("INSERT INTO user_ (name) VALUES ('x')")
            a.execute("ROLLBACK")
    finally:
        with psycopg.connect(server.conninfo(), autocommit=True) as admin:
            admin.execute("DROP DATABASE miglint_trigger_lock")
