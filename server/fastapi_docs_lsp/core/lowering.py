"""Position-preserving lowering of Python syntax newer than the running interpreter's parser.

The analysis is built on ``ast``, whose grammar is the interpreter's. The server may run on an
older Python than the project it reads, so a chunk that the interpreter cannot parse is first
*lowered*: newer syntax is rewritten into older syntax of exactly the same shape, where every
identifier keeps its line and its (UTF-8 byte) column, and the text keeps its line count. The
tree of the lowered text then gives exact positions for the original one.

- PEP 758 ``except A, B:`` -> ``except A| B:`` (each top-level comma becomes ``|``).
- PEP 654 ``except* E:`` on 3.10 -> ``except  E:``.
- PEP 695 ``type X[T] = v`` -> ``[] = X    = v``; type parameter lists on ``def``/``class``
  (``def f[T](...)``, ``class C[T](Base):``) are blanked to spaces.
- PEP 701 f-strings and PEP 750 t-strings -> a parenthesised tuple of their replacement
  fields, each expression in place: ``f"a{x!r:>{w}}"`` -> ``(   x,     w, )``. Nested quotes,
  nested f-strings, backslashes, comments and line breaks inside replacement fields all lower.

Only the analysis reads the lowered text: an f-string becomes a tuple there, which no FastAPI
lookup cares about. ``lower(text)`` returns ``None`` when there is nothing to lower.
"""

from __future__ import annotations

import re

_PREFIX_CHARS = set("rRbBuUfFtT")
_IDENT_START = re.compile(r"[^\W\d]", re.UNICODE)
_NAME = re.compile(r"[^\W\d]\w*", re.UNICODE)
_OPEN = "([{"
_CLOSE = ")]}"


#: what ``_FStrings.code`` stops at: comments, quotes, words, brackets, field-ending operators
_CODE_STOP = re.compile(r"""[#'"()\[\]{}<>=!:]|\w+""")
#: the body of a plain string up to its closing quote, an unescaped line break (one-line
#: strings) or the end; a backslash escapes the next character, whatever it is
_STRING_BODY = {
    '"': re.compile(r'(?:[^"\\\n]|\\.)*(?:\\\Z)?', re.DOTALL),
    "'": re.compile(r"(?:[^'\\\n]|\\.)*(?:\\\Z)?", re.DOTALL),
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*(?:\\\Z)?', re.DOTALL),
    "'''": re.compile(r"(?:[^'\\]|\\.|'(?!''))*(?:\\\Z)?", re.DOTALL),
}
#: what ``_FStrings.fstring`` stops at: quotes, escapes, fields, line breaks
_FSTRING_STOP = re.compile(r"""['"\\{}\n]""")


class _Unlowerable(Exception):
    """The text is not what the lowering understands (it is left to the repairs)."""


def _blank(ch: str) -> str:
    """Spaces as wide as ``ch`` in UTF-8 bytes (ast columns are byte offsets); newlines stay."""
    if ch == "\n":
        return ch
    return " " if ch.isascii() else " " * len(ch.encode("utf-8", "surrogatepass"))


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _FStrings:
    """Rewrites every f-/t-string of a text into a tuple of its replacement fields, in place."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.out = list(text)
        self.changed = False
        # why a scan raised _Unlowerable (for ``parsing._Ends``): the text ended inside an
        # f-string (``ran_off``), or a one-line f-string's literal part met a line break at
        # ``broken_at`` (an error whatever follows)
        self.ran_off = False
        self.broken_at = -1

    def run(self) -> list[str]:
        self.code(0, field=False)
        return self.out

    # ---- code --------------------------------------------------------------------------

    def code(self, i: int, field: bool) -> int:
        """Scan code from ``i``; in a replacement field, stop at its ``}``, ``!``, ``:`` or ``=``.

        Jumps from one character that matters to the next (``_CODE_STOP``): a comment, a quote,
        a word (a string prefix?), a bracket, an operator a replacement field ends at."""
        s = self.s
        n = len(s)
        depth = 0
        search = _CODE_STOP.search
        while True:
            m = search(s, i)
            if m is None:
                break
            i = m.start()
            ch = s[i]
            if ch == "#":
                end = s.find("\n", i)
                i = n if end < 0 else end
                continue
            if ch in "'\"":
                i = self.string(i, i)
                continue
            if m.end() - i > 1 or _is_ident_char(ch):  # a word
                j = m.end()
                if j < n and s[j] in "'\"" and j - i <= 2 and all(c in _PREFIX_CHARS for c in s[i:j]) and (i == 0 or not _is_ident_char(s[i - 1])):
                    i = self.string(i, j)
                else:
                    i = j
                continue
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                if depth == 0 and field:
                    if ch == "}":
                        return i
                    raise _Unlowerable
                depth = max(0, depth - 1)
            elif field and depth == 0:
                nxt = s[i + 1] if i + 1 < n else ""
                if ch in "<>=!" and nxt == "=":
                    i += 2
                    continue
                if ch in "!:":
                    return i
                if ch == "=":
                    j = i + 1
                    while j < n and s[j] in " \t":
                        j += 1
                    if j < n and s[j] in "}!:":
                        return i
            i += 1
        if field:
            self.ran_off = True
            raise _Unlowerable
        return n

    # ---- strings -----------------------------------------------------------------------

    def string(self, start: int, q: int) -> int:
        """A string literal whose prefix starts at ``start`` and quote at ``q``: its end."""
        s = self.s
        quote = s[q : q + 3] if s[q : q + 3] in ('"""', "'''") else s[q]
        prefix = s[start:q].lower()
        if "f" in prefix or "t" in prefix:
            return self.fstring(start, q, quote, "r" in prefix)
        n = len(s)
        body = _STRING_BODY[quote].match(s, q + len(quote))  # (escapes skipped; matches "" at least)
        end = body.end() if body is not None else n
        if end < n and s.startswith(quote, end):
            return end + len(quote)
        if end < n and s[end] == "\n":
            return end  # unterminated: left as it is
        return n

    def fstring(self, start: int, q: int, quote: str, raw: bool) -> int:
        s, out = self.s, self.out
        self.changed = True
        out[start] = "("
        for k in range(start + 1, q + len(quote)):
            out[k] = " "
        i = q + len(quote)
        n = len(s)
        while i < n:
            k = _FSTRING_STOP.search(s, i)
            k = n if k is None else k.start()
            if k > i:  # literal text: blanked as a whole
                run = s[i:k]
                out[i:k] = [" "] * (k - i) if run.isascii() else [_blank(c) for c in run]
                i = k
                if i >= n:
                    break
            if s.startswith(quote, i):
                for k in range(i, i + len(quote)):
                    out[k] = " "
                out[i + len(quote) - 1] = ")"
                return i + len(quote)
            ch = s[i]
            if ch == "\\":
                out[i] = " "
                if i + 1 < n:
                    if not raw and s[i + 1] == "N" and i + 2 < n and s[i + 2] == "{":
                        end = s.find("}", i)
                        if end < 0:
                            raise _Unlowerable
                        for k in range(i + 1, end + 1):
                            out[k] = _blank(s[k])
                        i = end + 1
                        continue
                    out[i + 1] = _blank(s[i + 1])
                i += 2
                continue
            if ch == "{":
                if s.startswith("{", i + 1):
                    out[i] = out[i + 1] = " "
                    i += 2
                    continue
                i = self.replacement_field(i)
                continue
            if ch == "}":
                out[i] = " "
                if s.startswith("}", i + 1):
                    out[i + 1] = " "
                    i += 1
                i += 1
                continue
            if ch == "\n" and len(quote) == 1:
                self.broken_at = i
                raise _Unlowerable  # an unterminated one-line f-string
            out[i] = _blank(ch)
            i += 1
        self.ran_off = True
        raise _Unlowerable

    def replacement_field(self, i: int) -> int:
        """``{expr[=][!c][:spec]}`` at ``i`` -> `` expr,`` and blanks; returns the index after ``}``."""
        s, out = self.s, self.out
        out[i] = " "
        j = self.code(i + 1, field=True)
        comma = False
        if s[j] == "=":
            out[j] = " "
            j += 1
            while j < len(s) and s[j] in " \t":
                j += 1
            if j >= len(s):
                self.ran_off = True
                raise _Unlowerable
        if s[j] == "!":
            out[j] = ","
            comma = True
            j += 1
            while j < len(s) and s[j] not in ":}":
                out[j] = _blank(s[j])
                j += 1
        if j < len(s) and s[j] == ":":
            out[j] = " " if comma else ","
            comma = True
            j = self.format_spec(j + 1)
        if j >= len(s) or s[j] != "}":
            self.ran_off = j >= len(s)
            raise _Unlowerable
        out[j] = " " if comma else ","
        return j + 1

    def format_spec(self, i: int) -> int:
        s, out = self.s, self.out
        n = len(s)
        while i < n:
            ch = s[i]
            if ch == "}":
                return i
            if ch == "{":
                i = self.replacement_field(i)
                continue
            out[i] = _blank(ch)
            i += 1
        self.ran_off = True
        raise _Unlowerable


# ---- statements ----------------------------------------------------------------------


def _tokens(text: str) -> list[tuple[str, int, int, bool]]:
    """Names and operators outside strings and comments: (text, start, end, starts a logical line)."""
    toks: list[tuple[str, int, int, bool]] = []
    n = len(text)
    i = 0
    depth = 0
    line_start = True
    while i < n:
        ch = text[i]
        if ch == "\n":
            if depth == 0:
                line_start = True
            i += 1
            continue
        if ch in " \t\f":
            i += 1
            continue
        if ch == "\\" and text.startswith("\n", i + 1):
            i += 2
            continue
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        m = _NAME.match(text, i) if _IDENT_START.match(ch) or ch == "_" else None
        if m is not None:
            j = m.end()
            if j < n and text[j] in "'\"" and j - i <= 2 and all(c in _PREFIX_CHARS for c in text[i:j]):
                i = _skip_string(text, j)
                line_start = False
                continue
            toks.append((m.group(0), i, j, line_start))
            line_start = False
            i = j
            continue
        if ch in "'\"":
            i = _skip_string(text, i)
            line_start = False
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        toks.append((ch, i, i + 1, line_start and ch != ";"))
        line_start = ch == ";" and depth == 0
        i += 1
    return toks


def _skip_string(text: str, q: int) -> int:
    quote = text[q : q + 3] if text[q : q + 3] in ('"""', "'''") else text[q]
    i = q + len(quote)
    n = len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(quote, i):
            return i + len(quote)
        if text[i] == "\n" and len(quote) == 1:
            return i
        i += 1
    return n


def _matching(toks: list[tuple[str, int, int, bool]], k: int) -> int:
    """Index of the token closing the bracket at ``toks[k]`` (or -1)."""
    depth = 0
    for m in range(k, len(toks)):
        t = toks[m][0]
        if t in _OPEN:
            depth += 1
        elif t in _CLOSE:
            depth -= 1
            if depth == 0:
                return m
    return -1


def _blank_range(out: list[str], text: str, start: int, end: int) -> None:
    for k in range(start, end):
        out[k] = _blank(text[k])
        if text[k] == "\n" and k > start:
            out[k - 1] = "\\"  # a blanked bracket spanning lines: keep the lines joined


def _statements(text: str, out: list[str]) -> bool:
    toks = _tokens(text)
    changed = False
    for k, (t, start, _end, first) in enumerate(toks):
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if t == "type" and first and nxt is not None and _NAME.fullmatch(nxt[0]) and "\n" not in text[start : nxt[1]]:
            after = toks[k + 2][0] if k + 2 < len(toks) else ""
            if after in ("=", "["):
                out[start : start + 4] = ["[", "]", " ", "="]
                changed = True
                if after == "[":
                    close = _matching(toks, k + 2)
                    if close > 0:
                        _blank_range(out, text, toks[k + 2][1], toks[close][2])
        elif t in ("def", "class") and nxt is not None and k + 2 < len(toks) and toks[k + 2][0] == "[" and toks[k + 2][1] == nxt[2]:
            close = _matching(toks, k + 2)
            if close > 0:
                _blank_range(out, text, toks[k + 2][1], toks[close][2])
                changed = True
        elif t == "except" and first:
            m = k + 1
            if m < len(toks) and toks[m][0] == "*":
                if _except_star_unsupported():
                    out[toks[m][1]] = " "
                    changed = True
                m += 1
            depth = 0
            commas = []
            while m < len(toks):
                tm = toks[m][0]
                if tm in _OPEN:
                    depth += 1
                elif tm in _CLOSE:
                    depth -= 1
                elif depth == 0 and tm in (":", "as"):
                    break
                elif depth == 0 and tm == ",":
                    commas.append(toks[m][1])
                m += 1
            for c in commas:
                out[c] = "|"
                changed = True
    return changed


def _except_star_unsupported() -> bool:
    import sys

    return sys.version_info < (3, 11)


#: a string prefix with ``f`` or ``t`` before a quote: where ``_FStrings`` may change anything
_FT_STRING = re.compile(r"(?:[fFtT][rRbBuUfFtT]?|[rRbBuU][fFtT])['\"]")
#: where ``_statements`` may lower: the names ``type`` and ``except``, and a ``def``/``class``
#: name followed by ``[`` (a name token starts after anything but a letter: ``1type`` is two)
_STATEMENT_HINT = re.compile(r"(?<![^\W\d])(?:type|except)(?!\w)|(?<![^\W\d])(?:def|class)(?!\w)[\s\\]*[^\W\d]\w*\[")


def lower(text: str) -> str | None:
    """``text`` with newer syntax lowered, positions kept; ``None`` if nothing was lowered.

    Each pass runs only where a cheap search finds what it may lower (both passes read every
    character in Python; a chunk being typed into is lowered on many keystrokes)."""
    changed = False
    lowered = text
    if _FT_STRING.search(text) is not None:
        try:
            fs = _FStrings(text)
            out = fs.run()
            changed = fs.changed
        except (_Unlowerable, IndexError, RecursionError):
            out = list(text)
        lowered = "".join(out)
    if _STATEMENT_HINT.search(lowered) is not None:
        out2 = list(lowered)
        if _statements(lowered, out2):
            changed = True
            lowered = "".join(out2)
    return lowered if changed else None
