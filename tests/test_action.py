"""action.yml stays a thin map onto `miglint github`: every input it declares is one the
command reads, and every input the command reads is declared (with its default)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from linter.github import command

ROOT = Path(__file__).resolve().parents[1]


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def _inputs_read_by_the_command() -> set[str]:
    text = Path(command.__file__).read_text(encoding="utf-8")
    return set(re.findall(r"input `([a-z-]+)`", text)) | {"github-token"}


def test_inputs_match_the_command():
    declared = set(_action()["inputs"])
    read = _inputs_read_by_the_command()
    assert declared == read, {"declared, never read": declared - read, "read, not declared": read - declared}


def _image_owner() -> str:
    """The GHCR owner: the GitHub owner of pyproject.toml's Homepage (github.com/<owner>/…)."""
    import tomllib

    url = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]["Homepage"]
    m = re.fullmatch(r"https://github\.com/([^/]+)/[^/]+", url)
    assert m, url
    return m.group(1).lower()  # GHCR names are lower case


def test_action_runs_the_published_image_of_this_version():
    """action.yml pulls ghcr.io/<owner>/miglint:<version>, the image release.yml pushes for
    the tag v<version>: its tag must follow every version bump (linter.__version__, which
    pyproject.toml reads as the package version)."""
    from linter import __version__

    runs = _action()["runs"]
    assert runs == {"using": "docker", "image": f"docker://ghcr.io/{_image_owner()}/miglint:{__version__}", "args": ["github"]}
    dynamic = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in dynamic and 'path = "linter/__init__.py"' in dynamic


def test_release_workflow_pushes_the_image_action_yml_runs():
    wf = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text(encoding="utf-8"))
    image = _action()["runs"]["image"].removeprefix("docker://").rsplit(":", 1)[0]
    assert wf["env"]["IMAGE"] == image
    assert wf[True]["push"]["tags"] == ["v[0-9]*"]  # PyYAML reads the key `on` as True
    steps = {job: [s.get("uses", "").split("@")[0] for s in body["steps"]] for job, body in wf["jobs"].items()}
    assert {"docker/setup-qemu-action", "docker/setup-buildx-action", "docker/login-action",
            "docker/build-push-action"} <= set(steps["image"])
    build = next(s for s in wf["jobs"]["image"]["steps"] if s.get("uses", "").startswith("docker/build-push-action"))
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64" and build["with"]["push"] is True
    assert wf["jobs"]["image"]["permissions"]["packages"] == "write"
    assert "pypa/gh-action-pypi-publish" in steps["pypi"]
    assert wf["jobs"]["pypi"]["permissions"] == {"id-token": "write"}  # trusted publishing, no token
    assert set(wf["jobs"]["pypi"]["needs"]) == {"dist", "image"}


def test_ci_workflow_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"Run the tests \(this is exactly what CI runs\):\n\n```sh\n(.+)\n```", readme)
    assert m, "README lost its test command"
    wf = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    assert "pull_request" in wf[True]
    runs = [s.get("run", "") for s in wf["jobs"]["test"]["steps"]]
    assert m.group(1) in runs
    assert any("bash .ci/packaging.sh" in s.get("run", "") for s in wf["jobs"]["packaging"]["steps"])


def test_readme_shows_how_to_pin_the_image_by_digest():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    image = _action()["runs"]["image"].rsplit(":", 1)[0]
    assert f"{image}@sha256:" in readme


def test_action_runs_the_container_entrypoint():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["miglint"]' in dockerfile
    assert "\nUSER " not in dockerfile  # container actions run as root (GitHub docs)


def test_token_defaults_to_the_workflow_token_and_outputs_are_described():
    action = _action()
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    for name, out in action["outputs"].items():
        assert out.get("description"), name
    assert {"errors", "warnings", "notes", "sarif-file"} <= set(action["outputs"])
