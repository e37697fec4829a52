"""Route outline through the real server: documentSymbol and workspace/symbol (+ the docs prefix)."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from ..conftest import WORKSPACE
from .conftest import open_doc

ITEMS = WORKSPACE / "app" / "routers" / "items.py"


async def test_document_symbols_list_routes_with_prefix(client: LanguageClient):
    uri = open_doc(client, ITEMS)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    names = [s.name for s in symbols]
    assert names == ["GET /items/", "GET /items/{item_id}", "POST /items/", "DELETE /items/{item_id}"]
    lines = ITEMS.read_text().split("\n")
    read_item = symbols[1]
    if isinstance(read_item, types.DocumentSymbol):  # hierarchical clients
        sel = read_item.selection_range
        assert lines[sel.start.line][sel.start.character : sel.end.character] == "read_item"
        assert read_item.range.start.line == sel.start.line - 1  # the decorator line
        assert "read_item" in read_item.detail
    else:
        loc = read_item.location.range
        assert lines[loc.start.line][loc.start.character : loc.end.character] == "read_item"


async def test_workspace_symbols_search_routes(client: LanguageClient):
    result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="get /users"))
    names = {s.name for s in result}
    assert names == {"GET /users/me"}
    symbol = next(iter(result))
    assert symbol.location.uri == (WORKSPACE / "app" / "routers" / "users.py").as_uri()
    everything = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    assert {s.name for s in everything} >= {
        "POST /send-notification/{email}",
        "GET /items/{item_id}",
        "DELETE /items/{item_id}",
        "WS /users/ws",
        "POST /",
    }
    assert await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="patch /nothing")) == []


async def test_workspace_symbols_docs_prefix_searches_the_docs(client: LanguageClient):
    result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="?dependencies with yield"))
    assert result, "docs search returned nothing"
    first = result[0]
    assert "yield" in first.name.lower() or "yield" in (first.container_name or "").lower()
    for symbol in result:
        uri = symbol.location.uri
        if uri.startswith("https://"):
            assert symbol.kind == types.SymbolKind.String and uri.startswith("https://fastapi.tiangolo.com/")
        else:
            assert symbol.kind == types.SymbolKind.File and uri.startswith("file://")
    # no routes mixed in
    assert not any(s.name.startswith(("GET ", "POST ")) for s in result)
