"""The arguments of a call, read from the text right after the callee (for call-site hovers).

``call_arguments(lines, line, col)`` looks at the text just after a name (``@router.get``,
``Query``...) and, when a call follows, returns how many positional arguments it passes and
which keywords it names. Broken or half-typed code gives what could be read; no call gives None.
Pure text scanning, no AST: the code around a hover is often being edited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MAX_LINES = 200
_MAX_CHARS = 20_000
_KEYWORD = re.compile(r"\s*([A-Za-z_]\w*)\s*=(?!=)")
_STATEMENT = re.compile(r"(?:@|(?:async\s+)?def\s|class\s)")
_OPEN = "([{"
_CLOSE = ")]}"


@dataclass(frozen=True, slots=True)
class CallArgs:
    """What one call passes: ``positional`` arguments, then ``keywords`` by name (in order)."""

    positional: int = 0
    keywords: tuple[str, ...] = ()


def call_arguments(lines: list[str], line: int, col: int) -> CallArgs | None:
    """The arguments of the call whose callee ends at (``line``, ``col``), or None if no call follows."""
    if not 0 <= line < len(lines):
        return None
    first = lines[line][col:]
    stripped = first.lstrip()
    if not stripped.startswith("("):
        return None
    text_parts = [stripped[1:]]
    total = len(text_parts[0])
    for k in range(line + 1, min(len(lines), line + _MAX_LINES)):
        if total > _MAX_CHARS:
            break
        text_parts.append(lines[k])
        total += len(lines[k]) + 1
    return _scan("\n".join(text_parts))


def _scan(text: str) -> CallArgs:
    depth = 0
    positional = 0
    keywords: list[str] = []
    segment_start = 0
    quote = ""
    i = 0
    n = len(text)

    def close_segment(end: int) -> None:
        nonlocal positional
        segment = text[segment_start:end]
        m = _KEYWORD.match(segment)
        if m:
            keywords.append(m.group(1))
            return
        body = _strip_comments(segment).strip()
        if body and not body.startswith("*"):
            positional += 1

    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
            i += 1
            continue
        if c == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if c in "'\"":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            continue
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            if depth == 0:
                close_segment(i)
                return CallArgs(positional, tuple(dict.fromkeys(keywords)))
            depth -= 1
        elif c == "\n" and _STATEMENT.match(text, i + 1):
            break  # an unclosed call: the next statement starts here
        elif c == "," and depth == 0:
            close_segment(i)
            segment_start = i + 1
        i += 1
    close_segment(i)  # unclosed call: what was typed so far
    return CallArgs(positional, tuple(dict.fromkeys(keywords)))


def _strip_comments(segment: str) -> str:
    return "\n".join(ln.split("#", 1)[0] for ln in segment.splitlines())
