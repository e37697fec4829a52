"""Find the project's Python environment and its fastapi/starlette, without importing or running them.

Order: the ``pythonPath`` setting (an interpreter or a venv folder), ``$VIRTUAL_ENV``,
``.venv``/``venv`` in the workspace root, then the server's own interpreter.

**Nothing the workspace provides is ever executed.** Environments are read statically:
``pyvenv.cfg``, ``lib/python3.X/site-packages`` (``Lib/site-packages`` on Windows layouts),
the path lines of ``.pth`` files, and an interpreter's installation prefix. A ``.venv`` or
``venv`` in the workspace that is a *file* (executable or not) is ignored. An interpreter is
run (``python -I -c 'print(sys.path)'``) only when the user chose it (the ``pythonPath``
setting, which the VS Code extension fills from the Python extension's choice and declares
restricted in untrusted workspaces) *and* its environment cannot be read statically, e.g. a
pyenv shim or a wrapper script.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .digest import hasher
from .files import is_regular_file, read_regular_bytes, read_regular_text

log = logging.getLogger(__name__)

_VERSION_RE = re.compile(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_PY_DIR_RE = re.compile(r"^python(\d+)\.(\d+)t?$")
_SMALL = 256 * 1024  # pyvenv.cfg, METADATA heads, .pth files
_MAX_PTH_FILES = 64
_MAX_PTH_LINES = 64


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
    #: how the site-packages were found: "static" (read from disk) or "ran <interpreter>"
    method: str = "static"

    @property
    def skill_dir(self) -> str | None:
        """FastAPI's own docs skill, shipped inside the package since 0.165."""
        if not self.fastapi_dir:
            return None
        path = Path(self.fastapi_dir) / ".agents" / "skills" / "fastapi"
        return str(path) if is_regular_file(path / "SKILL.md") else None

    def describe(self) -> str:
        fa = f"fastapi {self.fastapi_version}" if self.fastapi_version else "no fastapi"
        st = f"starlette {self.starlette_version}" if self.starlette_version else "no starlette"
        return f"{fa}, {st} ({self.source}: {self.interpreter or '?'})"


# ---- static reading -------------------------------------------------------------------


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _listdir(path: Path) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except (OSError, ValueError):
        return []


def read_pyvenv_cfg(root: Path) -> dict[str, str] | None:
    """The ``key = value`` pairs of ``root/pyvenv.cfg``; ``None`` when ``root`` is not a venv."""
    cfg = root / "pyvenv.cfg"
    if not is_regular_file(cfg):
        return None
    text = read_regular_text(cfg, _SMALL, level=logging.WARNING) or ""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _version_of_cfg(cfg: dict[str, str]) -> tuple[int, int] | None:
    for key in ("version_info", "version"):
        parts = cfg.get(key, "").split(".")
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            return int(parts[0]), int(parts[1])
    return None


def _lib_site_dirs(prefix: Path, prefer: tuple[int, int] | None) -> list[str]:
    """``site-packages`` (and Debian's ``dist-packages``) of an installation or venv prefix."""
    found: list[tuple[int, str]] = []
    # Debian's system Python also reads /usr/local (where ``sudo pip`` installs)
    prefixes = [prefix / "local", prefix] if str(prefix) == "/usr" else [prefix]
    for base in prefixes:
        for lib in ("lib", "lib64"):
            for name in _listdir(base / lib):
                m = _PY_DIR_RE.match(name)
                if not m or int(m.group(1)) != 3:
                    continue
                rank = 0 if prefer is not None and (int(m.group(1)), int(m.group(2))) == prefer else 1
                for leaf in ("site-packages", "dist-packages"):
                    found.append((rank, str(base / lib / name / leaf)))
    for leaf in ("site-packages", "dist-packages"):
        found.append((2, str(prefix / "lib" / "python3" / leaf)))  # Debian's shared dist-packages
    found.append((0, str(prefix / "Lib" / "site-packages")))  # Windows layouts (venv, conda, python.org)
    out: list[str] = []
    seen: set[str] = set()
    for _rank, path in sorted(found, key=lambda item: item[0]):
        if not _is_dir(Path(path)):
            continue
        real = os.path.realpath(path)  # lib64 is often a link to lib
        if real not in seen:
            seen.add(real)
            out.append(path)
    return out


def _pth_paths(site_dir: str) -> list[str]:
    """Folders named by the path lines of ``*.pth`` files (editable installs). ``import`` lines
    are never run, nor read."""
    out: list[str] = []
    names = [n for n in _listdir(Path(site_dir)) if n.endswith(".pth")][:_MAX_PTH_FILES]
    for name in names:
        text = read_regular_text(Path(site_dir) / name, _SMALL, level=logging.DEBUG)
        for line in (text or "").splitlines()[:_MAX_PTH_LINES]:
            line = line.strip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            path = os.path.normpath(os.path.join(site_dir, line))
            if _is_dir(Path(path)) and path not in out:
                out.append(path)
    return out


def _with_pth(site_dirs: list[str]) -> list[str]:
    out = list(site_dirs)
    for sp in site_dirs:
        out.extend(p for p in _pth_paths(sp) if p not in out)
    return out


def venv_site_packages(root: Path) -> list[str]:
    """The site-packages of a venv folder, read from disk (``pyvenv.cfg`` decides the Python
    version when several are present, and whether the base installation's packages count)."""
    cfg = read_pyvenv_cfg(root) or {}
    version = _version_of_cfg(cfg)
    found = _lib_site_dirs(root, version)
    if cfg.get("include-system-site-packages", "").lower() == "true" and cfg.get("home"):
        base = _prefix_of_bin_dir(Path(cfg["home"]))
        if base is not None:
            found += [p for p in _lib_site_dirs(base, version) if p not in found]
    return found


def _prefix_of_bin_dir(bin_dir: Path) -> Path | None:
    """The installation prefix for the folder that holds ``python``: ``<prefix>/bin`` on POSIX,
    ``<prefix>`` or ``<prefix>/Scripts`` on Windows layouts."""
    for candidate in (bin_dir.parent, bin_dir):
        if _is_dir(candidate / "lib") or _is_dir(candidate / "Lib"):
            return candidate
    return None


def _venv_root_of(interpreter: Path) -> Path | None:
    """The venv holding ``interpreter`` (``<venv>/bin/python``, ``<venv>/Scripts/python.exe``)."""
    for parent in list(interpreter.parents)[:2]:
        if is_regular_file(parent / "pyvenv.cfg"):
            return parent
    return None


def _interpreter_version(name: str) -> tuple[int, int] | None:
    m = re.match(r"^python(\d)\.(\d+)", name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def static_site_packages(target: str) -> tuple[str | None, list[str]]:
    """``(interpreter, site-packages)`` of a venv folder, a ``bin/`` folder or an interpreter
    path, read from disk without running anything. ``[]`` when it cannot be read statically."""
    path = Path(os.path.abspath(os.path.expanduser(target)))
    if _is_dir(path):
        # a venv folder, a bin/ (Scripts/) folder inside one, or an installation prefix
        root = path if is_regular_file(path / "pyvenv.cfg") else _venv_root_of(path / "python")
        if root is not None:
            interp = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
            return str(interp), _with_pth(venv_site_packages(root))
        # an installation prefix (a conda environment), or its bin/ folder
        prefix = path if _is_dir(path / "lib") or _is_dir(path / "Lib") else _prefix_of_bin_dir(path)
        found = _lib_site_dirs(prefix, None) if prefix is not None else []
        return None, _with_pth(found)
    if not is_regular_file(path):
        return str(path), []
    root = _venv_root_of(path)
    if root is not None:
        return str(path), _with_pth(venv_site_packages(root))
    # an installed interpreter (system, pyenv version, conda, python.org): its prefix's packages
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError):
        real = path
    version = _interpreter_version(real.name) or _interpreter_version(path.name)
    for candidate in dict.fromkeys((real, path)):
        root = _venv_root_of(candidate)
        prefix = root or _prefix_of_bin_dir(candidate.parent)
        if prefix is None:
            continue
        found = venv_site_packages(prefix) if root is not None else _lib_site_dirs(prefix, version)
        if found:
            return str(path), _with_pth(found)
    return str(path), []


# ---- running a user-chosen interpreter (the last resort) --------------------------------


def _interpreter_paths(interpreter: str, timeout: float = 10.0) -> list[str]:
    """Ask an interpreter the user chose for its sys.path (``-I``: no user site, no working
    directory on the path; nothing but the interpreter itself runs)."""
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
    except (ValueError, IndexError, RecursionError):
        return []
    if not isinstance(paths, list):
        return []
    return [p for p in paths if isinstance(p, str) and _is_dir(Path(p))]


def _site_packages_for(target: str, *, may_run: bool) -> tuple[str | None, list[str], str]:
    """``(interpreter, site-packages, method)``; runs ``target`` only when ``may_run`` (the
    user chose it) and a static read found nothing."""
    interpreter, found = static_site_packages(target)
    if found:
        return interpreter, found, "static"
    path = os.path.abspath(os.path.expanduser(target))
    if may_run and is_regular_file(path) and os.access(path, os.X_OK):
        log.info("reading the environment of %s statically failed; asking the interpreter (the pythonPath setting)", path)
        return path, _interpreter_paths(path), f"ran {path}"
    return interpreter, [], "static"


def _package_info(site_packages: list[str], name: str) -> tuple[str | None, str | None]:
    for sp in site_packages:
        pkg = Path(sp) / name
        if not is_regular_file(pkg / "__init__.py"):
            continue
        version = None
        for dist in sorted(Path(sp).glob(f"{name}-*.dist-info")):
            head = read_regular_text(dist / "METADATA", 4 * 1024 * 1024, level=logging.DEBUG) or ""
            for line in head.splitlines()[:20]:
                if line.startswith("Version:"):
                    version = line.split(":", 1)[1].strip()
                    break
            if version:
                break
        if version is None:
            text = read_regular_text(pkg / "__init__.py", 1_000_000, level=logging.DEBUG, binary_ok=True) or ""
            m = _VERSION_RE.search(text)
            version = m.group(1) if m else None
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
        try:
            exists = os.path.exists(os.path.expanduser(target))
        except (OSError, ValueError):
            exists = False
        if not exists:
            if source == "setting":
                problems.append(f"pythonPath {target!r} does not exist")
            continue
        if source in (".venv", "venv") and not _is_dir(Path(target)):
            # never run: a repository can ship an executable *file* under this name
            log.warning("%s in the workspace is not a folder; ignored (workspace files are never run)", target)
            problems.append(f"{source} {target!r} is not a virtual environment folder; ignored")
            continue
        interpreter, site_packages, method = _site_packages_for(target, may_run=source == "setting")
        if not site_packages:
            if source in ("setting", "VIRTUAL_ENV"):
                problems.append(f"{source} {target!r} has no site-packages")
            continue
        env = _make_env(source, interpreter, site_packages)
        env.method = method
        if env.fastapi_dir or source == "setting":
            env.problems = problems + env.problems
            return env
        problems.append(f"{source} {target!r} has no fastapi installed")
    env = _make_env("server", sys.executable, [p for p in sys.path if p and _is_dir(Path(p))])
    env.problems = problems + env.problems
    return env


def _make_env(source: str, interpreter: str | None, site_packages: list[str]) -> PythonEnv:
    env = PythonEnv(source=source, interpreter=interpreter, site_packages=site_packages)
    env.fastapi_dir, env.fastapi_version = _package_info(site_packages, "fastapi")
    env.starlette_dir, env.starlette_version = _package_info(site_packages, "starlette")
    if env.fastapi_dir is None:
        env.problems.append(f"fastapi is not installed in {interpreter or source}")
    return env


#: a fastapi/starlette module larger than this is not read (nor hashed): the extraction refuses it
MAX_PACKAGE_FILE_BYTES = 4_000_000
_MAX_PACKAGE_FILES = 5_000


def package_files(package_dir: str) -> list[tuple[str, str]]:
    """``(relative path, path)`` of every ``.py``/``.pyi`` file of a package folder, sorted.
    Directory symlinks are not followed; ``__pycache__`` is skipped."""
    out: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(package_dir):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".py", ".pyi")):
                full = os.path.join(dirpath, name)
                out.append((os.path.relpath(full, package_dir).replace(os.sep, "/"), full))
                if len(out) > _MAX_PACKAGE_FILES:
                    return out
    return out


def packages_digest(env: PythonEnv) -> str:
    """What identifies the installed fastapi + starlette: a digest of their module files'
    relative paths and contents (not their version strings, which anyone can write).

    Two environments share an API cache entry only when their packages hold the same code.
    A file that is not a regular file or is oversized enters as its kind and size: the
    extraction refuses such a package, and its entry never matches a real one."""
    h = hasher()
    for label, folder in (("fastapi", env.fastapi_dir), ("starlette", env.starlette_dir)):
        h.update(f"\0package {label} {'present' if folder else 'absent'}\0".encode())
        if not folder:
            continue
        for rel, full in package_files(folder):
            h.update(f"\0file {rel}\0".encode("utf-8", "surrogateescape"))
            try:
                data = read_regular_bytes(full, MAX_PACKAGE_FILE_BYTES)
            except OSError as exc:
                h.update(f"\0unreadable {exc}\0".encode("utf-8", "replace"))
                continue
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)
    return h.hexdigest()
