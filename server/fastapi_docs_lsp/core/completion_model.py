"""Shared pieces of completion: result shapes, the document snapshot, the request, helpers.

The contexts live in their own modules (``completion_names``: imports, ``module.``/``instance.``;
``completion_calls``: keyword arguments and their values; ``completion_values``: strings, media
types, response classes; ``completion_status``: status codes and the ``status`` import;
``completion_paths``: path parameters; ``completion_deps``: ``Depends(``), and
``completion.complete`` picks one. Pure Python, no pygls.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import status_codes
from .analysis import ModuleAnalysis, Ref, _attr_value, innermost_scope, lookup, member_ref
from .apidb import ApiDB, ApiObject, ParamInfo
from .completion_defs import ModuleDefs, chunk_starts, import_line, module_defs, statement_start
from .completion_scan import LineMap

ROUTE_METHODS = ("get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket", "route", "websocket_route")
_FORWARDING = ("starlette.applications.Starlette.add_middleware", "starlette.middleware.Middleware")
_DEPENDS = ("fastapi.param_functions.Depends", "fastapi.param_functions.Security")
_STATUS_MODULE = "starlette.status"
_RESPONSE_BASE = "starlette.responses.Response"
_RESPONSE_KEYWORDS = ("response_class", "default_response_class")
_MAX_DEPENDENCIES = 150
#: packages whose classes are data models (request/response bodies, tables), not dependencies
_MODEL_PACKAGES = ("pydantic", "sqlmodel", "sqlalchemy", "beanie", "odmantic", "ormar", "tortoise", "msgspec")

MEDIA_TYPES: tuple[tuple[str, str], ...] = (
    ("application/json", "JSON (what JSONResponse sends)"),
    ("text/html", "HTML pages (HTMLResponse)"),
    ("text/plain", "plain text (PlainTextResponse)"),
    ("text/event-stream", "server-sent events (EventSourceResponse, streaming)"),
    ("application/octet-stream", "arbitrary binary data (downloads)"),
    ("text/csv", "CSV files"),
    ("application/xml", "XML documents"),
    ("application/pdf", "PDF documents"),
    ("image/png", "PNG images"),
    ("image/jpeg", "JPEG images"),
    ("application/x-ndjson", "newline-delimited JSON (streaming records)"),
    ("application/problem+json", "RFC 9457 problem details for errors"),
    ("multipart/form-data", "forms with files (File/UploadFile)"),
    ("application/x-www-form-urlencoded", "plain HTML forms (Form)"),
)

#: codes offered first for ``status_code=``, by where the value goes
_PREFERRED: dict[str, tuple[int, ...]] = {
    "post": (201, 200, 202, 204, 303),
    "delete": (204, 200, 202),
    "get": (200, 206, 304),
    "put": (200, 204, 201, 202),
    "patch": (200, 204, 202),
    "head": (200, 204),
    "options": (200, 204),
    "trace": (200,),
    "exception": (400, 401, 403, 404, 409, 422, 429, 500, 503),
    "redirect": (307, 308, 303, 302, 301),
    "response": (200, 201, 202, 204, 400, 404),
    "": (200, 201, 202, 204, 400, 401, 403, 404, 422, 500),
}

_WORD_BEFORE = re.compile(r"\w*$")
_WORD_AFTER = re.compile(r"\w*")
_ATTRIBUTE = re.compile(r"(?<![\w.)\]}'\"])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*\.\s*(\w*)$")
_FROM_IMPORT = re.compile(r"^\s*from\s+([A-Za-z_][\w.]*)\s+import\s+(\(?)\s*((?:[A-Za-z_]\w*(?:\s+as\s+\w+)?\s*,\s*)*)(\w*)$")
_FROM_MODULE = re.compile(r"^\s*from\s+((?:[A-Za-z_]\w*\.)+)(\w*)$")
_IMPORT_MODULE = re.compile(r"^\s*import\s+(?:[\w.]+(?:\s+as\s+\w+)?\s*,\s*)*((?:[A-Za-z_]\w*\.)+)(\w*)$")
_NAME_POSITION = re.compile(r"^\s*(\w*)$")
_VALUE_POSITION = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*([\w.]*)$")
_STRING_VALUE = re.compile(r"([A-Za-z_]\w*)\s*=\s*[rRbBuUfF]{0,2}$")
_PATH_TEMPLATE = re.compile(r"\{([A-Za-z_]\w*)(?::(\w+))?\}")
_DECORATOR = re.compile(r"@\s*([A-Za-z_][\w.]*)\s*\(\s*(?:path\s*=\s*)?[rRbBuU]?(['\"])(.*?)\2", re.S)
_COMMENT = re.compile(r"#[^\n]*")
_CONVERTORS = {"int": "int", "float": "float", "str": "str", "path": "str", "uuid": "uuid.UUID"}


# --------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, slots=True)
class CompletionOptions:
    snippets: bool = False
    markdown: bool = True
    #: leave documentation to completionItem/resolve (clients that resolve it)
    defer_documentation: bool = False
    max_links: int = 2


@dataclass(slots=True)
class Edit:
    """An additional edit (an import), in current-text lines and code-point columns."""

    line: int
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Item:
    label: str
    kind: str  # keyword | status | module | class | function | method | property | attribute | value | variable | path
    detail: str = ""
    insert: str = ""
    snippet: str | None = None
    filter: str | None = None
    sort: str = ""
    deprecated: bool = False
    preselect: bool = False
    documentation: str | None = None
    data: dict[str, Any] | None = None  # what completionItem/resolve needs to render the documentation
    description: str | None = None  # short text for labelDetails
    edits: list[Edit] = field(default_factory=list)


@dataclass(slots=True)
class Completion:
    context: str  # which context produced the items (tests, logs)
    items: list[Item]
    line: int
    start: int  # replaced range: [start, end) is typed text, [start, replace_end) the whole word
    end: int
    replace_end: int


class Workspace(Protocol):
    def path_for_module(self, module: str) -> str | None: ...

    def analysis_for(self, path: str) -> ModuleAnalysis | None: ...


# --------------------------------------------------------------------------------------
# the document as completion sees it


class Snapshot:
    """The current lines plus an analysis, possibly of an older version of the same document.

    Bindings of an older analysis are good enough while the user types inside a statement;
    when the changed lines (re)bind a name completion needs, ``refresh`` gives a fresh one.
    """

    def __init__(
        self,
        lines: list[str],
        analysis: ModuleAnalysis | None = None,
        line_map: LineMap | None = None,
        refresh: Callable[[], ModuleAnalysis | None] | None = None,
    ) -> None:
        self.lines = lines
        self._analysis = analysis
        self.map = line_map if line_map is not None and not line_map.identity else None
        self._refresh = refresh
        self._dirty: set[str] | None | bool = False  # False: not computed yet

    @classmethod
    def of(cls, analysis: ModuleAnalysis) -> Snapshot:
        return cls(analysis.lines, analysis)

    @property
    def stale(self) -> bool:
        return self.map is not None

    @property
    def analysis(self) -> ModuleAnalysis | None:
        if self._analysis is None and self._refresh is not None:
            self.refresh()
        return self._analysis

    def refresh(self) -> None:
        if self._refresh is None:
            return
        fresh = self._refresh()
        self._refresh = None
        if fresh is not None:
            self._analysis = fresh
            self.map = None

    def needs(self, name: str) -> None:
        """Make sure the binding of ``name`` is current (refresh when the edit may have changed it)."""
        if self.map is None or self._refresh is None:
            return
        if self._dirty is False:
            self._dirty = self.map.dirty_names(self.lines)
        if self._dirty is None or name in self._dirty:  # type: ignore[operator]
            self.refresh()

    def old(self, line: int) -> int:
        return self.map.to_old(line) if self.map is not None else line

    def new(self, line: int) -> int | None:
        return self.map.to_new(line) if self.map is not None else line

    def resolve(self, dotted: str, line: int, db: ApiDB | None) -> Ref | None:
        """``app.get`` / ``request.url`` as seen at ``line`` (attribute values chained)."""
        parts = [p.strip() for p in dotted.split(".")]
        if not parts or not all(p.isidentifier() for p in parts):
            return None
        self.needs(parts[0])
        analysis = self.analysis
        if analysis is None:
            return None
        old = self.old(line)
        ref = lookup(innermost_scope(analysis.module_scope, old), parts[0], old, analysis.star_imports, db)
        for part in parts[1:]:
            if ref is None:
                return None
            ref = member_ref(_attr_value(ref, db), part, db)
        return ref

    def bound(self, name: str, line: int, db: ApiDB | None) -> tuple[bool, Ref | None]:
        """Whether ``name`` is bound at ``line`` (to anything), and to which FastAPI value."""
        self.needs(name)
        analysis = self.analysis
        if analysis is None:
            return False, None
        old = self.old(line)
        scope = innermost_scope(analysis.module_scope, old)
        first = True
        while scope is not None:
            if (scope.kind != "class" or first) and name in scope.bindings:
                return True, lookup(scope, name, old, analysis.star_imports, db)
            first = False
            scope = scope.parent
        return False, None


# --------------------------------------------------------------------------------------
# per-analysis data, computed once

_DERIVED: OrderedDict[int, tuple[ModuleAnalysis, dict[str, Any]]] = OrderedDict()


def _derived(analysis: ModuleAnalysis) -> dict[str, Any]:
    key = id(analysis)
    hit = _DERIVED.get(key)
    if hit is not None and hit[0] is analysis:
        _DERIVED.move_to_end(key)
        return hit[1]
    data: dict[str, Any] = {"starts": chunk_starts(analysis)}
    _DERIVED[key] = (analysis, data)
    while len(_DERIVED) > 64:
        _DERIVED.popitem(last=False)
    return data


def _defs(analysis: ModuleAnalysis) -> ModuleDefs:
    data = _derived(analysis)
    if "defs" not in data:
        data["defs"] = module_defs(analysis)
    return data["defs"]


def _safe_start(snapshot: Snapshot, line: int) -> int:
    """A line at or before ``line`` where a statement starts, in current-text lines."""
    analysis = snapshot.analysis
    if analysis is None:
        return max(0, line - 50)
    starts = _derived(analysis)["starts"]
    lm = snapshot.map
    if lm is None:
        return statement_start(analysis, starts, line)
    target = snapshot.old(line)
    changed_old_end = lm.old_count - lm.suffix
    for _ in range(2):
        if lm.prefix <= target < changed_old_end:
            target = lm.prefix - 1  # only unchanged lines mark trustworthy starts
        if target < 0:
            return 0
        found = statement_start(analysis, starts, target)
        mapped = lm.to_new(found)
        if mapped is not None:
            return min(mapped, line)
        target = lm.prefix - 1
    return 0


# --------------------------------------------------------------------------------------
# the request


class Request:
    """One completion request: the document, the cursor and what completion reads (shared by
    the per-context modules ``completion_names``, ``_calls``, ``_values``, ``_status``,
    ``_paths`` and ``_deps``)."""

    def __init__(
        self,
        snapshot: Snapshot,
        line: int,
        col: int,
        db: ApiDB,
        docs: Any,
        options: CompletionOptions,
        module_name: str | None,
        workspace: Workspace | None,
    ) -> None:
        self.snapshot: Snapshot = snapshot
        self.line: int = line
        self.col: int = col
        self.db: ApiDB = db
        self.docs = docs
        self.options: CompletionOptions = options
        self.module_name = module_name
        self.workspace = workspace
        text = snapshot.lines[line]
        self.text = text
        self.word_start = col - len(_WORD_BEFORE.search(text[:col]).group())  # type: ignore[union-attr]
        self.word_end = col + len(_WORD_AFTER.match(text, col).group())  # type: ignore[union-attr]

    def result(self, context: str, items: list[Item], start: int | None = None, replace_end: int | None = None) -> Completion | None:
        if not items:
            return None
        return Completion(
            context=context,
            items=items,
            line=self.line,
            start=self.word_start if start is None else start,
            end=self.col,
            replace_end=self.word_end if replace_end is None else replace_end,
        )


    def import_edit(self, text: str) -> Edit | None:
        analysis = self.snapshot.analysis
        if analysis is None:
            return None
        data = _derived(analysis)
        if "import_line" not in data:
            data["import_line"] = import_line(analysis)
        line = self.snapshot.new(data["import_line"])
        if line is None:
            return None
        return Edit(line, 0, 0, text + "\n")



def _clean(text: str) -> str:
    return _COMMENT.sub("", text) if "#" in text else text


def _short(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean_default(default: str | None) -> str | None:
    if default is None:
        return None
    m = re.fullmatch(r"Default\((.*)\)", default)
    if m:
        default = m.group(1)
    if default in ("_Unset", "Undefined", "PydanticUndefined", "..."):
        return None
    return default


def _param_detail(p: ParamInfo) -> str:
    text = _short(p.annotation, 60) if p.annotation else ""
    default = _clean_default(p.default)
    if default is not None:
        text = f"{text} = {default}" if text else f"= {default}"
    if p.deprecated:
        text = f"(deprecated) {text}".strip()
    return text


def _item_kind(obj: ApiObject) -> str:
    if obj.kind == "attribute" and obj.path.startswith(_STATUS_MODULE + "."):
        return "status"
    return {"module": "module", "class": "class", "function": "function", "method": "method", "property": "property"}.get(obj.kind, "attribute")


def _short_detail(obj: ApiObject) -> str:
    if obj.kind == "attribute" and obj.path.startswith(_STATUS_MODULE + "."):
        status = status_codes.describe(obj.path.rsplit(".", 1)[-1])
        if status is not None:
            return f"{status.code} {status.phrase}"
    if obj.summary:
        return _short(obj.summary.replace("*", "").replace("`", ""), 90)
    if obj.kind == "module":
        return f"module {obj.public}"
    if obj.kind in ("class", "function", "method"):
        return _compact_signature(obj)
    if obj.signature:
        return _short(obj.signature, 90)
    return obj.kind


def _compact_signature(obj: ApiObject, limit: int = 5) -> str:
    """``Body(default, *, embed, media_type, …)``: names only, the types are in the documentation."""
    params = [p for p in obj.params if p.name not in ("self", "cls")]
    parts: list[str] = []
    star = False
    for p in params[:limit]:
        if p.kind == "keyword-only" and not star:
            parts.append("*")
            star = True
        prefix = "*" if p.kind == "variadic positional" else ("**" if p.kind == "variadic keyword" else "")
        if prefix == "*":
            star = True
        parts.append(prefix + p.name)
    if len(params) > limit:
        parts.append("…")
    name = obj.public.rsplit(".", 1)[-1]
    return f"{'class ' if obj.kind == 'class' else ''}{name}({', '.join(parts)})"


def _is_response(db: ApiDB, obj: ApiObject, depth: int = 0) -> bool:
    if obj.path == _RESPONSE_BASE:
        return True
    if depth > 6:
        return False
    for base in obj.bases:
        parent = db.get(base)
        if parent is not None and _is_response(db, parent, depth + 1):
            return True
    return False


_MEMBERS_CACHE: OrderedDict[tuple[int, str], list[tuple[str, str, ApiObject]]] = OrderedDict()


def _module_members(db: ApiDB, mod: ApiObject, module: str) -> list[tuple[str, str, ApiObject]]:
    """Public names a user imports from ``module``: its own and its deliberate re-exports."""
    key = (id(db), module)
    hit = _MEMBERS_CACHE.get(key)
    if hit is not None:
        return hit
    canonical = mod.path
    members = mod.members
    package = any(t.startswith(canonical + ".") and (o := db.get(t)) is not None and o.kind == "module" for t in members.values())
    out = []
    for name, target in members.items():
        if name.startswith("_"):
            continue
        obj = db.get(target)
        if obj is None:
            continue
        if obj.path.split(".", 1)[0] not in ("fastapi", "starlette"):
            continue
        own = obj.path.startswith(canonical + ".")
        exported = obj.public in (f"{module}.{name}", f"{canonical}.{name}") or obj.public.startswith((module + ".", canonical + "."))
        if not (own or exported or package):
            continue
        if obj.kind == "attribute" and not (obj.doc or obj.type or obj.value) and name.islower():
            continue  # `ujson = None` fallbacks of optional imports
        out.append((name, target, obj))
    _MEMBERS_CACHE[key] = out
    while len(_MEMBERS_CACHE) > 256:
        _MEMBERS_CACHE.popitem(last=False)
    return out
