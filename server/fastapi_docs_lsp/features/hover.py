"""textDocument/hover: the core renders; this converts positions and wraps the result.

Hover is the hottest request (editors send one whenever the mouse rests), so the result is built
as JSON directly and also registered as a raw handler, which skips pygls' cattrs conversions
(transport.py). The typed handler answers with the same function when the raw path declines.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from ..pygls_seam import DECLINE, raw_position
from ..server import FastAPIDocsServer, needs_docs
from .navigation import route_hover
from .positions import encoding_of, line_text, to_client, to_code_points


def hover_result(ls: FastAPIDocsServer, uri: str, line: int, character: int) -> dict[str, Any] | None:
    """The LSP ``Hover`` for a position, as JSON (None: nothing FastAPI there)."""
    found = ls.analysis_for(uri)
    if found is None:
        return None
    doc, _path, analysis = found
    card = route_hover(ls, uri, line, character, analysis.lines)  # a test-client call's URL: the route it reaches
    if card is not None:
        return card
    encoding = encoding_of(doc)
    lines = analysis.lines
    col = to_code_points(line_text(lines, line), character, encoding)
    markdown = ls.markdown_supported("text_document", "hover", "content_format")
    result = ls.project.hover_in(analysis, line, col, markdown=markdown)
    if result is None:
        return None
    text, occ = result
    row = line_text(lines, occ.line)
    return {
        "contents": {"kind": "markdown" if markdown else "plaintext", "value": text},
        "range": {
            "start": {"line": occ.line, "character": to_client(row, occ.start, encoding)},
            "end": {"line": occ.line, "character": to_client(row, occ.end, encoding)},
        },
    }


def _raw_hover(ls: FastAPIDocsServer, params: Any) -> Any:
    if not ls.docs_ready():
        return DECLINE  # the typed handler waits for the docs (without blocking the loop)
    where = raw_position(params)
    return DECLINE if where is None else hover_result(ls, *where)


def register(server: FastAPIDocsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @needs_docs()
    def hover(ls: FastAPIDocsServer, params: types.HoverParams) -> dict[str, Any] | None:
        return hover_result(ls, params.text_document.uri, params.position.line, params.position.character)

    server.raw_request(types.TEXT_DOCUMENT_HOVER, lambda params: _raw_hover(server, params))
