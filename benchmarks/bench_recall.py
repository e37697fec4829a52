"""Detection recall and precision against jedi's independent resolution, on real FastAPI code.

For every identifier of every file in the corpus, jedi (goto, then infer) says whether it
resolves into the ``fastapi`` or ``starlette`` packages; the server's analysis says whether it
has a FastAPI symbol there. Prints recall (jedi's FastAPI positions we answer), precision (our
positions jedi agrees with), and samples of the misses.

    python benchmarks/bench_recall.py DIR [DIR ...] [--limit N] [--show 20]

The FastAPI sdist (``pip download --no-binary :all: --no-deps fastapi``) has ~1,100 such files
in ``docs_src/`` and ``tests/``; ``tests/data/fetch_fastapi_examples.sh`` fetches it.
"""

from __future__ import annotations

import argparse
import io
import json
import keyword
import os
import sys
import time
import tokenize
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOTS = ("fastapi", "starlette")


def _jedi_positions(path: str, text: str) -> set[tuple[int, int]]:
    import jedi

    script = jedi.Script(text, path=path)
    found: set[tuple[int, int]] = set()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    for tok in tokens:
        if tok.type != tokenize.NAME or keyword.iskeyword(tok.string) or tok.string in ("self", "cls", "None", "True", "False"):
            continue
        line, col = tok.start
        try:
            defs = script.goto(line, col, follow_imports=True)
            hit = any((d.module_name or "").split(".")[0] in ROOTS for d in defs)
            if not hit and defs and all(d.type in ("statement", "param") for d in defs):
                inferred = script.infer(line, col)
                hit = any(
                    (d.module_name or "").split(".")[0] in ROOTS and d.type == "instance" for d in inferred
                )
        except Exception:
            continue
        if hit:
            found.add((line - 1, col))
    return found


def _our_positions(path: str, text: str, cache_dir: str) -> set[tuple[int, int]]:
    os.environ["FASTAPI_DOCS_LSP_CACHE_DIR"] = cache_dir
    from fastapi_docs_lsp.core.analysis import analyze

    db = _db()
    analysis = analyze(text, db=db)
    return {(o.line, o.start) for o in analysis.occurrences}


_DB = None


def _db():
    global _DB
    if _DB is None:
        from fastapi_docs_lsp.core.env import find_environment
        from fastapi_docs_lsp.core.project import Project

        env = find_environment(sys.executable)
        _DB = Project(roots=[])._load_api(env)
    return _DB


def compare(args: tuple[str, str]) -> dict:
    path, cache_dir = args
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    if "fastapi" not in text and "starlette" not in text:
        return {"path": path, "jedi": [], "ours": []}
    expected = _jedi_positions(path, text)
    ours = _our_positions(path, text, cache_dir)
    return {"path": path, "jedi": sorted(expected), "ours": sorted(ours)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--limit", type=int, default=0, help="at most N files (0: all)")
    parser.add_argument("--show", type=int, default=15, help="print N sample misses of each kind")
    parser.add_argument("--json", help="write per-file results here")
    args = parser.parse_args()
    files = sorted(str(p) for d in args.dirs for p in Path(d).rglob("*.py"))
    if args.limit:
        step = max(1, len(files) // args.limit)
        files = files[::step][: args.limit]
    cache_dir = os.environ.get("FASTAPI_DOCS_LSP_CACHE_DIR") or str(Path.home() / ".cache" / "fastapi-docs-lsp")
    _db()  # warm the API cache once before forking
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(compare, [(f, cache_dir) for f in files], chunksize=4))
    tp = fn = fp = 0
    misses: list[str] = []
    extras: list[str] = []
    for r in results:
        jedi_set = {tuple(x) for x in r["jedi"]}
        ours = {tuple(x) for x in r["ours"]}
        tp += len(jedi_set & ours)
        fn += len(jedi_set - ours)
        fp += len(ours - jedi_set)
        lines = None
        for kind, bucket, sample in (("miss", jedi_set - ours, misses), ("extra", ours - jedi_set, extras)):
            for line, col in sorted(bucket):
                if len(sample) >= args.show * 20:
                    break
                if lines is None:
                    lines = Path(r["path"]).read_text(encoding="utf-8", errors="replace").split("\n")
                src = lines[line] if line < len(lines) else ""
                sample.append(f"{r['path']}:{line + 1}:{col + 1}: {src.strip()[:100]}  <- {src[col:col + 25]!r}")
    recall = tp / (tp + fn) if tp + fn else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(f"files: {len(files)}  jedi FastAPI positions: {tp + fn}  ours: {tp + fp}  ({time.perf_counter() - started:.0f} s)")
    print(f"recall:    {recall:.3f}   (jedi's FastAPI positions the server answers)")
    print(f"precision: {precision:.3f}   (server positions jedi also resolves into fastapi/starlette)")
    import random

    rnd = random.Random(0)
    print("\nsample misses:")
    for line in rnd.sample(misses, min(args.show, len(misses))):
        print("  ", line)
    print("\nsample extras (ours, not jedi's):")
    for line in rnd.sample(extras, min(args.show, len(extras))):
        print("  ", line)
    if args.json:
        Path(args.json).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
