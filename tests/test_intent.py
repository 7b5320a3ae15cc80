"""What a migration's data changes are for (linter/pg/intent.py): the facts the lock rules
and drop-table share, on small statements copied from the corpus. The rules' own cases are
in tests/cases/ (slow-statement-after-access-exclusive, backfill-in-ddl-transaction,
missing-statement-timeout, drop-table)."""

from __future__ import annotations

import dataclasses

import pytest

from linter import config as configmod
from linter.discovery import discover
from linter.engine import FileContext
from linter.pg import intent
from linter.source import Source, read_text


def _ctx(tmp_path, sql: str, name: str = "V1__x.sql"):
    path = tmp_path / name
    path.write_text(sql, encoding="utf-8")
    cfg = dataclasses.replace(configmod.load(cwd=tmp_path), pg_version=16)
    (f,) = discover([str(path)], base_dir=str(tmp_path)).files
    return FileContext(f, Source(sql, f), read_text(str(path), 1 << 20), cfg)


def _select(tmp_path, sql: str) -> dict:
    ctx = _ctx(tmp_path, sql)
    (st,) = ctx.source.statements
    return st.body


@pytest.mark.parametrize("sql, source", [
    ("SELECT * FROM users", "users"),
    ("SELECT u.id FROM public.users u JOIN orders o ON o.user_id = u.id", "users"),
    ("SELECT c.id FROM comment c LEFT JOIN (SELECT comment_id FROM comment_like) l ON l.comment_id = c.id", "comment"),
    ("SELECT * FROM (SELECT * FROM audit a JOIN event e USING (eventid)) cl", "audit"),
    ("SELECT * FROM a RIGHT JOIN b ON a.id = b.id", "b"),
    ("SELECT * FROM a FULL JOIN b ON a.id = b.id", None),
    ("SELECT 1", None),
    ("SELECT * FROM generate_series(1, 3)", None),
])
def test_primary_source_is_the_table_that_gives_one_row_per_row(tmp_path, sql, source):
    assert intent.primary_source(_select(tmp_path, sql + ";")) == source


def test_column_names_are_the_last_part_of_each_reference(tmp_path):
    body = _select(tmp_path, "SELECT 1 FROM t WHERE t.a IS NULL AND b = 1 AND s.t.c > 0;")
    assert intent.column_names(body["whereClause"]) == {"a", "b", "c"}


@pytest.mark.parametrize("sql, unused", [
    # dhis2__dhis2-core V2_38_10, harness__gitness 0074, element-hq__synapse delta 58/13
    ("-- Drop legacy unused table \"datasetcompleteness\"\ndrop table if exists datasetcompleteness;\n", True),
    ("-- Connectors table is not being used so can be dropped and recreated without\n"
     "-- worrying about a migration\nDROP TABLE IF EXISTS connectors;\n", True),
    ("-- This table is no longer used.\nDROP TABLE presence_allow_inbound;\n", True),
    ("-- Drop the legacy sessions table\nDROP TABLE legacy_sessions;\n", False),
    ("-- unused\n\nDROP TABLE sessions;\n", False),
    ("DROP TABLE sessions; -- unused\n", False),
])
def test_comment_says_unused(tmp_path, sql, unused):
    ctx = _ctx(tmp_path, sql)
    assert intent.comment_says_unused(ctx.source, ctx.source.statements[0]) is unused


def _prepares(tmp_path, sql: str) -> dict[int, str | None]:
    """``{line: prepares(step)}`` for the file's statements."""
    ctx = _ctx(tmp_path, sql)
    pos = ctx.source.index.position
    return {pos(s.stmt.start).line: ctx.pg.intent.prepares(s) for s in ctx.pg.session.steps}


def test_backfill_then_constrain_names_the_constraint(tmp_path):
    got = _prepares(tmp_path, "ALTER TABLE t ADD COLUMN c boolean;\nUPDATE t SET c = false WHERE c IS NULL;\n"
                              "ALTER TABLE t ALTER COLUMN c SET NOT NULL;\n")
    assert got[2] == 'it prepares "t" for the constraint on line 3'


def test_a_write_of_every_row_prepares_nothing(tmp_path):
    got = _prepares(tmp_path, "ALTER TABLE t ADD COLUMN c text;\nUPDATE t SET c = (SELECT x FROM u WHERE u.id = t.id);\n"
                              "ALTER TABLE t ALTER COLUMN c SET NOT NULL;\n")
    assert got[2] is None


def test_copy_then_delete(tmp_path):
    got = _prepares(tmp_path, "CREATE TABLE log (id bigint PRIMARY KEY);\nINSERT INTO log SELECT id FROM audit;\n"
                              "DELETE FROM audit WHERE id IN (SELECT id FROM log);\n")
    assert got[3] == 'it deletes rows of "audit" copied into "log" on line 2'


def test_copied_out_is_the_earlier_copy_in_the_same_section(tmp_path):
    ctx = _ctx(tmp_path, "INSERT INTO new_t SELECT * FROM old_t;\nDROP TABLE old_t;\nDROP TABLE other;\n")
    copy, drop, other = ctx.source.statements
    assert ctx.pg.intent.copied_out(drop, "old_t") is copy
    assert ctx.pg.intent.copied_out(other, "other") is None


def test_drops_table(tmp_path):
    ctx = _ctx(tmp_path, "DROP TABLE t;\nDROP VIEW v;\n")
    assert [intent.drops_table(s) for s in ctx.source.statements] == [True, False]
