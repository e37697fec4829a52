"""The real FastAPI docs (../shared/corpora, skipped when absent) in both layouts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from fastapi_docs_lsp.core.docs import build_index, detect_source
from fastapi_docs_lsp.core.docs.catalog import TitleMap, load_catalog
from fastapi_docs_lsp.core.docs.mkdocs import parse_mkdocs_tree
from fastapi_docs_lsp.core.docs.skill import parse_skill_folder
from fastapi_docs_lsp.core.docs.text import excerpt_text

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
SKILL = CORPORA / "fastapi-skill"
MKDOCS = CORPORA / "fastapi-docs-mkdocs" / "docs"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not SKILL.is_dir() or not MKDOCS.is_dir(), reason="../shared/corpora is absent"),
]


@pytest.fixture(scope="module")
def pages_json() -> list[dict]:
    return json.loads((SKILL / "pages.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def skill_sections():
    return parse_skill_folder(SKILL, TitleMap(load_catalog()))


@pytest.fixture(scope="module")
def mkdocs_sections():
    return parse_mkdocs_tree(MKDOCS)


def test_detects_both_layouts():
    assert detect_source(SKILL) == "skill"
    assert detect_source(MKDOCS) == "mkdocs"
    assert detect_source(MKDOCS.parent) == "mkdocs"  # the folder above docs/ works too


def test_every_scraped_page_is_found_and_mapped_to_its_url(skill_sections, pages_json):
    urls = {s.url for s in skill_sections if s.level == 1}
    expected = {p["url"] for p in pages_json}
    assert expected <= urls
    assert all(s.url.startswith("https://fastapi.tiangolo.com/") for s in skill_sections)
    assert len({s.id for s in skill_sections}) == len(skill_sections)
    for s in skill_sections:
        assert "\u00b6" not in s.title
        assert s.path and s.line_start is not None and s.line_end is not None and s.line_end > s.line_start


def test_skill_anchors_agree_with_the_mkdocs_heading_ids(skill_sections, mkdocs_sections):
    """The scraped layout has no ids: its anchors (catalog or slug) must be the site's real ones."""
    real = {s.url for s in mkdocs_sections}
    site_pages = {s.page_url for s in mkdocs_sections}
    checked = [s for s in skill_sections if s.page_url in site_pages and "/reference/" not in s.url]
    wrong = [s.url for s in checked if s.url not in real]
    assert len(checked) > 1500
    assert len(wrong) <= len(checked) // 100, wrong[:10]


def test_mkdocs_tree_pages_urls_and_symbols(mkdocs_sections, pages_json):
    page_urls = {s.url for s in mkdocs_sections if s.level == 1}
    assert {p["url"] for p in pages_json} <= page_urls
    titles = {p["url"]: p["title"] for p in pages_json}
    same_title = sum(1 for s in mkdocs_sections if s.level == 1 and titles.get(s.url) == s.title)
    assert same_title >= len(titles) * 0.95
    by_url = {s.url: s for s in mkdocs_sections}
    assert "fastapi.FastAPI" in by_url["https://fastapi.tiangolo.com/reference/fastapi/"].symbols
    assert "https://fastapi.tiangolo.com/reference/fastapi/#fastapi.FastAPI.get" in by_url
    assert by_url["https://fastapi.tiangolo.com/tutorial/query-params-str-validations/#add-regular-expressions"].level == 2
    cats = Counter(s.category for s in mkdocs_sections if s.level == 1)
    assert cats["tutorial"] > 40 and cats["reference"] > 20


def test_excerpts_are_clean_prose(skill_sections, mkdocs_sections):
    for sections in (skill_sections, mkdocs_sections):
        for s in sections:
            text = excerpt_text(s.text, 4)
            assert "\u00b6" not in text and "__tabbed_" not in text and "```" not in text
            assert "///" not in text and "{*" not in text


def test_full_index_with_both_corpora(tmp_path):
    index = build_index(reference_paths=[str(SKILL), str(MKDOCS)], cache_dir=str(tmp_path))
    assert [s.kind for s in index.sources] == ["catalog", "skill", "mkdocs"]
    cat = index.section_for_url("https://fastapi.tiangolo.com/tutorial/query-params-str-validations/#add-regular-expressions")
    assert cat is not None
    rich = index.rich_section(cat)
    assert rich is not None and rich.source in ("skill", "mkdocs") and index.excerpt(cat)
    hits = index.search("upload files", 10)
    assert len({h.section.url for h in hits}) == len(hits)
