"""Completion of names: ``from fastapi import |``, ``import fastapi.|``, ``module.|`` and
members of FastAPI instances (``app.|``, ``router.|``, ``request.|``)."""

from __future__ import annotations

import re

from .analysis import _attr_value
from .completion_docs import _with_docs
from .completion_model import (
    _FROM_IMPORT,
    _FROM_MODULE,
    _IMPORT_MODULE,
    _STATUS_MODULE,
    ROUTE_METHODS,
    Completion,
    Item,
    Request,
    _clean,
    _item_kind,
    _module_members,
    _short_detail,
)
from .completion_scan import TextContext, scan_forward
from .completion_status import status_hint, status_items


def import_statement(req: Request, prefix: str) -> Completion | None | bool:
    """``from fastapi import |`` and friends on one line; False when the line is no import."""
    m = _FROM_IMPORT.match(prefix)
    if m:
        given = {part.split()[0] for part in m.group(3).split(",") if part.strip()}
        return import_names(req, m.group(1), given, paren=bool(m.group(2)))
    m = _FROM_MODULE.match(prefix) or _IMPORT_MODULE.match(prefix)
    if m:
        return submodules(req, m.group(1).rstrip("."))
    if re.match(r"^\s*(?:from|import)\s", prefix):
        return None
    return False


def import_names(req: Request, module: str, given: set[str], paren: bool = False) -> Completion | None:
    if module.split(".", 1)[0] not in ("fastapi", "starlette"):
        return None
    forward = scan_forward(req.snapshot.lines, req.line, req.col)[1] if paren else set()
    items = [it for it in module_items(req, module, for_import=True) if it.label not in given and it.label not in forward]
    return req.result("import", items)


def submodules(req: Request, parent: str) -> Completion | None:
    if parent.split(".", 1)[0] not in ("fastapi", "starlette"):
        return None
    items = [it for it in module_items(req, parent, for_import=True) if it.kind == "module"]
    return req.result("submodule", items)


def module_items(req: Request, module: str, for_import: bool = False) -> list[Item]:
    db = req.db
    mod = db.get(module)
    if mod is None or mod.kind != "module":
        return []
    items = []
    for name, _target, obj in _module_members(db, mod, module):
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
        items.append(_with_docs(item, db, req.docs, req.options))
    return items


def attribute(req: Request, dotted: str, ctx: TextContext) -> Completion | None:
    db = req.db
    ref = req.snapshot.resolve(dotted, req.line, db)
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
                    hint, websocket = status_hint(req, top, m.group(1))
            return req.result("status", status_items(req, hint, websocket))
        return req.result("module", module_items(req, ref.path))
    if ref.kind == "inst" and ref.path.split(".", 1)[0] in ("fastapi", "starlette"):
        return req.result("member", member_items(req, ref.path))
    return None


def member_items(req: Request, cls: str) -> list[Item]:
    db = req.db
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
        items.append(_with_docs(item, db, req.docs, req.options))
    return items

