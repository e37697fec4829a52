"""FastAPI's docs in the user's language: the docs language, localized links and titles.

The FastAPI site exists in 13 languages. A translated page keeps the English heading anchors,
so a section link becomes ``https://fastapi.tiangolo.com/<lang>/<path>/#<anchor>`` when the
page (and that heading) exists in the language, and stays English otherwise. Which pages and
headings exist, and their translated titles, come from ``references/i18n/<lang>.tsv``
(``i18n_data.py``), loaded on first use, one language at a time.

* ``language_for_locale("pt-BR") == "pt"``; ``resolve_language(setting, locale)`` applies the
  ``docsLanguage`` setting (``"auto"`` follows the client's ``locale``);
* ``localize_url(url, lang)``: the translated URL of an English docs link (or the link itself);
  the one function every place that emits a docs URL can call (diagnostics' ``codeDescription``);
* ``with_language(index, lang)``: a view of a ``DocIndex`` whose sections carry translated URLs
  and titles (summaries stay in our English words) and whose ``search`` also matches queries
  written in the language (``i18n_search.py``). Hover, completion, go-to-reference, code actions,
  diagnostics and the searches all read sections through it, so none of them changes.

Nothing here imports pygls.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from .i18n_data import HOME, TRANSLATED, data_dir
from .model import Section
from .text import SITE_ROOT, clean_heading, normalize_url, site_url

log = logging.getLogger(__name__)

#: emphasis left around words glued to CJK text (``声明*路径参数*``), which Markdown still renders
_EMPHASIS = re.compile(r"\*{1,2}([^*\n]+?)\*{1,2}")

ENGLISH = "en"
#: every language of the site, English first (the agreed ``docsLanguage`` values besides "auto")
LANGUAGES: tuple[str, ...] = (ENGLISH, *TRANSLATED)
AUTO = "auto"

#: regional and script variants that do not reduce to their primary subtag
_REGIONAL = {
    "zh": "zh", "zh-cn": "zh", "zh-sg": "zh", "zh-my": "zh", "zh-hans": "zh",
    "zh-tw": "zh-hant", "zh-hk": "zh-hant", "zh-mo": "zh-hant", "zh-hant": "zh-hant",
    # Ukrainian speakers on a Russian-less list keep "uk"; "ua" is a common mistake for it
    "ua": "uk",
}


# --------------------------------------------------------------------------------------
# the docs language


def _tag(value: str) -> str:
    """``"pt_BR.UTF-8"`` -> ``"pt-br"``: lower case, ``-`` separated, no encoding/modifier."""
    value = value.strip().split(".", 1)[0].split("@", 1)[0]
    return value.replace("_", "-").lower()


def language_for_locale(locale: str | None) -> str:
    """The docs language for a client locale (BCP 47 or POSIX style); unknown -> ``"en"``.

    ``zh-cn``/``zh-sg``/``zh-Hans`` -> ``zh``; ``zh-tw``/``zh-hk``/``zh-Hant-*`` -> ``zh-hant``;
    otherwise the primary subtag when the site has it (``pt-br`` -> ``pt``, ``de-at`` -> ``de``).
    """
    found = _language_or_none(locale)
    return found if found is not None else ENGLISH


def _language_or_none(code: str | None) -> str | None:
    if not isinstance(code, str):
        return None
    tag = _tag(code)
    if not tag:
        return None
    if tag in LANGUAGES:
        return tag
    if tag in _REGIONAL:
        return _REGIONAL[tag]
    parts = tag.split("-")
    if parts[0] == "zh":
        # zh-Hant-TW, zh-Hans-CN, zh-yue-HK...: the script decides, else the region
        if "hant" in parts or any(p in ("tw", "hk", "mo") for p in parts[1:]):
            return "zh-hant"
        return "zh"
    return parts[0] if parts[0] in LANGUAGES else None


@lru_cache(maxsize=64)
def resolve_language(setting: str | None, locale: str | None) -> str:
    """The docs language in use: the ``docsLanguage`` setting, or the client's locale for
    ``"auto"`` (the default). An unknown setting logs a warning (once) and uses English."""
    if isinstance(setting, str) and setting.strip() and _tag(setting) != AUTO:
        found = _language_or_none(setting)
        if found is None:
            log.warning(
                "docsLanguage %r is not a language of the FastAPI docs (%s); using English",
                setting, ", ".join((AUTO, *LANGUAGES)),
            )
            return ENGLISH
        return found
    language = language_for_locale(locale)
    if locale and language == ENGLISH and not _tag(locale).startswith("en"):
        log.info("the FastAPI docs have no %r translation; using English", locale)
    return language


# --------------------------------------------------------------------------------------
# translated pages


class Translation:
    """One language's pages: ``titles[page][anchor]`` (``""`` = the page's own title)."""

    __slots__ = ("entries", "language", "titles")

    def __init__(self, language: str, rows: Iterable[tuple[str, int, str, str]]) -> None:
        self.language = language
        #: (page, level, anchor, clean title) in site order, for the search index
        self.entries: list[tuple[str, int, str, str]] = []
        self.titles: dict[str, dict[str, str]] = {}
        for page, level, anchor, raw in rows:
            if not raw.strip():
                self.titles.setdefault(page, {})  # a page without headings: nothing to link to
                continue
            title = (_EMPHASIS.sub(r"\1", clean_heading(raw)) if any(c in raw for c in "`*<[{_\\") else raw) or raw
            headings = self.titles.setdefault(page, {})
            if level <= 1 and "" not in headings:
                headings[""] = title
                if anchor:
                    headings.setdefault(anchor, title)  # the page's own heading id links its top too
                anchor = ""
            elif anchor:
                headings.setdefault(anchor, title)
            else:
                continue  # a heading without an id cannot be linked
            self.entries.append((page, level, anchor, title))

    def has_page(self, page: str) -> bool:
        return page in self.titles

    def title(self, page: str, anchor: str = "") -> str | None:
        headings = self.titles.get(page)
        return headings.get(anchor) if headings is not None else None

    def url(self, page: str, anchor: str = "") -> str:
        """The translated site URL of a page (and heading) of this language."""
        path = "" if page == HOME else page
        return site_url(f"{self.language}/{path}", anchor or None)


def parse_rows(text: str) -> list[tuple[str, int, str, str]]:
    """The rows of a ``<lang>.tsv`` file; malformed lines are skipped."""
    rows = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4 or not parts[0] or "#" in parts[2] or "/" in parts[2]:
            continue
        try:
            level = int(parts[1])
        except ValueError:
            continue
        rows.append((parts[0], level, parts[2], parts[3]))
    return rows


_translations: dict[str, Translation | None] = {}
_lock = threading.Lock()


def translation(language: str) -> Translation | None:
    """The pages of a translated language (loaded once), or None for English/unknown/unreadable."""
    if language not in TRANSLATED:
        return None
    found = _translations.get(language, False)
    if found is not False:
        return found  # type: ignore[return-value]
    with _lock:
        if language in _translations:
            return _translations[language]
        path = data_dir() / f"{language}.tsv"
        try:
            loaded: Translation | None = Translation(language, parse_rows(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("translated docs titles for %r unavailable (%s); linking English pages", language, exc)
            loaded = None
        _translations[language] = loaded
        return loaded


def split_docs_url(url: str) -> tuple[str, str] | None:
    """``https://fastapi.tiangolo.com/tutorial/cors/#x`` -> ``("tutorial/cors", "x")``; the home
    page is ``"index"``. None for other sites and for URLs already in another language."""
    if not isinstance(url, str) or "fastapi.tiangolo.com" not in url:
        return None
    url = normalize_url(url)
    if not url.startswith(SITE_ROOT):
        return None
    path, _, anchor = url[len(SITE_ROOT) :].partition("#")
    path = path.strip("/")
    if path.split("/", 1)[0] in TRANSLATED:
        return None
    return (path or HOME), anchor


def localize_url(url: str, language: str | None) -> str:
    """The ``language`` version of an English FastAPI docs URL when that page (and its heading)
    exists in the language; the URL unchanged otherwise (English, other sites, already localized).

    A heading missing from the translated page keeps the English link: it goes to the exact
    section rather than to the top of the translated page.
    """
    if not language or language == ENGLISH or not isinstance(url, str):
        return url
    found = split_docs_url(url)
    tr = translation(language) if found is not None else None
    if found is None or tr is None:
        return url
    page, anchor = found
    if tr.title(page, anchor) is None:
        return url
    return tr.url(page, anchor)


def english_url(url: str) -> str:
    """Undo ``localize_url``: the English URL of a translated docs link."""
    if not isinstance(url, str) or "fastapi.tiangolo.com" not in url:
        return url
    norm = normalize_url(url)
    if not norm.startswith(SITE_ROOT):
        return url
    rest = norm[len(SITE_ROOT) :]
    head, sep, tail = rest.partition("/")
    if sep and head in TRANSLATED:
        return SITE_ROOT + tail
    return url


# --------------------------------------------------------------------------------------
# the localized view of the docs index


class LocalizedDocs:
    """A ``DocIndex`` seen in one language: every section it hands out carries the translated
    URL, page title and heading (when the page exists in the language) and keeps its id,
    summary, keywords, symbols and local copy; ``search`` also matches the language's headings.

    Everything else (``sources``, ``sections``, ...) is the wrapped index's.
    """

    def __init__(self, base: Any, language: str, tr: Translation) -> None:
        self.base = base
        self.language = language
        self.translation = tr
        self._localized: dict[str, Section] = {}  # section id -> its localized copy
        self._heading_anchors: dict[tuple[str, str], str] | None = None
        self._search: Any = None
        self.heading_sections: dict[int, Section] = {}  # heading index entry -> its section (search)
        self._search_lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    # ---- sections in the language

    def localize(self, section: Section) -> Section:
        """The section with its translated URL and titles (itself when not translated)."""
        if section is None:
            return section
        done = self._localized.get(section.id)
        if done is not None:
            return done
        found = split_docs_url(section.url)
        if found is None:
            return section
        page, anchor = found
        tr = self.translation
        title = tr.title(page, anchor)
        page_title = tr.title(page)
        if title is None or page_title is None:
            return section
        localized = dataclasses.replace(
            section,
            url=tr.url(page, anchor),
            page_title=page_title,
            title=title if anchor else page_title,
            breadcrumb=self._crumbs(section, page, page_title, title if anchor else page_title),
            # a local (English) copy is still reached through rich_section(); where a result is
            # opened (workspace symbols, searchDocs), the translated page is what was asked for
            path=None,
            line_start=None,
            line_end=None,
        )
        if len(self._localized) < 50_000:
            self._localized[section.id] = localized
        return localized

    def _crumbs(self, section: Section, page: str, page_title: str, title: str) -> tuple[str, ...]:
        """The breadcrumb with the page, parent headings and the section in the language (the
        category names stay: the site's navigation titles are not part of our data)."""
        if not section.breadcrumb:
            return section.breadcrumb
        anchors = self._anchors()
        out = []
        last = len(section.breadcrumb) - 1
        for n, crumb in enumerate(section.breadcrumb):
            if n == last:
                out.append(title)
            elif crumb == section.page_title:
                out.append(page_title)
            else:
                anchor = anchors.get((page, crumb))
                out.append((self.translation.title(page, anchor) if anchor else None) or crumb)
        return tuple(out)

    def _anchors(self) -> dict[tuple[str, str], str]:
        """(page, English heading) -> anchor, over the index's sections (for breadcrumbs)."""
        if self._heading_anchors is None:
            anchors: dict[tuple[str, str], str] = {}
            for s in getattr(self.base, "sections", ()):
                found = split_docs_url(s.url) if "#" in s.url else None
                if found is not None and found[1]:
                    anchors.setdefault((found[0], s.title), found[1])
            self._heading_anchors = anchors
        return self._heading_anchors

    def original(self, section: Section) -> Section:
        """The index's own (English) section for one this view handed out."""
        if section is None or not section.url.startswith(SITE_ROOT + self.language + "/"):
            return section
        own = self.base.get(section.id)
        return own if own is not None else section

    # ---- the DocIndex interface used by renderers and features

    def get(self, section_id: str) -> Section | None:
        s = self.base.get(section_id)
        return self.localize(s) if s is not None else None

    def section_for_url(self, url: str) -> Section | None:
        s = self.base.section_for_url(english_url(url))
        return self.localize(s) if s is not None else None

    def sections_for_symbol(self, symbol: str, limit: int = 3) -> list[Section]:
        return [self.localize(s) for s in self.base.sections_for_symbol(symbol, limit)]

    def rich_section(self, section: Section) -> Section | None:
        return self.base.rich_section(self.original(section))

    def excerpt(self, section: Section, max_lines: int = 4) -> str:
        return self.base.excerpt(self.original(section), max_lines)

    def summary_for(self, section: Section) -> str:
        return self.base.summary_for(self.original(section))

    def canonical(self, section: Section) -> Section:
        return self.localize(self.base.canonical(self.original(section)))

    # ---- search in the language (and in English)

    def heading_index(self) -> Any:
        """The language's heading search index (built on first use)."""
        if self._search is None:
            with self._search_lock:
                if self._search is None:
                    from .i18n_search import HeadingIndex

                    self._search = HeadingIndex(self.translation.entries)
        return self._search

    def warm_in_background(self) -> None:
        """Build the heading index on a daemon thread (yielding to requests), so the first
        search in the language does not pay for it (~0.1-0.2 s)."""

        def build() -> None:
            from ..background import background_work

            try:
                with background_work():
                    self.heading_index()
            except Exception:
                log.exception("building the %s heading index failed", self.language)

        threading.Thread(target=build, name=f"fastapi-docs-i18n-{self.language}", daemon=True).start()

    def search(self, query: str, limit: int = 10) -> list[Any]:
        from .i18n_search import merged_search

        return merged_search(self, query, limit)


def with_language(docs: Any, language: str, warm: bool = False) -> Any:
    """``docs`` (a ``DocIndex`` or a view of one) seen in ``language``; the same object when it
    already is, the plain index for English or when the language's data cannot be read.
    ``warm``: build a new view's search index ahead, on a background thread."""
    if docs is None:
        return None
    base = docs.base if isinstance(docs, LocalizedDocs) else docs
    if isinstance(docs, LocalizedDocs) and docs.language == language:
        return docs
    tr = translation(language) if language != ENGLISH else None
    if tr is None:
        return base
    view = LocalizedDocs(base, language, tr)
    if warm:
        log.info("docs language %s: %d translated pages (others link the English docs)", language, len(tr.titles))
        view.warm_in_background()
    return view


def docs_language(docs: Any) -> str:
    """The language a docs object shows (``"en"`` for a plain index)."""
    return docs.language if isinstance(docs, LocalizedDocs) else ENGLISH
