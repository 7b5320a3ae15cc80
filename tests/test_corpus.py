"""Every project of ../shared/corpus lints without a traceback, and syntax-error fires
exactly on the files that are really not valid PostgreSQL (tests/corpus_syntax_errors.yaml)."""

from __future__ import annotations

from pathlib import Path

import yaml

from linter import config as configmod, engine
from linter.discovery import discover

KNOWN = yaml.safe_load((Path(__file__).parent / "corpus_syntax_errors.yaml").read_text(encoding="utf-8"))


def test_whole_corpus(shared_dir):
    corpus = shared_dir / "corpus"
    cfg = configmod.load_preset("default")
    found = discover([str(corpus)], base_dir=str(corpus))
    assert len(found.files) > 5000
    report = engine.lint(found.files, cfg)
    internal = [f for f in report.findings if f.rule_id == "internal-error"]
    assert not internal, internal[:3]
    syntax = {f.path: f.message for f in report.findings if f.rule_id == "syntax-error"}
    assert set(syntax) == set(KNOWN), {"unexpected": sorted(set(syntax) - set(KNOWN)), "missing": sorted(set(KNOWN) - set(syntax))}
    # every finding is located inside its file
    for f in report.findings:
        assert f.span.start.line >= 1 and f.span.start.column >= 1
        assert (f.span.end.line, f.span.end.column) >= (f.span.start.line, f.span.start.column)
