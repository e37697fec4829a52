"""The language server: a typed ``LanguageServer`` holding state; features register themselves."""

from __future__ import annotations

import gc
import logging
import threading
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__
from .core.analysis import ModuleAnalysis
from .core.project import Project
from .documents import SyncedWorkspace
from .settings import Settings, parse_settings

log = logging.getLogger(__name__)

SETTINGS_SECTION = "fastapi"


class FastAPIDocsServer(LanguageServer):
    """State lives here (settings, the project); feature modules hold only adapters."""

    def __init__(self) -> None:
        super().__init__("fastapi-docs-lsp", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.project = Project(roots=[])
        self._load_lock = threading.Lock()
        self._reload_pending = False

    # ---- helpers used by features -------------------------------------------------

    def client_supports(self, *path: str) -> bool:
        node: Any = self.client_capabilities
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return False
        return bool(node)

    def markdown_supported(self, *path: str) -> bool:
        node: Any = self.client_capabilities
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return True  # unspecified: Markdown is what clients overwhelmingly render
        formats = node or []
        return not formats or types.MarkupKind.Markdown in formats

    def document(self, uri: str):
        """The open document, or a read-only view of the file on disk (never raises)."""
        try:
            return self.workspace.get_text_document(uri)
        except Exception:
            return None

    def document_text(self, uri: str) -> str | None:
        doc = self.document(uri)
        if doc is None:
            return None
        try:
            return doc.source
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            log.info("cannot read %s: %s", uri, exc)
            return None

    def analysis_for(self, uri: str) -> tuple[Any, str, ModuleAnalysis] | None:
        doc = self.document(uri)
        if doc is None:
            return None
        text = self.document_text(uri)
        if text is None:
            return None
        path = to_fs_path(uri) or uri
        made = self.project.analyses_made
        analysis = self.project.analysis(path, text, getattr(doc, "version", None))
        if analysis is None:
            return None
        if self.project.analyses_made != made:
            # A fresh analysis holds many long-lived objects; moving them out of the cyclic GC's
            # generations keeps later collections (and so request latency) short.
            gc.freeze()
        return doc, path, analysis

    def _overlay(self, path: str) -> str | None:
        uri = Path(path).as_uri()
        docs = getattr(self.workspace, "text_documents", {})
        doc = docs.get(uri)
        return doc.source if doc is not None else None

    # ---- lifecycle -------------------------------------------------------------------

    def setup(self, params: types.InitializeParams) -> None:
        self._use_synced_documents()
        roots: list[str] = []
        for folder in params.workspace_folders or []:
            path = to_fs_path(folder.uri)
            if path:
                roots.append(path)
        if not roots and params.root_uri:
            path = to_fs_path(params.root_uri)
            if path:
                roots.append(path)
        if not roots and params.root_path:
            roots.append(params.root_path)
        self.apply_settings(params.initialization_options, reload=False)
        self.project = Project(roots=roots, settings=self.settings, overlay=self._overlay)

    def _use_synced_documents(self) -> None:
        """Swap pygls' workspace (just created, still empty) for one whose documents apply
        incremental changes in O(edit) and split lines as LSP clients do (``documents.py``)."""
        ws = getattr(self.protocol, "_workspace", None)
        if ws is None or isinstance(ws, SyncedWorkspace) or ws.text_documents:
            return
        self.protocol._workspace = SyncedWorkspace(
            ws.root_uri, ws._sync_kind, list(ws.folders.values()), ws.position_encoding
        )

    def apply_settings(self, data: Any, reload: bool = True) -> None:
        settings, problems = parse_settings(data, None)
        for problem in problems:
            log.warning("%s", problem)
        if problems:
            self.show_message(
                "fastapi-docs-lsp settings: " + "; ".join(problems[:3]) + (" …" if len(problems) > 3 else ""),
                types.MessageType.Warning,
            )
        self.settings = settings
        logging.getLogger("fastapi_docs_lsp").setLevel(settings.logLevel.upper() if settings.logLevel != "warning" else "WARNING")
        needs_reload = self.project.apply_settings(settings)
        if reload and needs_reload:
            self.start_loading()

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception:  # not connected (CLI/tests)
            log.info("%s", message)

    def log_to_client(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """window/logMessage: goes to the editor's log, never a pop-up."""
        log.info("%s", message)
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:
            pass

    def start_loading(self) -> None:
        """Load environment + docs in a thread, with work-done progress when the client supports it."""
        with self._load_lock:
            if self._reload_pending:
                return
            self._reload_pending = True
        threading.Thread(target=self._load, name="fastapi-docs-load", daemon=True).start()

    def _load(self) -> None:
        token = str(uuid.uuid4())
        use_progress = self.client_supports("window", "work_done_progress")
        if use_progress:
            try:
                self.work_done_progress.create(token).result(timeout=5)
                self.work_done_progress.begin(
                    token, types.WorkDoneProgressBegin(title="FastAPI docs", message="Loading", percentage=0, cancellable=False)
                )
            except Exception as exc:
                log.debug("client refused progress: %s", exc)
                use_progress = False

        def report(message: str, fraction: float) -> None:
            log.debug("%s (%.0f%%)", message, fraction * 100)
            if use_progress:
                self.work_done_progress.report(
                    token, types.WorkDoneProgressReport(message=message, percentage=max(0, min(100, int(fraction * 100))))
                )

        with self._load_lock:
            self._reload_pending = False
        try:
            self.project.load(report)
            gc.collect()
            gc.freeze()  # the loaded docs live as long as the server: keep them out of GC passes
        finally:
            if use_progress:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=self.project.docs_summary()))
        info = self.project.info()
        for problem in info["problems"]:
            log.warning("%s", problem)
        self.log_to_client(f"FastAPI docs: {info['docsSummary']} ({info['interpreter']})")
        self.after_load()

    def after_load(self) -> None:
        """Hook for features that refresh once docs are loaded (diagnostics)."""
        for callback in list(getattr(self, "_after_load_callbacks", [])):
            try:
                callback()
            except Exception:
                log.exception("after-load callback failed")

    def on_after_load(self, callback) -> None:
        if not hasattr(self, "_after_load_callbacks"):
            self._after_load_callbacks = []
        self._after_load_callbacks.append(callback)

    async def fetch_configuration(self) -> None:
        if not self.client_supports("workspace", "configuration"):
            return
        try:
            result = await self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SETTINGS_SECTION)])
            )
        except Exception as exc:
            log.info("workspace/configuration failed: %s", exc)
            return
        if result and isinstance(result[0], dict) and result[0]:
            self.apply_settings(result[0], reload=True)


def create_server() -> FastAPIDocsServer:
    from .features import register_all

    server = FastAPIDocsServer()
    register_all(server)
    return server
