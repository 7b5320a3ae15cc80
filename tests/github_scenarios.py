"""Pull requests built from real migrations of ``../shared/corpus`` for the bot's end-to-end
tests (tests/test_github_threads.py) and for measuring threads per statement
(``python -m tests.github_scenarios ROOT``).

Each builder makes a throwaway git repository whose base commit holds a real project's
migration directory and whose head commit is the pull request, and registers the PR with the
fake GitHub (tests/github_fake.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.github_harness import Repo, pr_event

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CRATES = CORPUS / "rust-lang__crates.io"

#: The two migrations of the feature PR: a plain CREATE INDEX, and a column whose default
#: is a volatile function (crates.io 2018-10-17 and 2019-12-13, re-dated as new ones).
FEATURE = {
    "2026-08-01-100000-0000_index_crates_name": "2018-10-17-203221_index_crates_name",
    "2026-08-01-110000-0000_add_crate_owner_invitation_token": "2019-12-13-053745_add_crate_owner_invitation_token",
}


def _crates_base(repo: Repo, skip: set[str] = frozenset(), config: str | None = None, newest: int | None = None) -> dict[str, str]:
    """crates.io's migrations (the ``newest`` most recent, default all; but ``skip``) under
    ``migrations/``, as ``{path: text}``."""
    files: dict[str, str] = {}
    dirs = sorted(p for p in CRATES.iterdir() if p.is_dir() and p.name not in skip)
    for d in dirs[-newest:] if newest else dirs:
        for f in sorted(d.iterdir()):
            if f.is_file():
                files[f"migrations/{d.name}/{f.name}"] = f.read_text(encoding="utf-8")
    if config is not None:
        files[".miglint.yml"] = config
    return files


def register(repo: Repo, fake, base: str, head: str, number: int = 7):
    """Tell the fake about PR ``number`` (base...head) and write its event file."""
    from tests.github_fake import PR

    fake.pulls[number] = PR(number, head, base, repo.api_files(base, head))
    return pr_event(repo.path.parent / f"event-{number}-{head[:7]}.json", number=number, base=base, head=head)


def feature_pr(root: Path, fake, newest: int = 8):
    """crates.io (its ``newest`` migrations: the whole history makes the strict preset's
    sqlfluff pass slow) plus a two-migration feature (one index, one column with a volatile
    default, both with down files)."""
    repo = Repo(root)
    base = repo.commit(_crates_base(repo, newest=newest), "base")
    files = {}
    for new, old in FEATURE.items():
        for name in ("up.sql", "down.sql"):
            files[f"migrations/{new}/{name}"] = (CRATES / old / name).read_text(encoding="utf-8")
    head = repo.commit(files, "feature")
    return repo, base, head, register(repo, fake, base, head)


def big_pr(root: Path, fake, newest: int = 60):
    """crates.io whose ``newest`` most recent migrations arrive in one pull request (about
    200 findings with the default preset for 60)."""
    repo = Repo(root)
    dirs = sorted(p.name for p in CRATES.iterdir() if p.is_dir())
    late = set(dirs[-newest:])
    base = repo.commit(_crates_base(repo, skip=late), "base")
    files = {k: v for k, v in _crates_base(repo).items() if k.split("/")[1] in late}
    head = repo.commit(files, "many")
    return repo, base, head, register(repo, fake, base, head)


def threads_per_statement(fake, number: int = 7) -> dict:
    """Review threads of PR ``number`` counted per (path, line) and in total."""
    from collections import Counter

    comments = fake.review_comments.get(number, [])
    per = Counter((c["path"], c.get("line")) for c in comments if "state=resolved" not in c["body"])
    down = sum(n for (p, _), n in per.items() if p.endswith("down.sql"))
    return {"threads": sum(per.values()), "statements": len(per), "max_per_statement": max(per.values(), default=0),
            "down_threads": down, "note_only": sum(1 for c in comments if c["body"].split("\n")[1].startswith("ℹ️"))}


if __name__ == "__main__":  # python -m tests.github_scenarios /work/main
    import sys
    import tempfile

    from pytest_httpserver import HTTPServer

    from tests import github_harness
    from tests.github_fake import make_fake

    if len(sys.argv) > 1:
        github_harness.ROOT = Path(sys.argv[1])
    preset = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-v" else ""
    for name, build in (("feature", feature_pr), ("big", big_pr)):
        server = HTTPServer()
        server.start()
        try:
            fake = make_fake(server)
            tmp = Path(tempfile.mkdtemp(prefix="miglint-scen-"))
            repo, base, head, event = build(tmp / "repo", fake)
            r = github_harness.run_bot(repo.path, event, api_url=fake.api_url, inputs={"preset": preset} if preset else None)
            summary = [c["body"] for c in fake.issue_comments.get(7, []) if "miglint:summary" in c["body"]]
            stats = threads_per_statement(fake)
            print(name, "findings", r.outputs.get("findings"), stats, "summary chars", len(summary[0]) if summary else 0,
                  "annotations", r.stdout.count("::"), "invalid", len(fake.invalid), "code", r.code)
            if "-v" in sys.argv:
                for c in fake.review_comments.get(7, []):
                    print("   ", c["path"].split("/")[-2][-30:] + "/" + c["path"].split("/")[-1], c.get("line"), c["body"].split("\n")[1][:90], "SUGG" if "```suggestion" in c["body"] else "")
            shutil.rmtree(tmp, ignore_errors=True)
        finally:
            server.stop()
