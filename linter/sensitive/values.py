"""What a value is: a placeholder, a password hash, a JWT, a connection string, random.

Pure functions over one string; nothing here knows SQL. The provider key formats (AWS,
GitHub, Stripe …) are in :mod:`linter.sensitive.keys`, on top of detect-secrets.
"""

from __future__ import annotations

import json
import math
import re

from linter.sensitive._lazy import lazy
from collections import Counter
from functools import lru_cache


# --------------------------------------------------------------------------- placeholders

#: Values that stand for a secret rather than being one (compared lower-case, without
#: punctuation): ``changeme``, ``password``, ``secret``, ``xxx`` …
PLACEHOLDER_WORDS = frozenset({
    "changeme", "changeit", "changethis", "change", "password", "passwd", "pass", "pwd", "secret",
    "secrets", "token", "apikey", "key", "privatekey", "clientsecret", "accesstoken", "todo", "tbd",
    "fixme", "replaceme", "replace", "placeholder", "example", "sample", "dummy", "redacted", "removed",
    "hidden", "masked", "none", "null", "nil", "undefined", "empty", "default", "notset", "unset",
    "test", "testing", "foo", "bar", "foobar", "baz", "qux", "xyz", "abc", "yourpassword",
    "yoursecret", "yourtoken", "yourapikey", "mypassword", "mysecret", "secretkey", "setme", "fill",
    "filled", "na", "n", "x", "tba", "ignored", "disabled", "invalid", "notused", "unused", "blank",
    "star", "stars", "asterisks",
})
_TEMPLATE = lazy(
    r"""\$\{[^}]*\}|\{\{.*?\}\}|\{%.*?%\}|<[^<>\s][^<>]*>|%\([\w.]+\)[sd]|%[sd]\b|^\$\d+$|^\$[A-Z_][A-Z0-9_]{2,}$|^:['"]?\w+['"]?$|^__\w+__$|^\{\w+\}$|^\[\w+\]$|\$\(\w+\)|@@\w+@@|#\{[^}]*\}"""
)
_FILLER = lazy(r"(?i)(x{4,}|\*{3,}|\.{3}|…|_{4,}|#{4,}|0{8,}|example|placeholder|changeme|change[-_ ]?me|replace[-_ ]?me|your[-_ ]|dummy|redacted|\bfake\b|fake[-_]|not[-_ ]?a[-_ ]?real|lorem)")
_REPEAT = lazy(r"^(.)\1*$|^(..)\2+$|^(...)\3+$")


def is_placeholder(value: str, extra: tuple[str, ...] = ()) -> bool:
    """True when ``value`` stands for a secret instead of being one.

    Empty or blank values; the words in :data:`PLACEHOLDER_WORDS` (``changeme``,
    ``password``, ``secret``, ``xxx``…); templates (``${VAR}``, ``{{ var }}``, ``<token>``,
    ``%(pw)s``, ``$1``, psql ``:'var'``, ``__VAR__``); fillers (``xxxx``, ``****``, ``...``,
    ``your-api-key``, ``example``, ``dummy``, ``redacted``, ``fake-…``); one character or
    one short chunk repeated (``aaaaaaaa``, ``abab``); AWS's documentation keys
    (``…EXAMPLE``, ``…EXAMPLEKEY``). ``extra``: regular expressions (rule option
    ``allow``) that mark more values as placeholders (full match).
    """
    v = value.strip()
    if len(v) < 3:
        return True
    low = re.sub(r"[^a-z0-9]", "", v.lower())
    if not low or low in PLACEHOLDER_WORDS:
        return True
    if low.rstrip("0123456789") in PLACEHOLDER_WORDS and len(low) - len(low.rstrip("0123456789")) <= 1:
        return True  # "password1", "secret2" are placeholders; "password123" is a (weak) password
    if _REPEAT.match(v) or _TEMPLATE.search(v) or _FILLER.search(v):
        return True
    if v.endswith(("EXAMPLE", "EXAMPLEKEY")):
        return True
    for rx in extra:
        if _compiled(rx).fullmatch(v):
            return True
    return False


@lru_cache(maxsize=256)
def _compiled(rx: str) -> re.Pattern:
    return lazy(rx)


# --------------------------------------------------------------------------- password hashes

#: (label, regular expression) of password hash formats, tried in order (full match).
HASH_FORMATS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (label, lazy(rx))
    for label, rx in (
        ("bcrypt", r"\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}"),
        ("argon2", r"\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"),
        ("scrypt", r"\$(?:scrypt|7)\$[./A-Za-z0-9$=+,:-]{20,}"),
        ("yescrypt", r"\$y\$[./A-Za-z0-9]+\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{20,}"),
        ("SHA-512 crypt", r"\$6\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{86}"),
        ("SHA-256 crypt", r"\$5\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43}"),
        ("MD5 crypt", r"\$1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}"),
        ("PBKDF2", r"(?:\$pbkdf2(?:-sha\d+)?\$\d+\$[./A-Za-z0-9+=]+\$[./A-Za-z0-9+=]+|pbkdf2_sha\d+\$\d+\$[^$\s]+\$[A-Za-z0-9+/=]{20,}|pbkdf2:sha\d+(?::\d+)?\$[^$\s]+\$[0-9a-f]{40,})"),
        ("scrypt", r"scrypt:\d+:\d+:\d+\$[^$\s]+\$[0-9a-f]{64,}"),
        ("PostgreSQL SCRAM-SHA-256 verifier", r"SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+"),
        ("PostgreSQL MD5 role hash", r"md5[0-9a-f]{32}"),
    )
)
#: unsalted hex digests, only judged as password hashes in a password column
_HEX_DIGEST = lazy(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128}")
_DIGEST_NAMES = {32: "unsalted MD5 digest", 40: "unsalted SHA-1 digest", 64: "unsalted SHA-256 digest", 128: "unsalted SHA-512 digest"}


def hash_format(value: str, *, password_column: bool = False) -> str | None:
    """The password hash format ``value`` is in (``"bcrypt"``, ``"argon2"``, ``"PostgreSQL
    MD5 role hash"``…), or ``None``. Plain hex digests count only in a password column."""
    v = value.strip()
    if len(v) < 20:
        return None
    for label, rx in HASH_FORMATS:
        if rx.fullmatch(v):
            return label
    if password_column and _HEX_DIGEST.fullmatch(v):
        return _DIGEST_NAMES[len(v)]
    return None


#: Where a hash of :data:`HASH_FORMATS` may start in any text; each regex begins with a
#: literal (fast). PostgreSQL role hashes (``md5…``, ``SCRAM-SHA-256$…``), Werkzeug's
#: ``scrypt:`` and hex digests are judged in password columns and ``PASSWORD`` clauses.
HASH_SCAN = tuple(
    lazy(rx, 0, needs)
    for rx, needs in (
        (r"\$(?:2[abxy]?\$\d\d\$|argon2|scrypt\$|[15679y]\$)[^\s'\"`,;()]+", "$"),
        (r"pbkdf2[^\s'\"`,;()]+", "2kf"),
    )
)


# --------------------------------------------------------------------------- JWTs

_JWT = lazy(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{0,}", 0, "J.")


def _b64json(part: str) -> dict | None:
    import base64  # here: only a text holding a JWT-like token decodes one

    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def decode_jwt(token: str) -> tuple[dict, dict] | None:
    """``(header, payload)`` of a JWT, decoded without verifying anything; ``None`` if
    ``token`` is not one (three base64url parts, the first two JSON objects, ``alg`` set)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header, payload = _b64json(parts[0]), _b64json(parts[1])
    if header is None or payload is None or "alg" not in header:
        return None
    return header, payload


def jwt_label(header: dict, payload: dict) -> str:
    """A name for a decoded JWT: ``"Supabase service_role JWT"``, ``"JWT (HS256, role admin)"``."""
    iss = str(payload.get("iss", ""))
    role = payload.get("role")
    if iss == "supabase-demo":
        return f"Supabase {role or 'project'} JWT (the default key of local and self-hosted Supabase)"
    if iss.startswith("supabase") or ("ref" in payload and role in ("anon", "service_role")):
        return f"Supabase {role or 'project'} JWT"
    bits = [str(header.get("alg"))]
    if role:
        bits.append(f"role {role}")
    elif payload.get("sub"):
        bits.append("with a subject")
    if iss:
        bits.append(f"issuer {iss[:40]}")
    return f"JWT ({', '.join(bits)})"


def find_jwts(text: str):
    """``(start, end, token)`` of each JWT-shaped run in ``text`` (decode to confirm)."""
    for m in _JWT.finditer(text):
        yield m.start(), m.end(), m.group()


# --------------------------------------------------------------------------- connection strings

#: ``scheme://user:password@host``: the password group is 2
_URL_CREDS = lazy(r"\b([a-z][a-z0-9+.-]{1,20})://([^\s:/?#@'\"]{1,128}):([^\s@/'\"]{1,256})@[^\s'\"]")
#: libpq key/value connection strings (``host=db password=s3cret``)
_KV_PASSWORD = lazy(r"(?:^|(?<=[\s'\"]))password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s'\"]+)", re.I)
_SCHEMES = {
    "postgres": "PostgreSQL", "postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB",
    "mongodb": "MongoDB", "mongodb+srv": "MongoDB", "redis": "Redis", "rediss": "Redis", "amqp": "AMQP",
    "amqps": "AMQP", "mssql": "SQL Server", "sqlserver": "SQL Server", "smtp": "SMTP", "smtps": "SMTP",
    "ftp": "FTP", "sftp": "SFTP", "ldap": "LDAP", "ldaps": "LDAP", "http": "HTTP", "https": "HTTPS",
    "jdbc:postgresql": "JDBC", "clickhouse": "ClickHouse", "nats": "NATS", "kafka": "Kafka",
}


def connection_strings(text: str, lowered: str | None = None):
    """``(start, end, label, password)`` for each URL or libpq string with a password.

    Looks around each ``://`` and each ``password`` (fast substring searches) instead of
    running the regular expressions over the whole text."""
    # one-character searches (memchr) first: a URL needs a "/", a libpq string an "="
    i = text.find("://") if "/" in text else -1
    while i >= 0:
        at = text.find("@", i, i + 400)
        if at >= 0:
            m = _URL_CREDS.search(text, max(0, i - 24), at + 2)
            if m and m.start(2) == i + 3 and not _local_default(m.group(2), m.group(3), text, m.end() - 1):
                scheme = m.group(1).lower()
                label = _SCHEMES.get(scheme, scheme.upper())
                yield m.start(), m.end() - 1, f"{label} connection string with a password", m.group(3)
        i = text.find("://", i + 3)
    if "=" not in text:
        return
    low = text.lower() if lowered is None else lowered
    for word in ("password",):
        i = low.find(word)
        while i >= 0:
            m = _KV_PASSWORD.match(text, i) if len(low) == len(text) else None
            if m:
                around = text[max(0, i - 300) : i + 300]
                if _KV_CONTEXT.search(around):
                    yield m.start(1), m.end(1), "libpq connection string with a password", m.group(1).strip("'")
            i = low.find(word, i + 8)


#: Passwords of local development databases (docker images' defaults), reported only
#: when the host is not the local machine.
LOCAL_DEFAULT_PASSWORDS = frozenset({"postgres", "root", "admin", "mysql", "dev", "development", "local", "test", "docker", "guest", "pass", "password"})
_HOST = lazy(r"[^\s'\"/:?#@]+")


def _local_default(user: str, password: str, text: str, host_at: int) -> bool:
    """True for ``user:user@…`` and for a docker default password on ``localhost``."""
    if password == user:
        return True
    m = _HOST.match(text, host_at)
    host = m.group().lower() if m else ""
    return host in ("localhost", "127.0.0.1", "[::1]", "host.docker.internal", "0.0.0.0") and password.lower() in LOCAL_DEFAULT_PASSWORDS


_KV_CONTEXT = lazy(r"\b(?:host|hostaddr|dbname|user|port)\s*=\s*\S", re.I)


# --------------------------------------------------------------------------- randomness

def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character (detect-secrets' formula)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_TOKEN_CHARS = lazy(r"[A-Za-z0-9+/=_.~:-]+")
_HEX = lazy(r"[0-9a-fA-F]+")
_UUID = lazy(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def looks_random(value: str, min_length: int = 16) -> tuple[bool, float]:
    """``(random?, entropy)``: is ``value`` a machine-made token rather than a word or a name?

    At least ``min_length`` characters of a token alphabet (base64/base64url/hex and
    ``.~:-``), no whitespace; mixing letters and digits; not a UUID; and a Shannon entropy
    near the most its length and alphabet allow: hex needs detect-secrets'
    ``HexHighEntropyString`` limit of 3.0 bits per character (less for short tokens,
    ``0.7 * log2(length)``), one-case base32/base36 tokens of 20 characters or more
    ``0.75 * log2(min(length, 36))``, mixed-case ones ``min(4.5, 0.8 * log2(length))``
    (``Base64HighEntropyString``'s 4.5, scaled down for short tokens, whose entropy cannot
    reach it). The factors keep 95% of random tokens of each alphabet above the line.
    """
    v = value.strip()
    if len(v) < min_length or not _TOKEN_CHARS.fullmatch(v) or _UUID.fullmatch(v):
        return False, 0.0
    e = shannon_entropy(v)
    has_digit = any(c.isdigit() for c in v)
    has_alpha = any(c.isalpha() for c in v)
    if not (has_digit and has_alpha):
        return False, e
    n = len(v)
    if _HEX.fullmatch(v):
        return e >= min(3.0, 0.7 * math.log2(n)), e
    if not (any(c.isupper() for c in v) and any(c.islower() for c in v)):
        return n >= 20 and e >= 0.75 * math.log2(min(n, 36)), e  # one-case base32/base36
    return e >= min(4.5, 0.8 * math.log2(n)), e


# --------------------------------------------------------------------------- preview

def preview(value: str, *, reveal_prefix: bool) -> str:
    """A redacted description of ``value``: ``"AKIA… (20 chars)"`` or ``"9 chars"``.

    At most the first four characters, and only when ``reveal_prefix`` (the prefix is a
    public format marker such as ``AKIA``, ``ghp_``, ``$2b$``, ``eyJh``) and the value is
    at least 16 characters long (so four characters are at most a quarter of it).
    """
    n = len(value)
    if reveal_prefix and n >= 16:
        return f"{value[:4]}… ({n} chars)"
    return f"{n} chars"
