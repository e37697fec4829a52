"""The full collection of frozen analyses runs inside a request only when garbage may have piled up."""

from __future__ import annotations

from fastapi_docs_lsp import server as server_module
from fastapi_docs_lsp.server import THAW_GROWTH_MB, THAW_GROWTH_OBJECTS, FastAPIDocsServer


def test_memory_growth_without_more_frozen_objects_collects_nothing(monkeypatch):
    """A large module's second analysis alive for a moment, or the allocator keeping its arenas,
    grows the memory in use without any garbage: no collection then (it holds the interpreter
    for ~0.5 s with a 50,000-line module open); memory and frozen objects both grown: collect."""
    ls = FastAPIDocsServer()
    now = {"rss": 100.0, "frozen": 300_000}
    monkeypatch.setattr(server_module, "_rss_mb", lambda: now["rss"])
    monkeypatch.setattr(server_module.gc, "get_freeze_count", lambda: now["frozen"])
    assert not ls._grown_since_collection()  # the baseline
    now["rss"] += THAW_GROWTH_MB + 30
    assert not ls._grown_since_collection()
    now["frozen"] += THAW_GROWTH_OBJECTS + 1
    assert ls._grown_since_collection()
    now["rss"] = 100.0
    assert not ls._grown_since_collection()
