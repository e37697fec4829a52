"""Background work yields to requests (core/background.py)."""

from __future__ import annotations

import threading
import time

import pytest

from fastapi_docs_lsp.core import background, parsing


@pytest.fixture
def slow_quiet(monkeypatch):
    monkeypatch.setattr(background, "QUIET", 0.05)
    monkeypatch.setattr(background, "MAX_WAIT", 0.5)


def test_pause_point_is_a_no_op_outside_background_work(slow_quiet):
    background.request_seen()
    start = time.monotonic()
    background.pause_point()
    assert time.monotonic() - start < 0.04


def test_background_work_waits_until_requests_are_quiet(slow_quiet):
    background.request_seen()
    with background.background_work():
        assert background.in_background()
        background.pause_point()
    assert time.monotonic() - background._last_request >= background.QUIET
    assert not background.in_background()


def test_a_steady_stream_of_requests_only_slows_background_work_down(slow_quiet):
    stop = threading.Event()

    def requests() -> None:
        while not stop.is_set():
            background.request_seen()
            time.sleep(0.001)

    thread = threading.Thread(target=requests)
    thread.start()
    try:
        start = time.monotonic()
        with background.background_work():
            background.pause_point()
        waited = time.monotonic() - start
    finally:
        stop.set()
        thread.join()
    assert background.MAX_WAIT * 0.9 <= waited < 10 * background.MAX_WAIT


def test_module_passes_in_background_threads_pause_at_each_chunk(slow_quiet, monkeypatch):
    calls = []
    monkeypatch.setattr(parsing, "pause_point", lambda: calls.append(1))
    text = "\n".join(f"def f{i}():\n    return {i}\n" for i in range(20))
    chunks = parsing.parse_module(text)
    assert len(calls) >= len(chunks) == 20
