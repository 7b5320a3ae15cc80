"""`miglint init` on copies of real corpus projects (one per tool), as a user runs it:
`miglint init --yes` in the repository, then `miglint lint` with what it wrote.

What must hold (issue 14 §3): the file loads under config.py's strict validation, lint
ends without a configuration error, lints the same files a walk of the repository finds,
and makes no transaction claim that the project's own tool contradicts. The tool's word
is read here from the markers each tool documents (diesel ``metadata.toml``
``run_in_transaction = false``, dbmate ``transaction:false``, goose ``NO TRANSACTION``,
Flyway ``executeInTransaction=false`` / ``.sql.conf``, popx ``.autocommit.``), not from
miglint's own code; and init's settings must not change what miglint says about
transactions compared with the packaged ``default`` preset (a preset with
``rely-on-transaction: false`` would, claiming re-run hazards inside a transaction)."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from linter import cli, config as configmod, initrepo

#: (project, the preset init must choose, roots it must list)
PROJECTS = [
    ("rust-lang__crates.io", "diesel", ["."]),
    ("supabase__postgres", "dbmate", ["migrations", "init-scripts"]),
    ("ory__hydra", "golang-migrate", ["."]),
    ("MarquezProject__marquez", "flyway", ["."]),
    ("openfga__openfga", "default", ["."]),
    ("documenso__documenso", "default", ["."]),
    ("mckaywrigley__chatbot-ui", "default", ["."]),
]

#: Rules whose message says a statement runs inside (or outside) a transaction.
TX_CLAIMS = {"non-transactional-statement-in-transaction", "validate-constraint-in-same-transaction",
             "backfill-in-ddl-transaction", "nested-transaction", "uncommitted-transaction"}
#: Rules whose findings depend on whether the tool wraps the file (rely-on-transaction).
TX_SENSITIVE = TX_CLAIMS | {"create-without-if-not-exists", "drop-without-if-exists", "create-without-or-replace",
                            "create-without-guard"}


def _tool_runs_outside(project: Path, rel: str) -> bool:
    """The project's own tool runs ``rel`` outside a transaction, by the marker the tool documents."""
    path = project / rel
    text = path.read_text(encoding="utf-8", errors="replace")
    meta = path.parent / "metadata.toml"  # diesel_migrations
    if meta.is_file() and re.search(r"^\s*run_in_transaction\s*=\s*false", meta.read_text(), re.M):
        return True
    if re.search(r"^--\s*migrate:up\b.*transaction:false", text, re.M):  # dbmate README, "Options"
        return True
    if re.search(r"^--\s*\+goose\s+NO\s+TRANSACTION", text, re.M | re.I):  # goose annotations
        return True
    if "flyway:executeInTransaction=false" in text:  # Flyway script configuration
        return True
    conf = path.with_name(path.name + ".conf")
    if conf.is_file() and re.search(r"executeInTransaction\s*=\s*false", conf.read_text()):
        return True
    return ".autocommit." in path.name  # ory popx


def _lint(project: Path, monkeypatch, *extra: str) -> tuple[int, dict]:
    out = project.parent / f"{project.name}-{len(extra)}.json"
    monkeypatch.chdir(project)
    code = cli.main(["lint", *extra, "--format", "json", "--output", str(out)])
    return code, json.loads(out.read_text(encoding="utf-8"))


def _init(project: Path, monkeypatch, *argv: str) -> tuple[int, str, str]:
    monkeypatch.chdir(project)
    args = cli.build_parser().parse_args(["init", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = initrepo.run(args, stdin=io.StringIO(""), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name,preset,roots", PROJECTS, ids=[p[0] for p in PROJECTS])
def test_init_on_a_corpus_project(name, preset, roots, shared_dir, tmp_path, monkeypatch):
    project = tmp_path / name
    shutil.copytree(shared_dir / "corpus" / name, project)

    code, out, err = _init(project, monkeypatch, "--yes")
    assert code == 0, err
    assert "wrote .miglint.yml" in out
    written = yaml.safe_load((project / ".miglint.yml").read_text(encoding="utf-8"))
    assert written["extends"] == preset
    assert sorted(written["roots"]) == sorted(roots)
    assert "transactions" not in written  # miglint's per-tool knowledge is kept, never forced
    cfg = configmod.load(str(project / ".miglint.yml"), cwd=project)  # strict validation
    assert cfg.roots == written["roots"]

    code, report = _lint(project, monkeypatch)
    assert code in (0, 1)  # 2 would be a configuration or usage error
    m = re.search(r"finds (\d+) findings?", out)
    assert m and int(m.group(1)) == report["summary"]["findings"]  # the count init offers to baseline

    # the roots lose no file a walk of the whole repository finds
    code, walked = _lint(project, monkeypatch, ".", "--preset", preset)
    assert code in (0, 1)
    assert report["summary"]["files"] == walked["summary"]["files"]

    # no transaction claim the tool contradicts
    for f in report["findings"]:
        if f["rule"] in TX_CLAIMS and "implicit transaction" not in f["message"]:
            assert not _tool_runs_outside(project, f["path"]), f
    # and the same transaction-dependent findings as miglint's default knowledge gives
    (project / ".miglint.yml").rename(project / "init.yml")
    code, plain = _lint(project, monkeypatch, *roots, "--preset", "default")
    key = lambda f: (f["rule"], f["path"], f["line"], f["column"])  # noqa: E731
    assert sorted(map(key, (f for f in report["findings"] if f["rule"] in TX_SENSITIVE))) == \
        sorted(map(key, (f for f in plain["findings"] if f["rule"] in TX_SENSITIVE)))


def test_the_check_sees_a_contradiction(shared_dir, tmp_path, monkeypatch):
    """The contradiction check above is not vacuous: crates.io's run_in_transaction = false
    migrations hold CREATE INDEX CONCURRENTLY; told that diesel always wraps, miglint
    claims they fail in a transaction, and the check catches it."""
    project = tmp_path / "crates"
    shutil.copytree(shared_dir / "corpus" / "rust-lang__crates.io", project)
    (project / ".miglint.yml").write_text("extends: diesel\ntransactions: {diesel: true}\n", encoding="utf-8")
    _, report = _lint(project, monkeypatch)
    wrong = [f for f in report["findings"] if f["rule"] in TX_CLAIMS and _tool_runs_outside(project, f["path"])]
    assert wrong


def test_never_overwrites_without_force(tmp_path, monkeypatch):
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "migrations" / "V1__create_users.sql").write_text("CREATE TABLE users (id bigint);\n")
    (tmp_path / ".miglint.yml").write_text("extends: strict\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "--yes"]) == 2
    assert (tmp_path / ".miglint.yml").read_text() == "extends: strict\n"
    assert cli.main(["init", "--yes", "--force"]) == 0
    assert yaml.safe_load((tmp_path / ".miglint.yml").read_text())["extends"] == "flyway"


def test_pyproject_table_counts_as_a_configuration(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.miglint]\nextends = "relaxed"\n')
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "--yes"]) == 2
    assert not (tmp_path / ".miglint.yml").exists()


def _repo(tmp_path: Path) -> Path:
    mig = tmp_path / "db" / "migrations"
    mig.mkdir(parents=True)
    (mig / "20240101120000_create_users.sql").write_text(
        "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- migrate:down\nDROP TABLE users;\n")
    (mig / "20240102120000_index_users.sql").write_text(
        "-- migrate:up\nCREATE INDEX users_email_idx ON users (email);\n-- migrate:down\nDROP INDEX users_email_idx;\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  db:\n    image: postgres:15-alpine\n    ports: ['5432:5432']\n"
        "  app:\n    environment:\n      DATABASE_URL: postgres://postgres:postgres@db:5432/app\n"
        "      CACHE: redis:7\n")
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "report.sql").write_text("SELECT 1;\n")
    return tmp_path


def test_workflow_precommit_and_baseline(tmp_path, monkeypatch):
    repo = _repo(tmp_path)
    code, out, err = _init(repo, monkeypatch, "--yes", "--workflow", "--pre-commit", "--baseline")
    assert code == 0, err
    cfg_text = (repo / ".miglint.yml").read_text()
    cfg = yaml.safe_load(cfg_text)
    assert cfg["extends"] == "dbmate" and cfg["pg_version"] == 15 and cfg["roots"] == ["db/migrations"]
    assert "docker-compose.yml" in cfg_text  # the comment says where 15 came from
    assert "not listed: queries/" in cfg_text
    assert cfg["baseline"] == ".miglint-baseline.json"
    accepted = json.loads((repo / ".miglint-baseline.json").read_text())["findings"]
    assert accepted and "accepted" in out
    # lint with what init wrote: everything accepted, so nothing is reported
    code, report = _lint(repo, monkeypatch)
    assert code == 0 and report["findings"] == []

    wf = yaml.safe_load((repo / ".github/workflows/miglint.yml").read_text())
    steps = wf["jobs"]["miglint"]["steps"]
    from linter import __version__

    action = next(s for s in steps if s.get("uses", "").startswith("miglint/miglint@"))
    assert action["uses"] == f"miglint/miglint@v{__version__}" and action["with"]["paths"] == "db/migrations"
    pc = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    hook = pc["repos"][0]
    assert hook["repo"] == initrepo.REPO_URL and hook["hooks"][0]["id"] == "miglint"
    assert re.match(hook["hooks"][0]["files"], "db/migrations/20240101120000_create_users.sql")
    assert not re.match(hook["hooks"][0]["files"], "queries/report.sql")
    hooks = yaml.safe_load((Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text())
    assert hook["hooks"][0]["id"] in {h["id"] for h in hooks}

    # a second run with --force keeps the workflow's text and finds the hook already there
    wf_text = (repo / ".github/workflows/miglint.yml").read_text()
    code, out, _ = _init(repo, monkeypatch, "--yes", "--force", "--workflow", "--pre-commit")
    assert code == 0 and "already runs the miglint hook" in out
    assert (repo / ".github/workflows/miglint.yml").read_text() == wf_text


def test_existing_workflow_is_kept_without_force(tmp_path, monkeypatch):
    repo = _repo(tmp_path)
    wf = repo / ".github" / "workflows" / "miglint.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text("name: mine\n")
    code, _, err = _init(repo, monkeypatch, "--yes", "--workflow")
    assert code == 0 and "not overwritten" in err and wf.read_text() == "name: mine\n"


def test_precommit_entry_is_appended_to_an_existing_file(tmp_path):
    path = tmp_path / ".pre-commit-config.yaml"
    path.write_text("default_stages: [pre-commit]\nrepos:\n  - repo: https://github.com/psf/black\n    rev: 24.1.0\n"
                    "    hooks:\n      - id: black\n")
    before = path.read_text()
    entry = initrepo.precommit_entry(version="0.1.0", files_regex=initrepo.files_regex(["db/migrations"]))
    assert initrepo.add_precommit(path, entry) == "appended"
    text = path.read_text()
    assert text.startswith(before)
    repos = yaml.safe_load(text)["repos"]
    assert [r["repo"] for r in repos] == ["https://github.com/psf/black", initrepo.REPO_URL]
    # repos: not last: left alone, the entry is shown to add by hand
    other = tmp_path / "other.yaml"
    other.write_text("repos:\n  - repo: local\n    hooks: []\nci:\n  autofix_prs: false\n")
    with pytest.raises(ValueError, match="by hand"):
        initrepo.add_precommit(other, entry)


def test_interactive_answers(tmp_path, monkeypatch):
    """On a terminal init asks; the answers (keep the root, another preset, PostgreSQL 14,
    files run outside a transaction, no workflow, no hook, no baseline) are written."""
    mig = tmp_path / "migrations"
    mig.mkdir()
    (mig / "001_create_users.sql").write_text("CREATE TABLE users (id bigint);\n")
    (mig / "002_index.sql").write_text("CREATE INDEX CONCURRENTLY users_id_idx ON users (id);\n")

    class Tty(io.StringIO):
        def isatty(self):
            return True

    answers = Tty("\nrelaxed\n14\nn\n\n\n\n")
    monkeypatch.chdir(tmp_path)
    args = cli.build_parser().parse_args(["init"])
    out = io.StringIO()
    assert initrepo.run(args, stdin=answers, out=out, err=io.StringIO()) == 0
    cfg = yaml.safe_load((tmp_path / ".miglint.yml").read_text())
    assert cfg["extends"] == "relaxed" and cfg["pg_version"] == 14
    assert cfg["transactions"] == {"sequential": False}
    assert "run each file in a transaction?" in out.getvalue()
    assert not (tmp_path / ".github").exists() and not (tmp_path / ".pre-commit-config.yaml").exists()
    # the answer reaches the linter: CONCURRENTLY is no longer said to fail in a transaction
    code, report = _lint(tmp_path, monkeypatch)
    assert not [f for f in report["findings"] if f["rule"] == "non-transactional-statement-in-transaction"]


def test_dry_run_writes_nothing(tmp_path, monkeypatch):
    repo = _repo(tmp_path)
    code, out, _ = _init(repo, monkeypatch, "--yes", "--dry-run")
    assert code == 0 and "extends: dbmate" in out
    assert not (repo / ".miglint.yml").exists()


def test_survey_of_an_empty_repository(tmp_path):
    found = initrepo.survey(tmp_path)
    choices = initrepo.propose(found)
    text = initrepo.render_config(found, choices, version="0.1.0")
    assert choices.preset == "default" and "# roots: [db/migrations]" in text
    path = tmp_path / "c.yml"
    path.write_text(text)
    assert configmod.load(str(path), cwd=tmp_path).roots == []


def test_init_is_in_the_help():
    assert "init" in cli.build_parser().format_help()
    ns = cli.build_parser().parse_args(["init", "--yes"])
    assert ns.command == "init" and ns.yes and ns.directory == "." and not ns.force


def test_a_schema_dump_alone_is_a_root(tmp_path, monkeypatch):
    """A directory holding only a pg_dump file (a baseline, whatever its name) stays linted."""
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "migrations" / "V1__create_users.sql").write_text("CREATE TABLE users (id bigint);\n")
    (tmp_path / "dump").mkdir()
    head = "".join(f"-- Name: t{i}; Type: TABLE; Schema: public; Owner: app\n" for i in range(3))
    (tmp_path / "dump" / "prod.sql").write_text("-- PostgreSQL database dump\n" + head + "CREATE TABLE t0 (id int);\n")
    code, _, err = _init(tmp_path, monkeypatch, "--yes")
    assert code == 0, err
    roots = yaml.safe_load((tmp_path / ".miglint.yml").read_text())["roots"]
    assert sorted(roots) == ["db/migrations", "dump"]
