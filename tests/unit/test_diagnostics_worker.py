"""Diagnostics are computed on the server's worker thread: the event loop keeps answering.

A diagnostics run of a large module takes 100+ ms; on the event loop it would hold up every
hover and completion behind it. Here ``diagnose`` is made to wait until the test lets it go:
requests must be answered meanwhile, and the result published afterwards.
"""

from __future__ import annotations

import asyncio
import threading

import fastapi_docs_lsp.features.diagnostics as diagnostics_feature

from .test_transport import MAIN, frame, hover_params, positions, served  # noqa: F401  (fixture)


def cancel_pending(ls) -> None:
    """Drop the debounced runs that opening the document scheduled: only the run under test counts."""
    tasks = diagnostics_feature.state(ls).push_tasks
    for task in tasks.values():
        task.cancel()
    tasks.clear()


def test_push_diagnostics_do_not_block_requests(served, monkeypatch):  # noqa: F811
    ls, out = served
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    real = diagnostics_feature.diagnose

    def slow(*args, **kwargs):
        started.set()
        release.wait(10)
        try:
            return real(*args, **kwargs)
        finally:
            finished.set()

    monkeypatch.setattr(diagnostics_feature, "diagnose", slow)
    diagnostics_feature.state(ls).cache.clear()
    loop = asyncio.get_event_loop()

    def published() -> list[dict]:
        return [m for m in out.messages if m.get("method") == "textDocument/publishDiagnostics"]

    async def scenario() -> None:
        cancel_pending(ls)
        diagnostics_feature.schedule(ls, MAIN.as_uri(), 0.0)
        assert await loop.run_in_executor(None, started.wait, 10), "diagnostics never started"
        line, col = positions()[0]
        ls.protocol.handle_body(frame("textDocument/hover", hover_params(line, col), 300))
        assert out.response(300)["result"]["contents"]["value"]
        assert not finished.is_set() and not published(), "the hover waited for the diagnostics"
        release.set()
        for _ in range(200):
            if published():
                return
            await asyncio.sleep(0.05)

    loop.run_until_complete(scenario())
    # (the workspace route scan, finishing meanwhile, may schedule a second run of its own)
    assert published() and all(m["params"]["uri"] == MAIN.as_uri() and m["params"]["version"] == 1 for m in published())


def test_a_result_for_an_older_version_is_not_published(served, monkeypatch):  # noqa: F811
    """An edit lands while the worker diagnoses the previous text: that result is dropped (the
    edit scheduled its own run)."""
    ls, out = served
    release = threading.Event()
    real = diagnostics_feature.diagnose

    def slow(*args, **kwargs):
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(diagnostics_feature, "diagnose", slow)
    diagnostics_feature.state(ls).cache.clear()
    loop = asyncio.get_event_loop()

    async def scenario() -> None:
        cancel_pending(ls)
        task = loop.create_task(diagnostics_feature.publish(ls, MAIN.as_uri()))
        await asyncio.sleep(0.05)
        ls.protocol.handle_body(frame("textDocument/didChange", {
            "textDocument": {"uri": MAIN.as_uri(), "version": 2},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# edited\n"}],
        }))
        cancel_pending(ls)  # the run the edit scheduled: only the first one is under test
        release.set()
        await task

    loop.run_until_complete(scenario())
    # (a run for version 2 may be published: the workspace route scan can schedule one)
    published = [m["params"]["version"] for m in out.messages if m.get("method") == "textDocument/publishDiagnostics"]
    assert 1 not in published
