"""A cloud or SaaS key, private key, JWT or connection string with a password is in the file.

## Why is this bad?
A key committed to a repository is leaked: anyone with read access, now or later, can use
it, and removing it from the file does not remove it from history. Scanners run by
attackers find such keys in public repositories within minutes. miglint looks everywhere
in the file (string literals, comments, `COPY` data, function bodies, files that do not
parse) for:

- provider keys, with Yelp's detect-secrets plugins: AWS access key IDs, GitHub and GitLab
  tokens, Slack tokens and webhooks, Stripe live keys, SendGrid, Twilio, OpenAI, PyPI,
  Discord, Telegram, Mailchimp, Square, Azure storage keys, private key blocks
  (`-----BEGIN … PRIVATE KEY-----`); and Google API keys, GitHub fine-grained tokens, npm
  tokens, Anthropic and Supabase secret keys;
- JWTs, decoded without verifying and named after their claims, e.g. "Supabase
  service_role JWT" (a key that bypasses row level security);
- connection strings with a password (`postgres://app:…@db/app`, `host=… password=…`).

The finding names the kind and the place and shows at most the first four characters and
the length. Placeholders (`sk_live_xxxx…`, `${STRIPE_KEY}`, AWS's `…EXAMPLE` keys) and the
public Supabase local-development JWTs (issuer `supabase-demo`) are not reported.

## Example
```sql
INSERT INTO integrations (provider, api_key) VALUES ('github', 'ghp_4Tq9ZxV2mLk8RsW1nBc7YpD3hJf6Ge0aKu5i');
```

## Use instead
```sql
-- the key is stored by the deploy, e.g. with Supabase Vault: SELECT vault.create_secret(:'github_token', 'github_token');
INSERT INTO integrations (provider) VALUES ('github');
```

## Options
- `public-jwt-roles` (list, default `["anon"]`): JWTs whose `role` claim is one of these
  are public by design (Supabase's anon key ships in every client) and not reported.
- `dev-seeds` (list of gitignore-style patterns), `check-dev-seeds` (bool, default
  `true` for this rule: a provider key is live wherever it is): see `plaintext-password`.
- `allow` (list of regular expressions): values that fully match one are not reported.

## References
- detect-secrets: https://github.com/Yelp/detect-secrets
- GitHub, "About secret scanning": https://docs.github.com/en/code-security/secret-scanning/about-secret-scanning
- Supabase, "API keys": https://supabase.com/docs/guides/api/api-keys
- RFC 7519, JSON Web Token: https://www.rfc-editor.org/rfc/rfc7519
"""

from linter import sensitive

ID = "secret-key-in-migration"
FAMILY = "secrets"
SCOPE = "file"
DEFAULT_LEVEL = "error"
OPTIONS = {**sensitive.COMMON_OPTIONS, "public-jwt-roles": list}
DEFAULTS = {**sensitive.COMMON_DEFAULTS, "check-dev-seeds": True, "public-jwt-roles": ["anon"]}
ALIASES = ()

HELP = (
    "Revoke and rotate this credential now: it is in the repository history. Then give it to the "
    "database at deploy time (a psql variable, Supabase Vault, the environment), not in the migration."
)


def check(ctx, options):
    public = set(options.get("public-jwt-roles") or ())

    def keep(hit):
        return not (public and dict(hit.extra).get("role") in public)

    yield from sensitive.violations(ctx, ID, options, HELP, keep)
