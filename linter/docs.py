"""Generate docs from the code: ``python -m linter.docs [--check]``.

* ``docs/rules.md``, what every finding's ``docs_url`` points at
  (``docs/rules.md#<rule-id>``): a table of every rule (id, family, default level,
  summary, aliases), then each rule's full docstring under a heading anchored at its id.
* The README's preset block (between ``<!-- presets:start`` and ``<!-- presets:end -->``):
  every file of ``rules/`` verbatim.

``--check`` exits 1 when a committed file differs from what the code gives (tests run it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from linter import registry

ROOT = Path(__file__).resolve().parent.parent
DOCS_PATH = ROOT / "docs" / "rules.md"
README_PATH = ROOT / "README.md"
_PRESETS_BLOCK = re.compile(r"(<!-- presets:start[^>]*-->\n).*?(<!-- presets:end -->)", re.S)


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


def render_presets() -> str:
    """Every packaged preset, verbatim, as markdown (default, strict, relaxed first)."""
    from linter.config import rules_dir

    order = ["default", "strict", "relaxed"]
    presets = sorted(rules_dir().glob("*.yaml"), key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.stem))
    return "".join(f"`rules/{p.name}`:\n\n```yaml\n{p.read_text(encoding='utf-8')}```\n\n" for p in presets)


def render_readme(current: str) -> str:
    """``current`` README text with its preset block regenerated."""
    return _PRESETS_BLOCK.sub(lambda m: m.group(1) + render_presets() + m.group(2), current)


def main(argv: list[str] | None = None) -> int:
    """Write docs/rules.md and the README's preset block, or with ``--check`` report
    whether they are up to date."""
    argv = sys.argv[1:] if argv is None else argv
    outputs = [(DOCS_PATH, render())]
    if README_PATH.is_file():
        readme = README_PATH.read_text(encoding="utf-8")
        outputs.append((README_PATH, render_readme(readme)))
    if "--check" in argv:
        stale = [p for p, text in outputs if not p.is_file() or p.read_text(encoding="utf-8") != text]
        for p in stale:
            print(f"{p} is out of date: run `python -m linter.docs`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
