"""Completion of dependencies inside ``Depends(|`` / ``Security(|``: the module's (and imported)
callables that can be dependencies, never data models."""

from __future__ import annotations

import logging
from dataclasses import replace

from .analysis import absolute_import
from .completion_defs import DefInfo, ModuleDefs
from .completion_docs import _code, _links_line
from .completion_model import (
    _MAX_DEPENDENCIES,
    _MODEL_PACKAGES,
    Item,
    Request,
    _defs,
)
from .completion_scan import TextContext

log = logging.getLogger(__name__)


def dependency_items(req: Request, ctx: TextContext) -> list[Item]:
    analysis = req.snapshot.analysis
    if analysis is None:
        return []
    defs = _defs(analysis)
    old_line = req.snapshot.old(req.line)
    enclosing = {f.def_name for f in ctx.frames if f.def_name}
    candidates: list[tuple[DefInfo, str]] = []
    for info in defs.defs.values():
        if info.route or info.context_manager or info.name in enclosing or is_model(req, info, defs):
            continue
        if info.kind == "function" and info.line <= old_line <= info.end_line:
            continue  # the function being written
        candidates.append((info, ""))
    for module, name, asname, _line in defs.imports:
        if module.lstrip(".").split(".", 1)[0] in ("fastapi", "starlette", "typing", "typing_extensions", "pydantic"):
            continue
        info = imported_def(req, module, name)
        if info is not None and not info.route and not info.context_manager and not is_model(req, info, defs):
            candidates.append((replace(info, name=asname), module))
    if req.snapshot.map is not None:
        known = {c[0].name for c in candidates}
        for name, new_line in req.snapshot.map.new_top_defs(req.snapshot.lines):
            if name not in known and name not in enclosing and new_line != req.line:
                candidates.append((DefInfo(name=name, kind="function", line=req.snapshot.old(new_line), end_line=req.snapshot.old(new_line)), ""))
    items = []
    candidates.sort(key=lambda c: (c[0].score() + (10 if not c[1] and c[0].line > old_line else 0), c[0].name.lower()))
    del candidates[_MAX_DEPENDENCIES:]
    md = req.options.markdown
    link = _links_line(["fastapi.Depends"], req.docs, md)
    for rank, (info, module) in enumerate(candidates):
        if info.kind == "instance":
            detail = f"{info.name}: {info.instance_of}"
            code = f"{info.name} = {info.instance_of}(...)"
        elif info.kind == "class":
            detail = f"class {info.name}{info.signature}"
            code = detail
        else:
            detail = f"def {info.name}{info.signature}"
            code = detail
        facts = []
        if info.has_yield:
            facts.append("Uses `yield`: the code after it runs once the response is sent (cleanup)." if md else "Uses yield: the code after it runs once the response is sent (cleanup).")
        if info.kind == "instance":
            facts.append(f"Instance of `{info.instance_of}`: FastAPI calls it with the request." if md else f"Instance of {info.instance_of}: FastAPI calls it with the request.")
        elif info.kind == "class":
            facts.append("A class: FastAPI calls it and passes the instance." if md else "A class: FastAPI calls it and passes the instance.")
        if module:
            where = f"Imported from `{module}`." if md else f"Imported from {module}."
        else:
            defined = req.snapshot.new(info.line)
            where = f"Defined at line {(info.line if defined is None else defined) + 1}."
        # the detail line shows the signature already, unless it had to be shortened
        doc = [_code(code, md), "", where] if len(detail) > 100 or code != detail else [where]
        if info.doc:
            doc += ["", info.doc]
        if facts:
            doc += [""] + facts
        if link:
            doc += ["", link]
        items.append(
            Item(
                label=info.name,
                kind={"function": "function", "class": "class", "instance": "variable"}[info.kind],
                detail=detail if len(detail) <= 100 else detail[:97] + "...",
                insert=info.name,
                filter=info.name,
                sort=f"0{rank:03d}",
                preselect=rank == 0,
                description=module or None,
                documentation="\n".join(doc),
            )
        )
    return items


def is_model(req: Request, info: DefInfo, defs: ModuleDefs) -> bool:
    """A class deriving from a data model (pydantic, SQLModel, an ORM base), here or imported."""
    if info.kind != "class":
        return False
    for base in info.bases:
        if base in defs.models:
            return True
        for module, name, asname, _line in defs.imports:
            if asname != base:
                continue
            if module.lstrip(".").split(".", 1)[0] in _MODEL_PACKAGES:
                return True
            other = imported_defs(req, module)
            if other is not None and name in other.models:
                return True
    return False


def imported_def(req: Request, module: str, name: str) -> DefInfo | None:
    other = imported_defs(req, module)
    return other.defs.get(name) if other is not None else None


def imported_defs(req: Request, module: str) -> ModuleDefs | None:
    if req.workspace is None:
        return None
    level = len(module) - len(module.lstrip("."))
    is_package = req.snapshot.analysis.is_package if req.snapshot.analysis is not None else False
    absolute = absolute_import(req.module_name, module[level:], level, is_package)
    if not absolute:
        return None
    try:
        path = req.workspace.path_for_module(absolute)
        if path is None:
            return None
        other = req.workspace.analysis_for(path)
    except Exception:  # another module's analysis must not break completion
        log.debug("completion: cannot read the module %s", absolute, exc_info=True)
        return None
    if other is None:
        return None
    return _defs(other)

