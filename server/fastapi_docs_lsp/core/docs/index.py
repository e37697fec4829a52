"""The documentation index: every source's sections merged, with symbol, URL and topic lookups.

``build_index`` loads our catalog, FastAPI's installed skill and the ``referencePaths`` folders
(skill folders or mkdocs trees), through an on-disk cache. ``DocIndex`` answers:

* ``sections_for_symbol("fastapi.Query.max_length")``: the sections that best explain a public
  dotted path (tutorial/advanced first, the reference entry last when there is room);
* ``section_for_url(url)``: the section a docs link points to;
* ``rich_section``/``excerpt``: the local (skill/mkdocs) copy of a section and a few clean lines;
* ``search(query)``: fuzzy topic search, one hit per URL.

``search_payload`` implements the arguments and result shape of the ``fastapi.searchDocs``
command. Nothing here imports pygls.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import cache_dir as default_cache_dir
from .cache import load, make_key, pack_sections, store, unpack_sections
from .catalog import TitleMap, catalog_fingerprint, load_catalog
from .model import Section
from .notes import SymbolNote, load_notes
from .search import LOW_VALUE_PAGES, SEARCH_VERSION, SearchHit, SearchIndex, page_key as _page_key
from .sources import inspect_path, load_source, source_key
from .text import SITE_ROOT, excerpt_text, normalize_url, stem, words

log = logging.getLogger(__name__)

__all__ = ["DocIndex", "SearchHit", "SourceInfo", "build_index", "search_payload"]

_CATEGORY_RANK = {"tutorial": 0, "advanced": 1, "how-to": 2, "deployment": 3, "general": 4, "reference": 9}
_SOURCE_RANK = {"catalog": 0, "skill": 1, "mkdocs": 2}
_MAX_SEARCH_LIMIT = 100


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One loaded (or refused) documentation source, for status displays."""

    kind: str  # "catalog" | "skill" | "mkdocs" | "unknown"
    path: str
    sections: int
    note: str = ""


class DocIndex:
    """Immutable after construction; safe to share between threads."""

    def __init__(
        self,
        sections: list[Section],
        sources: list[SourceInfo],
        search_index: SearchIndex | None = None,
        notes: dict[str, SymbolNote] | None = None,
        *,
        lazy_search: bool = False,
        on_search_built: Callable[[SearchIndex], None] | None = None,
    ) -> None:
        self.sections: list[Section] = sections
        self.notes: dict[str, SymbolNote] = notes or {}
        self.sources: list[SourceInfo] = sources
        self._search_lock = threading.Lock()
        self._on_search_built = on_search_built
        self._search: SearchIndex | None = search_index
        if search_index is None and not lazy_search:
            self._built(SearchIndex(sections))
        self._pos: dict[str, int] = {}
        self._by_url: dict[str, list[int]] = {}
        self._by_symbol: dict[str, list[int]] = {}
        self._by_page: dict[str, list[int]] = {}
        for i, s in enumerate(sections):
            self._pos.setdefault(s.id, i)
            self._by_url.setdefault(s.url, []).append(i)
            self._by_page.setdefault(s.page_url, []).append(i)
            for sym in s.symbols:
                self._by_symbol.setdefault(sym, []).append(i)

    def _built(self, search_index: SearchIndex) -> SearchIndex:
        self._search = search_index
        if self._on_search_built is not None:
            callback, self._on_search_built = self._on_search_built, None
            try:
                callback(search_index)
            except Exception:
                log.exception("docs: storing the search index failed")
        return search_index

    @property
    def search_index(self) -> SearchIndex:
        """The topic search index, built now if it is not yet (``lazy_search``: hovers and
        links do not need it, so the first ones do not wait for it; ``Project`` builds it
        right after, on its loading thread)."""
        found = self._search
        if found is not None:
            return found
        with self._search_lock:
            return self._search if self._search is not None else self._built(SearchIndex(self.sections))

    # ------------------------------------------------------------------ lookups

    def get(self, section_id: str) -> Section | None:
        i = self._pos.get(section_id)
        return self.sections[i] if i is not None else None

    def section_for_url(self, url: str) -> Section | None:
        """The section at exactly this page + anchor (trailing slash and http/https tolerant)."""
        if not isinstance(url, str) or not url.strip():
            return None
        members = self._by_url.get(normalize_url(url)) or self._by_url.get(url.strip())
        if not members:
            return None
        return self.sections[min(members, key=lambda i: _SOURCE_RANK.get(self.sections[i].source, 5))]

    def rich_section(self, section: Section) -> Section | None:
        """The skill/mkdocs section at the same URL with the most text (``None`` if none)."""
        best: Section | None = None
        for i in self._by_url.get(section.url, ()):
            s = self.sections[i]
            if s.source == "catalog":
                continue
            if best is None or len(s.text) > len(best.text):
                best = s
        return best

    def excerpt(self, section: Section, max_lines: int = 4, max_chars: int = 320) -> str:
        """A few clean prose lines of the section (from its rich copy for catalog entries)."""
        source = section if section.text else self.rich_section(section)
        if source is None:
            return ""
        text = excerpt_text(source.text, max_lines, max_chars)
        if text or source.level != 1:
            return text
        # a page that opens straight with a subheading: use its first sections' prose
        i = self._pos.get(source.id)
        if i is None:
            return ""
        for nxt in self.sections[i + 1 : i + 4]:
            if nxt.path != source.path or nxt.page_url != source.page_url:
                break
            text = excerpt_text(nxt.text, max_lines, max_chars)
            if text:
                return text
        return ""

    def summary_for(self, section: Section) -> str:
        """The catalog's one-sentence summary for the section's URL, if any."""
        if section.summary:
            return section.summary
        for i in self._by_url.get(section.url, ()):
            if self.sections[i].summary:
                return self.sections[i].summary
        return ""

    def canonical(self, section: Section) -> Section:
        """The catalog entry for the section's URL, if there is one, else the section."""
        for i in self._by_url.get(section.url, ()):
            if self.sections[i].source == "catalog":
                return self.sections[i]
        return section

    # ------------------------------------------------------------------ symbols

    def symbol_note(self, symbol: str) -> SymbolNote | None:
        """The catalog's own note on a public name without a docstring (summary + docs page)."""
        return self.notes.get(symbol) if isinstance(symbol, str) else None

    def sections_for_symbol(self, symbol: str, limit: int = 3) -> list[Section]:
        """Best sections explaining a public dotted path, most helpful first.

        Exact mentions first; for ``owner.param`` also the owner's sections that name the
        parameter (keywords, heading, symbols), then the owner's sections. Tutorial and
        advanced sections come before the reference entry, which takes the last slot.
        """
        if not isinstance(symbol, str) or limit <= 0 or "." not in symbol:
            return []
        symbol = symbol.strip()
        tiers: list[list[int]] = [list(self._by_symbol.get(symbol, ()))]
        owner, _, member = symbol.rpartition(".")
        if owner.count(".") >= 1 or (owner and owner in self._by_symbol):
            related = self._related_to(owner)
            if related:
                wanted = member.lower()
                tiers.append([i for i in related if self._names(i, wanted)])
                tiers.append(related)
            elif not tiers[0] and owner.count(".") >= 1:
                # e.g. fastapi.FastAPI.get.responses -> fastapi.FastAPI.get -> fastapi.FastAPI
                return self.sections_for_symbol(owner, limit)
        if not any(tiers):
            return []
        ordered: list[tuple[tuple[Any, ...], int]] = []
        seen: set[int] = set()
        density: dict[tuple[str, str], int] = {}  # (page, name) -> sections of the page naming it
        for name in (symbol, owner):
            for i in self._by_symbol.get(name, ()):
                k = (self.sections[i].page_url, name)
                density[k] = density.get(k, 0) + 1
        for tier, members in enumerate(tiers):
            named = symbol if tier == 0 else owner
            for i in members:
                if i in seen:
                    continue
                seen.add(i)
                s = self.sections[i]
                position = s.symbols.index(named) if named in s.symbols else len(s.symbols)
                low_value = _page_key(s.url).split("/", 1)[0] in LOW_VALUE_PAGES
                key = (
                    low_value,
                    tier,
                    _CATEGORY_RANK.get(s.category, 5),
                    0 if s.level == 1 else 1,
                    -density.get((s.page_url, named), 0),  # the page that keeps coming back to it
                    position,
                    s.page_url.count("/"),
                    i,
                )
                ordered.append((key, i))
        ordered.sort()
        explain = [i for _, i in ordered if self.sections[i].category != "reference"]
        reference = self._reference_entry([i for _, i in ordered if self.sections[i].category == "reference"], symbol, owner)
        picked: list[Section] = []
        urls: set[str] = set()
        pages: set[str] = set()
        room = limit - 1 if reference is not None and limit >= 2 else limit
        for distinct_pages in (True, False):
            for i in explain:
                if len(picked) >= room:
                    break
                s = self.sections[i]
                if s.url in urls or (distinct_pages and s.page_url in pages):
                    continue
                picked.append(self.canonical(s))
                urls.add(s.url)
                pages.add(s.page_url)
        if reference is not None and reference.url not in urls and len(picked) < limit:
            picked.append(self.canonical(reference))
        return picked[:limit]

    def _related_to(self, owner: str) -> list[int]:
        """Sections naming ``owner`` plus every section of pages that name it."""
        direct = self._by_symbol.get(owner, ())
        out = list(direct)
        seen = set(out)
        for i in direct:
            s = self.sections[i]
            if s.level != 1:
                continue
            for j in self._by_page.get(s.page_url, ()):
                if j not in seen:
                    seen.add(j)
                    out.append(j)
        return out

    def _names(self, i: int, member: str) -> bool:
        """Does section ``i`` name ``member`` (a parameter/attribute) in its heading, keywords or symbols?"""
        s = self.sections[i]
        if any(sym.rsplit(".", 1)[-1].lower() == member for sym in s.symbols):
            return True
        if member in words(s.title):
            return True
        return any(member == k.lower() or member in words(k) for k in s.keywords)

    def _reference_entry(self, members: list[int], symbol: str, owner: str) -> Section | None:
        if not members:
            return None
        anchors = (symbol, owner)

        def rank(i: int) -> tuple[int, int, int]:
            s = self.sections[i]
            anchor = s.url.split("#", 1)[1] if "#" in s.url else ""
            exact = anchors.index(anchor) if anchor in anchors else 2
            return (exact, _SOURCE_RANK.get(s.source, 5), i)

        return self.sections[min(members, key=rank)]

    # ------------------------------------------------------------------ search

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        if not isinstance(query, str):
            return []
        return self.search_index.search(self.sections, query, max(0, min(int(limit), _MAX_SEARCH_LIMIT)))


# ---------------------------------------------------------------------- the searchDocs command


def _parse_search_args(args: Any) -> tuple[str, int] | None:
    if isinstance(args, (list, tuple)):
        if len(args) != 1:
            return None
        args = args[0]
    limit = 20
    if isinstance(args, dict):
        query = args.get("query")
        raw_limit = args.get("limit", limit)
        if isinstance(raw_limit, int) and not isinstance(raw_limit, bool) and raw_limit > 0:
            limit = min(raw_limit, _MAX_SEARCH_LIMIT)
        elif raw_limit is not None:
            return None
    else:
        query = args
    if not isinstance(query, str) or not query.strip():
        return None
    return query, limit


def search_payload(index: DocIndex | None, args: Any) -> list[dict[str, Any]]:
    """``fastapi.searchDocs`` with ``[query]`` or ``[{"query": str, "limit": int}]``.

    Items: ``{title, breadcrumb, url, category, score, excerpt}`` plus ``uri`` and ``range``
    (0-based lines) when the section lives in a local file. ``excerpt`` falls back to the
    catalog's summary. Bad arguments give ``[]``; this never raises.
    """
    if index is None:
        return []
    parsed = _parse_search_args(args)
    if parsed is None:
        return []
    query, limit = parsed
    try:
        hits = index.search(query, limit)
    except Exception:  # a search bug must not break the command
        log.exception("searchDocs failed for %r", query)
        return []
    out: list[dict[str, Any]] = []
    for hit in hits:
        s = hit.section
        canonical = index.canonical(s)
        item: dict[str, Any] = {
            "title": canonical.title,
            "breadcrumb": canonical.breadcrumb_text,
            "url": s.url,
            "category": s.category,
            "score": hit.score,
            "excerpt": index.excerpt(s, 3) or index.summary_for(s),
        }
        if s.path and s.line_start is not None:
            try:
                item["uri"] = Path(s.path).as_uri()
            except ValueError:
                pass
            else:
                end = s.line_end if s.line_end is not None else s.line_start + 1
                item["range"] = {
                    "start": {"line": s.line_start, "character": 0},
                    "end": {"line": max(end, s.line_start), "character": 0},
                }
        out.append(item)
    return out


# ---------------------------------------------------------------------- building


def _dedupe_ids(sections: list[Section]) -> list[Section]:
    seen: dict[str, int] = {}
    out = []
    for s in sections:
        n = seen.get(s.id, 0)
        seen[s.id] = n + 1
        out.append(s if n == 0 else dataclasses.replace(s, id=f"{s.id}@{n + 1}"))
    return out


_MINOR_WORDS = frozenset({"a", "an", "and", "or", "the", "to", "of", "with", "for", "in", "vs", "on", "as"})
_TITLE_MATCH = 88


def _title_key(title: str) -> str:
    return " ".join(sorted({stem(w) for w in words(title) if w not in _MINOR_WORDS}))


def link_website_pages(sections: list[Section]) -> list[Section]:
    """Sections known only by a local file (``file://``, e.g. FastAPI's installed skill) get the
    website's URL when the site has that page: results and hovers then link the page people
    can share, while ``path``/``line_start`` still open the local copy.

    A local page matches a catalog page of the same title (word order and small words aside);
    a heading matches a catalog section of the same title when it is specific (3+ words) or on
    the matched page; other headings of a matched page link that page.
    """
    local = [i for i, s in enumerate(sections) if s.url.startswith("file:")]
    if not local:
        return sections
    from rapidfuzz import fuzz, process

    catalog = [s for s in sections if s.source == "catalog" and s.category != "reference"]
    pages = [s for s in catalog if s.level == 1]
    page_keys = [_title_key(s.title) for s in pages]
    heads = [s for s in catalog if s.level > 1]
    head_keys = [_title_key(s.title) for s in heads]

    def best(title: str, keys: list[str], pool: list[Section], within: str | None = None) -> Section | None:
        key = _title_key(title)
        if not key:
            return None
        if within is not None:
            members = [n for n, s in enumerate(pool) if s.page_url == within]
            found = process.extractOne(key, [keys[n] for n in members], scorer=fuzz.ratio, score_cutoff=_TITLE_MATCH)
            return pool[members[found[2]]] if found else None
        found = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=_TITLE_MATCH)
        return pool[found[2]] if found else None

    page_url_of: dict[str, str] = {}  # local page URL -> website page URL
    out = list(sections)
    for i in local:
        s = sections[i]
        if s.level == 1:
            match = best(s.title, page_keys, pages)
            if match is not None:
                page_url_of[s.page_url] = match.url
                out[i] = dataclasses.replace(s, url=match.url)
    for i in local:
        s = sections[i]
        if s.level == 1:
            continue
        site_page = page_url_of.get(s.page_url)
        if site_page is not None and site_page.rstrip("/") == SITE_ROOT.rstrip("/"):
            site_page = None  # an overview page (SKILL.md) is not the site's home page
        match = best(s.title, head_keys, heads, within=site_page) if site_page else None
        if match is None:
            match = best(s.title, page_keys, pages)  # a heading that is a whole page on the site
        if match is None and len(_title_key(s.title).split()) >= 3:
            match = best(s.title, head_keys, heads)
        if match is not None:
            out[i] = dataclasses.replace(s, url=match.url)
        elif site_page is not None:
            out[i] = dataclasses.replace(s, url=site_page)
    return out


def _load_catalog_cached(cache_dir: Path | None, fingerprint: str) -> list[Section]:
    key = make_key("catalog", fingerprint)
    rows = load(cache_dir, "catalog", key)
    if rows is not None:
        try:
            return unpack_sections(rows)
        except Exception as exc:  # noqa: BLE001 - logged
            log.warning("docs cache for the catalog is unusable (%s); re-reading", exc)
    sections = load_catalog()
    if sections:
        store(cache_dir, "catalog", key, pack_sections(sections))
    return sections


def build_index(
    *,
    catalog: bool = True,
    reference_paths: Sequence[str] = (),
    installed_skill: str | None = None,
    cache_dir: str | None = None,
    progress: Callable[[str, float], None] | None = None,
    lazy_search: bool = False,
) -> DocIndex:
    """Load every documentation source into a ``DocIndex``. Never raises for bad sources.

    ``cache_dir``: ``None`` uses the user cache folder (platformdirs), ``""`` disables caching.
    ``progress(message, fraction)`` is called a few times with fraction 0..1.
    ``lazy_search``: the topic search index is built when first needed (``DocIndex.search_index``),
    and the on-disk cache is written then.
    """
    t0 = time.perf_counter()

    def report(message: str, fraction: float) -> None:
        if progress is not None:
            try:
                progress(message, fraction)
            except Exception:
                log.exception("docs: progress callback failed")

    folder: Path | None
    if cache_dir is None:
        folder = default_cache_dir()
    else:
        folder = Path(cache_dir).expanduser() if cache_dir else None

    report("Checking FastAPI documentation sources", 0.0)
    catalog_fp = catalog_fingerprint() if catalog else ""
    notes = load_notes() if catalog else {}
    planned: list[tuple[str, str, str, str]] = []  # (kind, path, key, origin)
    refused: list[SourceInfo] = []
    entries = ([(installed_skill, "installed")] if installed_skill else []) + [(p, "referencePaths") for p in reference_paths]
    seen_paths: set[str] = set()
    for path, origin in entries:
        if not isinstance(path, str) or not path.strip():
            continue
        kind, real, note = inspect_path(path)
        if kind is None:
            refused.append(SourceInfo("unknown", real, 0, note))
            continue
        if real in seen_paths:
            continue
        seen_paths.add(real)
        planned.append((kind, real, source_key(kind, real, catalog_fp), origin))

    index_key = make_key("index", SEARCH_VERSION, catalog, catalog_fp, [(k, p, key) for k, p, key, _ in planned])
    cached = load(folder, "index", index_key)
    if cached is not None:
        try:
            sections = unpack_sections(cached["sections"])
            sources = [SourceInfo(*row) for row in cached["sources"]] + refused
            index = DocIndex(sections, sources, cached["search"], notes)
            report("FastAPI documentation ready", 1.0)
            log.info("docs: %d sections from cache in %.0f ms", len(sections), (time.perf_counter() - t0) * 1000)
            return index
        except Exception as exc:  # noqa: BLE001 - logged
            log.warning("docs: cached index is unusable (%s); rebuilding", exc)

    sections: list[Section] = []
    sources: list[SourceInfo] = []
    title_map = TitleMap()
    if catalog:
        report("Loading the FastAPI docs catalog", 0.05)
        cat = _load_catalog_cached(folder, catalog_fp)
        sections.extend(cat)
        title_map = TitleMap(cat)
        pages = sum(1 for s in cat if s.level == 1)
        sources.append(SourceInfo("catalog", "fastapi_docs_lsp.references", len(cat), f"{pages} pages"))
    for n, (kind, path, key, origin) in enumerate(planned):
        report(f"Reading {kind} docs: {path}", 0.1 + 0.7 * n / max(1, len(planned)))
        loaded = load_source(kind, path, title_map=title_map, catalog_fp=catalog_fp, cache_dir=folder, key=key)
        sections.extend(loaded.sections)
        note = loaded.note if origin != "installed" else ("installed FastAPI skill; " + loaded.note).rstrip("; ")
        sources.append(SourceInfo(loaded.kind, loaded.path, len(loaded.sections), note))
    if catalog:
        sections = link_website_pages(sections)
    sections = _dedupe_ids(sections)
    packed_sources = [dataclasses.astuple(s) for s in sources]
    sources.extend(refused)

    def remember(search_index: SearchIndex) -> None:
        store(folder, "index", index_key, {"sections": pack_sections(sections), "sources": packed_sources, "search": search_index})

    if not lazy_search:
        report("Indexing FastAPI documentation for search", 0.85)
    index = DocIndex(sections, sources, None, notes, lazy_search=lazy_search, on_search_built=remember)
    later = " (search index next)" if lazy_search else ""
    log.info("docs: %d sections from %d sources in %.0f ms%s", len(sections), len(sources), (time.perf_counter() - t0) * 1000, later)
    report("FastAPI documentation ready", 1.0)
    return index

