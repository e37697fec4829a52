"""Completion of status codes (``status.|``, ``status_code=|``) and the ``status`` import they need."""

from __future__ import annotations

import re

from . import status_codes
from .completion_docs import _with_docs
from .completion_model import (
    _COMMENT,
    _PREFERRED,
    _STATUS_MODULE,
    Edit,
    Item,
    Request,
    _defs,
)
from .completion_scan import Frame


def status_names(req: Request) -> list[str]:
    mod = req.db.get(_STATUS_MODULE)
    names = [n for n in (mod.members if mod is not None else {}) if n.startswith(("HTTP_", "WS_"))]
    return names or status_codes.all_names()


def status_items(req: Request, hint: str = "", websocket: bool = False, value_prefix: str = "", import_edit: Edit | None = None) -> list[Item]:
    preferred = _PREFERRED.get(hint, ()) if not websocket else (1000, 1008, 1011, 1001)
    items = []
    for name in status_names(req):
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
        items.append(_with_docs(item, req.db, req.docs, req.options))
    return items


def status_hint(req: Request, top: Frame, keyword: str) -> tuple[str, bool]:
    """(method hint, websocket?) for a ``status_code=``/``code=`` value in the call of ``top``."""
    callee = top.callee or ""
    ref = req.snapshot.resolve(callee, top.line, req.db) if callee else None
    path = ""
    if ref is not None and ref.kind in ("obj", "subclass"):
        obj = req.db.get(ref.path)
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


def qualified_status(req: Request) -> tuple[str, Edit | None]:
    """How to write ``status.X`` here: the name ``fastapi.status`` is bound to, or an import."""
    analysis = req.snapshot.analysis
    if analysis is not None:
        for name, entries in analysis.module_scope.bindings.items():
            ref = entries[-1][1]
            if ref is not None and ref.kind == "obj":
                obj = req.db.get(ref.path)
                if obj is not None and obj.path == _STATUS_MODULE:
                    return f"{name}.", None
        for name in ("fastapi", "starlette"):
            bound, ref = req.snapshot.bound(name, req.line, req.db)
            if ref is not None and ref.kind == "obj" and ref.path == name:
                return f"{name}.status.", None
    bound, _ = req.snapshot.bound("status", req.line, req.db)
    if bound:
        return "fastapi.status.", req.import_edit("import fastapi")
    return "status.", merge_import(req, "fastapi", "status") or req.import_edit("from fastapi import status")


def merge_import(req: Request, module: str, name: str) -> Edit | None:
    """An edit adding ``name`` to an existing top-level ``from module import ...``, or None."""
    analysis = req.snapshot.analysis
    if analysis is None:
        return None
    lines = req.snapshot.lines
    for imported_from, _name, _asname, old_line in _defs(analysis).imports:
        if imported_from != module:
            continue
        line = req.snapshot.new(old_line)
        if line is None or not 0 <= line < len(lines) or line == req.line:
            continue
        text = lines[line]
        if not re.match(rf"^from\s+{re.escape(module)}\s+import\s", text):
            continue  # only a top-level import (never one inside a function or `if`)
        return _merge_into(lines, line, name)
    return None



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
