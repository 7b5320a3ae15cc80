"""Cloud and SaaS key formats, found by Yelp's detect-secrets plugins.

detect-secrets (https://github.com/Yelp/detect-secrets) keeps a plugin per key format
(AWS, GitHub, GitLab, Slack, Stripe, SendGrid, OpenAI, private key blocks …). miglint
runs the regex plugins listed in :data:`PLUGINS` on candidate strings only and adds a few
formats detect-secrets does not have (:data:`EXTRA_FORMATS`: Google API keys, GitHub
fine-grained tokens, npm tokens, Anthropic and Supabase secret keys).

Importing detect-secrets costs ~50 ms (it would be ~150 ms, but it imports ``requests``
only to verify keys online, which miglint never does, so ``requests`` is kept out of that
import; see :func:`_plugins`). So it is imported lazily, the first time a file holds a
candidate: a match of :data:`CANDIDATE`, a cheap regular expression of the formats'
fixed prefixes. Most migration files have none and never pay for it.
"""

from __future__ import annotations

import importlib
import re

from linter.sensitive._lazy import lazy
import sys
import types
from functools import lru_cache

#: detect-secrets plugin module -> class, and the name miglint gives its findings.
PLUGINS: tuple[tuple[str, str, str], ...] = (
    ("aws", "AWSKeyDetector", "AWS access key ID"),
    ("github_token", "GitHubTokenDetector", "GitHub token"),
    ("gitlab_token", "GitLabTokenDetector", "GitLab token"),
    ("slack", "SlackDetector", "Slack token"),
    ("stripe", "StripeDetector", "Stripe live secret key"),
    ("sendgrid", "SendGridDetector", "SendGrid API key"),
    ("twilio", "TwilioKeyDetector", "Twilio API key"),
    ("openai", "OpenAIDetector", "OpenAI API key"),
    ("pypi_token", "PypiTokenDetector", "PyPI token"),
    ("private_key", "PrivateKeyDetector", "private key block"),
    ("discord", "DiscordBotTokenDetector", "Discord bot token"),
    ("telegram_token", "TelegramBotTokenDetector", "Telegram bot token"),
    ("mailchimp", "MailchimpDetector", "Mailchimp API key"),
    ("square_oauth", "SquareOAuthDetector", "Square OAuth secret"),
    ("azure_storage_key", "AzureStorageKeyDetector", "Azure storage account key"),
)

#: Formats detect-secrets 1.5 does not know: (label, regex).
EXTRA_FORMATS: tuple[tuple[str, re.Pattern], ...] = (
    ("Google API key", lazy(r"AIza[0-9A-Za-z_-]{35}")),
    ("GitHub fine-grained token", lazy(r"github_pat_[0-9A-Za-z_]{82}")),
    ("npm token", lazy(r"npm_[A-Za-z0-9]{36}")),
    ("Anthropic API key", lazy(r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}")),
    ("Supabase secret key", lazy(r"sb_secret_[A-Za-z0-9_-]{20,}")),
    ("Stripe restricted live key", lazy(r"rk_live_[0-9a-zA-Z]{24,}")),
    ("Stripe live secret key", lazy(r"sk_live_[0-9a-zA-Z]{24,}")),
)

#: Cheap first pass over a file's text: the fixed parts of every format above.
CANDIDATE = lazy(
    r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9_]{36}|github_pat_"
    r"|gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-|GR1348941"
    r"|xox[abposr]-|hooks\.slack\.com/services/"
    r"|[rs]k_live_|SG\.[\w-]{22}\.|\b(?:AC|SK)[a-z0-9]{32}\b"
    r"|sk-[A-Za-z0-9_-]*T3BlbkFJ|sk-ant-|pypi-AgE"
    r"|PRIVATE KEY|PuTTY-User-Key-File"
    r"|\b[MNO][\w-]{23,25}\.[\w-]{6}\.[\w-]{27}|\b\d{8,10}:[\w-]{35}"
    r"|[0-9a-z]{32}-us\d|sq0csp-|AccountKey="
    r"|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|sb_secret_"
)

#: The formats searched for in the whole text of every file (comments, function bodies,
#: COPY data, files that do not parse). Each regex starts with a literal, which Python's
#: ``re`` finds fast (~4 ms per pass over the 5.8 MB corpus; one alternation of all of them
#: costs 20 times more), and is not run on a text that lacks a character of its ``needs``
#: (the second item: characters of the literal that most files lack). The other formats
#: are looked for in string literals only.
FULL_TEXT = tuple(
    lazy(rx, 0, needs)
    for rx, needs in (
        (r"A(?:KIA|SIA|Iza)[0-9A-Za-z_-]{16}", ""),
        (r"g(?:h[pousr]_|ithub_pat_|lpat-)[0-9A-Za-z_-]{20}", ""),
        (r"k_live_[0-9a-zA-Z]{24}", "kv_"),
        (r"sk-[A-Za-z0-9_-]{20}", "k-"),
        (r"xox[abposr]-[0-9A-Za-z-]{10}", "x-"),
        (r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+", "/:k"),
        (r"AccountKey=[A-Za-z0-9+/=]{88}", "K="),
    )
)
_TOKEN = lazy(r"[A-Za-z0-9_\-.:+/=]*")
_PRIVATE_BLOCK = lazy(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END[A-Z0-9 ]*-----|\Z)|PuTTY-User-Key-File-\d[^\n]*", re.S)


class _NoRequests(types.ModuleType):
    """Stands in for ``requests`` while detect-secrets is imported (see :func:`_plugins`)."""

    def __getattr__(self, name: str):
        raise AttributeError(f"miglint never verifies secrets online (requests.{name})")


@lru_cache(maxsize=1)
def _plugins() -> tuple:
    """``((plugin instance, label), ...)``, imported on first use.

    detect-secrets' plugin modules ``import requests`` at the top only to verify keys
    online. When ``requests`` is not imported yet, a stand-in module is put in
    ``sys.modules`` for the duration of the import and removed after it, so the real
    ``requests`` (and urllib3, http.client, ~90 ms) is not imported; anything else that
    imports ``requests`` later gets the real one.
    """
    stub = None
    if "requests" not in sys.modules:
        stub = sys.modules["requests"] = _NoRequests("requests")
    try:
        out = []
        for mod, cls, label in PLUGINS:
            module = importlib.import_module(f"detect_secrets.plugins.{mod}")
            out.append((getattr(module, cls)(), label))
        return tuple(out)
    finally:
        if stub is not None and sys.modules.get("requests") is stub:
            del sys.modules["requests"]


def find_keys(text: str):
    """``(start, end, label, key)`` for each provider key found in the whole ``text``.

    Private key blocks are found whole (``-----BEGIN … PRIVATE KEY-----`` to ``-----END
    …-----``); other keys where a :data:`FULL_TEXT` regex matches, on the run of token
    characters around the match, confirmed and named by :func:`classify`. ``key`` is the
    key itself (for placeholder checks; never shown).
    """
    if "K" in text and "PRIVATE KEY" in text:  # a one-character search (memchr) first
        for m in _PRIVATE_BLOCK.finditer(text):
            yield m.start(), m.end(), "private key block", m.group()
    seen: set[int] = set()
    for rx in FULL_TEXT:
        for m in rx.finditer(text):
            start = m.start()
            while start > 0 and _TOKEN.fullmatch(text[start - 1]) and text[start - 1] not in ".:=/":
                start -= 1
            end = _TOKEN.match(text, m.end()).end()
            found = classify(text[start:end])
            if found is not None:
                label, key = found
                at = max(text.find(key, start, end), start)
                if at in seen:
                    continue
                seen.add(at)
                yield at, at + len(key), label, key


def find_in_value(value: str):
    """``(label, key)`` if ``value`` (a string literal) holds a key of any known format."""
    if len(value) < 20 or not CANDIDATE.search(value):
        return None
    return classify(value)


@lru_cache(maxsize=1024)
def classify(token: str) -> tuple[str, str] | None:
    """``(label, key)``: the provider and the key inside ``token``, or ``None``."""
    for label, rx in EXTRA_FORMATS:
        m = rx.search(token)
        if m:
            return label, m.group()
    for plugin, label in _plugins():
        if label == "private key block":
            continue
        for rx in plugin.denylist:
            m = rx.search(token)
            if m is None:
                continue
            # a group holds the key where the regex matches context around it (AWS's
            # "aws … key = '…'"); short groups are prefixes ("ghp" of a GitHub token)
            secret = m.group(1) if m.re.groups and m.group(1) and len(m.group(1)) > 8 else m.group(0)
            if secret.startswith("https://hooks.slack.com/"):
                label = "Slack webhook URL"
            return label, secret
    return None
