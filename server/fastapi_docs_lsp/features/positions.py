"""Position conversion between client units (UTF-16 by default) and code points, one line at a time.

pygls converts positions through ``document.lines``, which splits the whole document on every
call; on a 50,000-line file that costs more than the request itself. The conversion itself is
written once, in ``pygls_seam`` (documents use it for edits); these helpers apply it to lines.
"""

from __future__ import annotations

from lsprotocol import types

from ..pygls_seam import encoding_of, to_client, to_code_points

__all__ = ["client_range", "encoding_of", "line_text", "to_client", "to_code_points"]


def line_text(lines: list[str], line: int) -> str:
    return lines[line] if 0 <= line < len(lines) else ""


def client_range(lines: list[str], line: int, start: int, end_line: int, end: int, encoding: str) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=to_client(line_text(lines, line), start, encoding)),
        end=types.Position(line=end_line, character=to_client(line_text(lines, end_line), end, encoding)),
    )
