"""Helpers for the pull-request bot's end-to-end tests: a throwaway git repository with
migrations, event payloads adapted from ``../shared/github-api/events/``, and running
``miglint github`` as a subprocess with a GitHub Actions environment."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SHARED_API = Path(__file__).resolve().parents[2] / "shared" / "github-api"
EVENTS = SHARED_API / "events"
#: A token-shaped secret the tests look for in every output.
TOKEN = "ghs_TESTtoken0123456789abcdefSECRET42"
ROOT = Path(__file__).resolve().parents[1]


def require_httpserver() -> None:
    """Skip the calling module when pytest-httpserver is missing, except in CI (``CI`` set),
    where it is a test dependency (the ``test`` extra) and its absence is a failure."""
    import pytest

    try:
        import pytest_httpserver  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("pytest-httpserver is not installed (pip install -e '.[test]')", allow_module_level=True)


def git(repo: Path, *args: str) -> str:
    r = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return r.stdout.strip()


class Repo:
    """A git repository in ``path`` with one commit per :meth:`commit`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "main")
        git(path, "config", "user.email", "test@example.com")
        git(path, "config", "user.name", "test")
        git(path, "config", "commit.gpgsign", "false")

    def write(self, files: dict[str, str | None]) -> None:
        for rel, text in files.items():
            p = self.path / rel
            if text is None:
                p.unlink()
            else:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text, encoding="utf-8")

    def commit(self, files: dict[str, str | None] | None = None, message: str = "change", renames: dict[str, str] | None = None) -> str:
        for old, new in (renames or {}).items():
            (self.path / new).parent.mkdir(parents=True, exist_ok=True)
            git(self.path, "mv", old, new)
        self.write(files or {})
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.path, "rev-parse", "HEAD")

    def api_files(self, base: str, head: str) -> list[dict]:
        """``GET /pulls/{n}/files`` items for base...head, made with git directly."""
        out = []
        names = git(self.path, "diff", "--name-status", "-M", f"{base}...{head}").splitlines()
        status = {"A": "added", "D": "removed", "M": "modified", "R": "renamed"}
        for line in names:
            parts = line.split("\t")
            code = parts[0][0]
            item = {"sha": "0" * 40, "filename": parts[-1], "status": status.get(code, "modified"), "additions": 0, "deletions": 0, "changes": 0,
                    "blob_url": "https://example.com/b", "raw_url": "https://example.com/r", "contents_url": "https://example.com/c"}
            if code == "R":
                item["previous_filename"] = parts[1]
            paths = parts[1:]
            diff = git(self.path, "diff", "-M", "-U3", f"{base}...{head}", "--", *paths)
            lines = diff.splitlines()
            start = next((i for i, l in enumerate(lines) if l.startswith("@@")), None)
            if start is not None:
                item["patch"] = "\n".join(lines[start:])
            out.append(item)
        return out


def pr_event(path: Path, *, number: int, base: str, head: str, repo: str = "octo/repo", head_repo: str | None = None) -> Path:
    """``pull_request.opened.json`` pointed at our repository, PR number and commits."""
    data = json.loads((EVENTS / "pull_request.opened.json").read_text())
    data["number"] = number
    pr = data["pull_request"]
    pr["number"] = number
    pr["base"]["sha"], pr["head"]["sha"] = base, head
    pr["base"]["repo"]["full_name"] = repo
    pr["head"]["repo"]["full_name"] = head_repo or repo
    data["repository"]["full_name"] = repo
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def push_event(path: Path, *, before: str, after: str, repo: str = "octo/repo", files: dict[str, list[str]] | None = None) -> Path:
    """``push.branch-update.json`` pointed at our commits."""
    data = json.loads((EVENTS / "push.branch-update.json").read_text())
    data["before"], data["after"] = before, after
    data["repository"]["full_name"] = repo
    if files is not None:
        data["commits"][0].update({"added": files.get("added", []), "modified": files.get("modified", []), "removed": files.get("removed", [])})
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]
    files: dict[str, str]

    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, self.summary, json.dumps(self.outputs), *self.files.values()])


def run_bot(repo: Path, event: Path, *, event_name: str = "pull_request", api_url: str = "", token: str | None = TOKEN,
            args: list[str] = (), inputs: dict[str, str] | None = None, extra_env: dict[str, str] | None = None,
            timeout: float = 240) -> Run:
    """Run ``miglint github`` in ``repo`` as the Actions runner would."""
    work = repo.parent / f"runner-{os.getpid()}"
    work.mkdir(exist_ok=True)
    summary, output = work / "step_summary.md", work / "output.txt"
    for f in (summary, output):
        f.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY="octo/repo",
        GITHUB_WORKSPACE=str(repo),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(output),
        GITHUB_SHA="f" * 40,
        MIGLINT_GITHUB_WRITE_INTERVAL="0",
        PYTHONPATH=str(ROOT),
    )
    if api_url:
        env["GITHUB_API_URL"] = api_url
    if token:
        env["GITHUB_TOKEN"] = token
    for name, value in (inputs or {}).items():
        env["INPUT_" + name.upper()] = value
    env.update(extra_env or {})
    # MIGLINT_ENTRYPOINT runs an installed `miglint` instead (CI points it at the wheel,
    # installed as the Dockerfile installs it), without this checkout on the path
    entry = os.environ.get("MIGLINT_ENTRYPOINT")
    cmd = [*shlex.split(entry), "github"] if entry else [sys.executable, "-m", "linter", "github"]
    if entry:
        env.pop("PYTHONPATH", None)
    r = subprocess.run([*cmd, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)
    outs: dict[str, str] = {}
    for line in output.read_text().splitlines():
        if "=" in line:
            k, _, v = line.partition("=")
            outs[k] = v
    files = {}
    for a in args:
        p = repo / a
        if a.endswith((".sarif", ".json")) and p.is_file():
            files[a] = p.read_text()
    return Run(r.returncode, r.stdout, r.stderr, summary.read_text(), outs, files)


#: A configuration that turns on a few rules that exist since the engine landed, so these
#: tests do not move when other rule families arrive.
CONFIG = """\
extends: default
rules:
{rules}
"""


def config_for(enabled: dict[str, object]) -> str:
    from linter import registry

    rules = {rid: "disable" for rid in registry.all_rules()}
    rules.update(enabled)
    return CONFIG.format(rules="\n".join(f"  {k}: {json.dumps(v)}" for k, v in rules.items()))
