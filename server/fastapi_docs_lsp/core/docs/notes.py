"""The catalog's notes on single API names: a one-line summary and the page that documents it.

FastAPI documents most public names with docstrings; a few (``fastapi.exceptions.FastAPIError``,
``fastapi.routing.APIRoute``, the ``fastapi.params`` classes, ...) have none, and some
attributes (``APIRoute.name``) have no docstring of their own. For those, the catalog's
``[[symbols]]`` tables (``references/catalog/*.toml``, our own words) say what the name is and
link the docs page (reference page, with its anchor when the site has one):

```toml
[[symbols]]
symbol = "fastapi.exceptions.FastAPIError"
summary = "One sentence, our words."
url = "https://fastapi.tiangolo.com/reference/exceptions/"
```

Pure data, no pygls; a malformed entry is logged and skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import tomlfast
from .catalog import MAX_SUMMARY, catalog_files
from .text import SITE_ROOT

log = logging.getLogger(__name__)

REQUIRED = ("symbol", "summary", "url")


@dataclass(frozen=True, slots=True)
class SymbolNote:
    symbol: str  # public dotted path (fastapi.exceptions.FastAPIError)
    summary: str
    url: str
    title: str = ""  # link text; the page's catalog title when empty


def note_problems(entry: Any) -> list[str]:
    """Rule violations of one ``[[symbols]]`` entry. Empty = valid."""
    if not isinstance(entry, dict):
        return ["symbols entry is not a table"]
    label = entry.get("symbol", "?")
    problems = [f"symbol {label!r}: missing or empty {k!r}" for k in REQUIRED if not isinstance(entry.get(k), str) or not entry[k].strip()]
    if problems:
        return problems
    if not entry["symbol"].startswith("fastapi.") or " " in entry["symbol"]:
        problems.append(f"symbol {label!r}: must be a public dotted path under fastapi.")
    url = entry["url"]
    if not url.startswith(SITE_ROOT) or not (url.endswith("/") or "/#" in url):
        problems.append(f"symbol {label!r}: url {url!r} must be a docs page (ending in '/') or page + '#anchor'")
    summary = entry["summary"]
    if len(summary) > MAX_SUMMARY or "](" in summary or "\n" in summary:
        problems.append(f"symbol {label!r}: summary must be one plain sentence of at most {MAX_SUMMARY} characters")
    if "title" in entry and not isinstance(entry["title"], str):
        problems.append(f"symbol {label!r}: title must be a string")
    return problems


def parse_notes(text: str, origin: str = "<catalog>") -> dict[str, SymbolNote]:
    if "[[symbols]]" not in text:
        return {}
    try:
        data = tomlfast.loads(text)
    except (tomlfast.TOMLDecodeError, ValueError) as exc:
        log.warning("catalog %s: not valid TOML (%s); symbol notes skipped", origin, exc)
        return {}
    entries = data.get("symbols", [])
    if not isinstance(entries, list):
        log.warning("catalog %s: 'symbols' is not an array of tables; skipped", origin)
        return {}
    out: dict[str, SymbolNote] = {}
    for n, entry in enumerate(entries):
        problems = note_problems(entry)
        if problems:
            log.warning("catalog %s: symbols[%d] skipped: %s", origin, n, "; ".join(problems))
            continue
        symbol = entry["symbol"].strip()
        out.setdefault(symbol, SymbolNote(symbol, " ".join(entry["summary"].split()), entry["url"].strip(), str(entry.get("title", "")).strip()))
    return out


def load_notes(directory: Path | None = None) -> dict[str, SymbolNote]:
    """Every ``[[symbols]]`` note of the catalog files (the first note of a symbol wins)."""
    out: dict[str, SymbolNote] = {}
    for f in catalog_files(directory):
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("catalog %s: unreadable (%s); symbol notes skipped", f.name, exc)
            continue
        for symbol, note in parse_notes(text, f.name).items():
            out.setdefault(symbol, note)
    return out
