"""A one-file lint loads only what it needs (issue 15, target 2: a file cold in <= 100 ms).

Guarded by the modules a run imports, not by time: pglast's node classes and enums
(``pglast.ast``, ``pglast.enums``: linter.pg.parser keeps them out), orjson (the JSON of a
few files is decoded with ``json``), and what other commands or formats need (the GitHub
bot, verify, the worker pool, YAML, JSON/SARIF writers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Modules a text-format lint of one file must not import.
NOT_LOADED = (
    "orjson", "yaml", "requests", "jinja2", "psycopg", "sqlfluff",
    "multiprocessing", "concurrent.futures", "linter.github.bot", "linter.verify", "linter.formats.json",
    "linter.formats.sarif", "linter.lockreport",
    # value types are linter.model.Record classes (dataclasses imports inspect); the result
    # cache imports pickle only when it is on
    "dataclasses", "inspect", "pickle",
    # argparse imports shutil (and with it the bz2 and lzma libraries) only to format help
    "shutil",
    # fingerprints and cache keys use the interpreter's own SHA-256/SHA-1/BLAKE2 (linter.hashes)
    "hashlib", "_hashlib",
    "base64",  # decoding a JWT-like token only
)

_PROBE = """
import json, sys
from linter.cli import main
rc = main(["lint", sys.argv[1]])
mods = {name: type(m).__name__ for name, m in sys.modules.items()}
print(json.dumps({"rc": rc, "modules": mods}))
"""


def _modules(tmp_path: Path, sql: str) -> dict[str, str]:
    f = tmp_path / "0001_add_index.up.sql"
    f.write_text(sql, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, "-c", _PROBE, str(f)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["rc"] in (0, 1)
    return got["modules"]


def test_one_file_lint_imports_no_pglast_nodes_and_no_orjson(tmp_path):
    mods = _modules(tmp_path, "CREATE INDEX users_email_idx ON users (email);\n"
                              "DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN note text'; END $$;\n")
    assert "linter.checks.non_concurrent_create_index" in mods  # the rules did run
    assert "pglast.parser" in mods
    # the stand-ins of linter.pg.parser, never loaded: no pglast.enums.* submodule either
    assert mods.get("pglast.ast") == "_OnDemand"
    assert mods.get("pglast.enums") == "_OnDemand"
    assert not [m for m in mods if m.startswith("pglast.enums.")]
    loaded = [m for m in NOT_LOADED if m in mods]
    assert loaded == []


def test_stand_ins_load_the_real_modules_on_use():
    code = ("import linter.pg.parser, pglast, sys\n"
            "from pglast.enums.parsenodes import AlterTableType\n"
            "node = pglast.parse_sql('SELECT 1')[0].stmt\n"
            "print(type(node).__module__, AlterTableType.AT_DropColumn.name, type(sys.modules['pglast.ast']).__name__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["pglast.ast", "AT_DropColumn", "module"]


def test_loads_switches_to_orjson_after_a_megabyte(monkeypatch):
    from linter.pg import parser

    text = parser.pg.parse_sql_json("CREATE TABLE t (id bigint PRIMARY KEY, note text);")
    monkeypatch.setattr(parser, "_fast", None)
    monkeypatch.setattr(parser, "_decoded", 0)
    assert parser.loads(text) == json.loads(text)
    assert parser._fast is None  # a small run decodes with json
    monkeypatch.setattr(parser, "_decoded", parser.FAST_JSON_AFTER)
    assert parser.loads(text) == json.loads(text)
    import orjson

    assert parser._fast is orjson.loads  # and switches past the threshold
    assert parser.loads(text) == json.loads(text)


def test_rules_from_the_index_equal_the_modules():
    """linter.rule_index (generated) gives every rule the metadata its module declares."""
    from linter import registry

    indexed = registry.all_rules()
    imported = registry.all_rules(imported=True)
    assert list(indexed) == list(imported)
    for rid, rule in imported.items():
        got = indexed[rid]
        for f in ("id", "family", "scope", "default_level", "summary", "doc", "aliases", "options", "defaults", "kinds",
                  "subcommands", "hazard", "covers", "joins", "report", "needs"):
            assert getattr(got, f) == getattr(rule, f), (rid, f)
        assert got.module.check is rule.module.check  # the deferred module is the module


def test_one_file_lint_imports_only_the_rules_it_calls(tmp_path):
    mods = _modules(tmp_path, "CREATE INDEX users_email_idx ON users (email);\n")
    assert "linter.checks.non_concurrent_create_index" in mods
    # statement rules for other statement kinds, and disabled rules, stay unimported
    assert "linter.checks.rename_table" not in mods
    assert "linter.checks.truncate_cascade" not in mods
    assert "linter.checks.sqlfluff_style" not in mods


def test_small_json_reports_are_the_bytes_orjson_writes(shared_dir, tmp_path, monkeypatch):
    """formats/json encodes small reports with the standard library (no orjson import):
    byte for byte what orjson writes, on real findings (messages, fixes, properties,
    redacted secrets, non-ASCII text)."""
    from linter import config as configmod, engine
    from linter.discovery import discover
    from linter.formats import json as fj

    corpus = shared_dir / "corpus"
    projects = ("rust-lang__crates.io", "graphile__worker", "supabase__storage", "mckaywrigley__chatbot-ui")
    files = discover([str(corpus / p) for p in projects], base_dir=str(corpus)).files
    report = engine.lint(files, configmod.load(None, cwd=tmp_path), jobs=1)
    assert len(report.findings) > 300
    monkeypatch.setattr(fj, "SMALL_REPORT", -1)
    with_orjson = b"".join(fj.chunks(report))
    monkeypatch.setattr(fj, "SMALL_REPORT", 10**9)
    assert b"".join(fj.chunks(report)) == with_orjson


def test_a_command_builds_only_its_own_parser_with_the_same_help():
    """``miglint lint …`` builds the ``lint`` parser only (each argument's help formatter
    asks for the terminal size); its help, and each other command's, are what the whole
    parser prints."""
    import argparse

    from linter import cli

    def subparsers(parser):
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices

    full = subparsers(cli.build_parser())
    assert set(full) == set(cli._COMMANDS)
    for name, parser in full.items():
        only = subparsers(cli.build_parser(name))
        assert list(only) == [name]
        assert only[name].format_help() == parser.format_help()
    assert only[name].format_usage().startswith(f"usage: miglint {name} ")
    assert cli._command_of(["lint", "x.sql"]) == "lint"
    assert cli._command_of(["--help"]) is None and cli._command_of(["lnt"]) is None and cli._command_of([]) is None


def test_lazyre_compiles_on_first_use_and_rebinds_the_global():
    """linter.lazyre: a module-level pattern is compiled when first used, then the module's
    global is the compiled pattern; a copy held in a dict keeps working."""
    import re
    import types

    mod = types.ModuleType("lazyre_probe")
    exec("from linter import lazyre\nimport re\n_WORD = lazyre.compile('([a-z]+)', re.I)\n"
         "TABLE = {'word': _WORD}\ndef first(s):\n    return _WORD.search(s)[1]\n", mod.__dict__)
    assert not isinstance(mod._WORD, re.Pattern)
    assert mod.first("  hello world") == "hello"
    assert isinstance(mod._WORD, re.Pattern) and mod._WORD.flags & re.I
    held = mod.TABLE["word"]
    assert not isinstance(held, re.Pattern)
    assert held.findall("a b") == ["a", "b"] and held.sub("x", "a b") == "x x" and held.pattern == "([a-z]+)"


def test_hashes_are_hashlibs():
    """linter.hashes (CPython's built-in implementations) gives hashlib's digests."""
    import hashlib

    from linter import hashes

    for data in (b"", b"miglint", "CREATE INDEX \u00e9 ON t (c);".encode(), bytes(range(256)) * 40):
        assert hashes.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
        assert hashes.sha1(data).hexdigest() == hashlib.sha1(data).hexdigest()
        assert hashes.blake2b(data, digest_size=20).hexdigest() == hashlib.blake2b(data, digest_size=20).hexdigest()
