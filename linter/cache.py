"""The result cache: re-runs skip the files whose inputs have not changed (as ruff's cache does).

What is cached, per run of ``miglint lint`` (:func:`linter.engine.lint` calls this module):

* per file, its :class:`linter.engine.FileResult` (findings, excerpts, file-wide ignores and
  the per-file summary the ``file-set`` rules read), under a key made of every input of
  that file's result (:meth:`ResultCache.file_key`):

  - the miglint version, the Python version, the installed pglast (its files' sizes and
    times) and miglint's own modules (sizes and times of ``linter/**/*.py``, so that an
    edited checkout never serves results of the old code);
  - the effective settings: every field of the run's :class:`linter.config.Config` but
    those that only decide what happens to the findings afterwards (:data:`NOT_KEYED`),
    hence the preset, every rule's level and options, the overrides, ``pg_version``,
    ``transactions``, ``placeholders``, ``rollback_locking``, ``--base`` …;
  - the :class:`linter.model.MigrationFile` (path, root, convention, direction, version,
    convention flags read next to it);
  - the file's bytes;
  - the few facts a per-file check reads from *other* files (:func:`neighbour_facts`:
    the drizzle journal, earlier popx steps, a Flyway ``down/`` mirror, the down file of an
    up, whether the checksum manifest exists). ``tests/test_cache.py`` fails when a module
    of the per-file path reads the file system anywhere else.

* per run, the final sorted findings and the ``file-set`` findings' excerpts, under the
  ordered keys of all the run's files plus the settings (:meth:`ResultCache.run_key`).
  A warm re-run that changed nothing then skips the set rules too. Runs whose set rules
  read git history (``--base``, the checksum manifest) or the clock (:func:`reads_clock`)
  are never served from this level.

Never wrong: a lookup compares the full key stored in the entry; an entry that cannot be
read, unpickled or has the wrong shape is ignored (and overwritten). The cache is off for
runs with ``sqlfluff-style`` enabled (sqlfluff reads ``.sqlfluff`` files from the
migration's folder upwards, which no key covers).

Where: ``--cache-dir``, else the ``cache_dir`` setting, else ``$MIGLINT_CACHE_DIR``,
else ``.miglint_cache`` in the working directory. The folder holds a ``.gitignore`` of
``*`` (git ignores it and everything in it) and a ``CACHEDIR.TAG`` (backup tools skip it,
https://bford.info/cachedir/). ``--no-cache`` or ``MIGLINT_NO_CACHE=1`` turn it off.

Storage: one file per migration root and settings (``files-<hash>.pickle``, all the
root's entries: one read per root, not one per file) and one per run shape
(``run-<hash>.pickle``). Writes go to a temporary file in the folder, then
``os.replace``: concurrent runs never see half a file (the last writer wins, and what it
wrote is right for its keys). When the folder exceeds :data:`MAX_BYTES`, the least
recently used files are removed.

Format: :mod:`pickle` (the fastest to load: a warm corpus run reads ~5,500 results).
Unpickling runs code named in the file, so the cache folder must be as trusted as the
checkout itself: it is the user's own, inside the project, or a CI cache keyed by the
workflow; do not point ``cache_dir`` at a folder others can write to.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from linter import __version__
from linter.hashes import blake2b

#: Config fields that do not change what linting a file gives (what happens to findings
#: afterwards, or text about the config): left out of the key.
NOT_KEYED = frozenset({"fail_on", "baseline", "sources", "description", "standard", "new_template", "cache_dir"})
#: The default folder, relative to the working directory.
DEFAULT_DIR = ".miglint_cache"
#: The folder is kept under this many bytes (least recently used files removed first).
MAX_BYTES = 256 * 1024 * 1024
#: Bumped when the layout of the cached values changes.
FORMAT = 1
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by miglint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


def _tree_stamp(folder: str) -> list:
    """``[(relative path, size, mtime_ns)]`` of the ``.py``/``.so`` files under ``folder``."""
    out = []
    stack = [folder]
    while stack:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                if e.name != "__pycache__":
                    stack.append(e.path)
            elif e.name.endswith((".py", ".so", ".pyd")):
                st = e.stat()
                out.append((e.path[len(folder):], st.st_size, st.st_mtime_ns))
    out.sort()
    return out


def tool_key() -> bytes:
    """What identifies the code that produced a result: miglint's version and modules, the
    Python version and the installed pglast (sizes and times of their files; ~1 ms)."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.find_spec("pglast")
    pglast_dir = os.path.dirname(spec.origin) if spec and spec.origin else ""
    parts = (FORMAT, __version__, sys.version, sys.implementation.cache_tag, _tree_stamp(here), _tree_stamp(pglast_dir) if pglast_dir else None)
    return repr(parts).encode("utf-8", "surrogatepass")


def config_key(config) -> bytes:
    """Every field of ``config`` (:class:`linter.config.Config`) but :data:`NOT_KEYED`, as
    bytes: new fields are keyed unless listed there."""
    parts = [(name, getattr(config, name)) for name in config._fields if name not in NOT_KEYED]
    return repr(parts).encode("utf-8", "surrogatepass")


def neighbour_facts(file, config) -> tuple:
    """The facts linting ``file`` reads from other files, gathered with the same (cached)
    functions the checks call, so a change to any of them changes the key:
    the drizzle-kit journal of its folder (:func:`linter.pg.transactions.drizzle_journal`),
    the tables earlier popx steps create (:func:`linter.pg.objects.popx_unit_tables`),
    whether a Flyway location has downs and whether the down beside an up holds SQL
    (:mod:`linter.migset.summary`), and whether the checksum manifest exists."""
    summary, objects, transactions, Convention, Direction = _neighbour_modules()
    conv = file.convention
    folder = os.path.dirname(file.abspath)
    tags = transactions.drizzle_journal(folder)  # any convention: duplicate-migration-version reads it too
    journal = sorted(tags) if tags is not None else None
    popx = None
    downs = None
    if conv is Convention.GOLANG_MIGRATE:
        popx = sorted(objects.popx_unit_tables(file.abspath))
    base_dir = summary.base_dir_of(file)
    if file.direction is Direction.UP:
        if conv is Convention.GOLANG_MIGRATE or conv is Convention.DIESEL:
            downs = summary._down_may_hold_sql(file.abspath)
        elif conv is Convention.FLYWAY:
            downs = summary._flyway_downs(os.path.join(base_dir, file.root), folder)
    manifest = summary._manifest_exists(base_dir, config.manifest)
    return (journal, popx, downs, manifest)


_MODULES: tuple = ()


def _neighbour_modules() -> tuple:
    """The modules :func:`neighbour_facts` calls into, imported once (not per file)."""
    global _MODULES
    if not _MODULES:
        from linter.migset import summary
        from linter.model import Convention, Direction
        from linter.pg import objects, transactions

        _MODULES = (summary, objects, transactions, Convention, Direction)
    return _MODULES


def reads_clock(files: list) -> bool:
    """True when a set rule's findings on ``files`` can change with the date alone:
    ``invalid-migration-name`` reports versions dated in the future (``datetime.now()``
    against ``future-tolerance-days``), and in ``auto`` mode looks only at versions from
    yesterday on. A version whose digits start with a date before yesterday can neither
    become future nor enter that window as days pass, so a run whose versions all do (or
    have fewer than 8 digits) gives the same findings tomorrow."""
    import datetime as _dt
    import re

    yesterday = f"{_dt.datetime.now() - _dt.timedelta(days=1):%Y%m%d}"
    non_digit = re.compile(r"\D")
    for f in files:
        if f.version:
            digits = non_digit.sub("", f.version)
            if len(digits) >= 8 and digits[:8] >= yesterday:
                return True
    return False


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _load(path: str) -> Any:
    """The unpickled content of ``path``, or ``None`` when it is missing or unreadable in
    any way (a corrupted or truncated file, another version's classes)."""
    import pickle  # here: a run without the cache (--no-cache) does not import it

    try:
        with open(path, "rb") as fh:
            data = fh.read()
        value = pickle.loads(data)
    except Exception:  # noqa: BLE001: a bad cache file is a miss, whatever is wrong with it
        return None
    try:
        os.utime(path)  # recently used: evicted last
    except OSError:
        pass
    return value


class ResultCache:
    """The result cache of one run, in folder ``directory`` (created on first write).

    Use: :meth:`lookup` before linting, :meth:`store` after; :meth:`run_lookup` /
    :meth:`run_store` for the whole run's findings. Errors writing the folder are ignored
    (a run never fails because of its cache)."""

    def __init__(self, directory: str, config) -> None:
        self.directory = directory
        self._base = blake2b(tool_key() + b"\0" + config_key(config), digest_size=20)
        self._config = config
        self._packs: dict[str, dict] = {}  # root -> {path: (key, FileResult)} as read
        self._keys: dict[str, bytes | None] = {}  # path -> key of this run (None: not cacheable)
        self._hit_paths: set[str] = set()  # paths :meth:`lookup` served
        #: files whose result came from the cache (all of them after a whole-run hit)
        self.hits = 0

    # -- keys

    def file_key(self, file) -> bytes | None:
        """The key of ``file``'s result, or ``None`` when the file cannot be read."""
        content = _read_bytes(file.abspath)
        if content is None:
            return None
        h = self._base.copy()
        h.update(repr((file.path, file.abspath, file.root, file.convention.value, file.direction.value, file.version,
                       file.version_key, file.description, file.migration_id, file.dialect, file.options,
                       neighbour_facts(file, self._config))).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
        h.update(content)
        return h.digest()

    def _key_all(self, files: list) -> None:
        for f in files:
            if f.path not in self._keys:
                self._keys[f.path] = self.file_key(f)

    def _pack_path(self, root: str) -> str:
        h = self._base.copy()
        h.update(b"pack\0" + os.path.abspath(root).encode("utf-8", "surrogatepass"))
        return os.path.join(self.directory, f"files-{h.hexdigest()[:24]}.pickle")

    # -- per file

    def lookup(self, files: list) -> dict:
        """``{path: FileResult}`` of the ``files`` whose cached result is still right."""
        from linter.engine import FileResult

        self._key_all(files)
        out = {}
        for f in files:
            key = self._keys[f.path]
            if key is None:
                continue
            pack = self._packs.get(f.root)
            if pack is None:
                got = _load(self._pack_path(f.root))
                pack = self._packs[f.root] = got if isinstance(got, dict) else {}
            entry = pack.get(f.path)
            if (isinstance(entry, tuple) and len(entry) == 2 and entry[0] == key and isinstance(entry[1], FileResult)
                    and entry[1].path == f.path):
                out[f.path] = entry[1]
        self.hits = len(out)
        self._hit_paths = set(out)
        return out

    def store(self, files: list, results: dict) -> None:
        """Write the results of this run (``{path: FileResult}``) for ``files`` (those of
        :meth:`lookup`), one pack per root; the root's entries of files this run did not lint
        (a run on a few files of the root) are kept."""
        if self.hits == len(files):
            return
        missed = {f.root for f in files if f.path not in self._hit_paths}  # the other roots' packs are up to date
        by_root: dict[str, dict] = {}
        for f in files:
            if f.root not in missed:
                continue
            key = self._keys.get(f.path)
            res = results.get(f.path)
            if key is not None and res is not None and not any(x.rule_id == "internal-error" for x in res.findings):
                by_root.setdefault(f.root, {})[f.path] = (key, res)
        for root, entries in by_root.items():
            old = self._packs.get(root) or {}
            for path, entry in old.items():
                if path not in entries and isinstance(entry, tuple) and len(entry) == 2 and entry[1] is not None:
                    ap = getattr(entry[1], "path", None)
                    if ap == path and path not in self._keys:
                        entries[path] = entry
            self._write(self._pack_path(root), entries)
        self._evict()

    # -- per run

    def run_key(self, files: list) -> bytes | None:
        """The key of the whole run: the settings and every file's key, in order; ``None``
        when a file has none, or when the set rules' findings depend on the clock
        (:func:`reads_clock`)."""
        if reads_clock(files):
            return None
        self._key_all(files)
        h = self._base.copy()
        for f in files:
            k = self._keys[f.path]
            if k is None:
                return None
            h.update(k)
        return h.digest()

    def _run_path(self, files: list) -> str:
        h = self._base.copy()
        h.update(b"run\0" + "\0".join(f.abspath for f in files).encode("utf-8", "surrogatepass"))
        return os.path.join(self.directory, f"run-{h.hexdigest()[:24]}.pickle")

    def run_lookup(self, files: list) -> tuple | None:
        """``(findings, excerpts)`` of the last run over the same inputs, or ``None``."""
        key = self.run_key(files)
        if key is None:
            return None
        got = _load(self._run_path(files))
        if isinstance(got, tuple) and len(got) == 3 and got[0] == key and isinstance(got[1], list) and isinstance(got[2], dict):
            self.hits = len(files)
            return got[1], got[2]
        return None

    def run_store(self, files: list, findings: list, excerpts: dict) -> None:
        """Keep this run's sorted findings and all excerpts for :meth:`run_lookup`."""
        key = self.run_key(files)
        if key is not None:
            self._write(self._run_path(files), (key, findings, excerpts))

    # -- the folder

    def _prepare(self) -> bool:
        try:
            os.makedirs(self.directory, exist_ok=True)
            for name, text in ((".gitignore", "# Automatically created by miglint.\n*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
                p = os.path.join(self.directory, name)
                if not os.path.exists(p):
                    with open(p, "w", encoding="utf-8") as fh:
                        fh.write(text)
            return True
        except OSError:
            return False

    def _write(self, path: str, value: Any) -> None:
        """Pickle ``value`` to ``path`` atomically (temporary file, then ``os.replace``)."""
        if not self._prepare():
            return
        import pickle

        from linter.atomic import replace_file

        try:
            replace_file(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), prefix=".tmp-", suffix=".pickle")
        except Exception:  # noqa: BLE001: a full disk or a read-only folder: no cache, same findings
            pass

    def _evict(self, limit: int | None = None) -> None:
        """Remove the least recently used ``*.pickle`` files while the folder holds more
        than ``limit`` bytes (default :data:`MAX_BYTES`)."""
        import time

        limit = MAX_BYTES if limit is None else limit
        entries = []
        stale = time.time_ns() - 3600 * 10**9  # a temporary file an interrupted run left behind
        try:
            for e in os.scandir(self.directory):
                if e.name.endswith(".pickle"):
                    st = e.stat()
                    if not e.name.startswith(".tmp-"):
                        entries.append((st.st_mtime_ns, st.st_size, e.path))
                    elif st.st_mtime_ns < stale:  # another run's file being written is left alone
                        os.unlink(e.path)
        except OSError:
            return
        total = sum(s for _, s, _ in entries)
        for _, size, path in sorted(entries):
            if total <= limit:
                break
            try:
                os.unlink(path)
            except OSError:
                pass
            total -= size


def for_run(config, *, no_cache: bool = False, cache_dir: str | None = None) -> ResultCache | None:
    """The run's :class:`ResultCache`, or ``None`` when it is off (``no_cache``,
    ``MIGLINT_NO_CACHE`` set to anything but ``0``/empty, ``sqlfluff-style`` enabled). The
    folder: ``cache_dir`` (the flag), else ``config.cache_dir``, else
    ``$MIGLINT_CACHE_DIR``, else :data:`DEFAULT_DIR`."""
    if no_cache or os.environ.get("MIGLINT_NO_CACHE", "") not in ("", "0"):
        return None
    if config.levels.get("sqlfluff-style", "disable") != "disable" or any(
        lv.get("sqlfluff-style", "disable") != "disable" for _, lv, _ in config.overrides
    ):
        return None
    folder = cache_dir or getattr(config, "cache_dir", None) or os.environ.get("MIGLINT_CACHE_DIR") or DEFAULT_DIR
    return ResultCache(os.path.abspath(folder), config)
