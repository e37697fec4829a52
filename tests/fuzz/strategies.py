"""Shared pieces of the fuzz tests: hypothesis profiles, realistic FastAPI sources, edit strategies,
and a reference model of LSP text edits (positions in UTF-16 code units, lines split at
``\\n``, ``\\r\\n`` and ``\\r`` only).

Profiles (env ``HYPOTHESIS_PROFILE``): ``ci`` (default: few examples, bounded run time) and
``long`` (thousands of examples, for a local soak of the fuzzers).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from benchmarks.genapp import generate  # noqa: E402

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long", max_examples=2000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def examples(ci: int, long: int | None = None) -> int:
    """``max_examples`` for one test: small under the ci profile, the profile's size otherwise."""
    if PROFILE == "ci":
        return ci
    return long or settings.get_profile(PROFILE).max_examples


# --------------------------------------------------------------------------------------
# realistic modules

MODULES: dict[str, str] = {}

MODULES["crud"] = '''from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

app = FastAPI(title="Shop")
router = APIRouter(prefix="/items", tags=["items"])


class Item(BaseModel):
    name: str
    price: float


def get_session():
    yield {}


@router.get("/{item_id}", response_model=Item, status_code=status.HTTP_200_OK)
async def read_item(item_id: int, q: Annotated[str | None, Query(max_length=50)] = None, db=Depends(get_session)):
    if item_id not in db:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="missing")
    return db[item_id]


@router.post("/", status_code=201, response_class=JSONResponse)
def create_item(item: Item) -> Item:
    return item


app.include_router(router)
'''

MODULES["unicode_crlf"] = (
    '# -*- coding: utf-8 -*-\r\n'
    '"""Service with emoji 😀 and accents é in the source."""\r\n'
    'from fastapi import FastAPI, Header, Request\r\n'
    'from fastapi.responses import HTMLResponse\r\n'
    '\r\n'
    'app = FastAPI(title="Café ☕ 😀")\r\n'
    '\r\n'
    '\r\n'
    '@app.get("/héllo/😀", response_class=HTMLResponse)\r\n'
    'async def hello(request: Request, user_agent: str | None = Header(default=None)):  # 🎉 emoji\r\n'
    '    return f"<p>{request.url_for(\'hello\')} 😀</p>"\r\n'
    '\r\n'
    'greeting = "👋🏽"; app.add_api_route("/wave", hello, methods=["GET"])\r\n'
)

MODULES["security_ws"] = '''from fastapi import Depends, FastAPI, Security, WebSocket, WebSocketDisconnect
from fastapi.security import HTTPBearer, OAuth2PasswordBearer, SecurityScopes
from starlette.middleware.cors import CORSMiddleware
import fastapi

app = fastapi.FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=["*"])
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "Read me"})
bearer = HTTPBearer(auto_error=False)


async def current_user(scopes: SecurityScopes, token: str = Depends(oauth2)):
\tif not token:
\t\treturn None
\treturn {"scopes": scopes.scopes}


@app.websocket("/ws")
async def ws(websocket: WebSocket, user=Security(current_user, scopes=["me"])):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(data)
    except WebSocketDisconnect:
        pass
'''

MODULES["broken"] = '''from fastapi import FastAPI, Query, Path
app = FastAPI(
@app.get("/x", response_model=
def f(q: str = Query(max_length=3), p: int = Path(
    return q
@app.post("/y"
class Broken(:
    x = [1, 2,
\x00
async def g(): return app.url_path_for("f"
'''

MODULES["generated"] = generate(260, index=3, seed=7)

#: names of sources, for ``st.sampled_from``
MODULE_NAMES = sorted(MODULES)


# --------------------------------------------------------------------------------------
# edits

#: fragments typed by the fuzzer: code, brackets, decorators, whitespace, hostile characters
FRAGMENTS = [
    "a", "x", "_", "0", " ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", "    ",
    "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "'", '"', '"""', "#", "\\",
    "@app.get(", "@router.post(\"/", "app.", "router.", "Query(", "Depends(", "status.HTTP_",
    "def f(", "async def ", "class C(BaseModel):", "from fastapi import ", "import fastapi\n",
    "response_model=", "max_length=", "FastAPI(", "HTTPException(status_code=",
    "😀", "👋🏽", "é", "中文", "\u200b", "\ufeff", "\x00", "\x0c", "\x0b", "\x85", "\u2028", "\ud800", "\udfff",
    "\x1b[31m", "lambda: ", "yield ", "await ", "if True:\n    ", "\n@app.get('/')\ndef h(): pass\n",
]

fragment = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6))


@dataclass(frozen=True)
class Edit:
    """An edit in client coordinates: lines and UTF-16 columns, possibly past the end."""

    start_line: int
    start_char: int
    end_line: int
    end_char: int
    text: str


@st.composite
def edits(draw, text: str) -> Edit:
    """A random edit of ``text``: insertion, deletion or replacement, anywhere (even out of range)."""
    lines = lsp_lines(text)
    kind = draw(st.sampled_from(["insert", "insert", "delete", "replace", "line", "past_end"]))
    line = draw(st.integers(0, len(lines) - 1))
    width = utf16_len(line_content(lines[line]))
    char = draw(st.integers(0, width + 2))
    if kind == "insert":
        return Edit(line, char, line, char, draw(fragment))
    if kind == "line":  # insert or delete whole lines
        if draw(st.booleans()):
            return Edit(line, 0, line, 0, draw(fragment) + "\n")
        end = min(len(lines) - 1, line + draw(st.integers(1, 3)))
        return Edit(line, 0, end, 0, "")
    if kind == "past_end":
        return Edit(len(lines) + draw(st.integers(0, 3)), draw(st.integers(0, 5)), len(lines) + 5, 0, draw(fragment))
    end_line = min(len(lines) - 1, line + draw(st.integers(0, 2)))
    end_char = draw(st.integers(0, utf16_len(line_content(lines[end_line])) + 2))
    new = "" if kind == "delete" else draw(fragment)
    return Edit(line, char, end_line, end_char, new)


positions = st.tuples(st.integers(0, 400), st.integers(0, 200))


# --------------------------------------------------------------------------------------
# the reference model of LSP text (deliberately simple, independent of the server's code)

_BREAK = re.compile(r"\r\n|\r|\n")


def lsp_lines(text: str) -> list[str]:
    """Lines with terminators; the last item has none (maybe "")."""
    out, pos = [], 0
    for m in _BREAK.finditer(text):
        out.append(text[pos : m.end()])
        pos = m.end()
    out.append(text[pos:])
    return out


def line_content(line: str) -> str:
    return line.rstrip("\r\n") if line.endswith(("\n", "\r")) else line


def utf16_len(s: str) -> int:
    return sum(2 if ord(c) > 0xFFFF else 1 for c in s)


def offset_of(text: str, line: int, char: int) -> int:
    """Code-point offset of a client position; columns clamp to the line, lines past the end to EOF."""
    lines = lsp_lines(text)
    if line >= len(lines):
        return len(text)
    base = sum(len(text) for text in lines[:line])
    content = line_content(lines[line])
    units = 0
    for i, c in enumerate(content):
        if units >= char:
            return base + i
        units += 2 if ord(c) > 0xFFFF else 1
    return base + len(content)


def apply_edit(text: str, edit: Edit) -> str:
    a = offset_of(text, edit.start_line, edit.start_char)
    b = offset_of(text, edit.end_line, edit.end_char)
    if b < a:
        a, b = b, a
    return text[:a] + edit.text + text[b:]


def in_document(text: str, line: int, character: int) -> bool:
    """Is a client position (UTF-16) inside ``text``? (The end of a line's content is inside.)"""
    lines = lsp_lines(text)
    if not 0 <= line < len(lines):
        return False
    return 0 <= character <= utf16_len(line_content(lines[line]))
