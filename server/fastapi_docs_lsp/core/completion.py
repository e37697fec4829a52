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

This module picks the context; each context lives in its own module (``completion_names``,
``completion_calls``, ``completion_values``, ``completion_status``, ``completion_paths``,
``completion_deps``), sharing ``completion_model`` (results, ``Snapshot``, ``Request``) and
``completion_docs`` (item documentation).
"""

from __future__ import annotations

import re

from .apidb import ApiDB
from .completion_calls import call
from .completion_docs import documentation, warm_documentation
from .completion_model import (
    _ATTRIBUTE,
    ROUTE_METHODS,
    Completion,
    CompletionOptions,
    Edit,
    Item,
    Request,
    Snapshot,
    Workspace,
    _module_members,
    _safe_start,
)
from .completion_names import attribute, import_names, import_statement
from .completion_paths import path_parameters
from .completion_scan import scan
from .completion_values import string_value

__all__ = [
    "ROUTE_METHODS",
    "Completion",
    "CompletionOptions",
    "Edit",
    "Item",
    "Snapshot",
    "Workspace",
    "_module_members",
    "complete",
    "documentation",
    "warm_documentation",
]


def complete(
    snapshot: Snapshot,
    line: int,
    col: int,
    db: ApiDB | None,
    docs: object = None,
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
    req = Request(snapshot, line, col, db, docs, options, module_name, workspace)

    found = import_statement(req, prefix)
    if found is not False:
        return found  # type: ignore[return-value]
    ctx = scan(lines, _safe_start(snapshot, line), line, col)
    if ctx.in_comment:
        return None
    if ctx.in_string:
        return string_value(req, ctx)
    m = _ATTRIBUTE.search(prefix)
    if m:
        return attribute(req, re.sub(r"\s+", "", m.group(1)), ctx)
    top = ctx.top
    if top is None or top.char != "(":
        return None
    if top.def_name is not None:
        return path_parameters(req, top)
    if top.import_module is not None:
        return import_names(req, top.import_module, {n for n in top.param_names()}, paren=True)
    if top.callee is not None:
        return call(req, top, ctx)
    return None
