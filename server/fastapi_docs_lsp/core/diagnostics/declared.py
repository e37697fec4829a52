"""Which parameter names a path operation declares, following its dependencies (for FA001)."""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..analysis import absolute_import
from .context import _Def, _method, _Module
from .model import _HARMLESS_DECORATORS, DEPENDENCY_MARKERS

log = logging.getLogger(__name__)


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
                        named = self._resolve_name(mod, e.id)
                        node = named[1].node if named is not None else None
                        if named is not None and isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                            other, d = named
                            at = d.offset + node.lineno - 1
                            if other.marker(node.value, at):
                                markers.append(node.value if other is mod else _Foreign(other, node.value, at))
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
