"""What a migration file created before a given statement.

A table created earlier in the same migration is empty (or only holds rows the migration
itself wrote): locking rules do not fire on it, as squawk's
``tables_created_in_transaction`` and eugene's "new table" rules do.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from linter import lazyre
from linter.pg import names


def created_tables(statements: list) -> dict[str, int]:
    """``{table key: index of the statement that created it}`` over top-level
    ``statements`` (CREATE TABLE, CREATE TABLE AS / SELECT INTO, CREATE MATERIALIZED VIEW).

    A table created in the file and then renamed (``CREATE TABLE x_new …; INSERT INTO x_new
    SELECT … FROM x; DROP TABLE x; ALTER TABLE x_new RENAME TO x``, Synapse's
    ``delta/44/expire_url_cache.sql``) is new under its new name too, from the rename on:
    it is still the table this transaction created, which no other session can see or
    lock before the commit."""
    out: dict[str, int] = {}
    for i, st in enumerate(statements):
        rv = None
        kind = st.kind
        if kind == "CreateStmt":
            rv = st.body.get("relation")
        elif kind == "CreateTableAsStmt":
            rv = st.body.get("into", {}).get("IntoClause", st.body.get("into", {})).get("rel")
        elif kind == "RenameStmt" and st.body.get("renameType") == "OBJECT_TABLE" and out:
            old = names.table_key(st.body.get("relation"))
            if old in out and out[old] < i and statements[out[old]].section is st.section:
                out.setdefault(st.body.get("newname", ""), i)
            continue
        if rv is not None:
            out.setdefault(names.table_key(rv), i)
    return out


#: A popx up file of a step group: 14-digit timestamp, 6-digit step, optional dialect and
#: ``.autocommit`` infixes (popx's ``MigrationFileRegexp``, github.com/ory/x popx/match.go).
_POPX_STEP = lazyre.compile(r"^(\d{14})(\d{6})_[^.]+(?:\.(postgres|all))?(?:\.autocommit)?\.up\.sql$")
#: ``CREATE [UNLOGGED] TABLE [IF NOT EXISTS] [schema.]name``, after comments are removed
#: (not temporary tables: they do not outlive their step's session).
_CREATE_TABLE = lazyre.compile(
    r'\bcreate\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?'
    r'(?:"?\w+"?\s*\.\s*)?(?:"([^"]+)"|(\w+))', re.I)
_SQL_COMMENT = lazyre.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def popx_step(path: str) -> tuple[str, int] | None:
    """``(unit, step)`` of an ory popx up file of a step group (``20200519101057000006_x.up.sql``
    is step 6 of unit ``20200519101057``), ``None`` for other names or other dialects."""
    m = _POPX_STEP.match(os.path.basename(path))
    return (m.group(1), int(m.group(2))) if m else None


@lru_cache(maxsize=64)
def _popx_listing(folder: str) -> dict[str, list[tuple[int, str]]]:
    """``{unit: [(step, file name)]}`` of the popx up files of ``folder`` (PostgreSQL and
    generic variants), listed once per folder and process."""
    out: dict[str, list] = {}
    try:
        entries = os.listdir(folder)
    except OSError:
        return out
    for name in entries:
        got = popx_step(name)
        if got is not None:
            out.setdefault(got[0], []).append((got[1], name))
    return out


@lru_cache(maxsize=1024)
def _popx_unit(folder: str, unit: str) -> list[tuple[int, frozenset[str]]]:
    """``[(step, tables its up file creates)]`` for the up files of one popx step group of
    ``folder`` (those that create a table). Read once per group and process, with a regular
    expression (no parse): only table names are needed, and only for the groups a later
    step of which is linted (a one-step migration is never read)."""
    out: list = []
    for step, name in _popx_listing(folder).get(unit, ()):
        try:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as fh:
                text = _SQL_COMMENT.sub(" ", fh.read())
        except OSError:
            continue
        tables = frozenset(q or bare.lower() for q, bare in _CREATE_TABLE.findall(text))
        if tables:
            out.append((step, tables))
    return out


def popx_unit_tables(abspath: str) -> frozenset[str]:
    """Tables created by the earlier steps of the popx step group ``abspath`` belongs to.

    ory popx splits one migration into numbered step files (kratos
    ``sql/20200519101057000005_…`` creates a table that ``…000006`` indexes); ``popx
    migrate up`` applies the steps one after the other in one run, each in a transaction
    of its own (popx/migrator.go ``Up``). A table an earlier step created is not used by
    the running application yet (it does not know it), so locking it blocks nobody, like a
    table created earlier in the same file. A table an earlier step renamed into an
    existing name is *not* counted: once that step commits, the running application uses it."""
    got = popx_step(abspath)
    if got is None or got[1] == 0:
        return frozenset()
    unit, step = got
    steps = _popx_unit(os.path.dirname(abspath), unit)
    return frozenset().union(*(t for s, t in steps if s < step))
#: The system catalog tables (``SELECT relname FROM pg_class WHERE relnamespace =
#: 'pg_catalog'::regnamespace AND relkind = 'r'`` on PostgreSQL 15, plus pg_statistic_ext
#: and later additions; checked against a real server in tests/test_pg.py).
SYSTEM_CATALOGS = frozenset("""
pg_aggregate pg_am pg_amop pg_amproc pg_attrdef pg_attribute pg_auth_members pg_authid pg_cast pg_class
pg_collation pg_constraint pg_conversion pg_database pg_db_role_setting pg_default_acl pg_depend
pg_description pg_enum pg_event_trigger pg_extension pg_foreign_data_wrapper pg_foreign_server
pg_foreign_table pg_index pg_inherits pg_init_privs pg_language pg_largeobject pg_largeobject_metadata
pg_namespace pg_opclass pg_operator pg_opfamily pg_parameter_acl pg_partitioned_table pg_policy pg_proc
pg_publication pg_publication_namespace pg_publication_rel pg_range pg_replication_origin pg_rewrite
pg_seclabel pg_sequence pg_shdepend pg_shdescription pg_shseclabel pg_statistic pg_statistic_ext
pg_statistic_ext_data pg_subscription pg_subscription_rel pg_tablespace pg_transform pg_trigger
pg_ts_config pg_ts_config_map pg_ts_dict pg_ts_parser pg_ts_template pg_type pg_user_mapping
""".split())


def is_system_catalog(rv: dict | None) -> bool:
    """True when the RangeVar ``rv`` names a system catalog table: ``pg_catalog.x``, or an
    unqualified catalog name (``pg_catalog`` is searched first whatever the search_path,
    "5.10.5. The System Catalog Schema"). Writing to one (``UPDATE pg_index SET
    indisvalid …``) is catalog surgery, not a data backfill: no application rows change."""
    if not rv:
        return False
    schema = rv.get("schemaname")
    if schema == "pg_catalog":
        return True
    return schema is None and rv.get("relname") in SYSTEM_CATALOGS
