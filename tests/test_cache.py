"""The result cache (linter/cache.py): a warm run gives the same report as a cold one; any
change to a key input misses; a corrupted cache is ignored; the folder ignores itself.

Inputs are real corpus projects copied into tmp folders (graphile/worker: sequential
files with findings; midday: a drizzle-kit journal next to the files)."""

from __future__ import annotations

import ast
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linter import cache as cachemod, config as configmod, engine
from linter.discovery import discover

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path, shared_dir):
    """A copy of two corpus projects under ``tmp_path/proj``."""
    proj = tmp_path / "proj"
    for name in ("graphile__worker", "midday-ai__midday"):
        shutil.copytree(shared_dir / "corpus" / name, proj / name)
    return proj


def _dump(report) -> list:
    return [(f.rule_id, f.path, f.line, f.column, f.message, f.severity.value, f.fingerprint, f.help, repr(f.fix))
            for f in report.findings] + [sorted(report.excerpts.items())]


def _run(proj: Path, cache_dir: Path | None, *, preset=None, edit=None, pg_version=None, base=None, paths=None, jobs=1):
    """Lint ``proj`` (cwd = proj) with a cache in ``cache_dir`` (None: none); ``edit``
    changes the loaded config. Returns ``(report, cache)``. Each CLI run is a process of its
    own: the per-process caches of what other files say are emptied first, as there."""
    from linter.migset import summary
    from linter.pg import objects, transactions

    for fn in (transactions.drizzle_journal, objects._popx_listing, objects._popx_unit, summary._flyway_downs, summary._manifest_exists):
        fn.cache_clear()
    cfg = configmod.load(None, preset=preset, cwd=proj, pg_version=pg_version)
    if edit:
        edit(cfg)
    cfg.base = base
    found = discover([str(p) for p in paths or [proj]], base_dir=str(proj), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude, snapshots=cfg.snapshots)
    rc = cachemod.ResultCache(str(cache_dir), cfg) if cache_dir else None
    return engine.lint(found.files, cfg, jobs=jobs, cache=rc), rc


def test_warm_run_equals_cold_and_hits_every_file(project, tmp_path):
    cold, _ = _run(project, None)
    first, c1 = _run(project, tmp_path / "c", jobs=2)  # results from a forked worker too
    warm, c2 = _run(project, tmp_path / "c")
    assert cold.findings and _dump(first) == _dump(cold) and _dump(warm) == _dump(cold)
    assert c1.hits == 0 and c2.hits == len(cold.files)
    names = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert ".gitignore" in names and "CACHEDIR.TAG" in names and not [n for n in names if n.startswith(".tmp-")]
    assert (tmp_path / "c" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    # the folder ignores itself: git sees nothing of it
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "c"], cwd=tmp_path, capture_output=True, text=True)
        assert out.stdout == ""


def test_a_run_on_a_few_files_keeps_the_others_entries(project, tmp_path):
    whole, _ = _run(project, tmp_path / "c")
    two = sorted((project / "graphile__worker").glob("*.sql"))[-2:]
    _, rc = _run(project, tmp_path / "c", paths=two)
    assert rc.hits == 2
    _edit_file(project)  # not served whole: the per-file entries are what is left to hit
    _, rc = _run(project, tmp_path / "c")
    assert rc.hits == len(whole.files) - 1


def _edit_file(proj: Path) -> None:
    p = proj / "graphile__worker" / "000003.sql"
    p.write_text(p.read_text() + "\nCREATE INDEX cache_test_idx ON graphile_worker.jobs (id);\n")


def _set_option(cfg):
    cfg.options.setdefault("missing-lock-timeout", {})["value"] = "1s"


def _transactions(cfg):
    cfg.transactions = {"sequential": False}


KEY_CHANGES = {
    # name: (what to change before the second run, files expected to miss: None = all)
    "content": (dict(), {"graphile__worker/000003.sql"}),
    "rule option": (dict(edit=_set_option), None),
    "preset": (dict(preset="strict"), None),
    "pg version": (dict(pg_version=11), None),
    "transactions setting": (dict(edit=_transactions), None),
    "base ref": (dict(base="HEAD"), None),
}


@pytest.mark.parametrize("change", sorted(KEY_CHANGES))
def test_each_key_input_misses_and_gives_the_fresh_result(project, tmp_path, change):
    kwargs, missing = KEY_CHANGES[change]
    if change == "base ref":  # the history rules then read git: the project is a repository
        for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qm", "base"]):
            subprocess.run(["git", *cmd], cwd=project, check=True)
    _run(project, tmp_path / "c")
    if change == "content":
        _edit_file(project)
    got, rc = _run(project, tmp_path / "c", **kwargs)
    fresh, _ = _run(project, None, **kwargs)
    assert _dump(got) == _dump(fresh)
    n = len(fresh.files)
    assert rc.hits == (0 if missing is None else n - len(missing))


def test_miglint_version_and_code_are_keys(project, tmp_path, monkeypatch):
    _run(project, tmp_path / "c")
    monkeypatch.setattr(cachemod, "__version__", "99.0.0")
    _, rc = _run(project, tmp_path / "c")
    assert rc.hits == 0
    monkeypatch.undo()
    _, rc = _run(project, tmp_path / "c")
    assert rc.hits > 0  # back to the version that wrote the first entries: they are right again
    real = cachemod._tree_stamp
    monkeypatch.setattr(cachemod, "_tree_stamp", lambda folder: real(folder) + [("/edited.py", 1, 1)])
    _, rc = _run(project, tmp_path / "c")
    assert rc.hits == 0  # an edited module of miglint (or of pglast) is another tool


def test_a_neighbour_file_is_a_key(project, tmp_path):
    """drizzle's meta/_journal.json decides whether a file runs at all, and in a
    transaction (its one entry names no file of the corpus copy): listing the files must
    miss for that folder's files, and the findings change."""
    journal = project / "midday-ai__midday" / "meta" / "_journal.json"
    before, _ = _run(project, tmp_path / "c")
    data = json.loads(journal.read_text())
    for i, f in enumerate(sorted(journal.parent.parent.glob("*.sql"))):
        data["entries"].append({"idx": i + 1, "version": "7", "when": 1760882469702 + i, "tag": f.stem, "breakpoints": True})
    journal.write_text(json.dumps(data))
    got, rc = _run(project, tmp_path / "c")
    fresh, _ = _run(project, None)
    assert _dump(got) == _dump(fresh) and _dump(fresh) != _dump(before)
    midday = [f for f in fresh.files if f.path.startswith("midday-ai__midday/")]
    assert midday and rc.hits == len(fresh.files) - len(midday)


def test_a_version_dated_from_yesterday_on_keeps_the_set_rules_running(project, tmp_path):
    """invalid-migration-name reports versions dated in the future, by the clock: a run
    holding a version from yesterday on is never served whole (its files still are)."""
    import datetime as dt

    root = project / "openmeter"
    root.mkdir()
    soon = dt.datetime.now() + dt.timedelta(days=3)
    for stamp in ("20240826120919", f"{soon:%Y%m%d%H%M%S}"):
        (root / f"{stamp}_x.up.sql").write_text("SELECT 1;\n")
        (root / f"{stamp}_x.down.sql").write_text("SELECT 1;\n")
    first, _ = _run(project, tmp_path / "c")
    assert any(f.rule_id == "invalid-migration-name" and "future" in f.message for f in first.findings)
    files = discover([str(project)], base_dir=str(project)).files
    assert cachemod.reads_clock(files)
    assert not cachemod.reads_clock([f for f in files if "openmeter" not in f.path])
    again, rc = _run(project, tmp_path / "c")
    assert rc.hits == len(files) and _dump(again) == _dump(first)
    assert not list((tmp_path / "c").glob("run-*.pickle"))


def test_corrupted_entries_are_ignored(project, tmp_path):
    cold, _ = _run(project, None)
    _run(project, tmp_path / "c")
    packs = sorted((tmp_path / "c").glob("*.pickle"))
    assert packs
    for i, p in enumerate(packs):
        data = p.read_bytes()
        if i % 3 == 0:
            p.write_bytes(data[: len(data) // 2])  # truncated
        elif i % 3 == 1:
            p.write_bytes(b"\x80\x05garbage" + data[10:])  # not a pickle any more
        else:  # a pickle, but of entries of the wrong shape, under the right keys
            got = pickle.loads(data)
            bad = {k: (v[0], "not a result") for k, v in got.items()} if isinstance(got, dict) else (got[0], "x", {})
            p.write_bytes(pickle.dumps(bad))
    got, rc = _run(project, tmp_path / "c")
    assert rc.hits == 0 and _dump(got) == _dump(cold)
    again, rc = _run(project, tmp_path / "c")  # the bad files were overwritten
    assert rc.hits == len(cold.files) and _dump(again) == _dump(cold)


def test_a_stale_entry_for_another_content_is_never_served(project, tmp_path):
    """An entry of another key under the same path (another run's, or a forged one) is
    a miss, even when the pack file itself is fine."""
    _run(project, tmp_path / "c")
    for p in (tmp_path / "c").glob("files-*.pickle"):
        got = pickle.loads(p.read_bytes())
        p.write_bytes(pickle.dumps({k: (b"\0" * 20, v[1]) for k, v in got.items()}))
    for p in (tmp_path / "c").glob("run-*.pickle"):
        p.unlink()
    _, rc = _run(project, tmp_path / "c")
    assert rc.hits == 0


def test_size_is_bounded_least_recently_used_first(tmp_path):
    rc = cachemod.ResultCache(str(tmp_path / "c"), configmod.Config())
    for i in range(5):
        rc._write(str(tmp_path / "c" / f"files-{i}.pickle"), b"x" * 1000)
        os.utime(tmp_path / "c" / f"files-{i}.pickle", ns=(i * 10**9, i * 10**9))
    for name, age in ((".tmp-writing.pickle", 0), (".tmp-crashed.pickle", 7200)):  # a run writing it now / one killed
        (tmp_path / "c" / name).write_bytes(b"x")
        t = time.time() - age
        os.utime(tmp_path / "c" / name, (t, t))
    rc._evict(limit=2500)
    assert sorted(p.name for p in (tmp_path / "c").glob("files-*.pickle")) == ["files-3.pickle", "files-4.pickle"]
    assert [p.name for p in (tmp_path / "c").glob(".tmp-*")] == [".tmp-writing.pickle"]
    assert (tmp_path / "c" / "CACHEDIR.TAG").exists()


def _cli(args, cwd, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("MIGLINT_NO_CACHE", "MIGLINT_CACHE_DIR")}
    env.update(env_extra or {})
    env["PYTHONPATH"] = str(REPO)
    return subprocess.Popen([sys.executable, "-m", "linter", "lint", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_cli_default_folder_no_cache_and_concurrent_runs(project):
    cwd = project / "graphile__worker"
    out = _cli(["--format", "json", "--no-cache", "."], cwd).communicate()[0]
    assert not (cwd / ".miglint_cache").exists()
    assert _cli(["--format", "json", "."], cwd, {"MIGLINT_NO_CACHE": "1"}).communicate()[0] == out
    assert not (cwd / ".miglint_cache").exists()
    procs = [_cli(["--format", "json", "."], cwd) for _ in range(4)]  # four runs writing one folder at once
    outs = [p.communicate()[0] for p in procs]
    assert all(o == out for o in outs)
    assert (cwd / ".miglint_cache" / "CACHEDIR.TAG").is_file()
    assert not list((cwd / ".miglint_cache").glob(".tmp-*"))
    assert _cli(["--format", "json", "."], cwd).communicate()[0] == out  # warm


def test_cache_dir_setting_and_flag(project, tmp_path):
    cwd = project / "graphile__worker"
    (cwd / ".miglint.yml").write_text("cache_dir: ../../where\n")
    out = _cli(["--format", "json", "."], cwd).communicate()[0]
    assert (tmp_path / "where" / "CACHEDIR.TAG").is_file() and not (cwd / ".miglint_cache").exists()
    assert _cli(["--format", "json", "--cache-dir", str(tmp_path / "flag"), "."], cwd).communicate()[0] == out
    assert (tmp_path / "flag" / "CACHEDIR.TAG").is_file()
    (cwd / ".miglint.yml").write_text("cache_dir: 3\n")
    with pytest.raises(configmod.ConfigError, match="cache_dir: must be a string"):
        configmod.load(str(cwd / ".miglint.yml"))


def test_sqlfluff_style_runs_without_cache():
    """sqlfluff reads `.sqlfluff` files up from the migration's folder: no key covers them."""
    cfg = configmod.load(None, cwd=REPO).select(["sqlfluff-style"], [])
    assert cachemod.for_run(cfg) is None
    assert cachemod.for_run(configmod.load(None, cwd=REPO), no_cache=True) is None


# Where the per-file path reads the file system, and what of the key covers it. A new read
# elsewhere fails this test: add what it reads to linter.cache.neighbour_facts (per file)
# or make the run skip the whole-run entry (engine._reads_history), then list it here.
FS_READS = {
    ("linter/source.py", "read_text"): "the file itself: its bytes are keyed",
    ("linter/engine.py", "_size"): "batch ordering only",
    ("linter/pg/transactions.py", "drizzle_journal"): "neighbour_facts: the journal's tags",
    ("linter/pg/objects.py", "_popx_listing"): "neighbour_facts: popx_unit_tables",
    ("linter/pg/objects.py", "_popx_unit"): "neighbour_facts: popx_unit_tables",
    ("linter/migset/summary.py", "_down_may_hold_sql"): "neighbour_facts",
    ("linter/migset/summary.py", "_flyway_downs"): "neighbour_facts",
    ("linter/migset/summary.py", "_manifest_exists"): "neighbour_facts",
    ("linter/migset/history.py", "_git"): "history: whole-run entry skipped (_reads_history)",
    ("linter/migset/history.py", "_whitespace_only"): "history: whole-run entry skipped",
    ("linter/migset/history.py", "load"): "history: whole-run entry skipped",
    ("linter/migset/manifest.py", "has_union_merge"): "history (manifest): whole-run entry skipped",
    ("linter/migset/manifest.py", "read"): "history (manifest): whole-run entry skipped",
    ("linter/pg/analysis.py", "session"): "no file access: a method named like one (.run)",
}


def test_clock_reads_are_known():
    """A check that reads the clock makes results change with no input changing: the one
    there is is covered by :func:`linter.cache.reads_clock`; a new one fails here."""
    readers = set()
    for m in [*REPO.glob("linter/checks/*.py"), *REPO.glob("linter/pg/*.py"), *REPO.glob("linter/migset/*.py")]:
        text = m.read_text(encoding="utf-8")
        if any(s in text for s in ("datetime.now", "date.today", "time.time(", "utcnow", "localtime(", "gmtime(")):
            readers.add(m.relative_to(REPO).as_posix())
    assert readers == {"linter/checks/invalid_migration_name.py"}


def test_no_check_reads_the_environment():
    """The environment is not in the key: a check that read it would be served stale."""
    mods = [*REPO.glob("linter/checks/*.py"), *REPO.glob("linter/pg/*.py"), *REPO.glob("linter/migset/*.py"),
            *REPO.glob("linter/sensitive/*.py"), REPO / "linter" / "source.py"]
    assert [m.name for m in mods if any(s in m.read_text(encoding="utf-8") for s in ("os.environ", "getenv("))] == []


def test_file_system_reads_of_the_lint_path_are_keyed():
    mods = [*REPO.glob("linter/checks/*.py"), *REPO.glob("linter/pg/*.py"), *REPO.glob("linter/migset/*.py"),
            *REPO.glob("linter/sensitive/*.py")]
    mods += [REPO / "linter" / n for n in ("source.py", "engine.py", "suppress.py", "merge.py", "grouping.py",
                                         "rollback_locks.py", "foreign_suppressions.py", "model.py", "registry.py")]
    attrs = {"listdir", "scandir", "stat", "lstat", "isdir", "isfile", "exists", "getsize", "getmtime", "read_text",
             "read_bytes", "is_file", "is_dir", "iterdir", "glob", "rglob", "walk", "run", "check_output", "Popen"}
    found = set()

    def visit(node, where, fn):
        for ch in ast.iter_child_nodes(node):
            name = fn
            if isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = ch.name
            if isinstance(ch, ast.Call):
                f = ch.func
                if (isinstance(f, ast.Name) and f.id == "open") or (isinstance(f, ast.Attribute) and f.attr in attrs):
                    found.add((where, fn or "<module>"))
            visit(ch, where, name)

    for m in mods:
        visit(ast.parse(m.read_text(encoding="utf-8")), m.relative_to(REPO).as_posix(), "")
    assert found <= set(FS_READS), sorted(found - set(FS_READS))
