"""From a test-client call to the route it reaches, and from a route to the tests that call it.

``module_facts(analysis, module_name)`` reads what one module contributes, statically:

- its test-client calls (``client.get("/items/1")``, ``await ac.post(f"{settings.API_V1_STR}/x")``,
  ``client.request("PATCH", url)``, ``client.websocket_connect("/ws")``) on a ``TestClient``, an
  ``httpx.Client``/``AsyncClient`` whose base is the app (``ASGITransport(app=app)``/``app=``), a
  ``self.client`` set up so, or a test parameter named after a client fixture;
- the client fixtures it defines (a ``@pytest.fixture`` returning or yielding such a client);
- the string constants and settings classes it defines (``API_V1_STR: str = "/api/v1"`` on a
  class, ``settings = Settings()``), and its imports, so a URL or a router prefix written
  ``f"{settings.API_V1_STR}/items/"`` resolves to ``/api/v1/items/``.

``Workspace(index)`` joins the facts of every file of a ``RouteIndex``: the include graph
(``include_router`` prefixes through any depth of nesting and across modules, ``app.mount`` of
sub-apps), each route's full templates, and the calls matching each route. A new view is made
when the index's generation changes, which happens file by file (an edit re-reads one file):
from the previous view by that file's delta (its routes replaced, the matches that cannot have
changed kept) when its includes, routers, imports and definitions are the same, else afresh.

Re-reading an edited module is incremental too: ``module_facts`` (and ``routes.extract_routes``)
take the previous version's result and read again only the chunks (top-level statements) whose
text, or what they read from the rest of the module, changed. Every incremental path gives the
same result as building from scratch (tests/unit/test_navigation.py checks it over random edits).

Positions are 0-based lines and code-point columns, like everything in ``core``.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from typing import TYPE_CHECKING, Any

from . import urlpattern as up
from .analysis import ModuleAnalysis, absolute_import
from .parsing import Chunk
from .routes import HTTP_METHODS, IncludeCall, Owner, Route, Span, node_span

if TYPE_CHECKING:
    from .routes import FileRoutes, RouteIndex

log = logging.getLogger(__name__)

CLIENT_CLASSES = frozenset(
    (
        "fastapi.testclient.TestClient",
        "starlette.testclient.TestClient",
        "httpx.Client",
        "httpx.AsyncClient",
    )
)
#: httpx clients reach the app only through these transports (or the old ``app=`` argument)
APP_TRANSPORTS = ("ASGITransport", "WSGITransport")
FIXTURE_DECORATORS = frozenset(("fixture", "pytest.fixture", "pytest_asyncio.fixture"))
CALL_METHODS = frozenset((*HTTP_METHODS, "request", "stream", "websocket_connect"))
#: prefixes a router may be reached under (one per include path) and nesting depth followed
MAX_PREFIXES = 8
MAX_DEPTH = 12
#: calls read from one module (a generated file with more is not a test worth annotating)
MAX_CALLS = 5000
#: a line that may hold a client call: only statements spanning such lines are walked
_CALL_LINE = re.compile(r"\.\s*(?:" + "|".join(sorted(CALL_METHODS)) + r")\s*\(")
#: how many lines above its URL a call's ``.get(`` may be (black puts each argument on a line)
CALL_LOOKBACK = 8


def may_be_call_url(lines: list[str], line: int) -> bool:
    """Can ``line`` hold the URL string of a client call, judged from the text alone? It holds a
    quote, and a ``.get(``/``.post(``... that is not a decorator (``@router.get(``) is on it or a
    few lines above. False means no call's URL is there, whatever the rest of the module says:
    a hover elsewhere (a route's own path included) reads no calls."""
    if not 0 <= line < len(lines) or ('"' not in lines[line] and "'" not in lines[line]):
        return False
    for n in range(max(0, line - CALL_LOOKBACK), line + 1):
        text = lines[n]
        found = _CALL_LINE.search(text)
        if found is not None and not text.lstrip().startswith("@"):
            return True
    return False


@dataclass(frozen=True, slots=True)
class ClientCall:
    method: str  # "GET", ..., "WEBSOCKET", or "*" when ``request()``'s method is not literal
    pattern: up.Pattern  # the URL as written (query string kept; see ``path_pattern``)
    url_span: Span  # the URL argument
    call_span: Span  # the whole call
    fixture: str | None = None  # the receiver is this test parameter: a client only if a fixture makes one

    @property
    def path_pattern(self) -> up.Pattern:
        return up.strip_url(self.pattern)


@dataclass(slots=True)
class ModuleFacts:
    module: str | None
    calls: list[ClientCall] = field(default_factory=list)
    client_fixtures: set[str] = field(default_factory=set)
    strings: dict[str, up.Pattern] = field(default_factory=dict)  # NAME = "..." at module level
    classes: dict[str, dict[str, up.Pattern]] = field(default_factory=dict)  # class -> attr -> default
    instances: dict[str, str] = field(default_factory=dict)  # settings = Settings() -> "Settings"
    returns: dict[str, str] = field(default_factory=dict)  # def get_settings() -> Settings / return Settings()
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # local -> (module, name)
    modules: dict[str, str] = field(default_factory=dict)  # local -> module (``import x.y as z``)
    #: what each chunk contributed, by chunk text, for reading the next version (``module_facts``)
    parts: dict[Any, _ChunkFacts] = field(default_factory=dict, repr=False, compare=False)
    parts_for: tuple = field(default=(), repr=False, compare=False)  # (module, is_package) of ``parts``
    context: tuple = field(default=(), repr=False, compare=False)  # the contexts ``parts`` were read in

    def calls_signature(self) -> tuple:
        """The calls and client fixtures: a change bumps the index's ``calls_generation``."""
        return (tuple(self.calls), tuple(sorted(self.client_fixtures)))

    def definitions(self) -> tuple:
        """What other files' routes may depend on: a change bumps the index's generation."""
        return (
            tuple(sorted(self.strings.items())),
            tuple(sorted((k, tuple(sorted(v.items()))) for k, v in self.classes.items())),
            tuple(sorted(self.instances.items())),
            tuple(sorted(self.returns.items())),
        )


# --------------------------------------------------------------------------------------
# one module


@dataclass(slots=True)
class _ChunkFacts:
    """What one chunk (top-level statement) of a module contributed, kept for the next version
    of the module: a chunk with the same text gives the same again (shifted when it moved), as
    long as what it reads from the rest of the module is the same (``*_context``). Never changed
    once made (versions read in two threads may share it): a new version gets a copy."""

    #: its module-level definitions, if any (they depend on the module's name only): the
    #: ``imports, modules, strings, classes, instances, returns`` it adds (None: none)
    top: tuple[dict | None, ...] | None
    assigns: bool  # it has a top-level assignment (a module-level client, maybe)
    self_context: tuple | None = None  # the imports ``self_clients`` was read with
    self_clients: frozenset[str] = frozenset()
    body_context: tuple | None = None  # the imports and clients ``calls`` were read with
    start: int = 0  # the chunk's first line when ``calls`` were read
    calls: tuple[ClientCall, ...] = ()
    fixtures: tuple[str, ...] = ()


class _Reader:
    def __init__(self, analysis: ModuleAnalysis, module: str | None, previous: ModuleFacts | None = None) -> None:
        self.analysis = analysis
        self.lines = analysis.lines
        self.facts = ModuleFacts(module)
        self.facts.parts_for = (module, analysis.is_package)
        self.previous: dict = previous.parts if previous is not None and previous.parts_for == self.facts.parts_for else {}
        self.previous_context = previous.context if previous is not None else None
        self.offset = 0
        self.self_clients: set[str] = set()  # "self.client" assigned a client somewhere
        self._calls_before: list[int] | None = None
        self.top = self.facts  # where ``top_level`` writes (one chunk's ``_ChunkFacts.top``)
        self.calls: list[ClientCall] = []  # where ``calls_in`` writes (one chunk's)
        self.fixtures: list[str] = []

    @property
    def calls_before(self) -> list[int]:
        """``calls_before[i]``: how many lines before line i may hold a client call (a range test in O(1))."""
        if self._calls_before is None:
            before = [0]
            for line in self.lines:
                before.append(before[-1] + (1 if "(" in line and _CALL_LINE.search(line) else 0))
            self._calls_before = before
        return self._calls_before

    def _context(self, value: tuple) -> tuple:
        """``value``, or the equal context of the previous version (later comparisons are by identity)."""
        old = self.previous_context
        if old is not None:
            for candidate in old:
                if candidate == value:
                    return candidate
        return value

    def run(self) -> ModuleFacts:
        facts = self.facts
        chunks: list[tuple[Chunk, _ChunkFacts]] = []
        for chunk in self.analysis.chunks:
            part = None if chunk.repaired else self.previous.get(chunk.key)
            if part is None:
                tree = chunk.tree
                if tree is None:
                    continue
                self.top = top = ModuleFacts(facts.module)
                defs = (top.imports, top.modules, top.strings, top.classes, top.instances, top.returns)
                try:
                    self.top_level(tree.body)
                finally:
                    _merge_top(facts, defs)
                    self.top = facts
                part = _ChunkFacts(tuple(d or None for d in defs) if any(defs) else None, any(isinstance(stmt, ast.Assign) for stmt in tree.body))
                del tree
            elif part.top is not None:
                _merge_top(facts, part.top)
            chunks.append((chunk, part))
        imports = self._context(("imports", frozenset(facts.imports.items()), frozenset(facts.modules.items())))
        if any("self." in line for line in self.lines):
            for i, (chunk, part) in enumerate(chunks):
                if part.self_context is not imports:
                    found: set[str] = set()
                    tree = chunk.tree
                    for node in ast.walk(tree) if tree is not None else ():
                        if isinstance(node, ast.Assign) and len(node.targets) == 1:
                            target = node.targets[0]
                            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                                if self.is_client(node.value, set()):
                                    found.add(f"self.{target.attr}")
                    part = _replace(part, self_context=imports, self_clients=frozenset(found))
                    chunks[i] = (chunk, part)
                self.self_clients |= part.self_clients
        module_clients: set[str] = set()
        for chunk, part in chunks:
            if not part.assigns:
                continue
            tree = chunk.tree
            for stmt in tree.body if tree is not None else ():
                if isinstance(stmt, ast.Assign) and self.is_client(stmt.value, module_clients):
                    module_clients.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        clients = self._context(("clients", imports, frozenset(module_clients), frozenset(self.self_clients)))
        facts.context = (imports, clients)
        for chunk, part in chunks:
            start = chunk.start_line
            if part.body_context is not clients:
                tree = chunk.tree
                if tree is None:
                    continue
                self.offset = start
                self.calls, self.fixtures = [], []
                try:
                    self.body(tree.body, set(module_clients), set())
                finally:
                    _add_calls(facts, self.calls, self.fixtures)
                part = _replace(part, body_context=clients, start=start, calls=tuple(self.calls), fixtures=tuple(self.fixtures))
                del tree
            else:
                if part.start != start:
                    part = _replace(part, start=start, calls=tuple(_shifted(call, start - part.start) for call in part.calls))
                _add_calls(facts, part.calls, part.fixtures)
            if not chunk.repaired:
                facts.parts[chunk.key] = part
        return facts

    # ---- module-level definitions -----------------------------------------------------

    def top_level(self, body: list[ast.stmt]) -> None:
        facts = self.top
        for stmt in body:
            if isinstance(stmt, ast.ImportFrom):
                module = absolute_import(facts.module, stmt.module, stmt.level, self.analysis.is_package) or stmt.module or ""
                for alias in stmt.names:
                    if alias.name != "*":
                        facts.imports[alias.asname or alias.name] = (module, alias.name)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        facts.modules[alias.asname] = alias.name
                    else:
                        head = alias.name.split(".")[0]
                        facts.modules[head] = head
                        facts.modules[alias.name] = alias.name
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                value = stmt.value
                for target in targets:
                    if not isinstance(target, ast.Name) or value is None:
                        continue
                    pattern = up.eval_pattern(value)
                    if pattern is not None and not (len(pattern) == 1 and isinstance(pattern[0], up.Hole) and pattern[0].dotted is None):
                        facts.strings[target.id] = pattern
                    if isinstance(value, ast.Call):
                        name = up._dotted(value.func)
                        if name is not None:
                            facts.instances[target.id] = name
            elif isinstance(stmt, ast.ClassDef):
                attrs: dict[str, up.Pattern] = {}
                for item in stmt.body:
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        default = _field_default(item.value)
                        if default is not None:
                            attrs[item.target.id] = default
                    elif isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
                        default = _field_default(item.value)
                        if default is not None:
                            attrs[item.targets[0].id] = default
                facts.classes[stmt.name] = attrs
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                returned = _returned_class(stmt)
                if returned is not None:
                    facts.returns[stmt.name] = returned
            elif isinstance(stmt, (ast.If, ast.Try)):
                self.top_level(stmt.body)
                self.top_level(stmt.orelse)

    # ---- clients ----------------------------------------------------------------------

    def ctor_path(self, func: ast.expr) -> str | None:
        """The dotted path a constructor name was imported from."""
        if isinstance(func, ast.Name):
            imported = self.facts.imports.get(func.id)
            return f"{imported[0]}.{imported[1]}" if imported else None
        dotted = up._dotted(func)
        if dotted is None or "." not in dotted:
            return None
        head, _, attr = dotted.rpartition(".")
        module = self.facts.modules.get(head)
        if module is None and head in self.facts.imports:
            m, n = self.facts.imports[head]
            module = f"{m}.{n}"
        return f"{module}.{attr}" if module else None

    def is_client(self, node: ast.expr | None, clients: set[str]) -> bool:
        """``TestClient(app)``, ``httpx.AsyncClient(transport=ASGITransport(app=app))``, or a
        name already known to hold a client."""
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Name):
            return node.id in clients
        if not isinstance(node, ast.Call):
            return False
        path = self.ctor_path(node.func)
        if path not in CLIENT_CLASSES:
            return False
        if path.startswith("httpx."):
            for kw in node.keywords:
                if kw.arg == "app":
                    return True
                if kw.arg == "transport" and any(t in up._unparse(kw.value) for t in APP_TRANSPORTS):
                    return True
            return False
        return True

    def body(self, body: list[ast.stmt], clients: set[str], params: set[str]) -> None:
        for stmt in body:
            self.statement(stmt, clients, params)

    def statement(self, stmt: ast.stmt, clients: set[str], params: set[str]) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(stmt, clients)
            return
        if isinstance(stmt, ast.ClassDef):
            self.body(stmt.body, clients, params)
            return
        self.bind_clients(stmt, clients)
        for node in ast.iter_child_nodes(stmt):
            if isinstance(node, ast.expr):
                self.calls_in(node, clients, params)
            elif isinstance(node, ast.stmt):
                self.statement(node, clients, params)
            elif isinstance(node, ast.withitem):
                self.calls_in(node.context_expr, clients, params)
            elif isinstance(node, (ast.ExceptHandler, ast.match_case)):
                self.body(node.body, clients, params)

    def function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, outer: set[str]) -> None:
        clients = set(outer)
        args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
        params: set[str] = set()
        for arg in args:
            annotation = up._unparse(arg.annotation) if arg.annotation is not None else ""
            if annotation.rsplit(".", 1)[-1] in ("TestClient", "AsyncClient") or annotation.endswith("httpx.Client"):
                clients.add(arg.arg)
            elif arg.arg not in clients:
                params.add(arg.arg)
        self.body(fn.body, clients, params)
        if self.is_fixture(fn) and self.returns_client(fn, clients):
            self.fixtures.append(self.fixture_name(fn))

    def may_call(self, node: ast.AST) -> bool:
        """Whether the lines of ``node`` may hold a client call (most expressions are skipped)."""
        first = self.offset + getattr(node, "lineno", 1) - 1
        last = self.offset + (getattr(node, "end_lineno", None) or getattr(node, "lineno", 1))
        before = self.calls_before
        return before[min(last, len(before) - 1)] > before[max(0, min(first, len(before) - 1))]

    def calls_in(self, node: ast.expr, clients: set[str], params: set[str]) -> None:
        if not self.may_call(node):
            return
        for sub in ast.walk(node):
            if not isinstance(sub, ast.Call) or not isinstance(sub.func, ast.Attribute):
                continue
            attr = sub.func.attr
            if attr not in CALL_METHODS:
                continue
            receiver = sub.func.value
            fixture = None
            name = up._dotted(receiver)
            if name is None:
                continue
            if name in clients or name in self.self_clients:
                pass
            elif name in params:
                fixture = name
            else:
                continue
            found = self.call(sub, attr, fixture)
            if found is not None and len(self.calls) < MAX_CALLS:
                self.calls.append(found)

    def call(self, node: ast.Call, attr: str, fixture: str | None) -> ClientCall | None:
        args = list(node.args)
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        if attr in ("request", "stream"):
            method_node = args[0] if args else kw.get("method")
            url = args[1] if len(args) > 1 else kw.get("url")
            if isinstance(method_node, ast.Constant) and isinstance(method_node.value, str):
                method = method_node.value.upper()
            else:
                method = "*"
        else:
            url = args[0] if args else kw.get("url")
            method = "WEBSOCKET" if attr == "websocket_connect" else attr.upper()
        pattern = up.eval_pattern(url)
        if url is None or pattern is None or not pattern:
            return None
        return ClientCall(method, pattern, node_span(url, self.offset, self.lines), node_span(node, self.offset, self.lines), fixture)

    def is_fixture(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        for dec in fn.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if up._dotted(target) in FIXTURE_DECORATORS:
                return True
        return False

    def fixture_name(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        for dec in fn.decorator_list:
            if isinstance(dec, ast.Call):
                for kw in dec.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        return kw.value.value
        return fn.name

    def bind_clients(self, node: ast.AST, clients: set[str]) -> None:
        """Add to ``clients`` the names ``node`` binds to a client (``c = TestClient(app)``,
        ``with TestClient(app) as c``)."""
        if isinstance(node, ast.Assign) and self.is_client(node.value, clients):
            clients.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and self.is_client(item.context_expr, clients):
                    clients.add(item.optional_vars.id)

    def returns_client(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, clients: set[str]) -> bool:
        local = set(clients)
        for node in ast.walk(fn):
            self.bind_clients(node, local)
        for node in ast.walk(fn):
            if isinstance(node, (ast.Return, ast.Yield)) and self.is_client(node.value, local):
                return True
        return False


def _merge_top(facts: ModuleFacts, top: tuple[dict | None, ...]) -> None:
    """Add one chunk's module-level definitions (later chunks win, as reading them in order does)."""
    for into, added in zip((facts.imports, facts.modules, facts.strings, facts.classes, facts.instances, facts.returns), top):
        if added:
            into.update(added)


def _add_calls(facts: ModuleFacts, calls: Iterable[ClientCall], fixtures: Iterable[str]) -> None:
    """Add one chunk's calls (up to ``MAX_CALLS`` in the module) and client fixtures."""
    room = MAX_CALLS - len(facts.calls)
    if room > 0:
        facts.calls.extend(itertools.islice(calls, room))
    facts.client_fixtures.update(fixtures)


def _shift(span: Span, lines: int) -> Span:
    return Span(span.line + lines, span.start, span.end_line + lines, span.end)


def _shifted(call: ClientCall, lines: int) -> ClientCall:
    """The call of a chunk that moved by ``lines`` lines (columns stay: the chunk's text is the same)."""
    return ClientCall(call.method, call.pattern, _shift(call.url_span, lines), _shift(call.call_span, lines), call.fixture)


def _field_default(node: ast.expr | None) -> up.Pattern | None:
    """A class attribute's literal string default: ``"/api/v1"``, ``Field("/api/v1")``,
    ``Field(default="/api/v1")``."""
    if isinstance(node, ast.Call) and up._dotted(node.func) in ("Field", "pydantic.Field"):
        node = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "default"), None)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, (ast.JoinedStr, ast.BinOp)):
        return up.eval_pattern(node)
    return None


def _returned_class(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """``def get_settings() -> Settings`` or ``return Settings()``: the class's name."""
    if isinstance(fn.returns, (ast.Name, ast.Attribute)):
        name = up._dotted(fn.returns)
        if name and name[:1].isupper():
            return name
    for stmt in fn.body:
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Call):
            return up._dotted(stmt.value.func)
    return None


def module_facts(analysis: ModuleAnalysis, module: str | None, previous: ModuleFacts | None = None) -> ModuleFacts:
    """What one module contributes to navigation (never raises: a failure gives no facts).

    ``previous``: the facts of the module's previous version; the chunks whose text and context
    did not change are not read again. The result is the same as without it."""
    reader = _Reader(analysis, module, previous)
    try:
        return reader.run()
    except RecursionError:
        log.info("navigation: %s is nested too deeply; its test calls are skipped", module)
        return reader.facts


def client_calls(analysis: ModuleAnalysis, module: str | None) -> list[ClientCall]:
    return module_facts(analysis, module).calls


# --------------------------------------------------------------------------------------
# the workspace


@dataclass(slots=True)
class RouteTarget:
    """One route as reachable from the app: a route may have several (its router included twice)."""

    path: str  # the file
    route: Route
    template: up.Pattern  # the full template
    shape: up.Shape
    lines: list[str] = field(repr=False, default_factory=list)

    @property
    def label(self) -> str:
        method = "WS" if self.route.methods == ("WEBSOCKET",) else "|".join(self.route.methods)
        return f"{method} {up.display(self.template)}"


@dataclass(frozen=True, slots=True)
class Match:
    target: RouteTarget
    score: int


@dataclass(frozen=True, slots=True)
class CallSite:
    path: str
    call: ClientCall
    lines: list[str] = field(repr=False, compare=False, default_factory=list)


class Workspace:
    """The routes of every file with their full templates, and the test calls that reach them."""

    def __init__(self, index: RouteIndex, previous: Workspace | None = None) -> None:
        """``previous``: the view of an earlier generation of the same index. When the files that
        changed since kept their includes, routers, imports and definitions (an edited route or
        test), only their routes are replaced in it; otherwise everything is built again. The
        result is the same either way."""
        self.index = index
        with index._lock:
            self.entries: dict[str, FileRoutes] = dict(index.files)
            self.generation = index.generation
        self.by_module: dict[str, FileRoutes] = {}
        for entry in self.entries.values():
            if entry.module:
                self.by_module[entry.module] = entry
        #: (file, method, URL pattern) -> (the call's shape, its matches)
        self._match_cache: dict[tuple[str, str, up.Pattern], tuple[up.Shape, list[Match]]] = {}
        self._calls_generation = -1
        self._client_fixtures: set[str] = set()
        #: (file, route order) -> the calls reaching it (routes are named by where they are:
        #: re-reading an unchanged file makes new Route objects, not a new generation)
        self._tests: dict[tuple[str, int], list[CallSite]] | None = None
        changed = _changed_routes_only(previous, self) if previous is not None and previous.index is index else None
        if previous is not None and changed is not None:
            self.delta = True  # built from ``previous`` (for tests)
            self._edges = previous._edges  # the include graph is the same: shared, never changed
            self._prefix_memo = previous._prefix_memo
            self._replace_routes(previous, changed)
            self._keep_matches(previous, changed)
            return
        self.delta = False
        self._edges: dict[tuple[str, str], list[tuple[tuple[str, str], up.Pattern, str]]] = {}
        self._prefix_memo: dict[tuple[str, str], list[up.Pattern]] = {}
        self._build_edges()
        self.targets: list[RouteTarget] = []
        self._by_method: dict[str, list[RouteTarget]] = {}
        #: (method, segments, first segment) -> [(second segment, target)]; a segment is None where
        #: the template has a parameter there (matching compares few candidates, not every route)
        self._buckets: dict[tuple[str, int, str | None], list[tuple[str | None, RouteTarget]]] = {}
        self._by_size: dict[tuple[str, int], list[tuple[str | None, RouteTarget]]] = {}
        self._loose: dict[str, list[RouteTarget]] = {}  # unknown prefix or {x:path}: always compared
        for entry in self.entries.values():
            for route in entry.routes:
                for target in self._targets_of(entry, route):
                    self.targets.append(target)
                    self._place(target)

    def _replace_routes(self, previous: Workspace, changed: set[str]) -> None:
        """``previous``'s tables with the targets of the ``changed`` files made again.
        Lists that change are new (``previous`` may be in use meanwhile) and keep the order a
        full build gives them: files in index order, then routes, prefixes, methods."""
        rank = {path: i for i, path in enumerate(self.entries)}
        files = sorted(changed, key=rank.__getitem__)
        fresh = [t for path in files for route in self.entries[path].routes for t in self._targets_of(self.entries[path], route)]
        tables: dict[str, dict] = {"m": dict(previous._by_method), "l": dict(previous._loose), "b": dict(previous._buckets), "s": dict(previous._by_size)}
        self._by_method, self._loose, self._buckets, self._by_size = tables["m"], tables["l"], tables["b"], tables["s"]
        # the new targets in tables of their own; then each table entry that had or gets one
        self.fresh_tables: tuple[dict, dict, dict, dict] = ({}, {}, {}, {})
        for target in fresh:
            _place_into(*self.fresh_tables, target)
        added = {(name, key): items for name, table in zip("mlbs", self.fresh_tables) for key, items in table.items()}
        removed = {key for t in previous.targets if t.path in changed for key in self._slots(t)}
        for name, key in removed | added.keys():
            table = tables[name]
            if name in "ml":
                kept = [t for t in table.get(key, ()) if t.path not in changed]
            else:
                kept = [x for x in table.get(key, ()) if x[1].path not in changed]
            _insert_by_file(kept, added.get((name, key), ()), rank)
            if kept:
                table[key] = kept
            else:
                table.pop(key, None)
        self.targets = [t for t in previous.targets if t.path not in changed]
        _insert_by_file(self.targets, fresh, rank)

    def _keep_matches(self, previous: Workspace, changed: set[str]) -> None:
        """Carry over ``previous``'s matches that cannot have changed: none of their routes is in
        a changed file, and no new target matches the call (the call shapes are the same: the
        include graph and what URLs read did not change)."""
        if len(previous._match_cache) > 20_000:
            return  # many stale entries: matching again as calls come is cheaper
        tables = self.fresh_tables
        loose_methods = set(tables[1])
        firsts = {(method, first) for method, _size, first in tables[2]}  # (method, first segment) of the new targets
        kept = dict(previous._match_cache)  # a copy keeps the keys' hashes: only the dropped ones are hashed again
        dropped = []
        for key, (shape, found) in kept.items():
            if any(m.target.path in changed for m in found):
                dropped.append(key)
                continue
            method = key[1]
            if not shape.any_prefix and method != "*":
                # most calls start with a segment no new target starts with: no candidate
                methods = (method, "*", "GET") if method == "HEAD" else (method, "*")
                first = _literal(shape, 0)
                if first is not None and not any(m in loose_methods or (m, first) in firsts or (m, None) in firsts for m in methods):
                    continue
            if any(up.match(shape, t.shape) is not None for t in _candidates_in(*tables, method, shape)):
                dropped.append(key)
        for key in dropped:
            del kept[key]
        self._match_cache = kept

    # ---- names across modules ---------------------------------------------------------

    def entry_for_module(self, module: str) -> FileRoutes | None:
        entry = self.by_module.get(module)
        if entry is not None:
            return entry
        for name, candidate in self.by_module.items():  # roots differ between how files import
            if name.endswith("." + module) or module.endswith("." + name):
                return candidate
        return None

    def resolve(self, entry: FileRoutes, dotted: str, depth: int = 0) -> up.Pattern | None:
        """The text a dotted name holds, when it is a literal somewhere in the workspace."""
        facts = entry.facts
        if facts is None or depth > MAX_DEPTH:
            return None
        head, _, rest = dotted.partition(".")
        if head.endswith("()"):
            cls = facts.returns.get(head[:-2])
            return self._class_attr(entry, cls, rest, depth) if cls and rest and "." not in rest else None
        if not rest:
            if head in facts.strings:
                return self.expand(entry, facts.strings[head], depth + 1)
            if head in facts.imports:
                module, name = facts.imports[head]
                other = self.entry_for_module(module)
                return self.resolve(other, name, depth + 1) if other is not None else None
            return None
        if head in facts.instances and "." not in rest:
            return self._class_attr(entry, facts.instances[head], rest, depth)
        if head in facts.classes and "." not in rest:
            value = facts.classes[head].get(rest)
            return self.expand(entry, value, depth + 1) if value is not None else None
        if head in facts.imports:
            module, name = facts.imports[head]
            other = self.entry_for_module(module)
            if other is not None:
                found = self.resolve(other, f"{name}.{rest}", depth + 1)
                if found is not None:
                    return found
            sub = self.entry_for_module(f"{module}.{name}")  # from app.core import config
            return self.resolve(sub, rest, depth + 1) if sub is not None else None
        module = facts.modules.get(head)
        if module is not None:
            parts = rest.split(".")
            for k in range(len(parts) - 1, -1, -1):  # import app.core.config: app.core.config.settings.X
                other = self.entry_for_module(".".join([module, *parts[:k]]))
                if other is not None:
                    return self.resolve(other, ".".join(parts[k:]), depth + 1)
        return None

    def _class_attr(self, entry: FileRoutes, cls: str | None, attr: str, depth: int) -> up.Pattern | None:
        if not cls or entry.facts is None:
            return None
        if cls in entry.facts.returns:  # settings = get_settings()
            cls = entry.facts.returns[cls]
        attrs = entry.facts.classes.get(cls)
        if attrs is not None:
            value = attrs.get(attr)
            return self.expand(entry, value, depth + 1) if value is not None else None
        if cls in entry.facts.imports:
            module, name = entry.facts.imports[cls]
            other = self.entry_for_module(module)
            if other is not None and other.facts is not None:
                if name in other.facts.classes or name in other.facts.returns:
                    return self._class_attr(other, name, attr, depth + 1)
        return None

    def expand(self, entry: FileRoutes | None, pattern: up.Pattern, depth: int = 0) -> up.Pattern:
        """``pattern`` with every hole that resolves statically replaced by its text."""
        if entry is None or depth > MAX_DEPTH or all(isinstance(p, str) for p in pattern):
            return pattern
        out: list[up.Part] = []
        for part in pattern:
            if isinstance(part, up.Hole) and part.dotted:
                found = self.resolve(entry, part.dotted, depth + 1)
                if found is not None:
                    out.extend(found)
                    continue
            out.append(part)
        return up.normalize(out)

    def owner_of(self, entry: FileRoutes, text: str, depth: int = 0) -> tuple[str, str] | None:
        """The (file, name) of the app or router an expression names (``items.router``,
        ``items_router`` imported under an alias, a local ``router``)."""
        if depth > MAX_DEPTH:
            return None
        facts = entry.facts
        if text in entry.owners:
            return entry.path, text
        if facts is None:
            return None
        head, _, rest = text.partition(".")
        if not rest and head in facts.imports:
            module, name = facts.imports[head]
            other = self.entry_for_module(module)
            if other is not None:
                return self.owner_of(other, name, depth + 1)
            return None
        if rest and "." not in rest:
            if head in facts.imports:
                module, name = facts.imports[head]
                other = self.entry_for_module(f"{module}.{name}")
                if other is not None:
                    return self.owner_of(other, rest, depth + 1)
            if head in facts.modules:
                other = self.entry_for_module(facts.modules[head])
                if other is not None:
                    return self.owner_of(other, rest, depth + 1)
        if "." in rest and head in facts.modules:
            module, _, name = text.rpartition(".")
            other = self.entry_for_module(facts.modules.get(module, module))
            if other is not None:
                return self.owner_of(other, name, depth + 1)
        return None

    # ---- the include graph ------------------------------------------------------------

    def _build_edges(self) -> None:
        for entry in self.entries.values():
            for inc in entry.includes:
                if inc.owner is None:
                    continue
                child = self.owner_of(entry, inc.arg_text)
                if child is None:
                    continue
                parent = (entry.path, inc.owner.name)
                prefix = self.expand(entry, inc.prefix_pattern or ())
                self._edges.setdefault(child, []).append((parent, prefix, inc.kind))

    def prefixes(self, node: tuple[str, str], seen: frozenset = frozenset()) -> list[up.Pattern]:
        """Every prefix the routes of an app/router are reached under (``()``: none, the root)."""
        if node in self._prefix_memo:
            return self._prefix_memo[node]
        edges = self._edges.get(node)
        if not edges or node in seen or len(seen) > MAX_DEPTH:
            return [()]
        out: list[up.Pattern] = []
        for parent, prefix, kind in edges:
            parent_owner = self._owner(parent)
            own = () if kind == "mount" or parent_owner is None else self._own_prefix(parent, parent_owner)
            for above in self.prefixes(parent, seen | {node}):
                full = up.normalize([*above, *own, *prefix])
                if full not in out:
                    out.append(full)
                if len(out) >= MAX_PREFIXES:
                    break
        self._prefix_memo[node] = out
        return out

    def _owner(self, node: tuple[str, str]) -> Owner | None:
        entry = self.entries.get(node[0])
        return entry.owners.get(node[1]) if entry is not None else None

    def _own_prefix(self, node: tuple[str, str], owner: Owner) -> up.Pattern:
        if owner.prefix_pattern is None:
            return ()
        return self.expand(self.entries.get(node[0]), owner.prefix_pattern)

    def _targets_of(self, entry: FileRoutes, route: Route) -> list[RouteTarget]:
        """The route under each prefix its router is reached by."""
        if route.path is None:
            return []
        node = (entry.path, route.owner.name)
        own = self._own_prefix(node, route.owner)
        out = []
        for prefix in self.prefixes(node):
            template = up.normalize([*prefix, *own, route.path])
            out.append(RouteTarget(entry.path, route, template, up.shape(template, templated=True), entry.lines))
        return out

    @staticmethod
    def _slots(target: RouteTarget) -> list[tuple[str, tuple | str]]:
        """The table entries ``_place`` adds ``target`` to: (table, key)."""
        out: list[tuple[str, tuple | str]] = []
        shape = target.shape
        for method in target.route.methods:
            out.append(("m", method))
            if shape.any_prefix or shape.has_path_param:
                out.append(("l", method))
            else:
                out.append(("b", (method, shape.size, _literal(shape, 0))))
                out.append(("s", (method, shape.size)))
        return out

    def _place(self, target: RouteTarget) -> None:
        _place_into(self._by_method, self._loose, self._buckets, self._by_size, target)

    # ---- the calls (read from the live index: they change without rebuilding this view) --

    def _sync_calls(self) -> None:
        generation = self.index.calls_generation
        if generation == self._calls_generation:
            return
        with self.index._lock:
            entries = list(self.index.files.values())
        fixtures: set[str] = set()
        for entry in entries:
            if entry.facts is not None:
                fixtures |= entry.facts.client_fixtures
        self._client_fixtures = fixtures
        self._tests = None
        self._calls_generation = generation

    @property
    def client_fixtures(self) -> set[str]:
        self._sync_calls()
        return self._client_fixtures

    def has_tests(self) -> bool:
        with self.index._lock:
            entries = list(self.index.files.values())
        return any(e.facts is not None and e.facts.calls for e in entries)

    # ---- matching ---------------------------------------------------------------------

    def call_shape(self, path: str, call: ClientCall) -> up.Shape:
        entry = self.entries.get(path)
        pattern = self.expand(entry, call.path_pattern) if entry is not None else call.path_pattern
        return up.shape(up.strip_url(pattern), templated=False)

    def is_client_call(self, call: ClientCall) -> bool:
        return call.fixture is None or call.fixture in self.client_fixtures

    def matches(self, path: str, call: ClientCall) -> list[Match]:
        """The routes a call reaches, best first (ties: declaration order)."""
        if not self.is_client_call(call):
            return []
        key = (path, call.method, call.pattern)
        found = self._match_cache.get(key)
        if found is None:
            if len(self._match_cache) > 100_000:
                self._match_cache.clear()
            shape = self.call_shape(path, call)
            found = self._match_cache[key] = (shape, self._match(shape, call))
        return found[1]

    def _candidates(self, method: str, shape: up.Shape) -> list[RouteTarget]:
        return _candidates_in(self._by_method, self._loose, self._buckets, self._by_size, method, shape)

    def _match(self, shape: up.Shape, call: ClientCall) -> list[Match]:
        best: dict[tuple[str, int], Match] = {}
        for target in self._candidates(call.method, shape):
            score = up.match(shape, target.shape)
            if score is None:
                continue
            key = (target.path, target.route.order)
            if key not in best or best[key].score < score:
                best[key] = Match(target, score)
        ranked = sorted(best.values(), key=lambda m: (-m.score, m.target.path, m.target.route.order))
        if shape.any_prefix and ranked:
            # an unknown prefix: only the routes matching best (else every `{x}` route of the
            # app would match the tail of `f"{base}/health"`)
            ranked = [m for m in ranked if m.score == ranked[0].score]
        return ranked

    def tests_of(self, path: str, route: Route) -> list[CallSite]:
        """The test calls that reach ``route`` of file ``path`` (computed for every route at once, then kept)."""
        self._sync_calls()
        if self._tests is None:
            tests: dict[tuple[str, int], list[CallSite]] = {}
            with self.index._lock:
                entries = list(self.index.files.values())
            for entry in entries:
                if entry.facts is None:
                    continue
                for call in entry.facts.calls:
                    for m in self.matches(entry.path, call):
                        tests.setdefault((m.target.path, m.target.route.order), []).append(CallSite(entry.path, call, entry.lines))
            self._tests = tests
        return self._tests.get((path, route.order), [])

    def routes_in(self, path: str) -> list[Route]:
        entry = self.entries.get(path)
        return list(entry.routes) if entry is not None else []



def _candidates_in(by_method: dict, loose: dict, buckets: dict, by_size: dict, method: str, shape: up.Shape) -> list[RouteTarget]:
    """The targets of the tables (see ``Workspace.__init__``) a call of this shape may match."""
    if method == "*":
        methods = list(by_method)
    else:
        methods = [method, "*"] + (["GET"] if method == "HEAD" else [])  # HEAD is answered by GET routes
    out: list[RouteTarget] = []
    if shape.any_prefix:
        for m in methods:
            out.extend(by_method.get(m, ()))
        return out
    c0, c1 = _literal(shape, 0), _literal(shape, 1)
    for m in methods:
        out.extend(loose.get(m, ()))
        for size in (shape.size - 1, shape.size, shape.size + 1):  # +-1: a trailing slash
            if c0 is None:
                groups = [by_size.get((m, size), ())]
            else:
                groups = [buckets.get((m, size, c0), ()), buckets.get((m, size, None), ())]
            for group in groups:
                for k1, target in group:
                    if k1 is None or c1 is None or k1 == c1:
                        out.append(target)
    return out


def _place_into(by_method: dict, loose: dict, buckets: dict, by_size: dict, target: RouteTarget) -> None:
    shape = target.shape
    for method in target.route.methods:
        by_method.setdefault(method, []).append(target)
        if shape.any_prefix or shape.has_path_param:
            loose.setdefault(method, []).append(target)
        else:
            item = (_literal(shape, 1), target)
            buckets.setdefault((method, shape.size, _literal(shape, 0)), []).append(item)
            by_size.setdefault((method, shape.size), []).append(item)


def _insert_by_file(items: list, new: Iterable, rank: dict[str, int]) -> None:
    """Insert ``new`` (grouped by file, in file order) into ``items`` (ordered by file rank)
    after the items of the files ranked before or with each group's file."""
    for path, group in itertools.groupby(new, key=_path_of):
        at = bisect.bisect_right(items, rank[path], key=lambda x: rank[_path_of(x)])
        items[at:at] = list(group)


def _path_of(item: RouteTarget | tuple[str | None, RouteTarget]) -> str:
    return item.path if isinstance(item, RouteTarget) else item[1].path


def _graph_signature(entry: FileRoutes) -> tuple:
    """What of a file the include graph and the prefixes (``Workspace._build_edges``,
    ``resolve``, ``owner_of``) read; its routes aside."""
    facts = entry.facts
    return (
        entry.module,
        [(i.arg_text, i.prefix_pattern, i.kind, i.owner.name if i.owner else None) for i in entry.includes],
        [(name, o.kind, o.prefix_pattern) for name, o in entry.owners.items()],
        (facts.definitions(), list(facts.imports.items()), list(facts.modules.items())) if facts is not None else None,
    )


def _changed_routes_only(previous: Workspace, now: Workspace) -> set[str] | None:
    """The files whose entries changed since ``previous``, when only their routes may differ
    (same files, same graph signature); None when the view must be built again."""
    if previous.entries.keys() != now.entries.keys():
        return None
    changed = {path for path, entry in now.entries.items() if previous.entries[path] is not entry}
    for path in changed:
        if _graph_signature(previous.entries[path]) != _graph_signature(now.entries[path]):
            return None
    return changed


def _literal(shape: up.Shape, i: int) -> str | None:
    """Segment ``i`` when it is plain text (a bucket key), else None (matches any key)."""
    if i >= shape.size:
        return ""
    seg = shape.segments[i]
    return "".join(seg) if all(isinstance(t, str) for t in seg) else None  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# what editors show


def call_at(calls: list[ClientCall], line: int, col: int) -> ClientCall | None:
    """The call whose URL argument is under the cursor."""
    for call in calls:
        if call.url_span.contains(line, col):
            return call
    return None


def route_at(routes: list[Route], line: int, col: int) -> Route | None:
    """The route whose handler name or route decorator is under the cursor."""
    for route in routes:
        for span in (route.name_span, route.decorator, route.path_span):
            if span is not None and span.contains(line, col):
                return route
    return None


def lens_title(match: Match, more: int) -> str:
    route = match.target.route
    method = "WS" if route.methods == ("WEBSOCKET",) else "|".join(route.methods)
    title = f"→ {method} {up.display(match.target.template)}"
    if route.function:
        title += f" · {route.function}"
    if more:
        title += f" (+{more} more)"
    return title


def tests_title(count: int) -> str:
    return "1 test" if count == 1 else f"{count} tests"


def route_card(match: Match, others: int = 0, markdown: bool = True) -> str:
    """Method, full path, the handler's docstring, and its ``response_model``/``status_code``."""
    route = match.target.route
    method = "WebSocket" if route.methods == ("WEBSOCKET",) else " | ".join(route.methods)
    path = up.display(match.target.template)
    lines: list[str] = []
    head = f"{method} {path}"
    lines.append(f"**{head}**" if markdown else head)
    handler = route.function or "?"
    where = f"`{handler}`" if markdown else handler
    lines.append(f"{'→' if markdown else '->'} {where} on `{route.owner.name}`" if markdown else f"-> {handler} on {route.owner.name}")
    facts = []
    call = route.call
    if call is not None:
        for kw in call.keywords:
            if kw.arg in ("response_model", "status_code"):
                facts.append(f"{kw.arg}={up._unparse(kw.value)}")
    fn = route.func
    if fn is not None and fn.returns is not None and not any(f.startswith("response_model") for f in facts):
        facts.append(f"returns {up._unparse(fn.returns)}")
    if facts:
        lines.append(" · ".join(f"`{f}`" if markdown else f for f in facts))
    doc = ast.get_docstring(fn) if fn is not None else None
    if doc:
        lines.append("")
        lines.append(doc.strip())
    if others:
        lines.append("")
        lines.append(f"_also matches {others} other route{'s' if others > 1 else ''}_" if markdown else f"(also matches {others} other routes)")
    return "\n".join(lines) if not markdown else "\n\n".join(_paragraphs(lines))


def _paragraphs(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return [x for x in out if x != ""]


__all__ = [
    "ClientCall",
    "IncludeCall",
    "Match",
    "ModuleFacts",
    "RouteTarget",
    "Workspace",
    "call_at",
    "client_calls",
    "lens_title",
    "module_facts",
    "route_at",
    "route_card",
    "tests_title",
]
