"""Identifiers longer than 63 bytes are silently truncated.

## Why is this bad?
PostgreSQL keeps at most NAMEDATALEN - 1 = 63 bytes of an identifier and drops the
rest with only a NOTICE. Two long names that share their first 63 bytes become the
same name (the second `CREATE` fails, or `DROP … IF EXISTS` drops the wrong object), and
code that compares names from the catalog with the names it wrote does not find them.
Bytes, not characters, count: non-ASCII names reach the limit sooner.

Names are checked where they are defined: tables, columns, constraints, indexes, views,
sequences, triggers, policies, schemas, functions, types, and the new name of a RENAME.

## Example
```sql
CREATE INDEX index_subscriptions_on_customer_id_and_plan_id_and_created_at_and_status ON subscriptions (customer_id, plan_id, created_at, status);
```

## Use instead
```sql
CREATE INDEX subscriptions_customer_plan_created_status_idx ON subscriptions (customer_id, plan_id, created_at, status);
```

## Options
None.

## PostgreSQL versions
All versions (NAMEDATALEN is 64 unless PostgreSQL was compiled otherwise).

## References
- Identifiers and key words: https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
"""

import re

from linter.pg import names
from linter.pg.columns import MAX_IDENTIFIER_BYTES

ID = "identifier-too-long"
FAMILY = "locking"
SCOPE = "statement"
KINDS = (
    "CreateStmt", "AlterTableStmt", "IndexStmt", "RenameStmt", "ViewStmt", "CreateTableAsStmt", "CreateSeqStmt", "CreateTrigStmt",
    "CreatePolicyStmt", "CreateSchemaStmt", "CreateFunctionStmt", "CreateEnumStmt", "DefineStmt", "CreateDomainStmt", "CompositeTypeStmt",
)
#: ALTER TABLE subcommands whose ``def`` is a ColumnDef or a Constraint (what ``_defined`` reads)
SUBCOMMANDS = ("AT_AddColumn", "AT_AlterColumnType", "AT_AddConstraint", "AT_AddIdentity")
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()

#: A long identifier, unquoted or quoted: the parser has already truncated it, so the
#: statement text is where its full length is.
_LONG = re.compile(r'"(?:[^"]|""){64,}"|(?<![\w$])[^\W\d][\w$]{63,}')
#: Non-ASCII text: 16 four-byte characters already make 64 bytes.
_LONG_MB = re.compile(r'"(?:[^"]|""){16,}"|(?<![\w$])[^\W\d][\w$]{15,}')


def check(ctx, stmt, options):
    # the parser keeps at most 63 bytes (cut at a character boundary): a name it cut is
    # 60-63 bytes long in the tree, so shorter ones need no look at the text
    defined = {n for n in _defined(stmt) if n and len(n) >= 15 and len(n.encode("utf-8")) >= MAX_IDENTIFIER_BYTES - 3}
    if not defined:
        return
    text = stmt.text
    pattern = _LONG if text.isascii() else _LONG_MB
    seen = set()
    for m in pattern.finditer(text):
        raw = m.group()
        name = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw.lower()
        data = name.encode("utf-8")
        if len(data) <= MAX_IDENTIFIER_BYTES:
            continue
        short = data[:MAX_IDENTIFIER_BYTES].decode("utf-8", "ignore")
        if short not in defined or name in seen:
            continue
        seen.add(name)
        yield ctx.violation(
            ctx.span(stmt.start + m.start(), stmt.start + m.end()),
            f'identifier "{name}" is {len(data)} bytes: PostgreSQL truncates it to 63 bytes ("{short}")',
            help="Use a name of at most 63 bytes; abbreviate (e.g. idx, fk, uq) rather than let PostgreSQL cut it.",
        )


def _rel(rv: dict | None) -> str | None:
    return (rv or {}).get("relname")


def _defined(stmt) -> list[str | None]:
    """Names ``stmt`` defines (as the parser truncated them; ``None`` for a part without
    a name)."""
    kind, b = stmt.kind, stmt.body
    out: list = []
    if kind == "CreateStmt":
        out.append(_rel(b.get("relation")))
        for e in b.get("tableElts", ()) or ():
            cd = e.get("ColumnDef")
            if cd:
                out.append(cd.get("colname"))
                for c in cd.get("constraints", ()) or ():
                    out.append(c.get("Constraint", {}).get("conname"))
            elif "Constraint" in e:
                out.append(e["Constraint"].get("conname"))
    elif kind == "AlterTableStmt":
        for item in b.get("cmds", ()):
            cmd = item.get("AlterTableCmd", {})
            d = cmd.get("def", {})
            if "ColumnDef" in d:
                out.append(d["ColumnDef"].get("colname"))
                out.extend(c.get("Constraint", {}).get("conname") for c in d["ColumnDef"].get("constraints", ()) or ())
            if "Constraint" in d:
                out.append(d["Constraint"].get("conname"))
    elif kind == "IndexStmt":
        out.append(b.get("idxname"))
    elif kind == "RenameStmt":
        out.append(b.get("newname"))
    elif kind == "ViewStmt":
        out.append(_rel(b.get("view")))
    elif kind == "CreateTableAsStmt":
        into = b.get("into", {})
        out.append(_rel(into.get("IntoClause", into).get("rel")))
    elif kind == "CreateSeqStmt":
        out.append(_rel(b.get("sequence")))
    elif kind == "CreateTrigStmt":
        out.append(b.get("trigname"))
    elif kind == "CreatePolicyStmt":
        out.append(b.get("policy_name"))
    elif kind == "CreateSchemaStmt":
        out.append(b.get("schemaname"))
    elif kind in ("CreateFunctionStmt", "CreateEnumStmt", "DefineStmt", "CreateDomainStmt"):
        key = {"CreateFunctionStmt": "funcname", "CreateEnumStmt": "typeName", "DefineStmt": "defnames", "CreateDomainStmt": "domainname"}[kind]
        out.extend(names.strings(b.get(key))[-1:])
    elif kind == "CompositeTypeStmt":
        out.append(_rel(b.get("typevar")))
    return out
