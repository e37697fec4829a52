"""Route navigation: from a test-client call to its route and back.

- ``textDocument/definition`` on the URL of ``client.get("/items/1")`` goes to the handler(s) of
  the route(s) it reaches, best first;
- ``textDocument/codeLens``: "→ GET /api/v1/items/{item_id} · read_item" above each such call,
  and "N tests" above each route (``fastapi.codeLens`` turns them off);
- ``textDocument/references`` on a route handler lists the test calls reaching it;
- hover on the URL shows the route card (``route_hover``, called first by ``features/hover.py``).

Lens commands: ``fastapi.showReferences`` (client side) when the client advertises it in
``capabilities.experimental.commands.commands``, else the server's ``fastapi.openLocations``,
which shows the first location with ``window/showDocument``. Both take
``[uri, position, locations]``.

The core (``core/navigation.py``) does the matching; the route index (``features/symbols.py``)
is brought up to date file by file: an edited document is re-read on the next request, and the
lenses are refreshed (``workspace/codeLens/refresh``) after an edit changes what they show.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import weakref
from pathlib import Path
from typing import Any

from lsprotocol import types

from ..core import navigation as nav
from ..core.routes import FileRoutes, Route, RouteIndex, Span
from ..pygls_seam import RawJSON, raw_position
from ..transport import DECLINE
from .positions import client_range, encoding_of, line_text, to_code_points

from ..server import FastAPIDocsServer  # at run time: pygls reads the command handler's hints

log = logging.getLogger(__name__)

SHOW_REFERENCES = "fastapi.showReferences"
OPEN_LOCATIONS = "fastapi.openLocations"
#: lenses sent for one file at most (a generated module with thousands of calls)
MAX_LENSES = 2000
REFRESH_DELAY = 0.4

_encode = json.JSONEncoder(separators=(",", ":")).encode  # as the transport encodes


class _State:
    """The navigation view of the route index, rebuilt when the index's generation changes."""

    def __init__(self) -> None:
        self.workspaces: weakref.WeakKeyDictionary[RouteIndex, nav.Workspace] = weakref.WeakKeyDictionary()
        self.refresh_task: asyncio.Task[None] | None = None
        self.shown_generation: tuple[int, int] = (-1, -1)
        self.asked = False  # the client asked for lenses: only then is a refresh worth sending
        #: uri -> (what the lenses were computed from, the lenses, as JSON too)
        self.lenses: dict[str, tuple[tuple, list[dict[str, Any]], RawJSON]] = {}
        #: uri -> (what they were computed with, the lens of each call): after an edit, only the
        #: calls that changed are matched and converted again
        self.call_lenses: dict[str, tuple[tuple, dict[int, Any], tuple]] = {}


_states: weakref.WeakKeyDictionary[Any, _State] = weakref.WeakKeyDictionary()


def _state(ls: FastAPIDocsServer) -> _State:
    state = _states.get(ls)
    if state is None:
        state = _states[ls] = _State()
    return state


def _index(ls: FastAPIDocsServer) -> RouteIndex | None:
    from .symbols import route_index

    index = route_index(ls, create=False)
    return index if index is not None and index.ready else None


def _large_path(ls: FastAPIDocsServer, path: str) -> bool:
    from .symbols import is_large

    return is_large(ls, _uri(path))


def _open_paths(ls: FastAPIDocsServer) -> list[str]:
    docs = getattr(ls.workspace, "text_documents", {})
    return [ls.path_of(uri) for uri in list(docs) if uri.endswith(".py")]


def workspace(ls: FastAPIDocsServer, path: str) -> tuple[nav.Workspace, FileRoutes] | None:
    """The navigation workspace with the open documents' latest text, and ``path``'s entry
    (None before the first workspace scan, or when ``path`` is not a Python file it reads)."""
    index = _index(ls)
    if index is None:
        return None
    entry = None
    for open_path in _open_paths(ls):
        if open_path != path and _large_path(ls, open_path):
            continue  # re-read by its own refresh, on the worker thread
        try:
            got = index.update(open_path)  # cheap unless the document changed since last time
        except Exception:
            log.exception("navigation: reading %s failed", open_path)
            continue
        if open_path == path:
            entry = got
    if entry is None:
        entry = index.update(path)
    if entry is None:
        return None
    state = _state(ls)
    ws = state.workspaces.get(index)
    if ws is None or ws.generation != index.generation:
        ws = state.workspaces[index] = nav.Workspace(index, previous=ws)  # by file delta when it can
    return ws, entry


# --------------------------------------------------------------------------------------
# conversions


def _encoding(ls: FastAPIDocsServer, uri: str) -> str:
    doc = getattr(ls.workspace, "text_documents", {}).get(uri)
    return encoding_of(doc) if doc is not None else types.PositionEncodingKind.Utf16


def _range(lines: list[str], span: Span, encoding: str) -> dict[str, Any]:
    """An LSP Range as JSON (requests here answer JSON directly: thousands of lenses through
    cattrs cost more than computing them)."""
    if encoding == types.PositionEncodingKind.Utf32 or (
        0 <= span.line < len(lines) and lines[span.line].isascii() and (span.end_line == span.line or lines[span.end_line].isascii())
    ):
        return {"start": {"line": span.line, "character": span.start}, "end": {"line": span.end_line, "character": span.end}}
    r = client_range(lines, span.line, span.start, span.end_line, span.end, encoding)
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


@functools.lru_cache(maxsize=8192)
def _uri(path: str) -> str:
    return Path(path).as_uri()


def _route_location(ls: FastAPIDocsServer, target: nav.RouteTarget) -> dict[str, Any]:
    route = target.route
    span = route.name_span or route.decorator
    if route.kind == "add_api_route":
        span = route.decorator  # the add_api_route call; the endpoint may be defined elsewhere
    uri = _uri(target.path)
    return {"uri": uri, "range": _range(target.lines, span, _encoding(ls, uri))}


def _call_location(ls: FastAPIDocsServer, site: nav.CallSite) -> dict[str, Any]:
    uri = _uri(site.path)
    return {"uri": uri, "range": _range(site.lines, site.call.url_span, _encoding(ls, uri))}


def _client_commands(ls: FastAPIDocsServer) -> set[str]:
    experimental = getattr(ls.client_capabilities, "experimental", None)
    if not isinstance(experimental, dict):
        return set()
    commands = experimental.get("commands")
    names = commands.get("commands") if isinstance(commands, dict) else None
    return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()


def _lens(command: str, uri: str, at: dict[str, Any], title: str, locations: list[dict[str, Any]]) -> dict[str, Any]:
    start = at["start"]
    return {
        "range": {"start": start, "end": start},
        "command": {"title": title, "command": command, "arguments": [uri, start, locations]},
    }


# --------------------------------------------------------------------------------------
# requests


def code_lenses(ls: FastAPIDocsServer, uri: str) -> list[dict[str, Any]]:
    got = _lenses(ls, uri)
    return got[0] if got is not None else []


def code_lenses_json(ls: FastAPIDocsServer, uri: str) -> RawJSON:
    """The lenses as JSON (the raw path): a test file's hundreds of lenses are encoded once, and
    after an edit only the changed calls' lenses are encoded again."""
    got = _lenses(ls, uri)
    return got[1] if got is not None else RawJSON("[]")


def _lenses(ls: FastAPIDocsServer, uri: str) -> tuple[list[dict[str, Any]], RawJSON] | None:
    if not ls.settings.codeLens or not uri.endswith(".py"):
        return None
    _state(ls).asked = True
    path = ls.path_of(uri)
    got = workspace(ls, path)
    if got is None:
        return None
    ws, entry = got
    state = _state(ls)
    key = (id(ws), entry.stamp, ws.index.calls_generation)
    cached = state.lenses.get(uri)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    out, texts = _compute_lenses(ls, uri, path, ws, entry)
    text = RawJSON(f"[{','.join(texts)}]")
    if len(state.lenses) > 64:
        state.lenses.clear()
        state.call_lenses.clear()
    state.lenses[uri] = (key, out, text)
    return out, text


def _compute_lenses(ls: FastAPIDocsServer, uri: str, path: str, ws: nav.Workspace, entry: FileRoutes) -> tuple[list[dict[str, Any]], list[str]]:
    """The lenses of a file, and each one's JSON."""
    encoding = _encoding(ls, uri)
    command = SHOW_REFERENCES if SHOW_REFERENCES in _client_commands(ls) else OPEN_LOCATIONS
    lines = entry.lines
    out: list[dict[str, Any]] = []
    texts: list[str] = []
    if entry.facts is not None:
        # a call's lens depends on the call, the text of its lines (UTF-16 columns) and its
        # matches: kept per call while they are the same objects (a chunk that did not change
        # keeps its calls, see ``module_facts``; a workspace view updated by a file's delta keeps
        # the matches that did not change, see ``Workspace._keep_matches``)
        # (in the same view, with the same client fixtures, a call's matches are the same)
        state = _state(ls)
        made_with = (encoding, command)
        view = (weakref.ref(ws), frozenset(ws.client_fixtures))  # no strong reference: views are big
        known = state.call_lenses.get(uri)
        before = known[1] if known is not None and known[0] == made_with else {}
        same_view = known is not None and known[2] == view
        memo: dict[int, tuple[nav.ClientCall, str, str, list[nav.Match], tuple[dict[str, Any], str] | None]] = {}
        for call in entry.facts.calls:
            span = call.call_span
            first, last = line_text(lines, span.line), line_text(lines, span.end_line)
            hit = before.get(id(call))
            if hit is not None and not (hit[0] is call and hit[1] == first and hit[2] == last):
                hit = None
            matches = hit[3] if hit is not None and same_view else ws.matches(path, call)
            if hit is not None and hit[3] is matches:
                made = hit[4]
            else:
                made = None
                if matches:
                    locations = [_route_location(ls, m.target) for m in matches]
                    title = nav.lens_title(matches[0], len(matches) - 1)
                    lens = _lens(command, uri, _range(lines, span, encoding), title, locations)
                    made = (lens, _encode(lens))
            memo[id(call)] = (call, first, last, matches, made)
            if made is not None:
                out.append(made[0])
                texts.append(made[1])
                if len(out) >= MAX_LENSES:
                    break
        state.call_lenses[uri] = (made_with, memo, view)
        if len(out) >= MAX_LENSES:
            return out, texts
    if ws.has_tests():
        for route in entry.routes:
            if route.path is None:
                continue
            sites = ws.tests_of(path, route)
            at = _range(lines, route.decorator, encoding)
            lens = _lens(command, uri, at, nav.tests_title(len(sites)), [_call_location(ls, s) for s in sites])
            out.append(lens)
            texts.append(_encode(lens))
            if len(out) >= MAX_LENSES:
                break
    return out, texts


def _cursor(ls: FastAPIDocsServer, uri: str, entry: FileRoutes, position: types.Position) -> tuple[int, int]:
    col = to_code_points(line_text(entry.lines, position.line), position.character, _encoding(ls, uri))
    return position.line, col


def definition(ls: FastAPIDocsServer, uri: str, position: types.Position) -> list[dict[str, Any]] | None:
    path = ls.path_of(uri)
    got = workspace(ls, path)
    if got is None or got[1].facts is None:
        return None
    ws, entry = got
    assert entry.facts is not None
    call = nav.call_at(entry.facts.calls, *_cursor(ls, uri, entry, position))
    if call is None:
        return None
    matches = ws.matches(path, call)
    return [_route_location(ls, m.target) for m in matches] or None


def references(ls: FastAPIDocsServer, uri: str, position: types.Position, include_declaration: bool) -> list[dict[str, Any]] | None:
    path = ls.path_of(uri)
    got = workspace(ls, path)
    if got is None:
        return None
    ws, entry = got
    line, col = _cursor(ls, uri, entry, position)
    route = nav.route_at(entry.routes, line, col)
    if route is None:
        return None
    # every route of the handler (stacked decorators) counts
    routes: list[Route] = [r for r in entry.routes if route.function and r.function == route.function and r.owner is route.owner] or [route]
    out: list[dict[str, Any]] = []
    if include_declaration and route.name_span is not None:
        out.append({"uri": uri, "range": _range(entry.lines, route.name_span, _encoding(ls, uri))})
    seen: set[tuple] = set()
    for r in routes:
        for site in ws.tests_of(path, r):
            key = (site.path, site.call.url_span)
            if key not in seen:
                seen.add(key)
                out.append(_call_location(ls, site))
    return out


def route_hover(ls: FastAPIDocsServer, uri: str, line: int, character: int, lines: list[str]) -> dict[str, Any] | None:
    """The route card for a hover on a test-client call's URL, as LSP JSON; None elsewhere.

    ``lines``: the document's lines now. Cheap when the cursor is not on such a call: a line
    that cannot hold a call's URL (``may_be_call_url``) reads nothing more; else one look-up in
    the file's list of calls, read as the document is now (after an edit, only its changed
    chunks are read again: not its routes, whose extraction costs a pass over the module)."""
    if not uri.endswith(".py") or not nav.may_be_call_url(lines, line):
        return None
    index = _index(ls)
    if index is None:
        return None
    path = ls.path_of(uri)
    current = index.calls_for(path)
    if current is None or current[1] is None or not current[1].calls:
        return None
    encoding = _encoding(ls, uri)
    col = to_code_points(line_text(current[0], line), character, encoding)
    if nav.call_at(current[1].calls, line, col) is None:
        return None
    got = workspace(ls, path)  # the whole entry brought up to date: the same calls
    if got is None or got[1].facts is None:
        return None
    ws, entry = got
    call = nav.call_at(entry.facts.calls, line, col)
    if call is None:
        return None
    matches = ws.matches(path, call)
    if not matches:
        return None
    markdown = ls.markdown_supported("text_document", "hover", "content_format")
    text = nav.route_card(matches[0], len(matches) - 1, markdown=markdown)
    return {"contents": {"kind": "markdown" if markdown else "plaintext", "value": text}, "range": _range(entry.lines, call.url_span, encoding)}


# --------------------------------------------------------------------------------------
# keeping lenses fresh


def _schedule_refresh(ls: FastAPIDocsServer, path: str | None) -> None:
    """After an edit: re-read that file and, if what lenses show changed, ask for new ones."""
    if not ls.client_supports("workspace", "code_lens", "refresh_support"):
        return
    state = _state(ls)
    if state.refresh_task is not None:
        state.refresh_task.cancel()
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return

    async def later() -> None:
        try:
            await asyncio.sleep(REFRESH_DELAY)
            index = _index(ls)
            if index is not None and path is not None:
                await ls.in_worker(index.update, path)  # off the loop: the file may be large
        except asyncio.CancelledError:
            return
        except Exception:
            log.exception("navigation: reading %s failed", path)
        state.refresh_task = None
        refresh_lenses(ls)

    state.refresh_task = loop.create_task(later())


def refresh_lenses(ls: FastAPIDocsServer, path: str | None = None) -> None:
    index = _index(ls)
    if index is None or not ls.settings.codeLens:
        return
    if path is not None:
        try:
            index.update(path)
        except Exception:
            log.exception("navigation: reading %s failed", path)
    state = _state(ls)
    if not state.asked or (index.generation, index.calls_generation) == state.shown_generation:
        return
    state.shown_generation = (index.generation, index.calls_generation)
    if ls.client_supports("workspace", "code_lens", "refresh_support"):
        try:
            ls.workspace_code_lens_refresh(None)
        except Exception:
            log.debug("workspace/codeLens/refresh failed", exc_info=True)


async def open_locations(ls: FastAPIDocsServer, args: list[Any]) -> None:
    """``fastapi.openLocations [uri, position, locations]``: show the first location."""
    locations = args[2] if len(args) > 2 and isinstance(args[2], list) else []
    if not locations:
        ls.show_message("No location to open")
        return
    first = locations[0]
    try:
        uri = first["uri"]
        start, end = first["range"]["start"], first["range"]["end"]
        selection = types.Range(
            start=types.Position(line=int(start["line"]), character=int(start["character"])),
            end=types.Position(line=int(end["line"]), character=int(end["character"])),
        )
    except (KeyError, TypeError, ValueError):
        log.warning("fastapi.openLocations: malformed location %r", first)
        return
    for other in locations[1:]:
        log.info("fastapi.openLocations: also %s", other)
    if not ls.client_supports("window", "show_document", "support"):
        ls.show_message(f"{uri}:{selection.start.line + 1}")
        return
    try:
        await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, selection=selection, take_focus=True))
    except Exception:
        log.info("window/showDocument failed", exc_info=True)


async def _answer(ls: FastAPIDocsServer, uri: str, empty: Any, fn: Any, *args: Any) -> Any:
    """``fn(*args)``: on the event loop, or on the worker thread for a large document (reading
    it again after an edit takes longer than a loop turn may). Never raises."""
    try:
        if _large_path(ls, ls.path_of(uri)):
            return await ls.in_worker(fn, *args)
        return fn(*args)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("%s failed for %s", getattr(fn, "__name__", "navigation"), uri)
        return empty


def _raw(ls: FastAPIDocsServer, params: Any, what: str) -> Any:
    """The same answers from the JSON params, skipping cattrs (see transport.py); a large
    document is declined, for the typed handler to answer off the loop."""
    try:
        uri = params["textDocument"]["uri"]
    except (KeyError, TypeError):
        return DECLINE  # the typed path validates and answers with the proper error
    if not isinstance(uri, str) or _large_path(ls, ls.path_of(uri)):
        return DECLINE
    if what == "codeLens":
        return code_lenses_json(ls, uri)
    where = raw_position(params)
    if where is None:
        return DECLINE
    _, line, character = where
    return definition(ls, uri, types.Position(line=line, character=character))


def register(server: FastAPIDocsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(ls: FastAPIDocsServer, params: types.CodeLensParams) -> list[dict[str, Any]]:
        return await _answer(ls, params.text_document.uri, [], code_lenses, ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def goto_definition(ls: FastAPIDocsServer, params: types.DefinitionParams) -> list[dict[str, Any]] | None:
        return await _answer(ls, params.text_document.uri, None, definition, ls, params.text_document.uri, params.position)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def find_references(ls: FastAPIDocsServer, params: types.ReferenceParams) -> list[dict[str, Any]] | None:
        uri = params.text_document.uri
        return await _answer(ls, uri, None, references, ls, uri, params.position, params.context.include_declaration)

    server.raw_request(types.TEXT_DOCUMENT_CODE_LENS, lambda params: _raw(server, params, "codeLens"))
    server.raw_request(types.TEXT_DOCUMENT_DEFINITION, lambda params: _raw(server, params, "definition"))

    @server.command(OPEN_LOCATIONS)
    async def _open_locations(ls: FastAPIDocsServer, *args: Any) -> None:
        unwrapped = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
        await open_locations(ls, unwrapped)

    def on_change(ls: FastAPIDocsServer, params: Any) -> None:
        _schedule_refresh(ls, ls.path_of(params.text_document.uri))

    server.on_document("change", on_change)
    server.on_document("save", on_change)
    server.on_document("configuration", lambda ls, params: refresh_lenses(ls))
