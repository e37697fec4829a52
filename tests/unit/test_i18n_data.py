"""references/i18n/*.tsv are exactly what the corpus' headings.json says (regenerate with
``python -m fastapi_docs_lsp.core.docs.i18n_data ../shared/corpora/fastapi-docs-i18n/headings.json``)."""

from __future__ import annotations

import json

from fastapi_docs_lsp.core.docs.i18n import parse_rows, translation
from fastapi_docs_lsp.core.docs.i18n_data import TRANSLATED, data_dir, page_id, render_all

from ..conftest import corpus_path


def test_shipped_files_match_the_corpus():
    headings = corpus_path("fastapi-docs-i18n", "headings.json")
    expected = render_all(headings)
    assert sorted(expected) == sorted(f"{lang}.tsv" for lang in TRANSLATED)
    for name, text in expected.items():
        shipped = (data_dir() / name).read_text(encoding="utf-8")
        assert shipped == text, f"references/i18n/{name} is stale: regenerate it from headings.json"


def test_every_page_and_anchor_of_the_corpus_is_linkable():
    data = json.loads(corpus_path("fastapi-docs-i18n", "headings.json").read_text(encoding="utf-8"))["languages"]
    for lang in TRANSLATED:
        tr = translation(lang)
        assert tr is not None
        assert set(tr.titles) == {page_id(p) for p in data[lang]}, lang
        for path, headings in data[lang].items():
            for h in headings:
                if h["level"] > 1 and h["anchor"]:
                    assert tr.title(page_id(path), h["anchor"]) is not None, (lang, path, h["anchor"])
            assert bool(tr.title(page_id(path))) == bool(headings), (lang, path)  # a page's title is its first heading


def test_files_parse_without_the_corpus():
    for lang in TRANSLATED:
        rows = parse_rows((data_dir() / f"{lang}.tsv").read_text(encoding="utf-8"))
        assert len(rows) > 1000
        assert all(r[0] and (r[1] >= 1 and r[3] or r[1] == 0 and not r[3]) for r in rows)
    assert parse_rows("# comment\nbad line\npage\tx\ta\tt\npage\t2\tanchor\tTitle\n") == [("page", 2, "anchor", "Title")]
