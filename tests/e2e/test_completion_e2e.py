"""Completion through the real server process, with VS Code's and Neovim's capabilities.

VS Code resolves documentation lazily (completionItem/resolve) and supports insert/replace
edits; the Neovim profile resolves only edits/commands, so documentation comes inline.
"""

from __future__ import annotations

import time

from lsprotocol import types
from pytest_lsp import LanguageClient

from ..conftest import WORKSPACE
from .conftest import open_doc, position_of

MAIN = WORKSPACE / "app" / "main.py"
ITEMS = WORKSPACE / "app" / "routers" / "items.py"
CURSOR = "<|>"


def _cursor(text: str) -> tuple[str, types.Position]:
    idx = text.index(CURSOR)
    text = text[:idx] + text[idx + len(CURSOR) :]
    line = text.count("\n", 0, idx)
    return text, types.Position(line=line, character=idx - (text.rfind("\n", 0, idx) + 1))


async def complete(client: LanguageClient, source: str, name: str = "scratch_completion.py", trigger: str | None = None, version: int = 1):
    text, pos = _cursor(source)
    uri = open_doc(client, WORKSPACE / "app" / name, text, version=version)
    context = (
        types.CompletionContext(trigger_kind=types.CompletionTriggerKind.TriggerCharacter, trigger_character=trigger)
        if trigger
        else types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)
    )
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos, context=context)
    )
    assert isinstance(result, types.CompletionList), result
    assert result.is_incomplete is False
    return result.items, pos


def by_label(items) -> dict[str, types.CompletionItem]:
    return {item.label: item for item in items}


def resolves_documentation(client: LanguageClient) -> bool:
    support = client.capabilities.text_document.completion.completion_item.resolve_support
    return bool(support and "documentation" in support.properties)


async def documentation_of(client: LanguageClient, item: types.CompletionItem) -> str:
    if item.documentation is None:
        assert resolves_documentation(client), f"{item.label}: no inline documentation for a client that cannot resolve it"
        assert item.data, item.label
        item = await client.completion_item_resolve_async(item)
    assert item.documentation is not None, item.label
    return item.documentation.value if isinstance(item.documentation, types.MarkupContent) else item.documentation


def edit_of(item: types.CompletionItem) -> tuple[str, types.Range]:
    edit = item.text_edit
    assert edit is not None, item.label
    if isinstance(edit, types.InsertReplaceEdit):
        return edit.new_text, edit.insert
    return edit.new_text, edit.range


async def test_status_dot_offers_codes_with_description(client: LanguageClient):
    text = MAIN.read_text() + "\n\ndef f():\n    code = status.<|>\n"
    items, pos = await complete(client, text, name="scratch_status.py", trigger=".")
    labels = by_label(items)
    assert "HTTP_404_NOT_FOUND" in labels and "HTTP_201_CREATED" in labels and "WS_1008_POLICY_VIOLATION" in labels
    item = labels["HTTP_404_NOT_FOUND"]
    assert item.detail == "404 Not Found"
    assert item.kind == types.CompletionItemKind.Constant
    doc = await documentation_of(client, item)
    # said once: the detail has code and phrase, the documentation what it means and the docs
    assert "Nothing exists at this path" in doc and "404" not in doc.split("Docs:")[0]
    new_text, rng = edit_of(item)
    assert new_text == "HTTP_404_NOT_FOUND"
    assert rng.start == pos and rng.end == pos


async def test_decorator_keywords_on_broken_code(client: LanguageClient):
    source = 'from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post("/x", resp<|>\ndef broken(:\n    return [\n'
    items, pos = await complete(client, source, trigger=None)
    labels = by_label(items)
    assert "response_model=" in labels and "response_class=" in labels
    item = labels["response_model="]
    new_text, rng = edit_of(item)
    assert rng.start.character == pos.character - len("resp") and rng.end == pos
    snippets = client.capabilities.text_document.completion.completion_item.snippet_support
    if snippets:
        assert new_text == "response_model=${1}" and item.insert_text_format == types.InsertTextFormat.Snippet
    else:
        assert new_text == "response_model="
    assert item.filter_text == "response_model"
    doc = await documentation_of(client, item)
    assert "type to use for the response" in doc and "fastapi.tiangolo.com" in doc
    assert "path=" not in labels  # given positionally


async def test_deprecated_query_params_are_tagged_and_last(client: LanguageClient):
    source = "from fastapi import Query\n\ndef f(q: str = Query(max_length=3, <|>)):\n    pass\n"
    items, _ = await complete(client, source, trigger=",")
    labels = by_label(items)
    assert "max_length=" not in labels
    regex = labels["regex="]
    tag_support = client.capabilities.text_document.completion.completion_item.tag_support
    assert (list(regex.tags or ()) == [types.CompletionItemTag.Deprecated]) if tag_support else regex.deprecated
    ordered = sorted(items, key=lambda i: i.sort_text)
    assert {i.label for i in ordered[-2:]} == {"regex=", "example="}


async def test_middleware_options(client: LanguageClient):
    text = MAIN.read_text().replace("allow_credentials=True)", "allow_credentials=True, <|>)")
    items, _ = await complete(client, text, name="scratch_mw.py", trigger=",")
    labels = by_label(items)
    assert "allow_methods=" in labels and "max_age=" in labels
    assert "allow_origins=" not in labels and "allow_credentials=" not in labels and "app=" not in labels


async def test_status_code_value_fits_the_method(client: LanguageClient):
    text = ITEMS.read_text().replace('@router.post("/", status_code=status.HTTP_201_CREATED)', '@router.post("/", status_code=<|>)')
    items, _ = await complete(client, text, name="scratch_post.py", trigger="=")
    ordered = sorted(items, key=lambda i: i.sort_text)
    assert ordered[0].label == "status.HTTP_201_CREATED" and ordered[0].detail == "201 Created"
    assert all(not i.label.startswith("status.WS_") for i in items)
    assert not ordered[0].additional_text_edits  # `status` is imported in that module


async def test_status_code_value_adds_import_when_missing(client: LanguageClient):
    source = 'from fastapi import FastAPI\n\napp = FastAPI()\n\n@app.delete("/x/{x}", status_code=<|>)\ndef d(x: int):\n    pass\n'
    items, _ = await complete(client, source, trigger="=")
    first = sorted(items, key=lambda i: i.sort_text)[0]
    assert first.label == "status.HTTP_204_NO_CONTENT"
    # merged into the existing import line, not a second `from fastapi import status`
    edit = first.additional_text_edits[0]
    assert edit.new_text == ", status" and edit.range.start.line == 0
    assert edit.range.start.character == len("from fastapi import FastAPI")


async def test_route_decorators_list_http_methods_first(client: LanguageClient):
    source = "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.<|>\n"
    items, _ = await complete(client, source, trigger=".")
    assert [i.label for i in sorted(items, key=lambda i: i.sort_text)][:3] == ["get", "post", "put"]


async def test_import_names_after_space(client: LanguageClient):
    items, _ = await complete(client, "from fastapi import Depends, <|>", trigger=" ")
    labels = by_label(items)
    assert "FastAPI" in labels and "APIRouter" in labels and "status" in labels
    assert "Depends" not in labels and "Any" not in labels
    assert labels["FastAPI"].kind == types.CompletionItemKind.Class
    assert "FastAPI" in (await documentation_of(client, labels["FastAPI"]))


async def test_path_parameters_in_signature(client: LanguageClient):
    source = 'from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get("/items/{item_id:int}/tags/{tag}")\nasync def read(item_id: int, <|>):\n    pass\n'
    items, _ = await complete(client, source, trigger=",")
    assert [i.label for i in items] == ["tag"]
    new_text, _ = edit_of(items[0])
    assert new_text in ("tag: str", "tag: ${1:str}")


async def test_depends_offers_dependencies(client: LanguageClient):
    text = (WORKSPACE / "app" / "dependencies.py").read_text() + "\n\nasync def endpoint(s = Depends(<|>)):\n    pass\n"
    items, _ = await complete(client, text, name="scratch_deps.py", trigger="(")
    labels = [i.label for i in sorted(items, key=lambda i: i.sort_text)]
    assert labels[0] == "get_session"  # a yield dependency ranks first
    assert "verify_key" in labels and "oauth2_scheme" in labels and "Pagination" in labels
    assert "endpoint" not in labels and "use_cache=" in labels


async def test_members_of_request_instance(client: LanguageClient):
    source = "from fastapi import FastAPI, Request\napp = FastAPI()\n\n@app.get('/')\nasync def root(request: Request):\n    return request.<|>\n"
    items, _ = await complete(client, source, trigger=".")
    labels = by_label(items)
    assert "url_for" in labels and "headers" in labels and "json" in labels
    assert labels["url_for"].kind == types.CompletionItemKind.Method


async def test_empty_outside_fastapi_contexts(client: LanguageClient):
    for source, trigger in [
        ("import os\nos.<|>", "."),
        ("def f(x):\n    return len(<|>)", "("),
        ("x = 1\ny = <|>", " "),
        ("from fastapi import FastAPI\n# FastAPI(<|>", "("),
        ("from collections import <|>", " "),
    ]:
        items, _ = await complete(client, source, trigger=trigger)
        assert list(items) == [], source


async def test_media_type_inside_string(client: LanguageClient):
    source = 'from fastapi.responses import Response\n\ndef f():\n    return Response(content="x", media_type="te<|>")\n'
    items, pos = await complete(client, source)
    labels = by_label(items)
    assert "text/html" in labels
    new_text, rng = edit_of(labels["text/html"])
    assert new_text == "text/html" and rng.start.character == pos.character - 2


async def test_completion_while_typing_reuses_analysis(client: LanguageClient):
    """Edits inside a call keep completion working (and fast) between full analyses."""
    base = ITEMS.read_text()
    uri = open_doc(client, WORKSPACE / "app" / "scratch_typing.py", base)
    first = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(base, "embed=True", 0))
    )
    assert "media_type=" in {i.label for i in first.items}
    typed = '@router.get("/extra", '
    anchor = base.index('@router.delete("/{item_id}"')
    lines_before = base.count("\n", 0, anchor)
    version = 1
    for k in range(1, len(typed) + 1):
        version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(line=lines_before, character=k - 1), types.Position(line=lines_before, character=k - 1)),
                        text=typed[k - 1] if k < len(typed) else typed[k - 1] + "\n",
                    )
                ],
            )
        )
    started = time.perf_counter()
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=lines_before, character=len(typed))
        )
    )
    elapsed = time.perf_counter() - started
    labels = {i.label for i in result.items}
    assert "response_model=" in labels and "status_code=" in labels
    assert elapsed < 2.0
