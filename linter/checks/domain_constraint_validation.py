"""ALTER DOMAIN … ADD CONSTRAINT, SET NOT NULL or VALIDATE CONSTRAINT scans every table using the domain under a SHARE lock.

## Why is this bad?
A domain constraint holds for every column of that domain, in every table. Adding one
without `NOT VALID` (or `SET NOT NULL`, which has no NOT VALID form) checks all of them
at once: PostgreSQL takes a SHARE lock on each table with a column of the domain (writes
wait, reads go on) and reads it whole, and the migration does not even show which tables
those are. With `NOT VALID` the constraint is added without checking existing rows and
without locking those tables, but the later `ALTER DOMAIN … VALIDATE CONSTRAINT` still
takes SHARE on each table while it scans (all checked on PostgreSQL 15), unlike a table's
`VALIDATE CONSTRAINT`, which takes SHARE UPDATE EXCLUSIVE. PostgreSQL 19 lowers the
domain's VALIDATE to SHARE UPDATE EXCLUSIVE too (commit 16a0039d; not checked on a 19
server here), so from `pg_version` 19 VALIDATE is not reported. Domains created earlier
in the same file are not reported (only columns the file itself added can use them).

## Example
```sql
ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');
```

## Use instead
```sql
ALTER TABLE users ADD CONSTRAINT users_email_has_at CHECK (email LIKE '%@%') NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_email_has_at;
```

## Options
None.

## PostgreSQL versions
SHARE on every table using the domain for ADD CONSTRAINT (validated) and SET NOT NULL in
all versions, and for VALIDATE CONSTRAINT up to PostgreSQL 18 (checked on 15).

## References
- ALTER DOMAIN: https://www.postgresql.org/docs/current/sql-alterdomain.html
- Commit 16a0039d, "Reduce lock level for ALTER DOMAIN ... VALIDATE CONSTRAINT": https://git.postgresql.org/pg/commitdiff/16a0039dc0d1d0cdfadaf38cd3a30f3c8f590c48
- Explicit locking: https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
"""

from linter.pg import columns, names

ID = "domain-constraint-validation"
FAMILY = "locking"
HAZARD = "lock"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-alter-domain-with-add-constraint",)
#: folded into this finding on its statement: this finding already tells the scan under the lock and how to avoid it
COVERS = ("missing-statement-timeout", "slow-statement-after-access-exclusive")
KINDS = ("AlterDomainStmt",)


def check(ctx, stmt, options):
    body = stmt.body
    sub = body.get("subtype")
    if sub not in ("C", "V", "O") or columns.in_function_body(stmt):
        return
    domain = names.dotted(body.get("typeName"))
    if _created_before(ctx, stmt, domain):
        return
    tables = f'every table with a column of domain "{domain}"'
    if sub == "C":
        con = body.get("def", {}).get("Constraint", {})
        if con.get("skip_validation") or con.get("contype") not in ("CONSTR_CHECK", "CONSTR_NOTNULL"):
            return
        form = "ALTER DOMAIN … ADD CONSTRAINT"
        help = ("Put the rule on the tables instead (ALTER TABLE … ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE "
                "CONSTRAINT, which lets writes go on); or add the domain constraint NOT VALID and validate it in a quiet window.")
    elif sub == "O":  # SET NOT NULL ("N" is DROP NOT NULL)
        form = "ALTER DOMAIN … SET NOT NULL"
        help = ("Put NOT NULL on the columns instead: ALTER TABLE … ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, "
                "VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+ uses the validated CHECK and skips the scan).")
    else:
        if ctx.pg_version >= 19:
            return
        form = "ALTER DOMAIN … VALIDATE CONSTRAINT"
        help = ("Up to PostgreSQL 18 there is no online way to validate a domain constraint: run it in a quiet window "
                "with lock_timeout and statement_timeout set, or move the rule to table CHECK constraints (NOT VALID, then "
                "VALIDATE CONSTRAINT under SHARE UPDATE EXCLUSIVE).")
    yield ctx.violation(
        stmt,
        f"{form} scans {tables} under a SHARE lock, which blocks writes to each of them until its scan is done",
        help=help,
        lock="SHARE",
        table=f"(tables using {domain})",
        blocks="writes",
        scan=True,
    )


def _created_before(ctx, stmt, domain: str) -> bool:
    last = domain.rsplit(".", 1)[-1]
    for st in ctx.source.statements:
        if st.index >= stmt.index:
            return False
        if st.kind == "CreateDomainStmt" and names.dotted(st.body.get("domainname")).rsplit(".", 1)[-1] == last:
            return True
    return False
