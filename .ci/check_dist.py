"""Check the built wheel and sdist: the files users get.

    python .ci/check_dist.py DIST_DIR

- the wheel holds the package, py.typed and EVERY data file under references/ (catalog, i18n,
  ...: a data folder missing from pyproject's `packages` would silently drop out of the wheel);
- no tests, benchmarks, editors or the VS Code extension in the wheel;
- the sdist holds what building the wheel again needs (pyproject.toml, README.md, LICENSE,
  server/, references/);
- the console script is declared.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(dist: Path) -> int:
    wheels = sorted(dist.glob("fastapi_docs_lsp-*.whl"))
    sdists = sorted(dist.glob("fastapi_docs_lsp-*.tar.gz"))
    problems: list[str] = []
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"error: expected one wheel and one sdist in {dist}, found {wheels + sdists}", file=sys.stderr)
        return 1
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    data = [
        p.relative_to(REPO / "references")
        for p in (REPO / "references").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]
    for rel in data:
        if f"fastapi_docs_lsp/references/{rel.as_posix()}" not in names:
            problems.append(f"wheel lacks references/{rel.as_posix()}")
    sources = [p.relative_to(REPO / "server") for p in (REPO / "server").rglob("*.py") if "__pycache__" not in p.parts]
    for rel in sources:
        if rel.as_posix() not in names:
            problems.append(f"wheel lacks server/{rel.as_posix()}")
    if "fastapi_docs_lsp/py.typed" not in names:
        problems.append("wheel lacks fastapi_docs_lsp/py.typed")
    for name in names:
        top = name.split("/", 1)[0]
        if top in {"tests", "benchmarks", "editors", "vscode-extension", "references", "server"}:
            problems.append(f"wheel has a stray top-level entry: {name}")
    entry_points = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
    if not entry_points or "fastapi-docs-lsp = fastapi_docs_lsp.cli:main" not in zipfile.ZipFile(wheels[0]).read(entry_points).decode():
        problems.append("wheel does not declare the fastapi-docs-lsp console script")
    with tarfile.open(sdists[0]) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    for needed in ("pyproject.toml", "README.md", "LICENSE", "server/fastapi_docs_lsp/__init__.py", "references/__init__.py"):
        if needed not in members:
            problems.append(f"sdist lacks {needed}")
    for rel in data:
        if f"references/{rel.as_posix()}" not in members:
            problems.append(f"sdist lacks references/{rel.as_posix()}")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if not problems:
        print(f"ok: {wheels[0].name} ({len(names)} files, {len(data)} data files) and {sdists[0].name}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
