"""``miglint server``: the language server driven over stdio by a real LSP client
(pytest-lsp, on pygls's client), as an editor drives it; and its pure parts
(positions, fix planning, carrying findings over a syntax error).

The migrations are real files of the corpus (navikt/familie-ba-sak, Flyway, MIT licence):
``V299__indeks_task_type.sql`` and ``V262__verge_slett_tabell.sql``, copied unchanged
below; the lines before the statement are added to put non-ASCII and astral characters
(two UTF-16 code units each) before the finding, on its line and the line above.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from linter import fixes
from linter.lsp.positions import UTF8, UTF16, UTF32, Lines, units
from linter.lsp.project import Project, carry
from linter.model import Position

#: navikt/familie-ba-sak V299__indeks_task_type.sql (corpus copy)
INDEX_SQL = "CREATE INDEX idx_task_type ON task(type);\n"
#: navikt/familie-ba-sak V262__verge_slett_tabell.sql (corpus copy)
DROP_SQL = "DROP TABLE IF EXISTS verge;\n"
#: the same index file, with a comment line and an inline comment holding astral (𝄞, 🚀)
#: and non-ASCII (å, é) characters before the statement
PREFIX = "/* 𝄞 é */ "
INDEX_UNICODE = "-- indeks på oppgavetype 🚀\n" + PREFIX + INDEX_SQL


def _workspace(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def _accept_registrations(client: LanguageClient) -> None:
    """Answer ``client/registerCapability`` as an editor does, keeping what was registered."""
    client.registrations = []

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams):
        client.registrations.extend(params.registrations)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "linter", "server", "--stdio"]))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    _accept_registrations(lsp_client)
    ws = _workspace(tmp_path / "ws", {
        "db/migration/V299__indeks_task_type.sql": INDEX_UNICODE,
        "db/migration/V262__verge_slett_tabell.sql": DROP_SQL,
    })
    lsp_client.ws = ws
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=ws.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=ws.as_uri(), name="ws")],
        initialization_options={"debounce": 0.05},
    ))
    yield
    await lsp_client.shutdown_session()
    assert lsp_client._server.returncode == 0  # shutdown, then exit: a clean stop


async def _open(client: LanguageClient, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="sql", version=1, text=text)))
    await _diagnostics(client, uri)
    return uri


async def _diagnostics(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    """Wait for the next diagnostics of ``uri``."""
    while True:
        params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri:
            return list(params.diagnostics)


async def _change(client: LanguageClient, uri: str, version: int, text: str) -> list[lsp.Diagnostic]:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
    return await _diagnostics(client, uri)


def _by_rule(diags: list[lsp.Diagnostic], rule: str) -> list[lsp.Diagnostic]:
    return [d for d in diags if d.code == rule]


def _apply(text: str, text_edits: list[lsp.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions) to ``text``, as an editor does."""
    lines = Lines(text, UTF16)
    spans = [(lines.to_offset(e.range.start.line, e.range.start.character),
              lines.to_offset(e.range.end.line, e.range.end.character), e.new_text) for e in text_edits]
    for a, b, new in sorted(spans, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def _edits_of(action: lsp.CodeAction, uri: str) -> list[lsp.TextEdit]:
    if action.edit.document_changes:
        return [e for dc in action.edit.document_changes if dc.text_document.uri == uri for e in dc.edits]
    return list(action.edit.changes[uri])


@pytest.mark.asyncio
async def test_diagnostics_code_action_hover_and_syntax_error(client: LanguageClient):
    path = client.ws / "db/migration/V299__indeks_task_type.sql"
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="sql", version=1, text=INDEX_UNICODE)))
    diags = await _diagnostics(client, uri)

    # the finding starts after "/* 𝄞 é */ ": 10 characters, 11 UTF-16 code units (𝄞 is two)
    [index] = _by_rule(diags, "non-concurrent-create-index")
    assert index.range == lsp.Range(lsp.Position(1, 11), lsp.Position(1, 11 + len(INDEX_SQL) - 2))
    assert index.severity == lsp.DiagnosticSeverity.Error
    assert index.source == "miglint"
    assert index.code_description.href.endswith("#non-concurrent-create-index")

    # hover on the statement: the finding with its rule's doc, and the statement's locks
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(1, 20)))
    text = hover.contents.value
    assert "non-concurrent-create-index" in text and "## Why is this bad?" in text
    assert "**Locks** · `CREATE INDEX`" in text and "SHARE" in text and "blocks writes" in text

    # a change that does not parse: the syntax error at its place, the index finding kept
    broken = INDEX_UNICODE + "SELEC 1;\n"
    diags = await _change(client, uri, 2, broken)
    [syntax] = _by_rule(diags, "syntax-error")
    assert syntax.range.start == lsp.Position(2, 0)
    assert _by_rule(diags, "non-concurrent-create-index")[0].range == index.range
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=index.range,
        context=lsp.CodeActionContext(diagnostics=[index])))
    assert not actions  # no fix is offered on a file that does not parse

    # back to the file that parses; the quick fix makes the index finding go away
    diags = await _change(client, uri, 3, INDEX_UNICODE)
    [index] = _by_rule(diags, "non-concurrent-create-index")
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=index.range,
        context=lsp.CodeActionContext(diagnostics=[index])))
    quick = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix and "non-concurrent-create-index" in a.title]
    assert len(quick) == 1 and quick[0].diagnostics[0].code == "non-concurrent-create-index"
    fixed = _apply(INDEX_UNICODE, _edits_of(quick[0], uri))
    assert "CREATE INDEX CONCURRENTLY idx_task_type" in fixed and fixed.startswith("-- indeks på oppgavetype 🚀\n")
    after = await _change(client, uri, 4, fixed)
    assert not _by_rule(after, "non-concurrent-create-index")
    assert not [d for d in after if d.severity in (lsp.DiagnosticSeverity.Error, lsp.DiagnosticSeverity.Warning)
                and d.code not in {x.code for x in diags}]  # nothing new at warning or above

    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(fixed.count("\n") - 1, 20)))
    assert "SHARE UPDATE EXCLUSIVE" in hover.contents.value

    # closing the file clears its diagnostics
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert await _diagnostics(client, uri) == []


@pytest.mark.asyncio
async def test_fix_all_and_migration_set_from_the_workspace(client: LanguageClient):
    # a second V299 on disk: the drop file's duplicate version comes from the workspace
    dup = client.ws / "db/migration/V262__verge_slett_tabell.sql"
    twin = client.ws / "db/migration/V299__verge_slett_tabell.sql"
    dup.rename(twin)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[
        lsp.FileEvent(uri=dup.as_uri(), type=lsp.FileChangeType.Deleted),
        lsp.FileEvent(uri=twin.as_uri(), type=lsp.FileChangeType.Created)]))
    uri = twin.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="sql", version=1, text=DROP_SQL)))
    diags = await _diagnostics(client, uri)
    assert any(r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in client.registrations)  # the watcher
    assert _by_rule(diags, "duplicate-migration-version")
    assert _by_rule(diags, "missing-lock-timeout")

    # fix all: one action for the file, applying every fix
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
        context=lsp.CodeActionContext(diagnostics=[], only=["source.fixAll.miglint"])))
    assert [a.kind for a in actions] == ["source.fixAll.miglint"]
    fixed = _apply(DROP_SQL, _edits_of(actions[0], uri))
    assert "lock_timeout" in fixed
    after = await _change(client, uri, 2, fixed)
    assert not _by_rule(after, "missing-lock-timeout")
    twin.write_text(fixed, encoding="utf-8")  # saved: linted again at once
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert [d.code for d in await _diagnostics(client, uri)] == [d.code for d in after]

    # the other V299 leaves the workspace: the duplicate goes with it
    other = client.ws / "db/migration/V299__indeks_task_type.sql"
    other.unlink()
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[
        lsp.FileEvent(uri=other.as_uri(), type=lsp.FileChangeType.Deleted)]))
    diags = await _diagnostics(client, uri)
    assert not _by_rule(diags, "duplicate-migration-version")
    [drop] = _by_rule(diags, "drop-table")
    assert drop.severity == lsp.DiagnosticSeverity.Warning

    # the workspace's .miglint.yml is the configuration, and watched
    config = client.ws / ".miglint.yml"
    config.write_text("rules:\n  drop-table: {level: note}\n", encoding="utf-8")
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[
        lsp.FileEvent(uri=config.as_uri(), type=lsp.FileChangeType.Created)]))
    diags = await _diagnostics(client, uri)
    assert [d.severity for d in _by_rule(diags, "drop-table")] == [lsp.DiagnosticSeverity.Information]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "linter", "server"]))
async def utf8_client(lsp_client: LanguageClient, tmp_path: Path):
    _accept_registrations(lsp_client)
    ws = _workspace(tmp_path / "ws", {"db/migration/V299__indeks_task_type.sql": INDEX_UNICODE})
    lsp_client.ws = ws
    caps = client_capabilities("visual-studio-code")
    caps.general = lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf8])
    result = await lsp_client.initialize_session(lsp.InitializeParams(capabilities=caps, root_uri=ws.as_uri()))
    assert result.capabilities.position_encoding == lsp.PositionEncodingKind.Utf8
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_positions_follow_the_negotiated_encoding(utf8_client: LanguageClient):
    # a client that offers UTF-8 gets byte columns: "/* 𝄞 é */ " is 14 bytes
    uri = (utf8_client.ws / "db/migration/V299__indeks_task_type.sql").as_uri()
    utf8_client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="sql", version=1, text=INDEX_UNICODE)))
    [index] = _by_rule(await _diagnostics(utf8_client, uri), "non-concurrent-create-index")
    assert index.range.start == lsp.Position(1, len(PREFIX.encode("utf-8")))


# --------------------------------------------------------------------------- pure parts


def test_positions_count_utf16_code_units():
    text = "-- 🚀\n/* 𝄞 é */ x\r\nlast"
    lines = Lines(text, UTF16)
    assert lines.to_lsp(Position(2, 11)) == (1, 11)  # "/* 𝄞 é */ " is 10 characters, 11 units
    assert lines.to_offset(1, 11) == text.index("x")
    assert lines.to_position(1, 11) == Position(2, 11)
    assert lines.to_lsp(Position(2, 99)) == (1, 12)  # clamped before the \r
    assert Lines(text, UTF8).to_lsp(Position(2, 11)) == (1, len(PREFIX.encode()))
    assert Lines(text, UTF32).to_lsp(Position(2, 11)) == (1, 10)
    assert Lines(text, UTF16, bom=True).to_lsp(Position(1, 1)) == (0, 1)
    assert units("𝄞é", UTF16) == 3 and units("𝄞é", UTF8) == 6 and units("𝄞é", UTF32) == 2


def test_fix_plan_refuses_overlaps_and_applies_duplicates_once(tmp_path: Path):
    ws = _workspace(tmp_path, {"db/migration/V262__verge_slett_tabell.sql": DROP_SQL + DROP_SQL.replace("verge", "verge2")})
    proj = Project(str(ws))
    proj.load(jobs=1)
    found = proj.findings(str(ws / "db/migration/V262__verge_slett_tabell.sql"))
    fixable = [f for f in found if f.fix is not None]
    assert fixable
    text = (ws / "db/migration/V262__verge_slett_tabell.sql").read_text()
    made = fixes.plan_fixes(fixable + fixable, text)  # the same edits twice: made once
    assert len(made.edits) == len(fixable) and made.skipped == []
    first = fixable[0]
    from dataclasses import replace

    clash = replace(first, rule_id="x", fix=replace(first.fix, replacement="-- other\n"))
    made = fixes.plan_fixes([first, clash], text)
    assert len(made.edits) == 1 and len(made.skipped) == 1 and "overlaps" in made.skipped[0][1]
    assert "lock_timeout" in fixes.apply_edits(text, [fixable[0].fix])


def test_carry_moves_findings_after_the_edit_and_drops_those_in_it(tmp_path: Path):
    ws = _workspace(tmp_path, {"db/migration/V299__indeks_task_type.sql": INDEX_SQL + DROP_SQL})
    proj = Project(str(ws))
    proj.load(jobs=1)
    path = str(ws / "db/migration/V299__indeks_task_type.sql")
    old = proj._read(proj.file(path)).text
    found = proj.findings(path)
    drop = [f for f in found if f.span.start.line == 2]
    index = [f for f in found if f.span.start.line == 1]
    assert drop and index
    new = "-- 🚀 one more line\n" + old
    moved = carry(old, new, found)
    assert {f.span.start.line for f in moved} == {2, 3} and all(f.fix is None for f in moved)
    edited = old.replace("task(type)", "task(typ")  # inside the index statement
    kept = carry(old, edited, found)
    assert [f.rule_id for f in kept if f.span.start.line == 2] == [f.rule_id for f in drop]
    assert not any(f.rule_id == "non-concurrent-create-index" for f in kept)


def test_help_lists_the_server():
    from linter.cli import build_parser

    text = build_parser().format_help()
    assert "server" in text and "language server" in text
