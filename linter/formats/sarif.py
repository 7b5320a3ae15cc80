"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.

Spec sources:

* SARIF 2.1.0 (OASIS), https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html,
  schema https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json
  (a copy is in ``shared/schemas/``; the tests validate against it).
* GitHub's subset, "SARIF support for code scanning",
  https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
* Rule entries modelled on ruff's ``crates/ruff_linter/src/message/sarif.rs``.

Layout and choices:

* One run. ``tool.driver``: ``name`` miglint, ``version``, ``informationUri`` (the project
  homepage) and ``rules``: one ``reportingDescriptor`` per rule enabled in this run, in the
  order of ``report.rules``, with text from the registry (never from a finding):
  ``id``; ``name`` (PascalCase of the id, SARIF 3.49.7); ``shortDescription`` (the
  docstring summary); ``fullDescription`` (the "Why is this bad?" section, else the
  summary); ``help`` (``text`` and ``markdown`` are the whole rule doc, which is markdown);
  ``helpUri``; ``defaultConfiguration.level`` (omitted for opt-in rules whose default is
  ``disable``: SARIF levels have no "off"); ``properties``: ``family``, ``aliases`` and
  ``tags`` (``[family]``). A rule a finding names but ``report.rules`` lacks gets a minimal
  descriptor (id, name, helpUri, family) so every ``ruleIndex`` resolves.
* Secrets-family rules also get the tag ``security`` and ``security-severity`` ``"8.0"``
  (GitHub shows them as *High* security alerts; GitHub's default PR check fails on high).
* ``run.columnKind`` is ``unicodeCodePoints``: miglint's columns count characters.
* Results: ``ruleId``, ``ruleIndex``, ``level`` (the configured severity: ``error``,
  ``warning`` or ``note``), ``message.text`` (the message, then the help on a new line;
  GitHub titles the alert with the first line), one location with ``artifactLocation``
  (``uri`` = the repo-relative path, percent-encoded as a relative URI reference;
  ``uriBaseId`` = ``%SRCROOT%``) and ``region``
  (``startLine``/``startColumn``/``endLine``/``endColumn``, 1-based, end exclusive as in
  SARIF 3.30.5), ``partialFingerprints`` ``{"miglint/v1": fingerprint}`` (line-independent,
  so GitHub keeps one alert as lines move), ``fixes`` (one ``replacement`` with
  ``deletedRegion`` and ``insertedContent``) and rule-specific ``properties``.
* ``originalUriBaseIds`` is not written: the only root we know is an absolute path on the
  machine that ran miglint (a container path inside the Action), which would be wrong for
  the viewer. Like CodeQL, we leave ``%SRCROOT%`` for the consumer to resolve; GitHub
  resolves relative URIs against the repository checkout.
* Redacted findings (secrets) carry only message, help and region: no ``fixes``, no
  ``properties``, no ``snippet`` (no result has a snippet).
* ``report.notes`` become ``invocations[0].toolExecutionNotifications`` (level ``note``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from linter import HOMEPAGE
from linter.formats._common import message_and_help, pascal_case, visible_fix, visible_properties
from linter.model import Finding, Report, Span

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "miglint/v1"
SRCROOT = "%SRCROOT%"
#: GitHub security-severity for secrets rules (7.0-8.9 is "High").
SECRETS_SECURITY_SEVERITY = "8.0"


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
    }


def artifact_uri(path: str) -> str:
    """A repo-relative POSIX path as a relative URI reference (RFC 3986), percent-encoded.

    Spaces, ``%``, ``#``, ``?``, ``:`` and non-ASCII characters are escaped (UTF-8), so
    ``V1__add 100%.sql`` becomes ``V1__add%20100%25.sql`` and a colon can never be read as a
    URI scheme.
    """
    return quote(path, safe="/")


def _artifact(path: str) -> dict[str, str]:
    return {"uri": artifact_uri(path), "uriBaseId": SRCROOT}


def rule_descriptor(rule: Any) -> dict[str, Any]:
    """A ``reportingDescriptor`` for one registry :class:`~linter.registry.Rule`."""
    why = rule.section("Why is this bad?")
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": pascal_case(rule.id),
        "shortDescription": {"text": rule.summary or rule.id},
        "fullDescription": {"text": why or rule.summary or rule.id},
        "help": {"text": rule.doc or rule.summary or rule.id, "markdown": rule.doc or rule.summary or rule.id},
        "helpUri": rule.docs_url,
    }
    if rule.default_level != "disable":
        descriptor["defaultConfiguration"] = {"level": rule.default_level}
    properties: dict[str, Any] = {"family": rule.family, "aliases": list(rule.aliases), "tags": [rule.family]}
    if rule.family == "secrets":
        properties["tags"].append("security")
        properties["security-severity"] = SECRETS_SECURITY_SEVERITY
    descriptor["properties"] = properties
    return descriptor


def _minimal_descriptor(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.rule_id,
        "name": pascal_case(finding.rule_id),
        "helpUri": finding.docs_url,
        "properties": {"family": finding.family, "tags": [finding.family]},
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": str(finding.severity),
        "message": {"text": message_and_help(finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(finding.path),
                    "region": _region(finding.span),
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    fix = visible_fix(finding)
    if fix is not None:
        result["fixes"] = [
            {
                "description": {"text": fix.description},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact(finding.path),
                        "replacements": [
                            {
                                "deletedRegion": _region(fix.span),
                                "insertedContent": {"text": fix.replacement},
                            }
                        ],
                    }
                ],
            }
        ]
    properties = visible_properties(finding)
    if properties:
        result["properties"] = properties
    return result


def sarif_log(report: Report) -> dict[str, Any]:
    """The report as a SARIF log object (a ``dict`` ready for :func:`json.dumps`)."""
    rules = [rule_descriptor(rule) for rule in report.rules]
    index = {descriptor["id"]: i for i, descriptor in enumerate(rules)}
    for finding in report.findings:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append(_minimal_descriptor(finding))

    driver: dict[str, Any] = {"name": "miglint", "informationUri": HOMEPAGE, "rules": rules}
    if report.tool_version:
        driver["version"] = report.tool_version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule_id]) for f in report.findings],
    }
    if report.notes:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [{"level": "note", "message": {"text": note}} for note in report.notes],
            }
        ]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, *, color: bool = False) -> str:
    """The report as a SARIF 2.1.0 JSON document (``color`` is ignored)."""
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
