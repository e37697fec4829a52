"""FA007 unused-router: an APIRouter with routes that nothing includes (needs the whole workspace)."""

from __future__ import annotations

import logging
from typing import Any

from .context import _in_repaired, _Run

log = logging.getLogger(__name__)


def _rule_unused_router(run: _Run) -> None:
    if run.workspace is None or not run.workspace.ready:
        return
    routers: dict[str, Any] = {}
    for route in run.routes.routes:
        owner = route.owner
        if owner.kind == "router" and owner.local and owner.module_level and owner.span is not None:
            routers[owner.name] = owner
    for name, owner in routers.items():
        if name in run.routes.loaded_names:
            continue  # used in this module (included, returned, put in a list...)
        if _in_repaired(run.analysis, owner.span.line):
            continue
        if run.workspace.is_referenced(run.mod.module_name, name, exclude_path=run.path):
            continue
        run.emit(
            "FA007",
            f"`{name}` has routes but is never included in an app (`app.include_router({name})`) anywhere in the workspace",
            owner.span,
            tags=("unnecessary",),
        )
