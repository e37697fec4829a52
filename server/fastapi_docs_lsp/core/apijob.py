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
import time
from pathlib import Path
from typing import IO

from .apidb import ApiDB, load_payload

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


def extraction_command(out: Path, search: list[str], exclude: list[str] | None = None) -> list[str]:
    boot = _BOOT.format(paths=child_sys_path(exclude))
    return [sys.executable, "-I", "-c", boot, str(out), *search]


class ApiJob:
    """API docs being read: either already at hand (the cache) or a running child process."""

    def __init__(self, db: ApiDB | None = None, error: str | None = None) -> None:
        self._db = db
        self.error = error
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._path: Path | None = None
        self._what = ""
        self._started = 0.0

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
        try:
            job._stderr = tempfile.TemporaryFile()  # a pipe could fill up while nobody reads it
            job._proc = subprocess.Popen(
                extraction_command(path, search, exclude),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=job._stderr,
                # never the workspace folder (belt and braces: -I keeps it off sys.path anyway)
                cwd=str(path.parent),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            job._close()
            return job._fail(f"could not start the extraction: {exc}")
        return job

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
