"""Debug commands for tests and benchmarks, registered only when ``FASTAPI_DOCS_LSP_DEBUG=1``.

``fastapi.debug.documentText``: the server's current text of an open document (to check that
incremental synchronisation reproduces the editor's text exactly).
"""

from __future__ import annotations

import os
from typing import Any

from ..pygls_seam import SyncedWorkspace
from ..server import FastAPIDocsServer

DOCUMENT_TEXT = "fastapi.debug.documentText"


def enabled() -> bool:
    return os.environ.get("FASTAPI_DOCS_LSP_DEBUG") == "1"


def document_text(ls: FastAPIDocsServer, args: Any) -> dict[str, Any] | None:
    if isinstance(args, (list, tuple)):
        args = args[0] if args else None
    uri = args.get("uri") if isinstance(args, dict) else args
    if not isinstance(uri, str):
        return None
    ws = ls.workspace
    doc = ws.open_document(uri) if isinstance(ws, SyncedWorkspace) else ws.text_documents.get(uri)
    if doc is None:
        return None
    return {"uri": uri, "version": doc.version, "text": doc.source}


def register(server: FastAPIDocsServer) -> None:
    if not enabled():
        return

    @server.command(DOCUMENT_TEXT)
    def _document_text(ls: FastAPIDocsServer, *args) -> dict[str, Any] | None:
        return document_text(ls, args[0] if len(args) == 1 else list(args))
