"""Start-up behaviour: progress, missing or broken fastapi, odd settings, odd files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..conftest import WORKSPACE
from .conftest import SERVER_CMD, SERVER_ENV, init_params, open_doc, position_of, wait_ready

DEPENDS_SRC = "from fastapi import Depends, FastAPI\napp = FastAPI()\n\ndef dep():\n    return 1\n\n@app.get('/')\ndef root(x=Depends(dep)):\n    return x\n"


def _fake_env(root: Path, fastapi_init: str | None) -> Path:
    venv = root / "env"
    sp = venv / "lib" / "python3.11" / "site-packages"
    sp.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    if fastapi_init is not None:
        (sp / "fastapi").mkdir()
        (sp / "fastapi" / "__init__.py").write_text(fastapi_init)
    return venv


async def _start(lsp_client: LanguageClient, root: Path, options: dict) -> None:
    await lsp_client.initialize_session(init_params("visual-studio-code", options, root))


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_CMD, server_env=SERVER_ENV))
async def bare_client(lsp_client: LanguageClient):
    yield lsp_client
    await lsp_client.shutdown_session()


async def _hover_depends(client: LanguageClient, root: Path):
    uri = open_doc(client, root / "main.py", DEPENDS_SRC)
    return await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(DEPENDS_SRC, "Depends(dep)", 1))
    )


async def test_progress_is_reported_while_loading(bare_client: LanguageClient):
    await _start(bare_client, WORKSPACE, {"pythonPath": sys.executable})
    await wait_ready(bare_client)
    import asyncio

    for _ in range(100):  # the end notification may trail the moment the docs become usable
        reports = [r for values in bare_client.progress_reports.values() for r in values]
        if any(isinstance(r, types.WorkDoneProgressEnd) for r in reports):
            break
        await asyncio.sleep(0.05)
    assert any(isinstance(r, types.WorkDoneProgressBegin) for r in reports)
    assert any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)


async def test_missing_fastapi_falls_back_to_catalog(bare_client: LanguageClient, tmp_path):
    venv = _fake_env(tmp_path, None)
    await _start(bare_client, tmp_path, {"pythonPath": str(venv)})
    info = await wait_ready_catalog(bare_client)
    assert info["fastapiVersion"] is None
    hover = await _hover_depends(bare_client, tmp_path)
    assert hover is not None and "https://fastapi.tiangolo.com/tutorial/dependencies/" in hover.contents.value
    # the server says so once its load is over, which may come just after the hover's answer
    import asyncio

    said = ""
    for _ in range(100):
        said = " ".join(m.message for m in bare_client.messages + bare_client.log_messages)
        if "catalog" in said:
            break
        await asyncio.sleep(0.05)
    assert "catalog" in said


async def test_broken_fastapi_install_keeps_serving(bare_client: LanguageClient, tmp_path):
    venv = _fake_env(tmp_path, "def broken(:\n    \x00 nonsense\n__version__ = '9.9.9'\n")
    await _start(bare_client, tmp_path, {"pythonPath": str(venv)})
    info = await wait_ready_catalog(bare_client)
    hover = await _hover_depends(bare_client, tmp_path)
    assert hover is not None and "Depends" in hover.contents.value
    # the failure is reported, and no version is claimed as loaded (issue 12)
    info = await wait_api_settled(bare_client)
    assert info["fastapiVersion"] == "9.9.9"
    assert info["apiLoaded"] is False and info["apiError"], {k: info.get(k) for k in ("apiLoaded", "apiError", "apiObjects", "docsSummary", "fastapiPath")}


async def wait_api_settled(client: LanguageClient, timeout: float = 60.0) -> dict:
    """serverInfo once the API docs are either loaded or have failed."""
    import asyncio

    loop = asyncio.get_event_loop()
    deadline = loop.time() + timeout
    info: dict = {}
    while loop.time() < deadline:
        info = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="fastapi.serverInfo"))
        if info and (info.get("apiLoaded") or info.get("apiError")):
            return info
        await asyncio.sleep(0.1)
    return info


async def test_bad_settings_get_a_message_and_defaults(bare_client: LanguageClient):
    await _start(bare_client, WORKSPACE, {"pythonPath": sys.executable, "hover": {"maxLinks": "many"}, "nonsense": 1, "referencePaths": [str(WORKSPACE / "no-such-folder")]})
    await wait_ready(bare_client)
    said = " ".join(m.message for m in bare_client.messages + bare_client.log_messages)
    assert "maxLinks" in said and "nonsense" in said
    hover = await _hover_depends(bare_client, WORKSPACE)
    assert hover is not None


async def test_binary_and_nul_documents(bare_client: LanguageClient, tmp_path):
    await _start(bare_client, tmp_path, {"pythonPath": sys.executable})
    await wait_ready(bare_client)
    text = "from fastapi import FastAPI\x00\napp = FastAPI()\n\udcff\x01\x02" + "x" * 10000 + "\napp.get\n"
    uri = open_doc(bare_client, tmp_path / "weird.py", text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
    for line in range(6):
        await bare_client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=3))
        )
    hover = await bare_client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=3, character=5))
    )
    assert hover is not None and "get" in hover.contents.value


async def wait_ready_catalog(client: LanguageClient, timeout: float = 60.0) -> dict:
    import asyncio

    loop = asyncio.get_event_loop()
    deadline = loop.time() + timeout
    info: dict = {}
    while loop.time() < deadline:
        info = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="fastapi.serverInfo"))
        if info and info.get("docsSources"):
            return info
        await asyncio.sleep(0.1)
    return info
