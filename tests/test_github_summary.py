"""The pull-request summary (linter/formats/summary.py): order, roll-ups, open groups, rows,
short paths, the run link, the size limits and the comparison that decides whether the bot
edits its comment."""

from __future__ import annotations

import re

from linter.formats import summary
from linter.model import Finding, Severity, Span

DOCS = "https://github.com/miglint/miglint/blob/main/docs/rules.md#"
RUN = "https://github.com/octo/repo/actions/runs/42"


def finding(rule="non-concurrent-create-index", sev=Severity.ERROR, path="db/migrations/V1__a.sql", line=1, message="msg", n=0):
    return Finding(rule, "locking", sev, path, Span.at(line, 1), message, "help", DOCS + rule, f"{abs(hash((rule, path, line, message, n))):016x}"[:16])


def many(n_err: int, n_warn: int, n_note: int, files: int = 30) -> list[Finding]:
    out = []
    for i in range(n_err + n_warn + n_note):
        sev = Severity.ERROR if i < n_err else Severity.WARNING if i < n_err + n_warn else Severity.NOTE
        rule = {Severity.ERROR: "add-column-rewrite", Severity.WARNING: "missing-lock-timeout", Severity.NOTE: "serial-column"}[sev]
        out.append(finding(rule, sev, f"db/migrations/V{i % files:03d}__m.sql", line=i + 1, message=f"message {i} " + "x" * 150, n=i))
    return out


def test_small_summary_errors_first_rule_titles_short_paths_run_link():
    fs = [
        finding("missing-lock-timeout", Severity.WARNING, "db/migrations/V1__a.sql", 1, "waits for ACCESS EXCLUSIVE"),
        finding("syntax-error", Severity.ERROR, "db/migrations/V2__b.sql", 3, 'syntax error at or near "ALTER"'),
    ]
    page = summary.render_summary(summary.SummaryData(fs, roots={f.path: "db/migrations" for f in fs}, files=2, failing=True, run_url=RUN,
                                                     blob_url="https://github.com/octo/repo/blob/abc/"))
    rows = [line for line in page.splitlines() if line.startswith("| ❌") or line.startswith("| ⚠️")]
    assert [r.split("|")[1].strip() for r in rows] == ["❌", "⚠️"]  # errors first
    # one short sentence per row: the rule's title from the registry; the message is the link title
    assert rows[0].endswith("| The file is not valid PostgreSQL: the parser rejected it. |")
    assert '[`syntax-error`](' + DOCS + 'syntax-error "syntax error at or near \\"ALTER\\"")' in rows[0]
    # short relative paths, linked to the head commit; the root is named once
    assert "[`V2__b.sql:3`](https://github.com/octo/repo/blob/abc/db/migrations/V2__b.sql#L3)" in rows[0]
    assert "| location in <code>db/migrations/</code> |" in page
    # no roll-up and no per-row suffixes for a small PR
    assert "By rule" not in page and "_outside the diff_" not in page and "(takes" not in page
    assert f"[Workflow run]({RUN})" in page.splitlines()[3]


def test_rollup_above_twenty_findings_and_open_error_group():
    fs = many(3, 30, 10)
    page = summary.render_summary(summary.SummaryData(fs, files=30, failing=True, run_url=RUN))
    assert "**By rule**" in page and "<b>By file</b>: 30 in <code>db/migrations/</code>" in page
    by_rule = page.split("**By rule**")[1].split("</details>")[0]
    # most severe rule first, with counts per severity
    assert by_rule.index("add-column-rewrite") < by_rule.index("missing-lock-timeout") < by_rule.index("serial-column")
    assert re.search(r"\| \[`add-column-rewrite`\]\([^)]*\) \| Add columns to existing tables without rewriting the table\. \| 3 \|  \|  \|", by_rule)
    # the group holding the errors is open, the others collapsed
    assert "<details open><summary><b>❌ 3 errors</b></summary>" in page
    assert "<details><summary><b>⚠️ 30 warnings</b></summary>" in page
    assert "<details><summary><b>ℹ️ 10 notes</b></summary>" in page
    assert page.index("❌ 3 errors") < page.index("⚠️ 30 warnings")


def test_comment_limit_keeps_errors_and_says_where_the_rest_is():
    fs = many(40, 2000, 0, files=400)
    page = summary.render_summary(summary.SummaryData(fs, files=400, failing=True, run_url=RUN))
    assert len(page) <= summary.COMMENT_LIMIT < 65_536
    m = re.search(r"\*\*(\d+) more findings\*\* are not listed here, to keep this comment under GitHub's size limit: see \[the job summary of this run\]\(" + re.escape(RUN), page)
    assert m and int(m.group(1)) > 0
    assert page.count("| ❌ | `") == 40  # every error row kept; warnings dropped first
    assert "⚠️ 2000 warnings" in page  # the counts and roll-ups still count every finding
    assert "… and 100 more files" not in page and "… and 300 more files." in page
    # before rows are dropped, rows lose their message (link title) and rule URLs are defined once
    assert "\n[add-column-rewrite]: " + DOCS + "add-column-rewrite\n" in page and '"message 0 ' not in page
    # the job summary: same renderer, its own (byte) limit, everything fits
    job = summary.render_summary(summary.SummaryData(fs, files=400, failing=True), limit=summary.JOB_SUMMARY_LIMIT, marker=None,
                                 measure=lambda t: len(t.encode()))
    assert "more findings" not in job and job.count("| ⚠️ | `") == 2000
    assert '"message 0 ' in job  # the job summary has room for every message


def test_compact_rows_before_dropping_any():
    fs = many(20, 150, 30)
    full = summary.render_summary(summary.SummaryData(fs, files=30, blob_url="https://github.com/octo/repo/blob/" + "a" * 40 + "/"), limit=10**6)
    assert "/blob/" + "a" * 40 + "/db/migrations/V000__m.sql#L1" in full and '"message 0 ' in full
    page = summary.render_summary(summary.SummaryData(fs, files=30, blob_url="https://github.com/octo/repo/blob/" + "a" * 40 + "/"), limit=35_000)
    assert len(page) <= 35_000 and "more findings" not in page and "/blob/aaaa" not in page
    assert page.count("| ❌ | `") == 20 and page.count("| ⚠️ | `") == 150 and page.count("| ℹ️ | `") == 30


def test_not_inline_said_once_per_reason_with_locations():
    fs = many(2, 13, 0)
    where = {f.fingerprint: "the token is read-only (a pull request from a fork)" for f in fs}
    data = summary.SummaryData(fs, files=15, where=where, not_inline=["15 findings: the token is read-only (a pull request from a fork)",
                                                                       "The earlier comments could not be read."])
    page = summary.render_summary(data)
    assert page.count("read-only") == 1
    assert "- the token is read-only (a pull request from a fork) (15 findings): `V000__m.sql:1`, `V001__m.sql:2`," in page
    assert "and 5 more" in page and "The earlier comments could not be read." in page


def test_same_content_ignores_only_the_footer():
    fs = [finding()]
    a = summary.render_summary(summary.SummaryData(fs, files=1, footer="miglint 0.1.0 · aaaaaaa"))
    b = summary.render_summary(summary.SummaryData(fs, files=1, footer="miglint 0.1.0 · bbbbbbb"))
    assert a != b and summary.same_content(a, b) and summary.same_content(a.replace("\n", "\r\n"), b)
    c = summary.render_summary(summary.SummaryData(fs, files=2, footer="miglint 0.1.0 · aaaaaaa"))
    assert not summary.same_content(a, c)
    d = summary.render_summary(summary.SummaryData(fs, files=1, failing=True, footer="miglint 0.1.0 · aaaaaaa"))
    assert not summary.same_content(a, d)


def test_hostile_paths_and_messages_stay_inert():
    f = finding(path="db/migrations/V1__a|`b`.sql", message='x" onmouseover="y <img src=z> | @octocat')
    page = summary.render_summary(summary.SummaryData([f], files=1))
    assert "<img" not in page and '"x\\" onmouseover=\\"y &lt;img src=z&gt; \\| @octocat"' in page
    assert "``V1__a\\|`b`.sql:1``" in page


# --------------------------------------------------------------------------- end to end


def test_bot_links_the_run_and_edits_the_summary_only_when_it_changes(tmp_path, request):
    """``miglint github`` against the validating fake: the comment links the run and the
    files at the head commit; a rerun with the same findings writes nothing; a push that
    changes the findings edits it."""
    import pytest

    from tests.github_harness import SHARED_API, Repo, config_for, pr_event, require_httpserver, run_bot

    if not SHARED_API.is_dir():
        pytest.skip("../shared/github-api is not beside the repository")
    require_httpserver()
    from tests.github_fake import PR, make_fake

    fake = make_fake(request.getfixturevalue("httpserver"))
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "987654321"}
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for({"syntax-error": "error", "empty-migration": "warning"}), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__b.sql": "CREATE TABLE t (id bigint;\n"}, "bad")

    def run(h: str):
        fake.pulls[7] = PR(7, h, base, repo.api_files(base, h), "octo/repo")
        event = pr_event(repo.path.parent / f"event-{h[:7]}.json", number=7, base=base, head=h)
        n = len(fake.calls)
        r = run_bot(repo.path, event, api_url=fake.api_url, extra_env=env)
        return r, [c.op for c in fake.calls[n:] if c.method != "GET"]

    r1, writes = run(head)
    assert writes == ["pulls/create-review", "issues/create-comment"]
    (comment,) = [c for c in fake.issue_comments[7] if summary.MARKER in c["body"]]
    assert "[Workflow run](https://github.com/octo/repo/actions/runs/987654321)" in comment["body"]
    assert f"(https://github.com/octo/repo/blob/{head}/db/V2__b.sql#L1)" in comment["body"]
    assert "Workflow run" not in r1.summary  # the job summary is on the run's page
    r2, writes = run(head)
    assert writes == [] and "The summary comment was unchanged." in r2.summary
    head2 = repo.commit({"db/V3__c.sql": "\n"}, "empty")
    r3, writes = run(head2)
    assert "issues/update-comment" in writes and "The summary comment was updated." in r3.summary
    (comment,) = [c for c in fake.issue_comments[7] if summary.MARKER in c["body"]]
    assert "V3__c.sql" in comment["body"] and fake.invalid == []
