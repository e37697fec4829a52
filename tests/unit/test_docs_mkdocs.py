"""mkdocs trees: heading ids, admonitions, includes (and their limits), mkdocstrings blocks, URLs."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi_docs_lsp.core.docs.mkdocs import page_url, parse_mkdocs_tree, resolve_tree
from fastapi_docs_lsp.core.docs.text import excerpt_text

SITE = "https://fastapi.tiangolo.com/"

PAGE = """# Making `Gadgets` { #making-gadgets }

Gadgets are assembled from parts.

/// note | Before you start

Have the parts ready.

```python
/// not an admonition inside code
```

///

{* ../../docs_src/gadgets/tutorial001.py hl[2] ln[2:3] *}

## Step one { #first-step }

//// tab | Python 3.10+

/// tip

Nested tip.

///

```Python
{!> ../../docs_src/gadgets/tutorial001.py!}
```

////

### A detail

{* ../../docs_src/gadgets/missing.py *}

{* ../../../../../etc/passwd *}
"""

REFERENCE = """# `Gadget` class

Reference page.

::: fastapi.Query
    options:
        members:
            - max_length
            - pattern

::: fastapi.Path
"""


def make_repo(tmp_path: Path) -> Path:
    """A FastAPI-like repository: docs/en/mkdocs.yml, docs/en/docs/..., docs_src/ at the root."""
    repo = tmp_path / "repo"
    docs = repo / "docs" / "en" / "docs"
    (docs / "tutorial").mkdir(parents=True)
    (docs / "reference").mkdir()
    (repo / ".git").mkdir()
    (repo / "docs_src" / "gadgets").mkdir(parents=True)
    (repo / "docs_src" / "gadgets" / "tutorial001.py").write_text("import gadget\nline_two = 2\nline_three = 3\n")
    (repo / "docs" / "en" / "mkdocs.yml").write_text("site_name: X\nsite_url: https://fastapi.tiangolo.com/\ndocs_dir: docs\n")
    (docs / "index.md").write_text("# Home\n\nWelcome.\n")
    (docs / "tutorial" / "gadgets.md").write_text(PAGE)
    (docs / "reference" / "index.md").write_text("# Reference\n\nAll the API.\n")
    (docs / "reference" / "gadget.md").write_text(REFERENCE)
    (tmp_path / "secret.py").write_text("SECRET = 1\n")
    return repo


def by_title(sections, title):
    found = [s for s in sections if s.title == title]
    assert found, f"no section {title!r} in {[s.title for s in sections]}"
    return found[0]


def test_urls_from_paths():
    assert page_url("tutorial/body.md") == f"{SITE}tutorial/body/"
    assert page_url("index.md") == SITE
    assert page_url("reference/openapi/index.md") == f"{SITE}reference/openapi/"
    assert page_url("a/b.md", "https://example.org/es/") == "https://example.org/es/a/b/"


def test_headings_ids_admonitions_and_includes(tmp_path):
    repo = make_repo(tmp_path)
    sections = parse_mkdocs_tree(repo / "docs" / "en" / "docs")
    page = by_title(sections, "Making Gadgets")
    assert page.level == 1 and page.url == f"{SITE}tutorial/gadgets/" and page.category == "tutorial"
    assert page.id == "mkdocs:tutorial/gadgets"
    assert "> **Note:** Before you start" in page.text and "> Have the parts ready." in page.text
    assert "> /// not an admonition inside code" in page.text
    # included code inlined (ln[2:3] keeps lines 2-3) as a fenced block
    assert "```python\nline_two = 2\nline_three = 3\n```" in page.text
    step = by_title(sections, "Step one")
    assert step.url == f"{SITE}tutorial/gadgets/#first-step"
    assert "**Python 3.10+**" in step.text and "> **Tip**" in step.text
    assert "import gadget\nline_two = 2" in step.text  # {!> !} inside a fence: raw lines
    detail = by_title(sections, "A detail")
    assert detail.url.endswith("#a-detail") and detail.level == 3
    assert detail.breadcrumb == ("Tutorial", "Making Gadgets", "Step one", "A detail")
    assert "docs_src/gadgets/missing.py" in detail.text and "not available locally" in detail.text
    assert "SECRET" not in detail.text and "root:" not in detail.text
    lines = PAGE.split("\n")
    assert lines[step.line_start] == "## Step one { #first-step }"
    assert step.line_end == lines.index("### A detail")
    assert excerpt_text(page.text, 2).splitlines() == ["Gadgets are assembled from parts.", "Have the parts ready."]


def test_mkdocstrings_blocks_give_symbols_and_member_sections(tmp_path):
    repo = make_repo(tmp_path)
    sections = parse_mkdocs_tree(repo / "docs" / "en")  # the mkdocs.yml folder works too
    page = by_title(sections, "Gadget class")
    assert page.symbols == ("fastapi.Query", "fastapi.Path")
    obj = by_title(sections, "fastapi.Query")
    assert obj.url == f"{SITE}reference/gadget/#fastapi.Query" and obj.level == 2
    member = by_title(sections, "fastapi.Query.max_length")
    assert member.symbols == ("fastapi.Query.max_length",) and member.level == 3
    assert member.url.endswith("#fastapi.Query.max_length")
    assert by_title(sections, "fastapi.Query.pattern")
    assert by_title(sections, "fastapi.Path").symbols == ("fastapi.Path",)
    assert "options" not in page.text and "API reference: `fastapi.Query`" in page.text
    assert by_title(sections, "Reference").url == f"{SITE}reference/"
    assert by_title(sections, "Home").url == SITE


def test_includes_never_escape_the_repository(tmp_path, caplog):
    repo = make_repo(tmp_path)
    docs = repo / "docs" / "en" / "docs"
    (docs / "tutorial" / "escape.md").write_text(
        "# Escape\n\n{* ../../../../../secret.py *}\n\n{* /etc/hostname *}\n\n{* ../../docs_src/link.py *}\n"
    )
    (repo / "docs_src" / "link.py").symlink_to(tmp_path / "secret.py")
    (repo / "docs_src" / "loop.py").symlink_to(repo / "docs_src" / "loop.py")
    (docs / "tutorial" / "loop.md").write_text("# Loop\n\n{* ../../docs_src/loop.py *}\n")
    with caplog.at_level(logging.WARNING):
        sections = parse_mkdocs_tree(docs)
    escape = by_title(sections, "Escape")
    assert "SECRET" not in escape.text
    assert escape.text.count("not available locally") == 3
    assert "outside" in caplog.text and "absolute" in caplog.text
    assert "not available locally" in by_title(sections, "Loop").text


def test_tree_without_repository_limits_includes_to_the_folder(tmp_path):
    docs = tmp_path / "plain"
    docs.mkdir()
    (tmp_path / "outside.py").write_text("OUTSIDE = 1\n")
    (docs / "index.md").write_text("# Plain\n\n{* ../outside.py *}\n")
    tree = resolve_tree(docs)
    assert tree is not None and tree.allowed_root == docs.resolve()
    text = by_title(parse_mkdocs_tree(docs), "Plain").text
    assert "OUTSIDE" not in text and "not available locally" in text


def test_symlinked_directory_loops_and_bad_files_are_skipped(tmp_path, caplog):
    repo = make_repo(tmp_path)
    docs = repo / "docs" / "en" / "docs"
    (docs / "tutorial" / "again").symlink_to(docs / "tutorial")
    (docs / "outside").symlink_to(tmp_path)
    (docs / "big.md").write_bytes(b"# Big\n" + b"x" * (5 * 1024 * 1024 + 10))
    (docs / "bin.md").write_bytes(b"# Bin\x00\x00")
    with caplog.at_level(logging.WARNING):
        sections = parse_mkdocs_tree(docs)
    assert sum(1 for s in sections if s.title == "Making Gadgets") == 1
    assert not [s for s in sections if s.title in ("Big", "Bin")]
    assert "over the" in caplog.text and "binary" in caplog.text
    assert all(str(tmp_path / "secret.py") not in (s.path or "") for s in sections)


def test_pathological_markdown_stays_fast(tmp_path):
    import time

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Deep\n\n" + ">" * 200_000 + " x\n" + "[" * 200_000 + "\n" + "/// note\n" * 5000 + "\n".join("  " * i + "- a" for i in range(300)))
    (docs / "fences.md").write_text("# F\n\n" + "```\n" * 20_001 + "{* ../x.py *}\n" * 2000)
    start = time.process_time()  # this process's CPU time: the parser's cost, not the machine's load
    sections = parse_mkdocs_tree(docs)
    assert time.process_time() - start < 5
    assert {s.title for s in sections if s.level == 1} == {"Deep", "F"}
