"""Which FastAPI (and Starlette) symbol is at each position of a Python module.

``analyze(text, ...)`` parses the module error-tolerantly (``parsing.parse_module``), binds
names to FastAPI objects and instances (imports with aliases, ``app = FastAPI()``, annotated
parameters, subclasses, factories, instances imported from other workspace modules), then
records every occurrence of a FastAPI symbol with its position: names, attribute chains,
keyword arguments of FastAPI calls and ``status`` constants.

Everything here is pure Python. Positions are 0-based lines and code-point columns.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any, Protocol

from .parsing import Chunk, _trees, chunk_starts, clean_source, parse_range, ranges_of, resplit

log = logging.getLogger(__name__)

ROOT_PACKAGES = ("fastapi", "starlette")

#: Calls whose keyword arguments belong to the class passed as first argument.
_FORWARDING_CALLS = {
    "add_middleware",  # app.add_middleware(CORSMiddleware, allow_origins=...)
    "starlette.middleware.Middleware",  # Middleware(CORSMiddleware, allow_origins=...)
}


# --------------------------------------------------------------------------------------
# the values names can be bound to


_DEF_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


@dataclass(frozen=True, slots=True)
class Ref:
    """What an expression evaluates to.

    kind ``obj``: the FastAPI object at ``path`` itself (module, class, function, constant).
    kind ``inst``: an instance of the class at ``path``.
    kind ``subclass``: a workspace class deriving from the FastAPI class at ``path``.
    kind ``factory``: a workspace function whose return annotation is the class at ``path``.
    kind ``classfactory``: a workspace function annotated ``-> type[X]``, X the class at ``path``.
    kind ``seq``: a list (sequence, iterable) of instances of the class at ``path``.
    kind ``uclass`` / ``uinst``: a workspace class (an instance of one), named ``path``, whose
    attributes ``attrs`` are annotated with FastAPI types (``upload: UploadFile``).

    ``params`` (kind ``subclass``): the keywords its constructor passes on to the FastAPI class,
    when it defines its own ``__init__``: names, ``"**"`` for any other keyword (``**kwargs``
    forwarded), ``"-name"`` for its own parameters. ``None``: all of them.
    """

    kind: str
    path: str
    attrs: tuple[tuple[str, Ref], ...] = ()
    params: tuple[str, ...] | None = None

    def passes_on(self, keyword: str) -> bool:
        params = self.params
        if params is None or keyword in params:
            return True
        return "**" in params and f"-{keyword}" not in params


class ApiLookup(Protocol):
    """The subset of ``ApiDB`` the analysis needs (kept abstract so tests can fake it)."""

    def get(self, path: str) -> Any: ...

    def member(self, owner: str, name: str) -> Any: ...


class ModuleResolver(Protocol):
    def exported_ref(self, module: str, name: str, seen: frozenset[str]) -> Ref | None: ...

    def is_module(self, module: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Occurrence:
    line: int
    start: int
    end: int
    target: str  # dotted path of the symbol as reached (fastapi.FastAPI.get, fastapi.Query)
    kind: str  # module | name | member | keyword | instance | status
    param: str | None = None  # for keyword: the parameter's name (target is the callable)
    instance_of: str | None = None  # for instance: the class


@dataclass(slots=True)
class Scope:
    kind: str  # module | function | class
    start: int
    end: int
    bindings: dict[str, list[tuple[int, Ref | None]]] = field(default_factory=dict)
    parent: Scope | None = None
    children: list[Scope] = field(default_factory=list)
    _child_starts: list[int] | None = None  # start lines of ``children``, built on first look-up
    base: str | None = None  # for a class scope: the FastAPI class it derives from
    col: int = -1  # column of the def that opens the scope
    log: list[tuple[str, int, Ref | None]] | None = None  # module scope: bindings being recorded
    # module scope of an incremental analysis: the names whose entry lists it owns; the others
    # are shared with the previous version's scope and copied before they change
    owned: set[str] | None = None

    def bind(self, name: str, line: int, ref: Ref | None) -> None:
        entries = self.bindings.get(name)
        if entries is None:
            entries = self.bindings[name] = []
            if self.owned is not None:
                self.owned.add(name)
        elif self.owned is not None and name not in self.owned:
            entries = self.bindings[name] = entries[:]
            self.owned.add(name)
        entries.append((line, ref))
        if self.log is not None:
            self.log.append((name, line, ref))


class ModuleAnalysis:
    """The analysis of one version of a module.

    Built incrementally from the analysis of the previous version (see ``analyze``), it shares
    that version's per-chunk results: ``at`` looks only in the chunk under the cursor, while
    ``occurrences``, ``chunks`` and the scope tree under ``module_scope`` are assembled on first
    use (a request that only needs ``at`` never pays for them)."""

    __slots__ = ("lines", "star_imports", "is_package", "_module_scope", "_scopes_ready", "_chunks", "_occurrences", "_by_line", "_parts", "_part_starts")

    _assembly = threading.Lock()

    def __init__(
        self,
        lines: list[str],
        occurrences: list[Occurrence] | None,
        module_scope: Scope,
        chunks: list[Chunk] | None,
        star_imports: tuple[str, ...] = (),
        is_package: bool = False,
        parts: list[tuple] | None = None,
        part_starts: list[int] | None = None,
    ) -> None:
        self.lines = lines
        self.star_imports = star_imports
        self.is_package = is_package  # the module is a package's __init__
        self._module_scope = module_scope
        self._parts = parts or []
        self._scopes_ready = parts is None
        self._part_starts = part_starts if part_starts is not None else [p[0] for p in self._parts]
        self._chunks = chunks
        self._occurrences = occurrences
        self._by_line: dict[int, list[Occurrence]] | None = None
        if occurrences is not None:
            self._by_line = _index_by_line(occurrences)

    @property
    def module_scope(self) -> Scope:
        if not self._scopes_ready:
            with ModuleAnalysis._assembly:
                if not self._scopes_ready:
                    scope = self._module_scope
                    children: list[Scope] = []
                    for start, part in zip(self._part_starts, self._parts):
                        children.extend(_part_scopes(part, scope, start))
                    scope.children = children
                    scope._child_starts = None
                    self._scopes_ready = True
        return self._module_scope

    @property
    def chunks(self) -> list[Chunk]:
        if self._chunks is None:
            self._chunks = [Chunk(start, p[1].key, p[1].repaired, p[1].parsed) for start, p in zip(self._part_starts, self._parts)]
        return self._chunks

    @property
    def occurrences(self) -> list[Occurrence]:
        if self._occurrences is None:
            occs: list[Occurrence] = []
            for start, (_, res, _, _) in zip(self._part_starts, self._parts):
                shift = start - res.base
                if shift:
                    occs.extend(_shifted(o, shift) for o in res.occs)
                else:
                    occs.extend(res.occs)
            self._occurrences = occs
        return self._occurrences

    def _line_occurrences(self, line: int) -> tuple[list[Occurrence] | None, int]:
        if self._by_line is not None:
            return self._by_line.get(line), 0
        idx = bisect.bisect_right(self._part_starts, line) - 1
        if idx < 0:
            return None, 0
        start, res = self._part_starts[idx], self._parts[idx][1]
        shift = start - res.base
        return res.by_line().get(line - shift), shift

    def at(self, line: int, col: int) -> Occurrence | None:
        """The occurrence under the cursor (a cursor just after a name counts too)."""
        occs, shift = self._line_occurrences(line)
        if not occs:
            return None
        best = None
        for occ in occs:
            if occ.start <= col < occ.end:
                if best is None or (occ.end - occ.start) < (best.end - best.start):
                    best = occ
        if best is None:
            for occ in occs:
                if occ.end == col:
                    best = occ
                    break
        if best is not None and shift:
            return _shifted(best, shift)
        return best

    def exported(self, name: str) -> Ref | None:
        entries = self.module_scope.bindings.get(name)
        if not entries:
            return None
        return entries[-1][1]

    def resolve_text(self, dotted: str, line: int, db: ApiLookup | None = None) -> Ref | None:
        """Resolve a dotted expression written as text (``app.get``, ``fastapi.security``) at a line.

        Used by completion, where the code under the cursor is often not parseable yet.
        """
        parts = [p.strip() for p in dotted.split(".")]
        if not parts or not all(p.isidentifier() for p in parts):
            return None
        scope = innermost_scope(self.module_scope, line)
        ref = lookup(scope, parts[0], line, self.star_imports, db)
        for part in parts[1:]:
            if ref is None:
                return None
            ref = member_ref(ref, part, db)
        return ref


# --------------------------------------------------------------------------------------
# evaluation


def _is_fastapi(path: str) -> bool:
    return path.split(".", 1)[0] in ROOT_PACKAGES


def _kind_of(path: str, db: ApiLookup | None) -> str | None:
    if db is not None:
        obj = db.get(path)
        if obj is not None:
            return obj.kind
    return None


def _looks_like_class(path: str, db: ApiLookup | None) -> bool:
    kind = _kind_of(path, db)
    if kind is not None:
        return kind == "class"
    return path.rsplit(".", 1)[-1][:1].isupper() and not path.rsplit(".", 1)[-1].isupper()


def member_ref(ref: Ref, name: str, db: ApiLookup | None) -> Ref | None:
    """``ref.name``: a member of a FastAPI object, or of the class of an instance."""
    if ref.kind == "obj":
        path = f"{ref.path}.{name}"
        obj = db.get(ref.path) if db is not None else None
        if db is not None and obj is not None:
            if obj.kind == "module":
                if name not in obj.members and db.get(path) is None:
                    return None
            elif obj.kind == "class":
                if db.member(ref.path, name) is None:
                    return None
            else:
                return None
        return Ref("obj", path)
    if ref.kind == "inst":
        path = f"{ref.path}.{name}"
        if db is not None and db.get(ref.path) is not None:
            member = db.member(ref.path, name)
            if member is None:
                # `super().__init__(...)` in a subclass: the FastAPI class's constructor
                return Ref("obj", ref.path) if name == "__init__" else None
            if member.kind in ("attribute", "property") and _member_value(ref.path, name, member, db) is not None:
                return Ref("attr", path)
        return Ref("obj", path)
    if ref.kind == "uinst":
        for attr, value in ref.attrs:
            if attr == name:
                return value
    return None


def _attr_value(ref: Ref, db: ApiLookup | None) -> Ref:
    """The value of an attribute reference, for chaining (``request.url`` -> instance of URL,
    ``router.routes`` -> list of BaseRoute)."""
    if ref.kind == "attr" and db is not None:
        owner, _, name = ref.path.rpartition(".")
        member = db.member(owner, name)
        if member is not None:
            value = _member_value(owner, name, member, db)
            if value is not None:
                return value
    return ref


def _member_value(owner: str, name: str, member, db: ApiLookup) -> Ref | None:
    """What an attribute of a FastAPI class holds: its type, else its annotation as written in
    its signature (``routes: list[BaseRoute]``), else the annotation of the constructor
    parameter of the same name (``APIRouter(routes: list[BaseRoute] | None)``)."""
    if member.type and _is_fastapi(member.type):
        return Ref("inst", member.type)
    annotation = None
    signature = getattr(member, "signature", "") or ""
    if member.kind == "attribute" and signature.startswith(f"{name}:"):
        annotation = signature[len(name) + 1 :].split("=", 1)[0].strip()
    elif member.kind == "property" and "->" in signature:
        annotation = signature.rsplit("->", 1)[1].strip().rstrip(":")
    if not annotation:
        cls = db.get(owner)
        for param in getattr(cls, "params", None) or ():
            if param.name == name and getattr(param, "annotation", ""):
                annotation = param.annotation
                break
    if not annotation:
        return None
    return _type_from_text(annotation, getattr(member, "path", owner), db)


def _type_from_text(annotation: str, where: str, db: ApiLookup) -> Ref | None:
    """``list[BaseRoute] | None`` written in the module of ``where`` -> a seq of BaseRoute."""
    try:
        node = ast.parse(annotation, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        node = node.left if not (isinstance(node.left, ast.Constant) and node.left.value is None) else node.right
    if isinstance(node, ast.Subscript):
        head = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
        if head == "Optional":
            node = node.slice
        elif head in _SEQUENCES:
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            inner = _type_from_text(ast.unparse(elts[0]), where, db) if elts else None
            return Ref("seq", inner.path) if inner is not None and inner.kind == "inst" else None
    if isinstance(node, (ast.Name, ast.Attribute)):
        dotted = ast.unparse(node)
        parts = where.split(".")
        for cut in range(len(parts) - 1, 0, -1):  # the name as seen from the defining module
            obj = db.get(f"{'.'.join(parts[:cut])}.{dotted}")
            if obj is not None and obj.kind == "class":
                return Ref("inst", obj.path)
    return None


def find_binding(scope: Scope | None, name: str, line: int) -> tuple[Scope, int, Ref | None] | None:
    """The binding of ``name`` seen at ``line`` from ``scope``: (its scope, its line, its value).

    Python's rules: enclosing class scopes are skipped; within a scope the latest binding at or
    before ``line`` wins, else the first one (a global assigned below the function using it).
    """
    first = True
    while scope is not None:
        if scope.kind != "class" or first:
            entries = scope.bindings.get(name)
            if entries:
                chosen = entries[0]
                for entry in entries:
                    if entry[0] <= line:
                        chosen = entry
                    else:
                        break
                return scope, chosen[0], chosen[1]
        first = False
        scope = scope.parent
    return None


def lookup(scope: Scope | None, name: str, line: int, star_imports: tuple[str, ...], db: ApiLookup | None) -> Ref | None:
    """Find ``name`` as seen at ``line`` from ``scope`` (then in ``from m import *`` modules)."""
    found = find_binding(scope, name, line)
    if found is not None:
        return found[2]
    for module in star_imports:
        path = f"{module}.{name}"
        if db is not None and db.get(path) is not None:
            return Ref("obj", path)
    return None


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _enclosing_class_base(scope: Scope | None) -> str | None:
    while scope is not None:
        if scope.kind == "class":
            return scope.base
        scope = scope.parent
    return None


_SEQUENCES = {"list", "List", "Sequence", "Iterable", "Iterator", "set", "Set", "frozenset", "tuple", "Tuple", "AsyncIterator", "AsyncIterable"}


def innermost_scope(scope: Scope, line: int) -> Scope:
    children = scope.children
    if children:
        starts = scope._child_starts
        if starts is None or len(starts) != len(children):
            starts = scope._child_starts = [c.start for c in children]
        idx = bisect.bisect_right(starts, line) - 1
        if idx >= 0 and children[idx].start <= line < children[idx].end:
            return innermost_scope(children[idx], line)
    return scope


# --------------------------------------------------------------------------------------
# the analysis passes


class _Names:
    """The module's interesting names plus a chunk's own, without copying the module's."""

    __slots__ = ("shared", "own")

    def __init__(self, shared: set[str]) -> None:
        self.shared = shared
        self.own: set[str] = set()

    def __contains__(self, name: object) -> bool:
        return name in self.own or name in self.shared

    def add(self, name: str) -> None:
        self.own.add(name)


class _Analyzer:
    def __init__(
        self,
        text: str,
        module_name: str | None,
        db: ApiLookup | None,
        resolver: ModuleResolver | None,
        seen: frozenset[str],
        is_package: bool = False,
        cleaned: tuple[str, list[str]] | None = None,
    ) -> None:
        # ``cleaned``: ``text`` already cleaned, and its lines (built from the previous version's)
        self.text, self.lines = cleaned if cleaned is not None else _clean_lines(text)
        self.module_name = module_name
        self.is_package = is_package
        self.db = db
        self.resolver = resolver
        self.seen = seen
        self.module_scope = Scope("module", 0, len(self.lines) + 1)
        self.star_imports: list[str] = []
        self.occurrences: list[Occurrence] = []
        self._offset = 0  # line offset of the chunk being visited
        self._interesting: _Names | None = None
        self._keyword_owner: Ref | None = None  # the subclass whose constructor is being called
        self._scope_of: dict[tuple[int, int], Scope] = {}
        # what the chunk being analysed depends on, for reusing its results in later versions
        self._deps: set[str] = set()  # names looked up (any scope)
        self._calls: list[tuple[str, tuple, object]] = []  # resolver calls and their answers
        self._module_interesting: set[str] = {"super", "cast"}  # module names bound to something

    # ---- positions ---------------------------------------------------------------

    def line_of(self, node: ast.AST) -> int:
        return self._offset + node.lineno - 1  # type: ignore[attr-defined]

    def col(self, line: int, byte_col: int) -> int:
        text = self.lines[line] if 0 <= line < len(self.lines) else ""
        if text.isascii():
            return max(0, min(byte_col, len(text)))  # repaired chunks may end past the real line
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def add(self, line: int, byte_start: int, byte_end: int, target: str, kind: str, **extra) -> None:
        start = self.col(line, byte_start)
        end = self.col(line, byte_end)
        if end > start:
            self.occurrences.append(Occurrence(line, start, end, target, kind, **extra))

    def _exported_ref(self, module: str, name: str) -> Ref | None:
        assert self.resolver is not None
        ref = self.resolver.exported_ref(module, name, self.seen)
        self._calls.append(("exported_ref", (module, name), ref))
        return ref

    def _is_module(self, module: str) -> bool:
        assert self.resolver is not None
        found = self.resolver.is_module(module)
        self._calls.append(("is_module", (module,), found))
        return found

    def calls_still_hold(self, calls: list[tuple[str, tuple, object]]) -> bool:
        """True when the resolver answers ``calls`` as it did (other modules may have changed)."""
        if not calls:
            return True
        if self.resolver is None:
            return False
        for method, args, answer in calls:
            now = self.resolver.exported_ref(args[0], args[1], self.seen) if method == "exported_ref" else self.resolver.is_module(args[0])
            if now != answer:
                return False
        return True

    # ---- pass 1: bindings ----------------------------------------------------------

    def bind_chunk(self, chunk: Chunk, tree: ast.Module) -> None:
        self._offset = chunk.start_line
        self._bind_body(tree.body, self.module_scope)

    def _new_scope(self, kind: str, node: ast.AST, parent: Scope) -> Scope:
        start = self.line_of(node)
        end = self._offset + (getattr(node, "end_lineno", None) or node.lineno)  # type: ignore[attr-defined]
        scope = Scope(kind, start, end, parent=parent, col=node.col_offset)  # type: ignore[attr-defined]
        parent.children.append(scope)
        self._scope_of[self._node_key(node)] = scope
        return scope

    def _node_key(self, node: ast.AST) -> tuple[int, int]:
        """Where a def starts: the same for its tree in both passes (which may be two parses)."""
        return (self.line_of(node), node.col_offset)  # type: ignore[attr-defined]

    def _bind_body(self, body: list[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            self._bind_stmt(stmt, scope)

    def _import_target(self, node: ast.ImportFrom) -> str | None:
        return absolute_import(self.module_name, node.module, node.level, self.is_package)

    def _bind_stmt(self, stmt: ast.stmt, scope: Scope) -> None:
        line = self.line_of(stmt)
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                root = alias.name.split(".")[0]
                if root not in ROOT_PACKAGES:
                    continue
                if alias.asname:
                    scope.bind(alias.asname, line, Ref("obj", alias.name))
                else:
                    scope.bind(root, line, Ref("obj", root))
        elif isinstance(stmt, ast.ImportFrom):
            module = self._import_target(stmt)
            if module is None:
                return
            if module.split(".")[0] in ROOT_PACKAGES:
                # a module this installed version does not have binds nothing
                known = self.db is None or self.db.get(module) is not None or module in ROOT_PACKAGES
                for alias in stmt.names:
                    if alias.name == "*":
                        self.star_imports.append(module)
                        continue
                    scope.bind(alias.asname or alias.name, line, Ref("obj", f"{module}.{alias.name}") if known else None)
            elif self.resolver is not None:
                for alias in stmt.names:
                    if alias.name == "*":
                        continue
                    ref = self._exported_ref(module, alias.name)
                    if ref is None and self._is_module(f"{module}.{alias.name}"):
                        # `from app.routers import items` then `items.router`: a workspace module
                        ref = Ref("wsmod", f"{module}.{alias.name}")
                    scope.bind(alias.asname or alias.name, line, ref)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            returns = self._annotation_ref(stmt.returns, scope, line)
            made = None
            if returns is not None and returns.kind == "inst":
                made = Ref("factory", returns.path)
            elif returns is not None and returns.kind == "subclass":  # -> type[APIRouter]
                made = Ref("classfactory", returns.path)
            scope.bind(stmt.name, line, made)
            inner = self._new_scope("function", stmt, scope)
            args = stmt.args
            all_args = [*args.posonlyargs, *args.args, *args.kwonlyargs]
            if args.vararg:
                all_args.append(args.vararg)
            if args.kwarg:
                all_args.append(args.kwarg)
            owner = self._class_base_for_self(scope)
            for i, arg in enumerate(all_args):
                ref = self._annotation_ref(arg.annotation, scope, line)
                if ref is None and i == 0 and owner is not None and arg.arg in ("self", "cls") and not stmt.decorator_list:
                    ref = Ref("inst", owner)
                inner.bind(arg.arg, self.line_of(arg), ref)
            self._bind_body(stmt.body, inner)
        elif isinstance(stmt, ast.ClassDef):
            base_ref = None
            user_attrs: dict[str, Ref] = {}
            for base in stmt.bases:
                ref = self._eval(base, scope, line)
                if ref is not None and ref.kind in ("obj", "subclass") and _looks_like_class(ref.path, self.db):
                    base_ref = Ref("subclass", ref.path, params=ref.params if ref.kind == "subclass" else None)
                    break
                if ref is not None and ref.kind == "uclass":
                    user_attrs.update(ref.attrs)
            if base_ref is not None:
                params = _init_passes_on(stmt)
                if params is not None:
                    base_ref = Ref("subclass", base_ref.path, params=params)
            scope.bind(stmt.name, line, base_ref)
            inner = self._new_scope("class", stmt, scope)
            inner.base = base_ref.path if base_ref else None
            self._bind_body(stmt.body, inner)
            if base_ref is None:
                # a model or plain class with attributes of FastAPI types: `upload: UploadFile`
                for attr, entries in inner.bindings.items():
                    value = entries[-1][1]
                    if value is not None and value.kind in ("inst", "seq", "uinst"):
                        user_attrs[attr] = value
                if user_attrs:
                    scope.bind(stmt.name, line, Ref("uclass", stmt.name, attrs=tuple(sorted(user_attrs.items()))))
        elif isinstance(stmt, ast.Assign):
            ref = self._value_ref(stmt.value, scope, line)
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    scope.bind(target.id, line, ref)
        elif type(stmt).__name__ == "TypeAlias":  # `type X = ...` parsed natively (3.12+)
            name = stmt.name  # type: ignore[attr-defined]
            if isinstance(name, ast.Name):
                scope.bind(name.id, line, self._value_ref(stmt.value, scope, line))  # type: ignore[attr-defined]
        elif isinstance(stmt, ast.AnnAssign):
            if isinstance(stmt.target, ast.Name):
                ref = self._annotation_ref(stmt.annotation, scope, line)
                if ref is None and stmt.value is not None:
                    ref = self._value_ref(stmt.value, scope, line)
                scope.bind(stmt.target.id, line, ref)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if isinstance(item.optional_vars, ast.Name):
                    scope.bind(item.optional_vars.id, line, self._value_ref(item.context_expr, scope, line))
            self._bind_body(stmt.body, scope)
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            if isinstance(stmt, (ast.For, ast.AsyncFor)) and isinstance(stmt.target, ast.Name):
                scope.bind(stmt.target.id, line, self._element_ref(stmt.iter, scope, line))
            self._bind_body(stmt.body, scope)
            self._bind_body(stmt.orelse, scope)
        elif isinstance(stmt, ast.If):
            self._bind_body(stmt.body, scope)
            self._bind_body(stmt.orelse, scope)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self._bind_body(stmt.body, scope)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                if handler.name:
                    scope.bind(handler.name, self.line_of(handler), self._annotation_ref(handler.type, scope, line))
                self._bind_body(handler.body, scope)
            self._bind_body(stmt.orelse, scope)  # type: ignore[attr-defined]
            self._bind_body(stmt.finalbody, scope)  # type: ignore[attr-defined]
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                self._bind_body(case.body, scope)

    def _element_ref(self, iterable: ast.expr, scope: Scope, line: int) -> Ref | None:
        ref = self._eval(iterable, scope, line)
        if ref is not None and ref.kind == "attr":  # for route in app.routes
            ref = _attr_value(ref, self.db)
        return Ref("inst", ref.path) if ref is not None and ref.kind == "seq" else None

    def _class_base_for_self(self, scope: Scope) -> str | None:
        if scope.kind == "class":
            return scope.base
        return None

    def _value_ref(self, value: ast.expr, scope: Scope, line: int) -> Ref | None:
        ref = self._eval(value, scope, line)
        if ref is None:
            return None
        if ref.kind == "attr":
            return _attr_value(ref, self.db)
        return ref

    def _annotation_ref(self, node: ast.expr | None, scope: Scope, line: int) -> Ref | None:
        """``Request``, ``Request | None``, ``Optional[Request]``, ``Annotated[Request, ...]``, ``"Request"``."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left = self._annotation_ref(node.left, scope, line)
            if left is not None and left.kind != "subclass":
                return left
            # `type[Response] | DefaultPlaceholder`: an instance type says more than a class
            return self._annotation_ref(node.right, scope, line) or left
        if isinstance(node, ast.Subscript):
            head = node.value
            head_name = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", "")
            if head_name in _SEQUENCES:
                elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                inner = self._annotation_ref(elts[0], scope, line) if elts else None
                return Ref("seq", inner.path) if inner is not None and inner.kind == "inst" else None
            if head_name in ("type", "Type"):  # the class itself, or a subclass of it
                inner = self._annotation_ref(node.slice, scope, line)
                return Ref("subclass", inner.path) if inner is not None and inner.kind == "inst" else None
            if head_name in ("Annotated", "Optional", "Union"):
                elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                candidates = elts[:1] if head_name == "Annotated" else elts
                for elt in candidates:
                    ref = self._annotation_ref(elt, scope, line)
                    if ref is not None:
                        return ref
            return None
        ref = self._eval(node, scope, line)
        if ref is None:
            return None
        if ref.kind == "obj" and _looks_like_class(ref.path, self.db):
            return Ref("inst", ref.path)
        if ref.kind == "subclass":
            return Ref("inst", ref.path)
        if ref.kind == "uclass":
            return Ref("uinst", ref.path, attrs=ref.attrs)
        return None

    def _eval(self, node: ast.expr, scope: Scope, line: int) -> Ref | None:
        if isinstance(node, ast.Name):
            self._deps.add(node.id)
            return lookup(scope, node.id, line, tuple(self.star_imports), self.db)
        if isinstance(node, ast.Attribute):
            base = self._eval(node.value, scope, line)
            if base is None:
                return None
            if base.kind == "wsmod":
                return self._exported_ref(base.path, node.attr) if self.resolver else None
            return member_ref(_attr_value(base, self.db), node.attr, self.db)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "super":
                owner = _enclosing_class_base(scope)
                return Ref("inst", owner) if owner else None
            if _name_of(node.func) == "cast" and node.args:
                return self._annotation_ref(node.args[0], scope, line)
            func = self._eval(node.func, scope, line)
            if func is None:
                return None
            if func.kind in ("subclass", "factory"):
                return Ref("inst", func.path)
            if func.kind == "classfactory":
                return Ref("subclass", func.path)
            if func.kind == "uclass":
                return Ref("uinst", func.path, attrs=func.attrs)
            if func.kind == "obj":
                if _looks_like_class(func.path, self.db):
                    return Ref("inst", func.path)
                if self.db is not None:
                    obj = self.db.get(func.path)
                    if obj is not None and obj.type and _is_fastapi(obj.type) and _looks_like_class(obj.type, self.db):
                        return Ref("inst", obj.type)
                    if obj is not None and obj.kind == "function" and func.path.startswith("fastapi."):
                        # Depends(...), Query(...), Security(...): an instance of fastapi.params.<Name>
                        params_class = self.db.get(f"fastapi.params.{func.path.rsplit('.', 1)[-1]}")
                        if params_class is not None and params_class.kind == "class":
                            return Ref("inst", params_class.path)
            return None
        if isinstance(node, ast.Subscript):
            base = self._eval(node.value, scope, line)
            if base is not None and base.kind == "attr":
                base = _attr_value(base, self.db)
            if base is not None and base.kind == "seq":  # router.routes[0]
                return base if isinstance(node.slice, ast.Slice) else Ref("inst", base.path)
            return None
        if isinstance(node, ast.Await):
            return None
        return None

    # ---- pass 2: occurrences -------------------------------------------------------

    def _boring(self, node: ast.expr) -> bool:
        """True when the chain ``a.b.c(...)`` starts from a name that cannot be FastAPI."""
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            node = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Name):
            self._deps.add(node.id)
            return self._interesting is not None and node.id not in self._interesting
        return False

    def collect_chunk(self, start: int, tree: ast.Module, scopes: list[Scope]) -> list[Occurrence]:
        """Pass 2 over one chunk (whose defs opened ``scopes``): its occurrences."""
        interesting: _Names | None = None
        if not self.star_imports:
            # names bound to something FastAPI: in the module, or in this chunk's own scopes
            interesting = _Names(self._module_interesting)
            stack = list(scopes)
            while stack:
                sc = stack.pop()
                stack.extend(sc.children)
                self._scope_of[(sc.start, sc.col)] = sc
                for name, entries in sc.bindings.items():
                    if any(ref is not None for _, ref in entries):
                        interesting.add(name)
        else:
            stack = list(scopes)
            while stack:
                sc = stack.pop()
                stack.extend(sc.children)
                self._scope_of[(sc.start, sc.col)] = sc
        self._interesting = interesting
        self._offset = start
        self.occurrences = []
        try:
            for stmt in tree.body:
                self._collect(stmt, self.module_scope)
        except RecursionError:
            log.warning("analysis: statement nested too deeply at line %d; its occurrences are partial", start + 1)
        occs = self.occurrences
        self.occurrences = []
        self._scope_of = {}
        return occs

    def _collect(self, node: ast.AST, scope: Scope) -> None:
        """Visit ``node`` recording occurrences; entering defs switches to their scope.

        Dispatches on the exact node type, most frequent first (the parser makes no subclasses):
        this visitor is most of the time of an analysis."""
        kind = type(node)
        if kind is ast.Name:
            self._collect_name(node, scope)  # type: ignore[arg-type]
            return
        if kind is ast.Call:
            self._collect_call(node, scope)  # type: ignore[arg-type]
            return
        if kind is ast.Attribute:
            self._collect_attribute(node, scope)  # type: ignore[arg-type]
            return
        if kind is ast.Constant:
            return
        if kind in _DEF_NODES:
            self._collect_def(node, scope)  # type: ignore[arg-type]
            return
        if kind in _COMPREHENSIONS:
            self._collect_comprehension(node, scope)
            return
        if kind is ast.Import:
            self._collect_import(node)  # type: ignore[arg-type]
            return
        if kind is ast.ImportFrom:
            self._collect_import_from(node, scope)  # type: ignore[arg-type]
            return
        if (kind is ast.Assign or kind is ast.AnnAssign) and scope.kind == "class" and scope.base:
            # `media_type = "text/csv"` in a Response subclass: the base attribute it overrides
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:  # type: ignore[attr-defined]
                if isinstance(target, ast.Name) and self.db is not None and self.db.member(scope.base, target.id) is not None:
                    line = self.line_of(target)
                    end = target.col_offset + len(target.id.encode("utf-8"))
                    self.add(line, target.col_offset, end, f"{scope.base}.{target.id}", "member")
        for attr in node._fields:
            value = getattr(node, attr, None)
            if isinstance(value, ast.AST):
                self._collect(value, scope)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self._collect(item, scope)

    def _collect_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, scope: Scope) -> None:
        for dec in node.decorator_list:
            self._collect(dec, scope)
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                self._collect(base, scope)
            for kw in node.keywords:
                self._collect(kw.value, scope)
        else:
            args = node.args
            for default in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
                self._collect(default, scope)
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None and arg.annotation is not None:
                    self._collect(arg.annotation, scope)
            if node.returns is not None:
                self._collect(node.returns, scope)
        inner = self._scope_of.get(self._node_key(node), scope)
        if not isinstance(node, ast.ClassDef) and scope.kind == "class" and scope.base:
            self._override(node, scope.base)
        if not isinstance(node, ast.ClassDef):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None:
                    self._instance_name(arg.arg, self.line_of(arg), arg.col_offset, inner)
        for stmt in node.body:
            self._collect(stmt, inner)

    def _collect_comprehension(self, node: ast.AST, scope: Scope) -> None:
        line = self.line_of(node)
        inner = Scope("function", line, line + 1, parent=scope)
        for i, gen in enumerate(node.generators):  # type: ignore[attr-defined]
            self._collect(gen.iter, scope if i == 0 else inner)
            if isinstance(gen.target, ast.Name):
                ref = self._element_ref(gen.iter, scope if i == 0 else inner, line)
                inner.bind(gen.target.id, -1, ref)
                if ref is not None and self._interesting is not None:
                    self._interesting.add(gen.target.id)
            self._collect(gen.target, inner)
            for cond in gen.ifs:
                self._collect(cond, inner)
        for part in ("elt", "key", "value"):
            child = getattr(node, part, None)
            if child is not None:
                self._collect(child, inner)

    def _override(self, node: ast.FunctionDef | ast.AsyncFunctionDef, base: str) -> None:
        """``def get_route_handler(self)`` in a subclass of APIRoute: the base member it overrides."""
        if self.db is None or self.db.member(base, node.name) is None:
            return
        line = self.line_of(node)
        text = self.lines[line] if line < len(self.lines) else ""
        idx = text.find(f"def {node.name}")
        if idx >= 0:
            start = idx + 4
            self.occurrences.append(Occurrence(line, start, start + len(node.name), f"{base}.{node.name}", "member"))

    def _collect_import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] not in ROOT_PACKAGES:
                continue
            a_line = self._offset + alias.lineno - 1
            self._dotted_occurrences(a_line, alias.col_offset, alias.name)
            if alias.asname:
                text = self.lines[a_line] if a_line < len(self.lines) else ""
                idx = text.find(alias.asname, self.col(a_line, alias.col_offset) + len(alias.name))
                if idx >= 0:
                    self.occurrences.append(Occurrence(a_line, idx, idx + len(alias.asname), alias.name, self._kind_for(alias.name)))

    def _dotted_occurrences(self, line: int, byte_col: int, dotted: str) -> None:
        col = byte_col
        parts = dotted.split(".")
        for i, part in enumerate(parts):
            path = ".".join(parts[: i + 1])
            if self.db is not None and i > 0 and self.db.get(path) is None:
                break  # a module this fastapi version does not have
            self.add(line, col, col + len(part.encode("utf-8")), path, self._kind_for(path))
            col += len(part.encode("utf-8")) + 1

    def _collect_import_from(self, node: ast.ImportFrom, scope: Scope) -> None:
        module = self._import_target(node)
        line = self.line_of(node)
        if module and module.split(".")[0] in ROOT_PACKAGES and node.module:
            text = self.lines[line] if line < len(self.lines) else ""
            idx = text.find(node.module)
            if idx >= 0:
                self._dotted_occurrences(line, len(text[:idx].encode("utf-8")), node.module)
            for alias in node.names:
                if alias.name == "*":
                    continue
                path = f"{module}.{alias.name}"
                a_line = self._offset + alias.lineno - 1
                kind = self._kind_for(path)
                if self.db is not None and self.db.get(path) is None:
                    continue
                self.add(a_line, alias.col_offset, alias.col_offset + len(alias.name.encode("utf-8")), path, kind)
                if alias.asname:
                    a_text = self.lines[a_line] if a_line < len(self.lines) else ""
                    start = self.col(a_line, alias.col_offset) + len(alias.name)
                    idx = a_text.find(alias.asname, start)
                    if idx >= 0:
                        self.occurrences.append(Occurrence(a_line, idx, idx + len(alias.asname), path, kind))
        elif module and self.resolver is not None:
            # `from app.main import app`: the imported instance itself
            for alias in node.names:
                if alias.name == "*":
                    continue
                self._deps.add(alias.asname or alias.name)
                ref = lookup(scope, alias.asname or alias.name, line, (), self.db)
                if ref is not None and ref.kind == "inst":
                    a_line = self._offset + alias.lineno - 1
                    self.add(a_line, alias.col_offset, alias.col_offset + len(alias.name.encode("utf-8")), ref.path, "instance", instance_of=ref.path)

    def _kind_for(self, path: str) -> str:
        kind = _kind_of(path, self.db)
        if kind == "module" or (kind is None and path in ROOT_PACKAGES):
            return "module"
        if _is_status(path):
            return "status"
        return "name"

    def _collect_name(self, node: ast.Name, scope: Scope) -> None:
        self._deps.add(node.id)
        if self._interesting is not None and node.id not in self._interesting:
            return
        line = self.line_of(node)
        ref = lookup(scope, node.id, line, tuple(self.star_imports), self.db)
        if ref is None:
            return
        end = node.col_offset + len(node.id.encode("utf-8"))
        if node.id in ("self", "cls"):
            return
        if ref.kind == "obj":
            self.add(line, node.col_offset, end, ref.path, self._kind_for(ref.path))
        elif ref.kind == "inst":
            self.add(line, node.col_offset, end, ref.path, "instance", instance_of=ref.path)

    def _instance_name(self, name: str, line: int, byte_col: int, scope: Scope) -> None:
        if name in ("self", "cls"):
            return
        self._deps.add(name)
        ref = lookup(scope, name, line, (), self.db)
        if ref is not None and ref.kind == "inst":
            self.add(line, byte_col, byte_col + len(name.encode("utf-8")), ref.path, "instance", instance_of=ref.path)

    def _collect_attribute(self, node: ast.Attribute, scope: Scope) -> Ref | None:
        """Record ``a.b.c`` chains; returns the value of the whole expression."""
        if self._boring(node.value):
            self._collect(node.value, scope)
            return None
        line = self.line_of(node)
        if isinstance(node.value, ast.Attribute):
            base = self._collect_attribute(node.value, scope)
        else:
            self._collect(node.value, scope)
            base = self._eval(node.value, scope, line)
        if base is None:
            return None
        if base.kind == "wsmod":
            ref = self._eval(node, scope, line)
            if ref is not None and ref.kind == "inst":
                end_line = self._offset + (node.end_lineno or node.lineno) - 1
                end = node.end_col_offset or 0
                self.add(end_line, end - len(node.attr.encode("utf-8")), end, ref.path, "instance", instance_of=ref.path)
            return ref
        ref = member_ref(_attr_value(base, self.db), node.attr, self.db)
        if ref is None:
            return None
        end_line = self._offset + (node.end_lineno or node.lineno) - 1
        end = node.end_col_offset or 0
        start = end - len(node.attr.encode("utf-8"))
        if base.kind == "uinst":  # `data.upload`: an attribute of a workspace class
            if ref.kind == "inst":
                self.add(end_line, start, end, ref.path, "instance", instance_of=ref.path)
            return ref
        kind = "status" if _is_status(ref.path) else ("member" if base.kind in ("inst", "attr") else self._kind_for(ref.path))
        self.add(end_line, start, end, ref.path, kind)
        return ref

    def _callable_for_keywords(self, node: ast.Call, scope: Scope, line: int) -> str | None:
        func = self._eval(node.func, scope, line)
        if func is None:
            return None
        if func.kind in ("subclass",):
            self._keyword_owner = func
            return func.path
        if func.kind != "obj":
            return None
        name = func.path.rsplit(".", 1)[-1]
        if (name in _FORWARDING_CALLS or func.path in _FORWARDING_CALLS or func.path.endswith(".Middleware")) and node.args:
            target = self._eval(node.args[0], scope, line)
            if target is not None and target.kind in ("obj", "subclass"):
                return target.path
            return None
        return func.path

    def _collect_call(self, node: ast.Call, scope: Scope) -> None:
        line = self.line_of(node)
        self._collect(node.func, scope)
        for arg in node.args:
            self._collect(arg, scope)
        target = None
        self._keyword_owner = None
        if node.keywords and not self._boring(node.func):
            target = self._callable_for_keywords(node, scope, line)
        owner = self._keyword_owner
        for kw in node.keywords:
            if target is not None and kw.arg is not None and (owner is None or owner.passes_on(kw.arg)):
                kw_line = self._offset + kw.lineno - 1
                self.add(kw_line, kw.col_offset, kw.col_offset + len(kw.arg.encode("utf-8")), target, "keyword", param=kw.arg)
            self._collect(kw.value, scope)


def _init_passes_on(cls: ast.ClassDef) -> tuple[str, ...] | None:
    """Which keywords a subclass's own ``__init__`` passes on to ``super().__init__`` (see
    ``Ref.params``); ``None`` when it defines no ``__init__``."""
    init = next((s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__"), None)
    if init is None:
        return None
    args = init.args
    own = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs][1:]]
    forwarded: set[str] = set()
    kwargs_forwarded = False
    for node in ast.walk(init):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"):
            continue
        for kw in node.keywords:
            if kw.arg is None:
                kwargs_forwarded = kwargs_forwarded or (args.kwarg is not None and isinstance(kw.value, ast.Name) and kw.value.id == args.kwarg.arg)
            elif isinstance(kw.value, ast.Name) and kw.value.id == kw.arg and kw.arg in own:
                forwarded.add(kw.arg)
    params = sorted(forwarded) + [f"-{name}" for name in own if name not in forwarded]
    return tuple(params + (["**"] if kwargs_forwarded else []))


def absolute_import(module_name: str | None, module: str | None, level: int, is_package: bool = False) -> str | None:
    """The absolute module of ``from <level dots><module> import ...`` written in ``module_name``.

    Relative imports count from the module's package: the module itself when it is a package's
    ``__init__`` (``is_package``), else its parent.
    """
    if not level:
        return module or ""
    if not module_name:
        return None
    base = module_name.split(".")
    keep = len(base) - level + (1 if is_package else 0)
    if keep < 0 or (keep == 0 and not module):
        return None
    prefix = ".".join(base[:keep])
    return f"{prefix}.{module}".strip(".") if module else prefix


def _is_status(path: str) -> bool:
    head, _, name = path.rpartition(".")
    return head.endswith("status") and (name.startswith("HTTP_") or name.startswith("WS_"))


class ChunkResult:
    """What the analysis found in one chunk, in the line numbers of the module version that made
    it (``base``: the chunk's first line then). Later versions in which the chunk's text is
    unchanged reuse it, shifted, unless a name it depends on is bound differently.

    ``entries``: the module-level bindings the chunk makes; ``deps``: every name it looked up;
    ``calls``: the workspace resolver's answers it used; ``occs``: its occurrences."""

    __slots__ = ("key", "repaired", "parsed", "nranges", "base", "entries", "bound", "deps", "calls", "occs", "_by_line")

    def __init__(self, key, repaired: bool, parsed: bool, nranges: int, base: int, entries: list, deps: set[str], calls: list, occs: list[Occurrence]) -> None:
        self.key = key
        self.repaired = repaired
        self.parsed = parsed
        self.nranges = nranges
        self.base = base
        self.entries = entries
        self.bound = frozenset(name for name, _, _ in entries)
        self.deps = deps
        self.calls = calls
        self.occs = occs
        self._by_line: dict[int, list[Occurrence]] | None = None

    def by_line(self) -> dict[int, list[Occurrence]]:
        if self._by_line is None:
            self._by_line = _index_by_line(self.occs)
        return self._by_line

    def with_occurrences(self, base: int, occs: list[Occurrence], calls: list) -> ChunkResult:
        shift = base - self.base
        entries = [(n, line + shift, r) for n, line, r in self.entries] if shift else self.entries
        return ChunkResult(self.key, self.repaired, self.parsed, self.nranges, base, entries, self.deps, self.calls + calls, occs)


# A part is one chunk of one module version: ``(start, result, scopes, scopes_start)``, where
# ``scopes`` are the scopes its defs opened, in the line numbers of the version in which the chunk
# started at ``scopes_start`` (they are shifted or re-parented only when the scope tree is needed).
# ``start`` is where the chunk started when the part was made: a module version's own start of
# each part is in its ``part_starts`` (an edit shifts those, and keeps the parts after it as is).


def _part_scopes(part: tuple, module_scope: Scope, start: int) -> list[Scope]:
    _, _, scopes, scopes_start = part
    if start != scopes_start:
        return [_shift_scope(sc, start - scopes_start, module_scope) for sc in scopes]
    for sc in scopes:
        sc.parent = module_scope
    return scopes


def _index_by_line(occurrences: list[Occurrence]) -> dict[int, list[Occurrence]]:
    by_line: dict[int, list[Occurrence]] = {}
    for occ in occurrences:
        by_line.setdefault(occ.line, []).append(occ)
    for occs in by_line.values():
        occs.sort(key=lambda o: (o.start, -o.end))
    return by_line


def _shifted(occ: Occurrence, shift: int) -> Occurrence:
    return Occurrence(occ.line + shift, occ.start, occ.end, occ.target, occ.kind, occ.param, occ.instance_of)


def _shift_scope(scope: Scope, shift: int, parent: Scope) -> Scope:
    copy = Scope(
        scope.kind,
        scope.start + shift,
        scope.end + shift,
        {name: [(line + shift, ref) for line, ref in entries] for name, entries in scope.bindings.items()},
        parent,
        base=scope.base,
        col=scope.col,
    )
    copy.children = [_shift_scope(child, shift, copy) for child in scope.children]
    return copy


class _Previous:
    """The last analysis of a module, kept so that the next version re-analyses only what changed."""

    __slots__ = ("text", "n_lines", "starts", "parts", "part_starts", "analysis", "db", "resolver", "interesting", "with_calls", "head", "head_lines", "tail")

    def __init__(self, text: str, n_lines: int, starts: list[int], analysis: ModuleAnalysis, db, resolver, interesting: set[str], with_calls: list | None = None) -> None:
        self.text = text
        self.n_lines = n_lines
        self.starts = starts
        self.parts = analysis._parts
        self.part_starts = analysis._part_starts
        self.analysis = analysis
        self.db = db
        self.resolver = resolver
        self.interesting = interesting  # module-level names bound to something
        # the results that used the resolver
        self.with_calls = with_calls if with_calls is not None else [p[1] for p in self.parts if p[1].calls]
        # where the next edit is looked for first (``_changed_span``): the text up to the line
        # before the last edit (``head``, with ``head_lines`` line breaks), and from the line after it
        self.head = ""
        self.head_lines = 0
        self.tail = ""


#: modules whose last analysis is kept for incremental re-analysis
PREVIOUS_KEPT = 16
_previous: OrderedDict[tuple, _Previous] = OrderedDict()
_previous_lock = threading.Lock()
_module_locks: dict[tuple, threading.Lock] = {}
_STAR = "*"  # the pseudo-name under which a chunk's `from m import *` is recorded


def _common_from(old: str, new: str, known: int, limit: int, from_end: bool) -> int:
    """The length of the longest common prefix (``from_end``: suffix) of ``old`` and ``new``, at
    most ``limit``, knowing that it is at least ``known``: windows of doubling size are compared
    from there, so the cost is in the distance to the first difference, not in the text."""
    lo = known
    lo_old, lo_new = len(old), len(new)
    step = 256
    while lo < limit:
        hi = min(lo + step, limit)
        if from_end:
            same = old[lo_old - hi : lo_old - lo] == new[lo_new - hi : lo_new - lo]
        else:
            same = old[lo:hi] == new[lo:hi]
        if same:
            lo = hi
            step *= 2
            continue
        start, hi = lo, hi - 1  # the length is in [lo, hi]
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if from_end:
                same = old[lo_old - mid : lo_old - start] == new[lo_new - mid : lo_new - start]
            else:
                same = old[start:mid] == new[start:mid]
            if same:
                lo = mid
            else:
                hi = mid - 1
        return lo
    return lo


def _changed_span(old: str, new: str, head: str = "", tail: str = "") -> tuple[int, int]:
    """``(prefix, suffix)``: lengths of the longest common prefix and suffix (not overlapping).

    ``head``/``tail``: a prefix and a suffix of ``old`` (around its last edit). When ``new`` has
    them too (typing on at the same place), the search starts from them: O(edit), not O(text)
    (the two checks compare memory without copying it)."""
    limit = min(len(old), len(new))
    if (head or tail) and len(head) + len(tail) <= limit and new.startswith(head) and new.endswith(tail):
        prefix = _common_from(old, new, len(head), limit, False)
        bound = limit - prefix
        return prefix, _common_from(old, new, min(len(tail), bound), bound, True)
    lo, hi = 0, limit  # common prefix length in [lo, hi]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo:mid] == new[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, limit - prefix
    lo_old, lo_new = len(old), len(new)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo_old - mid : lo_old - lo] == new[lo_new - mid : lo_new - lo]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, lo


def _sequence(entries: list) -> dict[str, list[Ref | None]]:
    out: dict[str, list[Ref | None]] = {}
    for name, _, ref in entries:
        out.setdefault(name, []).append(ref)
    return out


def _differing(old: dict[str, list], new: dict[str, list]) -> set[str]:
    return {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}


def analyze(
    text: str,
    *,
    module_name: str | None = None,
    db: ApiLookup | None = None,
    resolver: ModuleResolver | None = None,
    seen: frozenset[str] = frozenset(),
    is_package: bool = False,
    incremental: bool = True,
) -> ModuleAnalysis:
    """Analyse a module. Never raises on bad input (syntax errors, NUL bytes, deep nesting).

    ``is_package``: the module is a package's ``__init__`` (relative imports count from it).

    Incremental: the last analysis of the same module (same name, docs and resolver) is kept,
    and a new version re-parses and re-resolves only the chunks (top-level statements) that
    changed, plus the chunks that use a module-level name whose bindings changed. The result is
    the same as analysing from scratch (``incremental=False``).
    """
    key = (module_name, is_package, id(db), id(resolver), seen)
    with _previous_lock:
        lock = _module_locks.setdefault(key, threading.Lock())
    with lock:
        with _previous_lock:
            prev = _previous.get(key) if incremental else None
        if prev is not None and (prev.db is not db or prev.resolver is not resolver):
            prev = None
        analysis, state = _analyze(text, module_name, db, resolver, seen, is_package, prev)
        with _previous_lock:
            _previous[key] = state
            _previous.move_to_end(key)
            while len(_previous) > PREVIOUS_KEPT:
                old_key, _ = _previous.popitem(last=False)
                _module_locks.pop(old_key, None)
    return analysis


def forget_previous() -> None:
    """Drop the analyses kept for incremental re-analysis (tests, memory pressure)."""
    with _previous_lock:
        _previous.clear()


def _clean_lines(text: str) -> tuple[str, list[str]]:
    clean = clean_source(text)
    return clean, clean.split("\n")


def _edited_lines(prev: _Previous, clean: str) -> tuple[list[str], int, int, tuple[str, int, str]]:
    """The lines of ``clean``, an edit of ``prev.text``: the previous version's lines, with only
    the ones the edit touched split anew (splitting the whole text makes a string per line),
    ``(first, last)``: the lines the changed text spans in ``clean``, and the anchors where the
    next edit is looked for first (``_Previous.head``, ``head_lines``, ``tail``)."""
    old = prev.text
    prefix, suffix = _changed_span(old, clean, prev.head, prev.tail)
    new_end, old_end = len(clean) - suffix, len(old) - suffix
    if prev.head and prefix >= len(prev.head):  # (counting line breaks from the start is O(text))
        first = prev.head_lines + clean.count("\n", len(prev.head), prefix)
    else:
        first = clean.count("\n", 0, prefix)
    last = first + clean.count("\n", prefix, new_end)
    old_last = first + old.count("\n", prefix, old_end)
    a = clean.rfind("\n", 0, prefix) + 1
    b = clean.find("\n", new_end)
    old_lines = prev.analysis.lines
    middle = clean[a : b if b >= 0 else len(clean)].split("\n")
    # anchors: up to the line before the first edited one, from the line after the last one
    head_end = clean.rfind("\n", 0, a - 1) + 1 if a > 0 else 0
    after = clean.find("\n", b + 1) if b >= 0 else -1
    anchors = (clean[:head_end], max(0, first - 1) if a > 0 else 0, clean[after + 1 :] if after >= 0 else "")
    return old_lines[:first] + middle + old_lines[old_last + 1 :], first, last, anchors


def _analyze(text, module_name, db, resolver, seen, is_package, prev: _Previous | None) -> tuple[ModuleAnalysis, _Previous]:
    seen = seen | ({module_name} if module_name else set())
    clean = clean_source(text)
    if prev is not None and prev.text == clean:
        return prev.analysis, prev
    anchors = None
    if prev is not None:
        lines, first, last, anchors = _edited_lines(prev, clean)
        span: tuple[int, int] | None = (first, last)
    else:
        lines, span = clean.split("\n"), None
    analyzer = _Analyzer(text, module_name, db, resolver, seen, is_package, (clean, lines))
    _trees.new_epoch()
    done = None
    if prev is not None and not prev.analysis.star_imports:
        done = _analyze_edit(analyzer, prev, span)
        if done is None:
            analyzer = _Analyzer(text, module_name, db, resolver, seen, is_package, (clean, lines[:]))
    if done is None:
        done = _analyze_general(analyzer, prev, span)
    if anchors is not None:
        done[1].head, done[1].head_lines, done[1].tail = anchors
    return done


class _Ranges(Sequence):
    """``ranges_of(starts, n)`` without building the list (the edit path reads a few ranges)."""

    __slots__ = ("starts", "n")

    def __init__(self, starts: list[int], n: int) -> None:
        self.starts = starts
        self.n = n

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, k):  # type: ignore[override]
        starts = self.starts
        if k < 0:
            k += len(starts)
        return starts[k], (starts[k + 1] if k + 1 < len(starts) else self.n)


def _edit_span(prev: _Previous, clean: str, lines: list[str], span: tuple[int, int] | None = None) -> tuple[list[int], int, int, int, int]:
    """Where ``clean`` differs from the previous text: ``(starts, k0, j, k_old, delta)`` (see ``resplit``).

    ``span``: the first and last line of ``clean`` that the change spans, when known."""
    if span is not None:
        first, last = span
    else:
        prefix, suffix = _changed_span(prev.text, clean)
        first = clean.count("\n", 0, prefix)
        last = clean.count("\n", 0, len(clean) - suffix)
    starts, k0, j, k_old = resplit(prev.starts, prev.n_lines, lines, first, len(lines) - 1 - last)
    return starts, k0, j, k_old, len(lines) - prev.n_lines


class _BindingsAbove(dict[str, list[tuple[int, Ref | None]]]):
    """The module bindings while the chunks of an edit are re-analysed: the previous version's
    made above line ``limit``, looked up lazily (a keystroke costs nothing per module-level name).

    Its own items are the entry lists made for this version (cut at ``limit``, or copied by
    ``Scope.bind`` before it appends: the module scope's ``owned``); a name bound only above
    ``limit`` gets the previous version's list itself, never to be changed."""

    __slots__ = ("old", "limit")

    def __init__(self, old: dict[str, list[tuple[int, Ref | None]]], limit: int) -> None:
        super().__init__()
        self.old = old
        self.limit = limit

    def get(self, name: str, default=None):  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            pass
        entries = self.old.get(name)
        if not entries or entries[0][0] >= self.limit:
            return default
        if entries[-1][0] < self.limit:
            return entries
        cut = self[name] = [e for e in entries if e[0] < self.limit]
        return cut


#: line shifts a ``_ShiftedBindings`` composes before it is flattened into a plain dict
MAX_SHIFTS = 16

_Entries = list[tuple[int, Ref | None]]


class _ShiftedBindings(dict[str, _Entries]):
    """The module bindings of an edited version, made per name as they are looked up.

    A line break shifts the bindings of every name bound below it (most of them, in a large
    module); shifting them all at once would cost O(module) per keystroke. This mapping reads
    the names it does not hold (its own items: the ones made or looked up) from ``base``, a
    version's bindings that never change, applying ``shifts`` (``(first line, delta)`` of each
    edit since, in order) and skipping the names in ``gone``. Looking a name up stores it; any
    iteration (``items``, ``len``, ...) makes all the names first, and iterates a snapshot, so a
    thread reading the mapping never sees it change size."""

    __slots__ = ("base", "shifts", "gone", "complete")

    def __init__(self, base: dict[str, _Entries], shifts: tuple[tuple[int, int], ...], own: dict[str, _Entries], gone: set[str]) -> None:
        super().__init__(own)
        self.base = base
        self.shifts = shifts
        self.gone = gone
        self.complete = False

    def _make(self, name: str) -> _Entries | None:
        entries = self.base.get(name)
        if entries is None or name in self.gone:
            return None
        for first, delta in self.shifts:
            if entries[-1][0] >= first:
                entries = [(line + delta, ref) if line >= first else (line, ref) for line, ref in entries]
        dict.__setitem__(self, name, entries)
        return entries

    def _make_all(self) -> None:
        if not self.complete:
            for name in self.base:
                if not dict.__contains__(self, name):
                    self._make(name)
            self.complete = True

    def __getitem__(self, name: str) -> _Entries:
        try:
            return dict.__getitem__(self, name)
        except KeyError:
            entries = self._make(name)
            if entries is None:
                raise
            return entries

    def get(self, name: str, default=None):  # type: ignore[override]
        try:
            return dict.__getitem__(self, name)
        except KeyError:
            entries = self._make(name)
            return default if entries is None else entries

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or (isinstance(name, str) and self._make(name) is not None)

    def __setitem__(self, name: str, entries: _Entries) -> None:
        self.gone.add(name)  # (whatever the base says about it no longer holds)
        dict.__setitem__(self, name, entries)

    def __delitem__(self, name: str) -> None:
        self.get(name)
        self.gone.add(name)
        dict.__delitem__(self, name)

    def setdefault(self, name: str, default: _Entries | None = None):  # type: ignore[override]
        entries = self.get(name)
        if entries is None:
            entries = default if default is not None else []
            self[name] = entries
        return entries

    def pop(self, name: str, *default):  # type: ignore[override]
        self.get(name)
        self.gone.add(name)
        return dict.pop(self, name, *default)

    def __iter__(self):
        self._make_all()
        return iter(list(dict.keys(self)))

    def __len__(self) -> int:
        self._make_all()
        return dict.__len__(self)

    def keys(self):  # type: ignore[override]
        self._make_all()
        return list(dict.keys(self))

    def values(self):  # type: ignore[override]
        self._make_all()
        return list(dict.values(self))

    def items(self):  # type: ignore[override]
        self._make_all()
        return list(dict.items(self))

    def copy(self) -> dict[str, _Entries]:  # type: ignore[override]
        self._make_all()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self._make_all()
        return dict(dict.items(self)) == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._make_all()
        return f"_ShiftedBindings({dict.__repr__(self)})"

    def __reduce__(self):
        return (dict, (self.copy(),))

    def popitem(self):  # type: ignore[override]
        raise TypeError("_ShiftedBindings.popitem")

    def clear(self) -> None:
        raise TypeError("_ShiftedBindings.clear")

    def update(self, *args, **kwargs) -> None:  # type: ignore[override]
        for name, entries in dict(*args, **kwargs).items():
            self[name] = entries


def _bindings_after_edit(
    old: dict[str, _Entries], above: _BindingsAbove, old_region: list, r0_line: int, s_line: int, delta: int
) -> dict[str, _Entries]:
    """The module bindings of the edited version: the previous version's above ``r0_line``, then
    the ones the re-analysed chunks made (``above``'s own items), then the previous version's from
    ``s_line`` on, shifted by ``delta``. Lists that do not change are shared with ``old``.

    O(edit): only the names the edited chunks bind (and the names already looked up) are made
    now; the others are made as they are looked up (``_ShiftedBindings``)."""

    def merged(name: str, entries: _Entries) -> _Entries:
        made = dict.get(above, name)
        if made is None:
            made = [e for e in entries if e[0] < r0_line]
        if entries and entries[-1][0] >= s_line:
            made = made + ([(line + delta, ref) for line, ref in entries if line >= s_line] if delta else [e for e in entries if e[0] >= s_line])
        return made

    complete = False
    if isinstance(old, _ShiftedBindings) and len(old.shifts) < MAX_SHIFTS:
        base, shifts, gone, complete = old.base, old.shifts, set(old.gone), old.complete
        own = dict(dict.items(old))  # the names made so far, in the previous version's lines (not copy(): it makes all)
    elif isinstance(old, _ShiftedBindings):  # flattened now and then (a look-up applies each shift)
        base, shifts, gone, own = old.copy(), (), set(), {}
    else:
        base, shifts, gone, own = old, (), set(), {}
    if delta:
        shifts = (*shifts, (s_line, delta))
        for name, entries in own.items():
            if entries[-1][0] >= s_line:
                own[name] = [(line + delta, ref) if line >= s_line else (line, ref) for line, ref in entries]
    for name in set(above) | {e[0] for e in old_region}:
        if name == _STAR:
            continue
        entries = merged(name, old.get(name) or [])
        gone.add(name)
        if entries:
            own[name] = entries
        else:
            own.pop(name, None)
    made = _ShiftedBindings(base, shifts, own, gone)
    made.complete = complete
    return made


def _analyze_edit(analyzer: _Analyzer, prev: _Previous, span: tuple[int, int] | None = None) -> tuple[ModuleAnalysis, _Previous] | None:
    """The common case of an edit: the chunks around it keep every module-level binding they had.

    Reuses the unchanged chunks before and after the edit wholesale (the ones after shifted by
    the change in line count), re-analyses the changed ones, and re-collects a changed chunk's
    occurrences only if it uses a name bound further down. Returns ``None`` (nothing kept) when
    the edit changes a module-level binding, a star import or a cross-module answer: the general
    pass handles those."""
    lines, clean = analyzer.lines, analyzer.text
    n = len(lines)
    starts, k0, j, k_old, delta = _edit_span(prev, clean, lines, span)
    ranges = _Ranges(starts, n)
    old_parts, old_pstarts = prev.parts, prev.part_starts
    n_old = len(old_parts)
    # unchanged chunks before the edit
    e0 = starts[k0] if k0 < len(starts) else n
    p = bisect.bisect_left(old_pstarts, e0)
    while p > 0:
        end_line = old_pstarts[p] if p < n_old else prev.n_lines
        res = old_parts[p - 1][1]
        if end_line > e0 or ((res.repaired or isinstance(res.key, tuple)) and bisect.bisect_left(starts, old_pstarts[p - 1]) + 3 >= k0):
            p -= 1
            continue
        break
    # unchanged chunks after it
    s = bisect.bisect_left(old_pstarts, prev.starts[k_old]) if k_old < len(prev.starts) else n_old
    r0_line = old_pstarts[p] if p < n_old else prev.n_lines
    r = bisect.bisect_left(starts, r0_line)
    # module bindings made above the edit, read from the previous version's as they are looked up
    old_bindings = prev.analysis._module_scope.bindings
    above = _BindingsAbove(old_bindings, r0_line)
    module_scope = analyzer.module_scope
    module_scope.bindings = above
    module_scope.owned = set()
    analyzer._module_interesting = set(prev.interesting)
    fresh: list[tuple] = []
    while True:
        r_end = bisect.bisect_left(starts, old_pstarts[s] + delta) if s < n_old else len(ranges)
        if r >= r_end:
            break
        part, covered = _fresh_part(analyzer, lines, ranges, r)
        fresh.append(part)
        r += covered
        if r > r_end:  # a repaired chunk merged into the chunks after the edit
            end_line = ranges[r - 1][1] - delta
            s = bisect.bisect_left(old_pstarts, end_line)
    if any(res.entries and res.entries[-1][0] == _STAR for _, res, _, _ in fresh):
        return None
    old_region = [e for part in old_parts[p:s] for e in part[1].entries]
    new_region = [e for part in fresh for e in part[1].entries]
    touched = _differing(_sequence(old_region), _sequence(new_region))
    # names bound differently now (a half-typed block swallowing the next def): still an edit if
    # no other chunk looks them up (one set test per chunk, no re-analysis)
    if touched and any(not part[1].deps.isdisjoint(touched) for part in itertools.chain(old_parts[:p], old_parts[s:])):
        return None
    region = {id(part[1]) for part in old_parts[p:s]}
    with_calls = [res for res in prev.with_calls if id(res) not in region]
    if not analyzer.calls_still_hold([c for res in with_calls for c in res.calls]):
        return None
    # module bindings made below the edit, shifted
    s_line = old_pstarts[s] if s < n_old else prev.n_lines
    bindings = _bindings_after_edit(old_bindings, above, old_region, r0_line, s_line, delta)
    module_scope.bindings = bindings
    module_scope.owned = set()  # its lists may be shared with the previous version's
    # a changed chunk's occurrences were collected before the chunks below it were bound
    for idx, part in enumerate(fresh):
        start, res, scopes, _ = part
        end_line = fresh[idx + 1][0] if idx + 1 < len(fresh) else (old_pstarts[s] + delta if s < n_old else n)
        if not res.parsed or not any((entries := bindings.get(name)) and entries[-1][0] >= end_line for name in res.deps):
            continue
        tree, _ = _trees.lookup(res.key)
        if tree is None:
            continue
        analyzer._deps, analyzer._calls = set(), []
        occs = analyzer.collect_chunk(start, tree, scopes)
        del tree
        fresh[idx] = (start, res.with_occurrences(start, occs, analyzer._calls), scopes, start)
    module_scope.children = []
    # the chunks after the edit: the same parts; their starts (``part_starts``, which the first
    # items of the parts need not match) shifted
    suffix_starts = old_pstarts[s:]
    if delta:
        suffix_starts = [st + delta for st in suffix_starts]
    parts = old_parts[:p] + fresh + old_parts[s:]
    part_starts = old_pstarts[:p] + [part[0] for part in fresh] + suffix_starts
    interesting = analyzer._module_interesting
    for name in {e[0] for e in old_region}:
        if not any(ref is not None for _, ref in bindings.get(name, ())):
            interesting.discard(name)
    analysis = ModuleAnalysis(lines, None, module_scope, None, (), analyzer.is_package, parts, part_starts)
    with_calls += [part[1] for part in fresh if part[1].calls]
    return analysis, _Previous(clean, n, starts, analysis, prev.db, prev.resolver, interesting, with_calls)


def _analyze_general(analyzer: _Analyzer, prev: _Previous | None, span: tuple[int, int] | None = None) -> tuple[ModuleAnalysis, _Previous]:
    lines, clean = analyzer.lines, analyzer.text
    n = len(lines)
    old_parts: list[tuple] = []
    if prev is not None:
        starts, k0, j, k_old, delta = _edit_span(prev, clean, lines, span)
        old_parts = prev.parts
        old_first = [bisect.bisect_left(prev.starts, st) for st in prev.part_starts]
    else:
        starts, k0, k_old = chunk_starts(lines), 0, 0
        j = len(starts)
        old_first = []
    ranges = ranges_of(starts, n)
    old_at = {first: idx for idx, first in enumerate(old_first)}  # old first range -> old part

    module_scope = analyzer.module_scope
    parts: list[tuple] = []
    reused: list[bool] = []
    touched: set[str] = set()
    pending_old: list = []
    pending_new: list = []
    old_ptr = 0
    k = 0
    while k < len(ranges):
        start = ranges[k][0]
        candidate = None
        if k < k0:
            idx = old_at.get(k)
            # a repaired chunk looked at the next three ranges to merge with: they must be unchanged
            if idx is not None and k + (3 if old_parts[idx][1].repaired or isinstance(old_parts[idx][1].key, tuple) else old_parts[idx][1].nranges - 1) < k0:
                candidate = idx
        elif k >= j:
            candidate = old_at.get(k - j + k_old)
        if candidate is not None:
            for q in range(old_ptr, candidate):  # old chunks passed without reuse: removed
                pending_old.extend(old_parts[q][1].entries)
            old_ptr = candidate + 1
            if pending_old or pending_new:
                touched |= _differing(_sequence(pending_old), _sequence(pending_new))
                pending_old, pending_new = [], []
            _, res, scopes, scopes_start = old_parts[candidate]
            if _STAR not in touched and not (res.deps & touched) and analyzer.calls_still_hold(res.calls):
                # bind pass reused: the chunk's module bindings, shifted (its scopes when needed)
                shift = start - res.base
                for name, line, ref in res.entries:
                    if name == _STAR:
                        analyzer.star_imports.append(ref.path)  # type: ignore[union-attr]
                        continue
                    module_scope.bindings.setdefault(name, []).append((line + shift, ref))
                    if ref is not None:
                        analyzer._module_interesting.add(name)
                parts.append((start, res, scopes, scopes_start))
                reused.append(True)
                k += res.nranges
                continue
            pending_old.extend(res.entries)
        part, covered = _fresh_part(analyzer, lines, ranges, k)
        pending_new.extend(part[1].entries)
        parts.append(part)
        reused.append(False)
        if k < j < k + covered:  # a repaired chunk merged into the unchanged tail: realign
            j, k_old = k + covered, k_old + (k + covered - j)
        k += covered
    for q in range(old_ptr, len(old_parts)):
        pending_old.extend(old_parts[q][1].entries)
    if pending_old or pending_new:
        touched |= _differing(_sequence(pending_old), _sequence(pending_new))

    # pass 2 where needed: occurrences collected before later chunks were bound, or reused ones
    # that depend on a name bound differently now
    last_binder: dict[str, int] = {}
    for idx, part in enumerate(parts):
        for name in part[1].bound:
            last_binder[name] = idx
    star_after = last_binder.get(_STAR, -1)
    for idx, part in enumerate(parts):
        start, res, _, _ = part
        if reused[idx]:
            stale = _STAR in touched or bool(res.deps & touched)
        else:
            stale = idx < star_after or any(last_binder.get(name, -1) > idx for name in res.deps)
        if not stale or not res.parsed:
            continue
        tree, _ = _trees.lookup(res.key)
        if tree is None:
            continue
        scopes = _part_scopes(part, module_scope, start)
        analyzer._deps, analyzer._calls = set(), []
        occs = analyzer.collect_chunk(start, tree, scopes)
        del tree
        parts[idx] = (start, res.with_occurrences(start, occs, analyzer._calls), scopes, start)
    module_scope.children = []
    analysis = ModuleAnalysis(lines, None, module_scope, None, tuple(analyzer.star_imports), analyzer.is_package, parts)
    return analysis, _Previous(clean, n, starts, analysis, analyzer.db, analyzer.resolver, analyzer._module_interesting)


def _fresh_part(analyzer: _Analyzer, lines: list[str], ranges: Sequence[tuple[int, int]], k: int) -> tuple[tuple, int]:
    """Parse, bind and collect the chunk starting at range ``k``."""
    chunk, tree, covered = parse_range(lines, ranges, k)
    module_scope = analyzer.module_scope
    analyzer._deps = set()
    analyzer._calls = []
    analyzer._scope_of = {}
    entries: list = []
    n_children = len(module_scope.children)
    n_star = len(analyzer.star_imports)
    occs: list[Occurrence] = []
    if tree is not None:
        module_scope.log = entries
        try:
            analyzer.bind_chunk(chunk, tree)
        except RecursionError:
            log.warning("analysis: statement nested too deeply at line %d; its bindings are partial", chunk.start_line + 1)
        finally:
            module_scope.log = None
        for name, _, ref in entries:
            if ref is not None:
                analyzer._module_interesting.add(name)
        for module in analyzer.star_imports[n_star:]:
            entries.append((_STAR, chunk.start_line, Ref("star", module)))
        scopes = module_scope.children[n_children:]
        deps = analyzer._deps
        occs = analyzer.collect_chunk(chunk.start_line, tree, scopes)
        deps |= analyzer._deps
    else:
        scopes = []
        deps = set()
    result = ChunkResult(chunk._key, chunk.repaired, tree is not None, covered, chunk.start_line, entries, deps, analyzer._calls, occs)
    return (chunk.start_line, result, scopes, chunk.start_line), covered
