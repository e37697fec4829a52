"""Topic search in a translated language, over the translated pages' headings.

Tokenisation follows the script:

* Chinese, Japanese and Korean are written without spaces between words (Korean spaces whole
  phrases, with particles glued on): a run of Han, kana or Hangul becomes its overlapping
  character *bigrams* (``路径参数`` -> ``路径 径参 参数``), which match whatever the word
  boundaries are; single characters are indexed too, for one-character queries and as a weak
  fallback when a query bigram is not in the vocabulary.
* Latin, Cyrillic, Devanagari and the rest: words (combining marks kept, Latin accents folded,
  so ``parametros`` finds ``parámetros``), matched exactly, by prefix (``dependenc`` ->
  ``dependencias``), by the vocabulary word being a prefix of the query's (inflections:
  ``зависимостей`` -> ``зависимост...``) and by rapidfuzz ratio over same-length words (typos).

Each heading is a document with its own words (weight 3), its page title (0.8) and its parent
headings (0.5); a page's document also carries its subheadings (0.6). Scores are idf-weighted,
favour documents matching every query term, and are re-ranked by rapidfuzz similarity of the
query to the heading (character-bigram overlap for CJK). One language's index is ~1,100
headings: a query costs well under a millisecond.

``merged_search`` combines it with the English search of the wrapped ``DocIndex`` so a
``LocalizedDocs`` view answers queries in either language.
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import unicodedata
from array import array
from collections.abc import Sequence
from typing import Any

from ..background import pause_point
from .i18n_data import HOME
from .model import Section
from .search import LOW_VALUE_PAGES, SearchHit, add_postings, prefix_completions
from .text import site_url, terms

W_TITLE = 3.0
W_PAGE = 0.8
W_PARENT = 0.5
W_SUBHEADINGS = 0.6
MAX_FIELD = 4.0
UNIGRAM = 0.35  # a CJK character alone, relative to a bigram
SCALE = 1.3  # brings a good match near 1.0, as the English search scores
_CATEGORY_BOOST = {"tutorial": 1.12, "advanced": 1.04}


_CJK_CLASS = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\u1100-\u11ff\u3130-\u318f"  # Hangul jamo
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\u31f0-\u31ff\uff66-\uff9d"  # katakana extensions, half-width katakana
    "\U00020000-\U0002fa1f"
)
_CJK_RE = re.compile(f"[{_CJK_CLASS}]")
# a CJK run, or a word: letters/digits (\w without CJK) plus combining marks (accents, Devanagari
# and other Indic vowel signs, which str.isalnum() does not count as letters)
_RUN_RE = re.compile(f"([{_CJK_CLASS}]+)|((?:(?![{_CJK_CLASS}])[\\w\u0300-\u036f\u0900-\u0dff])+)")


def _is_cjk(ch: str) -> bool:
    return _CJK_RE.match(ch) is not None


def _fold_word(word: str) -> str:
    """Drop accents of Latin letters (é -> e, ş -> s); keep other scripts' marks (Devanagari
    vowel signs, Cyrillic й), which change the word."""
    if word.isascii():
        return word
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", word):
        if out and out[-1] < "\u0250" and unicodedata.combining(ch):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def tokens(text: str) -> list[tuple[str, float]]:
    """``(term, weight)`` of a text: words, CJK bigrams (1.0) and CJK single characters."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    out: list[tuple[str, float]] = []
    for m in _RUN_RE.finditer(text):
        run, word = m.group(1), m.group(2)
        if word:
            out.append((_fold_word(word), 1.0))
        elif len(run) == 1:
            out.append((run, 1.0))
        else:
            out.extend((run[i : i + 2], 1.0) for i in range(len(run) - 1))
            out.extend((ch, UNIGRAM) for ch in dict.fromkeys(run))
    return out


def query_terms(text: str) -> list[str]:
    """The terms a query searches: words and CJK bigrams (single characters only for a
    one-character run)."""
    return list(dict.fromkeys(t for t, w in tokens(text) if w == 1.0))[:16]


def _bigrams(text: str) -> set[str]:
    t = "".join(text.casefold().split())
    return {t[i : i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def _rapidfuzz():
    from rapidfuzz import fuzz, process

    return fuzz, process


class HeadingIndex:
    """Inverted index over one language's headings (``Translation.entries``)."""

    def __init__(self, entries: Sequence[tuple[str, int, str, str]]) -> None:
        self.entries: list[tuple[str, int, str, str]] = list(entries)
        page_titles: dict[str, str] = {}
        subheadings: dict[str, list[str]] = {}
        for page, level, _anchor, title in self.entries:
            if level <= 1:
                page_titles.setdefault(page, title)
            else:
                subheadings.setdefault(page, []).append(title)
        postings: dict[str, tuple[list[int], list[float]]] = {}
        self.titles: list[str] = []
        self.factors = array("f")
        parents: list[tuple[int, str]] = []
        current_page = None
        seen: dict[str, list[tuple[str, float]]] = {}  # text -> its tokens (titles recur)

        def put(fields: dict[str, float], text: str, weight: float) -> None:
            toks = seen.get(text)
            if toks is None:
                toks = seen[text] = tokens(text)
            for t, w in toks:
                fields[t] = min(MAX_FIELD, fields.get(t, 0.0) + weight * w)

        for d, (page, level, _anchor, title) in enumerate(self.entries):
            if d % 64 == 63:
                pause_point()  # on a background thread: let requests through
            if page != current_page:
                parents, current_page = [], page
            while parents and parents[-1][0] >= level:
                parents.pop()
            fields: dict[str, float] = {}
            put(fields, title, W_TITLE)
            if level <= 1:
                for sub in subheadings.get(page, ()):
                    put(fields, sub, W_SUBHEADINGS)
            else:
                put(fields, page_titles.get(page, ""), W_PAGE)
                for _lvl, parent in parents[1:] if parents and parents[0][0] <= 1 else parents:
                    put(fields, parent, W_PARENT)
            parents.append((level, title))
            add_postings(postings, d, fields)
            top = page.split("/", 1)[0]
            factor = _CATEGORY_BOOST.get(top, 1.0) * (1.1 if level <= 1 else 1.0)
            if top in LOW_VALUE_PAGES or page in LOW_VALUE_PAGES:
                factor *= 0.35
            self.factors.append(factor)
            self.titles.append(" ".join(title.casefold().split()))
        n = max(1, len(self.entries))
        self.postings: dict[str, tuple[array[int], array[float]]] = {
            t: (array("I", ids), array("f", ws)) for t, (ids, ws) in postings.items()
        }
        self.idf: dict[str, float] = {t: math.log(1.0 + n / len(ids)) for t, (ids, _) in postings.items()}
        self.vocab: list[str] = sorted(t for t in postings if len(t) >= 3 and not _is_cjk(t[0]))
        buckets: dict[int, list[str]] = {}
        for t in self.vocab:
            if len(t) >= 4 and not t.isdigit():
                buckets.setdefault(len(t), []).append(t)
        self.by_length = buckets
        self.n_docs = n

    # ------------------------------------------------------------------ query side

    def _expand(self, q: str, last: bool) -> list[tuple[str, float]]:
        """Vocabulary terms standing for query term ``q``, with a similarity in (0, 1]."""
        out: dict[str, float] = {}
        known = q in self.postings
        if known:
            out[q] = 1.0
        if _is_cjk(q[0]):
            if not known and len(q) == 2:
                for ch in q:  # an unknown bigram: its characters, weakly
                    if ch in self.postings:
                        out.setdefault(ch, UNIGRAM)
            return list(out.items())
        if len(q) < 3:
            return list(out.items())
        if last or not known:
            for t in prefix_completions(self.vocab, self.postings, q):
                out.setdefault(t, 0.5 + 0.4 * len(q) / len(t))
        if len(q) >= 4:
            # other inflections: vocabulary words sharing the query's stem (больший/больші,
            # застосунок/застосунки, बड़ा/बड़े), weaker when the query's own form is known
            scale = 0.8 if known else 1.0
            for n in range(len(q) - 1, max(3, math.ceil(len(q) * 0.6)) - 1, -1):
                stem = q[:n]
                i = bisect.bisect_left(self.vocab, stem)
                hits = 0
                while i < len(self.vocab) and self.vocab[i].startswith(stem) and hits < 6:
                    t = self.vocab[i]
                    if t != q and len(t) <= len(q) + 3:
                        out.setdefault(t, scale * (0.3 + 0.55 * n / max(len(q), len(t))))
                        hits += 1
                    i += 1
                if hits:
                    break
        if len(q) >= 4 and (not known or len(self.postings[q][0]) <= 1):
            fuzz, process = _rapidfuzz()
            cutoff = 74.0 if len(q) >= 5 else 80.0
            pool: list[str] = []
            for n in range(len(q) - 2, len(q) + 3):
                pool.extend(self.by_length.get(n, ()))
            for t, score, _ in process.extract(q, pool, scorer=fuzz.ratio, limit=4, score_cutoff=cutoff):
                out.setdefault(t, 0.85 * (score / 100.0) ** 2)
        return list(out.items())

    def search(self, query: str, limit: int = 10) -> list[tuple[int, float]]:
        """``(entry index, score)``, best first (about 1.0 for a good match)."""
        return self.search_covering(query, limit)[0]

    def search_covering(self, query: str, limit: int = 10) -> tuple[list[tuple[int, float]], bool]:
        """``search`` and whether every query term matched the language's vocabulary."""
        query = (query or "").strip()[:400]
        qterms = query_terms(query)
        if not qterms or limit <= 0:
            return [], False
        acc: dict[int, float] = {}
        hits: dict[int, int] = {}
        ideal = 0.0
        frequent = self.n_docs * 0.3
        expansions = [(q, self._expand(q, n == len(qterms) - 1)) for n, q in enumerate(qterms)]
        informative = sum(1 for _, e in expansions if e)
        covered = informative == len(expansions)
        counted = 0
        for q, exp in expansions:
            if not exp:
                ideal += math.log(1.0 + self.n_docs) * W_TITLE * 0.5  # an unknown term still counts against
                continue
            if exp[0][1] == 1.0 and len(self.postings[q][0]) > frequent and informative > 1:
                continue  # "de", "la", "и", "的": everywhere, decides nothing
            counted += 1
            cap = self.idf[q] if q in self.idf else max(self.idf[t] for t, _ in exp)
            best: dict[int, float] = {}
            for t, sim in exp:
                ids, ws = self.postings[t]
                f = sim * min(self.idf[t], cap)
                for d, w in zip(ids, ws):
                    v = f * w
                    if v > best.get(d, 0.0):
                        best[d] = v
            ideal += cap * W_TITLE
            for d, v in best.items():
                acc[d] = acc.get(d, 0.0) + v
                hits[d] = hits.get(d, 0) + 1
        if not acc:
            return [], False
        n_terms = max(1, counted + sum(1 for _, e in expansions if not e))
        norm = 1.0 / (ideal or 1.0)
        factors = self.factors
        top = heapq.nlargest(
            max(limit * 3, 20),
            (((raw * norm) * (0.35 + 0.65 * hits[d] / n_terms) ** 2 * factors[d], d) for d, raw in acc.items()),
        )
        qnorm = " ".join(query.casefold().split())
        cjk = any(_is_cjk(c) for c in qnorm)
        if cjk:
            qgrams = _bigrams(qnorm)
            def similarity(d: int) -> float:
                tg = _bigrams(self.titles[d])
                return 2 * len(qgrams & tg) / (len(qgrams) + len(tg)) if tg else 0.0
        else:
            fuzz, _ = _rapidfuzz()
            def similarity(d: int) -> float:
                return fuzz.token_set_ratio(qnorm, self.titles[d]) / 100.0
        reranked = sorted(((s + 0.15 * similarity(d) ** 2 * self.factors[d], d) for s, d in top), key=lambda x: (-x[0], x[1]))
        # ~1.0 for a heading matching the query well; more for an exact, tutorial one
        return [(d, round(s / SCALE, 4)) for s, d in reranked[:limit]], covered


# ---------------------------------------------------------------------- with the English search


def _section_for(view: Any, entry: tuple[str, int, str, str]) -> Section:
    """The index's section for a translated heading, localized; or one made from the heading
    when our index does not have it (a page outside the catalog, a heading it skips)."""
    page, level, anchor, title = entry
    path = "" if page == HOME else page
    english = site_url(path, anchor or None)
    base = view.base.section_for_url(english)
    if base is not None:
        return view.localize(view.base.canonical(base))
    tr = view.translation
    page_title = tr.title(page) or title
    top = path.split("/", 1)[0]
    category = top if top in ("tutorial", "advanced", "how-to", "deployment", "reference") else "general"
    return Section(
        id=f"i18n:{view.language}:{page}#{anchor}",
        source="catalog",
        category=category,
        page_title=page_title,
        title=title,
        url=tr.url(page, anchor),
        level=level,
        breadcrumb=(page_title,) if level <= 1 else (page_title, title),
    )


def _english_words(base: Any, query: str) -> bool:
    """Are all the query's words in the English index's vocabulary (or can we not tell)?"""
    postings = getattr(getattr(base, "search_index", None), "postings", None)
    if not isinstance(postings, dict):
        return True
    english = terms(query)
    return all(t in postings for t in english)


def merged_search(view: Any, query: str, limit: int = 10) -> list[SearchHit]:
    """English search of the wrapped index and the language's heading search, one hit per URL.

    Both scores are in 0..1; a URL found by both gets a bonus. English hits are shown in the
    language when their page is translated.
    """
    if not isinstance(query, str):
        return []
    limit = max(0, min(int(limit), 100))
    if limit == 0 or not query.strip():
        return []
    found: dict[str, tuple[float, Section]] = {}

    def add(section: Section, score: float) -> None:
        key = section.url
        old = found.get(key)
        if old is None:
            found[key] = (score, section)
        else:
            hi, lo = max(old[0], score), min(old[0], score)
            found[key] = (hi + 0.25 * lo, old[1])

    # The language's headings first. A query all of whose words they know (exactly, as another
    # inflection or with a typo) and the English index does not is written in the language: the
    # English search would only chase its words through fuzzy matches, so it is skipped.
    index = view.heading_index()
    local, covered = index.search_covering(query, limit)
    # Otherwise the English search's scores count for the share of the query it can read: it
    # sees only Latin-letter words (``बड़ा application`` is not a question about "application").
    qterms = query_terms(query)
    seen = sum(1 for t in qterms if t.isascii()) / len(qterms) if qterms else 1.0
    if seen > 0 and not (covered and not _english_words(view.base, query)):
        for hit in view.base.search(query, limit):
            add(view.localize(hit.section), hit.score * seen)
    memo = view.heading_sections
    for d, score in local:
        section = memo.get(d)
        if section is None:
            section = memo[d] = _section_for(view, index.entries[d])
        add(section, score)
    ordered = sorted(found.values(), key=lambda x: -x[0])  # stable: English order among equals
    return [SearchHit(section, round(min(score, 1.0), 4)) for score, section in ordered[:limit]]
