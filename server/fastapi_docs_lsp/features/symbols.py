"""Route outline: ``textDocument/documentSymbol`` and ``workspace/symbol``.

documentSymbol lists each path operation as ``GET /items/{item_id}`` at its function (the
router prefix included when it is known in the same file); hierarchical ``DocumentSymbol``s
when the client supports them, else ``SymbolInformation``.

workspace/symbol searches the routes of every ``*.py`` under the workspace roots by method and
path. A query starting with ``settings.docsSearchPrefix`` (default ``?``) searches the docs
instead: each hit is a ``SymbolInformation`` named after the section, located in the local
doc file when the section has one, else at its https URL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from pathlib import Path
import weakref
from typing import TYPE_CHECKING, Any, cast

from lsprotocol import types

from ..core.background import background_work
from ..core.routes import Route, RouteIndex, file_stamp, module_name_under, project_root, route_matches_query
from .positions import client_range, encoding_of

if TYPE_CHECKING:
    from ..core.analysis import ApiLookup
    from ..server import FastAPIDocsServer

log = logging.getLogger(__name__)

MAX_WORKSPACE_RESULTS = 500
DOCS_SEARCH_LIMIT = 30
RESCAN_SECONDS = 2.0


# --------------------------------------------------------------------------------------
# the workspace route index (shared with diagnostics)


#: documents longer than this (characters) are analysed on the worker thread, not the event loop:
#: a request must not hold the loop for more than ~100 ms (about 40k characters of Python)
LARGE_DOCUMENT = 40_000


def is_large(ls: FastAPIDocsServer, uri: str) -> bool:
    doc = getattr(ls.workspace, "text_documents", {}).get(uri)
    if doc is None:
        path = ls.path_of(uri)
        try:
            return os.path.getsize(path) > LARGE_DOCUMENT
        except OSError:
            return False
    try:
        return len(doc.source) > LARGE_DOCUMENT
    except (OSError, UnicodeDecodeError, ValueError):
        return False


class RouteState:
    """This feature's state: the workspace route index (and the project it indexes)."""

    def __init__(self) -> None:
        self.holder: tuple[Any, RouteIndex] | None = None
        self.scan_time = 0.0


_states: weakref.WeakKeyDictionary[Any, RouteState] = weakref.WeakKeyDictionary()


def state(ls: FastAPIDocsServer) -> RouteState:
    found = _states.get(ls)
    if found is None:
        found = _states[ls] = RouteState()
    return found


def route_index(ls: FastAPIDocsServer, create: bool = True) -> RouteIndex | None:
    holder = state(ls).holder
    if holder is not None and holder[0] is ls.project:
        return holder[1]
    if not create:
        return None
    project = ls.project

    def stamp_for(path: str) -> tuple:
        doc = ls.open_document_at(path)
        if doc is not None:
            return ("open", doc.version, len(doc.source))
        return file_stamp(path)

    # a bare folder (the file's own folder) stands for the project above it: index all of it,
    # or a router included from a parent folder's main.py reads as never included (FA007)
    roots = list(dict.fromkeys(project_root(root) for root in project.roots))

    def module_name_for(path: str) -> str | None:
        return project.modules.module_name_for(path) or module_name_under(path, roots)

    index = RouteIndex(
        roots,
        analysis_for=project.modules.analysis_for,
        module_name_for=module_name_for,
        db=lambda: cast("ApiLookup | None", project.db),
        max_file_size=ls.settings.maxFileSize,
        stamp_for=stamp_for,
    )
    state(ls).holder = (project, index)
    state(ls).scan_time = 0.0
    return index


def scan(ls: FastAPIDocsServer, token: types.ProgressToken | None = None) -> RouteIndex:
    """Bring the index up to date; the first scan reports work-done progress."""
    index = route_index(ls)
    assert index is not None
    now = time.monotonic()
    if index.ready and now - state(ls).scan_time < RESCAN_SECONDS:
        return index
    first = not index.ready
    if first:
        with ls.work_progress("FastAPI routes", token) as report:
            report("Scanning the workspace", 0.0)
            index.refresh(report)
            report("Routes indexed", 1.0)
    else:
        index.refresh(None)
    state(ls).scan_time = time.monotonic()
    if first:
        from .diagnostics import refresh_all

        refresh_all(ls)  # the unused-router rule can run now
        from .navigation import refresh_lenses

        loop = ls.loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(refresh_lenses, ls)  # the lenses can show routes and tests now
    return index


#: the workspace scan waits this long after loading, so the files the user opened first are
#: analysed without competing with it for the interpreter
SCAN_DELAY_SECONDS = 1.0


def start_background_scan(ls: FastAPIDocsServer) -> None:
    """After loading: index the workspace's routes in a thread (with progress)."""
    state(ls).holder = None
    route_index(ls)
    threading.Thread(target=lambda: _safe_scan(ls, SCAN_DELAY_SECONDS), name="fastapi-route-scan", daemon=True).start()


def _safe_scan(ls: FastAPIDocsServer, delay: float = 0.0) -> None:
    time.sleep(delay)
    if ls.stopping:
        return
    try:
        with background_work():  # yields to requests that arrive meanwhile
            scan(ls)
    except Exception:
        log.exception("workspace route scan failed")


# --------------------------------------------------------------------------------------
# conversions


def _route_range(lines, route: Route, encoding: str) -> tuple[types.Range, types.Range]:
    whole = route.def_span or route.decorator
    sel = route.name_span or route.decorator
    full = client_range(lines, whole.line, whole.start, whole.end_line, whole.end, encoding)
    selection = client_range(lines, sel.line, sel.start, sel.end_line, sel.end, encoding)
    if (selection.start.line, selection.start.character) < (full.start.line, full.start.character) or (
        selection.end.line,
        selection.end.character,
    ) > (full.end.line, full.end.character):
        selection = full
    return full, selection


def _kind(route: Route) -> types.SymbolKind:
    return types.SymbolKind.Event if route.methods == ("WEBSOCKET",) else types.SymbolKind.Method


def _detail(route: Route) -> str:
    parts = []
    if route.function:
        parts.append(route.function)
    parts.append(f"on {route.owner.name}")
    return " · ".join(parts)


def document_symbols(ls: FastAPIDocsServer, uri: str):
    found = ls.analysis_for(uri)
    if found is None:
        return None
    doc, path, analysis = found
    from ..core.routes import extract_routes

    routes = extract_routes(analysis, cast("ApiLookup | None", ls.project.db), ls.project.modules.module_name_for(path) if path else None).routes
    encoding = encoding_of(doc)
    if ls.client_supports("text_document", "document_symbol", "hierarchical_document_symbol_support"):
        out = []
        for route in routes:
            full, selection = _route_range(analysis.lines, route, encoding)
            out.append(
                types.DocumentSymbol(name=route.label, kind=_kind(route), range=full, selection_range=selection, detail=_detail(route))
            )
        return out
    return [
        types.SymbolInformation(
            name=route.label,
            kind=_kind(route),
            location=types.Location(uri=uri, range=_route_range(analysis.lines, route, encoding)[1]),
            container_name=_detail(route),
        )
        for route in routes
    ]


def workspace_symbols(ls: FastAPIDocsServer, query: str, token=None) -> list[types.SymbolInformation]:
    prefix = ls.settings.docsSearchPrefix
    if prefix and query.startswith(prefix):
        return docs_symbols(ls, query[len(prefix) :].strip())
    index = scan(ls, token)
    out: list[types.SymbolInformation] = []
    for entry, route in index.all_routes():
        if not route_matches_query(route, query):
            continue
        uri = Path(entry.path).as_uri()
        doc = ls.open_document_at(entry.path)
        encoding = encoding_of(doc) if doc is not None else types.PositionEncodingKind.Utf16
        _, selection = _route_range(entry.lines, route, encoding)
        out.append(
            types.SymbolInformation(
                name=route.label,
                kind=_kind(route),
                location=types.Location(uri=uri, range=selection),
                container_name=f"{route.function or ''} · {entry.module or Path(entry.path).name}".strip(" ·"),
            )
        )
        if len(out) >= MAX_WORKSPACE_RESULTS:
            break
    out.sort(key=lambda s: (s.name.split(" ", 1)[-1], s.name))
    return out


def docs_symbols(ls: FastAPIDocsServer, query: str) -> list[types.SymbolInformation]:
    """Docs search results as symbols (the topic-lookup prefix of workspace/symbol)."""
    if not query:
        return []
    docs = ls.project.wait_for_docs()
    if docs is None:
        return []
    try:
        hits = docs.search(query, DOCS_SEARCH_LIMIT)
    except Exception:
        log.exception("docs search failed for %r", query)
        return []
    out = []
    for hit in hits:
        section = hit.section
        canonical = docs.canonical(section) if hasattr(docs, "canonical") else section
        title = canonical.title or section.title
        breadcrumb = canonical.breadcrumb_text or section.breadcrumb_text
        if section.path and section.line_start is not None:
            start = section.line_start
            end = section.line_end if section.line_end is not None else start + 1
            location = types.Location(
                uri=Path(section.path).resolve().as_uri(),
                range=types.Range(start=types.Position(start, 0), end=types.Position(max(start, end), 0)),
            )
            kind = types.SymbolKind.File
        else:
            location = types.Location(uri=section.url, range=types.Range(start=types.Position(0, 0), end=types.Position(0, 0)))
            kind = types.SymbolKind.String
        out.append(types.SymbolInformation(name=title, kind=kind, location=location, container_name=breadcrumb or None))
    return out


def register(server: FastAPIDocsServer) -> None:
    from . import navigation  # definition, CodeLens and references read this feature's route index

    server.on_after_load(lambda: start_background_scan(server))
    navigation.register(server)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(ls: FastAPIDocsServer, params: types.DocumentSymbolParams):
        uri = params.text_document.uri
        try:
            if is_large(ls, uri):  # its analysis and route walk take longer than a loop turn may
                return await ls.in_worker(document_symbols, ls, uri)
            return document_symbols(ls, uri)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("documentSymbol failed")
            return None

    @server.feature(types.WORKSPACE_SYMBOL)
    @server.thread()
    def workspace_symbol(ls: FastAPIDocsServer, params: types.WorkspaceSymbolParams):
        try:
            return workspace_symbols(ls, params.query or "", params.work_done_token)
        except Exception:
            log.exception("workspace/symbol failed")
            return []

