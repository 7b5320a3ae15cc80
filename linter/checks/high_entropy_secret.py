"""A random-looking token is stored in a column, option or setting named like a secret.

## Why is this bad?
A value stored under a name such as `api_key`, `client_secret`, `access_token`,
`webhook_secret`, `app.jwt_secret` or `private_key` that looks machine-made (a long run of
base64 or hex with letters and digits and a high Shannon entropy, the measure
detect-secrets uses) is almost certainly a real credential, even when its format is not
one miglint knows (those are `secret-key-in-migration`). Words, UUIDs, placeholders and
short values are not reported; neither are names *about* a secret (`token_type`,
`api_key_id`, `secret_name`, `token_hash`). In a settings table the row's key is the
name (`UPDATE app_config SET value = '…' WHERE key = 'jwt_secret'`, `INSERT … (key,
value) VALUES ('jwt_secret', '…')`). The finding names the place and the length, never
the value.

Development and test seed files (option `dev-seeds`) are not checked unless
`check-dev-seeds` is set.

## Example
```sql
INSERT INTO webhooks (url, signing_secret) VALUES ('https://example.com/hook', 'q8Xv2LmT9rKp4sWz7YbN3cFh6JdG1aQe');
```

## Use instead
```sql
INSERT INTO webhooks (url, signing_secret) VALUES ('https://example.com/hook', encode(gen_random_bytes(24), 'base64'));
```

## Options
- `min-length` (int, default `16`): shorter values are not judged.
- `dev-seeds`, `check-dev-seeds` (default `false`), `allow`: see `plaintext-password`.

## References
- detect-secrets, "High entropy strings": https://github.com/Yelp/detect-secrets#plugins
- CWE-798, "Use of Hard-coded Credentials": https://cwe.mitre.org/data/definitions/798.html
"""

from linter import sensitive

ID = "high-entropy-secret"
FAMILY = "secrets"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS = {**sensitive.COMMON_OPTIONS, "min-length": int}
DEFAULTS = {**sensitive.COMMON_DEFAULTS, "min-length": 16}
ALIASES = ()

HELP = (
    "Generate the value in the database (gen_random_bytes) or give it at deploy time "
    "(a psql variable, a secret store); if this one was ever used, rotate it."
)


def check(ctx, options):
    min_length = options.get("min-length", 16)
    yield from sensitive.violations(ctx, ID, options, HELP, lambda h: len(h.value) >= min_length)
