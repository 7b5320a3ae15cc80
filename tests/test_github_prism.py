"""``miglint github`` against Stoplight Prism serving GitHub's official OpenAPI description
(``../shared/github-api/mock.sh``): Prism answers a request that violates the schema with
its documented 4xx, which the bot would log as a failure, so a clean log proves every
request the bot made was valid.

Prism needs Node.js and npm (``mock.sh`` installs Prism from the npm registry on first use,
into ``~/.cache/github-api-mock``). Without ``node``/``npx`` the tests skip, except in CI
(``CI`` set), where they fail: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.github_harness import SHARED_API, TOKEN, Repo, config_for, pr_event, push_event, run_bot

RULES = {"syntax-error": "error", "empty-migration": "warning", "unused-suppression": "warning",
         "sqlfluff-style": {"level": "note", "rules": ["CP01"]}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prism(tmp_path_factory):
    mock = SHARED_API / "mock.sh"
    missing = [tool for tool in ("node", "npm", "npx") if shutil.which(tool) is None]
    if not mock.is_file() or missing:
        why = f"Prism needs {', '.join(missing)} (Node.js)" if missing else f"{mock} is missing"
        if os.environ.get("CI"):
            pytest.fail(f"{why}; CI must run the Prism tests (install nodejs and npm)")
        pytest.skip(why)
    port = _free_port()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(mock), str(port)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # the first run installs Prism (~15 s here)
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"mock.sh exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/rate_limit", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"Prism did not start in time:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()  # mock.sh execs Prism, so this is Prism itself
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _clean_log(stderr: str) -> None:
    bad = [line for line in stderr.splitlines() if "failed" in line or "could not" in line or "cannot" in line]
    assert not bad, "\n".join(bad)


def test_pull_request_review_summary_and_check_run(tmp_path, prism):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit(
        {
            "db/V2__style.sql": "SELECT a FROM users where a = 1;\n",
            "db/V3__bad.sql": "CREATE TABLE t (id bigint;\n",
            "db/V4__many.sql": "".join(f"SELECT {i}; -- miglint: ignore syntax-error\n" for i in range(60)),
        },
        "change",
    )
    event = pr_event(tmp_path / "event.json", number=2, base=base, head=head, repo="octo/repo")
    # the diff from git: Prism's list-files answers with a sample file, not ours
    r = run_bot(repo.path, event, api_url=prism, args=["--diff-source", "git", "--check-run", "--sarif-file", "out.sarif"])
    assert r.code == 1, r.stderr
    _clean_log(r.stderr)
    assert "Posted 50 review threads." in r.stderr
    assert "The summary comment was created." in r.stderr
    assert "A check run with the annotations was created." in r.stderr
    assert TOKEN not in r.everything()


def test_pull_request_files_from_the_api(tmp_path, prism):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "change")
    event = pr_event(tmp_path / "event.json", number=2, base=base, head=head)
    r = run_bot(repo.path, event, api_url=prism)
    # Prism's sample diff names no file of ours: nothing is reported, and nothing fails
    assert r.code == 0, r.stderr
    _clean_log(r.stderr)
    # Prism's sample Link header points at api.github.com: never followed with our token
    assert "not following a pagination link to another host" in r.stderr


def test_push_with_compare_and_check_run(tmp_path, prism):
    repo = Repo(tmp_path / "repo")
    repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "CREATE TABLE a (id bigint;\n"}, "only")
    event = push_event(tmp_path / "push.json", before="1" * 40, after="2" * 40)
    r = run_bot(repo.path, event, event_name="push", api_url=prism, args=["--check-run"])
    assert r.code == 0, r.stderr  # compare lists a sample file, not a migration
    _clean_log(r.stderr)
    assert "A check run with the annotations was created." in r.stderr
