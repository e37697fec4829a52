"""The translated-docs facts shipped in ``references/i18n/``: which pages exist per language,
with their headings' anchors and titles.

One file per language, ``references/i18n/<lang>.tsv``: a comment header, then one line per
heading, ``<page>\\t<level>\\t<anchor>\\t<title>`` in site order (level 0, empty title: a page
without headings). ``<page>`` is the site path
without slashes (``tutorial/cors``; the home page is ``index``), ``<anchor>`` the heading's id
(translated pages keep the English anchors), ``<title>`` the heading as the translated page
writes it. These are facts about fastapi.tiangolo.com (titles, paths, anchors), no body text.

``python -m fastapi_docs_lsp.core.docs.i18n_data HEADINGS_JSON [OUT_DIR]`` regenerates the files
from the corpus' ``headings.json``; ``tests/unit/test_i18n_data.py`` checks they match it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

#: languages of the FastAPI docs site besides English (the agreed ``docsLanguage`` values)
TRANSLATED = ("de", "es", "fr", "hi", "ja", "ko", "pt", "ru", "tr", "uk", "zh", "zh-hant")
HOME = "index"


def data_dir() -> Path:
    """``references/i18n`` (shipped in the package as ``fastapi_docs_lsp.references``)."""
    try:
        from importlib.resources import files

        return Path(str(files("fastapi_docs_lsp.references") / "i18n"))
    except (ImportError, ModuleNotFoundError, TypeError):  # pragma: no cover - source checkout
        return Path(__file__).resolve().parents[4] / "references" / "i18n"


def page_id(site_path: str) -> str:
    """``tutorial/cors/`` -> ``tutorial/cors``; the home page ``""`` -> ``index``."""
    return site_path.strip("/") or HOME


def render_language(lang: str, pages: dict[str, list[dict[str, Any]]], source: str) -> str:
    """The ``<lang>.tsv`` text for one language of ``headings.json``."""
    out = [
        f"# FastAPI docs, language {lang}: every translated page and its headings (facts about the site).",
        f"# Generated from {source} by fastapi_docs_lsp.core.docs.i18n_data. Columns: page, level, anchor, title.",
    ]
    for site_path, headings in pages.items():
        page = page_id(site_path)
        if not headings:
            out.append(f"{page}\t0\t\t")  # the page exists, without a heading
        for h in headings:
            text = " ".join(str(h.get("text") or "").split())
            anchor = str(h.get("anchor") or "")
            out.append(f"{page}\t{int(h.get('level') or 1)}\t{anchor}\t{text}")
    return "\n".join(out) + "\n"


def render_all(headings_json: Path) -> dict[str, str]:
    """``{file name: text}`` for every translated language of ``headings.json``."""
    data = json.loads(headings_json.read_text(encoding="utf-8"))
    source = str(data.get("source") or "headings.json")
    languages = data["languages"]
    return {f"{lang}.tsv": render_language(lang, languages[lang], source) for lang in TRANSLATED if lang in languages}


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m fastapi_docs_lsp.core.docs.i18n_data HEADINGS_JSON [OUT_DIR]", file=sys.stderr)
        return 2
    out = Path(argv[1]) if len(argv) > 1 else data_dir()
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_all(Path(argv[0])).items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name} ({text.count(chr(10)) - 2} headings)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
