"""The one place that touches what pygls does not offer publicly.

Everything here leans on a pygls internal (a private attribute, a method meant to be
overridden only by pygls itself). ``PRIVATE_NAMES`` lists each of them; a unit test asserts they
all still exist, so a pygls upgrade that moves one fails loudly instead of misbehaving.

- ``SeamProtocol``: pygls' ``LanguageServerProtocol`` with the lifecycle errors the spec asks for
  (-32002 before ``initialize``, InvalidRequest after ``shutdown``, a parse error for bodies that
  are not JSON or not UTF-8), no future kept per notification (pygls keeps one per notification
  whose builtin handler is a generator: every ``didChange``), requests cancelled before their
  turn skipped, and raw handlers that answer from the JSON (``transport.py``).
- ``SyncedDocument``/``DiskDocument``/``SyncedWorkspace``: documents kept as lines (the pure line
  model is ``documents.py``); files that are not open are read safely (regular files only).
- ``install_workspace``: pygls creates its ``Workspace`` itself in ``initialize``; we swap it.
- URI <-> path (``uri_to_path``, ``path_to_uri``, ``path_key``) and position codecs (``to_code_points``,
  ``to_client``): pygls has both, but keys open documents by the unquoted URI and converts
  positions through whole-document line lists.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any
from urllib.parse import quote, unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcParseError, JsonRpcRequestCancelled, JsonRpcServerNotInitialized
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import Workspace
from pygls.workspace.text_document import TextDocument

from .documents import content_length, split_lines

log = logging.getLogger(__name__)

#: (owner, name): every non-public pygls name this module relies on (checked by a unit test)
PRIVATE_NAMES: tuple[tuple[type, str], ...] = (
    (LanguageServerProtocol, "_handle_request"),
    (LanguageServerProtocol, "_handle_cancel_notification"),
    (LanguageServerProtocol, "_handle_notification"),
    (LanguageServerProtocol, "_execute_handler"),
    (LanguageServerProtocol, "_send_response"),
    (LanguageServerProtocol, "_shutdown"),  # instance attribute (checked on an instance)
    (LanguageServerProtocol, "_request_futures"),  # instance attribute
    (LanguageServerProtocol, "_workspace"),  # instance attribute
    (LanguageServerProtocol, "structure_message"),
    (LanguageServerProtocol, "CONTENT_TYPE"),
    (LanguageServerProtocol, "CHARSET"),
    (TextDocument, "_source"),  # instance attribute
    (TextDocument, "_position_codec"),  # instance attribute
    (TextDocument, "_apply_full_change"),
    (TextDocument, "_apply_incremental_change"),
    (Workspace, "_create_text_document"),
    (Workspace, "_sync_kind"),  # instance attribute
    (Workspace, "_position_codec"),  # instance attribute
)

#: what a raw handler returns to let pygls' typed path answer instead
DECLINE = object()


def raw_position(params: Any) -> tuple[str, int, int] | None:
    """``(uri, line, character)`` of a raw handler's JSON ``TextDocumentPositionParams``, or
    ``None`` when they are not well formed (the raw handler then declines: the typed path
    validates them and answers with the proper error)."""
    try:
        uri = params["textDocument"]["uri"]
        line, character = params["position"]["line"], params["position"]["character"]
    except (KeyError, TypeError):
        return None
    if not (isinstance(uri, str) and type(line) is int and type(character) is int and line >= 0 and character >= 0):
        return None
    return uri, line, character


class RawJSON(str):
    """A raw handler's result already encoded as JSON: ``send_raw`` sends it as is (a large
    answer kept encoded between requests is not encoded again)."""

    __slots__ = ()

RawHandler = Callable[[Any], Any]

_decode = json.JSONDecoder().decode
_encode = json.JSONEncoder(separators=(",", ":")).encode

# ---- URI <-> path ---------------------------------------------------------------------------

_DRIVE = re.compile(r"^/?([A-Za-z]):")


def uri_to_path(uri: str) -> str | None:
    """The file system path of a ``file:`` URI (None for other schemes).

    Unquotes ``%``-escapes (``%20``, ``%3A`` of ``file:///c%3A/...``), keeps unicode, turns
    ``file:///C:/x`` into ``c:/x`` (drive letter lower-cased, as pygls and VS Code do) and
    ``file://server/share/x`` into ``//server/share/x``. On Windows the separators become ``\\``.
    """
    try:
        parsed = urlparse(uri)
    except (TypeError, ValueError):
        return None
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if parsed.netloc and parsed.netloc != "localhost":
        path = f"//{parsed.netloc}{path}"
    else:
        m = _DRIVE.match(path)
        if m:
            path = m.group(1).lower() + ":" + path[m.end() :]
    if os.name == "nt":
        path = path.replace("/", "\\")
    return path


def path_to_uri(path: str) -> str:
    """A ``file:`` URI for ``path``, quoted the way VS Code quotes (``file:///c%3A/my%20app/a.py``)."""
    p = path.replace("\\", "/")
    m = _DRIVE.match(p)
    if m:
        p = "/" + m.group(1).lower() + ":" + p[m.end() :]
    elif p.startswith("//"):  # UNC: //server/share/x
        host, _, rest = p[2:].partition("/")
        return f"file://{host}/{quote(rest, safe='/')}"
    if not p.startswith("/"):
        p = "/" + p
    return "file://" + quote(p, safe="/")


def path_key(path: str) -> str:
    """What identifies a path for lookups: separators, ``..`` and drive-letter case normalised."""
    p = os.path.normpath(path.replace("\\", "/")).replace("\\", "/")
    m = _DRIVE.match(p)
    if m:
        p = m.group(1).lower() + ":" + p[m.end() :]
    return os.path.normcase(p) if os.name == "nt" else p


def document_key(uri: str) -> str:
    """The key for a document URI: its path key, or the unquoted URI when it is not a file."""
    path = uri_to_path(uri)
    return path_key(path) if path else unquote(uri)


# ---- positions --------------------------------------------------------------------------------


def _units(ch: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf32:
        return 1
    if encoding == types.PositionEncodingKind.Utf8:
        return len(ch.encode("utf-8", "surrogatepass"))
    return 2 if ord(ch) > 0xFFFF else 1


def to_code_points(text: str, column: int, encoding: str) -> int:
    """Client column (in ``encoding`` code units) -> code-point column, clamped to ``text``."""
    if text.isascii() or encoding == types.PositionEncodingKind.Utf32:
        return max(0, min(column, len(text)))
    units = 0
    for i, ch in enumerate(text):
        if units >= column:
            return i
        units += _units(ch, encoding)
    return len(text)


def to_client(text: str, column: int, encoding: str) -> int:
    """Code-point column -> client column."""
    column = max(0, min(column, len(text)))
    if text.isascii() or encoding == types.PositionEncodingKind.Utf32:
        return column
    return sum(_units(ch, encoding) for ch in text[:column])


def encoding_of(doc: Any) -> str:
    """The position encoding negotiated for ``doc`` (UTF-16 unless the client chose another)."""
    return getattr(getattr(doc, "position_codec", None), "encoding", None) or types.PositionEncodingKind.Utf16


# ---- reading files the client named -------------------------------------------------------------


def read_regular_file(path: str, max_size: int) -> str | None:
    """The text of ``path`` if it is a regular file (symlinks followed to one) of at most
    ``max_size`` bytes; None for devices, FIFOs, sockets, folders, huge or binary files.

    Never blocks on a FIFO or reads forever from a device: the file is opened non-blocking and
    checked with ``fstat`` before anything is read. Bad UTF-8 becomes U+FFFD, so one bad byte
    never hides the rest of the text.
    """
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            log.info("not reading %s: not a regular file", path)
            return None
        if st.st_size > max_size:
            log.info("not reading %s: %d bytes is above the %d-byte limit", path, st.st_size, max_size)
            return None
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:
        log.debug("cannot read %s: %s", path, exc)
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the stat
            return None
        chunks: list[bytes] = []
        left = max_size + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        log.debug("cannot read %s: %s", path, exc)
        return None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_size:
        log.info("not reading %s: above the %d-byte limit", path, max_size)
        return None
    if b"\x00" in data[:8192]:
        log.info("not reading %s: looks binary", path)
        return None
    return data.decode("utf-8", errors="replace")


# ---- documents --------------------------------------------------------------------------------------


class SyncedDocument(TextDocument):
    """A ``TextDocument`` kept as LSP lines: incremental changes touch only the lines they edit.

    pygls' ``TextDocument`` re-splits the whole text for every change and position conversion
    (~7 ms per keystroke on a 50,000-line module) and splits on characters LSP clients do not
    treat as line breaks (see ``documents.py``).
    """

    def __init__(self, uri: str, source: str | None = None, *args, **kwargs) -> None:
        super().__init__(uri, source, *args, **kwargs)
        self._line_list: list[str] | None = split_lines(source) if source is not None else None
        self._joined: str | None = source

    def _ensure_lines(self) -> list[str]:
        if self._line_list is None:
            self._line_list = split_lines(self.source)
        return self._line_list

    @property
    def source(self) -> str:  # type: ignore[override]
        if self._joined is None:
            if self._line_list is not None:
                self._joined = "".join(self._line_list)
            else:
                return super().source
        return self._joined

    @property
    def lines(self) -> Sequence[str]:  # type: ignore[override]
        """Lines with their terminators (the pygls contract), split as LSP clients split them."""
        lines = self._ensure_lines()
        return tuple(lines[:-1]) if lines and lines[-1] == "" else tuple(lines)

    def line_count(self) -> int:
        return len(self._ensure_lines())

    def line(self, index: int) -> str:
        """Line ``index`` without its terminator ("" outside the document)."""
        lines = self._ensure_lines()
        if 0 <= index < len(lines):
            text = lines[index]
            return text[: content_length(text)]
        return ""

    def _set_source(self, text: str) -> None:
        self._source = text
        self._joined = text
        self._line_list = split_lines(text)

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        self._set_source(change.text)

    def _column(self, line: str, character: int) -> int:
        """Client column (in the negotiated encoding) -> code points, clamped to the line's content."""
        return to_code_points(line[: content_length(line)], max(0, character), self._position_codec.encoding or "utf-16")

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        lines = self._ensure_lines()
        start, end = change.range.start, change.range.end
        if (end.line, end.character) < (start.line, start.character):
            start, end = end, start
        last = len(lines) - 1

        def point(pos: types.Position) -> tuple[int, int]:
            if pos.line < 0:
                return 0, 0
            if pos.line > last:  # past the end: the end of the document
                return last, len(lines[last])
            return pos.line, self._column(lines[pos.line], pos.character)

        sl, sc = point(start)
        el, ec = point(end)
        if (el, ec) < (sl, sc):
            el, ec = sl, sc
        # Re-split the edited text together with its neighbours, so a "\r" + "\n" that the edit
        # brings together (or pulls apart) becomes the single line break the client sees.
        a = max(0, sl - 1)
        b = min(len(lines), el + 2)
        region = "".join(lines[a:sl]) + lines[sl][:sc] + change.text + lines[el][ec:] + "".join(lines[el + 1 : b])
        pieces = split_lines(region)
        if b < len(lines):
            pieces.pop()  # the region ends with a line break: its trailing "" is line b's start
        lines[a:b] = pieces
        self._joined = None
        self._source = None  # pygls' attribute: the text is ``source`` (joined on demand)


class DiskDocument(TextDocument):
    """A file that is not open: read on demand, regular files only, size-capped, binary refused."""

    max_file_size = 3_000_000

    def __init__(self, *args, max_file_size: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if max_file_size is not None:
            self.max_file_size = max_file_size
        self.unreadable = False

    @property
    def source(self) -> str:  # type: ignore[override]
        path = uri_to_path(self.uri)
        text = read_regular_file(path, self.max_file_size) if path else None
        self.unreadable = text is None
        return text or ""


class SyncedWorkspace(Workspace):
    """A pygls ``Workspace`` that keeps open documents as ``SyncedDocument`` and finds them by path."""

    max_file_size = 3_000_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._by_path: dict[str, str] = {}  # path_key -> the document's URI as the client sent it

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        if source is None:  # a file that is not open: read from disk, carefully
            return DiskDocument(
                doc_uri,
                version=version,
                language_id=language_id,
                sync_kind=self._sync_kind,
                position_codec=self._position_codec,
                max_file_size=self.max_file_size,
            )
        return SyncedDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )

    def put_text_document(self, text_document: types.TextDocumentItem, notebook_uri: str | None = None) -> None:
        super().put_text_document(text_document, notebook_uri=notebook_uri)
        self._by_path[document_key(text_document.uri)] = text_document.uri

    def remove_text_document(self, doc_uri: str) -> None:
        super().remove_text_document(doc_uri)
        self._by_path.pop(document_key(doc_uri), None)

    def open_document(self, uri: str) -> TextDocument | None:
        """The open document for ``uri`` however the URI is spelled (quoting, drive-letter case)."""
        doc = self._stored(uri)
        if doc is None:
            sent = self._by_path.get(document_key(uri))
            doc = self._stored(sent) if sent is not None else None
        return doc

    def open_document_at(self, path: str) -> TextDocument | None:
        """The open document whose file is ``path``, or None."""
        sent = self._by_path.get(path_key(path))
        return self._stored(sent) if sent is not None else None

    def _stored(self, uri: str) -> TextDocument | None:
        docs = self.text_documents  # pygls 2.1 keys them by the unquoted URI, 2.0 as sent
        return docs.get(unquote(uri)) or docs.get(uri)


def install_workspace(protocol: LanguageServerProtocol, max_file_size: int) -> SyncedWorkspace | None:
    """Swap pygls' workspace (just created by ``initialize``, still empty) for a ``SyncedWorkspace``."""
    ws = getattr(protocol, "_workspace", None)
    if ws is None:
        return None
    if isinstance(ws, SyncedWorkspace):
        return ws
    if ws.text_documents:
        return None
    synced = SyncedWorkspace(ws.root_uri, ws._sync_kind, list(ws.folders.values()), ws.position_encoding)
    synced.max_file_size = max_file_size
    protocol._workspace = synced
    return synced


# ---- the protocol ----------------------------------------------------------------------------------


def request_id(body: bytes) -> int | str | None:
    """The id of a request body, read as leniently as possible (None when there is none)."""
    try:
        msg_id = json.loads(body.decode("utf-8", errors="replace")).get("id")
    except (ValueError, AttributeError):
        return None
    return msg_id if isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool) else None


class SeamProtocol(LanguageServerProtocol):
    """pygls' protocol with the spec's lifecycle errors, early cancellation, no leaked futures,
    and raw handlers (see ``transport.py``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cancelled_early: set = set()
        self._early_lock = threading.Lock()
        self.raw_requests: dict[str, RawHandler] = {}
        self._raw_markers: tuple[bytes, ...] = ()
        self.initialized = False  # an ``initialize`` request arrived

    # ---- public views of pygls state ------------------------------------------------------------

    @property
    def shut_down(self) -> bool:
        return bool(self._shutdown)

    def pending_futures(self) -> int:
        """How many requests/handlers pygls is tracking (bounded by what is in flight)."""
        return len(self._request_futures)

    def send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        self._send_response(msg_id, result, error)

    def send_error(self, msg_id: Any, error: JsonRpcException) -> None:
        self._send_response(msg_id, None, error.to_response_error())

    # ---- raw handlers ---------------------------------------------------------------------------

    def raw_request(self, method: str, handler: RawHandler) -> None:
        """Answer ``method`` with ``handler(params_json)`` (see ``transport.py``)."""
        self.raw_requests[method] = handler
        self._raw_markers = tuple(json.dumps(m).encode() for m in self.raw_requests)

    # ---- early cancellation -----------------------------------------------------------------------

    def note_cancel(self, msg_id: Any) -> None:
        with self._early_lock:
            self.cancelled_early.add(msg_id)

    def _take(self, msg_id: Any) -> bool:
        with self._early_lock:
            if msg_id in self.cancelled_early:
                self.cancelled_early.discard(msg_id)
                return True
        return False

    # ---- pygls hooks ------------------------------------------------------------------------------

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        if self._take(msg_id):
            log.debug("request %s (%s) was cancelled before it ran", msg_id, method_name)
            self.send_error(msg_id, JsonRpcRequestCancelled(f'Request with id "{msg_id}" is canceled'))
            return
        if method_name == types.INITIALIZE:
            self.initialized = True
        elif not self.initialized:
            self.send_error(msg_id, JsonRpcServerNotInitialized(f"{method_name}: the server is not initialized yet"))
            return
        super()._handle_request(msg_id, method_name, params)

    def _handle_notification(self, method_name: str, params: Any) -> None:
        if not self.initialized and method_name != types.EXIT:
            log.warning("notification %s before initialize: dropped", method_name)
            return
        super()._handle_notification(method_name, params)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        # the cancellation arrives (in order) after its request: forget the early note either way
        self._take(msg_id)
        if msg_id in self._request_futures:
            super()._handle_cancel_notification(msg_id)

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None, kwargs: Any = None) -> None:
        # pygls files the future of every generator or async handler under ``msg_id`` and only a
        # request's response removes it: notifications (each ``didChange``) and the steps of
        # generator handlers would stay forever. Remove it once done, whatever it was.
        futures = self._request_futures

        def done(future: Future[Any]) -> None:
            if futures.get(msg_id) is future:
                del futures[msg_id]
            callback(future)

        super()._execute_handler(msg_id, handler, done, args, kwargs)

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", "")
        if self._shutdown and method != types.EXIT:
            msg_id = getattr(message, "id", None)
            if method and msg_id is not None:
                self.send_error(msg_id, JsonRpcInvalidRequest(f"{method}: the server is shutting down"))
            else:
                log.debug("after shutdown: ignoring %s", method or "a response")
            return
        super().handle_message(message)

    # ---- messages as bytes --------------------------------------------------------------------------

    def parse_body(self, body: bytes) -> Any | None:
        """The typed message in ``body``; errors are answered here (None then)."""
        try:
            return json.loads(body, object_hook=self.structure_message)
        except JsonRpcException as error:
            # pygls logs params that do not match the method's types and drops the message; a
            # request must still be answered, or the client waits for it forever
            msg_id = request_id(body)
            log.warning("invalid message (request id %s): %s", msg_id, error)
            if msg_id is not None:
                self.send_error(msg_id, error)
            return None
        except ValueError as error:  # not UTF-8 (UnicodeDecodeError), or not JSON
            msg_id = request_id(body)
            log.error("unreadable message (request id %s): %s", msg_id, error)
            self.send_error(msg_id, JsonRpcParseError(f"cannot parse the message: {error}"))
            return None

    def send_raw(self, message: dict[str, Any]) -> None:
        """Write a JSON-ready message as is (the framing pygls' ``_send_data`` uses)."""
        if self.writer is None:
            log.error("Unable to send data, no available transport!")
            return
        result = message.get("result")
        if isinstance(result, RawJSON):
            head = _encode({k: v for k, v in message.items() if k != "result"})
            body = f'{head[:-1]},"result":{result}}}'.encode()
        else:
            body = _encode(message).encode()
        header = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
        self.writer.write(header.encode() + body)


def private_names_missing(protocol: LanguageServerProtocol, document: TextDocument, workspace: Workspace) -> list[str]:
    """The names of ``PRIVATE_NAMES`` that pygls no longer has (on the class or the given instances)."""
    instances = {LanguageServerProtocol: protocol, TextDocument: document, Workspace: workspace}
    return [f"{owner.__name__}.{name}" for owner, name in PRIVATE_NAMES if not hasattr(owner, name) and not hasattr(instances[owner], name)]

