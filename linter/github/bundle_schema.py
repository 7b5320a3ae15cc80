"""The bundle's schema: what the untrusted ``pull_request`` job may tell the trusted one.

In the fork-safe flow (docs/github.md) the ``pull_request`` job runs with the fork's code
and writes a bundle; the ``workflow_run`` job, which holds a write token, posts from it. The
fork controls every byte of that file, so it is **data from a stranger**: this module
validates it field by field before anything reads it, and the trusted job renders every
comment itself, from the validated fields, with the same neutralising templates as a local
run (:mod:`linter.formats._markdown`). No markdown is carried: the lock report travels as
the structured data of ``miglint locks --format json`` (:mod:`linter.formats.locks_json`)
and is rebuilt into a :class:`linter.lockreport.LockReport` here.

The rules (any violation rejects the whole bundle with :class:`BundleError`, naming the
field, e.g. ``findings[3].severity``):

* **Versioned**: ``kind`` is ``miglint-github-bundle`` and ``version`` is :data:`VERSION`;
  an older or newer layout is refused with a sentence saying so.
* **Closed**: an object with a key the schema does not name is refused (nothing unknown is
  ignored silently, so nothing unknown can be smuggled for a later version to trust).
* **Typed**: integers are real JSON integers (``true`` is not ``1``) within bounds; strings
  are strings; enumerations (``severity``, ``fail_on``, ``scope``, lock ``mode``,
  ``verdict``, ``blocks``, ``section``...) take only their values; a rule id must be one of
  this miglint's rules (its family and documentation link are then taken from the registry,
  never from the bundle); fingerprints are hex; SHAs are 40 hex digits.
* **Bounded**: the file is at most :data:`MAX_BYTES`; every string has a length cap (a
  message :data:`MAX_TEXT` characters, a path :data:`MAX_PATH`, a suggestion
  :data:`~linter.formats.review.MAX_SUGGESTION`), every list a count cap (:data:`MAX_FINDINGS`
  findings...). Text may not hold control characters other than tab and line break.
* **Consistent**: spans run forward; a redacted (secrets) finding carries no fix, suggestion
  or properties; a suggestion's lines run forward and are at most :data:`MAX_SUGGESTION_LINES`.

Besides the findings (with their suggestions), a bundle carries the counts and scope of the
summary, the migration roots, the paths whose checkout differed from the head, each
finding's statement lines (``statements``, for one thread per statement) and the findings on
rollback code (``down``), the lock report's rows (``locks``) and the run's notes.

What it cannot prove is that the findings are true: a forged bundle can claim any finding
about the fork's own files. That is the same power the fork's author has over their own
pull request's text, and the templates make sure it renders as inert text in miglint's
comments (no heading, image, link, HTML, mention or marker).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from linter.formats.review import MAX_SUGGESTION

KIND = "miglint-github-bundle"
#: Layout version written and accepted (1 carried rendered markdown and is refused).
VERSION = 2
#: Largest bundle file read, in bytes.
MAX_BYTES = 32 * 1024 * 1024
MAX_FINDINGS = 20_000
MAX_TEXT = 8_000
MAX_SHORT = 500
MAX_PATH = 1_024
MAX_NOTES = 50
MAX_ROOTS = 20_000
MAX_STALE = 3_000
MAX_PROPERTIES = 32
MAX_LIST = 1_000
MAX_LINE = 10_000_000
MAX_SUGGESTION_LINES = 1_000
MAX_LOCK_FILES = 3_000
MAX_LOCK_STATEMENTS = 100_000
MAX_LOCKS = 1_000

FAIL_ON = ("error", "warning", "note", "never")
SCOPES = ("changed migration files", "migration files")
SEVERITIES = ("error", "warning", "note")
_HEX = re.compile(r"[0-9a-f]{1,64}")
_SHA = re.compile(r"[0-9a-f]{40}")
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class BundleError(ValueError):
    """The bundle is not one this miglint wrote: the message names the field and why."""


@dataclass
class BundleFinding:
    """One validated finding (``rule`` is a registered rule id)."""

    rule: str
    severity: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    help: str | None
    fingerprint: str
    redacted: bool
    properties: dict[str, Any]
    fix: dict | None
    suggestion: dict | None


@dataclass
class Bundle:
    """A validated bundle: every field checked as the module docstring says."""

    tool_version: str
    repository: str
    pull_request: dict | None
    fail_on: str
    files: int
    scope: str
    roots: dict[str, str]
    findings: list[BundleFinding]
    stale_paths: list[str]
    locks: dict | None
    notes: list[str] = field(default_factory=list)
    #: ``{fingerprint: (first line, last line)}`` of each finding's statement (threads).
    statements: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: fingerprints of the findings on rollback code.
    down: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------- primitives


def _fail(where: str, why: str) -> BundleError:
    return BundleError(f"{where}: {why}")


def _obj(value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise _fail(where, f"expected an object, got {_kind(value)}")
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        raise _fail(where, f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(repr(k[:40]) for k in unknown[:5])}")
    missing = [k for k in required if k not in value]
    if missing:
        raise _fail(where, f"missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _int(value: Any, where: str, lo: int = 1, hi: int = MAX_LINE) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(where, f"expected an integer, got {_kind(value)}")
    if not lo <= value <= hi:
        raise _fail(where, f"{value} is out of range ({lo}..{hi})")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"expected true or false, got {_kind(value)}")
    return value


def _str(value: Any, where: str, limit: int, *, empty: bool = False, pattern: re.Pattern | None = None, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"expected a string, got {_kind(value)}")
    if len(value) > limit:
        raise _fail(where, f"{len(value)} characters, more than {limit}")
    if not value and not empty:
        raise _fail(where, "empty")
    if pattern is not None and value and not pattern.fullmatch(value):
        raise _fail(where, f"not a valid value: {value[:60]!r}")
    bad = _CONTROL.search(value) or (None if multiline else re.search(r"[\n\t]", value))
    if bad:
        raise _fail(where, f"holds a control character (U+{ord(bad.group()):04X})")
    return value


def _opt(value: Any, check: Callable[[Any, str], Any], where: str) -> Any:
    return None if value is None else check(value, where)


def _enum(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value[:40]) if isinstance(value, str) else _kind(value)
        raise _fail(where, f"expected one of {', '.join(allowed)}, got {shown}")
    return value


def _list(value: Any, where: str, limit: int) -> list:
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, got {_kind(value)}")
    if len(value) > limit:
        raise _fail(where, f"{len(value)} items, more than {limit}")
    return value


def _path(value: Any, where: str) -> str:
    p = _str(value, where, MAX_PATH)
    if p.startswith("/") or "\\" in p or any(part in ("", "..") for part in p.split("/")):
        raise _fail(where, f"not a relative path inside the repository: {p[:60]!r}")
    return p


def _span(d: dict, where: str) -> tuple[int, int, int, int]:
    line, col = _int(d["line"], f"{where}.line"), _int(d["column"], f"{where}.column")
    end_line, end_col = _int(d["end_line"], f"{where}.end_line"), _int(d["end_column"], f"{where}.end_column")
    if (end_line, end_col) < (line, col):
        raise _fail(where, "the span ends before it starts")
    return line, col, end_line, end_col


# --------------------------------------------------------------------------- findings


def _property(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _int(value, where, -(2**53), 2**53)
    if isinstance(value, str):
        return _str(value, where, MAX_TEXT, empty=True, multiline=True)
    if isinstance(value, list):
        out = []
        for i, v in enumerate(_list(value, where, MAX_LIST)):
            if isinstance(v, (list, dict)):
                raise _fail(f"{where}[{i}]", f"expected a string, number, boolean or null, got {_kind(v)}")
            out.append(_property(v, f"{where}[{i}]"))
        return out
    raise _fail(where, f"expected a string, number, boolean, null or a list of them, got {_kind(value)}")


def _finding(d: Any, where: str, rules: dict) -> BundleFinding:
    d = _obj(
        d,
        where,
        ("rule", "severity", "path", "line", "column", "end_line", "end_column", "message", "fingerprint"),
        ("help", "redacted", "properties", "fix", "suggestion"),
    )
    rule = _str(d["rule"], f"{where}.rule", 100)
    if rule not in rules:
        raise _fail(f"{where}.rule", f"not a rule of miglint: {rule[:60]!r}")
    line, col, end_line, end_col = _span(d, where)
    redacted = _bool(d.get("redacted", False), f"{where}.redacted")
    props_raw = d.get("properties") or {}
    if not isinstance(props_raw, dict):
        raise _fail(f"{where}.properties", f"expected an object, got {_kind(props_raw)}")
    if len(props_raw) > MAX_PROPERTIES:
        raise _fail(f"{where}.properties", f"{len(props_raw)} keys, more than {MAX_PROPERTIES}")
    props = {_str(k, f"{where}.properties", 64, pattern=_KEY): _property(v, f"{where}.properties.{k}") for k, v in props_raw.items()}
    fix = None
    if d.get("fix") is not None:
        fx = _obj(d["fix"], f"{where}.fix", ("description", "replacement", "line", "column", "end_line", "end_column"))
        _span(fx, f"{where}.fix")
        fix = {
            "description": _str(fx["description"], f"{where}.fix.description", MAX_SHORT, empty=True),
            "replacement": _str(fx["replacement"], f"{where}.fix.replacement", MAX_SUGGESTION, empty=True, multiline=True),
            **{k: fx[k] for k in ("line", "column", "end_line", "end_column")},
        }
    suggestion = None
    if d.get("suggestion") is not None:
        s = _obj(d["suggestion"], f"{where}.suggestion", ("first_line", "last_line", "text"))
        first, last = _int(s["first_line"], f"{where}.suggestion.first_line"), _int(s["last_line"], f"{where}.suggestion.last_line")
        if not 0 <= last - first < MAX_SUGGESTION_LINES:
            raise _fail(f"{where}.suggestion", f"lines {first}..{last} do not run forward or span more than {MAX_SUGGESTION_LINES} lines")
        suggestion = {"first_line": first, "last_line": last, "text": _str(s["text"], f"{where}.suggestion.text", MAX_SUGGESTION, empty=True, multiline=True)}
    if redacted and (fix or suggestion or props):
        raise _fail(where, "a redacted finding (secrets) carries a fix, a suggestion or properties")
    return BundleFinding(
        rule=rule,
        severity=_enum(d["severity"], f"{where}.severity", SEVERITIES),
        path=_path(d["path"], f"{where}.path"),
        line=line,
        column=col,
        end_line=end_line,
        end_column=end_col,
        message=_str(d["message"], f"{where}.message", MAX_TEXT, multiline=True),
        help=_opt(d.get("help"), lambda v, w: _str(v, w, MAX_TEXT, empty=True, multiline=True), f"{where}.help"),
        fingerprint=_str(d["fingerprint"], f"{where}.fingerprint", 64, pattern=_HEX),
        redacted=redacted,
        properties=props,
        fix=fix,
        suggestion=suggestion,
    )


# --------------------------------------------------------------------------- lock report


def _locks(value: Any, where: str):
    """The lock report, rebuilt from the structure of ``miglint locks --format json``."""
    from collections import Counter

    from linter.lockreport import VERDICTS, FileLocks, LockReport, RelationLock, StatementLocks
    from linter.model import Direction
    from linter.pg.locks import LockMode

    modes = tuple(m.label for m in LockMode)
    blocks = tuple(sorted({m.blocks for m in LockMode}))
    sections = tuple(str(d) for d in Direction)
    d = _obj(value, where, ("pg_version", "files"), ("notes",))
    files = []
    total = 0
    for i, f in enumerate(_list(d["files"], f"{where}.files", MAX_LOCK_FILES)):
        fw = f"{where}.files[{i}]"
        f = _obj(f, fw, ("path", "convention", "direction", "wrapped", "why", "statements"), ("error",))
        statements = []
        for j, s in enumerate(_list(f["statements"], f"{fw}.statements", MAX_LOCK_STATEMENTS)):
            sw = f"{fw}.statements[{j}]"
            total += 1
            if total > MAX_LOCK_STATEMENTS:
                raise _fail(where, f"more than {MAX_LOCK_STATEMENTS} statements")
            s = _obj(
                s,
                sw,
                ("line", "column", "end_line", "end_column", "kind", "text", "section", "in_transaction", "transaction", "verdict", "locks"),
                ("nested", "nested_in", "notes"),
            )
            held = []
            for k, lk in enumerate(_list(s["locks"], f"{sw}.locks", MAX_LOCKS)):
                lw = f"{sw}.locks[{k}]"
                lk = _obj(lk, lw, ("relation", "mode", "what", "rewrite", "scan", "blocks", "new_table"))
                held.append(
                    RelationLock(
                        _str(lk["relation"], f"{lw}.relation", MAX_SHORT),
                        _enum(lk["mode"], f"{lw}.mode", modes),
                        _str(lk["what"], f"{lw}.what", MAX_SHORT, empty=True),
                        _bool(lk["rewrite"], f"{lw}.rewrite"),
                        _bool(lk["scan"], f"{lw}.scan"),
                        _enum(lk["blocks"], f"{lw}.blocks", blocks),
                        _bool(lk["new_table"], f"{lw}.new_table"),
                    )
                )
            line, col, end_line, end_col = _span(s, sw)
            statements.append(
                StatementLocks(
                    line,
                    col,
                    end_line,
                    end_col,
                    _str(s["kind"], f"{sw}.kind", MAX_SHORT),
                    _str(s["text"], f"{sw}.text", MAX_SHORT, empty=True),
                    _opt(s.get("nested"), lambda v, w: _str(v, w, MAX_SHORT), f"{sw}.nested"),
                    _opt(s.get("nested_in"), lambda v, w: _enum(v, w, ("do", "function")), f"{sw}.nested_in"),
                    _enum(s["section"], f"{sw}.section", sections),
                    _opt(s["in_transaction"], _bool, f"{sw}.in_transaction"),
                    _str(s["transaction"], f"{sw}.transaction", MAX_SHORT, empty=True),
                    tuple(held),
                    _enum(s["verdict"], f"{sw}.verdict", VERDICTS),
                    tuple(_str(n, f"{sw}.notes[{m}]", MAX_SHORT) for m, n in enumerate(_list(s.get("notes") or [], f"{sw}.notes", MAX_LIST))),
                )
            )
        files.append(
            FileLocks(
                _path(f["path"], f"{fw}.path"),
                _str(f["convention"], f"{fw}.convention", 64, pattern=_TOKEN),
                _enum(f["direction"], f"{fw}.direction", sections),
                _opt(f["wrapped"], _bool, f"{fw}.wrapped"),
                _str(f["why"], f"{fw}.why", MAX_SHORT, empty=True),
                tuple(statements),
                _opt(f.get("error"), lambda v, w: _str(v, w, MAX_SHORT), f"{fw}.error"),
            )
        )
    notes = tuple(_str(n, f"{where}.notes[{i}]", MAX_SHORT) for i, n in enumerate(_list(d.get("notes") or [], f"{where}.notes", MAX_NOTES)))
    counts = Counter(s.verdict for f in files for s in f.statements)  # recounted, never read
    return LockReport(tuple(files), _int(d["pg_version"], f"{where}.pg_version", 9, 99), notes, counts={v: counts[v] for v in VERDICTS if counts.get(v)})


def locks_data(report) -> dict:
    """The lock report as the bundle carries it (the fields :func:`_locks` reads)."""
    from linter.formats.locks_json import _file

    files = []
    for f in report.files:
        d = _file(f)
        d["wrapped"], d["why"] = d["transaction"]["wrapped"], d["transaction"]["why"]
        del d["transaction"]
        files.append(d)
    return {"pg_version": report.pg_version, "files": files, "notes": list(report.notes)}


# --------------------------------------------------------------------------- the bundle


def validate(data: Any, rules: dict | None = None) -> Bundle:
    """Validate a parsed bundle (see the module docstring); raises :class:`BundleError`.
    ``rules``: ``{rule id: rule}`` (default: this miglint's registry)."""
    if rules is None:
        from linter import registry

        rules = registry.all_rules()
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise BundleError("not a miglint bundle (written by `miglint github --save-bundle`)")
    version = data.get("version")
    if version != VERSION:
        raise BundleError(
            f"bundle layout version {version!r}, this miglint reads version {VERSION}: "
            "run the same miglint version in both workflows"
        )
    d = _obj(
        data,
        "bundle",
        ("kind", "version", "tool_version", "repository", "pull_request", "fail_on", "files", "scope", "findings"),
        ("roots", "stale_paths", "locks", "notes", "statements", "down"),
    )
    pr = None
    if d["pull_request"] is not None:
        p = _obj(d["pull_request"], "pull_request", ("number", "head_sha", "base_sha"))
        pr = {
            "number": _int(p["number"], "pull_request.number", 1, 2**31),
            "head_sha": _str(p["head_sha"], "pull_request.head_sha", 40, pattern=_SHA),
            "base_sha": _str(p["base_sha"], "pull_request.base_sha", 40, empty=True, pattern=_SHA),
        }
    roots_raw = d.get("roots") or {}
    if not isinstance(roots_raw, dict):
        raise _fail("roots", f"expected an object, got {_kind(roots_raw)}")
    if len(roots_raw) > MAX_ROOTS:
        raise _fail("roots", f"{len(roots_raw)} entries, more than {MAX_ROOTS}")
    roots = {}
    for k, v in roots_raw.items():
        roots[_path(k, "roots")] = "." if v == "." else _path(v, f"roots[{k[:60]!r}]")
    findings = [_finding(f, f"findings[{i}]", rules) for i, f in enumerate(_list(d["findings"], "findings", MAX_FINDINGS))]
    places_raw = d.get("statements") or {}
    if not isinstance(places_raw, dict):
        raise _fail("statements", f"expected an object, got {_kind(places_raw)}")
    if len(places_raw) > MAX_FINDINGS:
        raise _fail("statements", f"{len(places_raw)} entries, more than {MAX_FINDINGS}")
    places: dict[str, tuple[int, int]] = {}
    for fp, lines in places_raw.items():
        where = f"statements[{fp[:20]!r}]"
        _str(fp, where, 64, pattern=_HEX)
        lines = _list(lines, where, 2)
        if len(lines) != 2:
            raise _fail(where, "expected [first line, last line]")
        first, last = _int(lines[0], f"{where}[0]"), _int(lines[1], f"{where}[1]")
        if last < first:
            raise _fail(where, "the lines do not run forward")
        places[fp] = (first, last)
    down = {_str(fp, f"down[{i}]", 64, pattern=_HEX) for i, fp in enumerate(_list(d.get("down") or [], "down", MAX_FINDINGS))}
    return Bundle(
        tool_version=_str(d["tool_version"], "tool_version", 50, pattern=_TOKEN),
        repository=_str(d["repository"], "repository", 140, pattern=_REPO),
        pull_request=pr,
        fail_on=_enum(d["fail_on"], "fail_on", FAIL_ON),
        files=_int(d["files"], "files", 0, 1_000_000),
        scope=_enum(d["scope"], "scope", SCOPES),
        roots=roots,
        findings=findings,
        stale_paths=[_path(p, f"stale_paths[{i}]") for i, p in enumerate(_list(d.get("stale_paths") or [], "stale_paths", MAX_STALE))],
        locks=None if d.get("locks") is None else _locks(d["locks"], "locks"),
        notes=[_str(n, f"notes[{i}]", MAX_TEXT, multiline=True) for i, n in enumerate(_list(d.get("notes") or [], "notes", MAX_NOTES))],
        statements=places,
        down=down,
    )


def read(path: str) -> Bundle:
    """Read and validate the bundle file at ``path`` (at most :data:`MAX_BYTES`); raises
    :class:`BundleError` with the path in the message."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise BundleError(f"{path}: cannot read the bundle ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise BundleError(f"{path}: the bundle is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BundleError(f"{path}: not JSON ({type(exc).__name__})") from None
    try:
        return validate(data)
    except BundleError as exc:
        raise BundleError(f"{path}: {exc}") from None


def dumps(data: dict) -> str:
    """Bundle ``data`` (as :func:`validate` reads it) as the text of a bundle file."""
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"

