"""A password hash is written into data by a migration or seed file.

## Why is this bad?
A password hash in version control can be cracked offline, at leisure, and the account it
belongs to exists on every database the file ran on, production included. The file also
tells an attacker the user name that goes with it. miglint recognises bcrypt (`$2a$`,
`$2b$`, `$2y$`), argon2, scrypt and yescrypt, PBKDF2 (Django, passlib, Werkzeug), Unix
crypt (`$1$`, `$5$`, `$6$`), PostgreSQL role hashes (`md5…`, `SCRAM-SHA-256$…`) anywhere
in the file, and unsalted MD5/SHA hex digests in password columns. Malformed examples such
as `'$2a$10$hash1'` are not hashes and are not reported.

Development and test seed files (option `dev-seeds`) are not checked unless
`check-dev-seeds` is set: a development seed with a known test password is common
practice (standard 004).

## Example
```sql
INSERT INTO users (email, password_hash)
VALUES ('admin@example.com', '$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy');
```

## Use instead
```sql
-- the first administrator is created by the deploy or an invitation flow, not by the migration
INSERT INTO roles (name) VALUES ('admin');
```

## Options
- `dev-seeds` (list of gitignore-style patterns): seed files for development and test
  environments (see `plaintext-password`).
- `check-dev-seeds` (bool, default `false`): check those seed files too.
- `allow` (list of regular expressions): values that fully match one are not reported.

## References
- OWASP Password Storage Cheat Sheet: https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
- PostgreSQL docs, "Password Authentication" (MD5 and SCRAM role hashes): https://www.postgresql.org/docs/current/auth-password.html
"""

from linter import sensitive

ID = "password-hash-in-seed-data"
FAMILY = "secrets"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS = dict(sensitive.COMMON_OPTIONS)
DEFAULTS = dict(sensitive.COMMON_DEFAULTS)
ALIASES = ()

HELP = (
    "Create accounts at deploy time or through the application (invitation, first-run setup), "
    "not with a hash committed to the repository; if the hash was ever used, change that password."
)


def check(ctx, options):
    yield from sensitive.violations(ctx, ID, options, HELP)
