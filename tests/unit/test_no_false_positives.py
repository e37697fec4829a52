"""False-positive harness: every rule over code that is known to be right must stay silent.

Runs the diagnostics (default severities) over

* the fixture workspace (``tests/fixtures/workspace``);
* the installed ``fastapi`` package's own sources;
* FastAPI's ``docs_src/`` and ``tests/`` from its source distribution, fetched by
  ``tests/data/fetch_fastapi_examples.sh`` into ``tests/data/fastapi-examples/`` (skipped with
  a reason when it has not been fetched). Each tree is indexed as one workspace, so the
  unused-router rule and cross-module dependencies are checked the way the server does.

Any diagnostic is a failure, except the ones in ``ALLOWED`` below: places where FastAPI's
examples or tests use a deprecated or redundant spelling on purpose. FA009 (prefer Annotated)
is off by default and FastAPI keeps non-Annotated variants of every example for its docs, so
it is not part of the default run.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path

import pytest

from fastapi_docs_lsp.core.diagnostics import Diagnostic, diagnose
from fastapi_docs_lsp.core.routes import RouteIndex
from fastapi_docs_lsp.core.workspace import WorkspaceModules, read_file_text

from ..conftest import REPO, WORKSPACE

EXAMPLES = Path(os.environ.get("FASTAPI_EXAMPLES_DIR", REPO / "tests" / "data" / "fastapi-examples"))

#: (path relative to the tree, code) -> why the diagnostic is right and intended there.
ALLOWED: dict[tuple[str, str], str] = {
    # -- docs_src: examples the docs keep to show the old or the wrong way --------------------
    ("docs_src/path_params/tutorial003b.py", "FA005"): "'Order matters' shows that a second GET /users is never used",
    ("docs_src/events/tutorial001.py", "FA003"): "the 'Alternative Events (deprecated)' section",
    ("docs_src/events/tutorial002.py", "FA003"): "the 'Alternative Events (deprecated)' section",
    ("docs_src/app_testing/tutorial003.py", "FA003"): "testing the deprecated startup/shutdown events",
    ("docs_src/sql_databases/tutorial001.py", "FA003"): "the SQL tutorial still creates tables in a startup event",
    ("docs_src/sql_databases/tutorial001_non_an.py", "FA003"): "same, non-Annotated variant",
    ("docs_src/sql_databases/tutorial002.py", "FA003"): "same, second part",
    ("docs_src/sql_databases/tutorial002_non_an.py", "FA003"): "same, second part, non-Annotated variant",
    ("docs_src/behind_a_proxy/tutorial002.py", "FA002"): "shows FastAPI(root_path=...), deprecated in favour of the server's setting",
    # -- tests: FastAPI tests its deprecated parameters and both response_model spellings ------
    ("tests/test_regex_deprecated_body.py", "FA002"): "tests that regex= still works",
    ("tests/test_regex_deprecated_params.py", "FA002"): "tests that regex= still works",
    ("tests/test_schema_extra_examples.py", "FA002"): "tests that example= still works",
    ("tests/test_form_limits.py", "FA002"): "passes Starlette's routes= on purpose",
    ("tests/test_router_include_context.py", "FA002"): "passes Starlette's routes= on purpose",
    ("tests/test_router_include_context.py", "FA001"): "an endpoint that ignores its {job_id} on purpose (never called)",
    ("tests/test_router_events.py", "FA003"): "tests the deprecated router events",
    ("tests/test_no_schema_split.py", "FA008"): "tests response_model= together with the same return annotation",
    ("tests/test_skip_defaults.py", "FA008"): "tests response_model_exclude_* with both spellings",
    # -- the package itself: it forwards the deprecated parameters it still accepts ------------
    ("fastapi/param_functions.py", "FA002"): "Query()/Body()/... pass regex=/example= on to fastapi.params",
    ("fastapi/applications.py", "FA002"): "FastAPI passes routes= to its APIRouter",
}


def _tree_diagnostics(root: Path, api_db) -> tuple[int, list[tuple[str, Diagnostic]]]:
    """Index ``root`` as a workspace and diagnose every file in it."""
    modules = WorkspaceModules([str(root)], read_file_text, lambda: api_db)
    index = RouteIndex([str(root)], modules.analysis_for, modules.module_name_for, lambda: api_db)
    index.refresh()

    def load_module(name: str):
        path = modules.path_for_module(name)
        return modules.analysis_for(path) if path else None

    found: list[tuple[str, Diagnostic]] = []
    for path in sorted(index.files):
        analysis = modules.analysis_for(path)
        for diag in diagnose(
            analysis,
            db=api_db,
            module_name=modules.module_name_for(path),
            path=path,
            workspace=index,
            load_module=load_module,
        ):
            found.append((Path(path).relative_to(root).as_posix(), diag))
    return len(index.files), found


def _unexpected(found: list[tuple[str, Diagnostic]], prefix: str = "") -> list[str]:
    return [
        f"{prefix}{rel}:{d.span.line + 1}: {d.code} {d.message}"
        for rel, d in found
        if (prefix + rel, d.code) not in ALLOWED
    ]


def test_fixture_workspace(api_db):
    count, found = _tree_diagnostics(WORKSPACE, api_db)
    assert count >= 8
    assert _unexpected(found) == []


def test_installed_fastapi_package(api_db):
    spec = importlib.util.find_spec("fastapi")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("fastapi is not installed")
    package = Path(list(spec.submodule_search_locations)[0])
    count, found = _tree_diagnostics(package, api_db)
    assert count > 40
    assert _unexpected(found, prefix="fastapi/") == []


def _examples_root() -> Path:
    version = importlib.metadata.version("fastapi")
    root = EXAMPLES / f"fastapi-{version}"
    if not (root / "docs_src").is_dir():
        pytest.skip(f"FastAPI {version} docs_src/tests not fetched: run tests/data/fetch_fastapi_examples.sh")
    return root


@pytest.mark.parametrize("tree", ["docs_src", "tests"])
def test_fastapi_docs_examples_and_tests(api_db, tree):
    root = _examples_root()
    # index the whole sdist so docs_src apps importing each other resolve like in a real project
    count, found = _tree_diagnostics(root / tree, api_db)
    assert count > 400
    assert _unexpected(found, prefix=f"{tree}/") == []


def test_harness_catches_diagnostics(api_db, tmp_path):
    """The harness is not vacuous: a wrong module in a tree is reported."""
    (tmp_path / "bad.py").write_text('from fastapi import FastAPI\napp = FastAPI()\n\n@app.get("/{x}")\ndef f(): ...\n')
    _, found = _tree_diagnostics(tmp_path, api_db)
    assert _unexpected(found) == [f"bad.py:4: FA001 {found[0][1].message}"]
