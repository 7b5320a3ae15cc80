"""The pull-request summary: one markdown document for the sticky PR comment and the job summary.

Rendered from ``linter/templates/summary.md.j2`` (examples: ``docs/pull-request-comments.md``):

* a title with the counts, one line with the ``fail-on`` verdict, the scope and a link to the
  workflow run (``run_url``);
* **at most** :data:`ROLLUP` **findings**: one table, errors first;
* **more**: a roll-up by rule (counts per severity, most severe rules first) and by file
  (collapsed when it has more than :data:`OPEN_FILES` rows), then one collapsible group per
  severity: the errors open, warnings and notes collapsed;
* each row is a location (linked to the file at the head commit when ``blob_url`` is known),
  the rule (linked to its documentation, with the finding's message as the link's title,
  which GitHub shows on hover) and the rule's title: one short sentence from the registry
  (its docstring's first line), the same for every finding of the rule. Paths are relative to
  the common directory of the findings' migration roots, which the document names once;
* the lock report of the changed files (collapsed), what was not posted inline grouped by
  reason with its locations (each reason said once, e.g. a fork's read-only token), and the
  run's notes. A clean run says so;
* a footer (``footer``: version and commit). :func:`same_content` compares two documents
  without it, so the bot edits its comment only when what it says changed.

Size: the PR comment must stay under GitHub's 65,536-character limit for comment bodies
(NOTES.md section 4; not in the OpenAPI schema), the job summary under 1 MiB (same renderer,
``measure`` counting bytes). When the full document is larger, rows are dropped, least severe
first, until it fits; the roll-ups still count every finding, and the document says how many
rows were left out and where they are (the job summary of the run). A lock report larger than
a quarter of the budget is left out with a note.

Redacted findings show their message only (never source, fix or properties).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from linter.formats._common import most_severe_first
from linter.formats._markdown import ICONS, render_template
from linter.model import Finding, Report, Severity

#: Hidden first line of the sticky PR comment; the bot finds its comment by it.
MARKER = "<!-- miglint:summary -->"
#: Budget for the PR comment body (GitHub rejects bodies over 65,536 characters).
COMMENT_LIMIT = 60_000
#: Budget for the job summary (GitHub accepts up to 1 MiB per step), in UTF-8 bytes.
JOB_SUMMARY_LIMIT = 1_000_000
#: Above this many findings the summary starts with a roll-up by rule and by file.
ROLLUP = 20
#: The roll-up by file is shown expanded up to this many files.
OPEN_FILES = 10
#: Rows of the roll-up by file at most (the rest are counted in one line).
MAX_FILE_ROWS = 100
#: Locations listed per "not posted inline" reason at most.
MAX_REASON_LOCATIONS = 10
#: Characters of a finding's message kept in its rule link's title.
DETAIL_CHARS = 300
#: The footer's first characters; :func:`same_content` ignores the last line when it starts so.
FOOTER_START = "<sub>"


@dataclass
class SummaryData:
    """Everything the summary shows.

    * ``findings``: the findings reported for this change; ``roots``: ``{path: migration
      root}`` (paths are shown relative to the roots' common directory; a path without a
      root counts its directory).
    * ``where``: ``{fingerprint: reason}`` for findings that are not an inline comment
      ("outside the diff", "the token is read-only"...), listed by reason with locations;
      ``not_inline``: sentences about the whole run's inline comments, said once;
      ``notes``: remarks about the run.
    * ``files``: number of changed migration files linted; ``scope``: what they are
      ("changed migration files", "migration files"); ``delivery``: what was posted where
      (the job summary shows it under the verdict).
    * ``run_url``: the workflow run (``GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/
      GITHUB_RUN_ID``), where the job summary is; ``blob_url``: prefix of file links at the
      head commit (``https://github.com/OWNER/REPO/blob/SHA/``); both optional.
    """

    findings: list[Finding]
    roots: dict[str, str] = field(default_factory=dict)
    files: int = 0
    scope: str = "changed migration files"
    fail_on: str = "error"
    failing: bool = False
    where: dict[str, str] = field(default_factory=dict)
    not_inline: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lock_markdown: str | None = None
    previous: bool = False
    delivery: list[str] = field(default_factory=list)
    footer: str = "miglint"
    elsewhere: str = "the job summary and the workflow annotations"
    run_url: str | None = None
    blob_url: str | None = None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def counts_phrase(counts: dict[str, int]) -> str:
    """``"2 errors and 1 warning"`` from ``{"error": 2, "warning": 1, "note": 0}``."""
    parts = [_plural(counts[s.value], s.value) for s in Severity if counts[s.value]]
    if not parts:
        return "no findings"
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def _counts(findings: list[Finding]) -> dict[str, int]:
    out = {s.value: 0 for s in Severity}
    for f in findings:
        out[f.severity.value] += 1
    return out


def _titles() -> dict[str, str]:
    from linter import registry

    return {rid: r.summary for rid, r in registry.all_rules().items()}


def same_content(old: str, new: str) -> bool:
    """Whether two summary documents say the same, ignoring only the footer line (version,
    commit) and line-ending differences: the bot leaves its comment alone then."""

    def body(text: str) -> list[str]:
        lines = [line.rstrip() for line in text.replace("\r\n", "\n").strip("\n").split("\n")]
        return lines[:-1] if lines and lines[-1].startswith(FOOTER_START) else lines

    return body(old) == body(new)


def _display_base(findings: list[Finding], roots: dict[str, str]) -> str:
    """The directory every shown path is relative to ('' for none): the findings' roots'
    common directory."""
    dirs = {(roots.get(f.path) or posixpath.dirname(f.path) or ".").strip("/") for f in findings}
    dirs.discard(".")
    if not dirs or any(d.startswith("..") for d in dirs):
        return ""
    try:
        base = posixpath.commonpath(sorted(dirs))
    except ValueError:
        return ""
    if not all(f.path.startswith(base + "/") for f in findings):
        return ""
    return base


def _detail(text: str) -> str:
    """A finding's message as a markdown link title inside a table cell: one line, at most
    :data:`DETAIL_CHARS`, HTML special characters as entities, ``\\``, ``"`` and ``|`` escaped."""
    s = " ".join(str(text).split())
    if len(s) > DETAIL_CHARS:
        s = s[: DETAIL_CHARS - 1].rstrip() + "…"
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("|", "\\|")


def _code_cell(text: str) -> str:
    """An inline code span for a table cell (``|`` escaped: GFM unescapes it before the span)."""
    from linter.formats._markdown import code

    return code(text).replace("|", "\\|")


class _View:
    """Per-document helpers: short paths, file links, rule links and titles.

    ``level`` is how compact the document is made to fit its budget: 0, rows link their
    location to the file at the head commit and carry the finding's message as the rule
    link's title; 1, no file links; 2, no per-row message either, and rule links are
    reference-style (each URL defined once at the end)."""

    def __init__(self, data: SummaryData, level: int = 0) -> None:
        self.data = data
        self.level = level
        self.base = _display_base(data.findings, data.roots)
        self.titles = _titles()
        self.refs: dict[str, str] = {}

    def short(self, path: str) -> str:
        return path[len(self.base) + 1 :] if self.base and path.startswith(self.base + "/") else path

    def url(self, path: str, line: int | None = None) -> str | None:
        if not self.data.blob_url or self.level >= 1:
            return None
        return self.data.blob_url + quote(path, safe="/") + (f"#L{line}" if line else "")

    def file_link(self, path: str, line: int | None = None) -> str:
        label = _code_cell(self.short(path) + (f":{line}" if line else ""))
        url = self.url(path, line)
        return f"[{label}]({url})" if url else label

    def doc_link(self, rule_id: str, url: str) -> str:
        if self.level >= 2:
            self.refs[rule_id] = url
            return f"[`{rule_id}`][{rule_id}]"
        return f"[`{rule_id}`]({url})"

    def rule_link(self, f: Finding) -> str:
        if self.level >= 2:
            return self.doc_link(f.rule_id, f.docs_url)
        return f'[`{f.rule_id}`]({f.docs_url} "{_detail(f.message)}")'

    def row(self, f: Finding) -> dict:
        title = self.titles.get(f.rule_id) or f.message
        return {"icon": ICONS[f.severity], "location": self.file_link(f.path, f.line), "rule": self.rule_link(f), "title": title}


def _by_rule(findings: list[Finding], view: _View) -> list[dict]:
    rules: dict[str, dict] = {}
    for f in findings:
        r = rules.setdefault(f.rule_id, {"rule": view.doc_link(f.rule_id, f.docs_url), "title": view.titles.get(f.rule_id) or f.message, "error": 0, "warning": 0, "note": 0, "id": f.rule_id})
        r[f.severity.value] += 1
    return sorted(rules.values(), key=lambda r: (-r["error"], -r["warning"], -r["note"], r["id"]))


def _by_file(findings: list[Finding], view: _View) -> list[dict]:
    files: dict[str, dict] = {}
    for f in findings:
        r = files.setdefault(f.path, {"file": view.file_link(f.path), "error": 0, "warning": 0, "note": 0, "path": f.path})
        r[f.severity.value] += 1
    return sorted(files.values(), key=lambda r: (-r["error"], -r["warning"], -r["note"], r["path"]))


def _reasons(data: SummaryData, view: _View) -> list[dict]:
    """What is not inline, by reason (most findings first), with the first locations."""
    by: dict[str, list[Finding]] = {}
    for f in most_severe_first(data.findings):
        reason = data.where.get(f.fingerprint)
        if reason:
            by.setdefault(reason, []).append(f)
    out = []
    for reason, fs in sorted(by.items(), key=lambda kv: -len(kv[1])):
        shown = fs[:MAX_REASON_LOCATIONS]
        out.append(
            {
                "reason": reason,
                "count": _plural(len(fs), "finding"),
                "locations": ", ".join(_code_cell(f"{view.short(f.path)}:{f.line}") for f in shown),
                "more": len(fs) - len(shown),
            }
        )
    return out


_COUNT_SENTENCE = re.compile(r"^\d+ findings?: (.*)$")
#: The run note of ``miglint verify`` (linter.verify.summary_notes): what was replayed.
_VERIFY_NOTE = re.compile(r"^verified on PostgreSQL (\S+): (.*)$")


def verified_section(findings: list[Finding], notes: list[str]) -> dict | None:
    """The "Verified on PostgreSQL N.M" section of the summary, or None when no finding comes
    from ``miglint verify`` (no ``verification`` property, no ``verify-*`` rule):
    ``{"version", "replayed" (the run's note, or None), "claims": [(status, count)],
    "rules": [(rule, count)], "lines": the bullet lines}``. The server version comes from the note, else from the
    findings' ``server``/``server_version`` properties."""
    claims: dict[str, int] = {}
    rules: dict[str, int] = {}
    version = ""
    for f in findings:
        v = f.properties.get("verification") if not f.redacted else None
        if isinstance(v, dict) and v.get("status"):
            claims[v["status"]] = claims.get(v["status"], 0) + 1
            version = version or str(v.get("server") or "")
        if f.family == "verify" or f.rule_id.startswith("verify-"):
            rules[f.rule_id] = rules.get(f.rule_id, 0) + 1
            version = version or str(f.properties.get("server_version") or "")
    if not claims and not rules:
        return None
    replayed = None
    for n in notes:
        m = _VERIFY_NOTE.match(n)
        if m:
            version, replayed = m.group(1), m.group(2)
            break
    order = ("confirmed", "refuted", "inconclusive")
    checked = [(k, claims[k]) for k in order if claims.get(k)] + [(k, n) for k, n in sorted(claims.items()) if k not in order]
    lines = []
    if checked:
        lines.append("lock claims checked on the server: " + ", ".join(f"{n} {k}" for k, n in checked))
    if rules:
        lines.append("what the server showed that the static model did not: " + ", ".join(f"{r} ({n})" for r, n in sorted(rules.items())))
    else:
        lines.append("no `verify-*` findings")
    return {
        "lines": lines,
        "version": version if re.fullmatch(r"[0-9A-Za-z.]+", version or "") else "?",  # printed as is
        "replayed": replayed,
        "claims": [(k, claims[k]) for k in order if claims.get(k)] + [(k, n) for k, n in sorted(claims.items()) if k not in order],
        "rules": sorted(rules.items()),
    }


def _render(data: SummaryData, view: _View, rows: list[Finding], lock_markdown: str | None, marker: str | None, extra_notes: list[str]) -> str:
    counts = _counts(data.findings)
    total = len(data.findings)
    if total:
        title = f"miglint: {counts_phrase(counts)}"
    elif data.files:
        title = "miglint: no problems"
    else:
        title = "miglint: no migration files changed" if data.scope.startswith("changed") else "miglint: no migration files"
    noun = data.scope if data.files != 1 else data.scope[:-1]
    files_phrase = f"the {data.files} {noun}" if data.files else "this change (it touches no migration files)"
    if data.fail_on == "never":
        verdict = "Does not fail on findings (`fail-on: never`)"
    elif data.failing:
        verdict = f"❌ **Fails**: findings at or above `{data.fail_on}` (`fail-on`)"
    else:
        verdict = f"✅ **Passes**: nothing at or above `{data.fail_on}` (`fail-on`)"
    scope_phrase = f"{data.files} {noun}" if data.files else "no migration files"
    rollup = total > ROLLUP
    groups = []
    for sev in Severity:
        members = [f for f in rows if f.severity is sev]
        n = counts[sev.value]
        if not n:
            continue
        groups.append(
            {
                "label": f"{ICONS[sev]} {_plural(n, sev.value)}",
                "open": sev is Severity.ERROR,
                "rows": [view.row(f) for f in sorted(members, key=Finding.sort_key)],
                "more": n - len(members),
            }
        )
    by_file = _by_file(data.findings, view) if rollup else []
    reasons = _reasons(data, view)
    said = {r["reason"] for r in reasons}
    # run-level sentences; "N findings: reason" lines are already listed by reason
    run_level = [s for s in data.not_inline if not ((m := _COUNT_SENTENCE.match(s)) and m.group(1) in said)]
    verified = verified_section(data.findings, data.notes)
    s = {
        "verdict": verdict,
        "files_phrase": files_phrase,
        "scope_phrase": scope_phrase,
        "run_url": data.run_url,
        "previous": data.previous,
        "base": view.base,
        "rollup": rollup,
        "by_rule": _by_rule(data.findings, view) if rollup else [],
        "by_file": by_file[:MAX_FILE_ROWS],
        "by_file_more": max(0, len(by_file) - MAX_FILE_ROWS),
        "by_file_open": len(by_file) <= OPEN_FILES,
        "groups": groups,
        "flat": [view.row(f) for f in rows] if not rollup else [],
        "omitted": total - len(rows),
        "elsewhere": data.elsewhere,
        "lock_markdown": lock_markdown,
        "reasons": reasons,
        "run_level": run_level,
        "notes": [n for n in data.notes if not (verified and _VERIFY_NOTE.match(n))] + extra_notes,
        "verified": verified,
        "delivery": data.delivery,
        "footer": data.footer,
        "refs": sorted(view.refs.items()),
        "detail_hint": view.level < 2,
    }
    return render_template("summary.md.j2", marker=marker, title=title, clean=total == 0, s=s)


def render_summary(data: SummaryData, *, limit: int = COMMENT_LIMIT, marker: str | None = MARKER, measure=len) -> str:
    """The summary document, made to fit ``limit`` (as counted by ``measure``: ``len`` for
    characters, or a byte counter): first more compact rows (no file links, then no
    per-row message and reference-style rule links), then the least severe rows dropped."""
    lock = data.lock_markdown.strip() if data.lock_markdown else None
    notes: list[str] = []
    if lock and measure(lock) > limit // 4:
        lock = None
        notes.append("The lock report is too large for this comment; run `miglint locks` on the changed files to see it.")
    ordered = most_severe_first(data.findings)
    for level in (0, 1, 2):
        if level == 1 and not data.blob_url:
            continue
        view = _View(data, level)
        text = _render(data, view, ordered, lock, marker, notes)
        if measure(text) <= limit:
            return text
    keep = len(ordered)
    while measure(text) > limit and keep > 0:
        keep = max(0, min(keep - 1, int(keep * limit / measure(text) * 0.9)))
        view = _View(data, 2)
        text = _render(data, view, ordered[:keep], lock, marker, notes)
    if measure(text) > limit:  # the frame alone is too large (enormous notes): hard cut
        cut = text[: max(0, limit - 200)]
        while measure(cut) > limit - 200:
            cut = cut[: len(cut) * 9 // 10]
        text = cut + "\n\n… (cut to fit GitHub's size limit)\n"
    return text


def render(report: Report, *, color: bool = False) -> str:
    """A summary of a plain run (no pull request): every finding."""
    data = SummaryData(
        findings=list(report.findings),
        roots={f.path: f.root for f in report.files},
        files=len(report.files),
        scope="migration files",
        notes=list(report.notes),
        footer=f"miglint {report.tool_version}",
    )
    return render_summary(data, marker=None, limit=JOB_SUMMARY_LIMIT, measure=lambda t: len(t.encode("utf-8")))
