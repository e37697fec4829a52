"""mkdocs documentation trees (FastAPI's ``docs/en/docs`` layout) read into ``Section`` objects.

Handled mkdocs/Material/FastAPI extensions:

* ``## Title { #anchor }`` heading ids (otherwise Python-Markdown's slug);
* ``/// note | Title`` ... ``///`` admonitions (``////`` nests) become blockquotes, ``/// tab | X``
  becomes a bold label;
* ``{* ../../docs_src/x.py hl[3] ln[1:9] *}`` and ``{!> path !}`` includes are inlined when the
  target exists inside the repository that holds the docs, otherwise replaced by a short note;
* ``::: fastapi.X`` mkdocstrings blocks add ``fastapi.X`` to the enclosing section's symbols and
  give sections for the object and for each ``options: members:`` entry (``fastapi.X.member``).

A page's URL comes from its path: ``tutorial/body.md`` -> ``<site>/tutorial/body/``,
``x/index.md`` -> ``<site>/x/``. Line numbers are preserved by every rewrite, so sections'
``line_start``/``line_end`` point into the real file.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..background import pause_point
from .folders import is_within, read_text, safe_resolve, walk_files
from .markdown import normalize_source, parse_front_matter, top_level_blocks
from .model import CATEGORY_TITLES, Section
from .sections import PageBuilder
from .text import SITE_ROOT, AnchorSet, clean_heading, is_dotted_symbol, site_url, slugify, strip_heading_attrs, unique_anchor

log = logging.getLogger(__name__)

PARSER_VERSION = 3
MAX_INCLUDE_BYTES = 512 * 1024
_REPO_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
_REPO_SEARCH_LEVELS = 3
_MAX_QUOTE_DEPTH = 16

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# Only the head of an admonition line is matched by a regex; the rest is split by hand (a
# ``\s*(?:\|\s*(.*?))?\s*$`` tail backtracks quadratically on a long line of spaces).
_ADMONITION_HEAD_RE = re.compile(r"(/{3,})\s*([A-Za-z][\w-]*)")
_ADMONITION_CLOSE_RE = re.compile(r"^(/{3,})\s*$")
_DIRECTIVE_RE = re.compile(r"^:::\s+([A-Za-z_][\w.]*)\s*$")
_BANG_INCLUDE_RE = re.compile(r"^\s*\{!>?\s*(\S+?)\s*!\}\s*$")
_LN_RE = re.compile(r"\bln\[([0-9:,\s]+)\]")
_MEMBER_RE = re.compile(r"^\s+-\s+([A-Za-z_]\w*)\s*$")
_LANGUAGES = {
    ".py": "python", ".html": "html", ".jinja": "jinja", ".js": "javascript", ".ts": "typescript",
    ".json": "json", ".toml": "toml", ".yml": "yaml", ".yaml": "yaml", ".sh": "bash", ".css": "css",
    ".md": "markdown", ".ini": "ini", ".dockerfile": "dockerfile",
}


@dataclass(frozen=True, slots=True)
class DocsTree:
    """Where an mkdocs tree's pages are, what the site URL is and how far includes may reach."""

    docs_root: Path  # resolved folder holding the .md pages
    config_dir: Path | None  # folder of mkdocs.yml, if found
    allowed_root: Path  # includes must resolve inside this folder
    site: str = SITE_ROOT


@dataclass
class _Directive:
    line: int
    end: int
    path: str
    members: list[str] = field(default_factory=list)


@dataclass
class _Include:
    line: int
    target: str
    options: str
    in_fence: bool
    prefix: str


def _config_value(text: str, key: str) -> str | None:
    m = re.search(rf"^{key}:\s*['\"]?([^'\"\s#]+)", text, re.MULTILINE)
    return m.group(1) if m else None


def _find_config(folder: Path) -> Path | None:
    for name in ("mkdocs.yml", "mkdocs.yaml"):
        if (folder / name).is_file():
            return folder / name
    return None


def _repo_root(start: Path) -> Path | None:
    folder = start
    for _ in range(_REPO_SEARCH_LEVELS + 1):
        if any((folder / m).exists() for m in _REPO_MARKERS):
            return folder
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def resolve_tree(path: str | Path) -> DocsTree | None:
    """The docs tree for a configured folder: the docs folder itself, a folder with
    ``mkdocs.yml`` (its ``docs_dir``) or a folder whose ``docs/`` holds the pages."""
    given = safe_resolve(Path(path).expanduser())
    if given is None or not given.is_dir():
        return None
    config_file = _find_config(given)
    site = SITE_ROOT
    docs_root = given
    config_dir: Path | None = None
    if config_file is not None:
        config_dir = given
        config_text = read_text(config_file, given, max_bytes=1_000_000) or ""
        site = _config_value(config_text, "site_url") or SITE_ROOT
        candidate = safe_resolve(given / (_config_value(config_text, "docs_dir") or "docs"))
        if candidate is None or not candidate.is_dir() or not is_within(candidate, given):
            log.warning("mkdocs %s: docs_dir is missing or outside the folder", given)
            return None
        docs_root = candidate
    elif not (given / "index.md").is_file() and (given / "docs" / "index.md").is_file():
        docs_root = given / "docs"
        config_dir = given
    else:
        parent_config = _find_config(given.parent)
        if parent_config is not None:
            config_dir = given.parent
            site = _config_value(read_text(parent_config, given.parent, max_bytes=1_000_000, quiet=True) or "", "site_url") or SITE_ROOT
    if not site.startswith(("http://", "https://")):
        site = SITE_ROOT
    allowed = _repo_root(given) or config_dir or given
    if not is_within(given, allowed):
        allowed = given
    return DocsTree(docs_root=docs_root, config_dir=config_dir, allowed_root=allowed, site=site.rstrip("/") + "/")


def page_url(rel: str, site: str = SITE_ROOT) -> str:
    """``tutorial/body.md`` -> ``<site>tutorial/body/``; ``a/index.md`` -> ``<site>a/``."""
    rel = rel.replace("\\", "/")
    if rel.endswith(".md"):
        rel = rel[:-3]
    if rel == "index":
        rel = ""
    elif rel.endswith("/index"):
        rel = rel[: -len("/index")]
    return site_url(rel, base=site)


def _category(rel: str) -> str:
    first = rel.split("/", 1)[0] if "/" in rel else ""
    return first if first in CATEGORY_TITLES else "general"


def _admonition_open(line: str) -> tuple[int, str, str] | None:
    """``/// note | Title`` -> ``(3, "note", "Title")``; ``None`` for any other line."""
    m = _ADMONITION_HEAD_RE.match(line)
    if m is None:
        return None
    rest = line[m.end() :].strip()
    if rest and not rest.startswith("|"):
        return None
    return len(m.group(1)), m.group(2).lower(), rest[1:].strip()


def _star_include(line: str) -> tuple[str, str] | None:
    """``{* ../../docs_src/x.py hl[3] *}`` -> ``("../../docs_src/x.py", "hl[3]")``."""
    stripped = line.strip()
    if len(stripped) < 5 or not (stripped.startswith("{*") and stripped.endswith("*}")):
        return None
    parts = stripped[2:-2].split(None, 1)
    if not parts:
        return None
    return parts[0], parts[1] if len(parts) > 1 else ""


def _preprocess(lines: list[str]) -> tuple[list[str], list[_Directive], list[_Include]]:
    """Rewrite admonitions/directives line by line (same line count) and find includes."""
    out: list[str] = []
    directives: list[_Directive] = []
    includes: list[_Include] = []
    stack: list[tuple[int, bool]] = []  # (slash count, is a quote)
    quotes = 0  # quote entries on the stack
    open_counts: dict[int, int] = {}  # slash count -> entries on the stack (O(1) "is it open?")

    def push(slashes: int, quote: bool) -> None:
        nonlocal quotes
        stack.append((slashes, quote))
        quotes += quote
        open_counts[slashes] = open_counts.get(slashes, 0) + 1

    def pop() -> None:
        nonlocal quotes
        slashes, quote = stack.pop()
        quotes -= quote
        open_counts[slashes] -= 1
    fence: str | None = None
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        # deeper nesting adds no more ``>``: markdown-it stops nesting there anyway, and the
        # prefix would make the text grow quadratically with thousands of open admonitions
        prefix = "> " * min(quotes, _MAX_QUOTE_DEPTH)
        m = _FENCE_RE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip().strip(fence[0]):
                fence = None
            else:
                bang = _BANG_INCLUDE_RE.match(line)
                if bang:
                    includes.append(_Include(i, bang.group(1), "", True, prefix))
            out.append((prefix + line) if line else prefix.rstrip())
            i += 1
            continue
        if m:
            fence = m.group(1)
            out.append(prefix + line)
            i += 1
            continue
        opened = _admonition_open(line)
        if opened:
            slashes, kind, title = opened
            if kind == "tab":
                out.append(f"{prefix}**{title or 'Tab'}**")
                push(slashes, False)
            else:
                label = kind.replace("-", " ").title()
                out.append(f"{prefix}> **{label}:** {title}" if title else f"{prefix}> **{label}**")
                push(slashes, True)
            i += 1
            continue
        closed = _ADMONITION_CLOSE_RE.match(line)
        if closed and stack:
            slashes = len(closed.group(1))
            while stack and stack[-1][0] != slashes and open_counts.get(slashes):
                pop()  # tolerate a missing inner close
            if stack and stack[-1][0] == slashes:
                pop()
            out.append("")
            i += 1
            continue
        directive = _DIRECTIVE_RE.match(line)
        if directive:
            d = _Directive(i, i + 1, directive.group(1))
            out.append(f"{prefix}API reference: `{d.path}`")
            j = i + 1
            in_members = False
            while j < n and (not lines[j].strip() or lines[j][:1] in (" ", "\t")):
                stripped = lines[j].strip()
                if stripped.startswith("members:"):
                    in_members = stripped == "members:"
                elif in_members:
                    mm = _MEMBER_RE.match(lines[j])
                    if mm:
                        d.members.append(mm.group(1))
                    elif stripped and not stripped.startswith("-"):
                        in_members = False
                out.append("")
                j += 1
            while j > i + 1 and not lines[j - 1].strip():
                j -= 1  # trailing blank lines belong to the page, not the block
            d.end = j
            directives.append(d)
            i = len(out)
            continue
        star = _star_include(line)
        if star is None:
            bang = _BANG_INCLUDE_RE.match(line)
            star = (bang.group(1), "") if bang else None
        if star is not None:
            includes.append(_Include(i, star[0], star[1], False, prefix))
        out.append((prefix + line) if line else prefix.rstrip())
        i += 1
    return out, directives, includes


def _select_lines(code: str, options: str) -> str:
    m = _LN_RE.search(options)
    if not m:
        return code
    lines = code.split("\n")
    picked: list[str] = []
    for part in m.group(1).split(","):
        part = part.strip()
        if not part:
            continue
        start_s, _, end_s = part.partition(":")
        try:
            start = int(start_s) if start_s else 1
            end = int(end_s) if end_s else (start if ":" not in part else len(lines))
        except ValueError:
            continue
        picked.extend(lines[max(start - 1, 0) : max(end, 0)])
    return "\n".join(picked) if picked else code


class _IncludeResolver:
    def __init__(self, tree: DocsTree) -> None:
        self.tree = tree
        self.cache: dict[Path, str | None] = {}
        self.missing = 0

    def read(self, md_file: Path, target: str) -> tuple[str | None, str]:
        """(code or None, display path of the target)."""
        display = target
        while display.startswith("../"):
            display = display[3:]
        if target.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", target):
            log.warning("mkdocs: include %r in %s is absolute; not read", target, md_file)
            return None, display
        bases = [md_file.parent, self.tree.config_dir, self.tree.docs_root]
        for base in bases:
            if base is None:
                continue
            candidate = base / target
            real = safe_resolve(candidate)
            if real is None:
                continue
            if not is_within(real, self.tree.allowed_root):
                log.warning("mkdocs: include %r in %s points outside %s; not read", target, md_file, self.tree.allowed_root)
                return None, display
            if real in self.cache:
                return self.cache[real], display
            code = read_text(real, self.tree.allowed_root, max_bytes=MAX_INCLUDE_BYTES)
            self.cache[real] = code
            return code, display
        self.missing += 1
        return None, display

    def expand(self, md_file: Path, inc: _Include) -> list[str]:
        code, display = self.read(md_file, inc.target)
        p = inc.prefix
        if code is not None:
            code = _select_lines(normalize_source(code).rstrip("\n"), inc.options)
            body = [(p + ln) if ln else p.rstrip() for ln in code.split("\n")]
            if inc.in_fence:
                return body
            lang = _LANGUAGES.get(Path(inc.target).suffix.lower(), "")
            return [f"{p}```{lang}", *body, f"{p}```"]
        if inc.in_fence:
            return [f"{p}# (example code {display}: not available locally)"]
        note = f"*Example code: `{display}` (not available locally)*"
        if "docs_src/" in inc.target and "fastapi.tiangolo.com" in self.tree.site:
            src = display[display.index("docs_src/") :]
            note = f"*Example code: [`{src}`](https://github.com/fastapi/fastapi/blob/master/{src}) (not available locally)*"
        return [p + note]


def _section_text(lines: list[str], start: int, end: int, includes: dict[int, _Include], md_file: Path, resolver: _IncludeResolver) -> str:
    while end > start and not lines[end - 1].strip():
        end -= 1
    while start < end and not lines[start].strip():
        start += 1
    out: list[str] = []
    for i in range(start, end):
        inc = includes.get(i)
        if inc is None:
            out.append(lines[i])
        else:
            out.extend(resolver.expand(md_file, inc))
    return "\n".join(out)


def parse_page(md_file: Path, rel: str, text: str, tree: DocsTree, resolver: _IncludeResolver | None = None) -> list[Section]:
    """Sections of one mkdocs page (``rel`` is its path inside the docs root)."""
    resolver = resolver or _IncludeResolver(tree)
    text = normalize_source(text)
    meta, fm_lines = parse_front_matter(text)
    raw_lines = text.split("\n")
    if fm_lines:
        raw_lines[:fm_lines] = [""] * fm_lines
    lines, directives, include_list = _preprocess(raw_lines)
    includes = {inc.line: inc for inc in include_list}
    blocks = [b for b in top_level_blocks("\n".join(lines)) if b.kind == "heading"]
    url = page_url(rel, tree.site)
    category = _category(rel)
    crumb0 = CATEGORY_TITLES[category]
    page_id = url[len(tree.site) :].strip("/") if url.startswith(tree.site) else rel
    page_id = page_id or "index"

    page_title = meta.get("title", "")
    first = blocks[0] if blocks and blocks[0].level == 1 else None
    if first is not None:
        page_title = clean_heading(first.content) or page_title
        blocks = blocks[1:]
    if not page_title:
        stem = Path(rel).stem if Path(rel).stem != "index" else (Path(rel).parent.name or "Home")
        page_title = stem.replace("-", " ").replace("_", " ").title()
    path = str(md_file)
    page_start = first.line if first is not None else 0
    body_start = first.end if first is not None else 0
    first_heading = blocks[0].line if blocks else len(lines)

    # (line_start, line_end, level, title, anchor) of every heading section
    used: set[str] = AnchorSet()
    heads: list[tuple[int, int, int, str, str]] = []
    for i, b in enumerate(blocks):
        content, explicit = strip_heading_attrs(b.content)
        title = clean_heading(content) or "Section"
        anchor = explicit or (title if is_dotted_symbol(title) else slugify(title) or "section")
        anchor = unique_anchor(anchor, used)
        end = blocks[i + 1].line if i + 1 < len(blocks) else len(lines)
        heads.append((b.line, end, max(2, b.level), title, anchor))

    def symbols_in(start: int, end: int, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
        found = [d.path for d in directives if start <= d.line < end]
        return tuple(dict.fromkeys([*extra, *found]))

    builder = PageBuilder("mkdocs", page_id, category, page_title, url, crumb0, path)
    out = [
        builder.page(
            symbols=symbols_in(0, first_heading),
            text=_section_text(lines, body_start, first_heading, includes, md_file, resolver),
            line_start=page_start,
            line_end=max(first_heading, page_start + 1),
        )
    ]
    for start, end, level, title, anchor in heads:
        out.append(
            builder.heading(
                level,
                title,
                anchor,
                symbols=symbols_in(start, end, (title,) if is_dotted_symbol(title) else ()),
                text=_section_text(lines, start + 1, end, includes, md_file, resolver),
                line_start=start,
                line_end=end,
            )
        )

    # mkdocstrings objects and their members
    for d in directives:
        owner_level, owner_crumbs = 1, [page_title]
        for start, _end, level, _title, _anchor in heads:
            if start <= d.line:
                owner_level = level
                owner_crumbs = [c for c in out if c.line_start == start][0].breadcrumb[1:]
        obj_level = min(owner_level + 1, 6)
        obj_anchor = unique_anchor(d.path, used)
        obj_crumbs = (crumb0, *owner_crumbs, d.path)
        out.append(
            builder.heading(obj_level, d.path, obj_anchor, symbols=(d.path,), line_start=d.line, line_end=d.end, breadcrumb=obj_crumbs)
        )
        for member in d.members:
            full = f"{d.path}.{member}"
            anchor = unique_anchor(full, used)
            out.append(
                builder.heading(
                    min(obj_level + 1, 6), full, anchor,
                    symbols=(full,), line_start=d.line, line_end=d.end, breadcrumb=(*obj_crumbs, member),
                )
            )
    return out


def tree_files(tree: DocsTree) -> list[Path]:
    return walk_files(tree.docs_root)


def parse_mkdocs_tree(path: str | Path) -> list[Section]:
    """All sections of an mkdocs docs tree. Problems are logged; never raises."""
    tree = resolve_tree(path)
    if tree is None:
        log.warning("mkdocs %s: not a readable docs folder", path)
        return []
    resolver = _IncludeResolver(tree)
    out: list[Section] = []
    for f in tree_files(tree):
        pause_point()  # loading runs in the background: let requests through between pages
        text = read_text(f, tree.docs_root)
        if text is None:
            continue
        rel = f.relative_to(tree.docs_root).as_posix() if f.is_relative_to(tree.docs_root) else f.name
        try:
            out.extend(parse_page(f, rel, text, tree, resolver))
        except Exception:  # a parser bug must not take the whole tree down
            log.exception("mkdocs %s: could not parse %s; skipped", tree.docs_root, f)
    if resolver.missing:
        log.info("mkdocs %s: %d included example files are not available; linked instead", tree.docs_root, resolver.missing)
    return out
