"""The language server: a typed ``LanguageServer`` holding state; features register themselves."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar
from collections.abc import Callable, Generator, Iterator

from lsprotocol import types
from pygls import IS_WASM
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from . import __version__
from .core.analysis import ModuleAnalysis
from .core.background import background_busy, background_work, pause_point
from .core.project import Project
from .pygls_seam import SyncedWorkspace, install_workspace, uri_to_path
from .transport import CancelAwareProtocol, MessageReader, RawHandler
from .settings import Settings, parse_settings

log = logging.getLogger(__name__)

SETTINGS_SECTION = "fastapi"
#: fresh analyses after which a full garbage collection is due (see ``analysis_of``)
THAW_EVERY = 50
#: the due collection waits until no fresh analysis was made for this long (the user paused) ...
THAW_IDLE_SECONDS = 0.5
#: ... unless this many fresh analyses were made meanwhile, or the memory in use grew by
#: ``THAW_GROWTH_MB`` since the last collection (memory stays bounded while typing on)
THAW_AT_MOST = 1000
THAW_GROWTH_MB = 24.0
#: ... and the frozen objects by this many (the memory in use also grows without any garbage to
#: collect: a second analysis of a large module alive for a moment, the allocator's arenas)
THAW_GROWTH_OBJECTS = 100_000
#: seconds a thread holds the interpreter lock while another waits for it (Python's default: 0.005)
SWITCH_INTERVAL = 0.0001
#: how long a request that needs the docs waits for a first load still under way
DOCS_WAIT_SECONDS = 5.0
#: the full collection after a load waits this long (see ``_freeze_loaded_docs``)
FREEZE_DELAY_SECONDS = 1.0

F = TypeVar("F", bound=Callable[..., Any])


def _rss_mb() -> float | None:
    """The memory the process uses now (resident set, MB); None where /proc is not available."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def needs_docs(when: Callable[..., bool] | None = None, *, search: bool = False) -> Callable[[F], F]:
    """Make a handler wait (asynchronously, up to ``DOCS_WAIT_SECONDS``) for the first docs load.

    Decorates a ``handler(ls, *args)`` registered with ``@server.feature``/``@server.command``.
    Once the docs are loaded it runs at once, in order with the other messages (no task, no
    reordering); before, it waits for them while other requests and notifications keep flowing,
    and then answers in full instead of with a placeholder. ``when(*args)`` may restrict the wait
    to the requests that need the docs; ``search``: wait for the doc index and its topic search
    index instead (``Project.search_ready``: searches need nothing else). (pygls runs a generator
    handler step by step: the step yielded here is an async wait, run as a task, after which the
    handler continues.)
    """

    def decorate(handler: F) -> F:
        @functools.wraps(handler)
        def run(ls: FastAPIDocsServer, *args: Any) -> Generator[Any, Any, Any]:
            if not ls.docs_ready(search=search) and (when is None or when(*args)):
                yield ls.wait_for_docs, (), {"search": search}
            return handler(ls, *args)

        return run  # type: ignore[return-value]

    return decorate


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
        self._run_lock = threading.Lock()  # one load at a time
        self._reload_pending = False
        self._loading = False
        self._load_state: tuple[str, float] = ("Starting", 0.0)  # the last progress report
        self._load_token: types.ProgressToken | None = None  # the progress shown for the load
        self._client_ready = False  # ``initialized`` arrived: the server may send requests
        self._frozen_analyses = 0
        self._last_analysis = 0.0  # time.monotonic() of the last fresh analysis
        self._rss_after_collection: float | None = None
        self._frozen_after_collection: int | None = None
        self._growth_scale = 1  # grows after each collection that found little garbage
        self._thaw_scheduled = False
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
        if isinstance(self.protocol, CancelAwareProtocol) and os.environ.get("FASTAPI_DOCS_LSP_NO_RAW") != "1":
            self.protocol.raw_request(method, handler)  # (FASTAPI_DOCS_LSP_NO_RAW=1: typed path only, to measure)

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
            ws = self.workspace
            if isinstance(ws, SyncedWorkspace):
                return ws.open_document(uri) or ws.get_text_document(uri)
            return ws.get_text_document(uri)
        except Exception:
            log.debug("no document for %s", uri, exc_info=True)
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
            path = self._paths[uri] = uri_to_path(uri) or uri
            return path

    # ---- readiness -----------------------------------------------------------------------

    def docs_ready(self, *, search: bool = False) -> bool:
        """Whether requests can be answered in full: the first API docs and the doc index are in,
        or the first load ended without them (``Project.ready``); with ``search``, whether the
        doc index and its topic search index are in (``Project.search_ready``)."""
        return (self.project.search_ready if search else self.project.ready).is_set()

    async def wait_for_docs(self, timeout: float = DOCS_WAIT_SECONDS, *, search: bool = False) -> bool:
        """Wait, without blocking the event loop, until the docs are ready (at most ``timeout``).

        The loading thread wakes the waiters through ``loop.call_soon_threadsafe``; meanwhile the
        loop keeps handling other messages. Never raises: False when the wait timed out.
        """
        if self.docs_ready(search=search):
            return True
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[bool] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(True)

        def from_loader() -> None:
            try:
                loop.call_soon_threadsafe(wake)
            except RuntimeError:  # the loop is closed: the server is exiting
                pass

        self.project.when_ready(from_loader, search=search)
        try:
            await asyncio.wait_for(ready, timeout)
            return True
        except asyncio.TimeoutError:
            log.warning("the FastAPI docs are still loading after %.0f s; answering with what is available", timeout)
            return False

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
            # That full collection takes 100+ ms with the docs loaded, so it never runs while the
            # user types: it waits until they pause (``_collect_when_idle``); typing on without a
            # pause, the edits of one keystroke leave no cycles behind, so memory stays flat.
            self._frozen_analyses += 1
            self._last_analysis = time.monotonic()
            gc.freeze()
            if self._frozen_analyses >= THAW_EVERY and (
                self._frozen_analyses >= THAW_AT_MOST
                or not self._schedule_collection()
                # (what grows while a workspace scan or diagnostics run is mostly theirs, alive)
                or (not background_busy() and self._grown_since_collection())
            ):
                self._collect_frozen()
        return analysis

    def _grown_since_collection(self) -> bool:
        """Whether frozen garbage may have piled up since the last collection: the memory in use
        and the objects frozen both grew. (A full collection takes ~0.5 s with a 50,000-line
        module open; it runs inside the request that made the analysis.) Counting the frozen
        objects walks them all (~10 ms): it is done only once the memory grew."""
        rss = _rss_mb()
        if rss is None:
            return False
        if self._rss_after_collection is None:  # no collection yet: measure from here
            self._rss_after_collection = rss
        if rss - self._rss_after_collection <= THAW_GROWTH_MB * self._growth_scale:
            return False
        frozen = gc.get_freeze_count()
        if self._frozen_after_collection is None:  # no count yet: count from here
            self._rss_after_collection, self._frozen_after_collection = rss, frozen
            return False
        if frozen - self._frozen_after_collection > THAW_GROWTH_OBJECTS * self._growth_scale:
            return True
        self._rss_after_collection = rss  # grown without garbage: measure from here
        return False

    def _collect_frozen(self) -> None:
        """Thaw, collect the garbage the frozen analyses left (replaced scopes), freeze again."""
        self._frozen_analyses = 0
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self._rss_after_collection = _rss_mb()
        self._frozen_after_collection = gc.get_freeze_count()
        # What grew was mostly alive (a workspace scan gathering the routes of a large module
        # while the user types): wait for four times the growth before the next such collection.
        self._growth_scale = min(self._growth_scale * 4, 16) if found < THAW_GROWTH_OBJECTS // 4 else 1

    def _schedule_collection(self) -> bool:
        """Run the due full collection once the event loop is idle; False when there is no loop."""
        loop = self.loop
        if loop is None or loop.is_closed() or not loop.is_running():
            return False
        if self._thaw_scheduled:
            return True
        self._thaw_scheduled = True
        try:
            loop.call_soon_threadsafe(loop.call_later, THAW_IDLE_SECONDS, self._collect_when_idle)
        except RuntimeError:  # the loop closed meanwhile
            self._thaw_scheduled = False
            return False
        return True

    def _collect_when_idle(self) -> None:
        """On the event loop: collect now if no analysis was made for a while, else look again later."""
        assert self.loop is not None
        if self.stopping or self._frozen_analyses < THAW_EVERY:
            self._thaw_scheduled = False
            return
        idle = time.monotonic() - self._last_analysis
        if idle < THAW_IDLE_SECONDS:
            self.loop.call_later(THAW_IDLE_SECONDS - idle, self._collect_when_idle)
            return
        self._thaw_scheduled = False
        self._collect_frozen()

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

    def open_document_at(self, path: str) -> Any:
        """The open document whose file is ``path`` (however its URI is spelled), or None."""
        ws = getattr(self.protocol, "_workspace", None)  # None before initialize
        return ws.open_document_at(path) if isinstance(ws, SyncedWorkspace) else None

    def _overlay(self, path: str) -> str | None:
        """The text of the open document at ``path`` (unsaved edits included), or None."""
        doc = self.open_document_at(path)
        return doc.source if doc is not None else None

    # ---- lifecycle -------------------------------------------------------------------

    def setup(self, params: types.InitializeParams) -> None:
        """``initialize``: settings from ``initializationOptions``, and loading starts at once
        (the ``workspace/configuration`` reply reloads only if it changes what was loaded)."""
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None
        # documents apply incremental changes in O(edit) and split lines as LSP clients do
        install_workspace(self.protocol, self.settings.maxFileSize)
        roots: list[str] = []
        for folder in params.workspace_folders or []:
            path = uri_to_path(folder.uri)
            if path:
                roots.append(path)
        if not roots and params.root_uri:
            path = uri_to_path(params.root_uri)
            if path:
                roots.append(path)
        if not roots and params.root_path:
            roots.append(params.root_path)
        self.apply_settings(params.initialization_options, reload=False)
        self.project = Project(roots=roots, settings=self.settings, overlay=self._overlay, locale=params.locale)
        self.start_loading()

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
        from .cli import apply_log_level

        apply_log_level(settings.logLevel)
        needs_reload = self.project.apply_settings(settings)
        if reload and needs_reload:
            self.start_loading()

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception:  # not connected (CLI/tests)
            log.info("%s", message, exc_info=log.isEnabledFor(logging.DEBUG))

    def log_to_client(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """window/logMessage: goes to the editor's log, never a pop-up."""
        log.info("%s", message)
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # not connected (CLI/tests)
            log.debug("window/logMessage not sent", exc_info=True)

    def start_loading(self) -> None:
        """Load environment + docs in a thread (loads run one at a time; requests made while one
        is waiting to start share it). Progress is shown by ``show_load_progress``."""
        with self._load_lock:
            if self._reload_pending:
                return
            self._reload_pending = True
            self._loading = True
        threading.Thread(target=self._load, name="fastapi-docs-load", daemon=True).start()
        if self._client_ready and self._load_token is None and self.loop is not None and _on_loop(self.loop):
            self.loop.create_task(self.show_load_progress())  # a reload (new settings)

    async def show_load_progress(self) -> None:
        """``initialized``: while the docs load, show work-done progress (clients that support it).

        The ``create`` request is awaited as a coroutine on the loop, never blocked on: the loop
        must keep reading to receive its answer. Every progress message is sent from the loop, in
        order; the loading thread only hands its reports over.
        """
        self._client_ready = True
        if not self._loading or not self.client_supports("window", "work_done_progress"):
            return
        token = str(uuid.uuid4())
        try:
            await asyncio.wait_for(self.work_done_progress.create_async(token), 5.0)
        except Exception as exc:  # refused, or no answer
            log.debug("client refused progress: %s", exc, exc_info=True)
            return
        message, fraction = self._load_state
        try:
            self.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title="FastAPI docs", message=message, percentage=int(fraction * 100))
            )
        except Exception as exc:
            log.debug("progress begin failed: %s", exc, exc_info=True)
            return
        self._load_token = token
        if not self._loading:
            self._end_load_progress()

    def _load_progress(self, message: str, fraction: float) -> None:
        """A report from the loading thread: remembered, and shown on the loop if progress is on."""
        log.debug("FastAPI docs: %s (%.0f%%)", message, fraction * 100)
        self._load_state = (message, fraction)
        if self._load_token is not None and self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(self._send_load_progress)
            except RuntimeError:  # the loop is closed
                pass

    def _send_load_progress(self) -> None:
        token = self._load_token
        if token is None:
            return
        message, fraction = self._load_state
        percentage = max(0, min(100, int(fraction * 100)))
        try:
            self.work_done_progress.report(token, types.WorkDoneProgressReport(message=message, percentage=percentage))
        except Exception as exc:
            log.debug("progress report failed: %s", exc, exc_info=True)

    def _end_load_progress(self) -> None:
        token, self._load_token = self._load_token, None
        if token is None:
            return
        try:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=self._load_state[0]))
        except Exception as exc:
            log.debug("progress end failed: %s", exc, exc_info=True)

    @contextmanager
    def work_progress(self, title: str, token: types.ProgressToken | None = None) -> Iterator[Callable[[str, float], None]]:
        """Work-done progress around a block: yields ``report(message, fraction)``.

        Uses the client's token when the request carried one, else creates one when the client
        supports server-initiated progress; otherwise reports only to the log.
        """
        active = False
        on_loop = self.loop is not None and _on_loop(self.loop)
        if token is None and on_loop:
            log.debug("%s: no progress (the event loop cannot wait for the client to create a token)", title)
        elif token is None and self._client_ready and self.client_supports("window", "work_done_progress"):
            token = str(uuid.uuid4())
            try:  # off the loop (a thread): waiting here lets the loop receive the answer
                self.work_done_progress.create(token).result(timeout=5)
            except Exception as exc:
                log.debug("client refused progress: %s", exc, exc_info=True)
                token = None
        if token is not None:
            try:
                self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, percentage=0, cancellable=False))
                active = True
            except Exception as exc:
                log.debug("progress begin failed: %s", exc, exc_info=True)
        final = {"message": ""}
        shown: types.ProgressToken = token if token is not None else ""

        def report(message: str, fraction: float) -> None:
            log.debug("%s: %s (%.0f%%)", title, message, fraction * 100)
            final["message"] = message
            if active:
                percentage = max(0, min(100, int(fraction * 100)))
                self.work_done_progress.report(shown, types.WorkDoneProgressReport(message=message, percentage=percentage))

        try:
            yield report
        finally:
            if active:
                self.work_done_progress.end(shown, types.WorkDoneProgressEnd(message=final["message"]))

    def _load(self) -> None:
        with self._run_lock:
            with self._load_lock:
                self._reload_pending = False
            self._loading = True
            try:
                self.project.load(self._load_progress)
                self._load_progress(self.project.docs_summary(), 1.0)
            finally:
                with self._load_lock:
                    self._loading = self._reload_pending  # another load is about to run
                if self.loop is not None:
                    try:
                        self.loop.call_soon_threadsafe(self._end_load_progress)
                    except RuntimeError:  # the loop is closed
                        pass
        info = self.project.info()
        for problem in info["problems"]:
            log.warning("%s", problem)
        self.log_to_client(f"FastAPI docs: {info['docsSummary']} ({info['interpreter']})")
        self.after_load()
        self._freeze_loaded_docs()

    def _freeze_loaded_docs(self) -> None:
        """The loaded docs live as long as the server: keep them out of GC passes (``gc.freeze``),
        after a full collection of what loading left behind. That collection holds the
        interpreter for ~100-200 ms, so it waits until the requests that were waiting for the
        docs (an editor restoring a session sends several at once) have been answered."""
        time.sleep(FREEZE_DELAY_SECONDS)
        if self.stopping:
            return
        with background_work():
            pause_point()  # starts while no request is being handled
            gc.collect()
            gc.freeze()

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
            log.info("workspace/configuration failed: %s", exc, exc_info=True)
            return
        if result and isinstance(result[0], dict) and result[0]:
            self.apply_settings(result[0], reload=True)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def create_server() -> FastAPIDocsServer:
    from .features import register_all

    server = FastAPIDocsServer()
    register_all(server)
    return server
