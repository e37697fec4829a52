"""Work off the request path yields to requests.

The server answers requests on one thread and does long work (diagnostics of a large module,
the workspace route scan) on others. With Python's interpreter lock, a busy background thread
slows every request that arrives meanwhile. So background threads call ``pause_point()``
between steps (each chunk of a module): while a request is being handled, or requests keep
arriving, it waits until they have been quiet for ``QUIET`` seconds, never longer than
``MAX_WAIT`` at one point, so background work still advances under a steady stream of requests.
In other threads it returns at once.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from collections.abc import Iterator

#: seconds without a request after which background work resumes
QUIET = 0.002
#: the longest one pause point waits
MAX_WAIT = 0.25
#: the longest sleep between two checks while waiting
LONGEST_NAP = 0.064

_local = threading.local()
_last_request = 0.0
_handling = 0  # messages being handled right now (the event loop handles one at a time)


@contextmanager
def handling_request() -> Iterator[None]:
    """Wrapped by the transport around the handling of every message from the client."""
    global _last_request, _handling
    _last_request = time.monotonic()
    _handling += 1
    try:
        yield
    finally:
        _handling -= 1
        _last_request = time.monotonic()


def in_background() -> bool:
    return getattr(_local, "background", False)


_busy = 0  # threads doing background work now
_busy_lock = threading.Lock()


def background_busy() -> bool:
    """Whether some thread is doing background work now (a workspace scan, diagnostics)."""
    return _busy > 0


@contextmanager
def background_work() -> Iterator[None]:
    """Mark the current thread's work as background for the duration of the block."""
    global _busy
    previous = in_background()
    _local.background = True
    if not previous:
        with _busy_lock:
            _busy += 1
    try:
        yield
    finally:
        _local.background = previous
        if not previous:
            with _busy_lock:
                _busy -= 1


def pause_point() -> None:
    if not getattr(_local, "background", False):
        return
    now = time.monotonic()
    deadline = now + MAX_WAIT
    nap = QUIET
    while not (now >= deadline or (not _handling and now - _last_request >= QUIET)):
        # Each wake-up takes the interpreter lock from the request being handled: back off
        # while requests keep coming, rather than checking every QUIET seconds.
        time.sleep(min(nap, deadline - now))
        nap = min(nap * 2, LONGEST_NAP)
        now = time.monotonic()
