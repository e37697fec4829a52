"""The language server: a typed ``LanguageServer`` holding state; features register themselves."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

from lsprotocol import types
from pygls import IS_WASM
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__
from .core.analysis import ModuleAnalysis
from .core.background import background_work
from .core.project import Project
from .documents import SyncedWorkspace
from .transport import CancelAwareProtocol, MessageReader, RawHandler
from .settings import Settings, parse_settings

log = logging.getLogger(__name__)

SETTINGS_SECTION = "fastapi"
#: fresh analyses between two full garbage collections (see ``analysis_for``)
THAW_EVERY = 50
#: seconds a thread holds the interpreter lock while another waits for it (Python's default: 0.005)
SWITCH_INTERVAL = 0.0001


class FastAPIDocsServer(LanguageServer):
    """State lives here (settings, the project); feature modules hold only adapters."""

    def __init__(self) -> None:
        super().__init__(
            "fastapi-docs-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=CancelAwareProtocol,
        )
        self.settings = Settings()
        self.project = Project(roots=[])
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's event loop, once running
        self._load_lock = threading.Lock()
        self._reload_pending = False
        self._frozen_analyses = 0
        self._after_load_callbacks: list[Callable[[], None]] = []
        self._document_listeners: dict[str, list[Callable[[Any, Any], None]]] = {}
        self._paths: dict[str, str] = {}
        self._worker: ThreadPoolExecutor | None = None
        self.stopping = False  # set by shutdown(): background work that has not started skips

    def start_io(self, stdin=None, stdout=None) -> None:
        """pygls' stdio loop, with messages read ahead and raw handlers (transport.py)."""
        if IS_WASM or not isinstance(self.protocol, CancelAwareProtocol):
            return super().start_io(stdin, stdout)
        self._stop_event = threading.Event()
        # Other threads (docs loading, the route scan, diagnostics) run Python code; by default a
        # request arriving meanwhile waits up to 5 ms for the interpreter lock. Ask sooner (the
        # background ones also pause between steps while requests arrive: core/background.py).
        sys.setswitchinterval(SWITCH_INTERVAL)
        stdout = stdout or sys.stdout.buffer
        self.protocol.set_writer(StdoutWriter(stdout))  # until the loop runs (transport.PipeWriter)
        reader = MessageReader(stdin or sys.stdin.buffer, self.protocol, stdout)
        try:
            asyncio.run(reader.serve(self._stop_event, self.report_server_error))
        except BrokenPipeError:
            log.error("Connection to the client is lost! Shutting down the server.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        self.stopping = True
        super().shutdown()
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)

    def raw_request(self, method: str, handler: RawHandler) -> None:
        """Also answer ``method`` from its JSON params, skipping cattrs (see transport.py).

        The typed ``@feature`` handler stays registered: it declares the capability and answers
        whenever the raw handler declines or fails, or the server runs on another transport.
        """
        if isinstance(self.protocol, CancelAwareProtocol):
            self.protocol.raw_request(method, handler)

    # ---- helpers used by features -------------------------------------------------

    def client_capability(self, *path: str) -> Any:
        """The value at ``path`` in the client's capabilities, or None where any part is missing."""
        node: Any = self.client_capabilities
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return None
        return node

    def client_supports(self, *path: str) -> bool:
        return bool(self.client_capability(*path))

    def markdown_supported(self, *path: str) -> bool:
        """Whether the content-format list at ``path`` allows Markdown (unspecified: it does)."""
        formats = self.client_capability(*path)
        return not formats or types.MarkupKind.Markdown in formats

    def document(self, uri: str):
        """The open document, or a read-only view of the file on disk (never raises)."""
        try:
            return self.workspace.get_text_document(uri)
        except Exception:
            return None

    def document_text(self, doc: Any) -> str | None:
        """The text of a document from ``document()``: None when it cannot be read (binary, huge, gone)."""
        try:
            text = doc.source
            return None if getattr(doc, "unreadable", False) else text
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            log.info("cannot read %s: %s", doc.uri, exc)
            return None

    def path_of(self, uri: str) -> str:
        """The file system path of a document URI (the URI itself when it has none), memoised:
        parsing and unquoting a URI costs more than a cached hover."""
        try:
            return self._paths[uri]
        except KeyError:
            if len(self._paths) > 4096:
                self._paths.clear()
            path = self._paths[uri] = to_fs_path(uri) or uri
            return path

    def analysis_for(self, uri: str) -> tuple[Any, str, ModuleAnalysis] | None:
        doc = self.document(uri)
        if doc is None:
            return None
        text = self.document_text(doc)
        if text is None:
            return None
        path = self.path_of(uri)
        analysis = self.analysis_of(path, text, getattr(doc, "version", None))
        return (doc, path, analysis) if analysis is not None else None

    def analysis_of(self, path: str, text: str, version: Any) -> ModuleAnalysis | None:
        """The analysis of ``text`` (a document's text at ``version``); safe in a worker thread."""
        made = self.project.analyses_made
        analysis = self.project.analysis(path, text, version)
        if analysis is not None and self.project.analyses_made != made:
            # A fresh analysis holds many long-lived objects; moving them out of the cyclic GC's
            # generations keeps later collections (and so request latency) short. Frozen objects
            # are never collected, though, and replaced analyses hold reference cycles (scopes):
            # every so often thaw, collect them, and freeze again, or memory grows without bound.
            self._frozen_analyses += 1
            if self._frozen_analyses >= THAW_EVERY:
                self._frozen_analyses = 0
                gc.unfreeze()
                gc.collect()
            gc.freeze()
        return analysis

    async def in_worker(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the server's worker thread (one at a time), off the event loop,
        so requests keep being answered meanwhile (diagnostics of a large module take 100+ ms).
        The work yields to requests as they arrive (``core/background.py``)."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fastapi-worker")

        def job() -> Any:
            with background_work():
                return fn(*args)

        return await asyncio.get_running_loop().run_in_executor(self._worker, job)

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
        self.project = Project(roots=roots, settings=self.settings, overlay=self._overlay, locale=params.locale)

    def _use_synced_documents(self) -> None:
        """Swap pygls' workspace (just created, still empty) for one whose documents apply
        incremental changes in O(edit) and split lines as LSP clients do (``documents.py``)."""
        ws = getattr(self.protocol, "_workspace", None)
        if ws is None or isinstance(ws, SyncedWorkspace) or ws.text_documents:
            return
        self.protocol._workspace = SyncedWorkspace(
            ws.root_uri, ws._sync_kind, list(ws.folders.values()), ws.position_encoding
        )
        self.protocol._workspace.max_file_size = self.settings.maxFileSize

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
        ws = getattr(self.protocol, "_workspace", None)
        if isinstance(ws, SyncedWorkspace):
            ws.max_file_size = settings.maxFileSize
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

    @contextmanager
    def work_progress(self, title: str, token: types.ProgressToken | None = None) -> Iterator[Callable[[str, float], None]]:
        """Work-done progress around a block: yields ``report(message, fraction)``.

        Uses the client's token when the request carried one, else creates one when the client
        supports server-initiated progress; otherwise reports only to the log.
        """
        active = False
        if token is None and self.client_supports("window", "work_done_progress"):
            token = str(uuid.uuid4())
            try:
                self.work_done_progress.create(token).result(timeout=5)
            except Exception as exc:
                log.debug("client refused progress: %s", exc)
                token = None
        if token is not None:
            try:
                self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, percentage=0, cancellable=False))
                active = True
            except Exception as exc:
                log.debug("progress begin failed: %s", exc)
        final = {"message": ""}

        def report(message: str, fraction: float) -> None:
            log.debug("%s: %s (%.0f%%)", title, message, fraction * 100)
            final["message"] = message
            if active:
                percentage = max(0, min(100, int(fraction * 100)))
                self.work_done_progress.report(token, types.WorkDoneProgressReport(message=message, percentage=percentage))

        try:
            yield report
        finally:
            if active:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=final["message"]))

    def _load(self) -> None:
        with self._load_lock:
            self._reload_pending = False
        with self.work_progress("FastAPI docs") as report:
            self.project.load(report)
            gc.collect()
            gc.freeze()  # the loaded docs live as long as the server: keep them out of GC passes
            report(self.project.docs_summary(), 1.0)
        info = self.project.info()
        for problem in info["problems"]:
            log.warning("%s", problem)
        self.log_to_client(f"FastAPI docs: {info['docsSummary']} ({info['interpreter']})")
        self.after_load()

    # ---- hooks for features ----------------------------------------------------------

    def after_load(self) -> None:
        """Run the callbacks of features that refresh once docs are loaded (diagnostics, routes)."""
        for callback in list(self._after_load_callbacks):
            try:
                callback()
            except Exception:
                log.exception("after-load callback failed")

    def on_after_load(self, callback: Callable[[], None]) -> None:
        self._after_load_callbacks.append(callback)

    def on_document(self, event: str, callback: Callable[[Any, Any], None]) -> None:
        """Subscribe ``callback(ls, params)`` to ``open``, ``change``, ``save``, ``close`` or ``configuration``.

        features/lifecycle.py owns the LSP handlers (pygls allows one per method) and fans out.
        """
        self._document_listeners.setdefault(event, []).append(callback)

    def document_event(self, event: str, params: Any) -> None:
        for callback in list(self._document_listeners.get(event, ())):
            try:
                callback(self, params)
            except Exception:
                log.exception("%s listener failed", event)

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
