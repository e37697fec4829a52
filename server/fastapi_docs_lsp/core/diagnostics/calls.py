"""FA002 deprecated-parameter, FA004 dependency-called, FA009 prefer-annotated: one walk over the module's calls and defs."""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Callable
from typing import Any

from ..fixes import (
    Fix,
    TextEdit,
    example_to_examples,
    import_annotated_edit,
    rename_keyword,
    to_annotated,
    uncall,
)
from ..routes import (
    Span,
    node_span,
)
from .context import _binds, _method, _Module, _Run, public_path
from .model import _HARMLESS_DECORATORS, DEPENDENCY_MARKERS, DEPRECATED_PARAM_URLS, DOCS, FALLBACK_DEPRECATED

log = logging.getLogger(__name__)


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
            log.debug("docs look-up failed for %s.%s", public, param, exc_info=True)
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
        # the installed FastAPI's table (ApiDB has it; a bare ApiLookup may not)
        deprecated_params = getattr(run.db, "deprecated_params", None)
        found = deprecated_params() if callable(deprecated_params) else None
        table = found if isinstance(found, dict) else None
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
