"""Whose comment is this: miglint's own identity on GitHub, and the one test of "ours".

On a public repository anyone may comment, and anyone can copy miglint's hidden markers
(``<!-- miglint:summary -->``, ``<!-- miglint:finding … -->``) into a comment of their own;
a token with write access may edit or delete any comment of the repository. So a marker
alone proves nothing: a comment is miglint's only when **its author is the identity miglint
posts as and its body begins with a miglint marker** (:meth:`Identity.ours`). Every lookup
that leads to an edit, a deletion, a count or a decision (the sticky summary, duplicate
summaries, the review comments that say a finding was already commented or is now fixed)
goes through it; anyone else's comment is never edited, deleted, counted or trusted,
whatever it contains. The same stance as squawk's action, which edits its sticky comment
only when ``user.login`` is its bot.

The identity, in order of precedence:

1. **Learned**: the ``user`` object GitHub returns for miglint's own first ``POST`` of the
   run (a review, a comment): the login and numeric id the token really posts as. From then
   on the id is compared (logins can be renamed, ids cannot).
2. **Configured**: the ``bot-login`` input (``--bot-login``), for a GitHub App installation
   token or a personal token, which post as ``<app-slug>[bot]`` or the user.
3. **Default**: ``github-actions[bot]``, the author of everything the workflow
   ``GITHUB_TOKEN`` posts (GitHub docs, "Automatic token authentication"; user id 41898282).

A run that learns an identity other than the configured one says so once in the log, with
the ``bot-login`` value to set: until it is set, later runs do not recognise these comments
(they post a new summary rather than edit one they cannot prove is theirs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

#: Who a workflow's ``GITHUB_TOKEN`` posts as.
DEFAULT_LOGIN = "github-actions[bot]"
#: What every miglint marker begins with (the summary and the review comments' markers).
MARKER_PREFIX = "<!-- miglint:"


@dataclass
class Identity:
    """The account miglint's comments are authored by.

    ``login``: GitHub login, compared case-insensitively (GitHub logins are); ``id``: the
    numeric user id once learned from a response (then compared instead of the login);
    ``source``: ``"default"``, ``"input bot-login"`` or ``"learned"``."""

    login: str = DEFAULT_LOGIN
    id: int | None = None
    source: str = "default"
    #: Where :func:`own` says that it left comments with a marker by someone else alone
    #: (a log function; ``None``: silent). Each author is named once per run.
    log: Callable[[str], None] | None = field(default=None, repr=False, compare=False)
    _named: set = field(default_factory=set, repr=False, compare=False)

    @classmethod
    def configured(cls, login: str | None) -> "Identity":
        """The identity for a run: the ``bot-login`` input when given, else the default.
        Raises ``ValueError`` for a value that cannot be a GitHub login."""
        login = (login or "").strip().lstrip("@")
        if not login:
            return cls()
        if len(login) > 100 or any(ch.isspace() or ch in "<>/\\\"'`" for ch in login):
            raise ValueError(f"input bot-login: not a GitHub login: {login!r}")
        return cls(login, None, "input bot-login")

    def authored(self, item: Any) -> bool:
        """Whether the comment ``item`` (an API object) was written by this identity."""
        user = item.get("user") if isinstance(item, dict) else None
        if not isinstance(user, dict):
            return False
        uid = user.get("id")
        if self.id is not None and isinstance(uid, int) and not isinstance(uid, bool):
            return uid == self.id
        login = user.get("login")
        return isinstance(login, str) and login.lower() == self.login.lower()

    def ours(self, item: Any, marker: str = MARKER_PREFIX) -> bool:
        """miglint's own comment: authored by this identity AND its body begins with
        ``marker`` (after leading white space). A marker elsewhere in a body, or a marker in
        anyone else's comment, does not count."""
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            return False
        body = item.get("body")
        return isinstance(body, str) and body.lstrip().startswith(marker) and self.authored(item)

    def learn(self, data: Any, log: Callable[[str], None] | None = None) -> None:
        """Take the author of a response to miglint's own ``POST`` (``data["user"]``) as the
        identity; log once when it is not the configured one."""
        user = data.get("user") if isinstance(data, dict) else None
        if not isinstance(user, dict):
            return
        login, uid = user.get("login"), user.get("id")
        if not isinstance(login, str) or not login:
            return
        uid = uid if isinstance(uid, int) and not isinstance(uid, bool) else None
        if self.source == "learned":
            return
        if login.lower() != self.login.lower() and log is not None:
            log(
                f"comments are posted as {login}, not {self.login}: set the action input `bot-login: {login}` "
                "so that later runs recognise them (until then they are left alone and a new summary is posted)"
            )
        self.login, self.id, self.source = login, uid, "learned"


def own(items: Any, identity: Identity, marker: str = MARKER_PREFIX) -> list[dict]:
    """The comments among ``items`` (a list of API objects) that are miglint's own, in order.
    Comments by anyone else that begin with ``marker`` are left out, and named once per
    author in ``identity.log`` (a bot among them may be miglint itself under a login it was
    not told: the line says to set ``bot-login``)."""
    if not isinstance(items, list):
        return []
    mine, foreign = [], {}
    for item in items:
        if identity.ours(item, marker):
            mine.append(item)
        elif isinstance(item, dict) and isinstance(item.get("body"), str) and item["body"].lstrip().startswith(marker):
            user = item.get("user") if isinstance(item.get("user"), dict) else {}
            login = user.get("login") if isinstance(user.get("login"), str) else "?"
            foreign.setdefault((login, user.get("type") == "Bot"), []).append(item)
    for (login, bot), found in foreign.items():
        if identity.log is None or login in identity._named:
            continue
        identity._named.add(login)
        n = len(found)
        hint = f"; if miglint posts as {login}, set the action input `bot-login: {login}`" if bot else ""
        identity.log(
            f"{n} comment{'s' if n != 1 else ''} by {login!r} carr{'y' if n != 1 else 'ies'} miglint's marker and "
            f"{'were' if n != 1 else 'was'} left alone (miglint only edits its own comments, by {identity.login}){hint}"
        )
    return mine
