"""Hover text for a FastAPI symbol: header, clean signature, summary, parameter doc, docs links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from . import status_codes
from .analysis import Occurrence
from .apidb import LINK_RE as _LINK_RE, ApiDB, ApiObject, ParamInfo, first_paragraph
from .docs.model import Section

MAX_LINES = 25


class DocsLookup(Protocol):
    def sections_for_symbol(self, symbol: str, limit: int = 3) -> list[Section]: ...

    def section_for_url(self, url: str) -> Section | None: ...

    def rich_section(self, section: Section) -> Section | None: ...

    def excerpt(self, section: Section, max_lines: int = 4) -> str: ...


@dataclass(frozen=True, slots=True)
class HoverOptions:
    markdown: bool = True
    max_links: int = 3
    excerpt: bool = True


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
        push(_section_title(section) if section else text.replace("FastAPI docs for ", "").replace("FastAPI docs about ", ""), section.url if section else url, section)
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


def _code(text: str, markdown: bool) -> list[str]:
    if not text:
        return []
    if markdown:
        return ["```python", text, "```"]
    return [text]


def _clip(text: str, max_lines: int) -> str:
    lines = [ln.rstrip() for ln in text.strip().splitlines()]
    # drop example blocks: hovers show what it is, the linked docs show how
    out: list[str] = []
    in_code = False
    for ln in lines:
        if ln.startswith("```"):
            in_code = not in_code
            continue
        if in_code or ln.startswith("#"):
            continue
        out.append(ln)
    while out and not out[-1]:
        out.pop()
    if len(out) > max_lines:
        out = out[:max_lines]
        out[-1] = out[-1] + " …"
    return out


def _plain(text: str) -> str:
    text = _LINK_RE.sub(r"\1 (\2)", text)
    return text.replace("**", "").replace("`", "")


def _param_lines(param: ParamInfo, markdown: bool) -> list[str]:
    sig = param.name
    if param.annotation:
        sig += f": {param.annotation}"
    if param.default is not None:
        sig += f" = {param.default}"
    out = _code(sig, markdown)
    doc = _LINK_RE.sub("", param.doc).strip() if param.doc else ""
    if param.deprecated:
        out.append(f"**Deprecated:** {param.deprecated}" if markdown else f"Deprecated: {param.deprecated}")
        doc = doc.replace(param.deprecated, "").strip()
    if doc:
        out.append("")
        out.extend(_clip(doc, 8))
    return out


# --------------------------------------------------------------------------------------
# the hover


def render_hover(occ: Occurrence, db: ApiDB | None, docs: DocsLookup | None, options: HoverOptions = HoverOptions()) -> str | None:
    """Markdown (or plain text) for the symbol at ``occ``; None when there is nothing to say."""
    md = options.markdown
    lines: list[str] = []
    obj = db.get(occ.target) if db is not None else None
    public = display_path(occ.target, db)
    symbols: list[str] = []
    doc_links: list[tuple[str, str]] = []

    if occ.kind == "keyword" and occ.param:
        param = obj.param(occ.param) if obj is not None else None
        if obj is not None and param is None and not any(p.kind == "variadic keyword" for p in obj.params):
            return None  # not a parameter of this callable: stay silent
        lines.append(f"**{occ.param}** · parameter of `{public}`" if md else f"{occ.param}: parameter of {public}")
        if param is not None:
            lines.append("")
            lines.extend(_param_lines(param, md))
            doc_links = _LINK_RE.findall(param.doc)
        symbols = [f"{public}.{occ.param}", public]
    elif occ.kind == "status":
        name = occ.target.rsplit(".", 1)[-1]
        status = status_codes.describe(name)
        if status is None:
            return None
        lines.append(f"**{name}** · {status.category}" if md else f"{name}: {status.category}")
        lines.append("")
        lines.append(f"`{status.code}` **{status.phrase}**" if md else f"{status.code} {status.phrase}")
        lines.append("")
        lines.append(status.meaning)
        symbols = [public, "fastapi.status"]
    else:
        if occ.kind == "instance":
            cls = db.get(occ.instance_of or occ.target) if db is not None else None
            cls_public = display_path(occ.instance_of or occ.target, db)
            lines.append(f"instance of `{cls_public}`" if md else f"instance of {cls_public}")
            obj = cls
            public = cls_public
        else:
            lines.append(f"**{public}** · {kind_label(obj, occ)}" if md else f"{public}: {kind_label(obj, occ)}")
        if obj is not None:
            sig = obj.signature
            if obj.kind == "module":
                sig = ""
            if occ.kind == "instance" and sig:
                sig = sig.split("(", 1)[0] if len(sig) > 88 else sig
            if sig:
                lines.append("")
                lines.extend(_code(sig, md))
            if obj.deprecated:
                lines.append(f"**Deprecated:** {obj.deprecated}" if md else f"Deprecated: {obj.deprecated}")
            summary = first_paragraph(obj.doc) if obj.doc else ""
            if summary:
                lines.append("")
                lines.extend(_clip(_LINK_RE.sub(r"\1", summary), 6))
            doc_links = obj.links
        # a module: its members' sections first (the module's name alone is ambiguous: `responses=`)
        symbols = [*_module_member_symbols(obj, public, db), public]

    links = _links_for(symbols, doc_links, docs, options.max_links)
    # a catalog summary stands in when the package had no docstring (Query, Path, ...); not for a
    # module, whose first link is only one of its members' pages
    undocumented = not any(line for line in lines[1:] if line and not line.startswith(("```", "**Deprecated")))
    if docs is not None and links and undocumented and not (obj is not None and obj.kind == "module"):
        first = links[0].section
        if first is not None and first.summary:
            lines.extend(["", first.summary])
    if options.excerpt and docs is not None and links and links[0].section is not None:
        rich = docs.rich_section(links[0].section)
        if rich is not None:
            excerpt = docs.excerpt(rich, max_lines=2)
            if excerpt:
                lines.append("")
                lines.extend(("> " + ln if md else ln) for ln in excerpt.splitlines()[:2])
    if links:
        lines.append("")
        if md:
            lines.append("**Docs:** " + " · ".join(f"[{link.title}]({link.url})" for link in links))
        else:
            lines.append("Docs:")
            lines.extend(f"  {link.title}: {link.url}" for link in links)

    if len(lines) > MAX_LINES:
        head = lines[: MAX_LINES - 2]
        if sum(1 for ln in head if ln == "```") % 2:
            head.append("```")
        lines = head + ["…"] + lines[-1:]
    text = "\n".join(lines).strip()
    return text if md else _plain(text)


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
