"""Open documents kept as a list of lines, so an incremental ``didChange`` costs O(edit), not O(file).

pygls' ``TextDocument`` re-splits the whole text (``str.splitlines``) for every change and every
position conversion: ~7 ms per keystroke on a 50,000-line module. It also splits on characters
LSP clients do not treat as line breaks (form feed, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028/9), so
an edit after such a character lands on the wrong line. The documents (``pygls_seam.SyncedDocument``)
keep the text as lines split the way the protocol defines them (``\\n``, ``\\r\\n``, ``\\r``) with
the helpers below, apply a change by splicing the lines it touches, and join the full text lazily.

This module is pure (no pygls); the document and workspace subclasses live in ``pygls_seam.py``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

_BREAK = re.compile(r"(\r\n|\r|\n)")


def split_lines(text: str) -> list[str]:
    """LSP lines with their terminators; the last item is the text after the last break (maybe "").

    ``"".join(split_lines(t)) == t`` and ``len(split_lines(t))`` is the number of lines a client sees.
    """
    if "\r" not in text:
        parts = text.split("\n")
        last = parts.pop()
        out = [p + "\n" for p in parts]
        out.append(last)
        return out
    parts = _BREAK.split(text)
    out = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
    out.append(parts[-1])
    return out


def content_length(line: str) -> int:
    """The length of ``line`` without its terminator."""
    if line.endswith("\r\n"):
        return len(line) - 2
    if line.endswith(("\n", "\r")):
        return len(line) - 1
    return len(line)


if TYPE_CHECKING:  # the pygls subclasses, for type checkers (import them from pygls_seam)
    from .pygls_seam import DiskDocument, SyncedDocument, SyncedWorkspace  # noqa: F401


def __getattr__(name: str):
    """``documents.SyncedDocument`` & co. still resolve (they moved to ``pygls_seam``)."""
    if name in ("SyncedDocument", "SyncedWorkspace", "DiskDocument"):
        from . import pygls_seam

        return getattr(pygls_seam, name)
    raise AttributeError(name)
