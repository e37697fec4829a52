"""fastapi.searchDocs, fastapi.openReference and the docs prefix of workspace/symbol, end to end."""

from __future__ import annotations

import asyncio
import sys

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..conftest import CORPORA, WORKSPACE
from .conftest import open_doc, position_of

ITEMS = WORKSPACE / "app" / "routers" / "items.py"


async def run(client: LanguageClient, command: str, *args):
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=command, arguments=list(args)))


@pytest.mark.parametrize("args", [["oauth scopes"], [{"query": "oauth scopes", "limit": 3}], [{"query": "oauht scopse"}]])
async def test_search_docs_argument_shapes(client: LanguageClient, args):
    hits = await run(client, "fastapi.searchDocs", *args)
    assert hits and hits[0]["url"].startswith("https://fastapi.tiangolo.com/advanced/security/oauth2-scopes/")
    assert {"title", "breadcrumb", "url", "category", "score", "excerpt"} <= set(hits[0])
    if isinstance(args[0], dict) and "limit" in args[0]:
        assert len(hits) <= 3


@pytest.mark.parametrize("args", [[], [None], [{"query": 3}], [{"limit": "x"}], [["nested"]]])
async def test_search_docs_bad_arguments_are_not_errors(client: LanguageClient, args):
    hits = await run(client, "fastapi.searchDocs", *args)
    assert isinstance(hits, list)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("how do I upload a file", "/tutorial/request-files/"),
        ("run code on startup", "/advanced/events/"),
        ("jsonable_encoder", "/tutorial/encoder/"),
        ("OAuth2PasswordBearer", "/tutorial/security/"),
    ],
)
async def test_search_finds_pages(client: LanguageClient, query, expected):
    hits = await run(client, "fastapi.searchDocs", {"query": query, "limit": 3})
    assert any(expected in hit["url"] for hit in hits), [h["url"] for h in hits]


async def test_open_reference_at_cursor_shows_the_section(client: LanguageClient):
    text = ITEMS.read_text()
    uri = open_doc(client, ITEMS, text)
    result = await run(client, "fastapi.openReference", {"uri": uri, "position": position_of(text, "max_length=50", 1)})
    assert result["url"].startswith("https://fastapi.tiangolo.com/tutorial/query-params-str-validations/")
    for _ in range(50):
        if client.shown_documents:
            break
        await asyncio.sleep(0.05)
    shown = client.shown_documents[-1]
    assert shown.uri == result["url"] and shown.external


async def test_open_reference_by_symbol(client: LanguageClient):
    result = await run(client, "fastapi.openReference", {"symbol": "fastapi.Depends"})
    assert result["url"].startswith("https://fastapi.tiangolo.com/tutorial/dependencies/")


async def test_open_reference_outside_symbols_is_null(client: LanguageClient):
    text = ITEMS.read_text()
    uri = open_doc(client, ITEMS, text)
    assert await run(client, "fastapi.openReference", {"uri": uri, "position": position_of(text, "ITEMS =")}) is None
    assert await run(client, "fastapi.openReference", {"nonsense": True}) is None


async def test_workspace_symbol_docs_prefix(client: LanguageClient):
    result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="?oauth scopes"))
    assert result and any("OAuth2 scopes" in (s.name or "") for s in result)


async def test_open_reference_in_editor_with_local_docs(client: LanguageClient):
    skill = CORPORA / "fastapi-skill"
    if not skill.exists():
        pytest.skip("../shared/corpora not available")
    client.set_configuration({"fastapi": {"pythonPath": sys.executable, "referencePaths": [str(skill)], "openReferencesIn": "editor"}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    for _ in range(200):
        info = await run(client, "fastapi.serverInfo")
        if any(s["kind"] == "skill" and s["sections"] > 1000 for s in info["docsSources"]):
            break
        await asyncio.sleep(0.1)
    result = await run(client, "fastapi.openReference", {"symbol": "fastapi.Depends"})
    assert result["uri"].startswith("file://") and "range" in result
    await asyncio.sleep(0.2)
    shown = client.shown_documents[-1]
    assert shown.uri == result["uri"] and not shown.external and shown.selection is not None
