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
from dataclasses import dataclass, field
from typing import Protocol

from .parsing import Chunk, clean_source, parse_module

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
    """

    kind: str
    path: str


class ApiLookup(Protocol):
    """The subset of ``ApiDB`` the analysis needs (kept abstract so tests can fake it)."""

    def get(self, path: str): ...

    def member(self, owner: str, name: str): ...


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

    def bind(self, name: str, line: int, ref: Ref | None) -> None:
        self.bindings.setdefault(name, []).append((line, ref))


@dataclass(slots=True)
class ModuleAnalysis:
    lines: list[str]
    occurrences: list[Occurrence]
    module_scope: Scope
    chunks: list[Chunk]
    star_imports: tuple[str, ...] = ()
    is_package: bool = False  # the module is a package's __init__
    _by_line: dict[int, list[Occurrence]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for occ in self.occurrences:
            self._by_line.setdefault(occ.line, []).append(occ)
        for occs in self._by_line.values():
            occs.sort(key=lambda o: (o.start, -o.end))

    def at(self, line: int, col: int) -> Occurrence | None:
        """The occurrence under the cursor (a cursor just after a name counts too)."""
        occs = self._by_line.get(line)
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
                    return occ
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
        if db is not None and db.get(ref.path) is not None:
            obj = db.get(ref.path)
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
                return None
            if member.kind in ("attribute", "property") and member.type and _is_fastapi(member.type):
                return Ref("attr", path)
        return Ref("obj", path)
    return None


def _attr_value(ref: Ref, db: ApiLookup | None) -> Ref:
    """The value of an attribute reference, for chaining (``request.url`` -> instance of URL)."""
    if ref.kind == "attr" and db is not None:
        owner, _, name = ref.path.rpartition(".")
        member = db.member(owner, name)
        if member is not None and member.type:
            return Ref("inst", member.type)
    return ref


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


class _Analyzer:
    def __init__(
        self,
        text: str,
        module_name: str | None,
        db: ApiLookup | None,
        resolver: ModuleResolver | None,
        seen: frozenset[str],
        is_package: bool = False,
    ) -> None:
        self.lines = clean_source(text).split("\n")
        self.module_name = module_name
        self.is_package = is_package
        self.db = db
        self.resolver = resolver
        self.seen = seen
        self.module_scope = Scope("module", 0, len(self.lines) + 1)
        self.star_imports: list[str] = []
        self.occurrences: list[Occurrence] = []
        self._offset = 0  # line offset of the chunk being visited
        self._interesting: set[str] | None = None
        self._scope_of: dict[tuple[int, int], Scope] = {}

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

    # ---- pass 1: bindings ----------------------------------------------------------

    def bind_chunk(self, chunk: Chunk, tree: ast.Module) -> None:
        self._offset = chunk.start_line
        self._bind_body(tree.body, self.module_scope)

    def _new_scope(self, kind: str, node: ast.AST, parent: Scope) -> Scope:
        start = self.line_of(node)
        end = self._offset + (getattr(node, "end_lineno", None) or node.lineno)  # type: ignore[attr-defined]
        scope = Scope(kind, start, end, parent=parent)
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
                    ref = self.resolver.exported_ref(module, alias.name, self.seen)
                    if ref is None and self.resolver.is_module(f"{module}.{alias.name}"):
                        # `from app.routers import items` then `items.router`: a workspace module
                        ref = Ref("wsmod", f"{module}.{alias.name}")
                    scope.bind(alias.asname or alias.name, line, ref)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            returns = self._annotation_ref(stmt.returns, scope, line)
            scope.bind(stmt.name, line, Ref("factory", returns.path) if returns and returns.kind == "inst" else None)
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
            for base in stmt.bases:
                ref = self._eval(base, scope, line)
                if ref is not None and ref.kind in ("obj", "subclass") and _looks_like_class(ref.path, self.db):
                    base_ref = Ref("subclass", ref.path)
                    break
            scope.bind(stmt.name, line, base_ref)
            inner = self._new_scope("class", stmt, scope)
            inner.base = base_ref.path if base_ref else None
            self._bind_body(stmt.body, inner)
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
            return self._annotation_ref(node.left, scope, line) or self._annotation_ref(node.right, scope, line)
        if isinstance(node, ast.Subscript):
            head = node.value
            head_name = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", "")
            if head_name in _SEQUENCES:
                elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                inner = self._annotation_ref(elts[0], scope, line) if elts else None
                return Ref("seq", inner.path) if inner is not None and inner.kind == "inst" else None
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
        return None

    def _eval(self, node: ast.expr, scope: Scope, line: int) -> Ref | None:
        if isinstance(node, ast.Name):
            return lookup(scope, node.id, line, tuple(self.star_imports), self.db)
        if isinstance(node, ast.Attribute):
            base = self._eval(node.value, scope, line)
            if base is None:
                return None
            if base.kind == "wsmod":
                return self.resolver.exported_ref(base.path, node.attr, self.seen) if self.resolver else None
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
            if func.kind == "obj":
                if _looks_like_class(func.path, self.db):
                    return Ref("inst", func.path)
                if self.db is not None:
                    obj = self.db.get(func.path)
                    if obj is not None and obj.type and _is_fastapi(obj.type) and _looks_like_class(obj.type, self.db):
                        return Ref("inst", obj.type)
            return None
        if isinstance(node, ast.Await):
            return None
        return None

    # ---- pass 2: occurrences -------------------------------------------------------

    def _interesting_names(self) -> set[str] | None:
        """Names bound to something FastAPI in any scope (None: anything may be, e.g. star imports)."""
        if self.star_imports:
            return None
        names: set[str] = {"super", "cast"}
        stack = [self.module_scope]
        while stack:
            scope = stack.pop()
            stack.extend(scope.children)
            for name, entries in scope.bindings.items():
                if any(ref is not None for _, ref in entries):
                    names.add(name)
        return names

    def _boring(self, node: ast.expr) -> bool:
        """True when the chain ``a.b.c(...)`` starts from a name that cannot be FastAPI."""
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return isinstance(node, ast.Name) and self._interesting is not None and node.id not in self._interesting

    def collect_all(self, chunks: list[Chunk]) -> None:
        self._interesting = self._interesting_names()
        for chunk in chunks:
            tree = chunk.tree  # cached, or parsed again: one chunk's tree alive at a time
            if tree is None:
                continue
            self._offset = chunk.start_line
            for stmt in tree.body:
                self._collect(stmt, self.module_scope)
            del tree

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
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name) and self.db is not None and self.db.member(scope.base, target.id) is not None:
                    line = self.line_of(target)
                    end = target.col_offset + len(target.id.encode("utf-8"))
                    self.add(line, target.col_offset, end, f"{scope.base}.{target.id}", "member")
        for field in node._fields:
            value = getattr(node, field, None)
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
        kind = "status" if _is_status(ref.path) else ("member" if base.kind in ("inst", "attr") else self._kind_for(ref.path))
        self.add(end_line, start, end, ref.path, kind)
        return ref

    def _callable_for_keywords(self, node: ast.Call, scope: Scope, line: int) -> str | None:
        func = self._eval(node.func, scope, line)
        if func is None:
            return None
        if func.kind in ("subclass",):
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
        if node.keywords and not self._boring(node.func):
            target = self._callable_for_keywords(node, scope, line)
        for kw in node.keywords:
            if target is not None and kw.arg is not None:
                kw_line = self._offset + kw.lineno - 1
                self.add(kw_line, kw.col_offset, kw.col_offset + len(kw.arg.encode("utf-8")), target, "keyword", param=kw.arg)
            self._collect(kw.value, scope)


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


def analyze(
    text: str,
    *,
    module_name: str | None = None,
    db: ApiLookup | None = None,
    resolver: ModuleResolver | None = None,
    seen: frozenset[str] = frozenset(),
    is_package: bool = False,
) -> ModuleAnalysis:
    """Analyse a module. Never raises on bad input (syntax errors, NUL bytes, deep nesting).

    ``is_package``: the module is a package's ``__init__`` (relative imports count from it).
    """
    analyzer = _Analyzer(text, module_name, db, resolver, seen | ({module_name} if module_name else set()), is_package)
    bind_failed = False

    def bind(chunk: Chunk, tree: ast.Module) -> None:
        nonlocal bind_failed
        if bind_failed:
            return
        try:
            analyzer.bind_chunk(chunk, tree)
        except RecursionError:
            bind_failed = True

    # pass 1 (bindings) runs as each chunk is parsed; pass 2 (occurrences) needs every binding
    chunks = parse_module(text, visit=bind)
    try:
        if not bind_failed:
            analyzer.collect_all(chunks)
    except RecursionError:
        pass
    return ModuleAnalysis(
        lines=analyzer.lines,
        occurrences=analyzer.occurrences,
        module_scope=analyzer.module_scope,
        chunks=chunks,
        star_imports=tuple(analyzer.star_imports),
        is_package=is_package,
    )

