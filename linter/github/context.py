"""The GitHub Actions environment of one ``miglint github`` run, read once.

Sources (``shared/github-api/NOTES.md`` section 1): ``GITHUB_EVENT_PATH`` (the webhook
payload), ``GITHUB_EVENT_NAME``, ``GITHUB_REPOSITORY`` (``owner/repo``), ``GITHUB_API_URL``,
``GITHUB_SHA``, ``GITHUB_REF``, ``GITHUB_WORKSPACE``, ``GITHUB_STEP_SUMMARY``,
``GITHUB_OUTPUT``, the token from the ``github-token`` input or ``GITHUB_TOKEN``, and action
inputs as ``INPUT_<ID>`` with the id upper-cased, spaces as ``_`` and **hyphens kept**
(``INPUT_FAIL-ON``); unset and empty inputs are the same.

For pull requests the PR number, base and head SHAs come from the payload:
``GITHUB_SHA`` is the merge commit of ``refs/pull/N/merge``, not the head the review must
point at.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

PR_EVENTS = ("pull_request", "pull_request_target")


class ContextError(Exception):
    """The environment is not one ``miglint github`` can work in (exit code 2)."""


def input_name(name: str) -> str:
    """The environment variable of action input ``name`` (``fail-on`` -> ``INPUT_FAIL-ON``)."""
    return "INPUT_" + name.replace(" ", "_").upper()


@dataclass
class PullRequest:
    number: int
    head_sha: str
    base_sha: str
    head_repo: str | None
    base_ref: str | None = None
    head_ref: str | None = None

    def is_fork(self, repository: str) -> bool:
        return bool(self.head_repo) and self.head_repo.lower() != repository.lower()


@dataclass
class Push:
    before: str
    after: str
    ref: str
    created: bool
    deleted: bool
    payload_files: dict[str, str] = field(default_factory=dict)  # path -> added/modified/removed


@dataclass
class ActionContext:
    """What the run knows of its environment."""

    event_name: str
    event: dict[str, Any]
    repository: str
    api_url: str
    token: str
    sha: str | None
    ref: str | None
    workspace: str | None
    step_summary: str | None
    output: str | None
    env: Mapping[str, str]
    pull_request: PullRequest | None = None
    push: Push | None = None

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def repo(self) -> str:
        return self.repository.split("/", 1)[1]

    @property
    def repo_path(self) -> str:
        """``/repos/{owner}/{repo}``, each part percent-encoding-safe as GitHub names are."""
        return f"/repos/{self.owner}/{self.repo}"

    @property
    def commit_sha(self) -> str | None:
        """The commit results belong to: the PR head, the pushed commit, else ``GITHUB_SHA``."""
        if self.pull_request:
            return self.pull_request.head_sha
        if self.push and not self.push.deleted:
            return self.push.after
        return self.sha

    def input(self, name: str, default: str = "") -> str:
        """An action input's value, stripped; ``default`` when unset or empty."""
        value = self.env.get(input_name(name), "").strip()
        return value or default


def load(env: Mapping[str, str] | None = None) -> ActionContext:
    """Read the environment; :class:`ContextError` says what is missing."""
    env = os.environ if env is None else env
    event_name = env.get("GITHUB_EVENT_NAME", "").strip()
    event_path = env.get("GITHUB_EVENT_PATH", "").strip()
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    if not event_name or not event_path:
        raise ContextError("GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set: `miglint github` runs in a GitHub Actions job (use `miglint lint` elsewhere)")
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContextError(f"{event_path}: cannot read the event payload ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ContextError(f"{event_path}: the event payload is not JSON ({exc})") from None
    if not isinstance(event, dict):
        raise ContextError(f"{event_path}: the event payload is not a JSON object")
    if not repository:
        repository = str((event.get("repository") or {}).get("full_name") or "")
    if repository.count("/") < 1 or not all(repository.split("/", 1)):
        raise ContextError("GITHUB_REPOSITORY is not set to owner/repo")
    token = env.get(input_name("github-token"), "").strip() or env.get("GITHUB_TOKEN", "").strip()
    ctx = ActionContext(
        event_name=event_name,
        event=event,
        repository=repository,
        api_url=(env.get("GITHUB_API_URL", "").strip() or "https://api.github.com").rstrip("/"),
        token=token,
        sha=env.get("GITHUB_SHA") or None,
        ref=env.get("GITHUB_REF") or None,
        workspace=env.get("GITHUB_WORKSPACE") or None,
        step_summary=env.get("GITHUB_STEP_SUMMARY") or None,
        output=env.get("GITHUB_OUTPUT") or None,
        env=env,
    )
    pr = event.get("pull_request")
    if event_name in PR_EVENTS and isinstance(pr, dict):
        ctx.pull_request = _pull_request(pr, event)
    elif event_name == "push":
        ctx.push = _push(event)
    return ctx


def _pull_request(pr: dict, event: dict) -> PullRequest:
    try:
        number = int(pr.get("number") or event.get("number"))
        head, base = pr["head"], pr["base"]
        head_sha, base_sha = str(head["sha"]), str(base["sha"])
    except (KeyError, TypeError, ValueError):
        raise ContextError("the pull_request payload lacks number, head.sha or base.sha") from None
    head_repo = ((head.get("repo") or {}).get("full_name")) if isinstance(head.get("repo"), dict) else None
    return PullRequest(number, head_sha, base_sha, head_repo, base.get("ref"), head.get("ref"))


def _push(event: dict) -> Push:
    files: dict[str, str] = {}
    for commit in event.get("commits") or []:
        if not isinstance(commit, dict):
            continue
        for kind in ("added", "modified", "removed"):
            for path in commit.get(kind) or []:
                if isinstance(path, str):
                    # a later commit's view wins: added then removed is removed
                    files[path] = "modified" if kind == "added" and files.get(path) == "removed" else kind
    return Push(
        before=str(event.get("before") or ""),
        after=str(event.get("after") or ""),
        ref=str(event.get("ref") or ""),
        created=bool(event.get("created")),
        deleted=bool(event.get("deleted")),
        payload_files=files,
    )
