"""The size-bounded AST cache behind ``Chunk.tree``, and that results do not depend on it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.genapp import generate
from fastapi_docs_lsp.core import parsing
from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.completion_defs import import_line, module_defs, statement_start
from fastapi_docs_lsp.core.diagnostics import diagnose
from fastapi_docs_lsp.core.parsing import TreeCache, parse_module
from fastapi_docs_lsp.core.routes import extract_routes

from ..conftest import WORKSPACE

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def budget():
    """Set the shared cache's budget for one test (emptied before and after)."""
    cache = parsing._trees
    saved = cache.budget

    def set_budget(value: int) -> TreeCache:
        cache.clear()
        cache.budget = value
        return cache

    yield set_budget
    cache.budget = saved
    cache.clear()


def _texts(n: int, size: int) -> list[str]:
    return [f"x{i} = {'1' * (size - 6 - len(str(i)))}" for i in range(n)]


def test_budget_bounds_the_cached_source():
    cache = TreeCache(budget=100)
    texts = _texts(5, 40)
    for t in texts:
        cache.new_epoch()  # a new module parse: older entries may go
        cache.lookup(t)
        assert cache.size <= 100
    assert len(cache) == 2 and texts[-1] in cache and texts[-2] in cache
    assert cache.parses == 5


def test_least_recently_used_goes_first():
    cache = TreeCache(budget=100)
    a, b, c = _texts(3, 40)
    cache.lookup(a)
    cache.lookup(b)
    cache.new_epoch()
    cache.lookup(a)  # a is used again: b is now the oldest
    cache.new_epoch()
    cache.lookup(c)
    assert a in cache and c in cache and b not in cache


def test_a_pass_bigger_than_the_budget_keeps_its_first_chunks():
    """Sequential passes over a module bigger than the budget: an LRU would miss every time."""
    cache = TreeCache(budget=100)
    texts = _texts(6, 40)
    cache.new_epoch()
    for t in texts:
        cache.lookup(t)
    assert cache.parses == 6
    assert texts[0] in cache and texts[1] in cache and len(cache) == 2
    for t in texts:  # a second pass in the same epoch: the first two are hits
        cache.lookup(t)
    assert cache.parses == 6 + 4


def test_the_last_tree_is_kept_even_when_not_admitted():
    cache = TreeCache(budget=10)
    text = "value = 12345"  # larger than the whole budget: never cached
    first = cache.lookup(text)[0]
    assert text not in cache and cache.size == 0
    assert cache.lookup(text)[0] is first and cache.parses == 1  # asked again at once: no re-parse
    cache.lookup("y = 2")
    assert cache.lookup(text)[0] is not first and cache.parses == 3


def test_evicted_trees_are_parsed_again_equal(budget):
    budget(0)
    chunks = parse_module("import os\n\n@app.get('/x', resp\ndef f():\n    pass\n\nclass C:\n    x: int = 1\n")
    again = [ast.dump(c.tree) if c.tree is not None else None for c in chunks]
    budget(1_000_000)
    cached = [ast.dump(c.tree) if c.tree is not None else None for c in parse_module("import os\n\n@app.get('/x', resp\ndef f():\n    pass\n\nclass C:\n    x: int = 1\n")]
    assert again == cached
    assert chunks[1].repaired and chunks[1].tree is not None


def test_node_at_follows_a_path():
    (chunk,) = [c for c in parse_module("if x:\n    @app.get('/a')\n    def f():\n        pass\n") if c.tree is not None]
    fn = chunk.node_at(("body", 0, "body", 0))
    assert isinstance(fn, ast.FunctionDef) and fn.name == "f"
    assert isinstance(chunk.node_at(("body", 0, "body", 0, "decorator_list", 0)), ast.Call)
    assert chunk.node_at(("body", 5)) is None and chunk.node_at(("nothing",)) is None


def _results(text: str, module_name: str | None = None, db=None):
    analysis = analyze(text, module_name=module_name, db=db)
    routes = extract_routes(analysis, db, module_name)
    defs = module_defs(analysis)
    starts = [c.start_line for c in analysis.chunks]
    return (
        analysis.occurrences,
        [(r.label, r.function, r.decorator, r.def_span, r.block, r.func_path, r.call_path, ast.dump(r.func) if r.func else None) for r in routes.routes],
        sorted((name, d.line, d.kind) for name, d in defs.defs.items()),
        [statement_start(analysis, starts, line) for line in range(0, len(analysis.lines), 7)],
        import_line(analysis),
        [(d.code, d.span, d.message) for d in diagnose(analysis, db=db, module_name=module_name, rules={"FA009": "hint"})],
    )


#: one module that trips every rule, with dependencies to follow (FA001) and a duplicate (FA005)
RULE_BREAKER = """\
from typing import Annotated
from fastapi import APIRouter, Depends, FastAPI, Path, Query
from pydantic import BaseModel

app = FastAPI()
router = APIRouter(prefix="/r", dependencies=[Depends(lambda key: key)])


class Item(BaseModel):
    name: str


class Pager:
    def __init__(self, page: int = 0, size: int = 10):
        self.page = page


def common(q: str | None = None, token: Annotated[str, Query()] = ""):
    return q


Common = Annotated[dict, Depends(common)]
ItemId = Annotated[int, Path(ge=1)]


@app.on_event("startup")
def start():
    pass


@app.get("/items/{item_id}/{missing}", response_model=Item)
def read(item_id: ItemId, c: Common, pager: Annotated[Pager, Depends()], q: str = Query(None, regex="^a")) -> Item:
    return Item(name="x")


@app.get("/items/{item_id}/{missing}")
def read_again(item_id: int, missing: str, dep=Depends(common())):
    return None


@app.get("/users/me")
def me():
    return None


@app.get("/users/{user_id}")
@app.head("/users/{user_id}")
def user(user_id: int):
    return None


if True:
    @app.get("/users/me")
    def me_too():
        return None


@router.get("/{thing}")
def thing():
    return None


@app.get("/twice")
@app.get("/twice")
def twice():
    return None
"""


def _sources() -> list[tuple[str, str]]:
    out = [("generated", generate(400)), ("rules", RULE_BREAKER)]
    for path in sorted((WORKSPACE / "app").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "fastapi" in text:
            out.append((path.stem, text))
    # broken code: repaired chunks and merged chunks go through the same cache
    out.append(("broken", "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/x', resp\ndef f(q: int = Query(:\n    pass\nx = '''\n1\n'''\n"))
    return out


@pytest.mark.parametrize("name,text", _sources(), ids=lambda v: v if len(v) < 40 else "")
def test_results_do_not_depend_on_cached_trees(budget, api_db, name, text):
    budget(1_000_000)  # everything cached
    cached = _results(text, name, api_db)
    budget(0)  # nothing cached: every access re-parses
    uncached = _results(text, name, api_db)
    assert cached == uncached
    assert cached[0], "the analysis found nothing: the comparison would be empty"


def test_rules_without_cached_trees(budget, api_db):
    """Nodes looked up again are new objects: the same def under two decorators is still one."""
    budget(0)
    found = [(code, span.line) for code, span, _ in _results(RULE_BREAKER, "rules", api_db)[5]]
    assert ("FA005", 35) in found  # read_again repeats read's route
    assert not any(code == "FA005" and line > 60 for code, line in found)  # twice(): one function
    assert {"FA001", "FA002", "FA003", "FA004", "FA008", "FA009"} <= {code for code, _ in found}


def test_a_module_bigger_than_the_budget_keeps_only_the_budget(budget):
    cache = budget(20_000)
    text = generate(2000)  # ~80,000 characters
    analysis = analyze(text)
    assert cache.size <= 20_000
    assert len(analysis.occurrences) > 1000


def test_rapidfuzz_and_openssl_are_not_loaded_by_the_server_until_needed(tmp_path):
    """The server process imports neither OpenSSL (ssl, hashlib) nor rapidfuzz at start-up; a search
    then works and loads rapidfuzz."""
    code = """
import sys
from fastapi_docs_lsp.cli import _without_tls
_without_tls()
import fastapi_docs_lsp.server  # noqa: F401  (asyncio, pygls, every feature)
from fastapi_docs_lsp.core.docs.search import SearchIndex
from fastapi_docs_lsp.core.docs.catalog import load_catalog
from fastapi_docs_lsp.core.docs import cache
cache.make_key("x"); cache.entry_name("skill", "/x")
loaded = [m for m in ("ssl", "_ssl", "_hashlib", "hashlib", "rapidfuzz") if sys.modules.get(m) is not None]
assert not loaded, loaded
sections = load_catalog()
index = SearchIndex(sections)
assert "rapidfuzz" not in sys.modules
hits = index.search(sections, "dependncy injection")  # a typo: fuzzy matching
assert hits and "rapidfuzz" in sys.modules
print("ok")
"""
    # the package as this interpreter has it installed (editable or a wheel), not the checkout's server/
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"
