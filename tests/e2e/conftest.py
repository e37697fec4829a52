"""pytest-lsp fixtures: the real server process, with VS Code's and Neovim's client capabilities."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..conftest import WORKSPACE

CACHE = Path(os.environ.get("FASTAPI_DOCS_LSP_E2E_CACHE", "/tmp/fastapi-docs-lsp-test-cache"))
SERVER_ENV = {**os.environ, "FASTAPI_DOCS_LSP_CACHE_DIR": str(CACHE)}
SERVER_CMD = [sys.executable, "-m", "fastapi_docs_lsp"]
CLIENTS = ["visual-studio-code", "neovim"]


def init_params(profile: str, options: dict | None = None, root: Path = WORKSPACE) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=client_capabilities(profile),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options={"fastapi": {"pythonPath": sys.executable, **(options or {})}},
    )


async def wait_ready(client: LanguageClient, timeout: float = 60.0) -> dict:
    """Wait for the server's "FastAPI docs: ..." log message (sent once the docs are loaded),
    then return ``fastapi.serverInfo``. Waits for the notification, never sleeps and polls."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    def loaded() -> bool:
        return any(m.message.startswith("FastAPI docs:") for m in client.log_messages)

    while not loaded() and loop.time() < deadline:
        try:
            await asyncio.wait_for(client.wait_for_notification(types.WINDOW_LOG_MESSAGE), deadline - loop.time())
        except asyncio.TimeoutError:
            break
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command="fastapi.serverInfo")) or {}


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_CMD, server_env=SERVER_ENV),
    params=CLIENTS,
)
async def client(lsp_client: LanguageClient, request):
    """A client of the given editor profile, initialised on the fixture workspace, docs loaded."""

    lsp_client.set_configuration({"fastapi": {"pythonPath": sys.executable}})
    await lsp_client.initialize_session(init_params(request.param))
    await wait_ready(lsp_client)
    yield
    await lsp_client.shutdown_session()


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=path.read_text() if text is None else text
            )
        )
    )
    return uri


def position_of(text: str, needle: str, offset: int = 0, occurrence: int = 0) -> types.Position:
    """The position of the ``occurrence``-th ``needle`` in ``text`` (plus ``offset`` characters)."""
    idx = -1
    for _ in range(occurrence + 1):
        idx = text.index(needle, idx + 1)
    idx += offset
    line = text.count("\n", 0, idx)
    col = idx - (text.rfind("\n", 0, idx) + 1)
    return types.Position(line=line, character=col)
