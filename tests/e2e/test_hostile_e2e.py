"""Hostile input through the real server: a workspace whose modules run code at import time,
non-Python and binary documents, huge files, evil docs folders and settings of the wrong types.

The server runs with the hostile workspace as its working directory (as editors start it) and a
fresh cache (so the API extraction subprocess runs too); nothing in the workspace may execute.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..unit.test_hostile import Listener, evil_docs_folder, evil_workspace, sparse
from .conftest import init_params, wait_ready


def server_in(cwd: Path, cache: Path) -> ClientServerConfig:
    env = {**os.environ, "FASTAPI_DOCS_LSP_CACHE_DIR": str(cache)}
    # editors start language servers in the workspace folder; `python -m` would put it on sys.path
    cmd = ["/bin/sh", "-c", 'cd "$1" && exec "$2" -m fastapi_docs_lsp', "sh", str(cwd), sys.executable]
    return ClientServerConfig(server_command=cmd, server_env=env)


async def start(config: ClientServerConfig, root: Path, options: dict) -> LanguageClient:
    client = await config.start()
    client.set_configuration({"fastapi": options})
    await client.initialize_session(init_params("visual-studio-code", options, root))
    return client


async def stop(client: LanguageClient) -> None:
    await client.shutdown_session()


def open_doc(client: LanguageClient, uri: str, text: str, language: str = "python") -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text))
    )


async def exercise(client: LanguageClient, uri: str, text: str) -> None:
    """Every request kind at a few positions; all must be answered without an error."""
    doc = types.TextDocumentIdentifier(uri=uri)
    lines = text.split("\n")
    positions = [types.Position(0, 0), types.Position(len(lines) + 5, 3)]
    positions += [types.Position(n, c) for n in range(0, len(lines), max(1, len(lines) // 12)) for c in (0, 4, 12, 200)]
    for pos in positions:
        await client.text_document_hover_async(types.HoverParams(text_document=doc, position=pos))
        await client.text_document_completion_async(types.CompletionParams(text_document=doc, position=pos))
        await client.text_document_code_action_async(
            types.CodeActionParams(text_document=doc, range=types.Range(pos, pos), context=types.CodeActionContext(diagnostics=[]))
        )
    await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc))
    await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=doc))
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fastapi.openReference", arguments=[{"uri": uri, "position": {"line": 0, "character": 0}}])
    )


def assert_no_server_errors(client: LanguageClient) -> None:
    assert not [m.message for m in client.messages if m.type == types.MessageType.Error]


async def test_opening_a_hostile_workspace_never_runs_its_code(tmp_path):
    listener = Listener()
    markers = tmp_path / "markers"
    markers.mkdir()
    root = tmp_path / "project"
    files = evil_workspace(root, markers, listener.port)
    client = await start(server_in(root, tmp_path / "fresh-cache"), root, {"pythonPath": sys.executable})
    try:
        info = await wait_ready(client, timeout=240)
        assert info.get("apiObjects"), info  # the API docs were extracted (in a subprocess) meanwhile
        for path in files:
            if path.suffix == ".py":
                text = path.read_text()
                open_doc(client, path.as_uri(), text)
                await exercise(client, path.as_uri(), text)
        main = root / "app" / "main.py"
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=main.as_uri()), position=types.Position(8, 8))
        )
        assert hover is not None and "FastAPI" in hover.contents.value  # analysed statically
        for query in ("", "items", "root", "?depends"):
            await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=main.as_uri())))
        await asyncio.sleep(0.5)
        assert_no_server_errors(client)
    finally:
        await stop(client)
    assert sorted(p.name for p in markers.iterdir()) == []
    assert listener.connections() == 0
    listener.close()


async def test_non_python_binary_and_huge_documents(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    sparse(root / "huge.py")  # 1 GB on disk (sparse)
    (root / "blob.py").write_bytes(b"\x00\x01binary\x00" * 1000)
    client = await start(server_in(root, Path(os.environ.get("FASTAPI_DOCS_LSP_E2E_CACHE", "/tmp/fastapi-docs-lsp-test-cache"))), root, {"pythonPath": sys.executable, "maxFileSize": 200_000})
    try:
        await wait_ready(client)
        documents = {
            "README.md": ("markdown", "# Title\n\n```python\nfrom fastapi import FastAPI\napp = FastAPI()\n```\n" + "[" * 5000),
            "data.json": ("json", '{"fastapi": ' * 2000),
            "blob.py": ("python", "\x00\x01\x02\ufffd\ud800 binary-ish \x1b[0m" * 500),
            "big_open.py": ("python", "from fastapi import FastAPI\napp = FastAPI()\n" + "x = 1\n" * 60_000),  # over maxFileSize
            "notes.txt": ("plaintext", "from fastapi import FastAPI\napp = FastAPI()\n"),
            "weird.py": ("python", "from fastapi import FastAPI\r\rapp = FastAPI()  # \x0c\u2028\x85\r\n@app.get('/')\rdef f(): pass\r"),
        }
        for name, (language, text) in documents.items():
            uri = (root / name).as_uri()
            open_doc(client, uri, text, language)
            await exercise(client, uri, text)
        for name in ("huge.py", "blob.py"):  # on disk, never opened: never read whole
            started = time.perf_counter()
            await exercise(client, (root / name).as_uri(), "")
            assert time.perf_counter() - started < 5.0, name
        await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=(root / "weird.py").as_uri()), position=types.Position(2, 7))
        )
        assert hover is not None and hover.range.start.line == 2  # a lone CR is a line break
        assert_no_server_errors(client)
    finally:
        await stop(client)


async def test_evil_docs_folder_and_wrong_settings(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    docs = evil_docs_folder(tmp_path)
    bad = {
        "pythonPath": 42,
        "referencePaths": [str(docs), 7, None, str(docs / "docs" / "loop")],
        "maxFileSize": "big",
        "hover": "yes",
        "completion": {"enabled": "no"},
        "diagnostics": {"rules": {"FA001": "loud", "FA002": 3}, "enabled": None},
        "openReferencesIn": "elsewhere",
        "logLevel": ["debug"],
        "unknown": {"x": 1},
    }
    client = await start(server_in(root, tmp_path / "cache"), root, bad)
    try:
        info = await wait_ready(client, timeout=120)
        assert info.get("apiObjects")
        warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
        assert any("setting" in w for w in warnings)
        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="fastapi.searchDocs", arguments=["TOPSECRET"]))
        assert not any("TOPSECRET" in str(hit) for hit in result or [])
        # settings change to other wrong shapes while running
        for payload in ({"fastapi": None}, {"fastapi": []}, {"fastapi": {"hover": {"maxLinks": -3}}}, "nonsense", None):
            client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=payload))
        uri = (root / "x.py").as_uri()
        text = "from fastapi import FastAPI\napp = FastAPI()\n"
        open_doc(client, uri, text)
        await exercise(client, uri, text)
        assert_no_server_errors(client)
    finally:
        await stop(client)
