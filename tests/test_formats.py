"""Tests for linter/formats: golden files per format, plus the properties each format promises.

Golden files live in ``tests/golden/<format>/basic.<ext>``. To regenerate them after an
intended change, run ``MIGLINT_UPDATE_GOLDEN=1 pytest tests/test_formats.py`` and review
the diff by eye before committing.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest

from linter import DOCS_BASE
from linter.formats import NAMES, github, gitlab, module, rdjson, render, sarif, text, write
from linter.model import (
    FILE_SPAN,
    Convention,
    Direction,
    Finding,
    Fix,
    MigrationFile,
    Report,
    Severity,
    Span,
)
from linter.registry import Rule  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden"
SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
EXTENSIONS = {"text": "txt", "json": "json", "sarif": "sarif", "github": "txt", "gitlab": "json", "rdjson": "json"}

SECRET = "AKIAIOSFODNN7EXAMPLE"
SECRET_FIX_TEXT = "current_setting('app.aws_access_key_id')"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Source lines, as the engine would put them in Report.excerpts.
V1 = "db/migrations/V1__init.sql"
V2 = "db/migrations/V2__add_index.sql"
V3 = "db/migrations/V3__rename:users,teams.sql"  # ':' and ',' exercise property escaping
V4 = "db/migrations/V4__wallets.sql"
SEED = "db/seeds/users.sql"
V5 = "db/migrations/V5__noop.sql"

INDEX_LINE = "CREATE INDEX users_email_idx ON users (email);"
#   cols 1-30: INSERT INTO greetings VALUES (   31-35: 'ééé'   36: ,   37: TAB   38-44: 'hello'
ACCENT_LINE = "INSERT INTO greetings VALUES ('ééé',\t'hello');"
SECRET_LINE = f"INSERT INTO api_keys VALUES ('{SECRET}');"


def make_rule(rule_id: str, family: str, level: str, summary: str, why: str) -> Rule:
    doc = (
        f"{summary}\n\n## Why is this bad?\n{why}\n\n## Example\n```sql\nSELECT 1;\n```\n\n"
        f"## Use instead\n```sql\nSELECT 2;\n```\n\n## Options\nNone.\n\n## References\n- PostgreSQL docs\n"
    )
    return Rule(
        id=rule_id,
        family=family,
        scope="statement",
        default_level=level,
        summary=summary,
        doc=doc,
        aliases=(f"old-{rule_id}",),
        options={},
        defaults={},
        module=None,
    )


RULES = [
    make_rule("syntax-error", "syntax", "error", "Migrations must parse as PostgreSQL.", "The migration fails to apply."),
    make_rule(
        "non-concurrent-index",
        "locking",
        "warning",
        "Build indexes on existing tables with CONCURRENTLY.",
        "CREATE INDEX takes a SHARE lock; writes wait for the whole build.",
    ),
    make_rule("sqlfluff-style", "style", "disable", "SQL style as sqlfluff checks it.", "Consistent SQL reads faster."),
    make_rule(
        "sequence-out-of-range",
        "versioning",
        "error",
        "Versions must continue the sequence.",
        "A gap or duplicate reorders migrations.",
    ),
    make_rule(
        "non-idempotent-create",
        "idempotency",
        "note",
        "CREATE without IF NOT EXISTS.",
        "Re-running the migration fails.",
    ),
    make_rule(
        "secret-in-seed-data",
        "secrets",
        "error",
        "Seed data must not contain credentials.",
        "Anything committed is public forever.",
    ),
]


def finding(rule_id, family, severity, path, span, message, help=None, fp="0" * 16, **kw) -> Finding:
    return Finding(
        rule_id=rule_id,
        family=family,
        severity=severity,
        path=path,
        span=span,
        message=message,
        help=help,
        docs_url=f"{DOCS_BASE}#{rule_id}",
        fingerprint=fp,
        **kw,
    )


def mfile(path: str, version: str) -> MigrationFile:
    return MigrationFile(
        path=path,
        abspath="/repo/" + path,
        root=path.rsplit("/", 1)[0],
        convention=Convention.FLYWAY if "/migrations/" in path else Convention.SEED,
        direction=Direction.UP if "/migrations/" in path else Direction.SEED,
        version=version,
    )


def build_report() -> Report:
    findings = [
        finding(
            "syntax-error",
            "syntax",
            Severity.ERROR,
            V1,
            Span.at(3, 8, 3, 12),
            'syntax error at or near "TABL"',
            help="Check the statement near the marked token.",
            fp="1a2b3c4d5e6f7081",
        ),
        finding(
            "non-concurrent-index",
            "locking",
            Severity.WARNING,
            V2,
            Span.at(2, 1, 2, 13),
            'index "users_email_idx" on "users" is built without CONCURRENTLY',
            help="Add CONCURRENTLY and run this migration outside a transaction.",
            fp="2b3c4d5e6f708192",
            # "-- add index\n" is 13 characters, so line 2 column 14 is offset 26.
            fix=Fix(Span.at(2, 14, 2, 14), 26, 26, "CONCURRENTLY ", "Add CONCURRENTLY"),
            properties={"lock": "SHARE"},
        ),
        finding(
            "sqlfluff-style",
            "style",
            Severity.WARNING,
            V2,
            Span.at(5, 38, 5, 45),
            "LT01: Expected single whitespace between ',' and literal, found tab.",
            help="Replace the tab with one space.",
            fp="3c4d5e6f708192a3",
            fix=Fix(Span.at(5, 37, 5, 38), 120, 121, " ", "Replace tab with a space"),
            properties={"sqlfluff_code": "LT01"},
        ),
        finding(
            "sequence-out-of-range",
            "versioning",
            Severity.ERROR,
            V3,
            FILE_SPAN,
            "version 3 is out of range: expected 1,2 or 4 (100% sequential)\nV2 was applied last",
            help="Rename the file to V5__rename.sql, or add the missing versions.",
            fp="4d5e6f708192a3b4",
        ),
        finding(
            "non-idempotent-create",
            "idempotency",
            Severity.NOTE,
            V4,
            Span.at(1, 1, 4, 3),
            'table "wallets" is created without IF NOT EXISTS',
            help="Use CREATE TABLE IF NOT EXISTS.",
            fp="5e6f708192a3b4c5",
        ),
        finding(
            "secret-in-seed-data",
            "secrets",
            Severity.ERROR,
            SEED,
            Span.at(2, 31, 2, 51),
            "AWS access key ID in seed data",
            help="Remove the key, rotate it, and read credentials from the environment.",
            fp="6f708192a3b4c5d6",
            fix=Fix(Span.at(2, 30, 2, 52), 60, 82, SECRET_FIX_TEXT, "Read the key from a setting"),
            redacted=True,
            properties={"detector": "aws-key-detector-v9"},
        ),
    ]
    findings.sort(key=Finding.sort_key)
    return Report(
        findings=findings,
        files=[
            mfile(V1, "1"),
            mfile(V2, "2"),
            mfile(V3, "3"),
            mfile(V4, "4"),
            mfile(V5, "5"),
            mfile(SEED, None),
        ],
        rules=RULES,
        excerpts={
            V1: {3: "CREATE TABL users (id bigint);"},
            V2: {2: INDEX_LINE, 5: ACCENT_LINE},
            V4: {1: "CREATE TABLE wallets ("},
            # Never present for a redacted finding in real runs; here on purpose, to prove
            # that formats drop it.
            SEED: {2: SECRET_LINE},
        },
        notes=["no migration files found in legacy/"],
        tool_version="0.1.0",
    )


@pytest.fixture
def report() -> Report:
    return build_report()


# --- golden files ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXTENSIONS))
def test_golden(name, report):
    output = render(name, report)
    path = GOLDEN / name / f"basic.{EXTENSIONS[name]}"
    if os.environ.get("MIGLINT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(output.encode("utf-8"))
    assert path.exists(), f"missing golden file {path}; run with MIGLINT_UPDATE_GOLDEN=1"
    assert output == path.read_bytes().decode("utf-8")


def test_registry_of_formats():
    assert set(NAMES) == {"text", "json", "sarif", "github", "gitlab", "rdjson"}
    for name in NAMES:
        assert module(name).__doc__ and "http" in module(name).__doc__  # every format names its spec
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", build_report())


# --- redaction ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXTENSIONS))
@pytest.mark.parametrize("color", [False, True])
def test_redacted_source_never_echoed(name, color, report):
    output = render(name, report, color=color)
    assert SECRET not in output
    assert SECRET_FIX_TEXT not in output and "app.aws_access_key_id" not in output
    assert "aws-key-detector-v9" not in output  # rule properties are dropped too
    assert "AWS access key ID in seed data" in output  # ...but the finding is reported


# --- text --------------------------------------------------------------------------------


def test_text_colour_only_when_asked(report):
    plain = text.render(report)
    coloured = text.render(report, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31merror\x1b[0m" in coloured
    assert "\x1b[1;33mwarning\x1b[0m" in coloured
    assert "\x1b[1;36mnote\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == plain


def test_text_caret_alignment_with_tab_and_accents(report):
    lines = text.render(report).splitlines()
    source = next(i for i, line in enumerate(lines) if "'hello'" in line)
    carets = lines[source + 1]
    assert "\t" not in lines[source]  # tab expanded ...
    assert carets.index("^") == lines[source].index("'hello'")  # ... and carets still line up
    assert carets.count("^") == len("'hello'")


def test_text_summary_and_notes(report):
    output = text.render(report)
    assert output.endswith(
        "Found 3 errors, 2 warnings and 1 note in 5 of 6 files.\nnote: no migration files found in legacy/\n"
    )
    empty = Report(findings=[], files=report.files[:1], rules=RULES)
    assert text.render(empty) == "No problems found in 1 file.\n"


def test_text_multiline_span_underlines_to_end_of_first_line(report):
    lines = text.render(report).splitlines()
    source = lines.index(" 1 | CREATE TABLE wallets (")
    assert lines[source + 1] == "   | " + "^" * len("CREATE TABLE wallets (")


def test_text_wide_characters_take_two_cells():
    line = "SELECT '表表' AS x;"
    col = line.index("x") + 1
    f = finding("syntax-error", "syntax", Severity.ERROR, V1, Span.at(1, col, 1, col + 1), "m")
    out = text.render(Report(findings=[f], files=[], rules=[], excerpts={V1: {1: line}})).splitlines()
    prefix = " 1 | "
    assert out[1] == prefix + line
    assert out[2] == "   | " + " " * (col - 1 + 2) + "^"  # two wide characters: two extra cells


def test_text_control_characters_are_not_sent_to_terminal():
    bad = finding("syntax-error", "syntax", Severity.ERROR, V1, Span.at(1, 1, 1, 4), "bad")
    report = Report(findings=[bad], files=[], rules=[], excerpts={V1: {1: "abc\x1b[2Jdef"}})
    output = text.render(report)
    assert "\x1b" not in output
    assert "abc\N{REPLACEMENT CHARACTER}[2Jdef" in output


# --- json --------------------------------------------------------------------------------


def test_json_round_trip_and_version(report):
    data = json.loads(module("json").render(report))
    assert data["version"] == 1
    assert data["tool"] == {"name": "miglint", "version": "0.1.0"}
    assert data["summary"] == {"files": 6, "findings": 6, "error": 3, "warning": 2, "note": 1}
    assert data["notes"] == ["no migration files found in legacy/"]
    by_rule = {f["rule"]: f for f in data["findings"]}
    index = by_rule["non-concurrent-index"]
    assert index["fix"] == {
        "description": "Add CONCURRENTLY",
        "replacement": "CONCURRENTLY ",
        "line": 2,
        "column": 14,
        "end_line": 2,
        "end_column": 14,
    }
    assert index["properties"] == {"lock": "SHARE"}
    style = by_rule["sqlfluff-style"]
    assert (style["line"], style["column"], style["end_column"]) == (5, 38, 45)  # code points
    secret = by_rule["secret-in-seed-data"]
    assert secret["redacted"] is True and secret["fix"] is None and secret["properties"] == {}
    assert [f["path"] for f in data["findings"]] == sorted(f["path"] for f in data["findings"])


# --- sarif -------------------------------------------------------------------------------


def _sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema_file = SCHEMAS / "sarif-schema-2.1.0.json"
    if not schema_file.exists():
        pytest.skip(f"SARIF schema not found at {schema_file}")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)  # the draft the schema declares (draft-04)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("which", ["basic", "empty"])
def test_sarif_validates_against_schema(which, report):
    if which == "empty":
        report = Report(findings=[], files=[], rules=[], tool_version="0.1.0")
    log = json.loads(sarif.render(report))
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_sarif_content(report):
    run = json.loads(sarif.render(report))["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in RULES]
    by_id = {r["id"]: r for r in rules}
    assert by_id["non-concurrent-index"]["name"] == "NonConcurrentIndex"
    assert by_id["non-concurrent-index"]["defaultConfiguration"] == {"level": "warning"}
    assert "defaultConfiguration" not in by_id["sqlfluff-style"]  # default "disable"
    assert by_id["syntax-error"]["fullDescription"]["text"] == "The migration fails to apply."
    assert by_id["syntax-error"]["help"]["markdown"].startswith("Migrations must parse")
    assert by_id["secret-in-seed-data"]["properties"]["security-severity"] == "8.0"
    assert "security-severity" not in by_id["syntax-error"]["properties"]

    results = run["results"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["partialFingerprints"]["miglint/v1"]) == 16
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    by_rule = {r["ruleId"]: r for r in results}
    assert by_rule["secret-in-seed-data"]["level"] == "error"
    assert "fixes" not in by_rule["secret-in-seed-data"] and "properties" not in by_rule["secret-in-seed-data"]
    replacement = by_rule["non-concurrent-index"]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement == {
        "deletedRegion": {"startLine": 2, "startColumn": 14, "endLine": 2, "endColumn": 14},
        "insertedContent": {"text": "CONCURRENTLY "},
    }
    note = by_rule["non-idempotent-create"]
    assert note["level"] == "note"
    assert note["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 4,
        "endColumn": 3,
    }


def test_sarif_uri_is_percent_encoded():
    assert sarif.artifact_uri("db/V1__add 100%.sql") == "db/V1__add%20100%25.sql"
    assert sarif.artifact_uri("db/V3__a:b,c#d?.sql") == "db/V3__a%3Ab%2Cc%23d%3F.sql"
    assert sarif.artifact_uri("db/V2__café.sql") == "db/V2__caf%C3%A9.sql"
    run = json.loads(sarif.render(build_report()))["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert "db/migrations/V3__rename%3Ausers%2Cteams.sql" in uris


def test_sarif_rule_missing_from_report_gets_minimal_descriptor(report):
    report.rules = [r for r in RULES if r.id != "syntax-error"]
    run = json.loads(sarif.render(report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    result = next(r for r in run["results"] if r["ruleId"] == "syntax-error")
    assert rules[result["ruleIndex"]] == {
        "id": "syntax-error",
        "name": "SyntaxError",
        "helpUri": f"{DOCS_BASE}#syntax-error",
        "properties": {"family": "syntax", "tags": ["syntax"]},
    }


# --- github ------------------------------------------------------------------------------


def test_github_escaping_functions():
    assert github.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github.escape_data("a:b,c") == "a:b,c"  # ':' and ',' are fine in the message
    assert github.escape_property("dir/a:b,c%\n") == "dir/a%3Ab%2Cc%25%0A"
    # '%' is escaped first, so an existing escape sequence is not mistaken for one
    assert github.escape_property("%3A") == "%253A"


def test_github_commands(report):
    lines = github.render(report).splitlines()
    assert len(lines) == len(report.findings)  # newlines in messages are escaped
    assert [line.split(" ", 1)[0] for line in lines] == ["::error"] * 3 + ["::warning"] * 2 + ["::notice"]
    seq = next(line for line in lines if "title=sequence-out-of-range" in line)
    assert seq == (
        "::error file=db/migrations/V3__rename%3Ausers%2Cteams.sql,line=1,endLine=1,col=1,endColumn=1,"
        "title=sequence-out-of-range::version 3 is out of range: expected 1,2 or 4 (100%25 sequential)"
        "%0AV2 was applied last%0ARename the file to V5__rename.sql, or add the missing versions."
    )
    note = next(line for line in lines if line.startswith("::notice"))
    assert "line=1,endLine=4,title=" in note and "col=" not in note  # no columns on multi-line spans
    index = next(line for line in lines if "title=non-concurrent-index" in line)
    assert "line=2,endLine=2,col=1,endColumn=13," in index


def test_github_end_line_of_span_ending_at_line_break():
    f = finding("syntax-error", "syntax", Severity.ERROR, V1, Span.at(2, 1, 4, 1), "m")
    assert "line=2,endLine=3,title=" in github.command(f)


# --- gitlab ------------------------------------------------------------------------------


def test_gitlab_issues(report):
    data = json.loads(gitlab.render(report))
    by_check = {i["check_name"]: i for i in data}
    assert {k: v["severity"] for k, v in by_check.items()} == {
        "syntax-error": "major",
        "non-concurrent-index": "minor",
        "sqlfluff-style": "minor",
        "sequence-out-of-range": "major",
        "non-idempotent-create": "info",
        "secret-in-seed-data": "critical",
    }
    assert by_check["non-idempotent-create"]["location"] == {"path": V4, "lines": {"begin": 1, "end": 4}}
    assert all(set(i) >= {"description", "check_name", "fingerprint", "severity", "location"} for i in data)


def test_gitlab_fingerprints_made_unique_deterministically():
    twice = [
        finding("non-concurrent-index", "locking", Severity.WARNING, V2, Span.at(line, 1, line, 13), "m", fp="ab" * 8)
        for line in (2, 7, 9)
    ]
    report = Report(findings=twice, files=[], rules=[])
    prints = [i["fingerprint"] for i in json.loads(gitlab.render(report))]
    assert prints == ["ab" * 8, "ab" * 8 + "-2", "ab" * 8 + "-3"]
    assert gitlab.render(report) == gitlab.render(report)


# --- rdjson ------------------------------------------------------------------------------


def test_rdjson_byte_columns(report):
    data = json.loads(rdjson.render(report))
    assert data["source"] == {"name": "miglint", "url": "https://github.com/miglint/miglint"}
    assert data["severity"] == "ERROR"
    by_code = {d["code"]["value"]: d for d in data["diagnostics"]}
    style = by_code["sqlfluff-style"]
    # 37 characters before 'hello' hold three two-byte 'é': byte column 41, not 38.
    assert style["location"]["range"] == {"start": {"line": 5, "column": 41}, "end": {"line": 5, "column": 48}}
    assert style["suggestions"] == [
        {"range": {"start": {"line": 5, "column": 40}, "end": {"line": 5, "column": 41}}, "text": " "}
    ]
    assert style["severity"] == "WARNING" and style["code"]["url"] == f"{DOCS_BASE}#sqlfluff-style"
    # ASCII line: byte columns equal character columns.
    assert by_code["syntax-error"]["location"]["range"]["start"] == {"line": 3, "column": 8}
    # Redacted: its line is never used, so the range is line-wise; no suggestion.
    secret = by_code["secret-in-seed-data"]
    assert secret["location"]["range"] == {"start": {"line": 2}, "end": {"line": 2}}
    assert "suggestions" not in secret
    # Multi-line span whose end line has no excerpt: line-wise too.
    assert by_code["non-idempotent-create"]["location"]["range"] == {"start": {"line": 1}, "end": {"line": 4}}
    assert by_code["non-idempotent-create"]["severity"] == "INFO"


# --- all formats -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXTENSIONS))
def test_empty_report_renders(name):
    output = render(name, Report(findings=[], files=[], rules=RULES, tool_version="0.1.0"))
    if name in ("json", "sarif", "gitlab", "rdjson"):
        parsed = json.loads(output)
        assert parsed is not None
    elif name == "github":
        assert output == ""
    else:
        assert output == "No problems found in 0 files.\n"


@pytest.mark.parametrize("name", sorted(EXTENSIONS))
@pytest.mark.parametrize("empty", [False, True], ids=["findings", "empty"])
def test_write_streams_exactly_what_render_returns(name, empty, report):
    if empty:
        report = Report(findings=[], files=[], rules=RULES, tool_version="0.1.0")
    out = io.BytesIO()
    write(name, report, out)
    assert out.getvalue() == render(name, report).encode("utf-8")
    if name == "json":  # the streamed pieces still make one valid document
        assert json.loads(out.getvalue())["summary"]["findings"] == len(report.findings)
