"""Hover through the real server process, as VS Code and Neovim ask for it."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..conftest import WORKSPACE
from .conftest import open_doc, position_of

MAIN = WORKSPACE / "app" / "main.py"
ITEMS = WORKSPACE / "app" / "routers" / "items.py"
USERS = WORKSPACE / "app" / "routers" / "users.py"
TESTS = WORKSPACE / "tests_app.py"


async def hover_at(client: LanguageClient, path, needle: str, offset: int = 1, occurrence: int = 0):
    text = path.read_text()
    uri = open_doc(client, path, text)
    return await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(text, needle, offset, occurrence))
    )


@pytest.mark.parametrize(
    "path, needle, expected",
    [
        (MAIN, "Depends(verify_key)", "fastapi.Depends"),
        (MAIN, "add_middleware(CORS", "add_middleware"),
        (MAIN, "allow_origins", "allow_origins"),
        (MAIN, "include_router(items", "include_router"),
        (ITEMS, "HTTP_404_NOT_FOUND", "404"),
        (ITEMS, "max_length=50", "max_length"),
        (ITEMS, "response_model", "response_model"),
        (USERS, "url_for", "url_for"),
        (USERS, "router.get", "instance of `fastapi.APIRouter`"),
        (TESTS, "TestClient(app)", "TestClient"),
    ],
)
async def test_hover_shows_fastapi_docs(client: LanguageClient, path, needle, expected):
    hover = await hover_at(client, path, needle)
    assert hover is not None, needle
    value = hover.contents.value
    assert expected in value
    assert len(value.splitlines()) <= 25


async def test_hover_links_docs_with_anchor(client: LanguageClient):
    hover = await hover_at(client, ITEMS, "max_length=50")
    assert "https://fastapi.tiangolo.com/tutorial/query-params-str-validations/" in hover.contents.value


@pytest.mark.parametrize("needle", ["write_log", "ITEMS[item_id]", "log.write", "session.close"])
async def test_silent_on_non_fastapi_code(client: LanguageClient, needle):
    path = MAIN if needle in MAIN.read_text() else (ITEMS if needle in ITEMS.read_text() else WORKSPACE / "app" / "dependencies.py")
    assert await hover_at(client, path, needle) is None


async def test_hover_range_and_markdown_kind(client: LanguageClient):
    text = MAIN.read_text()
    hover = await hover_at(client, MAIN, "FastAPI(title")
    assert hover.contents.kind == types.MarkupKind.Markdown
    pos = position_of(text, "FastAPI(title")
    assert hover.range.start == pos
    assert hover.range.end.character == pos.character + len("FastAPI")


async def test_hover_on_broken_code_while_typing(client: LanguageClient):
    text = "from fastapi import APIRouter, Query\nrouter = APIRouter()\n\n@router.get('/x', response_model=\ndef f(q: str = Query(max_length=3):\n    return q\n"
    uri = open_doc(client, WORKSPACE / "scratch_broken.py", text)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(text, "max_length", 1))
    )
    assert hover is not None and "max_length" in hover.contents.value


async def test_unknown_document_is_not_an_error(client: LanguageClient):
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=(WORKSPACE / "does_not_exist.py").as_uri()),
            position=types.Position(line=0, character=0),
        )
    )
    assert hover is None


async def test_route_decorator_hover_puts_docs_first_and_folds_the_signature(client: LanguageClient):
    """`@router.get(...)`: what it is and the docs link first, then only this call's arguments."""
    hover = await hover_at(client, ITEMS, 'router.get("/{item_id}"', offset=len("router.g"))
    value = hover.contents.value
    lines = value.splitlines()
    first_link = next(n for n, line in enumerate(lines) if "](https://fastapi.tiangolo.com/" in line)
    assert first_link < 12, value
    code = value.split("```python\n", 1)[1].split("```", 1)[0]
    assert "response_model" in code and "status_code" in code and "path: str" in code
    assert "# + " in code and "more:" in code and "tags" not in code.split("# +")[0]
