"""Incremental didChange correctness of the server's document model (``documents.SyncedDocument``).

Random edit sequences (insertions, deletions, replacements, whole lines, positions past the end
of a line or of the file, CRLF/CR, emoji, NUL, form feed, U+2028, lone surrogates) are applied
both to the server's document and to a reference model of LSP text; the texts must be equal
after every edit. The end-to-end counterpart (through the real server) is in tests/fuzz.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec
from pygls.workspace.text_document import TextDocument

from fastapi_docs_lsp.documents import split_lines
from fastapi_docs_lsp.pygls_seam import SyncedDocument, SyncedWorkspace

from ..fuzz.strategies import MODULE_NAMES, MODULES, Edit, apply_edit, edits, examples, generate, lsp_lines


def change(edit: Edit) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(edit.start_line, edit.start_char), types.Position(edit.end_line, edit.end_char)),
        text=edit.text,
    )


def check(doc: SyncedDocument, expected: str) -> None:
    assert doc.source == expected
    lines = lsp_lines(expected)
    assert doc.line_count() == len(lines)
    assert list(doc.lines) == (lines[:-1] if lines[-1] == "" else lines)


@st.composite
def edit_sequences(draw):
    text = MODULES[draw(st.sampled_from(MODULE_NAMES))]
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, 400))]  # small documents hit the boundaries more often
    steps = []
    current = text
    for _ in range(draw(st.integers(1, 25))):
        edit = draw(edits(current))
        steps.append(edit)
        current = apply_edit(current, edit)
    return text, steps


@settings(max_examples=examples(300, 5000))
@given(edit_sequences())
def test_random_incremental_changes_reproduce_the_text(case):
    text, steps = case
    doc = SyncedDocument("file:///fuzz.py", text, version=1)
    expected = text
    for edit in steps:
        doc.apply_change(change(edit))
        expected = apply_edit(expected, edit)
        check(doc, expected)


@settings(max_examples=examples(100, 2000))
@given(st.text(alphabet=st.sampled_from(list("ab (\t:")), max_size=60), st.data())
def test_plain_text_matches_pygls(text, data):
    """Where pygls' own document is right (no special line breaks, positions in range), we agree."""
    ours = SyncedDocument("file:///a.py", text, version=1)
    theirs = TextDocument("file:///a.py", text, version=1)
    for _ in range(data.draw(st.integers(1, 10))):
        lines = lsp_lines(ours.source)
        sl = data.draw(st.integers(0, len(lines) - 1))
        el = data.draw(st.integers(sl, len(lines) - 1))
        sc = data.draw(st.integers(0, len(lines[sl].rstrip("\n"))))
        ec = data.draw(st.integers(0 if el > sl else sc, len(lines[el].rstrip("\n"))))
        new = data.draw(st.text(alphabet=st.sampled_from(list("xy\n )")), max_size=5))
        c = change(Edit(sl, sc, el, ec, new))
        ours.apply_change(c)
        theirs.apply_change(c)
        assert ours.source == theirs.source


@pytest.mark.parametrize(
    "text, edit, expected",
    [
        # a lone CR followed by an inserted LF becomes one CRLF line break (as in the editor)
        ("a\rb", Edit(1, 0, 1, 0, "\nX"), "a\r\nXb"),
        # deleting the text between CR and LF joins them into one break
        ("a\rZ\nb", Edit(1, 0, 1, 1, ""), "a\r\nb"),
        # form feed, U+2028 and NEL are not line breaks for LSP clients: line 1 is "second"
        ("x\x0cy\u2028z\x85w\nsecond", Edit(1, 0, 1, 6, "2nd"), "x\x0cy\u2028z\x85w\n2nd"),
        # past the end of a line: the end of that line's content (not into its CRLF)
        ("ab\r\ncd", Edit(0, 99, 0, 99, "!"), "ab!\r\ncd"),
        # past the end of the file: appended
        ("ab\ncd", Edit(7, 3, 9, 0, "!"), "ab\ncd!"),
        # UTF-16: after the emoji is column 2
        ("😀x", Edit(0, 2, 0, 3, "y"), "😀y"),
        # a reversed range is the same range
        ("hello", Edit(0, 4, 0, 1, ""), "ho"),
        # everything, across CRLF lines
        ("a\r\nb\r\nc", Edit(0, 0, 2, 1, ""), ""),
    ],
)
def test_edge_cases(text, edit, expected):
    doc = SyncedDocument("file:///e.py", text, version=1)
    doc.apply_change(change(edit))
    assert apply_edit(text, edit) == expected  # the reference model agrees with the expectation
    check(doc, expected)


def test_utf8_and_utf32_position_encodings():
    text = "é😀x\n"
    for encoding, column in ((types.PositionEncodingKind.Utf8, 2 + 4), (types.PositionEncodingKind.Utf32, 2)):
        doc = SyncedDocument("file:///u.py", text, version=1, position_codec=PositionCodec(encoding))
        doc.apply_change(change(Edit(0, column, 0, column + 1, "y")))
        assert doc.source == "é😀y\n"


def test_full_change_and_workspace_integration():
    ws = SyncedWorkspace(None)
    ws.put_text_document(types.TextDocumentItem(uri="file:///w.py", language_id="python", version=1, text="a\nb"))
    doc = ws.get_text_document("file:///w.py")
    assert isinstance(doc, SyncedDocument)
    ws.update_text_document(types.VersionedTextDocumentIdentifier(uri="file:///w.py", version=2), change(Edit(1, 1, 1, 1, "c")))
    assert (doc.source, doc.version) == ("a\nbc", 2)
    ws.update_text_document(types.VersionedTextDocumentIdentifier(uri="file:///w.py", version=3), types.TextDocumentContentChangeWholeDocument(text="new\r\n"))
    check(doc, "new\r\n")
    # a document that is not open still reads from disk (pygls' behaviour)
    assert not isinstance(ws.get_text_document("file:///not-open.py"), SyncedDocument)


def test_split_lines_round_trips():
    for text in ("", "\n", "\r", "\r\n", "a\r\r\nb\n\rc", "x" * 10):
        assert "".join(split_lines(text)) == text
        assert split_lines(text) == lsp_lines(text)


def test_typing_at_the_end_of_a_big_file_is_constant_time():
    text = generate(50_000)
    doc = SyncedDocument("file:///big.py", text, version=1)
    last = doc.line_count() - 1
    started = time.perf_counter()
    n = 500
    for i in range(n):
        doc.apply_change(change(Edit(last, i, last, i, "x")))
    per_change_ms = (time.perf_counter() - started) / n * 1000
    assert doc.source.endswith("x" * n)
    # pygls' TextDocument takes ~7 ms per change on this file; ours is O(edit)
    assert per_change_ms < 0.5, per_change_ms
