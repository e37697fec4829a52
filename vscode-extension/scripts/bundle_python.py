"""Bundle the fastapi-docs-lsp server into vscode-extension/bundled/ for the .vsix.

    $PYTHON scripts/bundle_python.py            (npm run bundle:python)

Result (one universal .vsix for every OS, CPU and Python >= 3.10):
  bundled/libs/      the server (a wheel built from the repository root) and every dependency
                     that ships a pure-Python wheel, resolved for the *oldest* supported Python
                     (3.10) so that backports such as exceptiongroup are included; on newer
                     Pythons they are simply never imported.
  bundled/fallback/  rapidfuzz, the one compiled dependency, with its compiled extension modules
                     removed: rapidfuzz falls back to its own pure-Python implementation when they
                     cannot be imported. The launcher puts this directory *last* on sys.path, so a
                     real (compiled) rapidfuzz in the user's environment is preferred.

Any other dependency without a pure-Python wheel makes this script fail loudly rather than
silently producing a platform-specific bundle.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXT = HERE.parent
REPO = EXT.parent
BUNDLED = EXT / "bundled"
LIBS = BUNDLED / "libs"
FALLBACK = BUNDLED / "fallback"
OLDEST_PYTHON = "3.10"
#: environment markers are evaluated for each of these (pip evaluates them only for the running
#: interpreter, even with --python-version), so backports needed by older Pythons get bundled too
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
#: dependencies with compiled wheels only; stripped to their pure-Python fallback
STRIPPED = {"rapidfuzz"}
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


def pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "--quiet", *args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_requirements(wheel: Path) -> list[str]:
    """Runtime Requires-Dist lines of a wheel (extras excluded)."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(meta).decode()
    reqs = []
    for line in text.splitlines():
        if line.startswith("Requires-Dist:"):
            req = line.split(":", 1)[1].strip()
            if "extra ==" in req or "extra==" in req:
                continue
            reqs.append(req)
    return reqs


def requirement_name(req: str) -> str:
    return canonical(re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0])


#: top-level repository entries that are not part of the Python package
_NOT_SOURCE = {".git", "vscode-extension", "node_modules", "artifacts", "build", "dist", ".venv", "venv",
               "tests", "benchmarks", "editors", ".ci", ".pytest_cache", ".hypothesis"}


def _source_ignore(directory: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
    if Path(directory) == REPO:
        skip |= {n for n in names if n in _NOT_SOURCE}
    return skip


def marker_env(version: str) -> dict[str, str]:
    return {"python_version": version, "python_full_version": f"{version}.0", "extra": ""}


def missing_for_other_pythons(target: Path) -> list[str]:
    """Requirements of the dists in ``target`` that some supported Python needs but that are absent."""
    try:
        from packaging.requirements import Requirement
    except ImportError:
        from pip._vendor.packaging.requirements import Requirement
    present = {canonical(p.name.split("-")[0]) for p in target.glob("*.dist-info")}
    wanted: dict[str, str] = {}
    for meta in target.glob("*.dist-info/METADATA"):
        for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            req = Requirement(line.split(":", 1)[1].strip())
            name = canonical(req.name)
            if name in present or name in STRIPPED:
                continue
            if req.marker is None or any(req.marker.evaluate(marker_env(v)) for v in SUPPORTED_PYTHONS):
                wanted[name] = f"{req.name}{req.specifier}"
    return sorted(wanted.values())


def clean_tree(root: Path) -> None:
    for path in list(root.rglob("__pycache__")):
        shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(root / "bin", ignore_errors=True)


def main() -> int:
    try:
        import pip as _pip  # noqa: F401
    except ImportError:
        print(f"error: {sys.executable} has no pip; set PYTHON to an interpreter with pip", file=sys.stderr)
        return 2
    shutil.rmtree(BUNDLED, ignore_errors=True)
    LIBS.mkdir(parents=True)
    FALLBACK.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        # build from a copy: setuptools builds in-tree and would leave build/ in the repository
        src = Path(tmp) / "src"
        shutil.copytree(REPO, src, ignore=_source_ignore)
        pip("wheel", "--no-deps", "--wheel-dir", tmp, str(src))
        wheel = next(Path(tmp).glob("fastapi_docs_lsp-*.whl"))
        reqs = wheel_requirements(wheel)
        pure = [r for r in reqs if requirement_name(r) not in STRIPPED]
        stripped = [r for r in reqs if requirement_name(r) in STRIPPED]
        pip("install", "--no-deps", "--no-compile", "--target", str(LIBS), str(wheel))
        pure_flags = [
            "--only-binary=:all:", "--python-version", OLDEST_PYTHON,
            "--implementation", "py", "--abi", "none", "--platform", "any",
        ]
        if pure:
            pip("install", "--no-compile", "--target", str(LIBS), "--upgrade", *pure_flags, *pure)
        for _ in range(10):
            extra = missing_for_other_pythons(LIBS)
            if not extra:
                break
            pip("install", "--no-compile", "--target", str(LIBS), *pure_flags, *extra)
        else:
            print("error: could not close the dependency set", file=sys.stderr)
            return 1
        for req in stripped:
            # any platform's wheel carries the same pure-Python modules; take this machine's
            pip("install", "--no-deps", "--no-compile", "--only-binary=:all:", "--target", str(FALLBACK), req)
    removed = [p for p in FALLBACK.rglob("*") if p.is_file() and p.name.endswith(COMPILED_SUFFIXES)]
    for path in removed:
        path.unlink()
    for sub in (LIBS, FALLBACK):
        clean_tree(sub)
        leftovers = [p for p in sub.rglob("*") if p.is_file() and p.name.endswith(COMPILED_SUFFIXES)]
        if leftovers:
            print(f"error: compiled files in {sub}: {leftovers[:5]}", file=sys.stderr)
            return 1
    # mark the RECORD of stripped dists as stale so `pip` never tries to manage them
    for record in FALLBACK.glob("*.dist-info/RECORD"):
        record.unlink()
    (BUNDLED / "README.txt").write_text(
        "Generated by scripts/bundle_python.py; see python/launch_server.py for how it is used.\n"
        f"Built with {sys.executable} ({sys.version.split()[0]}) for Python >= {OLDEST_PYTHON}.\n"
        f"Stripped to pure Python: {', '.join(sorted(STRIPPED))} ({len(removed)} compiled files removed).\n"
    )
    dists = sorted(p.name for p in LIBS.glob("*.dist-info")) + sorted(p.name for p in FALLBACK.glob("*.dist-info"))
    print("bundled:", ", ".join(d.removesuffix(".dist-info") for d in dists))
    return 0


if __name__ == "__main__":
    os.chdir(EXT)
    sys.exit(main())
