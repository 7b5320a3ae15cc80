"""The fork-safe bundle (``save-bundle`` / ``bundle``): what an untrusted ``pull_request``
job found, written to a file, read back and posted by a trusted ``workflow_run`` job."""

from __future__ import annotations

import json
from pathlib import Path

from linter import __version__
from linter.formats.review import Suggestion
from linter.github import context as ctxmod, outputs
from linter.github.client import GitHubClient
from linter.github.log import Log
from linter.github.prepare import Prepared, docs_url as _docs_url
from linter.model import Finding, Severity

BUNDLE_KIND = "miglint-github-bundle"


def save_bundle(path: str, ctx: ctxmod.ActionContext, prep: Prepared) -> None:
    """Write what :func:`load_bundle` needs to post from another, trusted workflow."""
    from linter.formats.json import finding_dict

    pr = ctx.pull_request
    data = {
        "kind": BUNDLE_KIND,
        "version": 1,
        "tool_version": __version__,
        "repository": ctx.repository,
        "pull_request": None if pr is None else {"number": pr.number, "head_sha": pr.head_sha, "base_sha": pr.base_sha},
        "fail_on": prep.fail_on,
        "files": prep.files,
        "scope": prep.scope,
        "roots": prep.roots,
        "findings": [{**finding_dict(f), "suggestion": prep.suggestions[f.fingerprint].as_dict() if f.fingerprint in prep.suggestions else None} for f in prep.findings],
        "stale_paths": sorted(prep.stale_paths),
        "lock_markdown": prep.lock_markdown,
        "notes": prep.notes,
    }
    outputs.write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def load_bundle(path: str, ctx: ctxmod.ActionContext, client: GitHubClient, log: Log) -> Prepared:
    """Read a bundle written by ``--save-bundle`` in an untrusted ``pull_request`` run.

    Nothing in it is trusted more than a PR author's own comment would be: its fields are
    checked for type, its text is escaped by the templates like any finding, and it may only
    speak about the pull request whose head commit is the one the ``workflow_run`` event names
    (checked with ``GET /pulls/{n}``), in this repository."""
    from linter.model import Fix, Position, Span

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ctxmod.ContextError(f"{path}: cannot read the bundle ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != BUNDLE_KIND or data.get("version") != 1:
        raise ctxmod.ContextError(f"{path}: not a miglint bundle (written by `miglint github --save-bundle`)")
    if str(data.get("repository", "")).lower() != ctx.repository.lower():
        raise ctxmod.ContextError(f"{path}: the bundle is for {data.get('repository')!r}, not {ctx.repository}")
    pr = data.get("pull_request")
    if isinstance(pr, dict):
        try:
            number, head = int(pr["number"]), str(pr["head_sha"])
        except (KeyError, TypeError, ValueError):
            raise ctxmod.ContextError(f"{path}: the bundle's pull_request is malformed") from None
        expected = ((ctx.event.get("workflow_run") or {}).get("head_sha")) if ctx.event_name == "workflow_run" else None
        if ctx.event_name == "workflow_run" and expected != head:
            raise ctxmod.ContextError(f"{path}: the bundle names head {head[:7]}, but the workflow_run event is for {str(expected)[:7]}")
        live = client.get(f"{ctx.repo_path}/pulls/{number}") if client.has_token else None
        if not isinstance(live, dict) or (live.get("head") or {}).get("sha") != head:
            raise ctxmod.ContextError(f"{path}: pull request #{number} does not have head {head[:7]} (a newer push, or a forged bundle); nothing posted")
        ctx.pull_request = ctxmod.PullRequest(number, head, str(pr.get("base_sha") or ""), ((live.get("head") or {}).get("repo") or {}).get("full_name"))
    findings: list[Finding] = []
    suggestions: dict[str, Suggestion] = {}

    def _int(v) -> int:
        if not isinstance(v, int) or v < 1:
            raise ValueError
        return v

    try:
        for d in data.get("findings") or []:
            span = Span(Position(_int(d["line"]), _int(d["column"])), Position(_int(d["end_line"]), _int(d["end_column"])))
            fx = d.get("fix")
            fix = None
            if isinstance(fx, dict):
                fspan = Span(Position(_int(fx["line"]), _int(fx["column"])), Position(_int(fx["end_line"]), _int(fx["end_column"])))
                fix = Fix(fspan, 0, 0, str(fx.get("replacement", "")), str(fx.get("description", "")))
            f = Finding(
                rule_id=str(d["rule"]),
                family=str(d.get("family", "")),
                severity=Severity(d["severity"]),
                path=str(d["path"]),
                span=span,
                message=str(d["message"]),
                help=None if d.get("help") is None else str(d["help"]),
                docs_url=_docs_url(str(d["rule"])),
                fingerprint=str(d["fingerprint"])[:64],
                fix=fix,
                redacted=bool(d.get("redacted")),
                properties=d.get("properties") if isinstance(d.get("properties"), dict) and not d.get("redacted") else {},
            )
            findings.append(f)
            s = d.get("suggestion")
            if isinstance(s, dict) and not f.redacted:
                suggestions[f.fingerprint] = Suggestion(_int(s["first_line"]), _int(s["last_line"]), str(s["text"]))
    except (KeyError, TypeError, ValueError):
        raise ctxmod.ContextError(f"{path}: the bundle's findings are malformed") from None
    fail_on = data.get("fail_on") if data.get("fail_on") in ("error", "warning", "note", "never") else "error"
    roots = {str(k): str(v) for k, v in (data.get("roots") or {}).items()} if isinstance(data.get("roots"), dict) else {}
    return Prepared(
        findings=sorted(findings, key=Finding.sort_key),
        fail_on=fail_on,
        roots=roots,
        files=int(data.get("files") or 0) if isinstance(data.get("files"), int) else 0,
        scope=str(data.get("scope") or "changed migration files")[:60],
        suggestions=suggestions,
        stale_paths={str(p) for p in data.get("stale_paths") or []},
        lock_markdown=str(data["lock_markdown"]) if isinstance(data.get("lock_markdown"), str) else None,
        notes=[str(n) for n in data.get("notes") or []][:50],
    )
