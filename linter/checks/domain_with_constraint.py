"""Domains with CHECK or NOT NULL constraints make later migrations rewrite and scan tables.

## Why is this bad?
A constraint on a domain is checked wherever the domain is used, which PostgreSQL has
to honour in every later migration:

- adding a column of a constrained domain to an existing table rewrites the whole table
  under an ACCESS EXCLUSIVE lock, even without a DEFAULT (every row's value must be checked
  against the domain), where a plain column is added instantly (checked on PostgreSQL 15:
  the table's `relfilenode` changes);
- changing the rule later (`ALTER DOMAIN … ADD CONSTRAINT`) scans every table with a
  column of the domain under a SHARE lock, blocking their writes (see
  `domain-constraint-validation`); even with NOT VALID, the later `VALIDATE CONSTRAINT`
  takes SHARE on each of them up to PostgreSQL 18, where a table's own `CHECK … NOT VALID`
  is validated under SHARE UPDATE EXCLUSIVE;
- a `NOT NULL` domain constraint is not enforced everywhere (an outer join or a
  `SELECT INTO` can produce a null of the domain type); the CREATE DOMAIN page advises
  putting NOT NULL on the column instead.

Table and column constraints give the same guarantee and have online recipes (`ADD
CONSTRAINT … NOT VALID`, then `VALIDATE CONSTRAINT`).

## Example
```sql
CREATE DOMAIN positive_amount AS numeric CHECK (VALUE > 0);
```

## Use instead
```sql
CREATE DOMAIN amount AS numeric;
ALTER TABLE payments ADD CONSTRAINT payments_amount_positive CHECK (amount > 0) NOT VALID;
ALTER TABLE payments VALIDATE CONSTRAINT payments_amount_positive;
```

## Options
None.

## PostgreSQL versions
All supported versions (the ADD COLUMN rewrite was checked on PostgreSQL 15).

## References
- CREATE DOMAIN, Notes (NOT NULL on domains): https://www.postgresql.org/docs/current/sql-createdomain.html
- ALTER DOMAIN (ADD CONSTRAINT, VALIDATE CONSTRAINT): https://www.postgresql.org/docs/current/sql-alterdomain.html
- ALTER TABLE, Notes (ADD COLUMN and table rewrites): https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
"""

from linter.pg import columns, names

ID = "domain-with-constraint"
FAMILY = "locking"
HAZARD = "type"
SCOPE = "statement"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ("ban-create-domain-with-constraint",)
KINDS = ("CreateDomainStmt",)

_KINDS = {"CONSTR_CHECK": "CHECK", "CONSTR_NOTNULL": "NOT NULL"}


def check(ctx, stmt, options):
    if columns.in_function_body(stmt):
        return
    found = [c.get("Constraint", {}) for c in stmt.body.get("constraints") or ()]
    found = [c for c in found if c.get("contype") in _KINDS]
    if not found:
        return
    domain = names.dotted(stmt.body.get("domainname"))
    what = " and ".join(dict.fromkeys(_KINDS[c["contype"]] for c in found))
    yield ctx.violation(
        stmt,
        f'domain "{domain}" has a {what} constraint: adding a column of it to an existing table rewrites that table '
        "under an ACCESS EXCLUSIVE lock, and changing the constraint later scans every table using it under a SHARE lock",
        node={"location": found[0].get("location", -1)},
        help=("Create the domain without constraints (or use the base type) and put the rule on the columns as table "
              "constraints: CHECK … NOT VALID, then VALIDATE CONSTRAINT, is an online change; NOT NULL belongs on the column."),
        lock="ACCESS EXCLUSIVE",
        table="(tables that add a column of this domain)",
        blocks="reads and writes",
    )
