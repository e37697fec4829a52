"""A minimal synchronous LSP client over stdio, for benchmarks: exact timings, no framework overhead."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any


def take_message(buffer: bytearray) -> bytes | None:
    """Remove the first complete ``Content-Length``-framed message from ``buffer``; its body."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = 0
    for line in bytes(buffer[:end]).split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    if len(buffer) < end + 4 + length:
        return None
    body = bytes(buffer[end + 4 : end + 4 + length])
    del buffer[: end + 4 + length]
    return body


class StdioClient:
    """Requests are answered in the calling thread: it writes, then reads until its response.

    No reader thread, so a measured round trip is the server's latency plus one pipe hop each
    way, not a thread hand-off too. ``last_latency`` is the last request's round trip in
    seconds, from the write of the encoded request to the arrival of the whole response (the
    client's own JSON work is outside it). Messages from the server that arrive meanwhile are
    handled inline (requests such as ``workspace/configuration`` answered, notifications kept),
    and ``pump()`` handles the ones sent while the client is idle.
    """

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd
        )
        self._id = 0
        self._responses: dict[int, Any] = {}
        self._fd = self.proc.stdout.fileno()
        self._buffer = bytearray()
        self._arrived = 0.0  # perf_counter() when the last message read was complete
        self.last_latency = 0.0
        self.notifications: list[dict] = []

    # ---- wire -------------------------------------------------------------------------
    @staticmethod
    def _frame(payload: dict) -> bytes:
        body = json.dumps(payload).encode()
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    def _write(self, data: bytes) -> None:
        view, fd = memoryview(data), self.proc.stdin.fileno()
        while view:
            view = view[os.write(fd, view) :]

    def _send(self, payload: dict) -> None:
        self._write(self._frame(payload))

    def _fill(self, timeout: float | None) -> bool:
        if timeout is not None and not select.select([self._fd], [], [], max(0.0, timeout))[0]:
            return False
        data = os.read(self._fd, 65536)
        if not data:
            raise EOFError("the server closed its output")
        self._buffer += data
        return True

    def _next_message(self, timeout: float | None) -> dict | None:
        """The next message from the server, or None when none arrives within ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            body = take_message(self._buffer)
            if body is not None:
                self._arrived = time.perf_counter()
                return json.loads(body)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            if not self._fill(left):
                return None

    def _dispatch(self, msg: dict) -> None:
        if "id" in msg and "method" in msg:  # a request from the server: accept it
            result: Any = None
            if msg["method"] == "workspace/configuration":
                result = [{} for _ in msg["params"]["items"]]
            self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
        elif "id" in msg:
            self._responses[msg["id"]] = msg
        else:
            self.notifications.append(msg)

    def pump(self, timeout: float = 0.0) -> None:
        """Handle what the server sent while the client was idle (waiting up to ``timeout``)."""
        msg = self._next_message(timeout)
        while msg is not None:
            self._dispatch(msg)
            msg = self._next_message(0.0)

    def request(self, method: str, params: Any, timeout: float = 120.0) -> Any:
        self._id += 1
        rid = self._id
        data = self._frame({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        sent = time.perf_counter()
        self._write(data)
        while rid not in self._responses:
            left = deadline - time.monotonic()
            msg = self._next_message(left) if left > 0 else None
            if msg is None:
                raise TimeoutError(method)
            self._dispatch(msg)
        self.last_latency = self._arrived - sent
        msg = self._responses.pop(rid)
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return msg.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    # ---- LSP helpers ---------------------------------------------------------------------
    def initialize(self, root: Path, options: dict | None = None, capabilities: dict | None = None) -> Any:
        caps = capabilities or {
            "textDocument": {
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "completion": {"completionItem": {"snippetSupport": True, "resolveSupport": {"properties": ["documentation", "detail"]}}},
                "synchronization": {"didSave": True},
            },
            "workspace": {"configuration": True},
            "window": {"workDoneProgress": True},
        }
        result = self.request(
            "initialize",
            {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": caps, "initializationOptions": options or {},
             "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]},
        )
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str, language: str = "python") -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}})
        return uri

    def change(self, uri: str, version: int, line: int, character: int, text: str, end: tuple[int, int] | None = None) -> None:
        """An incremental didChange replacing (line, character)..end (default: an insertion)."""
        end_line, end_char = end if end is not None else (line, character)
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": line, "character": character}, "end": {"line": end_line, "character": end_char}}, "text": text}],
        })

    def completion(self, uri: str, line: int, character: int) -> Any:
        return self.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})

    def execute(self, command: str, *arguments: Any) -> Any:
        return self.request("workspace/executeCommand", {"command": command, "arguments": list(arguments)})

    def wait_ready(self, timeout: float = 120.0) -> dict:
        """Poll fastapi.serverInfo until the API docs and the doc index are loaded."""
        deadline = time.monotonic() + timeout
        info: dict = {}
        while time.monotonic() < deadline:
            info = self.execute("fastapi.serverInfo") or {}
            if info.get("apiObjects") and info.get("docsSources"):
                break
            time.sleep(0.02)
        return info

    def hover(self, uri: str, line: int, character: int) -> Any:
        return self.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})

    def _tree(self) -> list[int]:
        """The server's pid and its descendants' (a wrapper script may start the real server)."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def _status_mb(self, key: str) -> float:
        total = 0.0
        for pid in self._tree():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(key):
                        total += int(line.split()[1]) / 1024
            except OSError:
                continue
        return total or float("nan")

    def peak_rss_mb(self) -> float:
        """Peak RSS (VmHWM) summed over the server's process tree."""
        return self._status_mb("VmHWM:")

    def rss_mb(self) -> float:
        """Current RSS summed over the server's process tree."""
        return self._status_mb("VmRSS:")

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[k]
