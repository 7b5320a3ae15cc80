"""Writes to GitHub shared by the publishers: :class:`Outcome` (what was posted, for the
log, the job summary and the tests) and :class:`Writer` (stops after the first 403)."""

from __future__ import annotations

from dataclasses import dataclass, field

from linter.github import context as ctxmod
from linter.github.client import GitHubClient, GitHubError
from linter.github.identity import Identity
from linter.github.log import Log


@dataclass
class Outcome:
    """What the run managed to post, for the log, the job summary and the tests."""

    review_comments: int = 0
    kept: int = 0
    edited: int = 0
    resolved: int = 0
    summary: str | None = None  # "created", "updated"
    check_run: int | None = None
    failures: list[str] = field(default_factory=list)
    read_only: bool = False
    left_out: dict[str, int] = field(default_factory=dict)

    def sentences(self) -> list[str]:
        out = []
        if self.review_comments:
            out.append(f"Posted {self.review_comments} review thread{'s' if self.review_comments != 1 else ''}.")
        if self.edited:
            out.append(f"Updated {self.edited} earlier thread{'s' if self.edited != 1 else ''} whose findings changed.")
        if self.kept:
            out.append(f"{self.kept} thread{'s' if self.kept != 1 else ''} of an earlier run still hold{'' if self.kept != 1 else 's'} {'their' if self.kept != 1 else 'its'} findings unchanged.")
        if self.resolved:
            out.append(f"Marked {self.resolved} earlier comment{'s' if self.resolved != 1 else ''} as fixed.")
        if self.summary:
            out.append(f"The summary comment was {self.summary}.")
        if self.check_run is not None:
            out.append("A check run with the annotations was created.")
        out.extend(self.failures)
        return out


class Writer:
    """Pull-request writes that stop after the first 403 (a read-only token). ``identity``
    is who the writes are authored by (:mod:`linter.github.identity`), learned from the
    response of the first ``POST`` that names its author."""

    def __init__(self, client: GitHubClient, ctx: ctxmod.ActionContext, log: Log, outcome: Outcome, identity: Identity | None = None) -> None:
        self.client, self.ctx, self.log, self.outcome = client, ctx, log, outcome
        self.identity = identity if identity is not None else Identity()
        if self.identity.log is None:
            self.identity.log = self.log.line

    def blocked(self) -> bool:
        return self.outcome.read_only

    def call(self, what: str, method: str, path: str, body: dict | None = None):
        if self.outcome.read_only:
            return None
        try:
            resp = self.client.request(method, path, json=body)
            if method == "POST":
                self.identity.learn(resp.data, lambda m: self.log.once("identity", m))
            return resp
        except GitHubError as exc:
            if exc.forbidden:
                self.outcome.read_only = True
                fork = self.ctx.pull_request and self.ctx.pull_request.is_fork(self.ctx.repository)
                hint = (
                    " This is a pull request from a fork, whose token is read-only: see the README's "
                    "`pull_request` + `workflow_run` workflow to post on fork PRs safely."
                    if fork
                    else " Grant `pull-requests: write` (and `checks: write` for check runs) in the workflow's permissions."
                )
                self.log.once(
                    "read-only",
                    f"the token cannot write to this repository ({exc.status}: {exc.message}); falling back to annotations and the job summary.{hint}",
                )
                self.outcome.failures.append("Could not post to the pull request: the token is read-only; findings are in the annotations and this job summary.")
            else:
                self.log.line(f"{what} failed: {exc}")
                self.outcome.failures.append(f"{what} failed: {exc}")
            return None


def list_items(client: GitHubClient, log: Log, path: str, what: str) -> list | None:
    try:
        return list(client.paginate(path))
    except GitHubError as exc:
        log.line(f"could not list {what}: {exc}")
        return None
