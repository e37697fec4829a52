"""FA005 duplicate-route and FA006 shadowed-route: a route declared twice, or caught by an earlier one."""

from __future__ import annotations

import logging
import re

from collections.abc import Callable

from ..routes import Route, normalized_template, path_params, template_regex
from ..urlpattern import CONVERTORS
from .context import _Run
from .model import Related

log = logging.getLogger(__name__)


def _rule_routes_order(run: _Run) -> None:
    """FA005/FA006: for each route, the first earlier route of the same owner and block that
    shares a method and either has the same template or (for a literal path) matches it.

    Earlier routes are indexed: by normalized template and method (FA005), and parametrized
    templates in a trie of path segments (FA006), which a literal path walks along its own
    segments. A module with tens of thousands of routes stays near-linear, not quadratic.
    """
    groups: dict[tuple, list[Route]] = {}
    for route in run.routes.routes:
        if route.path is None:
            continue
        groups.setdefault((route.owner.key, route.block), []).append(route)
    for routes in groups.values():
        # (normalized template, method) -> up to two earlier routes of different handlers
        by_template: dict[tuple[str, str], list[tuple[int, tuple]]] = {}
        catchers = _Catchers()
        for i, later in enumerate(routes):
            later_norm = normalized_template(later.path)  # type: ignore[arg-type]
            if not (later.repaired or later.path_span is None or "*" in later.methods):
                found = _first_conflict(routes, later, later_norm, by_template, catchers)
                if found is not None:
                    _emit_order(run, later, routes[found[0]], found[1])
            if "*" not in later.methods:
                handler = _handler(later)
                for method in later.methods:
                    seen = by_template.setdefault((later_norm, method), [])
                    if not seen or (len(seen) == 1 and seen[0][1] != handler):
                        seen.append((i, handler))
                if path_params(later.path):  # type: ignore[arg-type]
                    catchers.add(later.path, i)  # type: ignore[arg-type]


def _handler(route: Route) -> tuple:
    return (id(route.chunk), route.func_path) if route.func_path is not None else ("route", id(route))


def _first_conflict(routes: list[Route], later: Route, later_norm: str, by_template: dict, catchers: _Catchers) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    handler = _handler(later)
    for method in later.methods:
        for j, other in by_template.get((later_norm, method), ()):
            if other != handler:  # the same handler twice (stacked decorators) is no duplicate
                if best is None or j < best[0]:
                    best = (j, "FA005")
                break
    if path_params(later.path):  # type: ignore[arg-type]
        return best

    def shared(j: int) -> bool:
        return any(m in routes[j].methods for m in later.methods)

    found = catchers.find(later.path, shared, best[0] if best is not None else None)  # type: ignore[arg-type]
    if found is not None:
        best = (found, "FA006")
    return best


_PARAM_SEGMENT = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")
_NEVER = re.compile(r"(?!)")


class _Node:
    __slots__ = ("literal", "params", "mixed", "tails", "ends")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.params: dict[str, _Node] = {}  # convertor -> child
        self.mixed: dict[str, dict[str, tuple[re.Pattern[str], _Node]]] = {}  # literal head -> segment -> child
        self.tails: list[tuple[int, re.Pattern[str]]] = []  # from a {x:path} on: the rest as one regex
        self.ends: list[int] = []  # templates ending here (in declaration order)


class _Catchers:
    """Earlier parametrized templates, as a trie of their ``/``-separated segments."""

    def __init__(self) -> None:
        self.root = _Node()

    def add(self, template: str, index: int) -> None:
        if any((m.group(2) or "str") not in CONVERTORS for m in _PARAM_SEGMENT.finditer(template)):
            return  # an unknown convertor: Starlette's own problem, never reported as shadowing
        segments = template.split("/")
        node = self.root
        for k, seg in enumerate(segments):
            params = list(_PARAM_SEGMENT.finditer(seg))
            if not params:
                node = node.literal.setdefault(seg, _Node())
                continue
            if any(m.group(2) == "path" for m in params):
                node.tails.append((index, template_regex("/".join(segments[k:])) or _NEVER))
                return
            whole = params[0]
            if len(params) == 1 and whole.start() == 0 and whole.end() == len(seg):
                node = node.params.setdefault(whole.group(2) or "str", _Node())
                continue
            head = seg[: params[0].start()]
            entries = node.mixed.setdefault(head, {})
            if seg not in entries:
                entries[seg] = (template_regex(seg) or _NEVER, _Node())
            node = entries[seg][1]
        node.ends.append(index)

    def find(self, path: str, accept: Callable[[int], bool], before: int | None) -> int | None:
        """The first template (lowest index, below ``before``) matching ``path`` and accepted."""
        segments = path.split("/")
        best = before
        stack = [(self.root, 0)]
        while stack:
            node, k = stack.pop()
            if node.tails:
                rest = "/".join(segments[k:])
                for index, regex in node.tails:
                    if best is not None and index >= best:
                        break
                    if regex.match(rest) and accept(index):
                        best = index
                        break
            if k == len(segments):
                for index in node.ends:
                    if best is not None and index >= best:
                        break
                    if accept(index):
                        best = index
                        break
                continue
            seg = segments[k]
            child = node.literal.get(seg)
            if child is not None:
                stack.append((child, k + 1))
            for convertor, child in node.params.items():
                regex = CONVERTORS.get(convertor)
                if regex is not None and regex.fullmatch(seg):
                    stack.append((child, k + 1))
            if node.mixed:
                for cut in range(len(seg) + 1):
                    entries = node.mixed.get(seg[:cut])
                    if entries:
                        for regex, child in entries.values():
                            if regex.match(seg):
                                stack.append((child, k + 1))
        return best if best != before else None


def _emit_order(run: _Run, later: Route, earlier: Route, code: str) -> None:
    if later.path_span is None:
        return
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
