"""Property-based fuzzing of the pure core: analysis, routes, diagnostics and completion never
raise on any text a user can type, and every position they return lies inside the document.

Realistic FastAPI modules (hand-written and generated) get random edit sequences: characters and
lines inserted or deleted anywhere, unbalanced brackets, half-typed decorators, tabs and spaces,
NUL bytes, lone surrogates, emoji, CR/CRLF. Bounded by the ``ci`` hypothesis profile;
``HYPOTHESIS_PROFILE=long`` runs thousands of examples.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.parsing import normalize_newlines, parse_module

from .strategies import MODULE_NAMES, MODULES, apply_edit, edits, examples


def analysis_lines(text: str) -> list[str]:
    # NULs read as spaces and lone surrogates as U+FFFD: one code point for one, so columns hold
    text = re.sub("[\ud800-\udfff]", "\ufffd", text.replace("\x00", " "))
    return normalize_newlines(text).split("\n")


@st.composite
def edited_modules(draw, max_edits: int = 12):
    text = MODULES[draw(st.sampled_from(MODULE_NAMES))]
    for _ in range(draw(st.integers(0, max_edits))):
        text = apply_edit(text, draw(edits(text)))
    return text


def check_span(lines: list[str], line: int, start: int, end_line: int, end: int, what) -> None:
    assert 0 <= line <= end_line < len(lines), (what, line, end_line, len(lines))
    assert 0 <= start <= len(lines[line]), (what, start, lines[line])
    assert 0 <= end <= len(lines[end_line]), (what, end, lines[end_line])
    assert (line, start) <= (end_line, end), what


def check_analysis(text: str, analysis) -> None:
    lines = analysis_lines(text)
    assert analysis.lines == lines  # line numbering is the editor's (\n, \r\n, \r)
    for occ in analysis.occurrences:
        check_span(lines, occ.line, occ.start, occ.line, occ.end, occ)
        assert occ.start < occ.end
        assert analysis.at(occ.line, occ.start) is not None


@settings(max_examples=examples(60, 3000))
@given(edited_modules(), st.lists(st.tuples(st.integers(0, 300), st.integers(0, 150)), max_size=15))
def test_analysis_never_raises_and_stays_in_range(api_db, text, points):
    analysis = analyze(text, module_name="app.fuzz", db=api_db)
    check_analysis(text, analysis)
    for line, col in points:
        occ = analysis.at(line, col)
        if occ is not None:
            assert occ.line == line and occ.start <= col <= occ.end
        analysis.resolve_text("app.get", line, api_db)
        analysis.resolve_text("fastapi.security.OAuth2", line, api_db)


@settings(max_examples=examples(60, 3000))
@given(st.text(max_size=300))
def test_arbitrary_text_is_parsed_without_errors(text):
    chunks = parse_module(text)
    lines = analysis_lines(text)
    for chunk in chunks:
        assert 0 <= chunk.start_line < max(1, len(lines))
    check_analysis(text, analyze(text))


@settings(max_examples=examples(40, 2000))
@given(edited_modules())
def test_routes_and_diagnostics_stay_in_range(api_db, text):
    from fastapi_docs_lsp.core.diagnostics import diagnose
    from fastapi_docs_lsp.core.routes import extract_routes

    analysis = analyze(text, module_name="app.fuzz", db=api_db)
    lines = analysis.lines
    routes = extract_routes(analysis, api_db, "app.fuzz")
    for route in routes.routes:
        for span in (route.decorator, route.path_span, route.name_span, route.def_span):
            if span is not None:
                check_span(lines, span.line, span.start, span.end_line, span.end, route)
    for diag in diagnose(analysis, db=api_db, module_name="app.fuzz", path="/ws/app/fuzz.py", routes=routes):
        s = diag.span
        check_span(lines, s.line, s.start, s.end_line, s.end, diag)
        for related in diag.related:
            r = related.span
            check_span(lines, r.line, r.start, r.end_line, r.end, related)
        for fix in diag.fixes:
            for edit in fix.edits:
                check_span(lines, edit.line, edit.start, edit.end_line, edit.end, fix)


@settings(max_examples=examples(60, 3000))
@given(edited_modules(), st.lists(st.tuples(st.integers(0, 300), st.integers(0, 150)), min_size=1, max_size=12))
def test_completion_never_raises_and_stays_in_range(api_db, text, points):
    completion = pytest.importorskip("fastapi_docs_lsp.core.completion")
    analysis = analyze(text, module_name="app.fuzz", db=api_db)
    lines = analysis.lines
    snapshot = completion.Snapshot.of(analysis)
    for line, col in points:
        line = min(line, len(lines) - 1) if line % 3 else line  # a third of them past the end
        result = completion.complete(snapshot, line, col, api_db, None, module_name="app.fuzz")
        if result is None:
            continue
        assert result.line == line
        assert 0 <= result.start <= result.end <= result.replace_end <= len(lines[line]), result
        for item in result.items:
            assert item.label
            for edit in item.edits:
                check_span(lines, edit.line, edit.start, edit.line, edit.end, edit)
