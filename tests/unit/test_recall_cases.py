"""Recall on real code: the general cases behind missed hovers, each with positives and silences."""

from __future__ import annotations

import textwrap

import pytest

from fastapi_docs_lsp.core.analysis import analyze

from .test_analysis import find


def at(src: str, needle: str, db, occurrence: int = 0, offset: int = 0):
    occ = analyze(src, db=db, incremental=False).at(*find(src, needle, occurrence, offset))
    return None if occ is None else (occ.target, occ.kind, occ.param)


FACTORY = textwrap.dedent(
    """
    from fastapi import APIRouter as _BaseRouter
    from fastapi.routing import APIRoute

    class TimedRoute(APIRoute):
        pass

    def make_router_class(route_class: type[APIRoute]) -> type[_BaseRouter]:
        class Router(_BaseRouter):
            def __init__(self, **kwargs):
                super().__init__(route_class=route_class, **kwargs)
        return Router

    def make_plain(x) -> type[dict]:
        return dict

    APIRouter = make_router_class(TimedRoute)
    Plain = make_plain(1)
    router = APIRouter(prefix="/items")
    plain = Plain(prefix="/x")

    @router.get("/")
    def index():
        return plain.get("a")
    """
)


@pytest.mark.parametrize(
    "needle, expected, offset",
    [
        ("router.get", ("fastapi.routing.APIRouter.get", "member", None), len("router.")),
        ('prefix="/items"', ("fastapi.routing.APIRouter", "keyword", "prefix"), 0),
        ("router = ", ("fastapi.routing.APIRouter", "instance", None), 0),
    ],
)
def test_class_from_a_type_returning_factory(api_db, needle, expected, offset):
    got = at(FACTORY, needle, api_db, offset=offset)
    assert got is not None and got[1:] == expected[1:] and got[0].endswith(expected[0].rsplit(".", 1)[-1])


@pytest.mark.parametrize("needle, offset", [('prefix="/x"', 0), ("plain.get", len("plain.")), ("Plain(", 0)])
def test_factory_of_non_fastapi_classes_is_silent(api_db, needle, offset):
    assert at(FACTORY, needle, api_db, offset=offset) is None


ALIASES = textwrap.dedent(
    """
    from fastapi import APIRouter, Depends, Security
    from fastapi.security import OAuth2PasswordBearer

    MyRouter = APIRouter
    Other = dict
    r = MyRouter(tags=["a"])
    o = Other(tags=["a"])
    scheme = OAuth2PasswordBearer(tokenUrl="t")
    auth = Depends(scheme)
    admin = Security(scheme, scopes=["admin"])
    not_dep = len([1])

    @r.get("/", dependencies=[auth, admin])
    def read(user=auth, other=not_dep):
        return r.routes
    """
)


@pytest.mark.parametrize(
    "needle, kind, target_tail, occurrence",
    [
        ("r.get", "member", "get", 0),  # an instance of the alias
        ('tags=["a"]', "keyword", "APIRouter", 0),
        ("auth, admin", "instance", "Depends", 0),  # a variable assigned from Depends(...)
        ("admin]", "instance", "Security", 0),
        ("auth, other", "instance", "Depends", 0),
    ],
)
def test_class_aliases_and_depends_variables(api_db, needle, kind, target_tail, occurrence):
    offset = 2 if needle == "r.get" else 0
    got = at(ALIASES, needle, api_db, occurrence, offset)
    assert got is not None and got[1] == kind and got[0].endswith(target_tail), got


@pytest.mark.parametrize("needle, occurrence", [('tags=["a"]', 1), ("not_dep)", 0), ("Other(", 0)])
def test_aliases_of_other_classes_are_silent(api_db, needle, occurrence):
    assert at(ALIASES, needle, api_db, occurrence) is None


MODELS = textwrap.dedent(
    """
    from dataclasses import dataclass
    from fastapi import FastAPI, Request, UploadFile
    from pydantic import BaseModel

    app = FastAPI()

    class Payload(BaseModel):
        upload: UploadFile
        files: list[UploadFile] = []
        name: str = ""

    class Extended(Payload):
        extra: int = 0

    @dataclass
    class Context:
        request: Request
        count: int

    class Plain:
        value: str

    @app.post("/")
    async def create(data: Payload, ext: Extended, ctx: Context, plain: Plain):
        await data.upload.read()
        await data.files[0].close()
        ext.upload.filename
        ctx.request.url
        data.name.upper()
        plain.value.upper()
        return ctx.count
    """
)


@pytest.mark.parametrize(
    "needle, expected, offset",
    [
        ("upload.read", ("fastapi.UploadFile", "instance"), 0),
        ("read()", ("fastapi.UploadFile.read", "member"), 0),  # through a pydantic model's field
        ("close()", ("fastapi.UploadFile.close", "member"), 0),  # an element of a list-typed field
        ("filename", ("fastapi.UploadFile.filename", "member"), 0),  # inherited from a user base class
        ("url\n", ("starlette.requests.Request.url", "member"), 0),  # a dataclass attribute
    ],
)
def test_attributes_of_user_classes(api_db, needle, expected, offset):
    got = at(MODELS, needle, api_db, offset=offset)
    assert got is not None and got[1] == expected[1] and got[0].rsplit(".", 1)[-1] == expected[0].rsplit(".", 1)[-1], got


@pytest.mark.parametrize("needle", ["name.upper", "upper()", "value.upper", "count\n", "data: Payload", "Payload(BaseModel)"])
def test_other_attributes_of_user_classes_are_silent(api_db, needle):
    got = at(MODELS, needle, api_db)
    assert got is None or (needle == "data: Payload" and got is None), got


ROUTES = textwrap.dedent(
    """
    from fastapi import APIRouter, FastAPI

    app = FastAPI()
    router = APIRouter()
    first = router.routes[0]
    first.url_path_for("x")
    app.routes[-1].matches({})
    for route in app.routes:
        route.url_path_for("y")
    app.routes[1:][0].handle
    names = [1, 2][0].bit_length()
    router.routes[0].not_a_member
    """
)


@pytest.mark.parametrize(
    "needle, tail",
    [("url_path_for(\"x\")", "url_path_for"), ("matches", "matches"), ('url_path_for("y")', "url_path_for"), ("handle", "handle"), ("routes[0]", "routes")],
)
def test_elements_of_list_typed_attributes(api_db, needle, tail):
    got = at(ROUTES, needle, api_db)
    assert got is not None and got[0].endswith(tail), got


@pytest.mark.parametrize("needle", ["bit_length", "not_a_member"])
def test_elements_of_other_lists_are_silent(api_db, needle):
    assert at(ROUTES, needle, api_db) is None


SUBCLASS_INIT = textwrap.dedent(
    """
    from fastapi import FastAPI, APIRouter

    class App(FastAPI):
        def __init__(self, *, settings: dict, title: str = "x", **kwargs):
            super().__init__(title=title, **kwargs)
            self.settings = settings

    class Closed(APIRouter):
        def __init__(self, name: str, prefix: str = ""):
            super().__init__(prefix=prefix)

    class Open(APIRouter):
        pass

    class Sub(App):
        pass

    app = App(settings={}, title="t", version="1", docs_url=None)
    closed = Closed(name="n", prefix="/p")
    opened = Open(prefix="/o", tags=["t"])
    sub = Sub(settings={}, debug=True)
    """
)


@pytest.mark.parametrize(
    "needle, owner",
    [('title="t"', "FastAPI"), ('version="1"', "FastAPI"), ("docs_url", "FastAPI"), ('prefix="/p"', "APIRouter"), ('prefix="/o"', "APIRouter"), ("tags=", "APIRouter"), ("debug=", "FastAPI")],
)
def test_subclass_init_parameters_passed_on(api_db, needle, owner):
    got = at(SUBCLASS_INIT, needle, api_db)
    assert got is not None and got[1] == "keyword" and got[0].endswith(owner), got


@pytest.mark.parametrize("needle, occurrence", [("settings={}", 0), ('name="n"', 0), ("settings={}", 1)])
def test_subclass_own_init_parameters_are_silent(api_db, needle, occurrence):
    assert at(SUBCLASS_INIT, needle, api_db, occurrence) is None


def test_super_init_keywords_go_to_the_fastapi_class(api_db):
    src = "from fastapi import APIRouter\n\nclass R(APIRouter):\n    def __init__(self, **kw):\n        super().__init__(prefix='/x', **kw)\n        self.__init__\n"
    got = at(src, "prefix=", api_db)
    assert got is not None and got[1] == "keyword" and got[0].endswith("APIRouter")
    plain = "class R(dict):\n    def __init__(self, **kw):\n        super().__init__(prefix='/x', **kw)\n"
    assert at(plain, "prefix=", api_db) is None
