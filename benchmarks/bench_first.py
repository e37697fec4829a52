"""The first useful hover: how long after ``didOpen`` a hover carries the docs (a docs link).

The user's scenario (an editor restoring a session, or a user who hovers at once): ``initialize``,
then ``initialized``, ``didOpen`` and a hover sent in the same instant, with a warm cache (the API
docs and the doc index cached by an earlier run) and with a cold one (an empty ``XDG_CACHE_HOME``).
The hover must come back complete, with its docs link: never a placeholder.

Targets (issue 12): warm <= 300 ms, cold <= 1.5 s (the cold time is mostly the extraction of the
installed FastAPI's API docs). Also printed: start -> ``initialize`` answered, and the completion
and docs search sent in the same instant.

    python -m benchmarks.bench_first [--warm N] [--cold N] [--server CMD...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .lspclient import StdioClient

SRC = (
    "from fastapi import FastAPI, Query, status\n\n"
    "app = FastAPI()\n\n\n"
    "@app.get('/')\n"
    "def root(q: str = Query(None)):\n"
    "    return status.\n"
)
HOVER = (6, 20)  # on Query
COMPLETE = (7, 18)  # after "status."


def one_run(server: list[str], cache_home: Path) -> dict[str, float | str]:
    root = Path(tempfile.mkdtemp(prefix="bench-first-"))
    main = root / "main.py"
    main.write_text(SRC)
    env = {k: v for k, v in os.environ.items() if k != "FASTAPI_DOCS_LSP_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(cache_home)
    started = time.perf_counter()
    client = StdioClient(server, env=env, cwd=str(root))
    try:
        client.initialize(root, options={"fastapi": {"pythonPath": sys.executable}})
        initialized = time.perf_counter() - started
        opened = time.perf_counter()
        uri = client.open(main, SRC)
        hover = client.hover(uri, *HOVER)
        hover_ms = (time.perf_counter() - opened) * 1000
        value = ((hover or {}).get("contents") or {}).get("value", "")
        completion = client.completion(uri, *COMPLETE)
        items = completion.get("items", []) if isinstance(completion, dict) else (completion or [])
        search = client.execute("fastapi.searchDocs", "oauth2 scopes") or []
        return {
            "init_ms": initialized * 1000,
            "hover_ms": hover_ms,
            "hover": "docs link" if "://" in value else f"NO DOCS: {value[:50]!r}",
            "completion": "HTTP_404_NOT_FOUND" if any(i.get("label") == "HTTP_404_NOT_FOUND" for i in items) else "NO status codes",
            "search": f"{len(search)} results" if search else "EMPTY",
            "progress": str(sum(1 for n in client.notifications if n.get("method") == "$/progress")),
        }
    finally:
        client.close()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm", type=int, default=3, help="warm-cache runs")
    parser.add_argument("--cold", type=int, default=1, help="cold-cache runs")
    parser.add_argument("--server", nargs="+", default=[sys.executable, "-m", "fastapi_docs_lsp"])
    args = parser.parse_args()

    rows: list[tuple[str, dict]] = []
    for _ in range(args.cold):
        cold = Path(tempfile.mkdtemp(prefix="bench-first-cold-"))
        try:
            rows.append(("cold", one_run(args.server, cold)))
        finally:
            shutil.rmtree(cold, ignore_errors=True)
    warm = Path(tempfile.mkdtemp(prefix="bench-first-warm-"))
    try:
        if args.warm:
            one_run(args.server, warm)  # fills the cache
        for _ in range(args.warm):
            rows.append(("warm", one_run(args.server, warm)))
    finally:
        shutil.rmtree(warm, ignore_errors=True)

    print(f"{'cache':<6} {'init':>8} {'1st hover':>10}  {'hover':<22} {'completion':<20} {'search':<12} progress")
    for kind, r in rows:
        print(
            f"{kind:<6} {r['init_ms']:>6.0f}ms {r['hover_ms']:>8.0f}ms  {r['hover']:<22} {r['completion']:<20} {r['search']:<12} {r['progress']}"
        )
    for kind, target in (("warm", 300), ("cold", 1500)):
        times = [float(r["hover_ms"]) for k, r in rows if k == kind]
        if times:
            med = statistics.median(times)
            print(f"{kind}: first useful hover median {med:.0f} ms (target <= {target} ms: {'ok' if med <= target else 'MISSED'})")
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
