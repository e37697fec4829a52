"""Skill folders: the scraped layout (¶ headings, pages joined by ---) and hand-written skills."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi_docs_lsp.core.docs.catalog import TitleMap
from fastapi_docs_lsp.core.docs.model import Section
from fastapi_docs_lsp.core.docs.skill import installed_skill_path, is_scraped, parse_skill_folder
from fastapi_docs_lsp.core.docs.text import excerpt_text

P = "\u00b6"
SITE = "https://fastapi.tiangolo.com/"

SCRAPED = f"""# Gadget Making{P} and more

# Gadget Making{P}

> A tagline repeated on every page

# Gadget Making{P}

Gadgets are made in two steps.

 [Python 3.10+](#__tabbed_1_1)

```
# not a heading: a comment in code{P}
make_gadget()
```

## Prepare the `bench`{P}

Clear the bench first.

Note

Keep it dry.

### Tools{P}

Use a wrench.

## Example

A docstring heading without the pilcrow stays in the text.


---

# Gadget Reference{P}

> A tagline repeated on every page

# Gadget Reference{P}

## fastapi.Query{P}

Reference text for the object.

## Unlisted heading{P}

Not in the catalog.
"""

HANDWRITTEN_SKILL = """---
name: gizmo
description: test skill
---

# Gizmo

Intro to gizmos.

## Build a gizmo

Steps to build.

```python
# inside code, not a heading
```

## Build a gizmo

Second heading with the same title.
"""


def catalog_sections() -> list[Section]:
    def sec(page_id, title, anchor=None, level=1, category="tutorial"):
        url = f"{SITE}{page_id}/" + (f"#{anchor}" if anchor else "")
        return Section(id=f"catalog:{page_id}", source="catalog", category=category, page_title="", title=title, url=url, level=level)

    gm = sec("tutorial/gadgets", "Gadget Making")
    gm = Section(**{**{f: getattr(gm, f) for f in gm.__dataclass_fields__}, "page_title": "Gadget Making"})
    return [
        gm,
        sec("tutorial/gadgets", "Prepare the bench", "prepare-the-bench-site", 2),
        Section(id="c:r", source="catalog", category="reference", page_title="Gadget Reference", title="Gadget Reference", url=f"{SITE}reference/gadgets/"),
    ]


def make_skill(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "skill"
    (root / "references").mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    return root


def by_title(sections, title):
    return [s for s in sections if s.title == title]


def test_scraped_pages_sections_and_catalog_mapping(tmp_path):
    root = make_skill(tmp_path, {"SKILL.md": "---\nname: x\n---\n# Index\n\n## Reference Files\n", "references/tutorial-1.md": SCRAPED})
    sections = parse_skill_folder(root, TitleMap(catalog_sections()))
    assert not by_title(sections, "Index")  # a scraped skill's SKILL.md is only an index
    pages = [s for s in sections if s.level == 1]
    assert [p.title for p in pages] == ["Gadget Making", "Gadget Reference"]
    making = pages[0]
    assert making.url == f"{SITE}tutorial/gadgets/" and making.id == "skill:tutorial/gadgets"
    assert making.category == "tutorial" and making.breadcrumb == ("Tutorial", "Gadget Making")
    assert "tagline" not in making.text and making.text.startswith("Gadgets are made")
    assert "# not a heading" in making.text  # code comments are not headings
    bench = by_title(sections, "Prepare the bench")[0]
    assert bench.url == f"{SITE}tutorial/gadgets/#prepare-the-bench-site"  # anchor from the catalog
    assert "Example" not in [s.title for s in sections]  # heading without the pilcrow
    tools = by_title(sections, "Tools")[0]
    assert tools.level == 3 and tools.url.endswith("#tools")
    assert tools.breadcrumb == ("Tutorial", "Gadget Making", "Prepare the bench", "Tools")
    assert "docstring heading" in tools.text and "---" not in tools.text
    lines = SCRAPED.split("\n")
    assert lines[bench.line_start].startswith("## Prepare the")
    assert lines[tools.line_start] == f"### Tools{P}"
    assert bench.path and Path(bench.path).name == "tutorial-1.md"


def test_reference_headings_become_symbol_anchors_and_unknown_pages_stay_local(tmp_path):
    root = make_skill(tmp_path, {"SKILL.md": "# s\n", "references/reference-1.md": SCRAPED})
    sections = parse_skill_folder(root, TitleMap(catalog_sections()))
    obj = by_title(sections, "fastapi.Query")[0]
    assert obj.url == f"{SITE}reference/gadgets/#fastapi.Query"
    assert obj.symbols == ("fastapi.Query",)
    assert by_title(sections, "Unlisted heading")[0].url == f"{SITE}reference/gadgets/#unlisted-heading"


def test_pages_json_maps_titles_without_a_catalog(tmp_path):
    root = make_skill(tmp_path, {"SKILL.md": "# s\n", "references/tutorial-1.md": SCRAPED})
    (root / "pages.json").write_text(json.dumps([{"url": f"{SITE}tutorial/gadget-making/", "title": "Gadget Making", "cat": "tutorial"}]))
    sections = parse_skill_folder(root)
    making = [s for s in sections if s.title == "Gadget Making"][0]
    assert making.url == f"{SITE}tutorial/gadget-making/"
    assert by_title(sections, "Prepare the bench")[0].url.endswith("/tutorial/gadget-making/#prepare-the-bench")
    # the page pages.json does not know links to the local file, with unique fragments
    ref = [s for s in sections if s.title == "Gadget Reference"][0]
    assert ref.url.startswith("file://") and ref.url.endswith("tutorial-1.md#gadget-reference")


def test_handwritten_skill_is_detected_and_read(tmp_path):
    root = make_skill(tmp_path, {"SKILL.md": HANDWRITTEN_SKILL, "references/parts.md": "# Parts\n\n## Screws\n\nSmall.\n"})
    assert not is_scraped(HANDWRITTEN_SKILL)
    sections = parse_skill_folder(root, TitleMap())
    titles = [s.title for s in sections]
    assert titles == ["Gizmo", "Build a gizmo", "Build a gizmo", "Parts", "Screws"]
    first, second = by_title(sections, "Build a gizmo")
    assert first.url.endswith("SKILL.md#build-a-gizmo") and second.url.endswith("SKILL.md#build-a-gizmo_1")
    assert first.breadcrumb[0] == "gizmo skill"
    assert "inside code" in first.text
    assert HANDWRITTEN_SKILL.split("\n")[first.line_start] == "## Build a gizmo"
    assert len({s.id for s in sections}) == len(sections)


def test_excerpt_of_scraped_text_is_clean(tmp_path):
    root = make_skill(tmp_path, {"SKILL.md": "# s\n", "references/tutorial-1.md": SCRAPED})
    sections = parse_skill_folder(root, TitleMap(catalog_sections()))
    making = excerpt_text(sections[0].text, 5)
    assert making.splitlines()[0] == "Gadgets are made in two steps."
    assert "tabbed" not in making and "Python 3.10+" not in making and "make_gadget" not in making
    bench = excerpt_text(by_title(sections, "Prepare the bench")[0].text)
    assert bench.splitlines() == ["Clear the bench first.", "Keep it dry."]  # "Note" label dropped


def test_malformed_and_unreadable_files_do_not_stop_the_folder(tmp_path, caplog):
    root = make_skill(
        tmp_path,
        {
            "SKILL.md": "# s\n",
            "references/tutorial-1.md": SCRAPED,
            "references/tutorial-2.md": "",  # empty
            "references/tutorial-3.md": f"## Orphan heading{P}\n\ntext\n" + ">" * 50_000 + "\n",
            "references/tutorial-4.md": "[" * 100_000,
        },
    )
    (root / "references" / "blob.md").write_bytes(b"\x00\x01binary" * 100)
    (root / "references" / "loop.md").symlink_to(root / "references" / "loop.md")
    sections = parse_skill_folder(root, TitleMap(catalog_sections()))
    assert by_title(sections, "Prepare the bench")
    assert by_title(sections, "Orphan heading")  # a page is made up for headings before any h1
    assert "binary" in caplog.text and "loop.md" in caplog.text


def test_missing_folder_and_no_skill(tmp_path):
    assert parse_skill_folder(tmp_path / "missing") == []
    (tmp_path / "empty").mkdir()
    assert parse_skill_folder(tmp_path / "empty") == []


def test_installed_fastapi_skill_is_found_and_parses():
    path = installed_skill_path()
    if path is None:
        import pytest

        pytest.skip("the installed fastapi ships no skill")
    sections = parse_skill_folder(path)
    assert len(sections) > 10
    assert all(s.url.startswith("file://") for s in sections)
    assert any(s.level == 1 and s.title for s in sections)
    assert installed_skill_path(str(Path(path).parents[2])) == path
    assert installed_skill_path("/nonexistent") is None
