"""docs/pull-request-comments.md shows what the bot posts, rendered by the real templates.

The page is generated from the findings below (modelled on the locking and syntax rules);
this test fails when the templates change and the page was not regenerated:

    MIGLINT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_github_docs.py
"""

from __future__ import annotations

import os
from pathlib import Path

from linter.formats import review, summary
from linter.github import threads as planmod
from linter.github.diff import ChangedFile
from linter.model import Finding, Fix, Position, Severity, Span

DOC = Path(__file__).resolve().parents[1] / "docs" / "pull-request-comments.md"
DOCS = "https://github.com/miglint/miglint/blob/main/docs/rules.md#"

FILE = 'CREATE INDEX users_email_idx ON users (email);\n'
PATCH = "@@ -0,0 +1 @@\n+CREATE INDEX users_email_idx ON users (email);"

INDEX = Finding(
    "non-concurrent-create-index", "locking", Severity.ERROR, "db/migrations/V7__users_email_idx.sql",
    Span(Position(1, 1), Position(1, 47)),
    'CREATE INDEX "users_email_idx" on "users" takes a SHARE lock for the whole build (a full scan of the table), '
    "which blocks writes (INSERT, UPDATE, DELETE)",
    "Use CREATE INDEX CONCURRENTLY: it takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on, "
    "and cannot run inside a transaction block.",
    DOCS + "non-concurrent-create-index", "4f1c2a9be03d7e61",
    Fix(Span(Position(1, 13), Position(1, 13)), 12, 12, " CONCURRENTLY", "Add CONCURRENTLY (then run it outside a transaction)"),
    properties={"lock": "SHARE", "table": "users", "blocks": "writes (INSERT, UPDATE, DELETE)"},
)
SYNTAX = Finding(
    "syntax-error", "syntax", Severity.ERROR, "db/migrations/V8__orders.sql", Span(Position(3, 1), Position(3, 6)),
    'syntax error at or near "ALTER": PostgreSQL\'s parser rejects this file',
    "Is a semicolon missing at the end of line 2? The statement before this one never ended.",
    DOCS + "syntax-error", "9a0d4e1f2b3c4d5e",
)
OLD = Finding(
    "empty-migration", "syntax", Severity.WARNING, "db/migrations/V3__placeholder.sql", Span(Position(1, 1), Position(1, 1)),
    "the file holds no SQL statement", "Write the migration; if it is a deliberate no-op, say why in a comment.",
    DOCS + "empty-migration", "77aa00bb11cc22dd",
)
LOCKS = """| line | statement | relation | lock | blocks | verdict |
|---:|---|---|---|---|---|
| 1 | CREATE INDEX | users | SHARE | writes | ❌ use CONCURRENTLY |"""


def build() -> str:
    sugg = review.suggestion_for(INDEX, FILE)
    changed = {INDEX.path: ChangedFile(INDEX.path, "added", patch=PATCH)}
    p = planmod.plan_review([INDEX, SYNTAX, OLD], changed, {INDEX.fingerprint: sugg}, [])
    comment = p.new[0].body
    data = summary.SummaryData(
        [INDEX, SYNTAX, OLD], roots={f.path: "db/migrations" for f in (INDEX, SYNTAX, OLD)}, files=3, failing=True,
        where=p.where, not_inline=p.not_inline(), lock_markdown=LOCKS,
        footer="miglint 0.1.0 · 1a2b3c4 · changed files from api", elsewhere="the job summary of this workflow run and the annotations",
    )
    sticky = summary.render_summary(data)
    resolved = review.resolved_body(review.comment_body(OLD), OLD.rule_id, OLD.docs_url, OLD.fingerprint, "5e6f7a8b9c")
    clean = summary.render_summary(summary.SummaryData([], files=3, previous=True, footer="miglint 0.1.0 · 5e6f7a8 · changed files from api"))

    def show(title: str, intro: str, body: str) -> str:
        return f"## {title}\n\n{intro}\n\n<table><tr><td>\n\n{body}\n</td></tr></table>\n\nThe markdown sent:\n\n`````markdown\n{body}`````\n"

    parts = [
        "# What miglint posts on a pull request\n",
        "Rendered by the real templates (`linter/templates/*.md.j2`) from example findings; "
        "`tests/test_github_docs.py` keeps this page in step with them. GitHub renders the same "
        "markdown (the `suggestion` block becomes a diff with a **Commit suggestion** button). "
        "The hidden `<!-- miglint:... -->` first lines are how later runs find these comments.\n",
        show("An inline review comment, with a suggestion", f"On `{INDEX.path}`, line 1 (an added line of the diff):", comment),
        show("The sticky summary comment", "One per pull request, edited in place on every run:", sticky),
        show("A comment whose finding was fixed", "Edited in place by the next run (the original is kept, collapsed):", resolved),
        show("The summary once the pull request is clean", "After a push that fixes every finding:", clean),
    ]
    return "\n".join(parts)


def test_pull_request_comments_doc_is_current():
    text = build()
    if os.environ.get("MIGLINT_UPDATE_GOLDEN"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, "regenerate with MIGLINT_UPDATE_GOLDEN=1 (see the module docstring)"
