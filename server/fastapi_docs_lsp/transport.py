"""The stdio transport: queued messages are read ahead, and plain-data requests skip cattrs.

Two things pygls' own stdio loop does not do:

* **Cancellation of queued requests.** pygls handles one message at a time: while a slow request
  runs (the first analysis of a large module), the requests and cancellations behind it wait
  unread in the pipe, and a request the editor already cancelled is computed anyway once its turn
  comes. Here everything that has arrived is read before the next queued request runs, and the
  ids of cancelled requests are noted; a request whose cancellation is already known is answered
  with ``RequestCancelled`` without running. Messages are still handled strictly in order, on
  the event loop (``MessageReader``).
* **A raw path for hot requests.** For every message pygls builds typed objects from the JSON
  with cattrs and turns the typed result back into JSON: about 0.3 ms per hover, more than the
  hover itself. Features may register a *raw handler* (``CancelAwareProtocol.raw_requests``)
  that takes the JSON params and returns a JSON-ready result; those requests are answered
  directly. A raw handler returns ``DECLINE`` (or raises) to hand the request to pygls' normal
  path, which then runs the typed handler and reports errors the usual way.

Framing errors (a malformed ``Content-Length``, bytes that are not a header) are logged and the
reader resynchronises at the next header (``Framer``). Everything that touches pygls internals
(the protocol hooks, lifecycle errors, parse errors) is in ``pygls_seam.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import select
import threading
from collections import deque
from typing import Any, BinaryIO
from collections.abc import Callable

from pygls.exceptions import JsonRpcException

from .core.background import handling_request
from .pygls_seam import DECLINE, RawHandler, SeamProtocol

__all__ = ["DECLINE", "CancelAwareProtocol", "Framer", "MessageReader", "PipeWriter", "RawHandler"]

log = logging.getLogger(__name__)

_CONTENT_LENGTH = re.compile(rb"^Content-Length: *(\d+)\s*$", re.IGNORECASE)
_CONTENT_LENGTH_NAME = re.compile(rb"^Content-Length\s*:", re.IGNORECASE)
_CONTENT_LENGTH_ANYWHERE = re.compile(rb"Content-Length:", re.IGNORECASE)
_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*\s*:")

_decode = json.JSONDecoder().decode


class CancelAwareProtocol(SeamProtocol):
    """The server's protocol: pygls' with the seam's hooks (``pygls_seam.SeamProtocol``), and the
    messages handled from their bytes (the raw path for requests that have a raw handler)."""

    def handle_body(self, body: bytes) -> None:
        """One message from the client, on the event loop: the raw path, else pygls'."""
        with handling_request():  # background threads pause meanwhile (core/background.py)
            self._handle_body(body)

    def _handle_body(self, body: bytes) -> None:
        if self._raw_markers and any(marker in body for marker in self._raw_markers) and self._answer_raw(body):
            return
        message = self.parse_body(body)
        if message is not None:
            self.handle_message(message)

    def _answer_raw(self, body: bytes) -> bool:
        try:
            message = _decode(body.decode("utf-8"))
            handler = self.raw_requests.get(message.get("method"))
            msg_id = message.get("id")
        except (ValueError, AttributeError):  # UnicodeDecodeError is a ValueError
            return False  # the typed path reports malformed messages
        if (
            handler is None
            or not isinstance(msg_id, (int, str))
            or self.shut_down
            or not self.initialized
            or msg_id in self.cancelled_early
        ):
            return False
        try:
            result = handler(message.get("params"))
        except Exception:
            log.debug("raw %s handler failed; the typed handler answers", message.get("method"), exc_info=True)
            return False
        if result is DECLINE:
            return False
        self.send_raw({"jsonrpc": "2.0", "id": msg_id, "result": result})
        return True


class PipeWriter:
    """stdout written through asyncio: a write never blocks the event loop (what the client has
    not read yet waits in a buffer), so the loop keeps reading stdin meanwhile. Thread-safe:
    writes from other threads (progress, log messages) are handed to the loop in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, transport: asyncio.WriteTransport) -> None:
        self._loop = loop
        self._transport = transport
        self._thread = threading.get_ident()

    @classmethod
    async def open(cls, loop: asyncio.AbstractEventLoop, stdout: BinaryIO, on_lost: Callable[[], None]) -> PipeWriter | None:
        """A writer over ``stdout``, or None where asyncio cannot drive it (a regular file,
        Windows): the caller keeps its blocking writer then."""

        class Lost(asyncio.BaseProtocol):
            def connection_lost(self, exc: Exception | None) -> None:
                log.info("the client closed its end of stdout%s", f": {exc}" if exc else "")
                on_lost()

        try:
            transport, _ = await loop.connect_write_pipe(Lost, stdout)
        except (AttributeError, OSError, ValueError, NotImplementedError) as exc:
            log.debug("stdout stays a blocking writer: %s", exc)
            return None
        return cls(loop, transport)

    def write(self, data: bytes) -> None:
        if threading.get_ident() == self._thread:
            self._transport.write(data)
        else:
            try:
                self._loop.call_soon_threadsafe(self._transport.write, data)
            except RuntimeError:  # the loop is closed: the server is exiting
                pass

    async def drain(self, timeout: float) -> None:
        """Wait (a little) for what is still buffered to reach the client."""
        deadline = self._loop.time() + timeout
        while self._transport.get_write_buffer_size() and not self._transport.is_closing() and self._loop.time() < deadline:
            await asyncio.sleep(0.01)

    def close(self) -> None:
        self._transport.close()


class Framer:
    """Splits the byte stream into message bodies (``Content-Length`` framing, other headers
    ignored, header names in any case, stray blank lines between messages tolerated).

    A framing error (a ``Content-Length`` that is not a number, a line that is not a header
    where headers are expected) is logged and the stream resynchronises at the next
    ``Content-Length:`` header: the message it broke is lost, the ones after it are read.
    """

    #: a body larger than this is a framing error, not a message (2 GiB)
    MAX_BODY = 1 << 31

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length: int | None = None  # from the headers read so far
        self._body: int | None = None  # the body being read, once the headers ended
        self.errors = 0

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self._buffer
        buffer += data
        bodies: list[bytes] = []
        while True:
            if self._body is None:
                end = buffer.find(b"\n")
                if end < 0:
                    if len(buffer) > 8192:  # no header line is this long
                        self._resync(bytes(buffer[:80]), start=1)
                        continue
                    return bodies
                line = bytes(buffer[: end + 1])
                m = _CONTENT_LENGTH.match(line)
                if not line.strip() or (m and int(m.group(1)) <= self.MAX_BODY) or (
                    not m and not _CONTENT_LENGTH_NAME.match(line) and _HEADER.match(line)
                ):
                    del buffer[: end + 1]
                    if m:
                        self._length = int(m.group(1))
                    elif not line.strip() and self._length is not None:
                        self._body, self._length = self._length, None
                    continue
                self._resync(line, start=1)  # the line is still in the buffer: skip past its start
                continue
            if len(buffer) < self._body:
                return bodies
            bodies.append(bytes(buffer[: self._body]))
            del buffer[: self._body]
            self._body = None

    def _resync(self, bad: bytes, start: int = 0) -> None:
        """Drop what cannot be framed, up to the next ``Content-Length`` header."""
        self.errors += 1
        self._length = None
        buffer = self._buffer
        m = _CONTENT_LENGTH_ANYWHERE.search(buffer, start)
        if m:
            dropped = m.start()
        else:  # keep what follows the last line break: it may start the next header
            dropped = max(buffer.rfind(b"\n") + 1, len(buffer) - 15, 1)
        log.error("framing error at %r: skipping %d bytes to the next Content-Length header", bad[:80], dropped)
        del buffer[:dropped]


class MessageReader:
    """Reads stdin and handles each message, in order, on the event loop.

    Where stdin can be watched by the loop (pipes and sockets on POSIX), the loop reads it
    directly: no thread hand-off per message, which halves the latency of a cheap request. Every
    read takes all that is available, and whenever messages queue up (behind a slow one) the
    pipe is polled again before the next request runs, so cancellations that arrived meanwhile
    are known in time. Elsewhere (Windows, regular files) a thread reads and hands messages over.
    """

    def __init__(self, stdin: BinaryIO, protocol: CancelAwareProtocol, stdout: BinaryIO | None = None) -> None:
        self._stdin = stdin
        self._stdout = stdout
        self._protocol = protocol
        self._framer = Framer()
        self._pending: deque[bytes] = deque()
        self._eof = False

    async def serve(self, stop_event: threading.Event, on_error: Callable[[Exception, type], Any] | None = None) -> None:
        """Handle messages in order until stdin closes or ``stop_event`` is set."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def finish() -> None:
            if not done.done():
                done.set_result(None)

        def handle(body: bytes | None) -> None:
            if body is None:
                finish()
                return
            try:
                self._protocol.handle_body(body)
            except Exception as exc:
                log.exception("Unable to handle message")
                if on_error is not None:
                    on_error(exc, JsonRpcException)
            if stop_event.is_set():
                finish()

        fd = self._watchable_fd(loop)
        if fd is not None:
            # Reading on the loop means not reading while the loop waits on a write: writes must
            # not block, or a client that writes a large message before reading ours deadlocks.
            writer = await PipeWriter.open(loop, self._stdout, finish) if self._stdout is not None else None
            if writer is not None:
                self._protocol.set_writer(writer)
            loop.add_reader(fd, self._on_readable, fd, handle, done)
            try:
                await done
            finally:
                loop.remove_reader(fd)
                if writer is not None:
                    await writer.drain(timeout=2.0)
            return

        def deliver(body: bytes | None) -> None:
            try:
                loop.call_soon_threadsafe(handle, body)
            except RuntimeError:  # the loop is closed: the server is exiting
                pass

        threading.Thread(target=self._pump, args=(deliver,), name="lsp-stdin", daemon=True).start()
        await done

    # ---- on the loop -------------------------------------------------------------------

    def _watchable_fd(self, loop: asyncio.AbstractEventLoop) -> int | None:
        try:
            fd = self._stdin.fileno()
            loop.add_reader(fd, lambda: None)  # epoll refuses regular files; Proactor loops refuse all
            loop.remove_reader(fd)
            return fd
        except (AttributeError, OSError, ValueError, NotImplementedError):
            return None

    def _read(self, fd: int) -> None:
        """One read of what is available (the fd is readable): frame it, note cancellations."""
        try:
            data = os.read(fd, 1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.info("stdin closed: %s", exc)
            data = b""
        if not data:
            self._eof = True
            return
        for body in self._framer.feed(data):
            self._peek(body)
            self._pending.append(body)

    def _on_readable(self, fd: int, handle: Callable[[bytes | None], None], done: asyncio.Future) -> None:
        self._read(fd)
        while self._pending and not done.done():
            handle(self._pending.popleft())
            if self._pending and not self._eof and select.select([fd], [], [], 0)[0]:
                self._read(fd)  # what arrived while that one ran (a cancellation, say)
        if self._eof and not self._pending:
            handle(None)

    # ---- on a thread (no watchable stdin) ------------------------------------------------

    # Reading goes through the raw file descriptor when there is one: a daemon thread blocked
    # inside the buffered stdin object would hold its lock when the interpreter exits (a fatal
    # error at shutdown).
    def _pump(self, deliver: Callable[[bytes | None], None]) -> None:
        try:
            fd = self._stdin.fileno()
            read = lambda: os.read(fd, 1 << 16)  # noqa: E731
        except (AttributeError, OSError, ValueError):
            read1 = getattr(self._stdin, "read1", None) or self._stdin.read
            read = lambda: read1(1 << 16)  # noqa: E731
        try:
            while True:
                data = read()
                if not data:
                    break
                for body in self._framer.feed(data):
                    self._peek(body)
                    deliver(body)
        except (OSError, ValueError) as exc:
            log.info("stdin closed: %s", exc)
        finally:
            deliver(None)

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
