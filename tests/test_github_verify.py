"""``verify: true`` in the action (``miglint github --verify``): the pull request's new
migration is replayed on a server miglint starts, after the base's; what failed is a
finding in the review and the summary, lock findings carry their ``verification`` into
SARIF; a ``database-url`` server that holds other data is refused (exit 2)."""

from __future__ import annotations

import json
import os

import pytest

from tests.github_harness import SHARED_API, Repo, config_for, pr_event, require_httpserver, run_bot

if not SHARED_API.is_dir():
    pytest.skip("../shared/github-api is not beside the repository", allow_module_level=True)
require_httpserver()
pytest.importorskip("psycopg")

from tests.github_fake import PR, make_fake  # noqa: E402

RULES = {"verify-statement-failed": "error", "non-concurrent-create-index": "warning"}


@pytest.fixture
def fake(httpserver):
    f = make_fake(httpserver)
    yield f
    assert f.invalid == [], f"requests GitHub's schema rejects: {f.invalid}"


def _binaries_or_skip():
    from linter.verify import server as srv

    try:
        srv.find_bindir()
    except srv.ServerError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def _pr(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES),
                        "db/V1__users.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"}, "base")
    head = repo.commit({"db/V2__email.sql": "CREATE INDEX users_email ON users (email);\nALTER TABLE users ADD COLUMN email text;\n"}, "feature")
    fake.pulls[7] = PR(7, head, base, repo.api_files(base, head), "octo/repo")
    return repo, pr_event(tmp_path / "event.json", number=7, base=base, head=head, head_repo="octo/repo")


def test_verify_findings_reach_the_review_and_sarif(tmp_path, fake):
    _binaries_or_skip()
    repo, event = _pr(tmp_path, fake)
    r = run_bot(repo.path, event, api_url=fake.api_url, args=["--sarif-file", "out.sarif"],
                inputs={"verify": "true"}, extra_env={"MIGLINT_CACHE_DIR": str(tmp_path / "cache")})
    assert r.code == 1, r.stderr
    review = fake.ops("pulls/create-review")[0].body
    bodies = " ".join(c["body"] for c in review["comments"])
    assert "verify-statement-failed" in bodies and "42701" in bodies
    sarif = json.loads(r.files["out.sarif"])
    results = sarif["runs"][0]["results"]
    idx = [x for x in results if x["ruleId"] == "non-concurrent-create-index"]
    assert idx and idx[0]["properties"]["verification"]["status"] == "confirmed"
    assert "**Verified on PostgreSQL " in r.summary  # the summary's section (formats/summary.py)
    # the base (V1) went into the cache
    assert [p for p in (tmp_path / "cache" / "verify").iterdir()]


def test_a_database_url_holding_data_is_refused(tmp_path, fake):
    _binaries_or_skip()
    import psycopg

    from linter.verify.server import LocalServer

    repo, event = _pr(tmp_path, fake)
    with LocalServer() as s:
        with psycopg.connect(s.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE TABLE precious (id int)")
        url = f"host={s.socket_dir} port={s.port} user=postgres dbname=postgres"
        r = run_bot(repo.path, event, api_url=fake.api_url, inputs={"verify": "true", "database-url": url})
        assert r.code == 2
        assert "holds other data" in r.stderr and "public.precious" in r.stderr
        r = run_bot(repo.path, event, api_url=fake.api_url,
                    inputs={"verify": "true", "database-url": url, "database-is-throwaway": "true"})
        assert r.code == 1, r.stderr
        with psycopg.connect(s.conninfo(), autocommit=True) as conn:
            left = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'miglint_verify_%'").fetchone()[0]
        assert left == 0
