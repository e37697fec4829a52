"""Our catalog (``references/catalog/*.toml``) read into ``Section`` objects.

Each page gives one level-1 ``Section`` (id ``catalog:<page id>``) plus one per listed section
(id ``catalog:<page id>#<anchor>``). A malformed file or entry is logged and skipped; the rest
loads. ``TitleMap`` lets sources without URLs (scraped skills) find a page's URL and a
heading's anchor from titles.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Set as AbstractSet
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from . import tomlfast

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

from ..digest import hasher
from .model import CATEGORY_TITLES, Section
from .sections import PageBuilder
from .text import SITE_ROOT, norm_title, normalize_url, slugify, squash

log = logging.getLogger(__name__)

PAGE_REQUIRED = ("id", "title", "url", "category", "summary")
SECTION_REQUIRED = ("title", "anchor", "level", "summary")
MAX_SUMMARY = 200


def catalog_dir() -> Traversable:
    """The packaged catalog folder (``fastapi_docs_lsp.references/catalog``)."""
    return resources.files("fastapi_docs_lsp.references") / "catalog"


def catalog_files(directory: Traversable | Path | None = None) -> list[Traversable | Path]:
    folder = directory if directory is not None else catalog_dir()
    try:
        if not folder.is_dir():
            return []
        return sorted((f for f in folder.iterdir() if f.name.endswith(".toml") and f.is_file()), key=lambda f: f.name)
    except OSError as exc:
        log.warning("catalog: cannot list %s: %s", folder, exc)
        return []


def catalog_fingerprint(directory: Traversable | Path | None = None) -> str:
    """Changes whenever a catalog file changes (mtime/size when on disk, content otherwise)."""
    h = hasher()
    for f in catalog_files(directory):
        h.update(f.name.encode())
        if isinstance(f, Path):
            try:
                st = f.stat()
                h.update(f"{st.st_mtime_ns}:{st.st_size}".encode())
                continue
            except OSError:
                pass
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(b"?")
    return h.hexdigest()[:20]


def _str_list(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    return None


def page_problems(page: Any) -> list[str]:
    """Rule violations of one ``[[pages]]`` entry (see references/README.md). Empty = valid."""
    if not isinstance(page, dict):
        return ["page entry is not a table"]
    problems: list[str] = []
    label = page.get("id", "?")
    for key in PAGE_REQUIRED:
        if not isinstance(page.get(key), str) or not page[key].strip():
            problems.append(f"page {label!r}: missing or empty {key!r}")
    url = page.get("url")
    if isinstance(url, str):
        if not url.startswith(SITE_ROOT) or not url.endswith("/"):
            problems.append(f"page {label!r}: url {url!r} must start with {SITE_ROOT} and end with '/'")
        elif isinstance(page.get("id"), str):
            expected = url[len(SITE_ROOT) :].strip("/")
            if page["id"].strip("/") != expected and not (expected == "" and page["id"] in ("index", "")):
                problems.append(f"page {label!r}: id does not match url path {expected!r}")
    if isinstance(page.get("category"), str) and page["category"] not in CATEGORY_TITLES:
        problems.append(f"page {label!r}: unknown category {page['category']!r}")
    problems.extend(_text_problems(f"page {label!r}", page))
    sections = page.get("sections", [])
    if not isinstance(sections, list):
        return problems + [f"page {label!r}: 'sections' must be an array of tables"]
    anchors: set[str] = set()
    for n, sec in enumerate(sections):
        problems.extend(section_problems(sec, f"page {label!r} section {n}"))
        if isinstance(sec, dict) and isinstance(sec.get("anchor"), str):
            if sec["anchor"] in anchors:
                problems.append(f"page {label!r}: duplicate anchor {sec['anchor']!r}")
            anchors.add(sec["anchor"])
    return problems


def section_problems(sec: Any, label: str) -> list[str]:
    if not isinstance(sec, dict):
        return [f"{label}: not a table"]
    problems: list[str] = []
    for key in SECTION_REQUIRED:
        value = sec.get(key)
        if key == "level":
            if not isinstance(value, int) or isinstance(value, bool) or not 2 <= value <= 6:
                problems.append(f"{label}: 'level' must be an integer 2..6")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"{label}: missing or empty {key!r}")
    anchor = sec.get("anchor")
    if isinstance(anchor, str) and (anchor != anchor.strip() or "#" in anchor or " " in anchor):
        problems.append(f"{label}: anchor {anchor!r} must be a bare URL fragment")
    problems.extend(_text_problems(label, sec))
    return problems


def _text_problems(label: str, entry: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("keywords", "symbols"):
        if _str_list(entry.get(key)) is None:
            problems.append(f"{label}: {key!r} must be an array of strings")
    summary = entry.get("summary")
    if isinstance(summary, str):
        if len(summary) > MAX_SUMMARY + 40:
            problems.append(f"{label}: summary is {len(summary)} characters (about {MAX_SUMMARY} max)")
        if "](" in summary:
            problems.append(f"{label}: summary contains a Markdown link")
    return problems


def _page_sections(page: dict[str, Any], origin: str) -> list[Section]:
    """Sections of one page entry; invalid sub-entries are dropped with a warning."""
    page_id = page["id"].strip("/")
    category = page["category"] if page["category"] in CATEGORY_TITLES else "general"
    cat_title = CATEGORY_TITLES[category]
    page_title = page["title"].strip()
    url = normalize_url(page["url"])
    builder = PageBuilder("catalog", page_id, category, page_title, url, cat_title)
    top = builder.page(
        summary=page["summary"].strip(),
        keywords=_str_list(page.get("keywords")) or (),
        symbols=_str_list(page.get("symbols")) or (),
    )
    out = [top]
    raw_sections = page.get("sections", [])
    if not isinstance(raw_sections, list):
        log.warning("catalog %s: page %r: 'sections' is not an array; ignored", origin, page_id)
        return out
    seen: set[str] = set()
    for n, sec in enumerate(raw_sections):
        problems = section_problems(sec, f"page {page_id!r} section {n}")
        hard = [p for p in problems if "summary is" not in p and "Markdown link" not in p]
        if hard:
            log.warning("catalog %s: %s; section skipped", origin, "; ".join(hard))
            continue
        anchor = sec["anchor"].strip()
        if anchor in seen:
            log.warning("catalog %s: page %r: duplicate anchor %r skipped", origin, page_id, anchor)
            continue
        seen.add(anchor)
        out.append(
            builder.heading(
                sec["level"],
                sec["title"].strip(),
                anchor,
                summary=sec["summary"].strip(),
                keywords=_str_list(sec.get("keywords")) or (),
                symbols=_str_list(sec.get("symbols")) or (),
            )
        )
    return out


def parse_catalog_text(text: str, origin: str = "<catalog>") -> list[Section]:
    """Sections of one catalog file's text. Never raises: problems are logged."""
    try:
        data = tomlfast.loads(text)
    except (tomlfast.TOMLDecodeError, ValueError, RecursionError) as exc:
        log.warning("catalog %s: not valid TOML (%s); file skipped", origin, exc)
        return []
    pages = data.get("pages", [])
    if not isinstance(pages, list):
        log.warning("catalog %s: 'pages' is not an array of tables; file skipped", origin)
        return []
    out: list[Section] = []
    for n, page in enumerate(pages):
        if not isinstance(page, dict):
            log.warning("catalog %s: pages[%d] is not a table; skipped", origin, n)
            continue
        missing = [k for k in PAGE_REQUIRED if not isinstance(page.get(k), str) or not page[k].strip()]
        if missing:
            log.warning("catalog %s: pages[%d] (%r) lacks %s; skipped", origin, n, page.get("id"), ", ".join(missing))
            continue
        out.extend(_page_sections(page, origin))
    return out


def load_catalog(directory: Traversable | Path | None = None) -> list[Section]:
    """All catalog sections, in file order. Duplicate page ids keep the first and warn."""
    out: list[Section] = []
    seen_ids: set[str] = set()
    for f in catalog_files(directory):
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("catalog %s: unreadable (%s); skipped", f.name, exc)
            continue
        for sec in parse_catalog_text(text, f.name):
            if sec.id in seen_ids:
                if sec.level == 1:
                    log.warning("catalog %s: page id %r already defined; duplicate ignored", f.name, sec.id)
                continue
            seen_ids.add(sec.id)
            out.append(sec)
    return out


# --------------------------------------------------------------------------- title lookups


@dataclass(frozen=True, slots=True)
class PageRef:
    url: str  # normalised page URL
    title: str
    category: str


class TitleMap:
    """Maps page titles to URLs and (page URL, heading title) to anchors.

    Built from catalog sections, optionally extended with ``(title, url, category)`` triples
    (e.g. a scraped skill's ``pages.json``). Titles compare by ``norm_title`` and, as a fallback,
    without spaces (scrapers drop the space around inline code).
    """

    def __init__(self, sections: Iterable[Section] = ()) -> None:
        self._pages: dict[str, list[PageRef]] = {}
        self._anchors: dict[tuple[str, str], list[str]] = {}
        self._fuzzy_anchors: dict[tuple[str, str], list[str]] = {}
        self._page_anchors: dict[str, set[str]] = {}
        self._known_urls: set[str] = set()
        for s in sections:
            if s.level == 1:
                self.add_page(s.page_title, s.url, s.category)
            elif "#" in s.url:
                page_url, anchor = s.url.split("#", 1)
                self._anchors.setdefault((page_url, norm_title(s.title)), []).append(anchor)
                self._fuzzy_anchors.setdefault((page_url, squash(s.title)), []).append(anchor)
                self._page_anchors.setdefault(page_url, set()).add(anchor)

    def add_page(self, title: str, url: str, category: str) -> None:
        url = normalize_url(url)
        if url in self._known_urls:
            return
        self._known_urls.add(url)
        ref = PageRef(url, title, category)
        for key in {norm_title(title), squash(title)}:
            self._pages.setdefault(key, []).append(ref)

    def copy(self) -> TitleMap:
        other = TitleMap()
        other._pages = {k: list(v) for k, v in self._pages.items()}
        other._anchors = self._anchors  # anchors are never added after construction
        other._fuzzy_anchors = self._fuzzy_anchors
        other._page_anchors = self._page_anchors
        other._known_urls = set(self._known_urls)
        return other

    def __len__(self) -> int:
        return len(self._known_urls)

    def page(self, title: str, category_hint: str | None = None) -> PageRef | None:
        refs = self._pages.get(norm_title(title)) or self._pages.get(squash(title))
        if not refs:
            return None
        if category_hint:
            for ref in refs:
                if ref.category == category_hint:
                    return ref
        return refs[0]

    def anchor(self, page_url: str, heading: str, used: AbstractSet[str] = frozenset()) -> str | None:
        """The catalog anchor of ``heading`` on ``page_url`` not in ``used``.

        Tries, in order: the same title; the heading's slug if the catalog has it; the same
        title ignoring spaces (scraped headings lose the spaces around inline code).
        """
        for anchor in self._anchors.get((page_url, norm_title(heading)), ()):
            if anchor not in used:
                return anchor
        slug = slugify(heading)
        if slug and slug in self._page_anchors.get(page_url, ()) and slug not in used:
            return slug
        for anchor in self._fuzzy_anchors.get((page_url, squash(heading)), ()):
            if anchor not in used:
                return anchor
        return None
