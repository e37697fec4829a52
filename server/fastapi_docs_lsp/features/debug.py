"""Debug commands for tests and benchmarks, registered only when ``FASTAPI_DOCS_LSP_DEBUG=1``.

``fastapi.debug.documentText``: the server's current text of an open document (to check that
incremental synchronisation reproduces the editor's text exactly).
"""

from __future__ import annotations

import os
from urllib.parse import unquote
from typing import Any

DOCUMENT_TEXT = "fastapi.debug.documentText"


def enabled() -> bool:
    return os.environ.get("FASTAPI_DOCS_LSP_DEBUG") == "1"


def document_text(ls, args: Any) -> dict[str, Any] | None:
    if isinstance(args, (list, tuple)):
        args = args[0] if args else None
    uri = args.get("uri") if isinstance(args, dict) else args
    if not isinstance(uri, str):
        return None
    docs = getattr(ls.workspace, "text_documents", {})
    doc = docs.get(uri) or docs.get(unquote(uri))
    if doc is None:
        return None
    return {"uri": uri, "version": doc.version, "text": doc.source}


def register(server) -> None:
    if not enabled():
        return

    @server.command(DOCUMENT_TEXT)
    def _document_text(ls, *args) -> dict[str, Any] | None:
        return document_text(ls, args[0] if len(args) == 1 else list(args))
