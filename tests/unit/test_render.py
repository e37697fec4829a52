"""Hover text: short, public names, clean signatures, parameter docs, status codes, docs links."""

from __future__ import annotations

import re

import pytest

from fastapi_docs_lsp.core.analysis import Occurrence
from fastapi_docs_lsp.core.apidb import format_signature, ParamInfo, strip_annotated
from fastapi_docs_lsp.core.render import HoverOptions, display_path, render_hover


def occ(target, kind="name", param=None, instance_of=None):
    return Occurrence(0, 0, 1, target, kind, param=param, instance_of=instance_of)


@pytest.fixture(scope="module")
def docs(loaded_project):
    return loaded_project.docs


def test_public_paths(api_db):
    assert display_path("fastapi.param_functions.Query", api_db) == "fastapi.Query"
    assert display_path("fastapi.Request.url_for", api_db) == "fastapi.Request.url_for"
    assert display_path("fastapi.status.HTTP_404_NOT_FOUND", api_db) == "fastapi.status.HTTP_404_NOT_FOUND"
    assert display_path("fastapi.FastAPI.get", api_db) == "fastapi.FastAPI.get"
    assert display_path("starlette.responses.JSONResponse", api_db) == "fastapi.responses.JSONResponse"


def test_strip_annotated_and_deprecated():
    assert strip_annotated("Annotated[int | None, Doc('x')]") == ("int | None", None)
    assert strip_annotated("Annotated[str, Doc('x'), deprecated('use pattern')]") == ("str", "use pattern")
    assert strip_annotated("int") == ("int", None)


def test_signature_is_shortened():
    params = [ParamInfo(f"p{i}", "keyword-only", "int", "None") for i in range(20)]
    sig = format_signature("Query", params)
    assert "12 more" in sig and "Annotated" not in sig


@pytest.mark.parametrize(
    "o, must",
    [
        (occ("fastapi.Depends"), ["**fastapi.Depends**", "Depends(", "tutorial/dependencies/"]),
        (occ("fastapi.Query", "keyword", "max_length"), ["**max_length**", "int | None", "query-params-str-validations"]),
        (occ("fastapi.Query", "keyword", "regex"), ["Deprecated", "pattern"]),
        (occ("fastapi.status.HTTP_404_NOT_FOUND", "status"), ["404", "Not Found"]),
        (occ("fastapi.FastAPI", "instance", instance_of="fastapi.FastAPI"), ["instance of `fastapi.FastAPI`"]),
        (occ("fastapi.FastAPI.get", "keyword", "response_model"), ["response_model", "response-model"]),
        (occ("fastapi.security.OAuth2PasswordBearer"), ["OAuth2PasswordBearer", "https://fastapi.tiangolo.com/"]),
    ],
)
def test_hover_content(api_db, docs, o, must):
    text = render_hover(o, api_db, docs)
    assert text is not None
    for piece in must:
        assert piece in text, (piece, text)
    assert len(text.splitlines()) <= 25
    assert "Annotated[" not in text and "Doc(" not in text


def test_docs_links_have_anchors_for_parameters(api_db, docs):
    text = render_hover(occ("fastapi.Query", "keyword", "pattern"), api_db, docs)
    links = re.findall(r"\((https://fastapi\.tiangolo\.com/[^)]+)\)", text)
    assert links and any("#" in link for link in links), text


def test_unknown_keyword_is_silent(api_db, docs):
    assert render_hover(occ("fastapi.Query", "keyword", "no_such_param"), api_db, docs) is None


def test_plain_text_mode(api_db, docs):
    text = render_hover(occ("fastapi.Depends"), api_db, docs, HoverOptions(markdown=False))
    assert "```" not in text and "**" not in text and "https://fastapi.tiangolo.com/" in text


def test_catalog_only_hover_without_fastapi(docs):
    text = render_hover(occ("fastapi.Depends"), None, docs)
    assert text and "fastapi.tiangolo.com" in text


def test_median_length_is_small(api_db, docs):
    targets = ["fastapi.FastAPI", "fastapi.APIRouter", "fastapi.Depends", "fastapi.Query", "fastapi.Path", "fastapi.Body",
               "fastapi.HTTPException", "fastapi.Request", "fastapi.Response", "fastapi.BackgroundTasks",
               "fastapi.security.OAuth2PasswordBearer", "fastapi.responses.JSONResponse", "fastapi.FastAPI.get",
               "fastapi.APIRouter.include_router", "fastapi.UploadFile", "fastapi.WebSocket"]
    sizes = sorted(len(render_hover(occ(t), api_db, docs) or "") for t in targets)
    assert sizes[len(sizes) // 2] < 2000, sizes
