"""FA003 on-event-deprecated: ``@app.on_event(...)`` instead of a lifespan."""

from __future__ import annotations

import logging

from ..routes import (
    Span,
    _class_kind,
)
from .context import _in_repaired, _Run

log = logging.getLogger(__name__)


def _rule_on_event(run: _Run) -> None:
    for occ in run.analysis.occurrences:
        if occ.kind != "member" or not occ.target.endswith(".on_event"):
            continue
        owner = occ.target.rsplit(".", 1)[0]
        if _class_kind(owner, run.db) is None:
            continue
        span = Span(occ.line, occ.start, occ.line, occ.end)
        if _in_repaired(run.analysis, occ.line):
            continue
        run.emit("FA003", "`on_event` is deprecated: use a `lifespan` function on the app instead", span, tags=("deprecated",))
