"""The protocol edge (issues 16 and 17): lifecycle errors the spec asks for, framing errors the
server recovers from, no per-notification state left behind, requests on paths that are not
regular files, the URI <-> path helper, the pygls internals the seam relies on, and logging.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import Workspace
from pygls.workspace.text_document import TextDocument

from fastapi_docs_lsp.pygls_seam import (
    PRIVATE_NAMES,
    SyncedWorkspace,
    document_key,
    path_key,
    path_to_uri,
    private_names_missing,
    read_regular_file,
    uri_to_path,
)
from fastapi_docs_lsp.server import create_server
from fastapi_docs_lsp.transport import Framer

from ..conftest import WORKSPACE
from .test_transport import Capture, frame


@pytest.fixture
def bare(cache_dir):
    """A server that has received nothing yet, its output captured; shut down afterwards."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    ls = create_server()
    out = Capture()
    ls.protocol.set_writer(out)
    yield ls, out, loop
    ls.shutdown()
    loop.close()
    asyncio.set_event_loop(None)


def initialize(ls, loop, root: Path = WORKSPACE) -> None:
    async def go():
        ls.protocol.handle_body(frame("initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {},
            "initializationOptions": {"fastapi": {"pythonPath": sys.executable}},
        }, 1))
        ls.protocol.handle_body(frame("initialized", {}))
        await asyncio.sleep(0.01)

    loop.run_until_complete(go())


# ---- lifecycle ---------------------------------------------------------------------------------


def test_a_request_before_initialize_gets_server_not_initialized(bare):
    ls, out, loop = bare
    ls.protocol.handle_body(frame("textDocument/hover", {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}}, 5))
    answer = out.response(5)
    assert answer is not None and answer["error"]["code"] == -32002
    ls.protocol.handle_body(frame("workspace/executeCommand", {"command": "fastapi.serverInfo"}, 6))
    assert out.response(6)["error"]["code"] == -32002


def test_requests_after_shutdown_get_invalid_request(bare):
    ls, out, loop = bare
    initialize(ls, loop)
    ls.protocol.handle_body(frame("shutdown", None, 2))
    assert out.response(2) is not None and "error" not in out.response(2)
    ls.protocol.handle_body(frame("workspace/executeCommand", {"command": "fastapi.serverInfo"}, 3))
    assert out.response(3)["error"]["code"] == -32600


def test_invalid_utf8_gets_a_parse_error(bare):
    ls, out, loop = bare
    initialize(ls, loop)
    body = b'{"jsonrpc": "2.0", "id": 7, "method": "workspace/executeCommand", "params": {"command": "fastapi.searchDocs", "arguments": ["\xff\xfe"]}}'
    ls.protocol.handle_body(body)
    answer = out.response(7)
    assert answer is not None and answer["error"]["code"] == -32700
    ls.protocol.handle_body(b"{not json")
    assert any(m.get("id") is None and m.get("error", {}).get("code") == -32700 for m in out.messages)


def test_did_change_leaves_nothing_behind(bare, tmp_path):
    """pygls keeps a future per notification whose builtin handler is a generator (every
    didChange): 60k edits kept 60k futures. None may survive its handling."""
    ls, out, loop = bare
    initialize(ls, loop)
    uri = (tmp_path / "a.py").as_uri()
    p = ls.protocol
    p.handle_body(frame("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}}))
    before = p.pending_futures()
    for n in range(2000):
        p.handle_body(frame("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": n + 2},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 5}}, "text": "1"}],
        }))
    loop.run_until_complete(asyncio.sleep(0.05))
    assert p.pending_futures() <= before + 2, p.pending_futures()


# ---- framing -----------------------------------------------------------------------------------------


def _framed(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


@pytest.mark.parametrize(
    "broken",
    [
        b"Content-Length: abc\r\n\r\n{\"jsonrpc\": \"2.0\", \"method\": \"lost\"}",
        b"Content-Length: -5\r\n\r\n{}",
        b"garbage without any header\r\n\r\n",
        b"{\"jsonrpc\": \"2.0\"}",  # a body without headers
    ],
)
def test_a_framing_error_is_logged_and_the_stream_resynchronises(broken, caplog):
    before, after = frame("before", None, 1), frame("after", None, 2)
    framer = Framer()
    stream = _framed(before) + broken + _framed(after) + _framed(after)
    got: list[bytes] = []
    for i in range(0, len(stream), 5):
        got.extend(framer.feed(stream[i : i + 5]))
    assert got[0] == before
    assert got[-1] == after  # the server is not deaf: messages after the error are read
    assert framer.errors >= 1
    assert any("framing error" in r.message for r in caplog.records)


def test_a_server_fed_a_broken_header_still_answers(tmp_path):
    """Through the real process: a malformed Content-Length, then a request that gets its answer."""
    env = {**os.environ, "FASTAPI_DOCS_LSP_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, "-m", "fastapi_docs_lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    init = frame("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}, 1)
    request = frame("workspace/executeCommand", {"command": "fastapi.serverInfo"}, 2)
    data = _framed(init) + b"Content-Length: twelve\r\n\r\n{\"oops\": 1}" + _framed(request) + _framed(frame("exit", None))
    try:
        stdout, stderr = proc.communicate(data, timeout=60)
    finally:
        proc.kill()
    assert b'"id":2' in stdout.replace(b" ", b""), stdout[-500:]
    assert b"framing error" in stderr


# ---- files the client names ------------------------------------------------------------------------------


def _hover_in_thread(ls, uri: str) -> tuple[bool, object]:
    from fastapi_docs_lsp.features.hover import hover_result

    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(hover_result(ls, uri, 0, 0)), daemon=True)
    worker.start()
    worker.join(5)
    return (not worker.is_alive(), result[0] if result else None)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_hover_on_dev_zero_does_not_block(bare):
    ls, out, loop = bare
    initialize(ls, loop)
    finished, result = _hover_in_thread(ls, "file:///dev/zero")
    assert finished, "reading /dev/zero never ends"
    assert result is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_hover_on_a_fifo_does_not_block(bare, tmp_path):
    ls, out, loop = bare
    initialize(ls, loop)
    fifo = tmp_path / "x.py"
    os.mkfifo(fifo)
    finished, result = _hover_in_thread(ls, fifo.as_uri())
    assert finished, "opening a FIFO blocked"
    assert result is None


def test_a_symlink_to_a_device_is_not_read(tmp_path):
    link = tmp_path / "zz.py"
    link.symlink_to("/dev/zero")
    started = time.perf_counter()
    assert read_regular_file(str(link), 3_000_000) is None
    assert time.perf_counter() - started < 1


def test_one_bad_byte_never_hides_the_text(tmp_path):
    path = tmp_path / "bad.py"
    path.write_bytes(b"# caf\xe9\nfrom fastapi import FastAPI\napp = FastAPI()\n")
    text = read_regular_file(str(path), 1000)
    assert text is not None and "from fastapi import FastAPI" in text and "\ufffd" in text
    assert read_regular_file(str(path), 10) is None  # above the limit


# ---- URI <-> path ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri, path",
    [
        ("file:///home/u/my%20app/a.py", "/home/u/my app/a.py"),
        ("file:///home/u/my app/a.py", "/home/u/my app/a.py"),
        ("file:///home/u/100%25/a.py", "/home/u/100%/a.py"),
        ("file:///home/u/caf%C3%A9/%E6%97%A5%E6%9C%AC.py", "/home/u/café/日本.py"),
        ("file:///home/u/café/日本.py", "/home/u/café/日本.py"),
        ("file:///c%3A/Users/me/my%20app/a.py", "c:/Users/me/my app/a.py"),
        ("file:///C:/Users/me/a.py", "c:/Users/me/a.py"),
        ("file://server/share/a.py", "//server/share/a.py"),
    ],
)
def test_uri_to_path(uri, path):
    expected = path.replace("/", "\\") if os.name == "nt" else path
    assert uri_to_path(uri) == expected


def test_non_file_uris_have_no_path():
    assert uri_to_path("untitled:Untitled-1") is None
    assert uri_to_path("https://fastapi.tiangolo.com/") is None


@pytest.mark.parametrize("path", ["/home/u/my app/a.py", "/home/u/100%/a.py", "/home/u/café/日本.py", "c:/Users/me/my app/a.py"])
def test_path_to_uri_round_trips(path):
    uri = path_to_uri(path)
    assert " " not in uri and uri.startswith("file:///")
    assert path_key(uri_to_path(uri) or "") == path_key(path)


def test_one_document_whatever_the_uri_spelling():
    """VS Code quotes (``c%3A``, ``%20``), other clients do not, and ``Path.as_uri`` writes ``C:``."""
    spellings = ["file:///c%3A/my%20app/a.py", "file:///C:/my app/a.py", "file:///c:/my%20app/a.py"]
    assert len({document_key(s) for s in spellings}) == 1


def test_open_buffers_are_found_by_path_with_spaces(tmp_path):
    """An unsaved buffer in ``my app/`` is what other modules read, not the file on disk."""
    folder = tmp_path / "my app"
    folder.mkdir()
    (folder / "a.py").write_text("on disk\n")
    ws = SyncedWorkspace(folder.as_uri())
    from lsprotocol import types

    ws.put_text_document(types.TextDocumentItem(uri=(folder / "a.py").as_uri(), language_id="python", version=1, text="in the buffer\n"))
    ls = create_server()
    ls.protocol._workspace = ws  # what install_workspace does at initialize
    assert ls._overlay(str(folder / "a.py")) == "in the buffer\n"
    assert ls._overlay(str(folder / "b.py")) is None
    ws.remove_text_document((folder / "a.py").as_uri().replace("%20", " "))
    assert ls._overlay(str(folder / "a.py")) is None


# ---- the seam ------------------------------------------------------------------------------------------------


def test_every_private_pygls_name_the_seam_uses_exists():
    """A pygls upgrade that renames one of these must fail here, not misbehave in an editor."""
    ls = create_server()
    protocol: LanguageServerProtocol = ls.protocol
    workspace = Workspace(None)
    document = TextDocument("file:///x.py", "x = 1\n")
    assert not private_names_missing(protocol, document, workspace)
    assert len(PRIVATE_NAMES) >= 10
    # and the public ones the seam prefers where they exist
    assert callable(workspace.get_text_document) and hasattr(document, "position_codec")


def test_feature_modules_that_are_missing_are_logged(caplog, monkeypatch):
    from fastapi_docs_lsp import features

    from fastapi_docs_lsp.server import FastAPIDocsServer

    monkeypatch.setattr(features, "FEATURES", ("lifecycle", "no_such_feature"))
    features.register_all(FastAPIDocsServer())
    assert any("no_such_feature" in r.getMessage() for r in caplog.records)


# ---- logging -----------------------------------------------------------------------------------------


def _stderr_of_server(args: list[str], tmp_path: Path, options: dict | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "FASTAPI_DOCS_LSP_LOG"}
    env["FASTAPI_DOCS_LSP_CACHE_DIR"] = str(tmp_path / "cache")
    init = frame("initialize", {
        "processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {},
        "initializationOptions": {"fastapi": {"pythonPath": sys.executable, **(options or {})}},
    }, 1)
    info = frame("workspace/executeCommand", {"command": "fastapi.searchDocs", "arguments": ["depends"]}, 2)
    proc = subprocess.Popen([sys.executable, "-m", "fastapi_docs_lsp", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(_framed(init) + _framed(frame("initialized", {})) + _framed(info))
    proc.stdin.flush()
    # read until the search (which waits for the docs) is answered, then exit
    buffer = b""
    deadline = time.monotonic() + 120
    while b'"id":2' not in buffer.replace(b" ", b"") and time.monotonic() < deadline:
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buffer += chunk
    try:
        _, stderr = proc.communicate(_framed(frame("shutdown", None, 3)) + _framed(frame("exit", None)), timeout=30)
    finally:
        proc.kill()
    return stderr.decode(errors="replace")


def test_stderr_carries_warnings_only_by_default(tmp_path):
    stderr = _stderr_of_server([], tmp_path)
    assert " INFO " not in stderr and " DEBUG " not in stderr, stderr[-800:]


def test_log_level_flag_works_in_server_mode(tmp_path):
    assert " INFO " in _stderr_of_server(["--log-level", "info"], tmp_path)
    # the flag wins over the setting
    assert " INFO " not in _stderr_of_server(["--log-level", "warning"], tmp_path, {"logLevel": "debug"})


def test_log_level_setting_asks_for_more(tmp_path):
    assert " INFO " in _stderr_of_server([], tmp_path, {"logLevel": "info"})


def test_the_first_frame_written_is_valid_json():
    """Sanity for the capture helper used above (Content-Length counts bytes)."""
    body = frame("x", {"text": "é"})
    assert json.loads(body)["params"]["text"] == "é"


def test_raw_position_reads_well_formed_params_only():
    from fastapi_docs_lsp.pygls_seam import raw_position

    good = {"textDocument": {"uri": "file:///a.py"}, "position": {"line": 3, "character": 7}}
    assert raw_position(good) == ("file:///a.py", 3, 7)
    for bad in (
        None,
        [],
        {},
        {"textDocument": {"uri": "file:///a.py"}},
        {"textDocument": {"uri": 1}, "position": {"line": 3, "character": 7}},
        {"textDocument": {"uri": "file:///a.py"}, "position": {"line": -1, "character": 7}},
        {"textDocument": {"uri": "file:///a.py"}, "position": {"line": 3, "character": 7.0}},
        {"textDocument": {"uri": "file:///a.py"}, "position": {"line": True, "character": 7}},
        {"textDocument": "x", "position": {"line": 3, "character": 7}},
    ):
        assert raw_position(bad) is None, bad
