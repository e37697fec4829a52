"""Fuzzing through the real server process (pytest-lsp): random editing sessions, and after every
edit hover, completion (+ resolve), code actions, document symbols, pull diagnostics and the
``fastapi.*`` commands at random positions, including past the end of a line or of the file.

The server must answer every request without a JSON-RPC error, never report an internal error,
never crash, return results of the right type, and keep every range inside the current text.
After each session the server's text (debug command) equals the text the edits produce.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest_lsp
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..conftest import WORKSPACE
from ..e2e.conftest import SERVER_CMD, SERVER_ENV, init_params, wait_ready
from .strategies import (
    FRAGMENTS,
    MODULE_NAMES,
    MODULES,
    Edit,
    apply_edit,
    edits,
    examples,
    in_document,
    lsp_lines,
)

FUZZ_ENV = {**SERVER_ENV, "FASTAPI_DOCS_LSP_DEBUG": "1"}
_counter = itertools.count()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_CMD, server_env=FUZZ_ENV))
async def client(lsp_client: LanguageClient):
    lsp_client.set_configuration({"fastapi": {"pythonPath": os.sys.executable}})
    result = await lsp_client.initialize_session(init_params("visual-studio-code"))
    lsp_client.capabilities_of_server = result.capabilities  # type: ignore[attr-defined]
    await wait_ready(lsp_client)
    yield
    await lsp_client.shutdown_session()


# --------------------------------------------------------------------------------------
# response checks


class Checker:
    def __init__(self, client: LanguageClient, uri: str, text: str) -> None:
        self.client = client
        self.uri = uri
        self.text = text
        self.caps: types.ServerCapabilities = client.capabilities_of_server  # type: ignore[attr-defined]

    def range(self, rng: types.Range, what: Any) -> None:
        assert isinstance(rng, types.Range), what
        s, e = rng.start, rng.end
        assert in_document(self.text, s.line, s.character), (what, rng, len(lsp_lines(self.text)))
        assert in_document(self.text, e.line, e.character), (what, rng)
        assert (s.line, s.character) <= (e.line, e.character), (what, rng)

    def text_edits(self, edits_: Any, what: Any) -> None:
        for edit in edits_ or []:
            if isinstance(edit, types.InsertReplaceEdit):
                self.range(edit.insert, what)
                self.range(edit.replace, what)
            else:
                self.range(edit.range, what)

    def workspace_edit(self, edit: types.WorkspaceEdit | None, what: Any) -> None:
        if edit is None:
            return
        for uri, changes in (edit.changes or {}).items():
            if uri == self.uri:
                self.text_edits(changes, what)
        for change in edit.document_changes or []:
            if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == self.uri:
                self.text_edits(change.edits, what)

    # ---- requests --------------------------------------------------------------------------

    def doc(self) -> types.TextDocumentIdentifier:
        return types.TextDocumentIdentifier(uri=self.uri)

    async def hover(self, pos: types.Position) -> None:
        result = await self.client.text_document_hover_async(types.HoverParams(text_document=self.doc(), position=pos))
        if result is not None:
            assert isinstance(result, types.Hover)
            assert isinstance(result.contents, types.MarkupContent) and result.contents.value
            if result.range is not None:
                self.range(result.range, "hover")

    async def completion(self, pos: types.Position, trigger: str | None) -> None:
        if self.caps.completion_provider is None:
            return
        context = (
            types.CompletionContext(trigger_kind=types.CompletionTriggerKind.TriggerCharacter, trigger_character=trigger)
            if trigger
            else types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)
        )
        result = await self.client.text_document_completion_async(
            types.CompletionParams(text_document=self.doc(), position=pos, context=context)
        )
        if result is None:
            return
        items = result.items if isinstance(result, types.CompletionList) else result
        assert isinstance(items, (list, tuple))
        for item in items:
            assert isinstance(item, types.CompletionItem) and item.label
            if item.text_edit is not None:
                self.text_edits([item.text_edit], ("completion", item.label))
            self.text_edits(item.additional_text_edits, ("completion import", item.label))
        if self.caps.completion_provider.resolve_provider:
            for item in items[:3]:
                resolved = await self.client.completion_item_resolve_async(item)
                assert isinstance(resolved, types.CompletionItem) and resolved.label == item.label

    async def code_actions(self, start: types.Position, end: types.Position, diagnostics: list[types.Diagnostic]) -> None:
        if self.caps.code_action_provider is None:
            return
        result = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=self.doc(),
                range=types.Range(start=start, end=end),
                context=types.CodeActionContext(diagnostics=diagnostics),
            )
        )
        for action in result or []:
            assert isinstance(action, (types.CodeAction, types.Command))
            if isinstance(action, types.CodeAction):
                self.workspace_edit(action.edit, ("code action", action.title))
                if action.data is not None and action.edit is None and self.caps.code_action_provider.resolve_provider:
                    resolved = await self.client.code_action_resolve_async(action)
                    self.workspace_edit(resolved.edit, ("resolved code action", action.title))

    async def symbols(self) -> None:
        if self.caps.document_symbol_provider is None:
            return
        result = await self.client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=self.doc()))

        def walk(symbols):
            for sym in symbols or []:
                if isinstance(sym, types.DocumentSymbol):
                    assert sym.name
                    self.range(sym.range, ("symbol", sym.name))
                    self.range(sym.selection_range, ("symbol selection", sym.name))
                    assert (sym.range.start.line, sym.range.start.character) <= (sym.selection_range.start.line, sym.selection_range.start.character)
                    walk(sym.children)
                else:
                    assert isinstance(sym, types.SymbolInformation)
                    if sym.location.uri == self.uri:
                        self.range(sym.location.range, ("symbol", sym.name))

        walk(result)

    async def diagnostics(self) -> list[types.Diagnostic]:
        if self.caps.diagnostic_provider is None:
            return []
        report = await self.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=self.doc()))
        items = getattr(report, "items", None) or []
        for diag in items:
            assert isinstance(diag, types.Diagnostic) and diag.message
            self.range(diag.range, ("diagnostic", diag.code))
            for related in diag.related_information or []:
                if related.location.uri == self.uri:
                    self.range(related.location.range, ("related", diag.code))
        return items

    async def commands(self, pos: types.Position, query: str) -> None:
        commands = set((self.caps.execute_command_provider or types.ExecuteCommandOptions(commands=[])).commands)
        if "fastapi.openReference" in commands:
            await self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="fastapi.openReference",
                    arguments=[{"uri": self.uri, "position": {"line": pos.line, "character": pos.character}}],
                )
            )
        if "fastapi.searchDocs" in commands:
            result = await self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="fastapi.searchDocs", arguments=[query])
            )
            assert isinstance(result, (list, tuple))

    async def server_text(self) -> dict:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="fastapi.debug.documentText", arguments=[{"uri": self.uri}])
        )


def position(text: str, data, *, past_end: bool = True) -> types.Position:
    lines = lsp_lines(text)
    line = data.draw(st.integers(0, len(lines) - 1 + (3 if past_end else 0)), label="line")
    width = len(lines[line]) if line < len(lines) else 0
    char = data.draw(st.integers(0, width + (4 if past_end else 0)), label="character")
    return types.Position(line=line, character=char)


def change_event(edit: Edit) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(edit.start_line, edit.start_char), types.Position(edit.end_line, edit.end_char)),
        text=edit.text,
    )


# --------------------------------------------------------------------------------------
# the fuzz test


@settings(max_examples=examples(30, 500))
@given(module=st.sampled_from(MODULE_NAMES), data=st.data())
async def test_random_editing_session(client: LanguageClient, module: str, data):
    path = WORKSPACE / "app" / f"fuzz_{next(_counter)}.py"  # never written: lives only in the editor
    uri = path.as_uri()
    text = MODULES[module]
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    check = Checker(client, uri, text)
    version = 1
    for _ in range(data.draw(st.integers(1, 6), label="edits")):
        batch = []
        for _ in range(data.draw(st.integers(1, 3), label="changes in one didChange")):
            edit = data.draw(edits(text), label="edit")
            batch.append(change_event(edit))
            text = apply_edit(text, edit)
        version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=batch
            )
        )
        check.text = text
        diagnostics = await check.diagnostics()
        for _ in range(data.draw(st.integers(1, 3), label="positions")):
            pos = position(text, data)
            await check.hover(pos)
            await check.completion(pos, data.draw(st.sampled_from([None, ".", "(", ",", "=", " "]), label="trigger"))
            end = position(text, data)
            start, end = sorted([pos, end], key=lambda p: (p.line, p.character))
            await check.code_actions(start, end, diagnostics)
        await check.symbols()
        if data.draw(st.booleans(), label="commands"):
            await check.commands(position(text, data), data.draw(st.sampled_from(FRAGMENTS + ["dependencies", "Query"]), label="query"))
        state = await check.server_text()
        assert state["text"] == text and state["version"] == version
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert not errors, errors


async def test_requests_on_unknown_and_closed_documents(client: LanguageClient):
    """Requests for documents the server never saw (or closed) are answered, not errors."""
    for uri in (
        (WORKSPACE / "app" / "never_opened.py").as_uri(),
        "untitled:Untitled-1",
        "file:///nonexistent/dir/x.py",
        (WORKSPACE / "app" / "main.py").as_uri(),  # on disk, not open
    ):
        check = Checker(client, uri, (WORKSPACE / "app" / "main.py").read_text() if uri.endswith("main.py") else "")
        pos = types.Position(line=3, character=4)
        result = await client.text_document_hover_async(types.HoverParams(text_document=check.doc(), position=pos))
        assert result is None or isinstance(result, types.Hover)
        if check.caps.completion_provider is not None:
            await client.text_document_completion_async(types.CompletionParams(text_document=check.doc(), position=pos))
        if check.caps.document_symbol_provider is not None:
            await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=check.doc()))
        if check.caps.diagnostic_provider is not None:
            await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=check.doc()))
    assert not [m for m in client.messages if m.type == types.MessageType.Error]
