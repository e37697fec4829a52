"""Each diagnostic rule on small modules: what it reports, and what it must leave alone."""

from __future__ import annotations

import textwrap

import pytest

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.diagnostics import RULES, diagnose, rule_code, severity_for
from fastapi_docs_lsp.core.routes import RouteIndex

HEAD = "from typing import Annotated\n\nfrom fastapi import APIRouter, Body, Depends, FastAPI, Path, Query, Request, Security\n\napp = FastAPI()\nrouter = APIRouter()\n\n"


def run(body: str, db=None, head: str = HEAD, **kw):
    text = head + textwrap.dedent(body)
    analysis = analyze(text, db=db)
    return text, diagnose(analysis, db=db, **kw)


def codes(body: str, db=None, **kw) -> list[str]:
    return [d.code for d in run(body, db, **kw)[1]]


def spanned(text: str, diag) -> str:
    lines = text.split("\n")
    s = diag.span
    assert s.line == s.end_line
    return lines[s.line][s.start : s.end]


# --------------------------------------------------------------------------------------
# FA001 path parameter missing


def test_fa001_missing_path_parameter(api_db):
    text, diags = run(
        """
        @app.get("/items/{item_id}")
        def read_item():
            return {}
        """,
        api_db,
    )
    assert [d.code for d in diags] == ["FA001"]
    assert spanned(text, diags[0]) == "{item_id}"
    assert diags[0].href == "https://fastapi.tiangolo.com/tutorial/path-params/"
    assert "item_id" in diags[0].message and "read_item" in diags[0].message


@pytest.mark.parametrize(
    "body",
    [
        # declared directly, with Path(), Annotated and an alias
        '@app.get("/items/{item_id}")\ndef f(item_id: int): ...\n',
        '@app.get("/items/{item_id}")\ndef f(item_id: Annotated[int, Path(ge=1)]): ...\n',
        '@app.get("/items/{item-id}")\ndef f(item: Annotated[int, Path(alias="item-id")]): ...\n',
        '@app.get("/items/{item_id}")\ndef f(*, item_id: int = Path()): ...\n',
        # inside a dependency, a sub-dependency, a class dependency, an Annotated alias
        'def dep(item_id: int):\n    return item_id\n\n@app.get("/items/{item_id}")\ndef f(x: Annotated[int, Depends(dep)]): ...\n',
        'def dep(item_id: int):\n    return item_id\n\ndef outer(x=Depends(dep)):\n    return x\n\n@app.get("/items/{item_id}")\ndef f(y=Depends(outer)): ...\n',
        'class Params:\n    def __init__(self, item_id: int):\n        self.item_id = item_id\n\n@app.get("/items/{item_id}")\ndef f(p: Annotated[Params, Depends()]): ...\n',
        'def dep(item_id: int):\n    return item_id\n\nItemDep = Annotated[int, Depends(dep)]\n\n@app.get("/items/{item_id}")\ndef f(x: ItemDep): ...\n',
        'class Checker:\n    def __call__(self, item_id: int):\n        return item_id\n\nchecker = Checker()\n\n@app.get("/items/{item_id}")\ndef f(x=Depends(checker)): ...\n',
        'def dep(item_id: int): ...\n\n@app.get("/items/{item_id}", dependencies=[Depends(dep)])\ndef f(): ...\n',
        # conservative: **kwargs, unknown dependencies, reading request.path_params, other decorators
        '@app.get("/items/{item_id}")\ndef f(**kwargs): ...\n',
        'from somewhere import dep\n\n@app.get("/items/{item_id}")\ndef f(x=Depends(dep)): ...\n',
        '@app.get("/items/{item_id}")\ndef f(x=Depends(make_dep("a"))): ...\n',
        '@app.get("/items/{item_id}")\ndef f(request: Request):\n    return request.path_params["item_id"]\n',
        '@app.get("/items/{item_id}")\n@wrapper\ndef f(): ...\n',
        'from .deps import ItemDep\n\n@app.get("/items/{item_id}")\ndef f(x: ItemDep): ...\n',
        # not a path operation, or not a literal path
        '@other.get("/items/{item_id}")\ndef f(): ...\n',
        'PATH = "/items/{item_id}"\n\n@app.get(PATH)\ndef f(): ...\n',
    ],
)
def test_fa001_declared_somewhere_or_unknown_is_silent(api_db, body):
    assert "FA001" not in codes(body, api_db), body


def test_fa001_follows_dependencies_into_workspace_modules(api_db):
    deps = analyze("def dep(item_id: int):\n    return item_id\n", module_name="pkg.deps", db=api_db)
    body = 'from .deps import dep\n\n@app.get("/items/{item_id}")\ndef f(x=Depends(dep)): ...\n'
    loaded = {"pkg.deps": deps}
    text = HEAD + body
    analysis = analyze(text, db=api_db, module_name="pkg.main")
    assert [d.code for d in diagnose(analysis, db=api_db, module_name="pkg.main", load_module=loaded.get)] == []
    deps2 = analyze("def dep(other: int):\n    return other\n", module_name="pkg.deps", db=api_db)
    diags = diagnose(analysis, db=api_db, module_name="pkg.main", load_module={"pkg.deps": deps2}.get)
    assert [d.code for d in diags] == ["FA001"]


def test_fa001_one_diagnostic_per_missing_parameter(api_db):
    _, diags = run('@router.get("/{a}/{b:int}/{c}")\nasync def f(b: int): ...\n', api_db)
    assert [(d.code, "`a`" in d.message or "`c`" in d.message) for d in diags] == [("FA001", True), ("FA001", True)]


# --------------------------------------------------------------------------------------
# FA002 deprecated parameters (read from the installed FastAPI)


def test_fa002_regex_and_example_from_installed_fastapi(api_db):
    assert "regex" in api_db.deprecated_params()["fastapi.Query"]
    text, diags = run('@app.get("/")\ndef f(q: Annotated[str, Query(regex="^a", example="x")]): ...\n', api_db)
    fa002 = [d for d in diags if d.code == "FA002"]
    assert [spanned(text, d) for d in fa002] == ["regex", "example"]
    assert "pattern" in fa002[0].message
    assert fa002[0].href.endswith("query-params-str-validations/#add-regular-expressions")
    assert fa002[1].href.endswith("schema-extra-example/#examples-in-json-schema-openapi")
    assert all("deprecated" in d.tags for d in fa002)


def test_fa002_other_deprecations_come_from_the_package(api_db):
    deprecated = api_db.deprecated_params().get("fastapi.FastAPI", {})
    assert deprecated, "the installed FastAPI marks some FastAPI() parameters deprecated"
    name = sorted(deprecated)[0]
    text, diags = run(f"app2 = FastAPI({name}=None)\n", api_db)
    assert [spanned(text, d) for d in diags if d.code == "FA002"] == [name]


def test_fa002_fallback_without_the_api_db():
    text, diags = run('@app.get("/")\ndef f(q: str = Query(None, regex="^a")): ...\n', None)
    assert [spanned(text, d) for d in diags if d.code == "FA002"] == ["regex"]


def test_fa002_silent_on_current_parameters_and_other_callables(api_db):
    body = 'import re\n\n@app.get("/")\ndef f(q: Annotated[str, Query(pattern="^a", examples=["x"])]):\n    return re.compile(regex="x", example=1)\n'
    assert "FA002" not in codes(body, api_db)


# --------------------------------------------------------------------------------------
# FA003 on_event


def test_fa003_on_event_on_app_and_router(api_db):
    text, diags = run('@app.on_event("startup")\nasync def a(): ...\n\n@router.on_event("shutdown")\nasync def b(): ...\n', api_db)
    assert [(d.code, spanned(text, d)) for d in diags] == [("FA003", "on_event"), ("FA003", "on_event")]
    assert diags[0].href == "https://fastapi.tiangolo.com/advanced/events/#lifespan"


def test_fa003_silent_on_other_on_event(api_db):
    assert codes('class Bus:\n    def on_event(self, name): ...\n\nbus = Bus()\n\n@bus.on_event("x")\ndef h(): ...\n', api_db) == []


# --------------------------------------------------------------------------------------
# FA004 Depends(call())


@pytest.mark.parametrize(
    "dep",
    [
        "def get_db():\n    yield 1\n",
        "async def get_db():\n    return 1\n",
        "def get_db(token: str = Depends(lambda: 1)):\n    return token\n",
        "def get_db():\n    return {'a': 1}\n",
        "class get_db:\n    pass\n",
    ],
)
def test_fa004_calling_the_dependency(api_db, dep):
    text, diags = run(dep + '\n@app.get("/")\ndef f(db=Depends(get_db())): ...\n', api_db)
    fa004 = [d for d in diags if d.code == "FA004"]
    assert len(fa004) == 1 and spanned(text, fa004[0]) == "get_db()"
    assert fa004[0].severity == "error"


@pytest.mark.parametrize(
    "dep",
    [
        # factories returning a dependency: a nested def, a callable class instance, a partial
        "def get_db(role):\n    def checker():\n        return role\n    return checker\n",
        "class get_db:\n    def __call__(self):\n        return 1\n",
        "from functools import partial\n\ndef get_db():\n    return partial(print, 1)\n",
        "from elsewhere import get_db\n",
        "class get_db(Base):\n    pass\n",
    ],
)
def test_fa004_silent_on_factories_and_unknowns(api_db, dep):
    assert "FA004" not in codes(dep + '\n@app.get("/")\ndef f(db=Depends(get_db())): ...\n', api_db)


def test_fa004_inside_annotated_and_security(api_db):
    body = 'def get_user():\n    yield 1\n\n@app.get("/")\ndef f(u: Annotated[int, Security(get_user())]): ...\n'
    assert codes(body, api_db) == ["FA004"]


BOTH_CALL_RULES = 'def get_user():\n    yield 1\n\n@app.get("/")\ndef f(u: Annotated[int, Security(get_user())], q: str = Query(None, regex="^a")): ...\n'


def test_fa002_and_fa004_share_one_walk_of_the_calls(api_db):
    assert sorted(codes(BOTH_CALL_RULES, api_db)) == ["FA002", "FA004"]


def test_a_failing_call_rule_is_dropped_without_the_other(api_db, monkeypatch):
    import fastapi_docs_lsp.core.diagnostics.calls as core_diagnostics  # the FA002/FA004/FA009 family

    def broken(*args, **kwargs):
        raise RuntimeError("rule bug")

    monkeypatch.setattr(core_diagnostics, "_check_called_dependency", broken)
    assert codes(BOTH_CALL_RULES, api_db) == ["FA002"]


# --------------------------------------------------------------------------------------
# FA005 duplicate / FA006 shadowed routes


def test_fa005_duplicate_method_and_path(api_db):
    text, diags = run('@app.get("/users")\ndef a(): ...\n\n@app.get("/users")\ndef b(): ...\n', api_db)
    assert [d.code for d in diags] == ["FA005"]
    assert spanned(text, diags[0]) == '"/users"'
    assert diags[0].span.line == text.split("\n").index('@app.get("/users")', text.split("\n").index("def a(): ...")) 
    assert diags[0].related and diags[0].related[0].span.line == text.split("\n").index('@app.get("/users")')


def test_fa005_same_template_with_other_parameter_names(api_db):
    assert codes('@app.get("/u/{id}")\ndef a(id: str): ...\n\n@app.get("/u/{user_id}")\ndef b(user_id: str): ...\n', api_db) == ["FA005"]


@pytest.mark.parametrize(
    "body",
    [
        '@app.get("/users")\ndef a(): ...\n\n@app.post("/users")\ndef b(): ...\n',  # other method
        '@app.get("/users")\ndef a(): ...\n\n@router.get("/users")\ndef b(): ...\n',  # other router
        'app2 = FastAPI()\n\n@app.get("/users")\ndef a(): ...\n\n@app2.get("/users")\ndef b(): ...\n',
        'import os\n\nif os.environ.get("A"):\n    @app.get("/users")\n    def a(): ...\nelse:\n    @app.get("/users")\n    def b(): ...\n',
        '@app.get("/u/{id:int}")\ndef a(id: int): ...\n\n@app.get("/u/{id}")\ndef b(id: str): ...\n',  # int vs str
        '@app.api_route("/x", methods=["GET", "POST"])\ndef a(): ...\n\n@app.put("/x")\ndef b(): ...\n',
        '@app.get("/x")\n@app.get("/x/")\ndef a(): ...\n',
    ],
)
def test_fa005_fa006_silent(api_db, body):
    assert codes(body, api_db) == [], body


def test_fa006_shadowed_by_earlier_template(api_db):
    text, diags = run('@app.get("/items/{item_id}")\ndef a(item_id: str): ...\n\n@app.get("/items/me")\ndef b(): ...\n', api_db)
    assert [d.code for d in diags] == ["FA006"]
    assert spanned(text, diags[0]) == '"/items/me"'
    assert diags[0].href == "https://fastapi.tiangolo.com/tutorial/path-params/#order-matters"


@pytest.mark.parametrize(
    "first, second",
    [
        ("/items/{item_id:int}", "/items/me"),  # the int convertor doesn't match "me"
        ("/items/{item_id}", "/items/me/details"),  # [^/]+ stops at "/"
        ("/items/{item_id:custom}", "/items/me"),  # unknown convertor: unknown regex
    ],
)
def test_fa006_respects_convertors(api_db, first, second):
    assert codes(f'@app.get("{first}")\ndef a(item_id): ...\n\n@app.get("{second}")\ndef b(): ...\n', api_db) == []


def test_fa006_path_convertor_and_api_route_methods(api_db):
    body = '@router.api_route("/files/{p:path}", methods=["GET"])\ndef a(p: str): ...\n\n@router.get("/files/a/b")\ndef b(): ...\n'
    assert codes(body, api_db) == ["FA006"]


# --------------------------------------------------------------------------------------
# FA007 unused router


def _index(files: dict[str, str], db, tmp_path):
    paths = {}
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        paths[rel] = p

    def module_name(path):
        from pathlib import Path

        rel = Path(path).relative_to(tmp_path).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join(parts)

    def analysis_for(path):
        from pathlib import Path

        return analyze(Path(path).read_text(), module_name=module_name(path), db=db)

    index = RouteIndex([str(tmp_path)], analysis_for, module_name, lambda: db)
    index.refresh()
    return index, paths, module_name, analysis_for


ROUTER = "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/x')\ndef x(): ...\n"


def _fa007(files, db, tmp_path, which="app/routers/items.py"):
    index, paths, module_name, analysis_for = _index(files, db, tmp_path)
    path = str(paths[which])
    return diagnose(analysis_for(path), db=db, module_name=module_name(path), path=path, workspace=index)


def test_fa007_router_never_included(api_db, tmp_path):
    diags = _fa007({"app/__init__.py": "", "app/routers/__init__.py": "", "app/routers/items.py": ROUTER, "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, api_db, tmp_path)
    assert [(d.code, d.severity) for d in diags] == [("FA007", "hint")]
    assert diags[0].span.line == 2 and "unnecessary" in diags[0].tags


@pytest.mark.parametrize(
    "main",
    [
        "from fastapi import FastAPI\nfrom .routers import items\napp = FastAPI()\napp.include_router(items.router)\n",
        "from fastapi import FastAPI\nfrom app.routers.items import router as items_router\napp = FastAPI()\napp.include_router(items_router, prefix='/i')\n",
        "from fastapi import FastAPI\nfrom .routers.items import router\napp = FastAPI()\nfor r in [router]:\n    app.include_router(r)\n",
    ],
)
def test_fa007_included_or_imported_somewhere(api_db, tmp_path, main):
    files = {"app/__init__.py": "", "app/routers/__init__.py": "", "app/routers/items.py": ROUTER, "app/main.py": main}
    assert _fa007(files, api_db, tmp_path) == []


def test_fa007_included_in_the_same_module_or_without_routes(api_db, tmp_path):
    same = ROUTER + "\nfrom fastapi import FastAPI\napp = FastAPI()\napp.include_router(router)\n"
    empty = "from fastapi import APIRouter\n\nrouter = APIRouter()\n"
    assert _fa007({"app/routers/items.py": same}, api_db, tmp_path) == []
    assert _fa007({"app/routers/items.py": empty}, api_db, tmp_path) == []


def test_fa007_needs_the_workspace_index(api_db):
    assert "FA007" not in codes("@router.get('/x')\ndef x(): ...\n", api_db)


# --------------------------------------------------------------------------------------
# FA008 redundant response_model, FA009 prefer Annotated


def test_fa008_response_model_repeating_the_annotation(api_db):
    body = "class Item:\n    pass\n\n@app.get('/i', response_model=Item)\ndef f() -> Item: ...\n"
    text, diags = run(body, api_db)
    assert [(d.code, d.severity, spanned(text, d)) for d in diags] == [("FA008", "hint", "response_model=Item")]


@pytest.mark.parametrize(
    "body",
    [
        "class Item:\n    pass\n\nclass Out:\n    pass\n\n@app.get('/i', response_model=Out)\ndef f() -> Item: ...\n",
        "from fastapi import Response\n\n@app.get('/i', response_model=None)\ndef f() -> Response: ...\n",
        "class Item:\n    pass\n\n@app.get('/i', response_model=list[Item])\ndef f() -> Item: ...\n",
    ],
)
def test_fa008_silent(api_db, body):
    assert codes(body, api_db) == []


def test_fa009_is_off_by_default_and_can_be_enabled(api_db):
    body = "@app.get('/')\ndef f(q: str = Query(None), db=Depends(print)): ...\n"
    assert codes(body, api_db) == []
    text, diags = run(body, api_db, rules={"FA009": "hint"})
    assert [spanned(text, d) for d in diags] == ["q: str = Query(None)", "db=Depends(print)"]
    assert codes("@app.get('/')\ndef f(q: Annotated[str, Query()] = None): ...\n", api_db, rules={"prefer-annotated": "hint"}) == []


# --------------------------------------------------------------------------------------
# settings, robustness, links


def test_severity_overrides_by_code_and_name():
    assert severity_for("FA001", None) == "warning"
    assert severity_for("FA001", {"FA001": "error"}) == "error"
    assert severity_for("FA001", {"path-param-missing": "off"}) == "off"
    assert severity_for("FA009", {}) == "off"
    assert rule_code("shadowed-route") == "FA006" and rule_code("fa002") == "FA002" and rule_code("nope") is None


def test_rules_turned_off_produce_nothing(api_db):
    body = '@app.get("/items/{item_id}")\ndef f(): ...\n'
    assert codes(body, api_db, rules={"FA001": "off"}) == []
    assert [d.severity for d in run(body, api_db, rules={"FA001": "information"})[1]] == ["information"]


def test_incomplete_code_while_typing_gives_no_false_alarms(api_db):
    # the def header is being typed: the parser repairs the chunk, which must not look like a missing parameter
    text = HEAD + '@app.get("/items/{item_id}")\ndef read_item(item_id: int, q: str = Query(\n'
    assert [d.code for d in diagnose(analyze(text, db=api_db), db=api_db)] == []


def test_never_raises_on_odd_input(api_db):
    for text in ["", "\x00", "@app.get(\n", "def f(:\n", "(" * 500, HEAD + "@app.get(1)\ndef f(): ...\n"]:
        diagnose(analyze(text, db=api_db), db=api_db)


def test_every_rule_links_a_catalog_section():
    from fastapi_docs_lsp.core.diagnostics import DEPRECATED_PARAM_URLS
    from fastapi_docs_lsp.core.docs.index import DocIndex
    from fastapi_docs_lsp.core.docs.catalog import load_catalog

    index = DocIndex(load_catalog(), [])
    for url in [r.url for r in RULES.values()] + list(DEPRECATED_PARAM_URLS.values()):
        assert index.section_for_url(url) is not None, url


def test_fixture_workspace_is_clean(api_db, tmp_path):
    from ..conftest import WORKSPACE
    from fastapi_docs_lsp.core.workspace import WorkspaceModules, read_file_text

    modules = WorkspaceModules([str(WORKSPACE)], read_file_text, lambda: api_db)
    index = RouteIndex([str(WORKSPACE)], modules.analysis_for, modules.module_name_for, lambda: api_db)
    index.refresh()
    assert len(index.files) >= 8
    for path in index.files:
        diags = diagnose(
            modules.analysis_for(path),
            db=api_db,
            module_name=modules.module_name_for(path),
            path=path,
            workspace=index,
            load_module=lambda name: modules.analysis_for(modules.path_for_module(name)) if modules.path_for_module(name) else None,
        )
        assert diags == [], (path, diags)
