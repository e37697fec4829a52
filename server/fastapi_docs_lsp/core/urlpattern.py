"""URL patterns read statically from source, and matching them against route templates.

A ``Pattern`` is a tuple of parts: literal text (``str``) and ``Hole``s, the pieces only known at
run time (``f"/items/{item.id}"`` -> ``("/items/", Hole("item.id"))``). A hole whose expression
is a plain dotted name may later be resolved to text (a settings attribute with a literal
default, a module constant): see ``core/navigation.py``.

``match(call, route)`` compares a URL a test sends with a route's full template, segment by
segment: a literal equal to a literal scores best, a hole against a path parameter next, a
literal accepted by a parameter's convertor next, and a hole against a literal last (it may
match, but the route with a parameter there is the likelier target). A hole at the very start
(an unresolved prefix) matches any leading segments. Query strings and fragments are ignored.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_PARAM_RE = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")
#: Starlette's built-in convertors
CONVERTORS = {
    "str": re.compile(r"[^/]+"),
    "path": re.compile(r".*"),
    "int": re.compile(r"[0-9]+"),
    "float": re.compile(r"[0-9]+(?:\.[0-9]+)?"),
    "uuid": re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
}
_ANY_SEGMENT = re.compile(r"[^/]+")
#: the longest pattern (in parts) read from source; longer expressions are not URLs worth matching
MAX_PARTS = 64


@dataclass(frozen=True, slots=True)
class Hole:
    """A piece of a URL known only at run time: ``text`` as written, ``dotted`` when it is a
    plain (dotted) name that may resolve statically."""

    text: str
    dotted: str | None = None


Part = str | Hole
Pattern = tuple[Part, ...]


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        base = _dotted(node.func)  # get_settings().API_V1_STR
        return f"{base}()" if base is not None else None
    return None


def _unparse(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except (ValueError, RecursionError, AttributeError):
        return "?"


def hole(node: ast.expr) -> Hole:
    dotted = _dotted(node)
    return Hole(dotted if dotted is not None else _unparse(node), dotted)


def eval_pattern(node: ast.expr | None, depth: int = 0) -> Pattern | None:
    """The URL pattern of an expression: literals, f-strings, ``+``, ``str.format`` and names
    (as holes). None when the expression cannot be a URL (a number, a list...)."""
    if node is None or depth > 20:
        return None
    if isinstance(node, ast.Constant):
        return (node.value,) if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts: list[Part] = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif isinstance(value, ast.FormattedValue):
                parts.append(hole(value.value))
        return normalize(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = eval_pattern(node.left, depth + 1)
        right = eval_pattern(node.right, depth + 1)
        if left is None and right is None:
            return None
        return normalize([*(left or (hole(node.left),)), *(right or (hole(node.right),))])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        base = node.func.value
        if isinstance(base, ast.Constant) and isinstance(base.value, str):
            parts = []
            pos = 0
            for m in re.finditer(r"{[^{}]*}", base.value):
                parts.append(base.value[pos : m.start()])
                parts.append(Hole(m.group(0)))
                pos = m.end()
            parts.append(base.value[pos:])
            return normalize(parts)
    if isinstance(node, (ast.Name, ast.Attribute)) or (isinstance(node, ast.Call) and _dotted(node) is not None):
        return (hole(node),)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and len(node.args) == 1:
        return (hole(node.args[0]),)
    return None


def normalize(parts: list[Part] | tuple[Part, ...]) -> Pattern:
    """Adjacent literals joined, empty literals dropped, capped at ``MAX_PARTS``."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] = out[-1] + part
                continue
        out.append(part)
        if len(out) >= MAX_PARTS:
            break
    return tuple(out)


def display(pattern: Pattern) -> str:
    return "".join(p if isinstance(p, str) else "{" + p.text + "}" for p in pattern)


def strip_url(pattern: Pattern) -> Pattern:
    """The path of a URL pattern: scheme and host of an absolute URL, the query string and the
    fragment removed."""
    parts = list(pattern)
    if parts and isinstance(parts[0], str):
        m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*", parts[0])
        if m:
            parts[0] = parts[0][m.end() :] or "/"
    for i, part in enumerate(parts):
        if isinstance(part, str):
            cut = min((k for k in (part.find("?"), part.find("#")) if k >= 0), default=-1)
            if cut >= 0:
                parts = [*parts[:i], part[:cut]]
                break
    return normalize(parts)


# --------------------------------------------------------------------------------------
# segments


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    convertor: str


Token = str | Hole | Param
Segment = tuple[Token, ...]


@dataclass(frozen=True, slots=True)
class Shape:
    """A pattern split at ``/``: ``any_prefix`` when it starts with a hole (a prefix unknown
    statically, which may stand for any number of segments)."""

    segments: tuple[Segment, ...]
    any_prefix: bool
    has_path_param: bool  # a ``{x:path}`` parameter: matched by regex over the rest

    @property
    def size(self) -> int:
        return len(self.segments)


def shape(pattern: Pattern, templated: bool) -> Shape:
    """Split a pattern into segments; ``templated``: literal parts are route templates, whose
    ``{name}``/``{name:conv}`` are parameters."""
    parts = list(pattern)
    any_prefix = bool(parts) and isinstance(parts[0], Hole)
    if any_prefix:
        parts = parts[1:]
    tokens: list[Token] = []
    for part in parts:
        if isinstance(part, str) and templated:
            pos = 0
            for m in _PARAM_RE.finditer(part):
                if m.start() > pos:
                    tokens.append(part[pos : m.start()])
                tokens.append(Param(m.group(1), m.group(2) or "str"))
                pos = m.end()
            if pos < len(part):
                tokens.append(part[pos:])
        elif templated and isinstance(part, Hole):
            tokens.append(Param(part.text, "str"))  # a value unknown statically inside a template
        else:
            tokens.append(part)
    segments: list[list[Token]] = [[]]
    for token in tokens:
        if isinstance(token, str):
            pieces = token.split("/")
            for i, piece in enumerate(pieces):
                if i:
                    segments.append([])
                if piece:
                    segments[-1].append(piece)
        else:
            segments[-1].append(token)
    # a leading "/" gives an empty first segment: drop it (the trailing one, if any, is kept)
    if len(segments) > 1 and not segments[0]:
        segments = segments[1:]
    has_path = any(isinstance(t, Param) and t.convertor == "path" for seg in segments for t in seg)
    return Shape(tuple(tuple(s) for s in segments), any_prefix, has_path)


# scores of one segment
EXACT, HOLE_PARAM, LITERAL_PARAM, HOLE_LITERAL = 8, 4, 2, 1


def _regex_of(seg: Segment, hole_regex: str) -> re.Pattern[str]:
    out = []
    for t in seg:
        if isinstance(t, str):
            out.append(re.escape(t))
        elif isinstance(t, Param):
            out.append(f"(?:{CONVERTORS.get(t.convertor, _ANY_SEGMENT).pattern})")
        else:
            out.append(hole_regex)
    return re.compile("".join(out))


def segment_score(call: Segment, route: Segment) -> int | None:
    if call == route and all(isinstance(t, str) for t in call):
        return EXACT
    call_holes = any(isinstance(t, Hole) for t in call)
    route_params = any(isinstance(t, Param) for t in route)
    if not call_holes and not route_params:
        return EXACT if "".join(call) == "".join(route) else None  # type: ignore[arg-type]
    if len(route) == 1 and isinstance(route[0], Param):
        param = route[0]
        if call_holes:
            return HOLE_PARAM
        regex = CONVERTORS.get(param.convertor)
        text = "".join(call)  # type: ignore[arg-type]
        if regex is None or regex.fullmatch(text):
            return LITERAL_PARAM if text else None
        return None
    if not route_params:
        # a hole (or holes) against a literal: does the literal fit around the holes?
        text = "".join(route)  # type: ignore[arg-type]
        return HOLE_LITERAL if _regex_of(call, "[^/]+").fullmatch(text) else None
    if not call_holes:
        text = "".join(call)  # type: ignore[arg-type]
        return LITERAL_PARAM if _regex_of(route, "").fullmatch(text) else None
    # holes and parameters mixed in one segment: compare with each hole as a plain value
    sample = "".join(t if isinstance(t, str) else "1" for t in call)  # type: ignore[misc]
    return LITERAL_PARAM if _regex_of(route, "").fullmatch(sample) else None


def _segments_score(call: tuple[Segment, ...], route: tuple[Segment, ...]) -> int | None:
    total = 0
    for c, r in zip(call, route):
        s = segment_score(c, r)
        if s is None:
            return None
        total += s
    return total


def _path_score(call: Shape, route: Shape) -> int | None:
    """Routes with a ``{x:path}`` parameter: the whole URL against the template's regex."""
    regex = "/".join(_regex_of(seg, ".*").pattern for seg in route.segments)
    if route.any_prefix:
        regex = "(?:.*/)?" + regex
    sample = "/".join("".join(t if isinstance(t, str) else "1" for t in seg) for seg in call.segments)  # type: ignore[misc]
    try:
        compiled = re.compile(regex)
    except re.error:
        return None
    if compiled.fullmatch(sample) or (call.any_prefix and compiled.search(sample)):
        return LITERAL_PARAM * max(1, call.size)
    return None


def match(call: Shape, route: Shape) -> int | None:
    """How well a URL a test sends matches a route template: a score (higher is better), or
    None when it cannot reach that route."""
    if route.has_path_param:
        return _path_score(call, route)
    if not call.any_prefix and not route.any_prefix:
        if call.size == route.size:
            return _segments_score(call.segments, route.segments)
        return _trailing_slash(call, route)
    n = min(call.size, route.size)
    if call.any_prefix and not route.any_prefix and call.size > route.size:
        return None
    if route.any_prefix and not call.any_prefix and route.size > call.size:
        return None
    score = _segments_score(call.segments[call.size - n :], route.segments[route.size - n :])
    return score - 1 if score is not None else None  # an unknown prefix: a little less sure


def _trailing_slash(call: Shape, route: Shape) -> int | None:
    """``/items`` and ``/items/``: Starlette redirects one to the other (a weaker match)."""
    def strip(segs: tuple[Segment, ...]) -> tuple[Segment, ...]:
        return segs[:-1] if segs and not segs[-1] else segs

    c, r = strip(call.segments), strip(route.segments)
    if len(c) != len(r) or (c == call.segments and r == route.segments):
        return None
    score = _segments_score(c, r)
    return score - 2 if score is not None else None
