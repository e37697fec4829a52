"""Route extraction, path templates and the workspace route index."""

from __future__ import annotations

import textwrap

import pytest

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.routes import (
    RouteIndex,
    extract_routes,
    iter_python_files,
    normalized_template,
    path_params,
    route_matches_query,
    template_regex,
)


def routes_of(text: str, db=None, module: str | None = None):
    return extract_routes(analyze(textwrap.dedent(text), db=db, module_name=module), db, module)


def test_methods_paths_prefix_and_ranges(api_db):
    text = textwrap.dedent(
        """\
        from fastapi import APIRouter, FastAPI

        app = FastAPI()
        router = APIRouter(prefix="/items", tags=["items"])


        @router.get("/{item_id}")
        async def read_item(item_id: int): ...


        @router.api_route("/", methods=["GET", "POST"])
        def items(): ...


        @app.websocket("/ws")
        async def ws(websocket): ...


        def legacy(): ...


        app.add_api_route("/legacy", legacy, methods=["PUT"])
        app.include_router(router, prefix="/v1")
        """
    )
    found = extract_routes(analyze(text, db=api_db), api_db)
    assert [r.label for r in found.routes] == ["GET /v1/items/{item_id}", "GET|POST /v1/items/", "WS /ws", "PUT /legacy"]
    first = found.routes[0]
    lines = text.split("\n")
    assert lines[first.name_span.line][first.name_span.start : first.name_span.end] == "read_item"
    assert lines[first.decorator.line][first.decorator.start : first.decorator.end] == 'router.get("/{item_id}")'
    assert first.def_span.line == first.decorator.line and first.def_span.start == 0
    assert lines[first.def_span.end_line].startswith("async def read_item")
    assert first.owner.kind == "router" and first.owner.prefix == "/items" and first.function == "read_item"
    assert [(i.arg_text, i.prefix) for i in found.includes] == [("router", "/v1")]


def test_router_subclass_factory_imported_instance_and_nested_app(api_db):
    found = routes_of(
        """\
        from fastapi import APIRouter, FastAPI

        class TaggedRouter(APIRouter):
            pass

        router = TaggedRouter(prefix="/users")

        def create_app() -> FastAPI:
            app = FastAPI()

            @app.get("/health")
            def health(): ...

            return app

        @router.get("/me")
        def me(): ...

        @something.get("/not-fastapi")
        def other(): ...
        """,
        api_db,
    )
    assert [r.label for r in found.routes] == ["GET /health", "GET /users/me"]


def test_non_literal_path_and_unknown_methods(api_db):
    found = routes_of(
        """\
        from fastapi import FastAPI
        app = FastAPI()
        PATH = "/x"

        @app.get(PATH)
        def a(): ...

        @app.api_route("/y", methods=METHODS)
        def b(): ...
        """,
        api_db,
    )
    assert [(r.path, r.label) for r in found.routes] == [(None, "GET PATH"), ("/y", "* /y")]


def test_works_without_the_api_db():
    found = routes_of("from fastapi import FastAPI\napp = FastAPI()\n\n@app.delete('/x/{id}')\ndef d(id: int): ...\n")
    assert [r.label for r in found.routes] == ["DELETE /x/{id}"]


def test_path_params_and_templates():
    assert [(p.name, p.convertor) for p in path_params("/a/{x}/{y:int}/{rest:path}")] == [("x", "str"), ("y", "int"), ("rest", "path")]
    assert normalized_template("/u/{id:int}/{name}") == "/u/{:int}/{:str}"
    regex = template_regex("/items/{item_id}")
    assert regex.match("/items/me") and not regex.match("/items/me/x")
    assert not template_regex("/items/{n:int}").match("/items/me")
    assert template_regex("/items/{n:float}").match("/items/1.5")
    assert template_regex("/f/{p:path}").match("/f/a/b/c")
    assert template_regex("/u/{u:uuid}").match("/u/123e4567-e89b-12d3-a456-426614174000")
    assert template_regex("/x/{y:custom}") is None
    assert template_regex("/a.b/{x}").match("/a.b/1") and not template_regex("/a.b/{x}").match("/aXb/1")


def test_query_matching(api_db):
    route = routes_of("from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/items/{item_id}')\ndef read_item(item_id): ...\n", api_db).routes[0]
    for query in ["", "get", "GET /items", "/items/{item_id}", "items", "read_item", "get items"]:
        assert route_matches_query(route, query), query
    for query in ["post", "/users", "zzz"]:
        assert not route_matches_query(route, query), query


def test_iter_python_files_skips_venvs_hidden_and_large(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n")
    (tmp_path / "app" / "big.py").write_text("x = 1\n" * 1000)
    for skipped in (".git", "node_modules", "venv", "__pycache__"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "m.py").write_text("")
    (tmp_path / "myenv").mkdir()
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("")
    (tmp_path / "myenv" / "m.py").write_text("")
    found = [p.replace(str(tmp_path), "") for p in iter_python_files([str(tmp_path)], 1000)]
    assert found == ["/app/main.py"]


def test_route_index_updates_incrementally(tmp_path, api_db):
    main = tmp_path / "main.py"
    main.write_text("from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/a')\ndef a(): ...\n")
    reads: list[str] = []

    def analysis_for(path):
        reads.append(path)
        return analyze(open(path).read(), db=api_db)

    index = RouteIndex([str(tmp_path)], analysis_for, lambda p: "main", lambda: api_db)
    index.refresh()
    assert index.ready and [r.label for _, r in index.all_routes()] == ["GET /a"]
    generation = index.generation
    index.refresh()
    assert len(reads) == 1 and index.generation == generation  # unchanged: not re-read
    import os

    main.write_text("from fastapi import FastAPI\napp = FastAPI()\n\n@app.post('/b')\ndef b(): ...\n")
    os.utime(main, ns=(1, 10**18))
    index.refresh()
    assert [r.label for _, r in index.all_routes()] == ["POST /b"] and index.generation > generation
    main.unlink()
    index.refresh()
    assert list(index.all_routes()) == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from app.routers.items import router", ("app.routers.items", "router")),
        ("from .items import router", ("app.routers.items", "router")),
        ("from . import items\nitems.router", ("app.routers.items", "router")),
        ("import app.routers.items as it\nit.router", ("app.routers.items", "router")),
    ],
)
def test_references_resolve_imports(source, expected):
    found = routes_of(source + "\n", module="app.routers.pkg")
    assert expected in found.references


def test_project_root_walks_up_from_a_bare_folder(tmp_path):
    from fastapi_docs_lsp.core.routes import module_name_under, project_root

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    bare = tmp_path / "app" / "routers"
    bare.mkdir(parents=True)
    assert project_root(str(bare)) == str(tmp_path)
    assert project_root(str(tmp_path)) == str(tmp_path)
    assert module_name_under(str(bare / "items.py"), [str(tmp_path)]) == "app.routers.items"
    nowhere = tmp_path / "elsewhere"
    nowhere.mkdir()
    (tmp_path / "pyproject.toml").unlink()
    assert project_root(str(nowhere)) == str(nowhere)  # no marker above: the root as given
