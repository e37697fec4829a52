"""Soak test: thousands of mixed requests, with edits, against the real server on a large workspace.

Generates a workspace of FastAPI modules (``genapp``), opens some of them, and sends a random
mix of hover, completion (+ resolve), code actions, document symbols, pull diagnostics,
workspace symbols, ``fastapi.searchDocs``/``fastapi.openReference`` and incremental edits
(typing, deleting, undoing). Prints the error count, RSS after warm-up, peak and final RSS, and
fails (exit 1) on any JSON-RPC error, a dead server, or final RSS more than 10% above the RSS
after warm-up.

    python benchmarks/soak.py                 # 200 modules, 10,000 requests, then 100k keystrokes
    python benchmarks/soak.py --quick         # CI: 200 modules, 2,000 requests (< 2 minutes)
    python benchmarks/soak.py --typing-only   # only the long session: 100,000 keystrokes

The long-session figure: one module open, 100,000 keystrokes (incremental ``didChange``: words
typed, then deleted, so the text stays the same size) with a hover every so often; RSS before and
after (no per-notification state may survive its handling; growth <= 10 MB).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.genapp import generate  # noqa: E402
from benchmarks.lspclient import StdioClient, percentile  # noqa: E402

CAPABILITIES = {
    "general": {"positionEncodings": ["utf-16"]},
    "textDocument": {
        "hover": {"contentFormat": ["markdown", "plaintext"]},
        "completion": {"completionItem": {"snippetSupport": True, "insertReplaceSupport": True,
                                          "resolveSupport": {"properties": ["documentation", "detail"]}}},
        "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "refactor", "source"]}}, "resolveSupport": {"properties": ["edit"]}},
        "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
        "diagnostic": {"dynamicRegistration": False},
        "synchronization": {"didSave": True},
    },
    "workspace": {"configuration": True, "symbol": {}, "diagnostics": {"refreshSupport": True}},
    "window": {"workDoneProgress": True, "showDocument": {"support": True}},
}

EDITS = ["x", "(", ")", "\n", "    ", "status.", "Query(", "@router.get(\"/", ", ", "😀", "é", "\t", "#", "\"", "app."]


def build_workspace(root: Path, modules: int, lines: int) -> list[Path]:
    pkg = root / "app"
    (pkg / "routers").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "routers" / "__init__.py").write_text("")
    paths = []
    for i in range(modules):
        path = pkg / "routers" / f"service_{i}.py"
        path.write_text(generate(lines, index=i, seed=i))
        paths.append(path)
    imports = "\n".join(f"from app.routers.service_{i} import router as router_{i}" for i in range(modules))
    includes = "\n".join(f"app.include_router(router_{i})" for i in range(modules))
    (pkg / "main.py").write_text(f"from fastapi import FastAPI\n{imports}\n\napp = FastAPI()\n{includes}\n")
    return paths


class Doc:
    def __init__(self, client: StdioClient, path: Path) -> None:
        self.text = path.read_text()
        self.uri = client.open(path, self.text)
        self.version = 1
        self.lines = self.text.split("\n")

    def position(self, rnd: random.Random) -> tuple[int, int]:
        line = rnd.randrange(len(self.lines) + 2)
        width = len(self.lines[line]) if line < len(self.lines) else 0
        return line, rnd.randint(0, width + 2)

    def interesting(self, rnd: random.Random) -> tuple[int, int]:
        for _ in range(20):
            line = rnd.randrange(len(self.lines))
            m = re.search(r"status\.|Query\(|router\.|HTTPException\(|Depends\(|Annotated\[", self.lines[line])
            if m:
                return line, m.end()
        return self.position(rnd)

    def edit(self, client: StdioClient, rnd: random.Random) -> None:
        line = rnd.randrange(len(self.lines))
        col = rnd.randint(0, len(self.lines[line]))
        current = self.lines[line]
        self.version += 1
        if rnd.random() < 0.3 and col > 0:  # delete the character before the cursor
            client.change(self.uri, self.version, line, self._utf16(current[: col - 1]), "", end=(line, self._utf16(current[:col])))
            self.lines[line] = current[: col - 1] + current[col:]
        else:  # type a fragment (emoji and accents: UTF-16 columns differ from code points)
            text = rnd.choice(EDITS)
            client.change(self.uri, self.version, line, self._utf16(current[:col]), text)
            self.lines[line : line + 1] = (current[:col] + text + current[col:]).split("\n")

    @staticmethod
    def _utf16(s: str) -> int:
        return sum(2 if ord(c) > 0xFFFF else 1 for c in s)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--lines", type=int, default=300, help="lines per generated module")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=0, help="requests before the RSS reference (default: 20%%)")
    parser.add_argument("--open", type=int, default=20, help="documents kept open (rotating)")
    parser.add_argument("--quick", action="store_true", help="CI: 2,000 requests")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keystrokes", type=int, default=100_000, help="the long session's keystrokes (0: skip it)")
    parser.add_argument("--typing-only", action="store_true", help="only the long session")
    args = parser.parse_args()
    if args.typing_only:
        return long_session(args.keystrokes)
    if args.quick:
        args.requests = min(args.requests, 2000)
    warmup = args.warmup or (args.requests // 3 if args.quick else args.requests // 5)
    rnd = random.Random(args.seed)

    root = Path(tempfile.mkdtemp(prefix="fdl-soak-"))
    started = time.perf_counter()
    paths = build_workspace(root, args.modules, args.lines)
    print(f"workspace: {len(paths)} modules x ~{args.lines} lines in {root}")
    env = {**os.environ, "FASTAPI_DOCS_LSP_DEBUG": "1"}
    client = StdioClient([sys.executable, "-m", "fastapi_docs_lsp"], env=env, cwd=str(root))
    errors: list[str] = []
    latencies: dict[str, list[float]] = {}
    rss_after_warmup = peak = final = float("nan")
    try:
        result = client.initialize(root, {"fastapi": {"pythonPath": sys.executable}}, capabilities=CAPABILITIES)
        caps = result["capabilities"]
        commands = set((caps.get("executeCommandProvider") or {}).get("commands", []))
        client.wait_ready()
        docs: list[Doc] = [Doc(client, p) for p in rnd.sample(paths, min(args.open, len(paths)))]

        def call(kind: str, method: str, params) -> object:
            t = time.perf_counter()
            try:
                return client.request(method, params, timeout=60)
            except (RuntimeError, TimeoutError) as exc:
                errors.append(f"{kind}: {exc}")
                return None
            finally:
                latencies.setdefault(kind, []).append((time.perf_counter() - t) * 1000)

        kinds = ["hover"] * 6 + ["completion"] * 4 + ["edit"] * 5 + ["symbols", "codeAction", "diagnostic", "workspaceSymbol", "command", "reopen"]
        sent = lambda: sum(len(v) for v in latencies.values())  # noqa: E731
        warmed = False
        while sent() < args.requests:
            if not warmed and sent() >= warmup:
                warmed = True
                gc.collect()
                client.pump(0.5)
                rss_after_warmup = client.rss_mb()
            doc = rnd.choice(docs)
            ident = {"uri": doc.uri}
            kind = rnd.choice(kinds)
            if kind == "hover":
                line, col = doc.interesting(rnd) if rnd.random() < 0.7 else doc.position(rnd)
                call(kind, "textDocument/hover", {"textDocument": ident, "position": {"line": line, "character": col}})
            elif kind == "completion" and caps.get("completionProvider"):
                line, col = doc.interesting(rnd) if rnd.random() < 0.7 else doc.position(rnd)
                res = call(kind, "textDocument/completion", {"textDocument": ident, "position": {"line": line, "character": col}})
                items = (res or {}).get("items", []) if isinstance(res, dict) else (res or [])
                if items and caps["completionProvider"].get("resolveProvider"):
                    call("resolve", "completionItem/resolve", rnd.choice(items))
            elif kind == "edit":
                doc.edit(client, rnd)
                continue  # a notification: not counted as a request
            elif kind == "symbols" and caps.get("documentSymbolProvider"):
                call(kind, "textDocument/documentSymbol", {"textDocument": ident})
            elif kind == "codeAction" and caps.get("codeActionProvider"):
                line, col = doc.position(rnd)
                res = call(kind, "textDocument/codeAction", {"textDocument": ident, "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": col}}, "context": {"diagnostics": []}})
                for action in res or []:
                    if isinstance(action, dict) and action.get("data") is not None and not action.get("edit") and (caps["codeActionProvider"] or {}) is not True and caps["codeActionProvider"].get("resolveProvider"):
                        call("codeActionResolve", "codeAction/resolve", action)
                        break
            elif kind == "diagnostic" and caps.get("diagnosticProvider"):
                call(kind, "textDocument/diagnostic", {"textDocument": ident})
            elif kind == "workspaceSymbol" and caps.get("workspaceSymbolProvider"):
                call(kind, "workspace/symbol", {"query": rnd.choice(["items", "read_item_1", "/v1", "?query", "", "health"])})
            elif kind == "command":
                if "fastapi.searchDocs" in commands:
                    call("searchDocs", "workspace/executeCommand", {"command": "fastapi.searchDocs", "arguments": [rnd.choice(["dependencies", "Query", "cors", "websocket", "status code", "😀"])]})
                if "fastapi.openReference" in commands:
                    line, col = doc.interesting(rnd)
                    call("openReference", "workspace/executeCommand", {"command": "fastapi.openReference", "arguments": [{"uri": doc.uri, "position": {"line": line, "character": col}}]})
            elif kind == "reopen":  # close a document (edits discarded) and open another
                client.notify("textDocument/didClose", {"textDocument": ident})
                docs.remove(doc)
                open_uris = {d.uri for d in docs}
                docs.append(Doc(client, rnd.choice([p for p in paths if p.as_uri() not in open_uris])))
            else:
                call("hover", "textDocument/hover", {"textDocument": ident, "position": {"line": 0, "character": 0}})
            if client.proc.poll() is not None:
                errors.append(f"server exited with {client.proc.returncode}")
                break
        # the server's text must still be the editor's (incremental sync over thousands of edits)
        for doc in docs:
            state = client.execute("fastapi.debug.documentText", {"uri": doc.uri})
            expected = "\n".join(doc.lines)
            if state is None or state["text"] != expected:
                got = (state or {}).get("text", "").split("\n")
                line = next((i for i, (a, b) in enumerate(zip(got, doc.lines)) if a != b), min(len(got), len(doc.lines)))
                errors.append(f"text out of sync: {doc.uri} (first difference at line {line})")
        gc.collect()
        client.pump(0.5)
        final = client.rss_mb()
        peak = client.peak_rss_mb()
    finally:
        client.close()
        shutil.rmtree(root, ignore_errors=True)

    total = sum(len(v) for v in latencies.values())
    print(f"requests: {total} in {time.perf_counter() - started:.0f} s; errors: {len(errors)}")
    for kind, values in sorted(latencies.items()):
        print(f"  {kind:18} {len(values):6d}  p50 {percentile(values, 50):7.2f} ms  p99 {percentile(values, 99):8.2f} ms  max {max(values):8.1f} ms")
    for error in errors[:10]:
        print(f"  error: {error}")
    growth = (final - rss_after_warmup) / rss_after_warmup * 100
    print(f"RSS: after warm-up {rss_after_warmup:.1f} MB, peak {peak:.1f} MB, final {final:.1f} MB ({growth:+.1f}% since warm-up)")
    ok = not errors and growth <= 10.0
    print("OK" if ok else "FAILED")
    if args.keystrokes and not args.quick:
        ok = long_session(args.keystrokes) == 0 and ok
    return 0 if ok else 1


TYPED = ["status", "Query(", "response_model=", "x", "Depends(get_db)", "é😀"]


def long_session(keystrokes: int, limit_mb: float = 10.0) -> int:
    """A day of typing in one module: RSS before and after ``keystrokes`` incremental edits."""
    root = Path(tempfile.mkdtemp(prefix="fdl-typing-"))
    paths = build_workspace(root, 5, 300)
    client = StdioClient([sys.executable, "-m", "fastapi_docs_lsp"], cwd=str(root))
    started = time.perf_counter()
    try:
        client.initialize(root, {"fastapi": {"pythonPath": sys.executable}}, capabilities=CAPABILITIES)
        client.wait_ready()
        path = paths[0]
        text = path.read_text()
        uri = client.open(path, text)
        line = len(text.split("\n")) // 2
        version = 1
        rnd = random.Random(7)

        def type_words(count: int) -> None:
            """``count`` keystrokes: a word typed one character at a time, then deleted one by one."""
            nonlocal version
            done = 0
            while done < count:
                word = rnd.choice(TYPED)
                col = 0
                for ch in word:  # typing
                    version += 1
                    client.change(uri, version, line, col, ch)
                    col += utf16_width(ch)
                for ch in reversed(word):  # backspace
                    version += 1
                    width = utf16_width(ch)
                    client.change(uri, version, line, col - width, "", end=(line, col))
                    col -= width
                done += 2 * len(word)
                if version % 500 < 2 * len(word):
                    client.hover(uri, line, 4)  # a request now and then: everything before it was handled
                    client.pump(0.0)

        type_words(min(5000, keystrokes // 10))  # warm-up: caches and pools at their working size
        client.hover(uri, line, 4)
        gc.collect()
        client.pump(0.5)
        before = client.rss_mb()
        type_words(keystrokes)
        client.hover(uri, line, 4)
        client.pump(0.5)
        after = client.rss_mb()
    finally:
        client.close()
        shutil.rmtree(root, ignore_errors=True)
    growth = after - before
    elapsed = time.perf_counter() - started
    print(f"long session: {keystrokes} keystrokes in {elapsed:.0f} s; RSS before {before:.1f} MB, after {after:.1f} MB "
          f"({growth:+.1f} MB; limit {limit_mb:.0f} MB)")
    ok = growth <= limit_mb
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def utf16_width(ch: str) -> int:  # a column step in UTF-16 code units
    return 2 if ord(ch) > 0xFFFF else 1


if __name__ == "__main__":
    raise SystemExit(main())
