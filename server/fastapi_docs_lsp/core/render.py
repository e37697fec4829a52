"""Hover text for a FastAPI symbol: header, clean signature, summary, parameter doc, docs links."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Protocol

from . import status_codes
from .analysis import Occurrence
from .apidb import LINK_RE as _LINK_RE, ApiDB, ApiObject, ParamInfo, first_paragraph, format_signature
from .callsite import CallArgs
from .docs.model import Section

MAX_LINES = 25
#: each excerpt line (of the user's loaded skill/mkdocs docs), cut at a sentence end
EXCERPT_CHARS = 220


class DocsLookup(Protocol):
    def sections_for_symbol(self, symbol: str, limit: int = 3) -> list[Section]: ...

    def section_for_url(self, url: str) -> Section | None: ...

    def rich_section(self, section: Section) -> Section | None: ...

    def excerpt(self, section: Section, max_lines: int = 4, max_chars: int = 320) -> str: ...


@dataclass(frozen=True, slots=True)
class HoverOptions:
    markdown: bool = True
    max_links: int = 3
    excerpt: bool = True
    #: False for completion documentation: the item's label and detail already say what it is
    header: bool = True


@dataclass(frozen=True, slots=True)
class Link:
    title: str
    url: str
    section: Section | None = None


# --------------------------------------------------------------------------------------
# naming


def display_path(target: str, db: ApiDB | None) -> str:
    """The public dotted path users know (``fastapi.Query``, ``fastapi.Request.url_for``)."""
    if db is None:
        return target
    obj = db.get(target)
    owner, _, name = target.rpartition(".")
    if obj is not None:
        is_member = obj.kind in ("method", "attribute", "property") or (
            owner and (o := db.get(owner)) is not None and o.kind == "module" and target.startswith("fastapi") and not obj.public.startswith("fastapi")
        )
        if not is_member:
            return obj.public
    if owner and db.get(owner) is not None:
        return f"{display_path(owner, db)}.{name}"
    return obj.public if obj is not None else target


def kind_label(obj: ApiObject | None, occ: Occurrence) -> str:
    if occ.kind == "keyword":
        return "parameter"
    if occ.kind == "status":
        return "status code"
    if occ.kind == "instance":
        return "instance"
    if obj is None:
        return "module" if occ.kind == "module" else "symbol"
    return obj.kind


# --------------------------------------------------------------------------------------
# links


def _links_for(symbols: list[str], doc_links: list[tuple[str, str]], docs: DocsLookup | None, limit: int) -> list[Link]:
    links: list[Link] = []
    seen: set[str] = set()

    def push(title: str, url: str, section: Section | None) -> None:
        key = url.rstrip("/")
        if key in seen or len(links) >= limit:
            return
        seen.add(key)
        links.append(Link(title, url, section))

    for text, url in doc_links:
        if "fastapi.tiangolo.com" not in url:
            continue
        section = docs.section_for_url(url) if docs is not None else None
        title = text.replace("FastAPI docs for ", "").replace("FastAPI docs about ", "")
        push(_section_title(section) if section else title or url.split("://", 1)[-1].split("/", 1)[-1].rstrip("/"), section.url if section else url, section)
    if docs is not None:
        for symbol in symbols:
            for section in docs.sections_for_symbol(symbol, limit=limit):
                push(_section_title(section), section.url, section)
    return links


def _module_member_symbols(obj: ApiObject | None, public: str, db: ApiDB | None, limit: int = 6) -> list[str]:
    """A module is documented through what it exports: ``fastapi.responses`` by ``JSONResponse``, ..."""
    if obj is None or obj.kind != "module" or db is None:
        return []
    out = []
    for name in obj.members:
        member = db.get(f"{public}.{name}")
        if member is not None and member.public == f"{public}.{name}":  # exported here, not just imported
            out.append(member.public)
            if len(out) >= limit:
                break
    return out


def _section_title(section: Section) -> str:
    if section.level <= 1 or section.title == section.page_title:
        return section.page_title
    return f"{section.page_title} › {section.title}"


# --------------------------------------------------------------------------------------
# pieces

#: a prose line wraps at about this many columns in an editor's hover box
WRAP = 80
#: the hover's opening (what it is) before the docs links, in shown lines
LEAD_LINES = 5
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*_(\[])")
_HEADING_ONLY = re.compile(r"^(?:\*\*[^*]+\*\*|__[^_]+__|[A-Z][\w ]{0,30}):?$")
_LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s")


def _code(text: str, markdown: bool) -> list[str]:
    if not text:
        return []
    if markdown:
        return ["```python", text, "```"]
    return [text]


def shown_lines(line: str) -> int:
    """How many lines a prose line takes in a hover box (it wraps; code does not)."""
    return max(1, -(-len(line) // WRAP))


def _blocks(text: str) -> list[list[str]]:
    """Paragraphs and lists of a docstring, without code examples and headings.

    A heading (``## Example``, ``**Example**``) only introduces what follows it; hovers leave
    examples to the linked docs, so a heading whose content was dropped goes with it.
    """
    blocks: list[list[str]] = []
    current: list[str] = []
    in_code = False
    for raw in text.strip().splitlines():
        ln = raw.rstrip()
        if ln.lstrip().startswith("```"):
            in_code = not in_code
            if current:
                blocks.append(current)
                current = []
            blocks.append(["```"])  # marks where an example was
            continue
        if in_code:
            continue
        if not ln.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        if ln.lstrip().startswith("#"):
            if current:
                blocks.append(current)
                current = []
            blocks.append(["#"])
            continue
        current.append(ln)
    if current:
        blocks.append(current)
    out: list[list[str]] = []
    for n, block in enumerate(blocks):
        if block in (["```"], ["#"]):
            continue
        nxt = blocks[n + 1] if n + 1 < len(blocks) else None
        heading = len(block) == 1 and bool(_HEADING_ONLY.match(block[0].strip()))
        if heading and (nxt is None or nxt in (["```"], ["#"])):
            continue  # "**Example**" over a dropped code block
        if block[-1].rstrip().endswith(":") and (nxt is None or nxt in (["```"], ["#"])):
            continue  # "For example:" over a dropped code block
        out.append(_join_prose(block))
    return out


def _join_prose(block: list[str]) -> list[str]:
    """A hard-wrapped paragraph as one line (the editor wraps it); list items stay one per line."""
    out: list[str] = []
    for ln in block:
        if out and not _LIST_ITEM.match(ln):
            out[-1] = f"{out[-1]} {ln.strip()}"
        else:
            out.append(ln.strip() if not _LIST_ITEM.match(ln) else ln.rstrip())
    return out


def _clip(text: str, max_lines: int) -> list[str]:
    """Whole paragraphs of ``text`` that fit in ``max_lines`` shown lines, never cut mid-sentence.

    A paragraph that announces something (ends with ``:``) is only kept with what it announces.
    When even the first paragraph is too long, it is cut after its last sentence that fits.
    """
    blocks = _blocks(text)
    out: list[str] = []
    used = 0
    for n, block in enumerate(blocks):
        cost = sum(shown_lines(ln) for ln in block) + (1 if out else 0)
        nxt = blocks[n + 1] if n + 1 < len(blocks) else None
        if block[-1].endswith(":") and nxt is not None:
            cost += 1 + sum(shown_lines(ln) for ln in nxt)
            if used + cost > max_lines:
                break
            if out:
                out.append("")
            out.extend(block)
            used += cost - 1 - sum(shown_lines(ln) for ln in nxt)
            continue
        if used + cost > max_lines:
            if not out:
                out.extend(_sentences_within(block, max_lines))
            break
        if out:
            out.append("")
        out.extend(block)
        used += cost
    while out and (not out[-1] or out[-1].endswith(":")):
        out.pop()
    return out


def _sentences_within(block: list[str], max_lines: int) -> list[str]:
    text = " ".join(ln.strip() for ln in block)
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}".strip()
        if shown_lines(candidate) > max_lines:
            break
        kept = candidate
    if kept:
        return [kept]
    cut = text[: max_lines * WRAP - 2].rsplit(" ", 1)[0]
    return [cut.rstrip(",;:") + " …"]


def _plain(text: str) -> str:
    text = _LINK_RE.sub(r"\1 (\2)", text)
    return text.replace("**", "").replace("`", "")


def clean_default(default: str | None) -> str | None:
    """How a default reads to a user: ``Default(None)`` is FastAPI's marker for ``None``."""
    if default is None:
        return None
    m = re.fullmatch(r"Default\((.*)\)", default.strip(), re.S)
    return m.group(1) if m else default


def _param_sig(param: ParamInfo) -> str:
    sig = param.name
    if param.annotation:
        sig += f": {param.annotation}"
    default = clean_default(param.default)
    if default is not None:
        sig += f" = {default}"
    return sig


_LINK_ONLY = re.compile(r"^\s*(?:(?:You can )?read more (?:about it )?in the\s*)?\[[^\]]+\]\([^)\s]+\)[.:]?\s*$", re.IGNORECASE)


def doc_prose(text: str) -> str:
    """A docstring without its link-only paragraphs ("[FastAPI docs for X](url)."), links as
    their text: the hover lists the links itself."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text or "") if not _LINK_ONLY.match(p.replace("\n", " "))]
    return _LINK_RE.sub(r"\1", "\n\n".join(paragraphs)).strip()


def _param_doc(param: ParamInfo, markdown: bool, max_lines: int) -> list[str]:
    out: list[str] = []
    doc = doc_prose(param.doc)
    if param.deprecated:
        out.append(f"**Deprecated:** {param.deprecated}" if markdown else f"Deprecated: {param.deprecated}")
        doc = doc.replace(param.deprecated, "").strip()
    if doc:
        if out:
            out.append("")
        out.extend(_clip(doc, max_lines))
    return out


# --------------------------------------------------------------------------------------
# signatures: what this call uses, the required parameters, the rest folded


_SIGNATURE_HEAD = re.compile(r"^((?:class\s+)?[\w.]+)\(")
_RETURNS = re.compile(r"\)\s*->\s*(.+)$", re.S)
_FOLD_NAMES = 6
_FOLD_WIDTH = 52


def _is_required(p: ParamInfo) -> bool:
    return p.default is None and not p.kind.startswith("variadic")


def fold_signature(obj: ApiObject, call: CallArgs | None = None) -> tuple[str, str]:
    """(signature, fold line): the parameters a reader needs here and one line naming the rest.

    At a call site: the positional parameters it fills, the keywords it names, and the required
    ones. Elsewhere: the required parameters, or all of them when there are few.
    """
    m = _SIGNATURE_HEAD.match(obj.signature)
    if m is None or not obj.params:
        return obj.signature, ""
    name = m.group(1)
    r = _RETURNS.search(obj.signature.rsplit("\n", 1)[-1])
    returns = r.group(1).strip() if r else ""
    params = [p for p in obj.params if p.name not in ("self", "cls")]
    if call is None and len(params) <= 6:
        chosen = params
    else:
        used = set(call.keywords) if call is not None else set()
        positional = call.positional if call is not None else 0
        chosen = []
        filled = 0
        for p in params:
            takes_positional = p.kind in ("positional-only", "positional or keyword")
            if takes_positional and filled < positional:
                filled += 1
                chosen.append(p)
            elif p.name in used or _is_required(p):
                chosen.append(p)
            elif p.kind == "variadic keyword" and used - {q.name for q in params}:
                chosen.append(p)
        if not chosen and call is None:
            chosen = [p for p in params if not p.kind.startswith("variadic")][:3]  # a taste of the options
    rest = [p for p in params if p not in chosen and not p.kind.startswith("variadic")]
    shown = [replace(p, default=clean_default(p.default)) for p in chosen]
    signature = format_signature(name, shown, returns, limit=max(1, len(shown)))
    if not rest:
        return signature, ""
    shown_names: list[str] = []
    for p in rest:  # as many names as fit on one line of a hover box
        if len(shown_names) >= _FOLD_NAMES or len(", ".join([*shown_names, p.name])) > _FOLD_WIDTH:
            break
        shown_names.append(p.name)
    names = ", ".join(shown_names) + (", …" if len(rest) > len(shown_names) else "")
    return signature, f"+ {len(rest)} more: {names}"


def _signature_lines(obj: ApiObject, occ: Occurrence, call: CallArgs | None, markdown: bool) -> list[str]:
    if obj.kind == "module" or not obj.signature:
        return []
    if occ.kind == "instance":
        sig = obj.signature.split("(", 1)[0]
        return _code(sig, markdown)
    if obj.kind in ("attribute", "property") or not obj.params:
        return _code(obj.signature, markdown)
    signature, fold = fold_signature(obj, call)
    if not fold:
        return _code(signature, markdown)
    if markdown:
        return ["```python", signature, f"# {fold}", "```"]
    return [signature, f"  {fold}"]


# --------------------------------------------------------------------------------------
# the hover


def _summary_of(obj: ApiObject) -> str:
    return first_paragraph(doc_prose(obj.doc)) if obj.doc else ""


def own_summary(symbol: str, docs: DocsLookup | None) -> str:
    """The catalog's one-line summary of ``symbol`` itself (its reference entry, or a section
    that is about it and nothing else); never a neighbour's summary that merely mentions it."""
    if docs is None:
        return ""
    for section in docs.sections_for_symbol(symbol, limit=6):
        anchor = section.url.split("#", 1)[1] if "#" in section.url else ""
        if section.summary and (anchor == symbol or section.symbols[:1] == (symbol,) and len(section.symbols) == 1):
            return section.summary
    return ""


def _attribute_from_init(occ: Occurrence, db: ApiDB | None) -> tuple[str, ParamInfo | None, ApiObject | None]:
    """``route.name`` when griffe saw no attribute: the owner class's ``__init__`` parameter of
    the same name says what it holds. Returns (public owner, that parameter, owner)."""
    if db is None or occ.kind != "member":
        return "", None, None
    owner, _, name = occ.target.rpartition(".")
    cls = db.get(owner)
    if cls is None or cls.kind != "class":
        return "", None, None
    return display_path(owner, db), cls.param(name), cls


def render_hover(
    occ: Occurrence,
    db: ApiDB | None,
    docs: DocsLookup | None,
    options: HoverOptions = HoverOptions(),
    call: CallArgs | None = None,
) -> str | None:
    """Markdown (or plain text) for the symbol at ``occ``; None when there is nothing to say.

    Docs first: what it is (a header and a short summary), then the links to the sections that
    explain it, then the signature trimmed to what this ``call`` uses (Pylance shows the full
    one), then a short excerpt of the best section when a rich docs source is loaded.
    """
    md = options.markdown
    head: list[str] = []  # what it is
    detail: list[str] = []  # signature and the rest, after the links
    obj = db.get(occ.target) if db is not None else None
    public = display_path(occ.target, db)
    symbols: list[str] = []
    doc_links: list[tuple[str, str]] = []
    own = ""  # the symbol this hover documents, for the catalog's stand-in summary

    if occ.kind == "keyword" and occ.param:
        param = obj.param(occ.param) if obj is not None else None
        if obj is not None and param is None and not any(p.kind == "variadic keyword" for p in obj.params):
            return None  # not a parameter of this callable: stay silent
        if options.header:
            head.append(f"**{occ.param}** · parameter of `{public}`" if md else f"{occ.param}: parameter of {public}")
        if param is not None:
            if options.header:
                head.extend(["", *_code(_param_sig(param), md)])
            body = _param_doc(param, md, LEAD_LINES + 1)
            if body:
                head.extend(["", *body] if head else body)
            doc_links = _LINK_RE.findall(param.doc)
        symbols = [f"{public}.{occ.param}", public]
        own = f"{public}.{occ.param}"
    elif occ.kind == "status":
        name = occ.target.rsplit(".", 1)[-1]
        status = status_codes.describe(name)
        if status is None:
            return None
        if options.header:
            head.append(f"**{name}** · `{status.code} {status.phrase}` · {status.category}" if md else f"{name}: {status.code} {status.phrase}, {status.category}")
            head.append("")
        head.append(status.meaning)
        symbols = [public, "fastapi.status"]
    else:
        init_param: ParamInfo | None = None
        if occ.kind == "instance":
            cls = db.get(occ.instance_of or occ.target) if db is not None else None
            cls_public = display_path(occ.instance_of or occ.target, db)
            if options.header:
                head.append(f"instance of `{cls_public}`" if md else f"instance of {cls_public}")
            obj = cls
            public = cls_public
        else:
            kind = kind_label(obj, occ)
            if obj is None:
                owner_public, init_param, _owner = _attribute_from_init(occ, db)
                if owner_public:
                    kind = f"attribute of `{owner_public}`" if md else f"attribute of {owner_public}"
            if options.header:
                head.append(f"**{public}** · {kind}" if md else f"{public}: {kind}")
        if obj is not None:
            if obj.deprecated:
                head.extend(["", f"**Deprecated:** {obj.deprecated}" if md else f"Deprecated: {obj.deprecated}"])
            summary = _summary_of(obj)
            if summary:
                head.append("")
                head.extend(_clip(summary, LEAD_LINES - 1))
            detail.extend(_signature_lines(obj, occ, call, md))
            doc_links = obj.links
        elif init_param is not None:
            if init_param.annotation:
                head.extend(["", *_code(f"{occ.target.rsplit('.', 1)[-1]}: {init_param.annotation}", md)])
            body = _param_doc(init_param, md, LEAD_LINES - 1)
            if body:
                head.extend(["", *body])
        # a module: its members' sections first (the module's name alone is ambiguous: `responses=`)
        symbols = [*_module_member_symbols(obj, public, db), public]
        own = public

    note = _note_for(own, docs)
    if note is not None:
        doc_links = [(note.title, note.url), *doc_links]
    links = _links_for(symbols, doc_links, docs, options.max_links)
    # the catalog's summary stands in when the package has no docstring (Query, Path, exceptions, ...)
    described = _has_prose(head[1:] if options.header else head)
    if not described and docs is not None and own and not (obj is not None and obj.kind == "module"):
        summary = note.summary if note is not None else own_summary(own, docs)
        if not summary and links and links[0].section is not None and occ.kind != "member":
            summary = links[0].section.summary
        if summary:
            head.extend(["", summary] if head else [summary])

    lines = list(head)
    if links:
        if lines:
            lines.append("")
        if md:
            lines.append("**Docs:** " + " · ".join(f"[{link.title}]({link.url})" for link in links))
        else:
            lines.append("Docs:")
            lines.extend(f"  {link.title}: {link.url}" for link in links)
    if detail:
        lines.extend(["", *detail])
    if options.excerpt and docs is not None and links and links[0].section is not None:
        excerpt = _excerpt(docs, links[0].section)
        if excerpt:
            lines.append("")
            lines.extend(("> " + ln if md else ln) for ln in excerpt)

    if len(lines) > MAX_LINES:
        lines = lines[: MAX_LINES - 1]
        if sum(1 for ln in lines if ln.startswith("```")) % 2:
            lines.append("```")
        lines.append("…")
    text = "\n".join(lines).strip()
    return text if md else _plain(text)


def _has_prose(lines: list[str]) -> bool:
    """Is there a line saying what the thing is (not code, not only a deprecation)?"""
    in_code = False
    for line in lines:
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.strip() and not line.startswith(("**Deprecated", "Deprecated")):
            return True
    return False


def _note_for(symbol: str, docs: DocsLookup | None) -> Any:
    """The catalog's note on ``symbol`` (``DocIndex.symbol_note``), if the docs have notes."""
    lookup = getattr(docs, "symbol_note", None)
    if not symbol or lookup is None:
        return None
    return lookup(symbol)


def _excerpt(docs: DocsLookup, section: Section) -> list[str]:
    """Two lines of the best section, from the user's loaded skill/mkdocs copy of it (never ours)."""
    rich = docs.rich_section(section)
    if rich is None:
        return []
    text = docs.excerpt(rich, max_lines=2, max_chars=EXCERPT_CHARS)
    return [ln for ln in text.splitlines() if ln.strip()][:2] if text else []


def best_link(occ: Occurrence, db: ApiDB | None, docs: DocsLookup | None) -> Link | None:
    """The single best docs section for a symbol (used by fastapi.openReference)."""
    obj = db.get(occ.target) if db is not None else None
    public = display_path(occ.instance_of or occ.target, db)
    doc_links: list[tuple[str, str]] = []
    symbols = [public]
    if occ.kind == "keyword" and occ.param:
        param = obj.param(occ.param) if obj is not None else None
        doc_links = _LINK_RE.findall(param.doc) if param else []
        symbols = [f"{public}.{occ.param}", public]
    elif occ.kind == "status":
        symbols = [public, "fastapi.status"]
    elif obj is not None:
        doc_links = obj.links
        symbols = [*_module_member_symbols(obj, public, db), public]
    links = _links_for(symbols, doc_links, docs, 1)
    return links[0] if links else None


def symbol_payload(occ: Occurrence, db: ApiDB | None) -> dict[str, Any]:
    """JSON view of an occurrence (the ``symbols`` CLI command)."""
    return {
        "line": occ.line,
        "start": occ.start,
        "end": occ.end,
        "kind": occ.kind,
        "symbol": display_path(occ.instance_of or occ.target, db) + (f"({occ.param}=)" if occ.param else ""),
        "target": occ.target,
    }
