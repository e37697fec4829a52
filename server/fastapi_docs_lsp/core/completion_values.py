"""Completion of values: ``media_type="|"`` strings, media types and ``response_class=`` classes."""

from __future__ import annotations

from .apidb import ApiObject
from .completion_docs import _with_docs
from .completion_model import (
    _STRING_VALUE,
    MEDIA_TYPES,
    Completion,
    Item,
    Request,
    _is_response,
    _module_members,
    _short_detail,
)
from .completion_scan import TextContext


def string_value(req: Request, ctx: TextContext) -> Completion | None:
    """``media_type="|"``: the common media types, replacing the string's content."""
    if ctx.string_line != req.line or len(ctx.string_quote) != 1:
        return None
    before = req.text[: ctx.string_col]
    m = _STRING_VALUE.search(before)
    if not m or m.group(1) != "media_type":
        return None
    top = ctx.top
    if top is None or top.callee is None or req.snapshot.resolve(top.callee, top.line, req.db) is None:
        return None
    start = ctx.string_col + 1  # just after the opening quote
    content_end = req.text.find(ctx.string_quote, req.col)
    replace_end = content_end if content_end >= 0 else len(req.text)
    return req.result("media_type", media_items(req, quote=""), start=start, replace_end=replace_end)


def media_items(req: Request, quote: str = '"') -> list[Item]:
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


def response_class_items(req: Request) -> list[Item]:
    db = req.db
    mod = db.get("fastapi.responses")
    classes: list[tuple[str, ApiObject]] = []
    if mod is not None:
        for name, _target, obj in _module_members(db, mod, "fastapi.responses"):
            if obj.kind == "class" and _is_response(db, obj):
                classes.append((name, obj))
    bound_names: dict[str, str] = {}
    analysis = req.snapshot.analysis
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
            edit = req.import_edit(f"from fastapi.responses import {name}")
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
        items.append(_with_docs(item, db, req.docs, req.options))
    return items

