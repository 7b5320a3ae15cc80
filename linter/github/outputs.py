"""The channels that need no API call: workflow-command annotations, the job summary,
step outputs and the SARIF file.

* **Annotations** (``::error file=...::``, rendered by :mod:`linter.formats.github`): GitHub
  shows at most 10 error, 10 warning and 10 notice annotations per step (docs "Workflow
  commands"; NOTES.md section 3), so the 10 most severe of each type are printed and the log
  says how many were left out (every finding is still in the job summary and SARIF).
* **Job summary**: markdown appended to the file at ``GITHUB_STEP_SUMMARY`` (at most 1 MiB
  per step).
* **Outputs**: ``name=value`` lines appended to the file at ``GITHUB_OUTPUT``; a value with a
  line break uses the ``name<<DELIMITER`` form with a random delimiter (docs "Workflow
  commands", "Multiline strings").
"""

from __future__ import annotations

import uuid
from pathlib import Path

from linter.formats._common import most_severe_first
from linter.formats.github import COMMANDS, command
from linter.model import Finding, Severity

#: Annotations GitHub shows per type and step.
ANNOTATIONS_PER_TYPE = 10


def annotations(findings: list[Finding], cap: int = ANNOTATIONS_PER_TYPE) -> tuple[list[str], dict[str, int]]:
    """The workflow-command lines for the ``cap`` most severe findings of each type, and
    ``{"error": n, "warning": n, "notice": n}`` left out."""
    lines: list[str] = []
    shown = {name: 0 for name in COMMANDS.values()}
    left = {name: 0 for name in COMMANDS.values()}
    for f in most_severe_first(findings):
        kind = COMMANDS[f.severity]
        if shown[kind] < cap:
            lines.append(command(f))
            shown[kind] += 1
        else:
            left[kind] += 1
    return lines, left


def left_out_sentence(left: dict[str, int]) -> str | None:
    """"35 error and 2 warning annotations were left out ..." or ``None``."""
    parts = [f"{n} {kind}" for kind, n in left.items() if n]
    if not parts:
        return None
    return (
        f"{' and '.join(parts)} annotation{'s' if sum(left.values()) != 1 else ''} left out "
        f"(GitHub shows {ANNOTATIONS_PER_TYPE} per type and step; the most severe are shown, all findings are in the job summary)"
    )


def append_file(path: str | None, text: str) -> bool:
    """Append ``text`` to the file at ``path`` (UTF-8); False when there is none or it fails."""
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
        return True
    except OSError:
        return False


def output_lines(values: dict[str, str]) -> str:
    """``GITHUB_OUTPUT`` text for ``values``."""
    out = []
    for name, value in values.items():
        value = str(value)
        if "\n" in value or "\r" in value:
            delim = f"ghadelimiter_{uuid.uuid4()}"
            out.append(f"{name}<<{delim}\n{value}\n{delim}\n")
        else:
            out.append(f"{name}={value}\n")
    return "".join(out)


def write_text(path: str, text: str) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


def counts(findings: list[Finding]) -> dict[str, int]:
    out = {s.value: 0 for s in Severity}
    for f in findings:
        out[f.severity.value] += 1
    return out
