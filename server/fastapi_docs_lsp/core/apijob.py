"""The API-extraction child process: started early, collected later.

``Project.load`` starts it (on a cold cache) and builds the doc index while it runs. The child
is the server's own interpreter, started isolated (``-I``: no ``PYTHON*`` variables, no user
site, no working directory on the path) with **the server's own import path** put first: the
folder that holds ``fastapi_docs_lsp`` and every ``sys.path`` entry of the server (the
``libs`` folder a VS Code extension bundles, a ``pip install --target`` folder, a venv).
``python -m fastapi_docs_lsp.core.apidb`` alone cannot import the package when the server was
started from such a folder. The workspace folders and the working directory are left out, so
a workspace ``json.py`` is never imported.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any
from collections.abc import Callable

from .apidb import QUICK_GROUPS, ApiDB, load_payload, merge_quick
from .apifast import read_parameter_functions

log = logging.getLogger(__name__)

EXTRACT_TIMEOUT = 120.0
_ERROR_CHARS = 500

_BOOT = (
    "import sys; sys.path[:0] = {paths!r}; "
    "from fastapi_docs_lsp.core.apidb import main; raise SystemExit(main(sys.argv[1:]))"
)


def _norm(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def child_sys_path(exclude: list[str] | None = None) -> list[str]:
    """The import path the extraction child needs: this package's parent folder first, then
    the server's own ``sys.path`` without the working directory and the ``exclude`` folders."""
    own = str(Path(os.path.abspath(__file__)).parents[2])
    skipped = {_norm(p) for p in (exclude or []) if p}
    out = [own]
    seen = {_norm(own)}
    for entry in sys.path:
        if not entry:  # "" is the working directory
            continue
        key = _norm(entry)
        if key in skipped or key in seen or not os.path.exists(entry):
            continue
        seen.add(key)
        out.append(os.path.abspath(entry))
    return out


#: the full extraction runs at a lower priority than the first, partial one (and the server)
FULL_NICENESS = 4
#: how long the first, partial extraction may take before the full one is all we wait for
QUICK_TIMEOUT = 30.0


def extraction_command(
    out: Path, search: list[str], exclude: list[str] | None = None, *, quick: bool = False, group: int | None = None, nice: int = 0
) -> list[str]:
    """The command line of an extraction child (``quick``: the first, partial one, of
    ``apidb.QUICK_GROUPS[group]`` when a group is given)."""
    boot = _BOOT.format(paths=child_sys_path(exclude))
    if nice:
        boot = f"import os; hasattr(os, 'nice') and os.nice({int(nice)}); " + boot
    option = [] if not quick else ["--quick"] if group is None else [f"--quick={int(group)}"]
    return [sys.executable, "-I", "-c", boot, *option, str(out), *search]


def quick_groups() -> list[int | None]:
    """The first extraction's children: one per ``QUICK_GROUPS`` entry, in parallel, with two
    cores or more; else a single one that reads them all (less work in all)."""
    return list(range(len(QUICK_GROUPS))) if (os.cpu_count() or 1) >= 2 else [None]


class ApiJob:
    """API docs being read: either already at hand (the cache) or running child processes.

    On a cold cache two children start at once: the first reads only what ``fastapi``
    exports (``apidb.extract_quick``, ready in a fraction of the time; ``first()``), the other
    reads everything (``result()``, cached on disk) at a lower priority."""

    def __init__(self, db: ApiDB | None = None, error: str | None = None) -> None:
        self._db = db
        self.error = error
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._path: Path | None = None
        self._what = ""
        self._started = 0.0
        self._quick: list[tuple[subprocess.Popen[bytes], Path]] = []
        self._quick_lock = threading.Lock()
        self._first: ApiDB | None = None
        self._seed: dict[str, Any] | None = None  # apifast's records, before any child is done

    @property
    def running(self) -> bool:
        """True while the full extraction's child has not been collected."""
        return self._proc is not None

    @classmethod
    def done(cls, db: ApiDB | None, error: str | None = None) -> ApiJob:
        return cls(db, error)

    @classmethod
    def start(cls, path: Path, search: list[str], what: str, *, exclude: list[str] | None = None) -> ApiJob:
        """Start extracting the API docs of ``search`` (site-packages folders) into ``path``."""
        job = cls()
        job._path, job._what, job._started = path, what, time.perf_counter()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return job._fail(f"cannot create the cache folder {path.parent}: {exc}")
        for group in quick_groups():
            quick_path = path.with_name(f"{path.stem}.quick{'' if group is None else group}.json")
            try:
                # never the workspace folder as working directory (-I keeps it off sys.path anyway)
                proc = subprocess.Popen(
                    extraction_command(quick_path, search, exclude, quick=True, group=group),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,  # its problems are the full extraction's too
                    cwd=str(path.parent),
                )
            except (OSError, subprocess.SubprocessError) as exc:
                log.debug("the first, partial API extraction did not start: %s", exc)
                continue
            job._quick.append((proc, quick_path))
        if job._quick:  # while those start: the parameter functions, read here in a few ms
            try:
                job._seed = read_parameter_functions(search)
            except Exception:  # the children read them too
                log.debug("reading the parameter functions failed", exc_info=True)
        try:
            job._stderr = tempfile.TemporaryFile()  # a pipe could fill up while nobody reads it
            job._proc = subprocess.Popen(
                extraction_command(path, search, exclude, nice=FULL_NICENESS),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=job._stderr,
                cwd=str(path.parent),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            job._close()
            return job._fail(f"could not start the extraction: {exc}")
        return job

    def first(self, timeout: float = QUICK_TIMEOUT, on_part: Callable[[ApiDB], object] | None = None) -> ApiDB | None:
        """The first, partial API database (``None`` when there is none: the cache answered,
        or those children failed; the full one is then all there is). Safe from any thread.

        ``on_part`` gets the docs read so far: at once the parameter functions (``apifast``,
        read in-process), then more each time one of the children finishes."""
        with self._quick_lock:
            children, self._quick = self._quick, []
            if not children:
                return self._first
            deadline = time.monotonic() + timeout
            payloads: list[dict[str, Any]] = [self._seed] if self._seed else []
            if self._seed and on_part is not None:
                on_part(ApiDB(self._seed))
            nap = 0.005
            while children:
                done = [(proc, path) for proc, path in children if proc.poll() is not None]
                if not done and time.monotonic() < deadline:
                    time.sleep(nap)
                    nap = min(nap * 1.5, 0.05)
                    continue
                for proc, path in done or children:  # done, or all of them at the deadline
                    children.remove((proc, path))
                    if proc.poll() is None:
                        proc.kill()
                    code = proc.wait()
                    payload = load_payload(path) if code == 0 else None
                    try:
                        path.unlink()
                    except OSError:
                        pass
                    if payload is None:
                        log.debug("a first, partial API extraction gave nothing (exit code %s)", code)
                    else:
                        payloads.append(payload)
                merged = merge_quick(payloads)
                if merged is not None and merged["objects"] and (children and on_part is not None):
                    log.debug("first API docs, part %d: %d objects in %.0f ms", len(payloads), len(merged["objects"]), (time.perf_counter() - self._started) * 1000)
                    on_part(ApiDB(merged))
            merged = merge_quick(payloads)
            if merged is None or not merged["objects"]:
                log.debug("no first, partial API docs; waiting for the full extraction")
                return None
            self._first = ApiDB(merged)
            log.info("first API docs of %s (%d objects) in %.0f ms", self._what, len(self._first), (time.perf_counter() - self._started) * 1000)
            return self._first

    def _fail(self, error: str) -> ApiJob:
        self.error = error
        log.warning("reading the installed FastAPI failed: %s", error)
        return self

    def _close(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            data = self._stderr.read()
        except OSError:
            return ""
        return data.decode("utf-8", "replace").strip()

    def result(self, timeout: float = EXTRACT_TIMEOUT) -> ApiDB | None:
        """The API database, waiting for the child if it still runs (``None``: see ``error``)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return self._db
        try:
            return self._full_result(proc, timeout)
        finally:
            self._drop_first()

    def _drop_first(self) -> None:
        """The full docs are in (or failed): first-phase children nobody collects are stopped
        and their files removed (``first()``, when it runs, does that itself)."""
        if not self._quick_lock.acquire(blocking=False):
            return
        try:
            children, self._quick = self._quick, []
            for child, path in children:
                if child.poll() is None:
                    child.kill()
                child.wait()
                try:
                    path.unlink()
                except OSError:
                    pass
        finally:
            self._quick_lock.release()

    def _full_result(self, proc: subprocess.Popen[bytes], timeout: float) -> ApiDB | None:
        try:
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self._fail(f"the extraction took longer than {timeout:.0f} s and was stopped")
                return None
            stderr = self._stderr_text()
        finally:
            self._close()
        if code != 0:
            self._fail(f"exit code {code}: {stderr[-_ERROR_CHARS:] or 'no output'}")
            return None
        payload = load_payload(self._path) if self._path is not None else None
        if payload is None:
            self._fail(f"the extraction wrote no usable result to {self._path}")
            return None
        if stderr:
            log.info("API extraction notes: %s", stderr[-_ERROR_CHARS:])
        self._db = ApiDB(payload)
        log.info("extracted API docs of %s in %.0f ms", self._what, (time.perf_counter() - self._started) * 1000)
        return self._db
