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
from .context import _binds, _Module, _Run
from .declared import _Declared, _Unknown
from .model import CONVERTOR_TYPES, DEPENDENCY_MARKERS

log = logging.getLogger(__name__)


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
