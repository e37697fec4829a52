"""The shared shapes of the documentation index: one ``Section`` per heading of any source.

Pure data: no I/O, no pygls. Every source (our catalog, skill folders, mkdocs trees,
the installed package's API docs) produces ``Section`` objects; the index merges them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Display names of the catalog categories, in the order the docs site lists them.
CATEGORY_TITLES: dict[str, str] = {
    "tutorial": "Tutorial",
    "advanced": "Advanced User Guide",
    "how-to": "How To - Recipes",
    "deployment": "Deployment",
    "reference": "Reference",
    "general": "General",
}


@dataclass(frozen=True, slots=True)
class Section:
    """One heading-delimited piece of documentation.

    ``id`` is stable across runs: ``"<source>:<page id>#<anchor>"``.
    ``line_start``/``line_end`` are 0-based, end-exclusive lines of ``path`` (local sources only).
    ``symbols`` are public dotted paths (``fastapi.Query``, ``fastapi.FastAPI.get``).
    """

    id: str
    source: str  # "catalog" | "skill" | "mkdocs" | "api"
    category: str  # a key of CATEGORY_TITLES
    page_title: str
    title: str
    url: str  # https://fastapi.tiangolo.com/...#anchor (anchor omitted for a page's top)
    level: int = 1  # 1 for the page itself, 2.. for its headings
    summary: str = ""
    keywords: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    text: str = ""  # body text in Markdown (empty for catalog entries)
    path: str | None = None  # local file holding the section, if any
    line_start: int | None = None
    line_end: int | None = None
    breadcrumb: tuple[str, ...] = field(default=())

    @property
    def breadcrumb_text(self) -> str:
        return " › ".join(self.breadcrumb)

    @property
    def page_url(self) -> str:
        return self.url.split("#", 1)[0]
