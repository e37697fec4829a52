"""Diagnostics through the real server: pulled (Neovim 0.11 profile) or pushed (VS Code 1.65 profile)."""

from __future__ import annotations

import asyncio
import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..conftest import WORKSPACE
from .conftest import SERVER_CMD, SERVER_ENV, init_params, open_doc, wait_ready

BAD = '''from fastapi import APIRouter, Depends, FastAPI, Query

app = FastAPI()


def get_db():
    yield "db"


@app.on_event("startup")
async def startup():
    pass


@app.get("/items/{item_id}")
async def read_item(q: str | None = Query(default=None, regex="^a")):
    return q


@app.get("/items/me")
async def read_me(db=Depends(get_db())):
    return db
'''


def _pulls(client: LanguageClient) -> bool:
    return client.capabilities.text_document.diagnostic is not None


async def diagnostics_for(client: LanguageClient, uri: str, timeout: float = 10.0) -> list[types.Diagnostic]:
    """Pull them when the client pulls, else wait for the server to push them."""
    if _pulls(client):
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        return list(report.items)
    deadline = asyncio.get_event_loop().time() + timeout
    while asyncio.get_event_loop().time() < deadline:
        if uri in client.diagnostics:
            return list(client.diagnostics[uri])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no diagnostics were published for {uri}")


async def test_one_delivery_mode_per_client(client: LanguageClient):
    """Clients that pull get no pushed diagnostics; the others get them pushed."""
    uri = open_doc(client, WORKSPACE / "scratch_mode.py", BAD)
    if _pulls(client):
        first = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert first.kind == "full" and first.items and first.result_id
        # nothing changed: "unchanged" (the background route scan finishing in between may
        # legitimately produce one more full report first)
        previous, again = first, None
        for _ in range(5):
            again = await client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=previous.result_id)
            )
            if again.kind == "unchanged":
                break
            previous = again
            await asyncio.sleep(0.2)
        assert again.kind == "unchanged" and again.result_id == previous.result_id
        await asyncio.sleep(0.6)
        assert uri not in client.diagnostics
    else:
        assert await diagnostics_for(client, uri)


async def test_diagnostics_have_codes_severities_and_doc_links(client: LanguageClient):
    uri = open_doc(client, WORKSPACE / "scratch_diagnostics.py", BAD)
    items = await diagnostics_for(client, uri)
    by_code = {d.code: d for d in items}
    assert set(by_code) == {"FA001", "FA002", "FA003", "FA004", "FA006"}, [(d.code, d.message) for d in items]
    assert all(d.source == "fastapi" for d in items)
    assert by_code["FA004"].severity == types.DiagnosticSeverity.Error
    assert by_code["FA001"].severity == types.DiagnosticSeverity.Warning
    assert by_code["FA002"].code_description.href == "https://fastapi.tiangolo.com/tutorial/query-params-str-validations/#add-regular-expressions"
    assert by_code["FA003"].code_description.href == "https://fastapi.tiangolo.com/advanced/events/#lifespan"
    assert types.DiagnosticTag.Deprecated in (by_code["FA002"].tags or [])
    # FA001 points at `{item_id}` inside the path literal
    fa001 = by_code["FA001"].range
    line = BAD.splitlines()[fa001.start.line]
    assert line[fa001.start.character : fa001.end.character] == "{item_id}"
    # the shadowed route points back at the route that catches it
    related = by_code["FA006"].related_information
    assert related and related[0].location.range.start.line == BAD.splitlines().index('@app.get("/items/{item_id}")')


async def test_clean_fixture_workspace_has_no_diagnostics(client: LanguageClient):
    for path in sorted(WORKSPACE.rglob("*.py")):
        uri = open_doc(client, path)
        assert await diagnostics_for(client, uri) == [], path


async def test_diagnostics_follow_edits(client: LanguageClient):
    path = WORKSPACE / "scratch_edit.py"
    good = 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/items/{item_id}")\nasync def read_item(item_id: int):\n    return item_id\n'
    uri = open_doc(client, path, good)
    assert await diagnostics_for(client, uri) == []
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=good.replace("item_id: int", "q: int"))],
        )
    )
    items = await diagnostics_for(client, uri)
    assert [d.code for d in items] == ["FA001"]


async def test_rules_can_be_turned_off_or_changed(client: LanguageClient):
    client.set_configuration({"fastapi": {"diagnostics": {"rules": {"FA003": "off", "deprecated-parameter": "error"}}}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.3)
    uri = open_doc(client, WORKSPACE / "scratch_settings.py", BAD)
    items = await diagnostics_for(client, uri)
    codes = {d.code: d for d in items}
    assert "FA003" not in codes
    assert codes["FA002"].severity == types.DiagnosticSeverity.Error


# --------------------------------------------------------------------------------------
# the first minute: files opened before the server is ready; a bare-folder root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_CMD, server_env=SERVER_ENV))
async def early_client(lsp_client: LanguageClient):
    """Neovim 0.11's way: pulls diagnostics, cannot be asked to pull again (no refreshSupport)."""
    lsp_client.set_configuration({"fastapi": {"pythonPath": sys.executable}})
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_files_opened_before_ready_get_diagnostics_without_an_edit(early_client: LanguageClient):
    params = init_params("neovim")
    assert params.capabilities.text_document.diagnostic is not None
    assert not (params.capabilities.workspace.diagnostics and params.capabilities.workspace.diagnostics.refresh_support)
    await early_client.initialize_session(params)
    uris = [open_doc(early_client, WORKSPACE / f"scratch_early_{n}.py", BAD) for n in range(3)]  # before the docs load
    deadline = asyncio.get_event_loop().time() + 60
    while asyncio.get_event_loop().time() < deadline:
        if all(early_client.diagnostics.get(uri) for uri in uris):
            break
        await asyncio.sleep(0.1)
    for uri in uris:
        codes = {d.code for d in early_client.diagnostics.get(uri, [])}
        assert "FA004" in codes, (uri, codes)
    # the one the client then pulls itself: the pushed copy is withdrawn (nothing shows twice)
    report = await early_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uris[0]))
    )
    assert {d.code for d in report.items} >= {"FA004"}
    for _ in range(50):
        if not early_client.diagnostics.get(uris[0]):
            break
        await asyncio.sleep(0.05)
    assert uris[0] in early_client.diagnostics and len(early_client.diagnostics[uris[0]]) == 0


async def test_bare_folder_root_sees_the_whole_project(early_client: LanguageClient):
    """Eglot without VCS, or Neovim without a root marker, gives the file's folder as the root:
    the router included by the parent folder's main.py is no FA007 "never included"."""
    bare = WORKSPACE / "app" / "routers"
    await early_client.initialize_session(init_params("neovim", root=bare))
    await wait_ready(early_client)
    symbols = await early_client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))  # waits for the scan
    assert any(s.location.uri == (WORKSPACE / "app" / "main.py").as_uri() for s in symbols)  # the parent was indexed
    uri = open_doc(early_client, bare / "items.py")
    report = await early_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert "FA007" not in {d.code for d in report.items}
    # a router nothing includes is still reported (in a module nothing imports)
    text = (bare / "items.py").read_text().replace("router = APIRouter(", "orphan = APIRouter()\n\n\n@orphan.get(\"/orphan\")\ndef orphan_route():\n    return 1\n\n\nrouter = APIRouter(", 1)
    uri = open_doc(early_client, bare / "scratch_orphan.py", text)
    await early_client.workspace_symbol_async(types.WorkspaceSymbolParams(query="orphan"))
    report = await early_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert any(d.code == "FA007" and "`orphan`" in d.message for d in report.items)
