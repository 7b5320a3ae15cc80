"""The example pull requests of ``docs/pull-request-comments.md``, linted and rendered by the
real code: the rules (:mod:`linter.engine`), the lock report, the review planner
(:mod:`linter.github.threads`), the review-comment and summary templates.

Two pull requests on a Flyway project (``db/migration``), each linted against the migrations
already on its base branch (so "existing table" is known):

* :data:`SMALL`: a feature PR adding an index and a column with a volatile default;
* :data:`LARGE`: a release PR with eight migrations, more than
  :data:`linter.formats.summary.ROLLUP` findings (so the summary has its roll-ups).

:func:`render` returns the page; ``python -m linter.docs`` writes it and
``tests/test_github_docs.py`` fails when the page differs (a template, a rule's message or
title, or the planner changed). Every file is written to a temporary directory and linted
there; nothing here depends on the machine.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from linter import __version__
from linter.formats import review, summary
from linter.github.diff import ChangedFile
from linter.model import Finding

REPO = "octo/shop"
SERVER = "https://github.com"
HEAD = "5e1c0ffee0ddba11ab1e5eed0ddba11c0ffee5e1"
RUN_URL = f"{SERVER}/{REPO}/actions/runs/4242424242"
ROOT = "db/migration"

BASE = {
    f"{ROOT}/V1__users.sql": (
        "CREATE TABLE users (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL,\n"
        "    name text,\n    legacy_flags text\n);\n"
    ),
    f"{ROOT}/V2__orders.sql": (
        "CREATE TABLE orders (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    user_id bigint NOT NULL,\n"
        "    total numeric NOT NULL,\n    note text\n);\n\n"
        "CREATE TABLE order_items (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    order_id bigint NOT NULL,\n"
        "    sku text NOT NULL,\n    quantity integer NOT NULL\n);\n"
    ),
    f"{ROOT}/V3__invitations.sql": (
        "CREATE TABLE invitations (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL\n);\n"
    ),
}

#: A feature PR: one index, one column with a volatile default.
SMALL = {
    f"{ROOT}/V4__orders_user_idx.sql": "CREATE INDEX orders_user_id_idx ON orders (user_id);\n",
    f"{ROOT}/V5__invitation_token.sql": (
        "ALTER TABLE invitations ADD COLUMN token text NOT NULL DEFAULT md5(random()::text);\n"
    ),
}

#: A release PR: constraints, a rename, type changes, a backfill, drops, a new table.
LARGE = {
    **SMALL,
    f"{ROOT}/V6__order_items_fk.sql": (
        "ALTER TABLE order_items ADD CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\n"
    ),
    f"{ROOT}/V7__rename_name.sql": "ALTER TABLE users RENAME COLUMN name TO full_name;\n",
    f"{ROOT}/V8__money.sql": (
        "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);\n"
        "ALTER TABLE order_items ALTER COLUMN quantity TYPE bigint;\n"
    ),
    f"{ROOT}/V9__backfill_status.sql": (
        "ALTER TABLE orders ADD COLUMN status text;\n"
        "UPDATE orders SET status = 'done';\n"
        "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;\n"
    ),
    f"{ROOT}/V10__drop_legacy.sql": (
        "ALTER TABLE users DROP COLUMN legacy_flags;\n"
        "ALTER TABLE orders DROP COLUMN note;\n"
        "DROP INDEX orders_user_id_idx;\n"
    ),
    f"{ROOT}/V11__audit.sql": (
        "CREATE TABLE audit_log (\n    id serial PRIMARY KEY,\n    actor varchar(64),\n    action char(8),\n"
        "    created_at timestamp DEFAULT now()\n);\n"
        "CREATE INDEX audit_log_actor_idx ON audit_log (actor);\n"
        "CREATE UNIQUE INDEX users_email_key ON users (email);\n"
    ),
    f"{ROOT}/V12__cleanup.sql": (
        "ALTER TABLE users ADD COLUMN age integer NOT NULL;\n"
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n"
        "DROP TABLE invitations;\n"
        "DELETE FROM order_items;\n"
    ),
}


@dataclass
class Example:
    """One pull request, linted and rendered."""

    findings: list[Finding]
    comments: list[tuple[str, int, str]]  # (path, line, body) of each new inline comment
    summary: str
    job_summary: str


def _added_patch(text: str) -> str:
    lines = text.splitlines()
    return f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + line for line in lines)


def lint_pull_request(pr_files: dict[str, str]) -> Example:
    """Lint ``BASE`` + ``pr_files`` (all added by the PR) with the default configuration and
    plan and render what ``miglint github`` posts."""
    from linter import config as configmod, engine
    from linter.discovery import discover
    from linter.github import threads
    from linter.github.prepare import lock_markdown

    with tempfile.TemporaryDirectory(prefix="miglint-example-") as tmp:
        root = Path(tmp)
        for rel, text in {**BASE, **pr_files}.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        cfg = configmod.load(None, cwd=root)
        found = discover([ROOT], base_dir=str(root), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude)
        report = engine.lint(list(found.files), cfg, jobs=1)
        findings = [f for f in report.findings if f.path in pr_files]
        suggestions = {}
        for f in findings:
            s = review.suggestion_for(f, pr_files[f.path])
            if s is not None:
                suggestions[f.fingerprint] = s
        changed = {p: ChangedFile(p, "added", patch=_added_patch(t)) for p, t in pr_files.items()}
        plan = threads.plan_review(findings, changed, suggestions, [])
        locks = lock_markdown([f for f in report.files if f.path in pr_files], cfg)
    data = summary.SummaryData(
        findings,
        roots={f.path: f.root for f in report.files},
        files=len(pr_files),
        failing=engine.fails(report.__class__(findings, [], []), cfg.fail_on),
        fail_on=cfg.fail_on,
        where={fp: r for fp, r in plan.where.items() if fp not in {f.fingerprint for f, _ in plan.kept}},
        not_inline=plan.not_inline(),
        lock_markdown=locks,
        footer=f"miglint {__version__} · {HEAD[:7]} · changed files from api",
        elsewhere="the job summary of this workflow run and the annotations",
        run_url=RUN_URL,
        blob_url=f"{SERVER}/{REPO}/blob/{HEAD}/",
    )
    comment = summary.render_summary(data)
    job = summary.render_summary(
        summary.SummaryData(**{**data.__dict__, "run_url": None}), limit=summary.JOB_SUMMARY_LIMIT, marker=None,
        measure=lambda t: len(t.encode("utf-8")),
    )
    return Example(findings, [(c.path, c.line, c.body) for c in plan.new], comment, job)


def _show(title: str, intro: str, body: str, source: bool = True) -> str:
    out = f"## {title}\n\n{intro}\n\n<table><tr><td>\n\n{body}\n</td></tr></table>\n"
    if source:
        fence = "`" * max(5, max((len(r) for r in body.split("\n") if set(r) == {"`"}), default=0) + 1)
        out += f"\n<details><summary>The markdown sent</summary>\n\n{fence}markdown\n{body}{fence}\n\n</details>\n"
    return out


def render() -> str:
    """The whole of ``docs/pull-request-comments.md``."""
    small = lint_pull_request(SMALL)
    large = lint_pull_request(LARGE)
    parts = [
        "# What miglint posts on a pull request\n",
        "<!-- Generated by `python -m linter.docs` from linter/github/examples.py; do not edit. -->\n",
        "Two example pull requests on a Flyway project, linted by miglint with its default "
        "configuration and rendered by the real templates (`linter/templates/*.md.j2`); "
        "`tests/test_github_docs.py` fails when this page is not what the code renders. "
        "GitHub renders the same markdown (a `suggestion` block becomes a diff with a "
        "**Commit suggestion** button). The hidden `<!-- miglint:... -->` first lines are how "
        "later runs find these comments. File links point at an example repository.\n",
        "# A small pull request\n",
        "It adds `V4__orders_user_idx.sql` (an index on an existing table) and "
        "`V5__invitation_token.sql` (a column with a volatile default):\n",
        "".join(f"```sql\n-- {p}\n{t}```\n\n" for p, t in SMALL.items()),
    ]
    for path, line, body in small.comments:
        parts.append(_show(f"Inline comment on `{path.rsplit('/', 1)[-1]}`, line {line}", "Part of one review:", body))
    parts.append(_show("The summary comment", "One per pull request, edited only when what it says changes:", small.summary))
    first = small.comments[0] if small.comments else None
    if first is not None:
        f = next(f for f in small.findings if f.path == first[0] and first[2].startswith(review.marker(f.fingerprint, f.rule_id)))
        resolved = review.resolved_body(first[2], f.rule_id, f.docs_url, f.fingerprint, HEAD[::-1])
        parts.append(_show("A comment whose finding was fixed", "Edited in place by the run after the fixing push (the original is kept, collapsed):", resolved))
    clean = summary.render_summary(summary.SummaryData([], files=len(SMALL), previous=True, run_url=RUN_URL,
                                                       footer=f"miglint {__version__} · {HEAD[::-1][:7]} · changed files from api"))
    parts.append(_show("The summary once the pull request is clean", "After a push that fixes every finding:", clean))
    parts += [
        "# A large pull request\n",
        f"A release branch adding {len(LARGE)} migrations ({', '.join(f'`{p.rsplit(chr(47), 1)[-1]}`' for p in LARGE)}): "
        f"{summary.counts_phrase(summary._counts(large.findings))}. Above {summary.ROLLUP} findings the summary "
        "starts with a roll-up by rule and by file; the group holding the errors is open, the others collapsed.\n",
        _show("The summary comment", f"{len(large.comments)} findings are inline comments of the review; the summary lists all of them:", large.summary),
    ]
    return "\n".join(parts)
