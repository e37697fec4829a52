"""stdio transport that reads ahead, so ``$/cancelRequest`` is honoured for queued requests.

pygls handles one message at a time: while a slow request runs (the first analysis of a large
module), the requests and cancellations behind it wait unread in the pipe, and a request the
editor has already cancelled is computed anyway once its turn comes. Here a thread reads
messages as soon as they arrive and notes the ids of cancelled requests; the protocol answers a
request whose cancellation is already known with ``RequestCancelled`` without running it.
Messages are still handled strictly in order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from typing import BinaryIO

from pygls.exceptions import JsonRpcRequestCancelled
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)

# the exact header pygls' reader recognises, so both stay in step
_CONTENT_LENGTH = re.compile(rb"^Content-Length: (\d+)\r\n$")


class CancelAwareProtocol(LanguageServerProtocol):
    """Skips requests the client cancelled before their turn came (ids noted by the reader)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cancelled_early: set = set()
        self._early_lock = threading.Lock()

    def note_cancel(self, msg_id) -> None:
        with self._early_lock:
            self.cancelled_early.add(msg_id)

    def _take(self, msg_id) -> bool:
        with self._early_lock:
            if msg_id in self.cancelled_early:
                self.cancelled_early.discard(msg_id)
                return True
        return False

    def _handle_request(self, msg_id, method_name, params):
        if self._take(msg_id):
            log.debug("request %s (%s) was cancelled before it ran", msg_id, method_name)
            self._send_response(
                msg_id, error=JsonRpcRequestCancelled(f'Request with id "{msg_id}" is canceled').to_response_error()
            )
            return
        super()._handle_request(msg_id, method_name, params)

    def _handle_cancel_notification(self, msg_id):
        # the cancellation arrives (in order) after its request: forget the early note either way
        self._take(msg_id)
        if msg_id in self._request_futures:
            super()._handle_cancel_notification(msg_id)


class LookaheadReader:
    """The ``readline``/``readexactly`` pair pygls' ``run_async`` reads from, fed by a thread."""

    def __init__(self, stdin: BinaryIO, protocol: CancelAwareProtocol) -> None:
        self._stdin = stdin
        self._protocol = protocol
        self._queue: asyncio.Queue[bytes] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _start(self) -> asyncio.Queue[bytes]:
        if self._queue is None:
            self._loop = asyncio.get_running_loop()
            self._queue = asyncio.Queue()
            threading.Thread(target=self._pump, name="lsp-stdin", daemon=True).start()
        return self._queue

    def _put(self, chunk: bytes) -> None:
        assert self._loop is not None and self._queue is not None
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, chunk)
        except RuntimeError:  # the loop is closed: the server is exiting
            pass

    # Reading goes through the raw file descriptor: a daemon thread blocked inside the buffered
    # stdin object would hold its lock when the interpreter exits (a fatal error at shutdown).
    def _raw_reader(self):
        try:
            fd = self._stdin.fileno()
        except (AttributeError, OSError, ValueError):
            return self._stdin.readline, self._stdin.read
        buffer = bytearray()

        def fill() -> bool:
            data = os.read(fd, 65536)
            buffer.extend(data)
            return bool(data)

        def readline() -> bytes:
            while True:
                end = buffer.find(b"\n")
                if end >= 0:
                    line = bytes(buffer[: end + 1])
                    del buffer[: end + 1]
                    return line
                if not fill():
                    line = bytes(buffer)
                    buffer.clear()
                    return line

        def read(n: int) -> bytes:
            while len(buffer) < n and fill():
                pass
            data = bytes(buffer[:n])
            del buffer[:n]
            return data

        return readline, read

    def _pump(self) -> None:
        length = 0
        readline, read = self._raw_reader()
        try:
            while True:
                line = readline()
                if not line:
                    break
                if not length:
                    m = _CONTENT_LENGTH.fullmatch(line)
                    if m:
                        length = int(m.group(1))
                self._put(line)
                if length and not line.strip():
                    body = self._read_body(read, length)
                    length = 0
                    if body is None:
                        break
                    self._peek(body)
                    self._put(body)
        except (OSError, ValueError) as exc:
            log.info("stdin closed: %s", exc)
        finally:
            self._put(b"")

    @staticmethod
    def _read_body(read, length: int) -> bytes | None:
        chunks, left = [], length
        while left:
            data = read(left)
            if not data:
                return None
            chunks.append(data)
            left -= len(data)
        return b"".join(chunks)

    def _peek(self, body: bytes) -> None:
        if b"$/cancelRequest" not in body:
            return
        try:
            message = json.loads(body)
            if message.get("method") == "$/cancelRequest":
                msg_id = message["params"]["id"]
                if isinstance(msg_id, (int, str)):
                    self._protocol.note_cancel(msg_id)
        except (ValueError, KeyError, TypeError, AttributeError):
            pass

    async def readline(self) -> bytes:
        return await self._start().get()

    async def readexactly(self, n: int) -> bytes:
        return await self._start().get()
