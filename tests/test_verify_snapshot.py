"""The catalog snapshot of ``miglint verify``'s round trip (linter/verify/snapshot.py) on a
real server: index texts come from a cache keyed by what ``pg_get_indexdef`` reads, so
after every kind of change that alters what that function prints they must still equal
what it prints; and a down that changes a relation the migration never touched is still
named object by object."""

from __future__ import annotations

from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

#: What the snapshot held before the index texts were cached: pg_get_indexdef of every index.
REFERENCE = """SELECT n.nspname || '.' || c.relname, pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"""


@pytest.fixture
def conn(pg_cluster):
    from linter.verify.replay import _connect, database_name

    name = database_name("snapshot_test")
    admin = _connect(pg_cluster.server.conninfo())
    admin.execute(f'CREATE DATABASE "{name}"')
    c = _connect(pg_cluster.server.conninfo(name))
    try:
        yield c
    finally:
        c.close()
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def _indexes(snap) -> dict[str, str]:
    return {key: value for (kind, key), value in snap.objects.items() if kind == "index"}


def test_cached_index_texts_equal_pg_get_indexdef_after_every_change(conn):
    from linter.verify import snapshot

    steps = [
        # every part of the text: UNIQUE, INCLUDE, DESC/NULLS, COLLATE, an opclass, WITH, an
        # expression, a predicate, another access method, opclass options, ON ONLY
        """CREATE SCHEMA s2;
        CREATE TABLE t (id int PRIMARY KEY, a text, b varchar(10), c int, d int, tsv tsvector);
        CREATE INDEX t_a ON t (a);
        CREATE UNIQUE INDEX t_cd ON t (c DESC NULLS LAST, d NULLS FIRST) INCLUDE (a);
        CREATE INDEX t_coll ON t (a COLLATE "C");
        CREATE INDEX t_ops ON t (a text_pattern_ops);
        CREATE INDEX t_b ON t (b) WITH (fillfactor = 70);
        CREATE INDEX t_bh ON t USING hash (b);
        CREATE INDEX t_expr ON t (lower(a));
        CREATE INDEX t_pred ON t (c) WHERE c > 0;
        CREATE INDEX t_tsv ON t USING gist (tsv tsvector_ops (siglen = 100));
        CREATE TABLE s2.p (id int, k int) PARTITION BY RANGE (id);
        CREATE INDEX p_k ON ONLY s2.p (k);
        CREATE COLLATION s2.mycoll FROM "C";
        CREATE INDEX t_mycoll ON t (a COLLATE s2.mycoll);""",
        "ALTER TABLE t RENAME COLUMN a TO a2",
        "ALTER TABLE t RENAME TO t2",
        "ALTER SCHEMA s2 RENAME TO s3",
        "ALTER INDEX t_b SET (fillfactor = 50)",
        "ALTER INDEX t_a RENAME TO t_a_renamed",
        "SET search_path = s3, public",  # the collation needs no schema now
        "RESET search_path",
        "ALTER FUNCTION lower(text) RENAME TO lower_renamed",  # the expression index's text names it
        "ALTER FUNCTION lower_renamed(text) RENAME TO lower",
        # a default hash opclass for varchar: t_bh (text_ops through binary coercion) now prints it
        "CREATE OPERATOR CLASS vc_ops DEFAULT FOR TYPE varchar USING hash AS OPERATOR 1 = (text, text), FUNCTION 1 hashtext(text)",
        "ALTER TABLE t2 ALTER COLUMN c TYPE bigint",
        "SET quote_all_identifiers = on",
        "RESET quote_all_identifiers",
        "DROP INDEX t_cd; CREATE UNIQUE INDEX t_cd ON t2 (c, d)",
        "CREATE UNIQUE INDEX t_nnd ON t2 (d) NULLS NOT DISTINCT",
    ]
    seen = []
    for sql in steps:
        conn.execute(sql)
        reference = dict(conn.execute(REFERENCE).fetchall())
        got = _indexes(snapshot.take(conn))
        assert got == reference, sql
        assert _indexes(snapshot.take(conn)) == reference, sql  # from the cache this time
        seen.append(reference)
    # the steps did change the texts the cache must follow
    assert seen[0]["public.t_a"] == "CREATE INDEX t_a ON public.t USING btree (a)"
    assert seen[2]["public.t_a"] == "CREATE INDEX t_a ON public.t2 USING btree (a2)"
    assert seen[5]["public.t_mycoll"].endswith('(a2 COLLATE s3.mycoll)')
    assert seen[6]["public.t_mycoll"].endswith('(a2 COLLATE mycoll)')
    assert "lower_renamed(a2)" in seen[8]["public.t_expr"]
    assert seen[9]["public.t_bh"].endswith("USING hash (b)") and seen[10]["public.t_bh"].endswith("USING hash (b text_ops)")
    assert seen[12]["public.t_a_renamed"] == 'CREATE INDEX "t_a_renamed" ON "public"."t2" USING "btree" ("a2")'
    assert seen[1]["s2.p_k"] == "CREATE INDEX p_k ON ONLY s2.p USING btree (k)"


def _write(tmp_path: Path, files: dict[str, str]):
    from linter import config as configmod
    from linter.discovery import discover

    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    cfg = configmod.load_preset("default")
    return discover([str(tmp_path)], base_dir=str(tmp_path)).files, cfg


def test_a_down_that_changes_an_untouched_relation_is_named(tmp_path, pg_cluster):
    """The up touches only ``a``; its down also changes ``b``'s index, drops ``c``'s column and
    adds a table: each is a difference of the round trip, the index text as pg_get_indexdef
    prints it (the snapshot covers the whole schema, not only what the migration names)."""
    from linter.verify import replay as rp

    files, cfg = _write(tmp_path, {
        "db/migrations/1_base.sql": ("-- migrate:up\nCREATE TABLE a (id int);\nCREATE TABLE b (id int, x int);\n"
                                     "CREATE INDEX b_x_idx ON b (x);\nCREATE TABLE c (id int, y int);\n"
                                     "-- migrate:down\nDROP TABLE a, b, c;\n"),
        "db/migrations/2_a.sql": ("-- migrate:up\nALTER TABLE a ADD COLUMN note text;\n"
                                  "-- migrate:down\nALTER TABLE a DROP COLUMN note;\nDROP INDEX b_x_idx;\n"
                                  "CREATE INDEX b_x_idx ON b (x DESC);\nALTER TABLE c DROP COLUMN y;\nCREATE TABLE d (id int);\n"),
    })
    result = rp.replay(files, cfg, pg_cluster.server, roundtrip="new")
    rt = next(fr for fr in result.files if fr.path.endswith("2_a.sql")).roundtrip
    assert rt.status == "ok"
    assert rt.not_reverted == [
        "only before: column public.c.y",
        "only after: column public.d.id",
        "changed: index public.b_x_idx: CREATE INDEX b_x_idx ON public.b USING btree (x) -> "
        "CREATE INDEX b_x_idx ON public.b USING btree (x DESC)",
        "only after: relation public.d",
    ]


def test_a_round_trip_starts_from_the_snapshot_the_previous_one_ended_with(tmp_path, pg_cluster, monkeypatch):
    """Up → down → up of each file of a chain: the snapshot after the up run again is the
    schema the next file starts from when nothing runs between, so it is not taken twice.
    After a round trip that did not come back (the chain is rebuilt) the next file takes its
    own. The differences found are the same."""
    from linter.verify import replay as rp, snapshot

    taken = []
    real = snapshot.take
    monkeypatch.setattr(snapshot, "take", lambda conn: taken.append(1) or real(conn))
    files, cfg = _write(tmp_path, {
        "db/migrations/1_a.sql": "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
        "db/migrations/2_i.sql": "-- migrate:up\nCREATE INDEX a_id ON a (id);\n-- migrate:down\nDROP INDEX a_id;\n",
        "db/migrations/3_b.sql": "-- migrate:up\nALTER TABLE a ADD COLUMN b int;\n-- migrate:down\nSELECT 1;\n",
        "db/migrations/4_c.sql": "-- migrate:up\nALTER TABLE a ADD COLUMN c int;\n-- migrate:down\nALTER TABLE a DROP COLUMN c;\n",
    })
    result = rp.replay(files, cfg, pg_cluster.server, roundtrip="all")
    trips = [fr.roundtrip for fr in result.files]
    assert [(rt.status, rt.not_reverted) for rt in trips] == [
        ("ok", []), ("ok", []), ("up-failed", ["only after: column public.a.b"]), ("ok", [])]
    assert trips[2].up_again.statements[0].sqlstate == "42701"  # the column is still there
    # 1: before, after, after down, after up again; 2: the same but "before" (1's last);
    # 3: "before" (2's last), after, after down (the up again fails); 4 (rebuilt chain): all four
    assert len(taken) == 4 + 3 + 2 + 4
