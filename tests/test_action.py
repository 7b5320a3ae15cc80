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


def test_action_runs_the_container_entrypoint():
    runs = _action()["runs"]
    assert runs == {"using": "docker", "image": "Dockerfile", "args": ["github"]}
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["miglint"]' in dockerfile
    assert "\nUSER " not in dockerfile  # container actions run as root (GitHub docs)


def test_token_defaults_to_the_workflow_token_and_outputs_are_described():
    action = _action()
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    for name, out in action["outputs"].items():
        assert out.get("description"), name
    assert {"errors", "warnings", "notes", "sarif-file"} <= set(action["outputs"])
