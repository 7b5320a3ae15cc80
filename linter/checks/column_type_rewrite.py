"""Changing a column's type rewrites the table unless the change is binary coercible.

## Why is this bad?
`ALTER TABLE … ALTER COLUMN c TYPE t` takes an ACCESS EXCLUSIVE lock, which blocks reads
and writes, and unless the old type is binary coercible to the new one PostgreSQL
rewrites the whole table and rebuilds its indexes while holding it. Changes that do not
rewrite: `varchar(n)` to a larger `varchar` or to `text`, `text` to unconstrained
`varchar`, `numeric(p,s)` to a larger precision with the same scale or to unconstrained
`numeric`, a larger precision of `timestamp`/`time`/`interval`, `cidr` to `inet`, and
timestamp to timestamptz (or back) when the session TimeZone is UTC (PG 12+; without a
`SET timezone` in the file the change is reported as "may rewrite"). `int` to `bigint`,
`varchar` to a shorter one, `text` to `varchar(n)`, `json` to `jsonb` and any `USING`
that computes new contents rewrite. (`USING c::t`, a plain cast of the column, is judged
like no `USING`.) A `SET timezone = 'UTC'` earlier in the file makes timestamp <->
timestamptz changes pass on PostgreSQL 12+: with the old type known to be the other one of
the pair, and also with the old type unknown (setting the zone right before such a change
says what the old type is; the shared cost model, :mod:`linter.pg.rewrites`, counts that
case as "may rewrite", not as a rewrite). A column of another type changed to
timestamptz still rewrites.

To know the old type miglint looks at earlier statements of the same file (CREATE TABLE,
ADD COLUMN, earlier type changes, renames), then at the earlier migrations of the same
root, in version order (a down file: the ups up to its own version). A change the old type
proves binary coercible is not reported; one it proves to rewrite says so and names the
file and line that set the old type. Old types that are not built in (domains, enums,
extension types such as citext) are not judged by name. When no migration of the set
declares the column, the old type cannot be known: the message says so ("may rewrite").

Changing a type can also break running code that reads or writes the column.

One finding per column whose type change rewrites (or may): each is judged with the old
type the file or the earlier migrations of the set give that column.

## Example
```sql
ALTER TABLE events ALTER COLUMN id TYPE bigint;
```

## Use instead
```sql
-- expand: a new column of the new type, kept in sync by a trigger, backfilled in batches
ALTER TABLE events ADD COLUMN id_new bigint;
-- ...backfill, switch the application, then contract in a later migration
```
or, when the change is binary coercible, say so with the old type in view:
```sql
CREATE TABLE events (name varchar(50));
ALTER TABLE events ALTER COLUMN name TYPE varchar(100);
```

## Options
- `unknown-old-type` (bool, default `true`): also report changes whose old type neither
  the file nor an earlier migration of its root defines. Set to `false` to report only the
  changes miglint can prove rewrite.

Tables created earlier in the same file are empty: they are not reported.
On down code (down files and sections) this is one of the lock-hazard findings that
`locking-in-rollback` summarises, unless `rollback_locking: full` is set.

## PostgreSQL versions
Binary-coercible changes skip the rewrite on every supported version (the typmod
relaxations of varchar, numeric and the time types since 9.2). timestamp to timestamptz
and back skip it from 12, when the session TimeZone is UTC.

## References
- ALTER TABLE, SET DATA TYPE and Notes: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
- Binary coercible casts, CREATE CAST: https://www.postgresql.org/docs/current/sql-createcast.html
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html
"""

import posixpath

from linter.model import replace
from linter.pg import columns, names, rewrites

ID = "column-type-rewrite"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
KINDS = ("AlterTableStmt",)
SUBCOMMANDS = ("AT_AlterColumnType",)
DEFAULT_LEVEL = "error"
OPTIONS = {"unknown-old-type": bool}
DEFAULTS = {"unknown-old-type": True}
ALIASES = ("changing-column-type",)
#: the per-file summary :func:`linter.migset.coltypes.resolve` reads (column types each file declares)
NEEDS = ("column_types",)  # linter.migset.coltypes.NEEDS_KEY (imported when a finding needs it)
#: folded into this finding on its statement: expand and contract avoids the rewrite under the lock (ADD COLUMN still takes ACCESS EXCLUSIVE briefly: a lock timeout still matters)
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")


def check(ctx, stmt, options):
    alter = columns.table_alter(ctx, stmt, "AT_AlterColumnType")
    if alter is None:
        return
    lock = alter.lock
    for site in columns.column_sites(stmt):
        if site.how != "type":
            continue
        old = columns.history(ctx).column_type(stmt, alter.key, site.name)
        has_using = rewrites.using_computes(site.coldef.get("raw_default"), site.name)
        utc = columns.session_is_utc(ctx, stmt)
        why = rewrites.type_change_rewrites(site.type_name, old, has_using, ctx.pg_version, utc)
        if why is None or (old is None and utc is True and not has_using and why.endswith(rewrites.UTC_MAYBE)):
            continue  # SET timezone = 'UTC' right before the change says the old type is timestamp(tz)
        new = columns.written_type(stmt, site.type_name)
        extra = {}
        if old is None and not has_using:
            # the set may know the old type: the engine asks with_old_type() after all files
            coltypes = _coltypes()
            payload = (site.name, new, coltypes.compact(site.type_name), options["unknown-old-type"])
            extra = {coltypes.LOOKUP: coltypes.lookup_property(stmt, alter.key, site.name, payload)}
            verb = "may rewrite"
            why = (f'the old type of "{site.name}" is not defined in this file, and only a binary-coercible '
                   f"change skips the rewrite ({why})" if why.startswith("unless") else
                   f'the old type of "{site.name}" is not defined in this file; unless it is already {new} '
                   "or binary coercible to it, the table and its indexes are rewritten")
        elif why.startswith("unless"):
            verb, why = "may rewrite", why
        else:
            verb, why = "rewrites", f"{why}; the table and its indexes are rewritten"
        yield alter.violation(
            ctx,
            columns.type_where(ctx, stmt, site.type_name),
            f'ALTER TABLE … ALTER COLUMN "{site.name}" TYPE {new} {verb} "{alter.table}" under an {lock.label} lock, '
            f"which blocks {lock.blocks}: {why}",
            help=_HELP,
            rewrite=verb == "rewrites",
            **extra,
        )


_HELP = ("Expand and contract: add a column of the new type, keep it in sync (trigger or application), "
         "backfill it in batches, switch reads, then drop the old column in a later migration.")


def with_old_type(finding, old, where, pg_version, payload):
    """Restate a "may rewrite" finding whose column came from another file, now that the
    migration set says what its old type was (:func:`linter.migset.coltypes.resolve`):
    ``old`` is the TypeName dict (``None`` when no earlier file of the root declares the
    column), ``where`` ``(path, line)`` of the statement that gave it that type, ``payload``
    ``(column, new type as written, compact new type, unknown-old-type option)`` as
    :func:`check` left it. Returns the finding to report, or ``None`` when the change is
    proven metadata-only (or the old type stays unknown and ``unknown-old-type`` is off).

    Only built-in old types are judged (a domain or an extension's type such as citext may
    be binary coercible to the new type by a cast miglint does not know, and a user type's
    name may have been given to another type since), and arrays only when the type does
    not change."""
    coltypes = _coltypes()
    column, written, new_key, report_unknown = payload
    if old is None:
        return finding if report_unknown else None
    new_type = coltypes.type_node(new_key)
    props = dict(finding.properties)
    if names.base_type(old) not in rewrites.BUILTIN_TYPES:
        # a domain, enum or extension type: its name may even stand for another type by
        # now (Lemmy renames an enum and creates a new one under the old name)
        return finding if report_unknown else None
    if coltypes.compact(old) == coltypes.compact(new_type):
        return None  # the column already has this type: PostgreSQL changes nothing
    if old.get("arrayBounds") or new_type.get("arrayBounds"):
        return finding if report_unknown else None
    why = rewrites.type_change_rewrites(new_type, old, False, pg_version)
    if why is None:
        return None  # proven binary coercible with the old type the set declares
    table = props.get("table", "?")
    lock, blocks = props.get("lock", "ACCESS EXCLUSIVE"), props.get("blocks", "reads and writes")
    old_text = names.type_name(old)
    origin = f"line {where[1]}" if where[0] == finding.path else f"{_beside(where[0], finding.path)}:{where[1]}"
    if why.startswith("unless"):
        verb, why = "may rewrite", f'"{column}" is {old_text} (set by {origin}); {why}'
    else:
        tail = "" if "rewritten" in why else "; the table and its indexes are rewritten"
        verb, why = "rewrites", f'"{column}" is {old_text} (set by {origin}): {why}{tail}'
        props["rewrite"] = True
    message = (f'ALTER TABLE … ALTER COLUMN "{column}" TYPE {written} {verb} "{table}" under an {lock} lock, '
               f"which blocks {blocks}: {why}")
    return replace(finding, message=message, properties=props)


def _beside(path: str, here: str) -> str:
    """``path`` relative to the directory that holds both it and ``here`` (POSIX paths of one
    migration set): ``2019-02-26-002946_create_user/up.sql`` rather than a path that depends
    on where miglint was started."""
    common = posixpath.commonpath([posixpath.dirname(path), posixpath.dirname(here)]) if path.startswith("/") == here.startswith("/") else ""
    return posixpath.relpath(path, common) if common and common != "." else path


_COLTYPES = []


def _coltypes():
    """:mod:`linter.migset.coltypes`, imported on first use (only a type change whose old
    type the file does not know needs it) and kept."""
    if not _COLTYPES:
        from linter.migset import coltypes

        _COLTYPES.append(coltypes)
    return _COLTYPES[0]
