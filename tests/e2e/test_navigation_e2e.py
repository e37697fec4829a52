"""Route navigation through the real server, on a project with its own tests (tests/fixtures/navigation):
definition from a test-client call's URL, CodeLens both ways, references, the route card on hover."""

from __future__ import annotations

import asyncio
import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..conftest import FIXTURES
from .conftest import SERVER_CMD, SERVER_ENV, init_params, open_doc, position_of, wait_ready

NAV = FIXTURES / "navigation"
TESTS = NAV / "tests" / "test_api.py"
ITEMS = NAV / "app" / "api" / "routes" / "items.py"
USERS = NAV / "app" / "api" / "routes" / "users.py"
ADMIN = NAV / "app" / "api" / "routes" / "admin.py"
MAIN = NAV / "app" / "main.py"
LEGACY = NAV / "app" / "legacy.py"


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_CMD, server_env=SERVER_ENV),
    params=["visual-studio-code", "neovim"],
)
async def client(lsp_client: LanguageClient, request):
    """VS Code advertises the client-side ``fastapi.showReferences`` command (as the extension
    does); the Neovim profile here does not, so its lenses use the server's command."""
    params = init_params(request.param, root=NAV)
    if request.param == "visual-studio-code":
        params.capabilities.experimental = {"commands": {"commands": ["fastapi.showReferences"]}}
    lsp_client.set_configuration({"fastapi": {"pythonPath": sys.executable}})

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        return None

    await lsp_client.initialize_session(params)
    await wait_ready(lsp_client)
    yield request.param
    await lsp_client.shutdown_session()


async def lenses_of(client: LanguageClient, uri: str, want: int = 1, timeout: float = 30.0) -> list[types.CodeLens]:
    """CodeLens for ``uri`` once the workspace route scan has run (it starts after loading)."""
    deadline = asyncio.get_event_loop().time() + timeout
    lenses: list[types.CodeLens] = []
    while asyncio.get_event_loop().time() < deadline:
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
        ) or []
        if len(lenses) >= want:
            return lenses
        await asyncio.sleep(0.1)
    return lenses


def line_of(path, needle: str, occurrence: int = 0) -> int:
    return position_of(path.read_text(), needle, occurrence=occurrence).line


async def definition(client: LanguageClient, uri: str, text: str, needle: str, offset: int = 2) -> list[tuple[str, str]]:
    """(file name, the text at each location), best first."""
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(text, needle, offset))
    )
    out = []
    for loc in result or []:
        path = NAV / loc.uri.split("/navigation/", 1)[1]
        line = path.read_text().split("\n")[loc.range.start.line]
        out.append((path.name, line[loc.range.start.character : loc.range.end.character]))
    return out


async def test_definition_from_test_calls(client: LanguageClient):
    text = TESTS.read_text()
    uri = open_doc(client, TESTS)
    await lenses_of(client, uri)
    # settings prefix resolved statically + query string ignored
    assert await definition(client, uri, text, '/items/?skip') == [("items.py", "read_items")]
    # a placeholder segment prefers the path parameter; the literal route comes second
    assert await definition(client, uri, text, "/users/{user.id}") == [("users.py", "read_user"), ("users.py", "read_user_me")]
    assert await definition(client, uri, text, "/users/me") == [("users.py", "read_user_me"), ("users.py", "read_user")]
    # ambiguous: every route that matches, in a stable order
    assert await definition(client, uri, text, "/{kind}/1") == [("items.py", "read_item"), ("users.py", "read_user")]
    # stacked decorators: each path reaches the one handler
    assert await definition(client, uri, text, '"/api/v1/profile"') == [("users.py", "read_profile")]
    assert await definition(client, uri, text, '"/api/v1/me/profile"') == [("users.py", "read_profile")]
    # router from a factory, imported under an alias, included with a prefix; add_api_route; request()
    assert await definition(client, uri, text, "/internal/admin/cache") == [("admin.py", "clear_cache")]
    assert await definition(client, uri, text, "/internal/admin/stats") == [
        ("admin.py", 'admin.add_api_route("/admin/stats", stats, methods=["GET"])')
    ]
    # app.mount of a sub-app; an unresolvable leading placeholder matches any prefix
    assert await definition(client, uri, text, "/legacy/ping") == [("legacy.py", "ping")]
    assert await definition(client, uri, text, "{base_url}/health") == [("main.py", "health")]
    # httpx.AsyncClient on ASGITransport(app=app): method from the call
    assert await definition(client, uri, text, 'ac.post(f"{settings', offset=10) == [("items.py", "create_item")]
    # not a client: nothing
    assert await definition(client, uri, text, 'other.get("/health"', offset=12) == []


async def test_code_lenses_on_tests_and_routes(client: LanguageClient):
    test_uri = open_doc(client, TESTS)
    lenses = await lenses_of(client, test_uri, want=12)
    titles = {lens.range.start.line: lens.command.title for lens in lenses if lens.command}
    assert titles[line_of(TESTS, "/items/?skip")] == "→ GET /api/v1/items/ · read_items"
    assert titles[line_of(TESTS, "/items/{item.id}")] == "→ GET /api/v1/items/{item_id} · read_item"
    assert titles[line_of(TESTS, "/{kind}/1")] == "→ GET /api/v1/items/{item_id} · read_item (+1 more)"
    assert line_of(TESTS, 'other.get("/health")') not in titles
    commands = {lens.command.command for lens in lenses}
    assert len(commands) == 1 and commands <= {"fastapi.showReferences", "fastapi.openLocations"}
    lens = lenses[0]
    uri_arg, position_arg, locations = lens.command.arguments
    assert uri_arg == test_uri and position_arg["line"] == lens.range.start.line and locations

    items_uri = open_doc(client, ITEMS)
    route_lenses = await lenses_of(client, items_uri, want=3)
    by_line = {lens.range.start.line: lens for lens in route_lenses}
    read_items = by_line[line_of(ITEMS, '@router.get("/",')]
    assert read_items.command.title == "1 test"
    read_item = by_line[line_of(ITEMS, '@router.get("/{item_id}"')]
    assert read_item.command.title == "2 tests"  # {item.id} and the ambiguous {kind}/1
    (loc,) = read_items.command.arguments[2]
    assert loc["uri"] == TESTS.as_uri() and loc["range"]["start"]["line"] == line_of(TESTS, "/items/?skip")
    create = by_line[line_of(ITEMS, "@router.post")]
    assert create.command.title == "1 test"  # the AsyncClient test


async def test_lenses_follow_edits_without_a_rescan(client: LanguageClient):
    items_uri = open_doc(client, ITEMS)
    await lenses_of(client, items_uri, want=3)
    text = ITEMS.read_text()
    edited = text.replace('@router.post("/", status_code=201)', '@router.put("/", status_code=201)')
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=items_uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
        )
    )
    lenses = await lenses_of(client, items_uri, want=3)
    by_line = {lens.range.start.line: lens.command.title for lens in lenses}
    assert by_line[line_of(ITEMS, "@router.post")] == "0 tests"  # the test POSTs; the route is now PUT
    test_text = TESTS.read_text()
    test_uri = open_doc(client, TESTS)
    added = test_text + '\n\ndef test_put(client):\n    client.put(f"{settings.API_V1_STR}/items/")\n'
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=test_uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=added)],
        )
    )
    lenses = await lenses_of(client, items_uri, want=3)
    by_line = {lens.range.start.line: lens.command.title for lens in lenses}
    assert by_line[line_of(ITEMS, "@router.post")] == "1 test"


async def test_references_on_a_handler_include_its_tests(client: LanguageClient):
    users_uri = open_doc(client, USERS)
    await lenses_of(client, users_uri)
    text = USERS.read_text()
    result = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=users_uri),
            position=position_of(text, "def read_profile", 5),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    lines = sorted(loc.range.start.line for loc in result if loc.uri == TESTS.as_uri())
    assert lines == [line_of(TESTS, '"/api/v1/profile"'), line_of(TESTS, '"/api/v1/me/profile"')]


async def test_hover_on_a_url_shows_the_route_card(client: LanguageClient):
    uri = open_doc(client, TESTS)
    await lenses_of(client, uri)
    text = TESTS.read_text()
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(text, "/items/{item.id}", 3))
    )
    assert hover is not None
    value = hover.contents.value
    assert "GET /api/v1/items/{item_id}" in value and "read_item" in value
    assert "Read one item by its id." in value and "status_code=200" in value


async def test_a_line_made_a_client_call_by_an_edit_elsewhere_gets_the_card_at_once(client: LanguageClient):
    """Hover, definition and lenses read the same up-to-date calls: ``late.get(...)`` is no
    client call until a line above makes ``late`` a client (the hovered line is unchanged, moved)."""
    uri = open_doc(client, TESTS)
    await lenses_of(client, uri)
    text = TESTS.read_text() + '\n\ndef test_later():\n    late.get("/legacy/ping")\n'

    def change(new_text: str, version: int) -> None:
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)],
            )
        )

    async def hover(at: str, new_text: str) -> str | None:
        found = await client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(new_text, at, 12))
        )
        return found.contents.value if found is not None and isinstance(found.contents, types.MarkupContent) else None

    change(text, 2)
    assert await hover('late.get("', text) is None  # `late` is nothing yet
    made = text.replace("from app.main import app\n", "from app.main import app\n\nlate = AsyncClient(transport=ASGITransport(app=app))\n", 1)
    change(made, 3)
    card = await hover('late.get("', made)  # at once: no refresh of the index in between
    assert card is not None and "GET /legacy/ping" in card
    assert await definition(client, uri, made, 'late.get("', 12) == [("legacy.py", "ping")]
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    row = position_of(made, 'late.get("').line
    assert [lens.command.title for lens in lenses or [] if lens.command and lens.range.start.line == row] == ["→ GET /legacy/ping · ping"]


async def test_code_lens_setting_turns_them_off(client: LanguageClient):
    uri = open_doc(client, TESTS)
    assert await lenses_of(client, uri)
    client.set_configuration({"fastapi": {"pythonPath": sys.executable, "codeLens": False}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"fastapi": {"codeLens": False}}))
    for _ in range(50):
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        if not lenses:
            break
        await asyncio.sleep(0.1)
    assert not lenses


async def test_open_locations_command_shows_the_first_location(client: LanguageClient):
    location = {"uri": ITEMS.as_uri(), "range": {"start": {"line": 6, "character": 4}, "end": {"line": 6, "character": 14}}}
    other = {"uri": USERS.as_uri(), "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 1}}}
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="fastapi.openLocations", arguments=[TESTS.as_uri(), {"line": 0, "character": 0}, [location, other]]
        )
    )
    if client.capabilities.window and client.capabilities.window.show_document:
        assert [(d.uri, d.selection.start.line) for d in client.shown_documents] == [(ITEMS.as_uri(), 6)]
