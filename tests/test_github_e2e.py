"""End-to-end tests of ``miglint github`` against a stateful fake GitHub (pytest-httpserver)
that validates every request against GitHub's OpenAPI description (tests/github_fake.py).

Each test builds a throwaway git repository with migrations, points an event payload from
``../shared/github-api/events/`` at it, and runs ``miglint github`` as a subprocess with the
environment the Actions runner gives a container action.
"""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from tests.github_harness import SHARED_API, TOKEN, Repo, config_for, pr_event, push_event, require_httpserver, run_bot

if not SHARED_API.is_dir():
    pytest.skip("../shared/github-api is not beside the repository", allow_module_level=True)
require_httpserver()

from tests.github_fake import BODY_LIMIT, PR, make_fake  # noqa: E402

RULES = {"syntax-error": "error", "empty-migration": "warning", "unused-suppression": "warning"}
STYLE = {**RULES, "sqlfluff-style": {"level": "warning", "rules": ["CP01"]}}

#: 10 lines; line 1 mixes keyword case (CP01) far from the end, where changes go
V1_BASE = "SELECT id from users WHERE id = 1;\n" + "".join(f"-- note {i}\n" for i in range(2, 11))
V1_FIXED = "SELECT id FROM users WHERE id = 1;\n" + "".join(f"-- note {i}\n" for i in range(2, 11))


@pytest.fixture
def fake(httpserver):
    f = make_fake(httpserver)
    yield f
    assert f.invalid == [], f"requests GitHub's schema rejects: {f.invalid}"


def _pr(repo: Repo, fake, base: str, head: str, number: int = 7, head_repo: str = "octo/repo"):
    fake.pulls[number] = PR(number, head, base, repo.api_files(base, head), head_repo)
    return pr_event(repo.path.parent / f"event-{number}-{head[:7]}.json", number=number, base=base, head=head, head_repo=head_repo)


@pytest.fixture
def style_pr(tmp_path, fake):
    """A PR adding a fixable style problem, a syntax error and an empty file, and touching
    the end of a file whose line 1 has a problem outside the diff."""
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(STYLE), "db/migrations/V1__init.sql": V1_BASE}, "base")
    git_branch = repo.commit(
        {
            "db/migrations/V1__init.sql": V1_BASE + "-- note 11\n",
            "db/migrations/V2__add.sql": "SELECT a FROM users where a = 1;\n",
            "db/migrations/V3__bad.sql": "CREATE TABLE t (id bigint;\n",
            "db/migrations/V4__empty.sql": "\n",
        },
        "feature",
    )
    event = _pr(repo, fake, base, git_branch)
    return repo, base, git_branch, event


def _summary_comments(fake, number=7):
    return [c for c in fake.issue_comments.get(number, []) if "<!-- miglint:summary -->" in c["body"]]


def test_review_summary_then_no_duplicates_then_clean(style_pr, fake):
    repo, base, head, event = style_pr

    # ---- first run: one review with a thread per statement, a file-level comment, one summary comment
    r1 = run_bot(repo.path, event, api_url=fake.api_url)
    assert r1.code == 1, r1.stderr  # a syntax error, fail-on error
    reviews = fake.ops("pulls/create-review")
    assert len(reviews) == 1 and reviews[0].status == 200
    review = reviews[0].body
    assert review["event"] == "COMMENT" and review["commit_id"] == head
    assert not re.search(r"\d", review["body"])  # no counts that the next push makes stale
    by_path = {c["path"]: c for c in review["comments"]}
    assert set(by_path) == {"db/migrations/V2__add.sql", "db/migrations/V3__bad.sql"}
    v2 = by_path["db/migrations/V2__add.sql"]
    assert v2["line"] == 1 and v2["side"] == "RIGHT"
    assert "```suggestion\nSELECT a FROM users WHERE a = 1;\n```" in v2["body"]
    assert "[`sqlfluff-style`](" in v2["body"] and "<!-- miglint:finding fp=" in v2["body"]
    assert "syntax error" in by_path["db/migrations/V3__bad.sql"]["body"]
    # the empty file: a finding about a file, not a line
    (file_comment,) = [c.body for c in fake.ops("pulls/create-review-comment")]
    assert file_comment["subject_type"] == "file" and file_comment["path"] == "db/migrations/V4__empty.sql" and "line" not in file_comment
    summaries = _summary_comments(fake)
    assert len(summaries) == 1
    body = summaries[0]["body"]
    assert "db/migrations/V1__init.sql | 1 |" in body and "_on lines this pull request did not change_" in body  # line 1 is not changed
    assert "Not posted inline" in body and "1 finding: on lines this pull request did not change" in body
    assert "❌ **Fails**" in body
    if importlib.util.find_spec("linter.lockreport"):  # the lock report of the changed files
        assert "<b>Lock report</b> of the changed files" in body and "`db/migrations/V2__add.sql`" in body
    assert r1.outputs["errors"] == "1" and r1.outputs["warnings"] == "3" and r1.outputs["notes"] == "0"
    # one channel per finding: the threads carry three, the annotation only the one outside them
    assert "::error file=db/migrations/V3__bad.sql" not in r1.stdout and "V2__add.sql" not in r1.stdout
    assert r1.stdout.count("::warning file=db/migrations/V1__init.sql") == 1 and r1.stdout.count("\n::") == 0
    assert "Posted 3 review threads" in r1.summary

    # ---- second run, same commit: nothing new is posted, the summary is edited in place
    n_calls = len(fake.calls)
    r2 = run_bot(repo.path, event, api_url=fake.api_url)
    assert r2.code == 1
    later = fake.calls[n_calls:]
    assert not [c for c in later if c.op == "pulls/create-review"]
    assert not [c for c in later if c.op == "issues/create-comment"]
    assert not [c for c in later if c.op == "pulls/create-review-comment"]
    assert [c.op for c in later if c.method != "GET"] == ["issues/update-comment"]
    assert len(fake.review_comments[7]) == 3 and len(_summary_comments(fake)) == 1
    assert "3 threads of an earlier run still hold their findings unchanged" in r2.summary

    # ---- a push fixes everything: old comments are marked fixed, the summary says clean
    fixed = repo.commit(
        {
            "db/migrations/V1__init.sql": V1_FIXED + "-- note 11\n",
            "db/migrations/V2__add.sql": "SELECT a FROM users WHERE a = 1;\n",
            "db/migrations/V3__bad.sql": "CREATE TABLE t (id bigint);\n",
            "db/migrations/V4__empty.sql": "SELECT 1;\n",
        },
        "fix",
    )
    event3 = _pr(repo, fake, base, fixed)
    n_calls = len(fake.calls)
    r3 = run_bot(repo.path, event3, api_url=fake.api_url)
    assert r3.code == 0, r3.stderr
    later = fake.calls[n_calls:]
    assert not [c for c in later if c.op == "pulls/create-review"]
    edits = [c for c in later if c.op == "pulls/update-review-comment"]
    assert len(edits) == 3
    for c in fake.review_comments[7]:
        assert c["body"].startswith("<!-- miglint:finding fp=") and "state=resolved" in c["body"]
        assert "✅ **Fixed**" in c["body"] and "```suggestion" not in c["body"]
    summaries = _summary_comments(fake)
    assert len(summaries) == 1
    assert "✅ **No problems** in the 4 changed migration files: the findings of the earlier run are fixed" in summaries[0]["body"]
    assert r3.outputs["findings"] == "0"

    # ---- and a fourth run on the clean head edits nothing but the summary
    n_calls = len(fake.calls)
    r4 = run_bot(repo.path, event3, api_url=fake.api_url)
    assert [c.op for c in fake.calls[n_calls:] if c.method != "GET"] == ["issues/update-comment"]

    # the token went to the API only, in the Authorization header
    for run in (r1, r2, r3, r4):
        assert TOKEN not in run.everything()
    assert all(a == f"Bearer {TOKEN}" for a in fake.auth)
    assert not any(TOKEN in json.dumps(c.body) or TOKEN in c.path for c in fake.calls)


def test_fork_pr_with_read_only_token_falls_back(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "fork change")
    event = _pr(repo, fake, base, head, head_repo="stranger/repo")
    fake.read_only = True
    r = run_bot(repo.path, event, api_url=fake.api_url)
    assert r.code == 1  # the same exit code as when posting works
    assert "::error file=db/V2__bad.sql,line=1" in r.stdout
    lines = [l for l in r.stderr.splitlines() if "cannot write" in l]
    assert len(lines) == 1 and "fork" in lines[0] and "workflow_run" in lines[0]
    assert not [c for c in fake.writes() if c.status < 400]
    assert len(fake.writes()) == 1  # the first 403 stops the writes: no retry storm
    assert "syntax-error" in r.summary and "read-only" in r.summary
    assert TOKEN not in r.everything()


def test_rate_limits_are_waited_for_then_retried(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "change")
    event = _pr(repo, fake, base, head)
    fake.fail("pulls/create-review", 429, {"message": "API rate limit exceeded"}, {"Retry-After": "1"})
    fake.fail("issues/create-comment", 403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
              {"Retry-After": "1"})
    fake.fail("pulls/list-review-comments", 403, {"message": "API rate limit exceeded"},
              {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0"})
    r = run_bot(repo.path, event, api_url=fake.api_url)
    assert r.code == 1
    assert [c.status for c in fake.ops("pulls/create-review")] == [429, 200]
    assert [c.status for c in fake.ops("issues/create-comment")] == [403, 201]
    assert [c.status for c in fake.ops("pulls/list-review-comments")] == [403, 200]
    assert len(re.findall(r"GitHub rate limit on .* waiting", r.stderr)) == 3
    assert "failed" not in r.stderr
    assert len(_summary_comments(fake)) == 1


def test_rate_limit_longer_than_the_bound_is_not_waited_for(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "change")
    event = _pr(repo, fake, base, head)
    fake.fail("pulls/create-review", 429, {"message": "API rate limit exceeded"}, {"Retry-After": "3600"})
    r = run_bot(repo.path, event, api_url=fake.api_url, extra_env={"MIGLINT_GITHUB_MAX_WAIT": "5"})
    assert r.code == 1
    assert len(fake.ops("pulls/create-review")) == 1
    assert "Posting the review failed" in r.stderr and "3600" in r.stderr
    # the finding is not lost: the summary comment and the job summary have it
    body = _summary_comments(fake)[0]["body"]
    assert "GitHub did not accept the review" in body and "V2__bad.sql" in body
    assert "V2__bad.sql" in r.summary


def test_server_errors_are_retried_with_backoff(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "change")
    event = _pr(repo, fake, base, head)
    fake.fail("issues/create-comment", 500, {"message": "Server Error"})
    fake.fail("pulls/list-files", 502, {"message": "Bad Gateway"})
    r = run_bot(repo.path, event, api_url=fake.api_url)
    assert r.code == 1
    assert [c.status for c in fake.ops("issues/create-comment")] == [500, 201]
    assert [c.status for c in fake.ops("pulls/list-files")] == [502, 200]
    assert "failed" not in r.stderr and len(_summary_comments(fake)) == 1


def test_server_errors_that_persist_lose_no_finding(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "change")
    event = _pr(repo, fake, base, head)
    fake.fail("pulls/create-review", 503, {"message": "Service Unavailable"}, times=10)
    fake.fail("issues/create-comment", 500, {"message": "Server Error"}, times=10)
    r = run_bot(repo.path, event, api_url=fake.api_url)
    assert r.code == 1
    assert len(fake.ops("pulls/create-review")) == 4  # 1 + 3 retries
    assert "Posting the review failed" in r.stderr and "Posting the summary comment failed" in r.stderr
    assert "::error file=db/V2__bad.sql" in r.stdout
    assert "V2__bad.sql" in r.summary and "Posting the summary comment failed" in r.summary


def test_four_thousand_findings(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V0001__a.sql": "SELECT 1;\n"}, "base")
    files = {"db/V0002__big.sql": "".join(f"SELECT {i}; -- miglint: ignore syntax-error\n" for i in range(4000))}
    files.update({f"db/V{n:04d}__bad.sql": f"CREATE TABLE t{n} (id bigint;\n" for n in range(3, 15)})
    head = repo.commit(files, "big")
    event = _pr(repo, fake, base, head)
    r = run_bot(repo.path, event, api_url=fake.api_url, args=["--sarif-file", "out.sarif", "--check-run"])
    assert r.code == 1
    assert r.outputs["findings"] == "4012" and r.outputs["warnings"] == "4000" and r.outputs["errors"] == "12"
    # one review, capped at 50 threads, errors first
    review = fake.ops("pulls/create-review")[0].body
    assert len(review["comments"]) == 50
    assert sum("[`syntax-error`](" in c["body"] for c in review["comments"]) == 12
    # the summary comment fits GitHub's limit and says what it left out
    body = _summary_comments(fake)[0]["body"]
    assert len(body) <= BODY_LIMIT and len(body) <= 60_000
    assert re.search(r"\*\*\d+ more findings\*\* are not listed here", body)
    assert "3962 findings: over the limit of 50 open miglint threads on this pull request" in body
    assert "V0003__bad.sql" in body  # errors are kept, notes and warnings dropped first
    assert len(r.summary.encode()) <= 1_000_000
    # check run: 1,000 annotations in batches of 50, completed with the conclusion last,
    # for findings no thread carries (one channel per finding)
    (run,) = fake.check_runs.values()
    assert len(run["annotations"]) == 1000 and run["conclusion"] == "failure"
    assert not {a["start_line"] for a in run["annotations"] if a["path"] == "db/V0002__big.sql"} & {c["line"] for c in review["comments"]}
    # workflow-command annotations: the rest, 10 per type, and the log says what was left out
    assert r.stdout.count("::error ") == 0 and r.stdout.count("::warning ") == 10
    assert "2952 warning annotations left out" in r.stderr
    assert all(len((c.body.get("output") or {}).get("annotations", [])) <= 50 for c in fake.ops("checks/update"))
    sarif = json.loads(r.files["out.sarif"])
    assert len(sarif["runs"][0]["results"]) == 4012 and r.outputs["sarif-file"] == "out.sarif"


def test_renamed_and_removed_files(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit(
        {
            ".miglint.yml": config_for(RULES),
            "db/V1__a.sql": "SELECT 1;\n",
            "db/V2__b.sql": "SELECT 2;\nSELECT 22;\nSELECT 222;\n",
            "db/V3__c.sql": "SELECT 3;\n",
            "db/V4__d.sql": "SELECT 4; -- miglint: ignore syntax-error\nSELECT 44;\nSELECT 444;\nSELECT 4444;\n",
        },
        "base",
    )
    repo.commit(renames={"db/V2__b.sql": "db/V5__b_renamed.sql", "db/V4__d.sql": "db/V6__d_renamed.sql"})
    head = repo.commit({"db/V5__b_renamed.sql": "SELECT 2;\nSELECT 22;\nSELECT 222;\nCREATE TABLE t (id bigint;\n", "db/V3__c.sql": None}, "rename, edit, remove")
    event = _pr(repo, fake, base, head)
    statuses = {f["filename"]: f["status"] for f in fake.pulls[7].files}
    assert statuses == {"db/V5__b_renamed.sql": "renamed", "db/V6__d_renamed.sql": "renamed", "db/V3__c.sql": "removed"}
    r = run_bot(repo.path, event, api_url=fake.api_url)
    review = fake.ops("pulls/create-review")[0].body
    assert [(c["path"], c["line"]) for c in review["comments"]] == [("db/V5__b_renamed.sql", 4)]
    body = _summary_comments(fake)[0]["body"]
    # the pure rename has no patch: its finding is listed, with the reason
    assert "db/V6__d_renamed.sql | 1 |" in body and "GitHub shows no diff for the file" in body
    assert r.code == 1


def test_findings_outside_the_diff_go_to_the_summary(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    pad = "".join(f"SELECT {i};\n" for i in range(2, 20))
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1; -- miglint: ignore syntax-error\n" + pad}, "base")
    head = repo.commit({"db/V1__a.sql": "SELECT 1; -- miglint: ignore syntax-error\n" + pad + "SELECT 20; -- miglint: ignore empty-migration\n"}, "edit")
    event = _pr(repo, fake, base, head)
    r = run_bot(repo.path, event, api_url=fake.api_url, args=["--fail-on", "never"])
    assert r.code == 0
    review = fake.ops("pulls/create-review")[0].body
    assert [c["line"] for c in review["comments"]] == [20]
    body = _summary_comments(fake)[0]["body"]
    assert "db/V1__a.sql | 1 |" in body and "_on lines this pull request did not change_" in body


def test_ghes_api_url(tmp_path, httpserver):
    fake = make_fake(httpserver, prefix="/api/v3")
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "change")
    event = _pr(repo, fake, base, head)
    r = run_bot(repo.path, event, api_url=fake.api_url)
    assert r.code == 1
    assert fake.invalid == []
    assert fake.calls and all(c.status < 400 for c in fake.calls)
    assert len(fake.ops("pulls/create-review")) == 1 and len(_summary_comments(fake)) == 1


def test_push_event_annotations_and_job_summary(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    before = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "CREATE TABLE a (id bigint;\n"}, "base")
    after = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "push")
    event = push_event(tmp_path / "push.json", before=before, after=after)
    r = run_bot(repo.path, event, event_name="push", api_url=fake.api_url)
    assert r.code == 1
    assert "::error file=db/V2__bad.sql" in r.stdout and "V1__a.sql" not in r.stdout  # only what the push changed
    assert "V2__bad.sql" in r.summary and "changed files from git" in r.summary
    assert fake.calls == []  # git knew the change: no API call, and nothing to post on


def test_push_event_without_history_uses_compare(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "CREATE TABLE a (id bigint;\n", "db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "only commit")
    before, after = "1" * 40, "2" * 40  # a shallow checkout knows neither
    fake.compares[f"{before}...{after}"] = [{"sha": "0" * 40, "filename": "db/V2__bad.sql", "status": "added", "additions": 1, "deletions": 0, "changes": 1,
                                             "blob_url": "u", "raw_url": "u", "contents_url": "u", "patch": "@@ -0,0 +1 @@\n+CREATE TABLE t (id bigint;"}]
    event = push_event(tmp_path / "push.json", before=before, after=after)
    r = run_bot(repo.path, event, event_name="push", api_url=fake.api_url, args=["--check-run"])
    assert r.code == 1
    assert [c.op for c in fake.calls] == ["repos/compare-commits", "checks/create"]
    assert fake.ops("checks/create")[0].body["head_sha"] == after
    # the check run annotates the finding: no second annotation by workflow command
    (ann,) = fake.ops("checks/create")[0].body["output"]["annotations"]
    assert ann["path"] == "db/V2__bad.sql" and r.stdout == ""


def test_token_never_appears_even_when_the_api_is_unreachable(tmp_path):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "change")
    event = pr_event(tmp_path / "event.json", number=3, base=base, head=head)
    # a closed port: every request fails to connect; the URL carries the token as a trap
    r = run_bot(repo.path, event, api_url=f"http://{TOKEN}@127.0.0.1:9", args=["--check-run"],
                inputs={"github-token": TOKEN}, token=None, extra_env={"MIGLINT_GITHUB_TIMEOUT": "2"})
    assert r.code == 1
    assert "could not" in r.stderr
    assert TOKEN not in r.everything()
    assert "::error file=db/V2__bad.sql" in r.stdout


def test_workflow_run_bundle(tmp_path, fake):
    """The fork-safe pattern: lint without a write token, post later from a trusted job."""
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(STYLE), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__a.sql": "SELECT a FROM users where a = 1;\n"}, "fork change")
    event = _pr(repo, fake, base, head, head_repo="stranger/repo")
    r1 = run_bot(repo.path, event, api_url=fake.api_url, token=None, args=["--save-bundle", "bundle.json", "--comment-mode", "annotations"])
    assert r1.code == 0 and fake.writes() == []
    bundle = repo.path / "bundle.json"
    assert json.loads(bundle.read_text())["pull_request"]["head_sha"] == head
    # the trusted job: a workflow_run event, no checkout of the PR
    wr = tmp_path / "workflow_run.json"
    wr.write_text(json.dumps({"workflow_run": {"head_sha": head, "event": "pull_request"}, "repository": {"full_name": "octo/repo"}}))
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "bundle.json").write_bytes(bundle.read_bytes())
    r2 = run_bot(trusted, wr, event_name="workflow_run", api_url=fake.api_url, args=["--bundle", "bundle.json"])
    assert r2.code == 0, r2.stderr
    review = fake.ops("pulls/create-review")[0].body
    assert "```suggestion\nSELECT a FROM users WHERE a = 1;\n```" in review["comments"][0]["body"]
    assert len(_summary_comments(fake)) == 1
    # a bundle whose head is not the PR's is refused
    wr.write_text(json.dumps({"workflow_run": {"head_sha": "9" * 40}, "repository": {"full_name": "octo/repo"}}))
    r3 = run_bot(trusted, wr, event_name="workflow_run", api_url=fake.api_url, args=["--bundle", "bundle.json"])
    assert r3.code == 2 and "workflow_run event is for" in r3.stderr
