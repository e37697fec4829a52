"""Topic search over documentation sections: an inverted index plus rapidfuzz.

Sections sharing a URL (the catalog's entry and a skill's or mkdocs' copy of the same heading)
form one searchable *document*: its fields are the union of theirs, so the catalog's summary
and keywords count together with the rich source's body text.

Scoring, per query term, takes the best of the term's exact, prefix and fuzzy (typo) matches in
the vocabulary, weighted by field (title, symbols, keywords, summary, page, breadcrumb, body)
and by rarity (idf). Documents matching every query term win; the best candidates are then
re-ranked by rapidfuzz similarity of the query to their titles. Fuzzy matching only ever runs
over the vocabulary (bucketed by length) and over short titles, never over body text, so a
query costs a few milliseconds on the whole FastAPI documentation.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .model import Section
from .text import identifier_terms, norm_title, term_counts, terms, words

SEARCH_VERSION = 6

# field weights (presence of a term in the field; body uses a saturating term frequency)
W_TITLE = 3.0
W_SYMBOL = 2.5
W_KEYWORD = 2.5
W_SUMMARY = 1.2
W_PAGE = 0.8
W_CRUMB = 0.5
W_HEADINGS = 1.0  # a page's subheadings, on the page's own document
MAX_SHORT = 6.0  # cap of the summed short-field weights of one term
W_BODY = 1.4
BODY_K = 1.2
BODY_B = 0.5

#: pages whose sections mention everything and answer nothing (they still match, far down)
LOW_VALUE_PAGES = frozenset(
    {
        "release-notes", "_llm-test", "translation-banner", "fastapi-people", "external-links",
        "newsletter", "management", "management-tasks", "contributing", "translations",
    }
)
CATEGORY_BOOST = {"tutorial": 1.12, "advanced": 1.04, "how-to": 1.0, "reference": 0.97, "deployment": 1.0, "general": 0.95}
PAGE_BOOST = 1.1
#: a narrower near-duplicate page the query does not ask for (testing-events for "lifespan")
NARROW_PENALTY = 0.86
#: API reference entries for task-style questions ("stream a large csv"): the guide comes first
TASK_REFERENCE_PENALTY = 0.8
#: a guide moves before an API entry it explains when it scores at least this share of it
GUIDE_SHARE = 0.5
_IDENTIFIER_HINTS = ("_", ".", "(", ")")


def is_task_query(query: str) -> bool:
    """A question in words ("get the client ip address"), not a name (``jsonable_encoder``, ``OAuth2PasswordBearer``)."""
    tokens = query.split()
    if len(tokens) < 3:
        return False
    return not any(any(h in t for h in _IDENTIFIER_HINTS) or any(c.isupper() for c in t[1:]) for t in tokens)


def _narrowing(page_keys: set[str]) -> dict[str, tuple[str, ...]]:
    """Pages whose last path segment extends another page's (``testing-events`` / ``events``,
    ``query-params-str-validations`` / ``query-params``) -> the terms of the extra words."""
    lasts: dict[str, list[str]] = {}
    for key in page_keys:
        last = key.rsplit("/", 1)[-1]
        if last:
            lasts.setdefault(last, []).append(key)
    out: dict[str, tuple[str, ...]] = {}
    for key in page_keys:
        parts = key.rsplit("/", 1)[-1].split("-")
        for n in range(1, len(parts)):
            for base, extra in (("-".join(parts[n:]), parts[:n]), ("-".join(parts[:-n]), parts[-n:])):
                if base in lasts and any(other != key for other in lasts[base]):
                    narrowed = tuple(terms(" ".join(extra), keep_stop_words=True))
                    if narrowed and (key not in out or len(narrowed) < len(out[key])):
                        out[key] = narrowed
    return out


def _rapidfuzz():
    """``(fuzz, process)``, imported on the first query: rapidfuzz's C++ extensions (and
    libstdc++) cost ~3 MB of resident memory in a server that may never run a search."""
    from rapidfuzz import fuzz, process

    return fuzz, process


@dataclass(frozen=True, slots=True)
class SearchHit:
    section: Section
    score: float


@dataclass(frozen=True, slots=True)
class Doc:
    """One URL: the sections that share it and the one to show."""

    url: str
    members: tuple[int, ...]  # indexes into the section list
    shown: int  # index of the section to display
    title: str  # normalised title for fuzzy re-ranking
    factor: float  # category/page boosts and low-value penalty
    reference: bool = False  # an API reference entry (goes after the guides for task questions)
    #: for a page that narrows another one (``advanced/testing-events`` of ``advanced/events``):
    #: the terms it adds; unless the query names one of them, the broader page wins ties
    narrows: tuple[str, ...] = ()


def page_key(url: str) -> str:
    """``https://site/tutorial/body/#x`` -> ``tutorial/body``."""
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("#", 1)[0].strip("/")
    return path


def _representative(sections: Sequence[Section], members: Sequence[int]) -> int:
    """The richest section of a URL group: longest local text, then any local, then catalog."""
    def rank(i: int) -> tuple[int, int, int]:
        s = sections[i]
        return (1 if s.text else 0, len(s.text), 1 if s.source == "skill" else 0)

    return max(members, key=rank)


def add_postings(postings: dict[str, tuple[list[int], list[float]]], doc: int, fields: dict[str, float]) -> None:
    """Record that document ``doc`` has each term of ``fields`` with its weight."""
    for t, w in fields.items():
        entry = postings.get(t)
        if entry is None:
            entry = postings[t] = ([], [])
        entry[0].append(doc)
        entry[1].append(w)


def prefix_completions(vocab: list[str], postings: dict[str, Any], q: str, limit: int = 8) -> list[str]:
    """The vocabulary words (sorted ``vocab``) that extend ``q``, the ones in most sections first
    (``postings[t][0]``: the sections of term ``t``); at most ``limit``, from the first 40."""
    i = bisect.bisect_left(vocab, q)
    extra: list[str] = []
    while i < len(vocab) and vocab[i].startswith(q) and len(extra) < 40:
        if vocab[i] != q:
            extra.append(vocab[i])
        i += 1
    extra.sort(key=lambda t: -len(postings[t][0]))
    return extra[:limit]


class SearchIndex:
    """Immutable, picklable search structures over a list of sections."""

    def __init__(self, sections: Sequence[Section]) -> None:
        groups: dict[str, list[int]] = {}
        page_members: dict[str, list[int]] = {}
        for i, s in enumerate(sections):
            groups.setdefault(s.url, []).append(i)
            page_members.setdefault(s.page_url, []).append(i)
        self.docs: list[Doc] = []
        narrows = _narrowing({page_key(s.page_url) for s in sections if s.level == 1})
        doc_terms: list[dict[str, float]] = []
        body_lens: list[int] = []
        body_counts: list[Counter[str]] = []
        for url, members in groups.items():
            shown = _representative(sections, members)
            rep = sections[shown]
            page = page_key(url).split("/", 1)[0]
            factor = CATEGORY_BOOST.get(rep.category, 1.0)
            if rep.level == 1:
                factor *= PAGE_BOOST
            if page in LOW_VALUE_PAGES:
                factor *= 0.35
            elif rep.category == "reference" and rep.level > 2:
                factor *= 0.8  # a single parameter or attribute of an API object
            fields: dict[str, float] = {}

            def put(ts: list[str] | set[str], weight: float, fields: dict[str, float] = fields) -> None:
                for t in set(ts):
                    fields[t] = min(MAX_SHORT, fields.get(t, 0.0) + weight)

            titles: set[str] = set()
            body: Counter[str] = Counter()
            for i in members:
                s = sections[i]
                titles.add(s.title)
                put(terms(s.breadcrumb_text if s.level > 2 else ""), W_CRUMB)
                if s.level > 1:
                    put(terms(s.page_title), W_PAGE)
                put(terms(s.summary), W_SUMMARY)
                put(terms(" ".join(s.keywords)), W_KEYWORD)
                put(identifier_terms(s.symbols), W_SYMBOL)
                if s.text:
                    body.update(term_counts(s.text))
            for t in titles:
                put(terms(t) + identifier_terms([t]) if "." in t else terms(t), W_TITLE)
            if rep.level == 1:
                heads = {sections[j].title for j in page_members.get(rep.page_url, ()) if sections[j].level > 1}
                put([w for h in heads for w in terms(h)], W_HEADINGS)
            self.docs.append(
                Doc(url, tuple(members), shown, norm_title(rep.title), factor, rep.category == "reference", narrows.get(page_key(rep.page_url), ()))
            )
            doc_terms.append(fields)
            body_counts.append(body)
            body_lens.append(sum(body.values()))
        avg_len = (sum(body_lens) / max(1, sum(1 for n in body_lens if n))) or 1.0

        postings: dict[str, tuple[list[int], list[float]]] = {}
        for d, (fields, body, blen) in enumerate(zip(doc_terms, body_counts, body_lens)):
            if body:
                norm = BODY_K * (1 - BODY_B + BODY_B * blen / avg_len)
                for t, tf in body.items():
                    w = W_BODY * tf / (tf + norm)
                    fields[t] = fields.get(t, 0.0) + w
            add_postings(postings, d, fields)
        n_docs = max(1, len(self.docs))
        self.postings: dict[str, tuple[array[int], array[float]]] = {
            t: (array("I", ids), array("f", ws)) for t, (ids, ws) in postings.items()
        }
        self.idf: dict[str, float] = {t: math.log(1.0 + n_docs / len(ids)) for t, (ids, _) in postings.items()}
        self.vocab: list[str] = sorted(postings)
        buckets: dict[int, list[str]] = {}
        for t in self.vocab:
            if len(t) >= 3 and not t.isdigit():
                buckets.setdefault(len(t), []).append(t)
        self.by_length = buckets
        self.n_docs = n_docs
        self.titles: list[str] = [doc.title for doc in self.docs]

    # ------------------------------------------------------------------ query side

    def _expand(self, q: str, last: bool = False) -> list[tuple[str, float]]:
        """Vocabulary terms standing for query term ``q``, with a similarity in (0, 1].

        Prefixes are tried for an unknown term or the last one (still being typed), typos
        (rapidfuzz ratio over same-length vocabulary) for unknown or near-unique terms.
        """
        out: dict[str, float] = {}
        known = q in self.postings
        if known:
            out[q] = 1.0
        if len(q) >= 3 and (last or not known):
            for t in prefix_completions(self.vocab, self.postings, q):
                out.setdefault(t, 0.45 + 0.4 * len(q) / len(t))
        if len(q) >= 4 and (q not in self.postings or len(self.postings[q][0]) <= 1):
            fuzz, process = _rapidfuzz()
            cutoff = 74.0 if len(q) >= 5 else 80.0
            pool: list[str] = []
            for n in range(len(q) - 2, len(q) + 3):
                pool.extend(self.by_length.get(n, ()))
            for t, score, _ in process.extract(q, pool, scorer=fuzz.ratio, limit=4, score_cutoff=cutoff):
                if t != q:
                    out.setdefault(t, 0.85 * (score / 100.0) ** 2)
        return list(out.items())

    def query_terms(self, query: str) -> list[str]:
        qs = terms(query)
        if not qs:
            qs = terms(query, keep_stop_words=True)
        camel = [w.lower() for w in query.replace(".", " ").split() if any(c.isupper() for c in w[1:])]
        qs.extend(c for c in camel if c in self.postings and c not in qs)
        return list(dict.fromkeys(qs))[:12]

    def _symbols(self, sections: Sequence[Section], d: int) -> set[str]:
        return {sym for i in self.docs[d].members for sym in sections[i].symbols}

    def _guides_first(self, sections: Sequence[Section], ranked: list[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
        """For a task question, the guide explaining an API entry goes right before that entry:
        "stream a large csv" wants the streaming guide, then ``StreamingResponse``'s reference."""
        out: list[tuple[float, int]] = []
        moved: set[int] = set()
        for n, (score, d) in enumerate(ranked):
            if d in moved:
                continue
            if self.docs[d].reference and len(out) < limit:
                wanted = self._symbols(sections, d)
                for other_score, g in ranked[n + 1 :]:
                    if other_score < GUIDE_SHARE * score:
                        break
                    if g not in moved and not self.docs[g].reference and wanted & self._symbols(sections, g):
                        out.append((score, g))
                        moved.add(g)
                        break
            out.append((score, d))
        return out

    def search(self, sections: Sequence[Section], query: str, limit: int = 10) -> list[SearchHit]:
        query = (query or "").strip()[:400]
        if not query or limit <= 0 or not self.docs:
            return []
        qterms = self.query_terms(query)
        if not qterms:
            return []
        acc: dict[int, float] = {}
        hits: dict[int, int] = {}
        ideal = 0.0
        frequent = self.n_docs * 0.4
        expansions = [(q, self._expand(q, last=n == len(qterms) - 1)) for n, q in enumerate(qterms)]
        informative = [e for e in expansions if e[1]]
        for q, exp in expansions:
            if not exp:
                continue
            df = len(self.postings[exp[0][0]][0]) if exp[0][1] == 1.0 else 0
            if df > frequent and len(informative) > 1:
                continue  # "fastapi", "python": everywhere, decides nothing
            best: dict[int, float] = {}
            top_idf = 0.0
            # an expansion never weighs more than the term itself would (rare != relevant)
            cap = self.idf[q] if q in self.idf else max(self.idf[t] for t, _ in exp)
            for t, sim in exp:
                ids, ws = self.postings[t]
                f = sim * min(self.idf[t], cap)
                top_idf = max(top_idf, f)
                for d, w in zip(ids, ws):
                    v = f * w
                    if v > best.get(d, 0.0):
                        best[d] = v
            ideal += top_idf * (MAX_SHORT + W_BODY)
            for d, v in best.items():
                acc[d] = acc.get(d, 0.0) + v
                hits[d] = hits.get(d, 0) + 1
        n_terms = sum(1 for _, exp in expansions if exp) or 1
        qnorm = " ".join(words(query))
        fuzz, process = _rapidfuzz()
        if len(acc) < limit or not acc:
            # nothing or little matched term by term: fall back to fuzzy titles
            for _title, score, d in process.extract(qnorm, self.titles, scorer=fuzz.WRatio, limit=limit * 2, score_cutoff=70):
                acc[d] = acc.get(d, 0.0) + (score / 100.0) * (ideal or 1.0) * 0.3
                hits.setdefault(d, 0)
        if not acc:
            return []
        ideal = ideal or 1.0
        scored = []
        for d, raw in acc.items():
            coverage = hits[d] / n_terms
            scored.append((raw * (0.35 + 0.65 * coverage) ** 2 * self.docs[d].factor, d))
        scored.sort(reverse=True)
        top = scored[: max(limit * 4, 40)]
        reranked = []
        task = is_task_query(query)
        asked = set(qterms) | {t for q, exp in expansions for t, _ in exp}
        for s, d in top:
            doc = self.docs[d]
            sim = fuzz.token_set_ratio(qnorm, doc.title) / 100.0
            score = s / ideal + 0.12 * sim * sim * doc.factor
            if doc.narrows and not asked.intersection(doc.narrows):
                score *= NARROW_PENALTY
            if task and doc.reference:
                score *= TASK_REFERENCE_PENALTY
            reranked.append((score, d))
        reranked.sort(key=lambda x: (-x[0], x[1]))
        if task:
            reranked = self._guides_first(sections, reranked, limit)
        return [SearchHit(sections[self.docs[d].shown], round(min(score, 1.0), 4)) for score, d in reranked[:limit]]
