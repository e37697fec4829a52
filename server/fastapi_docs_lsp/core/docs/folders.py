"""Careful file access for user-configured documentation folders.

Everything here stays inside a given root: symlinks are resolved and checked, directory
symlink loops are cut, binary and oversized files are skipped, each with one log line.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..files import read_regular_bytes

log = logging.getLogger(__name__)

#: Files larger than this are skipped (FastAPI's largest page, the release notes, is ~0.7 MB).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: A walk stops after this many files or directories (someone pointed us at their home folder).
MAX_WALK_ENTRIES = 20_000
MAX_WALK_DEPTH = 16
_SKIP_DIRS = {"node_modules", "__pycache__", "site", ".git", ".venv", "venv"}


def safe_resolve(path: Path) -> Path | None:
    """``path.resolve()``, or ``None`` for symlink loops and unreadable paths."""
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None


def is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def read_text(path: Path, root: Path, *, max_bytes: int = MAX_FILE_BYTES, quiet: bool = False) -> str | None:
    """The text of ``path`` if it is a readable, non-binary file of at most ``max_bytes`` inside ``root``.

    ``root`` must already be resolved. Problems are logged as warnings (debug when ``quiet``).
    """
    report = log.debug if quiet else log.warning
    real = safe_resolve(path)
    if real is None:
        report("docs: skipping %s: broken link, symlink loop or unreadable path", path)
        return None
    if not is_within(real, root):
        report("docs: skipping %s: it points outside %s", path, root)
        return None
    try:
        data = read_regular_bytes(real, max_bytes)  # regular files only: no FIFO, device or socket
    except OSError as exc:
        report("docs: skipping %s: %s", path, exc)
        return None
    if b"\0" in data[:8192]:
        report("docs: skipping %s: binary file", path)
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        if text.count("\ufffd") > max(16, len(text) // 100):
            report("docs: skipping %s: not UTF-8 text", path)
            return None
        log.debug("docs: %s has invalid UTF-8 bytes, replaced", path)
        return text


@dataclass(frozen=True, slots=True)
class FileStat:
    rel: str
    mtime_ns: int
    size: int


def walk_files(root: Path, suffixes: tuple[str, ...] = (".md",)) -> list[Path]:
    """Files under resolved ``root`` with one of ``suffixes``, sorted; stays inside ``root``.

    Directory symlinks are followed only when they point inside ``root`` and to a directory
    not visited yet (this cuts loops); hidden and tool directories are skipped.
    """
    out: list[Path] = []
    seen_dirs: set[str] = set()
    stack: list[tuple[Path, int]] = [(root, 0)]
    entries = 0
    while stack:
        folder, depth = stack.pop()
        real = safe_resolve(folder)
        if real is None or not is_within(real, root):
            log.warning("docs: skipping folder %s: symlink loop or outside %s", folder, root)
            continue
        key = str(real)
        if key in seen_dirs:
            log.debug("docs: %s already visited (symlink loop?)", folder)
            continue
        seen_dirs.add(key)
        try:
            with os.scandir(folder) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            log.warning("docs: cannot list %s: %s", folder, exc)
            continue
        for entry in items:
            entries += 1
            if entries > MAX_WALK_ENTRIES:
                log.warning("docs: %s holds more than %d entries; reading only the first ones", root, MAX_WALK_ENTRIES)
                return sorted(out)
            name = entry.name
            if name.startswith(".") or name in _SKIP_DIRS:
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                if depth + 1 > MAX_WALK_DEPTH:
                    log.warning("docs: not descending into %s: deeper than %d levels", path, MAX_WALK_DEPTH)
                    continue
                stack.append((path, depth + 1))
            elif name.lower().endswith(suffixes):
                out.append(path)
    return sorted(out)


def file_stats(root: Path, files: list[Path]) -> list[FileStat]:
    """Cheap fingerprint of ``files`` for cache keys (missing files are left out)."""
    out = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        out.append(FileStat(os.path.relpath(f, root), st.st_mtime_ns, st.st_size))
    return out
