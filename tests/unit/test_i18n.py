"""The docs language (client locale, docsLanguage setting) and localized links and titles."""

from __future__ import annotations

import sys

import pytest

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.docs import build_index
from fastapi_docs_lsp.core.docs.i18n import (
    LANGUAGES,
    LocalizedDocs,
    english_url,
    language_for_locale,
    localize_url,
    resolve_language,
    translation,
    with_language,
)
from fastapi_docs_lsp.core.project import Project
from fastapi_docs_lsp.core.references import reference_payload
from fastapi_docs_lsp.core.render import best_link, render_hover
from fastapi_docs_lsp.settings import Settings, parse_settings

from ..conftest import WORKSPACE

SITE = "https://fastapi.tiangolo.com/"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build_index(cache_dir=str(tmp_path_factory.mktemp("i18n-cache")))


# ---------------------------------------------------------------------------- the language


@pytest.mark.parametrize(
    "locale, expected",
    [
        ("es", "es"), ("ES", "es"), ("es-MX", "es"), ("es-419", "es"), ("es_ES.UTF-8", "es"),
        ("pt-br", "pt"), ("pt-BR", "pt"), ("pt-pt", "pt"), ("pt_PT", "pt"),
        ("de-at", "de"), ("de-CH", "de"), ("fr-ca", "fr"), ("ru-RU", "ru"), ("uk-UA", "uk"), ("tr-TR", "tr"),
        ("ja", "ja"), ("ja-JP", "ja"), ("ko-kr", "ko"), ("hi-IN", "hi"),
        ("zh-cn", "zh"), ("zh-CN", "zh"), ("zh-sg", "zh"), ("zh", "zh"), ("zh-Hans", "zh"), ("zh-Hans-CN", "zh"),
        ("zh-tw", "zh-hant"), ("zh-TW", "zh-hant"), ("zh-hk", "zh-hant"), ("zh-mo", "zh-hant"),
        ("zh-Hant", "zh-hant"), ("zh-Hant-HK", "zh-hant"), ("zh_TW.Big5", "zh-hant"),
        ("en", "en"), ("en-US", "en"), ("en-gb", "en"),
        ("nl", "en"), ("it-IT", "en"), ("pl", "en"), ("", "en"), (None, "en"), ("C", "en"), ("POSIX", "en"),
    ],
)
def test_language_for_locale(locale, expected):
    assert language_for_locale(locale) == expected


def test_the_setting_overrides_the_locale():
    assert resolve_language("auto", "pt-br") == "pt"
    assert resolve_language("", "ja") == "ja"
    assert resolve_language(None, "ko") == "ko"
    assert resolve_language("AUTO", None) == "en"
    assert resolve_language("zh-hant", "es") == "zh-hant"
    assert resolve_language("en", "zh-cn") == "en"
    assert resolve_language("pt-BR", "ja") == "pt"  # a regional code in the setting is mapped too


def test_an_unknown_setting_uses_english_and_warns(caplog):
    resolve_language.cache_clear()
    with caplog.at_level("WARNING"):
        assert resolve_language("klingon", "es") == "en"
    assert any("klingon" in r.getMessage() for r in caplog.records)


def test_setting_is_parsed_and_declared():
    settings, problems = parse_settings({"fastapi": {"docsLanguage": "ja"}})
    assert settings.docsLanguage == "ja" and not problems
    assert Settings().docsLanguage == "auto"
    _, problems = parse_settings({"docsLanguage": 3})
    assert problems  # wrong type: a message, the default kept


def test_every_translated_language_has_its_data():
    for lang in LANGUAGES[1:]:
        tr = translation(lang)
        assert tr is not None, lang
        assert len(tr.titles) >= 100 and tr.has_page("tutorial/first-steps")
    assert translation("en") is None and translation("xx") is None


# ---------------------------------------------------------------------------- URLs


def test_localize_url_when_the_page_exists():
    url = SITE + "tutorial/cors/#use-corsmiddleware"
    assert localize_url(url, "es") == SITE + "es/tutorial/cors/#use-corsmiddleware"
    assert localize_url(url, "zh-hant") == SITE + "zh-hant/tutorial/cors/#use-corsmiddleware"
    assert localize_url(SITE + "tutorial/cors/", "ja") == SITE + "ja/tutorial/cors/"
    assert localize_url(SITE + "tutorial/cors", "ko") == SITE + "ko/tutorial/cors/"  # no trailing slash
    assert localize_url("http://fastapi.tiangolo.com/tutorial/cors/", "ru") == SITE + "ru/tutorial/cors/"
    assert localize_url(SITE, "fr") == SITE + "fr/"  # the home page


def test_localize_url_keeps_english_when_the_page_does_not_exist():
    # the API reference and the release notes are not translated
    for url in (SITE + "reference/fastapi/#fastapi.FastAPI.get", SITE + "release-notes/", SITE + "tutorial/no-such-page/"):
        for lang in ("es", "zh", "ja"):
            assert localize_url(url, lang) == url
    # the page exists, that heading does not: the exact English section beats the translated page's top
    assert localize_url(SITE + "tutorial/cors/#no-such-heading", "es") == SITE + "tutorial/cors/#no-such-heading"


def test_localize_url_leaves_other_links_alone():
    for url in ("https://www.starlette.io/middleware/", "https://docs.pydantic.dev/", SITE + "es/tutorial/cors/", "", "not a url"):
        assert localize_url(url, "es") == url
    assert localize_url(SITE + "tutorial/cors/", "en") == SITE + "tutorial/cors/"
    assert localize_url(SITE + "tutorial/cors/", None) == SITE + "tutorial/cors/"
    assert localize_url(SITE + "tutorial/cors/", "xx") == SITE + "tutorial/cors/"
    assert english_url(SITE + "zh-hant/tutorial/cors/#origin") == SITE + "tutorial/cors/#origin"
    assert english_url(SITE + "tutorial/cors/") == SITE + "tutorial/cors/"


# ---------------------------------------------------------------------------- the localized view


def test_localized_sections_carry_translated_url_and_titles_but_our_summary(index):
    es = with_language(index, "es")
    assert isinstance(es, LocalizedDocs) and es.language == "es"
    english = index.sections_for_symbol("fastapi.Query", 3)
    localized = es.sections_for_symbol("fastapi.Query", 3)
    assert [s.id for s in localized] == [s.id for s in english]
    first = localized[0]
    assert first.url.startswith(SITE + "es/tutorial/")
    assert first.page_title == translation("es").title(first.url.split("/es/", 1)[1].split("#")[0].strip("/"))
    assert first.summary == english[0].summary and first.symbols == english[0].symbols
    assert first.page_title != english[0].page_title
    # back to the index's own section for the English-only lookups
    assert es.original(first) is english[0]
    assert es.summary_for(first) == index.summary_for(english[0])
    assert es.canonical(first).url == first.url


def test_a_section_of_an_untranslated_page_stays_english(index):
    zh = with_language(index, "zh")
    section = zh.section_for_url(SITE + "reference/fastapi/#fastapi.FastAPI.get")
    assert section is not None and section.url == SITE + "reference/fastapi/#fastapi.FastAPI.get"
    assert section is index.section_for_url(SITE + "reference/fastapi/#fastapi.FastAPI.get")


def test_section_for_url_accepts_both_languages(index):
    ja = with_language(index, "ja")
    a = ja.section_for_url(SITE + "tutorial/cors/")
    b = ja.section_for_url(SITE + "ja/tutorial/cors/")
    assert a is not None and a == b and a.url == SITE + "ja/tutorial/cors/"
    assert "CORS" in a.title


def test_with_language_reuses_and_unwraps(index):
    es = with_language(index, "es")
    assert with_language(es, "es") is es
    assert with_language(es, "en") is index
    assert with_language(index, "en") is index
    assert with_language(None, "es") is None
    assert with_language(es, "ja").base is index
    assert es.sources is index.sources  # everything else is the index's


def test_breadcrumb_is_translated(index):
    ko = with_language(index, "ko")
    section = ko.section_for_url(SITE + "tutorial/path-params/#declare-a-path-parameter")
    assert section is not None
    tr = translation("ko")
    assert section.breadcrumb[-1] == tr.title("tutorial/path-params", "declare-a-path-parameter")
    assert tr.title("tutorial/path-params") in section.breadcrumb


# ---------------------------------------------------------------------------- renderers, unchanged


def test_hover_links_the_translated_section_with_its_title(index, api_db):
    es = with_language(index, "es")
    occ = analyze("from fastapi import Query\nQuery(max_length=3)\n", db=api_db).at(1, 8)
    assert occ is not None and occ.param == "max_length"
    english = render_hover(occ, api_db, index)
    text = render_hover(occ, api_db, es)
    assert english and text
    assert SITE + "es/tutorial/query-params-str-validations/" in text
    assert SITE + "tutorial/query-params-str-validations/" not in text
    docs_line = text.splitlines()[-1]
    assert translation("es").title("tutorial/query-params-str-validations") in docs_line
    # the words above the links are the same (ours / the package's, in English)
    assert text.split("**Docs:**")[0] == english.split("**Docs:**")[0]


def test_go_to_reference_opens_the_translated_page(index, api_db):
    zh = with_language(index, "zh")
    occ = analyze("from fastapi.middleware.cors import CORSMiddleware\nCORSMiddleware\n", db=api_db).at(1, 3)
    assert occ is not None
    link = best_link(occ, api_db, zh)
    assert link is not None and link.url.startswith(SITE + "zh/")
    payload = reference_payload(link, zh, "browser")
    assert payload is not None and payload["url"] == link.url and payload["external"]


def test_project_follows_locale_and_setting(loaded_project):
    project = Project(roots=[str(WORKSPACE)], settings=Settings(pythonPath=sys.executable), locale="pt-BR")
    project.docs = with_language(loaded_project.docs, "en")
    project.db = loaded_project.db
    assert project.docs_language == "pt" and project.info()["docsLanguage"] == "pt"
    project.docs = project._in_docs_language(project.docs)
    assert project.docs.language == "pt"
    before = project.generation
    project.apply_settings(Settings(pythonPath=sys.executable, docsLanguage="ja"))
    assert project.docs.language == "ja" and project.generation == before + 1
    assert project.info()["docsLanguage"] == "ja"
    hover = project.hover_in(project.analysis("main.py", "from fastapi import Query\nQuery(max_length=3)\n"), 1, 8)
    assert hover is not None and SITE + "ja/tutorial/" in hover[0]
    project.apply_settings(Settings(pythonPath=sys.executable, docsLanguage="en"))
    assert not isinstance(project.docs, LocalizedDocs) and project.info()["docsLanguage"] == "en"
    hover = project.hover_in(project.analysis("main.py", "from fastapi import Query\nQuery(max_length=3)\n"), 1, 8)
    assert hover is not None and SITE + "ja/" not in hover[0] and SITE + "tutorial/" in hover[0]


def test_completion_documentation_links_the_translation(index, api_db):
    from fastapi_docs_lsp.core.completion import documentation

    ja = with_language(index, "ja")
    data = {"k": "keyword", "t": "fastapi.param_functions.Query", "p": "max_length"}
    if api_db.get("fastapi.param_functions.Query") is None:
        pytest.skip("this fastapi keeps Query elsewhere")
    text = documentation(data, api_db, ja)
    assert text is not None and SITE + "ja/tutorial/" in text
    english = documentation(data, api_db, index)
    assert english is not None and SITE + "ja/" not in english


def test_localized_diagnostic_links_via_localize_url(index):
    # what features/diagnostics.py does to every codeDescription href
    rules = [SITE + "tutorial/query-params-str-validations/#add-regular-expressions", SITE + "advanced/events/#lifespan"]
    assert [localize_url(u, "ko") for u in rules] == [
        SITE + "ko/tutorial/query-params-str-validations/#add-regular-expressions",
        SITE + "ko/advanced/events/#lifespan",
    ]
    # idempotent: a section link already localized by the view is left alone
    assert localize_url(localize_url(rules[0], "ko"), "ko") == localize_url(rules[0], "ko")


def test_the_page_heading_anchor_is_linkable():
    # ``#cors-cross-origin-resource-sharing`` is the id of the page's own title
    url = SITE + "tutorial/cors/#cors-cross-origin-resource-sharing"
    assert localize_url(url, "zh") == SITE + "zh/tutorial/cors/#cors-cross-origin-resource-sharing"
    assert translation("zh").title("tutorial/cors", "cors-cross-origin-resource-sharing") == translation("zh").title("tutorial/cors")
