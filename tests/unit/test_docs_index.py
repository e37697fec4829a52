"""DocIndex over small inline sources: detection, symbol lookups, URLs, excerpts, searchDocs, cache."""

from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path

import pytest

from fastapi_docs_lsp.core.docs import build_index, detect_source, search_payload
from fastapi_docs_lsp.core.docs.index import DocIndex, SourceInfo
from fastapi_docs_lsp.core.docs.model import Section

P = "\u00b6"
SITE = "https://fastapi.tiangolo.com/"


def sec(id, url, title, *, source="catalog", category="tutorial", level=2, symbols=(), keywords=(), summary="", text="", page_title="Page", path=None, line_start=None, line_end=None):
    return Section(
        id=id, source=source, category=category, page_title=page_title, title=title, url=url, level=level,
        summary=summary, keywords=tuple(keywords), symbols=tuple(symbols), text=text, path=path,
        line_start=line_start, line_end=line_end, breadcrumb=(category.title(), page_title, title),
    )


@pytest.fixture()
def index() -> DocIndex:
    q = f"{SITE}tutorial/query-params-str-validations/"
    sections = [
        sec("catalog:q", q, "Query Parameters and String Validations", level=1, symbols=["fastapi.Query"], summary="Validate query strings.", page_title="Query Parameters and String Validations"),
        sec("catalog:q#add-regular-expressions", f"{q}#add-regular-expressions", "Add regular expressions", keywords=["pattern", "regex"], symbols=["fastapi.Query"], summary="Match a regex."),
        sec("catalog:q#max", f"{q}#additional-validation", "Additional validation", symbols=["fastapi.Query.max_length"], summary="Limit length."),
        sec("catalog:ref", f"{SITE}reference/parameters/#fastapi.Query", "Query", category="reference", symbols=["fastapi.Query"], summary="Reference."),
        sec("catalog:adv", f"{SITE}advanced/x/", "Advanced Query", category="advanced", level=1, symbols=["fastapi.Query"], summary="More."),
        sec("catalog:rn", f"{SITE}release-notes/#0-1", "0.1", category="general", symbols=["fastapi.Query"], keywords=["pattern"]),
        sec("catalog:dep", f"{SITE}tutorial/dependencies/", "Dependencies", level=1, symbols=["fastapi.Depends"], summary="Share logic."),
        sec("skill:q#add-regular-expressions", f"{q}#add-regular-expressions", "Add regular expressions", source="skill",
            text="```\nQuery(pattern='^x$')\n```\n\n [Python 3.10+](#__tabbed_1_1)\n\nNote\n\nYou can declare a regular expression the parameter must match.\n\nIt is checked on every request.",
            path="/docs/tutorial-1.md", line_start=10, line_end=20),
    ]
    return DocIndex(sections, [SourceInfo("catalog", "x", len(sections))])


def test_get_and_section_for_url(index):
    assert index.get("catalog:dep").title == "Dependencies"
    assert index.get("nope") is None
    found = index.section_for_url(f"{SITE}tutorial/query-params-str-validations#add-regular-expressions")
    assert found is not None and found.source == "catalog"
    assert index.section_for_url("http://fastapi.tiangolo.com/tutorial/dependencies") is index.get("catalog:dep")
    assert index.section_for_url(f"{SITE}tutorial/dependencies/#unknown-anchor") is None
    assert index.section_for_url("") is None


def test_rich_section_and_excerpt(index):
    cat = index.get("catalog:q#add-regular-expressions")
    rich = index.rich_section(cat)
    assert rich is not None and rich.source == "skill"
    text = index.excerpt(cat)
    assert text.splitlines() == ["You can declare a regular expression the parameter must match.", "It is checked on every request."]
    assert index.excerpt(cat, max_lines=1).count("\n") == 0
    assert index.excerpt(index.get("catalog:dep")) == ""  # catalog-only
    assert index.rich_section(index.get("catalog:dep")) is None


def test_sections_for_symbol(index):
    got = index.sections_for_symbol("fastapi.Query")
    assert [s.id for s in got] == ["catalog:q", "catalog:adv", "catalog:ref"]  # tutorial, advanced, then reference
    assert index.sections_for_symbol("fastapi.Query", limit=1)[0].id == "catalog:q"
    pattern = index.sections_for_symbol("fastapi.Query.pattern")
    assert pattern[0].id == "catalog:q#add-regular-expressions" and pattern[-1].id == "catalog:ref"
    assert "catalog:rn" not in [s.id for s in pattern]  # release notes lose to real sections
    assert index.sections_for_symbol("fastapi.Query.max_length")[0].id == "catalog:q#max"
    # unknown member: falls back to the owner's sections
    assert index.sections_for_symbol("fastapi.Query.no_such_param")[0].id == "catalog:q"
    assert index.sections_for_symbol("fastapi.Depends.use_cache.x")[0].id == "catalog:dep"
    assert index.sections_for_symbol("fastapi.Unknown") == []
    assert index.sections_for_symbol("fastapi") == []
    assert index.sections_for_symbol("") == [] and index.sections_for_symbol(None) == []  # type: ignore[arg-type]


def test_search_merges_sources_per_url(index):
    hits = index.search("regular expresion", 5)  # typo
    assert hits and hits[0].section.url.endswith("#add-regular-expressions")
    assert hits[0].section.source == "skill"  # the richer copy is shown
    assert len({h.section.url for h in hits}) == len(hits)
    assert index.search("", 5) == [] and index.search("   ", 5) == []
    assert index.search("the of and", 5) == [] or all(h.score >= 0 for h in index.search("the of and", 5))


def test_search_payload_shapes(index):
    items = search_payload(index, ["regex"])
    assert items and set(items[0]) >= {"title", "breadcrumb", "url", "category", "score", "excerpt"}
    top = items[0]
    assert top["title"] == "Add regular expressions" and top["uri"] == "file:///docs/tutorial-1.md"
    assert top["range"] == {"start": {"line": 10, "character": 0}, "end": {"line": 20, "character": 0}}
    assert "regular expression" in top["excerpt"]
    assert len(search_payload(index, [{"query": "query", "limit": 2}])) <= 2
    dep = search_payload(index, [{"query": "dependencies"}])[0]
    assert dep["excerpt"] == "Share logic." and "uri" not in dep  # catalog summary, no local file
    for bad in (None, [], [1], [{"limit": 3}], [{"query": "x", "limit": "3"}], ["a", "b"], {"q": 1}, [{"query": ""}]):
        assert search_payload(index, bad) == []
    assert search_payload(None, ["x"]) == []


# --------------------------------------------------------------------------- sources + cache

SCRAPED = f"# Widgets{P}\n\n> tagline\n\n# Widgets{P}\n\nWidgets intro.\n\n## Make a widget{P}\n\nWidget making text.\n"


def skill_folder(tmp_path: Path) -> Path:
    root = tmp_path / "skill"
    (root / "references").mkdir(parents=True)
    (root / "SKILL.md").write_text("---\nname: t\n---\n# T\n")
    (root / "references" / "tutorial-1.md").write_text(SCRAPED)
    return root


def mkdocs_folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "tutorial").mkdir(parents=True)
    (docs / "index.md").write_text("# Home { #home }\n\nHi.\n")
    (docs / "tutorial" / "widgets.md").write_text("# Widgets { #widgets }\n\n## Make a widget { #make-a-widget }\n\nText.\n")
    return docs


def test_detect_source(tmp_path):
    assert detect_source(skill_folder(tmp_path)) == "skill"
    assert detect_source(tmp_path / "skill" / "SKILL.md") == "skill"
    assert detect_source(mkdocs_folder(tmp_path)) == "mkdocs"
    assert detect_source(tmp_path / "missing") is None
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "main.py").write_text("x = 1\n")
    assert detect_source(tmp_path / "code") is None
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# Just notes\n")
    assert detect_source(tmp_path / "notes") is None
    (tmp_path / "marked").mkdir()
    (tmp_path / "marked" / "a.md").write_text("# Page { #page }\n")
    assert detect_source(tmp_path / "marked") == "mkdocs"


def test_build_index_with_bad_paths_keeps_going(tmp_path, caplog):
    skill = skill_folder(tmp_path)
    docs = mkdocs_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    calls = []
    with caplog.at_level(logging.WARNING):
        index = build_index(
            catalog=False,
            reference_paths=[str(skill), str(docs), str(tmp_path / "nope"), str(tmp_path / "empty"), str(tmp_path / "file.txt"), str(tmp_path / "loop"), str(skill)],
            cache_dir="",
            progress=lambda m, f: calls.append((m, f)),
        )
    kinds = [(s.kind, s.sections > 0) for s in index.sources]
    assert kinds[:2] == [("skill", True), ("mkdocs", True)]
    assert [s.kind for s in index.sources[2:]] == ["unknown"] * 4  # duplicate path loaded once
    assert all(s.note for s in index.sources[2:])
    assert calls[-1][1] == 1.0 and all(0.0 <= f <= 1.0 for _, f in calls)
    assert "does not exist" in caplog.text and "neither a skill folder" in caplog.text
    # same heading from two sources (the skill has no catalog: local URLs) -> both indexed
    assert len({s.id for s in index.sections}) == len(index.sections)


def test_cache_warm_load_and_invalidation(tmp_path, caplog):
    skill = skill_folder(tmp_path)
    cache_dir = tmp_path / "cache"
    first = build_index(catalog=True, reference_paths=[str(skill)], cache_dir=str(cache_dir))
    assert any(cache_dir.glob("index.pickle")) and any(cache_dir.glob("skill-*.pickle"))
    second = build_index(catalog=True, reference_paths=[str(skill)], cache_dir=str(cache_dir))
    assert [s.id for s in second.sections] == [s.id for s in first.sections]
    assert second.search("widget", 3)[0].section.url == first.search("widget", 3)[0].section.url
    # a changed file invalidates
    page = skill / "references" / "tutorial-1.md"
    page.write_text(SCRAPED + f"\n## Paint a widget{P}\n\nPaint.\n")
    third = build_index(catalog=True, reference_paths=[str(skill)], cache_dir=str(cache_dir))
    assert any(s.title == "Paint a widget" for s in third.sections)
    # corrupt cache files are ignored with a log line
    for f in cache_dir.glob("*.pickle"):
        f.write_bytes(f.read_bytes()[:120])  # header intact, pickle cut short
    with caplog.at_level(logging.WARNING):
        fourth = build_index(catalog=True, reference_paths=[str(skill)], cache_dir=str(cache_dir))
    assert "unreadable" in caplog.text
    assert [s.id for s in fourth.sections] == [s.id for s in third.sections]


def test_cache_file_is_a_plain_pickle_with_key(tmp_path):
    from fastapi_docs_lsp.core.docs import cache

    assert cache.store(tmp_path, "x", "k1", {"a": 1})
    assert cache.load(tmp_path, "x", "k1") == {"a": 1}
    assert cache.load(tmp_path, "x", "k2") is None
    assert cache.load(None, "x", "k1") is None
    raw = (tmp_path / "x.pickle").read_bytes()
    assert pickle.loads(raw.split(b"\n", 2)[2]) == {"a": 1}


def test_unknown_symbol_is_fast(index):
    start = time.perf_counter()
    for _ in range(1000):
        index.sections_for_symbol("fastapi.not_there.at_all")
    assert time.perf_counter() - start < 0.5


def test_a_lazy_search_index_is_built_when_first_needed_and_then_cached(tmp_path):
    """The first load builds the topic search index after the rest (hovers do not need it):
    the cache entry is written then, and the answers are those of an index built at once."""
    skill = skill_folder(tmp_path)
    cache_dir = tmp_path / "cache"
    lazy = build_index(catalog=True, reference_paths=[str(skill)], cache_dir=str(cache_dir), lazy_search=True)
    assert lazy._search is None and not (cache_dir / "index.pickle").exists()
    assert lazy.sections_for_symbol("fastapi.Query")  # links work without it
    eager = build_index(catalog=True, reference_paths=[str(skill)], cache_dir="")
    for query in ("widget", "dependencies", "oauth2 scopes", "max_length"):
        assert [h.section.id for h in lazy.search(query, 5)] == [h.section.id for h in eager.search(query, 5)]
    assert lazy._search is not None and (cache_dir / "index.pickle").exists()
    warm = build_index(catalog=True, reference_paths=[str(skill)], cache_dir=str(cache_dir), lazy_search=True)
    assert warm._search is not None  # from the cache, search included
    assert [h.section.id for h in warm.search("widget", 5)] == [h.section.id for h in eager.search("widget", 5)]
