"""Error-tolerant parsing of Python source into ASTs, chunk by chunk.

A module is split at top-level statements (lines that start in column 0). Each chunk is parsed
on its own, so a syntax error only costs the chunk it is in, and that chunk is repaired:
unclosed brackets are closed on the offending line, or the line is replaced by ``pass``.
Chunk trees are cached by text within a budget (``TREE_BUDGET`` characters of source): re-analysing
a file after a small edit re-parses only the chunk that changed, as long as the file fits; the
trees of a bigger file are re-parsed on demand instead of all being held (~50 bytes of AST per
character of source).
"""

from __future__ import annotations

import ast
import bisect
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from .background import pause_point
from .lowering import _FStrings, _Unlowerable, lower

_CONTINUATION = re.compile(r"^(?:else\b|elif\b|except\b|finally\b|case\b|[)\]}])")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")", "]", "}"}
_MAX_REPAIRS = 16
_TRIPLE = re.compile(r"\"\"\"|'''")
_HEADER = re.compile(r"^(\s*)(async\s+def|def|class)\s+([A-Za-z_]\w*)")
#: source characters whose ASTs the tree cache keeps: ~1,000 lines, ~2 MB of AST (~50 bytes a character)
TREE_BUDGET = 40_000


class Chunk:
    """One top-level statement range of a module and how to get its AST.

    The tree is not stored here: ``tree`` asks the shared, size-bounded cache, which re-parses
    the chunk's text when its tree was evicted. Re-parsing the same text yields an equal tree,
    but not the same objects: callers must not keep AST nodes across calls and compare them by
    identity (or by ``id()``).
    """

    __slots__ = ("start_line", "repaired", "_key", "_parsed")

    def __init__(self, start_line: int, key: str | tuple[str, str], repaired: bool, parsed: bool) -> None:
        self.start_line = start_line  # 0-based line of the chunk's first line in the module
        self.repaired = repaired
        self._key = key  # the text parsed: a chunk's text, or ("m", text) for a merged chunk
        self._parsed = parsed  # False when even the repaired chunk cannot be parsed

    @property
    def tree(self) -> ast.Module | None:
        """The chunk's AST (``None`` when it cannot be parsed), from the cache or parsed again."""
        if not self._parsed:
            return None
        return _trees.lookup(self._key)[0]

    @property
    def key(self) -> str | tuple[str, str]:
        """The text parsed (see ``_key``): chunks with equal keys have equal lines and trees."""
        return self._key

    def node_at(self, path: tuple) -> ast.AST | None:
        """The node reached from the chunk's tree by ``path``: attribute names and list indexes,
        e.g. ``("body", 3, "decorator_list", 0)``. A stable way to refer to a node without
        keeping the tree alive."""
        node: object = self.tree
        try:
            for step in path:
                node = getattr(node, step) if isinstance(step, str) else node[step]  # type: ignore[index]
        except (AttributeError, IndexError, TypeError):
            return None
        return node if isinstance(node, ast.AST) else None

    def __repr__(self) -> str:
        return f"Chunk(start_line={self.start_line}, repaired={self.repaired}, parsed={self._parsed})"


def _parse_key(key: str | tuple[str, str]) -> tuple[ast.Module | None, bool]:
    if isinstance(key, tuple):  # a merged chunk: parsed as is, never repaired
        return _parse(key[1]), False
    return _parse_chunk(key)


class TreeCache:
    """Parsed chunks by source text, bounded by the total length of that text (``budget``).

    Least recently used entries go first, but never ones used since the current *epoch* began
    (``new_epoch``, once per module parse): a module bigger than the budget is then read in
    passes that each find the same first ``budget`` characters cached, instead of an LRU that
    evicts every entry just before it is needed again. What does not fit is re-parsed on
    demand. An entry larger than the whole budget is never kept.
    """

    def __init__(self, budget: int = TREE_BUDGET) -> None:
        self.budget = budget
        self.size = 0
        self.epoch = 0
        self.parses = 0  # chunk parses done (cache misses), for tests and diagnostics
        self._entries: OrderedDict = OrderedDict()  # key -> [tree, repaired, size, epoch]
        # the last tree parsed but not admitted: callers often ask for the same chunk again at once
        self._last: tuple = (None, None, False)
        self._lock = threading.Lock()

    def new_epoch(self) -> None:
        with self._lock:
            self.epoch += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0
            self._last = (None, None, False)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def lookup(self, key: str | tuple[str, str]) -> tuple[ast.Module | None, bool]:
        """``(tree, repaired)`` for ``key``'s text, from the cache or parsed (and cached if it fits).

        Every pass over a module's chunks comes through here: background threads pause here
        while requests are arriving (``background.pause_point``)."""
        pause_point()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                entry[3] = self.epoch
                return entry[0], entry[1]
            last = self._last
            if last[0] == key:
                return last[1], last[2]
        tree, repaired = _parse_key(key)  # outside the lock: parses may run in several threads
        self.parses += 1
        self._put(key, tree, repaired)
        return tree, repaired

    def _put(self, key: str | tuple[str, str], tree: ast.Module | None, repaired: bool) -> None:
        size = len(key[1]) if isinstance(key, tuple) else len(key)
        with self._lock:
            entries = self._entries
            if key in entries:
                return
            self._last = (None, None, False)
            if size > self.budget:
                self._last = (key, tree, repaired)
                return
            while self.size + size > self.budget and entries:
                oldest_key, oldest = next(iter(entries.items()))
                if oldest[3] == self.epoch:
                    self._last = (key, tree, repaired)
                    return  # all that is cached was used by the current pass: do not admit
                del entries[oldest_key]
                self.size -= oldest[2]
            entries[key] = [tree, repaired, size, self.epoch]
            self.size += size


_trees = TreeCache()


def split_chunks(lines: list[str]) -> list[tuple[int, int]]:
    """Top-level statement ranges ``[start, end)`` (0-based lines). Decorators stay with their def."""
    starts = chunk_starts(lines)
    return ranges_of(starts, len(lines))


def ranges_of(starts: list[int], n_lines: int) -> list[tuple[int, int]]:
    return [(s, starts[k + 1] if k + 1 < len(starts) else n_lines) for k, s in enumerate(starts)]


def chunk_starts(lines: list[str], begin: int = 0, resume: Callable[[int], bool] | None = None) -> list[int]:
    """First lines of the top-level statements, scanning from ``begin`` (a statement start, where
    the scan's state is clean). ``resume(i)``: called at each start ``i`` found after the first;
    when it returns True the scan stops there (the caller knows the starts from ``i`` on) and
    ``i`` is the last element returned."""
    starts: list[int] = []
    prev_decorator = False
    in_string = ""  # the triple quote of a string that spans lines, if any
    for i in range(begin, len(lines)):
        line = lines[i]
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
        if resume is not None and len(starts) > 1 and resume(i):
            break
        prev_decorator = line.startswith("@")
    if begin == 0 and (not starts or starts[0] != 0):
        starts.insert(0, 0)
    return starts


def resplit(old_starts: list[int], old_n: int, lines: list[str], first: int, tail: int) -> tuple[list[int], int, int, int]:
    """Chunk starts of ``lines`` after an edit, re-scanning only around it.

    ``old_starts``: the starts before the edit, of a text of ``old_n`` lines; lines before
    ``first`` and the last ``tail`` lines are unchanged. Returns ``(starts, k0, j, k)``: starts
    ``[:k0]`` are the old ones, starts ``[j:]`` are the old ones from ``k`` on, shifted by the
    change in line count."""
    n = len(lines)
    delta = n - old_n
    k0 = max(0, bisect.bisect_left(old_starts, first) - 1)  # the last start before the changed line
    old_index = {s: k for k, s in enumerate(old_starts[k0:], k0)} if len(old_starts) - k0 < 64 else None
    boundary = n - tail  # lines from here on are unchanged
    found: list[int] = []

    def resume(i: int) -> bool:
        if i < boundary or i <= first:
            return False
        old = i - delta
        if old_index is not None:
            k = old_index.get(old)
        else:
            k = bisect.bisect_left(old_starts, old, k0)
            k = k if k < len(old_starts) and old_starts[k] == old else None
        if k is None:
            return False
        found.append(k)
        return True

    scanned = chunk_starts(lines, old_starts[k0] if old_starts else 0, resume)
    if not old_starts:
        scanned = chunk_starts(lines)
    if found:
        k = found[0]
        starts = old_starts[:k0] + scanned[:-1] + [s + delta for s in old_starts[k:]]
        return starts, k0, k0 + len(scanned) - 1, k
    starts = old_starts[:k0] + scanned
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return starts, k0, len(starts), len(old_starts)


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


def _parse(text: str, failed: dict | None = None) -> ast.Module | None:
    """The exact tree of ``text``: parsed as is, or lowered first when the interpreter's grammar
    is older than the text's (``lowering``: positions are kept).

    ``failed``: where a failed parse leaves the syntax error of ``text`` as is (``"error"``) and
    the lowered text when lowering was tried (``"lowered"``), for the repairs."""
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        if failed is not None:
            failed["error"] = exc.with_traceback(None)  # (its frames would hold ``failed``: a cycle)
        if not may_need_lowering(text, exc):
            return None
    except (ValueError, RecursionError, MemoryError):
        return None
    lowered = lower(text)
    if failed is not None:
        failed["lowered"] = lowered
    if lowered is None:
        return None
    try:
        return ast.parse(lowered)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _repair(lines: list[str], error: SyntaxError | None = None) -> ast.Module | None:
    """Repair ``lines`` until they parse; ``error``: the syntax error of the lines as they are,
    when already known (it saves parsing them again)."""
    lines = list(lines)
    tried: set[tuple[int, str]] = set()
    for _ in range(_MAX_REPAIRS):
        if error is not None:
            error_line, message = error.lineno, str(error.msg or "")
            error = None
        else:
            try:
                return ast.parse("\n".join(lines))
            except (ValueError, RecursionError, MemoryError):
                return None
            except SyntaxError as exc:
                error_line, message = exc.lineno, str(exc.msg or "")
        lineno = (error_line or len(lines)) - 1
        lineno = min(max(lineno, 0), len(lines) - 1)
        line = lines[lineno]
        if "expected an indented block" in message:
            # a block header without its block yet (typing ``if x:`` then Enter): ``if x: pass``
            header = _block_header(lines, lineno, message)
            if header is not None and (header, "body") not in tried:
                tried.add((header, "body"))
                code = lines[header]
                lines[header] = (code[: code.index("#")] if "#" in code else code).rstrip() + " pass"
                continue
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


_ON_LINE = re.compile(r" on line (\d+)")


def _block_header(lines: list[str], lineno: int, message: str) -> int | None:
    """The line of the block header that an "expected an indented block" error is about: the
    one the message names (Python 3.10+), else the error line or the last non-blank line before
    it; None unless that line ends with ``:`` (before a comment)."""
    m = _ON_LINE.search(message)
    if m is not None:
        header = int(m.group(1)) - 1
    else:
        header = lineno
        while header > 0 and not lines[header].strip():
            header -= 1
        if not _ends_header(lines[header]) and header > 0:
            header -= 1
            while header > 0 and not lines[header].strip():
                header -= 1
    if not 0 <= header < len(lines) or not _ends_header(lines[header]):
        return None
    return header


def _ends_header(line: str) -> bool:
    code = line[: line.index("#")] if "#" in line else line
    return code.rstrip().endswith(":")


def _parse_chunk(text: str) -> tuple[ast.Module | None, bool]:
    failed: dict = {}
    tree = _parse(text, failed)
    if tree is not None:
        return tree, False
    if _NEWER_SYNTAX.search(text):
        lowered = failed["lowered"] if "lowered" in failed else lower(text)  # (_parse lowered it)
        if lowered:
            return _repair(lowered.split("\n")), True
    return _repair(text.split("\n"), failed.get("error")), True


#: syntax some supported interpreters cannot parse (see ``lowering``): PEP 758 and 654 except
#: clauses, PEP 695 ``type`` statements and type parameters, PEP 750 t-strings
_NEWER_SYNTAX = re.compile(
    r"\bexcept\b(?:\s*\*|[^:\n]*,)|^[ \t]*type[ \t]+[^\W\d]\w*[ \t]*[=\[]|\b(?:def|class)[ \t]+[^\W\d]\w*[ \t]*\[|(?<![\w'\"])(?:[tT][rR]?|[rR][tT])['\"]",
    re.MULTILINE,
)


def may_need_lowering(text: str, exc: SyntaxError) -> bool:
    """Whether ``text``'s syntax error may come from syntax newer than the interpreter (cheap)."""
    msg = exc.msg or ""
    if "f-string" in msg or _NEWER_SYNTAX.search(text) is not None:
        return True
    # a PEP 701 replacement field spanning lines, in a one-line f-string
    return "unterminated string" in msg and _F_PREFIX.search(text) is not None


_F_PREFIX = re.compile(r"(?<![\w'\"])(?:[fF][rR]?|[rR][fF])['\"]")


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_source(text: str) -> str:
    """The text the parser and the analysis read: NULs -> spaces, lone surrogates (which UTF-8
    cannot encode, so ``ast`` rejects the whole chunk) -> U+FFFD, line ends -> LF. Every
    replacement is one code point for one, so columns (and UTF-16 offsets) do not move."""
    text = text.replace("\x00", " ")
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR -> LF: Python and LSP clients both break lines at all three, so line
    numbers agree with the editor's. Columns do not move (only line ends change)."""
    if "\r" in text:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_CLOSED, _OPEN, _UNCERTAIN = 0, 1, 2
#: what the end state of a text depends on: comments, string starts (and their prefixes),
#: brackets, line continuations
_SCAN = re.compile(r"""#[^\n]*|(?:(?<!\w)([rRbBuUfFtT]{1,2}))?(\"\"\"|'''|"|')|([(\[{])|([)\]}])|\\""")
#: the rest of a string after its opening quote, up to and with its closing quote
_BODY = {
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL),
    "'''": re.compile(r"(?:[^'\\]|\\.|'(?!''))*'''", re.DOTALL),
}
#: the rest of a one-line string after its opening quote, up to its closing quote (excluded) or
#: the line end (an escaped line break goes on)
_RUN = {
    '"': re.compile(r'(?:[^"\\\n]|\\.)*', re.DOTALL),
    "'": re.compile(r"(?:[^'\\\n]|\\.)*", re.DOTALL),
}
_CLOSER_OF = {"(": ")", "[": "]", "{": "}"}


class _Ends:
    """How a text ends for Python's tokenizer, read cheaply: ``_CLOSED`` (outside brackets,
    strings and line continuations), ``_OPEN`` (inside one of them: the text cannot parse as
    it is, though more text may close it) or ``_UNCERTAIN`` (what the scan does not follow).

    ``feed`` reads more text, as if appended (a chunk merged with the next ones). The scan
    follows Python's tokenizer on all text that parses, so a text that parses never ends
    ``_OPEN``; and after a text that ends ``_CLOSED``, a line in column 0 can only start a new
    statement (merging it cannot make the text parse). f-strings and t-strings (nested quotes,
    replacement fields over lines: PEP 701) are read as the lowering reads them (``_FStrings``)."""

    __slots__ = ("status", "_stack", "_quote", "_text", "_fstring")

    def __init__(self, text: str) -> None:
        self.status = _CLOSED
        self._stack: list[str] = []
        self._quote = ""  # the triple quote of a string still open at the end
        self._text = ""  # all the text fed
        self._fstring = -1  # where an f-string still open at the end starts
        self.feed(text)

    def _fstring_end(self, start: int) -> int | None:
        """The end of the f-string starting (with its prefix) at ``start``; None when the text
        ends inside it (``_OPEN``, remembered) or the scan cannot tell (``_UNCERTAIN``). A
        one-line f-string broken by a line break: the scan goes on after that line."""
        text = self._text
        q = start
        while text[q] not in "'\"":
            q += 1
        scan = _FStrings(text)
        try:
            return scan.string(start, q)
        except (_Unlowerable, IndexError, RecursionError):
            if scan.broken_at >= 0:
                return scan.broken_at  # an error whatever follows
            if scan.ran_off:
                self._fstring = start
                self.status = _OPEN
            else:
                self.status = _UNCERTAIN
            return None

    def feed(self, text: str) -> None:
        if self.status == _UNCERTAIN:
            return
        pos = len(self._text)
        self._text += text
        text = self._text
        n, stack = len(text), self._stack
        if self._fstring >= 0:
            end = self._fstring_end(self._fstring)
            if end is None:
                return  # still inside it
            self._fstring = -1
            pos = end
        elif self._quote:
            body = _BODY[self._quote].match(text, pos)
            if body is None:
                return  # still inside the string
            self._quote = ""
            pos = body.end()
        continued = False
        while True:
            m = _SCAN.search(text, pos)
            if m is None:
                break
            pos = m.end()
            continued = False
            quote = m.group(2)
            if quote is not None:
                prefix = m.group(1)
                if prefix is not None and ("f" in prefix or "F" in prefix or "t" in prefix or "T" in prefix):
                    end = self._fstring_end(m.start())
                    if end is None:
                        return
                    pos = end
                    continue
                if len(quote) == 3:
                    body = _BODY[quote].match(text, pos)
                    if body is None:
                        self._quote = quote  # open to the end
                        break
                    pos = body.end()
                    continue
                run = _RUN[quote].match(text, pos)  # (matches the empty string at least)
                end = run.end() if run is not None else pos
                if end < n and text[end] == quote:
                    pos = end + 1
                elif end == n - 1:  # an escaped line break at the very end: it may go on below
                    self.status = _UNCERTAIN
                    return
                else:
                    pos = end  # unterminated at its line end: an error whatever follows
                continue
            opener = m.group(3)
            if opener is not None:
                stack.append(_CLOSER_OF[opener])
            elif m.group(4) is not None:
                if stack and stack[-1] == m.group(4):
                    stack.pop()
            elif m.group(0) == "\\" and pos >= n - 1:
                if pos == n or text[pos] != "\n":
                    continued = True  # a line continuation at the very end: the text ends inside it
                else:  # a continuation onto an empty last line: it may parse once more follows
                    self.status = _UNCERTAIN
                    return
        self.status = _OPEN if stack or self._quote or continued else _CLOSED


def parse_range(lines: list[str], ranges: Sequence[tuple[int, int]], k: int, stop: int | None = None) -> tuple[Chunk, ast.Module | None, int]:
    """The chunk starting with range ``k``: ``(chunk, tree, ranges it covers)``. A repaired chunk
    is merged with up to three following ranges (below ``stop``) when together they parse: a
    multi-line string or bracket may continue into them at column 0."""
    start, end = ranges[k]
    key: str | tuple[str, str] = "\n".join(lines[start:end])
    tree, repaired = _trees.lookup(key)
    covered = 1
    # A merge can parse only where the chunk ends open (in a bracket, a string or a line
    # continuation), and only once the merged text no longer does (``_Ends``): the merges known
    # to fail are not parsed (typing leaves the chunk broken most of the time).
    limit = len(ranges) if stop is None else stop
    ends = _Ends(key) if repaired else None
    if ends is not None and ends.status == _CLOSED and k + 1 < limit and lines[ranges[k + 1][0]].startswith("\\"):
        ends.status = _UNCERTAIN  # a line continuation in column 0 does not start a statement
    if ends is not None and ends.status != _CLOSED:
        for extra in (1, 2, 3):
            if k + extra >= limit:
                break
            piece_start, merged_end = ranges[k + extra]
            ends.feed("\n" + "\n".join(lines[piece_start:merged_end]))
            if ends.status == _OPEN:
                continue  # still open at its end: it cannot parse
            merged_key = ("m", "\n".join(lines[start:merged_end]))
            merged, _ = _trees.lookup(merged_key)
            if merged is not None:
                tree, repaired, key = merged, False, merged_key
                covered = extra + 1
                break
    return Chunk(start, key, repaired, tree is not None), tree, covered


def parse_module(text: str, visit: Callable[[Chunk, ast.Module], None] | None = None) -> list[Chunk]:
    """Parse ``text`` into chunks; unparseable chunks are repaired or skipped, never raised.

    ``visit(chunk, tree)`` is called with each parsed chunk's tree as it is made, so a caller
    can do a first pass over the module without parsing again what the cache could not keep.
    Only one chunk's tree (plus what the cache keeps) is alive at a time.
    """
    text = clean_source(text)
    lines = text.split("\n")
    ranges = split_chunks(lines)
    chunks: list[Chunk] = []
    _trees.new_epoch()
    k = 0
    while k < len(ranges):
        chunk, tree, covered = parse_range(lines, ranges, k)
        chunks.append(chunk)
        if visit is not None and tree is not None:
            visit(chunk, tree)
        del tree
        k += covered
    return chunks
