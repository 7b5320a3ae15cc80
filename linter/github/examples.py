"""The example pull requests of ``docs/pull-request-comments.md``, linted and rendered by the
real code: the rules (:mod:`linter.engine`), the lock report, the review planner
(:mod:`linter.github.threads`), the review-comment and summary templates.

Two pull requests on a diesel project (``migrations/<version>_<name>/up.sql`` and
``down.sql``), each linted against the migrations already on its base branch (so "existing
table" is known):

* :data:`SMALL`: a feature PR adding an index and a column with a volatile default, both
  with down files (the crates.io feature PR of issue 12, in miniature);
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
ROOT = "migrations"


def _migration(name: str, up: str, down: str) -> dict[str, str]:
    """A diesel migration directory (``up.sql`` and ``down.sql``)."""
    return {f"{ROOT}/{name}/up.sql": up, f"{ROOT}/{name}/down.sql": down}


BASE = {
    **_migration(
        "2024-01-01-000000_create_users",
        "CREATE TABLE users (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL,\n"
        "    name text,\n    legacy_flags text\n);\n",
        "DROP TABLE users;\n",
    ),
    **_migration(
        "2024-01-02-000000_create_orders",
        "CREATE TABLE orders (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    user_id bigint NOT NULL,\n"
        "    total numeric NOT NULL,\n    note text\n);\n\n"
        "CREATE TABLE order_items (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    order_id bigint NOT NULL,\n"
        "    sku text NOT NULL,\n    quantity integer NOT NULL\n);\n",
        "DROP TABLE order_items;\nDROP TABLE orders;\n",
    ),
    **_migration(
        "2024-01-03-000000_create_invitations",
        "CREATE TABLE invitations (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL\n);\n",
        "DROP TABLE invitations;\n",
    ),
}

#: A feature PR: one index, one column with a volatile default, both with down files.
SMALL = {
    **_migration(
        "2024-02-01-000000_index_orders_user_id",
        "CREATE INDEX orders_user_id_idx ON orders (user_id);\n",
        "DROP INDEX orders_user_id_idx;\n",
    ),
    **_migration(
        "2024-02-02-000000_add_invitation_token",
        "ALTER TABLE invitations ADD COLUMN token text NOT NULL DEFAULT md5(random()::text);\n",
        "ALTER TABLE invitations DROP COLUMN token;\n",
    ),
}

#: A release PR: constraints, a rename, type changes, a backfill, drops, a new table.
LARGE = {
    **SMALL,
    **_migration(
        "2024-02-03-000000_order_constraints",
        "ALTER TABLE order_items ADD CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\n",
        "ALTER TABLE orders DROP CONSTRAINT orders_total_positive;\n"
        "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;\n"
        "ALTER TABLE order_items DROP CONSTRAINT order_items_order_fk;\n",
    ),
    **_migration(
        "2024-02-04-000000_rename_user_name",
        "ALTER TABLE users RENAME COLUMN name TO full_name;\n",
        "ALTER TABLE users RENAME COLUMN full_name TO name;\n",
    ),
    **_migration(
        "2024-02-05-000000_money_types",
        "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);\n"
        "ALTER TABLE order_items ALTER COLUMN quantity TYPE bigint;\n",
        "ALTER TABLE order_items ALTER COLUMN quantity TYPE integer;\n"
        "ALTER TABLE orders ALTER COLUMN total TYPE numeric;\n",
    ),
    **_migration(
        "2024-02-06-000000_order_status",
        "ALTER TABLE orders ADD COLUMN status text;\n"
        "UPDATE orders SET status = 'done';\n"
        "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;\n",
        "ALTER TABLE orders DROP COLUMN status;\n",
    ),
    **_migration(
        "2024-02-07-000000_drop_legacy",
        "ALTER TABLE users DROP COLUMN legacy_flags;\n"
        "ALTER TABLE orders DROP COLUMN note;\n"
        "DROP INDEX orders_user_id_idx;\n",
        "ALTER TABLE orders ADD COLUMN note text;\n"
        "ALTER TABLE users ADD COLUMN legacy_flags text;\n",
    ),
    **_migration(
        "2024-02-08-000000_cleanup",
        "ALTER TABLE users ADD COLUMN age integer NOT NULL;\n"
        "CREATE UNIQUE INDEX users_email_key ON users (email);\n"
        "DROP TABLE invitations;\n"
        "DELETE FROM order_items;\n",
        "CREATE TABLE invitations (id bigint PRIMARY KEY, email text NOT NULL);\n"
        "DROP INDEX users_email_key;\n"
        "ALTER TABLE users DROP COLUMN age;\n",
    ),
}


@dataclass
class Example:
    """One pull request, linted and rendered."""

    findings: list[Finding]
    comments: list[tuple[str, int | None, str]]  # (path, line or None for a file-level comment, body) of each thread
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
    from linter.github.prepare import lock_markdown, statement_places

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
        texts: dict[str, str | None] = dict(pr_files)
        statements, down = statement_places(findings, {f.path: f for f in report.files}, texts, cfg.max_file_size)
        changed = {p: ChangedFile(p, "added", patch=_added_patch(t)) for p, t in pr_files.items()}
        plan = threads.plan_review(
            findings, changed, suggestions, [], statements=statements, down=down,
            combine=lambda fs: review.suggestion_for_all(fs, pr_files[fs[0].path]),
        )
        locks = lock_markdown([f for f in report.files if f.path in pr_files], cfg)
    data = summary.SummaryData(
        findings,
        roots={f.path: f.root for f in report.files},
        files=len(pr_files),
        failing=engine.fails(report.__class__(findings, [], []), cfg.fail_on),
        fail_on=cfg.fail_on,
        where={fp: r for fp, r in plan.where.items() if fp not in plan.carried()},
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
    return Example(findings, [(t.path, t.line, t.body) for t in (*plan.files, *plan.new)], comment, job)


def _show(title: str, intro: str, body: str, source: bool = True) -> str:
    out = f"## {title}\n\n{intro}\n\n<table><tr><td>\n\n{body}\n</td></tr></table>\n"
    if source:
        fence = "`" * max(5, max((len(r) for r in body.split("\n") if set(r) == {"`"}), default=0) + 1)
        out += f"\n<details><summary>The markdown sent</summary>\n\n{fence}markdown\n{body}{fence}\n\n</details>\n"
    return out


def _short(path: str) -> str:
    return path[len(ROOT) + 1 :]


def _names(files: dict[str, str]) -> str:
    return ", ".join(f"`{n}`" for n in dict.fromkeys(_short(p).split("/")[0] for p in files))


def render() -> str:
    """The whole of ``docs/pull-request-comments.md``."""
    small = lint_pull_request(SMALL)
    large = lint_pull_request(LARGE)
    parts = [
        "# What miglint posts on a pull request\n",
        "<!-- Generated by `python -m linter.docs` from linter/github/examples.py; do not edit. -->\n",
        "Two example pull requests on a diesel project, linted by miglint with its default "
        "configuration and rendered by the real code (`linter/github/examples.py` runs the rules, "
        "the review planner and the templates in `linter/templates/`); `tests/test_github_docs.py` "
        "fails when this page is not what the code renders. GitHub renders the same markdown (a "
        "`suggestion` block becomes a diff with a **Commit suggestion** button). The hidden "
        "`<!-- miglint:... -->` first lines are how later runs find these comments. File and run "
        "links point at an example repository.\n",
        "# A small pull request\n",
        f"It adds two migrations, {_names(SMALL)}: an index on an existing table and a column "
        "with a volatile default, each with its down file.\n",
        "".join(f"```sql\n-- {_short(p)}\n{t}```\n\n" for p, t in SMALL.items()),
        f"miglint finds {summary.counts_phrase(summary._counts(small.findings))}; the review has "
        f"{len(small.comments)} thread{'s' if len(small.comments) != 1 else ''}.\n",
    ]
    for path, line, body in small.comments:
        where = f"line {line}" if line else "the whole file"
        parts.append(_show(f"Review comment on `{_short(path)}`, {where}", "One thread per statement:", body))
    parts.append(_show("The summary comment", "One per pull request, edited only when what it says changes:", small.summary))
    if small.comments:
        path, _, body = small.comments[0]
        f = next(f for f in small.findings if f.path == path and body.startswith(review.marker(f.fingerprint, f.rule_id)))
        resolved = review.resolved_body(body, f.rule_id, f.docs_url, f.fingerprint, HEAD[::-1])
        parts.append(_show("A comment whose finding was fixed", "Edited in place by the run after the fixing push (the original is kept, collapsed):", resolved))
    clean = summary.render_summary(summary.SummaryData([], files=len(SMALL), previous=True, run_url=RUN_URL,
                                                       footer=f"miglint {__version__} · {HEAD[::-1][:7]} · changed files from api"))
    parts.append(_show("The summary once the pull request is clean", "After a push that fixes every finding:", clean))
    parts += [
        "# A large pull request\n",
        f"A release branch adding {len(LARGE) // 2} migrations ({_names(LARGE)}): "
        f"{summary.counts_phrase(summary._counts(large.findings))}. Above {summary.ROLLUP} findings the summary "
        "starts with a roll-up by rule and by file; the group holding the errors is open, the others collapsed.\n",
        _show("The summary comment", f"The review has {len(large.comments)} threads; the summary lists every finding:", large.summary),
    ]
    return "\n".join(parts)
