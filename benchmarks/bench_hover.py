"""Hover latency, start-up and memory of the real server over stdio, next to peer servers.

Generates a ~5,000-line FastAPI module, opens it, hovers every FastAPI position for several
rounds and prints: start ms (initialize round trip), ready ms (docs loaded), first hover after
didOpen, hover p50/p99 and peak RSS. basedpyright and jedi-language-server run on the same file
in the same run when installed, one after the other, and the ratios are printed (machines are
noisy: compare ratios).

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


FLOOR = "no-op server"


def fastapi_positions(text: str) -> list[tuple[int, int]]:
    from fastapi_docs_lsp.core.analysis import analyze

    return [(o.line, o.start) for o in analyze(text).occurrences]


def safe_hover(client: StdioClient, uri: str, line: int, col: int) -> tuple[object, bool]:
    """(result, failed): a JSON-RPC error answer counts as a failure, not a crash of the benchmark."""
    try:
        return client.hover(uri, line, col), False
    except RuntimeError:
        return None, True


class Run:
    """One server under test: its client, timings and counters."""

    def __init__(self, name: str, cmd: list[str], rounds: int, ours: bool, warm_up: bool = True) -> None:
        self.name, self.cmd, self.rounds, self.ours, self.warm_up = name, cmd, rounds, ours, warm_up
        self.times: list[float] = []
        self.answered = self.errors = 0
        self.first_ok = False
        self.start_ms = self.ready_ms = self.first_hover_ms = 0.0

    def start(self, root: Path) -> None:
        t0 = time.perf_counter()
        self.client = StdioClient(self.cmd, env=dict(os.environ), cwd=str(root))
        self.client.initialize(root, {"fastapi": {"pythonPath": sys.executable}} if self.ours else None)
        self.start_ms = self.ready_ms = (time.perf_counter() - t0) * 1000
        if self.ours:
            while True:
                info = self.client.execute("fastapi.serverInfo")
                if info.get("apiObjects") and info.get("docsSources"):
                    break
                self.client.pump(0.01)
            self.ready_ms = (time.perf_counter() - t0) * 1000

    def open(self, path: Path, text: str, first: tuple[int, int]) -> None:
        self.uri = self.client.open(path, text)
        t1 = time.perf_counter()
        result, _ = safe_hover(self.client, self.uri, *first)
        self.first_hover_ms = (time.perf_counter() - t1) * 1000
        self.first_ok = result is not None
        if not self.ours and self.warm_up:
            # let the peer finish its own analysis so steady-state latency is compared fairly
            for _ in range(50):
                if safe_hover(self.client, self.uri, *first)[0] is not None:
                    break
                self.client.pump(0.1)

    def hover(self, line: int, col: int) -> None:
        result, failed = safe_hover(self.client, self.uri, line, col)
        self.errors += failed
        self.times.append(self.client.last_latency * 1000)
        self.answered += result is not None

    def finish(self) -> dict:
        rss = self.client.peak_rss_mb()
        self.client.close()
        return {
            "name": self.name, "start_ms": self.start_ms, "ready_ms": self.ready_ms, "first_hover_ms": self.first_hover_ms,
            "p50": percentile(self.times, 50), "p99": percentile(self.times, 99), "peak_rss_mb": rss,
            "answered": self.answered / max(1, len(self.times)), "first_ok": self.first_ok, "errors": self.errors,
        }


def run_all(runs: list[Run], root: Path, path: Path, text: str, positions) -> list[dict]:
    """One server at a time (a peer's background work would otherwise load the shared cores while
    another is measured), ours first. Each server's first round follows its didOpen at once."""
    results = []
    for run in runs:
        try:
            run.start(root)
            run.open(path, text, positions[0])
            for _ in range(run.rounds):
                for line, col in positions:
                    run.hover(line, col)
            results.append(run.finish())
        except Exception as exc:  # a peer that fails must not hide our figures
            print(f"{run.name}: failed ({exc})")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--peer-rounds", type=int, default=None,
                        help="rounds for the peers (default: as many as ours for basedpyright, 1 for the slow jedi-language-server)")
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
                rounds = args.peer_rounds if args.peer_rounds is not None else (args.rounds if name == "basedpyright" else 1)
                servers.append((name, [found, *extra], False, rounds))
            else:
                print(f"({name} not installed: pip install {name} to compare)")
    runs = [Run(name, cmd, rounds, ours) for name, cmd, ours, rounds in servers]
    runs.append(Run(FLOOR, [sys.executable, str(Path(__file__).with_name("noop_server.py"))], args.rounds, False, warm_up=False))
    results = run_all(runs, root, path, text, positions)
    print(f"\n{'server':22} {'start ms':>9} {'ready ms':>9} {'1st hover':>9} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MB':>11} {'answered':>8} {'errors':>6}")
    for r in results:
        if r["name"] == FLOOR:
            print(f"{FLOOR:22} {'':9} {'':9} {'':9} {r['p50']:8.3f} {r['p99']:8.3f}   (pipes + client: the floor under every row)")
            continue
        print(f"{r['name']:22} {r['start_ms']:9.0f} {r['ready_ms']:9.0f} {r['first_hover_ms']:9.1f} {r['p50']:8.3f} {r['p99']:8.3f} {r['peak_rss_mb']:11.1f} {r['answered']:8.0%} {r['errors']:6d}")
    ours = next(r for r in results if r["name"] == "fastapi-docs-lsp")
    for r in (r for r in results if r is not ours and r["name"] != FLOOR):
        print(f"ratio ours/{r['name']}: p50 {ours['p50'] / r['p50']:.3g}x  p99 {ours['p99'] / r['p99']:.3g}x  peak RSS {ours['peak_rss_mb'] / r['peak_rss_mb']:.2f}x")
    print("\ntargets: hover p99 <= 2 ms and <= 0.3x basedpyright; first hover <= 150 ms; peak RSS <= 60 MB")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
