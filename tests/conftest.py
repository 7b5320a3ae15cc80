"""Shared test helpers: lint a little tree of files with chosen rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from linter import config as configmod, engine, registry
from linter.discovery import discover

# No test writes a result cache (.miglint_cache) into the repository or a corpus copy: the
# CLI and engine runs of the suite, and the subprocesses they start, run without one
# (tests/test_cache.py turns it on, in tmp folders).
os.environ.setdefault("MIGLINT_NO_CACHE", "1")

#: ../shared beside the repository (CI clones the repo next to it)
SHARED = Path(__file__).resolve().parents[2] / "shared"


def lint_tree(tmp_path: Path, files: dict[str, bytes | str], *, enable: dict[str, object], extra: dict | None = None, verify=None):
    """Write ``files`` under ``tmp_path``, lint them with only the rules in ``enable``
    (``{rule id: level or {level, options...}}``) and return the Report. ``verify``: a
    running :class:`linter.verify.server.LocalServer` to replay the files on as
    ``miglint verify`` does (the report then holds the ``verify``-scope findings too)."""
    for rel, content in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    rules = {rid: "disable" for rid in registry.all_rules()}
    rules.update(enable)
    data = {"extends": "default", "rules": rules, **(extra or {})}
    cfg_path = tmp_path / ".miglint-test.yml"
    cfg_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    cfg = configmod.load(str(cfg_path), cwd=tmp_path)
    found = discover([str(tmp_path / rel) for rel in files], base_dir=str(tmp_path), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude, snapshots=cfg.snapshots)
    if verify is not None:
        from linter.verify import run

        return run(found.files, cfg, server=verify)[0]
    return engine.lint(found.files, cfg, jobs=1)


@pytest.fixture
def shared_dir() -> Path:
    """The ../shared folder; skips the test when it is not beside the repository."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def pg_cluster():
    """A real throwaway PostgreSQL server (see tests/pgcluster.py); CI installs it."""
    from tests.pgcluster import Cluster

    try:
        cluster = Cluster()
    except (RuntimeError, OSError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL server: {exc}")
    yield cluster
    cluster.stop()
