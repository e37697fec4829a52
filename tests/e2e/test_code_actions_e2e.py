"""Code actions through the real server: quick fixes and "Open FastAPI docs"."""

from __future__ import annotations

import ast

from lsprotocol import types
from pytest_lsp import LanguageClient

from fastapi_docs_lsp.core.fixes import TextEdit, apply_edits

from ..conftest import WORKSPACE
from .conftest import open_doc, position_of

TEXT = '''from fastapi import Depends, FastAPI, Query

app = FastAPI()


def get_db():
    yield "db"


@app.get("/items/{item_id:int}")
async def read_item(q: str | None = Query(default=None, regex="^a"), db=Depends(get_db())):
    return q


@app.get("/users/{user_id:int}")
async def read_user():
    return {}
'''


def _recover(item):
    """lsprotocol structures any result item holding a "command" key as a ``Command`` (so a
    CodeAction with a command arrives as a Command whose ``command`` is the repr of the nested
    one). Editors read the JSON correctly; rebuild the CodeAction here."""
    if isinstance(item, types.Command) and item.command.startswith("{"):
        inner = ast.literal_eval(item.command)
        return types.CodeAction(
            title=item.title,
            command=types.Command(title=inner["title"], command=inner["command"], arguments=inner.get("arguments")),
        )
    return item


async def actions_at(client: LanguageClient, uri: str, needle: str, only=None):
    pos = position_of(TEXT, needle)
    end = types.Position(line=pos.line, character=pos.character + len(needle))
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=pos, end=end),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    return [_recover(a) for a in result] if result else result


def applied(action: types.CodeAction, uri: str) -> str:
    edits = action.edit.changes[uri]
    return apply_edits(
        TEXT,
        [TextEdit(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character, e.new_text) for e in edits],
    )


async def test_quick_fixes_edit_exactly(client: LanguageClient):
    uri = open_doc(client, WORKSPACE / "scratch_actions.py", TEXT)
    cases = [
        ("regex", 'regex="^a"', 'pattern="^a"'),
        ("get_db())", "Depends(get_db())", "Depends(get_db)"),
        ("{user_id:int}", "async def read_user()", "async def read_user(user_id: int)"),
    ]
    for needle, before, after in cases:
        actions = await actions_at(client, uri, needle)
        fixes = [a for a in actions or [] if a.kind == types.CodeActionKind.QuickFix]
        assert len(fixes) == 1, (needle, actions)
        fix = fixes[0]
        assert fix.diagnostics and fix.diagnostics[0].source == "fastapi"
        assert applied(fix, uri) == TEXT.replace(before, after), needle


async def test_open_docs_action_for_the_symbol_at_the_cursor(client: LanguageClient):
    uri = open_doc(client, WORKSPACE / "scratch_actions.py", TEXT)
    actions = await actions_at(client, uri, "Query(default")
    docs = [a for a in actions if a.command is not None]
    assert len(docs) == 1
    action = docs[0]
    assert action.title.startswith("Open FastAPI docs: ")
    assert action.command.command == "fastapi.openReference"
    arg = action.command.arguments[0]
    assert arg["uri"] == uri and arg["position"] == {"line": 10, "character": TEXT.split("\n")[10].index("Query(default")}
    payload = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fastapi.openReference", arguments=action.command.arguments)
    )
    assert payload["title"] == action.title.removeprefix("Open FastAPI docs: ")


async def test_only_quickfix_and_silence_on_plain_code(client: LanguageClient):
    uri = open_doc(client, WORKSPACE / "scratch_actions.py", TEXT)
    actions = await actions_at(client, uri, "Query(default", only=[types.CodeActionKind.QuickFix])
    assert not any(a.command for a in actions or [])
    assert not await actions_at(client, uri, "return q")
