"""What a module defines, read from its (error-tolerant) ASTs, for completion.

- ``module_defs``: top-level functions, classes and callable instances, with what makes them
  look like dependencies (``yield``, a return annotation, parameters), for ``Depends(``.
- ``statement_start``: the start line of the statement around a line, where text scanning can
  safely begin (outside any string or bracket).
- ``import_line``: where a new import goes.

Line numbers are absolute 0-based lines of the analysed text.
"""

from __future__ import annotations

import ast
import bisect
import logging
import re
from dataclasses import dataclass, field

from .analysis import ModuleAnalysis

log = logging.getLogger(__name__)

_ROUTE_DECORATORS = {
    "get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket", "route",
    "websocket_route", "middleware", "exception_handler", "on_event",
}
_NOT_DEPENDENCY_BASES = ("Exception", "Error", "Warning", "Enum", "IntEnum", "StrEnum", "Flag", "TypedDict", "Protocol", "NamedTuple")
#: data models: valid as class dependencies in theory, noise in practice
_DATA_MODEL_BASES = ("BaseModel", "SQLModel", "BaseSettings", "RootModel", "Base", "DeclarativeBase")
_SELF = re.compile(r"^\s*(?:self|cls)\b(?:\s*:[^,]*)?\s*,?\s*")
_DEPENDENCY_PREFIXES = ("get_", "verify_", "require_", "check_", "current_", "validate_", "authenticate", "common_", "load_", "fetch_")


@dataclass(slots=True)
class DefInfo:
    name: str
    kind: str  # function | class | instance
    line: int
    end_line: int
    signature: str = ""  # "(db: Session, q: str = None) -> User"
    doc: str = ""  # first docstring paragraph
    has_yield: bool = False
    returns: bool = False
    params: int = 0
    route: bool = False  # a path operation / event handler: never a dependency
    context_manager: bool = False
    instance_of: str = ""  # for kind instance: the class (its display name)
    callable_class: bool = False  # class defines __call__
    bases: tuple[str, ...] = ()  # for kind class: the base classes' last names

    def score(self) -> int:
        """Lower is a likelier dependency: ``yield`` dependencies and security schemes first."""
        if self.kind == "instance":
            return 0
        if self.kind == "function":
            if self.has_yield:
                return 0
            if self.name.startswith(_DEPENDENCY_PREFIXES):
                return 1
            if self.returns or self.params:
                return 2
            return 3
        if self.callable_class:
            return 2
        return 3 if self.params else 4


@dataclass(slots=True)
class ModuleDefs:
    defs: dict[str, DefInfo] = field(default_factory=dict)
    imports: list[tuple[str, str, str, int]] = field(default_factory=list)  # (module, name, asname, line) of `from m import n`
    modules: dict[str, str] = field(default_factory=dict)  # name bound by `import m [as n]` -> module
    models: set[str] = field(default_factory=set)  # data model classes (pydantic, SQLModel, ORM), never dependencies


def _first_line(node: ast.stmt, offset: int) -> int:
    line = node.lineno
    for dec in getattr(node, "decorator_list", ()) or ():
        line = min(line, dec.lineno)
    return offset + line - 1


def _has_yield(fn: ast.AST) -> bool:
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


_YIELD = re.compile(r"\byield\b")


def _mentions_yield(lines: list[str], start: int, end: int) -> bool:
    """Cheap text test before walking the body's AST."""
    return any(_YIELD.search(lines[k]) for k in range(max(0, start), min(end, len(lines))) if "yield" in lines[k])


def _docstring(node: ast.AST) -> str:
    try:
        doc = ast.get_docstring(node) or ""  # type: ignore[arg-type]
    except TypeError:
        return ""
    para = doc.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in para.splitlines())


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _signature(fn: ast.FunctionDef | ast.AsyncFunctionDef, skip_self: bool = False) -> str:
    try:
        params = ast.unparse(fn.args)
        if skip_self:
            params = _SELF.sub("", params, count=1)
        text = f"({params})"
        if fn.returns is not None:
            text += f" -> {ast.unparse(fn.returns)}"
    except Exception:  # a repaired tree may hold odd nodes
        log.debug("completion: cannot unparse the signature of %s", fn.name, exc_info=True)
        return "(...)"
    return text if len(text) <= 120 else text[:117] + "..."


def _param_count(fn: ast.FunctionDef | ast.AsyncFunctionDef, skip_self: bool = False) -> int:
    a = fn.args
    n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (1 if a.vararg else 0) + (1 if a.kwarg else 0)
    return max(0, n - (1 if skip_self else 0))


def module_defs(analysis: ModuleAnalysis) -> ModuleDefs:
    """Top-level definitions of the module (the last definition of a name wins)."""
    out = ModuleDefs()
    for chunk in analysis.chunks:
        if chunk.tree is None:
            continue
        offset = chunk.start_line
        for stmt in chunk.tree.body:
            _collect(stmt, offset, out, analysis)
    return out


def _collect(stmt: ast.stmt, offset: int, out: ModuleDefs, analysis: ModuleAnalysis) -> None:
    line = offset + stmt.lineno - 1
    end = offset + (getattr(stmt, "end_lineno", None) or stmt.lineno) - 1
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        decorators = [_dotted(d) for d in stmt.decorator_list]
        route = any(d.rsplit(".", 1)[-1] in _ROUTE_DECORATORS and "." in d for d in decorators)
        ctx = any(d.rsplit(".", 1)[-1] in ("contextmanager", "asynccontextmanager") for d in decorators)
        if route or ctx:  # never offered: skip the details
            out.defs[stmt.name] = DefInfo(name=stmt.name, kind="function", line=_first_line(stmt, offset), end_line=end, route=route, context_manager=ctx)
            return
        out.defs[stmt.name] = DefInfo(
            name=stmt.name,
            kind="function",
            line=_first_line(stmt, offset),
            end_line=end,
            signature=_signature(stmt),
            doc=_docstring(stmt),
            has_yield=_mentions_yield(analysis.lines, line + 1, end + 1) and _has_yield(stmt),
            returns=stmt.returns is not None,
            params=_param_count(stmt),
        )
    elif isinstance(stmt, ast.ClassDef):
        bases = [_dotted(b).rsplit(".", 1)[-1] for b in stmt.bases]
        if any(b in _DATA_MODEL_BASES or b in out.models for b in bases) or any(k.arg == "table" for k in stmt.keywords):
            out.models.add(stmt.name)  # a model, also through a local base (`class Hero(HeroBase, table=True)`)
            out.defs.pop(stmt.name, None)
            return
        if any(b.endswith(_NOT_DEPENDENCY_BASES) for b in bases):
            return
        init = None
        has_call = False
        for item in stmt.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if item.name == "__init__":
                    init = item
                elif item.name == "__call__":
                    has_call = True
        out.defs[stmt.name] = DefInfo(
            name=stmt.name,
            kind="class",
            line=_first_line(stmt, offset),
            end_line=end,
            signature=_signature(init, skip_self=True) if init is not None else ("(" + ", ".join(bases) + ")" if bases else ""),
            doc=_docstring(stmt),
            params=_param_count(init, skip_self=True) if init is not None else 0,
            callable_class=has_call,
            bases=tuple(bases),
        )
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        if not isinstance(value, ast.Call):
            return
        cls = _dotted(value.func)
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            ref = analysis.exported(target.id)
            local = out.defs.get(cls.rsplit(".", 1)[-1])
            security = ref is not None and ref.kind == "inst" and ref.path.startswith("fastapi.security")
            if security or (local is not None and local.kind == "class" and local.callable_class):
                out.defs[target.id] = DefInfo(
                    name=target.id,
                    kind="instance",
                    line=line,
                    end_line=end,
                    instance_of=(ref.path.rsplit(".", 1)[-1] if security and ref else cls),
                    signature=f" = {cls}(...)",
                )
    elif isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                out.modules[alias.asname] = alias.name
            else:
                root = alias.name.split(".", 1)[0]
                out.modules[root] = root
    elif isinstance(stmt, ast.ImportFrom):
        module = ("." * (stmt.level or 0)) + (stmt.module or "")
        for alias in stmt.names:
            if alias.name != "*":
                out.imports.append((module, alias.name, alias.asname or alias.name, line))
    elif isinstance(stmt, ast.If):
        # `if TYPE_CHECKING:` / version switches: definitions inside still count
        for inner in [*stmt.body, *stmt.orelse]:
            _collect(inner, offset, out, analysis)
    elif isinstance(stmt, ast.Try):
        for inner in [*stmt.body, *stmt.orelse, *stmt.finalbody]:
            _collect(inner, offset, out, analysis)


# --------------------------------------------------------------------------------------
# statement starts


def chunk_starts(analysis: ModuleAnalysis) -> list[int]:
    return [c.start_line for c in analysis.chunks]


def _trusted(stmt: ast.stmt, offset: int, lines: list[str]) -> bool:
    """Repairs turn broken lines into ``pass`` / ``if True:``; such statements mark no real start."""
    if isinstance(stmt, (ast.Pass, ast.If)):
        line = offset + stmt.lineno - 1
        text = lines[line].lstrip() if 0 <= line < len(lines) else ""
        return text.startswith("pass" if isinstance(stmt, ast.Pass) else ("if", "elif"))
    return True


def _deepest_start(body: list[ast.stmt], offset: int, target: int, lines: list[str]) -> int | None:
    chosen: ast.stmt | None = None
    chosen_start = None
    for stmt in body:
        start = _first_line(stmt, offset)
        if start > target:
            break
        if _trusted(stmt, offset, lines):
            chosen, chosen_start = stmt, start
    if chosen is None:
        return None
    end = offset + (getattr(chosen, "end_lineno", None) or chosen.lineno) - 1
    if end >= target:
        deeper = None
        subs: list[list[ast.stmt]] = []
        for name in ("body", "orelse", "finalbody"):
            sub = getattr(chosen, name, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                subs.append(sub)
        for handler in getattr(chosen, "handlers", ()) or ():
            subs.append(handler.body)
        for case in getattr(chosen, "cases", ()) or ():
            subs.append(case.body)
        for sub in subs:
            found = _deepest_start(sub, offset, target, lines)
            if found is not None and (deeper is None or found > deeper):
                deeper = found
        if deeper is not None:
            return deeper
    return chosen_start


def statement_start(analysis: ModuleAnalysis, starts: list[int], target: int) -> int:
    """The start line (in ``analysis`` lines) of the innermost statement at or before ``target``."""
    idx = bisect.bisect_right(starts, target) - 1
    if idx < 0:
        return 0
    chunk = analysis.chunks[idx]
    best = chunk.start_line
    if chunk.tree is not None:
        found = _deepest_start(chunk.tree.body, chunk.start_line, target, analysis.lines)
        if found is not None and found >= best:
            best = found
    return best


def import_line(analysis: ModuleAnalysis) -> int:
    """The line before which a new top-level import goes: after the leading imports."""
    after = 0
    for chunk in analysis.chunks:
        if chunk.tree is None:
            return after
        for stmt in chunk.tree.body:
            end = chunk.start_line + (getattr(stmt, "end_lineno", None) or stmt.lineno)
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                after = end
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str) and after == 0:
                after = end  # the module docstring
            elif isinstance(stmt, (ast.If, ast.Try)) and all(
                isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass)) for s in getattr(stmt, "body", [])
            ):
                after = end
            else:
                return after
    return after
