"""Where the cursor is, read from the text alone (the code around it is usually half-typed).

``scan`` tokenizes just enough (strings, comments, brackets, commas) from a statement start
to the cursor to know the open brackets around the cursor, the arguments already written in
each, and whether the cursor sits in a string or a comment. ``LineMap`` relates the lines of
the current text to those of an older analysis, so completion can keep using bindings while
the statement being typed changes.

Pure Python, no parsing of the (often broken) statement under the cursor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"\"\"\"|'''|[\"'#()\[\]{},]")
_SINGLE_END = {
    '"': re.compile(r'(?:[^"\\\n]|\\(?:.|\n))*'),
    "'": re.compile(r"(?:[^'\\\n]|\\(?:.|\n))*"),
}
_TRIPLE_END = {
    '"""': re.compile(r'(?:[^"\\]|\\(?:.|\n)|"(?!""))*'),
    "'''": re.compile(r"(?:[^'\\]|\\(?:.|\n)|'(?!''))*"),
}
_CLOSE = {")": "(", "]": "[", "}": "{"}


def _string_end(body: re.Pattern[str], text: str, start: int) -> int:
    """Where a string's body that starts at ``start`` ends (the patterns above match the empty body too)."""
    m = body.match(text, start)
    return m.end() if m else start

#: a line starting like this cannot be inside an open bracket: a frame opened above it is stale
_STATEMENT_START = re.compile(r"\s*(?:(?:async\s+)?def\s|class\s|@|return\b|import\s|from\s+[\w.]+\s+import\b|if\s|elif\s|while\s|try:|except\b|with\s)")
_CALLEE = re.compile(r"(?:^|[^\w.])((?:[A-Za-z_]\w*\s*\.\s*)*[A-Za-z_]\w*)\s*$")
_DEF_HEAD = re.compile(r"^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)\s*$")
_IMPORT_HEAD = re.compile(r"^\s*from\s+(\.*[\w.]*)\s+import\s*$")
_KEYWORD = re.compile(r"\s*([A-Za-z_]\w*)\s*=(?!=)")
_NAME = re.compile(r"\s*\*{0,2}\s*([A-Za-z_]\w*)")
_COMMENT = re.compile(r"#[^\n]*")


def _clean(arg: str) -> str:
    return _COMMENT.sub("", arg) if "#" in arg else arg


@dataclass(slots=True)
class Frame:
    """An open bracket around the cursor."""

    char: str  # ( [ {
    line: int
    col: int
    head: str  # the text of its line before the bracket
    args: list[str] = field(default_factory=list)  # arguments before the cursor's one (raw text)
    current: str = ""  # the cursor's argument, up to the cursor
    current_line: int = 0  # where the cursor's argument starts
    current_col: int = 0

    @property
    def callee(self) -> str | None:
        """``router.post`` for ``@router.post(``; None when the bracket is not a call on a name."""
        if self.char != "(":
            return None
        m = _CALLEE.search(self.head)
        if not m:
            return None
        if _DEF_HEAD.match(self.head) or _IMPORT_HEAD.match(self.head):
            return None
        return re.sub(r"\s+", "", m.group(1))

    @property
    def def_name(self) -> str | None:
        m = _DEF_HEAD.match(self.head) if self.char == "(" else None
        return m.group(1) if m else None

    @property
    def import_module(self) -> str | None:
        m = _IMPORT_HEAD.match(self.head) if self.char == "(" else None
        return m.group(1) if m else None

    def _arg_names(self, pattern: re.Pattern[str]) -> set[str]:
        return {m.group(1) for arg in self.args if (m := pattern.match(_clean(arg)))}

    def keywords(self) -> set[str]:
        """Keyword arguments already written before the cursor's argument."""
        return self._arg_names(_KEYWORD)

    def positional_count(self) -> int:
        """Positional arguments before the cursor's argument (stops at the first keyword or star)."""
        n = 0
        for arg in self.args:
            arg = _clean(arg)
            stripped = arg.strip()
            if not stripped:
                continue
            if stripped.startswith("*") or _KEYWORD.match(arg):
                break
            n += 1
        return n

    def param_names(self) -> set[str]:
        """For a ``def`` frame: the parameter names already written before the cursor."""
        return self._arg_names(_NAME)


@dataclass(slots=True)
class TextContext:
    frames: list[Frame]
    in_string: bool = False
    in_comment: bool = False
    string_quote: str = ""
    string_line: int = 0  # where the string's opening quote is
    string_col: int = 0

    @property
    def top(self) -> Frame | None:
        return self.frames[-1] if self.frames else None


def scan(lines: list[str], start_line: int, line: int, col: int) -> TextContext:
    """Tokenize from ``start_line`` (a statement start) to the cursor at (``line``, ``col``)."""
    start_line = max(0, min(start_line, line))
    parts = lines[start_line:line]
    cursor_text = lines[line][:col] if 0 <= line < len(lines) else ""
    text = "\n".join(parts + [cursor_text])
    # absolute offsets of line starts, to turn offsets into (line, col)
    starts = [0]
    for p in parts:
        starts.append(starts[-1] + len(p) + 1)

    def where(offset: int) -> tuple[int, int]:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return start_line + lo, offset - starts[lo]

    stack: list[tuple[str, int, int]] = []  # (char, offset of bracket, offset where the current arg starts)
    commas: list[list[int]] = []
    ctx = TextContext(frames=[])
    pos = 0
    n = len(text)
    search = _TOKEN.search
    while pos < n:
        m = search(text, pos)
        if m is None:
            break
        tok = m.group()
        end = m.end()
        if tok == "#":
            nl = text.find("\n", end)
            if nl < 0:
                ctx.in_comment = True
                break
            pos = nl + 1
            continue
        if tok in "([{":
            stack.append((tok, m.start(), end))
            commas.append([])
            pos = end
            continue
        if tok in ")]}":
            opener = _CLOSE[tok]
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == opener:
                    del stack[k:]
                    del commas[k:]
                    break
            pos = end
            continue
        if tok == ",":
            if commas:
                commas[-1].append(m.start())
            pos = end
            continue
        # a string
        if len(tok) == 3:
            stop = _string_end(_TRIPLE_END[tok], text, end)
            if text.startswith(tok, stop):
                pos = stop + 3
                continue
        else:
            stop = _string_end(_SINGLE_END[tok], text, end)
            if stop < n and text[stop] == tok:
                pos = stop + 1
                continue
            if stop < n:  # unterminated on its line: broken code, the string ends there
                pos = stop + 1
                continue
        ctx.in_string = True
        ctx.string_quote = tok
        ctx.string_line, ctx.string_col = where(m.start())
        break

    frames: list[Frame] = []
    for (char, offset, arg_start), cs in zip(stack, commas):
        fl, fc = where(offset)
        head_line = lines[fl] if 0 <= fl < len(lines) else ""
        frame = Frame(char=char, line=fl, col=fc, head=head_line[:fc])
        bounds = [arg_start] + [c + 1 for c in cs]
        for a, b in zip(bounds, cs):
            frame.args.append(text[a:b])
        frame.current_line, frame.current_col = where(bounds[-1])
        frames.append(frame)
    # the frame of the innermost bracket gets the text of the argument under the cursor
    for i, frame in enumerate(frames):
        end = stack[i + 1][1] if i + 1 < len(stack) else n
        cur_start = _offset_of(starts, start_line, frame.current_line, frame.current_col)
        frame.current = text[cur_start:end]
    ctx.frames = _drop_stale(frames, lines, line)
    return ctx


def _offset_of(starts: list[int], start_line: int, line: int, col: int) -> int:
    return starts[line - start_line] + col


def _drop_stale(frames: list[Frame], lines: list[str], line: int) -> list[Frame]:
    """Frames left open by broken code above: a statement keyword between them and the cursor."""
    if not frames:
        return frames
    first_bad = None
    for k in range(line, frames[0].line, -1):
        text = lines[k] if k < len(lines) else ""
        if k == line:
            continue
        if _STATEMENT_START.match(text):
            first_bad = k
            break
    if first_bad is None:
        return frames
    return [f for f in frames if f.line >= first_bad]


def scan_forward(lines: list[str], line: int, col: int, max_lines: int = 40) -> tuple[set[str], set[str]]:
    """After the cursor, in the same bracket: (keyword names ``x=``, plain names) of later arguments.

    Stops at the bracket closing the cursor's frame, at a statement start, or after
    ``max_lines`` lines, so a broken call does not swallow the rest of the file.
    """
    keywords: set[str] = set()
    names: set[str] = set()
    end_line = min(len(lines), line + max_lines)
    depth = 0
    arg_start: int | None = None  # offset in `chunk` of the argument after a comma
    chunk_lines = []
    for k in range(line, end_line):
        text = lines[k] if k != line else lines[k][col:]
        if k != line and _STATEMENT_START.match(text):
            break
        chunk_lines.append(text)
    text = "\n".join(chunk_lines)
    pos = 0
    n = len(text)
    stop = n
    while pos < n:
        m = _TOKEN.search(text, pos)
        if m is None:
            break
        tok = m.group()
        end = m.end()
        if tok == "#":
            nl = text.find("\n", end)
            pos = n if nl < 0 else nl + 1
            continue
        if tok in "([{":
            depth += 1
            pos = end
            continue
        if tok in ")]}":
            depth -= 1
            if depth < 0:
                stop = m.start()
                break
            pos = end
            continue
        if tok == ",":
            if depth == 0:
                if arg_start is not None:
                    _note_arg(text[arg_start : m.start()], keywords, names)
                else:
                    _note_rest(text[: m.start()], keywords, names)
                arg_start = end
            pos = end
            continue
        if len(tok) == 3:
            pos = _string_end(_TRIPLE_END[tok], text, end) + 3
        else:
            pos = _string_end(_SINGLE_END[tok], text, end) + 1
    if arg_start is not None:
        _note_arg(text[arg_start:stop], keywords, names)
    else:
        _note_rest(text[:stop], keywords, names)
    return keywords, names


def _note_rest(rest: str, keywords: set[str], names: set[str]) -> None:
    """The text after the cursor in its own argument counts when it starts on a later line."""
    first, newline, after = rest.partition("\n")
    if newline and not first.strip():
        _note_arg(after, keywords, names)


def _note_arg(arg: str, keywords: set[str], names: set[str]) -> None:
    arg = _clean(arg)
    m = _KEYWORD.match(arg)
    if m:
        keywords.add(m.group(1))
    m = _NAME.match(arg)
    if m:
        names.add(m.group(1))


# --------------------------------------------------------------------------------------
# relating an older analysis to the current text

_BINDING_LINE = re.compile(
    r"^\s*(?:(?:async\s+)?def\b|class\b|import\b|from\b|for\b|async\s+for\b|with\b|async\s+with\b|global\b|nonlocal\b|except\b"
    r"|[\w\s,()*\[\].]+(?::[^=]*)?(?<![=!<>+\-*/%&|^@:])=(?!=)|\*{0,2}[A-Za-z_]\w*\s*[:,)]|[A-Za-z_]\w*\s*:=)"
)
_IDENT = re.compile(r"[A-Za-z_]\w*")
_TOP_DEF = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)|^class\s+([A-Za-z_]\w*)")


@dataclass(slots=True)
class LineMap:
    """Lines of the current text (``new``) against the lines an analysis was made from (``old``).

    Lines before ``prefix`` and the last ``suffix`` lines are unchanged; the rest changed.
    """

    prefix: int
    suffix: int
    old_count: int
    new_count: int

    @classmethod
    def between(cls, old: list[str], new: list[str]) -> LineMap:
        limit = min(len(old), len(new))
        p = 0
        while p < limit and old[p] == new[p]:
            p += 1
        s = 0
        limit -= p
        while s < limit and old[-1 - s] == new[-1 - s]:
            s += 1
        return cls(p, s, len(old), len(new))

    @property
    def identity(self) -> bool:
        return self.prefix == self.old_count == self.new_count

    @property
    def delta(self) -> int:
        return self.new_count - self.old_count

    def changed_new(self) -> range:
        return range(self.prefix, self.new_count - self.suffix)

    def to_old(self, line: int) -> int:
        if line < self.prefix:
            return line
        if line >= self.new_count - self.suffix:
            return max(0, line - self.delta)
        old_end = self.old_count - self.suffix
        return max(0, min(line, old_end - 1 if old_end > self.prefix else self.prefix))

    def to_new(self, line: int) -> int | None:
        if line < self.prefix:
            return line
        if line >= self.old_count - self.suffix:
            return line + self.delta
        return None

    def dirty_names(self, new: list[str], limit: int = 400) -> set[str] | None:
        """Names the changed lines may (re)bind; None when too much changed to tell."""
        changed = self.changed_new()
        if len(changed) > limit or (self.old_count - self.suffix - self.prefix) > limit:
            return None
        out: set[str] = set()
        for k in changed:
            text = new[k]
            if _BINDING_LINE.match(text):
                out.update(_IDENT.findall(text.split("#", 1)[0]))
        return out

    def new_top_defs(self, new: list[str]) -> list[tuple[str, int]]:
        """Top-level ``def``/``class`` names written in the changed lines (name, line)."""
        out = []
        for k in self.changed_new():
            m = _TOP_DEF.match(new[k])
            if m:
                out.append((m.group(1) or m.group(2), k))
        return out
