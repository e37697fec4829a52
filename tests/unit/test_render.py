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


# ---------------------------------------------------------------- docs first, clean text


def _visible_lines_before_link(text: str) -> int:
    from benchmarks.bench_hover_layout import first_link_line

    where = first_link_line(text)
    assert where is not None, text
    return where


@pytest.mark.parametrize(
    "o",
    [
        occ("fastapi.FastAPI.get", "member"),
        occ("fastapi.APIRouter.delete", "member"),
        occ("fastapi.FastAPI"),
        occ("fastapi.FastAPI.get", "keyword", "response_model"),
        occ("fastapi.Query", "keyword", "pattern"),
        occ("fastapi.FastAPI", "keyword", "openapi_url"),
    ],
)
def test_docs_link_comes_before_the_signature(api_db, docs, o):
    text = render_hover(o, api_db, docs)
    assert _visible_lines_before_link(text) <= 12, text
    if "```python\n" in text and o.kind != "keyword":
        assert text.index("**Docs:**") < text.index("```python"), text


@pytest.mark.parametrize("param", ["title", "openapi_url", "description", "summary", "docs_url", "servers"])
def test_no_dangling_headings(api_db, docs, param):
    text = render_hover(occ("fastapi.FastAPI", "keyword", param), api_db, docs)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for n, line in enumerate(lines):
        if re.fullmatch(r"\*\*[^*]+\*\*:?", line.strip()):
            assert n + 1 < len(lines) and not lines[n + 1].startswith("**Docs"), text
    assert "**Example**" not in text


def test_no_text_cut_mid_sentence(api_db, docs):
    text = render_hover(occ("fastapi.FastAPI.get", "keyword", "response_model"), api_db, docs)
    prose = text.split("**Docs:**")[0]
    assert "It will be used for" not in prose and " …" not in prose, text
    assert prose.rstrip().endswith((".", ")", "`")), text
    for o in (occ("fastapi.APIRouter.get", "keyword", "dependencies"), occ("fastapi.FastAPI", "keyword", "lifespan")):
        prose = (render_hover(o, api_db, docs) or "").split("**Docs:**")[0].rstrip()
        assert not prose.endswith((":", "…")), prose


def test_route_attribute_shows_its_own_doc(api_db, docs):
    text = render_hover(occ("fastapi.routing.APIRoute.name", "member"), api_db, docs)
    assert "attribute of `fastapi.routing.APIRoute`" in text and "name: str" in text
    prose = text.split("**Docs:**")[0]
    assert "url_for" in prose and "generate_unique_id_function" not in prose, text


def test_call_site_signature_shows_used_and_required_and_folds_the_rest(api_db, docs):
    from fastapi_docs_lsp.core.callsite import CallArgs

    text = render_hover(occ("fastapi.APIRouter.get", "member"), api_db, docs, call=CallArgs(1, ("response_model", "tags")))
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert "path: str" in code and "response_model" in code and "tags" in code
    assert "status_code" not in code.split("# +")[0]
    assert re.search(r"# \+ \d+ more: status_code, dependencies", code), code
    assert "Default(" not in text


def test_call_arguments_are_read_from_the_text():
    from fastapi_docs_lsp.core.callsite import CallArgs, call_arguments

    lines = ['@router.get("/items/{id}", response_model=Item,', "    tags=['a'],  # x=1", ")", "def f(): ..."]
    assert call_arguments(lines, 0, len("@router.get")) == CallArgs(1, ("response_model", "tags"))
    assert call_arguments(["x = Query(None, max_length=f(a=1) == 2)"], 0, len("x = Query")) == CallArgs(1, ("max_length",))
    assert call_arguments(["app.get"], 0, 7) is None
    assert call_arguments(["app.get(", "def f(): ..."], 0, 7) == CallArgs(0, ())


# ---------------------------------------------------------------- the excerpt of loaded docs


def _mkdocs_tree(root):
    docs_dir = root / "docs"
    (docs_dir / "tutorial" / "dependencies").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: T\nsite_url: https://fastapi.tiangolo.com/\ndocs_dir: docs\n")
    (docs_dir / "index.md").write_text("# Home\n\nWelcome.\n")
    (docs_dir / "tutorial" / "dependencies" / "index.md").write_text(
        "# Dependencies\n\n* a list item is no excerpt\n\nCopy that to a file main.py.\n\n"
        "Quokkas declare what a function needs and the framework hands it over on every request.\n\n"
        "Wombats reuse the same needs in many endpoints without repeating code.\n\nA third line.\n"
    )
    return root


def test_hover_adds_two_lines_of_the_loaded_docs(api_db, tmp_path):
    """The excerpt comes from the user's docs source, read at runtime (never from the project)."""
    from fastapi_docs_lsp.core.docs import build_index

    tree = _mkdocs_tree(tmp_path / "site")
    with_source = build_index(reference_paths=[str(tree)], cache_dir="")
    text = render_hover(occ("fastapi.Depends"), api_db, with_source)
    quoted = [ln for ln in text.splitlines() if ln.startswith("> ")]
    assert quoted == [
        "> Quokkas declare what a function needs and the framework hands it over on every request.",
        "> Wombats reuse the same needs in many endpoints without repeating code.",
    ], text
    assert text.index("**Docs:**") < text.index("> Quokkas")  # after what it is and the links
    catalog_only = build_index(cache_dir="")
    assert not any(ln.startswith("> ") for ln in render_hover(occ("fastapi.Depends"), api_db, catalog_only).splitlines())
    off = render_hover(occ("fastapi.Depends"), api_db, with_source, HoverOptions(excerpt=False))
    assert "Quokkas" not in off
