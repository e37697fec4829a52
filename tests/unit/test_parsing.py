from fastapi_docs_lsp.core.parsing import parse_module, split_chunks


def test_decorators_stay_with_their_def():
    lines = "import x\n@a\n@b\ndef f():\n    pass\nclass C:\n    pass\n".split("\n")
    assert split_chunks(lines)[:3] == [(0, 1), (1, 5), (5, 8)]


def test_continuations_do_not_start_chunks():
    lines = "try:\n    x = 1\nexcept E:\n    pass\nelse:\n    pass\nfinally:\n    pass\ny = [\n1,\n]\n".split("\n")
    assert split_chunks(lines)[0] == (0, 8)


def test_multiline_string_is_one_chunk():
    lines = 'x = """\nfoo\nbar\n"""\ny = 1\n'.split("\n")
    assert split_chunks(lines)[0] == (0, 4)


def test_broken_chunk_does_not_hide_the_rest():
    chunks = parse_module("def f(:\n    pass\nx = 1\n")
    assert chunks[-1].tree is not None and not chunks[-1].repaired


def test_repairs_unclosed_call():
    chunks = parse_module("@app.get('/x', resp\ndef f():\n    pass\n")
    assert chunks[0].tree is not None and chunks[0].repaired


# ---- merging a repaired chunk with the next ones: only where it can parse ----------------------

import ast  # noqa: E402

import pytest  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fastapi_docs_lsp.core import lowering, parsing  # noqa: E402
from fastapi_docs_lsp.core.parsing import _CLOSED, _OPEN, _UNCERTAIN, _Ends, _parse, _parse_chunk, parse_range  # noqa: E402


def test_end_state_of_texts():
    cases = {
        "x = foo(": _OPEN,
        "x = foo(a)": _CLOSED,
        "x = '''abc": _OPEN,
        "x = 1 + \\": _OPEN,
        "d = {\n'a': 1,": _OPEN,
        "s = '(' # [": _CLOSED,
        's = "\\"("': _CLOSED,
        'x = r"\\"("': _CLOSED,
        'return"x("': _CLOSED,
        "x = rb'('": _CLOSED,
        'x = f"{a}("': _CLOSED,
        'x = "abc': _CLOSED,  # an unterminated one-line string: an error whatever follows
        'x = f"{a': _OPEN,  # in a replacement field, which may go on below (PEP 701)
        'x = f"{d["k"]}"': _CLOSED,  # nested quotes (PEP 701)
        'x = f"{a} b\ny = (': _OPEN,  # a one-line f-string broken by a line break: an error, read on
        'x = f"{a!r:>{w}}" + (': _OPEN,
        'x = f"""{a}\n': _OPEN,
        'x = f"{a]"': _UNCERTAIN,  # what the lowering does not read
        "x = 'abc\\": _UNCERTAIN,  # an escaped line break at the end
        "x = 1\\\n": _UNCERTAIN,  # a continuation onto an empty last line
    }
    for text, status in cases.items():
        assert _Ends(text).status == status, text
    ends = _Ends("x = '''abc")
    ends.feed("\ndef''' + (1")
    assert ends.status == _OPEN
    ends.feed("\n)")
    assert ends.status == _CLOSED


def _parse_range_trying_every_merge(lines, ranges, k):
    """The reference: a repaired chunk tries each merge with the next 1-3 ranges."""
    start, end = ranges[k]
    key = "\n".join(lines[start:end])
    tree, repaired = _parse_chunk(key)
    if repaired:
        for extra in (1, 2, 3):
            if k + extra >= len(ranges):
                break
            merged_key = "\n".join(lines[start : ranges[k + extra][1]])
            merged = _parse(merged_key)
            if merged is not None:
                return start, ("m", merged_key), False, ast.dump(merged, include_attributes=True), extra + 1
    return start, key, repaired, ast.dump(tree, include_attributes=True) if tree else None, 1


MERGE_BASE = (
    "x = foo(\n1,\n2)\n"
    "CONFIG = {\n'a': 1,\n}\n"
    "s = '''\nline\n'''\n"
    "t = 1 + \\\n2\n"
    "def f(a):\n    if a:\n        return f\"{a['k']}\"\n    return [\n1]\n"
    "y = x\n"
)
MERGE_SNIPPETS = ["(", ")", "[", "]", "{", "}", "'", '"', "'''", '"""', "\\", "\\\n", "#", "\n", "f'{", 'f"{x["a"]}"', ":", "\n)\n", " ", "f'", 'f"""{', "}'", "!r:", "t'{"]


@settings(max_examples=int(__import__("os").environ.get("PROP_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), st.sampled_from(MERGE_SNIPPETS)), min_size=1, max_size=5))
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")  # (invalid escapes parsed)
def test_merges_skipped_only_where_they_cannot_parse(edits):
    text = MERGE_BASE
    for where, delete, insert in edits:
        pos = int(where * len(text))
        text = text[:pos] + insert + text[pos + delete :]
    lines = text.split("\n")
    ranges = split_chunks(lines)
    for k in range(len(ranges)):
        parsing._trees.clear()
        chunk, tree, covered = parse_range(lines, ranges, k)
        got = (chunk.start_line, chunk._key, chunk.repaired, ast.dump(tree, include_attributes=True) if tree else None, covered)
        assert got == _parse_range_trying_every_merge(lines, ranges, k), text


def test_merges_that_parse_are_still_found():
    lines = "CONFIG = {\n'a': 1,\n'b': 2,\n}\nx = 1".split("\n")
    chunk, tree, covered = parse_range(lines, split_chunks(lines), 0)
    assert tree is not None and not chunk.repaired and covered == 3  # ("}" continues a range)


# ---- lowering runs each pass only where it may change something ----------------------------------


def _lower_every_pass(text: str) -> str | None:
    changed = False
    try:
        fs = lowering._FStrings(text)
        out = fs.run()
        changed = fs.changed
    except (lowering._Unlowerable, IndexError, RecursionError):
        out = list(text)
    lowered = "".join(out)
    out2 = list(lowered)
    if lowering._statements(lowered, out2):
        changed = True
        lowered = "".join(out2)
    return lowered if changed else None


LOWER_SNIPPETS = ["type X = int\n", "def f[T](x): pass\n", "class C [T]: pass\n", "except A, B:\n", 'f"{x["a"]}"', "t'{y}'", "1type", "def\\\n g[T]()", "(", "'", "\n", "[", "type", "except", "rf'", "_type = 1", "x[0]", "    "]


@settings(max_examples=int(__import__("os").environ.get("PROP_EXAMPLES", "60")), deadline=None)
@given(parts=st.lists(st.sampled_from(LOWER_SNIPPETS), min_size=1, max_size=8))
def test_lowering_skips_only_passes_with_nothing_to_lower(parts):
    text = "".join(parts)
    assert lowering.lower(text) == _lower_every_pass(text)


# ---- repairs while a block is being typed -------------------------------------------------------


def test_a_block_header_without_its_block_keeps_the_function():
    for text in (
        "def f(request):\n    x = request.url\n    if x:\n",
        "def f(request):\n    x = request.url\n    if x:\n\n\n",
        "def f(request):\n    if request:  # why\n    y = request.url\n",
    ):
        tree, repaired = _parse_chunk(text)
        assert repaired and tree is not None, text
        func = tree.body[0]
        assert isinstance(func, ast.FunctionDef) and func.name == "f"
        assert any(isinstance(node, ast.If) and isinstance(node.body[0], ast.Pass) for node in ast.walk(func))
        assert "request" in {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}


class _CharByChar(lowering._FStrings):
    """The f-string lowering as first written, one character at a time (the reference)."""

    def code(self, i: int, field: bool) -> int:
        """Scan code from ``i``; in a replacement field, stop at its ``}``, ``!``, ``:`` or ``=``."""
        s = self.s
        n = len(s)
        depth = 0
        while i < n:
            ch = s[i]
            if ch == "#":
                end = s.find("\n", i)
                i = n if end < 0 else end
                continue
            if ch in "'\"":
                i = self.string(i, i)
                continue
            if lowering._is_ident_char(ch):
                j = i + 1
                while j < n and lowering._is_ident_char(s[j]):
                    j += 1
                if j < n and s[j] in "'\"" and j - i <= 2 and all(c in lowering._PREFIX_CHARS for c in s[i:j]) and (i == 0 or not lowering._is_ident_char(s[i - 1])):
                    i = self.string(i, j)
                else:
                    i = j
                continue
            if ch in lowering._OPEN:
                depth += 1
            elif ch in lowering._CLOSE:
                if depth == 0 and field:
                    if ch == "}":
                        return i
                    raise lowering._Unlowerable
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
            raise lowering._Unlowerable
        return n

    def string(self, start: int, q: int) -> int:
        """A string literal whose prefix starts at ``start`` and quote at ``q``: its end."""
        s = self.s
        quote = s[q : q + 3] if s[q : q + 3] in ('"""', "'''") else s[q]
        prefix = s[start:q].lower()
        if "f" in prefix or "t" in prefix:
            return self.fstring(start, q, quote, "r" in prefix)
        i = q + len(quote)
        n = len(s)
        while i < n:
            ch = s[i]
            if ch == "\\":
                i += 2
                continue
            if s.startswith(quote, i):
                return i + len(quote)
            if ch == "\n" and len(quote) == 1:
                return i  # unterminated: left as it is
            i += 1
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
                            raise lowering._Unlowerable
                        for k in range(i + 1, end + 1):
                            out[k] = lowering._blank(s[k])
                        i = end + 1
                        continue
                    out[i + 1] = lowering._blank(s[i + 1])
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
                raise lowering._Unlowerable  # an unterminated one-line f-string
            out[i] = lowering._blank(ch)
            i += 1
        raise lowering._Unlowerable

FSTRING_SNIPPETS = [
    'f"{x["a"]}"', "f'{a!r:>{w}}'", 'f"""{\nx\n}"""', "t'{y}'", 'rf"\\{x}"', "f'{x=}'", "f'{x = }'", "f'{a:{b}}'",
    "f'{x!r}'", "f'{{}}'", "f'{'", "'", '"', "\\", "\n", "{", "}", "#", "f'\\N{DASH}'", "é", "f'é{x}é'", "b'\\''",
    "'''", '"""', "x[0]", ":=", "!=", " = ", "abc", "(", ")", "f'{(lambda: 1)()}'",
]


@settings(max_examples=int(__import__("os").environ.get("PROP_EXAMPLES", "60")) * 3, deadline=None)
@given(parts=st.lists(st.sampled_from(FSTRING_SNIPPETS), min_size=1, max_size=10))
def test_fstring_lowering_jumps_give_the_character_by_character_result(parts):
    text = "".join(parts)

    def run(cls):
        fs = cls(text)
        try:
            return "".join(fs.run()), fs.changed
        except (lowering._Unlowerable, IndexError, RecursionError):
            return "raised"  # (lower() keeps the text as it is then)

    assert run(lowering._FStrings) == run(_CharByChar)
