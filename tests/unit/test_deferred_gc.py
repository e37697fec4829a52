"""The full collection of frozen analyses runs inside a request only when garbage may have piled up."""

from __future__ import annotations

from fastapi_docs_lsp import server as server_module
from fastapi_docs_lsp.server import THAW_GROWTH_MB, THAW_GROWTH_OBJECTS, FastAPIDocsServer


def test_memory_growth_without_more_frozen_objects_collects_nothing(monkeypatch):
    """A large module's second analysis alive for a moment, or the allocator keeping its arenas,
    grows the memory in use without any garbage: no collection then (it holds the interpreter
    for ~0.5 s with a 50,000-line module open); memory and frozen objects both grown: collect.
    The frozen objects are counted (a walk over all of them) only once the memory grew."""
    ls = FastAPIDocsServer()
    now = {"rss": 100.0, "frozen": 300_000, "counts": 0}

    def freeze_count() -> int:
        now["counts"] += 1
        return now["frozen"]

    monkeypatch.setattr(server_module, "_rss_mb", lambda: now["rss"])
    monkeypatch.setattr(server_module.gc, "get_freeze_count", freeze_count)
    assert not ls._grown_since_collection()  # the memory baseline
    assert not ls._grown_since_collection() and now["counts"] == 0
    now["rss"] += THAW_GROWTH_MB + 1
    assert not ls._grown_since_collection()  # the first count: the objects baseline
    now["rss"] += THAW_GROWTH_MB + 1
    assert not ls._grown_since_collection()  # grown without more frozen objects
    now["rss"] += THAW_GROWTH_MB + 1
    now["frozen"] += THAW_GROWTH_OBJECTS + 1
    assert ls._grown_since_collection()
    assert now["counts"] == 3
