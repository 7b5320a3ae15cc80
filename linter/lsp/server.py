"""``miglint server``: the language server, on pygls (https://github.com/openlawlibrary/pygls).

Speaks LSP 3.17 over standard input/output. What it offers:

* **Diagnostics** (``textDocument/publishDiagnostics``) for each open migration file, on
  open and save at once and on change after a pause of :data:`DEBOUNCE` seconds (the
  ``debounce`` initialization option, in seconds, sets another). They are what
  ``miglint lint`` would report with the buffers saved, file-set rules included (naming,
  versions, rollback pairs; :mod:`linter.lsp.project`); each carries the rule id as
  ``code`` with a link to its docs, and the severity from the configuration (error,
  warning, note -> Information). A buffer that does not parse gets its syntax error and
  keeps the other findings of its last version that parsed.
* **Code actions**: one quick fix per finding that offers a fix, and "Fix all miglint
  findings" (``source.fixAll.miglint``) applying every fix of the file that does not
  overlap another (:func:`linter.fixes.plan_fixes`, the planner ``lint --fix`` uses). Edits name the document version they were
  computed for, so a client drops them once the text has moved on.
* **Hover**: the findings under the cursor with their rule's documentation, and the lock
  report of the statement under the cursor (:mod:`linter.lsp.hover`).
* **Workspace**: each workspace folder is a :class:`~linter.lsp.project.Project` with its
  own ``.miglint.yml``; files are watched (``workspace/didChangeWatchedFiles``, registered
  dynamically when the client allows it) so created, deleted and renamed migrations, and
  configuration, baseline and manifest changes, are taken into account.

Positions are converted to the encoding negotiated at ``initialize`` (UTF-16 by default;
:mod:`linter.lsp.positions`). All linting runs on one worker thread, in order, so a
project's state is never touched by two threads; the event loop keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from linter import __version__, lockreport
from linter.config import CONFIG_NAMES, find_config
from linter import fixes as fixesmod
from linter.lsp import hover as hovermod
from linter.lsp.positions import UTF16, Lines
from linter.lsp.project import Project, buffer_read
from linter.model import Finding, Severity

#: Seconds of quiet after a change before the buffer is linted again.
DEBOUNCE = 0.3
#: ``code action`` kind of "fix all" (the ``source.fixAll`` family, LSP 3.17 CodeActionKind).
FIX_ALL = "source.fixAll.miglint"
#: Files whose change reloads a project's configuration and lints it all again.
_RELOAD_NAMES = frozenset({*CONFIG_NAMES, "pyproject.toml"})
#: What the server asks the client to watch (``workspace/didChangeWatchedFiles``).
WATCHED = ("**/*.sql", "**/*.sql.postgres", "**/.miglint.yml", "**/.miglint.yaml", "**/pyproject.toml",
           "**/.miglint.sum", "**/.miglint-baseline.json", "**/metadata.toml", "**/*.sql.conf")

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.NOTE: lsp.DiagnosticSeverity.Information,
}

log = logging.getLogger("miglint.server")


@dataclass
class Published:
    """What was last published for one document: the ``findings``, the ``lines`` of the
    ``text`` they were computed on, and the document ``version``; ``locks``: the lock
    report of that text, ``(statements, wrapped)``, once a hover asked for it."""

    findings: list[Finding]
    lines: Lines
    version: int | None
    text: str
    locks: tuple | None = None


class MiglintServer(LanguageServer):
    """The pygls server with miglint's state: projects by folder, the worker thread, the
    pending debounced lints and what was published per document URI."""

    def __init__(self) -> None:
        super().__init__("miglint", __version__)
        self.projects: dict[str, Project] = {}
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="miglint-lint")
        self.pending: dict[str, asyncio.Task] = {}
        self.published: dict[str, Published] = {}
        self.linted: dict[str, tuple[str, int | None]] = {}  # path -> (uri, version) of the buffer linted
        self.debounce = DEBOUNCE
        self.encoding = UTF16
        self.ready: asyncio.Future | None = None

    # ------------------------------------------------------------------ helpers

    async def run(self, fn, *args):
        """``fn(*args)`` on the worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self.worker, fn, *args)

    def project_for(self, path: str) -> Project:
        """The project of the deepest workspace folder holding ``path``; outside every
        folder, one for the directory of the nearest configuration file, else the file's
        own directory (created here, loaded on the worker thread)."""
        owners = [p for p in self.projects.values() if p.owns(path)]
        if owners:
            return max(owners, key=lambda p: len(p.root))
        cfg = find_config(os.path.dirname(path))
        root = str(cfg.parent) if cfg is not None else os.path.dirname(path)
        proj = self.projects[root] = Project(root)
        return proj

    def diagnostics(self, uri: str, pub: Published) -> list[lsp.Diagnostic]:
        """The LSP diagnostics of published findings."""
        out = []
        for f in pub.findings:
            sl, sc = pub.lines.to_lsp(f.span.start)
            el, ec = pub.lines.to_lsp(f.span.end)
            out.append(lsp.Diagnostic(
                range=lsp.Range(lsp.Position(sl, sc), lsp.Position(el, ec)),
                message=f.message,
                severity=_SEVERITY[f.severity],
                code=f.rule_id,
                code_description=lsp.CodeDescription(href=f.docs_url),
                source="miglint",
                data={"fingerprint": f.fingerprint},
            ))
        return out

    def lint_and_collect(self, path: str, uri: str, text: str | None, version: int | None) -> tuple[Project, list[str]]:
        """On the worker thread: update ``path``'s buffer (``text`` at ``version``; ``None``:
        closed), re-lint it; returns the project and the paths of the open documents whose
        findings must be published again."""
        if text is None:
            self.linted.pop(path, None)
        else:
            self.linted[path] = (uri, version)
        proj = self.project_for(path)
        if not proj.loaded:
            proj.buffers.update({p: t for p, t in self.open_buffers().items() if proj.owns(p)})
            proj.load()
        root = proj.update(path, text)
        again = [path]
        if root is not None:
            for ap in proj.buffers:
                f = proj.files.get(ap)
                if ap != path and f is not None and f.root == root:
                    again.append(ap)
        return proj, again

    def open_buffers(self) -> dict[str, str]:
        """``{path: text}`` of the open documents linted so far (as linted)."""
        out = {}
        for proj in self.projects.values():
            out.update({ap: t for ap, t in proj.buffers.items() if ap in self.linted})
        return out

    def compute(self, proj: Project, paths: list[str]) -> list[tuple[str, Published]]:
        """On the worker thread: the findings to publish for the open documents among
        ``paths``, with the text and version they were computed on."""
        out = []
        for ap in paths:
            text = proj.buffers.get(ap)
            if text is None or ap not in self.linted:
                continue
            uri, version = self.linted[ap]
            findings = proj.findings(ap)
            bom = text.startswith("\ufeff")
            linted = text[1:] if bom else text
            out.append((uri, Published(findings, Lines(linted, self.encoding, bom), version, linted)))
        return out

    def publish(self, results: list[tuple[str, Published]]) -> None:
        """Publish diagnostics for each computed document whose text is still the one
        linted (a newer change publishes its own)."""
        for uri, pub in results:
            doc = self.workspace.text_documents.get(uri)
            if doc is None:
                continue
            if doc.version is not None and pub.version is not None and doc.version != pub.version:
                continue
            self.published[uri] = pub
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=self.diagnostics(uri, pub), version=pub.version))

    async def refresh(self, uri: str, *, closed: bool = False) -> None:
        """Lint the document at ``uri`` again and publish it and the other open files of its
        migration root."""
        path = to_fs_path(uri)
        if not path or not (path.endswith(".sql") or path.endswith(".sql.postgres")):
            return
        path = os.path.abspath(path)
        if self.ready is not None:
            await self.ready
        doc = None if closed else self.workspace.text_documents.get(uri)
        text = doc.source if doc is not None else None
        try:
            proj, again = await self.run(self.lint_and_collect, path, uri, text, doc.version if doc is not None else None)
            results = await self.run(self.compute, proj, again)
        except Exception as exc:  # a bug must not kill the server; say it once
            log.exception("miglint failed on %s", path)
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, f"miglint failed on {path}: {exc}"))
            return
        self.publish(results)
        if proj.config_error:
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Warning, f"miglint: {proj.config_error}"))

    def schedule(self, uri: str, delay: float) -> None:
        """Lint ``uri`` after ``delay`` seconds, cancelling a lint of it still waiting."""
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()

        async def later():
            if delay:
                await asyncio.sleep(delay)
            self.pending.pop(uri, None)
            await self.refresh(uri)

        self.pending[uri] = asyncio.ensure_future(later())

    async def republish_all(self, projects: list[Project]) -> None:
        """Publish again every open document of ``projects``."""
        for proj in projects:
            paths = [ap for ap in self.open_buffers() if proj.owns(ap)]
            results = await self.run(self.compute, proj, paths)
            self.publish(results)


def build() -> MiglintServer:
    """The server with its features registered."""
    server = MiglintServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: MiglintServer, params: lsp.InitializeParams) -> None:
        enc = ls.workspace.position_encoding or UTF16  # pygls chose it from the client's offer
        ls.encoding = str(getattr(enc, "value", enc))  # "utf-16", not "PositionEncodingKind.Utf16"
        opts = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        if isinstance(opts.get("debounce"), (int, float)) and opts["debounce"] >= 0:
            ls.debounce = float(opts["debounce"])
        folders = [to_fs_path(f.uri) for f in params.workspace_folders or ()]
        if not folders and params.root_uri:
            folders = [to_fs_path(params.root_uri)]
        elif not folders and params.root_path:
            folders = [params.root_path]
        for folder in folders:
            if folder:
                ap = os.path.abspath(folder)
                ls.projects[ap] = Project(ap)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: MiglintServer, params: lsp.InitializedParams) -> None:
        loop = asyncio.get_running_loop()
        ls.ready = loop.create_future()
        load = loop.run_in_executor(ls.worker, _load_all, ls)  # starts now, on the worker thread
        caps = ls.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        if watched is not None and watched.dynamic_registration:
            try:
                await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                    id="miglint-watched-files",
                    method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[lsp.FileSystemWatcher(glob_pattern=g) for g in WATCHED]),
                )]))
            except Exception:
                log.warning("the client refused to watch files for miglint")
        try:
            await load
        except Exception:
            log.exception("miglint could not load the workspace")
        finally:
            ls.ready.set_result(None)
        for problem in {p.config_error for p in ls.projects.values() if p.config_error}:
            ls.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning, f"miglint: {problem}"))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: MiglintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: MiglintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: MiglintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: MiglintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.published.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        await ls.refresh(uri, closed=True)  # its root-mates see the file on disk again

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched_files(ls: MiglintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        if ls.ready is not None:
            await ls.ready
        touched = await ls.run(_files_changed, ls, [(to_fs_path(c.uri), c.type) for c in params.changes])
        await ls.republish_all(touched)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders_changed(ls: MiglintServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        for f in params.event.removed:
            ls.projects.pop(os.path.abspath(to_fs_path(f.uri) or ""), None)
        added = []
        for f in params.event.added:
            ap = os.path.abspath(to_fs_path(f.uri) or "")
            ls.projects[ap] = proj = Project(ap)
            added.append(proj)
        for proj in added:
            proj.buffers.update({p: t for p, t in ls.open_buffers().items() if proj.owns(p)})
            await ls.run(proj.load)
        await ls.republish_all(added)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL]))
    def code_action(ls: MiglintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return _code_actions(ls, params)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: MiglintServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return await _hover(ls, params)

    return server


def _load_all(ls: MiglintServer) -> None:
    buffers = ls.open_buffers()
    for proj in ls.projects.values():
        proj.buffers.update({p: t for p, t in buffers.items() if proj.owns(p)})
        proj.load()


def _files_changed(ls: MiglintServer, changes: list[tuple[str | None, int]]) -> list[Project]:
    """On the worker thread: apply file-system changes; returns the projects touched."""
    touched: dict[str, Project] = {}
    reload: set[str] = set()
    walk: set[str] = set()
    for path, kind in changes:
        if not path:
            continue
        path = os.path.abspath(path)
        for proj in ls.projects.values():
            if not proj.owns(path):
                continue
            touched[proj.root] = proj
            name = os.path.basename(path)
            if name in _RELOAD_NAMES or name in (proj.config.manifest, os.path.basename(proj.config.baseline or "")):
                reload.add(proj.root)
            elif name == "metadata.toml" or name.endswith(".conf"):  # convention flags (diesel, Flyway)
                reload.add(proj.root)
            elif kind == lsp.FileChangeType.Changed and path in proj.files:
                if path not in proj.buffers:  # an open buffer wins over the disk
                    proj.update(path, None)
            else:  # created or deleted: the roots, versions and pairs may change
                walk.add(proj.root)
    for root in reload:
        touched[root].load()
    for root in walk - reload:
        touched[root].rediscover()
    return list(touched.values())


def _code_actions(ls: MiglintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    pub = ls.published.get(uri)
    if pub is None:
        return []
    only = [getattr(k, "value", k) for k in params.context.only or ()]

    def wanted(kind: str) -> bool:  # LSP: a kind is wanted when it is, or is under, one asked for
        return not only or any(kind == k or kind.startswith(k + ".") for k in only)

    start = pub.lines.to_position(params.range.start.line, params.range.start.character)
    end = pub.lines.to_position(params.range.end.line, params.range.end.character)
    asked = {d.data.get("fingerprint") for d in params.context.diagnostics if isinstance(d.data, dict)}
    fixable = [f for f in pub.findings if f.fix is not None and not f.redacted]
    out: list[lsp.CodeAction] = []
    if wanted(lsp.CodeActionKind.QuickFix.value):
        for f in fixable:
            if f.fingerprint in asked or (f.span.start <= end and start <= f.span.end):
                out.append(lsp.CodeAction(
                    title=f"{f.fix.description} ({f.rule_id})",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[d for d in ls.diagnostics(uri, Published([f], pub.lines, pub.version, pub.text))],
                    is_preferred=True,
                    edit=_workspace_edit(ls, uri, pub, [f.fix]),
                ))
    if fixable and wanted(FIX_ALL):
        linted = pub.text[1:] if pub.text.startswith("\ufeff") else pub.text  # as buffer_read lints it
        made = fixesmod.plan_fixes(fixable, linted)  # the planner lint --fix uses
        taken, refused = made.edits, made.skipped
        title = f"Fix all miglint findings ({len(taken)} fix{'es' if len(taken) != 1 else ''})"
        if refused:
            title += f"; {len(refused)} overlapping left for later"
        out.append(lsp.CodeAction(title=title, kind=FIX_ALL, edit=_workspace_edit(ls, uri, pub, taken)))
    return out


def _workspace_edit(ls: MiglintServer, uri: str, pub: Published, fixes) -> lsp.WorkspaceEdit:
    """The edit applying ``fixes`` (character offsets of the linted text), tied to the
    document version when the client supports versioned edits."""
    index_lines = pub.lines
    text_edits = []
    for fix in fixes:
        sl, sc = index_lines.to_lsp(fix.span.start)
        el, ec = index_lines.to_lsp(fix.span.end)
        text_edits.append(lsp.TextEdit(range=lsp.Range(lsp.Position(sl, sc), lsp.Position(el, ec)), new_text=fix.replacement))
    caps = ls.client_capabilities.workspace
    versioned = caps is not None and caps.workspace_edit is not None and caps.workspace_edit.document_changes
    if versioned:
        return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(
            text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=pub.version), edits=text_edits)])
    return lsp.WorkspaceEdit(changes={uri: text_edits})


async def _hover(ls: MiglintServer, params: lsp.HoverParams) -> lsp.Hover | None:
    uri = params.text_document.uri
    pub = ls.published.get(uri)
    if pub is None:
        return None
    pos = pub.lines.to_position(params.position.line, params.position.character)
    path = os.path.abspath(to_fs_path(uri) or "")

    def locks():
        proj = ls.project_for(path)
        f = proj.file(path)
        if f is None:
            return (), None
        report = lockreport.analyse_file(f, proj.config, buffer_read(pub.text, proj.config.max_file_size))
        return report.statements, report.wrapped

    if pub.locks is None:  # one analysis per published text, however many hovers
        pub.locks = await ls.run(locks)
    statements, wrapped = pub.locks
    text = hovermod.hover(pub.findings, pos, statements, wrapped)
    if text is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))


def main() -> int:
    """Run the server on standard input/output until the client says ``exit``.

    The protocol streams are private copies of file descriptors 0 and 1, and ``sys.stdin``
    / ``sys.stdout`` are replaced by ``/dev/null`` and standard error: the initial lint
    forks worker processes (:func:`linter.engine.lint_files`) while pygls's reader thread
    blocks in a read of standard input holding its buffer's lock, and a forked
    ``multiprocessing`` child closes ``sys.stdin`` first thing (``BaseProcess._bootstrap``),
    which would wait for that lock forever. A stray ``print`` can no longer corrupt the
    protocol either."""
    logging.basicConfig(level=logging.WARNING, format="miglint server: %(levelname)s %(message)s")
    stdin = os.fdopen(os.dup(0), "rb")
    stdout = os.fdopen(os.dup(1), "wb")
    sys.stdin = open(os.devnull, encoding="utf-8")
    sys.stdout = sys.stderr
    build().start_io(stdin, stdout)
    return 0
