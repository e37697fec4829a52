"""Route navigation latency on the soak benchmark's workspace: CodeLens and definition.

Builds the soak workspace (200 generated modules, each router included twice: by its own app and
by ``app/main.py``), adds a test suite calling a route of every module through a ``client``
fixture, starts the real server, waits for the route scan, then measures (round trips):

- CodeLens on the test file: unchanged, after an edit that keeps its calls, after an edit that
  changes a call, after an edit of a route module (the workspace view is updated), and on a
  route module ("N tests");
- definition on test-call URLs (p50/p99).

Targets (issue 18): CodeLens for a test file <= 20 ms, definition <= 5 ms p99.

    python benchmarks/bench_navigation.py            # 200 modules x 300 lines, 600 calls
    python benchmarks/bench_navigation.py --quick    # 60 modules
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.lspclient import StdioClient, percentile  # noqa: E402
from benchmarks.soak import CAPABILITIES, build_workspace  # noqa: E402

_ROUTE = re.compile(r'@router\.(get|post|delete)\("([^"]+)"')


def build_tests(root: Path, paths: list[Path], per_module: int, rnd: random.Random) -> tuple[Path, list[tuple[int, int]]]:
    """tests/conftest.py (a TestClient fixture) and tests/test_services.py; the URL positions."""
    tests = root / "tests"
    tests.mkdir()
    (tests / "__init__.py").write_text("")
    (tests / "conftest.py").write_text(
        "import pytest\nfrom fastapi.testclient import TestClient\n\nfrom app.main import app\n\n\n"
        "@pytest.fixture\ndef client():\n    with TestClient(app) as c:\n        yield c\n"
    )
    lines = ["PREFIX = \"/v\"", "", ""]
    positions: list[tuple[int, int]] = []
    for i, path in enumerate(paths):
        routes = _ROUTE.findall(path.read_text())
        lines.append(f"def test_service_{i}(client, item):")
        for method, template in rnd.sample(routes, min(per_module, len(routes))):
            url = re.sub(r"{[^}]+}", "{item.id}", template)
            prefix = "{PREFIX}" if rnd.random() < 0.3 else "/v"
            call = f'    client.{method}(f"{prefix}{i}{url}?trace=1")'
            positions.append((len(lines), call.index('f"') + 3))
            lines.append(call)
        lines.append("")
        lines.append("")
    target = tests / "test_services.py"
    target.write_text("\n".join(lines))
    return target, positions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--calls-per-module", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.modules, args.repeat = 60, 10
    rnd = random.Random(1)
    root = Path(tempfile.mkdtemp(prefix="fdl-nav-"))
    paths = build_workspace(root, args.modules, args.lines)
    test_file, positions = build_tests(root, paths, args.calls_per_module, rnd)
    routes = sum(len(_ROUTE.findall(p.read_text())) for p in paths)
    print(f"workspace: {len(paths)} modules, {routes} routes (x2 prefixes), {len(positions)} test calls in {root}")
    client = StdioClient([sys.executable, "-m", "fastapi_docs_lsp"], env=dict(os.environ), cwd=str(root))
    failures: list[str] = []
    try:
        client.initialize(root, {"fastapi": {"pythonPath": sys.executable}}, capabilities=CAPABILITIES)
        client.wait_ready()
        text = test_file.read_text()
        uri = client.open(test_file, text)
        ident = {"textDocument": {"uri": uri}}
        started = time.perf_counter()
        lenses: list = []
        while time.perf_counter() - started < 120:
            lenses = client.request("textDocument/codeLens", ident) or []
            if len(lenses) >= len(positions) * 0.9:
                break
            client.pump(0.2)
        print(f"route scan done after {time.perf_counter() - started:.1f} s; {len(lenses)} lenses on the test file")
        if len(lenses) < len(positions) * 0.9:
            failures.append(f"only {len(lenses)} lenses for {len(positions)} calls")

        def timed(method: str, params: dict, n: int) -> list[float]:
            out = []
            for _ in range(n):
                client.request(method, params)
                out.append(client.last_latency * 1000)
            return out

        figures: dict[str, list[float]] = {}
        figures["codeLens test file, unchanged"] = timed("textDocument/codeLens", ident, args.repeat)
        version = 1
        lines = text.split("\n")
        same, changed = [], []
        for i in range(args.repeat):
            version += 1
            # an edit that keeps the calls (a comment), then one that changes a URL
            lines.append(f"# note {i}")
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": "\n".join(lines)}]})
            client.request("textDocument/codeLens", ident)
            same.append(client.last_latency * 1000)
            version += 1
            row, col = positions[rnd.randrange(len(positions))]
            lines[row] = lines[row].replace("?trace=", f"?trace={i}")
            lines[row] = lines[row].replace('("/v', '("/w', 1) if i % 2 else lines[row].replace('("/w', '("/v', 1)
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": "\n".join(lines)}]})
            client.request("textDocument/codeLens", ident)
            changed.append(client.last_latency * 1000)
        figures["codeLens test file, after an edit"] = same
        figures["codeLens test file, after a URL edit"] = changed
        module = paths[0]
        module_text = module.read_text()
        module_uri = client.open(module, module_text)
        figures["codeLens route module (N tests)"] = timed("textDocument/codeLens", {"textDocument": {"uri": module_uri}}, args.repeat)
        # a route edited (a line added above the routes, a path changed): the workspace view is
        # updated by that file's delta, and the test file's lenses are made again
        route_edit, module_version = [], 1
        first = _ROUTE.search(module_text)
        assert first is not None
        for i in range(args.repeat):
            module_version += 1
            edited = ("# edited\n" * (i % 3)) + module_text.replace(first.group(0), first.group(0)[:-1] + f"/e{i}/", 1)
            client.notify("textDocument/didChange", {"textDocument": {"uri": module_uri, "version": module_version}, "contentChanges": [{"text": edited}]})
            client.request("textDocument/codeLens", ident)
            route_edit.append(client.last_latency * 1000)
        figures["codeLens test file, after a route edit"] = route_edit
        definition = []
        for _ in range(max(200, args.repeat * 10)):
            row, col = positions[rnd.randrange(len(positions))]
            client.request("textDocument/definition", {**ident, "position": {"line": row, "character": col}})
            definition.append(client.last_latency * 1000)
        figures["definition on a test-call URL"] = definition
        print(f"{'request':50} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for name, values in figures.items():
            print(f"{name:50} {percentile(values, 50):8.2f} {percentile(values, 99):8.2f} {max(values):8.2f}")
        lens_p50 = percentile(figures["codeLens test file, after a URL edit"], 50)
        def_p99 = percentile(definition, 99)
        print(f"targets: CodeLens for a test file <= 20 ms (after a URL edit, p50: {lens_p50:.1f} ms); definition <= 5 ms p99 ({def_p99:.2f} ms)")
        if lens_p50 > 20:
            failures.append(f"CodeLens p50 {lens_p50:.1f} ms > 20 ms")
        if def_p99 > 5:
            failures.append(f"definition p99 {def_p99:.2f} ms > 5 ms")
    finally:
        client.close()
        shutil.rmtree(root, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
