"""Completion of path parameters in the signature of a path operation function."""

from __future__ import annotations

from .completion_docs import _links_line
from .completion_model import (
    _COMMENT,
    _CONVERTORS,
    _DECORATOR,
    _NAME_POSITION,
    _PATH_TEMPLATE,
    _WORD_BEFORE,
    ROUTE_METHODS,
    Completion,
    Edit,
    Item,
    Request,
    _clean,
    _defs,
)
from .completion_scan import Frame, scan_forward


def path_parameters(req: Request, top: Frame) -> Completion | None:
    current = _clean(top.current)
    if not _NAME_POSITION.match(current):
        return None
    templates = route_templates(req, top.line)
    if not templates:
        return None
    declared = top.param_names() | scan_forward(req.snapshot.lines, req.line, req.col)[1]
    typed = _WORD_BEFORE.search(current).group()  # type: ignore[union-attr]
    declared.discard(typed)
    items = []
    seen: set[str] = set()
    for path in templates:
        for m in _PATH_TEMPLATE.finditer(path):
            name, convertor = m.group(1), m.group(2) or "str"
            if name in declared or name in seen:
                continue
            seen.add(name)
            annotation, edits = annotation_for(req, _CONVERTORS.get(convertor, "str"))
            doc_lines = [
                f"Path parameter `{name}` of `{path}`" if req.options.markdown else f"Path parameter {name} of {path}",
                "",
                f"Starlette converter `{convertor}` → `{annotation}`." if m.group(2) else "No converter in the template: declare the type FastAPI should validate and convert to.",
            ]
            link = _links_line(["fastapi.Path"], req.docs, req.options.markdown)
            if link:
                doc_lines += ["", link]
            items.append(
                Item(
                    label=name,
                    kind="path",
                    detail=f"{name}: {annotation}  (path parameter)",
                    insert=f"{name}: {annotation}",
                    snippet=f"{name}: ${{1:{annotation}}}",
                    filter=name,
                    sort=f"0{len(items):03d}",
                    preselect=not items,
                    description=annotation,
                    documentation="\n".join(doc_lines),
                    edits=edits,
                )
            )
    return req.result("path_parameter", items)


def route_templates(req: Request, def_line: int) -> list[str]:
    """Path templates of the route decorators right above the ``def`` at ``def_line``."""
    lines = req.snapshot.lines
    if not 0 <= def_line < len(lines):
        return []
    head = lines[def_line]
    indent = len(head) - len(head.lstrip())
    collected: list[str] = []
    k = def_line - 1
    while k >= 0 and def_line - k <= 60:
        t = lines[k]
        s = t.strip()
        if not s:
            break
        if len(t) - len(t.lstrip()) <= indent and not s.startswith(("@", ")", "]", "}", "#")):
            break
        collected.append(t)
        k -= 1
    if not collected:
        return []
    text = _COMMENT.sub("", "\n".join(reversed(collected)))
    out = []
    for m in _DECORATOR.finditer(text):
        dotted, path = m.group(1), m.group(3)
        if "{" not in path:
            continue
        ref = req.snapshot.resolve(dotted, k + 1, req.db)
        if ref is None or ref.kind != "obj" or ref.path.rsplit(".", 1)[-1] not in ROUTE_METHODS:
            continue
        if ref.path.split(".", 1)[0] not in ("fastapi", "starlette"):
            continue
        out.append(path)
    return out


def annotation_for(req: Request, type_text: str) -> tuple[str, list[Edit]]:
    if type_text != "uuid.UUID":
        return type_text, []
    analysis = req.snapshot.analysis
    if analysis is not None:
        defs = _defs(analysis)
        if any(module == "uuid" and name == "UUID" for module, name, _asname, _line in defs.imports):
            return next(asname for module, name, asname, _line in defs.imports if module == "uuid" and name == "UUID"), []
        for bound, module in defs.modules.items():
            if module == "uuid":
                return f"{bound}.UUID", []
    edit = req.import_edit("from uuid import UUID")
    return "UUID", [edit] if edit else []

