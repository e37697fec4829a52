"""Completion latency of fastapi-docs-lsp on a 5,000-line FastAPI module, next to peer servers.

Runs the real server over stdio (pygls client), opens a generated, realistic FastAPI module,
and times ``textDocument/completion`` at many positions per context plus
``completionItem/resolve`` on the returned items:

- steady: the document is unchanged between requests (analysis cached);
- typing: a decorator call is typed character by character, each keystroke a ``didChange``
  followed by a completion request, as an editor sends them.

When ``basedpyright-langserver`` or ``jedi-language-server`` is on PATH (or next to this
interpreter), they get the same file and the same requests in the same run; their p50/p99 and
the ratio to ours are printed. Targets: completion p99 <= 5 ms, resolve p99 <= 2 ms.

    python benchmarks/bench_completion.py [--lines 5000] [--rounds 3] [--no-peers] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.protocol import default_converter

_CONVERTER = default_converter()

TARGET_COMPLETION_P99_MS = 5.0
TARGET_RESOLVE_P99_MS = 2.0

HEADER = '''"""A large FastAPI service module (generated for benchmarks)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Iterator

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Security,
    status,
)
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, Field

app = FastAPI(title="Big service", version="1.0.0")
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


class Session:
    def close(self) -> None:
        pass


def get_session() -> Iterator[Session]:
    session = Session()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> dict:
    if not token:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Not authenticated")
    return {"name": "alice"}

'''

BLOCK = '''

# ---------------------------------------------------------------- resource {i}

router_{i} = APIRouter(prefix="/r{i}", tags=["r{i}"])


class Item{i}(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(gt=0)
    tags: list[str] = []
    created: datetime | None = None


class Item{i}Update(BaseModel):
    name: str | None = None
    price: float | None = None


def pagination_{i}(skip: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(le=100)] = 20) -> dict:
    """Pagination for resource {i}."""
    return {{"skip": skip, "limit": limit}}


@router_{i}.get("/", response_model=list[Item{i}])
async def list_items_{i}(
    session: SessionDep,
    page: Annotated[dict, Depends(pagination_{i})],
    q: Annotated[str | None, Query(max_length=50)] = None,
):
    """List the items of resource {i}."""
    items = [Item{i}(name=f"item-{{n}}", price=n + 1) for n in range(page["limit"])]
    if q:
        items = [item for item in items if q in item.name]
    return items


@router_{i}.get("/{{item_id}}", response_model=Item{i}, status_code=status.HTTP_200_OK)
async def read_item_{i}(
    item_id: Annotated[int, Path(title="The item id", ge=1)],
    user: Annotated[dict, Depends(get_current_user)],
    x_token: Annotated[str | None, Header()] = None,
):
    if item_id > 1000:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    return Item{i}(name="x", price=1.0)


@router_{i}.post("/", status_code=status.HTTP_201_CREATED, response_model=Item{i})
async def create_item_{i}(item: Item{i}, background_tasks: BackgroundTasks, request: Request):
    background_tasks.add_task(print, request.url.path)
    return item


@router_{i}.put("/{{item_id}}")
async def update_item_{i}(item_id: int, item: Annotated[Item{i}Update, Body(embed=True)]):
    data = item.model_dump(exclude_unset=True)
    return JSONResponse(content=data, status_code=status.HTTP_200_OK)


@router_{i}.delete("/{{item_id}}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item_{i}(item_id: int, session: SessionDep) -> None:
    session.close()


@router_{i}.get("/{{item_id}}/page", response_class=HTMLResponse)
async def item_page_{i}(item_id: int, ads_id: Annotated[str | None, Cookie()] = None):
    return f"<html><body>{{item_id}} {{ads_id}}</body></html>"


app.include_router(router_{i})
'''


def generate(lines: int = 5000) -> str:
    """A realistic FastAPI module of about ``lines`` lines: routers, models, dependencies, routes."""
    parts = [HEADER]
    total = HEADER.count("\n")
    i = 0
    while total < lines:
        block = BLOCK.format(i=i)
        parts.append(block)
        total += block.count("\n")
        i += 1
    return "".join(parts)


# --------------------------------------------------------------------------------------
# the requests


@dataclass
class Probe:
    context: str
    line: int
    character: int


def _positions(text: str, needle: str, offset: int, every: int = 1, limit: int = 40) -> list[tuple[int, int]]:
    out = []
    start = 0
    k = 0
    while len(out) < limit:
        idx = text.find(needle, start)
        if idx < 0:
            break
        if k % every == 0:
            at = idx + offset
            line = text.count("\n", 0, at)
            out.append((line, at - (text.rfind("\n", 0, at) + 1)))
        k += 1
        start = idx + 1
    return out


def probes(text: str, per_context: int = 40) -> list[Probe]:
    """Cursor positions in the unchanged module, by context (the same for every server)."""
    spec = [
        # (context, needle, offset of the cursor from the needle's start)
        ("status.", "status_code=status.HTTP_", len("status_code=status.")),
        ("keyword: decorator", '.get("/", ', len('.get("/", ')),
        ("keyword: Query(", "Query(max_length", len("Query(")),
        ("keyword: Field/Path(", "Path(title=", len("Path(")),
        ("Depends(", "Depends(pagination_", len("Depends(")),
        ("status_code=", "status_code=status.HTTP_2", len("status_code=")),
        ("import", "from fastapi.responses import ", len("from fastapi.responses import ")),
        ("member: request.url.", "request.url.path", len("request.url.")),
        ("path parameters", "async def update_item_", len("async def update_item_0(")),
        ("elsewhere: body", "    items = [Item", len("    items = [")),
        ("elsewhere: model attr", "item.model_dump", len("item.")),
        ("elsewhere: return", "    return item\n", len("    return ")),
    ]
    out = []
    for context, needle, offset in spec:
        found = _positions(text, needle, offset, limit=per_context)
        if context == "path parameters":
            # the `(` of the def: offset depends on the number of digits
            found = []
            start = 0
            while len(found) < per_context:
                idx = text.find(needle, start)
                if idx < 0:
                    break
                at = text.index("(", idx) + 1
                found.append((text.count("\n", 0, at), at - (text.rfind("\n", 0, at) + 1)))
                start = idx + 1
        out.extend(Probe(context, line, ch) for line, ch in found)
    return out


# --------------------------------------------------------------------------------------
# one server


@dataclass
class Server:
    name: str
    command: list[str]
    init_options: dict | None = None
    settings: dict = field(default_factory=dict)


@dataclass
class Timings:
    by_context: dict[str, list[float]] = field(default_factory=dict)
    items: dict[str, list[int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, context: str, seconds: float, n_items: int | None = None) -> None:
        self.by_context.setdefault(context, []).append(seconds * 1000)
        if n_items is not None:
            self.items.setdefault(context, []).append(n_items)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[k]


def _capabilities() -> dict:
    try:
        from pytest_lsp import client_capabilities

        caps = client_capabilities("visual-studio-code")
    except Exception:  # pytest-lsp not installed: what matters for completion
        caps = types.ClientCapabilities(
            text_document=types.TextDocumentClientCapabilities(
                completion=types.CompletionClientCapabilities(
                    completion_item=types.ClientCompletionItemOptions(
                        snippet_support=True,
                        documentation_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText],
                        resolve_support=types.ClientCompletionItemResolveOptions(properties=["documentation", "detail"]),
                        insert_replace_support=True,
                    )
                )
            )
        )
    return _CONVERTER.unstructure(caps)


class RawClient:
    """A minimal JSON-RPC client over stdio.

    Requests are timed from the write to the parsed JSON reply: what an editor waits for, without
    the cost of turning replies into Python objects (which a Python LSP client would add).
    """

    def __init__(self, proc: asyncio.subprocess.Process, settings: dict, root: Path) -> None:
        self.proc = proc
        self.settings = settings
        self.root = root
        self._next = 0
        self._pending: dict[int, asyncio.Future] = {}
        self._reader = asyncio.create_task(self._read())
        self._stderr = asyncio.create_task(_drain(proc.stderr))

    @classmethod
    async def start(cls, command: list[str], settings: dict, root: Path) -> RawClient:
        proc = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(root), limit=2**26
        )
        return cls(proc, settings, root)

    def _write(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _read(self) -> None:
        stdout = self.proc.stdout
        while True:
            length = None
            while True:
                line = await stdout.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length is None:
                continue
            message = json.loads(await stdout.readexactly(length))
            if "method" in message:
                if "id" in message:
                    self._write({"jsonrpc": "2.0", "id": message["id"], "result": self._answer(message)})
                continue
            future = self._pending.pop(message.get("id"), None)
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(RuntimeError(str(message["error"])))
                else:
                    future.set_result(message.get("result"))

    def _answer(self, message: dict):
        method = message["method"]
        if method == "workspace/configuration":
            return [self.settings.get(item.get("section") or "", None) for item in message["params"]["items"]]
        if method == "workspace/workspaceFolders":
            return [{"uri": self.root.as_uri(), "name": self.root.name}]
        return None

    async def request(self, method: str, params, timeout: float = 120.0):
        self._next += 1
        future = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        self._write({"jsonrpc": "2.0", "id": self._next, "method": method, "params": params})
        return await asyncio.wait_for(future, timeout)

    def notify(self, method: str, params) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def close(self) -> None:
        try:
            await self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), timeout=10)
        except Exception:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
        self._reader.cancel()
        self._stderr.cancel()


async def _drain(stream) -> None:
    if stream is None:
        return
    while await stream.read(65536):
        pass


async def _completion(client: RawClient, uri: str, line: int, character: int):
    started = time.perf_counter()
    result = await client.request(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}, "context": {"triggerKind": 1}},
    )
    elapsed = time.perf_counter() - started
    items = result.get("items", []) if isinstance(result, dict) else (result or [])
    return elapsed, items


async def run_server(server: Server, root: Path, path: Path, text: str, rounds: int, typing_rounds: int, log) -> Timings | None:
    timings = Timings()
    client = await RawClient.start(server.command, server.settings, root)
    try:
        await client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "capabilities": _capabilities(),
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "initializationOptions": server.init_options,
            },
            timeout=60,
        )
        client.notify("initialized", {})
        if server.name == "fastapi-docs-lsp":
            await _wait_ready(client)
        uri = path.as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
        all_probes = probes(text)
        # warm-up: the first request pays for the initial analysis (reported apart)
        started = time.perf_counter()
        await _completion(client, uri, all_probes[0].line, all_probes[0].character)
        log(f"  {server.name}: first completion (initial analysis) {1000 * (time.perf_counter() - started):.0f} ms")
        for _ in range(rounds):
            for probe in all_probes:
                elapsed, items = await _completion(client, uri, probe.line, probe.character)
                timings.add(f"steady · {probe.context}", elapsed, len(items))
                timings.add("steady · all", elapsed)
                # as an editor does: resolve a few items of the list just shown
                for item in items[:: max(1, len(items) // 3)][:3]:
                    started = time.perf_counter()
                    try:
                        await client.request("completionItem/resolve", item)
                    except RuntimeError as exc:
                        timings.errors.append(f"resolve: {str(exc)[:120]}")
                        continue
                    timings.add("resolve", time.perf_counter() - started)
        await _typing(client, uri, text, timings, typing_rounds)
        if timings.errors:
            log(f"  {server.name}: {len(timings.errors)} failed requests, e.g. {timings.errors[0]}")
    finally:
        await client.close()
    return timings


async def _wait_ready(client: RawClient, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = await client.request("workspace/executeCommand", {"command": "fastapi.serverInfo", "arguments": []})
        if info and info.get("apiObjects") and info.get("docsSources"):
            return
        await asyncio.sleep(0.1)


async def _typing(client: RawClient, uri: str, text: str, timings: Timings, rounds: int) -> None:
    """Type a decorator call keystroke by keystroke in the middle of the module."""
    lines = text.split("\n")
    version = 1
    typed = '@router_7.post("/typed/{thing_id}", response_model=Item7, status_code=status.HTTP_201_CREATED, dep'

    def change(version: int, start: tuple[int, int], end: tuple[int, int], new_text: str) -> None:
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [
                    {"range": {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}, "text": new_text}
                ],
            },
        )

    for r in range(rounds):
        anchor = next(k for k in range(len(lines) // 2 + r * 97, len(lines)) if lines[k].startswith("@router_"))
        version += 1
        change(version, (anchor, 0), (anchor, 0), "\n")
        for k, ch in enumerate(typed):
            version += 1
            change(version, (anchor, k), (anchor, k), ch)
            # an editor asks on trigger characters and when a word starts
            if ch in ".(,= " or (ch.isalpha() and k and not typed[k - 1].isalnum() and typed[k - 1] != "_"):
                elapsed, _ = await _completion(client, uri, anchor, k + 1)
                timings.add("typing · keystroke", elapsed)
        version += 1
        change(version, (anchor, 0), (anchor + 1, 0), "")


# --------------------------------------------------------------------------------------
# main


def _find(exe: str) -> str | None:
    here = Path(sys.executable).parent / exe
    if here.exists():
        return str(here)
    return shutil.which(exe)


def servers(include_peers: bool) -> list[Server]:
    ours = Server(
        "fastapi-docs-lsp",
        [sys.executable, "-m", "fastapi_docs_lsp"],
        init_options={"fastapi": {"pythonPath": sys.executable}},
        settings={"fastapi": {"pythonPath": sys.executable}},
    )
    out = [ours]
    if not include_peers:
        return out
    pyright = _find("basedpyright-langserver")
    if pyright:
        out.append(
            Server(
                "basedpyright",
                [pyright, "--stdio"],
                settings={"python": {"pythonPath": sys.executable}, "basedpyright.analysis": {"typeCheckingMode": "standard"}, "python.analysis": {}},
            )
        )
    jedi = _find("jedi-language-server")
    if jedi:
        out.append(Server("jedi-language-server", [jedi]))
    return out


def report(results: dict[str, Timings], log) -> dict:
    ours = results.get("fastapi-docs-lsp")
    summary: dict = {}
    contexts = list(ours.by_context) if ours else []
    for t in results.values():
        for c in t.by_context:
            if c not in contexts:
                contexts.append(c)
    header = f"{'request':38s} " + " ".join(f"{name[:20]:>24s}" for name in results)
    log("\nlatency p50 / p99 in ms (items per list in brackets)")
    log(header)
    for c in contexts:
        row = f"{c:38s} "
        for name, t in results.items():
            values = t.by_context.get(c, [])
            if not values:
                row += f"{'-':>24s} "
                continue
            n_items = t.items.get(c)
            mean_items = f"[{statistics.mean(n_items):.0f}]" if n_items else ""
            row += f"{pct(values, 50):8.2f} /{pct(values, 99):8.2f} {mean_items:>6s} "
            summary.setdefault(name, {})[c] = {"p50": pct(values, 50), "p99": pct(values, 99), "n": len(values)}
        log(row)
    if ours and len(results) > 1:
        log("\nratios (peer / fastapi-docs-lsp; > 1 means we are faster)")
        for name, t in results.items():
            if name == "fastapi-docs-lsp":
                continue
            for c in ("steady · all", "typing · keystroke", "resolve"):
                a, b = ours.by_context.get(c), t.by_context.get(c)
                if a and b:
                    log(f"  {name:22s} {c:22s} p50 x{pct(b, 50) / pct(a, 50):7.1f}   p99 x{pct(b, 99) / pct(a, 99):7.1f}")
    if ours:
        comp = ours.by_context.get("steady · all", [])
        typing = ours.by_context.get("typing · keystroke", [])
        res = ours.by_context.get("resolve", [])
        log("\ntargets (fastapi-docs-lsp)")
        log(f"  completion p99 {pct(comp, 99):.2f} ms (steady), {pct(typing, 99):.2f} ms (typing)   target <= {TARGET_COMPLETION_P99_MS} ms: {'OK' if pct(comp, 99) <= TARGET_COMPLETION_P99_MS else 'MISSED'}")
        log(f"  resolve    p99 {pct(res, 99):.2f} ms   target <= {TARGET_RESOLVE_P99_MS} ms: {'OK' if pct(res, 99) <= TARGET_RESOLVE_P99_MS else 'MISSED'}")
    return summary


async def main_async(args) -> int:
    text = generate(args.lines)
    log = lambda message: print(message, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="bench-completion-") as tmp:
        root = Path(tmp)
        path = root / "service.py"
        path.write_text(text)
        (root / "pyrightconfig.json").write_text(json.dumps({"pythonVersion": f"{sys.version_info.major}.{sys.version_info.minor}"}))
        log(f"module: {text.count(chr(10))} lines, {len(probes(text))} completion positions x {args.rounds} rounds, typing x {args.typing}")
        results: dict[str, Timings] = {}
        for server in servers(not args.no_peers):
            log(f"running {server.name} ...")
            try:
                timings = await run_server(server, root, path, text, args.rounds if server.name == "fastapi-docs-lsp" else max(1, args.peer_rounds), args.typing, log)
            except Exception as exc:  # a peer that fails to start must not hide our figures
                log(f"  {server.name} failed: {exc!r}")
                continue
            if timings is not None:
                results[server.name] = timings
        summary = report(results, log)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    ours = results.get("fastapi-docs-lsp")
    if ours is None:
        return 1
    ok = pct(ours.by_context.get("steady · all", []), 99) <= TARGET_COMPLETION_P99_MS and pct(ours.by_context.get("resolve", []), 99) <= TARGET_RESOLVE_P99_MS
    return 0 if ok or not args.strict else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all positions for fastapi-docs-lsp")
    parser.add_argument("--peer-rounds", type=int, default=1, help="rounds for the peer servers (slower)")
    parser.add_argument("--typing", type=int, default=3, help="decorator calls typed keystroke by keystroke")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", help="write the p50/p99 summary here")
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
