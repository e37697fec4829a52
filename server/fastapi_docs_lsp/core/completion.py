"""FastAPI-aware completion: what to offer at a cursor, with details and documentation.

Contexts (anything else gets ``None``, quickly, so the generic Python server beside us keeps
the list to itself):

- keyword arguments of FastAPI/Starlette callables (``@app.get("/x", |``, ``Query(|``,
  ``HTTPException(|``, ``app.add_middleware(CORSMiddleware, |``...), minus those already given;
- values: ``status_code=`` (status constants ordered for the method), ``response_class=``,
  ``media_type=``;
- ``status.`` (any alias of ``fastapi.status``/``starlette.status``), ``fastapi.``/``fastapi.<sub>.``,
  members of FastAPI instances (``app.``, ``router.``, ``request.``);
- ``from fastapi import |``, ``from fastapi.<sub> import |``, ``import fastapi.|``;
- path parameters in the signature of a path operation function;
- dependencies inside ``Depends(|`` / ``Security(|``.

The code around the cursor is read as text (``completion_scan``) because it is usually
half-typed; names are resolved with the bindings of the error-tolerant analysis, which may be
from a slightly older version of the document (``Snapshot``). Pure Python, no pygls.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from collections.abc import Callable

from . import status_codes
from .analysis import ModuleAnalysis, Occurrence, Ref, _attr_value, absolute_import, innermost_scope, lookup, member_ref
from .apidb import ApiDB, ApiObject, ParamInfo
from .completion_defs import DefInfo, ModuleDefs, chunk_starts, import_line, module_defs, statement_start
from .completion_scan import Frame, LineMap, TextContext, scan, scan_forward
from .render import HoverOptions, _links_for, render_hover

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
# documentation (rendered like hover, cached)

_DOCS_CACHE: OrderedDict[tuple, str | None] = OrderedDict()
_DOCS_OWNER: list[Any] = [None, None]
_DOCS_LOCK = threading.Lock()


def documentation(data: dict[str, Any] | None, db: ApiDB | None, docs: Any, markdown: bool = True, max_links: int = 2) -> str | None:
    """The documentation of a completion item from its ``data`` (what resolve computes)."""
    if not isinstance(data, dict):
        return None
    kind, target, param = data.get("k"), data.get("t"), data.get("p")
    if kind not in ("keyword", "status", "name", "member", "module") or not isinstance(target, str):
        return None
    key = (kind, target, param, markdown, max_links)
    with _DOCS_LOCK:
        if _DOCS_OWNER[0] is not db or _DOCS_OWNER[1] is not docs:
            _DOCS_CACHE.clear()
            _DOCS_OWNER[0], _DOCS_OWNER[1] = db, docs
        if key in _DOCS_CACHE:
            _DOCS_CACHE.move_to_end(key)
            return _DOCS_CACHE[key]
    occ = Occurrence(0, 0, 0, target, kind, param=param if isinstance(param, str) else None)
    try:
        # no header: the item's label and detail already say what it is and its type/default
        text = render_hover(occ, db, docs, HoverOptions(markdown=markdown, max_links=max_links, excerpt=False, header=False))
    except Exception:  # documentation must never break completion
        text = None
    with _DOCS_LOCK:
        if _DOCS_OWNER[0] is db and _DOCS_OWNER[1] is docs:
            _DOCS_CACHE[key] = text
            while len(_DOCS_CACHE) > 4096:
                _DOCS_CACHE.popitem(last=False)
    return text


#: callables whose keyword lists are opened most; their documentation is rendered ahead
_COMMON_CALLABLES = (
    "fastapi.FastAPI", "fastapi.APIRouter", "fastapi.FastAPI.get", "fastapi.FastAPI.post", "fastapi.FastAPI.put",
    "fastapi.FastAPI.delete", "fastapi.FastAPI.patch", "fastapi.APIRouter.get", "fastapi.APIRouter.post",
    "fastapi.APIRouter.put", "fastapi.APIRouter.delete", "fastapi.APIRouter.patch", "fastapi.FastAPI.include_router",
    "fastapi.APIRouter.include_router", "fastapi.Query", "fastapi.Path", "fastapi.Body", "fastapi.Header",
    "fastapi.Cookie", "fastapi.Form", "fastapi.File", "fastapi.Depends", "fastapi.Security", "fastapi.HTTPException",
)


def warm_documentation(db: ApiDB | None, docs: Any, markdown: bool = True, max_links: int = 2) -> int:
    """Render ahead the documentation of the lists clients open most (for clients without resolve)."""
    if db is None:
        return 0
    count = 0
    status = db.get(_STATUS_MODULE)
    for name in (status.members if status is not None else ()):
        if name.startswith(("HTTP_", "WS_")):
            documentation({"k": "status", "t": f"{_STATUS_MODULE}.{name}"}, db, docs, markdown, max_links)
            count += 1
    for path in _COMMON_CALLABLES:
        obj = db.get(path)
        if obj is None:
            continue
        for p in obj.params:
            if p.name not in ("self", "cls") and not p.kind.startswith("variadic"):
                documentation({"k": "keyword", "t": obj.path, "p": p.name}, db, docs, markdown, max_links)
                count += 1
    return count


def _with_docs(item: Item, db: ApiDB | None, docs: Any, options: CompletionOptions) -> Item:
    if item.data is not None and not options.defer_documentation:
        item.documentation = documentation(item.data, db, docs, options.markdown, options.max_links)
    return item


def _links_line(symbols: list[str], docs: Any, markdown: bool) -> str:
    if docs is None:
        return ""
    try:
        links = _links_for(symbols, [], docs, 1)
    except Exception:
        return ""
    if not links:
        return ""
    link = links[0]
    return f"**Docs:** [{link.title}]({link.url})" if markdown else f"Docs: {link.title}: {link.url}"


def _code(text: str, markdown: bool) -> str:
    return f"```python\n{text}\n```" if markdown else text


# --------------------------------------------------------------------------------------
# entry point


def complete(
    snapshot: Snapshot,
    line: int,
    col: int,
    db: ApiDB | None,
    docs: Any = None,
    options: CompletionOptions = CompletionOptions(),
    *,
    module_name: str | None = None,
    workspace: Workspace | None = None,
) -> Completion | None:
    """Completion at (``line``, ``col``) (0-based, code points); None outside FastAPI contexts."""
    lines = snapshot.lines
    if db is None or not 0 <= line < len(lines):
        return None
    text = lines[line]
    col = max(0, min(col, len(text)))
    prefix = text[:col]
    req = _Request(snapshot, line, col, db, docs, options, module_name, workspace)

    found = req.import_statement(prefix)
    if found is not False:
        return found  # type: ignore[return-value]
    ctx = scan(lines, _safe_start(snapshot, line), line, col)
    if ctx.in_comment:
        return None
    if ctx.in_string:
        return req.string_value(ctx)
    m = _ATTRIBUTE.search(prefix)
    if m:
        return req.attribute(re.sub(r"\s+", "", m.group(1)), ctx)
    top = ctx.top
    if top is None or top.char != "(":
        return None
    if top.def_name is not None:
        return req.path_parameters(top)
    if top.import_module is not None:
        return req.import_names(top.import_module, {n for n in top.param_names()}, paren=True)
    if top.callee is not None:
        return req.call(top, ctx)
    return None


class _Request:
    def __init__(self, snapshot, line, col, db, docs, options, module_name, workspace) -> None:
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

    # ---- imports ------------------------------------------------------------------

    def import_statement(self, prefix: str) -> Completion | None | bool:
        """``from fastapi import |`` and friends on one line; False when the line is no import."""
        m = _FROM_IMPORT.match(prefix)
        if m:
            given = {part.split()[0] for part in m.group(3).split(",") if part.strip()}
            return self.import_names(m.group(1), given, paren=bool(m.group(2)))
        m = _FROM_MODULE.match(prefix) or _IMPORT_MODULE.match(prefix)
        if m:
            return self.submodules(m.group(1).rstrip("."))
        if re.match(r"^\s*(?:from|import)\s", prefix):
            return None
        return False

    def import_names(self, module: str, given: set[str], paren: bool = False) -> Completion | None:
        if module.split(".", 1)[0] not in ("fastapi", "starlette"):
            return None
        forward = scan_forward(self.snapshot.lines, self.line, self.col)[1] if paren else set()
        items = [it for it in self.module_items(module, for_import=True) if it.label not in given and it.label not in forward]
        return self.result("import", items)

    def submodules(self, parent: str) -> Completion | None:
        if parent.split(".", 1)[0] not in ("fastapi", "starlette"):
            return None
        items = [it for it in self.module_items(parent, for_import=True) if it.kind == "module"]
        return self.result("submodule", items)

    def module_items(self, module: str, for_import: bool = False) -> list[Item]:
        db = self.db
        mod = db.get(module)
        if mod is None or mod.kind != "module":
            return []
        items = []
        for name, target, obj in _module_members(db, mod, module):
            kind = _item_kind(obj)
            group = {"class": 0, "function": 0, "attribute": 1, "module": 3}.get(obj.kind, 2)
            item = Item(
                label=name,
                kind=kind,
                detail=_short_detail(obj),
                insert=name,
                filter=name,
                sort=f"{group}{name.lower()}",
                deprecated=bool(obj.deprecated),
                data={"k": "module" if obj.kind == "module" else "name", "t": f"{module}.{name}"},
            )
            items.append(_with_docs(item, db, self.docs, self.options))
        return items

    # ---- name. ------------------------------------------------------------------------

    def attribute(self, dotted: str, ctx: TextContext) -> Completion | None:
        db = self.db
        ref = self.snapshot.resolve(dotted, self.line, db)
        if ref is None:
            return None
        if ref.kind == "attr":
            ref = _attr_value(ref, db)
        if ref.kind == "obj":
            obj = db.get(ref.path)
            if obj is None or obj.kind != "module":
                return None
            if obj.path == _STATUS_MODULE:
                hint, websocket = "", False
                top = ctx.top
                if top is not None and top.callee is not None:
                    m = re.match(r"^\s*(status_code|code)\s*=", _clean(top.current))
                    if m:
                        hint, websocket = self.status_hint(top, m.group(1))
                return self.result("status", self.status_items(hint, websocket))
            return self.result("module", self.module_items(ref.path))
        if ref.kind == "inst" and ref.path.split(".", 1)[0] in ("fastapi", "starlette"):
            return self.result("member", self.member_items(ref.path))
        return None

    def member_items(self, cls: str) -> list[Item]:
        db = self.db
        obj = db.get(cls)
        if obj is None:
            return []
        items = []
        routing = "add_api_route" in obj.members or "add_route" in obj.members  # an app or a router
        for name, target in obj.members.items():
            if name.startswith("_"):
                continue
            member = db.get(target)
            if member is None:
                continue
            # HTTP method decorators first (get, post, ... in the order people use them),
            # then the other methods, then attributes
            if routing and name in ROUTE_METHODS:
                sort = f"0{ROUTE_METHODS.index(name):02d}"
            else:
                sort = f"{1 if member.kind in ('method', 'function') else 2}{name.lower()}"
            item = Item(
                label=name,
                kind=_item_kind(member),
                detail=_short_detail(member),
                insert=name,
                filter=name,
                sort=sort,
                deprecated=bool(member.deprecated),
                data={"k": "member", "t": f"{cls}.{name}"},
            )
            items.append(_with_docs(item, db, self.docs, self.options))
        return items

    # ---- status codes -----------------------------------------------------------------

    def status_names(self) -> list[str]:
        mod = self.db.get(_STATUS_MODULE)
        names = [n for n in (mod.members if mod is not None else {}) if n.startswith(("HTTP_", "WS_"))]
        return names or status_codes.all_names()

    def status_items(self, hint: str = "", websocket: bool = False, value_prefix: str = "", import_edit: Edit | None = None) -> list[Item]:
        preferred = _PREFERRED.get(hint, ()) if not websocket else (1000, 1008, 1011, 1001)
        items = []
        for name in self.status_names():
            status = status_codes.describe(name)
            if status is None:
                continue
            if value_prefix and status.websocket != websocket:
                continue
            if status.code in preferred:
                sort = f"0{preferred.index(status.code):02d}"
            else:
                sort = f"{'2' if status.websocket else '1'}{status.code:04d}"
            label = value_prefix + name
            item = Item(
                label=label,
                kind="status",
                detail=f"{status.code} {status.phrase}",
                insert=label,
                filter=label,
                sort=sort,
                description=None,  # the label and the detail say the code and phrase already
                preselect=bool(value_prefix) and bool(preferred) and status.code == preferred[0],
                data={"k": "status", "t": f"{_STATUS_MODULE}.{name}"},
                edits=[import_edit] if import_edit else [],
            )
            items.append(_with_docs(item, self.db, self.docs, self.options))
        return items

    def status_hint(self, top: Frame, keyword: str) -> tuple[str, bool]:
        """(method hint, websocket?) for a ``status_code=``/``code=`` value in the call of ``top``."""
        callee = top.callee or ""
        ref = self.snapshot.resolve(callee, top.line, self.db) if callee else None
        path = ""
        if ref is not None and ref.kind in ("obj", "subclass"):
            obj = self.db.get(ref.path)
            path = obj.path if obj is not None else ref.path
        name = path.rsplit(".", 1)[-1] if path else callee.rsplit(".", 1)[-1]
        websocket = keyword == "code" and ("WebSocket" in path or name == "close")
        if name in _PREFERRED and name not in ("exception", "redirect", "response", ""):
            return name, websocket
        if name.endswith("Exception"):
            return "exception", websocket
        if name == "RedirectResponse":
            return "redirect", websocket
        if name.endswith("Response"):
            return "response", websocket
        return "", websocket

    # ---- strings ------------------------------------------------------------------------

    def string_value(self, ctx: TextContext) -> Completion | None:
        """``media_type="|"``: the common media types, replacing the string's content."""
        if ctx.string_line != self.line or len(ctx.string_quote) != 1:
            return None
        before = self.text[: ctx.string_col]
        m = _STRING_VALUE.search(before)
        if not m or m.group(1) != "media_type":
            return None
        top = ctx.top
        if top is None or top.callee is None or self.snapshot.resolve(top.callee, top.line, self.db) is None:
            return None
        start = ctx.string_col + 1  # just after the opening quote
        content_end = self.text.find(ctx.string_quote, self.col)
        replace_end = content_end if content_end >= 0 else len(self.text)
        return self.result("media_type", self.media_items(quote=""), start=start, replace_end=replace_end)

    def media_items(self, quote: str = '"') -> list[Item]:
        items = []
        for i, (media, what) in enumerate(MEDIA_TYPES):
            label = f"{quote}{media}{quote}"
            items.append(
                Item(
                    label=label,
                    kind="value",
                    detail=what,
                    insert=label,
                    filter=label,
                    sort=f"0{i:02d}",
                )
            )
        return items

    # ---- calls ------------------------------------------------------------------------

    def callable_of(self, top: Frame) -> tuple[ApiObject, int, set[str]] | None:
        """(the callable whose parameters apply, positional args already given, params to skip)."""
        db = self.db
        ref = self.snapshot.resolve(top.callee or "", top.line, db)
        if ref is None or ref.kind not in ("obj", "subclass"):
            return None
        obj = db.get(ref.path)
        if obj is None or obj.kind not in ("function", "method", "class"):
            return None
        positional = top.positional_count()
        skip: set[str] = set()
        if obj.path in _FORWARDING:
            if positional < 1 or not top.args:
                return obj, positional, skip  # still naming the middleware class
            first = _clean(top.args[0]).strip()
            if not re.fullmatch(r"[A-Za-z_][\w.]*", first):
                return None
            target = self.snapshot.resolve(first, top.line, db)
            if target is None or target.kind not in ("obj", "subclass"):
                return None
            cls = db.get(target.path)
            if cls is None or cls.kind != "class":
                return None
            return cls, positional - 1, {"app"}
        return obj, positional, skip

    def call(self, top: Frame, ctx: TextContext) -> Completion | None:
        current = _clean(top.current)
        m = _VALUE_POSITION.match(current)
        if m:
            return self.keyword_value(top, m.group(1), m.group(2))
        m = _NAME_POSITION.match(current)
        if not m:
            return None
        found = self.callable_of(top)
        if found is None:
            return None
        obj, positional, skip = found
        items: list[Item] = []
        depends = obj.path in _DEPENDS
        if depends and positional == 0:
            items.extend(self.dependency_items(ctx))
            skip = skip | {"dependency"}
        given = top.keywords() | scan_forward(self.snapshot.lines, self.line, self.col)[0]
        items.extend(self.keyword_items(obj, positional, given | skip, sort_group=5 if depends else 0))
        return self.result("dependency" if depends and positional == 0 else "keyword", items)

    def keyword_items(self, obj: ApiObject, positional: int, skip: set[str], sort_group: int = 0) -> list[Item]:
        params = list(obj.params)
        if params and params[0].name in ("self", "cls") and obj.kind in ("method", "class"):
            params = params[1:]
        has_equals = self.text[self.word_end : self.word_end + 1] == "=" or self.text[self.word_end :].lstrip().startswith("=")
        items = []
        filled = 0
        for index, p in enumerate(params):
            if p.kind in ("positional-only", "variadic positional", "variadic keyword"):
                continue
            if p.kind == "positional or keyword" and filled < positional:
                filled += 1
                continue
            if p.name in skip or p.name.startswith("_"):
                continue
            deprecated = bool(p.deprecated)
            insert = p.name if has_equals else f"{p.name}="
            item = Item(
                label=f"{p.name}=",
                kind="keyword",
                detail=_param_detail(p),
                insert=insert,
                snippet=None if has_equals else f"{p.name}=${{1}}",
                filter=p.name,
                sort=f"{9 if deprecated else sort_group}{index:03d}",
                deprecated=deprecated,
                description=_short(p.annotation, 40) or None,
                data={"k": "keyword", "t": obj.path, "p": p.name},
            )
            items.append(_with_docs(item, self.db, self.docs, self.options))
        return items

    def keyword_value(self, top: Frame, keyword: str, typed: str) -> Completion | None:
        start = self.col - len(typed)
        if keyword in ("status_code", "code"):
            found = self.callable_of(top)
            if found is None or found[0].param(keyword) is None:
                return None
            hint, websocket = self.status_hint(top, keyword)
            prefix, edit = self.qualified_status()
            return self.result("status_code", self.status_items(hint, websocket, value_prefix=prefix, import_edit=edit), start=start)
        if keyword in _RESPONSE_KEYWORDS:
            found = self.callable_of(top)
            if found is None or found[0].param(keyword) is None:
                return None
            return self.result("response_class", self.response_class_items(), start=start)
        if keyword == "media_type":
            found = self.callable_of(top)
            if found is None or found[0].param(keyword) is None:
                return None
            return self.result("media_type", self.media_items(), start=start)
        return None

    # ---- qualified names and imports --------------------------------------------------

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

    def qualified_status(self) -> tuple[str, Edit | None]:
        """How to write ``status.X`` here: the name ``fastapi.status`` is bound to, or an import."""
        analysis = self.snapshot.analysis
        if analysis is not None:
            for name, entries in analysis.module_scope.bindings.items():
                ref = entries[-1][1]
                if ref is not None and ref.kind == "obj":
                    obj = self.db.get(ref.path)
                    if obj is not None and obj.path == _STATUS_MODULE:
                        return f"{name}.", None
            for name in ("fastapi", "starlette"):
                bound, ref = self.snapshot.bound(name, self.line, self.db)
                if ref is not None and ref.kind == "obj" and ref.path == name:
                    return f"{name}.status.", None
        bound, _ = self.snapshot.bound("status", self.line, self.db)
        if bound:
            return "fastapi.status.", self.import_edit("import fastapi")
        return "status.", self.merge_import("fastapi", "status") or self.import_edit("from fastapi import status")

    def merge_import(self, module: str, name: str) -> Edit | None:
        """An edit adding ``name`` to an existing top-level ``from module import ...``, or None."""
        analysis = self.snapshot.analysis
        if analysis is None:
            return None
        lines = self.snapshot.lines
        for imported_from, _name, _asname, old_line in _defs(analysis).imports:
            if imported_from != module:
                continue
            line = self.snapshot.new(old_line)
            if line is None or not 0 <= line < len(lines) or line == self.line:
                continue
            text = lines[line]
            if not re.match(rf"^from\s+{re.escape(module)}\s+import\s", text):
                continue  # only a top-level import (never one inside a function or `if`)
            return _merge_into(lines, line, name)
        return None

    def response_class_items(self) -> list[Item]:
        db = self.db
        mod = db.get("fastapi.responses")
        classes: list[tuple[str, ApiObject]] = []
        if mod is not None:
            for name, target, obj in _module_members(db, mod, "fastapi.responses"):
                if obj.kind == "class" and _is_response(db, obj):
                    classes.append((name, obj))
        bound_names: dict[str, str] = {}
        analysis = self.snapshot.analysis
        user: list[tuple[str, str]] = []
        if analysis is not None:
            for name, entries in analysis.module_scope.bindings.items():
                ref = entries[-1][1]
                if ref is None:
                    continue
                if ref.kind == "obj":
                    obj = db.get(ref.path)
                    if obj is not None and obj.kind == "class":
                        bound_names.setdefault(obj.path, name)
                elif ref.kind == "subclass":
                    base = db.get(ref.path)
                    if base is not None and _is_response(db, base):
                        user.append((name, base.public))
        items = []
        for i, (name, base_public) in enumerate(sorted(user)):
            items.append(Item(label=name, kind="class", detail=f"class {name}({base_public.rsplit('.', 1)[-1]})", insert=name, filter=name, sort=f"0{i:03d}"))
        for i, (name, obj) in enumerate(sorted(classes, key=lambda c: (c[0] != "JSONResponse", c[0]))):
            local = bound_names.get(obj.path)
            edits = []
            if local is None:
                edit = self.import_edit(f"from fastapi.responses import {name}")
                if edit is not None:
                    edits.append(edit)
                local = name
            item = Item(
                label=local,
                kind="class",
                detail=_short_detail(obj),
                insert=local,
                filter=local,
                sort=f"{0 if local != name or not edits else 1}{i:03d}",
                deprecated=bool(obj.deprecated),
                data={"k": "name", "t": f"fastapi.responses.{name}"},
                edits=edits,
            )
            items.append(_with_docs(item, db, self.docs, self.options))
        return items

    # ---- path parameters --------------------------------------------------------------

    def path_parameters(self, top: Frame) -> Completion | None:
        current = _clean(top.current)
        if not _NAME_POSITION.match(current):
            return None
        templates = self.route_templates(top.line)
        if not templates:
            return None
        declared = top.param_names() | scan_forward(self.snapshot.lines, self.line, self.col)[1]
        typed = _WORD_BEFORE.search(current).group()  # type: ignore[union-attr]
        declared.discard(typed)
        items = []
        seen: set[str] = set()
        for path in templates:
            for m in _PATH_TEMPLATE.finditer(path):
                name, convertor = m.group(1), m.group(2) or "str"
                if name in declared or name in seen:
                    continue
                seen.add(name)
                annotation, edits = self.annotation_for(_CONVERTORS.get(convertor, "str"))
                doc_lines = [
                    f"Path parameter `{name}` of `{path}`" if self.options.markdown else f"Path parameter {name} of {path}",
                    "",
                    f"Starlette converter `{convertor}` → `{annotation}`." if m.group(2) else "No converter in the template: declare the type FastAPI should validate and convert to.",
                ]
                link = _links_line(["fastapi.Path"], self.docs, self.options.markdown)
                if link:
                    doc_lines += ["", link]
                items.append(
                    Item(
                        label=name,
                        kind="path",
                        detail=f"{name}: {annotation}  (path parameter)",
                        insert=f"{name}: {annotation}",
                        snippet=f"{name}: ${{1:{annotation}}}",
                        filter=name,
                        sort=f"0{len(items):03d}",
                        preselect=not items,
                        description=annotation,
                        documentation="\n".join(doc_lines),
                        edits=edits,
                    )
                )
        return self.result("path_parameter", items)

    def route_templates(self, def_line: int) -> list[str]:
        """Path templates of the route decorators right above the ``def`` at ``def_line``."""
        lines = self.snapshot.lines
        if not 0 <= def_line < len(lines):
            return []
        head = lines[def_line]
        indent = len(head) - len(head.lstrip())
        collected: list[str] = []
        k = def_line - 1
        while k >= 0 and def_line - k <= 60:
            t = lines[k]
            s = t.strip()
            if not s:
                break
            if len(t) - len(t.lstrip()) <= indent and not s.startswith(("@", ")", "]", "}", "#")):
                break
            collected.append(t)
            k -= 1
        if not collected:
            return []
        text = _COMMENT.sub("", "\n".join(reversed(collected)))
        out = []
        for m in _DECORATOR.finditer(text):
            dotted, path = m.group(1), m.group(3)
            if "{" not in path:
                continue
            ref = self.snapshot.resolve(dotted, k + 1, self.db)
            if ref is None or ref.kind != "obj" or ref.path.rsplit(".", 1)[-1] not in ROUTE_METHODS:
                continue
            if ref.path.split(".", 1)[0] not in ("fastapi", "starlette"):
                continue
            out.append(path)
        return out

    def annotation_for(self, type_text: str) -> tuple[str, list[Edit]]:
        if type_text != "uuid.UUID":
            return type_text, []
        analysis = self.snapshot.analysis
        if analysis is not None:
            defs = _defs(analysis)
            if any(module == "uuid" and name == "UUID" for module, name, _asname, _line in defs.imports):
                return next(asname for module, name, asname, _line in defs.imports if module == "uuid" and name == "UUID"), []
            for bound, module in defs.modules.items():
                if module == "uuid":
                    return f"{bound}.UUID", []
        edit = self.import_edit("from uuid import UUID")
        return "UUID", [edit] if edit else []

    # ---- dependencies -----------------------------------------------------------------

    def dependency_items(self, ctx: TextContext) -> list[Item]:
        analysis = self.snapshot.analysis
        if analysis is None:
            return []
        defs = _defs(analysis)
        old_line = self.snapshot.old(self.line)
        enclosing = {f.def_name for f in ctx.frames if f.def_name}
        candidates: list[tuple[DefInfo, str]] = []
        for info in defs.defs.values():
            if info.route or info.context_manager or info.name in enclosing or self.is_model(info, defs):
                continue
            if info.kind == "function" and info.line <= old_line <= info.end_line:
                continue  # the function being written
            candidates.append((info, ""))
        for module, name, asname, _line in defs.imports:
            if module.lstrip(".").split(".", 1)[0] in ("fastapi", "starlette", "typing", "typing_extensions", "pydantic"):
                continue
            info = self.imported_def(module, name)
            if info is not None and not info.route and not info.context_manager and not self.is_model(info, defs):
                candidates.append((replace(info, name=asname), module))
        if self.snapshot.map is not None:
            known = {c[0].name for c in candidates}
            for name, new_line in self.snapshot.map.new_top_defs(self.snapshot.lines):
                if name not in known and name not in enclosing and new_line != self.line:
                    candidates.append((DefInfo(name=name, kind="function", line=self.snapshot.old(new_line), end_line=self.snapshot.old(new_line)), ""))
        items = []
        candidates.sort(key=lambda c: (c[0].score() + (10 if not c[1] and c[0].line > old_line else 0), c[0].name.lower()))
        del candidates[_MAX_DEPENDENCIES:]
        md = self.options.markdown
        link = _links_line(["fastapi.Depends"], self.docs, md)
        for rank, (info, module) in enumerate(candidates):
            if info.kind == "instance":
                detail = f"{info.name}: {info.instance_of}"
                code = f"{info.name} = {info.instance_of}(...)"
            elif info.kind == "class":
                detail = f"class {info.name}{info.signature}"
                code = detail
            else:
                detail = f"def {info.name}{info.signature}"
                code = detail
            facts = []
            if info.has_yield:
                facts.append("Uses `yield`: the code after it runs once the response is sent (cleanup)." if md else "Uses yield: the code after it runs once the response is sent (cleanup).")
            if info.kind == "instance":
                facts.append(f"Instance of `{info.instance_of}`: FastAPI calls it with the request." if md else f"Instance of {info.instance_of}: FastAPI calls it with the request.")
            elif info.kind == "class":
                facts.append("A class: FastAPI calls it and passes the instance." if md else "A class: FastAPI calls it and passes the instance.")
            if module:
                where = f"Imported from `{module}`." if md else f"Imported from {module}."
            else:
                defined = self.snapshot.new(info.line)
                where = f"Defined at line {(info.line if defined is None else defined) + 1}."
            # the detail line shows the signature already, unless it had to be shortened
            doc = [_code(code, md), "", where] if len(detail) > 100 or code != detail else [where]
            if info.doc:
                doc += ["", info.doc]
            if facts:
                doc += [""] + facts
            if link:
                doc += ["", link]
            items.append(
                Item(
                    label=info.name,
                    kind={"function": "function", "class": "class", "instance": "variable"}[info.kind],
                    detail=detail if len(detail) <= 100 else detail[:97] + "...",
                    insert=info.name,
                    filter=info.name,
                    sort=f"0{rank:03d}",
                    preselect=rank == 0,
                    description=module or None,
                    documentation="\n".join(doc),
                )
            )
        return items

    def is_model(self, info: DefInfo, defs: ModuleDefs) -> bool:
        """A class deriving from a data model (pydantic, SQLModel, an ORM base), here or imported."""
        if info.kind != "class":
            return False
        for base in info.bases:
            if base in defs.models:
                return True
            for module, name, asname, _line in defs.imports:
                if asname != base:
                    continue
                if module.lstrip(".").split(".", 1)[0] in _MODEL_PACKAGES:
                    return True
                other = self.imported_defs(module)
                if other is not None and name in other.models:
                    return True
        return False

    def imported_def(self, module: str, name: str) -> DefInfo | None:
        other = self.imported_defs(module)
        return other.defs.get(name) if other is not None else None

    def imported_defs(self, module: str) -> ModuleDefs | None:
        if self.workspace is None:
            return None
        level = len(module) - len(module.lstrip("."))
        is_package = self.snapshot.analysis.is_package if self.snapshot.analysis is not None else False
        absolute = absolute_import(self.module_name, module[level:], level, is_package)
        if not absolute:
            return None
        try:
            path = self.workspace.path_for_module(absolute)
            if path is None:
                return None
            other = self.workspace.analysis_for(path)
        except Exception:
            return None
        if other is None:
            return None
        return _defs(other)


# --------------------------------------------------------------------------------------
# helpers


def _merge_into(lines: list[str], line: int, name: str) -> Edit | None:
    """The edit adding ``name`` to the import statement starting at ``line``."""
    code = _COMMENT.sub("", lines[line]).rstrip()
    if code.endswith("\\"):
        return None  # a backslash continuation: leave it alone, a new line is clearer
    if "(" not in code:
        return Edit(line, len(code), len(code), f", {name}")
    for k in range(line, min(len(lines), line + 200)):
        text = _COMMENT.sub("", lines[k]).rstrip()
        close = text.find(")")
        if close < 0:
            continue
        before = text[:close].rstrip()
        if not before.strip():  # `)` on its own line: add a line above it, like the others
            above = lines[k - 1] if k > line else ""
            indent = above[: len(above) - len(above.lstrip())] or "    "
            return Edit(k, 0, 0, f"{indent}{name},\n")
        sep = " " if before.endswith(",") or before.endswith("(") else ", "
        return Edit(k, len(before), len(before), f"{sep}{name}" if not before.endswith("(") else name)
    return None


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
