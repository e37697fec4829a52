"""Hover latency, start-up and memory of the real server over stdio, next to peer servers.

Generates a ~5,000-line FastAPI module, opens it, hovers every FastAPI position for several
rounds and prints: start ms (initialize round trip), ready ms (docs loaded), first hover after
didOpen, hover p50/p99 and peak RSS. basedpyright and jedi-language-server run on the same file
in the same run when installed, and the ratios are printed (machines are noisy: compare ratios).

    python benchmarks/bench_hover.py [--lines 5000] [--rounds 5] [--no-peers | --peers basedpyright]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.genapp import generate  # noqa: E402
from benchmarks.lspclient import StdioClient, percentile  # noqa: E402


def fastapi_positions(text: str) -> list[tuple[int, int]]:
    from fastapi_docs_lsp.core.analysis import analyze

    return [(o.line, o.start) for o in analyze(text).occurrences]


def safe_hover(client: StdioClient, uri: str, line: int, col: int) -> tuple[object, bool]:
    """(result, failed): a JSON-RPC error answer counts as a failure, not a crash of the benchmark."""
    try:
        return client.hover(uri, line, col), False
    except RuntimeError:
        return None, True


def run_server(name: str, cmd: list[str], root: Path, path: Path, text: str, positions, rounds: int, ours: bool) -> dict:
    env = dict(os.environ)
    t0 = time.perf_counter()
    client = StdioClient(cmd, env=env, cwd=str(root))
    client.initialize(root, {"fastapi": {"pythonPath": sys.executable}} if ours else None)
    start_ms = (time.perf_counter() - t0) * 1000
    ready_ms = start_ms
    if ours:
        while True:
            info = client.request("workspace/executeCommand", {"command": "fastapi.serverInfo", "arguments": []})
            if info.get("apiObjects") and info.get("docsSources"):
                break
            client.pump(0.01)
        ready_ms = (time.perf_counter() - t0) * 1000
    uri = client.open(path, text)
    t1 = time.perf_counter()
    first, _ = safe_hover(client, uri, *positions[0])
    first_ms = (time.perf_counter() - t1) * 1000
    if not ours:
        # let the peer finish its own analysis so steady-state latency is compared fairly
        for _ in range(50):
            if safe_hover(client, uri, *positions[0])[0] is not None:
                break
            client.pump(0.1)
    times: list[float] = []
    answered = errors = 0
    for _ in range(rounds):
        for line, col in positions:
            result, failed = safe_hover(client, uri, line, col)
            errors += failed
            times.append(client.last_latency * 1000)
            answered += result is not None
    rss = client.peak_rss_mb()
    client.close()
    return {
        "name": name, "start_ms": start_ms, "ready_ms": ready_ms, "first_hover_ms": first_ms,
        "p50": percentile(times, 50), "p99": percentile(times, 99), "peak_rss_mb": rss,
        "answered": answered / max(1, len(times)), "first_ok": first is not None, "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--peer-rounds", type=int, default=1)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--peers", default="basedpyright,jedi-language-server", help="comma-separated peers to run (default: both)")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="fdl-bench-"))
    path = root / "service.py"
    text = generate(args.lines)
    path.write_text(text)
    positions = fastapi_positions(text)
    print(f"module: {len(text.splitlines())} lines, {len(positions)} FastAPI positions, {args.rounds} rounds")

    bindir = Path(sys.executable).parent
    servers = [("fastapi-docs-lsp", [sys.executable, "-m", "fastapi_docs_lsp"], True, args.rounds)]
    if not args.no_peers:
        wanted = {p.strip() for p in args.peers.split(",")}
        for name, exe, extra in (("basedpyright", "basedpyright-langserver", ["--stdio"]), ("jedi-language-server", "jedi-language-server", [])):
            if name not in wanted:
                continue
            found = shutil.which(exe) or (str(bindir / exe) if (bindir / exe).exists() else None)
            if found:
                servers.append((name, [found, *extra], False, args.peer_rounds))
            else:
                print(f"({name} not installed: pip install {name} to compare)")
    results = []
    for name, cmd, ours, rounds in servers:
        try:
            results.append(run_server(name, cmd, root, path, text, positions, rounds, ours))
        except Exception as exc:  # a peer that fails must not hide our figures
            print(f"{name}: failed ({exc})")
    print(f"\n{'server':22} {'start ms':>9} {'ready ms':>9} {'1st hover':>9} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MB':>11} {'answered':>8} {'errors':>6}")
    for r in results:
        print(f"{r['name']:22} {r['start_ms']:9.0f} {r['ready_ms']:9.0f} {r['first_hover_ms']:9.1f} {r['p50']:8.2f} {r['p99']:8.2f} {r['peak_rss_mb']:11.1f} {r['answered']:8.0%} {r['errors']:6d}")
    ours = results[0]
    for r in results[1:]:
        print(f"ratio ours/{r['name']}: p50 {ours['p50'] / r['p50']:.2f}x  p99 {ours['p99'] / r['p99']:.2f}x  peak RSS {ours['peak_rss_mb'] / r['peak_rss_mb']:.2f}x")
    print("\ntargets: hover p99 <= 2 ms and <= 0.3x basedpyright; first hover <= 150 ms; peak RSS <= 60 MB")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
