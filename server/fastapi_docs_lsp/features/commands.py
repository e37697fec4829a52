"""workspace/executeCommand: fastapi.searchDocs, fastapi.openReference, fastapi.serverInfo."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from ..core.references import reference_payload, symbol_occurrence
from ..server import FastAPIDocsServer, needs_docs
from .positions import encoding_of, line_text, to_code_points

log = logging.getLogger(__name__)

SEARCH_DOCS = "fastapi.searchDocs"
OPEN_REFERENCE = "fastapi.openReference"
SERVER_INFO = "fastapi.serverInfo"


def _arg(args: Any) -> Any:
    if isinstance(args, (list, tuple)):
        return args[0] if args else None
    return args


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def occurrence_from_args(ls: FastAPIDocsServer, arg: Any):
    """Find the symbol for ``{"uri", "position"}`` or ``{"symbol", "param"?}`` arguments."""
    if isinstance(arg, str):
        return symbol_occurrence(arg)
    symbol = _get(arg, "symbol")
    if isinstance(symbol, str) and symbol:
        param = _get(arg, "param")
        return symbol_occurrence(symbol, param if isinstance(param, str) else None)
    uri, position = _get(arg, "uri"), _get(arg, "position")
    if not isinstance(uri, str) or position is None:
        return None
    found = ls.analysis_for(uri)
    if found is None:
        return None
    doc, _, analysis = found
    line, character = _get(position, "line"), _get(position, "character")
    if not isinstance(line, int) or not isinstance(character, int):
        return None
    col = to_code_points(line_text(analysis.lines, line), character, encoding_of(doc))
    return analysis.at(line, col)


def open_reference(ls: FastAPIDocsServer, arg: Any) -> dict[str, Any] | None:
    occ = occurrence_from_args(ls, arg)
    if occ is None:
        return None
    payload = reference_payload(ls.project.reference_for(occ), ls.project.docs, ls.settings.openReferencesIn)
    if payload is None:
        return None
    show_document(ls, payload)
    return payload


def show_document(ls: FastAPIDocsServer, payload: dict[str, Any]) -> None:
    if not ls.client_supports("window", "show_document"):
        log.info("client cannot show documents; open %s", payload["url"])
        return
    if payload.get("external", True) or "uri" not in payload:
        params = types.ShowDocumentParams(uri=payload["url"], external=True)
    else:
        r = payload["range"]
        params = types.ShowDocumentParams(
            uri=payload["uri"],
            external=False,
            take_focus=True,
            selection=types.Range(
                start=types.Position(r["start"]["line"], r["start"]["character"]),
                end=types.Position(r["end"]["line"], r["end"]["character"]),
            ),
        )
    try:
        ls.window_show_document(params)
    except Exception as exc:
        log.info("window/showDocument failed: %s", exc, exc_info=True)


def search_docs(ls: FastAPIDocsServer, args: Any) -> list[dict[str, Any]]:
    docs = ls.project.docs
    if docs is None:
        return []
    from ..core.docs.index import search_payload

    return search_payload(docs, list(args) if isinstance(args, (list, tuple)) else [args])


def register(server: FastAPIDocsServer) -> None:
    # both wait (asynchronously) for a first load of the docs still under way
    @server.command(SEARCH_DOCS)
    @needs_docs(search=True)
    def _search(ls: FastAPIDocsServer, *args) -> list[dict[str, Any]]:
        return search_docs(ls, _unwrap(args))

    @server.command(OPEN_REFERENCE)
    @needs_docs()
    def _open(ls: FastAPIDocsServer, *args) -> dict[str, Any] | None:
        return open_reference(ls, _arg(_unwrap(args)))

    @server.command(SERVER_INFO)
    def _info(ls: FastAPIDocsServer, *args) -> dict[str, Any]:
        return ls.project.info()


def _unwrap(args: tuple) -> list:
    """pygls passes command arguments either spread or as one list, depending on version."""
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    return list(args)
