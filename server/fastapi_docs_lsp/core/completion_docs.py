"""Documentation of completion items: rendered like hover (without its header), cached,
optionally deferred to completionItem/resolve."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from .analysis import Occurrence
from .apidb import ApiDB
from .completion_model import _STATUS_MODULE, CompletionOptions, Item
from .render import HoverOptions, _links_for, render_hover

log = logging.getLogger(__name__)


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
        log.exception("completion: rendering the documentation of %s failed", target)
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
    except Exception:  # a docs-link bug must not break completion
        log.exception("completion: docs links for %s failed", symbols)
        return ""
    if not links:
        return ""
    link = links[0]
    return f"**Docs:** [{link.title}]({link.url})" if markdown else f"Docs: {link.title}: {link.url}"


def _code(text: str, markdown: bool) -> str:
    return f"```python\n{text}\n```" if markdown else text
