"""The catalog's fast TOML reader gives exactly what ``tomllib`` gives, or lets it decide."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from fastapi_docs_lsp.core.docs import tomlfast

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CATALOG = Path(__file__).resolve().parents[2] / "references" / "catalog"


def _same(text: str) -> None:
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        with pytest.raises(tomllib.TOMLDecodeError):
            tomlfast.loads(text)
        return
    assert tomlfast.loads(text) == expected


@pytest.mark.parametrize("path", sorted(CATALOG.glob("*.toml")), ids=lambda p: p.name)
def test_every_catalog_file_is_read_by_the_fast_path_as_tomllib_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert tomlfast._loads_subset(text) == tomllib.loads(text)  # no fallback for our own files


@pytest.mark.parametrize(
    "text",
    [
        '[[pages]]\nid = "a"\n  [[pages.sections]]\n  title = "b"\n  level = 2\n[[pages]]\nid = "c"\n',
        'title = "tab\there"\n',  # a raw tab: TOML yes, JSON no
        'title = "esc \\" \\\\ \\n \\u00e9"\n',
        'title = "\\ud800"\n',  # an escaped surrogate: TOML refuses
        'title = "\\/"\n',  # JSON's escape, not TOML's
        "title = 'literal'\n",
        'title = """multi\nline"""\n',
        'keywords = ["a", "b",]\n',
        'keywords = [\n  "a",\n]\n',
        'keywords = ["a", 1]\n',
        'keywords = []\n[[keywords]]\n',
        'id = "a" # trailing comment\n',
        'id = "a"\nid = "b"\n',
        "level = 007\n",
        "level = +1\n",
        "level = -0\n",
        "level = 1_000\n",
        "flag = true\nother = false\n",
        "[[pages.sections]]\n",
        '[[pages]]\nsections = "x"\n[[pages.sections]]\n',
        "[pages]\n",
        "# a comment\x01\n",
        "# a fine comment\r\nid = \"a\"\r\n",
        'a.b = "dotted"\n',
        "",
        "\ufeffid = 1\n",
        'id = "a\x7f"\n',
        'id = "\\U0001F600"\n',
    ],
)
def test_lines_outside_the_subset_get_tomllibs_answer(text: str) -> None:
    _same(text)


_pieces = st.sampled_from(
    [
        "[[pages]]", "[[pages.sections]]", "[[symbols]]", "[[pages.other]]", "[pages]", "[[ pages ]]",
        'id = "x"', 'title = "A \\"quoted\\" title"', 'summary = "caf\\u00e9"', "level = 2", "level = -3",
        'keywords = ["a", "b c"]', "keywords = []", 'keywords = ["a",]', "flag = true", "id = 'lit'",
        'id = "x" # c', "# comment", "", "   ", 'url = "https://x/#a"', "sections = 1", 'k = "\t"', "k = 01",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_pieces, max_size=12))
def test_random_documents_read_as_tomllib_reads_them(lines: list[str]) -> None:
    _same("\n".join(lines) + "\n")
