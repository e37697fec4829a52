"""Go-to-reference: pick the doc section for a symbol and say where to open it (browser or file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .analysis import Occurrence
from .docs.model import Section
from .render import Link, _section_title


def symbol_occurrence(symbol: str, param: str | None = None) -> Occurrence:
    """An occurrence for a symbol named directly (``{"symbol": "fastapi.Depends"}``)."""
    kind = "status" if ".HTTP_" in symbol or ".WS_" in symbol else "name"
    if param:
        return Occurrence(0, 0, 0, symbol, "keyword", param=param)
    return Occurrence(0, 0, 0, symbol, kind)


def local_section(docs: Any, section: Section | None) -> Section | None:
    """The same section in a local source (skill/mkdocs), if one is loaded."""
    if section is None:
        return None
    if section.path:
        return section
    if docs is None:
        return None
    rich = docs.rich_section(section)
    return rich if rich is not None and rich.path else None


def reference_payload(link: Link | None, docs: Any, open_in: str) -> dict[str, Any] | None:
    """``{url, title, uri?, range?, external}``: what fastapi.openReference returns and shows."""
    if link is None:
        return None
    payload: dict[str, Any] = {"url": link.url, "title": link.title, "external": True}
    local = local_section(docs, link.section)
    if local is not None and local.path:
        start = local.line_start or 0
        end = local.line_end if local.line_end is not None else start
        payload["uri"] = Path(local.path).resolve().as_uri()
        payload["range"] = {
            "start": {"line": start, "character": 0},
            "end": {"line": max(start, end), "character": 0},
        }
        if open_in == "editor":
            payload["external"] = False
    return payload


def section_link(section: Section) -> Link:
    return Link(_section_title(section), section.url, section)
