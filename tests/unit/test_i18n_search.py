"""Topic lookup in the user's language: tokenisation and hit@3 in 12 languages.

The queries are ours, phrased as a user would type them (other word forms, word order, a
missing space, a typo, a question); none is a heading copied from the site.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fastapi_docs_lsp.core.docs import build_index, search_payload
from fastapi_docs_lsp.core.docs.i18n import with_language
from fastapi_docs_lsp.core.docs.i18n_search import query_terms, tokens
from fastapi_docs_lsp.core.docs.search import page_key

SITE = "https://fastapi.tiangolo.com/"

#: (language, query, the page expected in the first three results)
QUERIES = [
    # Chinese (simplified): no spaces, other word choices than the headings
    ("zh", "怎么上传文件", "tutorial/request-files"),
    ("zh", "后台运行的任务", "tutorial/background-tasks"),
    ("zh", "跨域请求设置", "tutorial/cors"),
    ("zh", "错误怎么处理", "tutorial/handling-errors"),
    ("zh", "数值校验 路径参数", "tutorial/path-params-numeric-validations"),
    ("zh", "依赖项里用yield", "tutorial/dependencies/dependencies-with-yield"),
    # Chinese (traditional)
    ("zh-hant", "背景執行任務", "tutorial/background-tasks"),
    ("zh-hant", "錯誤要怎麼處理", "tutorial/handling-errors"),
    ("zh-hant", "上傳檔案", "tutorial/request-files"),
    # Japanese: kana/kanji mixed, particles
    ("ja", "バックグラウンドで処理", "tutorial/background-tasks"),
    ("ja", "エラーの処理", "tutorial/handling-errors"),
    ("ja", "パスパラメータの数値検証", "tutorial/path-params-numeric-validations"),
    ("ja", "依存関係でyieldを使う", "tutorial/dependencies/dependencies-with-yield"),
    ("ja", "レスポンスのモデル", "tutorial/response-model"),
    # Korean: particles glued on, a missing space
    ("ko", "백그라운드작업", "tutorial/background-tasks"),
    ("ko", "오류를 처리하기", "tutorial/handling-errors"),
    ("ko", "미들웨어를 만들기", "tutorial/middleware"),
    ("ko", "응답 모델의 반환", "tutorial/response-model"),
    # Russian / Ukrainian: other inflections
    ("ru", "загрузить файл", "tutorial/request-files"),
    ("ru", "фоновая задача", "tutorial/background-tasks"),
    ("ru", "ошибки обработать", "tutorial/handling-errors"),
    ("ru", "зависимость с yield", "tutorial/dependencies/dependencies-with-yield"),
    ("uk", "фонова задача", "tutorial/background-tasks"),
    ("uk", "обробка помилки", "tutorial/handling-errors"),
    ("uk", "більший застосунок", "tutorial/bigger-applications"),
    # Hindi: Devanagari mixed with English terms, as the translation writes them
    ("hi", "errors कैसे हैंडल करें", "tutorial/handling-errors"),
    ("hi", "बड़ा application", "tutorial/bigger-applications"),
    # Latin scripts: no accents, other forms, a typo
    ("es", "tarea en segundo plano", "tutorial/background-tasks"),
    ("es", "manejar errores", "tutorial/handling-errors"),
    ("es", "validacion numerica de parametros", "tutorial/path-params-numeric-validations"),
    ("pt", "tarefa em segundo plano", "tutorial/background-tasks"),
    ("pt", "manipular erros", "tutorial/handling-errors"),
    ("pt", "dependencia com yeild", "tutorial/dependencies/dependencies-with-yield"),
    ("fr", "taches en arriere plan", "tutorial/background-tasks"),
    ("fr", "gerer une erreur", "tutorial/handling-errors"),
    ("de", "Fehler behandlung", "tutorial/handling-errors"),
    ("de", "grössere Anwendung", "tutorial/bigger-applications"),
    ("tr", "arka plan görevi", "tutorial/background-tasks"),
    ("tr", "hata yonetimi", "tutorial/handling-errors"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build_index(cache_dir=str(tmp_path_factory.mktemp("i18n-search-cache")))


def test_cjk_is_cut_into_bigrams_and_words_keep_their_marks():
    assert query_terms("路径参数") == ["路径", "径参", "参数"]
    assert query_terms("表") == ["表"]
    assert query_terms("경로 매개변수") == ["경로", "매개", "개변", "변수"]
    assert query_terms("Parámetros de Consulta") == ["parametros", "de", "consulta"]
    assert query_terms("Ön Tanımlı Değerler") == ["on", "tanımlı", "degerler"]
    # Devanagari vowel signs are part of the word (not separators)
    assert query_terms("हैंडल करना") == ["हैंडल", "करना"]
    assert query_terms("Тело запроса") == ["тело", "запроса"]
    # a CJK run next to Latin letters splits into both
    assert "yield" in query_terms("依赖项里用yield") and "依赖" in query_terms("依赖项里用yield")
    # single characters are indexed (weakly) for one-character queries
    assert ("路", 0.35) in tokens("路径参数")
    assert query_terms("ＣＯＲＳ（跨域）") == ["cors", "跨域"]  # full-width forms folded


@pytest.mark.parametrize("lang, query, page", QUERIES, ids=[f"{q[0]}:{q[1]}" for q in QUERIES])
def test_hit_at_3_in_the_users_language(index, lang, query, page):
    view = with_language(index, lang)
    hits = view.search(query, 10)
    top = [page_key(h.section.url) for h in hits[:3]]
    assert f"{lang}/{page}" in top, (query, [(h.score, h.section.url) for h in hits[:5]])


def test_hit_rate_covers_at_least_six_languages_with_non_latin_scripts(index):
    languages = {lang for lang, _, _ in QUERIES}
    assert len(languages) >= 6 and {"zh", "ja", "ko", "ru"} <= languages


@pytest.mark.parametrize("lang", ["es", "zh", "ja", "ru"])
def test_english_queries_still_work_and_link_the_translation(index, lang):
    view = with_language(index, lang)
    for query, page in [("upload files", "tutorial/request-files"), ("cors middleware", "tutorial/cors")]:
        hits = view.search(query, 10)
        top = [page_key(h.section.url) for h in hits[:3]]
        assert f"{lang}/{page}" in top, (lang, query, top)


def test_search_payload_links_translated_pages_with_translated_titles(index):
    view = with_language(index, "ko")
    items = search_payload(view, ["파일 업로드"])
    assert items and items[0]["url"].startswith(SITE + "ko/tutorial/request-files/")
    assert any("\uac00" <= c <= "\ud7af" for c in items[0]["title"])
    assert "uri" not in items[0]  # the translated page, not a local English copy
    # English search results of an untranslated page keep their English URL
    items = search_payload(view, [{"query": "fastapi.FastAPI.get reference", "limit": 20}])
    assert any(i["url"].startswith(SITE + "reference/") for i in items)


def test_bad_queries_are_harmless(index):
    view = with_language(index, "zh")
    for query in ("", "   ", "!!!", "的", "\x00\ufffd", "a" * 5000, "路" * 500):
        assert isinstance(view.search(query, 5), list)
    assert view.search("路径", 0) == []
    assert view.search(None, 5) == []  # type: ignore[arg-type]


def test_cli_search_takes_lang(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "fastapi_docs_lsp.cli", "search", "--lang", "zh-CN", "--json", "--limit", "3", "后台任务"],
        capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "FASTAPI_DOCS_LSP_CACHE_DIR": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert hits[0]["url"].startswith(SITE + "zh/tutorial/background-tasks/")
    proc = subprocess.run(
        [sys.executable, "-m", "fastapi_docs_lsp.cli", "info", "--json", "--lang", "pt-BR"],
        capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "FASTAPI_DOCS_LSP_CACHE_DIR": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["docsLanguage"] == "pt"


def test_english_search_runs_only_when_it_can_help(index, monkeypatch):
    view = with_language(index, "de")
    calls: list[str] = []
    original = index.search

    def spy(query, limit=10):
        calls.append(query)
        return original(query, limit)

    monkeypatch.setattr(index, "search", spy)
    view.search("Fehler behandlung", 5)  # German words the headings know, English does not
    view.search("背景", 5)  # no Latin letters: nothing for the English search to read
    assert calls == []
    view.search("upload files", 5)  # English
    view.search("cors middleware", 5)  # words of both: English runs too
    assert calls == ["upload files", "cors middleware"]
