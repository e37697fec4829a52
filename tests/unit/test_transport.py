"""The stdio transport (transport.py): message framing, and the raw path for hot requests.

The raw hover must answer exactly what pygls' typed path answers, hand over to it whenever it
declines or fails, and respect early cancellation and shutdown like the typed path does.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import threading

import pytest

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.server import create_server
from fastapi_docs_lsp.transport import DECLINE, Framer, MessageReader

from ..conftest import WORKSPACE

MAIN = WORKSPACE / "app" / "main.py"


class Capture:
    """A writer that keeps what the server sends, as parsed JSON messages."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def write(self, data: bytes) -> None:
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
        assert len(body) == length, "Content-Length must count the bytes of the body"
        self.messages.append(json.loads(body))

    def close(self) -> None:
        pass

    def response(self, msg_id):
        found = [m for m in self.messages if m.get("id") == msg_id and "method" not in m]
        assert len(found) <= 1, found
        return found[0] if found else None


def frame(method: str, params, msg_id=None) -> bytes:
    message = {"jsonrpc": "2.0", "method": method, "params": params}
    if msg_id is not None:
        message["id"] = msg_id
    return json.dumps(message).encode()


def hover_params(line: int, character: int) -> dict:
    return {"textDocument": {"uri": MAIN.as_uri()}, "position": {"line": line, "character": character}}


@pytest.fixture
def served(cache_dir):
    """A server initialised over the fixture workspace with main.py open, and its output."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    ls = create_server()
    out = Capture()
    ls.protocol.set_writer(out)
    ls.loop = loop
    p = ls.protocol

    async def start():
        p.handle_body(frame("initialize", {
            "processId": None, "rootUri": WORKSPACE.as_uri(),
            "capabilities": {"textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]}}},
            "initializationOptions": {"fastapi": {"pythonPath": sys.executable}},
        }, 1))
        p.handle_body(frame("initialized", {}))
        await asyncio.sleep(0.05)
        await loop.run_in_executor(None, ls.project.loaded.wait, 60)
        p.handle_body(frame("textDocument/didOpen", {"textDocument": {
            "uri": MAIN.as_uri(), "languageId": "python", "version": 1, "text": MAIN.read_text()}}))

    loop.run_until_complete(start())
    yield ls, out
    ls.shutdown()  # its delayed route scan must not run into later tests
    loop.close()
    asyncio.set_event_loop(None)


def positions() -> list[tuple[int, int]]:
    occs = analyze(MAIN.read_text()).occurrences
    assert len(occs) > 20
    return [(o.line, o.start) for o in occs] + [(0, 0), (3, 200), (10_000, 0)]


def test_raw_hover_answers_what_the_typed_handler_answers(served):
    ls, out = served
    raw_answers = {}
    for n, (line, col) in enumerate(positions()):
        msg_id = 1000 + n
        ls.protocol.handle_body(frame("textDocument/hover", hover_params(line, col), msg_id))
        raw_answers[(line, col)] = out.response(msg_id)
    assert sum(1 for r in raw_answers.values() if r["result"]) > 20

    ls.protocol.raw_requests.clear()
    ls.protocol._raw_markers = ()
    for n, (line, col) in enumerate(positions()):
        msg_id = 5000 + n
        ls.protocol.handle_body(frame("textDocument/hover", hover_params(line, col), msg_id))
        typed = out.response(msg_id)
        assert typed is not None, "the typed handler must answer synchronously"
        assert typed["result"] == raw_answers[(line, col)]["result"], (line, col)


@pytest.mark.parametrize("behaviour", ["decline", "raise"])
def test_the_typed_handler_answers_when_the_raw_one_declines_or_fails(served, behaviour):
    ls, out = served
    calls = []

    def raw(params):
        calls.append(params)
        if behaviour == "raise":
            raise KeyError("boom")
        return DECLINE

    ls.raw_request("textDocument/hover", raw)
    line, col = positions()[0]
    ls.protocol.handle_body(frame("textDocument/hover", hover_params(line, col), 77))
    assert calls, "the raw handler was not consulted"
    answer = out.response(77)
    assert answer is not None and answer["result"]["contents"]["value"]


def test_malformed_hover_params_get_the_typed_paths_error(served):
    ls, out = served
    ls.protocol.handle_body(frame("textDocument/hover", {"textDocument": {"uri": MAIN.as_uri()}, "position": {"line": "x"}}, 78))
    answer = out.response(78)
    assert answer is not None and "error" in answer


def test_a_raw_request_cancelled_before_its_turn_is_not_run(served):
    ls, out = served
    ls.protocol.note_cancel(90)
    line, col = positions()[0]
    ls.protocol.handle_body(frame("textDocument/hover", hover_params(line, col), 90))
    answer = out.response(90)
    assert answer["error"]["code"] == -32800  # RequestCancelled
    assert "result" not in answer or answer["result"] is None


def test_requests_after_shutdown_get_invalid_request(served):
    ls, out = served
    ls.protocol.handle_body(frame("shutdown", None, 91))
    assert out.response(91) is not None
    line, col = positions()[0]
    ls.protocol.handle_body(frame("textDocument/hover", hover_params(line, col), 92))
    answer = out.response(92)
    assert answer is not None and answer["error"]["code"] == -32600  # InvalidRequest, not a hover


def _stream(bodies: list[bytes]) -> bytes:
    return (
        b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(bodies[0]) + bodies[0]
        + b"\r\n"  # a stray blank line between messages is tolerated
        + b"content-length:%d\r\n\r\n" % len(bodies[1]) + bodies[1]
        + b"Content-Length: %d\n\n" % len(bodies[2]) + bodies[2]  # bare LF, as pygls accepts
        + b"Content-Length: 50\r\n\r\n{\"truncated"  # the client went away mid-message
    )


BODIES = [frame("a", {"text": "é" * 5}), frame("b", {"text": "x\r\n\r\nContent-Length: 3"}, 1), frame("c", None)]


@pytest.mark.parametrize("piece", [1, 7, 1 << 16])
def test_framer_splits_the_stream_into_bodies_however_it_arrives(piece):
    framer = Framer()
    stream = _stream(BODIES)
    got: list[bytes] = []
    for i in range(0, len(stream), piece):
        got.extend(framer.feed(stream[i : i + piece]))
    assert got == BODIES


def test_thread_reader_delivers_in_order_and_ends_with_none():
    delivered: list[bytes | None] = []
    MessageReader(io.BytesIO(_stream(BODIES)), protocol=None)._pump(delivered.append)  # type: ignore[arg-type]
    assert delivered == [*BODIES, None]


class Recorder:
    """Stands in for the protocol: records bodies and noted cancellations; one request is slow."""

    def __init__(self, slow_id, write_later) -> None:
        self.handled: list[dict] = []
        self.cancelled: set = set()
        self.slow_id, self.write_later = slow_id, write_later

    def note_cancel(self, msg_id) -> None:
        self.cancelled.add(msg_id)

    def handle_body(self, body: bytes) -> None:
        message = json.loads(body)
        self.handled.append({**message, "known_cancelled": set(self.cancelled)})
        if message.get("id") == self.slow_id:
            self.write_later()  # the client sends more while this request runs


def test_loop_reader_sees_cancellations_that_arrive_while_a_request_runs():
    """Requests 2 and 3 are queued behind slow request 1; the cancellation of 3 arrives while 1
    runs. By the time 3's turn comes, its cancellation must be known."""
    read_fd, write_fd = os.pipe()

    def send(*bodies: bytes) -> None:
        os.write(write_fd, b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(b), b) for b in bodies))

    def later() -> None:
        send(frame("$/cancelRequest", {"id": 3}))
        os.close(write_fd)

    recorder = Recorder(1, later)
    send(frame("slow", {}, 1), frame("x", {}, 2), frame("x", {}, 3))
    with os.fdopen(read_fd, "rb", buffering=0) as stdin:
        asyncio.run(asyncio.wait_for(MessageReader(stdin, recorder).serve(threading.Event()), 10))  # type: ignore[arg-type]
    ids = [m.get("id") for m in recorder.handled]
    assert ids == [1, 2, 3, None]
    assert 3 in recorder.handled[2]["known_cancelled"]
    assert recorder.handled[3]["method"] == "$/cancelRequest"


def test_rendered_hovers_follow_the_docs_generation(loaded_project):
    project = loaded_project
    text = MAIN.read_text()
    line, col = next((o.line, o.start) for o in analyze(text).occurrences if o.target == "fastapi.Depends")
    with_docs = project.hover(str(MAIN), text, line, col)[0]
    assert "**Docs:**" in with_docs and project.hover(str(MAIN), text, line, col)[0] is with_docs  # remembered
    docs = project.docs
    try:
        project.docs = None
        project.generation += 1
        without = project.hover(str(MAIN), text, line, col)[0]
        assert without != with_docs and with_docs.count("](https://") > without.count("](https://")
    finally:
        project.docs = docs
        project.generation += 1
    assert project.hover(str(MAIN), text, line, col)[0] == with_docs


class BigAnswers:
    """Stands in for the protocol: answers a "big" request with a 1 MB message."""

    SIZE = 1_000_000

    def __init__(self) -> None:
        self.writer = None
        self.handled: list[str] = []

    def set_writer(self, writer) -> None:
        self.writer = writer

    def note_cancel(self, msg_id) -> None:
        pass

    def handle_body(self, body: bytes) -> None:
        message = json.loads(body)
        self.handled.append(message["method"])
        if message["method"] == "big":
            payload = b"x" * self.SIZE
            self.writer.write(b"Content-Length: %d\r\n\r\n" % len(payload) + payload)


def test_a_client_that_writes_before_it_reads_does_not_deadlock_the_server():
    """The client sends a request with a large answer, then a large message of its own before
    reading anything. The server must keep reading while its answer waits for the client."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    protocol = BigAnswers()
    stdin, stdout = os.fdopen(in_r, "rb", buffering=0), os.fdopen(out_w, "wb")
    server = threading.Thread(
        target=lambda: asyncio.run(MessageReader(stdin, protocol, stdout).serve(threading.Event())), daemon=True  # type: ignore[arg-type]
    )
    server.start()
    filler = frame("filler", {"text": "y" * 2_000_000})
    os.write(in_w, b"Content-Length: %d\r\n\r\n%s" % (len(frame("big", None)), frame("big", None)))

    def send_filler() -> None:
        view = memoryview(b"Content-Length: %d\r\n\r\n" % len(filler) + filler)
        while view:
            view = view[os.write(in_w, view) :]

    sender = threading.Thread(target=send_filler, daemon=True)
    sender.start()
    sender.join(10)
    assert not sender.is_alive(), "deadlock: the server stopped reading while its answer waited"
    received = bytearray()
    while len(received) < BigAnswers.SIZE:
        received += os.read(out_r, 1 << 16)
    os.close(in_w)
    server.join(10)
    assert protocol.handled == ["big", "filler"]
    assert received.endswith(b"x" * 1000) and len(received) >= BigAnswers.SIZE
    os.close(out_r)
