"""Completion inside calls of FastAPI/Starlette callables: keyword arguments (minus those given)
and the values of ``status_code=``, ``response_class=``, ``media_type=``."""

from __future__ import annotations

import re

from .apidb import ApiObject
from .completion_deps import dependency_items
from .completion_docs import _with_docs
from .completion_model import (
    _DEPENDS,
    _FORWARDING,
    _NAME_POSITION,
    _RESPONSE_KEYWORDS,
    _VALUE_POSITION,
    Completion,
    Item,
    Request,
    _clean,
    _param_detail,
    _short,
)
from .completion_scan import Frame, TextContext, scan_forward
from .completion_status import qualified_status, status_hint, status_items
from .completion_values import media_items, response_class_items


def callable_of(req: Request, top: Frame) -> tuple[ApiObject, int, set[str]] | None:
    """(the callable whose parameters apply, positional args already given, params to skip)."""
    db = req.db
    ref = req.snapshot.resolve(top.callee or "", top.line, db)
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
        target = req.snapshot.resolve(first, top.line, db)
        if target is None or target.kind not in ("obj", "subclass"):
            return None
        cls = db.get(target.path)
        if cls is None or cls.kind != "class":
            return None
        return cls, positional - 1, {"app"}
    return obj, positional, skip


def call(req: Request, top: Frame, ctx: TextContext) -> Completion | None:
    current = _clean(top.current)
    m = _VALUE_POSITION.match(current)
    if m:
        return keyword_value(req, top, m.group(1), m.group(2))
    m = _NAME_POSITION.match(current)
    if not m:
        return None
    found = callable_of(req, top)
    if found is None:
        return None
    obj, positional, skip = found
    items: list[Item] = []
    depends = obj.path in _DEPENDS
    if depends and positional == 0:
        items.extend(dependency_items(req, ctx))
        skip = skip | {"dependency"}
    given = top.keywords() | scan_forward(req.snapshot.lines, req.line, req.col)[0]
    items.extend(keyword_items(req, obj, positional, given | skip, sort_group=5 if depends else 0))
    return req.result("dependency" if depends and positional == 0 else "keyword", items)


def keyword_items(req: Request, obj: ApiObject, positional: int, skip: set[str], sort_group: int = 0) -> list[Item]:
    params = list(obj.params)
    if params and params[0].name in ("self", "cls") and obj.kind in ("method", "class"):
        params = params[1:]
    has_equals = req.text[req.word_end : req.word_end + 1] == "=" or req.text[req.word_end :].lstrip().startswith("=")
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
        items.append(_with_docs(item, req.db, req.docs, req.options))
    return items


def keyword_value(req: Request, top: Frame, keyword: str, typed: str) -> Completion | None:
    start = req.col - len(typed)
    if keyword in ("status_code", "code"):
        found = callable_of(req, top)
        if found is None or found[0].param(keyword) is None:
            return None
        hint, websocket = status_hint(req, top, keyword)
        prefix, edit = qualified_status(req)
        return req.result("status_code", status_items(req, hint, websocket, value_prefix=prefix, import_edit=edit), start=start)
    if keyword in _RESPONSE_KEYWORDS:
        found = callable_of(req, top)
        if found is None or found[0].param(keyword) is None:
            return None
        return req.result("response_class", response_class_items(req), start=start)
    if keyword == "media_type":
        found = callable_of(req, top)
        if found is None or found[0].param(keyword) is None:
            return None
        return req.result("media_type", media_items(req), start=start)
    return None

