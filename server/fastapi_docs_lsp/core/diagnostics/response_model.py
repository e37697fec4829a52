"""FA008 redundant-response-model: ``response_model=`` repeating the return annotation."""

from __future__ import annotations

import ast
import logging

from ..fixes import (
    remove_argument,
)
from ..routes import (
    node_span,
)
from .context import _Run

log = logging.getLogger(__name__)


def _rule_redundant_response_model(run: _Run) -> None:
    for route in run.routes.routes:
        fn, call = run.func_of(route), run.call_of(route)
        if fn is None or call is None or fn.returns is None or route.repaired or route.kind != "decorator":
            continue
        for kw in call.keywords:
            if kw.arg != "response_model":
                continue
            if isinstance(kw.value, ast.Constant) and kw.value.value is None:
                continue
            if ast.dump(kw.value) != ast.dump(fn.returns):
                continue
            fix = remove_argument(call, kw, route.offset, run.lines, "Remove `response_model=` (the return annotation says the same)")
            run.emit(
                "FA008",
                f"`response_model={ast.unparse(kw.value)}` repeats the return annotation of `{fn.name}`; the annotation alone is enough",
                node_span(kw, route.offset, run.lines),
                tags=("unnecessary",),
                fixes=(fix,) if fix else (),
            )
