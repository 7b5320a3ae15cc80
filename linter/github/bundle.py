"""The fork-safe bundle (``save-bundle`` / ``bundle``): what an untrusted ``pull_request``
job found, written to a file, read back and posted by a trusted ``workflow_run`` job.

The bundle is data, never markup: :func:`save_bundle` writes findings, suggestions and the
lock report as plain fields (layout :data:`linter.github.bundle_schema.VERSION`), and
:func:`load_bundle` accepts them only after :mod:`linter.github.bundle_schema` has
validated every field (closed objects, types, enumerations, lengths, counts, a size cap).
The trusted job then renders every comment itself with the same templates as a local run:
rule families and documentation links come from its own registry, the lock report is
rebuilt from its validated rows and rendered by :mod:`linter.formats.locks_markdown`, and
all text goes through the neutraliser of :mod:`linter.formats._markdown`.
"""

from __future__ import annotations

from linter import __version__
from linter.formats.json import fix_dict
from linter.formats.review import Suggestion
from linter.github import bundle_schema, context as ctxmod, outputs
from linter.github.client import GitHubClient
from linter.github.log import Log
from linter.github.prepare import Prepared
from linter.model import Finding, Fix, Position, Severity, Span

BUNDLE_KIND = bundle_schema.KIND


def _properties(props: dict) -> dict:
    """The properties that fit the schema (a property that does not is left out of the
    bundle rather than making the trusted job refuse it)."""
    out = {}
    for key, value in props.items():
        try:
            bundle_schema._str(key, "key", 64, pattern=bundle_schema._KEY)
            out[key] = bundle_schema._property(value, key)
        except bundle_schema.BundleError:
            continue
        if len(out) == bundle_schema.MAX_PROPERTIES:
            break
    return out


def bundle_data(ctx: ctxmod.ActionContext, prep: Prepared) -> dict:
    """The bundle of ``prep`` as a JSON-ready dict (the layout ``bundle_schema`` validates)."""
    from linter.formats._common import visible_fix, visible_properties

    from linter.formats._common import most_severe_first

    pr = ctx.pull_request
    findings = []
    notes = list(prep.notes)
    kept = prep.findings
    if len(kept) > bundle_schema.MAX_FINDINGS:
        kept = sorted(most_severe_first(kept)[: bundle_schema.MAX_FINDINGS], key=Finding.sort_key)
        notes.append(
            f"{len(prep.findings) - len(kept)} less severe findings were left out of the bundle "
            f"(at most {bundle_schema.MAX_FINDINGS}); the lint job's summary and annotations have them all."
        )
    kept_fps = {f.fingerprint for f in kept}
    for f in kept:
        fix = visible_fix(f)
        sugg = prep.suggestions.get(f.fingerprint)
        findings.append(
            {
                "rule": f.rule_id,
                "severity": str(f.severity),
                "path": f.path,
                "line": f.span.start.line,
                "column": f.span.start.column,
                "end_line": f.span.end.line,
                "end_column": f.span.end.column,
                "message": f.message,
                "help": f.help,
                "fingerprint": f.fingerprint,
                "redacted": f.redacted,
                "properties": _properties(visible_properties(f)),
                "fix": fix_dict(fix),
                "suggestion": None if sugg is None or f.redacted else sugg.as_dict(),
            }
        )
    return {
        "kind": BUNDLE_KIND,
        "version": bundle_schema.VERSION,
        "tool_version": __version__,
        "repository": ctx.repository,
        "pull_request": None if pr is None else {"number": pr.number, "head_sha": pr.head_sha, "base_sha": pr.base_sha or ""},
        "fail_on": prep.fail_on,
        "files": prep.files,
        "scope": prep.scope,
        "roots": prep.roots,
        "findings": findings,
        "stale_paths": sorted(prep.stale_paths),
        "locks": None if prep.locks is None else bundle_schema.locks_data(prep.locks),
        "notes": notes[-bundle_schema.MAX_NOTES :],
        "statements": {fp: list(lines) for fp, lines in prep.statements.items() if fp in kept_fps},
        "down": sorted(fp for fp in prep.down if fp in kept_fps),
    }


def save_bundle(path: str, ctx: ctxmod.ActionContext, prep: Prepared) -> None:
    """Write what :func:`load_bundle` needs to post from another, trusted workflow; the
    bundle is validated as the trusted job will validate it before it is written (raises
    :class:`~linter.github.context.ContextError` when it would be refused)."""
    data = bundle_data(ctx, prep)
    text = bundle_schema.dumps(data)
    if len(text.encode("utf-8")) > bundle_schema.MAX_BYTES and data["locks"] is not None:
        data["locks"] = None  # the summary would leave so large a lock report out anyway
        data["notes"] = (data["notes"] + ["The lock report was left out of the bundle (too large); run `miglint locks` on the changed files to see it."])[-bundle_schema.MAX_NOTES :]
        text = bundle_schema.dumps(data)
    try:
        if len(text.encode("utf-8")) > bundle_schema.MAX_BYTES:
            raise bundle_schema.BundleError(f"larger than {bundle_schema.MAX_BYTES // (1024 * 1024)} MiB")
        bundle_schema.validate(data)
    except bundle_schema.BundleError as exc:
        raise ctxmod.ContextError(f"{path}: the bundle would be refused by the workflow_run job ({exc})") from None
    outputs.write_text(path, text)


def load_bundle(path: str, ctx: ctxmod.ActionContext, client: GitHubClient, log: Log) -> Prepared:
    """Read a bundle written by ``--save-bundle`` in an untrusted ``pull_request`` run.

    Validated field by field first (:mod:`linter.github.bundle_schema`; a bundle that fails
    is refused whole, with the field and the reason, and nothing is posted). It may only speak
    about this repository and the pull request whose head commit is the one the
    ``workflow_run`` event names and the pull request has now (``GET /pulls/{n}``). Raises
    :class:`~linter.github.context.ContextError`."""
    try:
        b = bundle_schema.read(path)
    except bundle_schema.BundleError as exc:
        raise ctxmod.ContextError(f"the bundle is refused, nothing posted: {exc}") from None
    if b.repository.lower() != ctx.repository.lower():
        raise ctxmod.ContextError(f"{path}: the bundle is for {b.repository}, not {ctx.repository}")
    pr = b.pull_request
    if pr is not None:
        number, head = pr["number"], pr["head_sha"]
        expected = ((ctx.event.get("workflow_run") or {}).get("head_sha")) if ctx.event_name == "workflow_run" else None
        if ctx.event_name == "workflow_run" and expected != head:
            raise ctxmod.ContextError(f"{path}: the bundle names head {head[:7]}, but the workflow_run event is for {str(expected)[:7]}")
        live = client.get(f"{ctx.repo_path}/pulls/{number}") if client.has_token else None
        if not isinstance(live, dict) or (live.get("head") or {}).get("sha") != head:
            raise ctxmod.ContextError(f"{path}: pull request #{number} does not have head {head[:7]} (a newer push, or a forged bundle); nothing posted")
        ctx.pull_request = ctxmod.PullRequest(number, head, pr["base_sha"], ((live.get("head") or {}).get("repo") or {}).get("full_name"))

    from linter import registry

    rules = registry.all_rules()
    findings: list[Finding] = []
    suggestions: dict[str, Suggestion] = {}
    for d in b.findings:
        rule = rules[d.rule]
        fix = None
        if d.fix is not None:
            fx = d.fix
            fix = Fix(Span(Position(fx["line"], fx["column"]), Position(fx["end_line"], fx["end_column"])), 0, 0, fx["replacement"], fx["description"])
        f = Finding(
            rule_id=d.rule,
            family=getattr(rule, "family", ""),
            severity=Severity(d.severity),
            path=d.path,
            span=Span(Position(d.line, d.column), Position(d.end_line, d.end_column)),
            message=d.message,
            help=d.help,
            docs_url=rule.docs_url,
            fingerprint=d.fingerprint,
            fix=fix,
            redacted=d.redacted,
            properties=d.properties,
        )
        findings.append(f)
        if d.suggestion is not None:
            s = d.suggestion
            suggestions[f.fingerprint] = Suggestion(s["first_line"], s["last_line"], s["text"])
    lock_md = None
    if b.locks is not None:
        from linter.formats import locks_markdown

        lock_md = locks_markdown.render(b.locks)
    return Prepared(
        findings=sorted(findings, key=Finding.sort_key),
        fail_on=b.fail_on,
        roots=b.roots,
        files=b.files,
        scope=b.scope,
        suggestions=suggestions,
        stale_paths=set(b.stale_paths),
        lock_markdown=lock_md,
        locks=b.locks,
        notes=b.notes,
        statements=b.statements,
        down=b.down,
    )
