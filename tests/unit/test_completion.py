"""FastAPI-aware completion contexts, on the installed fastapi's API (core only, no LSP)."""

from __future__ import annotations

import time

import pytest

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.completion import CompletionOptions, Snapshot, complete, documentation
from fastapi_docs_lsp.core.completion_scan import LineMap

from ..conftest import WORKSPACE

CURSOR = "<|>"
DEFER = CompletionOptions(defer_documentation=True)


def _split(source: str):
    idx = source.index(CURSOR)
    text = source[:idx] + source[idx + len(CURSOR) :]
    return text, text.count("\n", 0, idx), idx - (text.rfind("\n", 0, idx) + 1)


def run(source: str, db, docs=None, options: CompletionOptions = DEFER, **kw):
    text, line, col = _split(source)
    return complete(Snapshot.of(analyze(text, db=db)), line, col, db, docs, options, **kw)


def labels(result) -> list[str]:
    assert result is not None
    return [i.label for i in sorted(result.items, key=lambda i: i.sort)]


# ---------------------------------------------------------------- keyword arguments


def test_decorator_keywords_survive_a_syntax_error_below(api_db):
    src = 'from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post("/x", resp<|>\ndef f(:\n    return [\n\nx = {'
    result = run(src, api_db)
    assert result.context == "keyword"
    names = labels(result)
    assert names[:2] == ["response_model=", "status_code="]  # signature order
    assert "path=" not in names  # given positionally
    assert "self=" not in names
    assert result.start == result.end - len("resp")
    item = next(i for i in result.items if i.label == "response_model=")
    assert item.insert == "response_model=" and item.snippet == "response_model=${1}" and item.filter == "response_model"
    assert item.data == {"k": "keyword", "t": "fastapi.routing.APIRouter.post", "p": "response_model"}


@pytest.mark.parametrize(
    "src, present, absent",
    [
        ("from fastapi import FastAPI\napp = FastAPI(<|>", ["title=", "lifespan=", "dependencies="], ["self="]),
        ("from fastapi import APIRouter\nr = APIRouter(prefix='/x', <|>", ["tags=", "dependencies="], ["prefix="]),
        ("from fastapi import FastAPI, APIRouter\napp = FastAPI()\nr = APIRouter()\napp.include_router(r, <|>", ["prefix=", "tags="], ["router="]),
        ("import fastapi\nq = fastapi.Query(<|>", ["max_length=", "pattern="], []),
        ("from fastapi import Path as P\ndef f(x: int = P(<|>", ["ge=", "title="], []),
        ("from fastapi import Body, Header, Cookie, Form, File\nx = Form(<|>", ["media_type="], []),
        ("from fastapi import HTTPException\nraise HTTPException(404, <|>", ["detail=", "headers="], ["status_code="]),
        ("from fastapi import FastAPI\napp = FastAPI()\n@app.api_route('/x', <|>", ["methods="], []),
        ("from fastapi import FastAPI\napp = FastAPI()\n@app.websocket('/ws', <|>", ["dependencies="], []),
        ("from fastapi.responses import JSONResponse\nreturn_ = JSONResponse({}, <|>", ["status_code=", "headers="], ["content="]),
        ("from fastapi import Security\ndef f(u = Security(dep, <|>", ["scopes="], ["dependency="]),
    ],
)
def test_keywords_of_fastapi_callables(api_db, src, present, absent):
    names = labels(run(src, api_db))
    for name in present:
        assert name in names, name
    for name in absent:
        assert name not in names, name


def test_given_keywords_before_and_after_the_cursor_are_omitted(api_db):
    src = "from fastapi import Query\nq = Query(\n    max_length=3,  # (\n    <|>\n    pattern='^x',\n    title=')',\n)\n"
    names = labels(run(src, api_db))
    assert "max_length=" not in names and "pattern=" not in names and "title=" not in names
    assert "min_length=" in names


def test_middleware_options_from_the_class_given_first(api_db):
    src = "from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware as Cors\napp = FastAPI()\napp.add_middleware(\n    Cors,\n    allow_origins=['*'],\n    <|>"
    names = labels(run(src, api_db))
    assert "allow_methods=" in names and "max_age=" in names
    assert "allow_origins=" not in names and "app=" not in names and "middleware_class=" not in names
    src = "from fastapi.middleware import Middleware\nfrom fastapi.middleware.gzip import GZipMiddleware\nm = [Middleware(GZipMiddleware, <|>)]"
    assert "minimum_size=" in labels(run(src, api_db))


def test_deprecated_parameters_are_tagged_and_sorted_last(api_db):
    result = run("from fastapi import Query\nq = Query(<|>", api_db)
    ordered = sorted(result.items, key=lambda i: i.sort)
    assert {i.label for i in ordered[-2:]} == {"regex=", "example="}
    assert all(i.deprecated for i in ordered[-2:])
    assert not any(i.deprecated for i in ordered[:-2])
    regex = next(i for i in ordered if i.label == "regex=")
    assert regex.detail.startswith("(deprecated)")


def test_detail_shows_type_and_default(api_db):
    items = {i.label: i for i in run("from fastapi import FastAPI\napp = FastAPI()\n@app.get('/', <|>", api_db).items}
    assert items["include_in_schema="].detail == "bool = True"
    assert items["response_model="].detail == "Any = None"  # Default(None) unwrapped
    items = {i.label: i for i in run("from fastapi import Query\nQuery(<|>", api_db).items}
    assert items["alias="].detail == "str | None"  # _Unset is no default to show


def test_equals_already_typed_is_not_doubled(api_db):
    result = run("from fastapi import Query\nQuery(max_len<|>=3)", api_db)
    item = next(i for i in result.items if i.label == "max_length=")
    assert item.insert == "max_length" and item.snippet is None
    assert result.replace_end == result.end  # `max_len` ends at the cursor
    result = run("from fastapi import Query\nQuery(max_<|>len=3)", api_db)
    assert result.replace_end == result.end + 3


def test_subclass_of_a_fastapi_class_gets_its_parameters(api_db):
    src = "from fastapi import APIRouter\nclass MyRouter(APIRouter):\n    pass\nr = MyRouter(<|>"
    assert "prefix=" in labels(run(src, api_db))


def test_not_fastapi_calls_get_nothing(api_db):
    for src in [
        "def foo(a, b): pass\nfoo(<|>",
        "import requests\nrequests.get('x', <|>",
        "from flask import Flask\napp = Flask(__name__)\n@app.route('/x', <|>",
        "x = [1, <|>",
        "print(<|>",
    ]:
        assert run(src, api_db) is None, src


# ---------------------------------------------------------------- status codes


def test_status_dot_with_aliases(api_db):
    for src in [
        "from fastapi import status\nstatus.<|>",
        "from fastapi import status as st\nst.HTTP_4<|>",
        "import fastapi\nfastapi.status.<|>",
        "from starlette import status\nx = status.<|>",
        "import starlette.status as s\ns.<|>",
    ]:
        result = run(src, api_db)
        assert result is not None and result.context == "status", src
        items = {i.label: i for i in result.items}
        assert "HTTP_404_NOT_FOUND" in items and "WS_1008_POLICY_VIOLATION" in items, src
        assert "warnings" not in items and "annotations" not in items
        assert items["HTTP_404_NOT_FOUND"].detail == "404 Not Found"
        assert items["HTTP_404_NOT_FOUND"].kind == "status"


def test_status_names_come_from_the_installed_starlette(api_db):
    names = labels(run("from fastapi import status\nstatus.<|>", api_db))
    installed = [n for n in api_db.get("starlette.status").members if n.startswith(("HTTP_", "WS_"))]
    assert sorted(names) == sorted(installed)
    # the everyday codes first, then the rest by number, WebSocket codes last
    assert names[0] == "HTTP_200_OK" and names.index("HTTP_404_NOT_FOUND") < names.index("HTTP_100_CONTINUE")
    assert names.index("HTTP_100_CONTINUE") < names.index("HTTP_302_FOUND") < names.index("WS_1000_NORMAL_CLOSURE")


@pytest.mark.parametrize(
    "decorator, first",
    [("post", "201"), ("delete", "204"), ("get", "200"), ("put", "200"), ("patch", "200")],
)
def test_status_code_value_ordered_for_the_method(api_db, decorator, first):
    src = f"from fastapi import FastAPI, status\napp = FastAPI()\n@app.{decorator}('/x', status_code=<|>"
    result = run(src, api_db)
    assert result.context == "status_code"
    top = sorted(result.items, key=lambda i: i.sort)[0]
    assert top.label.startswith(f"status.HTTP_{first}_") and top.preselect
    assert not top.edits
    assert not any("WS_" in i.label for i in result.items)
    # typed after the dot: the same order
    result = run(src.replace("status_code=<|>", "status_code=status.<|>"), api_db)
    assert sorted(result.items, key=lambda i: i.sort)[0].label.startswith(f"HTTP_{first}_")


def test_status_code_value_qualifies_and_imports(api_db):
    src = '"""Doc."""\nfrom fastapi import FastAPI\nfrom fastapi import status as http\napp = FastAPI()\n@app.post("/", status_code=<|>'
    top = sorted(run(src, api_db).items, key=lambda i: i.sort)[0]
    assert top.insert == "http.HTTP_201_CREATED" and not top.edits
    src = '"""Doc."""\nimport fastapi\napp = fastapi.FastAPI()\n@app.post("/", status_code=<|>'
    top = sorted(run(src, api_db).items, key=lambda i: i.sort)[0]
    assert top.insert == "fastapi.status.HTTP_201_CREATED" and not top.edits
    src = '"""Doc."""\nfrom fastapi import FastAPI\n\napp = FastAPI()\n@app.post("/", status_code=<|>'
    result = run(src, api_db)
    top = sorted(result.items, key=lambda i: i.sort)[0]
    assert top.insert == "status.HTTP_201_CREATED"
    # merged into the existing `from fastapi import ...`, not a second import line
    assert [(e.line, e.start, e.text) for e in top.edits] == [(1, len("from fastapi import FastAPI"), ", status")]
    src = 'from fastapi import APIRouter\nrouter = APIRouter()\n@router.delete("/", status_code=<|>'
    top = sorted(run(src, api_db).items, key=lambda i: i.sort)[0]
    assert [(e.line, e.start, e.text) for e in top.edits] == [(0, len("from fastapi import APIRouter"), ", status")]


@pytest.mark.parametrize(
    "imports, expected",
    [
        ("from fastapi import (\n    APIRouter,\n    Depends,\n)\n", [(3, 0, "    status,\n")]),
        ("from fastapi import (APIRouter, Depends)\n", [(0, len("from fastapi import (APIRouter, Depends"), ", status")]),
        ("from fastapi import APIRouter  # routes\n", [(0, len("from fastapi import APIRouter"), ", status")]),
        ("import os\n", [(2, 0, "from fastapi import status\n")]),
    ],
)
def test_status_import_merges_into_existing_import(api_db, imports, expected):
    src = imports + 'import fastapi.routing as r\nrouter = r.APIRouter()\n@router.delete("/", status_code=<|>'
    top = sorted(run(src, api_db).items, key=lambda i: i.sort)[0]
    assert [(e.line, e.start, e.text) for e in top.edits] == expected


def test_status_code_value_replaces_what_was_typed(api_db):
    result = run("from fastapi import HTTPException, status\nraise HTTPException(status_code=40<|>", api_db)
    assert result.end - result.start == 2
    assert sorted(result.items, key=lambda i: i.sort)[0].label == "status.HTTP_400_BAD_REQUEST"


def test_websocket_close_codes(api_db):
    src = "from fastapi import WebSocketException, status\nraise WebSocketException(code=<|>"
    result = run(src, api_db)
    assert all("WS_" in i.label for i in result.items)
    assert sorted(result.items, key=lambda i: i.sort)[0].label == "status.WS_1000_NORMAL_CLOSURE"


# ---------------------------------------------------------------- other values


def test_response_class_values(api_db):
    src = "from fastapi import FastAPI\nfrom fastapi.responses import HTMLResponse\napp = FastAPI()\n@app.get('/', response_class=<|>"
    result = run(src, api_db)
    items = {i.label: i for i in result.items}
    assert {"HTMLResponse", "JSONResponse", "PlainTextResponse", "RedirectResponse", "StreamingResponse", "FileResponse"} <= set(items)
    assert not items["HTMLResponse"].edits
    assert items["PlainTextResponse"].edits[0].text == "from fastapi.responses import PlainTextResponse\n"
    assert sorted(result.items, key=lambda i: i.sort)[0].label == "HTMLResponse"  # already imported


def test_media_type_values_quoted_or_inside_the_string(api_db):
    result = run("from fastapi import Body\nb = Body(media_type=<|>", api_db)
    assert '"application/json"' in labels(result)
    result = run("from fastapi.responses import Response\nResponse(media_type='text/h<|>tml')", api_db)
    assert result.context == "media_type"
    assert "text/html" in labels(result)
    text = "Response(media_type='"
    assert result.start == len("from fastapi.responses import Response\n".split("\n")[0]) * 0 + len(text)
    assert result.replace_end == result.end + len("tml")
    assert run("x = dict(media_type='te<|>')", api_db) is None


# ---------------------------------------------------------------- modules and imports


def test_from_fastapi_import(api_db):
    result = run("from fastapi import Depends, <|>", api_db)
    names = labels(result)
    assert "FastAPI" in names and "status" in names and "Query" in names
    assert "Depends" not in names
    items = {i.label: i for i in result.items}
    assert items["FastAPI"].kind == "class" and items["status"].kind == "module"
    assert items["FastAPI"].detail.startswith("FastAPI app class")
    assert items["Body"].detail.startswith("Body(default, *")


def test_from_submodule_import_only_public_names(api_db):
    names = labels(run("from fastapi.responses import <|>", api_db))
    assert "JSONResponse" in names and "HTMLResponse" in names
    for noise in ("Any", "ujson", "orjson", "deprecated", "FastAPIDeprecationWarning"):
        assert noise not in names
    names = labels(run("from fastapi.security import OAuth<|>", api_db))
    assert "OAuth2PasswordBearer" in names
    assert run("from collections import <|>", api_db) is None
    assert run("from fastapi import Query as <|>", api_db) is None


def test_parenthesized_multi_line_import(api_db):
    names = labels(run("from fastapi import (\n    FastAPI,\n    Qu<|>\n    Path,\n)", api_db))
    assert "Query" in names and "FastAPI" not in names and "Path" not in names


def test_submodules(api_db):
    names = labels(run("from fastapi.<|>", api_db))
    assert "security" in names and "responses" in names and "FastAPI" not in names
    assert "cors" in labels(run("import fastapi.middleware.<|>", api_db))


def test_module_attribute(api_db):
    result = run("import fastapi\nfastapi.<|>", api_db)
    assert result.context == "module" and "APIRouter" in labels(result)
    result = run("import fastapi.security\nfastapi.security.<|>", api_db)
    assert "HTTPBearer" in labels(result)


# ---------------------------------------------------------------- instances


def test_members_of_fastapi_instances(api_db):
    src = "from fastapi import FastAPI\napp = FastAPI()\napp.<|>"
    result = run(src, api_db)
    items = {i.label: i for i in result.items}
    assert result.context == "member"
    assert {"get", "post", "include_router", "add_middleware", "state"} <= set(items)
    assert items["get"].kind == "method" and items["get"].detail.startswith("Add a")
    src = "from fastapi import FastAPI, Request\napp = FastAPI()\n@app.get('/')\nasync def r(request: Request):\n    request.url.<|>"
    assert "path" in labels(run(src, api_db))
    src = "from fastapi import APIRouter\nclass R(APIRouter):\n    def extra(self):\n        self.<|>"
    assert "include_router" in labels(run(src, api_db))


def test_members_only_for_fastapi_instances(api_db):
    for src in ["import os\nos.<|>", "x = 'a'\nx.<|>", "class A: pass\nA().<|>", "from fastapi import FastAPI\nFastAPI.<|>"]:
        assert run(src, api_db) is None, src


# ---------------------------------------------------------------- path parameters


def test_path_parameters_with_convertors(api_db):
    src = 'import uuid\nfrom fastapi import FastAPI\napp = FastAPI()\n\n@app.get(\n    "/u/{user_id:uuid}/items/{item_id:int}/{rest:path}/{name}",\n    response_model=dict,\n)\nasync def read(<|>'
    result = run(src, api_db)
    assert result.context == "path_parameter"
    inserts = [i.insert for i in sorted(result.items, key=lambda i: i.sort)]
    assert inserts == ["user_id: uuid.UUID", "item_id: int", "rest: str", "name: str"]


def test_path_parameters_skip_declared_ones(api_db):
    src = '@router.get("/items/{item_id}/{tag}")\ndef read(item_id: int, <|>, q: str = ""):\n    pass'
    src = "from fastapi import APIRouter\nrouter = APIRouter()\n" + src
    assert labels(run(src, api_db)) == ["tag"]
    src2 = src.replace("<|>, q: str", "<|>\n    tag: str,\n    q: str")
    assert run(src2, api_db) is None


def test_path_parameters_uuid_import(api_db):
    src = 'from fastapi import FastAPI\napp = FastAPI()\n@app.get("/{u:uuid}")\ndef read(<|>'
    item = run(src, api_db).items[0]
    assert item.insert == "u: UUID" and item.edits[0].text == "from uuid import UUID\n"


def test_no_path_parameters_without_a_fastapi_route(api_db):
    assert run('@app.route("/items/{item_id}")\ndef read(<|>', api_db) is None
    assert run('def read(<|>', api_db) is None
    src = 'from fastapi import FastAPI\napp = FastAPI()\n@app.get("/{x}")\ndef read(x: in<|>'
    assert run(src, api_db) is None  # typing the annotation


# ---------------------------------------------------------------- dependencies


DEPS = '''from contextlib import asynccontextmanager
from typing import Annotated
from fastapi import Depends, FastAPI, Security
from fastapi.security import OAuth2PasswordBearer

scheme = OAuth2PasswordBearer(tokenUrl="token")


@asynccontextmanager
async def lifespan(app):
    yield


app = FastAPI(lifespan=lifespan)


def get_db():
    db = object()
    try:
        yield db
    finally:
        pass


def plain():
    return 1


class Paginator:
    def __init__(self, skip: int = 0):
        self.skip = skip


class NotFound(Exception):
    pass


@app.get("/")
async def endpoint(db = Depends(<|>)):
    return db
'''


def test_dependencies_in_scope(api_db):
    result = run(DEPS, api_db)
    assert result.context == "dependency"
    names = labels(result)
    assert names[0] in ("get_db", "scheme")
    assert {"get_db", "scheme", "plain", "Paginator"} <= set(names)
    for excluded in ("endpoint", "lifespan", "NotFound", "app"):
        assert excluded not in names
    assert names.index("plain") > names.index("get_db")
    assert "use_cache=" in names and names.index("use_cache=") > names.index("Paginator")
    get_db = next(i for i in result.items if i.label == "get_db")
    assert get_db.kind == "function" and "yield" in get_db.documentation


def test_dependencies_imported_from_workspace_modules(loaded_project):
    path = WORKSPACE / "app" / "routers" / "scratch.py"
    src = "from fastapi import Depends\nfrom ..dependencies import get_session, Pagination, CurrentUser\n\ndef f(s = Depends(<|>)):\n    pass\n"
    text, line, col = _split(src)
    modules = loaded_project.modules
    result = complete(
        Snapshot.of(analyze(text, module_name="app.routers.scratch", db=loaded_project.db, resolver=modules)),
        line,
        col,
        loaded_project.db,
        None,
        DEFER,
        module_name=modules.module_name_for(str(path)),
        workspace=modules,
    )
    names = labels(result)
    assert names[0] == "get_session" and "Pagination" in names
    assert "CurrentUser" not in names  # an Annotated alias, not a callable


# ---------------------------------------------------------------- elsewhere: nothing, fast


@pytest.mark.parametrize(
    "src",
    [
        "x = 1<|>",
        "from fastapi import FastAPI\napp = FastAPI()\n# app.<|>",
        "from fastapi import FastAPI\napp = FastAPI(title='app.<|>",
        "from fastapi import status\ns = 'status.<|>'",
        "def f():\n    return <|>",
        "import os\nos.path.<|>",
        "",
    ],
)
def test_nothing_outside_contexts(api_db, src):
    if CURSOR not in src:
        src += CURSOR
    assert run(src, api_db) is None


def test_out_of_range_positions(api_db):
    a = analyze("x = 1\n", db=api_db)
    assert complete(Snapshot.of(a), 10, 0, api_db) is None
    assert complete(Snapshot.of(a), 0, 99, api_db) is None
    assert complete(Snapshot.of(a), 0, 0, None) is None


# ---------------------------------------------------------------- documentation


def test_documentation_inline_or_deferred(loaded_project):
    db, docs = loaded_project.db, loaded_project.docs
    src = "from fastapi import status\nstatus.<|>"
    inline = run(src, db, docs, CompletionOptions(markdown=True))
    item = next(i for i in inline.items if i.label == "HTTP_404_NOT_FOUND")
    assert "Nothing exists at this path" in item.documentation and item.detail == "404 Not Found"
    # said once: the detail names code and phrase, the documentation does not repeat them
    assert "404" not in item.documentation.split("**Docs:**")[0] and item.description is None
    deferred = run(src, db, docs, DEFER)
    item = next(i for i in deferred.items if i.label == "HTTP_404_NOT_FOUND")
    assert item.documentation is None and item.data == {"k": "status", "t": "starlette.status.HTTP_404_NOT_FOUND"}
    assert "Nothing exists" in documentation(item.data, db, docs)


def test_keyword_documentation_has_the_param_doc_and_a_link(loaded_project):
    db, docs = loaded_project.db, loaded_project.docs
    text = documentation({"k": "keyword", "t": "fastapi.param_functions.Query", "p": "max_length"}, db, docs)
    assert "Maximum length" in text and "https://fastapi.tiangolo.com/" in text
    assert "```" not in text  # the item's detail shows the type and default
    plain = documentation({"k": "keyword", "t": "fastapi.param_functions.Query", "p": "regex"}, db, docs, markdown=False)
    assert "Deprecated" in plain and "```" not in plain
    assert documentation({"k": "bogus"}, db, docs) is None
    assert documentation(None, db, docs) is None


# ---------------------------------------------------------------- an older analysis while typing


def _stale(old_text: str, marked_new_text: str, db):
    """A snapshot of the new text that holds the old text's analysis, and a record of refreshes."""
    old = analyze(old_text, db=db)
    new_text, line, col = _split(marked_new_text)
    lines = new_text.split("\n")
    calls: list[int] = []

    def refresh():
        calls.append(1)
        return analyze(new_text, db=db)

    return Snapshot(lines, old, LineMap.between(old.lines, lines), refresh), line, col, calls


def test_stale_analysis_is_reused_while_typing_inside_a_call(api_db):
    snap, line, col, calls = _stale(
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n\ndef f():\n    pass\n",
        'from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get("/{x}", resp<|>\n\ndef f():\n    pass\n',
        api_db,
    )
    result = complete(snap, line, col, api_db, None, DEFER)
    assert "response_model=" in labels(result)
    assert calls == []  # the old bindings were enough


def test_stale_analysis_refreshed_when_the_edit_binds_a_needed_name(api_db):
    snap, line, col, calls = _stale(
        "from fastapi import FastAPI\napp = FastAPI()\n\n", "from fastapi import FastAPI, status\napp = FastAPI()\nstatus.<|>", api_db
    )
    assert "HTTP_200_OK" in labels(complete(snap, line, col, api_db, None, DEFER))
    assert calls == [1]


def test_fast_enough_on_a_large_module(api_db):
    body = "\n".join(
        f"@router.get('/r{i}/{{item_id}}', response_model=dict, status_code=status.HTTP_200_OK)\n"
        f"async def read_{i}(item_id: int, q: Annotated[str | None, Query(max_length=50)] = None):\n"
        f"    if item_id < 0:\n        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail='x')\n    return {{'i': item_id}}\n"
        for i in range(800)
    )
    text = "from typing import Annotated\nfrom fastapi import APIRouter, HTTPException, Query, status\nrouter = APIRouter()\n\n" + body
    analysis = analyze(text, db=api_db)
    snap = Snapshot.of(analysis)
    lines = analysis.lines
    positions = [(k, lines[k].index("response_model")) for k in range(4, len(lines), 97) if "response_model" in lines[k]]
    positions += [(k, lines[k].index("max_length")) for k in range(4, len(lines), 89) if "max_length" in lines[k]]
    positions += [(k, lines[k].index("if ") + 1) for k in range(4, len(lines), 101) if "if " in lines[k]]
    complete(snap, *positions[0], api_db, None, DEFER)  # warm caches
    times = []
    for line, col in positions:
        started = time.perf_counter()
        complete(snap, line, col, api_db, None, DEFER)
        times.append(time.perf_counter() - started)
    times.sort()
    assert times[len(times) // 2] < 0.005, times


def test_details_say_one_thing_once(loaded_project):
    """The detail and the documentation never repeat each other (type/default, signature)."""
    db, docs = loaded_project.db, loaded_project.docs
    src = "from fastapi import FastAPI, Header\napp = FastAPI()\n@app.get('/')\ndef f(x=Header(<|>)): ..."
    items = run(src, db, docs, CompletionOptions(markdown=True)).items
    alias = next(i for i in items if i.label == "alias=")
    assert "Default(" not in (alias.detail or "") and "Default(" not in (alias.documentation or "")
    src = "from fastapi import Depends\ndef get_db():\n    yield 1\ndef f(db=Depends(<|>)): ..."
    item = next(i for i in run(src, db, docs, CompletionOptions(markdown=True)).items if i.label == "get_db")
    assert item.detail == "def get_db()" and item.documentation.count("def get_db()") == 0


@pytest.mark.parametrize("owner", ["app = FastAPI()\n@app.", "router = APIRouter()\n@router."])
def test_http_method_decorators_come_first(api_db, owner):
    result = run("from fastapi import FastAPI, APIRouter\n" + owner + "<|>", api_db)
    first = [i.label for i in sorted(result.items, key=lambda i: i.sort)][:5]
    assert first == ["get", "post", "put", "patch", "delete"]


def test_request_members_are_not_reordered_as_routes(api_db):
    result = run("from fastapi import Request\ndef f(request: Request):\n    request.<|>", api_db)
    assert sorted(result.items, key=lambda i: i.sort)[0].label != "get"


def test_depends_offers_callables_not_data_models(api_db):
    src = (
        "from fastapi import Depends\nfrom pydantic import BaseModel\nfrom sqlmodel import SQLModel, Field\n"
        "class HeroBase(SQLModel):\n    name: str\n"
        "class Hero(HeroBase, table=True):\n    id: int | None = Field(default=None, primary_key=True)\n"
        "class Item(BaseModel):\n    name: str\n"
        "class ItemOut(Item):\n    id: int\n"
        "class Pager:\n    def __init__(self, skip: int = 0, limit: int = 10):\n        self.skip = skip\n"
        "def get_session():\n    yield 1\n"
        "def f(x=Depends(<|>)): ..."
    )
    labels = [i.label for i in run(src, api_db).items if i.kind != "keyword"]
    assert "get_session" in labels and "Pager" in labels
    assert not {"HeroBase", "Hero", "Item", "ItemOut"} & set(labels), labels


@pytest.mark.parametrize(
    "features",
    [
        dict(snippets=True, markdown=True, resolve_documentation=True, insert_replace=True, label_details=True, deprecated_tag=True, deprecated_property=True),
        dict(snippets=False, markdown=False, resolve_documentation=False, insert_replace=False, label_details=False, deprecated_tag=False, deprecated_property=True),
    ],
    ids=["vscode-like", "minimal-client"],
)
def test_completion_items_are_the_json_lsprotocol_reads_and_writes(api_db, features):
    """The adapter writes items as JSON itself (no cattrs per item): each one must be exactly
    what lsprotocol reads back and writes again, whatever the item's shape."""
    from lsprotocol import types
    from pygls.protocol import default_converter

    from fastapi_docs_lsp.core.docs.index import build_index
    from fastapi_docs_lsp.features.completion import ClientFeatures, to_json

    converter = default_converter()
    docs = build_index(catalog=True, cache_dir="")
    client = ClientFeatures(**features)
    options = CompletionOptions(snippets=client.snippets, markdown=client.markdown, defer_documentation=client.resolve_documentation)
    sources = [
        "from fastapi import FastAPI, status\napp = FastAPI()\n@app.get('/', status_code=status.<|>)\n",
        "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/', <|>)\ndef f(): ...\n",
        "from fastapi import Query\ndef f(q: str = Query(<|>)): ...\n",
        "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/', status_code=<|>)\ndef f(): ...\n",
        "from fastapi import Depends\ndef dep(): ...\ndef f(x = Depends(<|>)): ...\n",
        "from fastapi import Request\ndef f(request: Request):\n    request.url.<|>\n",
        "import fastapi\nfastapi.<|>\n",
    ]
    seen = 0
    for source in sources:
        text, line, col = _split(source)
        lines = text.split("\n")
        result = complete(Snapshot.of(analyze(text, db=api_db)), line, col, api_db, docs, options)
        if result is None:
            continue
        for item in result.items:
            raw = to_json(item, result, client, lines, "utf-16")
            typed = converter.structure(raw, types.CompletionItem)
            assert converter.unstructure(typed, types.CompletionItem) == raw, item.label
            seen += 1
    assert seen > 50
