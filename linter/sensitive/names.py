"""What a name says about the value next to it: column, JSON key, option or setting names.

A literal is judged by the name it is stored under (``INSERT INTO users (password) …``,
``OPTIONS (password '…')``, ``SET app.jwt_secret = '…'``, ``{"api_key": "…"}``). Names are
split into lower-case words (``encryptedPassword`` -> ``encrypted password``,
``app.jwt_secret`` -> ``app jwt secret``) and classified:

* ``"password"``: a password, stored in plain text or as a hash (``password``, ``passwd``,
  ``pwd``, ``passphrase``, ``encrypted_password``, ``password_hash``);
* ``"secret"``: some other credential (``api_key``, ``client_secret``, ``access_token``,
  ``private_key``, ``signing_key``, ``webhook_secret``, ``credentials``);
* ``None``: anything else, including names *about* a secret rather than holding one:
  ``password_changed_at``, ``token_type``, ``api_key_id``, ``secret_name``,
  ``password_reset_required``, ``public_key``, ``token_hash``.
"""

from __future__ import annotations

from linter.sensitive._lazy import lazy
from functools import lru_cache

_SPLIT = lazy(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")

PASSWORD_WORDS = frozenset({"password", "passwd", "passwort", "pwd", "passphrase", "pass", "pw", "passcode"})
#: words that make a name a credential on their own
SECRET_WORDS = frozenset({
    "secret", "secrets", "token", "tokens", "apikey", "apikeys", "credential", "credentials", "creds",
    "privatekey", "secretkey", "accesskey", "authtoken", "accesstoken", "refreshtoken", "bearer", "jwt",
    "sharedsecret", "clientsecret", "appsecret", "webhooksecret", "signingkey", "encryptionkey",
})
#: "X key" and "X token" pairs that are credentials (``api_key``, ``private_key``)
KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "signing", "sign", "encryption", "encrypt", "master", "auth",
    "hmac", "service", "session", "webhook", "client", "consumer", "aes", "crypto", "cipher", "jwt",
    "app", "application", "license", "licence", "bot", "deploy", "admin", "root", "ssh", "stripe", "aws",
    "sendgrid", "twilio", "mailgun", "slack", "github", "gitlab", "openai", "supabase", "google", "smtp", "role",
})
#: last words that make a name *about* a secret, not the secret
NOT_SECRET_LAST = frozenset({
    "id", "ids", "uuid", "name", "names", "type", "types", "kind", "at", "on", "date", "time", "ts",
    "timestamp", "count", "counter", "expires", "expiry", "expiration", "expire", "ttl", "hint", "hints",
    "length", "len", "policy", "policies", "required", "enabled", "disabled", "url", "uri", "endpoint",
    "version", "prefix", "suffix", "last4", "last", "label", "description", "desc", "comment", "scope",
    "scopes", "status", "state", "format", "algorithm", "alg", "fingerprint", "hash", "hashed", "digest",
    "sha", "sha256", "salt", "iv", "nonce", "path", "file", "filename", "location", "ref", "reference",
    "vault", "provider", "source", "field", "column", "min", "max", "strength", "score", "rules", "rule",
    "set", "changed", "updated", "created", "reset", "attempts", "tries", "retries", "lifetime", "duration",
    "mode", "method", "methods", "flag", "flags", "is", "has", "allowed", "needed", "issued", "used",
    "usage", "owner", "username", "kid", "env", "var", "variable", "header", "param",
    "template", "pattern", "regex", "mask", "masked", "preview", "display", "visible", "public",
})
#: words that make the whole name about something public
NOT_SECRET_ANY = frozenset({"public", "publishable", "pubkey", "publickey", "idempotency", "cache", "sort", "partition", "foreign", "primary", "unique", "i18n", "translation"})


def words(name: str) -> tuple[str, ...]:
    """``"encryptedPassword"`` -> ``("encrypted", "password")``; ``"app.jwt_secret"`` -> ``("app", "jwt", "secret")``."""
    return tuple(w.lower() for w in _SPLIT.split(name) if w)


@lru_cache(maxsize=4096)
def classify(name: str | None) -> str | None:
    """``"password"``, ``"secret"`` or ``None`` for a column, key, option or setting name."""
    if not name:
        return None
    ws = words(name)
    if not ws:
        return None
    last = ws[-1]
    if last in NOT_SECRET_LAST and last not in _HASH_WORDS:
        return None
    if any(w in NOT_SECRET_ANY for w in ws) or ws[0] in _PREDICATE_WORDS:
        return None
    has_password = any(w in PASSWORD_WORDS or w.startswith("password") or w.endswith("password") for w in ws)
    if has_password and last not in ("token", "key", "secret", "salt"):
        return "password"  # password, password_hash, encrypted_password
    if last in _HASH_WORDS:
        return None  # token_hash, api_key_digest: a hash of a secret is not the secret
    if has_password or any(w in SECRET_WORDS for w in ws):
        return "secret"
    for a, b in zip(ws, ws[1:]):
        if b in ("key", "token", "secret") and a in KEY_QUALIFIERS:
            return "secret"
    joined = "".join(ws)
    if any(s in joined for s in _SECRET_JOINED):
        return "secret"
    return None


_HASH_WORDS = frozenset({"hash", "hashed", "digest", "sha", "sha256", "salt", "fingerprint"})
_PREDICATE_WORDS = frozenset({"is", "has", "must", "should", "require", "requires", "allow", "can", "use", "num", "n", "show", "hide"})
_SECRET_JOINED = ("apikey", "privatekey", "secretkey", "accesskey", "clientsecret", "accesstoken", "refreshtoken", "authtoken")


def is_hash_column(name: str | None) -> bool:
    """True for password columns meant to hold a hash (``password_hash``, ``encrypted_password``)."""
    if not name:
        return False
    ws = set(words(name))
    return bool(ws & {"hash", "hashed", "digest", "encrypted", "crypted", "bcrypt", "enc", "crypt"})


def is_password_setting(name: str | None) -> bool:
    """True for libpq/FDW option names that hold a password (``password``, ``passfile`` is not)."""
    return classify(name) == "password"
