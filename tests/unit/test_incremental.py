"""Incremental analysis: an edited module re-analyses only what changed, and the result is the
same as analysing the final text from scratch."""

from __future__ import annotations

import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_docs_lsp.core import parsing
from fastapi_docs_lsp.core.analysis import ModuleAnalysis, Scope, analyze

BASE = textwrap.dedent(
    '''
    """A module."""
    from typing import Annotated
    from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status

    app = FastAPI()
    router = APIRouter(prefix="/r")


    def get_db():
        return {}


    DbDep = Annotated[dict, Depends(get_db)]


    class MyRouter(APIRouter):
        def extra(self, request: Request):
            return self.include_router(router)


    @router.get("/items/{item_id}", status_code=status.HTTP_200_OK)
    async def read(item_id: int, db: DbDep, request: Request):
        if item_id not in db:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="x")
        return request.url.path


    later = helper_defined_later()


    def helper_defined_later():
        return app.router


    mine = MyRouter()
    app.include_router(router)
    '''
)

SNIPPETS = [
    "\n", " ", "x", "    ", ":", "(", ")", "'", '"""', "#", "=", ".", ",",
    "router = APIRouter()\n", "app = 1\n", "def f(request: Request):\n    return request.url\n",
    "status.", "@app.get('/')\n", "from fastapi import *\n", "except ValueError, TypeError:\n",
    "type X = Request\n", 'f"{x["a"]}"', "class R(APIRouter):\n    pass\n", "import fastapi\n",
    "helper_defined_later = 2\n", "Request", "APIRouter", "\n\n", "try:\n    pass\n",
]


def scope_shape(scope: Scope) -> tuple:
    return (
        scope.kind,
        scope.start,
        scope.end,
        scope.base,
        sorted((name, tuple(entries)) for name, entries in scope.bindings.items()),
        [scope_shape(child) for child in scope.children],
    )


def shape(analysis: ModuleAnalysis) -> tuple:
    return (
        sorted(analysis.occurrences, key=lambda o: (o.line, o.start, o.end, o.target, o.kind)),
        scope_shape(analysis.module_scope),
        [(c.start_line, c.repaired, c.tree is not None) for c in analysis.chunks],
        analysis.star_imports,
    )


edits = st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 12), st.sampled_from(SNIPPETS)),
    min_size=1,
    max_size=8,
)


def _scratch(text, api_db):
    """An analysis of ``text`` from scratch that does not become ``prop_mod``'s base."""
    from fastapi_docs_lsp.core import analysis as analysis_module

    with analysis_module._previous_lock:
        saved = dict(analysis_module._previous)
    try:
        return analyze(text, module_name="prop_mod", db=api_db, incremental=False)
    finally:
        with analysis_module._previous_lock:
            analysis_module._previous.clear()
            analysis_module._previous.update(saved)


@settings(max_examples=int(__import__("os").environ.get("PROP_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=edits)
def test_incremental_equals_scratch(api_db, edits):
    text = BASE
    analyze(text, module_name="prop_mod", db=api_db)
    for where, delete, insert in edits:
        pos = int(where * len(text))
        text = text[:pos] + insert + text[pos + delete :]
        incremental = analyze(text, module_name="prop_mod", db=api_db)
        # every request between edits reads the same analysis: positions must hold at once.
        # The analysis from scratch is made with a copy of the text under another module name's
        # state and compared with the module's own name, so the incremental chain is never
        # reset by it (each step builds on the previous incremental one)
        assert shape(incremental) == shape(_scratch(text, api_db))


def test_one_character_edit_reparses_one_chunk(api_db):
    body = "\n\n".join(f"@router.get('/x{i}')\nasync def handler_{i}(request: Request):\n    return request.url.path\n" for i in range(200))
    text = "from fastapi import APIRouter, Request\nrouter = APIRouter()\n\n" + body
    analyze(text, module_name="one_edit", db=api_db)
    parsing._trees.clear()
    before = parsing._trees.parses
    edited = text.replace("handler_100(request", "handler_100(requestx", 1)
    result = analyze(edited, module_name="one_edit", db=api_db)
    assert parsing._trees.parses - before == 1
    line = edited.split("\n").index("async def handler_150(request: Request):")
    occ = result.at(line, edited.split("\n")[line].index("Request)"))
    assert occ is not None and occ.target == "fastapi.Request"


def test_rebinding_a_module_name_reaches_its_users(api_db):
    text = "from fastapi import APIRouter\nrouter = APIRouter()\n\n\ndef f():\n    return router.routes\n"
    first = analyze(text, module_name="rebind", db=api_db)
    assert first.at(5, 20) is not None
    second = analyze(text.replace("router = APIRouter()", "router = object()"), module_name="rebind", db=api_db)
    assert second.at(5, 20) is None
    third = analyze(text + "\n\nrouter2 = 1\n", module_name="rebind", db=api_db)
    assert third.at(5, 20) is not None and third.at(5, 20).target.endswith("routes")


def test_line_shift_moves_every_position(api_db):
    text = "from fastapi import status\n\n\ndef f():\n    return status.HTTP_200_OK\n"
    analyze(text, module_name="shift", db=api_db)
    shifted = analyze("# a\n# b\n" + text, module_name="shift", db=api_db)
    assert shifted.at(6, 20) is not None and shifted.at(6, 20).line == 6
    assert [o.line for o in shifted.occurrences] == [o.line for o in analyze("# a\n# b\n" + text, db=api_db, incremental=False).occurrences]


def test_typing_into_a_function_keystroke_by_keystroke_equals_scratch(api_db):
    """Each keystroke of a few lines typed into a function (a half-typed ``if`` swallows the next
    def for a while, and a dedent unbinds it) gives the analysis of the text from scratch."""
    text = BASE + "\n\ndef after(request: Request):\n    return read\n"
    analyze(text, module_name="typing_mod", db=api_db)
    at = text.index("    return request.url.path\n") + len("    return request.url.path\n")
    typed = "    if item_id > 100:\n        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST)\n  x = 1\nlater = 2\n"
    for i in range(1, len(typed) + 1):
        now = text[:at] + typed[:i] + text[at:]
        incremental = analyze(now, module_name="typing_mod", db=api_db)
        assert shape(incremental) == shape(analyze(now, module_name="typing_mod", db=api_db, incremental=False)), typed[:i]


def test_typing_leaves_no_reference_cycles(api_db):
    """The server freezes each fresh analysis out of the GC's reach (``gc.freeze``): the garbage
    a keystroke leaves must go by reference counting, or it stays until the next full collection
    (a syntax error kept with its frames for the repairs once made a cycle per keystroke)."""
    import gc

    text = BASE + "\n\ndef after(request: Request):\n    return read\n"
    analyze(text, module_name="cycles_mod", db=api_db)
    at = text.index("    return request.url.path\n") + len("    return request.url.path\n")
    typed = "    if item_id > 100:\n        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=f\"{item_id}\")\n"
    gc.collect()
    gc.disable()
    try:
        for i in range(1, len(typed) + 1):
            analyze(text[:at] + typed[:i] + text[at:], module_name="cycles_mod", db=api_db)
        assert gc.collect() == 0
    finally:
        gc.enable()


LINES_SNIPPETS = ["\n", "\n\n", "\n", "x", "router = APIRouter()\n", "def g(request: Request):\n    return request.url\n", "app = 1\n", "#", "(", "    ", "DbDep = 1\n"]


@settings(max_examples=int(__import__("os").environ.get("PROP_EXAMPLES", "60")) // 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), st.sampled_from(LINES_SNIPPETS), st.booleans()), min_size=10, max_size=40),
    max_shifts=st.sampled_from([1, 3, 16]),
)
def test_many_line_breaks_and_look_ups_equal_scratch(api_db, monkeypatch, edits, max_shifts):
    """Line breaks shift the module bindings below them lazily (``_ShiftedBindings``): long runs
    of edits, with the bindings read completely at random points (completion, diagnostics) or
    not at all, and flattened every few shifts, give the bindings of the text from scratch."""
    from fastapi_docs_lsp.core import analysis

    monkeypatch.setattr(analysis, "MAX_SHIFTS", max_shifts)
    text = BASE
    analyze(text, module_name="shift_prop", db=api_db)
    def scratch(text: str) -> ModuleAnalysis:  # (``analyze`` would keep it as the next edit's base)
        return analysis._analyze(text, "shift_prop", api_db, None, frozenset(), False, None)[0]

    for where, delete, insert, read_all in edits:
        pos = int(where * len(text))
        text = text[:pos] + insert + text[pos + delete :]
        incremental = analyze(text, module_name="shift_prop", db=api_db)
        bindings = incremental.module_scope.bindings
        if read_all:
            assert scope_shape(incremental.module_scope) == scope_shape(scratch(text).module_scope)
        else:  # a few look-ups only
            expected = scratch(text).module_scope.bindings
            for name in ("router", "app", "helper_defined_later", "nothing"):
                assert bindings.get(name) == expected.get(name)
    assert shape(incremental) == shape(scratch(text))


@settings(max_examples=int(__import__("os").environ.get("PROP_EXAMPLES", "60")) * 3, deadline=None)
@given(
    old=st.text(alphabet="ab\n", max_size=3000),
    where=st.floats(0, 1),
    delete=st.integers(0, 5),
    insert=st.text(alphabet="ab\n", max_size=4),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_changed_span_from_anchors_equals_the_full_search(old, where, delete, insert, cut):
    """The search from the last edit's anchors finds the same common prefix and suffix as the
    search over the whole texts, wherever the next edit lands (before, in or after them)."""
    from fastapi_docs_lsp.core.analysis import _changed_span

    pos = int(where * len(old))
    new = old[:pos] + insert + old[pos + delete :]
    head_len = int(cut[0] * len(old))
    tail_len = int(cut[1] * (len(old) - head_len))
    head, tail = old[:head_len], old[len(old) - tail_len :] if tail_len else ""
    assert _changed_span(old, new, head, tail) == _changed_span(old, new)
