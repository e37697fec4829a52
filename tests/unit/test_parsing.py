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
