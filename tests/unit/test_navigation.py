"""Route navigation core: URL patterns, the matcher, and the workspace view (tests/fixtures/navigation)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from fastapi_docs_lsp.core import urlpattern as up
from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.navigation import RouteTarget, Workspace, call_at, lens_title, module_facts, route_card
from fastapi_docs_lsp.core.routes import RouteIndex
from fastapi_docs_lsp.core.workspace import is_package_file

from ..conftest import FIXTURES

NAV = FIXTURES / "navigation"


def pattern(source: str) -> up.Pattern | None:
    return up.eval_pattern(ast.parse(source, mode="eval").body)


def score(url: str, template: str) -> int | None:
    call = up.shape(up.strip_url(pattern(url) or ()), templated=False)
    route = up.shape(pattern(template) or (), templated=True)
    return up.match(call, route)


# --------------------------------------------------------------------------------------
# patterns


def test_patterns_from_literals_fstrings_concatenation_and_format():
    assert pattern('"/items/1"') == ("/items/1",)
    assert pattern('f"{settings.API_V1_STR}/items/{item.id}"') == (
        up.Hole("settings.API_V1_STR", "settings.API_V1_STR"),
        "/items/",
        up.Hole("item.id", "item.id"),
    )
    assert pattern('"/items/" + str(item_id)') == ("/items/", up.Hole("item_id", "item_id"))
    assert pattern('"/items/{}/tags/{name}".format(1, name="x")') == ("/items/", up.Hole("{}"), "/tags/", up.Hole("{name}"))
    assert pattern('f"{get_settings().API}/x"') == (up.Hole("get_settings().API", "get_settings().API"), "/x")
    assert pattern("42") is None
    assert up.display(pattern('f"/users/{user.id}"') or ()) == "/users/{user.id}"


def test_strip_url_drops_query_fragment_and_host():
    assert up.strip_url(("/items/?skip=0&limit=10",)) == ("/items/",)
    assert up.strip_url(("/items/", up.Hole("i"), "?q=1")) == ("/items/", up.Hole("i"))
    assert up.strip_url(("/items/", up.Hole("i"), "#top")) == ("/items/", up.Hole("i"))
    assert up.strip_url(("http://testserver/items/1",)) == ("/items/1",)
    assert up.strip_url(("https://example.com",)) == ("/",)


# --------------------------------------------------------------------------------------
# the matcher


def test_literals_and_convertors():
    assert score('"/items/1"', '"/items/{item_id}"') is not None
    assert score('"/items/1"', '"/items/{item_id:int}"') is not None
    assert score('"/items/abc"', '"/items/{item_id:int}"') is None
    assert score('"/items/1.5"', '"/items/{x:float}"') is not None
    assert score('"/items/1"', '"/users/{user_id}"') is None
    assert score('"/items/1/tags"', '"/items/{item_id}"') is None
    assert score('"/files/a/b/c.txt"', '"/files/{file_path:path}"') is not None
    assert score('"/files/a/b"', '"/other/{file_path:path}"') is None
    assert score('"/items/report-2024.csv"', '"/items/report-{year}.csv"') is not None


def test_a_placeholder_prefers_a_parameter_and_a_literal_prefers_a_literal():
    param, literal = '"/users/{user_id}"', '"/users/me"'
    assert score('f"/users/{user.id}"', param) > score('f"/users/{user.id}"', literal)  # type: ignore[operator]
    assert score('"/users/me"', literal) > score('"/users/me"', param)  # type: ignore[operator]
    assert score('f"/users/{u}-x"', '"/users/{a}-x"') is not None


def test_trailing_slash_is_a_weaker_match():
    exact = score('"/items/"', '"/items/"')
    redirected = score('"/items"', '"/items/"')
    assert exact is not None and redirected is not None and redirected < exact
    assert score('"/items"', '"/items"') is not None


def test_a_leading_placeholder_matches_any_prefix():
    assert score('f"{base}/items/1"', '"/api/v1/items/{item_id}"') is not None
    assert score('f"{base}/items/1"', '"/items/{item_id}"') is not None
    assert score('f"{base}/items/1"', '"/api/v1/users/{user_id}"') is None
    # a prefix unknown on the route side (include_router(prefix=unknown)) matches a literal call too
    route = up.shape((up.Hole("prefix", "prefix"), "/items/{item_id}"), templated=True)
    assert up.match(up.shape(("/api/v1/items/1",), templated=False), route) is not None
    assert up.match(up.shape(("/api/v1/users/1",), templated=False), route) is None


# --------------------------------------------------------------------------------------
# one module


def facts_of(source: str, module: str = "tests.test_x"):
    return module_facts(analyze(textwrap.dedent(source), module_name=module), module)


def test_clients_of_every_kind_are_recognised():
    facts = facts_of(
        '''\
        import httpx
        import pytest
        from fastapi.testclient import TestClient
        from starlette.testclient import TestClient as StarletteClient
        from httpx import ASGITransport, AsyncClient
        from unittest import TestCase

        from app.main import app

        client = TestClient(app)


        @pytest.fixture(name="api")
        def api_client():
            with StarletteClient(app) as c:
                yield c


        @pytest.fixture
        def plain():
            return httpx.Client(base_url="http://example.com")  # not the app: not a client


        def test_module_client():
            client.get("/a")
            client.request("PATCH", "/b")
            client.websocket_connect("/ws")


        def test_fixture_param(api, something):
            api.delete(url="/c")
            something.get("/not-a-call")


        async def test_async():
            async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
                await ac.put("/d")
            async with httpx.AsyncClient(base_url="http://example.com") as remote:
                await remote.get("/not-the-app")


        class TestItems(TestCase):
            def setUp(self):
                self.client = TestClient(app)

            def test_it(self):
                self.client.head("/e")


        def test_annotated(c: TestClient):
            c.options("/f")
        '''
    )
    calls = [(c.method, up.display(c.pattern), c.fixture) for c in facts.calls]
    assert calls == [
        ("GET", "/a", None),
        ("PATCH", "/b", None),
        ("WEBSOCKET", "/ws", None),
        ("DELETE", "/c", "api"),
        ("GET", "/not-a-call", "something"),  # kept: a client only if some fixture is named so
        ("PUT", "/d", None),
        ("HEAD", "/e", None),
        ("OPTIONS", "/f", None),
    ]
    assert facts.client_fixtures == {"api"}


def test_settings_and_constants_are_read():
    facts = facts_of(
        '''\
        from functools import lru_cache
        from pydantic import Field
        from pydantic_settings import BaseSettings

        PREFIX = "/api"
        V2 = PREFIX + "/v2"

        class Settings(BaseSettings):
            API_V1_STR: str = "/api/v1"
            OTHER: str = Field(default="/other")
            PORT: int = 8000

        @lru_cache
        def get_settings() -> Settings:
            return Settings()

        settings = get_settings()
        ''',
        module="app.config",
    )
    assert facts.strings["PREFIX"] == ("/api",)
    assert facts.strings["V2"] == (up.Hole("PREFIX", "PREFIX"), "/v2")
    assert facts.classes["Settings"] == {"API_V1_STR": ("/api/v1",), "OTHER": ("/other",)}
    assert facts.returns["get_settings"] == "Settings"
    assert facts.instances["settings"] == "get_settings"


# --------------------------------------------------------------------------------------
# the workspace


def _index(root: Path) -> RouteIndex:
    def module_name(path: str) -> str:
        parts = list(Path(path).relative_to(root).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def analysis(path: str):
        return analyze(Path(path).read_text(), module_name=module_name(path), is_package=is_package_file(path))

    index = RouteIndex([str(root)], analysis, module_name)
    index.refresh()
    return index


@pytest.fixture(scope="module")
def fixture_ws() -> Workspace:
    return Workspace(_index(NAV))


def _targets(ws: Workspace, url_needle: str) -> list[str]:
    path = str(NAV / "tests" / "test_api.py")
    entry = ws.entries[path]
    assert entry.facts is not None
    text = (NAV / "tests" / "test_api.py").read_text().split("\n")
    for call in entry.facts.calls:
        if url_needle in text[call.url_span.line][call.url_span.start : call.url_span.end]:
            return [f"{m.target.label} {m.target.route.function}" for m in ws.matches(path, call)]
    raise AssertionError(f"no call with {url_needle}")


def test_full_templates_through_nested_includes_settings_aliases_and_mounts(fixture_ws: Workspace):
    labels = sorted(t.label for t in fixture_ws.targets)
    assert labels == [
        "DELETE /api/v1/internal/admin/cache",
        "GET /api/v1/internal/admin/stats",
        "GET /api/v1/items/",
        "GET /api/v1/items/{item_id}",
        "GET /api/v1/me/profile",
        "GET /api/v1/profile",
        "GET /api/v1/users/me",
        "GET /api/v1/users/{user_id}",
        "GET /health",
        "GET /legacy/ping",
        "POST /api/v1/items/",
    ]


def test_calls_reach_their_routes(fixture_ws: Workspace):
    assert _targets(fixture_ws, "/items/?skip") == ["GET /api/v1/items/ read_items"]
    assert _targets(fixture_ws, "/users/{user.id}") == ["GET /api/v1/users/{user_id} read_user", "GET /api/v1/users/me read_user_me"]
    assert _targets(fixture_ws, "/users/me") == ["GET /api/v1/users/me read_user_me", "GET /api/v1/users/{user_id} read_user"]
    assert _targets(fixture_ws, "{kind}/1") == ["GET /api/v1/items/{item_id} read_item", "GET /api/v1/users/{user_id} read_user"]
    assert _targets(fixture_ws, "{base_url}/health") == ["GET /health health"]
    assert _targets(fixture_ws, "/internal/admin/stats") == ["GET /api/v1/internal/admin/stats stats"]
    assert _targets(fixture_ws, '"/health"') == []  # `other` is no client fixture


def test_tests_of_each_route_and_the_texts_shown(fixture_ws: Workspace):
    items = str(NAV / "app" / "api" / "routes" / "items.py")
    counts = {r.function: len(fixture_ws.tests_of(items, r)) for r in fixture_ws.routes_in(items)}
    assert counts == {"read_items": 1, "read_item": 2, "create_item": 1}
    test_path = str(NAV / "tests" / "test_api.py")
    entry = fixture_ws.entries[test_path]
    assert entry.facts is not None
    lines = entry.lines
    row = next(i for i, line in enumerate(lines) if "{item.id}" in line)
    call = call_at(entry.facts.calls, row, lines[row].index("{item.id}"))
    assert call is not None
    (best,) = fixture_ws.matches(test_path, call)
    assert lens_title(best, 0) == "→ GET /api/v1/items/{item_id} · read_item"
    card = route_card(best)
    assert "**GET /api/v1/items/{item_id}**" in card and "Read one item by its id." in card and "`status_code=200`" in card


def test_module_qualified_settings_factories_and_two_includes(tmp_path: Path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "config.py").write_text(
        textwrap.dedent(
            '''\
            from functools import lru_cache
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                PREFIX: str = "/api"

            @lru_cache
            def get_settings() -> Settings:
                return Settings()
            '''
        )
    )
    (tmp_path / "app" / "main.py").write_text(
        textwrap.dedent(
            '''\
            import app.config as config
            from fastapi import APIRouter, FastAPI

            router = APIRouter(prefix="/things")

            @router.get("/{thing_id}")
            def read_thing(thing_id: int): ...

            app = FastAPI()
            app.include_router(router, prefix=config.get_settings().PREFIX)
            app.include_router(router, prefix="/v2")
            '''
        )
    )
    (tmp_path / "test_main.py").write_text(
        textwrap.dedent(
            '''\
            from fastapi.testclient import TestClient
            from app.config import get_settings
            from app.main import app

            client = TestClient(app)

            def test_it():
                client.get(f"{get_settings().PREFIX}/things/3")
                client.get("/v2/things/4?x=1")
            '''
        )
    )
    ws = Workspace(_index(tmp_path))
    assert sorted(t.label for t in ws.targets) == ["GET /api/things/{thing_id}", "GET /v2/things/{thing_id}"]
    path = str(tmp_path / "test_main.py")
    facts = ws.entries[path].facts
    assert facts is not None
    assert [[m.target.label for m in ws.matches(path, c)] for c in facts.calls] == [
        ["GET /api/things/{thing_id}"],
        ["GET /v2/things/{thing_id}"],
    ]


# --------------------------------------------------------------------------------------
# incremental reading (the previous version's chunks reused) == reading from scratch


def _routes_view(found) -> tuple:
    routes = [
        (r.methods, r.path, r.path_text, r.owner.key, r.owner.name, r.function, r.kind, r.decorator, r.path_span, r.name_span,
         r.def_span, r.block, r.order, r.repaired, r.offset, r.other_decorators, r.include_prefix, r.call_path, r.func_path,
         r.chunk.start_line if r.chunk is not None else None)
        for r in found.routes
    ]
    owners = [
        (o.key, o.name, o.kind, o.cls, o.local, o.module_level, o.span, o.prefix, o.prefix_known, o.prefix_pattern, o.call_offset, o.call_path)
        for o in found.owners
    ]
    includes = [(i.owner.name if i.owner else None, i.arg_text, i.prefix, i.span, i.offset, i.kind, i.prefix_pattern) for i in found.includes]
    return routes, owners, includes, found.references, found.loaded_names


def _facts_view(facts) -> tuple:
    return (
        facts.calls, facts.client_fixtures, list(facts.strings.items()), list(facts.classes.items()),
        list(facts.instances.items()), list(facts.returns.items()), list(facts.imports.items()), list(facts.modules.items()),
    )


_SNIPPETS = [
    "",
    "# a comment",
    "client = TestClient(app)",
    "other = client",
    "from fastapi.testclient import TestClient",
    "import httpx",
    "from app.main import app",
    "PREFIX = '/api'",
    "def test_x(client):",
    "    client.get(f'{PREFIX}/items/1')",
    "    r = client.post('/users/')",
    "    self.client = TestClient(app)",
    "class TestThing:",
    "    def setup_method(self):",
    "    def test_y(self):",
    "        self.client.get('/health')",
    "@pytest.fixture",
    "def c():",
    "    return TestClient(app)",
    "    with TestClient(app) as tc:",
    "        tc.delete('/api/v1/internal/admin/cache')",
    "router = APIRouter(prefix='/x')",
    "@router.get('/{item_id}')",
    "def read(item_id: int): ...",
    "app.include_router(router, prefix=settings.API_V1_STR)",
    "if True:",
    "    pass",
    "x = (",
    '"""',
]


_HEADERS = ["from fastapi.testclient import TestClient", "client = TestClient(app)", "import fastapi.testclient as ftc", "client = ftc.TestClient(app)"]
_BLOCKS = [
    "class TestSelf:\n    def setup_method(self):\n        self.client = TestClient(app)\n\n    def test_it(self):\n        self.client.get('/health')",
    "class TestOther:\n    def test_more(self):\n        self.client.get('/api/v1/profile')\n        client.get('/legacy/ping')",
    "if True:\n    @router.get('/nested')\n    def nested(): ...\n    router.include_router(other)",  # routes in a nested block
]


def _edit(lines: list[str], rnd) -> None:
    op = rnd.randrange(7)
    at = rnd.randrange(len(lines) + 1)
    if op == 5:  # what other chunks read: the imports and the module's clients
        if rnd.random() < 0.5 and lines:
            del lines[rnd.randrange(min(4, len(lines)))]
        else:
            lines.insert(rnd.randrange(min(4, len(lines)) + 1), rnd.choice(_HEADERS))
    elif op == 6:
        lines[at:at] = ["", *rnd.choice(_BLOCKS).split("\n"), ""]
    elif op == 0 or not lines:
        lines.insert(at, rnd.choice(_SNIPPETS))
    elif op == 1:
        del lines[min(at, len(lines) - 1)]
    elif op == 2:
        row = min(at, len(lines) - 1)
        text = lines[row]
        col = rnd.randrange(len(text) + 1)
        lines[row] = text[:col] + rnd.choice(["(", ")", '"', " ", "x", "/", "{", "é", "😀"]) + text[col + 1 :]
    elif op == 3:
        row = min(at, len(lines) - 1)
        lines.insert(row, lines[row])  # a duplicate: two chunks with the same text
    else:
        lines[:] = lines[at:] + lines[:at]  # chunks move


@pytest.mark.parametrize(
    "rel", ["tests/test_api.py", "tests/conftest.py", "app/api/routes/users.py", "app/api/main.py", "app/core/config.py", "app/main.py"]
)
def test_incremental_reading_equals_reading_from_scratch(rel: str):
    import random

    from fastapi_docs_lsp.core.routes import extract_routes

    module = rel[:-3].replace("/", ".")
    rnd = random.Random(rel)
    original = (NAV / rel).read_text().split("\n")
    lines = list(original)
    routes_before = facts_before = None
    for step in range(120):
        if step % 8 == 7:  # back to the original text, moved down: its chunks are read where they are now
            lines = ["# moved"] * rnd.randrange(1, 4) + original
        _edit(lines, rnd)
        analysis = analyze("\n".join(lines), module_name=module)  # incremental, as the server's
        routes = extract_routes(analysis, None, module, routes_before)
        facts = module_facts(analysis, module, facts_before)
        assert _routes_view(routes) == _routes_view(extract_routes(analysis, None, module))
        assert _facts_view(facts) == _facts_view(module_facts(analysis, module))
        routes_before, facts_before = routes, facts


def _view_of(ws: Workspace) -> tuple:
    def t(x) -> tuple:
        target = x if isinstance(x, RouteTarget) else x[1]
        head = () if isinstance(x, RouteTarget) else (x[0],)
        return (*head, target.path, target.route.order, target.route.methods, target.template)

    tables = [{k: [t(x) for x in v] for k, v in table.items()} for table in (ws._by_method, ws._loose, ws._buckets, ws._by_size)]
    return [t(x) for x in ws.targets], tables


_ROUTE_EDITS = [
    ('@router.get("/me")', '@router.post("/me")'),
    ('@router.get("/me")', '@router.get("/me/")'),
    ('@router.get("/{user_id}")', '@router.get("/{user_id}/detail")'),
    ("def read_user_me", "\n\ndef read_user_me"),
    ('@router.get("/', '@router.get("/extra")\n@router.get("/'),
    ('"/extra"', '"/{extra}"'),  # a new route matching calls that matched others
    ('"/extra"', '"/me"'),
    ('@router.get("/me/")', '@router.get("/me")'),
    ("import", "\nimport"),
    ('APIRouter(prefix="/users"', 'APIRouter(prefix="/people"'),
    ('APIRouter(prefix="/people"', 'APIRouter(prefix="/users"'),
    ('prefix="/internal"', 'prefix="/inner"'),  # the include graph changes: built again
    ('prefix="/inner"', 'prefix="/internal"'),
    ('include_router(items.router)', 'include_router(items.router, prefix="/v2")'),
    ('include_router(items.router, prefix="/v2")', 'include_router(items.router)'),
    ('"/api/v1"', '"/api/v2"'),
    ('"/api/v2"', '"/api/v1"'),
    ('@app.get("/health")', '@app.get("/healthz")'),
    ('@app.get("/healthz")', '@app.get("/health")'),  # a call that matched nothing matches again
    ('"/admin/cache"', '"/admin/cachex"'),
    ('"/admin/cachex"', '"/admin/cache"'),  # the same with a literal URL
]


def test_a_workspace_updated_by_file_delta_equals_one_built_again(tmp_path: Path):
    import random
    import shutil

    root = tmp_path / "navigation"
    shutil.copytree(NAV, root)
    index = _index(root)
    ws = Workspace(index)
    files = [root / "app" / "api" / "routes" / name for name in ("users.py", "items.py", "admin.py")]
    files += [root / "app" / "api" / "main.py", root / "app" / "core" / "config.py", root / "app" / "main.py"]
    tests = str(root / "tests" / "test_api.py")
    rnd = random.Random(18)
    deltas = 0
    for _ in range(80):
        path = rnd.choice(files)
        text = path.read_text()
        applicable = [(old, new) for old, new in _ROUTE_EDITS if old in text]
        if applicable:
            old, new = rnd.choice(applicable)
            at = rnd.choice([i for i in range(len(text)) if text.startswith(old, i)])
            text = text[:at] + new + text[at + len(old) :]
        else:
            text = text + "\n"
        path.write_text(text)
        index.update(str(path))
        updated = Workspace(index, previous=ws)
        fresh = Workspace(index)
        deltas += updated.delta
        assert _view_of(updated) == _view_of(fresh)
        calls = index.files[tests].facts.calls
        assert [[(m.target.label, m.score) for m in updated.matches(tests, c)] for c in calls] == [
            [(m.target.label, m.score) for m in fresh.matches(tests, c)] for c in calls
        ]
        ws = updated
    assert 20 < deltas < 80  # most edits keep the include graph


def test_calls_read_ahead_of_the_entry_are_the_calls_of_the_text_now():
    texts = {"/w/tests/test_a.py": 'from fastapi.testclient import TestClient\nfrom app import app\n\nlate.get("/x")\n'}

    def analysis(path: str):
        return analyze(texts[path], module_name="tests.test_a")

    index = RouteIndex(["/w"], analysis, lambda path: "tests.test_a", stamp_for=lambda path: ("open", texts[path]))
    path = "/w/tests/test_a.py"
    entry = index.update(path)
    assert entry is not None and entry.facts is not None and entry.facts.calls == []
    texts[path] = texts[path].replace("from app import app\n", "from app import app\n\nlate = TestClient(app)\n")
    got = index.calls_for(path)
    assert got is not None
    lines, facts = got
    assert [lines[c.url_span.line][c.url_span.start : c.url_span.end] for c in facts.calls] == ['"/x"']
    assert index.files[path] is entry  # the entry (routes and all) is read on ``update``
    fresh = module_facts(analyze(texts[path], module_name="tests.test_a"), "tests.test_a")
    assert facts.calls == fresh.calls
    updated = index.update(path)
    assert updated is not None and updated.facts is not None and updated.facts.calls == facts.calls
    assert index.calls_for(path) == (updated.lines, updated.facts)


def test_lenses_kept_across_edits_equal_lenses_made_afresh():
    """The CodeLens adapter keeps each call's lens while its call, lines and matches are the
    same objects: over random edits of tests and routes, what it answers equals a fresh answer."""
    import random
    from types import SimpleNamespace

    from fastapi_docs_lsp.features import navigation as features

    class FakeServer:  # what ``_compute_lenses`` reads of the server
        def __init__(self) -> None:
            self.workspace = SimpleNamespace(text_documents={})
            self.client_capabilities = SimpleNamespace(experimental=None)

    files = {str(p): p.read_text() for p in NAV.rglob("*.py")}

    def module_name(path: str) -> str:
        parts = list(Path(path).relative_to(NAV).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def analysis(path: str):
        return analyze(files[path], module_name=module_name(path), is_package=is_package_file(path))

    index = RouteIndex([str(NAV)], analysis, module_name, stamp_for=lambda path: ("open", files.get(path)))
    index.refresh()
    tests, users = str(NAV / "tests" / "test_api.py"), str(NAV / "app" / "api" / "routes" / "users.py")
    kept_server = FakeServer()
    ws = Workspace(index)
    rnd = random.Random(7)
    for _ in range(60):
        path = rnd.choice([tests, tests, users])
        if path == tests:
            lines = files[path].split("\n")
            _edit(lines, rnd)
            files[path] = "\n".join(lines)
        else:
            old, new = rnd.choice([(o, n) for o, n in _ROUTE_EDITS if o in files[path]] or [("\n", "\n\n")])
            files[path] = files[path].replace(old, new, 1)
        index.update(path)
        if ws.generation != index.generation:
            ws = Workspace(index, previous=ws)
        for shown in (tests, users):
            entry = index.files[shown]
            uri = Path(shown).as_uri()
            kept = features._compute_lenses(kept_server, uri, shown, ws, entry)  # type: ignore[arg-type]
            fresh = features._compute_lenses(FakeServer(), uri, shown, Workspace(index), entry)  # type: ignore[arg-type]
            assert kept == fresh


def test_matches_kept_by_a_delta_are_dropped_when_a_new_route_matches(tmp_path: Path):
    import shutil

    root = tmp_path / "navigation"
    shutil.copytree(NAV, root)
    index = _index(root)
    tests = str(root / "tests" / "test_api.py")
    admin, users = root / "app" / "api" / "routes" / "admin.py", root / "app" / "api" / "routes" / "users.py"

    def labels(ws: Workspace) -> list[list[str]]:
        return [[m.target.label for m in ws.matches(tests, c)] for c in index.files[tests].facts.calls]

    ws = Workspace(index)
    labels(ws)
    steps = [
        (admin, '"/admin/cache"', '"/admin/cachex"'),  # the DELETE call now matches nothing
        (users, '"/me"', '"/me2"'),  # kept: no route of users.py matches it
        (admin, '"/admin/cachex"', '"/admin/cache"'),  # dropped: the new route matches it
        (users, '"/me2"', '"/{anything}"'),
    ]
    for path, old, new in steps:
        path.write_text(path.read_text().replace(old, new))
        index.update(str(path))
        ws = Workspace(index, previous=ws)
        assert ws.delta
        assert labels(ws) == labels(Workspace(index))


def test_a_line_that_cannot_hold_a_call_url_is_known_from_its_text():
    from fastapi_docs_lsp.core.navigation import CALL_LOOKBACK, may_be_call_url

    lines = [
        "def test_read(client):",
        '    r = client.get("/items/1")',
        "    r = client.post(",
        '        "/items/",',
        '        json={"a": 1},',
        "    )",
        "    assert r.status_code == 200",
        '    other = {"get": 1}',
    ]
    assert may_be_call_url(lines, 1) and may_be_call_url(lines, 3) and may_be_call_url(lines, 4)
    assert not may_be_call_url(lines, 0)  # no string on it
    assert not may_be_call_url(lines, 6)
    far = ["    r = client.get(", *["        # a comment line" for _ in range(CALL_LOOKBACK)], '        "/x",']
    assert not may_be_call_url(far, len(far) - 1) and may_be_call_url(far[:1] + far[2:], len(far) - 2)
    assert not may_be_call_url(lines, 99) and not may_be_call_url([], 0)
    # a route's own path is not a client call's URL
    routes = ['@router.get("/items/{item_id}")', "@app.post(", '    "/items/",', "    response_model=Item,", ")"]
    assert not any(may_be_call_url(routes, n) for n in range(len(routes)))
