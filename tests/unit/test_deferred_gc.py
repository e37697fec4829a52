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


def test_collections_that_find_little_garbage_back_off(monkeypatch):
    """A workspace scan gathering a large module's routes grows memory and frozen objects with
    live data: each full collection then finds little, and the next one waits for four times the
    growth (a collection holds the interpreter ~0.5-1 s at 50,000 lines)."""
    ls = FastAPIDocsServer()
    found = {"n": 10}
    monkeypatch.setattr(server_module.gc, "collect", lambda *a: found["n"])
    monkeypatch.setattr(server_module.gc, "get_freeze_count", lambda: 0)
    monkeypatch.setattr(server_module, "_rss_mb", lambda: 100.0)
    ls._collect_frozen()
    ls._collect_frozen()
    assert ls._growth_scale == 16
    found["n"] = THAW_GROWTH_OBJECTS
    ls._collect_frozen()
    assert ls._growth_scale == 1


def test_no_collection_inside_a_request_while_background_work_runs(monkeypatch):
    """What grows while a workspace scan (or diagnostics) runs is mostly its own live data: the
    collection then waits for the user to pause (or the count cap), not inside a hover."""
    from fastapi_docs_lsp.core import background

    ls = FastAPIDocsServer()
    collected: list[bool] = []
    monkeypatch.setattr(ls, "_collect_frozen", lambda: collected.append(True))
    monkeypatch.setattr(ls, "_schedule_collection", lambda: True)
    monkeypatch.setattr(ls, "_grown_since_collection", lambda: True)
    monkeypatch.setattr(server_module.gc, "freeze", lambda: None)

    def fresh_analysis(path: str, text: str, version: object) -> object:
        ls.project.analyses_made += 1
        return object()

    monkeypatch.setattr(ls.project, "analysis", fresh_analysis)

    def analyse() -> None:
        ls.analysis_of("/m.py", "x = 1", None)

    ls._frozen_analyses = server_module.THAW_EVERY
    monkeypatch.setattr(background, "_busy", 1)
    analyse()
    assert collected == []
    monkeypatch.setattr(background, "_busy", 0)
    analyse()
    assert collected == [True]
