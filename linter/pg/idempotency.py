"""Which DDL fails when a migration is re-run after a partial failure, and the guard that fixes it.

A migration that stops half-way (a lock timeout, a bad row, a lost connection) is re-run
from the top once the cause is fixed. If it did not run in one transaction, what it did
before the failure is still there, and the re-run fails on the first statement that
assumes otherwise: ``CREATE TABLE`` on a table that now exists, ``DROP INDEX`` on one that
is gone. This module classifies each such statement (:func:`hazards`), decides whether the
file is protected anyway (:func:`atomic_reason`: one transaction, or the file's last
statement),
recognises guards (a ``DROP … IF EXISTS`` earlier in the file, a PL/pgSQL ``IF`` /
``EXCEPTION`` around a statement in a ``DO`` block), and places the mechanical fix (the
guard keyword inserted at the right character offset, found with a regex that tolerates
case, whitespace and comments).

Sources (PostgreSQL documentation; the version each guard appeared in is noted in the
tables below): the synopsis of each CREATE / DROP / ALTER command
(https://www.postgresql.org/docs/current/sql-commands.html), the release notes for
``IF NOT EXISTS`` (9.1 CREATE TABLE/EXTENSION, 9.3 CREATE SCHEMA and ALTER TYPE … ADD VALUE,
9.5 CREATE INDEX/SEQUENCE/MATERIALIZED VIEW/TABLE AS, 9.6 ADD COLUMN, 10 CREATE COLLATION)
and ``OR REPLACE`` (11 procedures, 12 aggregates, 14 triggers), and the error each re-run
raises ("Appendix A. PostgreSQL Error Codes": 42P07 duplicate_table, 42710
duplicate_object, 42P06 duplicate_schema, 42723 duplicate_function, 42701
duplicate_column, 42P01 undefined_table, 42704 undefined_object).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from linter.model import Direction, cached_property
from linter.pg import names, tokens

# the four kinds of hazard, one per rule
IF_NOT_EXISTS = "if-not-exists"
IF_EXISTS = "if-exists"
OR_REPLACE = "or-replace"
GUARD = "guard"


@dataclass(frozen=True)
class Hazard:
    """One part of a statement that fails (or duplicates something) when re-run.

    ``rule``: which guard is missing (:data:`IF_NOT_EXISTS`, :data:`IF_EXISTS`,
    :data:`OR_REPLACE`, or :data:`GUARD` when PostgreSQL has no clause for it);
    ``form``: the statement form (``"CREATE TABLE"``, ``"ALTER TABLE … ADD COLUMN"``);
    ``what``: the object as a phrase (``'table "users"'``); ``key``: the object's identity
    for matching a ``DROP`` or ``CREATE`` of it elsewhere in the file; ``error``: what
    PostgreSQL says on the re-run; ``insert_at`` (computed on demand from the thunk ``at``)
    and ``insert``: the fix (a character offset into the original file text and the text to
    insert there), ``insert_at`` ``None`` when it is not mechanical; ``node``: where the finding points; ``guard``: the clause to add, or for
    :data:`GUARD` hazards the construct to write; ``template``: the statement with its names
    and ``{G}`` where the clause goes (see :attr:`subject` and :attr:`fixed`).
    """

    rule: str
    form: str
    what: str
    key: tuple
    error: str
    at: object = field(default=None, compare=False, repr=False)  # a thunk giving insert_at
    insert: str = ""
    node: dict | None = None
    guard: str = ""
    template: str = ""

    @property
    def insert_at(self) -> int | None:
        """Where the guard goes: a character offset into the file text, or ``None``."""
        return self.at() if callable(self.at) else self.at

    @property
    def subject(self) -> str:
        """The statement with its names, as written: ``CREATE TABLE "users"``."""
        return self.template.replace("{G}", "")

    @property
    def fixed(self) -> str:
        """The same with the guard added: ``CREATE TABLE IF NOT EXISTS "users"``."""
        return self.template.replace("{G}", " " + self.guard) if "{G}" in self.template else ""


# --------------------------------------------------------------------------- text


_MASK = re.compile(
    r"--[^\n]*|/\*(?:[^*]|\*(?!/))*\*/|[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|\$\$.*?\$\$|\$(?P<tag>[A-Za-z_]\w*)\$.*?\$(?P=tag)\$",
    re.S,
)


def masked(text: str) -> str:
    """``text`` with comments, string literals and dollar-quoted bodies blanked out (same
    length, line breaks kept), so keyword regexes cannot match inside them."""
    return _MASK.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def ident(name: str) -> str:
    """A regex for identifier ``name`` as written: quoted exactly, or unquoted in any case."""
    quoted = '"' + re.escape(name.replace('"', '""')) + '"'
    if name == name.lower():
        return rf"(?:{quoted}|{re.escape(name)}(?![\w$]))"
    return f"(?-i:{quoted})"


_G = r"\s+"  # gap between keywords (comments are masked to spaces)


def _after(stmt, pattern: str):
    """A thunk: the offset in the file just after ``pattern`` matched at the start of the
    statement (``None`` if it does not match). Lazy: only reported hazards pay for it."""

    def locate() -> int | None:
        m = re.match(pattern, masked(stmt.text), re.I)
        return stmt.start + m.end() if m else None

    return locate


def _before(stmt, pattern: str):
    """A thunk: the offset in the file of the end of the first match of ``pattern``."""

    def locate() -> int | None:
        m = re.search(pattern, masked(stmt.text), re.I)
        return stmt.start + m.end() if m else None

    return locate


# --------------------------------------------------------------------------- classification

#: DROP object types: (keyword regex, words for messages, key namespace).
_DROP_TYPES = {
    "OBJECT_TABLE": (r"TABLE", "table", "relation"),
    "OBJECT_INDEX": (r"INDEX(?:\s+CONCURRENTLY)?", "index", "relation"),
    "OBJECT_VIEW": (r"VIEW", "view", "relation"),
    "OBJECT_MATVIEW": (r"MATERIALIZED\s+VIEW", "materialized view", "relation"),
    "OBJECT_SEQUENCE": (r"SEQUENCE", "sequence", "relation"),
    "OBJECT_FOREIGN_TABLE": (r"FOREIGN\s+TABLE", "foreign table", "relation"),
    "OBJECT_TYPE": (r"TYPE", "type", "type"),
    "OBJECT_DOMAIN": (r"DOMAIN", "type", "type"),
    "OBJECT_SCHEMA": (r"SCHEMA", "schema", "schema"),
    "OBJECT_EXTENSION": (r"EXTENSION", "extension", "extension"),
    "OBJECT_FUNCTION": (r"FUNCTION", "function", "function"),
    "OBJECT_PROCEDURE": (r"PROCEDURE", "procedure", "function"),
    "OBJECT_ROUTINE": (r"ROUTINE", "routine", "function"),
    "OBJECT_AGGREGATE": (r"AGGREGATE", "aggregate", "function"),
    "OBJECT_TRIGGER": (r"TRIGGER", "trigger", "trigger"),
    "OBJECT_POLICY": (r"POLICY", "policy", "policy"),
    "OBJECT_RULE": (r"RULE", "rule", "rule"),
    "OBJECT_COLLATION": (r"COLLATION", "collation", "collation"),
    "OBJECT_CONVERSION": (r"CONVERSION", "conversion", "conversion"),
    "OBJECT_OPERATOR": (r"OPERATOR", "operator", "operator"),
    "OBJECT_OPCLASS": (r"OPERATOR\s+CLASS", "operator class", "opclass"),
    "OBJECT_OPFAMILY": (r"OPERATOR\s+FAMILY", "operator family", "opfamily"),
    "OBJECT_CAST": (r"CAST", "cast", "cast"),
    "OBJECT_EVENT_TRIGGER": (r"EVENT\s+TRIGGER", "event trigger", "event trigger"),
    "OBJECT_PUBLICATION": (r"PUBLICATION", "publication", "publication"),
    "OBJECT_STATISTIC_EXT": (r"STATISTICS", "statistics object", "statistics"),
    "OBJECT_FDW": (r"FOREIGN\s+DATA\s+WRAPPER", "foreign-data wrapper", "fdw"),
    "OBJECT_FOREIGN_SERVER": (r"SERVER", "server", "server"),
    "OBJECT_TSCONFIGURATION": (r"TEXT\s+SEARCH\s+CONFIGURATION", "text search configuration", "tsconfig"),
    "OBJECT_TSDICTIONARY": (r"TEXT\s+SEARCH\s+DICTIONARY", "text search dictionary", "tsdict"),
    "OBJECT_TSPARSER": (r"TEXT\s+SEARCH\s+PARSER", "text search parser", "tsparser"),
    "OBJECT_TSTEMPLATE": (r"TEXT\s+SEARCH\s+TEMPLATE", "text search template", "tstemplate"),
    "OBJECT_LANGUAGE": (r"(?:PROCEDURAL\s+)?LANGUAGE", "language", "language"),
    "OBJECT_ACCESS_METHOD": (r"ACCESS\s+METHOD", "access method", "access method"),
    "OBJECT_TRANSFORM": (r"TRANSFORM", "transform", "transform"),
}

#: Object kinds that live on a table: DROP TRIGGER t ON tbl lists [tbl..., t].
_ON_TABLE = {"trigger", "policy", "rule"}

_TEMP = "t"


def _version(pg_version: int) -> float:
    """A comparable version: 9 means the last 9.x release, 9.6."""
    return 9.6 if pg_version == 9 else float(pg_version)


def _name_parts(obj: dict) -> list[str]:
    """Name parts of one ``DropStmt.objects`` item (List, String, TypeName, ObjectWithArgs)."""
    if "List" in obj:
        return names.strings(obj)
    if "String" in obj:
        return [obj["String"].get("sval", "")]
    if "TypeName" in obj:
        return names.strings(obj["TypeName"].get("names"))
    if "ObjectWithArgs" in obj:
        return names.strings(obj["ObjectWithArgs"].get("objname"))
    return []


def _rel(rv: dict | None) -> tuple[str, str]:
    """(display name, key name) of a RangeVar."""
    return names.relation(rv), names.table_key(rv)


def _q(name: str) -> str:
    return f'"{name}"'


def hazards(stmt, pg_version: int = 16) -> list[Hazard]:
    """The parts of ``stmt`` that fail (or duplicate an object) when it runs a second time.

    Statements that are already guarded (``IF NOT EXISTS``, ``IF EXISTS``, ``OR REPLACE``)
    and temporary objects (gone with the session) give ``[]``.
    """
    fn = _HANDLERS.get(stmt.kind)
    return fn(stmt, stmt.body, _version(pg_version)) if fn else []


def _create_table(stmt, b, pg) -> list[Hazard]:
    base = b.get("base", b) if stmt.kind == "CreateForeignTableStmt" else b
    rv = base.get("relation") or {}
    if base.get("if_not_exists") or rv.get("relpersistence") == _TEMP:
        return []
    shown, key = _rel(rv)
    if stmt.kind == "CreateForeignTableStmt":
        form, kw = "CREATE FOREIGN TABLE", r"CREATE\s+FOREIGN\s+TABLE"
    else:
        form = "CREATE TABLE … PARTITION OF" if base.get("partbound") else "CREATE TABLE"
        kw = r"CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+)?TABLE"
    head = form.split(" … ")[0]
    return [Hazard(IF_NOT_EXISTS, form, f"table {_q(shown)}", ("relation", key), f'relation "{key}" already exists',
                   _after(stmt, kw), " IF NOT EXISTS", rv, "IF NOT EXISTS", f"{head}{{G}} {_q(shown)}")]


def _create_table_as(stmt, b, pg) -> list[Hazard]:
    into = b.get("into", {})
    into = into.get("IntoClause", into)
    rv = into.get("rel") or {}
    if b.get("if_not_exists") or rv.get("relpersistence") == _TEMP or b.get("is_select_into"):
        return []
    shown, key = _rel(rv)
    if b.get("objtype") == "OBJECT_MATVIEW":
        form, what, kw = "CREATE MATERIALIZED VIEW", "materialized view", r"CREATE\s+(?:UNLOGGED\s+)?MATERIALIZED\s+VIEW"
        template = f"CREATE MATERIALIZED VIEW{{G}} {_q(shown)}"
    else:
        form, what, kw = "CREATE TABLE … AS", "table", r"CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+)?TABLE"
        template = f"CREATE TABLE{{G}} {_q(shown)} AS"
    return [Hazard(IF_NOT_EXISTS, form, f"{what} {_q(shown)}", ("relation", key), f'relation "{key}" already exists',
                   _after(stmt, kw), " IF NOT EXISTS", rv, "IF NOT EXISTS", template)]


def _index(stmt, b, pg) -> list[Hazard]:
    if b.get("if_not_exists"):
        return []
    rv = b.get("relation") or {}
    table, _ = _rel(rv)
    form = "CREATE " + ("UNIQUE " if b.get("unique") else "") + "INDEX" + (" CONCURRENTLY" if b.get("concurrent") else "")
    name = b.get("idxname")
    if not name:
        return [Hazard(IF_NOT_EXISTS, form, f"an unnamed index on {_q(table)}", ("relation", ""),
                       "no error: PostgreSQL builds a second, duplicate index under a new name", None, "", rv,
                       "a name and IF NOT EXISTS", f"{form} ON {_q(table)}")]
    at = _after(stmt, r"CREATE\s+(?:UNIQUE\s+)?INDEX(?:\s+CONCURRENTLY)?")
    return [Hazard(IF_NOT_EXISTS, form, f"index {_q(name)}", ("relation", name), f'relation "{name}" already exists',
                   at, " IF NOT EXISTS", rv, "IF NOT EXISTS", f"{form}{{G}} {_q(name)} ON {_q(table)}")]


def _schema(stmt, b, pg) -> list[Hazard]:
    if b.get("if_not_exists"):
        return []
    name = b.get("schemaname") or (b.get("authrole") or {}).get("rolename", "")
    h = dict(what=f"schema {_q(name)}", key=("schema", name), error=f'schema "{name}" already exists')
    if b.get("schemaElts"):  # CREATE SCHEMA IF NOT EXISTS cannot hold schema elements
        return [Hazard(GUARD, "CREATE SCHEMA … (with elements)", guard="a separate CREATE SCHEMA IF NOT EXISTS, then the elements",
                       template=f"CREATE SCHEMA {_q(name)} with schema elements", **h)]
    return [Hazard(IF_NOT_EXISTS, "CREATE SCHEMA", at=_after(stmt, r"CREATE\s+SCHEMA"), insert=" IF NOT EXISTS",
                   guard="IF NOT EXISTS", template=f"CREATE SCHEMA{{G}} {_q(name)}", **h)]


def _sequence(stmt, b, pg) -> list[Hazard]:
    rv = b.get("sequence") or {}
    if b.get("if_not_exists") or rv.get("relpersistence") == _TEMP:
        return []
    shown, key = _rel(rv)
    at = _after(stmt, r"CREATE\s+(?:UNLOGGED\s+)?SEQUENCE")
    return [Hazard(IF_NOT_EXISTS, "CREATE SEQUENCE", f"sequence {_q(shown)}", ("relation", key), f'relation "{key}" already exists',
                   at, " IF NOT EXISTS", rv, "IF NOT EXISTS", f"CREATE SEQUENCE{{G}} {_q(shown)}")]


def _extension(stmt, b, pg) -> list[Hazard]:
    if b.get("if_not_exists"):
        return []
    name = b.get("extname", "")
    at = _after(stmt, r"CREATE\s+EXTENSION")
    return [Hazard(IF_NOT_EXISTS, "CREATE EXTENSION", f"extension {_q(name)}", ("extension", name), f'extension "{name}" already exists',
                   at, " IF NOT EXISTS", None, "IF NOT EXISTS", f"CREATE EXTENSION{{G}} {_q(name)}")]


def _alter_table(stmt, b, pg) -> list[Hazard]:
    if b.get("objtype") not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE", None):
        return []
    rv = b.get("relation") or {}
    table, tkey = _rel(rv)
    alter = f"ALTER TABLE {_q(table)}"
    out: list[Hazard] = []
    for item in b.get("cmds", ()):
        cmd = item.get("AlterTableCmd", {})
        sub = cmd.get("subtype")
        if sub == "AT_AddColumn" and not cmd.get("missing_ok"):
            col = cmd.get("def", {}).get("ColumnDef", {})
            name = col.get("colname", "")
            key = ("column", tkey, name)
            what = f"column {_q(name)} of {_q(table)}"
            err = f'column "{name}" of relation "{tkey}" already exists'
            if pg < 9.6:
                out.append(Hazard(GUARD, "ALTER TABLE … ADD COLUMN", what, key, err, node=col,
                                  guard="a DO block that checks information_schema.columns (ADD COLUMN IF NOT EXISTS needs PostgreSQL 9.6)",
                                  template=f"{alter} ADD COLUMN {_q(name)}"))
                continue
            at = _before(stmt, rf"\bADD(?:{_G}COLUMN)?{_G}(?={ident(name)})")
            out.append(Hazard(IF_NOT_EXISTS, "ALTER TABLE … ADD COLUMN", what, key, err, at, "IF NOT EXISTS ", col, "IF NOT EXISTS",
                              f"{alter} ADD COLUMN{{G}} {_q(name)}"))
        elif sub == "AT_DropColumn" and not cmd.get("missing_ok"):
            name = cmd.get("name", "")
            at = _before(stmt, rf"\bDROP(?:{_G}COLUMN)?{_G}(?={ident(name)})")
            out.append(Hazard(IF_EXISTS, "ALTER TABLE … DROP COLUMN", f"column {_q(name)} of {_q(table)}", ("column", tkey, name),
                              f'column "{name}" of relation "{tkey}" does not exist', at, "IF EXISTS ", None, "IF EXISTS",
                              f"{alter} DROP COLUMN{{G}} {_q(name)}"))
        elif sub == "AT_DropConstraint" and not cmd.get("missing_ok"):
            name = cmd.get("name", "")
            at = _before(stmt, rf"\bDROP{_G}CONSTRAINT{_G}(?={ident(name)})")
            out.append(Hazard(IF_EXISTS, "ALTER TABLE … DROP CONSTRAINT", f"constraint {_q(name)} of {_q(table)}", ("constraint", tkey, name),
                              f'constraint "{name}" of relation "{tkey}" does not exist', at, "IF EXISTS ", None, "IF EXISTS",
                              f"{alter} DROP CONSTRAINT{{G}} {_q(name)}"))
        elif sub == "AT_AddConstraint":
            con = cmd.get("def", {}).get("Constraint", {})
            name = con.get("conname")
            if name:
                out.append(Hazard(GUARD, "ALTER TABLE … ADD CONSTRAINT", f"constraint {_q(name)} on {_q(table)}", ("constraint", tkey, name),
                                  f'constraint "{name}" for relation "{tkey}" already exists', node=con,
                                  guard=f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name} before it",
                                  template=f"{alter} ADD CONSTRAINT {_q(name)}"))
            elif con.get("contype") == "CONSTR_PRIMARY":
                out.append(Hazard(GUARD, "ALTER TABLE … ADD PRIMARY KEY", f"the primary key of {_q(table)}", ("constraint", tkey, f"{tkey}_pkey"),
                                  f'multiple primary keys for table "{tkey}" are not allowed', node=con,
                                  guard="a named constraint and a DROP CONSTRAINT IF EXISTS before it",
                                  template=f"{alter} ADD PRIMARY KEY"))
    return out


def _alter_enum(stmt, b, pg) -> list[Hazard]:
    if b.get("oldVal") or not b.get("newVal") or b.get("skipIfNewValExists"):
        return []
    tname = ".".join(names.strings(b.get("typeName")))
    val = b["newVal"]
    key = ("enum value", tname.split(".")[-1], val)
    what = f"enum value '{val}' of {_q(tname)}"
    err = f'enum label "{val}" already exists'
    if pg < 9.3:
        return [Hazard(GUARD, "ALTER TYPE … ADD VALUE", what, key, err, guard="a DO block that checks pg_enum",
                       template=f"ALTER TYPE {_q(tname)} ADD VALUE '{val}'")]
    at = _after(stmt, rf"ALTER{_G}TYPE{_G}.*?\bADD{_G}VALUE")
    return [Hazard(IF_NOT_EXISTS, "ALTER TYPE … ADD VALUE", what, key, err, at, " IF NOT EXISTS", None, "IF NOT EXISTS",
                   f"ALTER TYPE {_q(tname)} ADD VALUE{{G}} '{val}'")]


def _or_replace(stmt, form: str, what: str, key: tuple, error: str, rest: str, node=None) -> Hazard:
    at = _after(stmt, r"CREATE")
    return Hazard(OR_REPLACE, form, what, key, error, at, " OR REPLACE", node, "OR REPLACE", "CREATE{G} " + rest)


def _view(stmt, b, pg) -> list[Hazard]:
    rv = b.get("view") or {}
    if b.get("replace") or rv.get("relpersistence") == _TEMP:
        return []
    shown, key = _rel(rv)
    return [_or_replace(stmt, "CREATE VIEW", f"view {_q(shown)}", ("relation", key), f'relation "{key}" already exists', f"VIEW {_q(shown)}", rv)]


def _function(stmt, b, pg) -> list[Hazard]:
    if b.get("replace"):
        return []
    name = ".".join(names.strings(b.get("funcname")))
    word = "procedure" if b.get("is_procedure") else "function"
    short = name.split(".")[-1]
    return [_or_replace(stmt, f"CREATE {word.upper()}", f"{word} {_q(name)}", ("function", short),
                        f'function "{short}" already exists with same argument types', f"{word.upper()} {_q(name)}")]


def _trigger(stmt, b, pg) -> list[Hazard]:
    if b.get("replace"):
        return []
    rv = b.get("relation") or {}
    table, tkey = _rel(rv)
    name = b.get("trigname", "")
    what = f"trigger {_q(name)} on {_q(table)}"
    key = ("trigger", tkey, name)
    err = f'trigger "{name}" for relation "{tkey}" already exists'
    if b.get("isconstraint"):
        return [Hazard(GUARD, "CREATE CONSTRAINT TRIGGER", what, key, err, node=rv,
                       guard=f"DROP TRIGGER IF EXISTS {name} ON {table} before it (OR REPLACE is not supported for constraint triggers)",
                       template=f"CREATE CONSTRAINT TRIGGER {_q(name)} ON {_q(table)}")]
    if pg < 14:
        return [Hazard(GUARD, "CREATE TRIGGER", what, key, err, node=rv,
                       guard=f"DROP TRIGGER IF EXISTS {name} ON {table} before it (CREATE OR REPLACE TRIGGER needs PostgreSQL 14)",
                       template=f"CREATE TRIGGER {_q(name)} ON {_q(table)}")]
    return [_or_replace(stmt, "CREATE TRIGGER", what, key, err, f"TRIGGER {_q(name)} ON {_q(table)}", rv)]


def _rule(stmt, b, pg) -> list[Hazard]:
    if b.get("replace"):
        return []
    rv = b.get("relation") or {}
    table, tkey = _rel(rv)
    name = b.get("rulename", "")
    return [_or_replace(stmt, "CREATE RULE", f"rule {_q(name)} on {_q(table)}", ("rule", tkey, name),
                        f'rule "{name}" for relation "{tkey}" already exists', f"RULE {_q(name)} … TO {_q(table)}", rv)]


def _define(stmt, b, pg) -> list[Hazard]:
    kind = b.get("kind")
    name = ".".join(names.strings(b.get("defnames")))
    short = name.split(".")[-1]
    if kind == "OBJECT_AGGREGATE":
        if b.get("replace"):
            return []
        err = f'function "{short}" already exists with same argument types'
        if pg < 12:
            return [Hazard(GUARD, "CREATE AGGREGATE", f"aggregate {_q(name)}", ("function", short), err,
                           guard="DROP AGGREGATE IF EXISTS before it (CREATE OR REPLACE AGGREGATE needs PostgreSQL 12)",
                           template=f"CREATE AGGREGATE {_q(name)}")]
        return [_or_replace(stmt, "CREATE AGGREGATE", f"aggregate {_q(name)}", ("function", short), err, f"AGGREGATE {_q(name)}")]
    if kind == "OBJECT_TYPE" and b.get("definition"):
        return [_type_guard("CREATE TYPE", name, f"CREATE TYPE {_q(name)}")]
    if kind == "OBJECT_COLLATION" and not b.get("if_not_exists"):
        err = f'collation "{short}" for encoding "…" already exists'
        if pg < 10:
            return [Hazard(GUARD, "CREATE COLLATION", f"collation {_q(name)}", ("collation", short), err,
                           guard="DROP COLLATION IF EXISTS before it (CREATE COLLATION IF NOT EXISTS needs PostgreSQL 10)",
                           template=f"CREATE COLLATION {_q(name)}")]
        at = _after(stmt, r"CREATE\s+COLLATION")
        return [Hazard(IF_NOT_EXISTS, "CREATE COLLATION", f"collation {_q(name)}", ("collation", short), err, at, " IF NOT EXISTS", None,
                       "IF NOT EXISTS", f"CREATE COLLATION{{G}} {_q(name)}")]
    return []


def _type_guard(form: str, name: str, template: str, word: str = "type") -> Hazard:
    short = name.split(".")[-1]
    return Hazard(GUARD, form, f"{word} {_q(name)}", ("type", short), f'type "{short}" already exists',
                  guard=f"a DO block that creates it only IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = '{short}'), "
                        f"or in a BEGIN … EXCEPTION WHEN duplicate_object THEN NULL; END block",
                  template=template)


def _enum(stmt, b, pg) -> list[Hazard]:
    name = ".".join(names.strings(b.get("typeName")))
    return [_type_guard("CREATE TYPE … AS ENUM", name, f"CREATE TYPE {_q(name)} AS ENUM")]


def _composite(stmt, b, pg) -> list[Hazard]:
    name = names.relation(b.get("typevar"))
    return [_type_guard("CREATE TYPE … AS (…)", name, f"CREATE TYPE {_q(name)} AS (…)")]


def _range(stmt, b, pg) -> list[Hazard]:
    name = ".".join(names.strings(b.get("typeName")))
    return [_type_guard("CREATE TYPE … AS RANGE", name, f"CREATE TYPE {_q(name)} AS RANGE")]


def _domain(stmt, b, pg) -> list[Hazard]:
    name = ".".join(names.strings(b.get("domainname")))
    return [_type_guard("CREATE DOMAIN", name, f"CREATE DOMAIN {_q(name)}", "domain")]


def _policy(stmt, b, pg) -> list[Hazard]:
    rv = b.get("table") or {}
    table, tkey = _rel(rv)
    name = b.get("policy_name", "")
    return [Hazard(GUARD, "CREATE POLICY", f"policy {_q(name)} on {_q(table)}", ("policy", tkey, name),
                   f'policy "{name}" for table "{tkey}" already exists', node=rv,
                   guard=f"DROP POLICY IF EXISTS {name} ON {table} before it", template=f"CREATE POLICY {_q(name)} ON {_q(table)}")]


def _role(stmt, b, pg) -> list[Hazard]:
    name = b.get("role", "")
    word = {"ROLESTMT_USER": "USER", "ROLESTMT_GROUP": "GROUP"}.get(b.get("stmt_type"), "ROLE")
    return [Hazard(GUARD, f"CREATE {word}", f"role {_q(name)}", ("role", name), f'role "{name}" already exists',
                   guard=f"a DO block that creates it only IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}')",
                   template=f"CREATE {word} {_q(name)}")]


def _event_trigger(stmt, b, pg) -> list[Hazard]:
    name = b.get("trigname", "")
    return [Hazard(GUARD, "CREATE EVENT TRIGGER", f"event trigger {_q(name)}", ("event trigger", name),
                   f'event trigger "{name}" already exists', guard=f"DROP EVENT TRIGGER IF EXISTS {name} before it",
                   template=f"CREATE EVENT TRIGGER {_q(name)}")]


def _publication(stmt, b, pg) -> list[Hazard]:
    name = b.get("pubname", "")
    return [Hazard(GUARD, "CREATE PUBLICATION", f"publication {_q(name)}", ("publication", name),
                   f'publication "{name}" already exists', guard=f"DROP PUBLICATION IF EXISTS {name} before it",
                   template=f"CREATE PUBLICATION {_q(name)}")]


def _drop(stmt, b, pg) -> list[Hazard]:
    if b.get("missing_ok"):
        return []
    rt = b.get("removeType", "")
    kw, word, ns = _DROP_TYPES.get(rt, (None, rt.removeprefix("OBJECT_").lower().replace("_", " "), rt))
    objs = [p for p in (_name_parts(o) for o in b.get("objects", ()) or ()) if p]
    if not objs:
        return []
    first = objs[0]
    if ns in _ON_TABLE:
        table = ".".join(first[:-1])
        tkey = first[-2] if len(first) > 1 else ""
        key = (ns, tkey, first[-1])
        what = f"{word} {_q(first[-1])} on {_q(table)}"
        err = f'{word} "{first[-1]}" for table "{tkey}" does not exist'
        shown = f"{_q(first[-1])} ON {_q(table)}"
    else:
        key = (ns, first[-1])
        shown = ", ".join(_q(".".join(p)) for p in objs)
        what = f"{word} {shown}"
        err = f"{word} {first[-1]}(…) does not exist" if ns == "function" else f'{word} "{first[-1]}" does not exist'
    at = _after(stmt, rf"DROP{_G}{kw}") if kw else None
    form = "DROP " + word.upper()
    if rt == "OBJECT_INDEX" and b.get("concurrent"):
        form += " CONCURRENTLY"
    return [Hazard(IF_EXISTS, form, what, key, err, at, " IF EXISTS", None, "IF EXISTS", f"{form}{{G}} {shown}")]


def _drop_role(stmt, b, pg) -> list[Hazard]:
    if b.get("missing_ok"):
        return []
    roles = [r.get("RoleSpec", {}).get("rolename", "") for r in b.get("roles", ())]
    at = _after(stmt, r"DROP\s+(?:ROLE|USER|GROUP)")
    first = roles[0] if roles else ""
    shown = ", ".join(_q(r) for r in roles)
    return [Hazard(IF_EXISTS, "DROP ROLE", f"role {shown}", ("role", first), f'role "{first}" does not exist', at, " IF EXISTS", None,
                   "IF EXISTS", f"DROP ROLE{{G}} {shown}")]


def _dropdb(stmt, b, pg) -> list[Hazard]:
    if b.get("missing_ok"):
        return []
    name = b.get("dbname", "")
    at = _after(stmt, r"DROP\s+DATABASE")
    return [Hazard(IF_EXISTS, "DROP DATABASE", f"database {_q(name)}", ("database", name), f'database "{name}" does not exist', at,
                   " IF EXISTS", None, "IF EXISTS", f"DROP DATABASE{{G}} {_q(name)}")]


_HANDLERS = {
    "CreateStmt": _create_table,
    "CreateForeignTableStmt": _create_table,
    "CreateTableAsStmt": _create_table_as,
    "IndexStmt": _index,
    "CreateSchemaStmt": _schema,
    "CreateSeqStmt": _sequence,
    "CreateExtensionStmt": _extension,
    "AlterTableStmt": _alter_table,
    "AlterEnumStmt": _alter_enum,
    "ViewStmt": _view,
    "CreateFunctionStmt": _function,
    "CreateTrigStmt": _trigger,
    "RuleStmt": _rule,
    "DefineStmt": _define,
    "CreateEnumStmt": _enum,
    "CompositeTypeStmt": _composite,
    "CreateRangeStmt": _range,
    "CreateDomainStmt": _domain,
    "CreatePolicyStmt": _policy,
    "CreateRoleStmt": _role,
    "CreateEventTrigStmt": _event_trigger,
    "CreatePublicationStmt": _publication,
    "DropStmt": _drop,
    "DropRoleStmt": _drop_role,
    "DropdbStmt": _dropdb,
}

#: Statement kinds :func:`hazards` looks at (rules return early on anything else).
KINDS = frozenset(_HANDLERS)

#: For each kind of hazard, the statement kinds whose handler can report it (at some
#: PostgreSQL version), and the ALTER TABLE subcommands that can: what each rule
#: declares as its ``KINDS`` and ``SUBCOMMANDS``, so the engine calls it for no others.
KINDS_OF = {
    IF_NOT_EXISTS: frozenset({
        "CreateStmt", "CreateForeignTableStmt", "CreateTableAsStmt", "IndexStmt", "CreateSchemaStmt", "CreateSeqStmt",
        "CreateExtensionStmt", "AlterTableStmt", "AlterEnumStmt", "DefineStmt",
    }),
    IF_EXISTS: frozenset({"DropStmt", "DropRoleStmt", "DropdbStmt", "AlterTableStmt"}),
    OR_REPLACE: frozenset({"ViewStmt", "CreateFunctionStmt", "CreateTrigStmt", "RuleStmt", "DefineStmt"}),
    GUARD: frozenset({
        "CreateSchemaStmt", "AlterTableStmt", "AlterEnumStmt", "CreateTrigStmt", "DefineStmt", "CreateEnumStmt",
        "CompositeTypeStmt", "CreateRangeStmt", "CreateDomainStmt", "CreatePolicyStmt", "CreateRoleStmt",
        "CreateEventTrigStmt", "CreatePublicationStmt",
    }),
}
SUBCOMMANDS_OF = {
    IF_NOT_EXISTS: ("AT_AddColumn",),
    IF_EXISTS: ("AT_DropColumn", "AT_DropConstraint"),
    GUARD: ("AT_AddColumn", "AT_AddConstraint"),  # ADD COLUMN before PostgreSQL 9.6
}


# --------------------------------------------------------------------------- per file


def _created_keys(stmt) -> list[tuple]:
    """Objects ``stmt`` creates or adds (guarded or not), as hazard keys."""
    k, b = stmt.kind, stmt.body
    if k in ("CreateStmt", "CreateForeignTableStmt"):
        return [("relation", names.table_key((b.get("base", b)).get("relation")))]
    if k == "CreateTableAsStmt":
        into = b.get("into", {})
        return [("relation", names.table_key(into.get("IntoClause", into).get("rel")))]
    if k == "IndexStmt" and b.get("idxname"):
        return [("relation", b["idxname"])]
    if k == "CreateSeqStmt":
        return [("relation", names.table_key(b.get("sequence")))]
    if k == "ViewStmt":
        return [("relation", names.table_key(b.get("view")))]
    if k == "AlterTableStmt":
        tkey = names.table_key(b.get("relation"))
        out = []
        for item in b.get("cmds", ()):
            cmd = item.get("AlterTableCmd", {})
            if cmd.get("subtype") == "AT_AddColumn":
                out.append(("column", tkey, cmd.get("def", {}).get("ColumnDef", {}).get("colname", "")))
            elif cmd.get("subtype") == "AT_AddConstraint" and cmd.get("def", {}).get("Constraint", {}).get("conname"):
                out.append(("constraint", tkey, cmd["def"]["Constraint"]["conname"]))
        return out
    last = lambda node: (names.strings(node) or [""])[-1]  # noqa: E731
    if k == "CreateFunctionStmt":
        return [("function", last(b.get("funcname")))]
    if k == "CreateTrigStmt":
        return [("trigger", names.table_key(b.get("relation")), b.get("trigname", ""))]
    if k == "RuleStmt":
        return [("rule", names.table_key(b.get("relation")), b.get("rulename", ""))]
    if k == "CreatePolicyStmt":
        return [("policy", names.table_key(b.get("table")), b.get("policy_name", ""))]
    if k in ("CreateEnumStmt", "CreateRangeStmt"):
        return [("type", last(b.get("typeName")))]
    if k == "CompositeTypeStmt":
        return [("type", names.table_key(b.get("typevar")))]
    if k == "CreateDomainStmt":
        return [("type", last(b.get("domainname")))]
    if k == "DefineStmt":
        ns = {"OBJECT_AGGREGATE": "function", "OBJECT_TYPE": "type", "OBJECT_COLLATION": "collation"}.get(b.get("kind"))
        return [(ns, last(b.get("defnames")))] if ns else []
    if k == "CreateSchemaStmt":
        return [("schema", b.get("schemaname") or "")]
    if k == "CreateExtensionStmt":
        return [("extension", b.get("extname", ""))]
    if k == "CreateRoleStmt":
        return [("role", b.get("role", ""))]
    if k == "CreateEventTrigStmt":
        return [("event trigger", b.get("trigname", ""))]
    if k == "CreatePublicationStmt":
        return [("publication", b.get("pubname", ""))]
    if k == "AlterEnumStmt" and b.get("newVal") and not b.get("oldVal"):
        return [("enum value", last(b.get("typeName")), b["newVal"])]
    return []


def _dropped_keys(stmt) -> list[tuple]:
    """Objects ``stmt`` drops (with or without IF EXISTS), as hazard keys."""
    k, b = stmt.kind, stmt.body
    if k == "DropStmt":
        rt = b.get("removeType", "")
        ns = _DROP_TYPES.get(rt, (None, None, rt))[2]
        out = []
        for o in b.get("objects", ()) or ():
            p = _name_parts(o)
            if not p:
                continue
            out.append((ns, p[-2] if len(p) > 1 else "", p[-1]) if ns in _ON_TABLE else (ns, p[-1]))
        return out
    if k == "DropRoleStmt":
        return [("role", r.get("RoleSpec", {}).get("rolename", "")) for r in b.get("roles", ())]
    if k == "AlterTableStmt":
        tkey = names.table_key(b.get("relation"))
        out = []
        for item in b.get("cmds", ()):
            cmd = item.get("AlterTableCmd", {})
            if cmd.get("subtype") == "AT_DropColumn":
                out.append(("column", tkey, cmd.get("name", "")))
            elif cmd.get("subtype") == "AT_DropConstraint":
                out.append(("constraint", tkey, cmd.get("name", "")))
        return out
    return []


class FileFacts:
    """What the idempotency rules share about one file (``ctx.pg.idempotency``)."""

    def __init__(self, ctx) -> None:
        self._ctx = ctx
        self._source = ctx.source
        self._hazards: dict[int, list[Hazard]] = {}
        self._guards: dict[int, str | None] = {}
        self._guarded_parents: set[int] = set()
        self._unguarded: dict[tuple[int, bool], dict[str, list[Hazard]]] = {}

    def hazards(self, stmt) -> list[Hazard]:
        """:func:`hazards` for the run's ``pg_version``, cached per statement."""
        got = self._hazards.get(id(stmt))
        if got is None:
            got = self._hazards[id(stmt)] = hazards(stmt, self._ctx.pg_version)
        return got

    def unguarded(self, stmt, rely_on_transaction: bool) -> dict[str, list[Hazard]]:
        """``{hazard kind: the hazards of that kind a re-run would hit}`` for ``stmt`` (see
        :func:`unguarded`; kinds without any are left out), cached per statement."""
        key = (id(stmt), rely_on_transaction)
        got = self._unguarded.get(key)
        if got is None:
            got = self._unguarded[key] = _unguarded(self._ctx, self, stmt, rely_on_transaction)
        return got

    @cached_property
    def _statements(self) -> list:
        """Top-level statements and those of DO blocks and of functions the file calls (not
        other function bodies: they run only when the function is called), with those their
        ``EXECUTE``s build, in file order."""
        if not any(s.kind in ("DoStmt", "CreateFunctionStmt") for s in self._source.statements):
            return list(self._source.statements)  # most files: no PL/pgSQL body
        from linter.pg import dynamic

        out = []
        for s in self._source.statements:
            out.append(s)
            if s.kind == "DoStmt" or (s.kind == "CreateFunctionStmt" and dynamic.runs_in_migration(s)):
                out.extend(self._source.embedded(s))
                out.extend(self._source.dynamic(s))
        return out

    @cached_property
    def _events(self) -> tuple[dict[tuple, tuple], dict[tuple, tuple]]:
        created: dict[tuple, tuple] = {}
        dropped: dict[tuple, tuple] = {}
        for s in self._statements:
            if s.kind not in KINDS:
                continue
            where = (s.index, s.start)
            for k in _created_keys(s):
                created.setdefault(k, where)
            for k in _dropped_keys(s):
                dropped.setdefault(k, where)
        return created, dropped

    def dropped_before(self, key: tuple, stmt) -> bool:
        """True when a DROP of the object ``key`` comes before ``stmt`` in the file (so a
        re-run finds it gone when it gets to ``stmt``)."""
        at = self._events[1].get(key)
        return at is not None and at < (stmt.index, stmt.start)

    def created_before(self, key: tuple, stmt) -> bool:
        """True when a CREATE (or ADD) of the object ``key`` comes before ``stmt``."""
        at = self._events[0].get(key)
        return at is not None and at < (stmt.index, stmt.start)

    def plpgsql_guard(self, stmt) -> str | None:
        """The PL/pgSQL construct guarding a statement nested in a DO block, or ``None``
        (see :mod:`linter.pg.plpgsql`)."""
        parent = stmt.parent
        if parent is None:
            return None
        if stmt.dynamic is not None:  # built by EXECUTE: its guard was found with it
            return stmt.dynamic.guard
        if id(parent) not in self._guarded_parents:
            from linter.pg import plpgsql

            self._guarded_parents.add(id(parent))
            self._guards.update(plpgsql.nested_guards(self._source, parent))
        return self._guards.get(id(stmt))

    @cached_property
    def last_statement(self):
        """The last top-level statement outside down sections that does something (not SET,
        BEGIN, COMMIT, SHOW), or ``None``."""
        last = None
        for s in self._source.statements:
            if s.section is not Direction.DOWN and s.kind not in ("VariableSetStmt", "TransactionStmt", "VariableShowStmt"):
                last = s
        return last


def atomic_reason(ctx, stmt) -> str | None:
    """Why a re-run of ``stmt``'s migration cannot find ``stmt``'s work done, or ``None``.

    A file that runs in one transaction (the tool's, PostgreSQL's implicit one, or an
    explicit BEGIN … COMMIT) is rolled back as a whole. Outside a transaction, only what
    comes *after* a statement can fail once it has succeeded: the file's last statement
    (or a DO block as a whole) is safe, since a failing statement leaves nothing behind.
    Neither holds for a Flyway repeatable (``R__``) file, which is re-applied whole every
    time it changes, nor for ``CREATE INDEX CONCURRENTLY``, which leaves an INVALID index
    behind when it fails ("Building Indexes Concurrently", CREATE INDEX).
    """
    if ctx.file.direction is Direction.REPEATABLE:
        return None
    top = stmt.parent or stmt
    if stmt.kind == "IndexStmt" and stmt.body.get("concurrent"):
        return None
    if ctx.pg.transaction.unknown:  # no known tool runs the file: nothing to claim either way
        return ctx.pg.transaction.why
    if ctx.pg.in_transaction(top):
        tool = ctx.pg.transaction
        return tool.why if tool.wrapped else "the file wraps it in BEGIN … COMMIT"
    if ctx.pg.idempotency.last_statement is top:
        return "it is the migration's last statement: nothing after it can fail, and a failing statement leaves nothing behind"
    return None


def unguarded(ctx, stmt, rule: str, options: dict) -> list[Hazard]:
    """The hazards of kind ``rule`` in ``stmt`` that a re-run would hit.

    Skipped: statements in down sections and inside the bodies of functions the file does
    not call (they run when the function is called, not when the migration runs); with ``rely-on-transaction``,
    files that run atomically (:func:`atomic_reason`); statements in a DO block under an
    IF / CASE / loop / EXCEPTION handler; objects dropped earlier in the file (for
    CREATE/ADD) or created earlier in it (for DROP). Worked out once per statement for
    all four kinds (:meth:`FileFacts.unguarded`).
    """
    if stmt.kind not in KINDS:
        return []
    return ctx.pg.idempotency.unguarded(stmt, options.get("rely-on-transaction", True)).get(rule, [])


def _unguarded(ctx, facts: FileFacts, stmt, rely_on_transaction: bool) -> dict[str, list[Hazard]]:
    """``{hazard kind: hazards}`` of :func:`unguarded` for one statement (kinds without
    any are left out)."""
    if stmt.section is Direction.DOWN:
        return {}
    parent = stmt.parent
    if parent is not None and parent.kind != "DoStmt":
        from linter.pg import dynamic

        if not dynamic.runs_in_migration(parent):
            return {}
    if rely_on_transaction and atomic_reason(ctx, stmt) is not None:
        return {}
    found = facts.hazards(stmt)
    if not found or (parent is not None and facts.plpgsql_guard(stmt)):
        return {}
    out: dict[str, list[Hazard]] = {}
    for h in found:
        if not (facts.created_before(h.key, stmt) if h.rule == IF_EXISTS else facts.dropped_before(h.key, stmt)):
            out.setdefault(h.rule, []).append(h)
    return out


def fix_for(ctx, stmt, h: Hazard):
    """The :class:`~linter.model.Fix` inserting the hazard's guard, or ``None``."""
    at = h.insert_at if ctx.source is not None else None
    if at is None:
        return None
    insert = tokens.in_file_case(ctx.source, h.insert)
    return ctx.fix(at, at, insert, f"Add {insert.strip()}")


def violation(ctx, stmt, h: Hazard, options: dict, message: str, advice: str, guard: str, *, fix: bool = True):
    """The finding of an idempotency rule for hazard ``h`` of ``stmt`` (from :func:`unguarded`).

    ``message``: the finding's text; ``advice``: the first sentence of its help, followed by
    :func:`rerun_context`; ``guard``: the guard's name for the ``guard`` property (next to
    ``object``, the hazard's ``what``); ``fix``: offer :func:`fix_for`'s mechanical fix.
    """
    return ctx.violation(
        stmt,
        message,
        node=h.node,
        help=f"{advice} {rerun_context(ctx, stmt, options)}",
        fix=fix_for(ctx, stmt, h) if fix else None,
        object=h.what,
        guard=guard,
    )


def rerun_context(ctx, stmt, options: dict) -> str:
    """One sentence saying why a re-run can reach ``stmt`` with its work already done."""
    if ctx.file.direction is Direction.REPEATABLE:
        return "Flyway re-applies a repeatable migration whole every time its checksum changes."
    if stmt.kind == "IndexStmt" and stmt.body.get("concurrent"):
        return ("A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind; drop it "
                "(DROP INDEX CONCURRENTLY IF EXISTS) before the re-run, since IF NOT EXISTS would keep the invalid one.")
    if atomic_reason(ctx, stmt) is not None:
        return "The configuration asks for re-runnable migrations even inside a transaction (rely-on-transaction: false)."
    tool = ctx.pg.transaction
    why = tool.why if not tool.wrapped else "a COMMIT in the file ends the tool's transaction before it"
    return f"This file does not run in one transaction ({why}), so a failure after this statement leaves it applied."


def concurrent_index_drop(ctx, stmt, *, made_concurrent: bool = False) -> str | None:
    """The statement that makes a ``CREATE INDEX CONCURRENTLY`` re-runnable, or ``None``.

    A failed concurrent build leaves an INVALID index behind ("Building Indexes
    Concurrently", CREATE INDEX; checked in tests/test_pg.py): the re-run then fails on
    it, and with ``IF NOT EXISTS`` it silently keeps the invalid index. The re-runnable
    form drops it first: ``DROP INDEX CONCURRENTLY IF EXISTS name;`` right before the
    build. Returned (as SQL text, with the index's schema when its table names one) only
    where that statement can be added without changing how the file runs: ``stmt``
    (an ``IndexStmt``, concurrent or about to be made so) is a top-level statement of an up
    section, names its index, no DROP of that index comes before it in the file, and the
    tool runs the file's statements one at a time outside any transaction
    (:func:`linter.pg.transactions.runs_statements_apart`); not in a file a tool sends as
    one query, where a second statement would put both in PostgreSQL's implicit
    transaction and the build would fail. ``made_concurrent``: judge a plain ``CREATE
    INDEX`` as it will run once CONCURRENTLY is added (a Flyway script then may run
    outside a transaction); the caller has checked that it then runs outside one.
    """
    from linter.pg import transactions

    b = stmt.body
    name = b.get("idxname")
    if stmt.kind != "IndexStmt" or not name or stmt.parent is not None or stmt.section is Direction.DOWN:
        return None
    if b.get("if_not_exists"):
        return None  # the idempotency rules do not report it: nothing to add
    if made_concurrent:
        overrides = getattr(ctx.config, "transactions", {}) or {}
        tx = transactions.tool_transaction(ctx.file, ctx.source, overrides, made_concurrent=stmt)
        if not transactions.runs_statements_apart(ctx.file, tx):
            return None
    elif not transactions.runs_statements_apart(ctx.file, ctx.pg.transaction) or ctx.pg.in_transaction(stmt):
        return None
    if ctx.pg.idempotency.dropped_before(("relation", name), stmt):
        return None
    schema = (b.get("relation") or {}).get("schemaname")
    qualified = (names.quote_ident(schema) + "." if schema else "") + names.quote_ident(name)
    return f"DROP INDEX CONCURRENTLY IF EXISTS {qualified};"
