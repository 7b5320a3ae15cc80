"""A small GitHub REST client: HTTP only, no knowledge of miglint.

What it does, and where each behaviour comes from:

* Base URL from ``GITHUB_API_URL`` (``https://api.github.com``; GitHub Enterprise Server:
  ``https://HOST/api/v3``), never hard-coded, so GHES and the test mocks work by that alone.
* Headers: ``Accept: application/vnd.github+json`` (with ``application/json`` as a lower
  alternative: see :data:`ACCEPT`) and ``X-GitHub-Api-Version: 2022-11-28``
  (GitHub's "Getting started with the REST API"), ``Authorization: Bearer <token>``.
* **Timeouts** on every request: ``(connect, read)`` seconds, default ``(10, 30)``.
* **5xx and connection errors**: retried by urllib3's :class:`~urllib3.util.Retry` mounted on
  the requests session (3 tries, exponential backoff from 0.5 s, capped at 8 s; every method,
  since a lost review is worse than the small chance of a duplicate, which the next run's
  marker search reconciles for the summary comment).
* **Rate limits** (GitHub docs, "Best practices for using the REST API"): a 403 or 429 with
  ``retry-after`` waits that many seconds; with ``x-ratelimit-remaining: 0`` it waits until
  ``x-ratelimit-reset``; a 429, or a 403 whose message says "secondary rate limit", without
  either header waits 60 s, doubling. Waits are bounded: one wait longer than
  ``max_wait`` (default 60 s) is not waited for at all, the request fails instead, and all
  waits of one client together stay under ``total_wait`` (default 180 s). A plain 403
  (a read-only token: "Resource not accessible by integration") is not retried.
* Mutating requests are spaced ``write_interval`` seconds apart (default 1 s) once more than
  a few have been made, as GitHub asks of clients that create much content.
* **Pagination** by the ``Link`` header's ``rel="next"`` URL, followed only while it points
  at the same scheme, host and port as the API URL (so the token is never sent elsewhere).
* The token is only ever put in the ``Authorization`` header: it is not in any URL, and
  :class:`GitHubError` messages are built from the method, the path and GitHub's
  ``message``, passed through :meth:`GitHubClient.redact` all the same.

Environment knobs (tests use them; users rarely need to): ``MIGLINT_GITHUB_MAX_WAIT``,
``MIGLINT_GITHUB_TOTAL_WAIT``, ``MIGLINT_GITHUB_WRITE_INTERVAL``, ``MIGLINT_GITHUB_TIMEOUT``
(seconds, floats).
"""

from __future__ import annotations

import email.utils
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

API_VERSION = "2022-11-28"
#: GitHub's media type first; plain JSON as an equal-content alternative, which servers that
#: only know the OpenAPI description's ``application/json`` (Prism) need to answer at all.
ACCEPT = "application/vnd.github+json, application/json;q=0.9"
DEFAULT_API_URL = "https://api.github.com"
#: mutating requests made before ``write_interval`` spacing starts
WRITES_BEFORE_SPACING = 3
_MUTATING = {"POST", "PATCH", "PUT", "DELETE"}


class GitHubError(Exception):
    """A request that failed for good: ``status`` (``None`` for network errors), ``method``,
    ``path`` and GitHub's ``message``. The text never holds the token."""

    def __init__(self, method: str, path: str, status: int | None, message: str, *, rate_limited: bool = False):
        self.method, self.path, self.status, self.message = method, path, status, message
        self.rate_limited = rate_limited
        where = f"{method} {path}"
        super().__init__(f"{where}: HTTP {status}: {message}" if status else f"{where}: {message}")

    @property
    def forbidden(self) -> bool:
        """True for a 403 that is not a rate limit (a read-only token, e.g. on a fork PR)."""
        return self.status == 403 and not self.rate_limited


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


@dataclass
class Page:
    """One response: decoded JSON ``data``, ``status`` and response headers."""

    data: Any
    status: int
    headers: dict[str, str]


class GitHubClient:
    """``request``/``get``/``paginate`` against one GitHub API base URL with one token."""

    def __init__(
        self,
        api_url: str | None,
        token: str | None,
        *,
        timeout: tuple[float, float] | None = None,
        max_wait: float | None = None,
        total_wait: float | None = None,
        write_interval: float | None = None,
        rate_limit_retries: int = 3,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "miglint",
    ) -> None:
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self._token = token or ""
        read = _env_float("MIGLINT_GITHUB_TIMEOUT", 30.0)
        self.timeout = timeout or (min(10.0, read), read)
        self.max_wait = max_wait if max_wait is not None else _env_float("MIGLINT_GITHUB_MAX_WAIT", 60.0)
        self.total_wait = total_wait if total_wait is not None else _env_float("MIGLINT_GITHUB_TOTAL_WAIT", 180.0)
        self.write_interval = write_interval if write_interval is not None else _env_float("MIGLINT_GITHUB_WRITE_INTERVAL", 1.0)
        self.rate_limit_retries = rate_limit_retries
        self._log = log or (lambda msg: None)
        self._sleep = sleep
        self.waited = 0.0
        self.writes = 0
        self._last_write = 0.0
        self.session = requests.Session()
        retry = Retry(
            total=3,
            connect=3,
            read=2,
            status=3,
            backoff_factor=0.5,
            backoff_max=8,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=None,  # every method, POST and PATCH included
            raise_on_status=False,
            respect_retry_after_header=False,  # 429/403 waits are ours, and bounded
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "Accept": ACCEPT,
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": user_agent,
            }
        )
        if self._token:
            self.session.headers["Authorization"] = f"Bearer {self._token}"
        self.session.trust_env = False  # no .netrc credentials or proxies picked up behind our back

    # ----------------------------------------------------------------- helpers

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    def redact(self, text: str) -> str:
        """``text`` with the token (if any) replaced by ``***``."""
        return text.replace(self._token, "***") if self._token else text

    def url(self, path: str) -> str:
        """The absolute URL of an API path (``/repos/o/r/...``), or ``path`` if already absolute."""
        if path.startswith(("http://", "https://")):
            return path
        return self.api_url + ("" if path.startswith("/") else "/") + path

    def _same_origin(self, url: str) -> bool:
        a, b = urlsplit(self.api_url), urlsplit(url)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)

    def _display(self, url: str) -> str:
        """A URL as shown in logs and errors: the path below the API URL."""
        return url[len(self.api_url):] if url.startswith(self.api_url) else urlsplit(url).path

    # ----------------------------------------------------------------- requests

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> Page:
        """Send one request (with the retries described in the module docstring) and return
        the decoded response; :class:`GitHubError` if it still fails."""
        method = method.upper()
        url = self.url(path)
        shown = self._display(url)
        if not self._same_origin(url):
            raise GitHubError(method, shown, None, "refusing to send the token to another host")
        for attempt in range(self.rate_limit_retries + 1):
            self._space_writes(method)
            try:
                resp = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
            except requests.RequestException as exc:
                raise GitHubError(method, shown, None, self.redact(_exc_text(exc))) from None
            if resp.status_code < 400:
                return Page(_decode(resp), resp.status_code, dict(resp.headers))
            message = self.redact(_message(resp))
            wait = self._rate_limit_wait(resp, message, attempt)
            limited = wait is not None
            if wait is None or attempt == self.rate_limit_retries:
                raise GitHubError(method, shown, resp.status_code, message, rate_limited=limited)
            if wait > self.max_wait or self.waited + wait > self.total_wait:
                raise GitHubError(
                    method, shown, resp.status_code, f"{message} (rate limited; GitHub asked for a {wait:.0f} s wait, more than miglint waits)", rate_limited=True
                )
            self._log(f"GitHub rate limit on {method} {shown} (HTTP {resp.status_code}); waiting {wait:.0f} s before retrying")
            self.waited += wait
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, params: dict | None = None) -> Any:
        """GET ``path`` and return its JSON."""
        return self.request("GET", path, params=params).data

    def paginate(self, path: str, params: dict | None = None, *, max_items: int | None = None) -> Iterator[Any]:
        """Yield the items of a list endpoint, page after page (``per_page=100``), following
        ``Link: rel="next"`` on the same origin only, up to ``max_items``."""
        params = {"per_page": 100, **(params or {})}
        url: str | None = self.url(path)
        count = 0
        while url:
            page = self.request("GET", url, params=params)
            params = None  # the next URL carries its own query
            items = page.data if isinstance(page.data, list) else []
            for item in items:
                yield item
                count += 1
                if max_items is not None and count >= max_items:
                    return
            nxt = _next_link(page.headers.get("Link") or page.headers.get("link") or "")
            if nxt and not self._same_origin(nxt):
                self._log(f"not following a pagination link to another host ({urlsplit(nxt).netloc}); using the pages read so far")
                nxt = None
            if not items:
                nxt = None
            url = nxt

    def _space_writes(self, method: str) -> None:
        if method not in _MUTATING:
            return
        self.writes += 1
        if self.writes > WRITES_BEFORE_SPACING and self.write_interval > 0:
            gap = self._last_write + self.write_interval - time.monotonic()
            if gap > 0:
                self._sleep(gap)
        self._last_write = time.monotonic()

    def _rate_limit_wait(self, resp: requests.Response, message: str, attempt: int) -> float | None:
        """Seconds to wait before retrying a rate-limited response, or ``None`` if it is not one."""
        if resp.status_code not in (403, 429):
            return None
        retry_after = resp.headers.get("retry-after")
        if retry_after:
            seconds = _retry_after_seconds(retry_after)
            if seconds is not None:
                return max(0.0, seconds)
        if resp.headers.get("x-ratelimit-remaining") == "0":
            try:
                reset = float(resp.headers.get("x-ratelimit-reset", ""))
            except ValueError:
                return 60.0
            return max(1.0, reset - time.time() + 1)
        if resp.status_code == 429 or "rate limit" in message.lower():
            return 60.0 * (2**attempt)
        return None


def _retry_after_seconds(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        section = part.split(";")
        if len(section) < 2:
            continue
        url = section[0].strip()
        if not (url.startswith("<") and url.endswith(">")):
            continue
        for attr in section[1:]:
            key, _, value = attr.strip().partition("=")
            if key.strip() == "rel" and "next" in value.strip().strip('"').split():
                return url[1:-1]
    return None


def _decode(resp: requests.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def _message(resp: requests.Response) -> str:
    data = _decode(resp)
    if isinstance(data, dict):
        msg = str(data.get("message") or "")
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            detail = "; ".join(str(e.get("message", e) if isinstance(e, dict) else e) for e in errors[:5])
            msg = f"{msg} ({detail})" if msg else detail
        if msg:
            return msg[:500]
    return (resp.reason or "error")[:200]


def _exc_text(exc: Exception) -> str:
    name = type(exc).__name__
    if isinstance(exc, requests.Timeout):
        return f"timed out ({name})"
    if isinstance(exc, requests.ConnectionError):
        return f"could not connect ({name})"
    return name
