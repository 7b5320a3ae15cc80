"""Generate ``docs/rules.md`` from the rule registry: ``python -m linter.docs [--check]``.

The file is what every finding's ``docs_url`` points at (``docs/rules.md#<rule-id>``):
a table of every rule (id, family, default level, summary, aliases), then each rule's
full docstring under a heading whose anchor is the rule id. ``--check`` exits 1 when
the committed file differs from what the registry gives (tests run it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from linter import registry

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def render() -> str:
    """The whole markdown text of docs/rules.md."""
    rules = list(registry.all_rules().values())
    out = [
        "# miglint rules",
        "",
        "Generated from the rule modules by `python -m linter.docs`; do not edit by hand.",
        "`miglint rules` lists the same, `miglint explain RULE` prints one rule's section.",
        "",
        "| rule | family | default level | summary | aliases |",
        "|---|---|---|---|---|",
    ]
    for r in rules:
        aliases = ", ".join(f"`{a}`" for a in r.aliases)
        out.append(f"| [`{r.id}`](#{r.id}) | {r.family} | {r.default_level} | {r.summary} | {aliases} |")
    for r in rules:
        body = r.doc.split("\n", 1)[1].strip() if "\n" in r.doc else ""
        body = body.replace("\n## ", "\n### ")
        if body.startswith("## "):
            body = "#" + body
        meta = f"family: `{r.family}` · default level: `{r.default_level}`"
        if r.aliases:
            meta += " · aliases: " + ", ".join(f"`{a}`" for a in r.aliases)
        out += ["", f'<a id="{r.id}"></a>', f"## {r.id}", "", f"**{r.summary}**", "", meta, "", body]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/rules.md, or with ``--check`` report whether it is up to date."""
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        current = DOCS_PATH.read_text(encoding="utf-8") if DOCS_PATH.is_file() else ""
        if current != text:
            print(f"{DOCS_PATH} is out of date: run `python -m linter.docs`", file=sys.stderr)
            return 1
        return 0
    DOCS_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOCS_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOCS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
