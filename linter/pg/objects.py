"""What a migration file created before a given statement.

A table created earlier in the same migration is empty (or only holds rows the migration
itself wrote): locking rules do not fire on it, as squawk's
``tables_created_in_transaction`` and eugene's "new table" rules do.
"""

from __future__ import annotations

from linter.pg import names


def created_tables(statements: list) -> dict[str, int]:
    """``{table key: index of the statement that created it}`` over top-level
    ``statements`` (CREATE TABLE, CREATE TABLE AS / SELECT INTO, CREATE MATERIALIZED VIEW)."""
    out: dict[str, int] = {}
    for i, st in enumerate(statements):
        rv = None
        if st.kind == "CreateStmt":
            rv = st.body.get("relation")
        elif st.kind == "CreateTableAsStmt":
            rv = st.body.get("into", {}).get("IntoClause", st.body.get("into", {})).get("rel")
        if rv is not None:
            out.setdefault(names.table_key(rv), i)
    return out


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
