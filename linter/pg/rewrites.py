"""Whether an ALTER TABLE subcommand rewrites or scans the table, and why.

Sources:

* ALTER TABLE, Notes: "Adding a column with a volatile DEFAULT or changing the type of an
  existing column will require the entire table and its indexes to be rewritten …
  As an exception, when changing the type of an existing column, if the USING clause does
  not change the column contents and the old type is either binary coercible to the new
  type or an unconstrained domain over the new type, a table rewrite is not needed";
  "Adding a CHECK or NOT NULL constraint requires scanning the table"; PG 11 release notes:
  "Allow ALTER TABLE to add a column with a non-null default without doing a table
  rewrite" (non-volatile defaults only). https://www.postgresql.org/docs/current/sql-altertable.html
* SET NOT NULL skips the scan when a valid CHECK constraint proves the column is not null
  (PG 12 release notes); so does the implicit SET NOT NULL of ADD PRIMARY KEY USING INDEX.
* ADD COLUMN … REFERENCES without a DEFAULT skips the foreign key's validation (every row
  is NULL): ``transformAlterTableStmt`` in src/backend/parser/parse_utilcmd.c.
* timestamp <-> timestamptz is binary compatible while the session TimeZone is UTC, from
  PG 12 (release notes).
Every fact here is checked against a real server in tests/test_pg.py,
tests/test_columns_pg.py and tests/test_costmodel_pg.py.
* Function volatility: "37.7. Function Volatility Categories" and the pg_proc entries of the
  built-in functions named below.
"""

from __future__ import annotations

from linter.pg import names

#: Built-in functions by volatility (pg_proc.provolatile, checked against a real server in
#: tests/test_columns_pg.py): ``name -> (volatility, (fewest, most) arguments)``, ``most`` ``None``
#: for VARIADIC functions. A call only matches when it names the function unqualified or as
#: ``pg_catalog.name`` and passes a number of arguments one of its signatures takes: the
#: ``pg_catalog`` schema comes first in every search_path, but ``myschema.now()`` or
#: ``now(123)`` is another (user) function, whose volatility is unknown.
#: VOLATILE: a column added with one of these as DEFAULT is computed per row (a rewrite).
#: STABLE/IMMUTABLE: evaluated once for ADD COLUMN … DEFAULT.
BUILTIN_FUNCTIONS: dict[str, tuple[str, tuple[int, int | None]]] = {
    "random": ("volatile", (0, 2)),  # random(min, max): PostgreSQL 17
    "random_normal": ("volatile", (0, 2)),  # PostgreSQL 16, both arguments have defaults
    "gen_random_uuid": ("volatile", (0, 0)),
    "uuidv4": ("volatile", (0, 0)),  # PostgreSQL 18
    "uuidv7": ("volatile", (0, 1)),  # PostgreSQL 18, uuidv7(shift interval)
    "clock_timestamp": ("volatile", (0, 0)),
    "timeofday": ("volatile", (0, 0)),
    "nextval": ("volatile", (1, 1)),
    "setval": ("volatile", (2, 3)),
    "now": ("stable", (0, 0)),
    "statement_timestamp": ("stable", (0, 0)),
    "transaction_timestamp": ("stable", (0, 0)),
    "txid_current": ("stable", (0, 0)),  # STABLE: one value per transaction
    "pg_current_xact_id": ("stable", (0, 0)),
    "current_setting": ("stable", (1, 2)),
    "lower": ("stable", (1, 1)),
    "upper": ("stable", (1, 1)),
    "btrim": ("stable", (1, 2)),  # TRIM(…) parses as pg_catalog.btrim
    "length": ("stable", (1, 2)),
    "jsonb_build_object": ("stable", (0, None)),
    "json_build_object": ("stable", (0, None)),
    "jsonb_build_array": ("stable", (0, None)),
    "json_build_array": ("stable", (0, None)),
    "to_jsonb": ("stable", (1, 1)),
    "to_json": ("stable", (1, 1)),
    "concat": ("stable", (1, None)),
    "date_trunc": ("stable", (2, 3)),
    "timezone": ("stable", (2, 2)),
    "make_interval": ("stable", (0, 7)),  # every argument has a default
    "to_timestamp": ("stable", (1, 2)),
    "to_date": ("stable", (2, 2)),
    "abs": ("stable", (1, 1)),
}

#: Volatile functions of extensions (uuid-ossp, pgcrypto), installed in whatever schema
#: the extension was created in: any schema qualification matches.
EXTENSION_VOLATILE = {
    "uuid_generate_v1": (0, 0), "uuid_generate_v1mc": (0, 0), "uuid_generate_v4": (0, 0),
    "gen_random_uuid": (0, 0), "gen_random_bytes": (1, 1),
}

#: The names of the built-in VOLATILE / STABLE functions (any signature).
VOLATILE_FUNCTIONS = frozenset({n for n, (v, _) in BUILTIN_FUNCTIONS.items() if v == "volatile"} | set(EXTENSION_VOLATILE))
STABLE_FUNCTIONS = frozenset(n for n, (v, _) in BUILTIN_FUNCTIONS.items() if v == "stable")


def function_volatility(call: dict) -> str:
    """``"volatile"``, ``"stable"`` (STABLE or IMMUTABLE) or ``"unknown"`` for one
    ``FuncCall`` dict, by :data:`BUILTIN_FUNCTIONS` / :data:`EXTENSION_VOLATILE`."""
    parts = names.strings(call.get("funcname")) or [""]
    name = parts[-1]
    nargs = len(call.get("args") or ())
    ext = EXTENSION_VOLATILE.get(name)
    if ext is not None and ext[0] <= nargs <= ext[1]:
        return "volatile"
    if len(parts) > 1 and parts[-2] != "pg_catalog":
        return "unknown"
    known = BUILTIN_FUNCTIONS.get(name)
    if known is None or call.get("agg_star") or call.get("func_variadic"):
        return "unknown"
    volatility_, (low, high) = known
    if nargs < low or (high is not None and nargs > high):
        return "unknown"
    return volatility_


#: Types whose default is a sequence's nextval(): "8.1.4. Serial Types".
SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})


def volatility(expr: dict | None) -> str:
    """``"constant"``, ``"stable"``, ``"volatile"`` or ``"unknown"`` for a default expression.

    Constants and casts of constants are ``constant``; SQL value functions
    (``CURRENT_TIMESTAMP``) and the stable built-ins are ``stable``; the volatile ones
    make it ``volatile``; a call to any other function, a schema-qualified one outside
    ``pg_catalog`` or one with arguments no built-in signature takes is ``unknown`` (a
    user function may be volatile): :func:`function_volatility`.
    """
    if expr is None:
        return "constant"
    worst = "constant"
    order = {"constant": 0, "stable": 1, "unknown": 2, "volatile": 3}
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "FuncCall" in node:
            v = function_volatility(node["FuncCall"])
            if order[v] > order[worst]:
                worst = v
        elif "SQLValueFunction" in node and order["stable"] > order[worst]:
            worst = "stable"
        elif "SubLink" in node:
            worst = "unknown" if order[worst] < order["unknown"] else worst
        stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return worst


def column_default(coldef: dict) -> tuple[dict | None, bool]:
    """``(default expression or None, has_default)`` of a ColumnDef dict."""
    for c in coldef.get("constraints", ()) or ():
        con = c.get("Constraint", {})
        if con.get("contype") == "CONSTR_DEFAULT":
            return con.get("raw_expr"), True
    return None, False


def column_constraint_types(coldef: dict) -> set[str]:
    """The ``contype`` of each inline constraint of a ColumnDef (``CONSTR_NOTNULL`` …)."""
    return {c.get("Constraint", {}).get("contype", "") for c in coldef.get("constraints", ()) or ()}


def add_column_rewrites(coldef: dict, pg_version: int) -> str | None:
    """Why ``ADD COLUMN coldef`` rewrites the table, or ``None`` when it does not.

    Before PG 11 any non-null DEFAULT rewrites; from 11 only a volatile one. Serial types,
    identity columns and stored generated columns are filled per row, which rewrites.
    """
    return _add_column_rewrites(coldef, column_constraint_types(coldef), pg_version)


def _add_column_rewrites(coldef: dict, kinds: set[str], pg_version: int) -> str | None:
    """:func:`add_column_rewrites` given ``kinds``, the column's :func:`column_constraint_types`."""
    if "CONSTR_GENERATED" in kinds:
        return "a stored generated column is computed for every row"
    if "CONSTR_IDENTITY" in kinds:
        return "an identity column is filled from its sequence for every row"
    if names.base_type(coldef.get("typeName")) in SERIAL_TYPES:
        return "a serial column is filled by nextval() for every row"
    expr, has_default = column_default(coldef)
    if not has_default or _is_null(expr):
        return None
    if pg_version < 11:
        return "before PostgreSQL 11 any DEFAULT on a new column rewrites the table"
    v = volatility(expr)
    if v == "volatile":
        return "the DEFAULT is volatile, so it is computed for every row"
    if v == "unknown":
        return "the DEFAULT calls a function that may be volatile (then it is computed for every row)"
    return None


def _is_null(expr: dict | None) -> bool:
    return bool(expr) and expr.get("A_Const", {}).get("isnull", False)


#: (old base type family, new base type) pairs that are binary coercible or only
#: relax a length/precision limit: no rewrite ("Binary Coercible" in CREATE CAST docs;
#: pg_cast castmethod 'b'; varchar/numeric typmod relaxation since PG 9.2).
_TEXTUAL = {"varchar", "text", "bpchar", "char"}

#: Types whose typmod is a precision or length that may grow without a rewrite.
_PRECISION_TYPES = {"timestamp", "timestamptz", "time", "timetz", "interval", "varbit"}

#: pg_cast entries with castmethod 'b' (binary coercible) between distinct base types
#: that migrations use: ``SELECT castsource::regtype, casttarget::regtype FROM pg_cast
#: WHERE castmethod = 'b'``.
_BINARY_COERCIBLE = {
    ("xml", "text"), ("xml", "varchar"), ("cidr", "inet"),
    ("regclass", "oid"), ("oid", "regclass"), ("int4", "regclass"),
}


#: Built-in base types as the parser names them (``integer`` is ``int4``): an old type
#: outside this set may be a domain over the new type or have a binary-coercible cast that
#: an extension defines (citext to text), so no rewrite claim is made from it alone.
BUILTIN_TYPES = frozenset({
    "bool", "int2", "int4", "int8", "float4", "float8", "numeric", "money", "varchar", "text", "bpchar",
    "char", "name", "bytea", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid",
    "json", "jsonb", "xml", "inet", "cidr", "macaddr", "macaddr8", "bit", "varbit", "oid", "tsvector",
    "tsquery", "point", "line", "lseg", "box", "path", "polygon", "circle", "int4range", "int8range",
    "numrange", "tsrange", "tstzrange", "daterange", "regclass", "serial", "bigserial", "smallserial",
})


#: How :func:`type_change_rewrites` ends the reason for a timestamp <-> timestamptz change
#: of an unknown old type under a UTC session ("may rewrite").
UTC_MAYBE = "while the session TimeZone is UTC"


def using_computes(expr: dict | None, column: str) -> bool:
    """True when a ``USING expr`` of ``ALTER COLUMN column TYPE`` computes new contents;
    False for no USING and for ``USING column`` / ``USING column::type`` (a plain cast of
    the column itself, nested or not), which PostgreSQL judges like no USING."""
    if expr is None:
        return False
    while "TypeCast" in expr:
        expr = expr["TypeCast"].get("arg", {})
    fields = names.strings(expr.get("ColumnRef", {}).get("fields"))
    return not (fields and fields[-1] == column)


def type_change_rewrites(new_type: dict, old_type: dict | None, has_using: bool, pg_version: int = 16,
                         utc_session: bool | None = None) -> str | None:
    """Why ``ALTER COLUMN … TYPE new_type`` rewrites, or ``None`` if it does not.

    With the old type unknown (the column was created outside the linted files), a change
    to ``text``, unconstrained ``varchar``, or ``varchar(n)`` / ``numeric(p,s)`` is
    reported as "rewrites unless the old type is binary coercible"; anything else as a
    rewrite. A ``USING`` clause that computes new contents always rewrites (pass
    ``has_using=False`` for ``USING col::type``, a plain cast of the column itself).
    ``pg_version``: timestamp to timestamptz can skip the rewrite from PG 12 only;
    ``utc_session``: True when the session TimeZone is UTC, False when the file set another
    zone, ``None`` when unknown. Under UTC timestamp <-> timestamptz (either
    way, the old type known) is binary compatible from PG 12 (release notes E.23.3.1.5:
    "Allow ALTER TABLE … SET DATA TYPE changing between timestamp and timestamptz to avoid
    a table rewrite when the session time zone is UTC"; checked on a real server).
    """
    new = names.base_type(new_type)
    new_mods = names.typmods(new_type)
    if has_using:
        return "USING computes new contents for every row"
    if old_type is None:
        if new in ("timestamp", "timestamptz") and not new_mods and utc_session is True and pg_version >= 12:
            other = "timestamp" if new == "timestamptz" else "timestamptz"
            return f"unless the old type is {other}, binary compatible with {new} {UTC_MAYBE}"
        if new in ("text", "varchar") or (new == "numeric"):
            return "unless the old type is binary coercible to it (varchar/text to a larger or unlimited varchar or text; numeric to a larger precision with the same scale)"
        return "the column type changes"
    old = names.base_type(old_type)
    old_mods = names.typmods(old_type)
    if old == new and old_mods == new_mods:
        return None
    if old in ("varchar", "text") and new == "text":
        return None
    if old in ("varchar", "text") and new == "varchar":
        if not new_mods:
            return None
        if old == "varchar" and old_mods and new_mods[0] >= old_mods[0]:
            return None
        return "the new varchar length is shorter (or the old column is text), so every value is re-checked and the table rewritten"
    if old == "numeric" and new == "numeric":
        if not new_mods:
            return None
        if old_mods and len(old_mods) == len(new_mods) and new_mods[0] >= old_mods[0] and new_mods[1:] == old_mods[1:]:
            return None
        return "the numeric precision or scale shrinks or the scale changes"
    if {old, new} <= {"cidr", "inet"} and new == "inet":
        return None
    if old == new and old in _PRECISION_TYPES:
        # timestamp(3) -> timestamp(6), varbit(5) -> varbit(10): the typmod support
        # functions drop the coercion when the limit only grows (PG 9.2+)
        if not new_mods or (old_mods and new_mods[-1] >= old_mods[-1]):
            return None
        return f"{names.type_name(old_type)} to {names.type_name(new_type)} shrinks the precision or length"
    if (old, new) in _BINARY_COERCIBLE:
        return None
    if {old, new} == {"timestamp", "timestamptz"} and not new_mods and utc_session is True and pg_version >= 12:
        return None
    if {old, new} == {"timestamp", "timestamptz"} and utc_session is False:
        return f"{old} to {new} rewrites: the session TimeZone this file sets is not UTC"
    if {old, new} == {"timestamp", "timestamptz"}:
        # both directions: PostgreSQL 12+ skips the rewrite when the session TimeZone is UTC
        # (checked on PG 15 in tests/test_columns_pg.py and tests/test_costmodel_pg.py)
        if pg_version < 12:
            return f"before PostgreSQL 12 {old} to {new} always rewrites"
        return f"unless the session TimeZone is UTC (PG 12+), {old} to {new} rewrites"
    return f"{names.type_name(old_type)} to {names.type_name(new_type)} is not binary coercible"


def new_column_fk_validated(coldef: dict) -> bool:
    """True when ``ADD COLUMN coldef … REFERENCES t`` checks the existing rows against
    ``t``: only when the column has a DEFAULT (even ``DEFAULT NULL``) or is filled per row
    (serial, generated). Without one every row holds NULL, so PostgreSQL marks the foreign
    key valid without a scan (``transformAlterTableStmt`` in parse_utilcmd.c: "If the
    column has a non-null default, we can't skip validation of foreign keys"; checked on a
    real server, tests/test_locking_indexes_constraints.py)."""
    if column_default(coldef)[1] or names.base_type(coldef.get("typeName")) in SERIAL_TYPES:
        return True
    return "CONSTR_GENERATED" in column_constraint_types(coldef)


def scan_stops_at_first_row(cmd: dict, pg_version: int) -> bool:
    """True for an ``ADD COLUMN … NOT NULL`` without a (non-null) default, index, foreign key
    or rewrite: PostgreSQL checks the new column on every row, every existing row is
    NULL there, so the statement fails (SQLSTATE 23502) at the first row of a populated
    table and has nothing to read in an empty one. Its scan (``alter_cmd_cost``) is real but
    never long. Checked on a real server: the failing ALTER returns 1 tuple of a 50-row
    table, ``SET NOT NULL`` all 50 (tests/test_costmodel_pg.py)."""
    if cmd.get("subtype") != "AT_AddColumn":
        return False
    coldef = cmd.get("def", {}).get("ColumnDef", {})
    kinds = column_constraint_types(coldef)
    # a CHECK is tested on the same row, after NOT NULL; a PRIMARY KEY or UNIQUE index is
    # built over every row before that check runs
    if "CONSTR_NOTNULL" not in kinds or kinds & {"CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_FOREIGN",
                                                   "CONSTR_IDENTITY", "CONSTR_GENERATED"}:
        return False
    if _add_column_rewrites(coldef, kinds, pg_version) is not None:
        return False
    expr, has_default = column_default(coldef)
    return not has_default or _is_null(expr)


def alter_cmd_cost(cmd: dict, pg_version: int, old_type: dict | None = None, utc_session: bool | None = None,
                   nullable_key: bool = False) -> tuple[bool, bool]:
    """``(rewrite, scan)`` for one AlterTableCmd dict (what the lock report shows).

    ``old_type``: the TypeName an ``ALTER COLUMN … TYPE`` column had (``None``: unknown);
    ``utc_session``: the session TimeZone is UTC, or not, or unknown (``None``; see
    :func:`type_change_rewrites`);
    ``nullable_key``: for ``ADD PRIMARY KEY USING INDEX``, a key column is known to allow
    NULLs, so PostgreSQL sets it NOT NULL with a scan of the table (checked on a real
    server: no scan once a validated ``CHECK (col IS NOT NULL)`` exists, PG 12+).
    """
    sub = cmd.get("subtype", "")
    d = cmd.get("def", {})
    if sub == "AT_AddColumn":
        coldef = d.get("ColumnDef", {})
        kinds = column_constraint_types(coldef)
        rewrite = _add_column_rewrites(coldef, kinds, pg_version) is not None
        scan = bool(kinds & {"CONSTR_CHECK", "CONSTR_PRIMARY", "CONSTR_UNIQUE"})
        if "CONSTR_FOREIGN" in kinds and new_column_fk_validated(coldef):
            scan = True
        if "CONSTR_NOTNULL" in kinds:
            # NOT NULL with a non-null default needs no check of the rows (they all get the
            # default); without one, every row is checked (checked on PG 15: seq_scan)
            expr, has_default = column_default(coldef)
            scan = scan or not has_default or _is_null(expr)
        return rewrite, scan or rewrite
    if sub == "AT_AlterColumnType":
        coldef = d.get("ColumnDef", {})
        has_using = using_computes(coldef.get("raw_default"), cmd.get("name", ""))
        why = type_change_rewrites(coldef.get("typeName", {}), old_type, has_using, pg_version, utc_session)
        rewrite = why is not None and not why.startswith("unless")
        return rewrite, rewrite
    if sub == "AT_SetNotNull":
        return False, True
    if sub == "AT_AddConstraint":
        con = d.get("Constraint", {})
        if con.get("contype") in ("CONSTR_CHECK", "CONSTR_FOREIGN"):
            return False, not con.get("skip_validation", False)
        if con.get("contype") in ("CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION"):
            if con.get("indexname"):
                return False, con.get("contype") == "CONSTR_PRIMARY" and nullable_key
            return False, True
        return False, False
    if sub == "AT_ValidateConstraint":
        return False, True
    if sub in ("AT_SetLogged", "AT_SetUnLogged", "AT_SetTableSpace", "AT_SetAccessMethod", "AT_SetExpression"):
        return True, True
    if sub == "AT_AttachPartition":
        return False, True
    return False, False
