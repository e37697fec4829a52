"""Cancellation and ordering through the real server.

* ``$/cancelRequest`` for a request still queued behind a slow one (the first analysis of a large
  module) is answered with ``RequestCancelled`` without computing it.
* Requests interleaved with edits are answered for the text current when they are computed:
  positions never come from an older text.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import ClientServerConfig, LanguageClient

from benchmarks.genapp import generate

from ..conftest import WORKSPACE
from .conftest import SERVER_CMD, SERVER_ENV, init_params, position_of, wait_ready


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_CMD, server_env=SERVER_ENV))
async def client(lsp_client: LanguageClient):
    lsp_client.set_configuration({"fastapi": {"pythonPath": sys.executable}})
    await lsp_client.initialize_session(init_params("visual-studio-code"))
    await wait_ready(lsp_client)
    yield
    await lsp_client.shutdown_session()


def open_text(client: LanguageClient, name: str, text: str) -> str:
    uri = (WORKSPACE / "app" / name).as_uri()  # never written to disk
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    return uri


def hover_request(client: LanguageClient, uri: str, pos: types.Position, msg_id: str):
    future = client.protocol.send_request(
        types.TEXT_DOCUMENT_HOVER,
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos),
        msg_id=msg_id,
    )
    return asyncio.wrap_future(future)


def change(client: LanguageClient, uri: str, version: int, line: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(range=types.Range(types.Position(line, 0), types.Position(line, 0)), text=text)
            ],
        )
    )


async def test_cancelled_requests_behind_a_slow_one_are_not_computed(client: LanguageClient):
    text = generate(20_000, index=1)
    uri = open_text(client, "cancel_big.py", text)
    pos = position_of(text, "HTTP_404_NOT_FOUND", 2)
    started = time.perf_counter()
    slow = hover_request(client, uri, pos, "slow-1")  # the first analysis of 20,000 lines
    queued = []
    for n in range(5):
        change(client, uri, 2 + n, 0, f"# edit {n}\n")  # each edit would need a new analysis
        queued.append(hover_request(client, uri, types.Position(pos.line + n + 1, pos.character), f"queued-{n}"))
    for n in range(4):  # the editor moved on: all but the last are cancelled
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=f"queued-{n}"))
    first = await slow
    assert first is not None and "404" in first.contents.value
    for future in queued[:4]:
        with pytest.raises(JsonRpcRequestCancelled):
            await future
    last = await queued[4]
    assert last is not None and last.range.start.line == pos.line + 5
    elapsed = time.perf_counter() - started
    assert not [m for m in client.messages if m.type == types.MessageType.Error]
    print(f"slow hover + 4 cancelled + 1 answered in {elapsed:.2f} s")


async def test_requests_interleaved_with_edits_use_the_current_text(client: LanguageClient):
    base = (WORKSPACE / "app" / "routers" / "items.py").read_text()
    uri = open_text(client, "ordering.py", base)
    pos = position_of(base, "HTTP_404_NOT_FOUND", 3)
    futures = []
    lines_added = cols_added = 0
    for version in range(2, 40):
        # a hover sent for the current version, then an edit that moves the symbol
        where = types.Position(pos.line + lines_added, pos.character + cols_added)
        futures.append(((lines_added, cols_added), hover_request(client, uri, where, f"h{version}")))
        if version % 3:
            change(client, uri, version, 0, "# a new first line\n")  # one line down
            lines_added += 1
        else:
            change(client, uri, version, pos.line + lines_added, "    ")  # four columns right
            cols_added += 4
    for (lines, cols), future in futures:
        hover = await future
        assert hover is not None, (lines, cols)
        assert "404" in hover.contents.value
        assert hover.range.start == types.Position(pos.line + lines, pos.character - 3 + cols)
