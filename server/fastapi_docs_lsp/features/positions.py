"""Position conversion between client units (UTF-16 by default) and code points, one line at a time.

pygls converts positions through ``document.lines``, which splits the whole document on every
call; on a 50,000-line file that costs more than the request itself. These helpers touch only
the line involved.
"""

from __future__ import annotations

from lsprotocol import types


def _units(ch: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf32:
        return 1
    if encoding == types.PositionEncodingKind.Utf8:
        return len(ch.encode("utf-8"))
    return 2 if ord(ch) > 0xFFFF else 1


def encoding_of(doc) -> str:
    return getattr(getattr(doc, "position_codec", None), "encoding", None) or types.PositionEncodingKind.Utf16


def line_text(lines: list[str], line: int) -> str:
    return lines[line] if 0 <= line < len(lines) else ""


def to_code_points(text: str, column: int, encoding: str) -> int:
    """Client column -> code-point column (clamped to the line)."""
    if text.isascii() or encoding == types.PositionEncodingKind.Utf32:
        return max(0, min(column, len(text)))
    units = 0
    for i, ch in enumerate(text):
        if units >= column:
            return i
        units += _units(ch, encoding)
    return len(text)


def to_client(text: str, column: int, encoding: str) -> int:
    """Code-point column -> client column."""
    column = max(0, min(column, len(text)))
    if text.isascii() or encoding == types.PositionEncodingKind.Utf32:
        return column
    return sum(_units(ch, encoding) for ch in text[:column])


def client_range(lines: list[str], line: int, start: int, end_line: int, end: int, encoding: str) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=to_client(line_text(lines, line), start, encoding)),
        end=types.Position(line=end_line, character=to_client(line_text(lines, end_line), end, encoding)),
    )
