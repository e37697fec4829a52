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

import glob
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any, Protocol
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
    option = [] if not quick else ["--quick"] if group is None else [f"--quick={int(group)}"]
    return _child_command(child_sys_path(exclude), *option, str(out), *search, nice=nice)


def _child_command(paths: list[str], *args: str, nice: int = 0) -> list[str]:
    """An isolated interpreter running ``apidb.main(args)`` with ``paths`` first on its import
    path (at a lower priority with ``nice``)."""
    boot = _BOOT.format(paths=paths)
    if nice:
        boot = f"import os; hasattr(os, 'nice') and os.nice({int(nice)}); " + boot
    return [sys.executable, "-I", "-c", boot, *args]


def quick_groups() -> list[int | None]:
    """The first extraction's children: one per ``QUICK_GROUPS`` entry, in parallel, with two
    cores or more; else a single one that reads them all (less work in all)."""
    return list(range(len(QUICK_GROUPS))) if (os.cpu_count() or 1) >= 2 else [None]


def _remove_output(path: Path) -> None:
    """Remove a first-phase output file, and the temporary file a worker stopped while writing
    it leaves next to it (``files.write_atomically``: ``.NAME-XXXX.tmp``)."""
    for leftover in [path, *path.parent.glob(f".{glob.escape(path.name)}-*.tmp")]:
        try:
            leftover.unlink()
        except OSError:
            pass


def can_fork() -> bool:
    """Whether the extractions can run as forked workers of one child (``apidb --batch``):
    POSIX only (not Windows; not macOS either, where forking is unsafe for some system
    libraries), and not when ``FASTAPI_DOCS_LSP_NO_FORK`` is set."""
    return hasattr(os, "fork") and sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and not os.environ.get("FASTAPI_DOCS_LSP_NO_FORK")


class _Child(Protocol):
    """What ``ApiJob`` needs of a running extraction: ``subprocess.Popen``'s own three methods."""

    def poll(self) -> int | None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def _spawn(paths: list[str], cwd: Path) -> tuple[subprocess.Popen[bytes], IO[bytes]] | None:
    """A new batch child (``apidb --batch``), waiting for its jobs on stdin."""
    try:
        stderr = tempfile.TemporaryFile()  # a pipe could fill up while nobody reads it
    except OSError as exc:
        log.debug("no temporary file for the API extraction: %s", exc)
        return None
    try:
        cwd.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            _child_command(paths, "--batch"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=str(cwd),  # never the workspace folder (-I keeps it off sys.path anyway)
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("the API extraction batch did not start: %s", exc)
        stderr.close()
        return None
    return proc, stderr


_spare_lock = threading.Lock()
_spare: tuple[subprocess.Popen[bytes], IO[bytes], list[str]] | None = None


def prestart(cache: Path, exclude: list[str] | None = None) -> bool:
    """Start the extraction child ahead, while the server itself starts (its interpreter and
    griffe's import then cost nothing on the first hover's path): only where it forks, and
    only when ``cache`` holds no API docs at all (a first start; later starts read the cache,
    and a child started for nothing would only take CPU). True if one was started."""
    global _spare
    if not can_fork():
        return False
    try:
        if any(cache.glob("api-*.json")):
            return False
    except OSError:
        return False
    paths = child_sys_path(exclude)
    started = _spawn(paths, cache)
    if started is None:
        return False
    with _spare_lock:
        old, _spare = _spare, (*started, paths)
    if old is not None:
        _dismiss(old[0], old[1])
    return True


def _pop_spare() -> tuple[subprocess.Popen[bytes], IO[bytes], list[str]] | None:
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    return spare


def _take_spare(paths: list[str]) -> tuple[subprocess.Popen[bytes], IO[bytes]] | None:
    """The pre-started child, if it is still waiting and was started with the import path
    ``paths`` (else it is sent away)."""
    spare = _pop_spare()
    if spare is None:
        return None
    proc, stderr, spare_paths = spare
    if proc.poll() is None and spare_paths == paths:
        return proc, stderr
    _dismiss(proc, stderr)
    return None


def release_spare() -> None:
    """Send the pre-started child away (the cache answered, or the server is exiting)."""
    spare = _pop_spare()
    if spare is not None:
        _dismiss(spare[0], spare[1])


def _dismiss(proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    """An unused batch child: its stdin closed, it exits on its own (``apidb.main``)."""
    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except OSError:
        proc.kill()
    threading.Thread(target=_reap, args=(proc, stderr), name="api-extraction-reap", daemon=True).start()


def _reap(proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    finally:
        stderr.close()


class _Batch:
    """One child that imports griffe once and forks a worker per extraction (``apidb --batch``).

    A reader thread follows its report lines (``start I PID``, ``exit I CODE``); each job is
    seen through a ``_Forked`` handle, a ``Popen`` look-alike. A job the child never reported
    (it failed before forking: a refused install, a broken import) ends with the child's own
    exit code."""

    def __init__(self, proc: subprocess.Popen[bytes], count: int, stderr: IO[bytes]) -> None:
        self.proc = proc
        self.stderr = stderr
        self._cond = threading.Condition()
        self.pids: dict[int, int] = {}
        self.codes: dict[int, int] = {}
        self.killed: set[int] = set()
        self.jobs = [_Forked(self, i) for i in range(count)]
        threading.Thread(target=self._follow, name="api-extraction-reports", daemon=True).start()

    @classmethod
    def start(cls, jobs: list[list[Any]], search: list[str], exclude: list[str] | None, *, cwd: Path) -> _Batch | None:
        """Run ``jobs`` in the pre-started batch child when it fits, else in a new one. The
        child's stderr is a temporary file (``stderr``; the full extraction's problems)."""
        paths = child_sys_path(exclude)
        spare = _take_spare(paths)
        started = spare or _spawn(paths, cwd)
        if started is None:
            return None
        proc, stderr = started
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"jobs": jobs, "search": search}).encode() + b"\n")
            proc.stdin.close()
        except (OSError, ValueError) as exc:
            log.debug("the API extraction batch did not take its jobs: %s", exc)
            proc.kill()
            proc.wait()
            stderr.close()
            return None
        if spare is not None:
            log.debug("the API extraction runs in the child started ahead")
        return cls(proc, len(jobs), stderr)

    def _follow(self) -> None:
        stdout = self.proc.stdout
        try:
            for raw in stdout if stdout is not None else ():
                what, _, rest = raw.decode("ascii", "replace").strip().partition(" ")
                index, _, value = rest.partition(" ")
                if not (index.isdigit() and value.lstrip("-").isdigit()):
                    continue
                with self._cond:
                    if what == "start":
                        self.pids[int(index)] = int(value)
                        if int(index) in self.killed:
                            self._signal(int(value))
                    elif what == "exit":
                        self.codes[int(index)] = int(value)
                    self._cond.notify_all()
        except (OSError, ValueError):
            log.debug("reading the API extraction reports failed", exc_info=True)
        code = self.proc.wait()
        with self._cond:
            for index in range(len(self.jobs)):
                self.codes.setdefault(index, code if code != 0 else 1)
            self._cond.notify_all()

    @staticmethod
    def _signal(pid: int) -> None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:  # already gone
            pass

    def kill(self, index: int) -> None:
        with self._cond:
            if index in self.codes:
                return
            self.killed.add(index)
            pid = self.pids.get(index)
        if pid is not None:
            self._signal(pid)

    def wait(self, index: int, timeout: float | None) -> int:
        with self._cond:
            if not self._cond.wait_for(lambda: index in self.codes, timeout):
                raise subprocess.TimeoutExpired("api extraction", timeout or 0.0)
            return self.codes[index]


class _Forked:
    """One job of a ``_Batch``, with ``Popen``'s ``poll``/``kill``/``wait``."""

    def __init__(self, batch: _Batch, index: int) -> None:
        self._batch = batch
        self._index = index

    def poll(self) -> int | None:
        return self._batch.codes.get(self._index)

    def kill(self) -> None:
        self._batch.kill(self._index)

    def wait(self, timeout: float | None = None) -> int:
        return self._batch.wait(self._index, timeout)


class ApiJob:
    """API docs being read: either already at hand (the cache) or running child processes.

    On a cold cache two children start at once: the first reads only what ``fastapi``
    exports (``apidb.extract_quick``, ready in a fraction of the time; ``first()``), the other
    reads everything (``result()``, cached on disk) at a lower priority."""

    def __init__(self, db: ApiDB | None = None, error: str | None = None) -> None:
        self._db = db
        self.error = error
        self._proc: _Child | None = None
        self._stderr: IO[bytes] | None = None
        self._path: Path | None = None
        self._what = ""
        self._started = 0.0
        self._quick: list[tuple[_Child, Path]] = []
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
        groups = quick_groups()
        quick_paths = [path.with_name(f"{path.stem}.quick{'' if group is None else group}.json") for group in groups]
        if can_fork():
            batch = _Batch.start(
                [*([str(q), -1 if g is None else g, 0] for g, q in zip(groups, quick_paths)), [str(path), None, FULL_NICENESS]],
                search,
                exclude,
                cwd=path.parent,
            )
            if batch is not None:
                *quick, job._proc = batch.jobs
                job._quick = list(zip(quick, quick_paths))
                job._stderr = batch.stderr
        if job._proc is None:  # no fork here (Windows), or the batch did not start: one child each
            try:
                job._stderr = tempfile.TemporaryFile()  # a pipe could fill up while nobody reads it
            except OSError as exc:
                return job._fail(f"could not start the extraction: {exc}")
            error = job._start_children(path, search, exclude, list(zip(groups, quick_paths)))
            if error is not None:
                job._close()
                return job._fail(error)
        if job._quick:  # while those start: the parameter functions, read here in a few ms
            try:
                job._seed = read_parameter_functions(search)
            except Exception:  # the children read them too
                log.debug("reading the parameter functions failed", exc_info=True)
        return job

    def _start_children(self, path: Path, search: list[str], exclude: list[str] | None, quick: list[tuple[int | None, Path]]) -> str | None:
        """The extractions as separate child processes (where ``os.fork`` is not available);
        why the full one did not start, if it did not."""
        for group, quick_path in quick:
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
            self._quick.append((proc, quick_path))
        try:
            self._proc = subprocess.Popen(
                extraction_command(path, search, exclude, nice=FULL_NICENESS),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                cwd=str(path.parent),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return f"could not start the extraction: {exc}"
        return None

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
                    _remove_output(path)
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
                _remove_output(path)
        finally:
            self._quick_lock.release()

    def _full_result(self, proc: _Child, timeout: float) -> ApiDB | None:
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
