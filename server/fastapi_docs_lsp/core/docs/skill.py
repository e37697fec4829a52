"""Skill folders (``SKILL.md`` + ``references/*.md``) read into ``Section`` objects.

Two layouts are recognised per file, automatically:

* **scraped** (a crawl of fastapi.tiangolo.com): real headings end in ``¶``; a file holds several
  pages separated by ``---``, each page repeating its ``# Title¶`` around a ``> tagline``; the
  first line may read ``# Title¶ and more``. Headings without ``¶`` come from docstrings and
  stay part of the text. Pages carry no URL: page titles and heading titles are mapped to the
  site's URLs and anchors through the catalog (and a ``pages.json`` next to ``SKILL.md``).
* **hand-written** (FastAPI's own skill shipped in the package): one page per file, plain
  headings; sections link to the local file.

Sectioning uses markdown-it-py block tokens (``markdown.top_level_blocks``).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from ..background import pause_point
from .catalog import TitleMap
from .folders import read_text, safe_resolve, walk_files
from .markdown import Block, normalize_source, parse_front_matter, top_level_blocks
from .model import CATEGORY_TITLES, Section
from .sections import PageBuilder
from .text import (
    AnchorSet,
    clean_heading,
    is_dotted_symbol,
    norm_title,
    normalize_url,
    slugify,
    unique_anchor,
)

log = logging.getLogger(__name__)

PARSER_VERSION = 3
PILCROW = "\u00b6"
_AND_MORE_RE = re.compile(r"\u00b6\s*and more\s*$")
_CATEGORY_FILE_RE = re.compile(r"^([a-z][a-z-]*?)-\d+$")


def find_skill_file(folder: Path) -> Path | None:
    """``SKILL.md`` (any case) directly inside ``folder``."""
    try:
        for entry in folder.iterdir():
            if entry.name.lower() == "skill.md" and entry.is_file():
                return entry
    except OSError:
        return None
    return None


def installed_skill_path(fastapi_package_dir: str | None = None) -> str | None:
    """The skill FastAPI ships in its package (``fastapi/.agents/skills/fastapi``), if present.

    ``fastapi_package_dir`` is the ``fastapi`` package folder of the workspace's interpreter;
    without it, the one importable here is used.
    """
    if fastapi_package_dir is None:
        try:
            spec = find_spec("fastapi")
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        fastapi_package_dir = list(spec.submodule_search_locations)[0]
    candidate = Path(fastapi_package_dir) / ".agents" / "skills" / "fastapi"
    return str(candidate) if find_skill_file(candidate) else None


@dataclass
class _Context:
    root: Path
    title_map: TitleMap
    skill_name: str


@dataclass
class _Heading:
    line: int
    end: int  # line after the heading
    level: int
    title: str
    content_start: int  # where this heading's own text starts


@dataclass
class _Page:
    title: str
    line: int
    content_start: int
    headings: list[_Heading] = field(default_factory=list)


def is_scraped(text: str) -> bool:
    """True for the scraped layout: the first heading line ends in ``¶`` (maybe ``¶ and more``)."""
    for line in text.split("\n", 40)[:40]:
        if line.startswith("#"):
            stripped = line.rstrip()
            return stripped.endswith(PILCROW) or bool(_AND_MORE_RE.search(stripped))
    return PILCROW in text[:4000]


def _blank_front_matter(text: str) -> tuple[str, dict[str, str]]:
    meta, n = parse_front_matter(text)
    if not n:
        return text, {}
    lines = text.split("\n")
    lines[:n] = [""] * n
    return "\n".join(lines), meta


def _scraped_pages(blocks: list[Block]) -> list[_Page]:
    pages: list[_Page] = []
    current: _Page | None = None
    for b in blocks:
        if b.kind != "heading":
            continue
        raw = b.content.rstrip()
        if not (raw.endswith(PILCROW) or _AND_MORE_RE.search(raw)):
            continue  # a docstring heading: part of the text
        title = clean_heading(_AND_MORE_RE.sub("", raw))
        if not title:
            continue
        if b.level == 1:
            if current is not None and not current.headings and norm_title(title) == norm_title(current.title):
                # the page repeats its title around the tagline (and around embedded front matter)
                current.content_start = b.end
                continue
            current = _Page(title, b.line, b.end)
            pages.append(current)
            continue
        if current is None:
            current = _Page(title, b.line, b.line)
            pages.append(current)
        current.headings.append(_Heading(b.line, b.end, b.level, title, b.end))
    return pages


def _handwritten_page(blocks: list[Block], fallback_title: str) -> _Page:
    page: _Page | None = None
    for b in blocks:
        if b.kind != "heading":
            continue
        title = clean_heading(b.content)
        if not title:
            continue
        if page is None and b.level == 1:
            page = _Page(title, b.line, b.end)
            continue
        if page is None:
            page = _Page(fallback_title, 0, 0)
        page.headings.append(_Heading(b.line, b.end, max(2, b.level), title, b.end))
    return page or _Page(fallback_title, 0, 0)


def _trimmed(lines: list[str], start: int, end: int) -> tuple[str, int]:
    """Text of ``lines[start:end]`` without surrounding blank lines or a trailing ``---``."""
    while end > start and (not lines[end - 1].strip() or lines[end - 1].strip() == "---"):
        end -= 1
    while start < end and not lines[start].strip():
        start += 1
    return "\n".join(lines[start:end]), end


def _sections_of_file(path: Path, text: str, ctx: _Context) -> list[Section]:
    text, _meta = _blank_front_matter(normalize_source(text))
    lines = text.split("\n")
    blocks = top_level_blocks(text)
    scraped = is_scraped(text)
    stem = path.stem
    m = _CATEGORY_FILE_RE.match(stem)
    category_hint = m.group(1) if m and m.group(1) in CATEGORY_TITLES else None
    if scraped:
        pages = _scraped_pages(blocks)
    else:
        pages = [_handwritten_page(blocks, stem.replace("-", " ").replace("_", " ").title())]
    file_anchors: set[str] = AnchorSet()  # fragments of local (file://) URLs, unique per file
    out: list[Section] = []
    for n, page in enumerate(pages):
        page_end = pages[n + 1].line if n + 1 < len(pages) else len(lines)
        out.extend(_page_sections(path, lines, page, page_end, scraped, category_hint, file_anchors, ctx))
    return out


def _page_sections(
    path: Path,
    lines: list[str],
    page: _Page,
    page_end: int,
    scraped: bool,
    category_hint: str | None,
    file_anchors: set[str],
    ctx: _Context,
) -> list[Section]:
    ref = ctx.title_map.page(page.title, category_hint) if scraped else None
    file_uri = path.as_uri()
    if ref is not None:
        page_url, category = ref.url, ref.category
        page_id = page_url.split("://", 1)[-1].split("/", 1)[-1].strip("/") or "index"
        crumb0 = CATEGORY_TITLES.get(category, category)
        top_url = page_url
    else:
        category = category_hint or "general"
        rel = path.relative_to(ctx.root).as_posix() if path.is_relative_to(ctx.root) else path.name
        page_slug = unique_anchor(slugify(page.title) or "page", file_anchors)
        page_id = f"{rel}/{page_slug}" if scraped else rel
        crumb0 = ctx.skill_name if not scraped or category_hint is None else CATEGORY_TITLES[category]
        page_url = file_uri
        top_url = f"{file_uri}#{page_slug}" if scraped else file_uri
    source_path = str(path)
    first_heading = page.headings[0].line if page.headings else page_end
    body, _ = _trimmed(lines, page.content_start, first_heading)
    page_symbols = tuple(h.title for h in page.headings if is_dotted_symbol(h.title))
    builder = PageBuilder("skill", page_id, category, page.title, page_url, crumb0, source_path)
    out = [
        builder.page(
            url=top_url,
            symbols=page_symbols,
            text=body,
            line_start=page.line,
            line_end=max(first_heading, page.line + 1),
        )
    ]
    used = file_anchors if ref is None else AnchorSet()
    for i, h in enumerate(page.headings):
        end = page.headings[i + 1].line if i + 1 < len(page.headings) else page_end
        body, end = _trimmed(lines, h.content_start, end)
        anchor = None
        if ref is not None:
            anchor = ctx.title_map.anchor(page_url, h.title, used)
        if anchor is None:
            anchor = h.title if is_dotted_symbol(h.title) else (slugify(h.title) or "section")
        anchor = unique_anchor(anchor, used)
        out.append(
            builder.heading(
                h.level,
                h.title,
                anchor,
                symbols=(h.title,) if is_dotted_symbol(h.title) else (),
                text=body,
                line_start=h.line,
                line_end=max(end, h.end),
            )
        )
    return out


def _pages_json(root: Path, title_map: TitleMap) -> TitleMap:
    """``title_map`` extended with a scraped skill's ``pages.json`` (title/url/category list)."""
    pj = root / "pages.json"
    if not pj.exists():
        return title_map
    raw = read_text(pj, root, max_bytes=2_000_000)
    if raw is None:
        return title_map
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
        log.warning("skill %s: pages.json is not valid JSON (%s); ignored", root, exc)
        return title_map
    if not isinstance(data, list):
        log.warning("skill %s: pages.json is not a list; ignored", root)
        return title_map
    extended = title_map.copy()
    for item in data:
        if not isinstance(item, dict):
            continue
        url, title = item.get("url"), item.get("title")
        cat = item.get("cat") or item.get("category") or "general"
        if isinstance(url, str) and isinstance(title, str) and url.startswith("https://"):
            extended.add_page(title, normalize_url(url), cat if cat in CATEGORY_TITLES else "general")
    return extended


def skill_files(root: Path) -> list[Path]:
    """``SKILL.md`` and every Markdown file under ``references/`` (resolved ``root``)."""
    files: list[Path] = []
    skill = find_skill_file(root)
    if skill is not None:
        files.append(skill)
    refs = root / "references"
    if refs.is_dir():
        files.extend(walk_files_under(root, refs))
    return files


def walk_files_under(root: Path, folder: Path) -> list[Path]:
    real = safe_resolve(folder)
    if real is None or not real.is_relative_to(root):
        log.warning("skill %s: %s is a broken link or points outside the folder; skipped", root, folder)
        return []
    return walk_files(real)


def parse_skill_folder(folder: str | Path, title_map: TitleMap | None = None) -> list[Section]:
    """All sections of a skill folder. Unreadable files are logged and skipped."""
    root = safe_resolve(Path(folder).expanduser())
    if root is None or not root.is_dir():
        log.warning("skill %s: not a readable folder", folder)
        return []
    title_map = _pages_json(root, title_map or TitleMap())
    files = skill_files(root)
    if not files:
        log.warning("skill %s: no SKILL.md or references/*.md found", root)
        return []
    texts: dict[Path, str] = {}
    for f in files:
        text = read_text(f, root)
        if text is not None:
            texts[f] = text
    skill_md = find_skill_file(root)
    meta: dict[str, str] = {}
    if skill_md in texts:
        meta, _ = parse_front_matter(normalize_source(texts[skill_md]))
    refs = [f for f in texts if f != skill_md]
    scraped_refs = sum(1 for f in refs if is_scraped(texts[f]))
    scraped_skill = bool(refs) and scraped_refs * 2 >= len(refs)
    name = (meta.get("name") or root.name).strip() or "skill"
    ctx = _Context(root=root, title_map=title_map, skill_name=f"{name} skill")
    out: list[Section] = []
    for f, text in texts.items():
        if f == skill_md and scraped_skill:
            continue  # a scraped skill's SKILL.md is only an index of its reference files
        pause_point()  # loading runs in the background: let requests through between files
        try:
            out.extend(_sections_of_file(f, text, ctx))
        except Exception:  # a parser bug must not take the whole source down
            log.exception("skill %s: could not parse %s; skipped", root, f)
    return out
