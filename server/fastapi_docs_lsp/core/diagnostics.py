"""FastAPI diagnostics: common mistakes, each linked to the doc section that explains it.

``diagnose(analysis, ...)`` runs the rules over one analysed module and returns plain
``Diagnostic`` records (0-based lines, code-point columns) with their quick fixes attached.
The LSP adapter (``features/diagnostics.py``) converts them.

Rules (stable codes; the default severity can be changed or turned off per code or name):

====== ======================== =========== ==================================================
code   name                     default     what
====== ======================== =========== ==================================================
FA001  path-param-missing       warning     ``{x}`` in the path, ``x`` in no signature
FA002  deprecated-parameter     warning     ``regex=``, ``example=``, ... (read from FastAPI)
FA003  on-event-deprecated      warning     ``@app.on_event(...)`` instead of lifespan
FA004  dependency-called        error       ``Depends(get_db())``
FA005  duplicate-route          warning     same method + path twice on one app/router
FA006  shadowed-route           warning     ``/items/{id}`` declared before ``/items/me``
FA007  unused-router            hint        an APIRouter with routes never included
FA008  redundant-response-model hint        ``response_model=`` repeating the return type
FA009  prefer-annotated         off         ``q: str = Query()`` instead of ``Annotated``
====== ======================== =========== ==================================================

Every rule is conservative: when something can't be resolved statically it stays silent.
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterator

from .analysis import ApiLookup, ModuleAnalysis, Ref, _attr_value, absolute_import, innermost_scope, lookup, member_ref
from .fixes import (
    Fix,
    TextEdit,
    add_parameter,
    example_to_examples,
    import_annotated_edit,
    remove_argument,
    rename_keyword,
    to_annotated,
    uncall,
)
from .routes import ModuleRoutes, Route, RouteIndex, Span, _class_kind, extract_routes, node_span, normalized_template, path_params, template_regex
from .parsing import Chunk

log = logging.getLogger(__name__)

SOURCE = "fastapi"
SEVERITIES = ("error", "warning", "information", "hint")
DOCS = "https://fastapi.tiangolo.com/"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: str  # default: error | warning | information | hint | off
    url: str  # the doc section explaining it


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("FA001", "path-param-missing", "warning", DOCS + "tutorial/path-params/"),
        Rule("FA002", "deprecated-parameter", "warning", DOCS + "tutorial/query-params-str-validations/#add-regular-expressions"),
        Rule("FA003", "on-event-deprecated", "warning", DOCS + "advanced/events/#lifespan"),
        Rule("FA004", "dependency-called", "error", DOCS + "tutorial/dependencies/#declare-the-dependency-in-the-dependant"),
        Rule("FA005", "duplicate-route", "warning", DOCS + "tutorial/path-params/#order-matters"),
        Rule("FA006", "shadowed-route", "warning", DOCS + "tutorial/path-params/#order-matters"),
        Rule("FA007", "unused-router", "hint", DOCS + "tutorial/bigger-applications/#include-the-apirouters-for-users-and-items"),
        Rule("FA008", "redundant-response-model", "hint", DOCS + "tutorial/response-model/#response-model-or-return-type"),
        Rule("FA009", "prefer-annotated", "off", DOCS + "tutorial/query-params-str-validations/#advantages-of-annotated"),
    )
}
_BY_NAME = {r.name: r.code for r in RULES.values()}

#: doc sections for the deprecated parameters we know best
DEPRECATED_PARAM_URLS = {
    "regex": DOCS + "tutorial/query-params-str-validations/#add-regular-expressions",
    "example": DOCS + "tutorial/schema-extra-example/#examples-in-json-schema-openapi",
}
#: used only when the installed FastAPI could not be read
FALLBACK_DEPRECATED = {
    name: {
        "regex": "Deprecated in FastAPI 0.100.0 and Pydantic v2, use `pattern` instead.",
        "example": "Deprecated in OpenAPI 3.1.0 that now uses JSON Schema 2020-12, although still supported. Use examples instead.",
    }
    for name in ("Query", "Path", "Body", "Header", "Cookie", "Form", "File", "Param")
}
#: FastAPI's parameter functions (``fastapi.Query``...) and dependency markers
MARKERS = frozenset(("Depends", "Security", "Query", "Path", "Body", "Header", "Cookie", "Form", "File"))
DEPENDENCY_MARKERS = frozenset(("Depends", "Security"))
CONVERTOR_TYPES = {"int": "int", "float": "float", "str": "str", "path": "str", "uuid": "UUID"}
_HARMLESS_DECORATORS = re.compile(r"^(functools\.)?(lru_cache|cache|cached_property|wraps)\b")


@dataclass(frozen=True, slots=True)
class Related:
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    rule: str
    severity: str
    message: str
    span: Span
    href: str | None = None
    tags: tuple[str, ...] = ()  # "deprecated" | "unnecessary"
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()

    @property
    def line(self) -> int:
        return self.span.line


def severity_for(code: str, overrides: dict[str, str] | None) -> str:
    """The configured severity of a rule: by code (``FA001``), or by name (``path-param-missing``)."""
    rule = RULES[code]
    if overrides:
        for key in (code, code.lower(), rule.name):
            value = overrides.get(key)
            if value:
                return value
    return rule.severity


def rule_code(key: str) -> str | None:
    """``FA001`` or ``path-param-missing`` -> ``FA001``."""
    if key.upper() in RULES:
        return key.upper()
    return _BY_NAME.get(key)


# --------------------------------------------------------------------------------------
# module context: definitions, imports, evaluation


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
                self._collect(stmt.body, chunk, (*at, "body"))
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


# --------------------------------------------------------------------------------------
# which names a signature declares (for path parameters)


class _Unknown(Exception):
    """A dependency or type that can't be followed statically: stay silent."""


class _Declared:
    """Collects the parameter names a path operation declares, following its dependencies."""

    def __init__(self, load_module: Callable[[str], _Module | None] | None) -> None:
        self.load_module = load_module
        self.seen: set[tuple] = set()

    # -- functions -----------------------------------------------------------------

    def function(self, mod: _Module, fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, offset: int, skip_self: bool = False) -> set[str]:
        args = fn.args
        if args.kwarg is not None:
            raise _Unknown("**kwargs")
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        params = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
        if skip_self and params:
            params = params[1:]
        names: set[str] = set()
        line = offset + getattr(fn, "lineno", 1) - 1
        for arg, default in params:
            names.add(arg.arg)
            names |= self.parameter(mod, arg.annotation, default, line)
        return names

    def parameter(self, mod: _Module, annotation: ast.expr | None, default: ast.expr | None, line: int, depth: int = 0) -> set[str]:
        names: set[str] = set()
        markers: list[ast.Call] = []
        base = annotation
        if default is not None and mod.marker(default, line):
            markers.append(default)  # type: ignore[arg-type]
        base, extras = self._annotated(mod, annotation, line, depth)
        markers.extend(extras)
        for item in markers:
            # markers reached through an alias of another module are resolved in that module
            m, call, at = (item.mod, item.call, item.line) if isinstance(item, _Foreign) else (mod, item, line)
            kind = m.marker(call, at)
            for kw in call.keywords:
                if kw.arg in ("alias", "validation_alias"):
                    # alias="x", validation_alias=AliasChoices("x", "y"): any of them may be the path name
                    names.update(n.value for n in ast.walk(kw.value) if isinstance(n, ast.Constant) and isinstance(n.value, str))
            if kind in DEPENDENCY_MARKERS:
                target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "dependency"), None)
                if target is None:
                    if base is None:
                        raise _Unknown("Depends() without a type")
                    names |= self.callable(m, base, at, as_class=True)
                else:
                    names |= self.callable(m, target, at)
            elif kind == "Path" and base is not None and self._is_local_class(m, base):
                names |= self.class_fields(m, base, at)
        return names

    def _annotated(self, mod: _Module, annotation: ast.expr | None, line: int, depth: int) -> tuple[ast.expr | None, list[ast.Call]]:
        """``Annotated[T, m1, m2]`` -> (T, FastAPI marker calls); follows module-level aliases."""
        if annotation is None or depth > 8:
            return annotation, []
        node = annotation
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return annotation, []
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left = self._annotated(mod, node.left, line, depth + 1)
            right = self._annotated(mod, node.right, line, depth + 1)
            return (left[0] if left[1] else right[0] if right[1] else annotation), left[1] + right[1]
        if isinstance(node, ast.Subscript):
            head = node.value
            head_name = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", "")
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if head_name == "Annotated" and elts:
                base, inner = self._annotated(mod, elts[0], line, depth + 1)
                markers: list = []
                for e in elts[1:]:
                    if isinstance(e, ast.Call) and mod.marker(e, line):
                        markers.append(e)
                    elif isinstance(e, ast.Name):
                        # identifier_path = Path(alias=...); Annotated[int, identifier_path]
                        found = self._resolve_name(mod, e.id)
                        if found is not None and isinstance(found[1].node, ast.Assign) and isinstance(found[1].node.value, ast.Call):
                            other, d = found
                            at = d.offset + d.node.lineno - 1
                            if other.marker(d.node.value, at):
                                markers.append(d.node.value if other is mod else _Foreign(other, d.node.value, at))
                return (base if inner else elts[0]), inner + markers
            if head_name in ("Optional", "Union"):
                found: list[ast.Call] = []
                base = annotation
                for e in elts:
                    b, m = self._annotated(mod, e, line, depth + 1)
                    if m:
                        found.extend(m)
                        base = b
                return base, found
            return annotation, []
        if isinstance(node, ast.Name):
            # a module-level alias: SessionDep = Annotated[Session, Depends(get_session)]
            target = self._resolve_name(mod, node.id)
            if target is None:
                return annotation, []
            other, d = target
            value = None
            if isinstance(d.node, ast.Assign):
                value = d.node.value
            elif isinstance(d.node, ast.AnnAssign):
                value = d.node.value
            elif type(d.node).__name__ == "TypeAlias":
                value = d.node.value  # type: ignore[attr-defined]
            if value is not None and isinstance(value, (ast.Subscript, ast.BinOp, ast.Name)):
                key = (id(d), "alias")  # _Def objects live as long as the run; nodes may be re-parsed
                if key in self.seen:
                    return annotation, []
                self.seen.add(key)
                try:
                    base, markers = self._annotated(other, value, d.offset + value.lineno - 1, depth + 1)
                finally:
                    self.seen.discard(key)
                if markers and other is not mod:
                    # markers of another module: collect their names there
                    return base, [_Foreign(other, m, d.offset + value.lineno - 1) for m in markers]  # type: ignore[misc]
                return base, markers
        return annotation, []

    def _resolve_name(self, mod: _Module, name: str) -> tuple[_Module, _Def] | None:
        """A module-level definition of ``name``, following ``from x import name`` into the workspace.

        Raises ``_Unknown`` for relative imports that can't be loaded.
        """
        d = mod.defs.get(name)
        if d is not None:
            return mod, d
        imported = mod.imports.get(name)
        if imported is None:
            return None
        module, orig, level = imported
        if not orig:
            return None  # `import x`: a module
        if module.split(".")[0] in ("fastapi", "starlette", "typing", "typing_extensions", "pydantic"):
            return None
        absolute = absolute_import(mod.module_name, module, level, mod.analysis.is_package)
        other = self.load_module(absolute) if (self.load_module is not None and absolute) else None
        if other is None:
            if level:
                raise _Unknown(f"cannot read {module}")
            return None  # a third-party name: a plain type
        d = other.defs.get(orig)
        if d is None:
            if orig in other.imports:
                key = (id(other), orig)
                if key in self.seen:
                    return None
                self.seen.add(key)
                return self._resolve_name(other, orig)
            raise _Unknown(f"{orig} not found in {absolute}")
        return other, d

    # -- callables ------------------------------------------------------------------

    def callable(self, mod: _Module, target: ast.expr, line: int, as_class: bool = False) -> set[str]:
        if isinstance(target, ast.Lambda):
            return self.function(mod, target, line)
        if isinstance(target, ast.Subscript):
            target = target.value  # Depends(Model[int])
        ref = mod.eval(target, line)
        if ref is not None:
            return set()  # a FastAPI/Starlette object or instance (OAuth2PasswordBearer(...)): no path params
        if isinstance(target, ast.Call):
            # an instance used as dependency: its class's __call__
            cls = self._class_of(mod, target.func, line)
            if cls is None:
                raise _Unknown("call")
            other, d = cls
            call = _method(d.node, "__call__")
            if call is None:
                raise _Unknown("no __call__")
            return self._guarded(other, call, d.offset, skip_self=True)
        if isinstance(target, ast.Name):
            found = self._resolve_name(mod, target.id)
            if found is None:
                raise _Unknown(target.id)
            other, d = found
            node = d.node
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return self._guarded(other, node, d.offset)
            if isinstance(node, ast.ClassDef):
                return self.class_params(other, node, d.offset)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                cls = self._class_of(other, node.value.func, d.offset + node.lineno - 1)
                if cls is not None:
                    cmod, cd = cls
                    call = _method(cd.node, "__call__")
                    if call is not None:
                        return self._guarded(cmod, call, cd.offset, skip_self=True)
                if other.eval(node.value, d.offset + node.lineno - 1) is not None:
                    return set()
            raise _Unknown(target.id)
        raise _Unknown(ast.dump(target)[:40])

    def _guarded(self, mod: _Module, fn, offset: int, skip_self: bool = False) -> set[str]:
        # where the function is, not id(fn): trees are re-parsed on demand and ids reused
        key = (id(mod), offset + fn.lineno, fn.col_offset, "fn")
        if key in self.seen:
            return set()
        self.seen.add(key)
        if any(not _HARMLESS_DECORATORS.match(ast.unparse(d)) for d in getattr(fn, "decorator_list", [])):
            raise _Unknown("decorated dependency")
        return self.function(mod, fn, offset, skip_self=skip_self)

    def _class_of(self, mod: _Module, func: ast.expr, line: int) -> tuple[_Module, _Def] | None:
        if isinstance(func, ast.Name):
            found = self._resolve_name(mod, func.id)
            if found is not None and isinstance(found[1].node, ast.ClassDef):
                return found
        return None

    def _is_local_class(self, mod: _Module, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and isinstance(getattr(mod.defs.get(node.id), "node", None), ast.ClassDef)

    def class_fields(self, mod: _Module, node: ast.expr, line: int) -> set[str]:
        assert isinstance(node, ast.Name)
        d = mod.defs[node.id]
        return self.class_params(mod, d.node, d.offset)  # type: ignore[arg-type]

    def class_params(self, mod: _Module, cls: ast.ClassDef, offset: int) -> set[str]:
        init = _method(cls, "__init__")
        if init is not None:
            return self._guarded(mod, init, offset, skip_self=True)
        names = {s.target.id for s in cls.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
        for base in cls.bases:
            base_name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
            if base_name in ("object", "BaseModel", "Generic"):
                continue
            if isinstance(base, ast.Subscript):
                raise _Unknown("generic base")
            if isinstance(base, ast.Name):
                found = self._resolve_name(mod, base.id)
                if found is not None and isinstance(found[1].node, ast.ClassDef):
                    names |= self.class_params(found[0], found[1].node, found[1].offset)
                    continue
            raise _Unknown("base class")
        return names


@dataclass(slots=True)
class _Foreign:
    """A marker call found through an alias defined in another module."""

    mod: _Module
    call: ast.Call
    line: int



def _method(cls: ast.AST, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    if not isinstance(cls, ast.ClassDef):
        return None
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return stmt
    return None


# --------------------------------------------------------------------------------------
# the rules


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

    @property
    def lines(self) -> list[str]:
        return self.analysis.lines

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


def _rule_path_params(run: _Run) -> None:
    for route in run.routes.routes:
        if route.func is None or route.path is None or route.repaired or route.other_decorators or route.kind != "decorator":
            continue
        params = path_params(route.path)
        if not params:
            continue
        mod = run.mod
        fn = route.func
        if any(isinstance(n, ast.Attribute) and n.attr == "path_params" for n in ast.walk(fn)):
            continue  # reads request.path_params itself
        declared = _Declared(run.load_module)
        try:
            names = declared.function(mod, fn, route.offset)
            names |= _decorator_dependencies(declared, mod, route)
        except _Unknown as exc:
            log.debug("FA001 skipped for %s: %s", route.function, exc)
            continue
        except RecursionError:
            continue
        for p in params:
            if p.name in names:
                continue
            span = _template_span(run.lines, route, p.start, p.end)
            fix = add_parameter(fn, p.name, CONVERTOR_TYPES.get(p.convertor, "str"), route.offset, run.lines)
            if fix is not None and p.convertor == "uuid" and not _binds(run.mod, "UUID"):
                fix = None
            run.emit(
                "FA001",
                f"Path parameter `{p.name}` of `{route.path}` is not declared by `{fn.name}` or its dependencies",
                span,
                fixes=(fix,) if fix else (),
            )


def _decorator_dependencies(declared: _Declared, mod: _Module, route: Route) -> set[str]:
    """Names declared by ``dependencies=[...]`` of the decorator and of a same-file router/app."""
    names: set[str] = set()
    calls = [(route.call, route.offset)]
    if route.owner.local and route.owner.call is not None:
        calls.append((route.owner.call, route.owner.call_offset))
    elif not route.owner.local:
        pass  # router defined elsewhere: its dependencies can't declare this route's own template params sensibly
    for call, offset in calls:
        if call is None:
            continue
        for kw in call.keywords:
            if kw.arg != "dependencies":
                continue
            if not isinstance(kw.value, (ast.List, ast.Tuple)):
                raise _Unknown("dependencies not a list")
            line = offset + kw.value.lineno - 1
            for elt in kw.value.elts:
                if mod.marker(elt, line) in DEPENDENCY_MARKERS:
                    names |= declared.parameter(mod, None, elt, line)
                else:
                    raise _Unknown("dependency")
    return names


def _template_span(lines: list[str], route: Route, start: int, end: int) -> Span:
    """The ``{name}`` inside the path literal, or the whole literal when its text is not plain."""
    span = route.path_span
    assert span is not None and route.path is not None
    if span.line == span.end_line:
        text = lines[span.line][span.start : span.end]
        m = re.match(r"^([rRuU]?)(['\"])", text)
        if m and text[len(m.group(0)) : len(text) - 1] == route.path:
            base = span.start + len(m.group(0))
            return Span(span.line, base + start, span.line, base + end)
    return span


def _binds(mod: _Module, name: str) -> bool:
    return name in mod.defs or name in mod.imports


def _check_deprecated_params(run: _Run, call: ast.Call, offset: int, table: dict | None) -> None:
    if not call.keywords:
        return
    for kw in call.keywords:
        if kw.arg is None:
            continue
        line = offset + kw.lineno - 1
        col = node_span(kw, offset, run.lines).start
        occ = run.analysis.at(line, col)
        if occ is None or occ.kind != "keyword" or occ.param != kw.arg:
            continue
        public = public_path(occ.target, run.db)
        message = None
        if table is not None:
            message = table.get(public, {}).get(kw.arg)
            if message is None and run.db is not None:
                obj = run.db.get(occ.target)
                p = obj.param(kw.arg) if obj is not None else None
                message = p.deprecated if p is not None else None
        elif public.split(".")[0] == "fastapi":
            message = FALLBACK_DEPRECATED.get(public.rsplit(".", 1)[-1], {}).get(kw.arg)
        if not message:
            continue
        present = {k.arg for k in call.keywords}
        fixes: tuple[Fix, ...] = ()
        if kw.arg == "regex" and "pattern" not in present:
            fix = rename_keyword(kw, "pattern", offset, run.lines)
            fixes = (fix,) if fix else ()
        elif kw.arg == "example" and "examples" not in present:
            fix = example_to_examples(kw, offset, run.lines)
            fixes = (fix,) if fix else ()
        short = " ".join(message.split())
        short = re.sub(r"\s*Read more.*$", "", short)
        span = Span(line, col, line, col + len(kw.arg))
        run.emit(
            "FA002",
            f"`{kw.arg}` of `{public}` is deprecated: {short}",
            span,
            href=_deprecated_href(kw.arg, public, run),
            tags=("deprecated",),
            fixes=fixes,
        )


def _deprecated_href(param: str, public: str, run: _Run) -> str | None:
    if param in DEPRECATED_PARAM_URLS:
        return DEPRECATED_PARAM_URLS[param]
    docs = run.docs
    if docs is not None:
        try:
            sections = docs.sections_for_symbol(f"{public}.{param}", limit=1) or docs.sections_for_symbol(public, limit=1)
        except Exception:
            sections = []
        if sections:
            return sections[0].url
    if run.db is not None:
        obj = run.db.get(public)
        p = obj.param(param) if obj is not None else None
        links = re.findall(r"\((https://fastapi\.tiangolo\.com/[^)\s]*)\)", p.doc if p else "")
        if links:
            return links[0]
        if obj is not None and obj.links:
            return obj.links[0][1]
    return DOCS + "reference/"


def _rule_on_event(run: _Run) -> None:
    for occ in run.analysis.occurrences:
        if occ.kind != "member" or not occ.target.endswith(".on_event"):
            continue
        owner = occ.target.rsplit(".", 1)[0]
        if _class_kind(owner, run.db) is None:
            continue
        span = Span(occ.line, occ.start, occ.line, occ.end)
        if _in_repaired(run.analysis, occ.line):
            continue
        run.emit("FA003", "`on_event` is deprecated: use a `lifespan` function on the app instead", span, tags=("deprecated",))


def _in_repaired(analysis: ModuleAnalysis, line: int) -> bool:
    import bisect

    repaired = [c for c in analysis.chunks if c.repaired]
    if not repaired:
        return False
    starts = [c.start_line for c in analysis.chunks]
    i = bisect.bisect_right(starts, line) - 1
    return i >= 0 and analysis.chunks[i].repaired


def _check_called_dependency(run: _Run, call: ast.Call, offset: int) -> None:
    mod = run.mod
    line = offset + call.lineno - 1
    if mod.marker(call, line) not in DEPENDENCY_MARKERS:
        return
    inner = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "dependency"), None)
    if not isinstance(inner, ast.Call):
        return
    reason = _non_callable_result(mod, inner, line)
    if reason is None:
        return
    func_text = ast.unparse(inner.func)
    marker = mod.marker(call, line)
    fix = uncall(inner, offset, run.lines)
    run.emit(
        "FA004",
        f"`{marker}` expects a callable, but `{ast.unparse(inner)}` passes the result of calling `{func_text}` ({reason}); pass `{func_text}` itself",
        node_span(inner, offset, run.lines),
        fixes=(fix,) if fix else (),
    )


def _rule_node_checks(run: _Run) -> None:
    """FA002 and FA004 look at every call of the module, FA009 at every def: one walk for the
    three (a module beyond the tree cache is parsed again for each walk). A check that fails is
    dropped with what it found, as ``diagnose`` does for whole rules."""
    checks: list[tuple[str, type | tuple[type, ...], Callable[[Any, int], None]]] = []
    if run.on("FA002"):
        table = run.db.deprecated_params() if run.db is not None else None
        checks.append(("FA002", ast.Call, lambda call, offset: _check_deprecated_params(run, call, offset, table)))
    if run.on("FA004"):
        checks.append(("FA004", ast.Call, lambda call, offset: _check_called_dependency(run, call, offset)))
    failed: set[str] = set()
    if run.on("FA009"):
        try:
            import_edit = None if _binds(run.mod, "Annotated") else import_annotated_edit(run.analysis.chunks, run.lines)
            checks.append(("FA009", _FUNCTIONS, lambda fn, offset: _check_prefer_annotated(run, fn, offset, import_edit)))
        except Exception:
            log.exception("rule FA009 failed")
    for node, offset in run.nodes():
        for code, kind, check in checks:
            if code in failed or not isinstance(node, kind):
                continue
            try:
                check(node, offset)
            except Exception:
                log.exception("rule %s failed", code)
                failed.add(code)
    if failed:
        run.out[:] = [d for d in run.out if d.code not in failed]


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _non_callable_result(mod: _Module, inner: ast.Call, line: int) -> str | None:
    """Why ``inner`` surely returns something that is not a dependency, or None when unsure."""
    if not isinstance(inner.func, ast.Name):
        return None
    d = mod.defs.get(inner.func.id)
    if d is None:
        return None
    node = d.node
    if isinstance(node, ast.ClassDef):
        if _class_is_callable(mod, node, 0):
            return None
        return "an instance of a class without `__call__`"
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    if any(not _HARMLESS_DECORATORS.match(ast.unparse(dec)) for dec in node.decorator_list):
        return None
    body_nodes = [n for stmt in node.body for n in ast.walk(stmt)]
    if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) for n in body_nodes):
        return None  # a factory building the dependency
    if node.returns is not None and "Callable" in ast.unparse(node.returns):
        return None
    is_generator = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in body_nodes)
    if is_generator:
        return "a generator"
    if isinstance(node, ast.AsyncFunctionDef):
        return "a coroutine"
    offset = d.offset
    fn_line = offset + node.lineno - 1
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]:
        if mod.marker(default, fn_line):
            return "it is itself a dependency"
        if arg.annotation is not None and any(
            isinstance(n, ast.Call) and mod.marker(n, fn_line) for n in ast.walk(arg.annotation)
        ):
            return "it is itself a dependency"
    returns = [n for n in body_nodes if isinstance(n, ast.Return)]
    if all(n.value is None or isinstance(n.value, (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr, ast.Compare, ast.DictComp, ast.ListComp)) for n in returns):
        if not (inner.args or inner.keywords) or not returns:
            return "it returns a plain value" if returns else "it returns None"
    return None


def _class_is_callable(mod: _Module, cls: ast.ClassDef, depth: int) -> bool:
    if depth > 5 or _method(cls, "__call__") is not None:
        return True
    for base in cls.bases:
        name = getattr(base, "id", None)
        if name == "object":
            continue
        d = mod.defs.get(name) if name else None
        if d is not None and isinstance(d.node, ast.ClassDef):
            if _class_is_callable(mod, d.node, depth + 1):
                return True
            continue
        return True  # an unknown base may define __call__
    return False


def _rule_routes_order(run: _Run) -> None:
    """FA005/FA006: for each route, the first earlier route of the same owner and block that
    shares a method and either has the same template or (for a literal path) matches it.

    Earlier routes are indexed (by normalized template, and parametrized templates by their
    static prefix), so a module with thousands of routes stays near-linear, not quadratic.
    """
    groups: dict[tuple, list[Route]] = {}
    for route in run.routes.routes:
        if route.path is None:
            continue
        groups.setdefault((route.owner.key, route.block), []).append(route)
    for routes in groups.values():
        by_template: dict[str, list[int]] = {}  # normalized template -> earlier routes (in order)
        catchers: dict[str, list[tuple[int, re.Pattern[str] | None]]] = {}  # static prefix -> parametrized routes
        for i, later in enumerate(routes):
            later_norm = normalized_template(later.path)  # type: ignore[arg-type]
            if not (later.repaired or later.path_span is None or "*" in later.methods):
                found = _first_conflict(routes, later, later_norm, by_template, catchers)
                if found is not None:
                    _emit_order(run, later, routes[found[0]], found[1])
            if "*" not in later.methods:
                by_template.setdefault(later_norm, []).append(i)
                params = path_params(later.path)  # type: ignore[arg-type]
                if params:
                    prefix = later.path[: params[0].start]  # type: ignore[index]
                    prefix = prefix[: prefix.rfind("/") + 1]
                    catchers.setdefault(prefix, []).append((i, None))


def _first_conflict(routes, later, later_norm, by_template, catchers) -> tuple[int, str] | None:
    def shared(earlier) -> bool:
        return any(m in earlier.methods for m in later.methods)

    best: tuple[int, str] | None = None
    for j in by_template.get(later_norm, ()):
        earlier = routes[j]
        if shared(earlier) and not (earlier.func_path is not None and earlier.chunk is later.chunk and earlier.func_path == later.func_path):
            best = (j, "FA005")
            break
    if path_params(later.path):
        return best
    path = later.path
    prefixes = [""] + [path[: k + 1] for k, ch in enumerate(path) if ch == "/"]
    for prefix in prefixes:
        bucket = catchers.get(prefix)
        if not bucket:
            continue
        for n, (j, regex) in enumerate(bucket):
            if best is not None and j >= best[0]:
                break
            earlier = routes[j]
            if not shared(earlier):
                continue
            if regex is None:
                regex = template_regex(earlier.path)
                bucket[n] = (j, regex if regex is not None else _NEVER)
            if regex is not None and regex.match(path):
                best = (j, "FA006")
                break
    return best


_NEVER = re.compile(r"(?!)")


def _emit_order(run: _Run, later: Route, earlier: Route, code: str) -> None:
    method = next(m for m in later.methods if m in earlier.methods)
    where = f"line {earlier.decorator.line + 1}" + (f" (`{earlier.function}`)" if earlier.function else "")
    related = (Related(f"first declared here: {earlier.label}", earlier.path_span or earlier.decorator),)
    if code == "FA005":
        run.emit(
            "FA005",
            f"{_method_label(method)} `{later.path}` is already declared on `{later.owner.name}` at {where}; this route is never reached",
            later.path_span,
            related=related,
        )
    else:
        run.emit(
            "FA006",
            f"{_method_label(method)} `{later.path}` is caught by `{earlier.path}` declared earlier on `{later.owner.name}` at {where}; declare this route first",
            later.path_span,
            related=related,
        )


def _method_label(method: str) -> str:
    return "WebSocket" if method == "WEBSOCKET" else method


def _rule_unused_router(run: _Run) -> None:
    if run.workspace is None or not run.workspace.ready:
        return
    routers: dict[str, Any] = {}
    for route in run.routes.routes:
        owner = route.owner
        if owner.kind == "router" and owner.local and owner.module_level and owner.span is not None:
            routers[owner.name] = owner
    for name, owner in routers.items():
        if name in run.routes.loaded_names:
            continue  # used in this module (included, returned, put in a list...)
        if _in_repaired(run.analysis, owner.span.line):
            continue
        if run.workspace.is_referenced(run.mod.module_name, name, exclude_path=run.path):
            continue
        run.emit(
            "FA007",
            f"`{name}` has routes but is never included in an app (`app.include_router({name})`) anywhere in the workspace",
            owner.span,
            tags=("unnecessary",),
        )


def _rule_redundant_response_model(run: _Run) -> None:
    for route in run.routes.routes:
        fn, call = route.func, route.call
        if fn is None or call is None or fn.returns is None or route.repaired or route.kind != "decorator":
            continue
        for kw in call.keywords:
            if kw.arg != "response_model":
                continue
            if isinstance(kw.value, ast.Constant) and kw.value.value is None:
                continue
            if ast.dump(kw.value) != ast.dump(fn.returns):
                continue
            fix = remove_argument(call, kw, route.offset, run.lines, "Remove `response_model=` (the return annotation says the same)")
            run.emit(
                "FA008",
                f"`response_model={ast.unparse(kw.value)}` repeats the return annotation of `{fn.name}`; the annotation alone is enough",
                node_span(kw, route.offset, run.lines),
                tags=("unnecessary",),
                fixes=(fix,) if fix else (),
            )


def _check_prefer_annotated(run: _Run, fn: ast.FunctionDef | ast.AsyncFunctionDef, offset: int, import_edit: TextEdit | None) -> None:
    mod = run.mod
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    line = offset + fn.lineno - 1
    for arg, default in [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]:
        marker = mod.marker(default, line)
        if marker is None:
            continue
        assert isinstance(default, ast.Call)
        fix = to_annotated(fn, arg, default, marker, offset, run.lines, import_edit)
        start = node_span(arg, offset, run.lines)
        end = node_span(default, offset, run.lines)
        run.emit(
            "FA009",
            f"Declare `{arg.arg}` with `Annotated[..., {marker}(...)]` instead of a `{marker}(...)` default",
            Span(start.line, start.start, end.end_line, end.end),
            fixes=(fix,) if fix else (),
        )


_RUNNERS: list[tuple[tuple[str, ...], Callable[[_Run], None]]] = [
    (("FA001",), _rule_path_params),
    (("FA002", "FA004", "FA009"), _rule_node_checks),
    (("FA003",), _rule_on_event),
    (("FA005", "FA006"), _rule_routes_order),
    (("FA007",), _rule_unused_router),
    (("FA008",), _rule_redundant_response_model),
]


def diagnose(
    analysis: ModuleAnalysis,
    *,
    db: ApiLookup | None = None,
    docs: Any = None,
    module_name: str | None = None,
    path: str | None = None,
    rules: dict[str, str] | None = None,
    workspace: RouteIndex | None = None,
    load_module: Callable[[str], ModuleAnalysis | None] | None = None,
    routes: ModuleRoutes | None = None,
) -> list[Diagnostic]:
    """Run every enabled rule over one module. Never raises (a failing rule is logged and skipped).

    ``rules``: severity overrides by code or name (``off`` disables). ``workspace``: the route
    index, needed by FA007. ``load_module(name)``: the analysis of another workspace module, to
    follow dependencies imported from it.
    """
    severities = {code: severity_for(code, rules) for code in RULES}
    modules: dict[str, _Module | None] = {}

    def load(name: str) -> _Module | None:
        if name not in modules:
            modules[name] = None
            other = load_module(name) if load_module is not None else None
            if other is not None:
                modules[name] = _Module(other, name, db)
        return modules[name]

    run = _Run(
        analysis=analysis,
        mod=_Module(analysis, module_name, db),
        db=db,
        docs=docs,
        routes=routes if routes is not None else extract_routes(analysis, db, module_name),
        severities=severities,
        load_module=load if load_module is not None else None,
        workspace=workspace,
        path=path,
    )
    for codes, runner in _RUNNERS:
        if not any(run.on(code) for code in codes):
            continue
        before = len(run.out)
        try:
            runner(run)
        except Exception:
            log.exception("rule %s failed", "/".join(codes))
            del run.out[before:]
    out = [d for d in run.out if d.severity in SEVERITIES]
    out.sort(key=lambda d: (d.span.line, d.span.start, d.code))
    return out
