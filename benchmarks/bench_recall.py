"""Detection recall and precision against jedi's independent resolution, on real FastAPI code.

For every identifier of every file in the corpus, jedi (goto, then infer) says whether it
resolves into the ``fastapi`` or ``starlette`` packages; the server's analysis says whether it
has a FastAPI symbol there. Prints recall (jedi's FastAPI positions we answer), precision (our
positions jedi agrees with), and samples of the misses.

    python benchmarks/bench_recall.py [DIR ...] [--limit N] [--show 20]

The FastAPI sdist (``pip download --no-binary :all: --no-deps fastapi``) has ~1,100 such files
in ``docs_src/`` and ``tests/``; ``tests/data/fetch_fastapi_examples.sh`` fetches it.

Each DIR is a corpus with its own figures (and a total). Without DIRs: the modern-syntax corpus
(``benchmarks/data/modern``: Python 3.12-3.14 syntax in FastAPI files, PEP 758/695/701/750)
plus the FastAPI examples when fetched. For every corpus it also prints the top-level
statements kept: chunks parsed exactly (not repaired, not dropped) by the server's interpreter.
jedi parses with the running interpreter's grammar too, so on the modern corpus its positions
are a lower bound: read recall there next to "kept".
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
        except Exception:  # noqa: BLE001 - jedi raises all sorts on odd code; the position just does not count
            continue
        if hit:
            found.add((line - 1, col))
    return found


def _our_positions(path: str, text: str, cache_dir: str) -> set[tuple[int, int]]:
    os.environ["FASTAPI_DOCS_LSP_CACHE_DIR"] = cache_dir
    from fastapi_docs_lsp.core.analysis import analyze

    db = _db()
    analysis = analyze(text, db=db, incremental=False)
    return {(o.line, o.start) for o in analysis.occurrences}


def _chunks_kept(text: str) -> tuple[int, int]:
    from fastapi_docs_lsp.core.parsing import parse_module

    chunks = parse_module(text)
    return sum(1 for c in chunks if c.tree is not None and not c.repaired), len(chunks)


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
        return {"path": path, "jedi": [], "ours": [], "kept": [0, 0]}
    expected = _jedi_positions(path, text)
    ours = _our_positions(path, text, cache_dir)
    return {"path": path, "jedi": sorted(expected), "ours": sorted(ours), "kept": list(_chunks_kept(text))}


def default_dirs() -> list[str]:
    here = Path(__file__).resolve().parent
    dirs = [str(here / "data" / "modern")]
    data = here.parent / "tests" / "data"
    dirs += [str(p) for p in sorted(data.glob("fastapi*")) if p.is_dir()]
    return dirs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="*", help="corpora (default: the modern-syntax corpus and the fetched FastAPI examples)")
    parser.add_argument("--limit", type=int, default=0, help="at most N files (0: all)")
    parser.add_argument("--show", type=int, default=15, help="print N sample misses of each kind")
    parser.add_argument("--json", help="write per-file results here")
    args = parser.parse_args()
    dirs = args.dirs or default_dirs()
    corpus_of: dict[str, str] = {}
    files: list[str] = []
    for d in dirs:
        found = sorted(str(p) for p in Path(d).rglob("*.py"))
        if args.limit and len(found) > args.limit:
            step = max(1, len(found) // args.limit)
            found = found[::step][: args.limit]
        for f in found:
            corpus_of[f] = d
        files += found
    cache_dir = os.environ.get("FASTAPI_DOCS_LSP_CACHE_DIR") or str(Path.home() / ".cache" / "fastapi-docs-lsp")
    _db()  # warm the API cache once before forking
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(compare, [(f, cache_dir) for f in files], chunksize=4))
    tp = fn = fp = 0
    per_corpus: dict[str, list[int]] = {d: [0, 0, 0, 0, 0, 0] for d in dirs}  # tp fn fp kept chunks files
    misses: list[str] = []
    extras: list[str] = []
    for r in results:
        jedi_set = {tuple(x) for x in r["jedi"]}
        ours = {tuple(x) for x in r["ours"]}
        tp += len(jedi_set & ours)
        fn += len(jedi_set - ours)
        fp += len(ours - jedi_set)
        row = per_corpus[corpus_of[r["path"]]]
        row[0] += len(jedi_set & ours)
        row[1] += len(jedi_set - ours)
        row[2] += len(ours - jedi_set)
        row[3] += r["kept"][0]
        row[4] += r["kept"][1]
        row[5] += 1
        lines = None
        for _kind, bucket, sample in (("miss", jedi_set - ours, misses), ("extra", ours - jedi_set, extras)):
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
    print(f"\n{'corpus':40} {'files':>6} {'recall':>7} {'precision':>9} {'kept':>12}")
    for d, (c_tp, c_fn, c_fp, kept, chunks, n) in per_corpus.items():
        c_recall = c_tp / (c_tp + c_fn) if c_tp + c_fn else 1.0
        c_precision = c_tp / (c_tp + c_fp) if c_tp + c_fp else 1.0
        print(f"{Path(d).name[:40]:40} {n:6d} {c_recall:7.3f} {c_precision:9.3f} {kept:5d}/{chunks:<6d}")
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
