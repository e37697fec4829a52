"""The catalog's rules (references/README.md) over every catalog file, and the loader's tolerance."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import re
import sys
from pathlib import Path

import pytest

from fastapi_docs_lsp.core.docs import catalog
from fastapi_docs_lsp.core.docs.model import CATEGORY_TITLES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NOTES_FILE = "symbols.toml"  # [[symbols]] notes on single API names (core/docs/notes.py)
FILES = [f for f in catalog.catalog_files() if f.name != NOTES_FILE]
PAGES = [
    pytest.param(page, id=f"{f.name}:{page.get('id', n) if isinstance(page, dict) else n}")
    for f in FILES
    for n, page in enumerate(tomllib.loads(f.read_text(encoding="utf-8")).get("pages", []))
]


def _module_prefix(parts: list[str]) -> tuple[object | None, int, str | None]:
    """(imported module, parts used, source of a module that exists but needs a missing optional dependency)."""
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError, RuntimeError):
            spec = None
        if spec is None:
            continue
        try:
            return importlib.import_module(name), cut, None
        except (ImportError, RuntimeError):  # e.g. fastapi.templating without jinja2
            origin = spec.origin or ""
            return None, cut, Path(origin).read_text(encoding="utf-8") if origin.endswith(".py") else ""
    raise AssertionError(f"{'.'.join(parts)}: no such module")


def _has_member(cls: type, name: str) -> bool:
    """Class attribute, annotated field, ``self.name = ...`` in the class body or an ``__init__`` parameter."""
    if hasattr(cls, name):
        return True
    for klass in getattr(cls, "__mro__", (cls,)):
        if klass is object:
            continue
        if name in getattr(klass, "__annotations__", {}):
            return True
        try:
            init = klass.__dict__.get("__init__")
            if init is not None and name in inspect.signature(init).parameters:
                return True
            if re.search(rf"\bself\.{re.escape(name)}\s*(?::|=(?!=))", inspect.getsource(klass)):
                return True
        except (OSError, TypeError, ValueError):
            continue
    return False


def resolve_symbol(path: str) -> None:
    """Fail unless ``path`` is a public object, an attribute of a public class, or a parameter of
    a public callable (``fastapi.Query.max_length``, ``fastapi.FastAPI.get.responses``)."""
    parts = path.split(".")
    obj, cut, source = _module_prefix(parts)
    rest = parts[cut:]
    if obj is None:  # the module needs an optional dependency: check its source statically
        for name in rest[:1]:
            assert re.search(rf"\b{re.escape(name)}\b", source or ""), f"{path}: {name} not in the module"
        return
    for n, name in enumerate(rest):
        last = n == len(rest) - 1
        if hasattr(obj, name):
            obj = getattr(obj, name)
            continue
        assert last, f"{path}: {'.'.join(parts[: cut + n])} has no {name!r}"
        if isinstance(obj, type) and _has_member(obj, name):
            return
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            params = {}
        assert name in params, f"{path}: no attribute or parameter {name!r}"


def test_catalog_files_exist_and_are_toml():
    assert FILES, "references/catalog/*.toml is empty"
    for f in FILES:
        data = tomllib.loads(f.read_text(encoding="utf-8"))  # raises on a malformed file
        assert isinstance(data.get("pages"), list) and data["pages"], f"{f.name} has no [[pages]]"
        assert f.name.removesuffix(".toml") in CATEGORY_TITLES, f"{f.name}: not a category file"


@pytest.mark.parametrize("page", PAGES)
def test_page_follows_the_rules(page):
    assert catalog.page_problems(page) == []


@pytest.mark.parametrize("page", PAGES)
def test_symbols_are_importable_public_paths(page):
    symbols = list(page.get("symbols", []))
    for sec in page.get("sections", []):
        symbols.extend(sec.get("symbols", []))
    for sym in dict.fromkeys(symbols):
        assert sym.startswith("fastapi"), f"{sym}: not a public fastapi path"
        assert not any(part.startswith("_") for part in sym.split(".")), f"{sym}: private"
        resolve_symbol(sym)


def test_page_ids_unique_across_files():
    ids = [p.values[0]["id"] for p in PAGES]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes


def test_category_matches_file():
    for f in FILES:
        for page in tomllib.loads(f.read_text(encoding="utf-8"))["pages"]:
            assert page.get("category") == f.name.removesuffix(".toml"), page.get("id")


def test_loaded_sections_match_the_files():
    sections = catalog.load_catalog()
    pages = [s for s in sections if s.level == 1]
    assert len(pages) == len(PAGES)
    for s in sections:
        assert s.id.startswith("catalog:")
        assert s.url.startswith("https://fastapi.tiangolo.com/")
        assert s.breadcrumb[0] in CATEGORY_TITLES.values()
        if s.level > 1:
            assert s.url == f"{s.page_url}#{s.id.split('#', 1)[1]}"
            assert s.breadcrumb[1] == s.page_title and s.breadcrumb[-1] == s.title


# --------------------------------------------------------------------------- loader tolerance

GOOD = """
[[pages]]
id = "tutorial/widgets"
title = "Widgets"
url = "https://fastapi.tiangolo.com/tutorial/widgets/"
category = "tutorial"
summary = "Make widgets."
keywords = ["widget"]
symbols = ["fastapi.Query"]

  [[pages.sections]]
  title = "First widget"
  anchor = "first-widget"
  level = 2
  summary = "One."

  [[pages.sections]]
  title = "Nested widget"
  anchor = "nested-widget"
  level = 3
  summary = "Two."
  symbols = ["fastapi.Query.max_length"]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_loader_builds_ids_urls_and_breadcrumbs(tmp_path):
    sections = catalog.load_catalog(write(tmp_path, "tutorial.toml", GOOD))
    assert [s.id for s in sections] == [
        "catalog:tutorial/widgets",
        "catalog:tutorial/widgets#first-widget",
        "catalog:tutorial/widgets#nested-widget",
    ]
    nested = sections[2]
    assert nested.url == "https://fastapi.tiangolo.com/tutorial/widgets/#nested-widget"
    assert nested.breadcrumb == ("Tutorial", "Widgets", "First widget", "Nested widget")
    assert nested.symbols == ("fastapi.Query.max_length",)
    assert sections[0].keywords == ("widget",) and sections[0].level == 1


def test_malformed_file_is_skipped_and_others_load(tmp_path, caplog):
    write(tmp_path, "advanced.toml", "[[pages]]\nid = 'x\n")  # unterminated string
    write(tmp_path, "tutorial.toml", GOOD)
    with caplog.at_level(logging.WARNING):
        sections = catalog.load_catalog(tmp_path)
    assert len(sections) == 3
    assert "advanced.toml" in caplog.text and "not valid TOML" in caplog.text


def test_partial_entries_are_skipped(tmp_path, caplog):
    text = GOOD + """
[[pages]]
id = "tutorial/half-written"
title = "Half"

[[pages]]
id = "tutorial/other"
title = "Other"
url = "https://fastapi.tiangolo.com/tutorial/other/"
category = "tutorial"
summary = "Fine."
  [[pages.sections]]
  title = "No anchor"
  level = 2
  summary = "x"
  [[pages.sections]]
  title = "Dup"
  anchor = "dup"
  level = 2
  summary = "x"
  [[pages.sections]]
  title = "Dup again"
  anchor = "dup"
  level = 2
  summary = "x"
"""
    with caplog.at_level(logging.WARNING):
        sections = catalog.load_catalog(write(tmp_path, "tutorial.toml", text))
    ids = [s.id for s in sections]
    assert "catalog:tutorial/half-written" not in ids
    assert ids[-2:] == ["catalog:tutorial/other", "catalog:tutorial/other#dup"]
    assert "half-written" in caplog.text and "duplicate anchor" in caplog.text


def test_page_problems_reports_rule_violations():
    page = tomllib.loads(GOOD)["pages"][0]
    assert catalog.page_problems(page) == []
    bad = dict(page, url="http://example.com/x", category="misc", summary="see [x](y)")
    bad["sections"] = [dict(page["sections"][0]), dict(page["sections"][0], level="2")]
    problems = "\n".join(catalog.page_problems(bad))
    for fragment in ("must start with", "unknown category", "Markdown link", "duplicate anchor", "'level'"):
        assert fragment in problems


def test_missing_folder_gives_nothing(tmp_path):
    assert catalog.load_catalog(tmp_path / "nope") == []


def test_title_map_matches_titles_and_anchors(tmp_path):
    tm = catalog.TitleMap(catalog.load_catalog(write(tmp_path, "tutorial.toml", GOOD)))
    ref = tm.page("widgets")
    assert ref is not None and ref.url.endswith("/tutorial/widgets/")
    assert tm.page("Unknown page") is None
    assert tm.anchor(ref.url, "First  Widget") == "first-widget"
    assert tm.anchor(ref.url, "Nestedwidget") == "nested-widget"  # scraped: lost space
    assert tm.anchor(ref.url, "First widget", used={"first-widget"}) is None


# ---------------------------------------------------------------- [[symbols]] notes


def _notes() -> list[dict]:
    path = Path(str(catalog.catalog_dir())) / NOTES_FILE
    return tomllib.loads(path.read_text(encoding="utf-8")).get("symbols", [])


def test_symbol_notes_follow_the_rules():
    from fastapi_docs_lsp.core.docs.notes import load_notes, note_problems

    entries = _notes()
    assert len(entries) >= 40
    for entry in entries:
        assert note_problems(entry) == [], entry
    symbols = [e["symbol"] for e in entries]
    assert len(symbols) == len(set(symbols)), "a symbol has two notes"
    assert set(load_notes()) == set(symbols)


def test_symbol_notes_link_real_pages_and_anchors():
    """Facts only: a note's URL is a page or a section the catalog knows (the site's own anchors)."""
    urls = {s.url for s in catalog.load_catalog()}
    for entry in _notes():
        assert entry["url"] in urls, (entry["symbol"], entry["url"])


def test_symbol_notes_are_about_names_that_exist(api_db):
    for entry in _notes():
        symbol = entry["symbol"]
        owner, _, name = symbol.rpartition(".")
        found = api_db.get(symbol) is not None or (api_db.get(owner) is not None and (name in api_db.get(owner).members or api_db.get(owner).param(name)))
        assert found, symbol


def test_malformed_notes_are_skipped(caplog):
    from fastapi_docs_lsp.core.docs.notes import parse_notes

    text = '[[symbols]]\nsymbol = "fastapi.X"\nsummary = "Fine."\nurl = "https://fastapi.tiangolo.com/reference/"\n\n[[symbols]]\nsymbol = "x"\n'
    with caplog.at_level(logging.WARNING):
        notes = parse_notes(text, "t.toml")
    assert list(notes) == ["fastapi.X"] and "skipped" in caplog.text
    assert parse_notes("[[symbols]]\nnot toml", "bad.toml") == {}
