"""Shared test helpers: paths, the fixture workspace, the shared corpora (skipped when absent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# tests/data holds downloaded FastAPI example code (see data/fetch_fastapi_examples.sh): data, not tests
collect_ignore_glob = ["data/*"]

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
WORKSPACE = FIXTURES / "workspace"
SHARED = (REPO / ".." / "shared").resolve()
CORPORA = SHARED / "corpora"


def corpus_path(*parts: str) -> Path:
    """A path inside ../shared/corpora, or skip the test when the corpora are not there."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/corpora not available ({path})")
    return path


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """One on-disk cache for the whole test session (API extraction runs once)."""
    path = Path(os.environ.get("FASTAPI_DOCS_LSP_TEST_CACHE", "")) if os.environ.get("FASTAPI_DOCS_LSP_TEST_CACHE") else tmp_path_factory.mktemp("cache")
    os.environ["FASTAPI_DOCS_LSP_CACHE_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def api_db(cache_dir):
    """The ApiDB of the fastapi installed in the test environment."""
    import sys

    from fastapi_docs_lsp.core.env import find_environment
    from fastapi_docs_lsp.core.project import Project

    project = Project(roots=[str(WORKSPACE)])
    project.settings = project.settings.__class__(pythonPath=sys.executable)
    env = find_environment(sys.executable)
    db = project._load_api(env)
    if db is None:
        pytest.skip("fastapi is not installed in the test environment")
    return db


@pytest.fixture(scope="session")
def loaded_project(cache_dir):
    """A fully loaded Project over the fixture workspace (API docs + doc index)."""
    import sys

    from fastapi_docs_lsp.core.project import Project
    from fastapi_docs_lsp.settings import Settings

    project = Project(roots=[str(WORKSPACE)], settings=Settings(pythonPath=sys.executable))
    project.load()
    return project


def dump(obj) -> str:
    return json.dumps(obj, indent=2, default=str)
