"""FA005 duplicate-route and FA006 shadowed-route: a route declared twice, or caught by an earlier one."""

from __future__ import annotations

import logging
import re

from ..routes import (
    Route,
    normalized_template,
    path_params,
    template_regex,
)
from .context import _Run
from .model import Related

log = logging.getLogger(__name__)


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
