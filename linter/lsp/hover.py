"""Hover text (markdown) for the language server.

At a position, :func:`hover` gives, in this order:

* each finding whose range holds the position: severity, rule id, message, help, the fix
  it offers, then the rule's documentation (its docstring, :attr:`linter.registry.Rule.doc`,
  as ``miglint explain`` prints it) once per rule;
* the lock report of the innermost statement there (:mod:`linter.lockreport`, as
  ``miglint locks`` gives it): each relation it locks with the lock mode PostgreSQL
  requests, rewrite or scan, what waits, whether it runs in a transaction and why, and
  the verdict.

Text taken from the migration or a finding goes through :mod:`linter.formats._markdown`
(code spans, escaped prose), as in pull-request comments. Redacted findings (secrets) show
no fix.
"""

from __future__ import annotations

from linter import registry
from linter.formats._markdown import code, md
from linter.lockreport import StatementLocks, grouped, lock_parts
from linter.model import Finding, Position


def at(findings: list[Finding], pos: Position) -> list[Finding]:
    """The findings whose span holds ``pos`` (start <= pos <= end: the cursor just after
    the last character still counts), most severe first."""
    hit = [f for f in findings if f.span.start <= pos <= f.span.end]
    return sorted(hit, key=lambda f: (-f.severity.rank, f.rule_id))


def statement_at(statements: tuple[StatementLocks, ...], pos: Position) -> StatementLocks | None:
    """The innermost statement of a lock report whose span holds ``pos`` (a statement in a
    ``DO`` block or function body before the block), or ``None``."""
    best = None
    for s in statements:
        if Position(s.line, s.column) <= pos <= Position(s.end_line, s.end_column):
            if best is None or (s.line, s.column) >= (best.line, best.column):
                best = s
    return best


def finding_text(f: Finding) -> str:
    """One finding as markdown: a heading line, the message, the help and the fix."""
    out = [f"**{f.severity.value}** · [`{f.rule_id}`]({f.docs_url})", "", md(f.message)]
    if f.help:
        out += ["", md(f.help)]
    if f.fix is not None and not f.redacted:
        out += ["", f"Fix: {md(f.fix.description)} (code action)"]
    return "\n".join(out)


def rule_doc(rule_id: str) -> str:
    """The rule's documentation as markdown (its docstring; the summary as a heading)."""
    rule = registry.all_rules().get(rule_id)
    if rule is None:
        return ""
    summary, _, rest = rule.doc.partition("\n")
    return f"#### `{rule.id}`: {summary}\n{rest.strip()}\n\n[{rule.docs_url}]({rule.docs_url})"


def locks_text(s: StatementLocks, wrapped: bool | None) -> str:
    """One statement of the lock report as markdown."""
    where = f" (in {md(s.nested)})" if s.nested else ""
    out = [f"**Locks** · {code(s.kind)}{where} · **{md(s.verdict)}**", ""]
    for lk, whats in grouped(s):
        parts = lock_parts(lk)
        what = f" ({md('; '.join(whats))})" if len(whats) > 1 or whats[0] != s.kind else ""
        out.append(f"- {code(lk.relation)}: {md(', '.join(parts))}{what}")
    if not s.locks:
        out.append("- no table lock")
    if s.in_transaction is None:
        out += ["", md(s.transaction)]
    else:
        state = "in a transaction" if s.in_transaction else "outside a transaction"
        out += ["", f"Runs {state}: {md(s.transaction)}"]
    for n in s.notes:
        out += ["", f"⚠ {md(n)}"]
    return "\n".join(out)


def hover(findings: list[Finding], pos: Position, statements: tuple[StatementLocks, ...] = (),
          wrapped: bool | None = None) -> str | None:
    """The hover markdown at ``pos`` (1-based, characters): the findings there with their
    rules' docs, then the lock report of the statement there (``statements``/``wrapped``
    from :func:`linter.lockreport.analyse_file`); ``None`` when there is nothing to say."""
    parts: list[str] = []
    hit = at(findings, pos)
    parts += [finding_text(f) for f in hit]
    stmt = statement_at(statements, pos)
    if stmt is not None:
        parts.append(locks_text(stmt, wrapped))
    seen: list[str] = []
    for f in hit:
        if f.rule_id not in seen:
            seen.append(f.rule_id)
            doc = rule_doc(f.rule_id)
            if doc:
                parts.append(doc)
    return "\n\n---\n\n".join(parts) if parts else None
