"""Building one page's ``Section`` objects: the ids, URLs and breadcrumbs every source shares.

The catalog, mkdocs and skill parsers all describe a page the same way: a level-1 section
``<source>:<page id>`` for the page, then one ``<source>:<page id>#<anchor>`` per heading, whose
breadcrumb runs from the category (or skill) name through the page title and the enclosing
headings. ``PageBuilder`` is that shape, written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import Section


@dataclass
class PageBuilder:
    source: str  # "catalog" | "skill" | "mkdocs"
    page_id: str
    category: str
    page_title: str
    page_url: str  # headings link to ``<page_url>#<anchor>``
    crumb0: str  # the first breadcrumb: a category title or a skill's name
    path: str | None = None  # the local file holding the page, if any
    _parents: list[tuple[int, str]] = field(default_factory=list)

    def page(self, *, url: str | None = None, **fields: Any) -> Section:
        """The level-1 section of the page (``url`` defaults to the page URL)."""
        return Section(
            id=f"{self.source}:{self.page_id}",
            source=self.source,
            category=self.category,
            page_title=self.page_title,
            title=self.page_title,
            url=url if url is not None else self.page_url,
            level=1,
            path=self.path,
            breadcrumb=(self.crumb0, self.page_title),
            **fields,
        )

    def heading(self, level: int, title: str, anchor: str, **fields: Any) -> Section:
        """A heading's section; headings must come in document order (the breadcrumb trail
        of enclosing headings is kept here). ``breadcrumb=`` overrides the trail."""
        breadcrumb = fields.pop("breadcrumb", None)
        if breadcrumb is None:
            while self._parents and self._parents[-1][0] >= level:
                self._parents.pop()
            breadcrumb = (self.crumb0, self.page_title, *(t for _, t in self._parents), title)
            self._parents.append((level, title))
        fields.setdefault("path", self.path)
        return Section(
            id=f"{self.source}:{self.page_id}#{anchor}",
            source=self.source,
            category=self.category,
            page_title=self.page_title,
            title=title,
            url=f"{self.page_url}#{anchor}",
            level=level,
            breadcrumb=tuple(breadcrumb),
            **fields,
        )
