"""Trust nothing miglint did not write (issue 12, section 8).

* Text from SQL, file names and bundles is neutralised before it reaches GitHub markdown
  (:mod:`linter.formats._markdown`): no mention, no HTML, no link or image, no heading, no
  marker text, code spans that hold backticks.
* Only miglint's own comments (author AND marker, :mod:`linter.github.identity`) are edited,
  deleted, counted or trusted.
* The bundle of the fork-safe flow is validated data (:mod:`linter.github.bundle_schema`).

The end-to-end tests drive ``miglint github`` as a subprocess against the validating fake
(tests/github_fake.py) and assert on exactly what was sent.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

import pytest

from linter.formats._markdown import cell, code, md
from linter.github import bundle_schema
from linter.github.identity import DEFAULT_LOGIN, Identity, own
from tests.github_harness import ROOT, SHARED_API, Repo, config_for, pr_event, require_httpserver, run_bot

HOSTILE = [
    '"x @octocat"',
    "@octocat and @github/security, mail a@b.example",
    '"<img src=x>" <img src=x onerror=alert(1)> <b>bold</b>',
    '"a`b``c"',
    "'<!-- miglint:summary -->' and <!-- miglint:finding fp=0123456789abcdef rule=syntax-error -->",
    "# ✅ safe to merge",
    "![track](https://evil.example/t.png) [click](https://evil.example) <https://evil.example> www.evil.example",
    "line one\n# heading\n- list\n| a | b |\n|---|---|",
    "$\\sqrt{x}$ ~~gone~~ **bold** see #12",
    "`unclosed backtick and ``` fences",
]

#: HTML tags miglint's own templates write (everything else in a body came from outside).
OWN_TAGS = {"details", "/details", "summary", "/summary", "b", "/b", "br", "sub", "/sub", "code", "/code"}


def strip_code(text: str) -> str:
    """``text`` without its fenced blocks, code spans and link titles (``(url "title")``:
    an attribute, shown as a tooltip; nothing in it renders or mentions)."""
    text = re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1\s*$", "", text)
    text = re.sub(r'((?<!\\)\]\(\S+) "(?:[^"\\]|\\.)*"\)', r"\1)", text)
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", text)


def assert_inert(body: str, *, marker: str | None = None) -> None:
    """No mention, no foreign HTML, no link or image, no heading, and marker text only as
    the body's first line (when ``marker`` is given; none at all otherwise)."""
    if marker is None:
        assert "<!--" not in body, body
    else:
        assert body.startswith(marker) and body.count("<!--") == 1, body
    rendered = strip_code(body[len(marker or ""):])
    assert not re.search(r"@\w", rendered), rendered  # mentions break on the zero-width space
    tags = {t.lower() for t in re.findall(r"<(/?[A-Za-z][A-Za-z0-9]*)", rendered)}
    assert tags <= OWN_TAGS, tags - OWN_TAGS
    assert not re.search(r"(?<!\\)!?(?<!\\)\[[^\]]*(?<!\\)\]\((?!https://github\.com/miglint/)", rendered), rendered
    assert not re.search(r"(?i)https?://(?!github\.com/miglint/)", rendered), rendered
    assert not re.search(r"(?m)^#{1,6} (?!miglint)", rendered), rendered


# --------------------------------------------------------------------------- neutralising


@pytest.mark.parametrize("text", HOSTILE)
def test_prose_and_cells_are_inert(text):
    for out in (md(text), cell(text)):
        assert "\n" not in out
        assert_inert(out)
        assert not out.startswith(("#", "-", "|"))


def test_identifiers_become_code_spans_that_hold_their_backticks():
    out = md('CREATE INDEX "a`b``c" on "t`x" takes a SHARE lock')
    assert out == 'CREATE INDEX ```"a`b``c"``` on ``"t`x"`` takes a SHARE lock'
    assert code("`x") == "`` `x ``" and code("a``b") == "```a``b```"
    # a rule's own backtick span keeps SQL quotes together: the backtick in "a`b" is content
    assert md('then `ALTER TABLE "a`b" ADD` and') == 'then ``ALTER TABLE "a`b" ADD`` and'
    assert md("first (`SET LOCAL lock_timeout = '5s';`) so") == "first (`SET LOCAL lock_timeout = '5s';`) so"
    # code spans never carry marker text, and a cell escapes | inside them too
    assert "<!--" not in code("<!-- miglint:summary -->")
    assert cell('a|b "c|d"') == 'a\\|b `"c\\|d"`'


def test_link_titles_cannot_end_early_or_mention():
    from linter.formats._markdown import link_title

    assert link_title('CREATE INDEX "idx @octocat" <img> a\\b & c|d', in_table=True) == (
        'CREATE INDEX \\"idx @&#8203;octocat\\" &lt;img&gt; a\\\\b &amp; c\\|d'
    )
    assert link_title("x" * 400).endswith("…") and len(link_title("x" * 400)) == 300


def test_mentions_links_and_references_are_broken():
    out = md("ping @octocat, see https://evil.example and #12")
    assert "@&#8203;octocat" in out and "https&#8203;://" in out and "#&#8203;12" in out


# --------------------------------------------------------------------------- identity


def _comment(cid, login, body, uid=None):
    return {"id": cid, "user": {"login": login, "id": uid or 1, "type": "User"}, "body": body}


def test_ours_needs_author_and_leading_marker():
    me = Identity()
    assert me.login == DEFAULT_LOGIN
    items = [
        _comment(1, "mallory", "<!-- miglint:summary -->\nforged"),
        _comment(2, "github-actions[bot]", "<!-- miglint:summary -->\nmine", 41898282),
        _comment(3, "GitHub-Actions[bot]", "quoted: <!-- miglint:summary -->", 41898282),
        _comment(4, "github-actions[bot]", "\n<!-- miglint:finding fp=ab rule=x -->", 41898282),
        {"id": 5, "body": "<!-- miglint:summary -->"},
        "junk",
    ]
    said = []
    me.log = said.append
    assert [c["id"] for c in own(items, me, "<!-- miglint:summary -->")] == [2]
    assert [c["id"] for c in own(items, me)] == [2, 4]
    assert said[0] == "1 comment by 'mallory' carries miglint's marker and was left alone (miglint only edits its own comments, by github-actions[bot])"
    assert len(said) == 2 and "by '?'" in said[1]  # a comment without an author is no one's, and not ours
    app = [{"id": 9, "user": {"login": "other-app[bot]", "id": 5, "type": "Bot"}, "body": "<!-- miglint:summary -->"}]
    assert own(app, me) == [] and "set the action input `bot-login: other-app[bot]`" in said[-1]


def test_identity_configured_and_learned():
    app = Identity.configured("@miglint-app[bot]")
    assert app.login == "miglint-app[bot]" and app.source == "input bot-login"
    with pytest.raises(ValueError):
        Identity.configured("a b")
    said = []
    me = Identity()
    me.learn({"user": {"login": "miglint-app[bot]", "id": 77}}, said.append)
    assert me.id == 77 and len(said) == 1 and "bot-login: miglint-app[bot]" in said[0]
    # once learned, the id decides: a renamed login is still us, a same-named other id is not
    assert me.authored({"user": {"login": "renamed[bot]", "id": 77}})
    assert not me.authored({"user": {"login": "miglint-app[bot]", "id": 78}})
    me.learn({"user": {"login": "other", "id": 1}}, said.append)
    assert me.id == 77 and len(said) == 1


# --------------------------------------------------------------------------- bundle schema


def _valid_bundle() -> dict:
    return {
        "kind": bundle_schema.KIND,
        "version": bundle_schema.VERSION,
        "tool_version": "0.1.0",
        "repository": "octo/repo",
        "pull_request": {"number": 7, "head_sha": "a" * 40, "base_sha": "b" * 40},
        "fail_on": "error",
        "files": 1,
        "scope": "changed migration files",
        "roots": {"db/V2__a.sql": "db"},
        "findings": [
            {
                "rule": "non-concurrent-create-index",
                "severity": "error",
                "path": "db/V2__a.sql",
                "line": 1,
                "column": 1,
                "end_line": 1,
                "end_column": 30,
                "message": 'CREATE INDEX "i" on "t" takes a SHARE lock',
                "help": "Use CREATE INDEX CONCURRENTLY.",
                "fingerprint": "0123456789abcdef",
                "redacted": False,
                "properties": {"lock": "SHARE", "table": "t", "also": ["missing-lock-timeout"]},
                "fix": None,
                "suggestion": {"first_line": 1, "last_line": 1, "text": "CREATE INDEX CONCURRENTLY i ON t (a);"},
            }
        ],
        "stale_paths": [],
        "locks": {
            "pg_version": 16,
            "files": [
                {
                    "path": "db/V2__a.sql",
                    "convention": "flyway",
                    "direction": "up",
                    "wrapped": True,
                    "why": "Flyway runs each script in a transaction",
                    "error": None,
                    "statements": [
                        {
                            "line": 1, "column": 1, "end_line": 1, "end_column": 30, "kind": "CREATE INDEX", "text": "CREATE INDEX i ON t (a)",
                            "nested": None, "nested_in": None, "section": "up", "in_transaction": True, "transaction": "Flyway",
                            "verdict": "blocks writes", "notes": [],
                            "locks": [{"relation": "t", "mode": "SHARE", "what": "CREATE INDEX", "rewrite": False, "scan": True, "blocks": "writes", "new_table": False}],
                        }
                    ],
                }
            ],
            "notes": [],
        },
        "notes": [],
        "statements": {"0123456789abcdef": [1, 1]},
        "down": [],
    }


def test_valid_bundle_is_accepted_and_the_lock_report_rebuilt():
    b = bundle_schema.validate(_valid_bundle())
    assert b.findings[0].rule == "non-concurrent-create-index" and b.findings[0].suggestion["text"].startswith("CREATE INDEX CONCURRENTLY")
    assert b.locks.counts == {"blocks writes": 1}
    assert b.statements == {"0123456789abcdef": (1, 1)} and b.down == set()
    from linter.formats import locks_markdown

    assert "`t` SHARE (scan)" in locks_markdown.render(b.locks)


def _set(d: dict, path: str, value) -> dict:
    d = copy.deepcopy(d)
    keys = path.split(".")
    node = d
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return d


@pytest.mark.parametrize(
    "path, value, error",
    [
        ("version", 1, "layout version 1"),
        ("kind", "other", "not a miglint bundle"),
        ("lock_markdown", "## ✅ safe to merge", "bundle: unknown field 'lock_markdown'"),
        ("findings.0.docs_url", "https://evil.example", "findings[0]: unknown field 'docs_url'"),
        ("findings.0.line", "1", "findings[0].line: expected an integer, got a string"),
        ("findings.0.line", True, "findings[0].line: expected an integer, got a boolean"),
        ("findings.0.line", 0, "findings[0].line: 0 is out of range"),
        ("findings.0.severity", "critical", "findings[0].severity: expected one of error, warning, note"),
        ("findings.0.rule", "made-up-rule", "findings[0].rule: not a rule of miglint"),
        ("findings.0.message", "x" * 100_000, "findings[0].message: 100000 characters, more than"),
        ("findings.0.message", "a\x1b[31mred", "findings[0].message: holds a control character (U+001B)"),
        ("findings.0.fingerprint", "zz", "findings[0].fingerprint: not a valid value"),
        ("findings.0.path", "../../etc/passwd", "findings[0].path: not a relative path"),
        ("findings.0.properties", {"lock": {"nested": 1}}, "findings[0].properties.lock: expected a string"),
        ("findings.0.redacted", True, "findings[0]: a redacted finding (secrets) carries"),
        ("findings.0.suggestion.last_line", 5000, "findings[0].suggestion: lines 1..5000"),
        ("findings.0.severity", KeyError, "findings[0]: missing field severity"),
        ("findings", [{}] * (bundle_schema.MAX_FINDINGS + 1), "findings: 20001 items, more than 20000"),
        ("fail_on", "sometimes", "fail_on: expected one of"),
        ("scope", "## heading", "scope: expected one of"),
        ("pull_request.head_sha", "HEAD", "pull_request.head_sha: not a valid value"),
        ("repository", "octo/repo<img>", "repository: not a valid value"),
        ("locks.files.0.statements.0.verdict", "✅ safe to merge", "locks.files[0].statements[0].verdict: expected one of"),
        ("locks.files.0.statements.0.locks.0.mode", "NO LOCK", "locks.files[0].statements[0].locks[0].mode: expected one of"),
        ("locks.markdown", "| x |", "locks: unknown field 'markdown'"),
        ("notes", ["x"] * 51, "notes: 51 items, more than 50"),
        ("statements", {"zz": [1, 2]}, "statements['zz']: not a valid value"),
        ("statements", {"0123456789abcdef": [3, 2]}, "the lines do not run forward"),
        ("down", "0123456789abcdef", "down: expected a list"),
    ],
)
def test_bundle_rejections_name_the_field(path, value, error):
    with pytest.raises(bundle_schema.BundleError) as exc:
        bundle_schema.validate(_set(_valid_bundle(), path, value))
    assert error in str(exc.value)


def test_bundle_file_size_is_capped(tmp_path):
    p = tmp_path / "big.json"
    with open(p, "wb") as fh:
        fh.write(b" " * (bundle_schema.MAX_BYTES + 1))
    with pytest.raises(bundle_schema.BundleError, match="larger than 32 MiB"):
        bundle_schema.read(str(p))


def test_saved_bundle_keeps_the_most_severe_findings_within_the_cap(monkeypatch):
    from linter.github import bundle, context as ctxmod
    from linter.github.prepare import Prepared
    from linter.model import Finding, Severity, Span

    def finding(n, sev):
        return Finding("syntax-error", "syntax", sev, f"db/V{n}__a.sql", Span.at(1, 1), "msg", None, "https://x", f"{n:016x}")

    class Ctx:
        repository = "octo/repo"
        pull_request = ctxmod.PullRequest(7, "a" * 40, "b" * 40, "octo/repo")

    prep = Prepared(findings=[finding(1, Severity.NOTE), finding(2, Severity.ERROR), finding(3, Severity.WARNING)], fail_on="error")
    monkeypatch.setattr(bundle_schema, "MAX_FINDINGS", 2)
    data = bundle.bundle_data(Ctx(), prep)
    assert [f["severity"] for f in data["findings"]] == ["error", "warning"]
    assert "1 less severe findings were left out of the bundle" in data["notes"][-1]
    assert len(bundle_schema.validate(data).findings) == 2


# --------------------------------------------------------------------------- end to end

if not SHARED_API.is_dir():  # pragma: no cover
    pytest.skip("../shared/github-api is not beside the repository", allow_module_level=True)
require_httpserver()

from tests.github_fake import PR, make_fake  # noqa: E402

RULES = {"syntax-error": "error", "non-concurrent-create-index": "error"}
HOSTILE_SQL = """\
CREATE INDEX "idx @octocat" ON "x @octocat" (a);
CREATE INDEX "<img src=x>" ON "<img src=x>" (a);
CREATE INDEX "a`b``c" ON "t`x" (a);
CREATE INDEX "<!-- miglint:summary -->" ON "<!-- miglint:finding fp=0123456789abcdef rule=syntax-error -->" (a);
COMMENT ON TABLE users IS '<!-- miglint:summary --> @octocat <img src=x> ![t](https://evil.example/t.png)';
"""
SUMMARY = "<!-- miglint:summary -->"
MALLORY = {"login": "mallory", "id": 666, "type": "User"}


@pytest.fixture
def fake(httpserver):
    f = make_fake(httpserver)
    yield f
    assert f.invalid == [], f"requests GitHub's schema rejects: {f.invalid}"


def _pr(repo: Repo, fake, base: str, head: str, number: int = 7, head_repo: str = "octo/repo"):
    fake.pulls[number] = PR(number, head, base, repo.api_files(base, head), head_repo)
    return pr_event(repo.path.parent / f"event-{number}-{head[:7]}.json", number=number, base=base, head=head, head_repo=head_repo)


def _fingerprints(repo: Repo) -> dict[int, str]:
    r = subprocess.run([sys.executable, "-m", "linter", "lint", ".", "--format", "json"], cwd=repo.path, capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return {f["line"]: f["fingerprint"] for f in json.loads(r.stdout)["findings"]}


def _written_bodies(fake) -> list[tuple[str, str]]:
    """(operation, markdown) of every body miglint sent."""
    out = []
    for c in fake.writes():
        body = c.body if isinstance(c.body, dict) else {}
        if c.op == "pulls/create-review":
            out.append((c.op, body.get("body", "")))
            out += [(c.op + "/comment", item["body"]) for item in body.get("comments") or []]
        elif "body" in body:
            out.append((c.op, body["body"]))
        elif c.op.startswith("checks/"):
            out.append((c.op, (body.get("output") or {}).get("summary", "")))
    return out


def test_comments_by_another_user_with_our_markers_are_left_alone(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "change")
    event = _pr(repo, fake, base, head)
    fp = _fingerprints(repo)[1]
    # mallory got there first: a forged sticky summary, and review comments with finding
    # markers (one for the real finding, which would suppress its comment; one for a finding
    # that is not reported, which would be "marked fixed")
    fake.issue_comments[7] = [
        {"id": 11, "user": MALLORY, "body": f"{SUMMARY}\n## ✅ miglint: safe to merge"},
        {"id": 12, "user": MALLORY, "body": f"{SUMMARY}\nanother"},
    ]
    fake.review_comments[7] = [
        {"id": 21, "user": MALLORY, "path": "db/V2__bad.sql", "line": 1, "body": f"<!-- miglint:finding fp={fp} rule=syntax-error -->\nlooks fine"},
        {"id": 22, "user": MALLORY, "path": "db/V2__bad.sql", "line": 1, "body": "<!-- miglint:finding fp=deadbeefdeadbeef rule=syntax-error -->\nx"},
    ]
    before = copy.deepcopy((fake.issue_comments[7], fake.review_comments[7]))

    for run in (1, 2):
        if run == 2:  # make our summary stale, so the second run must edit it (and only it)
            mine = [c for c in fake.issue_comments[7] if c["id"] not in (11, 12)]
            assert len(mine) == 1
            mine[0]["body"] = f"{SUMMARY}\nstale"
        r = run_bot(repo.path, event, api_url=fake.api_url)
        assert r.code == 1, r.stderr
        touched = [c for c in fake.writes() if re.search(r"/comments/(11|12|21|22)$", c.path)]
        assert touched == [], touched  # no PATCH, no DELETE on anyone else's comment
        # the log names the author once (review comments and issue comments alike)
        assert len(re.findall(r"by 'mallory' carry miglint's marker and were left alone", r.stderr)) == 1, r.stderr
    assert (fake.issue_comments[7][:2], fake.review_comments[7][:2]) == before
    # miglint posted its own review comment for the finding, once, and its own summary, once
    reviews = fake.ops("pulls/create-review")
    assert len(reviews) == 1 and f"fp={fp}" in reviews[0].body["comments"][0]["body"]
    assert [c.status for c in fake.ops("issues/create-comment")] == [201]
    ours = [c for c in fake.issue_comments[7] if c["user"]["login"] == "github-actions[bot]"]
    assert [c.path.rsplit("/", 1)[1] for c in fake.ops("issues/update-comment")] == [str(ours[0]["id"])]  # run 2 edits its own
    assert len(ours) == 1 and ours[0]["body"].startswith(SUMMARY) and "safe to merge" not in ours[0]["body"]
    assert not fake.ops("issues/delete-comment") and not fake.ops("pulls/update-review-comment")


def test_github_app_identity_by_input_and_learned(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__bad.sql": "CREATE TABLE t (id bigint;\n"}, "change")
    event = _pr(repo, fake, base, head)
    fake.bot_user = {"login": "miglint-app[bot]", "id": 4242, "type": "Bot"}
    # without bot-login: the first POST shows who the token posts as; the log says what to set
    r1 = run_bot(repo.path, event, api_url=fake.api_url)
    assert "set the action input `bot-login: miglint-app[bot]`" in r1.stderr
    assert len(fake.ops("issues/create-comment")) == 1
    (summary,) = fake.issue_comments[7]
    summary["body"] = f"{SUMMARY}\nstale"  # so that the next run has something to edit
    # with it, the next run recognises its comments: nothing posted twice
    r2 = run_bot(repo.path, event, api_url=fake.api_url, inputs={"bot-login": "miglint-app[bot]"})
    assert r2.code == 1 and "bot-login" not in r2.stderr
    assert len(fake.ops("issues/create-comment")) == 1
    assert [c.path.rsplit("/", 1)[1] for c in fake.ops("issues/update-comment")] == [str(summary["id"])]
    assert len(fake.ops("pulls/create-review")) == 1
    r3 = run_bot(repo.path, event, api_url=fake.api_url, inputs={"bot-login": "a b"})
    assert r3.code == 2 and "bot-login" in r3.stderr


def test_hostile_identifiers_render_inert(tmp_path, fake):
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__hostile.sql": HOSTILE_SQL}, "hostile names")
    event = _pr(repo, fake, base, head)
    r = run_bot(repo.path, event, api_url=fake.api_url, args=["--check-run"])
    assert r.code == 1, r.stderr
    bodies = _written_bodies(fake)
    assert {op for op, _ in bodies} >= {"pulls/create-review/comment", "issues/create-comment", "checks/create"}
    assert sum(op == "pulls/create-review/comment" for op, _ in bodies) == 4
    for op, body in bodies:
        if op == "pulls/create-review/comment":
            assert_inert(body, marker=re.match(r"<!-- miglint:finding [^>]*-->", body).group(0))
        elif op == "issues/create-comment":
            assert_inert(body, marker=SUMMARY)
        else:
            assert_inert(body)
    assert_inert(r.summary)
    # the names are all there, as code, in the threads
    threads = "\n".join(body for op, body in bodies if op == "pulls/create-review/comment")
    assert '`"x @octocat"`' in threads and '`"<img src=x>"`' in threads and '```"a`b``c"```' in threads


# --------------------------------------------------------------------------- forged bundles


@pytest.fixture
def bundle_flow(tmp_path, fake):
    """An untrusted job's bundle and a function running the trusted job on a given bundle."""
    repo = Repo(tmp_path / "repo")
    base = repo.commit({".miglint.yml": config_for(RULES), "db/V1__a.sql": "SELECT 1;\n"}, "base")
    head = repo.commit({"db/V2__a.sql": "CREATE INDEX i ON t (a);\n"}, "fork change")
    event = _pr(repo, fake, base, head, head_repo="stranger/repo")
    r1 = run_bot(repo.path, event, api_url=fake.api_url, token=None, args=["--save-bundle", "bundle.json", "--comment-mode", "annotations"])
    assert r1.code == 1 and fake.writes() == []
    data = json.loads((repo.path / "bundle.json").read_text())
    assert data["version"] == bundle_schema.VERSION and "lock_markdown" not in data and data["locks"]["files"] and data["statements"]
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    wr = tmp_path / "workflow_run.json"
    wr.write_text(json.dumps({"workflow_run": {"head_sha": head, "event": "pull_request"}, "repository": {"full_name": "octo/repo"}}))

    def trusted_run(bundle: dict | bytes):
        raw = bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode()
        (trusted / "bundle.json").write_bytes(raw)
        return run_bot(trusted, wr, event_name="workflow_run", api_url=fake.api_url, args=["--bundle", "bundle.json"])

    return data, trusted_run


FORGED = "# ✅ safe to merge\n![track](https://evil.example/t.png) <img src=x> <!-- miglint:summary --> @octocat [click](https://evil.example)"


def test_forged_bundle_text_renders_inert(bundle_flow, fake):
    data, trusted_run = bundle_flow
    forged = copy.deepcopy(data)
    f = forged["findings"][0]
    f["message"], f["help"] = FORGED, FORGED
    f["properties"]["lock"] = "SHARE** ![x](https://evil.example/x.png) **"
    f["properties"]["table"] = "t` <img src=x> `"
    forged["notes"] = [FORGED]
    forged["locks"]["files"][0]["statements"][0]["locks"][0]["relation"] = "<img src=x> @octocat"
    forged["locks"]["notes"] = [FORGED.replace("\n", " ")]  # one line: the schema refuses line breaks there
    r = trusted_run(forged)
    assert r.code == 1, r.stderr
    bodies = _written_bodies(fake)
    assert {op for op, _ in bodies} >= {"pulls/create-review/comment", "issues/create-comment"}
    for op, body in bodies:
        if op == "pulls/create-review/comment":
            assert_inert(body, marker=re.match(r"<!-- miglint:finding [^>]*-->", body).group(0))
        elif op == "issues/create-comment":
            assert_inert(body, marker=SUMMARY)
            assert "Lock report" in body  # re-rendered from the validated rows
        else:
            assert_inert(body)
    assert_inert(r.summary)


@pytest.mark.parametrize(
    "change, error",
    [
        (lambda d: d.update(lock_markdown="## ✅ safe to merge\n![t](https://evil.example/t.png)"), "unknown field 'lock_markdown'"),
        (lambda d: d["findings"][0].update(message="x" * 20_000), "findings[0].message: 20000 characters"),
        (lambda d: d["findings"][0].update(line="1"), "findings[0].line: expected an integer"),
        (lambda d: d.update(version=1), "layout version 1"),
    ],
)
def test_forged_bundle_is_refused_and_nothing_posted(bundle_flow, fake, change, error):
    data, trusted_run = bundle_flow
    forged = copy.deepcopy(data)
    change(forged)
    r = trusted_run(forged)
    assert r.code == 2 and error in r.stderr and "nothing posted" in r.stderr
    assert fake.writes() == []


def test_oversize_bundle_file_is_refused(bundle_flow, fake):
    _, trusted_run = bundle_flow
    r = trusted_run(b" " * (bundle_schema.MAX_BYTES + 1) + b"{}")
    assert r.code == 2 and "larger than 32 MiB" in r.stderr and fake.writes() == []
