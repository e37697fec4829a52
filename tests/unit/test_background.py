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


def request_seen() -> None:
    with background.handling_request():
        pass


def test_pause_point_is_a_no_op_outside_background_work(slow_quiet):
    request_seen()
    start = time.monotonic()
    background.pause_point()
    assert time.monotonic() - start < 0.04


def test_background_work_waits_until_requests_are_quiet(slow_quiet):
    request_seen()
    with background.background_work():
        assert background.in_background()
        background.pause_point()
    assert time.monotonic() - background._last_request >= background.QUIET
    assert not background.in_background()


def test_a_steady_stream_of_requests_only_slows_background_work_down(slow_quiet):
    stop = threading.Event()

    def requests() -> None:
        while not stop.is_set():
            request_seen()
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


def test_background_work_waits_while_a_request_is_being_handled(slow_quiet):
    """A long request (the first analysis of a large module) gets the interpreter to itself."""
    resumed = []

    def worker() -> None:
        with background.background_work():
            background.pause_point()
        resumed.append(time.monotonic())

    with background.handling_request():
        thread = threading.Thread(target=worker)
        thread.start()
        time.sleep(0.2)  # longer than QUIET: only the request being handled holds the worker
        assert not resumed
        finished = time.monotonic()
    thread.join()
    assert resumed and resumed[0] >= finished


def test_module_passes_in_background_threads_pause_at_each_chunk(slow_quiet, monkeypatch):
    calls = []
    monkeypatch.setattr(parsing, "pause_point", lambda: calls.append(1))
    text = "\n".join(f"def f{i}():\n    return {i}\n" for i in range(20))
    chunks = parsing.parse_module(text)
    assert len(calls) >= len(chunks) == 20


def test_background_busy_counts_threads_doing_background_work():
    import threading

    from fastapi_docs_lsp.core.background import background_busy, background_work

    assert not background_busy()
    inside, leave = threading.Event(), threading.Event()

    def work() -> None:
        with background_work():
            with background_work():  # nested: still one thread
                inside.set()
                leave.wait(5)

    thread = threading.Thread(target=work)
    thread.start()
    assert inside.wait(5)
    assert background_busy()
    leave.set()
    thread.join(5)
    assert not background_busy()
