"""FastAPI's docs in the user's language through the real server: the client's locale, the
docsLanguage setting, localized hover/diagnostic links and topic lookup in the language."""

from __future__ import annotations

import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..conftest import WORKSPACE
from .conftest import SERVER_CMD, SERVER_ENV, init_params, open_doc, position_of, wait_ready
from .test_diagnostics_e2e import BAD, diagnostics_for

ITEMS = WORKSPACE / "app" / "routers" / "items.py"
SITE = "https://fastapi.tiangolo.com/"


def _params(profile: str, locale: str, options: dict | None = None) -> types.InitializeParams:
    params = init_params(profile, options)
    params.locale = locale
    return params


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_CMD, server_env=SERVER_ENV),
    params=["visual-studio-code", "neovim"],
)
async def spanish(lsp_client: LanguageClient, request):
    """An editor whose UI is in Spanish (``locale: "es"``), docsLanguage left at "auto"."""
    lsp_client.set_configuration({"fastapi": {"pythonPath": sys.executable}})
    await lsp_client.initialize_session(_params(request.param, "es"))
    await wait_ready(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_CMD, server_env=SERVER_ENV))
async def overridden(lsp_client: LanguageClient):
    """A Spanish editor whose user asked for the traditional Chinese docs (``docsLanguage``)."""
    settings = {"pythonPath": sys.executable, "docsLanguage": "zh-TW"}
    lsp_client.set_configuration({"fastapi": settings})
    await lsp_client.initialize_session(_params("visual-studio-code", "es", {"docsLanguage": "zh-TW"}))
    await wait_ready(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def _hover(client: LanguageClient, needle: str) -> str:
    text = ITEMS.read_text()
    uri = open_doc(client, ITEMS, text)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(text, needle, 1))
    )
    assert hover is not None, needle
    return hover.contents.value if isinstance(hover.contents, types.MarkupContent) else str(hover.contents)


async def _run(client: LanguageClient, command: str, *args):
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=command, arguments=list(args)))


async def test_locale_es_links_spanish_pages(spanish: LanguageClient):
    info = await _run(spanish, "fastapi.serverInfo")
    assert info["docsLanguage"] == "es"
    value = await _hover(spanish, "max_length=50")
    assert SITE + "es/tutorial/query-params-str-validations/" in value
    assert SITE + "tutorial/query-params-str-validations/" not in value
    assert "Parámetros de Query" in value  # the page's Spanish title as link text


async def test_locale_es_searches_in_spanish(spanish: LanguageClient):
    hits = await _run(spanish, "fastapi.searchDocs", {"query": "tarea en segundo plano", "limit": 5})
    assert any(h["url"].startswith(SITE + "es/tutorial/background-tasks/") for h in hits[:3]), hits
    symbols = await spanish.workspace_symbol_async(types.WorkspaceSymbolParams(query="?manejar errores"))
    assert symbols and any(s.location.uri.startswith(SITE + "es/tutorial/handling-errors/") for s in symbols[:3]), symbols


async def test_locale_es_diagnostic_links(spanish: LanguageClient):
    uri = open_doc(spanish, WORKSPACE / "scratch_i18n_diagnostics.py", BAD)
    by_code = {d.code: d for d in await diagnostics_for(spanish, uri)}
    assert by_code["FA002"].code_description.href == SITE + "es/tutorial/query-params-str-validations/#add-regular-expressions"
    assert by_code["FA003"].code_description.href == SITE + "es/advanced/events/#lifespan"


async def test_docs_language_setting_overrides_the_locale(overridden: LanguageClient):
    info = await _run(overridden, "fastapi.serverInfo")
    assert info["docsLanguage"] == "zh-hant"
    value = await _hover(overridden, "max_length=50")
    assert SITE + "zh-hant/tutorial/query-params-str-validations/" in value
    hits = await _run(overridden, "fastapi.searchDocs", ["背景執行任務"])
    assert hits and hits[0]["url"].startswith(SITE + "zh-hant/tutorial/background-tasks/")
    # switching the setting back to English takes effect without a restart
    overridden.set_configuration({"fastapi": {"pythonPath": sys.executable, "docsLanguage": "en"}})
    overridden.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    import asyncio

    for _ in range(50):
        info = await _run(overridden, "fastapi.serverInfo")
        if info["docsLanguage"] == "en":
            break
        await asyncio.sleep(0.1)
    assert info["docsLanguage"] == "en"
    value = await _hover(overridden, "max_length=50")
    assert SITE + "tutorial/query-params-str-validations/" in value and "/zh-hant/" not in value


async def test_locale_es_code_action_and_open_reference(spanish: LanguageClient):
    text = ITEMS.read_text()
    uri = open_doc(spanish, ITEMS, text)
    pos = position_of(text, "max_length=50", 1)
    actions = await spanish.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=pos, end=pos),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    # (the client library may read the action back as a Command: only its title matters here)
    titles = [a.title for a in actions or [] if a.title.startswith("Open FastAPI docs: ")]
    assert titles, actions
    title = titles[0].removeprefix("Open FastAPI docs: ")
    assert title.startswith("Parámetros de Query"), title
    arguments = [{"uri": uri, "position": {"line": pos.line, "character": pos.character}}]
    payload = await _run(spanish, "fastapi.openReference", *arguments)
    assert payload["url"].startswith(SITE + "es/tutorial/query-params-str-validations/")
    assert payload["title"] == title
