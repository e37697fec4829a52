"""Quick fixes: the edited text is exactly right (and still parses)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.diagnostics import diagnose
from fastapi_docs_lsp.core.fixes import TextEdit, apply_edits


def fixed(text: str, code: str, db, index: int = 0, rules=None) -> str:
    text = textwrap.dedent(text)
    diags = [d for d in diagnose(analyze(text, db=db), db=db, rules=rules) if d.code == code]
    assert diags, f"no {code} diagnostic"
    fix = diags[index].fixes[0]
    out = apply_edits(text, fix.edits)
    ast.parse(out)
    return out


def test_apply_edits_handles_several_edits_and_lines():
    text = "ab\ncd\nef"
    edits = [TextEdit(0, 1, 0, 2, "X"), TextEdit(1, 0, 2, 1, "Y"), TextEdit(2, 2, 2, 2, "!")]
    assert apply_edits(text, edits) == "aX\nYf!"


def test_regex_becomes_pattern(api_db):
    src = """\
    from fastapi import FastAPI, Query

    app = FastAPI()


    @app.get("/")
    def f(q: str | None = Query(default=None, regex="^fixed$")):
        return q
    """
    assert fixed(src, "FA002", api_db) == textwrap.dedent(src).replace('regex="^fixed$"', 'pattern="^fixed$"')


def test_example_becomes_examples_list(api_db):
    src = """\
    from typing import Annotated

    from fastapi import Body, FastAPI

    app = FastAPI()


    @app.post("/")
    def f(item: Annotated[dict, Body(example={"name": "Foo"})]):
        return item
    """
    assert fixed(src, "FA002", api_db) == textwrap.dedent(src).replace('example={"name": "Foo"}', 'examples=[{"name": "Foo"}]')


def test_no_rename_when_pattern_is_already_there(api_db):
    src = 'from fastapi import Query\n\ndef f(q: str = Query(None, regex="a", pattern="a")): ...\n'
    diags = [d for d in diagnose(analyze(src, db=api_db), db=api_db) if d.code == "FA002"]
    assert diags and diags[0].fixes == ()


@pytest.mark.parametrize(
    "before, after",
    [
        ("def read_item():", "def read_item(item_id: int):"),
        ("async def read_item(q: str | None = None):", "async def read_item(item_id: int, q: str | None = None):"),
        ("def read_item(*, q: str | None = None):", "def read_item(item_id: int, *, q: str | None = None):"),
    ],
)
def test_add_missing_path_parameter_typed_from_convertor(api_db, before, after):
    src = f'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/items/{{item_id:int}}")\n{before}\n    return {{}}\n'
    assert fixed(src, "FA001", api_db) == src.replace(before, after)


def test_add_missing_path_parameter_keeps_one_per_line_layout(api_db):
    src = 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/users/{user_id}/items/{item_id}")\ndef f(\n    user_id: str,\n    q: str | None = None,\n):\n    return {}\n'
    assert fixed(src, "FA001", api_db) == src.replace("    user_id: str,\n", "    item_id: str,\n    user_id: str,\n")


def test_depends_of_a_call_becomes_depends_of_the_callable(api_db):
    src = "from fastapi import Depends, FastAPI\n\napp = FastAPI()\n\n\ndef get_db():\n    yield 1\n\n\n@app.get('/')\ndef f(db=Depends(get_db())):\n    return db\n"
    assert fixed(src, "FA004", api_db) == src.replace("Depends(get_db())", "Depends(get_db)")


def test_remove_redundant_response_model(api_db):
    src = "from fastapi import FastAPI\n\napp = FastAPI()\n\n\nclass Item:\n    pass\n\n\n@app.get('/i', response_model=Item, status_code=200)\ndef f() -> Item:\n    return Item()\n"
    assert fixed(src, "FA008", api_db) == src.replace("'/i', response_model=Item, status_code=200", "'/i', status_code=200")


ON = {"FA009": "hint"}


def test_to_annotated_for_query_with_default_adds_the_import(api_db):
    src = '"""Doc."""\nfrom fastapi import FastAPI, Query\n\napp = FastAPI()\n\n\n@app.get("/")\ndef f(q: str | None = Query(None, max_length=50)):\n    return q\n'
    out = fixed(src, "FA009", api_db, rules=ON)
    assert out == (
        '"""Doc."""\nfrom typing import Annotated\nfrom fastapi import FastAPI, Query\n\napp = FastAPI()\n\n\n'
        '@app.get("/")\ndef f(q: Annotated[str | None, Query(max_length=50)] = None):\n    return q\n'
    )


def test_to_annotated_for_depends_and_required_query(api_db):
    src = "from typing import Annotated\n\nfrom fastapi import Depends, FastAPI, Query\n\napp = FastAPI()\n\n\ndef get_db():\n    yield 1\n\n\n@app.get('/')\ndef f(db: str = Depends(get_db), q: str = Query(default=..., min_length=3)):\n    return db\n"
    first = fixed(src, "FA009", api_db, 0, rules=ON)
    assert first == src.replace("db: str = Depends(get_db)", "db: Annotated[str, Depends(get_db)]")
    second = fixed(first, "FA009", api_db, 0, rules=ON)
    assert second == first.replace("q: str = Query(default=..., min_length=3)", "q: Annotated[str, Query(min_length=3)]")


def test_to_annotated_not_offered_when_it_would_break_the_signature(api_db):
    # dropping Depends' default after a parameter with a default is a syntax error
    src = "from fastapi import Depends\n\ndef f(q: int = 1, db: str = Depends(print)): ...\n"
    diags = [d for d in diagnose(analyze(src, db=api_db), db=api_db, rules=ON) if d.code == "FA009"]
    assert len(diags) == 1 and diags[0].fixes == ()
    # no annotation to put in Annotated[...]
    src = "from fastapi import Depends\n\ndef f(db=Depends(print)): ...\n"
    diags = [d for d in diagnose(analyze(src, db=api_db), db=api_db, rules=ON) if d.code == "FA009"]
    assert len(diags) == 1 and diags[0].fixes == ()
