"""FA001 path-param-missing: ``{x}`` in the path, ``x`` in no signature."""

from __future__ import annotations

import ast
import logging
import re

from ..fixes import (
    add_parameter,
)
from ..routes import (
    Route,
    Span,
    path_params,
)
from .context import _binds, _Run
from .declared import _Declared, _Unknown
from .model import CONVERTOR_TYPES, DEPENDENCY_MARKERS

log = logging.getLogger(__name__)


def _rule_path_params(run: _Run) -> None:
    """Work per handler is done once, not once per route: a handler under thousands of stacked
    decorators is walked once (near-linear in the module's size)."""
    per_function: dict[tuple, set[str] | None] = {}  # None: reads path_params itself, or unknown
    per_owner: dict[int, set[str] | None] = {}
    for route in run.routes.routes:
        if route.path is None or route.repaired or route.other_decorators or route.kind != "decorator":
            continue
        params = path_params(route.path)
        if not params:
            continue
        fn = run.func_of(route)
        if fn is None:
            continue
        key = (id(route.chunk), route.func_path)
        if key not in per_function:
            per_function[key] = _function_names(run, fn, route)
        names = per_function[key]
        if names is None:
            continue
        try:
            extra = _decorator_dependencies(run, route, per_owner)
        except _Unknown as exc:
            log.debug("FA001 skipped for %s: %s", route.function, exc)
            continue
        except RecursionError:
            continue
        if extra is None:
            continue
        for p in params:
            if p.name in names or p.name in extra:
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


def _function_names(run: _Run, fn: ast.FunctionDef | ast.AsyncFunctionDef, route: Route) -> set[str] | None:
    """The names a handler's signature declares, or None when it can't be told (or the handler
    reads ``request.path_params`` itself)."""
    for stmt in fn.body:  # the body only: the decorators are no reads
        if any(isinstance(n, ast.Attribute) and n.attr == "path_params" for n in ast.walk(stmt)):
            return None
    try:
        return _Declared(run.load_module).function(run.mod, fn, route.offset)
    except _Unknown as exc:
        log.debug("FA001 skipped for %s: %s", route.function, exc)
    except RecursionError:
        pass
    return None


def _decorator_dependencies(run: _Run, route: Route, per_owner: dict[int, set[str] | None]) -> set[str] | None:
    """Names declared by ``dependencies=[...]`` of the decorator and of a same-file router/app
    (None: the owner's can't be told). Raises ``_Unknown`` when the decorator's can't."""
    names = _dependencies_of(run, run.call_of(route), route.offset)
    owner = route.owner
    if owner.local:  # a router defined elsewhere: its dependencies can't declare this route's own template params sensibly
        key = id(owner)
        if key not in per_owner:
            try:
                per_owner[key] = _dependencies_of(run, run.call_of(owner), owner.call_offset)
            except (_Unknown, RecursionError):
                per_owner[key] = None
        if per_owner[key] is None:
            return None
        names |= per_owner[key]  # type: ignore[operator]
    return names


def _dependencies_of(run: _Run, call: ast.Call | None, offset: int) -> set[str]:
    names: set[str] = set()
    if call is None:
        return names
    mod = run.mod
    declared = _Declared(run.load_module)
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
