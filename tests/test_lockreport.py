"""The lock report (``miglint locks``): the model (linter/lockreport.py), its three renderers
(golden files in tests/golden/locks/), the CLI subcommand, and real corpus files.

To regenerate the golden files after an intended change, run
``MIGLINT_UPDATE_GOLDEN=1 pytest tests/test_lockreport.py`` and review the diff by eye.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from linter import cli, config as configmod, lockreport
from linter.discovery import discover
from linter.formats import locks_json, locks_markdown, locks_text

GOLDEN = Path(__file__).resolve().parent / "golden" / "locks"

FILES = {
    "db/V1__create_users.sql": (
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
        "CREATE INDEX users_email ON users (email);\n"
    ),
    "db/V2__scores.sql": (
        "SET lock_timeout = '2s';\n"
        "ALTER TABLE users ADD COLUMN score int DEFAULT 0;\n"
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid(), ADD COLUMN note text;\n"
        "CREATE INDEX users_score ON users (score);\n"
        "UPDATE users SET score = 1 WHERE score IS NULL;\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
        "DO $$\nBEGIN\n  ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nEND $$;\n"
        "CREATE OR REPLACE FUNCTION bump() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE users SET score = score + 1;\nEND $$;\n"
    ),
    "db/V3__concurrent_index.sql": "CREATE INDEX CONCURRENTLY users_note ON users (note);\n",
    "db/V4__mixed.sql": (
        "CREATE TABLE audit (id bigint);\n"
        "CREATE INDEX CONCURRENTLY users_token ON users (token);\n"
    ),
    "db/V5__after_commit.sql": (
        "DELETE FROM users WHERE email IS NULL;\n"
        "COMMIT;\n"
        "ALTER TABLE users DROP COLUMN note;\n"
    ),
    "db/V6__broken.sql": "CREATE TABLE (;\n",
    "db/V7__pipes.sql": 'LOCK TABLE "a|b<c>" IN SHARE MODE;\n',
}


def _write(tmp_path: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def _report(tmp_path: Path, files: dict[str, str] = FILES, *, pg_version: int | None = None) -> lockreport.LockReport:
    _write(tmp_path, files)
    cfg = configmod.load(None, cwd=tmp_path, pg_version=pg_version)
    found = discover([str(tmp_path / "db")], base_dir=str(tmp_path), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude)
    report = lockreport.build(found.files, cfg)
    return dataclasses.replace(report, tool_version="0.0.0-test")


@pytest.fixture
def report(tmp_path) -> lockreport.LockReport:
    return _report(tmp_path)


def _by_line(report, path):
    (f,) = [f for f in report.files if f.path == path]
    return {s.line: s for s in f.statements}, f


# --------------------------------------------------------------------------- model


def test_model_verdicts_and_transactions(report):
    v1, f1 = _by_line(report, "db/V1__create_users.sql")
    assert f1.wrapped and "Flyway" in f1.why
    assert v1[1].verdict == "safe" and v1[1].kind == "CREATE TABLE" and not v1[1].locks
    assert v1[2].verdict == "new table" and v1[2].locks[0].new_table and v1[2].locks[0].mode == "SHARE"

    v2, _ = _by_line(report, "db/V2__scores.sql")
    assert v2[1].kind == "SET lock_timeout" and v2[1].verdict == "safe"
    assert v2[2].verdict == "blocks reads and writes" and not v2[2].locks[0].rewrite  # constant default, PG 11+
    assert v2[3].verdict == "rewrites table" and v2[3].kind == "ALTER TABLE … ADD COLUMN"
    assert v2[4].verdict == "blocks writes" and v2[4].locks[0].scan and v2[4].locks[0].blocks == "writes"
    assert v2[5].verdict == "locks rows" and v2[5].locks[0].mode == "ROW EXCLUSIVE"
    fk = v2[6]
    assert fk.verdict == "blocks writes"  # ADD FOREIGN KEY: SHARE ROW EXCLUSIVE on both tables
    assert [(lk.relation, lk.mode) for lk in fk.locks] == [("orders", "SHARE ROW EXCLUSIVE"), ("users", "SHARE ROW EXCLUSIVE")]
    nested = v2[9]
    assert nested.nested == "DO block at line 7" and nested.nested_in == "do" and nested.in_transaction
    assert nested.kind == "ALTER TABLE … ALTER COLUMN … SET NOT NULL" and nested.locks[0].scan
    body = v2[13]
    assert body.nested_in == "function" and body.in_transaction is None and "runs when called" in body.nested

    v3, f3 = _by_line(report, "db/V3__concurrent_index.sql")
    assert not f3.wrapped and v3[1].verdict == "safe" and v3[1].in_transaction is False

    v4, f4 = _by_line(report, "db/V4__mixed.sql")
    assert f4.wrapped and v4[2].verdict == "fails in a transaction"
    assert v4[2].notes == ("CREATE INDEX CONCURRENTLY cannot run inside a transaction block",)

    v5, _ = _by_line(report, "db/V5__after_commit.sql")
    assert v5[1].in_transaction and v5[3].in_transaction is False
    assert v5[2].in_transaction and v5[2].transaction.startswith("it ends the migration tool's transaction")
    assert v5[3].transaction.startswith("a COMMIT earlier in the file ended the tool's transaction")

    (broken,) = [f for f in report.files if f.path == "db/V6__broken.sql"]
    assert broken.error.startswith("does not parse: ") and not broken.statements
    assert report.counts == {
        "fails in a transaction": 1, "rewrites table": 1, "blocks reads and writes": 3, "blocks writes": 3,
        "locks rows": 3, "new table": 1, "safe": 7,
    }


def test_pg_version_changes_the_facts(tmp_path):
    report = _report(tmp_path, {"db/V1__x.sql": "ALTER TABLE users ADD COLUMN score int DEFAULT 0;\n"}, pg_version=10)
    assert report.pg_version == 10
    assert report.files[0].statements[0].verdict == "rewrites table"  # any default rewrote before PG 11


def test_dropped_foreign_key_locks_the_referenced_table(tmp_path):
    """Dropping a foreign key an earlier migration declared (DROP CONSTRAINT, DROP COLUMN of
    its column) also takes ACCESS EXCLUSIVE on the table it references
    (tests/test_migset.py::test_drop_foreign_key_locks): the report lists it; a constraint
    that is not a known key, and a key dropped before, add nothing."""
    report = _report(tmp_path, {
        "db/V1__a.sql": ("CREATE TABLE users (id bigint PRIMARY KEY);\n"
                         "CREATE TABLE orders (id bigint, user_id bigint REFERENCES users (id), n int CHECK (n > 0), "
                         "owner_id bigint CONSTRAINT orders_owner_fk REFERENCES users (id));\n"),
        "db/V2__b.sql": ("ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;\nALTER TABLE orders DROP CONSTRAINT orders_n_check;\n"
                         "ALTER TABLE orders DROP COLUMN owner_id;\nALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_user_id_fkey;\n"),
    })
    stmts = next(f for f in report.files if f.path.endswith("V2__b.sql")).statements
    locked = [sorted((h.relation, h.mode) for h in s.locks) for s in stmts]
    assert locked == [[("orders", "ACCESS EXCLUSIVE"), ("users", "ACCESS EXCLUSIVE")], [("orders", "ACCESS EXCLUSIVE")],
                      [("orders", "ACCESS EXCLUSIVE"), ("users", "ACCESS EXCLUSIVE")], [("orders", "ACCESS EXCLUSIVE")]]


# --------------------------------------------------------------------------- renderers


@pytest.mark.parametrize("module, ext", [(locks_text, "txt"), (locks_json, "json"), (locks_markdown, "md")])
def test_golden(report, module, ext):
    output = module.render(report)
    path = GOLDEN / f"basic.{ext}"
    if os.environ.get("MIGLINT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(output.encode("utf-8"))
    assert path.exists(), f"missing golden file {path}; run with MIGLINT_UPDATE_GOLDEN=1"
    assert output == path.read_bytes().decode("utf-8")


def test_json_has_a_version_and_round_trips(report):
    data = json.loads(locks_json.render(report))
    assert data["version"] == 1 and data["tool"]["name"] == "miglint" and data["pg_version"] == 16
    assert data["summary"]["statements"] == report.statements
    stmt = data["files"][1]["statements"][2]
    assert set(stmt) >= {"line", "column", "end_line", "end_column", "kind", "nested", "in_transaction", "transaction", "verdict", "locks"}
    assert set(stmt["locks"][0]) == {"relation", "mode", "what", "rewrite", "scan", "blocks", "new_table"}


def test_markdown_escapes_names_and_lists_only_locking_statements(report):
    md = locks_markdown.render(report)
    assert "`a\\|b<c>` SHARE" in md  # in a code span (shown as is), with the pipe escaped for the table
    assert "| 1 | `SET lock_timeout`" not in md  # statements without a table lock are counted, not listed
    assert "Other statements: 3 take no table lock." in md
    assert "| 3 | `ALTER TABLE … ADD COLUMN` | `users` ACCESS EXCLUSIVE (rewrite) | 🛑 rewrites table |" in md
    assert "`db/V6__broken.sql`**: not analysed, does not parse" in md


def test_text_marks_nested_statements_and_transaction_changes(report):
    text = locks_text.render(report)
    assert "(in DO block at line 7)" in text
    assert "(in function bump() at line 11, runs when called)" in text
    assert "outside a transaction: a COMMIT earlier in the file ended the tool's transaction" in text
    assert "orders: SHARE ROW EXCLUSIVE, blocks writes [ADD CONSTRAINT]" in text
    assert "users: SHARE ROW EXCLUSIVE, blocks writes [ADD FOREIGN KEY (referenced table)]" in text
    assert text.rstrip().endswith("(PostgreSQL 16; static analysis, nothing was executed)")


def test_build_without_a_config_uses_the_default_preset(tmp_path):
    """The pull-request bot calls ``lockreport.build(files)`` (linter/github/prepare.py)."""
    _write(tmp_path, {"db/V1__x.sql": "CREATE INDEX i ON users (email);\n"})
    found = discover([str(tmp_path / "db")], base_dir=str(tmp_path))
    md = locks_markdown.render(lockreport.build(found.files))
    assert "⚠️ blocks writes" in md and "PostgreSQL 16" in md


# --------------------------------------------------------------------------- CLI


def test_cli_locks(tmp_path, monkeypatch, capsys):
    _write(tmp_path, FILES)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["locks", "db", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == 1 and len(data["files"]) == len(FILES)
    assert cli.main(["locks", "db/V2__scores.sql", "--pg-version", "10"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("db/V2__scores.sql\n") and "PostgreSQL 10" in out
    assert cli.main(["locks", "db", "--format", "markdown"]) == 0
    assert "| Line | Statement | Locks | Verdict |" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["locks", "db", "--format", "xml"], "invalid choice"),
        (["locks", "db", "--pg-version", "7"], "--pg-version"),
        (["locks", "db", "--config", "missing.yml"], "missing.yml"),
        (["locks", "no/such/dir"], "no/such/dir"),
    ],
)
def test_cli_locks_usage_errors_exit_2(tmp_path, monkeypatch, capsys, argv, message):
    _write(tmp_path, FILES)
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_locks_on_a_file_with_findings_still_exits_0(tmp_path, monkeypatch, capsys):
    _write(tmp_path, {"db/V1__x.sql": "ALTER TABLE users ALTER COLUMN id TYPE bigint;\n"})
    monkeypatch.chdir(tmp_path)
    assert cli.main(["locks", "db"]) == 0
    assert "rewrites table" in capsys.readouterr().out


# --------------------------------------------------------------------------- real files


def test_real_corpus_files(shared_dir):
    corpus = shared_dir / "corpus"
    paths = [
        corpus / "supabase__storage" / "tenant" / "0038-iceberg-catalog-flag-on-buckets.sql",
        corpus / "navikt__familie-ba-sak" / "V194__unik_behandling_i_behandling_migreringsinfo.sql",
        corpus / "MarquezProject__marquez" / "V47__add_lineage_event_indexes.sql",
    ]
    cfg = configmod.load_preset("default")
    found = discover([str(p) for p in paths], base_dir=str(corpus))
    report = lockreport.build(found.files, cfg)
    by_path = {f.path: f for f in report.files}

    storage = by_path["supabase__storage/tenant/0038-iceberg-catalog-flag-on-buckets.sql"]
    assert storage.error is None
    nested = [s for s in storage.statements if s.nested_in == "do"]
    assert nested and all(s.nested.startswith("DO block at line ") for s in nested)
    assert any(s.kind == "CREATE UNIQUE INDEX" for s in nested)

    sak = by_path["navikt__familie-ba-sak/V194__unik_behandling_i_behandling_migreringsinfo.sql"]
    kinds = [(s.kind, s.in_transaction, s.verdict) for s in sak.statements]
    assert kinds == [("DELETE", True, "locks rows"), ("COMMIT", True, "safe"),  # COMMIT runs in the block it ends
                     ("ALTER TABLE … ADD CONSTRAINT", False, "blocks reads and writes")]

    marquez = by_path["MarquezProject__marquez/V47__add_lineage_event_indexes.sql"]
    assert not marquez.wrapped and "outside a transaction" in marquez.why
    assert [(s.kind, s.verdict) for s in marquez.statements] == [("CREATE INDEX CONCURRENTLY", "safe")]
    assert "lineage_events" in locks_markdown.render(report)


def test_statements_run_by_execute_show_run_time_names_as_written(tmp_path):
    fixture = Path(__file__).parent / "fixtures" / "dynsql" / "V2_41_10__Add_missing_uid_indexes_all_tables.sql"
    report = _report(tmp_path, {"db/V2_41_10__Add_missing_uid_indexes_all_tables.sql": fixture.read_text(encoding="utf-8")})
    lines, _ = _by_line(report, "db/V2_41_10__Add_missing_uid_indexes_all_tables.sql")
    index = lines[27]
    assert index.nested == "function make_uid_unique() at line 17, called in this file, run by EXECUTE"
    assert [(h.relation, h.mode) for h in index.locks] == [("%I", "SHARE")] and index.verdict == "blocks writes"
    assert "miglint_rt" not in locks_text.render(report)
