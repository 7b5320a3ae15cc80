"""Unit tests of the pull-request bot's parts: patches, suggestions, planning, rendering,
annotations, outputs, the environment and the HTTP client."""

from __future__ import annotations

import json

import pytest

from linter.formats import review, summary
from linter.github import context as ctxmod, gitdiff, outputs, threads as planmod
from linter.github.diff import ChangedFile, parse_patch
from linter.model import Finding, Fix, Position, Severity, Span

from tests.github_harness import Repo

PATCH = """@@ -1,4 +1,5 @@
 CREATE TABLE a (id bigint);
-CREATE TABLE b (id int);
+CREATE TABLE b (id bigint);
+CREATE INDEX b_id ON b (id);
 
 -- end
@@ -20,2 +21,3 @@ CREATE TABLE z (x int);
 SELECT 20;
+SELECT 21;
 SELECT 22;
\\ No newline at end of file"""


def finding(line=1, col=1, end_line=None, end_col=None, rule="syntax-error", sev=Severity.ERROR, path="db/V1__a.sql", fp=None, fix=None, redacted=False, props=None, message="msg"):
    return Finding(rule, "syntax", sev, path, Span.at(line, col, end_line, end_col), message, "help text", f"https://docs/{rule}",
                   fp or f"{abs(hash((rule, path, line, message))):016x}"[:16], fix, redacted, props or {})


# --------------------------------------------------------------------------- patches


def test_parse_patch_lines_and_hunks():
    h = parse_patch(PATCH)
    assert h.right == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 21: 1, 22: 1, 23: 1}
    assert h.left == {1: 0, 2: 0, 3: 0, 4: 0, 20: 1, 21: 1}
    assert h.added == {2, 3, 22}


def test_commentable_needs_one_hunk():
    cf = ChangedFile("a.sql", "modified", patch=PATCH)
    assert cf.commentable(2, 3) and cf.commentable(21, 23)
    assert not cf.commentable(5, 21)  # spans two hunks
    assert not cf.commentable(10, 10)
    assert cf.commentable(2, 2, "LEFT") and not cf.commentable(22, 22, "LEFT")
    assert not ChangedFile("b.sql", "renamed", "a.sql", None).commentable(1, 1)


def test_parse_patch_new_file_and_single_line_hunks():
    assert parse_patch("@@ -0,0 +1 @@\n+SELECT 1;").right == {1: 0}
    assert parse_patch("@@ -1 +0,0 @@\n-SELECT 1;").left == {1: 0}
    # a deleted SQL comment line looks like a file header; the hunk counts keep it a line
    assert parse_patch("@@ -1,2 +1 @@\n--- a comment\n SELECT 1;").left == {1: 0, 2: 0}


# --------------------------------------------------------------------------- suggestions


def _fix(text, old, new, desc="fix it"):
    start = text.index(old)
    before = text[:start]
    line = before.count("\n") + 1
    col = start - (before.rfind("\n") + 1) + 1
    end = start + len(old)
    eb = text[:end]
    span = Span(Position(line, col), Position(eb.count("\n") + 1, end - (eb.rfind("\n") + 1) + 1))
    return Fix(span, start, end, new, desc)


def test_suggestion_rewrites_whole_lines():
    text = "SELECT 1;\nselect a from t where a = 1;\nSELECT 3;\n"
    f = finding(2, 15, fix=_fix(text, "where", "WHERE"))
    s = review.suggestion_for(f, text)
    assert s == review.Suggestion(2, 2, "select a from t WHERE a = 1;")


def test_suggestion_across_lines_and_deleting_a_line():
    text = "A;\nB;\nC;\nD;\n"
    s = review.suggestion_for(finding(2, 1, fix=_fix(text, "B;\nC", "BC")), text)
    assert s == review.Suggestion(2, 3, "BC;")
    s = review.suggestion_for(finding(2, 1, fix=_fix(text, "B;\n", "")), text)
    assert s == review.Suggestion(2, 2, "")  # an empty suggestion deletes the line


def test_no_suggestion_when_redacted_or_text_differs_or_crlf():
    text = "SELECT 1;\nselect a;\n"
    fix = _fix(text, "select", "SELECT")
    assert review.suggestion_for(finding(2, 1, fix=fix, redacted=True), text) is None
    assert review.suggestion_for(finding(2, 1, fix=fix), "x\n" + text) is None
    crlf = "SELECT 1;\r\nselect a;\r\n"
    assert review.suggestion_for(finding(2, 1, fix=_fix(crlf, "select", "SELECT")), crlf) is None


def test_comment_body_and_fence_longer_than_backticks():
    text = "SELECT '```';\n"
    f = finding(1, 1, fix=_fix(text, "SELECT", "select"), props={"lock": "ACCESS EXCLUSIVE", "table": "users", "blocks": ["reads", "writes"]})
    body = review.comment_body(f, review.suggestion_for(f, text))
    assert body.startswith(f"<!-- miglint:finding fp={f.fingerprint} rule=syntax-error -->\n")
    assert "takes **ACCESS EXCLUSIVE** on `users`, blocking reads, writes" in body
    assert "````suggestion\nselect '```';\n````" in body
    assert review.parse_marker(body) == (f.fingerprint, "syntax-error", False)


def test_redacted_comment_quotes_nothing():
    text = "INSERT INTO users VALUES ('hunter2');\n"
    f = finding(1, 1, rule="plaintext-password", fix=_fix(text, "hunter2", "***"), redacted=True, props={"lock": "ROW EXCLUSIVE", "value": "hunter2"},
                message="a plaintext password in seed data")
    body = review.comment_body(f, review.Suggestion(1, 1, "leak hunter2"))
    assert "hunter2" not in body and "suggestion" not in body and "ROW EXCLUSIVE" not in body
    page = summary.render_summary(summary.SummaryData([f], files=1))
    assert "hunter2" not in page


def test_messages_cannot_forge_markers_or_break_tables():
    f = finding(message="x <!-- miglint:summary --> | y\nz")
    body = review.comment_body(f)
    assert body.count("<!--") == 1
    page = summary.render_summary(summary.SummaryData([f], files=1), marker=summary.MARKER)
    assert page.count("<!-- miglint:summary -->") == 1
    assert "x &lt;!-- miglint:summary --&gt; \\| y<br>z" in page


def test_resolved_body_keeps_original_without_suggestion():
    f = finding(fix=None)
    body = review.comment_body(f, review.Suggestion(1, 1, "SELECT 1;"))
    done = review.resolved_body(body, f.rule_id, f.docs_url, f.fingerprint, "abcdef1234")
    assert review.parse_marker(done) == (f.fingerprint, f.rule_id, True)
    assert "```sql\nSELECT 1;\n```" in done and "suggestion" not in done and "(as of abcdef1)" in done


# --------------------------------------------------------------------------- planning


def test_plan_new_kept_resolved_outside_and_limit():
    cf = ChangedFile("db/V1__a.sql", "modified", patch=PATCH)
    inside = [finding(line=n, message=f"m{n}", fp=f"{n:016x}") for n in (2, 3, 22)]
    outside = finding(line=10, message="far", fp="a" * 16)
    earlier = finding(line=5, message="kept", fp="b" * 16)
    existing = planmod.existing_comments([
        {"id": 1, "body": review.marker("b" * 16, "syntax-error") + "\nold", "path": "db/V1__a.sql"},
        {"id": 2, "body": review.marker("c" * 16, "syntax-error") + "\ngone"},
        {"id": 3, "body": review.marker("d" * 16, "syntax-error", resolved=True)},
        {"id": 4, "body": "a human's comment"},
    ])
    p = planmod.plan_review(inside + [outside, earlier], {cf.path: cf}, {}, existing, max_comments=2)
    # the cap counts the open thread kept from an earlier run: room for one more
    assert [(c.line, c.side) for c in p.new] == [(2, "RIGHT")]
    assert [c.id for _, c in p.kept] == [1]
    assert [c.id for c in p.resolve] == [2]
    assert p.where["a" * 16] == "on lines this pull request did not change"
    assert p.where[f"{22:016x}"] == "over the limit of 2 open miglint threads on this pull request"
    assert p.not_inline() == ["2 findings: over the limit of 2 open miglint threads on this pull request", "1 finding: on lines this pull request did not change"]


def test_plan_anchors_multiline_suggestion_removed_and_stale():
    cf = ChangedFile("db/V1__a.sql", "modified", patch=PATCH)
    multi = finding(line=2, end_line=3, end_col=5, fp="1" * 16)
    api = planmod.plan_review([multi], {cf.path: cf}, {}, []).new[0].as_api()
    assert api["start_line"] == 2 and api["line"] == 3 and api["start_side"] == "RIGHT"
    # a long finding starting outside the diff is anchored at the first line the PR added
    long = finding(line=6, end_line=22, end_col=3, fp="2" * 16)
    assert planmod.plan_review([long], {cf.path: cf}, {}, []).new[0].line == 22
    # a suggestion whose lines span two hunks is dropped; the comment stays
    sug = finding(line=22, fp="3" * 16, fix=Fix(Span.at(22, 1), 0, 0, "", "x"))
    p = planmod.plan_review([sug], {cf.path: cf}, {"3" * 16: review.Suggestion(5, 22, "x")}, [])
    assert p.new[0].line == 22 and "```suggestion" not in p.new[0].body
    removed = ChangedFile("db/V0__gone.sql", "removed", patch="@@ -1,2 +0,0 @@\n-SELECT 1;\n-SELECT 2;")
    p = planmod.plan_review([finding(line=1, path=removed.path, fp="4" * 16)], {removed.path: removed}, {}, [])
    assert p.new[0].as_api()["side"] == "LEFT"
    p = planmod.plan_review([finding(line=2, fp="5" * 16)], {cf.path: cf}, {}, [], stale_paths={cf.path})
    assert p.new == [] and "differs from the PR head" in p.where["5" * 16]


# --------------------------------------------------------------------------- summary


def test_summary_truncates_to_the_limit_keeping_errors():
    fs = [finding(line=i, sev=Severity.WARNING, message="w" * 80, path=f"db/{i % 7}/V{i}__x.sql", fp=f"{i:016x}") for i in range(1, 3000)]
    fs.append(finding(line=1, sev=Severity.ERROR, message="the one error", path="db/zz/V9__e.sql", fp="e" * 16))
    page = summary.render_summary(summary.SummaryData(fs, files=3000, failing=True), limit=20_000)
    assert len(page) <= 20_000
    assert "the one error" in page and "more findings** are not listed here" in page
    assert page.startswith(summary.MARKER)


def test_summary_lock_report_and_clean():
    page = summary.render_summary(summary.SummaryData([finding()], files=1, lock_markdown="| line | lock |\n|---|---|\n| 1 | SHARE |"))
    assert "<b>Lock report</b>" in page and "| 1 | SHARE |" in page
    big = summary.render_summary(summary.SummaryData([finding()], files=1, lock_markdown="x" * 50_000))
    assert "xxxxx" not in big and "lock report is too large" in big
    clean = summary.render_summary(summary.SummaryData([], files=2, previous=True))
    assert "**No problems** in the 2 changed migration files" in clean


# --------------------------------------------------------------------------- outputs


def test_annotations_cap_per_type():
    fs = [finding(line=i, sev=s, fp=f"{i:04d}{s.value}") for i in range(1, 15) for s in Severity]
    lines, left = outputs.annotations(fs)
    assert sum(l.startswith("::error ") for l in lines) == 10
    assert sum(l.startswith("::warning ") for l in lines) == 10
    assert sum(l.startswith("::notice ") for l in lines) == 10
    assert left == {"error": 4, "warning": 4, "notice": 4}
    assert outputs.left_out_sentence(left).startswith("4 error and 4 warning and 4 notice annotations left out")


def test_output_lines_use_a_delimiter_for_multiline_values():
    text = outputs.output_lines({"errors": 3, "path": "a\nb"})
    assert text.startswith("errors=3\npath<<ghadelimiter_")
    assert "\na\nb\nghadelimiter_" in text


# --------------------------------------------------------------------------- environment


def test_context_reads_inputs_with_hyphens_and_token_input(tmp_path):
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"pull_request": {"number": 5, "head": {"sha": "h" * 40, "repo": {"full_name": "fork/r"}}, "base": {"sha": "b" * 40}}}))
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r",
           "INPUT_FAIL-ON": " warning ", "INPUT_GITHUB-TOKEN": "from-input", "GITHUB_TOKEN": "from-env"}
    ctx = ctxmod.load(env)
    assert ctx.input("fail-on") == "warning" and ctx.input("comment-mode", "review") == "review"
    assert ctx.token == "from-input"
    assert ctx.pull_request.number == 5 and ctx.pull_request.is_fork("o/r")
    assert ctx.commit_sha == "h" * 40 and ctx.api_url == "https://api.github.com"
    with pytest.raises(ctxmod.ContextError):
        ctxmod.load({})


def test_push_payload_files(tmp_path):
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"before": "0" * 40, "after": "a" * 40, "created": True,
                                 "commits": [{"added": ["x.sql"], "modified": [], "removed": []},
                                             {"added": [], "modified": ["y.sql"], "removed": ["x.sql"]}]}))
    ctx = ctxmod.load({"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r"})
    assert ctx.push.created and ctx.push.payload_files == {"x.sql": "removed", "y.sql": "modified"}


def test_git_changes_with_renames_removals_and_odd_names(tmp_path):
    repo = Repo(tmp_path / "r")
    base = repo.commit({"db/V1__a.sql": "SELECT 1;\nSELECT 2;\nSELECT 3;\n", "db/V2__b.sql": "SELECT 2;\n", "db/V3 ü.sql": "SELECT 3;\n"})
    repo.commit(renames={"db/V1__a.sql": "db/V9__a.sql"})
    head = repo.commit({"db/V9__a.sql": "SELECT 1;\nSELECT 2;\nSELECT 3;\nSELECT 4;\n", "db/V2__b.sql": None, "db/V3 ü.sql": "SELECT 33;\n"})
    ch = gitdiff.diff_changes(base, head, repo.path)
    by = ch.by_path()
    assert by["db/V9__a.sql"].status == "renamed" and by["db/V9__a.sql"].previous_path == "db/V1__a.sql"
    assert by["db/V9__a.sql"].hunks.added == {4}
    assert by["db/V2__b.sql"].status == "removed" and by["db/V2__b.sql"].hunks.left == {1: 0}
    assert by["db/V3 ü.sql"].hunks.added == {1}
    assert gitdiff.diff_changes(base, "1" * 40, repo.path) is None


# --------------------------------------------------------------------------- client


def _client(httpserver, **kw):
    from linter.github.client import GitHubClient

    waits = []
    c = GitHubClient(httpserver.url_for("").rstrip("/"), "tok-SECRET", sleep=waits.append, write_interval=0, **kw)
    return c, waits


def test_client_paginates_on_the_same_origin_only(httpserver):
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_ordered_request("/items", query_string="per_page=100").respond_with_json(
        [1, 2], headers={"Link": f'<{base}/items?page=2>; rel="next", <{base}/items?page=3>; rel="last"'})
    httpserver.expect_ordered_request("/items", query_string="page=2").respond_with_json(
        [3], headers={"Link": '<https://elsewhere.example/items?page=3>; rel="next"'})
    logs = []
    c, _ = _client(httpserver, log=logs.append)
    assert list(c.paginate("/items")) == [1, 2, 3]
    assert any("another host" in l for l in logs)


def test_client_waits_as_told_and_gives_up_beyond_the_bound(httpserver):
    from linter.github.client import GitHubError

    httpserver.expect_ordered_request("/a").respond_with_json({"message": "slow down"}, status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/a").respond_with_json({"ok": 1})
    c, waits = _client(httpserver)
    assert c.get("/a") == {"ok": 1} and waits == [7.0]
    httpserver.expect_request("/b").respond_with_json({"message": "later"}, status=403, headers={"Retry-After": "999"})
    with pytest.raises(GitHubError) as e:
        c.get("/b")
    assert e.value.rate_limited and not e.value.forbidden


def test_client_plain_403_is_not_retried_and_5xx_is(httpserver):
    from linter.github.client import GitHubError

    httpserver.expect_request("/f").respond_with_json({"message": "Resource not accessible by integration"}, status=403)
    c, waits = _client(httpserver)
    with pytest.raises(GitHubError) as e:
        c.request("POST", "/f", json={})
    assert e.value.forbidden and waits == [] and len(httpserver.log) == 1
    httpserver.expect_ordered_request("/g").respond_with_json({"message": "boom"}, status=500)
    httpserver.expect_ordered_request("/g").respond_with_json({"ok": True})
    assert c.request("POST", "/g", json={"x": 1}).data == {"ok": True}


def test_client_errors_never_hold_the_token(httpserver):
    from linter.github.client import GitHubClient, GitHubError

    httpserver.expect_request("/t").respond_with_json({"message": "bad token tok-SECRET"}, status=401)
    c, _ = _client(httpserver)
    with pytest.raises(GitHubError) as e:
        c.get("/t")
    assert "tok-SECRET" not in str(e.value)
    dead = GitHubClient("http://127.0.0.1:9", "tok-SECRET", timeout=(1, 1))
    with pytest.raises(GitHubError) as e:
        dead.get("/x")
    assert "tok-SECRET" not in str(e.value) and "could not connect" in str(e.value)
    with pytest.raises(GitHubError, match="another host"):
        c.get("https://elsewhere.example/x")
