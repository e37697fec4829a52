"""FastAPI diagnostics: common mistakes, each linked to the doc section that explains it.

``diagnose(analysis, ...)`` runs the rules over one analysed module and returns plain
``Diagnostic`` records (0-based lines, code-point columns) with their quick fixes attached.
The LSP adapter (``features/diagnostics.py``) converts them.

Rules (stable codes; the default severity can be changed or turned off per code or name):

====== ======================== =========== ==================================================
code   name                     default     what
====== ======================== =========== ==================================================
FA001  path-param-missing       warning     ``{x}`` in the path, ``x`` in no signature
FA002  deprecated-parameter     warning     ``regex=``, ``example=``, ... (read from FastAPI)
FA003  on-event-deprecated      warning     ``@app.on_event(...)`` instead of lifespan
FA004  dependency-called        error       ``Depends(get_db())``
FA005  duplicate-route          warning     same method + path twice on one app/router
FA006  shadowed-route           warning     ``/items/{id}`` declared before ``/items/me``
FA007  unused-router            hint        an APIRouter with routes never included
FA008  redundant-response-model hint        ``response_model=`` repeating the return type
FA009  prefer-annotated         off         ``q: str = Query()`` instead of ``Annotated``
====== ======================== =========== ==================================================

Every rule is conservative: when something can't be resolved statically it stays silent.

One module per rule family (``path_params``, ``calls``, ``events``, ``route_order``,
``unused_router``, ``response_model``); ``model`` holds the rules table and the record,
``context`` what every rule reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..analysis import ApiLookup, ModuleAnalysis
from ..routes import ModuleRoutes, RouteIndex, extract_routes
from .calls import _rule_node_checks
from .context import _Module, _Run
from .events import _rule_on_event
from .model import DEPRECATED_PARAM_URLS, DOCS, RULES, SEVERITIES, SOURCE, Diagnostic, Related, Rule, rule_code, severity_for
from .path_params import _rule_path_params
from .response_model import _rule_redundant_response_model
from .route_order import _rule_routes_order
from .unused_router import _rule_unused_router

log = logging.getLogger(__name__)


_RUNNERS: list[tuple[tuple[str, ...], Callable[[_Run], None]]] = [
    (("FA001",), _rule_path_params),
    (("FA002", "FA004", "FA009"), _rule_node_checks),
    (("FA003",), _rule_on_event),
    (("FA005", "FA006"), _rule_routes_order),
    (("FA007",), _rule_unused_router),
    (("FA008",), _rule_redundant_response_model),
]


def diagnose(
    analysis: ModuleAnalysis,
    *,
    db: ApiLookup | None = None,
    docs: Any = None,
    module_name: str | None = None,
    path: str | None = None,
    rules: Mapping[str, str] | None = None,
    workspace: RouteIndex | None = None,
    load_module: Callable[[str], ModuleAnalysis | None] | None = None,
    routes: ModuleRoutes | None = None,
) -> list[Diagnostic]:
    """Run every enabled rule over one module. Never raises (a failing rule is logged and skipped).

    ``rules``: severity overrides by code or name (``off`` disables). ``workspace``: the route
    index, needed by FA007. ``load_module(name)``: the analysis of another workspace module, to
    follow dependencies imported from it.
    """
    severities = {code: severity_for(code, rules) for code in RULES}
    modules: dict[str, _Module | None] = {}

    def load(name: str) -> _Module | None:
        if name not in modules:
            modules[name] = None
            other = load_module(name) if load_module is not None else None
            if other is not None:
                modules[name] = _Module(other, name, db)
        return modules[name]

    run = _Run(
        analysis=analysis,
        mod=_Module(analysis, module_name, db),
        db=db,
        docs=docs,
        routes=routes if routes is not None else extract_routes(analysis, db, module_name),
        severities=severities,
        load_module=load if load_module is not None else None,
        workspace=workspace,
        path=path,
    )
    for codes, runner in _RUNNERS:
        if not any(run.on(code) for code in codes):
            continue
        before = len(run.out)
        try:
            runner(run)
        except Exception:
            log.exception("rule %s failed", "/".join(codes))
            del run.out[before:]
    out = [d for d in run.out if d.severity in SEVERITIES]
    out.sort(key=lambda d: (d.span.line, d.span.start, d.code))
    return out


__all__ = ["DEPRECATED_PARAM_URLS", "DOCS", "RULES", "SEVERITIES", "SOURCE", "Diagnostic", "Related", "Rule", "diagnose", "rule_code", "severity_for"]
