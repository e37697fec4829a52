"""Hover latency while typing: the real server over stdio, next to basedpyright in the same run.

Generates a FastAPI module (5,000 lines by default), opens it, then types a few lines into a
function in the middle of it at about 30 characters a second, one didChange per character.
After each keystroke it sends a hover on a FastAPI symbol elsewhere in the file (above or below
the edit, alternately; positions below follow the lines typed) and records its latency. Prints
the first hover after didOpen (the first analysis) and the hover p50/p99 after a keystroke, and
the share of those hovers that found their symbol.

    python benchmarks/bench_typing.py [--lines 5000] [--keys 300] [--rate 30] [--big 50000]
                                      [--peer-keys 40] [--no-peers]

``--big N`` also runs ours on an N-line module (the 50k-line goal); basedpyright runs on the
first module only, with ``--peer-keys`` keystrokes (it takes seconds per hover after an edit).
``--rate 0`` types as fast as the answers come (compressed time).
Goals (issue 13): p99 <= 10 ms at 5,000 lines, <= 30 ms at 50,000 lines.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.genapp import generate  # noqa: E402
from benchmarks.lspclient import StdioClient, percentile  # noqa: E402

#: what is typed, character by character: realistic code, broken most of the time while typed
TYPED = (
    "    total = len(db)\n"
    "    if total > 100:\n"
    "        raise HTTPException(status_code=status.HTTP_507_INSUFFICIENT_STORAGE, detail=f\"{total} items\")\n"
    "    request_id = item_id * 2\n"
)


def edit_point(lines: list[str]) -> tuple[int, int]:
    """Where typing starts: the line after a ``return`` in the function nearest the middle."""
    mid = len(lines) // 2
    for delta in range(len(lines)):
        for n in (mid + delta, mid - delta):
            if 0 <= n < len(lines) and lines[n].startswith("    return db[item_id]"):
                return n + 1, 0
    return mid, 0


def hover_targets(text: str, edit_line: int, count: int) -> list[tuple[int, int]]:
    from fastapi_docs_lsp.core.analysis import analyze

    occs = [(o.line, (o.start + o.end) // 2) for o in analyze(text).occurrences if abs(o.line - edit_line) > 50]
    rnd = random.Random(13)
    above = [p for p in occs if p[0] < edit_line]
    below = [p for p in occs if p[0] > edit_line]
    return [rnd.choice(above if i % 2 == 0 else below) for i in range(count)]


class Typist:
    def __init__(self, name: str, cmd: list[str], ours: bool) -> None:
        self.name, self.cmd, self.ours = name, cmd, ours
        self.times: list[float] = []
        self.answered = 0
        self.first_hover_ms = 0.0
        self.peak_rss = float("nan")

    def run(self, root: Path, path: Path, text: str, keys: int, rate: float) -> None:
        lines = text.split("\n")
        line, col = edit_point(lines)
        targets = hover_targets(text, line, keys)
        client = StdioClient(self.cmd, env=dict(os.environ), cwd=str(root))
        try:
            client.initialize(root, {"fastapi": {"pythonPath": sys.executable}} if self.ours else None)
            if self.ours:
                client.wait_ready()
            uri = client.open(path, text)
            t0 = time.perf_counter()
            first = targets[0]
            for _ in range(600):  # the peer may answer null until its first analysis is done
                if client.hover(uri, *first) is not None or self.ours:
                    break
                client.pump(0.1)
            self.first_hover_ms = (time.perf_counter() - t0) * 1000
            typed = (TYPED * (keys // len(TYPED) + 1))[:keys]
            version = 1
            newlines = 0
            started = time.perf_counter()
            for i, ch in enumerate(typed):
                if rate > 0:  # pace the keystrokes
                    due = started + i / rate
                    now = time.perf_counter()
                    if due > now:
                        client.pump(due - now)
                version += 1
                client.change(uri, version, line, col, ch)
                if ch == "\n":
                    line, col, newlines = line + 1, 0, newlines + 1
                else:
                    col += 1
                t_line, t_col = targets[i]
                if t_line >= line - newlines:
                    t_line += newlines
                result = client.hover(uri, t_line, t_col)
                self.times.append(client.last_latency * 1000)
                self.answered += result is not None
            self.peak_rss = client.peak_rss_mb()
        finally:
            client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--keys", type=int, default=300, help="keystrokes typed into the module (ours)")
    parser.add_argument("--rate", type=float, default=30.0, help="keystrokes per second (0: as fast as answered)")
    parser.add_argument("--big", type=int, default=50_000, help="also type into a module this long (ours only; 0: skip)")
    parser.add_argument("--peer-keys", type=int, default=40, help="keystrokes for basedpyright")
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="fdl-typing-"))
    rows = []
    try:
        sizes = [args.lines] + ([args.big] if args.big else [])
        for size in sizes:
            path = root / f"service_{size}.py"
            text = generate(size)
            path.write_text(text)
            runs = [Typist("fastapi-docs-lsp", [sys.executable, "-m", "fastapi_docs_lsp"], True)]
            if size == args.lines and not args.no_peers:
                exe = shutil.which("basedpyright-langserver") or str(Path(sys.executable).parent / "basedpyright-langserver")
                if Path(exe).exists():
                    runs.append(Typist("basedpyright", [exe, "--stdio"], False))
                else:
                    print("(basedpyright not installed: pip install basedpyright to compare)")
            for run in runs:
                keys = args.keys if run.ours else min(args.keys, args.peer_keys)
                try:
                    run.run(root, path, text, keys, args.rate)
                except (OSError, RuntimeError, TimeoutError, ValueError) as exc:  # a peer that fails must not hide our figures
                    print(f"{run.name}: failed ({exc})")
                    continue
                rows.append((size, run))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"\n{'server':18} {'lines':>7} {'keys':>5} {'1st hover ms':>12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'answered':>8} {'peak RSS MB':>11}")
    for size, run in rows:
        print(
            f"{run.name:18} {size:7d} {len(run.times):5d} {run.first_hover_ms:12.0f} {percentile(run.times, 50):8.2f} "
            f"{percentile(run.times, 99):8.2f} {max(run.times, default=float('nan')):8.2f} {run.answered / max(1, len(run.times)):8.0%} {run.peak_rss:11.1f}"
        )
    ours = next((r for s, r in rows if s == args.lines and r.ours), None)
    peer = next((r for s, r in rows if s == args.lines and not r.ours), None)
    if ours and peer and ours.times and peer.times:
        print(f"ratio ours/basedpyright at {args.lines} lines: p50 {percentile(ours.times, 50) / percentile(peer.times, 50):.3g}x  p99 {percentile(ours.times, 99) / percentile(peer.times, 99):.3g}x")
    print("goals: p99 <= 10 ms at 5,000 lines, <= 30 ms at 50,000 lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
