"""A password is written in plain text in a migration or seed file.

## Why is this bad?
Migrations and seeds live in version control forever and run on every environment: a
password written into one is readable by everyone with the repository, its forks and its
CI logs, and it is the same on every database the file ran on. miglint pairs each string
with the column, option or setting it is stored under, so it finds plain-text passwords in
`INSERT`/`UPDATE`/`COPY` data (columns named like `password`, `passwd`, `pwd`,
`encrypted_password`, also inside `crypt('…', gen_salt('bf'))` and JSON values), in
`CREATE/ALTER ROLE … PASSWORD '…'`, in `CREATE SERVER`/`USER MAPPING … OPTIONS (password
'…')`, in key/value rows of settings tables (`INSERT INTO app_config (key, value) VALUES
('smtp_password', '…')`, `UPDATE app_config SET value = '…' WHERE key = 'smtp_password'`,
the row's key naming the value; `max_password_length` and the like name no password)
and in comments (`-- admin password: …`). Placeholders (`changeme`, `password`, `xxx`, `${VAR}`, `:'var'`, `<password>`) are
not reported. The finding shows the place and the length, never the password.

Development and test seed files (option `dev-seeds`) are not checked unless
`check-dev-seeds` is set: teams put fake credentials there on purpose.

## Example
```sql
INSERT INTO users (email, password) VALUES ('admin@example.com', 'S3cure!Passw0rd');
CREATE ROLE reporting LOGIN PASSWORD 'rep0rting-2024';
```

## Use instead
```sql
-- psql -v admin_password=… : the password comes from the environment
INSERT INTO users (email, password) VALUES ('admin@example.com', crypt(:'admin_password', gen_salt('bf')));
CREATE ROLE reporting LOGIN;  -- ALTER ROLE reporting PASSWORD … is run by the deploy, from a secret store
```

## Options
- `dev-seeds` (list of gitignore-style patterns): seed files for development and test
  environments. Default: folders and files named `dev`, `development`, `local`, `test`,
  `tests`, `testing` (also `*_dev.sql`, `*.test.sql`, `dev_*.sql` …).
- `check-dev-seeds` (bool, default `false`): check those seed files too.
- `allow` (list of regular expressions): values that fully match one are placeholders.

## References
- PostgreSQL docs, CREATE ROLE, "PASSWORD": https://www.postgresql.org/docs/current/sql-createrole.html
- OWASP, "Use of hard-coded password": https://owasp.org/www-community/vulnerabilities/Use_of_hard-coded_password
- CWE-259, "Use of Hard-coded Password": https://cwe.mitre.org/data/definitions/259.html
"""

from linter import sensitive

ID = "plaintext-password"
FAMILY = "secrets"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS = dict(sensitive.COMMON_OPTIONS)
DEFAULTS = dict(sensitive.COMMON_DEFAULTS)
ALIASES = ()

HELP = (
    "Remove the password from the file and from the repository history, and change it. "
    "Set passwords at deploy time (a psql variable such as :'admin_password', a secret store), "
    "or store a hash generated outside the repository."
)


def check(ctx, options):
    yield from sensitive.violations(ctx, ID, options, HELP)
