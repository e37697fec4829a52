"""Adversarial sizes: every rule and the route walk behind documentSymbol stay near-linear.

Each test times a shape at n and at 4n (best of a few runs) and asserts the ratio stays well
below the 16x a quadratic pass would take (loose bounds: shared CI machines are noisy).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.diagnostics import diagnose
from fastapi_docs_lsp.core.routes import extract_routes

HEAD = "from fastapi import FastAPI\n\napp = FastAPI()\n\n"
#: a quadratic pass takes 16x at 4n; linear 4x. Allow noise, not quadratic growth.
MAX_RATIO = 10.0


def stacked_decorators(n: int) -> str:
    """One handler under n route decorators (documentSymbol took 10.7 s, diagnostics 157 s at 10k)."""
    return HEAD + "".join(f'@app.get("/x{i}/{{item_id}}")\n' for i in range(n)) + "def f(item_id: int):\n    return 1\n"


def shadow_misses(n: int) -> str:
    """n parametrized routes sharing a static prefix, then n literal routes none of them match:
    every literal route used to be compared with every earlier template (FA006)."""
    params = "".join(f'@app.get("/items/{{p}}/x{i}")\ndef f{i}(p: int): ...\n' for i in range(n))
    literals = "".join(f'@app.get("/items/lit/y{i}")\ndef g{i}(): ...\n' for i in range(n))
    return HEAD + params + literals


def duplicates_of_one_template(n: int) -> str:
    """n routes with one template and method, all on one handler but the last (FA005)."""
    decorators = "".join('@app.get("/same")\n' for _ in range(n))
    return HEAD + decorators + "def f(): ...\n\n@app.get(\"/same\")\ndef g(): ...\n"


def _best(fn: Callable[[], object], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def _ratio(make: Callable[[int], str], n: int, work: Callable[[Any], object]) -> float:
    """time(work at 4n) / time(work at n); the analysis itself (the parse helper's) is not timed."""
    small, large = analyze(make(n)), analyze(make(4 * n))
    return _best(lambda: work(large)) / max(_best(lambda: work(small)), 1e-4)


def test_stacked_decorators_route_walk_is_near_linear():
    ratio = _ratio(stacked_decorators, 400, lambda a: extract_routes(a))
    assert ratio < MAX_RATIO, ratio


def test_stacked_decorators_diagnostics_are_near_linear():
    ratio = _ratio(stacked_decorators, 300, lambda a: diagnose(a))
    assert ratio < MAX_RATIO, ratio


def test_shadowing_checks_are_near_linear_in_the_number_of_routes():
    ratio = _ratio(shadow_misses, 300, lambda a: diagnose(a, rules={c: "off" for c in ("FA001", "FA002", "FA004", "FA008")}))
    assert ratio < MAX_RATIO, ratio


def test_duplicates_of_one_template_are_found_once_each_and_near_linear():
    text = duplicates_of_one_template(50)
    found = [d for d in diagnose(analyze(text)) if d.code == "FA005"]
    assert len(found) == 1 and found[0].span.line == text.split("\n").index("def f(): ...") + 2
    ratio = _ratio(duplicates_of_one_template, 400, lambda a: diagnose(a))
    assert ratio < MAX_RATIO, ratio


def test_shadowing_still_found_through_the_index():
    text = HEAD + '@app.get("/items/{p}/x")\ndef a(p): ...\n@app.get("/files/{rest:path}")\ndef b(rest): ...\n' + (
        '@app.get("/items/7/x")\ndef c(): ...\n@app.get("/files/a/b.txt")\ndef d(): ...\n@app.get("/items/7/y")\ndef e(): ...\n'
        '@app.get("/v{n}-beta")\ndef f(n: int): ...\n@app.get("/v2-beta")\ndef g(): ...\n'
    )
    shadowed = sorted(text.split("\n")[d.span.line] for d in diagnose(analyze(text)) if d.code == "FA006")
    assert shadowed == ['@app.get("/files/a/b.txt")', '@app.get("/items/7/x")', '@app.get("/v2-beta")']
