"""A stateful fake of the GitHub REST API for the pull-request bot's end-to-end tests.

Built on pytest-httpserver, as ``../shared/github-api/tests/test_fake_github_example.py``
shows: every request is validated against GitHub's official OpenAPI description with
``../shared/github-api/validate.py`` (an invalid one gets GitHub's 422 and is recorded in
``invalid``, which the tests assert is empty). Beyond the schema, it enforces what the real
API enforces and the schema does not say (NOTES.md): review comments only on lines of the
diff (one bad line rejects the whole review), bodies of at most 65,536 characters, 50
check-run annotations per request. It keeps pull requests, review comments, issue comments
and check runs between runs, pages list endpoints with ``Link`` headers, and can be told to
answer some requests with errors first (``fail``) or to act as a read-only token.

The diff check here is written independently of ``linter.github.diff``, so the two check
each other.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from werkzeug import Response

SHARED_API = Path(__file__).resolve().parents[2] / "shared" / "github-api"
sys.path.insert(0, str(SHARED_API))
from validate import SubsetValidator  # noqa: E402

VALIDATOR = SubsetValidator()
BODY_LIMIT = 65_536


def diff_lines(patch: str | None) -> dict[str, dict[int, int]]:
    """{"RIGHT": {line: hunk}, "LEFT": {line: hunk}} of a unified-diff patch."""
    out: dict[str, dict[int, int]] = {"RIGHT": {}, "LEFT": {}}
    if not patch:
        return out
    hunk = -1
    old = new = 0
    for line in patch.splitlines():
        m = re.match(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@", line)
        if m:
            hunk += 1
            old, new = int(m.group(1)), int(m.group(2))
            continue
        if hunk < 0:
            continue
        if line.startswith("+"):
            out["RIGHT"][new] = hunk
            new += 1
        elif line.startswith("-"):
            out["LEFT"][old] = hunk
            old += 1
        elif line.startswith(" "):
            out["RIGHT"][new] = hunk
            out["LEFT"][old] = hunk
            new += 1
            old += 1
    return out


@dataclass
class PR:
    number: int
    head_sha: str
    base_sha: str
    files: list[dict]
    head_repo: str = "octo/repo"


@dataclass
class Call:
    method: str
    path: str  # without the API prefix, with the query
    body: object
    status: int = 0
    op: str = ""


@dataclass
class FakeGitHub:
    server: object
    prefix: str = ""
    repo: str = "octo/repo"
    pulls: dict[int, PR] = field(default_factory=dict)
    compares: dict[str, list[dict]] = field(default_factory=dict)
    issue_comments: dict[int, list[dict]] = field(default_factory=dict)
    review_comments: dict[int, list[dict]] = field(default_factory=dict)
    reviews: dict[int, list[dict]] = field(default_factory=dict)
    check_runs: dict[int, dict] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    invalid: list[tuple[str, str, list[str]]] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict, dict]]] = field(default_factory=dict)
    read_only: bool = False
    auth: list[str] = field(default_factory=list)
    #: Who the token posts as (GitHub sets ``user`` on what it creates); a GitHub App token
    #: posts as ``<slug>[bot]``.
    bot_user: dict = field(default_factory=lambda: {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"})
    _next: int = 1000

    # ------------------------------------------------------------------ set-up

    @property
    def api_url(self) -> str:
        return self.server.url_for("").rstrip("/") + self.prefix

    def fail(self, op: str, status: int, body: dict | None = None, headers: dict | None = None, times: int = 1) -> None:
        """Answer the next ``times`` requests of operation ``op`` with ``status``."""
        self.failures.setdefault(op, []).extend([(status, body or {"message": "error"}, headers or {})] * times)

    def ops(self, op: str) -> list[Call]:
        return [c for c in self.calls if c.op == op]

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method in ("POST", "PATCH", "PUT", "DELETE")]

    # ------------------------------------------------------------------ serving

    def _id(self) -> int:
        self._next += 1
        return self._next

    def handler(self, request):
        raw = request.get_data() or b""
        path = request.full_path.rstrip("?")
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return self._json(404, {"message": f"Not Found (expected the {self.prefix} prefix)"})
            path = path[len(self.prefix):]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        call = Call(request.method, path, body)
        self.calls.append(call)
        self.auth.append(request.headers.get("Authorization", ""))
        errors = VALIDATOR.request_errors(request.method, path, raw or None)
        if errors:
            self.invalid.append((request.method, path, errors))
            call.status = 422
            return self._json(422, {"message": "Validation Failed", "errors": errors})
        _, op, params = VALIDATOR.find(request.method, path)
        call.op = op["operationId"]
        queue = self.failures.get(call.op)
        if queue:
            status, payload, headers = queue.pop(0)
            call.status = status
            return self._json(status, payload, headers)
        if self.read_only and request.method != "GET":
            call.status = 403
            return self._json(403, {"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"})
        query = dict(parse_qsl(urlsplit(path).query))
        status, payload, headers = self._route(call.op, params, body, query, request)
        call.status = status
        return self._json(status, payload, headers)

    def _json(self, status: int, payload, headers: dict | None = None) -> Response:
        text = "" if payload is None else json.dumps(payload)
        return Response(text, status=status, headers=headers or {}, content_type="application/json")

    def _page(self, items: list, query: dict, request) -> tuple[int, list, dict]:
        per = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per : page * per]
        headers = {}
        last = max(1, -(-len(items) // per))
        if page < last:
            base = self.server.url_for("").rstrip("/") + self.prefix + urlsplit(request.full_path).path
            headers["Link"] = f'<{base}?per_page={per}&page={page + 1}>; rel="next", <{base}?per_page={per}&page={last}>; rel="last"'
        return 200, chunk, headers

    def _route(self, op: str, p: dict, body, query: dict, request):
        n = int(p.get("pull_number") or p.get("issue_number") or 0)
        user = dict(self.bot_user)
        if op == "pulls/get":
            pr = self.pulls[n]
            return 200, {"number": n, "head": {"sha": pr.head_sha, "repo": {"full_name": pr.head_repo}}, "base": {"sha": pr.base_sha}}, {}
        if op == "pulls/list-files":
            return self._page(self.pulls[n].files, query, request)
        if op == "repos/compare-commits":
            return 200, {"files": self.compares.get(p["basehead"], [])}, {}
        if op == "pulls/list-review-comments":
            return self._page(self.review_comments.get(n, []), query, request)
        if op == "issues/list-comments":
            return self._page(self.issue_comments.get(n, []), query, request)
        if op == "pulls/create-review":
            pr = self.pulls[n]
            by_path = {f["filename"]: f for f in pr.files}
            for c in body.get("comments") or []:
                f = by_path.get(c["path"])
                if f is None:
                    return 422, {"message": "Unprocessable Entity", "errors": ["Pull request review thread path is invalid"]}, {}
                lines = diff_lines(f.get("patch"))[c.get("side", "RIGHT")]
                if c["line"] not in lines:
                    return 422, {"message": "Unprocessable Entity", "errors": ["Pull request review thread line must be part of the diff"]}, {}
                if "start_line" in c and lines.get(c["start_line"]) != lines[c["line"]]:
                    return 422, {"message": "Unprocessable Entity", "errors": ["Pull request review thread start line must be part of the same hunk as the line."]}, {}
                if len(c["body"]) > BODY_LIMIT:
                    return 422, {"message": "Body is too long (maximum is 65536 characters)"}, {}
            if body.get("commit_id") != pr.head_sha:
                return 422, {"message": "commit_id is not the head of the pull request"}, {}
            rid = self._id()
            self.reviews.setdefault(n, []).append({"id": rid, **body})
            for c in body.get("comments") or []:
                self.review_comments.setdefault(n, []).append(
                    {"id": self._id(), "pull_request_review_id": rid, "user": user, "commit_id": body["commit_id"], "subject_type": "line",
                     "original_line": c.get("line"), **c}
                )
            return 200, {"id": rid, "state": "COMMENTED", "body": body.get("body", ""), "user": user}, {}
        if op == "pulls/create-review-comment":
            # one comment outside a review; subject_type "file" comments on the whole file
            # (no line; NOTES.md section 2), on any file of the pull request
            pr = self.pulls[n]
            f = {x["filename"]: x for x in pr.files}.get(body["path"])
            if f is None:
                return 422, {"message": "Unprocessable Entity", "errors": ["Pull request review thread path is invalid"]}, {}
            if body.get("subject_type") != "file":
                lines = diff_lines(f.get("patch"))[body.get("side", "RIGHT")]
                if body.get("line") not in lines:
                    return 422, {"message": "Unprocessable Entity", "errors": ["Pull request review thread line must be part of the diff"]}, {}
            elif "line" in body:
                return 422, {"message": "Unprocessable Entity", "errors": ["A file comment has no line"]}, {}
            if len(body["body"]) > BODY_LIMIT:
                return 422, {"message": "Body is too long (maximum is 65536 characters)"}, {}
            c = {"id": self._id(), "user": user, "subject_type": body.get("subject_type", "line"), "line": body.get("line"),
                 "original_line": body.get("line"), **body}
            self.review_comments.setdefault(n, []).append(c)
            return 201, c, {}
        if op == "pulls/update-review-comment":
            for comments in self.review_comments.values():
                for c in comments:
                    if c["id"] == int(p["comment_id"]):
                        c["body"] = body["body"]
                        return 200, c, {}
            return 404, {"message": "Not Found"}, {}
        if op == "issues/create-comment":
            if len(body["body"]) > BODY_LIMIT:
                return 422, {"message": "Body is too long (maximum is 65536 characters)"}, {}
            c = {"id": self._id(), "body": body["body"], "user": user}
            self.issue_comments.setdefault(n, []).append(c)
            return 201, c, {}
        if op == "issues/update-comment":
            if len(body["body"]) > BODY_LIMIT:
                return 422, {"message": "Body is too long (maximum is 65536 characters)"}, {}
            for comments in self.issue_comments.values():
                for c in comments:
                    if c["id"] == int(p["comment_id"]):
                        c["body"] = body["body"]
                        return 200, c, {}
            return 404, {"message": "Not Found"}, {}
        if op == "issues/delete-comment":
            for comments in self.issue_comments.values():
                comments[:] = [c for c in comments if c["id"] != int(p["comment_id"])]
            return 204, None, {}
        if op == "checks/create":
            rid = self._id()
            self.check_runs[rid] = {**body, "annotations": list((body.get("output") or {}).get("annotations") or [])}
            return 201, {"id": rid}, {}
        if op == "checks/update":
            run = self.check_runs[int(p["check_run_id"])]
            run["annotations"].extend((body.get("output") or {}).get("annotations") or [])
            run.update({k: v for k, v in body.items() if k != "output"})
            return 200, {"id": int(p["check_run_id"])}, {}
        return 404, {"message": f"the fake does not serve {op}"}, {}


def make_fake(httpserver, prefix: str = "") -> FakeGitHub:
    fake = FakeGitHub(httpserver, prefix)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handler)
    return fake
