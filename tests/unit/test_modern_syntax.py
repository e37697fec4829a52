"""Python syntax newer than the server's interpreter: PEP 758, 695, 701 and 750 parse with exact
positions (lowered when the interpreter cannot parse them), and no statement around them is lost."""

from __future__ import annotations

import ast
import sys
import textwrap

import pytest

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.lowering import lower
from fastapi_docs_lsp.core.parsing import parse_module

from .test_analysis import find


def hover(src: str, needle: str, db, occurrence: int = 0, offset: int = 0):
    occ = analyze(src, db=db).at(*find(src, needle, occurrence, offset))
    return None if occ is None else occ.target


PEP758 = textwrap.dedent(
    """
    from fastapi import Depends, HTTPException, status

    def get_user(token: str = Depends(lambda: "t")):
        before = status.HTTP_401_UNAUTHORIZED
        try:
            user = int(token)
        except ValueError, TypeError:
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="no")
        after = status.HTTP_200_OK
        return user

    tail = status.HTTP_201_CREATED
    """
)


@pytest.mark.parametrize(
    "needle, target",
    [
        ("HTTP_401_UNAUTHORIZED", "fastapi.status.HTTP_401_UNAUTHORIZED"),  # before
        ("HTTPException(status", "fastapi.HTTPException"),  # inside the handler
        ("HTTP_403_FORBIDDEN", "fastapi.status.HTTP_403_FORBIDDEN"),
        ("status_code=status.HTTP_403", "fastapi.HTTPException"),  # keyword
        ("HTTP_200_OK", "fastapi.status.HTTP_200_OK"),  # after, same function
        ("HTTP_201_CREATED", "fastapi.status.HTTP_201_CREATED"),  # next statement
        ("Depends(lambda", "fastapi.Depends"),
    ],
)
def test_pep758_except_without_parentheses(api_db, needle, target):
    assert hover(PEP758, needle, api_db) == target


PEP695 = textwrap.dedent(
    """
    from typing import Annotated
    from fastapi import APIRouter, Depends, Request, status

    router = APIRouter()
    type RequestAlias = Request
    type Dep[T] = Annotated[T, Depends(lambda: None)]

    def helper[T: int](request: Request, value: T) -> T:
        request.url.path
        return value

    class Box[T](APIRouter):
        def add[U](self, item: U) -> None:
            self.add_api_route("/x", lambda: item)

    @router.get("/x", status_code=status.HTTP_200_OK)
    async def endpoint(request: RequestAlias):
        return request.client
    """
)


@pytest.mark.parametrize(
    "needle, target, occurrence",
    [
        ("router = APIRouter", "fastapi.APIRouter", 0),
        ("Request\n", "fastapi.Request", 0),  # value of `type RequestAlias = Request`
        ("Depends(lambda", "fastapi.Depends", 0),  # inside a generic type alias
        ("Request, value", "fastapi.Request", 0),  # parameter of a generic def
        ("url.path", "starlette.datastructures.URL.path", 0),
        ("APIRouter):", "fastapi.APIRouter", 0),  # base of a generic class
        ("add_api_route", "fastapi.routing.APIRouter.add_api_route", 0),  # method of a generic class
        ("router.get", "fastapi.routing.APIRouter.get", 0),  # after
        ("HTTP_200_OK", "fastapi.status.HTTP_200_OK", 0),
        ("client\n", "starlette.requests.HTTPConnection.client", 0),  # annotated with the alias
    ],
)
def test_pep695_type_params_and_aliases(api_db, needle, target, occurrence):
    offset = len("router.") if needle == "router.get" else (len("url.") if needle == "url.path" else 0)
    got = hover(PEP695, needle, api_db, occurrence, offset)
    assert got is not None and got.endswith(target.rsplit(".", 1)[-1]), got


PEP701 = textwrap.dedent(
    '''
    from fastapi import HTTPException, Request, status

    async def handler(request: Request, items: dict):
        first = status.HTTP_200_OK
        a = f"{items["key"]} {request.url.path!r:>{len(items)}}"
        b = f"{f"{status.HTTP_404_NOT_FOUND}"}"
        c = f"""{
            request.method  # a comment in a replacement field
        }"""
        d = f"{'\\n'.join(request.headers)}"
        e = t"{request.client} {status.HTTP_418_IM_A_TEAPOT=}"
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=a + b + c + d)
    '''
)


@pytest.mark.parametrize(
    "needle, target, offset",
    [
        ("HTTP_200_OK", "fastapi.status.HTTP_200_OK", 0),  # before
        ("url.path", "starlette.requests.Request.url", 0),  # nested same quotes on the line
        ("path!r", "starlette.datastructures.URL.path", 0),
        ("HTTP_404_NOT_FOUND", "fastapi.status.HTTP_404_NOT_FOUND", 0),  # nested f-string
        ("method", "starlette.requests.Request.method", 0),  # multi-line field with a comment
        ("headers)", "starlette.requests.HTTPConnection.headers", 0),  # backslash in a field
        ("client}", "starlette.requests.HTTPConnection.client", 0),  # t-string
        ("HTTP_418_IM_A_TEAPOT", "fastapi.status.HTTP_418_IM_A_TEAPOT", 0),
        ("HTTPException(status", "fastapi.HTTPException", 0),  # after
        ("HTTP_400_BAD_REQUEST", "fastapi.status.HTTP_400_BAD_REQUEST", 0),
    ],
)
def test_pep701_and_pep750_strings(api_db, needle, target, offset):
    got = hover(PEP701, needle, api_db, 0, offset)
    assert got is not None and got.rsplit(".", 1)[-1] == target.rsplit(".", 1)[-1], got


@pytest.mark.parametrize("src", [PEP758, PEP695, PEP701])
def test_no_statement_is_lost_or_repaired(src):
    chunks = parse_module(src)
    assert all(c.tree is not None and not c.repaired for c in chunks)
    top_level = sum(len(c.tree.body) for c in chunks if c.tree is not None)
    native = len(ast.parse(src).body) if sys.version_info >= (3, 14) else None
    assert native is None or top_level == native
    assert top_level >= src.count("\ndef ") + src.count("\nasync def ") + src.count("\nclass ")


def names_at(text: str) -> list[tuple[int, int, str]]:
    tree = ast.parse(text)
    return sorted((n.lineno, n.col_offset, n.id) for n in ast.walk(tree) if isinstance(n, ast.Name))


@pytest.mark.parametrize(
    "src",
    [
        "try:\n    pass\nexcept A, B.C, D as e:\n    pass\n",
        "try:\n    pass\nexcept* A, B:\n    pass\n",
        "type X = int\ntype L[T: (A, B), *Ts, **P] = list[T]\n",
        "def f[T](x: T, *, y: 'é' = Z) -> T:\n    return x\n",
        "class C[T = int](Base, metaclass=M):\n    def m[U](self): pass\n",
        'x = f"é {a["k"]!r:{w}.{p}} {{no}} {b=} {f"{c}"}"\n',
        "x = f'''{\n  a  # note\n  + b}'''\ny = t'{c}'\n",
        "x = rf'\\d{a}' + f'\\N{BULLET} {b}'\n",
    ],
)
def test_lowering_keeps_every_name_in_place(src):
    lowered = lower(src)
    assert lowered is not None
    assert lowered.encode().split(b"\n") != src.encode().split(b"\n")
    assert [len(line) for line in lowered.encode().split(b"\n")] == [len(line) for line in src.encode().split(b"\n")]
    src_lines = src.encode().split(b"\n")
    for line, col, name in names_at(lowered):
        assert src_lines[line - 1][col : col + len(name.encode())].decode() == name


def test_lowering_leaves_plain_code_alone():
    assert lower("x = f'{a}'\ntype = 3\nprint(type)\n") is not None  # the f-string lowers
    assert lower("type = 3\ntype(x)\ndef f(): pass\n") is None


def test_lone_surrogate_keeps_its_statement(api_db):
    src = 'from fastapi import status\n\ndef f():\n    # bad \ud800 here\n    s = "\udcff"\n    return status.HTTP_200_OK\n'
    chunks = parse_module(src)
    assert all(c.tree is not None and not c.repaired for c in chunks)
    assert hover(src, "HTTP_200_OK", api_db) == "fastapi.status.HTTP_200_OK"


def test_one_line_fstring_with_fields_spanning_lines(api_db):
    src = 'from fastapi import status\n\nx = f"{\n    status.HTTP_200_OK  # ok\n}"\ny = status.HTTP_201_CREATED\n'
    chunks = parse_module(src)
    assert all(c.tree is not None and not c.repaired for c in chunks)
    assert hover(src, "HTTP_200_OK", api_db) == "fastapi.status.HTTP_200_OK"
    assert hover(src, "HTTP_201_CREATED", api_db) == "fastapi.status.HTTP_201_CREATED"
