"""Block structure of a Markdown file via markdown-it-py tokens.

Only the block pass runs (the core ``inline`` rule is disabled): the parsers need top-level
headings and thematic breaks with their source lines, never rendered HTML. markdown-it's
nesting limit and the per-file size cap keep pathological input (deep ``>`` or list nesting)
from blowing up.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_local = threading.local()


def _parser() -> MarkdownIt:
    md = getattr(_local, "md", None)
    if md is None:
        # imported here: a warm start loads the index from the cache and never parses Markdown
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"maxNesting": 20})
        # Headings' raw content is all we need: no inline pass, no link reference definitions.
        # (Keep the list rule: without it, long lists become one paragraph and the setext
        # heading look-ahead turns quadratic.)
        md.disable(["inline", "reference"])
        _local.md = md
    return md


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # "heading" | "hr"
    line: int  # 0-based first line
    end: int  # 0-based end-exclusive line
    level: int = 0  # heading level (1..6)
    content: str = ""  # raw inline content of the heading


def normalize_source(text: str) -> str:
    """The same line normalisation markdown-it applies, so token lines match ``text.split('\\n')``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\0", "\ufffd")


def top_level_blocks(text: str) -> list[Block]:
    """Headings and thematic breaks that are not nested in quotes, lists or code."""
    tokens = _parser().parse(text)
    out: list[Block] = []
    for i, tok in enumerate(tokens):
        if tok.level != 0 or tok.map is None:
            continue
        if tok.type == "heading_open":
            inline = tokens[i + 1] if i + 1 < len(tokens) else None
            content = inline.content if inline is not None and inline.type == "inline" else ""
            out.append(Block("heading", tok.map[0], tok.map[1], int(tok.tag[1]), content))
        elif tok.type == "hr":
            out.append(Block("hr", tok.map[0], tok.map[1]))
    return out


def parse_front_matter(text: str) -> tuple[dict[str, str], int]:
    """``---``-delimited YAML-ish front matter: simple ``key: value`` pairs and its line count."""
    if not text.startswith("---"):
        return {}, 0
    lines = text.split("\n", 200)
    if lines[0].strip() != "---":
        return {}, 0
    data: dict[str, str] = {}
    for n, line in enumerate(lines[1:200], start=1):
        if line.strip() == "---":
            return data, n + 1
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t")):
            data[key.strip()] = value.strip().strip("\"'")
    return {}, 0
