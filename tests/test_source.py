"""Positions, statements, placeholders, sections and PL/pgSQL bodies (linter.source)."""

from __future__ import annotations

from linter.model import Direction, Position, Span
from linter.source import OffsetMap, Source, TextIndex, read_text, substitute_placeholders


def text_of(src: Source, span: Span) -> str:
    return src.text[src.index.offset(span.start) : src.index.offset(span.end)]


def test_statement_spans_skip_leading_comments_and_exclude_semicolon():
    sql = "-- header\n/* block\n comment */\n\nCREATE TABLE a (\n  id int\n);\n  -- between\nSELECT 1;"
    src = Source(sql)
    a, b = src.statements
    assert a.span == Span(Position(5, 1), Position(7, 2))
    assert a.text == "CREATE TABLE a (\n  id int\n)"
    assert b.span == Span(Position(9, 1), Position(9, 9))
    assert text_of(src, b.span) == "SELECT 1"


def test_non_ascii_before_a_statement_counts_characters_not_bytes():
    sql = "-- café ☕ 漢字\nINSERT INTO t VALUES ('ééé'); CREATE INDEX i ON public.ü (x);"
    src = Source(sql)
    ins, idx = src.statements
    assert ins.span.start == Position(2, 1)
    assert idx.span.start == Position(2, 31)
    rel = idx.node_span(idx.body["relation"])
    assert rel == Span(Position(2, 49), Position(2, 57))
    assert text_of(src, rel) == "public.ü"


def test_four_byte_characters():
    sql = "SELECT '😀😀'; ALTER TABLE t ADD COLUMN c int;"
    src = Source(sql)
    alter = src.statements[1]
    assert alter.span.start == Position(1, 14)
    assert text_of(src, alter.node_span(alter.body["relation"])) == "t"


def test_text_index_byte_to_char_roundtrip():
    text = "aé☕😀b\nxyz"
    idx = TextIndex(text)
    raw = text.encode()
    for char_off in range(len(text) + 1):
        byte_off = len(text[:char_off].encode())
        assert idx.char_of_byte(byte_off) == char_off
    assert idx.position(len("aé☕😀b\n")) == Position(2, 1)
    assert len(raw) > len(text)


def test_text_index_lines_positions_and_clamping():
    for text in ("", "a", "a\n", "\n\n", "ab\r\ncd\n\nef", "x\u2028y\rz\n"):  # only "\n" ends a line
        idx = TextIndex(text)
        expected = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        assert idx.line_starts == expected
        assert idx.line_count == len(expected)
        for c in range(len(text) + 1):
            pos = idx.position(c)
            assert idx.offset(pos) == c
            assert pos.line == text.count("\n", 0, c) + 1
        assert idx.position(-5) == Position(1, 1)
        assert idx.position(len(text) + 5) == idx.position(len(text))
        assert idx.span(3, 1) == Span(idx.position(3), idx.position(3))
    idx = TextIndex("ab\r\ncd\n")
    assert [idx.line_text(n) for n in (0, 1, 2, 3, 4)] == ["", "ab", "cd", "", ""]


def test_statement_span_is_kept_and_body_is_the_node_fields():
    src = Source("SELECT 1;\nCREATE INDEX i ON t (x);")
    stmt = src.statements[1]
    assert stmt.span is stmt.span
    assert stmt.span == Span(Position(2, 1), Position(2, 24))
    assert stmt.body is stmt.node["IndexStmt"]


def test_crlf_line_endings():
    src = Source("SELECT 1;\r\nSELECT 2;\r\n")
    assert [s.span.start for s in src.statements] == [Position(1, 1), Position(2, 1)]
    assert src.index.line_text(1) == "SELECT 1;"


def test_syntax_error_position_is_a_character_offset():
    src = Source("SELECT 'ééé' FROM WHERE;")
    offset, message = src.error
    assert src.index.position(offset) == Position(1, 19)
    assert "WHERE" in message
    assert src.statements == []


def test_configured_placeholder_values_keep_positions_in_the_original():
    sql = "CREATE TABLE ${schema}.jobs (id int);\nCREATE INDEX ON ${schema}.jobs (id);"
    src = Source(sql, placeholders={"schema": "a_much_longer_schema_name"})
    assert src.error is None
    idx = src.statements[1]
    assert idx.span == Span(Position(2, 1), Position(2, 36))
    assert idx.text == "CREATE INDEX ON ${schema}.jobs (id)"
    # the relation starts at the placeholder, as the author wrote it
    assert idx.node_span(idx.body["relation"]).start == Position(2, 17)
    assert idx.body["relation"]["schemaname"] == "a_much_longer_schema_name"


def test_unknown_psql_placeholders_get_same_length_dummies_only_when_needed():
    sql = "CREATE TABLE :SCHEMA.jobs (id int);\nSELECT a[1:n] FROM :SCHEMA.jobs;"
    src = Source(sql)
    assert src.error is None
    assert src.placeholders_replaced == 2
    assert src.statements[1].span.start == Position(2, 1)
    # valid SQL that merely looks like a placeholder is never rewritten
    src2 = Source("SELECT a[1:n] FROM t;")
    assert src2.placeholders_replaced == 0


def test_substitution_offset_map():
    text, omap, n = substitute_placeholders("x ${a} y ${bb} z", {"a": "AAAA", "bb": ""}, ("flyway",), dummies=False)
    assert text == "x AAAA y  z" and n == 2
    assert omap.to_original(text.index("y")) == "x ${a} y ${bb} z".index("y")
    assert omap.to_original(text.index("z")) == "x ${a} y ${bb} z".index("z")
    assert omap.to_original(3) == 2  # inside the value: the placeholder's start
    assert OffsetMap().to_original(7) == 7


def test_psql_quoted_placeholders():
    text, _, n = substitute_placeholders("GRANT x TO :\"role\"; SELECT :'v';", {"role": 'a"b', "v": "it's"}, ("psql",), dummies=False)
    assert text == "GRANT x TO \"a\"\"b\"; SELECT 'it''s';" and n == 2


def test_plpgsql_bodies_expose_nested_statements_with_exact_spans():
    sql = (
        "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1) THEN\n    CREATE INDEX i ON t (a);\n  END IF;\nEND $$;\n"
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f$\nBEGIN\n  ALTER TABLE \"Ü\" ADD COLUMN c int;\nEND $f$;\n"
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n"
    )
    src = Source(sql)
    got = [(s.kind, s.span.start, s.nested) for s in src.all_statements()]
    assert got == [
        ("DoStmt", Position(1, 1), False),
        ("IndexStmt", Position(4, 5), True),
        ("CreateFunctionStmt", Position(7, 1), False),
        ("AlterTableStmt", Position(9, 3), True),
        ("CreateFunctionStmt", Position(11, 1), False),
    ]
    nested = [s for s in src.all_statements() if s.nested]
    assert nested[0].parent.kind == "DoStmt"
    assert text_of(src, nested[0].node_span(nested[0].body["relation"])) == "t"
    assert text_of(src, nested[1].node_span(nested[1].body["relation"])) == '"Ü"'


def test_function_bodies_that_return_values_expose_their_statements():
    # parsed from the function's own statement first (a RETURNS void wrapper rejects
    # RETURN with a value), else from the wrapper, as bodies that return nothing are
    sql = (
        "CREATE FUNCTION f(n int) RETURNS int LANGUAGE plpgsql AS $f$\nBEGIN\n  UPDATE t SET a = n;\n  RETURN n;\nEND $f$;\n"
        "CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $g$\nBEGIN\n  DELETE FROM u;\n  RETURN NULL;\nEND $g$;\n"
        "CREATE FUNCTION h() RETURNS int LANGUAGE plpgsql AS $h$\nBEGIN\n  INSERT INTO v VALUES (1);\nEND $h$;\n"
    )
    src = Source(sql)
    got = [(s.kind, s.span.start.line) for s in src.all_statements() if s.nested]
    assert got == [("UpdateStmt", 3), ("DeleteStmt", 8), ("InsertStmt", 13)]


def test_body_found_verbatim_in_single_quotes_is_exact():
    src = Source("DO 'BEGIN CREATE INDEX i ON t (a); END';")
    (nested,) = [s for s in src.all_statements() if s.nested]
    assert nested.span.start == Position(1, 11)


def test_escaped_single_quoted_body_falls_back_to_parent_span():
    src = Source("DO 'BEGIN CREATE INDEX i ON t (a); RAISE NOTICE ''done''; END';")
    nested = [s for s in src.all_statements() if s.nested]
    assert [s.kind for s in nested] == ["IndexStmt"]
    assert nested[0].span == src.statements[0].span


def test_dbmate_sections_and_transaction_option():
    sql = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n"
    src = Source(sql)
    assert src.options == {"transaction": False}
    assert [(s.kind, s.section) for s in src.statements] == [("IndexStmt", Direction.UP), ("DropStmt", Direction.DOWN)]
    assert [s.marker_line for s in src.sections] == [1, 4]


def test_dbmate_block_ends_its_last_statement():
    # UPchieve__subway/seed-updates/20220710190730_add_new_response_choice_question.sql:
    # the up block's INSERT has no ";" before "-- migrate:down"; dbmate runs each block as
    # its own script, so this runs fine and must parse.
    sql = (
        "-- migrate:up\n"
        "INSERT INTO upchieve.survey_response_choices (score, choice_text, created_at, updated_at)\n"
        "SELECT 0, 'I''m curious', NOW(), NOW()\n"
        "-- migrate:down\n"
        "DELETE FROM upchieve.survey_response_choices\n"
        "WHERE upchieve.survey_response_choices.choice_text = 'I''m curious and ünïcode';\n"
    )
    src = Source(sql)
    assert src.error is None
    assert [(s.kind, s.section) for s in src.statements] == [("InsertStmt", Direction.UP), ("DeleteStmt", Direction.DOWN)]
    assert src.statements[0].text.endswith("NOW(), NOW()")
    assert src.statements[1].span.start == Position(5, 1)
    # an indented marker is no marker for dbmate (``^--``): the statement runs on into the
    # next line, as in UPchieve__subway/migrations/20211026205335_create_cities_table.sql
    bad = Source("-- migrate:up\nALTER TABLE t\n    ADD CONSTRAINT u UNIQUE (a)\n    -- migrate:down\n    DROP CONSTRAINT u;\n")
    assert bad.error is not None


def test_goose_sections():
    sql = "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- +goose Down\nDROP INDEX CONCURRENTLY i;\n"
    src = Source(sql)
    assert src.options == {"transaction": False}
    assert [s.section for s in src.statements] == [Direction.UP, Direction.DOWN]


def test_read_text_problems(tmp_path):
    ok = tmp_path / "ok.sql"
    ok.write_bytes(b"\xef\xbb\xbfSELECT 1;")
    assert read_text(str(ok), 100).text == "SELECT 1;"
    latin = tmp_path / "latin.sql"
    latin.write_bytes("SELECT 'Malmö';".encode("latin-1"))
    r = read_text(str(latin), 100)
    assert r.problem == "encoding" and r.offset == 12 and "\ufffd" in r.text
    binary = tmp_path / "bin.sql"
    binary.write_bytes(b"SELECT\0")
    assert read_text(str(binary), 100).problem == "binary"
    assert read_text(str(ok), 5).problem == "too-large"
    assert read_text(str(tmp_path / "missing.sql"), 100).problem == "unreadable"


def test_read_text_reads_a_pipe_to_its_end(tmp_path):
    # a FIFO reports size 0: read_text must read on to the writer's end, not stop at the size
    import os
    import threading

    fifo = tmp_path / "stdin.sql"
    os.mkfifo(fifo)
    sql = "CREATE TABLE t (id int);\n" * 5000  # more than one pipe buffer (64 KiB)

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as fh:
            fh.write(sql)

    writer = threading.Thread(target=write)
    writer.start()
    got = read_text(str(fifo), 10_000_000)
    writer.join()
    assert got.text == sql and got.problem is None

