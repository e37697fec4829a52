"""FastAPI diagnostics: pull (``textDocument/diagnostic``) when the client supports it, else push.

Push mode publishes, debounced, on open/change/save. Both re-run once the docs are loaded and
once the first workspace route scan is done (the unused-router rule needs it). A client that
pulls but cannot be asked to pull again (no ``workspace.diagnostics.refreshSupport``: Neovim
0.11/0.12) gets them pushed too, for every open document; its own pull of a document then
withdraws the pushed copy.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from lsprotocol import types

from ..core.diagnostics import Diagnostic, diagnose
from ..core.docs.i18n import localize_url
from ..core.digest import hexdigest
from .positions import client_range, encoding_of

if TYPE_CHECKING:
    from ..core.analysis import ApiLookup
    from ..server import FastAPIDocsServer

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.3
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
_TAGS = {"deprecated": types.DiagnosticTag.Deprecated, "unnecessary": types.DiagnosticTag.Unnecessary}


# --------------------------------------------------------------------------------------
# this feature's state


@dataclass
class DiagnosticsState:
    #: uri -> (state key, diagnostics)
    cache: dict[str, tuple[str, list[Diagnostic]]] = field(default_factory=dict)
    #: uri -> the pending debounced push
    push_tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    #: documents whose diagnostics were pushed to a client that pulls: cleared when it pulls them
    pushed: set[str] = field(default_factory=set)
    #: uri -> the version the client last pulled (a push of that version would show twice)
    pulled: dict[str, Any] = field(default_factory=dict)


_states: weakref.WeakKeyDictionary[Any, DiagnosticsState] = weakref.WeakKeyDictionary()


def state(ls: FastAPIDocsServer) -> DiagnosticsState:
    found = _states.get(ls)
    if found is None:
        found = _states[ls] = DiagnosticsState()
    return found


# --------------------------------------------------------------------------------------
# computing (shared with code actions)


def _settings_key(ls: FastAPIDocsServer) -> str:
    d = ls.settings.diagnostics
    return hexdigest(repr((d.enabled, sorted(d.rules.items()))), 8)


def _state_key(ls: FastAPIDocsServer, snap: Snapshot) -> str:
    from .symbols import route_index

    index = route_index(ls, create=False)
    return f"{snap.version}:{ls.project.generation}:{_settings_key(ls)}:{index.generation if index else -1}:{hash(snap.text)}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A document's text and version, taken together on the event loop (where edits apply), so a
    worker thread can diagnose it while the document changes."""

    uri: str
    doc: Any
    path: str
    text: str
    version: Any


def snapshot(ls: FastAPIDocsServer, uri: str) -> Snapshot | None:
    if not uri.endswith((".py", ".pyi")) and not uri.startswith("untitled:"):
        return None
    doc = ls.document(uri)
    text = ls.document_text(doc) if doc is not None else None
    if text is None:
        return None
    return Snapshot(uri, doc, ls.path_of(uri), text, getattr(doc, "version", None))


def compute(ls: FastAPIDocsServer, uri: str) -> tuple[Any, Any, list[Diagnostic], str] | None:
    """``(doc, analysis, diagnostics, result_id)`` for an open (or on-disk) Python document."""
    snap = snapshot(ls, uri)
    return compute_snapshot(ls, snap) if snap is not None else None


def compute_snapshot(ls: FastAPIDocsServer, snap: Snapshot) -> tuple[Any, Any, list[Diagnostic], str] | None:
    analysis = ls.analysis_of(snap.path, snap.text, snap.version)
    if analysis is None:
        return None
    doc, path = snap.doc, snap.path
    key = _state_key(ls, snap)
    cache = state(ls).cache
    cached = cache.get(snap.uri)
    if cached is not None and cached[0] == key:
        return doc, analysis, cached[1], key
    if not ls.settings.diagnostics.enabled:
        items: list[Diagnostic] = []
    else:
        from .symbols import route_index

        project = ls.project
        index = route_index(ls, create=False)
        modules = project.modules

        def load_module(name: str):
            target = modules.path_for_module(name)
            return modules.analysis_for(target) if target else None

        items = diagnose(
            analysis,
            db=cast("ApiLookup | None", project.db),
            docs=project.docs,
            module_name=modules.module_name_for(path) if path else None,
            path=path,
            rules=ls.settings.diagnostics.rules,
            workspace=index if index is not None and index.ready else None,
            load_module=load_module,
        )
    cache[snap.uri] = (key, items)
    return doc, analysis, items, key


def to_lsp(ls: FastAPIDocsServer, uri: str, doc, analysis, diag: Diagnostic) -> types.Diagnostic:
    encoding = encoding_of(doc)
    s = diag.span
    related = None
    if diag.related:
        related = [
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=uri,
                    range=client_range(analysis.lines, r.span.line, r.span.start, r.span.end_line, r.span.end, encoding),
                ),
                message=r.message,
            )
            for r in diag.related
        ]
    return types.Diagnostic(
        range=client_range(analysis.lines, s.line, s.start, s.end_line, s.end, encoding),
        message=diag.message,
        severity=_SEVERITY.get(diag.severity, types.DiagnosticSeverity.Warning),
        code=diag.code,
        code_description=types.CodeDescription(href=localize_url(diag.href, ls.project.docs_language)) if diag.href else None,
        source="fastapi",
        tags=[_TAGS[t] for t in diag.tags if t in _TAGS] or None,
        related_information=related,
        data={"rule": diag.rule},
    )


def _lsp_snapshot(ls: FastAPIDocsServer, snap: Snapshot) -> tuple[list[types.Diagnostic], str] | None:
    got = compute_snapshot(ls, snap)
    if got is None:
        return None
    doc, analysis, items, key = got
    return [to_lsp(ls, snap.uri, doc, analysis, d) for d in items], key


async def lsp_diagnostics(ls: FastAPIDocsServer, uri: str) -> tuple[list[types.Diagnostic], str, Any] | None:
    """``(diagnostics, result_id, version)``, computed on the worker thread (never raises)."""
    snap = snapshot(ls, uri)
    if snap is None:
        return None
    try:
        got = await ls.in_worker(_lsp_snapshot, ls, snap)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("diagnostics failed for %s", uri)
        return None
    return (got[0], got[1], snap.version) if got is not None else None


# --------------------------------------------------------------------------------------
# pull / push


def pull_supported(ls: FastAPIDocsServer) -> bool:
    return ls.client_supports("text_document", "diagnostic")


def refresh_supported(ls: FastAPIDocsServer) -> bool:
    return ls.client_supports("workspace", "diagnostics", "refresh_support")


async def publish(ls: FastAPIDocsServer, uri: str) -> None:
    got = await lsp_diagnostics(ls, uri)
    if got is None:
        return
    items, _, version = got
    doc = ls.document(uri)
    if doc is None or getattr(doc, "version", None) != version:
        return  # edited meanwhile: that edit scheduled a fresh publish
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version))


def schedule(ls: FastAPIDocsServer, uri: str, delay: float = DEBOUNCE_SECONDS, even_if_pulled: bool = False) -> None:
    """Publish diagnostics for ``uri`` after ``delay`` seconds without further changes (push
    mode; ``even_if_pulled``: also to a client that pulls, see ``refresh_all``)."""
    if pull_supported(ls) and not even_if_pulled:
        return
    tasks = state(ls).push_tasks
    old = tasks.pop(uri, None)
    if old is not None:
        old.cancel()

    async def later() -> None:
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            return
        tasks.pop(uri, None)
        if even_if_pulled and pull_supported(ls):
            doc = ls.document(uri)
            if doc is not None and state(ls).pulled.get(uri, object()) == getattr(doc, "version", None):
                return  # the client pulled this version itself
            state(ls).pushed.add(uri)
        await publish(ls, uri)

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not serving (CLI, tests): nothing to publish to
        return
    tasks[uri] = loop.create_task(later())


def refresh_all(ls: FastAPIDocsServer) -> None:
    """Docs loaded / settings or workspace changed: ask for (pull) or send (push) diagnostics again.

    A client that pulls but cannot be asked to pull again (no ``workspace.diagnostics.refreshSupport``:
    Neovim 0.11/0.12 pulls only for the buffer shown) gets them pushed for every open document,
    so files opened before the server was ready get theirs without an edit; a later pull of one
    of them clears the pushed copy (``clear_pushed``), so nothing shows twice."""
    state(ls).cache.clear()
    if pull_supported(ls) and ls.client_supports("workspace", "diagnostics", "refresh_support"):
        try:
            ls.workspace_diagnostic_refresh(None)
        except Exception:
            log.debug("workspace/diagnostic/refresh failed", exc_info=True)
        return
    uris = list(getattr(ls.workspace, "text_documents", {}).keys())
    loop = ls.loop
    if loop is None or not loop.is_running():
        return  # not serving (CLI, tests): nothing to publish to
    for uri in uris:
        loop.call_soon_threadsafe(schedule, ls, uri, 0.0, True)


def clear_pushed(ls: FastAPIDocsServer, uri: str) -> None:
    """The client pulled ``uri``: drop what was pushed for it (the pulled report replaces it)."""
    pushed = state(ls).pushed
    if uri in pushed:
        pushed.discard(uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def register(server: FastAPIDocsServer) -> None:
    server.on_after_load(lambda: refresh_all(server))

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="fastapi", inter_file_dependencies=True, workspace_diagnostics=False),
    )
    async def diagnostic(ls: FastAPIDocsServer, params: types.DocumentDiagnosticParams):
        clear_pushed(ls, params.text_document.uri)
        doc = ls.document(params.text_document.uri)
        state(ls).pulled[params.text_document.uri] = getattr(doc, "version", None)
        got = await lsp_diagnostics(ls, params.text_document.uri)
        if got is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        items, key, _ = got
        if params.previous_result_id == key:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=key)
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=key)

    def on_open(ls: FastAPIDocsServer, params: types.DidOpenTextDocumentParams) -> None:
        # debounced like a change: a hover asked right after opening is answered first. A client
        # that pulls only for the buffer shown, and can't be asked to pull again, gets it pushed
        schedule(ls, params.text_document.uri, even_if_pulled=not refresh_supported(ls))

    def on_change(ls: FastAPIDocsServer, params: types.DidChangeTextDocumentParams) -> None:
        schedule(ls, params.text_document.uri)

    def on_save(ls: FastAPIDocsServer, params: types.DidSaveTextDocumentParams) -> None:
        # another module may now include (or stop including) a router: re-check the open files
        from .symbols import route_index

        index = route_index(ls, create=False)
        if index is not None:
            index.touch(ls.path_of(params.text_document.uri))
        if pull_supported(ls):
            return
        for uri in list(getattr(ls.workspace, "text_documents", {}).keys()):
            schedule(ls, uri, DEBOUNCE_SECONDS if uri != params.text_document.uri else 0.0)

    def on_close(ls: FastAPIDocsServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        state(ls).cache.pop(uri, None)
        state(ls).pulled.pop(uri, None)
        was_pushed = uri in state(ls).pushed
        state(ls).pushed.discard(uri)
        task = state(ls).push_tasks.pop(uri, None)
        if task is not None:
            task.cancel()
        if not pull_supported(ls) or was_pushed:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    server.on_document("open", on_open)
    server.on_document("change", on_change)
    server.on_document("save", on_save)
    server.on_document("close", on_close)
    # rule severities may have changed
    server.on_document("configuration", lambda ls, params: refresh_all(ls))
