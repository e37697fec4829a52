"""Documentation sources (catalog, skill folders, mkdocs trees) merged into one section index."""

from .index import DocIndex, SearchHit, SourceInfo, build_index, search_payload
from .model import CATEGORY_TITLES, Section
from .skill import installed_skill_path
from .sources import detect_source

__all__ = [
    "CATEGORY_TITLES",
    "DocIndex",
    "SearchHit",
    "Section",
    "SourceInfo",
    "build_index",
    "detect_source",
    "installed_skill_path",
    "search_payload",
]
