"""What every rule reads: the module's definitions and imports (``_Module``) and one run's state (``_Run``)."""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..analysis import ApiLookup, ModuleAnalysis, Ref, _attr_value, innermost_scope, lookup, member_ref
from ..parsing import Chunk
from ..routes import ModuleRoutes, Owner, Route, RouteIndex, Span
from .model import MARKERS, RULES, SEVERITIES, Diagnostic

log = logging.getLogger(__name__)


@dataclass(slots=True, eq=False)
class _Def:
    """A module-level definition: where it is, not its AST (see ``parsing.Chunk``)."""

    chunk: Chunk
    path: tuple  # from the chunk's tree to the statement

    @property
    def offset(self) -> int:
        return self.chunk.start_line

    @property
    def node(self) -> ast.AST | None:
        """The statement, looked up again on each access: compare ``_Def`` objects, not nodes."""
        return self.chunk.node_at(self.path)


class _Module:
    """Top-level definitions and imports of one module, for following dependencies."""

    def __init__(self, analysis: ModuleAnalysis, module_name: str | None, db: ApiLookup | None) -> None:
        self.analysis = analysis
        self.lines = analysis.lines
        self.module_name = module_name
        self.db = db
        self.defs: dict[str, _Def] = {}
        self.imports: dict[str, tuple[str, str, int]] = {}  # local -> (module, name, level)
        for chunk in analysis.chunks:
            tree = chunk.tree
            if tree is not None:
                self._collect(tree.body, chunk, ("body",))
            del tree

    def _collect(self, body: list[ast.stmt], chunk: Chunk, path: tuple) -> None:
        for i, stmt in enumerate(body):
            at = (*path, i)
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[stmt.name] = _Def(chunk, at)
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        self.defs[t.id] = _Def(chunk, at)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                self.defs[stmt.target.id] = _Def(chunk, at)
            elif type(stmt).__name__ == "TypeAlias":
                self.defs[stmt.name.id] = _Def(chunk, at)  # type: ignore[attr-defined]
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name != "*":
                        self.imports[alias.asname or alias.name] = (stmt.module or "", alias.name, stmt.level)
                        self.defs.pop(alias.asname or alias.name, None)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.imports[local] = (alias.name if alias.asname else local, "", 0)
                    self.defs.pop(local, None)
            elif isinstance(stmt, (ast.If, ast.Try)) or type(stmt).__name__ == "TryStar":
                self._collect(getattr(stmt, "body", []), chunk, (*at, "body"))
                self._collect(getattr(stmt, "orelse", []), chunk, (*at, "orelse"))
                for n, h in enumerate(getattr(stmt, "handlers", [])):
                    self._collect(h.body, chunk, (*at, "handlers", n, "body"))

    def eval(self, node: ast.expr, line: int) -> Ref | None:
        """What a name/attribute/call evaluates to as far as FastAPI objects go."""
        scope = innermost_scope(self.analysis.module_scope, line)
        if isinstance(node, ast.Name):
            return lookup(scope, node.id, line, self.analysis.star_imports, self.db)
        if isinstance(node, ast.Attribute):
            base = self.eval(node.value, line)
            if base is None:
                return None
            return member_ref(_attr_value(base, self.db), node.attr, self.db)
        if isinstance(node, ast.Call):
            func = self.eval(node.func, line)
            if func is not None and func.kind in ("obj", "subclass", "factory") and (func.kind != "obj" or _is_class(func.path, self.db)):
                return Ref("inst", func.path)
        return None

    def marker(self, node: ast.expr | None, line: int) -> str | None:
        """``Query``/``Depends``/... when ``node`` is a call to one of FastAPI's markers."""
        if not isinstance(node, ast.Call):
            return None
        ref = self.eval(node.func, line)
        if ref is None or ref.kind != "obj":
            return None
        name = public_path(ref.path, self.db)
        head, _, last = name.rpartition(".")
        if last in MARKERS and head.split(".")[0] == "fastapi":
            return last
        return None


def public_path(path: str, db: ApiLookup | None) -> str:
    if db is not None:
        obj = db.get(path)
        if obj is not None and getattr(obj, "public", None):
            return obj.public
    return path


def _is_class(path: str, db: ApiLookup | None) -> bool:
    if db is not None:
        obj = db.get(path)
        if obj is not None:
            return obj.kind == "class"
    last = path.rsplit(".", 1)[-1]
    return last[:1].isupper() and not last.isupper()


def _method(cls: ast.AST | None, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    if not isinstance(cls, ast.ClassDef):
        return None
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return stmt
    return None


@dataclass
class _Run:
    analysis: ModuleAnalysis
    mod: _Module
    db: ApiLookup | None
    docs: Any
    routes: ModuleRoutes
    severities: dict[str, str]
    load_module: Callable[[str], _Module | None] | None
    workspace: RouteIndex | None
    path: str | None
    out: list[Diagnostic] = field(default_factory=list)
    #: each chunk's tree, parsed at most once per run (``Route.func``/``Route.call`` ask the
    #: tree cache each time, which re-parses an evicted chunk: on a chunk holding thousands of
    #: routes that is quadratic)
    _trees: dict[int, Any] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        return self.analysis.lines

    def _node(self, chunk: Chunk | None, path: tuple | None, kind: type | tuple[type, ...]) -> Any:
        if chunk is None or path is None:
            return None
        key = id(chunk)
        if key not in self._trees:
            self._trees[key] = (chunk, chunk.tree)  # the chunk is kept so its id stays its own
        node: Any = self._trees[key][1]
        try:
            for step in path:
                node = getattr(node, step) if isinstance(step, str) else node[step]
        except (AttributeError, IndexError, TypeError):
            return None
        return node if isinstance(node, kind) else None

    def func_of(self, route: Route) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """``route.func``, from this run's trees."""
        return self._node(route.chunk, route.func_path, (ast.FunctionDef, ast.AsyncFunctionDef))

    def call_of(self, route: Route | Owner) -> ast.Call | None:
        """``route.call`` (or an owner's constructor call), from this run's trees."""
        return self._node(route.chunk, route.call_path, ast.Call)

    def emit(self, code: str, message: str, span: Span, **extra: Any) -> None:
        severity = self.severities[code]
        href = extra.pop("href", None) or RULES[code].url
        self.out.append(Diagnostic(code, RULES[code].name, severity, message, span, href, **extra))

    def on(self, code: str) -> bool:
        return self.severities.get(code, "off") in SEVERITIES

    def nodes(self) -> Iterator[tuple[ast.AST, int]]:
        """Every node of the module's chunks that parsed without repair, with the chunk's line."""
        for chunk in self.analysis.chunks:
            if chunk.repaired:
                continue
            tree = chunk.tree
            if tree is None:
                continue
            for node in ast.walk(tree):
                yield node, chunk.start_line


def _binds(mod: _Module, name: str) -> bool:
    return name in mod.defs or name in mod.imports


def _in_repaired(analysis: ModuleAnalysis, line: int) -> bool:
    import bisect

    repaired = [c for c in analysis.chunks if c.repaired]
    if not repaired:
        return False
    starts = [c.start_line for c in analysis.chunks]
    i = bisect.bisect_right(starts, line) - 1
    return i >= 0 and analysis.chunks[i].repaired
