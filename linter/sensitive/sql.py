"""Where literals sit in the SQL: each string paired with the name it is stored under.

:func:`statement_items` walks one parsed statement and yields an :class:`Item` per string
literal worth judging, with the column, option or setting name it goes into:

* ``INSERT … (cols) VALUES …`` and ``INSERT … (cols) SELECT 'lit', …``: each value with
  its column; a row's ``(key, value)`` columns (``INSERT INTO settings (name, value)
  VALUES ('smtp_password', '…')``) pair the value with the key; JSON objects in a literal
  pair each string with its key; the first argument of a hashing call
  (``crypt('pw', gen_salt('bf'))``, ``md5('pw')``) counts as the column's value;
  rows of ``INSERT … SELECT 'k', 'v' UNION ALL SELECT …`` likewise, and an ``ON CONFLICT
  … DO UPDATE SET value = 'lit'`` pairs with the key of the row it upserts;
* ``UPDATE … SET col = 'lit'``; on a key/value table, ``UPDATE settings SET value = 'lit'
  WHERE key = 'smtp_password'`` pairs the value with the key the WHERE clause names;
* ``CREATE/ALTER ROLE … PASSWORD 'lit'``;
* ``CREATE/ALTER SERVER`` and ``USER MAPPING … OPTIONS (password 'lit')``;
* ``ALTER SYSTEM SET``, ``SET``, ``ALTER DATABASE/ROLE … SET name = 'lit'``;
* ``set_config('name', 'lit', …)``, Supabase Vault ``vault.create_secret('lit', 'name')``.

:func:`copy_items` reads ``COPY t (cols) FROM stdin`` data blocks (tab-separated) from the
text, and :func:`comments` finds the SQL comments (also inside dollar-quoted bodies).
Offsets are 0-based character offsets into the file's original text.
"""

from __future__ import annotations

import json
import re

from linter.sensitive._lazy import lazy


from linter.sensitive import names


class Item:
    """A string value and what it is stored under.

    ``value``: the literal's value (may be a secret: never shown); ``start``/``end``: the
    literal in the original text; ``name``: the column/option/setting/key name it pairs
    with (``None`` when unknown); ``where``: a human-readable place without the value
    (``"users.password"``, ``"role app PASSWORD"``); ``anchor``: a non-secret value that
    identifies the row (for stable fingerprints; ``""`` if none); ``origin``: ``column``,
    ``role``, ``option``, ``setting``, ``argument``, ``json``, ``variable``, ``copy``.
    (A plain class: a dataclass costs milliseconds to create at import.)
    """

    __slots__ = ("value", "start", "end", "name", "where", "anchor", "origin")

    def __init__(self, value: str, start: int, end: int, name: str | None, where: str, anchor: str = "", origin: str = "column") -> None:
        self.value, self.start, self.end, self.name = value, start, end, name
        self.where, self.anchor, self.origin = where, anchor, origin

    def __repr__(self) -> str:
        return f"<Item {self.where} {self.start}:{self.end} {self.origin}>"


#: Columns of a key/value table row: the key names the value's meaning.
EAV_KEYS = frozenset({"key", "name", "setting", "setting_key", "setting_name", "config_key", "option", "option_name", "parameter", "param", "variable", "var", "k", "property", "attribute", "field"})
EAV_VALUES = frozenset({"value", "val", "setting_value", "config_value", "option_value", "v", "data", "content", "secret", "encrypted_value"})
#: Calls whose first argument is the plain text of what they hash.
HASH_FUNCS = frozenset({"crypt", "md5", "sha224", "sha256", "sha384", "sha512", "digest", "hmac", "encode", "convert_to", "hash_password", "crypt_password"})
#: Placeholders that :mod:`linter.source` substitutes inside quoted literals.
_PLACEHOLDER_IN_LITERAL = lazy(r"\$\{[^}\s]+\}|\$%\w+%\$")
#: A statement is walked only if its text has one of these (column, key or option names).
GATE_WORDS = ("pass", "pwd", "secret", "token", "key", "cred", "auth", "jwt", "bearer", "private")


def _relname(rv: dict | None) -> str:
    if not rv:
        return "?"
    name = rv.get("relname", "?")
    return f"{rv['schemaname']}.{name}" if rv.get("schemaname") else name


def _sval(node: dict | None) -> tuple[str, int] | None:
    """``(value, location)`` of a string constant (through casts and COLLATE)."""
    while node:
        if "A_Const" in node:
            c = node["A_Const"]
            sv = c.get("sval")
            if sv is None:
                return None
            return sv.get("sval", ""), c.get("location", -1)
        if "TypeCast" in node:
            node = node["TypeCast"].get("arg")
        elif "CollateClause" in node:
            node = node["CollateClause"].get("arg")
        else:
            return None
    return None


def _where_key(where: dict | None) -> tuple[str, str] | None:
    """``(key column, key)`` when a WHERE clause pins a key/value row by its key:
    ``key = 'smtp_password'`` (either side; alone or as one AND-ed term; also
    ``key IN ('smtp_password')``), the key column one of :data:`EAV_KEYS`; else ``None``."""
    stack = [where] if where else []
    while stack:
        e = stack.pop()
        be = e.get("BoolExpr")
        if be is not None:
            if be.get("boolop") == "AND_EXPR":
                stack.extend(be.get("args", ()))
            continue
        ax = e.get("A_Expr")
        if ax is None or [n.get("String", {}).get("sval") for n in ax.get("name", ())] != ["="]:
            continue
        kind = ax.get("kind")
        left, right = ax.get("lexpr") or {}, ax.get("rexpr") or {}
        if kind == "AEXPR_IN":
            items = right.get("List", {}).get("items", [])
            right = items[0] if len(items) == 1 else {}
        elif kind != "AEXPR_OP":
            continue
        for col, lit in ((left, right), (right, left)):
            fields = col.get("ColumnRef", {}).get("fields", ())
            name = fields[-1].get("String", {}).get("sval", "") if fields else ""
            sv = _sval(lit)
            if name.lower() in EAV_KEYS and sv is not None:
                return name, sv[0]
    return None


def _select_rows(sel: dict):
    """The target lists of a SELECT, and of each branch of a ``UNION [ALL]`` of SELECTs
    (``INSERT … SELECT 'k', 'v' UNION ALL SELECT …``): one list of expressions per row."""
    stack = [sel]
    while stack:
        s = stack.pop()
        if s.get("op", "SETOP_NONE") == "SETOP_UNION":
            stack.extend(x.get("SelectStmt", x) for x in (s.get("rarg"), s.get("larg")) if x)  # larg/rarg: bare SelectStmt fields
        elif s.get("targetList") and not s.get("fromClause"):
            yield [t.get("ResTarget", {}).get("val") for t in s["targetList"]]


class Walker:
    """Builds :class:`Item` lists for the statements of one file."""

    def __init__(self, text: str, statements: list | None = None) -> None:
        self.text = text
        self.statements = statements
        self._tables: dict[str, list[str]] | None = None

    # -- locations

    def span(self, stmt, location: int) -> tuple[int, int] | None:
        """Original offsets of the literal at node ``location``; ``None`` when the literal
        is not written as a quoted string there (a placeholder such as ``:'pw'`` or
        ``${pw}`` was substituted in)."""
        if location is None or location < 0 or stmt._loc_index is None:
            return (stmt.start, stmt.end)
        start = stmt.offset_of(location)
        text = self.text
        if start >= len(text):
            return None
        ch = text[start]
        if ch in "eEuUnNbBxX" and start + 1 < len(text) and text[start + 1] in "'&":
            pass
        elif ch not in "'$":
            return None
        end = stmt._source.token_end(start)
        return start, max(end, start + 1)

    def item(self, stmt, value: str, location: int, name, where: str, anchor: str = "", origin: str = "column"):
        sp = self.span(stmt, location)
        if sp is None:
            return None
        raw = self.text[sp[0] : sp[1]]
        if raw.startswith("'") and raw[1:-1] != value and _PLACEHOLDER_IN_LITERAL.search(raw):
            return None  # '${ADMIN_PW}' was substituted before parsing: the file holds a placeholder
        start, end = sp
        if raw.startswith("'") and raw.endswith("'") and end - start >= 2:
            start, end = start + 1, end - 1  # the value, without its quotes
        return Item(value, start, end, name, where, anchor, origin)

    # -- statements

    def items(self, stmt, *, gated: bool = True) -> list[Item]:
        """Items of one statement. ``gated``: skip ``INSERT``/``UPDATE`` statements whose
        column names say nothing secret, with no key/value columns and no JSON literal
        naming a secret (most data statements; walking their values costs)."""
        kind = stmt.kind
        handler = _HANDLERS.get(kind)
        if handler is None:
            if kind in ("SelectStmt", "CallStmt") and (self.text.find("set_config", stmt.start, stmt.end) >= 0 or self.text.find("_secret", stmt.start, stmt.end) >= 0):
                return list(self._calls(stmt, stmt.body))
            return []
        if gated and kind in ("InsertStmt", "UpdateStmt") and not self._worth_walking(stmt):
            return []
        return [i for i in handler(self, stmt) if i is not None]

    def _worth_walking(self, stmt) -> bool:
        b = stmt.body
        if stmt.kind == "InsertStmt":
            cols = [c.get("ResTarget", {}).get("name") or "" for c in b.get("cols", ())] or self.columns_of(b.get("relation"))
        else:
            cols = [t.get("ResTarget", {}).get("name") or "" for t in b.get("targetList", ())]
        if any(names.classify(c) for c in cols):
            return True
        low = {c.lower() for c in cols}
        if low & EAV_KEYS and low & EAV_VALUES:
            return True
        if stmt.kind == "UpdateStmt" and low & EAV_VALUES and _where_key(b.get("whereClause")):
            return True
        if self.text.find("{", stmt.start, stmt.end) >= 0:
            body = self.text[stmt.start : stmt.end].lower()
            return any(w in body for w in GATE_WORDS)
        return False

    def columns_of(self, relation: dict | None) -> list[str]:
        """Column names of ``relation`` from a ``CREATE TABLE`` earlier in the same file
        (for ``INSERT INTO t VALUES …`` without a column list); ``[]`` if unknown."""
        if not relation or self.statements is None:
            return []
        if self._tables is None:
            self._tables = {}
            for st in self.statements:
                if st.kind == "CreateStmt":
                    rel = st.body.get("relation", {})
                    cols = [e["ColumnDef"].get("colname", "") for e in st.body.get("tableElts", ()) if "ColumnDef" in e]
                    self._tables[rel.get("relname")] = cols
        return self._tables.get(relation.get("relname"), [])

    def _insert(self, stmt):
        b = stmt.body
        table = _relname(b.get("relation"))
        cols = [c.get("ResTarget", {}).get("name") for c in b.get("cols", ())] or self.columns_of(b.get("relation"))
        sel = (b.get("selectStmt") or {}).get("SelectStmt") or {}
        rows = []
        for row in sel.get("valuesLists", ()):
            rows.append(row.get("List", {}).get("items", []))
        if not rows:
            rows = list(_select_rows(sel))
        keys, values = set(), set()
        for row in rows:
            for item in self._row(stmt, table, cols, row):
                if item is not None:
                    values.add(item.value)
                    if item.where.endswith("]"):
                        keys.add(item.name)
                yield item
        if sel and not sel.get("valuesLists"):
            yield from self._calls(stmt, sel)
        upsert = (b.get("onConflictClause") or {}).get("targetList")
        if upsert:
            key = next(iter(keys)) if len(keys) == 1 else None  # the row it upserts, when one key is inserted
            for t in upsert:
                rt = t.get("ResTarget", {})
                col = rt.get("name")
                sv = _sval(rt.get("val"))
                if sv is not None and sv[0] in values:
                    continue  # the inserted value again: one finding for it
                if key and col and col.lower() in EAV_VALUES:
                    yield from self._value(stmt, rt.get("val"), key, f"{table}.{col}[{key}]", "")
                else:
                    yield from self._value(stmt, rt.get("val"), col, f"{table}.{col}", "")

    def _row(self, stmt, table, cols, values):
        named = [(cols[i] if i < len(cols) else None, v) for i, v in enumerate(values)]
        consts = {}
        for col, v in named:
            sv = _sval(v)
            if sv is not None and col:
                consts[col.lower()] = sv[0]
        anchor = ""
        for col, v in named:
            sv = _sval(v)
            if sv is not None and col and names.classify(col) is None and col.lower() not in EAV_VALUES and len(sv[0]) < 200:
                anchor = f"{col}={sv[0]}"
                break
        eav_name = next((consts[k] for k in consts if k in EAV_KEYS and names.classify(consts[k])), None)
        for col, v in named:
            name = col
            if eav_name and col and col.lower() in EAV_VALUES:
                name = eav_name
            where = f"{table}.{col}" if name == col else f"{table}.{col}[{eav_name}]"
            yield from self._value(stmt, v, name, where, anchor)

    def _value(self, stmt, v, name, where, anchor, origin="column"):
        if not v:
            return
        sv = _sval(v)
        if sv is not None:
            value, loc = sv
            yield self.item(stmt, value, loc, name, where, anchor, origin)
            if value[:1] in "{[" and len(value) < 100_000 and any(w in value.lower() for w in GATE_WORDS):
                yield from self._json(stmt, value, loc, where, anchor)
            return
        fc = v.get("FuncCall")
        if fc:
            fname = (fc.get("funcname") or [{}])[-1].get("String", {}).get("sval", "")
            args = fc.get("args") or []
            if fname in HASH_FUNCS and args:
                yield from self._value(stmt, args[0], name, f"{where} via {fname}()", anchor, origin)
        elif "TypeCast" in v:
            yield from self._value(stmt, v["TypeCast"].get("arg"), name, where, anchor, origin)

    def _json(self, stmt, value, loc, where, anchor):
        try:
            data = json.loads(value)
        except ValueError:
            return
        sp = self.span(stmt, loc)
        if sp is None:
            return
        stack = [((), data)]
        while stack:
            path, node = stack.pop()
            if isinstance(node, dict):
                stack.extend((path + (str(k),), v) for k, v in node.items())
            elif isinstance(node, list):
                stack.extend((path, x) for x in node)
            elif isinstance(node, str) and path and names.classify(path[-1]):
                at = self.text.find(node, sp[0], sp[1]) if node else -1
                s, e = (at, at + len(node)) if at >= 0 else sp
                yield Item(node, s, e, path[-1], where + "".join(f"->{k}" for k in path), anchor, "json")

    def _update(self, stmt):
        b = stmt.body
        table = _relname(b.get("relation"))
        targets = b.get("targetList", ())
        found = None
        if any((t.get("ResTarget", {}).get("name") or "").lower() in EAV_VALUES for t in targets):
            found = _where_key(b.get("whereClause"))
        for t in targets:
            rt = t.get("ResTarget", {})
            col = rt.get("name")
            if found and col and col.lower() in EAV_VALUES and names.classify(found[1]):
                keycol, key = found
                yield from self._value(stmt, rt.get("val"), key, f"{table}.{col}[{key}]", f"{keycol}={key}")
            else:
                yield from self._value(stmt, rt.get("val"), col, f"{table}.{col}", "")

    def _defelems(self, stmt, options, where, origin):
        for o in options or ():
            de = o.get("DefElem", {})
            sval = de.get("arg", {}).get("String", {}).get("sval")
            if sval is None:
                continue
            name = de.get("defname")
            label = "PASSWORD" if origin == "role" else f"option {name}"
            yield self.item(stmt, sval, de.get("arg_location", -1), name, f"{where} {label}", "", origin)

    def _role(self, stmt):
        b = stmt.body
        role = b.get("role")
        if isinstance(role, dict):
            role = role.get("rolename", "?")
        opts = [o for o in b.get("options", ()) if o.get("DefElem", {}).get("defname") == "password"]
        yield from self._defelems(stmt, opts, f"role {role}", "role")

    def _fdw(self, stmt):
        b = stmt.body
        server = b.get("servername", "?")
        user = b.get("user", {})
        if stmt.kind in ("CreateUserMappingStmt", "AlterUserMappingStmt"):
            where = f"user mapping for {user.get('rolename') or user.get('roletype', '?')} server {server}"
        else:
            where = f"server {server}"
        yield from self._defelems(stmt, b.get("options"), where, "option")

    def _set(self, stmt):
        b = stmt.body
        setstmt = b.get("setstmt") if "setstmt" in b else b
        name = setstmt.get("name")
        for a in setstmt.get("args", ()) or ():
            yield from self._value(stmt, a, name, f"setting {name}", "", "setting")

    def _calls(self, stmt, node):
        """``set_config('name', 'value')``, ``vault.create_secret('value', 'name')`` anywhere in ``node``."""
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, dict):
                fc = n.get("FuncCall")
                if fc:
                    fname = (fc.get("funcname") or [{}])[-1].get("String", {}).get("sval", "")
                    args = fc.get("args") or []
                    if fname == "set_config" and len(args) >= 2:
                        key = _sval(args[0])
                        if key:
                            yield from self._value(stmt, args[1], key[0], f"setting {key[0]}", "", "setting")
                    elif fname in ("create_secret", "update_secret") and args:
                        vi = 0 if fname == "create_secret" else 1
                        ni = vi + 1
                        key = _sval(args[ni]) if len(args) > ni else None
                        label = key[0] if key else "secret"
                        if vi < len(args):
                            yield from self._value(stmt, args[vi], "secret", f"vault secret {label}", "", "argument")
                stack.extend(n.values())
            elif isinstance(n, list):
                stack.extend(n)


_HANDLERS = {
    "InsertStmt": Walker._insert,
    "UpdateStmt": Walker._update,
    "CreateRoleStmt": Walker._role,
    "AlterRoleStmt": Walker._role,
    "CreateUserMappingStmt": Walker._fdw,
    "AlterUserMappingStmt": Walker._fdw,
    "CreateForeignServerStmt": Walker._fdw,
    "AlterForeignServerStmt": Walker._fdw,
    "AlterSystemStmt": Walker._set,
    "VariableSetStmt": Walker._set,
    "AlterDatabaseSetStmt": Walker._set,
    "AlterRoleSetStmt": Walker._set,
}


# --------------------------------------------------------------------------- COPY data

_COPY = lazy(
    r"^[ \t]*COPY\s+((?:\"[^\"]+\"|[\w$]+)(?:\.(?:\"[^\"]+\"|[\w$]+))?)\s*(?:\(([^)]*)\))?\s+FROM\s+stdin\b[^;]*;[ \t]*\r?\n",
    re.I | re.M,
)
_DATA_END = lazy(r"^\\\.[ \t]*\r?$", re.M)


def copy_blocks(text: str):
    """``(table, columns, data_start, data_end)`` of each ``COPY … FROM stdin`` data block."""
    for m in _COPY.finditer(text):
        end_m = _DATA_END.search(text, m.end())
        data_end = end_m.start() if end_m else len(text)
        cols = [c.strip().strip('"') for c in (m.group(2) or "").split(",") if c.strip()]
        yield m.group(1).replace('"', ""), cols, m.end(), data_end


def blank_copy_data(text: str) -> str | None:
    """``text`` with every COPY data block (and its ``\\.`` line) turned into spaces, line
    breaks kept, so the rest parses with the same offsets; ``None`` if there is none."""
    blocks = list(copy_blocks(text))
    if not blocks:
        return None
    out = list(text)
    for _, _, s, e in blocks:
        stop = e + 2 if text.startswith("\\.", e) else e
        for i in range(s, min(stop, len(text))):
            if out[i] not in "\r\n":
                out[i] = " "
    return "".join(out)


def copy_items(text: str):
    """An :class:`Item` per field of each COPY data row (``\\N`` is NULL)."""
    for table, cols, s, e in copy_blocks(text):
        pos = s
        for line in text[s:e].splitlines(keepends=True):
            fields = line.rstrip("\r\n").split("\t")
            row_anchor = ""
            for i, f in enumerate(fields):
                col = cols[i] if i < len(cols) else None
                if not row_anchor and col and names.classify(col) is None and f != "\\N":
                    row_anchor = f"{col}={f[:200]}"
            off = pos
            for i, f in enumerate(fields):
                col = cols[i] if i < len(cols) else None
                if f and f != "\\N":
                    yield Item(f, off, off + len(f), col, f"{table}.{col or f'column {i + 1}'}", row_anchor, "copy")
                off += len(f) + 1
            pos += len(line)


# --------------------------------------------------------------------------- comments

_LEX = lazy(
    r"(?P<s>'(?:[^']|'')*')|(?P<q>\"(?:[^\"]|\"\")*\")|(?P<d>\$\$.*?\$\$|\$(?P<tag>[A-Za-z_]\w*)\$.*?\$(?P=tag)\$)|(?P<c>--[^\n]*|/\*.*?\*/)",
    re.S,
)


def comments(text: str, base: int = 0, depth: int = 0):
    """``(start, end)`` of each SQL comment, also inside dollar-quoted bodies."""
    for m in _LEX.finditer(text):
        if m.group("c") is not None:
            yield base + m.start(), base + m.end()
        elif m.group("d") is not None and depth < 3:
            d = m.group("d")
            n = d.index("$", 1) + 1  # length of the opening (and closing) tag
            yield from comments(d[n : len(d) - n], base + m.start() + n, depth + 1)
