"""A JSON-RPC server that does nothing: answers every request with ``null`` at once.

``bench_hover.py`` times it with the same client as the real servers: its latency is the floor
that the pipes, the operating system and the benchmark client put under every figure.
"""

from __future__ import annotations

import json
import os
import sys

from lspclient import take_message  # this folder is first on sys.path when run as a script


def main() -> int:
    buffer = bytearray()
    out = sys.stdout.buffer
    while True:
        data = os.read(0, 65536)
        if not data:
            return 0
        buffer += data
        while (body := take_message(buffer)) is not None:
            message = json.loads(body)
            if "id" in message and "method" in message:
                answer = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": None}).encode()
                out.write(b"Content-Length: %d\r\n\r\n" % len(answer) + answer)
                out.flush()
            if message.get("method") == "exit":
                return 0


if __name__ == "__main__":
    raise SystemExit(main())
