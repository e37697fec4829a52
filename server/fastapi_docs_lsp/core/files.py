"""Reading files the workspace (or the client) names, safely: regular files only, size-capped.

A cloned repository can hold a symlink ``zz.py -> /dev/zero`` (reading it never ends), a FIFO
named ``x.py`` (opening or reading it blocks forever), a socket or a device. Every reader in
the core goes through :func:`read_regular_bytes` / :func:`read_regular_text`, which:

* follow a symlink only when its final target is a regular file;
* open with ``O_NONBLOCK`` (opening a FIFO never waits for a writer) and check the opened
  descriptor again with ``fstat``, so a file swapped for a FIFO in between is still refused;
* read at most ``limit`` bytes (a file that grows while read is refused, not read on and on).

Nothing here raises for a bad path: the text readers return ``None`` and log why.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from collections.abc import Callable
from typing import BinaryIO

log = logging.getLogger(__name__)

#: files above this size are not read unless the caller asks for another limit
DEFAULT_LIMIT = 3_000_000
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_BINARY_PROBE = 8192


class RefusedFile(OSError):
    """The path is not a regular file, or it is larger than the limit."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def regular_file_size(path: str | os.PathLike[str]) -> int | None:
    """The size of ``path`` if it is (or a symlink resolves to) a regular file, else ``None``."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    return regular_file_size(path) is not None


def _check(st: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise RefusedFile(f"{_kind(st.st_mode)}, not a regular file")
    if st.st_size > limit:
        raise RefusedFile(f"{st.st_size} bytes is over the {limit}-byte limit")


def read_regular_bytes(path: str | os.PathLike[str], limit: int = DEFAULT_LIMIT) -> bytes:
    """The bytes of ``path``; raises :class:`RefusedFile` (an ``OSError``) for anything but a
    regular file of at most ``limit`` bytes, and ``OSError`` when it cannot be read."""
    try:
        st = os.stat(path)  # follows symlinks: the target is what counts
    except ValueError as exc:  # NUL in the path
        raise RefusedFile("not a usable path") from exc
    _check(st, limit)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)  # what was opened, not what the path named a moment ago
        _check(st, limit)
        chunks: list[bytes] = []
        remaining = limit + 1  # one byte more tells a file that grew past the limit
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise RefusedFile(f"it grew over the {limit}-byte limit while being read")
    return data


def looks_binary(data: bytes) -> bool:
    return b"\0" in data[:_BINARY_PROBE]


def read_regular_text(
    path: str | os.PathLike[str],
    limit: int = DEFAULT_LIMIT,
    *,
    level: int = logging.INFO,
    binary_ok: bool = False,
) -> str | None:
    """The text of a regular file of at most ``limit`` bytes, or ``None`` (logged at ``level``)
    for anything else: a device, FIFO, socket or directory (through symlinks or not), an
    oversized, unreadable or binary file. Invalid UTF-8 is replaced, never fatal; a UTF-8 BOM
    is dropped."""
    try:
        data = read_regular_bytes(path, limit)
    except OSError as exc:
        log.log(level, "skipping %s: %s", path, exc)
        return None
    if not binary_ok and looks_binary(data):
        log.log(level, "skipping %s: looks binary", path)
        return None
    return decode_text(data)


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM dropped), every invalid byte replaced: one bad byte never hides a statement."""
    return data.decode("utf-8-sig", errors="replace")


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Write a file through a temporary file in the same folder and a rename: a reader (or a
    crash mid-write) never sees half a file. ``write(fh)`` fills the binary file object."""
    import tempfile  # only when writing: it imports shutil, bz2 and lzma

    folder, name = os.path.split(os.fspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def cache_dir() -> Path:
    """The server's cache folder: ``FASTAPI_DOCS_LSP_CACHE_DIR``, else the user cache folder."""
    override = os.environ.get("FASTAPI_DOCS_LSP_CACHE_DIR")
    if override:
        return Path(override)
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("fastapi-docs-lsp", appauthor=False))
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return Path.home() / ".cache" / "fastapi-docs-lsp"
