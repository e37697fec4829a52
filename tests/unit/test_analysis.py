"""Detection: which FastAPI symbol is at a position, in clean, aliased, broken and cross-module code."""

from __future__ import annotations

import textwrap

import pytest

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.workspace import WorkspaceModules, read_file_text

from ..conftest import WORKSPACE


def find(src: str, needle: str, occurrence: int = 0, offset: int = 0) -> tuple[int, int]:
    idx = -1
    for _ in range(occurrence + 1):
        idx = src.index(needle, idx + 1)
    idx += offset
    line = src.count("\n", 0, idx)
    return line, idx - (src.rfind("\n", 0, idx) + 1)


def target_at(src: str, needle: str, db, occurrence: int = 0, offset: int = 0):
    analysis = analyze(src, db=db)
    occ = analysis.at(*find(src, needle, occurrence, offset))
    if occ is None:
        return None
    return (occ.target, occ.kind, occ.param)


SRC = textwrap.dedent(
    '''
    from typing import Annotated, Optional
    import fastapi as fa
    import fastapi.security
    from fastapi import Depends as D, FastAPI, APIRouter, Query, status, Request
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import JSONResponse
    from starlette.status import HTTP_204_NO_CONTENT
    import httpx
    from pathlib import Path

    app = FastAPI(title="t")
    router: APIRouter = APIRouter(prefix="/r")
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    scheme = fastapi.security.OAuth2PasswordBearer(tokenUrl="token")
    other = fa.APIRouter()

    class MyRouter(APIRouter):
        def extra(self):
            return self.include_router(router)

    mine = MyRouter()

    def make() -> FastAPI:
        return FastAPI()

    made = make()
    SessionDep = Annotated[str, D(lambda: 1)]

    @router.get("/{item_id}", response_model=dict, status_code=status.HTTP_200_OK)
    async def read(item_id: int, q: Annotated[str | None, Query(max_length=5)] = None, request: Optional[Request] = None):
        client = httpx.Client()
        client.get("/x")
        Path("x").exists()
        request.url_for("read")
        request.url.path
        return JSONResponse({}, status_code=HTTP_204_NO_CONTENT)
    '''
)


@pytest.mark.parametrize(
    "needle, expected, occurrence, offset",
    [
        ("fastapi as fa", ("fastapi", "module", None), 0, 0),
        ("fa.APIRouter", ("fastapi.APIRouter", "name", None), 0, 3),
        ("security\n", ("fastapi.security", "module", None), 0, 0),
        ("D, FastAPI", ("fastapi.Depends", "name", None), 0, 0),
        ("D(lambda", ("fastapi.Depends", "name", None), 0, 0),
        ("cors", ("fastapi.middleware.cors", "module", None), 0, 0),
        ("FastAPI(title", ("fastapi.FastAPI", "name", None), 0, 0),
        ("title=", ("fastapi.FastAPI", "keyword", "title"), 0, 0),
        ("app = ", ("fastapi.FastAPI", "instance", None), 0, 0),
        ("add_middleware", ("fastapi.FastAPI.add_middleware", "member", None), 0, 0),
        ("allow_origins", ("fastapi.middleware.cors.CORSMiddleware", "keyword", "allow_origins"), 0, 0),
        ("OAuth2PasswordBearer", ("fastapi.security.OAuth2PasswordBearer", "name", None), 0, 0),
        ("tokenUrl", ("fastapi.security.OAuth2PasswordBearer", "keyword", "tokenUrl"), 0, 0),
        ("include_router", ("fastapi.APIRouter.include_router", "member", None), 0, 0),
        ("mine = ", ("fastapi.APIRouter", "instance", None), 0, 0),
        ("made = ", ("fastapi.FastAPI", "instance", None), 0, 0),
        ("get(\"/{item", ("fastapi.APIRouter.get", "member", None), 0, 0),
        ("response_model", ("fastapi.APIRouter.get", "keyword", "response_model"), 0, 0),
        ("HTTP_200_OK", ("fastapi.status.HTTP_200_OK", "status", None), 0, 0),
        ("max_length", ("fastapi.Query", "keyword", "max_length"), 0, 0),
        ("url_for", ("fastapi.Request.url_for", "member", None), 0, 0),
        ("path\n", ("fastapi.datastructures.URL.path", "member", None), 0, 0),
        ("HTTP_204_NO_CONTENT)", ("starlette.status.HTTP_204_NO_CONTENT", "status", None), 0, 0),
    ],
)
def test_detects(api_db, needle, expected, occurrence, offset):
    got = target_at(SRC, needle, api_db, occurrence, offset)
    assert got is not None, needle
    target, kind, param = got
    # the same object may be reached through another public path: compare canonical objects
    assert api_db.canonical(target) == api_db.canonical(expected[0]) or target == expected[0], (needle, got)
    assert (kind, param) == expected[1:], (needle, got)


@pytest.mark.parametrize("needle", ["client.get", "get(\"/x", "exists()", "Path(\"x", "extra(self", "item_id: int", "Annotated[str, D"])
def test_silent_on_non_fastapi_code(api_db, needle):
    assert target_at(SRC, needle, api_db) is None


def test_no_db_still_detects_syntactically():
    assert target_at(SRC, "add_middleware", None) == ("fastapi.FastAPI.add_middleware", "member", None)
    assert target_at(SRC, "max_length", None) == ("fastapi.Query", "keyword", "max_length")


def test_unknown_member_of_instance_is_silent(api_db):
    src = "from fastapi import FastAPI\napp = FastAPI()\napp.not_a_member\napp.state\n"
    assert target_at(src, "not_a_member", api_db) is None
    assert target_at(src, "state", api_db)[0].endswith("FastAPI.state")


BROKEN = [
    # unclosed decorator call while typing, followed by a def with a broken signature
    ("from fastapi import APIRouter, Query\nr = APIRouter()\n@r.post('/x', resp\ndef f(q=Query(max_length=3):\n    r.include_router(r)\n", "include_router"),
    # half-typed attribute above valid code
    ("from fastapi import FastAPI, Depends\napp = FastAPI()\napp.\n@app.get('/')\ndef f(x=Depends(g)):\n    pass\n", "Depends(g"),
    # unterminated string
    ("from fastapi import FastAPI\napp = FastAPI(title='abc\n@app.get('/')\ndef f():\n    pass\n", "get("),
    # NUL bytes and invalid characters
    ("from fastapi import FastAPI\x00\napp = FastAPI()\n\x00\x01\napp.get\n", "get\n"),
    # mixed tabs and spaces, unbalanced brackets
    ("from fastapi import FastAPI\napp = FastAPI()\ndef f(:\n\tif x:\n        pass\n]]\napp.post\n", "post"),
    # multi-line string with column-0 lines inside a function
    ("from fastapi import FastAPI\nfrom fastapi.responses import HTMLResponse\napp = FastAPI()\n@app.get('/')\ndef f():\n    html = '''\n<html>\n</html>\n'''\n    return HTMLResponse(content=html)\n", "content="),
]


@pytest.mark.parametrize("src, needle", BROKEN)
def test_broken_code_still_resolves(api_db, src, needle):
    assert target_at(src, needle, api_db) is not None, needle


def test_huge_and_deep_input_does_not_raise(api_db):
    deep = "x = " + "(" * 5000 + ")" * 5000 + "\n"
    analyze(deep, db=api_db)
    many = "from fastapi import FastAPI\napp = FastAPI()\n" + "@app.get('/x')\ndef f():\n    return 1\n" * 2000
    analysis = analyze(many, db=api_db)
    assert sum(1 for o in analysis.occurrences if o.target.endswith(".get")) == 2000


def test_unicode_columns_are_code_points(api_db):
    src = "from fastapi import Query\ndef f(q='é😀', x=Query(max_length=3)): pass\n"
    line, col = find(src, "max_length")
    occ = analyze(src, db=api_db).at(line, col)
    assert occ is not None and (occ.start, occ.end) == (col, col + len("max_length"))


def test_comprehension_and_loop_element_types(api_db):
    src = "from fastapi import UploadFile\ndef f(files: list[UploadFile]):\n    names = [f.filename for f in files]\n    for g in files:\n        g.read()\n"
    assert target_at(src, "filename", api_db)[0].endswith("UploadFile.filename")
    assert target_at(src, "read()", api_db)[0].endswith("UploadFile.read")


def test_subclass_overrides_and_super(api_db):
    src = "from fastapi.routing import APIRoute\nclass R(APIRoute):\n    def get_route_handler(self):\n        return super().get_route_handler()\n"
    assert target_at(src, "get_route_handler(self", api_db)[0].endswith("APIRoute.get_route_handler")
    assert target_at(src, "get_route_handler()", api_db)[0].endswith("APIRoute.get_route_handler")


def test_cross_module_instances(api_db):
    modules = WorkspaceModules([str(WORKSPACE)], read_file_text, lambda: api_db)
    main = WORKSPACE / "app" / "main.py"
    analysis = modules.analysis_for(str(main))
    text = main.read_text()
    occ = analysis.at(*find(text, "include_router(items.router)", offset=len("include_router(items.")))
    assert occ is not None and occ.kind == "instance" and occ.target == "fastapi.APIRouter"
    tests = WORKSPACE / "tests_app.py"
    analysis = modules.analysis_for(str(tests))
    occ = analysis.at(*find(tests.read_text(), "app)", 0))
    assert occ is not None and occ.target == "fastapi.FastAPI"
    # a router subclass defined in another module
    users = WORKSPACE / "app" / "routers" / "users.py"
    occ = modules.analysis_for(str(users)).at(*find(users.read_text(), "router.get", offset=7))
    assert occ is not None and occ.target == "fastapi.APIRouter.get"


def test_annotated_alias_from_other_module_is_not_an_instance(api_db):
    modules = WorkspaceModules([str(WORKSPACE)], read_file_text, lambda: api_db)
    items = WORKSPACE / "app" / "routers" / "items.py"
    text = items.read_text()
    occ = modules.analysis_for(str(items)).at(*find(text, "SessionDep", 1))
    assert occ is None


def test_resolve_text_for_completion(api_db):
    src = "import fastapi\nfrom fastapi import FastAPI\napp = FastAPI()\n@app.post('/x', resp\n"
    analysis = analyze(src, db=api_db)
    assert analysis.resolve_text("app.post", 3, api_db).path == "fastapi.FastAPI.post"
    assert analysis.resolve_text("fastapi.security", 3, api_db).path == "fastapi.security"
    assert analysis.resolve_text("nothing.here", 3, api_db) is None


def test_class_attribute_override_in_subclass(api_db):
    src = "from fastapi.responses import Response\nclass CSV(Response):\n    media_type = 'text/csv'\n    other = 1\n"
    assert target_at(src, "media_type", api_db)[0].endswith("Response.media_type")
    assert target_at(src, "other", api_db) is None


def test_attribute_types_follow_module_qualified_annotations(api_db):
    src = "from fastapi import FastAPI\napp = FastAPI()\nfor r in app.router.routes:\n    pass\napp.router.include_router\n"
    assert target_at(src, "include_router", api_db)[0].endswith("APIRouter.include_router")


@pytest.mark.parametrize(
    "module_name, module, level, is_package, expected",
    [
        ("app.routers.items", "dependencies", 2, False, "app.dependencies"),
        ("app.routers.items", None, 1, False, "app.routers"),
        ("app.routers", "items", 1, True, "app.routers.items"),  # inside app/routers/__init__.py
        ("app", "main", 1, True, "app.main"),
        ("main", "x", 2, False, None),
        ("x", "y", 0, False, "y"),
    ],
)
def test_absolute_import(module_name, module, level, is_package, expected):
    from fastapi_docs_lsp.core.analysis import absolute_import

    assert absolute_import(module_name, module, level, is_package) == expected


def test_relative_import_inside_package_init(api_db, tmp_path):
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "routes.py").write_text("from fastapi import APIRouter\nrouter = APIRouter()\n")
    (pkg / "__init__.py").write_text("from .routes import router\nrouter.get\n")
    modules = WorkspaceModules([str(tmp_path)], read_file_text, lambda: api_db)
    occ = modules.analysis_for(str(pkg / "__init__.py")).at(1, 8)
    assert occ is not None and occ.target == "fastapi.APIRouter.get"
