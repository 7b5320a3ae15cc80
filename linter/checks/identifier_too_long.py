"""Identifiers longer than 63 bytes are silently truncated.

## Why is this bad?
PostgreSQL keeps at most NAMEDATALEN - 1 = 63 bytes of an identifier and drops the
rest with only a NOTICE. It truncates every later mention the same way, so a long name
alone works: `CREATE TABLE <long>` and `INSERT INTO <long>` meet on the same 63 bytes.
The hazard is two *different* long names that share their first 63 bytes in one
namespace: PostgreSQL sees one name, so the second `CREATE INDEX` fails with "relation …
already exists", the second column of a table with "specified more than once", the
second constraint of a table with "already exists", and `DROP INDEX IF EXISTS
<other long name>` silently drops the first index (all checked on a real server,
tests/test_identifiers_pg.py). That is what is reported by default: within one file, a
name defined or dropped whose truncation equals that of another name the file defines
in the same namespace (relations, indexes, sequences, views and types of a schema share
one; columns, constraints, triggers and policies are per table). Bytes, not
characters, count: non-ASCII names reach the limit sooner. With `report: all`, every
long name is reported where it is defined (a team that wants names to match the
catalog as written).

Names are checked where they are defined: tables, columns, constraints, indexes, views,
sequences, triggers, policies, schemas, functions, types, and the new name of a RENAME;
and where `DROP` names them.

## Example
```sql
CREATE INDEX index_subscriptions_on_customer_id_and_plan_id_and_created_at_and_status ON subscriptions (customer_id, plan_id, created_at, status);
CREATE INDEX index_subscriptions_on_customer_id_and_plan_id_and_created_at_and_region ON subscriptions (customer_id, plan_id, created_at, region);
```

## Use instead
```sql
CREATE INDEX subscriptions_customer_plan_created_status_idx ON subscriptions (customer_id, plan_id, created_at, status);
CREATE INDEX subscriptions_customer_plan_created_region_idx ON subscriptions (customer_id, plan_id, created_at, region);
```

## Options
- `report` (str, default `collisions`): `collisions`, only long names whose truncation
  collides with another name of the file in the same namespace; `all`, every name
  longer than 63 bytes.

## PostgreSQL versions
All versions (NAMEDATALEN is 64 unless PostgreSQL was compiled otherwise).

## References
- Identifiers and key words: https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
"""


from linter import lazyre
from linter.pg import names
from linter.pg.columns import MAX_IDENTIFIER_BYTES

ID = "identifier-too-long"
FAMILY = "locking"
SCOPE = "file"
#: Statements that define names (what ``_defined`` reads) or drop them (``_dropped``).
KINDS = frozenset({
    "CreateStmt", "AlterTableStmt", "IndexStmt", "RenameStmt", "ViewStmt", "CreateTableAsStmt", "CreateSeqStmt", "CreateTrigStmt",
    "CreatePolicyStmt", "CreateSchemaStmt", "CreateFunctionStmt", "CreateEnumStmt", "DefineStmt", "CreateDomainStmt", "CompositeTypeStmt",
    "DropStmt",
})
DEFAULT_LEVEL = "warning"
OPTIONS = {"report": str}
DEFAULTS = {"report": "collisions"}
ALIASES = ()

_MODES = ("collisions", "all")

#: A long identifier, unquoted or quoted: the parser has already truncated it, so the
#: statement text is where its full length is.
_LONG = lazyre.compile(r'"(?:[^"]|""){64,}"|(?<![\w$])[^\W\d][\w$]{63,}')
#: Non-ASCII text: 16 four-byte characters already make 64 bytes.
_LONG_MB = lazyre.compile(r'"(?:[^"]|""){16,}"|(?<![\w$])[^\W\d][\w$]{15,}')
#: Namespace of relations, indexes, sequences, views and types (one per schema; schemas
#: are not told apart here).
_REL = ("relation",)


def check(ctx, options):
    mode = options["report"]
    if mode not in _MODES:
        yield ctx.violation(None, f"option report: unknown value {mode!r} (known: {', '.join(_MODES)})")
        return
    source = ctx.source
    if source is None or source.error is not None:
        return
    live: dict = {}  # (truncated, namespace) -> (full name, line) of the object a name of the file defines
    for stmt in _statements(source):
        if stmt.kind not in KINDS:
            continue
        # the parser keeps at most 63 bytes: a name it cut is 60-63 bytes long in the tree
        long_ = {}
        if stmt.kind != "DropStmt":
            for n, ns in _defined(stmt):
                if n and len(n) >= _MIN_CHARS and len(n.encode("utf-8")) >= MAX_IDENTIFIER_BYTES - 3:
                    long_[n] = (ns, True)
        for n, ns in _dropped(stmt):
            if n and len(n) >= _MIN_CHARS and len(n.encode("utf-8")) >= MAX_IDENTIFIER_BYTES - 3:
                long_[n] = (ns, False)
        if not long_:
            continue
        seen = set()
        pattern = _LONG if stmt.text.isascii() else _LONG_MB
        for m in pattern.finditer(stmt.text):
            raw = m.group()
            name = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw.lower()
            data = name.encode("utf-8")
            if len(data) <= MAX_IDENTIFIER_BYTES or name in seen:
                continue
            short = data[:MAX_IDENTIFIER_BYTES].decode("utf-8", "ignore")
            if short not in long_:
                continue
            seen.add(name)
            ns, defines = long_[short]
            key = (short, ns)
            other = live.get(key)
            line = ctx.source.index.position(stmt.start).line
            if defines:
                live[key] = (name, line)
            else:
                live.pop(key, None)
            span = ctx.span(stmt.start + m.start(), stmt.start + m.end())
            n = len(data)
            if other is not None and other[0] != name:
                what = ("so PostgreSQL sees the same name twice: this statement fails (or, with IF NOT EXISTS, does nothing)"
                        if defines else f"so this DROP removes what line {other[1]} created")
                yield ctx.violation(
                    span,
                    f'identifier "{name}" ({n} bytes) and "{other[0]}" on line {other[1]} are both truncated to the same '
                    f'63 bytes ("{short}"), {what}',
                    help="Give both names at most 63 bytes that differ (abbreviate: idx, fk, uq).",
                )
            elif mode == "all" and defines:
                yield ctx.violation(
                    span,
                    f'identifier "{name}" is {n} bytes: PostgreSQL truncates it to 63 bytes ("{short}")',
                    help="Use a name of at most 63 bytes; abbreviate (e.g. idx, fk, uq) rather than let PostgreSQL cut it.",
                )


def _statements(source):
    """Top-level statements and those embedded in DO blocks and function bodies."""
    for s in source.statements:
        yield s
        if s.kind in ("DoStmt", "CreateFunctionStmt"):
            yield from source.embedded(s)


def _rel(rv: dict | None) -> str | None:
    return (rv or {}).get("relname")


def _dropped(stmt) -> list[tuple[str | None, tuple]]:
    """``[(name, namespace)]`` of the relations and types a ``DROP`` names, and of the
    constraints an ``ALTER TABLE … DROP CONSTRAINT`` names."""
    b = stmt.body
    if stmt.kind == "AlterTableStmt":
        table = _rel(b.get("relation"))
        return [(c.get("name"), ("constraint", table)) for c in (i.get("AlterTableCmd", {}) for i in b.get("cmds", ()))
                if c.get("subtype") == "AT_DropConstraint"]
    if stmt.kind != "DropStmt":
        return []
    if b.get("removeType") not in ("OBJECT_INDEX", "OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_TYPE"):
        return []
    out = []
    for obj in b.get("objects", ()) or ():
        parts = names.strings(obj.get("List", {}).get("items")) if "List" in obj else names.strings(obj.get("TypeName", {}).get("names"))
        if parts:
            out.append((parts[-1], _REL))
    return out


#: Fewest characters of a name the parser may have truncated (60+ bytes, 4 bytes a character at most).
_MIN_CHARS = 15


def _defined(stmt) -> list[tuple[str | None, tuple]]:
    """``[(name, namespace)]`` of the names ``stmt`` defines (as the parser truncated them;
    ``None`` for a part without a name). A namespace is ``_REL`` or ``(kind, table)``. The
    columns and constraints of ``CREATE TABLE`` and ``ALTER TABLE`` are listed only when
    their name has :data:`_MIN_CHARS` characters or more (:func:`check` looks at no
    other: a table's many short names cost nothing)."""
    kind, b = stmt.kind, stmt.body
    out: list = []
    if kind == "CreateStmt":
        table = _rel(b.get("relation"))
        out.append((table, _REL))
        for e in b.get("tableElts", ()) or ():
            cd = e.get("ColumnDef")
            if cd:
                n = cd.get("colname")
                if n and len(n) >= _MIN_CHARS:
                    out.append((n, ("column", table)))
                for c in cd.get("constraints", ()) or ():
                    n = c.get("Constraint", {}).get("conname")
                    if n and len(n) >= _MIN_CHARS:
                        out.append((n, ("constraint", table)))
            elif "Constraint" in e:
                n = e["Constraint"].get("conname")
                if n and len(n) >= _MIN_CHARS:
                    out.append((n, ("constraint", table)))
    elif kind == "AlterTableStmt":
        table = _rel(b.get("relation"))
        for item in b.get("cmds", ()):
            cmd = item.get("AlterTableCmd", {})
            d = cmd.get("def", {})
            if "ColumnDef" in d:
                n = d["ColumnDef"].get("colname")
                if n and len(n) >= _MIN_CHARS:
                    out.append((n, ("column", table)))
                for c in d["ColumnDef"].get("constraints", ()) or ():
                    n = c.get("Constraint", {}).get("conname")
                    if n and len(n) >= _MIN_CHARS:
                        out.append((n, ("constraint", table)))
            if "Constraint" in d:
                n = d["Constraint"].get("conname")
                if n and len(n) >= _MIN_CHARS:
                    out.append((n, ("constraint", table)))
    elif kind == "IndexStmt":
        out.append((b.get("idxname"), _REL))
    elif kind == "RenameStmt":
        rt = b.get("renameType")
        table = _rel(b.get("relation"))
        ns = {"OBJECT_COLUMN": ("column", table), "OBJECT_TABCONSTRAINT": ("constraint", table), "OBJECT_TRIGGER": ("trigger", table),
              "OBJECT_POLICY": ("policy", table), "OBJECT_SCHEMA": ("schema",), "OBJECT_FUNCTION": ("function",),
              "OBJECT_PROCEDURE": ("function",)}.get(rt, _REL)
        out.append((b.get("newname"), ns))
    elif kind == "ViewStmt":
        out.append((_rel(b.get("view")), _REL))
    elif kind == "CreateTableAsStmt":
        into = b.get("into", {})
        out.append((_rel(into.get("IntoClause", into).get("rel")), _REL))
    elif kind == "CreateSeqStmt":
        out.append((_rel(b.get("sequence")), _REL))
    elif kind == "CreateTrigStmt":
        out.append((b.get("trigname"), ("trigger", _rel(b.get("relation")))))
    elif kind == "CreatePolicyStmt":
        out.append((b.get("policy_name"), ("policy", _rel(b.get("table")))))
    elif kind == "CreateSchemaStmt":
        out.append((b.get("schemaname"), ("schema",)))
    elif kind in ("CreateFunctionStmt", "CreateEnumStmt", "DefineStmt", "CreateDomainStmt"):
        key = {"CreateFunctionStmt": "funcname", "CreateEnumStmt": "typeName", "DefineStmt": "defnames", "CreateDomainStmt": "domainname"}[kind]
        ns = ("function",) if kind == "CreateFunctionStmt" else _REL
        out.extend((n, ns) for n in names.strings(b.get(key))[-1:])
    elif kind == "CompositeTypeStmt":
        out.append((_rel(b.get("typevar")), _REL))
    return out
