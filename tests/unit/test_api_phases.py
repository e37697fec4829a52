"""The API docs in two phases (issue 12): the first, partial extraction reads only the modules
of what ``fastapi`` exports, and every record it makes is the one the full extraction makes.

These run griffe on the fastapi/starlette installed in the test venv (skipped without them).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from fastapi_docs_lsp.core import apidb
from fastapi_docs_lsp.core.apijob import ApiJob
from fastapi_docs_lsp.core.env import find_environment, packages_digest

pytest.importorskip("griffe")
pytest.importorskip("griffe_typingdoc")

#: what hovers and completion need first (the issue's list), by canonical path
COMMON = (
    "fastapi",
    "fastapi.applications.FastAPI",
    "fastapi.applications.FastAPI.get",
    "fastapi.routing.APIRouter",
    "fastapi.routing.APIRouter.post",
    "fastapi.param_functions.Query",
    "fastapi.param_functions.Path",
    "fastapi.param_functions.Body",
    "fastapi.param_functions.Header",
    "fastapi.param_functions.Cookie",
    "fastapi.param_functions.Form",
    "fastapi.param_functions.File",
    "fastapi.param_functions.Depends",
    "fastapi.param_functions.Security",
    "fastapi.exceptions.HTTPException",
    "fastapi.datastructures.UploadFile",
    "starlette.requests.Request",
    "starlette.responses.Response",
    "starlette.responses.JSONResponse",
    "starlette.status",
    "starlette.status.HTTP_404_NOT_FOUND",
)


def _search_paths() -> list[str]:
    env = find_environment(sys.executable)
    if env.fastapi_dir is None or env.starlette_dir is None:
        pytest.skip("fastapi/starlette are not installed in the test environment")
    return sorted({str(Path(d).parent) for d in (env.fastapi_dir, env.starlette_dir) if d})


def _as_json(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the server reads it back (tuples become lists)."""
    return json.loads(json.dumps(payload))


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return _as_json(apidb.extract_api(_search_paths()))


@pytest.fixture(scope="module")
def parts() -> list[dict[str, Any]]:
    paths = _search_paths()
    return [_as_json(apidb.extract_quick(paths, group)) for group in range(len(apidb.QUICK_GROUPS))]


def _same_records(quick: dict[str, Any], full: dict[str, Any]) -> None:
    assert quick["objects"], "the first extraction found nothing"
    different = [path for path, record in quick["objects"].items() if full["objects"].get(path) != record]
    assert not different, f"records differ from the full extraction's: {different[:10]}"
    aliases = {k: v for k, v in quick["aliases"].items() if full["aliases"].get(k) != v}
    assert not aliases, f"aliases differ: {list(aliases.items())[:10]}"


def test_the_merged_first_payload_has_the_full_records_of_the_common_symbols(full: dict[str, Any], parts: list[dict[str, Any]]) -> None:
    merged = apidb.merge_quick(parts)
    assert merged is not None and merged["partial"] is True
    _same_records(merged, full)
    missing = [path for path in COMMON if path in full["objects"] and path not in merged["objects"]]
    assert not missing, f"the first extraction misses {missing}"
    # a real fraction of the whole: the point is to read less
    assert len(merged["objects"]) < len(full["objects"]) / 2


def test_each_group_alone_is_exact_too(full: dict[str, Any], parts: list[dict[str, Any]]) -> None:
    """What the server uses as soon as one child is done (before the others)."""
    for group, part in enumerate(parts):
        alone = apidb.merge_quick([part])
        assert alone is not None, f"group {group} gave nothing"
        _same_records(alone, full)


def test_a_single_child_reading_every_group_gives_the_same_records(full: dict[str, Any], parts: list[dict[str, Any]]) -> None:
    single = apidb.merge_quick([_as_json(apidb.extract_quick(_search_paths()))])
    merged = apidb.merge_quick(parts)
    assert single is not None and merged is not None
    _same_records(single, full)
    assert set(single["objects"]) == set(merged["objects"])


def test_the_first_payload_answers_the_hover_the_full_one_gives(full: dict[str, Any], parts: list[dict[str, Any]]) -> None:
    from fastapi_docs_lsp.core.analysis import analyze
    from fastapi_docs_lsp.core.render import render_hover

    source = "from typing import Annotated\nfrom fastapi import FastAPI, Query\napp = FastAPI()\n\n@app.get('/')\nasync def read(q: Annotated[str, Query(max_length=5)]): ...\n"
    line, col = 5, source.splitlines()[5].index("max_length") + 1
    answers = []
    for payload in (apidb.merge_quick(parts), full):
        assert payload is not None
        db = apidb.ApiDB(payload)
        occ = analyze(source, db=db).at(line, col)
        assert occ is not None
        answers.append(render_hover(occ, db, None))
    assert answers[0] == answers[1] and answers[0] and "max_length" in answers[0]


def test_merge_fills_a_module_member_from_another_part_or_drops_the_module() -> None:
    def part(objects: dict[str, Any], aliases: dict[str, str], unresolved: dict[str, list[str]]) -> dict[str, Any]:
        return {"schema": apidb.SCHEMA_VERSION, "versions": {}, "objects": objects, "aliases": aliases, "unresolved": unresolved, "partial": True}

    module = {"kind": "module", "members": {"Query": "fastapi.param_functions.Query"}}
    one = part({"fastapi": json.loads(json.dumps(module))}, {"fastapi.Query": "fastapi.param_functions.Query"}, {"fastapi": ["FastAPI"]})
    two = part({"fastapi.applications.FastAPI": {"kind": "class", "members": {}}}, {"fastapi.FastAPI": "fastapi.applications.FastAPI"}, {})
    merged = apidb.merge_quick([one, two])
    assert merged is not None
    assert merged["objects"]["fastapi"]["members"] == {"Query": "fastapi.param_functions.Query", "FastAPI": "fastapi.applications.FastAPI"}
    alone = apidb.merge_quick([one])
    assert alone is not None and "fastapi" not in alone["objects"]  # FastAPI's path is not known
    assert apidb.merge_quick([]) is None


@pytest.mark.parametrize("fork", [True, False], ids=["forked-workers", "one-child-each"])
def test_the_child_processes_give_the_first_then_the_full_docs_and_the_cache_is_filled(tmp_path: Path, full: dict[str, Any], fork: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi_docs_lsp.core import apijob

    if fork and not apijob.can_fork():
        pytest.skip("no os.fork here: the extractions run as one child each")
    if not fork:
        monkeypatch.setenv("FASTAPI_DOCS_LSP_NO_FORK", "1")
    out = tmp_path / "cache" / "api.json"
    job = ApiJob.start(out, _search_paths(), "test")
    assert isinstance(job._proc, apijob._Forked) is fork
    parts: list[int] = []
    first = job.first(on_part=lambda db: parts.append(len(db)))
    assert first is not None and job.error is None
    # at once the parameter functions (read in-process), then more as children finish (two
    # finishing between the same two looks count once; the last one is ``first()`` itself)
    assert parts[0] == 9 and parts == sorted(parts) and len(parts) <= len(apidb.QUICK_GROUPS)
    assert len(first) > parts[-1]
    assert first.get("fastapi.Query") is not None and first.get("fastapi.FastAPI.get") is not None
    final = job.result()
    assert final is not None and job.error is None and len(final) == len(full["objects"])
    assert json.loads(out.read_text())["objects"] == full["objects"]  # the cached payload is the full one
    assert not list(out.parent.glob("*.quick*"))  # the first phase leaves nothing behind
    assert job.first() is first  # asked again: the same, at once


def test_on_one_core_a_single_first_phase_worker_reads_every_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: list[dict[str, Any]]) -> None:
    from fastapi_docs_lsp.core import apijob

    monkeypatch.setattr(apijob.os, "cpu_count", lambda: 1)
    assert apijob.quick_groups() == [None]
    job = ApiJob.start(tmp_path / "api-one.json", _search_paths(), "test")
    first = job.first()
    merged = apidb.merge_quick(parts)
    assert first is not None and merged is not None and len(first) == len(merged["objects"])
    assert job.result() is not None and job.error is None


def test_a_stopped_forked_extraction_is_an_error_and_its_batch_ends(tmp_path: Path) -> None:
    from fastapi_docs_lsp.core import apijob

    if not apijob.can_fork():
        pytest.skip("no os.fork here")
    job = ApiJob.start(tmp_path / "api.json", _search_paths(), "test")
    forked = job._proc
    assert isinstance(forked, apijob._Forked)
    forked.kill()  # at once: the kill waits for the worker's pid if it is not reported yet
    assert job.result() is None and job.error and "exit code -9" in job.error
    assert forked.wait(timeout=30) == -9
    job.first(timeout=30)  # the first-phase workers finish (or are stopped) too
    assert forked._batch.proc.wait(timeout=30) == 0  # the batch child is over: nothing left behind
    assert not list(tmp_path.glob("*.quick*")) and not (tmp_path / "api.json").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_batch_that_fails_before_forking_reports_each_job_with_its_exit_code(tmp_path: Path) -> None:
    from fastapi_docs_lsp.core import apijob

    if not apijob.can_fork():
        pytest.skip("no os.fork here")
    site = tmp_path / "site"
    (site / "fastapi").mkdir(parents=True)
    (site / "fastapi" / "__init__.py").write_text("")
    os.mkfifo(site / "fastapi" / "evil.py")  # a refused install: the batch stops before forking
    batch = apijob._Batch.start([[str(tmp_path / "a.json"), 0, 0], [str(tmp_path / "b.json"), None, 0]], [str(site)], None, cwd=tmp_path)
    assert batch is not None
    codes = [job.wait(timeout=60) for job in batch.jobs]
    batch.stderr.seek(0)
    said = batch.stderr.read().decode()
    batch.stderr.close()
    assert codes == [3, 3] and not batch.pids
    assert "evil.py is not a regular file" in said


def test_the_child_started_ahead_takes_the_jobs_or_goes_away(tmp_path: Path, full: dict[str, Any]) -> None:
    from fastapi_docs_lsp.core import apijob

    if not apijob.can_fork():
        pytest.skip("no os.fork here")
    cache = tmp_path / "cache"
    assert apijob.prestart(cache)
    spare = apijob._spare
    assert spare is not None
    job = ApiJob.start(cache / "api-test.json", _search_paths(), "test")
    assert isinstance(job._proc, apijob._Forked) and job._proc._batch.proc is spare[0] and apijob._spare is None
    final = job.result()
    assert final is not None and len(final) == len(full["objects"])
    # a cache with API docs in it: nothing started ahead
    assert not apijob.prestart(cache)
    # one started ahead and not needed (the cache answered) exits when sent away
    assert apijob.prestart(tmp_path / "other")
    spare = apijob._spare
    assert spare is not None
    apijob.release_spare()
    assert spare[0].wait(timeout=30) == 0 and apijob._spare is None


def test_project_uses_the_first_docs_then_the_full_ones_and_then_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: dict[str, Any]) -> None:
    from fastapi_docs_lsp.core.project import Project
    from fastapi_docs_lsp.settings import Settings

    _search_paths()
    monkeypatch.setenv("FASTAPI_DOCS_LSP_CACHE_DIR", str(tmp_path / "cache"))
    project = Project([str(tmp_path)], Settings(pythonPath=sys.executable))
    order: list[str] = []
    project.when_ready(lambda: order.append("ready"))
    project.when_ready(lambda: order.append("search"), search=True)
    project.load()
    assert project.ready.is_set() and project.loaded.is_set() and project.search_ready.is_set()
    assert sorted(order) == ["ready", "search"]  # each waiter called once
    assert project.db is not None and len(project.db) == len(full["objects"]) and project.api_loaded()
    assert project.api_error is None
    env = project.env
    assert env is not None
    cached = list((tmp_path / "cache").glob(f"api-{packages_digest(env)[:40]}-*.json"))
    assert [p.name for p in cached if ".quick" not in p.name] and not [p for p in cached if ".quick" in p.name]

    started: list[Any] = []
    monkeypatch.setattr(ApiJob, "start", classmethod(lambda cls, *a, **k: started.append(a) or ApiJob.done(None, "not expected")))
    again = Project([str(tmp_path)], Settings(pythonPath=sys.executable))
    again.load()
    assert not started, "a warm cache must not start an extraction"
    assert again.db is not None and len(again.db) == len(full["objects"]) and again.ready.is_set()


def test_the_parameter_functions_read_with_ast_are_the_griffe_records(full: dict[str, Any]) -> None:
    from fastapi_docs_lsp.core.apifast import read_parameter_functions

    fast = read_parameter_functions(_search_paths())
    assert fast is not None
    fast = _as_json(fast)
    _same_records(fast, full)
    names = {path.rpartition(".")[2] for path in fast["objects"]}
    assert {"Query", "Path", "Body", "Header", "Cookie", "Form", "File", "Depends", "Security"} <= names
    merged = apidb.merge_quick([fast])
    assert merged is not None and set(merged["objects"]) == set(fast["objects"])


def test_the_ast_reader_leaves_out_what_it_cannot_read_exactly(tmp_path: Path) -> None:
    from fastapi_docs_lsp.core.apifast import read_parameter_functions

    pkg = tmp_path / "fastapi"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from .params import Plain as Plain\nfrom .params import Decorated as Decorated\n"
        "from .params import Forward as Forward\nfrom .params import Twice as Twice\nfrom .params import Named as Named\n"
        "from .applications import Big as Big\n"
    )
    (pkg / "applications.py").write_text("class Big:\n    pass\n")
    (pkg / "params.py").write_text(
        "from typing import Annotated, Any, Literal, Optional\nfrom typing_extensions import Doc, deprecated\n"
        "def Plain(default: Annotated[Any, Doc('''\n    The default.\n''')] = None, *, mode: Annotated[Literal['a', 'b'], Doc('Mode.')] = 'a', "
        "old: Annotated[int, deprecated('gone soon'), Doc('Old.')] = 1, **extra: Any) -> Any:\n    '''Plain function.'''\n"
        "@deprecated('no')\ndef Decorated(x: int = 1) -> Any: ...\n"
        "def Forward(x: Optional['Thing'] = None) -> Any: ...\n"
        "def Twice() -> None: ...\nTwice = Twice\n"
        "def Named(x: Annotated[int, Doc('word')] = 1) -> None: ...\n"
    )
    payload = read_parameter_functions([str(tmp_path)])
    assert payload is not None and set(payload["objects"]) == {"fastapi.params.Plain"}
    record = payload["objects"]["fastapi.params.Plain"]
    assert record["public"] == "fastapi.Plain" and record["type"] == "typing.Any" and record["summary"] == "Plain function."
    params = {p["name"]: p for p in record["params"]}
    assert params["default"]["doc"] == "The default." and params["mode"]["annotation"] == "Literal['a', 'b']"
    assert params["mode"]["default"] == "'a'" and params["old"]["deprecated"] == "gone soon" and params["old"]["doc"] == "gone soon Old."
    assert params["extra"]["kind"] == "variadic keyword"
    # the same function read by griffe (in a package of its own) gives the same record
    alone = tmp_path / "alone"
    (alone / "fastapi").mkdir(parents=True)
    (alone / "fastapi" / "__init__.py").write_text("from .params import Plain as Plain\n")
    source = (pkg / "params.py").read_text()
    (alone / "fastapi" / "params.py").write_text(source[: source.index("@deprecated('no')")])
    assert set(_as_json(read_parameter_functions([str(alone)]) or {}).get("objects", {})) == {"fastapi.params.Plain"}
    griffe_payload = _as_json(apidb.extract_api([str(alone)]))
    assert griffe_payload["objects"]["fastapi.params.Plain"] == _as_json(payload)["objects"]["fastapi.params.Plain"]
