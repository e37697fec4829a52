"""Every public name of the installed FastAPI (and of FastAPI 0.115) hovers with docs and a link.

Public names: what ``fastapi`` exports, and the classes and functions of its public submodules
(the ones the reference documents, plus ``routing``, ``params``, ``exceptions``,
``exception_handlers``, ``encoders``, ``datastructures``, ``sse``), and every status code.
A hover "has docs" when it has a line of prose besides its header and its code, and "a link"
when it links a fastapi.tiangolo.com page. Where FastAPI has no docstring, the catalog's
``[[symbols]]`` notes (references/catalog/symbols.toml) provide both.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fastapi_docs_lsp.core.analysis import Occurrence
from fastapi_docs_lsp.core.completion import _module_members
from fastapi_docs_lsp.core.docs import build_index
from fastapi_docs_lsp.core.render import render_hover

PUBLIC_MODULES = (
    "applications", "background", "datastructures", "encoders", "exception_handlers", "exceptions", "middleware",
    "param_functions", "params", "requests", "responses", "routing", "security", "sse", "staticfiles", "status",
    "templating", "testclient", "websockets",
)
OLD_FASTAPI = ("fastapi==0.115.12", "starlette==0.46.2")


def public_names(db) -> list[str]:
    root = db.get("fastapi")
    assert root is not None
    names = [f"fastapi.{n}" for n, _t, o in _module_members(db, root, "fastapi") if o.kind != "module"]
    for module in PUBLIC_MODULES:
        mod = db.get(f"fastapi.{module}")
        if mod is None or mod.kind != "module":
            continue  # not in this FastAPI version (fastapi.sse arrived after 0.115)
        for name, _target, obj in _module_members(db, mod, f"fastapi.{module}"):
            if obj.kind in ("class", "function") or module == "status":
                names.append(f"fastapi.{module}.{name}")
    return names


def has_prose(text: str) -> bool:
    in_code = False
    for line in text.splitlines()[1:]:
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.strip() and not line.startswith(("**Docs:**", "> ", "**Deprecated")):
            return True
    return False


def undocumented(db, docs) -> tuple[list[str], list[str]]:
    names = public_names(db)
    missing = []
    for name in names:
        kind = "status" if name.startswith("fastapi.status.") else "name"
        text = render_hover(Occurrence(0, 0, 1, name, kind), db, docs) or ""
        problems = [what for what, ok in (("docs", has_prose(text)), ("link", "](https://fastapi.tiangolo.com/" in text)) if not ok]
        if problems:
            missing.append(f"{name}: no {' and no '.join(problems)}")
    return names, missing


@pytest.fixture(scope="module")
def catalog_docs(tmp_path_factory):
    return build_index(cache_dir=str(tmp_path_factory.mktemp("docs")))


def test_every_public_name_of_the_installed_fastapi(api_db, catalog_docs):
    names, missing = undocumented(api_db, catalog_docs)
    assert len(names) > 100
    assert not missing, "\n".join(missing)


@pytest.fixture(scope="session")
def old_fastapi_db(tmp_path_factory, cache_dir):
    """The ApiDB of FastAPI 0.115 installed into a temporary folder (skipped without PyPI)."""
    from fastapi_docs_lsp.core.env import PythonEnv
    from fastapi_docs_lsp.core.project import Project

    target = tmp_path_factory.mktemp("fastapi-0.115")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", "--target", str(target), *OLD_FASTAPI],
            capture_output=True, text=True, timeout=180,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot install {OLD_FASTAPI}: {exc}")
    if proc.returncode != 0 or not (Path(target) / "fastapi").is_dir():
        pytest.skip(f"cannot install {OLD_FASTAPI} (PyPI unreachable?): {proc.stderr.strip()[-300:]}")
    env = PythonEnv(
        source="setting",
        interpreter=None,
        site_packages=[str(target)],
        fastapi_dir=str(Path(target) / "fastapi"),
        fastapi_version=OLD_FASTAPI[0].split("==")[1],
        starlette_dir=str(Path(target) / "starlette"),
        starlette_version=OLD_FASTAPI[1].split("==")[1],
    )
    db = Project(roots=[str(target)])._load_api(env)
    if db is None:
        pytest.fail(f"could not read the API of {OLD_FASTAPI}")
    return db


def test_every_public_name_of_fastapi_0_115(old_fastapi_db, catalog_docs):
    names, missing = undocumented(old_fastapi_db, catalog_docs)
    assert len(names) > 100
    assert not missing, "\n".join(missing)
