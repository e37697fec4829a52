"""Small text helpers shared by the doc parsers, the index and the search.

Pure functions, no I/O: heading clean-up, title normalisation (to match a scraped heading to
the catalog's), mkdocs-compatible slugs, prose excerpts and the search tokenizer.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator

SITE_ROOT = "https://fastapi.tiangolo.com/"

#: Words the scraped layout leaves alone on a line where an admonition's title was.
ADMONITION_WORDS = frozenset(
    {
        "note", "tip", "info", "warning", "danger", "check", "technical details", "example",
        "abstract", "question", "success", "failure", "bug", "quote", "details", "attention",
        "caution", "important", "hint", "error", "todo", "seealso", "fastapi cloud",
    }
)

_PILCROW = "\u00b6"
_LINK_RE = re.compile(r"!?\[([^\[\]\n]{0,300})\]\([^()\s]{0,500}(?:\s+\"[^\"\n]{0,200}\")?\)")
_TAB_LABEL_RE = re.compile(r"\[[^\[\]\n]{0,120}\]\(#__tabbed_[\w]+\)")
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][^<>\n]{0,300}>")
_HEADING_ID_RE = re.compile(r"[^\s{}]+")
_DOTTED_RE = re.compile(r"^(?:fastapi|starlette)(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")


def strip_heading_attrs(content: str) -> tuple[str, str | None]:
    """Split ``Title { #anchor }`` into ``("Title", "anchor")``.

    Linear in the heading's length (a regex search for the attribute block backtracks
    quadratically on a long heading full of ``{ #`` or spaces)."""
    end = content.rstrip()
    if not end.endswith("}"):
        return content, None
    start = end.rfind("{", 0, len(end) - 1)
    if start < 0 or "}" in end[start + 1 : -1]:
        return content, None
    inner = end[start + 1 : -1].lstrip()
    if not inner.startswith("#"):
        return content, None
    m = _HEADING_ID_RE.match(inner, 1)
    if not m:
        return content, None
    return content[:start].rstrip(), m.group(0)


def strip_inline_markup(text: str) -> str:
    """Readable plain text of one line of inline Markdown (links keep their text)."""
    text = _TAB_LABEL_RE.sub("", text)
    text = _LINK_RE.sub(r"\1", text)
    text = _HTML_TAG_RE.sub("", text)
    text = text.replace("`", "").replace("**", "").replace(_PILCROW, "")
    # single-star emphasis; underscores stay (they are part of identifiers)
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]{1,200}?)(?<=\S)\*(?![\w*])", r"\1", text)
    return " ".join(text.split())


def clean_heading(content: str) -> str:
    """Heading text without ``¶``, ``{ #id }`` or inline markup."""
    content, _ = strip_heading_attrs(content)
    content = content.replace(_PILCROW, " ")
    return strip_inline_markup(content).strip()


def norm_title(title: str) -> str:
    """Key to compare titles across sources: lowercase alphanumeric words joined by spaces."""
    title = unicodedata.normalize("NFKD", title).lower()
    return _NON_ALNUM_RE.sub(" ", title).strip()


def squash(title: str) -> str:
    """``norm_title`` without spaces: matches scraped headings that lost the space around code."""
    return norm_title(title).replace(" ", "")


def slugify(title: str) -> str:
    """The anchor Python-Markdown's ``toc`` extension gives a heading (mkdocs' default)."""
    value = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def is_dotted_symbol(text: str) -> bool:
    """``fastapi.FastAPI.get`` style headings of reference pages."""
    return bool(_DOTTED_RE.match(text))


class AnchorSet(set):
    """The anchors used on a page, remembering where each duplicate count stopped, so a page
    with thousands of identical headings stays linear in ``unique_anchor``."""

    __slots__ = ("next_suffix",)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_suffix: dict[str, int] = {}


def unique_anchor(anchor: str, used: set[str]) -> str:
    """Python-Markdown's de-duplication: ``x``, ``x_1``, ``x_2``..."""
    candidate, n = anchor, 0
    hints = used.next_suffix if isinstance(used, AnchorSet) else None
    if hints is not None and anchor in used:
        # anchors are only ever added: every ``x_k`` below the last suffix handed out is taken
        n = hints.get(anchor, 1) - 1
    while candidate in used:
        n += 1
        candidate = f"{anchor}_{n}"
    used.add(candidate)
    if hints is not None and n:
        hints[anchor] = n + 1
    return candidate


def site_url(path: str, anchor: str | None = None, base: str = SITE_ROOT) -> str:
    """``tutorial/body`` -> ``https://fastapi.tiangolo.com/tutorial/body/#anchor``."""
    path = path.strip("/")
    url = base.rstrip("/") + "/" + (path + "/" if path else "")
    return f"{url}#{anchor}" if anchor else url


def normalize_url(url: str) -> str:
    """Comparable form of a docs URL: https, lowercase host, trailing slash on the path."""
    url = url.strip()
    frag = ""
    if "#" in url:
        url, frag = url.split("#", 1)
    if "?" in url:
        url = url.split("?", 1)[0]
    if url.startswith("http://"):
        url = "https://" + url[len("http://") :]
    if url.startswith("https://"):
        host, _, rest = url[len("https://") :].partition("/")
        url = "https://" + host.lower() + "/" + rest
        if url.endswith("/index.html"):
            url = url[: -len("index.html")]
        if not url.endswith("/"):
            url += "/"
    return f"{url}#{frag}" if frag else url


# --------------------------------------------------------------------------- prose excerpts

_FENCE_RE = re.compile(r"^\s{0,3}(?:>\s?)*(`{3,}|~{3,})")
_LABEL_RE = re.compile(r"^\*\*([A-Za-z ]{2,30}?):?\*\*")


def prose_lines(markdown: str) -> Iterator[str]:
    """Clean prose lines of a Markdown body: no code, tab labels, tables, admonition labels."""
    fence: str | None = None
    for raw in markdown.splitlines():
        m = _FENCE_RE.match(raw)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is not None:
            continue
        line = raw.strip()
        while line.startswith(">"):
            line = line[1:].lstrip()
        if not line or line.startswith(("|", "#", "<!--", "{*", "{!", ":::", "---", "***", "///")):
            continue
        if raw.startswith(("    ", "\t")) and not raw.lstrip().startswith(("*", "-", "+")):
            continue  # indented code
        label = _LABEL_RE.match(line)
        if label and label.group(1).lower() in ADMONITION_WORDS:
            continue  # "**Note:** Title" written for an mkdocs admonition
        line = strip_inline_markup(line)
        if not line:
            continue
        bare = line.rstrip(":").strip().lower()
        if bare in ADMONITION_WORDS or (line.startswith("**") and line.endswith("**")):
            continue
        if re.fullmatch(r"(?:Python|Pydantic)\s[\w.+ ]{1,30}", line):
            continue  # a leftover tab label
        yield line


_LIST_ITEM_RE = re.compile(r"^(?:[*+-]|\d+[.)])\s")
#: lines that only make sense next to the code or screen they talk about
_SITUATED_RE = re.compile(
    r"^(?:copy (?:that|this|it)|run (?:it|the)|check it|open your browser|go to |you will see|you would see|"
    r"now (?:go|open|run|check)|in this example|for example,? (?:here|this)|here(?:'s| is) |(?:that|this) line )",
    re.IGNORECASE,
)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")


def excerpt_text(markdown: str, max_lines: int = 4, max_chars: int = 320) -> str:
    """The first ``max_lines`` prose lines that read on their own, each cut to ``max_chars``
    at a sentence end when one is in reach. Skipped: list items and fragments, lines that
    introduce code (``...:``), and lines about code or screens an excerpt does not show."""
    out: list[str] = []
    for line in prose_lines(markdown):
        if line.startswith("Example code") or line.endswith(":"):
            continue  # it introduces code an excerpt does not show
        if _LIST_ITEM_RE.match(line) or _SITUATED_RE.match(line):
            continue
        if len(line) < 30 and not line.endswith((".", "!", "?")):
            continue  # a fragment (a tab label, a caption)
        if len(line) > max_chars:
            line = _cut(line, max_chars)
        out.append(line)
        if len(out) >= max_lines:
            break
    return "\n".join(out)


def _cut(line: str, max_chars: int) -> str:
    kept = ""
    for sentence in _SENTENCE_END_RE.split(line):
        if len(kept) + len(sentence) + 1 > max_chars:
            break
        kept = f"{kept} {sentence}".strip()
    if len(kept) >= max_chars // 3:
        return kept
    return line[:max_chars].rsplit(" ", 1)[0] + " …"


# --------------------------------------------------------------------------- search tokens

STOP_WORDS = frozenset(
    """a an the and or but if then else of to in on at by for with without from into onto
    as is are was were be been being do does did done doing have has had having i me my we
    our you your it its this that these those there here what which who whom whose when
    where why how can could should would will shall may might must use using used want need
    get make way ways some any all each every more most other such only own same so than too
    very just also about via per not no yes please help show tell example examples e g eg ie
    way thing things like let lets one""".split()
)

_WORD_RE = re.compile(r"[a-z0-9_]+")
_CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_STEM_CACHE: dict[str, str] = {}


def stem(word: str) -> str:
    """A deliberately light English stemmer (plural/verb endings) so 'files' finds 'file'."""
    cached = _STEM_CACHE.get(word)
    if cached is not None:
        return cached
    w = word
    if len(w) > 4 and not w[-1].isdigit() and "_" not in w:
        if w.endswith("ies") and len(w) > 5:
            w = w[:-3] + "y"
        elif w.endswith("sses"):
            w = w[:-2]
        elif w.endswith("ing") and len(w) > 5:
            w = _undouble(w[:-3])
        elif w.endswith("ed") and len(w) > 5 and not w.endswith("eed"):
            w = _undouble(w[:-2])
        elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
    if len(_STEM_CACHE) < 200_000:
        _STEM_CACHE[word] = w
    return w


def _undouble(w: str) -> str:
    """``runn`` -> ``run``, ``stopp`` -> ``stop`` (but ``install`` stays)."""
    if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        return w[:-1]
    return w


def words(text: str) -> list[str]:
    """Lowercase words (``a-z0-9_``) of ``text``."""
    return _WORD_RE.findall(text.lower())


_WORD_TERMS: dict[str, tuple[str, ...]] = {}
_LETTERS_DIGITS_RE = re.compile(r"([a-z]{3,})\d+")


def _word_terms(w: str) -> tuple[str, ...]:
    """Terms of one lowercase word (memoised: documentation reuses a small vocabulary)."""
    cached = _WORD_TERMS.get(w)
    if cached is not None:
        return cached
    if "_" in w:
        stripped = w.strip("_")
        out = ([stripped] if stripped else []) + [stem(p) for p in w.split("_") if len(p) > 1 and p not in STOP_WORDS]
    elif w in STOP_WORDS:
        out = []
    else:
        out = [stem(w)]
        m = _LETTERS_DIGITS_RE.fullmatch(w)
        if m:  # "oauth2" is also found as "oauth", "http2" as "http"
            out.append(m.group(1))
    result = tuple(out)
    if len(_WORD_TERMS) < 300_000:
        _WORD_TERMS[w] = result
    return result


def terms(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """Search terms of ``text``: stemmed words, plus the parts of snake_case identifiers."""
    out: list[str] = []
    for w in words(text):
        if keep_stop_words and w in STOP_WORDS:
            out.append(w)
        else:
            out.extend(_word_terms(w))
    return out


def term_counts(text: str) -> Counter[str]:
    """``Counter(terms(text))``, counting words first (fast on long bodies)."""
    counts: Counter[str] = Counter()
    for w, n in Counter(_WORD_RE.findall(text.lower())).items():
        for t in _word_terms(w):
            counts[t] += n
    return counts


def identifier_terms(names: Iterable[str]) -> list[str]:
    """Terms for symbol names: the full lowercased name and its CamelCase/snake parts."""
    out: list[str] = []
    for name in names:
        last = name.rsplit(".", 1)[-1]
        out.append(last.lower())
        for part in name.split("."):
            out.extend(stem(p.lower()) for p in _CAMEL_RE.findall(part) if len(p) > 1)
            out.extend(t for t in terms(part) if t != part.lower())
    return out
