"""End-to-end tests of the review's threads: ``miglint github`` run as a subprocess against
the validating fake GitHub (tests/github_fake.py), on pull requests made of real migrations
(tests/github_scenarios.py) and small hand-made ones.

What they hold the bot to (issue 12): one thread per statement and no note-only thread, no
warning thread on rollback code, ``max-comments`` as a cap on the pull request's open threads
across runs, a moved migration keeping its threads, file-level comments for findings about a
file, and a duplicate version reported on the file the pull request adds.
"""

from __future__ import annotations

import pytest

from tests.github_harness import SHARED_API, Repo, config_for, require_httpserver, run_bot
from tests.github_scenarios import CRATES, feature_pr, register, threads_per_statement

if not SHARED_API.is_dir():
    pytest.skip("../shared/github-api is not beside the repository", allow_module_level=True)
require_httpserver()

from tests.github_fake import make_fake  # noqa: E402

RULES = {"syntax-error": "error", "empty-migration": "warning", "unused-suppression": "warning"}


@pytest.fixture
def fake(httpserver):
    f = make_fake(httpserver)
    yield f
    assert f.invalid == [], f"requests GitHub's schema rejects: {f.invalid}"


def _open_threads(fake, number: int = 7) -> list[dict]:
    return [c for c in fake.review_comments.get(number, []) if "<!-- miglint:finding" in c["body"] and "state=resolved" not in c["body"]]


@pytest.mark.skipif(not CRATES.is_dir(), reason="../shared/corpus is not beside the repository")
def test_feature_pr_one_thread_per_statement(tmp_path, fake):
    """crates.io, one index and one column with a volatile default, both with down files,
    under the strict preset (style warnings and type notes on): at most one thread per
    statement, none that holds only a note, none on the down files."""
    repo, base, head, event = feature_pr(tmp_path / "repo", fake)
    r = run_bot(repo.path, event, api_url=fake.api_url, inputs={"preset": "strict"})
    assert r.code == 1, r.stderr
    stats = threads_per_statement(fake)
    assert stats["max_per_statement"] == 1 and stats["note_only"] == 0 and stats["down_threads"] == 0, stats
    assert stats["threads"] >= 2  # the index and the column are both commented
    comments = fake.review_comments[7]
    assert not any(c["path"].endswith("down.sql") for c in comments)
    bodies = "\n".join(c["body"] for c in comments)
    assert "non-concurrent-create-index" in bodies and "add-column-rewrite" in bodies
    # a statement's other findings are lines of its thread, not threads of their own
    token = next(c for c in comments if "add-column-rewrite" in c["body"] and c["line"] == 1)
    assert "missing-lock-timeout" in token["body"] and token["body"].count("```suggestion") <= 1
    # a second run on the same head posts nothing new
    n = len(fake.calls)
    run_bot(repo.path, event, api_url=fake.api_url, inputs={"preset": "strict"})
    assert not [c for c in fake.calls[n:] if c.op in ("pulls/create-review", "pulls/create-review-comment", "pulls/update-review-comment")]


def test_max_comments_caps_open_threads_across_runs(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    big = "".join(f"SELECT {i}; -- miglint: ignore syntax-error\n" for i in range(120))
    head = repo.commit({"db/V2__big.sql": big}, "120 findings")
    event = register(repo, fake, base, head)
    for run in range(3):
        r = run_bot(repo.path, event, api_url=fake.api_url, inputs={"max-comments": "50"})
        assert r.outputs["findings"] == "120"
        assert len(_open_threads(fake)) == 50, f"run {run + 1}"
    # the summary says why the other 70 are not inline
    body = next(c["body"] for c in fake.issue_comments[7] if "miglint:summary" in c["body"])
    assert "70 findings: over the limit of 50 open miglint threads on this pull request" in body


def test_a_moved_migration_keeps_its_threads(tmp_path, fake):
    """``git mv`` of a migration the pull request added, in a later push: its threads stay,
    nothing is marked fixed, nothing is posted again on the new path."""
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head1 = repo.commit({"db/V2__bad.sql": "SELECT 2; -- miglint: ignore syntax-error\nCREATE TABLE t (id bigint;\n"}, "add")
    event1 = register(repo, fake, base, head1)
    run_bot(repo.path, event1, api_url=fake.api_url)
    first = [dict(c) for c in _open_threads(fake)]
    assert {c["path"] for c in first} == {"db/V2__bad.sql"} and len(first) == 2
    head2 = repo.commit(renames={"db/V2__bad.sql": "db/V3__bad.sql"})
    event2 = register(repo, fake, base, head2)
    n = len(fake.calls)
    r = run_bot(repo.path, event2, api_url=fake.api_url)
    later = fake.calls[n:]
    assert not [c for c in later if c.op in ("pulls/create-review", "pulls/create-review-comment")]  # no copies
    assert not any("state=resolved" in c["body"] or "Fixed" in c["body"] for c in fake.review_comments[7])  # nothing "fixed"
    assert len(_open_threads(fake)) == 2 and r.code == 1


def test_a_renamed_deployed_migration_keeps_its_threads(tmp_path, fake):
    """The PR's file list says the file was renamed (``previous_filename``)."""
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\nSELECT 2;\nSELECT 3;\n"}, "base")
    head1 = repo.commit({"db/V1__a.sql": "SELECT 1;\nSELECT 2;\nSELECT 3;\nCREATE TABLE t (id bigint;\n"}, "edit")
    run_bot(repo.path, register(repo, fake, base, head1), api_url=fake.api_url)
    assert [c["path"] for c in _open_threads(fake)] == ["db/V1__a.sql"]
    head2 = repo.commit(renames={"db/V1__a.sql": "db/V4__a.sql"})
    event2 = register(repo, fake, base, head2)
    assert {f["filename"]: f.get("previous_filename") for f in fake.pulls[7].files} == {"db/V4__a.sql": "db/V1__a.sql"}
    n = len(fake.calls)
    run_bot(repo.path, event2, api_url=fake.api_url)
    assert not [c for c in fake.calls[n:] if c.op in ("pulls/create-review", "pulls/create-review-comment")]
    assert not any("state=resolved" in c["body"] for c in fake.review_comments[7])


def test_editing_a_deployed_migration_gets_a_file_comment(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    cfg = config_for({**RULES, "modified-deployed-migration": "error"})
    base = repo.commit({".miglint.yml": cfg, "db/V1__a.sql": "SELECT 1;\nSELECT 2;\nSELECT 3;\n"}, "base")
    head = repo.commit({"db/V1__a.sql": "SELECT 1;\nSELECT 2;\nSELECT 33;\n"}, "edit a deployed file")
    event = register(repo, fake, base, head)
    r = run_bot(repo.path, event, api_url=fake.api_url)
    assert r.code == 1, r.stderr
    (comment,) = [c.body for c in fake.ops("pulls/create-review-comment")]
    assert comment["subject_type"] == "file" and comment["path"] == "db/V1__a.sql" and comment["commit_id"] == head
    assert "[`modified-deployed-migration`](" in comment["body"]
    assert not fake.ops("pulls/create-review")  # not squeezed onto a line


def test_duplicate_version_is_commented_on_the_pull_requests_file(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    cfg = config_for({**RULES, "duplicate-migration-version": "error"})
    base = repo.commit({".miglint.yml": cfg, "db/V1__a.sql": "SELECT 1;\n", "db/V2__b.sql": "SELECT 2;\n"}, "base")
    head = repo.commit({"db/V2__a.sql": "SELECT 22;\n"}, "a second V2, sorting before the merged one")
    event = register(repo, fake, base, head)
    r = run_bot(repo.path, event, api_url=fake.api_url)
    assert r.code == 1, r.stderr
    (comment,) = [c.body for c in fake.ops("pulls/create-review-comment")]
    assert comment["path"] == "db/V2__a.sql" and comment["subject_type"] == "file"
    assert "[`duplicate-migration-version`](" in comment["body"] and "V2__b.sql" in comment["body"]
