"""Path operations declared in a module, and the routers of a whole workspace.

``extract_routes(analysis, db)`` finds every path operation of a module: ``@app.get("/x")``,
``@router.api_route("/x", methods=[...])``, ``@router.websocket("/ws")`` and
``app.add_api_route("/x", endpoint)``, on any variable the analysis knows to be a ``FastAPI``
or ``APIRouter`` instance (subclasses, factories and imported instances included). Each
``Route`` carries its methods, path template, the prefix of its router when that is known in
the same file, the endpoint function and the source ranges an editor needs.

``RouteIndex`` scans the ``*.py`` files under the workspace roots (nothing is imported or
executed) and keeps, per file, its routes and which names of other modules it references, so
``workspace/symbol`` can search routes and the unused-router rule can tell whether a router is
used anywhere.

Positions are 0-based lines and code-point columns, like everything in ``core``.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .analysis import (
    ApiLookup,
    ModuleAnalysis,
    Ref,
    Scope,
    _attr_value,
    absolute_import,
    find_binding,
    innermost_scope,
    lookup,
    member_ref,
)
from .parsing import Chunk
from .urlpattern import Pattern, eval_pattern

log = logging.getLogger(__name__)

HTTP_METHODS = ("get", "post", "put", "delete", "patch", "options", "head", "trace")
ROUTE_DECORATORS = frozenset((*HTTP_METHODS, "api_route", "websocket"))
#: classes whose instances hold path operations (canonical and public spellings)
APP_CLASSES = frozenset(("fastapi.applications.FastAPI", "fastapi.FastAPI"))
ROUTER_CLASSES = frozenset(("fastapi.routing.APIRouter", "fastapi.APIRouter"))

_PARAM_RE = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")
#: Starlette's built-in convertors (``starlette.convertors.CONVERTOR_TYPES``)
CONVERTOR_REGEX = {
    "str": "[^/]+",
    "path": ".*",
    "int": "[0-9]+",
    "float": r"[0-9]+(?:\.[0-9]+)?",
    "uuid": "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
}

SKIP_DIRS = frozenset(
    ("node_modules", "site-packages", "dist-packages", "__pycache__", "venv", "env", "build", "dist", "htmlcov")
)


# --------------------------------------------------------------------------------------
# scopes


# --------------------------------------------------------------------------------------
# positions


@dataclass(frozen=True, slots=True)
class Span:
    line: int
    start: int
    end_line: int
    end: int

    def contains(self, line: int, col: int) -> bool:
        return (self.line, self.start) <= (line, col) <= (self.end_line, self.end)

    def overlaps(self, other: Span) -> bool:
        return (self.line, self.start) <= (other.end_line, other.end) and (other.line, other.start) <= (self.end_line, self.end)


def code_col(lines: list[str], line: int, byte_col: int) -> int:
    """UTF-8 byte column (what ``ast`` reports) -> code-point column, clamped to the line
    (a repaired chunk's tree can end past the real line: the repair appended closers)."""
    text = lines[line] if 0 <= line < len(lines) else ""
    if text.isascii():
        return max(0, min(byte_col, len(text)))
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def node_span(node: ast.AST, offset: int, lines: list[str]) -> Span:
    """The source range of an AST node of a chunk starting at line ``offset``."""
    line = offset + node.lineno - 1  # type: ignore[attr-defined]
    end_line = offset + (getattr(node, "end_lineno", None) or node.lineno) - 1  # type: ignore[attr-defined]
    end_col = getattr(node, "end_col_offset", None)
    return Span(
        line,
        code_col(lines, line, node.col_offset),  # type: ignore[attr-defined]
        end_line,
        code_col(lines, end_line, end_col if end_col is not None else node.col_offset),  # type: ignore[attr-defined]
    )


def text_of(lines: list[str], span: Span) -> str:
    if span.line == span.end_line:
        return lines[span.line][span.start : span.end] if 0 <= span.line < len(lines) else ""
    parts = [lines[span.line][span.start :]]
    parts.extend(lines[span.line + 1 : span.end_line])
    parts.append(lines[span.end_line][: span.end] if span.end_line < len(lines) else "")
    return "\n".join(parts)


_DEF_NAME = re.compile(r"\b(?:def|class)\s+(\w+)")


def name_span(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, offset: int, lines: list[str]) -> Span:
    """The range of the name in ``def name(`` / ``class name``."""
    line = offset + node.lineno - 1
    text = lines[line] if 0 <= line < len(lines) else ""
    for m in _DEF_NAME.finditer(text):  # one compiled pattern: a pattern per name thrashes re's cache
        if m.group(1) == node.name:
            return Span(line, m.start(1), line, m.end(1))
    start = code_col(lines, line, node.col_offset)
    return Span(line, start, line, start)


# --------------------------------------------------------------------------------------
# path templates


@dataclass(frozen=True, slots=True)
class PathParam:
    name: str
    convertor: str  # "str" when none is given
    start: int  # offset of "{" inside the template
    end: int  # offset after "}"


def path_params(template: str) -> list[PathParam]:
    return [PathParam(m.group(1), m.group(2) or "str", m.start(), m.end()) for m in _PARAM_RE.finditer(template)]


def template_regex(template: str) -> re.Pattern[str] | None:
    """The regex Starlette compiles a template to; None when it uses an unknown convertor."""
    out = ["^"]
    pos = 0
    for m in _PARAM_RE.finditer(template):
        convertor = m.group(2) or "str"
        if convertor not in CONVERTOR_REGEX:
            return None
        out.append(re.escape(template[pos : m.start()]))
        out.append(f"(?:{CONVERTOR_REGEX[convertor]})")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return None


def normalized_template(template: str) -> str:
    """``/items/{id:int}`` -> ``/items/{:int}``: templates equal after this match the same URLs."""
    return _PARAM_RE.sub(lambda m: "{:" + (m.group(2) or "str") + "}", template)


def join_path(prefix: str | None, path: str | None) -> str | None:
    if path is None:
        return None
    return (prefix or "") + path


# --------------------------------------------------------------------------------------
# what a module declares


def _node_in(chunk: Chunk | None, path: tuple | None, kind: type | tuple[type, ...]) -> ast.AST | None:
    """The node at ``path`` in ``chunk``'s tree when it is of ``kind`` (see ``Chunk.node_at``)."""
    if chunk is None or path is None:
        return None
    node = chunk.node_at(path)
    return node if isinstance(node, kind) else None


@dataclass(slots=True, eq=False)
class Owner:
    """A FastAPI app or APIRouter as seen in one module."""

    key: tuple
    name: str  # the expression as written: "app", "router", "self.router"
    kind: str  # "app" | "router"
    cls: str  # the FastAPI class path it is an instance of
    local: bool = False  # bound by an assignment in this module
    module_level: bool = False  # bound at module level (importable by other modules)
    span: Span | None = None  # the bound name in that assignment
    prefix: str | None = None  # APIRouter(prefix="...") when it is a literal
    prefix_known: bool = True  # False when prefix= is not a literal
    prefix_pattern: Pattern | None = None  # prefix= as a URL pattern (``settings.X`` a hole)
    call_offset: int = 0
    #: where the constructor call is: a chunk and the path to the node in its tree (see ``call``)
    chunk: Chunk | None = field(default=None, repr=False, compare=False)
    call_path: tuple | None = None

    @property
    def call(self) -> ast.Call | None:
        """The constructor call (looked up again on each access: do not compare by identity)."""
        return _node_in(self.chunk, self.call_path, ast.Call)  # type: ignore[return-value]


@dataclass(slots=True, eq=False)
class Route:
    methods: tuple[str, ...]  # ("GET",), ("GET", "POST"), ("WEBSOCKET",)
    path: str | None  # the template as written, None when it is not a string literal
    path_text: str  # how the path reads in the source (for display when not a literal)
    owner: Owner
    function: str | None  # the endpoint's name
    kind: str  # "decorator" | "add_api_route"
    decorator: Span  # the decorator call (or the add_api_route call)
    path_span: Span | None  # the string literal, quotes included
    name_span: Span | None  # the endpoint's name in its def (None when the def is elsewhere)
    def_span: Span | None  # the def with its decorators
    block: tuple  # identity of the statement list holding it (only routes of one block are compared)
    order: int  # declaration order in the module
    repaired: bool = False  # in a chunk the parser had to repair: positions may be off
    offset: int = 0  # line offset of the chunk holding call/func
    other_decorators: bool = False  # non-route decorators applied before this one (signature unknown)
    include_prefix: str | None = None  # prefix of the one include_router of a same-file router
    #: the chunk holding the decorator (or add_api_route) call and the def, and the paths to them
    #: in its tree: the AST is not kept alive (see ``parsing.Chunk``)
    chunk: Chunk | None = field(default=None, repr=False, compare=False)
    call_path: tuple | None = None
    func_path: tuple | None = None

    @property
    def call(self) -> ast.Call | None:
        """The decorator or ``add_api_route`` call (a fresh look-up: compare ``call_path``, not nodes)."""
        return _node_in(self.chunk, self.call_path, ast.Call)  # type: ignore[return-value]

    @property
    def func(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The endpoint's def (a fresh look-up: compare ``func_path``, not nodes)."""
        return _node_in(self.chunk, self.func_path, (ast.FunctionDef, ast.AsyncFunctionDef))  # type: ignore[return-value]

    @property
    def full_path(self) -> str | None:
        if self.path is None:
            return None
        prefix = (self.include_prefix or "") + (self.owner.prefix or "")
        return prefix + self.path

    @property
    def label(self) -> str:
        method = "WS" if self.methods == ("WEBSOCKET",) else "|".join(self.methods)
        path = self.full_path if self.full_path is not None else self.path_text
        return f"{method} {path}"


@dataclass(slots=True, eq=False)
class IncludeCall:
    owner: Owner | None  # the app/router including
    arg_text: str = ""
    prefix: str | None = None
    span: Span | None = None
    offset: int = 0
    kind: str = "include"  # "include" (include_router) | "mount" (app.mount of a sub-app)
    prefix_pattern: Pattern | None = None  # prefix= (or the mount path) as a URL pattern


@dataclass(frozen=True, slots=True)
class ChunkRoutes:
    """What the walk of one chunk (top-level statement without imports) of a module found, for
    the next version of the module: the same chunk text is not walked again.

    ``loaded`` and ``attrs`` are the names it loads and its ``name.attr`` uses (references when
    ``name`` is an imported module). ``sites`` are the expressions it asked about (``owner_for``)
    by shape and line within the chunk: when none of them is an app or router, the chunk adds
    nothing else. When some are, only the statements that may declare routes, routers or
    includes (``replay``: what, the path to it in the chunk's tree, its block or whether at
    module level) are read again, by the same code, where the chunk now is."""

    sites: tuple[tuple[tuple, int], ...]
    loaded: frozenset[str]
    attrs: frozenset[tuple[str, str]]
    replay: tuple[tuple[str, tuple, Any], ...] = ()
    offset: int = 0  # where the chunk was (the blocks in ``replay`` name it)


@dataclass(slots=True)
class ModuleRoutes:
    routes: list[Route]
    owners: list[Owner]
    includes: list[IncludeCall]
    #: names this module references from other modules: (module, name); module "" = unresolved
    references: set[tuple[str, str]] = field(default_factory=set)
    #: names used in this module other than as ``owner.method(...)`` targets
    loaded_names: set[str] = field(default_factory=set)
    #: chunk text -> its summary, for re-extracting the next version of the module (``previous``)
    parts: dict[Any, ChunkRoutes] = field(default_factory=dict, repr=False, compare=False)

    def owner_named(self, name: str) -> Owner | None:
        for owner in self.owners:
            if owner.name == name and owner.module_level:
                return owner
        return None


def _class_kind(path: str, db: ApiLookup | None) -> str | None:
    candidates = {path}
    if db is not None:
        obj = db.get(path)
        if obj is not None:
            candidates.add(obj.path)
            candidates.update(getattr(obj, "bases", []) or [])
    if candidates & APP_CLASSES:
        return "app"
    if candidates & ROUTER_CLASSES:
        return "router"
    return None


def _literal_path(node: ast.expr | None) -> str | None:
    """The route template when it is written as a string literal."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Extractor:
    def __init__(
        self, analysis: ModuleAnalysis, db: ApiLookup | None, module_name: str | None, previous: dict[Any, ChunkRoutes] | None = None
    ) -> None:
        self.analysis = analysis
        self.lines = analysis.lines
        self.db = db
        self.module_name = module_name
        self.star = analysis.star_imports
        self.owners: dict[tuple, Owner] = {}
        self.routes: list[Route] = []
        self.includes: list[IncludeCall] = []
        self.references: set[tuple[str, str]] = set()
        self.loaded: set[str] = set()
        self.imported_modules: dict[str, str] = {}  # local name -> module
        self.offset = 0
        self.repaired = False
        self.chunk: Chunk | None = None
        #: the previous version's chunk summaries (``ChunkRoutes``) by chunk text, and this one's
        self.previous: dict[Any, ChunkRoutes] = previous or {}
        self.parts: dict[Any, ChunkRoutes] = {}
        # what the chunk being walked reads and finds (see ``ChunkRoutes``)
        self.sites: list[tuple[tuple, int]] = []
        self.attrs: set[tuple[str, str]] = set()
        self.replay: list[tuple[str, tuple, Any]] = []
        self.saw_import = False

    # ---- evaluation -----------------------------------------------------------------

    def scope_at(self, line: int) -> Scope:
        return innermost_scope(self.analysis.module_scope, line)

    def eval(self, node: ast.expr, line: int) -> Ref | None:
        return self.eval_shape(_expr_shape(node), line)

    def eval_shape(self, shape: tuple | None, line: int) -> Ref | None:
        """``eval`` of an expression by its shape (``_expr_shape``): names, attributes and calls."""
        if shape is None:
            return None
        if shape[0] == "n":
            return lookup(self.scope_at(line), shape[1], line, self.star, self.db)
        if shape[0] == "a":
            base = self.eval_shape(shape[1], line)
            if base is None:
                return None
            return member_ref(_attr_value(base, self.db), shape[2], self.db)
        func = self.eval_shape(shape[1], line)  # "c": a call
        if func is None:
            return None
        if func.kind in ("subclass", "factory"):
            return Ref("inst", func.path)
        if func.kind == "obj" and _class_kind(func.path, self.db):
            return Ref("inst", func.path)
        return None

    def owner_kind(self, shape: tuple | None, line: int) -> tuple[str, str] | None:
        """``(kind, class path)`` when the expression is an app or router instance."""
        ref = self.eval_shape(shape, line)
        if ref is not None and ref.kind == "attr":
            ref = _attr_value(ref, self.db)
        if ref is None or ref.kind != "inst":
            return None
        kind = _class_kind(ref.path, self.db)
        return (kind, ref.path) if kind is not None else None

    def owner_for(self, node: ast.expr, line: int) -> Owner | None:
        shape = _expr_shape(node)
        if shape is not None:
            self.sites.append((shape, line - self.offset))
        found = self.owner_kind(shape, line)
        if found is None:
            return None
        kind, cls = found
        text = ast.unparse(node)
        key: tuple
        if isinstance(node, ast.Name):
            key = self._binding_key(node.id, line)
        else:
            key = ("expr", text)
        owner = self.owners.get(key)
        if owner is None:
            owner = Owner(key=key, name=text, kind=kind, cls=cls)
            self.owners[key] = owner
        return owner

    def _binding_key(self, name: str, line: int) -> tuple:
        found = find_binding(self.scope_at(line), name, line)
        if found is None:
            return ("name", 0, name, -1)
        return ("name", id(found[0]), name, found[1])

    # ---- walking ----------------------------------------------------------------------

    def run(self) -> ModuleRoutes:
        for chunk in self.analysis.chunks:
            key = chunk.key
            part = None if chunk.repaired else self.previous.get(key)
            if part is not None and self.reuse(part, chunk):
                self.parts[key] = part
                continue
            tree = chunk.tree
            if tree is None:
                continue
            self.offset = chunk.start_line
            self.repaired = chunk.repaired
            self.chunk = chunk
            self.sites, self.attrs, self.replay, self.saw_import = [], set(), [], False
            loaded, self.loaded = self.loaded, set()
            try:
                self.walk_body(tree.body, ("module",), path=("body",))
            finally:
                chunk_loaded, self.loaded = self.loaded, loaded
                self.loaded |= chunk_loaded
            if not (chunk.repaired or self.saw_import):
                self.parts[key] = ChunkRoutes(
                    tuple(self.sites), frozenset(chunk_loaded), frozenset(self.attrs), tuple(self.replay), chunk.start_line
                )
            del tree
        self._link_includes()
        return ModuleRoutes(self.routes, list(self.owners.values()), self.includes, self.references, self.loaded, self.parts)

    def reuse(self, part: ChunkRoutes, chunk: Chunk) -> bool:
        """Take a chunk's names and references from its summary and, when one of the expressions
        it declares routes or routers on is an app or router now, read those statements again."""
        start = chunk.start_line
        if part.replay and any(self.owner_kind(shape, start + line) is not None for shape, line in part.sites):
            tree = chunk.tree
            if tree is None:
                return False
            self.offset, self.repaired, self.chunk = start, False, chunk
            self.sites, self.replay = [], []
            for what, path, how in part.replay:
                node = _node_at(tree, path)
                if what == "f" and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.function(node, _moved_block(how, part.offset, start), path)
                elif what == "a" and isinstance(node, (ast.Assign, ast.AnnAssign)):
                    self.assignment(node, how, path)
                elif what == "c" and isinstance(node, ast.Call):
                    self.call_statement(node, _moved_block(how, part.offset, start), path)
            del tree
        self.loaded |= part.loaded
        for name, attr in part.attrs:
            module = self.imported_modules.get(name)
            if module:
                self.references.add((module, attr))
        return True

    def line(self, node: ast.AST) -> int:
        return self.offset + node.lineno - 1  # type: ignore[attr-defined]

    def walk_body(self, body: list[ast.stmt], block: tuple, module_level: bool = True, path: tuple = ()) -> None:
        """``path``: how to reach ``body`` from the chunk's tree (``Chunk.node_at``)."""
        for i, stmt in enumerate(body):
            self.walk_stmt(stmt, block, module_level, (*path, i))

    def walk_stmt(self, stmt: ast.stmt, block: tuple, module_level: bool, path: tuple = ()) -> None:
        # a nested statement list is identified by where it is (chunk and path), not by id():
        # the tree is not kept, so ids of its nodes can be reused by the next chunk's
        here = (self.offset, *path)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.imports(stmt)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(_is_route_decorator(dec) for dec in stmt.decorator_list):
                self.replay.append(("f", path, block))
            self.function(stmt, block, path)
            for dec in stmt.decorator_list:
                # `@router.get(...)` declares a route on the router: not a use of it
                self.expressions(dec, skip=_call_target(dec))
            for default in [*stmt.args.defaults, *[d for d in stmt.args.kw_defaults if d is not None]]:
                self.expressions(default)
            self.walk_body(stmt.body, (*block, here), module_level=False, path=(*path, "body"))
            return
        if isinstance(stmt, ast.ClassDef):
            for dec in stmt.decorator_list:
                self.expressions(dec)
            for base in stmt.bases:
                self.expressions(base)
            self.walk_body(stmt.body, (*block, here), module_level=False, path=(*path, "body"))
            return
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            if isinstance(stmt.value, ast.Call):
                self.replay.append(("a", path, module_level))
            self.assignment(stmt, module_level, path)
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            if isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr in _BLOCK_CALLS:
                self.replay.append(("c", (*path, "value"), block))
            self.call_statement(stmt.value, block, (*path, "value"))
        # nested statement lists: each is its own block
        for name in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, name, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                self.walk_body(sub, (*block, here, name), module_level, (*path, name))
        for h, handler in enumerate(getattr(stmt, "handlers", []) or []):
            self.walk_body(handler.body, (*block, (*here, "handlers", h)), module_level, (*path, "handlers", h, "body"))
        for c, case in enumerate(getattr(stmt, "cases", []) or []):
            self.walk_body(case.body, (*block, (*here, "cases", c)), module_level, (*path, "cases", c, "body"))
        skip = _call_target(stmt.value) if isinstance(stmt, ast.Expr) else None
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self.expressions(child, skip)

    def expressions(self, node: ast.expr, skip: ast.AST | None = None) -> None:
        """Record names and ``module.name`` references used by an expression (``skip``: a node not to count)."""
        for sub in ast.walk(node):
            if sub is skip:
                continue
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                self.loaded.add(sub.id)
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                self.attrs.add((sub.value.id, sub.attr))
                module = self.imported_modules.get(sub.value.id)
                if module:
                    self.references.add((module, sub.attr))

    def imports(self, stmt: ast.Import | ast.ImportFrom) -> None:
        self.saw_import = True
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.imported_modules[alias.asname] = alias.name
                else:
                    self.imported_modules[alias.name.split(".")[0]] = alias.name.split(".")[0]
                    # `import a.b.c` then `a.b.c.router`: record the full module too
                    self.imported_modules.setdefault(alias.name, alias.name)
            return
        module = absolute_import(self.module_name, stmt.module, stmt.level, self.analysis.is_package)
        if module is None:
            module = stmt.module or ""
        for alias in stmt.names:
            if alias.name == "*":
                continue
            self.references.add((module, alias.name))
            # `from app.routers import items` makes `items.router` a reference to app.routers.items
            self.imported_modules[alias.asname or alias.name] = f"{module}.{alias.name}" if module else alias.name

    def assignment(self, stmt: ast.Assign | ast.AnnAssign, module_level: bool, path: tuple = ()) -> None:
        value = stmt.value
        if not isinstance(value, ast.Call):
            return
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            line = self.line(stmt)
            owner = self.owner_for(target, line)
            if owner is None:
                continue
            owner.local = True
            owner.module_level = module_level
            owner.span = node_span(target, self.offset, self.lines)
            owner.chunk, owner.call_path = self.chunk, (*path, "value")
            owner.call_offset = self.offset
            for kw in value.keywords:
                if kw.arg == "prefix":
                    owner.prefix_pattern = eval_pattern(kw.value)
                    if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        owner.prefix = kw.value.value
                    else:
                        owner.prefix_known = False
                        owner.prefix = None

    def function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, block: tuple, path: tuple = ()) -> None:
        decorators = fn.decorator_list
        # other_after[i]: a decorator that is no route decorator comes after decorator i (one
        # pass: 10k stacked decorators must not cost 10k x 10k)
        other_after = [False] * (len(decorators) + 1)
        for i in range(len(decorators) - 1, -1, -1):
            other_after[i] = other_after[i + 1] or not _is_route_decorator(decorators[i])
        def_span: Span | None = None
        fn_name_span: Span | None = None
        for i, dec in enumerate(decorators):
            if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)):
                continue
            attr = dec.func.attr
            if attr not in ROUTE_DECORATORS:
                continue
            line = self.line(dec)
            owner = self.owner_for(dec.func.value, line)
            if owner is None:
                continue
            methods = _methods_of(attr, dec)
            path_node = _path_arg(dec)
            if def_span is None:
                first = decorators[0]
                whole = Span(
                    self.line(first),
                    code_col(self.lines, self.line(first), first.col_offset) - 1,
                    self.offset + (fn.end_lineno or fn.lineno) - 1,
                    code_col(self.lines, self.offset + (fn.end_lineno or fn.lineno) - 1, fn.end_col_offset or 0),
                )
                def_span = Span(whole.line, max(0, whole.start), whole.end_line, whole.end)
                fn_name_span = name_span(fn, self.offset, self.lines)
            self.routes.append(
                Route(
                    methods=methods,
                    path=_literal_path(path_node),
                    path_text=ast.unparse(path_node) if path_node is not None else "?",
                    owner=owner,
                    function=fn.name,
                    kind="decorator",
                    decorator=node_span(dec, self.offset, self.lines),
                    path_span=node_span(path_node, self.offset, self.lines) if path_node is not None else None,
                    name_span=fn_name_span,
                    def_span=def_span,
                    block=block,
                    order=len(self.routes),
                    repaired=self.repaired,
                    offset=self.offset,
                    chunk=self.chunk,
                    call_path=(*path, "decorator_list", i),
                    func_path=path,
                    other_decorators=other_after[i + 1],
                )
            )

    def call_statement(self, call: ast.Call, block: tuple, path: tuple = ()) -> None:
        if not isinstance(call.func, ast.Attribute):
            return
        attr = call.func.attr
        if attr not in _BLOCK_CALLS:
            return
        line = self.line(call)
        owner = self.owner_for(call.func.value, line)
        if owner is None:
            return
        if attr == "include_router":
            arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "router"), None)
            if arg is None:
                return
            prefix = None
            for kw in call.keywords:
                if kw.arg == "prefix" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    prefix = kw.value.value
            prefix_node = next((kw.value for kw in call.keywords if kw.arg == "prefix"), None)
            self.includes.append(
                IncludeCall(
                    owner,
                    ast.unparse(arg),
                    prefix,
                    node_span(call, self.offset, self.lines),
                    self.offset,
                    prefix_pattern=eval_pattern(prefix_node) if prefix_node is not None else None,
                )
            )
            return
        if attr == "mount":
            mount_path = _path_arg(call)
            sub = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "app"), None)
            if mount_path is not None and isinstance(sub, (ast.Name, ast.Attribute)):
                self.includes.append(
                    IncludeCall(
                        owner,
                        ast.unparse(sub),
                        _literal_path(mount_path),
                        node_span(call, self.offset, self.lines),
                        self.offset,
                        kind="mount",
                        prefix_pattern=eval_pattern(mount_path),
                    )
                )
            return
        path_node = _path_arg(call)
        endpoint = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "endpoint"), None)
        methods = ("WEBSOCKET",) if attr == "add_api_websocket_route" else _methods_of("api_route", call)
        self.routes.append(
            Route(
                methods=methods,
                path=_literal_path(path_node),
                path_text=ast.unparse(path_node) if path_node is not None else "?",
                owner=owner,
                function=ast.unparse(endpoint) if endpoint is not None else None,
                kind="add_api_route",
                decorator=node_span(call, self.offset, self.lines),
                path_span=node_span(path_node, self.offset, self.lines) if path_node is not None else None,
                name_span=node_span(endpoint, self.offset, self.lines) if endpoint is not None else None,
                def_span=node_span(call, self.offset, self.lines),
                block=block,
                order=len(self.routes),
                repaired=self.repaired,
                offset=self.offset,
                chunk=self.chunk,
                call_path=path,
            )
        )

    def _link_includes(self) -> None:
        """A same-file router included exactly once (with a literal prefix) gets that prefix too."""
        counts: dict[str, list[IncludeCall]] = {}
        for inc in self.includes:
            if inc.kind != "include":
                continue
            counts.setdefault(inc.arg_text, []).append(inc)
        for route in self.routes:
            owner = route.owner
            if owner.kind != "router" or not owner.local:
                continue
            incs = counts.get(owner.name, [])
            if len(incs) == 1 and incs[0].prefix and incs[0].owner is not None and incs[0].owner.kind == "app":
                route.include_prefix = incs[0].prefix


#: the calls ``call_statement`` reads (statements of their own)
_BLOCK_CALLS = frozenset(("include_router", "add_api_route", "add_api_websocket_route", "mount"))


def _node_at(tree: ast.AST, path: tuple) -> ast.AST | None:
    """The node at ``path`` (attribute names and list indexes) from ``tree``, as ``Chunk.node_at``."""
    node: object = tree
    try:
        for step in path:
            node = getattr(node, step) if isinstance(step, str) else node[step]  # type: ignore[index]
    except (AttributeError, IndexError, TypeError):
        return None
    return node if isinstance(node, ast.AST) else None


def _moved_block(block: tuple, old: int, new: int) -> tuple:
    """A block identity (see ``walk_stmt``: statement places start with the chunk's first line)
    of a chunk that moved from line ``old`` to ``new``."""
    if old == new:
        return block
    return tuple((new, *part[1:]) if isinstance(part, tuple) and part and part[0] == old else part for part in block)


def _expr_shape(node: ast.AST) -> tuple | None:
    """An expression ``eval`` understands, without its nodes: ``("n", name)``, ``("a", base,
    attr)``, ``("c", func)``; None for anything else (it evaluates to nothing)."""
    if isinstance(node, ast.Name):
        return ("n", node.id)
    if isinstance(node, ast.Attribute):
        base = _expr_shape(node.value)
        return ("a", base, node.attr) if base is not None else None
    if isinstance(node, ast.Call):
        func = _expr_shape(node.func)
        return ("c", func) if func is not None else None
    return None


def _call_target(node: ast.AST | None) -> ast.AST | None:
    """The ``x`` of a ``x.method(...)`` call, when ``x`` is a plain name."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
        return node.func.value
    return None


def _is_route_decorator(dec: ast.expr) -> bool:
    return isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr in ROUTE_DECORATORS


def _path_arg(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for kw in call.keywords:
        if kw.arg == "path":
            return kw.value
    return None


def _methods_of(attr: str, call: ast.Call) -> tuple[str, ...]:
    if attr == "websocket":
        return ("WEBSOCKET",)
    if attr in HTTP_METHODS:
        return (attr.upper(),)
    for kw in call.keywords:
        if kw.arg == "methods" and isinstance(kw.value, (ast.List, ast.Tuple, ast.Set)):
            names = [e.value.upper() for e in kw.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if names and len(names) == len(kw.value.elts):
                return tuple(names)
            return ("*",)  # not literal: unknown
        if kw.arg == "methods":
            return ("*",)
    return ("GET",)


def extract_routes(
    analysis: ModuleAnalysis, db: ApiLookup | None = None, module_name: str | None = None, previous: ModuleRoutes | None = None
) -> ModuleRoutes:
    """Every path operation, app/router and include_router call of one analysed module.

    ``previous``: what the previous version of the module gave; its chunks that declared nothing
    are not walked again (see ``ChunkRoutes``). The result is the same as without it."""
    extractor = _Extractor(analysis, db, module_name, previous.parts if previous is not None else None)
    try:
        result = extractor.run()
    except RecursionError:
        result = ModuleRoutes(extractor.routes, list(extractor.owners.values()), extractor.includes)
    return result


# --------------------------------------------------------------------------------------
# the workspace


@dataclass(slots=True)
class FileRoutes:
    path: str
    module: str | None
    stamp: tuple
    routes: list[Route]
    #: module-level routers of this file that have routes: name -> Owner
    routers: dict[str, Owner]
    references: set[tuple[str, str]]
    loaded: set[str]
    lines: list[str] = field(default_factory=list, repr=False)
    #: every app/router bound to a name in this file (module level first), and its includes/mounts
    owners: dict[str, Owner] = field(default_factory=dict, repr=False)
    includes: list[IncludeCall] = field(default_factory=list, repr=False)
    #: test-client calls, client fixtures, string constants (``core/navigation.py``)
    facts: Any = field(default=None, repr=False)
    #: the chunk summaries of the extraction (``ModuleRoutes.parts``): the next version reuses them
    route_parts: dict[Any, ChunkRoutes] = field(default_factory=dict, repr=False)


ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
#: folders walked up from a bare root looking for the project's own root
MAX_ROOT_LEVELS = 8


def project_root(root: str) -> str:
    """The project a workspace root belongs to: the root itself when it holds a marker
    (``pyproject.toml``, ``setup.cfg``, ``setup.py``, ``.git``), else the nearest folder above it
    that does (a client without a root marker gives the file's own folder: Eglot without VCS,
    Neovim without a root pattern), else the root. The walk stops at the home folder."""
    start = Path(os.path.abspath(root))
    home = Path.home()
    current = start
    for _ in range(MAX_ROOT_LEVELS):
        try:
            if any((current / marker).exists() for marker in ROOT_MARKERS):
                return str(current)
        except OSError:
            break
        if current.parent == current or current == home:
            break
        current = current.parent
    return root


def module_name_under(path: str, roots: Iterable[str]) -> str | None:
    """The dotted module name of ``path`` relative to the first root (or its ``src/``) holding it."""
    for root in roots:
        for base in (Path(root), Path(root) / "src"):
            try:
                parts = list(Path(path).relative_to(base).with_suffix("").parts)
            except ValueError:
                continue
            if parts and parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and all(p.isidentifier() for p in parts):
                return ".".join(parts)
    return None


def iter_python_files(roots: Iterable[str], max_size: int) -> Iterator[str]:
    """``*.py`` files under the roots; virtualenvs, node_modules, hidden and build dirs skipped."""
    seen: set[str] = set()
    for root in roots:
        if not root or not os.path.isdir(root):
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            keep = []
            for d in dirnames:
                if d.startswith(".") or d in SKIP_DIRS:
                    continue
                full = os.path.join(dirpath, d)
                if os.path.isfile(os.path.join(full, "pyvenv.cfg")):
                    continue  # a virtualenv under any name
                keep.append(d)
            dirnames[:] = sorted(keep)
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                full = os.path.join(dirpath, name)
                real = os.path.realpath(full)
                if real in seen:
                    continue
                seen.add(real)
                try:
                    if os.path.getsize(full) > max_size:
                        continue
                except OSError:
                    continue
                yield full


class RouteIndex:
    """Routes and cross-module references of every workspace file, refreshed incrementally.

    ``stamp_for(path)`` is cheap (mtime/size, or the version of an open document); a file is
    re-read and re-extracted only when its stamp changes, and then only the chunks that changed
    are walked again (``extract_routes`` and ``navigation.module_facts`` get the previous
    version's result). ``analysis_for(path)`` supplies the analysis (the caller decides about
    open documents and caching).
    """

    def __init__(
        self,
        roots: list[str],
        analysis_for: Callable[[str], ModuleAnalysis | None],
        module_name_for: Callable[[str], str | None],
        db: Callable[[], ApiLookup | None] = lambda: None,
        max_file_size: int = 3_000_000,
        stamp_for: Callable[[str], tuple] | None = None,
    ) -> None:
        self.roots = list(roots)
        self._analysis_for = analysis_for
        self._module_name_for = module_name_for
        self._db = db
        self._stamp_for = stamp_for or file_stamp
        self.max_file_size = max_file_size
        self.files: dict[str, FileRoutes] = {}
        self.ready = False
        self.generation = 0  # bumps whenever a file's routes, references or definitions change
        self.calls_generation = 0  # bumps whenever a file's test-client calls change (navigation)
        self._lock = threading.RLock()
        #: path -> (stamp, lines, facts): a file's calls read ahead of its entry (``calls_for``)
        self._calls_ahead: dict[str, tuple[tuple, list[str], Any]] = {}

    def refresh(self, progress: Callable[[str, float], None] | None = None) -> None:
        """Walk the roots, (re)reading files whose stamp changed. Never raises.

        The lock is held per file, not for the whole walk: requests reading the index meanwhile
        (CodeLens, definition) wait for one file at most."""
        paths = list(iter_python_files(self.roots, self.max_file_size))
        alive = set(paths)
        with self._lock:
            for gone in [p for p in self.files if p not in alive]:
                del self.files[gone]
                self.generation += 1
                self.calls_generation += 1
        total = len(paths) or 1
        for i, path in enumerate(paths):
            if progress is not None and i % 25 == 0:
                progress(f"{i}/{len(paths)} files", i / total)
            self.update(path)
        self.ready = True

    def touch(self, path: str) -> None:
        """A file changed (saved, edited): re-read it now if it is part of the workspace."""
        if path in self.files or any(_under(path, root) for root in self.roots):
            if path.endswith(".py"):
                self.update(path)

    def update(self, path: str) -> FileRoutes | None:
        """Re-read ``path`` when its stamp changed. The file is analysed outside the lock."""
        stamp = self._stamp_for(path)
        with self._lock:
            cached = self.files.get(path)
        if cached is not None and cached.stamp == stamp and stamp:
            return cached
        try:
            analysis = self._analysis_for(path)
        except Exception:  # one bad file must not stop the scan
            log.exception("route scan failed for %s", path)
            analysis = None
        if analysis is None:
            with self._lock:
                if self.files.pop(path, None) is not None:
                    self.generation += 1
                    self.calls_generation += 1
            return None
        module = self._module_name_for(path)
        previous_routes = ModuleRoutes([], [], [], parts=cached.route_parts) if cached is not None else None
        found = extract_routes(analysis, self._db(), module, previous_routes)
        with_routes = {r.owner.name for r in found.routes if r.owner.kind == "router" and r.owner.module_level}
        routers = {o.name: o for o in found.owners if o.module_level and o.kind == "router" and o.name in with_routes}
        owners: dict[str, Owner] = {}
        for owner in sorted(found.owners, key=lambda o: not o.module_level):
            owners.setdefault(owner.name, owner)
        from .navigation import module_facts  # navigation builds on this module

        facts = module_facts(analysis, module, cached.facts if cached is not None else None)
        entry = FileRoutes(
            path, module, stamp, found.routes, routers, found.references, found.loaded_names, analysis.lines,
            owners=owners, includes=found.includes, facts=facts, route_parts=found.parts,
        )
        with self._lock:
            self._calls_ahead.pop(path, None)
            previous = self.files.get(path)
            if previous is None or _shape_of(previous) != _shape_of(entry):
                self.generation += 1
            if previous is None or _calls_of(previous) != _calls_of(entry):
                self.calls_generation += 1
            self.files[path] = entry
        return entry

    def calls_for(self, path: str) -> tuple[list[str], Any] | None:
        """The lines and test-client calls (``navigation.ModuleFacts``) of ``path`` as it is now,
        without extracting its routes again when it changed: a hover right after a keystroke
        only needs to know whether a call is under the cursor (its chunks that changed are read,
        see ``module_facts``). ``update`` brings the whole entry up to date."""
        stamp = self._stamp_for(path)
        with self._lock:
            cached = self.files.get(path)
            ahead = self._calls_ahead.get(path)
        if cached is not None and cached.stamp == stamp and stamp:
            return cached.lines, cached.facts
        if ahead is not None and ahead[0] == stamp and stamp:
            return ahead[1], ahead[2]
        try:
            analysis = self._analysis_for(path)
        except Exception:
            log.exception("reading %s failed", path)
            return None
        if analysis is None:
            return None
        from .navigation import module_facts

        previous = ahead[2] if ahead is not None else cached.facts if cached is not None else None
        facts = module_facts(analysis, self._module_name_for(path), previous)
        with self._lock:
            if len(self._calls_ahead) > 16:
                self._calls_ahead.clear()
            self._calls_ahead[path] = (stamp, analysis.lines, facts)
        return analysis.lines, facts

    def all_routes(self) -> Iterator[tuple[FileRoutes, Route]]:
        with self._lock:
            entries = list(self.files.values())
        for entry in entries:
            for route in entry.routes:
                yield entry, route

    def is_referenced(self, module: str | None, name: str, exclude_path: str | None = None) -> bool:
        """Does any other workspace file import or reference ``module.name``?

        Modules match when one dotted name ends with the other (files may be imported relative
        to a different root than ours); unresolvable imports match by name alone.
        """
        with self._lock:
            entries = list(self.files.values())
        for entry in entries:
            if entry.path == exclude_path:
                continue
            for ref_module, ref_name in entry.references:
                if ref_name == name and (module is None or not ref_module or _same_module(ref_module, module)):
                    return True
        return False


def _shape_of(entry: FileRoutes) -> tuple:
    """What other files (and the lenses) depend on: a change bumps the index's generation."""
    return (
        entry.references,
        [(r.label, r.function, r.decorator.line) for r in entry.routes],
        [(i.arg_text, i.prefix_pattern, i.kind, i.owner.name if i.owner else None) for i in entry.includes],
        [(name, o.prefix_pattern) for name, o in entry.owners.items()],
        entry.facts.definitions() if entry.facts is not None else None,
    )


def _calls_of(entry: FileRoutes) -> tuple:
    """The test-client calls and client fixtures of a file (positions included: lenses show them)."""
    return entry.facts.calls_signature() if entry.facts is not None else ()


def _same_module(a: str, b: str) -> bool:
    """Equal, or one is a dotted suffix of the other (roots differ between how files import)."""
    if not a or not b:
        return False
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def route_matches_query(route: Route, query: str) -> bool:
    """Case-insensitive subsequence match on "METHOD path" (and the endpoint name)."""
    q = query.strip().lower()
    if not q:
        return True
    haystacks = [route.label.lower()]
    if route.function:
        haystacks.append(route.function.lower())
    for hay in haystacks:
        if all(part in hay for part in q.split()):
            return True
        it = iter(hay)
        if all(ch in it for ch in q.replace(" ", "")):
            return True
    return False


def _under(path: str, root: str) -> bool:
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
    except (ValueError, OSError):
        return False
    return True


def file_stamp(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_size)
