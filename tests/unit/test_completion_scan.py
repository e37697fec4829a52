"""The text scanner behind completion: brackets, arguments, strings, comments, line maps."""

from __future__ import annotations

from fastapi_docs_lsp.core.completion_scan import LineMap, scan, scan_forward

CURSOR = "<|>"


def at(source: str):
    idx = source.index(CURSOR)
    text = source[:idx] + source[idx + len(CURSOR) :]
    lines = text.split("\n")
    line = text.count("\n", 0, idx)
    col = idx - (text.rfind("\n", 0, idx) + 1)
    return lines, line, col


def scan_at(source: str, start: int = 0):
    lines, line, col = at(source)
    return scan(lines, start, line, col)


def test_call_on_one_line_with_parens_inside_strings():
    ctx = scan_at('@router.post("/x(y", name=")", resp<|>')
    top = ctx.top
    assert top.callee == "router.post"
    assert top.keywords() == {"name"}
    assert top.positional_count() == 1
    assert top.current == " resp"
    assert not ctx.in_string and not ctx.in_comment


def test_multi_line_call_with_comments_and_triple_quoted_strings():
    ctx = scan_at('app = FastAPI(\n    title="a, (b",  # a comment (with a paren, and a comma\n    description="""x\n) still text, """,\n    ver<|>')
    assert ctx.top.callee == "FastAPI"
    assert ctx.top.keywords() == {"title", "description"}
    assert ctx.top.line == 0 and ctx.top.col == 13


def test_nested_frames_and_closed_brackets():
    ctx = scan_at("x = Annotated[str, Query(max_length=len([1, 2]), <|>")
    assert [f.char for f in ctx.frames] == ["[", "("]
    assert ctx.top.callee == "Query"
    assert ctx.top.keywords() == {"max_length"}


def test_cursor_in_string_and_comment():
    ctx = scan_at('Response(media_type="te<|>')
    assert ctx.in_string and ctx.string_quote == '"' and ctx.string_col == 20
    assert scan_at("foo(a)  # call(<|>").in_comment
    ctx = scan_at('x = """doc\nstill (in <|>')
    assert ctx.in_string and ctx.string_quote == '"""' and ctx.string_line == 0


def test_unterminated_string_on_a_previous_line_ends_there():
    ctx = scan_at('foo("abc\nbar(<|>')
    assert not ctx.in_string
    assert ctx.top.callee == "bar"


def test_frames_left_open_by_broken_code_above_are_dropped():
    ctx = scan_at("x = foo(\ndef g():\n    return 1\ny = 2<|>")
    assert ctx.frames == []
    ctx = scan_at("x = foo(1,\n    2,\n    <|>")
    assert ctx.top.callee == "foo" and ctx.top.positional_count() == 2


def test_def_and_import_frames():
    ctx = scan_at("async def read(item_id: int, *, q: str = 'x', <|>")
    assert ctx.top.def_name == "read" and ctx.top.callee is None
    assert ctx.top.param_names() == {"item_id", "q"}
    ctx = scan_at("from fastapi import (\n    FastAPI,\n    Qu<|>")
    assert ctx.top.import_module == "fastapi" and ctx.top.callee is None
    assert ctx.top.param_names() == {"FastAPI"}


def test_escaped_quotes():
    ctx = scan_at(r'foo("a\"(b", c=<|>')
    assert ctx.top.callee == "foo" and not ctx.in_string


def test_scan_forward_collects_later_arguments_of_the_same_call():
    lines, line, col = at('foo(a, <|>, b=1, c=(1, 2), d="x,y=") + e(f=1)')
    keywords, names = scan_forward(lines, line, col)
    assert keywords == {"b", "c", "d"}
    lines, line, col = at("def f(<|>\n    a: int,\n    b=2,\n):\n    x = 1\n")
    keywords, names = scan_forward(lines, line, col)
    assert names == {"a", "b"}


def test_scan_forward_stops_at_a_statement():
    lines, line, col = at("foo(<|>\n@app.get('/')\ndef g(x=1):\n    pass")
    assert scan_forward(lines, line, col) == (set(), set())


def test_line_map_between_versions():
    old = ["a", "b", "c", "d", "e"]
    new = ["a", "b", "X", "Y", "c", "d", "e"]
    m = LineMap.between(old, new)
    assert (m.prefix, m.suffix, m.delta) == (2, 3, 2)
    assert m.to_old(1) == 1 and m.to_old(5) == 3 and m.to_new(4) == 6
    assert m.to_new(1) == 1
    assert not m.identity
    assert LineMap.between(old, list(old)).identity
    # a line edited in place maps onto itself
    m = LineMap.between(old, ["a", "b", "cc", "d", "e"])
    assert m.to_old(2) == 2 and m.to_new(2) is None and m.to_new(3) == 3


def test_dirty_names_only_from_binding_lines():
    old = ["from fastapi import FastAPI", "app = FastAPI()", "", "x"]
    new = ["from fastapi import FastAPI", "app = FastAPI()", '@app.get("/", resp', "x"]
    assert LineMap.between(old, new).dirty_names(new) == set()
    new = ["from fastapi import FastAPI, status", "app = FastAPI()", "", "x"]
    assert "status" in LineMap.between(old, new).dirty_names(new)
    new = ["from fastapi import FastAPI", "app = FastAPI()", "def f(request: Request):", "x"]
    assert {"f", "request"} <= LineMap.between(old, new).dirty_names(new)
