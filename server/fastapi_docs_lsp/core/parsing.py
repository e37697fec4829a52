"""Error-tolerant parsing of Python source into ASTs, chunk by chunk.

A module is split at top-level statements (lines that start in column 0). Each chunk is parsed
on its own, so a syntax error only costs the chunk it is in, and that chunk is repaired:
unclosed brackets are closed on the offending line, or the line is replaced by ``pass``.
Chunk parses are cached by text, so re-analysing a large file after a small edit re-parses
only the chunk that changed.
"""

from __future__ import annotations

import ast
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

_CONTINUATION = re.compile(r"^(?:else\b|elif\b|except\b|finally\b|case\b|[)\]}])")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")", "]", "}"}
_MAX_REPAIRS = 16
_TRIPLE = re.compile(r"\"\"\"|'''")
_HEADER = re.compile(r"^(\s*)(async\s+def|def|class)\s+([A-Za-z_]\w*)")
_CACHE_SIZE = 20_000


@dataclass(frozen=True, slots=True)
class Chunk:
    start_line: int  # 0-based line of the chunk's first line in the module
    tree: ast.Module | None  # None when even the repaired chunk cannot be parsed
    repaired: bool


class _LRU(OrderedDict):
    def get_or(self, key, make):
        try:
            value = self[key]
            self.move_to_end(key)
            return value
        except KeyError:
            value = make()
            self[key] = value
            if len(self) > _CACHE_SIZE:
                self.popitem(last=False)
            return value


_cache: _LRU = _LRU()

# Which cache entries each document's latest parse used (``owner``: a module name or path). An
# entry no current text uses any more (the chunk before an edit) is dropped at once: while the
# user types, every keystroke would otherwise leave a stale AST behind until the LRU is full
# (20,000 chunks, hundreds of MB).
_owned: dict[str, set] = {}
_refs: dict = {}
_owner_lock = threading.Lock()


def _retain(owner: str, keys: set) -> None:
    with _owner_lock:
        old = _owned.get(owner, set())
        for key in keys - old:
            _refs[key] = _refs.get(key, 0) + 1
        for key in old - keys:
            left = _refs.get(key, 0) - 1
            if left > 0:
                _refs[key] = left
            else:
                _refs.pop(key, None)
                _cache.pop(key, None)
        _owned[owner] = keys


def split_chunks(lines: list[str]) -> list[tuple[int, int]]:
    """Top-level statement ranges ``[start, end)`` (0-based lines). Decorators stay with their def."""
    starts: list[int] = []
    prev_decorator = False
    in_string = ""  # the triple quote of a string that spans lines, if any
    for i, line in enumerate(lines):
        was_in_string = in_string
        if '"""' in line or "'''" in line:
            for m in _TRIPLE.finditer(line):
                quote = m.group(0)
                if not in_string:
                    in_string = quote
                elif quote == in_string:
                    in_string = ""
        if was_in_string or not line or line[0] in " \t#\r\n\f":
            continue
        if _CONTINUATION.match(line):
            continue
        if prev_decorator:
            prev_decorator = line.startswith("@")
            continue
        starts.append(i)
        prev_decorator = line.startswith("@")
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    ranges = []
    for k, s in enumerate(starts):
        e = starts[k + 1] if k + 1 < len(starts) else len(lines)
        ranges.append((s, e))
    return ranges


def _bracket_closers(line: str) -> str:
    """Closers needed to balance the brackets opened (outside strings/comments) on ``line``."""
    stack: list[str] = []
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
        elif ch == "#":
            break
        elif ch in "'\"":
            quote = line[i : i + 3] if line[i : i + 3] in ("'''", '"""') else ch
            i += len(quote)
            continue
        elif ch in _OPENERS:
            stack.append(_OPENERS[ch])
        elif ch in _CLOSERS and stack and stack[-1] == ch:
            stack.pop()
        i += 1
    closers = "".join(reversed(stack))
    if quote and len(quote) == 1:
        closers = quote + closers
    return closers


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _repair(lines: list[str]) -> ast.Module | None:
    lines = list(lines)
    tried: set[tuple[int, str]] = set()
    for _ in range(_MAX_REPAIRS):
        text = "\n".join(lines)
        try:
            return ast.parse(text)
        except (ValueError, RecursionError, MemoryError):
            return None
        except SyntaxError as exc:
            lineno = (exc.lineno or len(lines)) - 1
            lineno = min(max(lineno, 0), len(lines) - 1)
            message = str(exc.msg or "")
        line = lines[lineno]
        if "unexpected indent" in message or "unindent" in message:
            if (lineno, "blank") not in tried:
                tried.add((lineno, "blank"))
                lines[lineno] = ""
                continue
        indent = line[: len(line) - len(line.lstrip())]
        closers = _bracket_closers(line)
        if closers and (lineno, "close") not in tried:
            tried.add((lineno, "close"))
            stripped = line.rstrip()
            if stripped.endswith(","):
                stripped = stripped[:-1]
            if stripped.endswith(":") and not closers.startswith(("'", '"')):
                lines[lineno] = stripped[:-1] + closers + ":"
            else:
                lines[lineno] = stripped + closers
            continue
        header = _HEADER.match(line)
        if header and (lineno, "header") not in tried:
            tried.add((lineno, "header"))
            lines[lineno] = f"{header.group(1)}{header.group(2)} {header.group(3)}():" if header.group(2) != "class" else f"{header.group(1)}class {header.group(3)}:"
            continue
        if (lineno, "pass") not in tried:
            tried.add((lineno, "pass"))
            if line.rstrip().endswith(":") or line.lstrip().startswith("@"):
                # keep the block (or the decorated def after it) parseable
                lines[lineno] = indent + ("if True:" if line.rstrip().endswith(":") else "pass")
            else:
                lines[lineno] = indent + "pass"
            continue
        # the same line failed twice: drop it and the rest of its indented block
        lines[lineno] = indent + "pass"
        if lineno + 1 < len(lines):
            lines = lines[: lineno + 1]
    return None


def _parse_chunk(text: str) -> tuple[ast.Module | None, bool]:
    tree = _parse(text)
    if tree is not None:
        return tree, False
    return _repair(text.split("\n")), True


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR -> LF: Python and LSP clients both break lines at all three, so line
    numbers agree with the editor's. Columns do not move (only line ends change)."""
    if "\r" in text:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def parse_module(text: str, owner: str | None = None) -> list[Chunk]:
    """Parse ``text`` into chunks; unparseable chunks are repaired or skipped, never raised.

    ``owner`` (the document's module name or path): its previous text's chunks that this text no
    longer has are evicted from the cache.
    """
    text = normalize_newlines(text.replace("\x00", " "))
    lines = text.split("\n")
    ranges = split_chunks(lines)
    chunks: list[Chunk] = []
    used: set = set()
    k = 0
    while k < len(ranges):
        start, end = ranges[k]
        chunk_text = "\n".join(lines[start:end])
        tree, repaired = _cache.get_or(chunk_text, lambda t=chunk_text: _parse_chunk(t))
        used.add(chunk_text)
        if repaired:
            # a multi-line string or bracket may continue into the next chunks at column 0
            for extra in (1, 2, 3):
                if k + extra >= len(ranges):
                    break
                merged_end = ranges[k + extra][1]
                merged_text = "\n".join(lines[start:merged_end])
                merged = _cache.get_or(("m", merged_text), lambda t=merged_text: (_parse(t), False))
                used.add(("m", merged_text))
                if merged[0] is not None:
                    tree, repaired, end = merged[0], False, merged_end
                    k += extra
                    break
        chunks.append(Chunk(start, tree, repaired))
        k += 1
    if owner is not None:
        _retain(owner, used)
    return chunks
