"""Find the project's Python environment and its fastapi/starlette, without importing them.

Order: the ``pythonPath`` setting (an interpreter or a venv folder), ``$VIRTUAL_ENV``,
``.venv``/``venv`` in the workspace root, then the server's own interpreter.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_VERSION_RE = re.compile(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


@dataclass(slots=True)
class PythonEnv:
    source: str  # "setting" | "VIRTUAL_ENV" | ".venv" | "venv" | "server"
    interpreter: str | None
    site_packages: list[str] = field(default_factory=list)
    fastapi_dir: str | None = None
    fastapi_version: str | None = None
    starlette_dir: str | None = None
    starlette_version: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def skill_dir(self) -> str | None:
        """FastAPI's own docs skill, shipped inside the package since 0.165."""
        if not self.fastapi_dir:
            return None
        path = Path(self.fastapi_dir) / ".agents" / "skills" / "fastapi"
        return str(path) if (path / "SKILL.md").is_file() else None

    def describe(self) -> str:
        fa = f"fastapi {self.fastapi_version}" if self.fastapi_version else "no fastapi"
        st = f"starlette {self.starlette_version}" if self.starlette_version else "no starlette"
        return f"{fa}, {st} ({self.source}: {self.interpreter or '?'})"


def _venv_site_packages(root: Path) -> list[str]:
    found = sorted(glob.glob(str(root / "lib" / "python3*" / "site-packages")))
    found += [p for p in glob.glob(str(root / "Lib" / "site-packages"))]
    return [p for p in found if os.path.isdir(p)]


def _venv_root_of(interpreter: Path) -> Path | None:
    for parent in list(interpreter.parents)[:3]:
        if (parent / "pyvenv.cfg").is_file():
            return parent
    return None


def _interpreter_paths(interpreter: str, timeout: float = 10.0) -> list[str]:
    """Ask an interpreter for its sys.path (runs only the interpreter itself, no project code)."""
    code = "import sys, json; print(json.dumps([p for p in sys.path if p]))"
    try:
        out = subprocess.run(
            [interpreter, "-I", "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not run interpreter %s: %s", interpreter, exc)
        return []
    if out.returncode != 0:
        log.warning("interpreter %s failed: %s", interpreter, out.stderr.strip()[:300])
        return []
    try:
        paths = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return []
    return [p for p in paths if isinstance(p, str) and os.path.isdir(p)]


def _site_packages_for(target: str) -> tuple[str | None, list[str]]:
    path = Path(os.path.abspath(os.path.expanduser(target)))
    if path.is_dir():
        # a venv folder, or a bin/ folder inside one
        root = path if (path / "pyvenv.cfg").is_file() else _venv_root_of(path / "python")
        if root is not None:
            interp = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
            return str(interp), _venv_site_packages(root)
        return None, []
    if path.is_file():
        root = _venv_root_of(path)
        if root is not None:
            sp = _venv_site_packages(root)
            if sp:
                return str(path), sp
        return str(path), _interpreter_paths(str(path))
    return None, []


def _package_info(site_packages: list[str], name: str) -> tuple[str | None, str | None]:
    for sp in site_packages:
        pkg = Path(sp) / name
        if (pkg / "__init__.py").is_file():
            version = None
            for dist in sorted(Path(sp).glob(f"{name}-*.dist-info")):
                meta = dist / "METADATA"
                try:
                    for line in meta.read_text(encoding="utf-8", errors="replace").splitlines()[:20]:
                        if line.startswith("Version:"):
                            version = line.split(":", 1)[1].strip()
                            break
                except OSError:
                    pass
            if version is None:
                try:
                    m = _VERSION_RE.search((pkg / "__init__.py").read_text(encoding="utf-8", errors="replace"))
                    version = m.group(1) if m else None
                except OSError:
                    pass
            return str(pkg), version
    return None, None


def find_environment(python_path: str = "", workspace_root: str | None = None, environ: dict[str, str] | None = None) -> PythonEnv:
    environ = dict(os.environ if environ is None else environ)
    candidates: list[tuple[str, str]] = []
    if python_path:
        candidates.append(("setting", python_path))
    if environ.get("VIRTUAL_ENV"):
        candidates.append(("VIRTUAL_ENV", environ["VIRTUAL_ENV"]))
    if workspace_root:
        for name in (".venv", "venv"):
            candidates.append((name, str(Path(workspace_root) / name)))
    problems: list[str] = []
    for source, target in candidates:
        if not os.path.exists(os.path.expanduser(target)):
            if source == "setting":
                problems.append(f"pythonPath {target!r} does not exist")
            continue
        interpreter, site_packages = _site_packages_for(target)
        if not site_packages:
            if source in ("setting", "VIRTUAL_ENV"):
                problems.append(f"{source} {target!r} has no site-packages")
            continue
        env = _make_env(source, interpreter, site_packages)
        if env.fastapi_dir or source == "setting":
            env.problems = problems + env.problems
            return env
        problems.append(f"{source} {target!r} has no fastapi installed")
    env = _make_env("server", sys.executable, [p for p in sys.path if p and os.path.isdir(p)])
    env.problems = problems + env.problems
    return env


def _make_env(source: str, interpreter: str | None, site_packages: list[str]) -> PythonEnv:
    env = PythonEnv(source=source, interpreter=interpreter, site_packages=site_packages)
    env.fastapi_dir, env.fastapi_version = _package_info(site_packages, "fastapi")
    env.starlette_dir, env.starlette_version = _package_info(site_packages, "starlette")
    if env.fastapi_dir is None:
        env.problems.append(f"fastapi is not installed in {interpreter or source}")
    return env
