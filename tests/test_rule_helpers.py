"""Helpers in linter/pg and linter/migset that parallel rules share: the ALTER TABLE
shapes they yield (constraints added, subcommands of a table that existed before the
file, columns a type-hygiene rule judges) and the text helpers of repeated-alter-table."""

from __future__ import annotations

from linter.pg import columns, tokens
from tests.test_lock_session import _ctx

SQL = (
    "CREATE TABLE fresh (id bigint);\n"
    "ALTER TABLE fresh ADD CONSTRAINT fresh_pos CHECK (id > 0);\n"
    "ALTER TABLE orders ADD CONSTRAINT orders_pos CHECK (total > 0), "
    "ADD COLUMN qty int CHECK (qty > 0) REFERENCES items (id), ADD CONSTRAINT orders_fk FOREIGN KEY (u) REFERENCES users (id);\n"
    "ALTER TABLE orders DROP COLUMN note, DROP COLUMN memo, ALTER COLUMN total DROP DEFAULT;\n"
    "ALTER TABLE public.orders ADD COLUMN a int, ADD COLUMN b text;\n"
    "CREATE TABLE t (c char(3), v varchar(9), s serial);\n"
    "ALTER TABLE t ALTER COLUMN v TYPE char(4);\n"
)


def _file(tmp_path):
    ctx = _ctx(tmp_path, "V1__x.sql", SQL)
    return ctx, ctx.source.statements


def test_added_constraints(tmp_path):
    ctx, st = _file(tmp_path)
    assert list(columns.added_constraints(ctx, st[1], ("CONSTR_CHECK",))) == []  # table created in the file
    got = [(con.get("conname"), coldef and coldef["colname"])
           for con, coldef in columns.added_constraints(ctx, st[2], ("CONSTR_CHECK",))]
    assert got == [("orders_pos", None), (None, "qty")]
    fks = [(con["contype"], coldef and coldef["colname"])
           for con, coldef in columns.added_constraints(ctx, st[2], ("CONSTR_FOREIGN",))]
    assert fks == [("CONSTR_FOREIGN", "qty"), ("CONSTR_FOREIGN", None)]
    assert list(columns.added_constraints(ctx, st[3], ("CONSTR_CHECK",))) == []


def test_table_alter(tmp_path):
    ctx, st = _file(tmp_path)
    alter = columns.table_alter(ctx, st[3], "AT_DropColumn")
    assert [c["name"] for c in alter.cmds] == ["note", "memo"]
    assert (alter.key, alter.table, alter.lock.label) == ("orders", "orders", "ACCESS EXCLUSIVE")
    assert columns.table_alter(ctx, st[3], "AT_ColumnDefault", keep=lambda c: c.get("def")) is None
    assert columns.breaking_alter(ctx, st[3], "AT_ColumnDefault").cmds[0]["name"] == "total"
    assert columns.table_alter(ctx, st[1], "AT_AddConstraint") is None  # table created in the file
    assert columns.table_alter(ctx, st[0], "AT_AddConstraint") is None  # not an ALTER TABLE
    assert list(alter.existing_columns(ctx)) == ["note", "memo"]


def test_existing_columns_skip_columns_created_in_the_file(tmp_path):
    sql = "ALTER TABLE orders ADD COLUMN draft text;\nALTER TABLE orders DROP COLUMN draft, DROP COLUMN note;\n"
    ctx = _ctx(tmp_path, "V1__x.sql", sql)
    alter = columns.table_alter(ctx, ctx.source.statements[1], "AT_DropColumn")
    assert [c["name"] for c in alter.cmds] == ["draft", "note"]
    assert list(alter.existing_columns(ctx)) == ["note"]


def test_typed_columns(tmp_path):
    ctx, st = _file(tmp_path)
    got = [(site.name, base, table, ctx.source.text[at[0]:at[1]])
           for site, base, table, at in columns.typed_columns(ctx, st[5], ("bpchar", "varchar"))]
    assert got == [("c", "bpchar", "t", "char(3)"), ("v", "varchar", "t", "varchar(9)")]
    # ALTER COLUMN … TYPE: the type is the change itself, no place for a fix
    assert [(s.name, at) for s, _b, _t, at in columns.typed_columns(ctx, st[6], ("bpchar",))] == [("v", None)]


def test_added_columns_and_subcommands_text(tmp_path):
    ctx, st = _file(tmp_path)
    assert columns.added_columns(st[4]) == {"a", "b"}
    assert columns.added_columns(st[3]) == set()
    assert columns.added_columns(st[0]) == set()
    assert tokens.subcommands_text(st[4]) == "ADD COLUMN a int, ADD COLUMN b text"
    assert tokens.subcommands_text(st[3]) == "DROP COLUMN note, DROP COLUMN memo, ALTER COLUMN total DROP DEFAULT"


def test_inserted_sql_follows_the_files_keyword_case(tmp_path):
    # a file written in lower case (as LemmyNet__lemmy's diesel migrations are) gets the
    # keywords a fix inserts in lower case; identifiers and literals are kept as they are
    lower = _ctx(tmp_path, "V1__lower.sql", "alter table users add column email text;\ncreate index i on users (email);\n")
    assert tokens.keyword_case(lower.source) == "lower"
    assert tokens.in_file_case(lower.source, "SET LOCAL lock_timeout = '5S';") == "set local lock_timeout = '5S';"
    assert tokens.in_file_case(lower.source, ' CONCURRENTLY') == " concurrently"
    assert tokens.in_file_case(lower.source, 'DROP INDEX CONCURRENTLY IF EXISTS "Idx";') == 'drop index concurrently if exists "Idx";'
    upper = _ctx(tmp_path, "V2__upper.sql", "ALTER TABLE users ADD COLUMN email text;\n-- alter table in a comment\n")
    assert tokens.keyword_case(upper.source) == "upper"
    assert tokens.in_file_case(upper.source, "SET LOCAL lock_timeout = '5s';") == "SET LOCAL lock_timeout = '5s';"
    mixed = _ctx(tmp_path, "V3__tie.sql", "ALTER table users;\n")
    assert tokens.keyword_case(mixed.source) is None


def test_fixes_insert_keywords_in_the_files_case(tmp_path):
    # applied to a lower-case file, the fixes leave no new sqlfluff CP01 (capitalisation)
    # finding: the strict preset runs sqlfluff-style at warning level
    sqlfluff = __import__("pytest").importorskip("sqlfluff")
    from tests.test_lock_session import _apply, _findings

    sql = ("alter table users add column email varchar(255);\n"
           "alter table orders add constraint orders_fk foreign key (user_id) references users (id);\n")

    def cp01(text):
        return len(sqlfluff.lint(text, dialect="postgres", rules=["CP01"]))

    for n, rule in enumerate(("missing-lock-timeout", "foreign-key-without-not-valid", "varchar-length-limit")):
        fixes = [f.fix for f in _findings(tmp_path / str(n), rule, sql) if f.fix]
        assert fixes, rule
        for fx in fixes:
            assert fx.replacement == fx.replacement.lower(), (rule, fx.replacement)
            assert cp01(_apply(sql, [fx])) == cp01(sql) == 0, (rule, fx.replacement)


def test_sqlfluff_line_break_fix_offered_only_when_it_shortens_the_line():
    # LemmyNet__lemmy/2025-10-15-114811-0000_merge-modlog-tables/up.sql:51: sqlfluff's LT05
    # edit breaks the 106-character line before its last ")", which leaves a 105-character
    # line: the finding would stay, so no fix
    from linter.checks.sqlfluff_style import _fits
    from linter.model import Fix

    line = "        AND num_nonnulls (target_community_id, target_post_id, target_comment_id, target_instance_id) = 0)"
    text = line + "\n"

    def at(col, replacement="\n        "):
        return Fix(None, col, col, replacement, "sqlfluff LT05: apply its fix")

    assert len(line) == 106
    assert not _fits(text, at(105), "Line is too long (106 > 80).")
    assert _fits(text, at(line.index("target_comment_id")), "Line is too long (106 > 80).")
    assert _fits(text, at(105), "something else")
