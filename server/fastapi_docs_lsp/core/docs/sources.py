"""Which kind of documentation folder a path is, and loading it (through the cache).

``detect_source`` recognises skill folders and mkdocs trees; ``load_reference_path`` turns a
``referencePaths`` entry into sections, never raising: a missing folder, a folder that is not
documentation, or an empty one gives no sections, a note and a warning in the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .cache import entry_name, load, make_key, pack_sections, store, unpack_sections
from .mkdocs import PARSER_VERSION as MKDOCS_PARSER_VERSION, DocsTree, parse_mkdocs_tree, resolve_tree, tree_files
from .skill import PARSER_VERSION as SKILL_PARSER_VERSION, find_skill_file, is_scraped, parse_skill_folder, skill_files
from .catalog import TitleMap
from .folders import file_stats, read_text, safe_resolve, walk_files
from .model import Section

log = logging.getLogger(__name__)

_MKDOCS_MARKERS = ("{ #", "\n/// ", "\n::: ", "{* ", "\n//// ")
_SAMPLE_BYTES = 1_000_000


@dataclass
class LoadedSource:
    kind: str  # "skill" | "mkdocs" | "unknown"
    path: str
    sections: list[Section] = field(default_factory=list)
    note: str = ""
    key: str = ""  # cache key ("" when not cacheable)


def _root_of(path: str | Path) -> Path | None:
    p = safe_resolve(Path(path).expanduser())
    if p is None:
        return None
    if p.is_file() and p.name.lower() in ("skill.md", "mkdocs.yml", "mkdocs.yaml"):
        return p.parent
    return p if p.is_dir() else None


def detect_source(path: str | Path) -> str | None:
    """``"skill"``, ``"mkdocs"`` or ``None`` (missing, unreadable or not documentation)."""
    root = _root_of(path)
    if root is None:
        return None
    if find_skill_file(root) is not None:
        return "skill"
    refs = root / "references"
    if refs.is_dir():
        md = walk_files(safe_resolve(refs) or refs)
        if md and any(is_scraped(read_text(f, root, max_bytes=_SAMPLE_BYTES, quiet=True) or "") for f in md[:5]):
            return "skill"
    tree = resolve_tree(root)
    if tree is None:
        return None
    if tree.config_dir is not None and tree.docs_root != root:
        return "mkdocs"
    if (tree.docs_root / "index.md").is_file() or (root / "mkdocs.yml").is_file():
        return "mkdocs"
    for f in walk_files(tree.docs_root)[:30]:
        sample = read_text(f, tree.docs_root, max_bytes=_SAMPLE_BYTES, quiet=True)
        if sample and any(m in sample for m in _MKDOCS_MARKERS):
            return "mkdocs"
    return None


def _skill_key(root: Path, catalog_fp: str) -> str:
    files = skill_files(root)
    extra = [root / "pages.json"] if (root / "pages.json").is_file() else []
    return make_key("skill", str(root), SKILL_PARSER_VERSION, catalog_fp, file_stats(root, files + extra))


def _mkdocs_key(tree: DocsTree) -> str:
    files = tree_files(tree)
    extra = []
    if tree.config_dir is not None:
        extra = [tree.config_dir / n for n in ("mkdocs.yml", "mkdocs.yaml") if (tree.config_dir / n).is_file()]
    return make_key(
        "mkdocs", str(tree.docs_root), str(tree.allowed_root), tree.site, MKDOCS_PARSER_VERSION,
        file_stats(tree.docs_root, files), file_stats(tree.allowed_root, extra),
    )


def source_key(kind: str, path: str | Path, catalog_fp: str) -> str:
    """Cache key of a source as it is on disk now ("" if it cannot be read). Never raises."""
    try:
        return _source_key(kind, path, catalog_fp)
    except Exception:  # one broken source never takes the others down
        log.exception("docs: cannot fingerprint %s (%s); it will not be cached", path, kind)
        return ""


def _source_key(kind: str, path: str | Path, catalog_fp: str) -> str:
    root = _root_of(path)
    if root is None:
        return ""
    if kind == "skill":
        return _skill_key(root, catalog_fp)
    tree = resolve_tree(root)
    return _mkdocs_key(tree) if tree is not None else ""


def load_source(
    kind: str,
    path: str | Path,
    *,
    title_map: TitleMap,
    catalog_fp: str,
    cache_dir: str | Path | None,
    key: str | None = None,
) -> LoadedSource:
    """Sections of a skill folder or mkdocs tree, from the cache when it is current.

    Never raises: a source that cannot be read or parsed (a bug, a RecursionError, a
    MemoryError on a hostile folder) gives no sections and a note, and is logged; the other
    sources load as usual."""
    try:
        return _load_source(kind, path, title_map=title_map, catalog_fp=catalog_fp, cache_dir=cache_dir, key=key)
    except Exception:
        log.exception("docs: reading %s (%s) failed; this source is skipped", path, kind)
        return LoadedSource(kind, str(path), note="could not be read (see the log)")


def _load_source(
    kind: str,
    path: str | Path,
    *,
    title_map: TitleMap,
    catalog_fp: str,
    cache_dir: str | Path | None,
    key: str | None = None,
) -> LoadedSource:
    root = _root_of(path)
    if root is None:
        return LoadedSource(kind, str(path), note="missing or unreadable folder")
    key = key if key is not None else source_key(kind, root, catalog_fp)
    name = entry_name(kind, str(root))
    rows = load(cache_dir, name, key) if key else None
    if rows is not None:
        try:
            return LoadedSource(kind, str(root), unpack_sections(rows), "from cache", key)
        except Exception as exc:  # a stale shape that slipped through the key
            log.warning("docs cache for %s is unusable (%s); re-parsing", root, exc, exc_info=True)
    if kind == "skill":
        sections = parse_skill_folder(root, title_map)
    else:
        sections = parse_mkdocs_tree(root)
    if key and sections:
        store(cache_dir, name, key, pack_sections(sections))
    note = "" if sections else "no documentation sections found"
    if not sections:
        log.warning("docs: %s (%s) gave no sections", root, kind)
    return LoadedSource(kind, str(root), sections, note, key)


def inspect_path(path: str) -> tuple[str | None, str, str]:
    """``(kind, resolved path, note)`` for a configured folder; ``kind`` is ``None`` (with the
    reason in ``note``, also logged as a warning) when it cannot be used. Never raises."""
    try:
        return _inspect_path(path)
    except Exception:
        log.exception("docs: cannot inspect %r; ignored", path)
        return None, str(path), "could not be read (see the log)"


def _inspect_path(path: str) -> tuple[str | None, str, str]:
    try:
        expanded = Path(path).expanduser()
        exists = expanded.exists()
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        log.warning("docs: %r is not a usable path (%s)", path, exc)
        return None, str(path), "not a usable path"
    if not exists:
        log.warning("docs: %s does not exist", path)
        return None, str(path), "folder not found"
    kind = detect_source(expanded)
    root = _root_of(expanded)
    if kind is None or root is None:
        log.warning("docs: %s is neither a skill folder (SKILL.md) nor an mkdocs docs tree; ignored", path)
        return None, str(path), "not a skill folder or mkdocs docs tree"
    return kind, str(root), ""
