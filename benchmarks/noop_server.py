"""A JSON-RPC server that does nothing: answers every request with ``null`` at once.

``bench_hover.py`` times it with the same client as the real servers: its latency is the floor
that the pipes, the operating system and the benchmark client put under every figure.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    buffer = bytearray()
    out = sys.stdout.buffer
    while True:
        data = os.read(0, 65536)
        if not data:
            return 0
        buffer += data
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            length = next(int(h.split(b":")[1]) for h in bytes(buffer[:end]).split(b"\r\n") if h.lower().startswith(b"content-length"))
            if len(buffer) < end + 4 + length:
                break
            message = json.loads(bytes(buffer[end + 4 : end + 4 + length]))
            del buffer[: end + 4 + length]
            if "id" in message and "method" in message:
                body = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": None}).encode()
                out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
                out.flush()
            if message.get("method") == "exit":
                return 0


if __name__ == "__main__":
    raise SystemExit(main())
