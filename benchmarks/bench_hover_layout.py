"""How hovers read on real code: where the first docs link sits and how long hovers are.

Hovers every FastAPI occurrence of real code we did not write (FastAPI's own ``docs_src``, fetched
by ``tests/data/fetch_fastapi_examples.sh``; any folder can be given) through the pure core
(``Project.hover``, what the server answers) and prints:

* hovers, and how many carry a docs link;
* the share of those whose first link is within the first 12 lines (goal: >= 95%), counting
  lines as an editor shows them: Markdown lines, prose wrapped at 80 columns, code unwrapped;
* median / p90 / max hover length in characters (goal: median <= 2,000);
* the same with the shared corpora's docs loaded as sources (mkdocs tree, skill folder) when present.

    python benchmarks/bench_hover_layout.py [FOLDER ...] [--limit-files N] [--show N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO))

WRAP = 80
GOAL_LINES = 12


def visual_lines(markdown: str) -> list[str]:
    """The hover as an editor shows it: one entry per visible line."""
    out: list[str] = []
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue  # fences are not shown
        if in_code or not line.strip():
            out.append(line)
            continue
        shown = line.replace("**", "").replace("`", "")
        shown = _LINKS.sub(r"\1", shown)
        for k in range(max(1, math.ceil(len(shown) / WRAP))):
            out.append(line if k == 0 else "")
    return out


def first_link_line(markdown: str) -> int | None:
    """1-based visible line of the first docs link, or None."""
    for n, line in enumerate(visual_lines(markdown), 1):
        if "](http" in line:
            return n
    return None


def default_folders() -> list[Path]:
    base = REPO / "tests" / "data" / "fastapi-examples"
    return sorted(p / "docs_src" for p in base.glob("fastapi-*") if (p / "docs_src").is_dir())


def corpora_sources() -> list[str]:
    """The shared corpora's skill folder and mkdocs tree, when present (never part of the project)."""
    corpora = REPO.parent / "shared" / "corpora"
    if not corpora.is_dir():
        corpora = Path("/work/shared/corpora")
    wanted = [corpora / "fastapi-skill", corpora / "fastapi-docs-mkdocs" / "docs"]
    return [str(p) for p in wanted if p.is_dir()]


def measure(folders: list[Path], reference_paths: list[str], limit_files: int, show: int) -> dict[str, float]:
    from fastapi_docs_lsp.core.project import Project
    from fastapi_docs_lsp.settings import Settings

    project = Project(roots=[str(folders[0])], settings=Settings(pythonPath=sys.executable, referencePaths=reference_paths))
    project.load()
    files = [f for folder in folders for f in sorted(folder.rglob("*.py"))][: limit_files or None]
    lengths: list[int] = []
    link_lines: list[int] = []
    hovers = 0
    t0 = time.perf_counter()
    worst: list[tuple[int, str]] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        analysis = project.analysis(str(path), text)
        if analysis is None:
            continue
        for occ in analysis.occurrences:
            found = project.hover_in(analysis, occ.line, occ.start)
            if found is None:
                continue
            hover = found[0]
            hovers += 1
            lengths.append(len(hover))
            where = first_link_line(hover)
            if where is not None:
                link_lines.append(where)
                if where > GOAL_LINES:
                    worst.append((where, hover))
    elapsed = time.perf_counter() - t0
    within = sum(1 for n in link_lines if n <= GOAL_LINES)
    result = {
        "files": len(files),
        "hovers": hovers,
        "with_link": len(link_lines),
        "link_within_12": within / len(link_lines) if link_lines else 0.0,
        "median_link_line": statistics.median(link_lines) if link_lines else 0,
        "median_chars": statistics.median(lengths) if lengths else 0,
        "p90_chars": sorted(lengths)[int(len(lengths) * 0.9)] if lengths else 0,
        "max_chars": max(lengths) if lengths else 0,
        "seconds": elapsed,
    }
    worst.sort(key=lambda w: -w[0])
    for n, hover in worst[:show]:
        print(f"--- first link on line {n}:\n{hover}\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--limit-files", type=int, default=0)
    parser.add_argument("--show", type=int, default=0, help="print the N hovers whose link sits lowest")
    parser.add_argument("--no-sources", action="store_true", help="skip the run with the corpora's docs sources")
    args = parser.parse_args(argv)
    folders = args.folders or default_folders()
    if not folders:
        print("no code to hover: run tests/data/fetch_fastapi_examples.sh or pass a folder", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as cache:
        import os

        os.environ.setdefault("FASTAPI_DOCS_LSP_CACHE_DIR", cache)
        runs = [("catalog only", [])]
        sources = [] if args.no_sources else corpora_sources()
        if sources:
            runs.append(("with sources", sources))
        print(f"code: {', '.join(str(f) for f in folders)}")
        print(f"{'run':<14} {'files':>6} {'hovers':>7} {'w/ link':>8} {'link<=12':>9} {'med line':>9} {'med chars':>10} {'p90 chars':>10} {'max':>6} {'s':>6}")
        for name, paths in runs:
            r = measure(folders, paths, args.limit_files, args.show)
            print(
                f"{name:<14} {r['files']:>6} {r['hovers']:>7} {r['with_link']:>8} {r['link_within_12']:>8.1%} "
                f"{r['median_link_line']:>9} {r['median_chars']:>10.0f} {r['p90_chars']:>10} {r['max_chars']:>6} {r['seconds']:>6.1f}"
            )
        if sources:
            print("sources: " + ", ".join(sources))
    return 0


import re  # noqa: E402

_LINKS = re.compile(r"\[([^\]]+)\]\([^)]+\)")

if __name__ == "__main__":
    raise SystemExit(main())
