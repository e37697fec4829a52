"""API documentation of the installed ``fastapi`` and ``starlette``, read statically.

``extract_api`` walks both packages with griffe + griffe-typingdoc (which reads FastAPI's
``Annotated[..., Doc("...")]`` parameter docs) and produces plain, JSON-friendly records.
Nothing of the user's environment is imported or executed.

Extraction costs ~1-2 s of CPU and ~100 MB while griffe holds the trees, so the server runs
it in a child process (``python -m fastapi_docs_lsp.core.apidb OUT SITE...``) and keeps only
the compact result, cached on disk per fastapi/starlette version. On a cold cache a first,
partial extraction (``extract_quick``: griffe on the modules of what ``fastapi`` exports only,
in parallel children, ``--quick=GROUP``) is in use well before it; its records are the full
extraction's for the same objects.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from collections.abc import Iterable

from . import files
from .files import read_regular_bytes, read_regular_text, regular_file_size

log = logging.getLogger(__name__)

SCHEMA_VERSION = 6
PACKAGES = ("fastapi", "starlette")
_DOC_LIMIT = 1800
#: a package module larger than this is not a real fastapi/starlette module
_MAX_SOURCE_BYTES = 4_000_000

#: ``[text](https://...)`` links in docstrings and ``Doc()`` texts (also used by the hover
#: renderer). Bounded and bracket-free, so a hostile docstring full of ``[`` stays linear.
LINK_RE = re.compile(r"\[([^\[\]]{1,300})\]\((https?://[^)\s]{1,500})\)")
_READ_MORE_RE = re.compile(
    r"(?:You can )?Read more (?:about it )?in the\s*\[[^\[\]]{1,300}\]\([^()]{1,500}\)\.?", re.IGNORECASE
)
_BLANK_LINES_RE = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(slots=True)
class ParamInfo:
    name: str
    kind: str  # "positional-only" | "positional or keyword" | "keyword-only" | "variadic positional" | "variadic keyword"
    annotation: str = ""
    default: str | None = None
    doc: str = ""
    deprecated: str | None = None


@dataclass(slots=True)
class ApiObject:
    path: str  # canonical path (where it is defined)
    public: str  # how users import it
    kind: str  # module | class | function | method | attribute | property
    signature: str = ""
    summary: str = ""
    doc: str = ""
    params: list[ParamInfo] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    members: dict[str, str] = field(default_factory=dict)  # name -> canonical path (inherited included)
    type: str | None = None  # canonical class of an attribute/property value, or of a function's return
    links: list[tuple[str, str]] = field(default_factory=list)
    deprecated: str | None = None
    value: str | None = None  # short literal value of a constant (status codes)

    def param(self, name: str) -> ParamInfo | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


# ---------------------------------------------------------------------------------------
# text helpers


def clean_doc(text: str) -> str:
    """Dedent a ``Doc()``/docstring text and drop its trailing 'Read more' link sentence."""
    import inspect

    text = inspect.cleandoc(text or "")
    if "read more" not in text.lower():
        return text.strip()
    pieces: list[str] = []
    pos = 0
    for m in _READ_MORE_RE.finditer(text):
        pieces.append(text[pos : m.start()].rstrip("\n"))
        pieces.append("\n\n")
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    pieces.append(text[pos:])
    return "".join(pieces).strip()


def extract_links(text: str) -> list[tuple[str, str]]:
    return [(t, u) for t, u in LINK_RE.findall(text or "") if "tiangolo.com" in u or "starlette" in u]


def first_paragraph(text: str) -> str:
    for para in _BLANK_LINES_RE.split(text.strip()):
        para = para.strip()
        if para and not para.startswith(("```", "#")):
            return " ".join(line.strip() for line in para.splitlines())
    return ""


def strip_annotated(annotation: str) -> tuple[str, str | None]:
    """``Annotated[int | None, Doc(...), deprecated("x")]`` -> (``int | None``, ``"x"``)."""
    if not annotation.startswith("Annotated["):
        return annotation, None
    try:
        node = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return annotation, None
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Tuple) or not node.slice.elts:
        return annotation, None
    first, *extra = node.slice.elts
    deprecated = None
    for e in extra:
        if isinstance(e, ast.Call) and getattr(e.func, "id", getattr(e.func, "attr", "")) == "deprecated":
            if e.args and isinstance(e.args[0], ast.Constant) and isinstance(e.args[0].value, str):
                deprecated = e.args[0].value.strip()
            else:
                deprecated = "deprecated"
    return ast.unparse(first), deprecated


def _format_default(default: Any) -> str | None:
    if default is None:
        return None
    text = str(default)
    return text if len(text) <= 60 else text[:57] + "..."


def _short_annotation(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= 80 else text[:77] + "..."


def format_signature(name: str, params: Iterable[ParamInfo], returns: str = "", limit: int = 8) -> str:
    """A readable one-or-multi-line signature without ``Annotated``/``Doc`` noise."""
    parts: list[str] = []
    star_done = False
    plist = [p for p in params if p.name not in ("self", "cls")]
    for p in plist[:limit]:
        if p.kind == "keyword-only" and not star_done:
            parts.append("*")
            star_done = True
        if p.kind == "variadic positional":
            star_done = True
            piece = f"*{p.name}"
        elif p.kind == "variadic keyword":
            piece = f"**{p.name}"
        else:
            piece = p.name
        if p.annotation:
            piece += f": {_short_annotation(p.annotation)}"
        if p.default is not None:
            piece += f" = {p.default}" if p.annotation else f"={p.default}"
        parts.append(piece)
    if len(plist) > limit:
        parts.append(f"...  # {len(plist) - limit} more")
    ret = f" -> {_short_annotation(returns)}" if returns else ""
    one_line = f"{name}({', '.join(parts)}){ret}"
    if len(one_line) <= 88:
        return one_line
    body = ",\n".join(f"    {p}" for p in parts)
    return f"{name}(\n{body}\n){ret}"


# ---------------------------------------------------------------------------------------
# extraction (runs with griffe; in a child process in the server)


def _canonical(expr: Any) -> str | None:
    """Canonical class path named by a griffe annotation expression, unwrapping Annotated/Optional."""
    try:
        from griffe import ExprName, ExprSubscript, ExprBinOp  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - griffe is a dependency
        return None
    if expr is None or isinstance(expr, str):
        return None
    if isinstance(expr, ExprName) or type(expr).__name__ == "ExprAttribute":  # `URL`, `routing.APIRouter`
        try:
            return expr.canonical_path
        except Exception:
            log.debug("no canonical path for %s", expr, exc_info=True)
            return None
    if isinstance(expr, ExprSubscript):
        left = getattr(expr.left, "name", str(expr.left))
        if left in ("Annotated", "Optional", "Union"):
            sl = expr.slice
            elements = getattr(sl, "elements", None) or [sl]
            for element in elements:
                found = _canonical(element)
                if found and found not in ("None", "builtins.None"):
                    return found
        return None
    if isinstance(expr, ExprBinOp) and expr.operator == "|":
        return _canonical(expr.left) or _canonical(expr.right)
    return None


def _decorator_deprecation(fn: Any) -> str | None:
    """The message of a ``@deprecated("...")`` decorator (typing_extensions / warnings)."""
    for decorator in getattr(fn, "decorators", None) or []:
        text = str(decorator.value)
        if not text.split("(", 1)[0].endswith("deprecated"):
            continue
        try:
            call = ast.parse(text, mode="eval").body
        except SyntaxError:
            return "deprecated"
        if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant):
            return " ".join(str(call.args[0].value).split())
        return "deprecated"
    return None


class _Extractor:
    """One extraction's memo: griffe objects are walked once, and a function's parameters are
    read once however many records need them (a class, its ``__init__``-documented attributes)."""

    def __init__(self) -> None:
        self._params: dict[int, tuple[ParamInfo, ...]] = {}

    def params_of(self, fn: Any) -> tuple[ParamInfo, ...]:
        """Raw parameters of a griffe function (docs not cleaned yet); memoised per function."""
        key = id(fn)
        found = self._params.get(key)
        if found is None:
            found = self._params[key] = tuple(_params_of(fn))
        return found

    def record(self, obj: Any, public: str) -> ApiObject:
        return _record(obj, public, self)


def _docstring_param_docs(fn: Any) -> dict[str, str]:
    docs: dict[str, str] = {}
    if fn.docstring is None:
        return docs
    try:
        for section in fn.docstring.parsed:
            if section.kind.value == "parameters":
                for p in section.value:
                    docs[p.name] = p.description or ""
    except Exception:  # a docstring griffe cannot parse: keep going without param docs
        log.debug("unparsable docstring of %s", getattr(fn, "path", "?"), exc_info=True)
    return docs


def _annotation_of(expr: Any) -> tuple[str, str | None]:
    """``strip_annotated`` of a griffe annotation expression, without turning the whole
    ``Annotated[..., Doc("<long text>")]`` into a string and parsing it back (most of the
    extraction's time went there)."""
    if expr is None:
        return "", None
    if isinstance(expr, str):
        return strip_annotated(expr)
    left = getattr(expr, "left", None)
    elements = getattr(getattr(expr, "slice", None), "elements", None)
    if type(expr).__name__ != "ExprSubscript" or str(left) not in ("Annotated", "typing.Annotated", "typing_extensions.Annotated") or not elements:
        return strip_annotated(str(expr))
    first, *extra = elements
    deprecated = None
    for e in extra:
        function = getattr(e, "function", None)
        if type(e).__name__ != "ExprCall" or not str(function).split(".")[-1] == "deprecated":
            continue
        arguments = getattr(e, "arguments", None) or []
        deprecated = "deprecated"
        if arguments and isinstance(arguments[0], str):
            try:
                value = ast.literal_eval(arguments[0])
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                value = None
            if isinstance(value, str):
                deprecated = value.strip()
    annotation, _ = strip_annotated(str(first))
    return _normalise(annotation), deprecated


def _normalise(annotation: str) -> str:
    """The annotation as ``ast.unparse`` writes it (griffe keeps the source's quotes and line
    breaks; everything else it already writes the same way)."""
    if '"' not in annotation and "\n" not in annotation:
        return annotation
    try:
        return ast.unparse(ast.parse(annotation, mode="eval").body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return annotation


def _params_of(fn: Any) -> list[ParamInfo]:
    docs = _docstring_param_docs(fn)
    out = []
    for p in fn.parameters:
        annotation, deprecated = _annotation_of(p.annotation)
        out.append(
            ParamInfo(
                name=p.name,
                kind=str(p.kind.value),
                annotation=annotation,
                default=_format_default(p.default),
                doc=docs.get(p.name, "").strip(),
                deprecated=deprecated,
            )
        )
    return out


def _doc_of(obj: Any) -> str:
    try:
        return obj.docstring.value if obj.docstring is not None else ""
    except Exception:
        log.debug("no docstring for %s", getattr(obj, "path", "?"), exc_info=True)
        return ""


def _final(member: Any) -> Any | None:
    """The object a member stands for (an alias's final target), or ``None`` if unresolvable."""
    try:
        return member.final_target if member.is_alias else member
    except Exception:  # an alias to something not loaded (another package)
        log.debug("unresolved alias %s", getattr(member, "path", "?"), exc_info=True)
        return None


def _all_members(obj: Any) -> dict[str, Any]:
    """A class's members, inherited included (its own only when a base cannot be resolved)."""
    try:
        return obj.all_members
    except Exception:
        log.debug("inherited members of %s unavailable", getattr(obj, "path", "?"), exc_info=True)
        return obj.members


def public_members(members: dict[str, Any]) -> Iterable[tuple[str, Any, Any | None]]:
    """``(name, member, final target or None)`` of every public member (no leading ``_``).

    The one walk over griffe members, used for module and class member maps and for the
    records of class members."""
    for name, member in members.items():
        if name.startswith("_"):
            continue
        yield name, member, _final(member)


def _init_of(cls: Any, members: dict[str, Any]) -> Any | None:
    init = _final(members["__init__"]) if "__init__" in members else None
    return init if init is not None and init.kind.value == "function" else None


def _record(obj: Any, public: str, ex: _Extractor) -> ApiObject:
    kind = obj.kind.value
    labels = getattr(obj, "labels", set()) or set()
    raw_doc = _doc_of(obj)
    record = ApiObject(path=obj.path, public=public, kind=kind)
    params: tuple[ParamInfo, ...] = ()
    if kind == "function":
        if obj.parent is not None and obj.parent.kind.value == "class":
            record.kind = "property" if "property" in labels else "method"
        record.deprecated = _decorator_deprecation(obj)
        params = ex.params_of(obj)
        returns, _ = _annotation_of(obj.returns)
        record.type = _canonical(obj.returns)
        record.signature = format_signature(obj.name, params, returns)
        if record.kind == "property":
            record.signature = f"{obj.name}: {returns}" if returns else obj.name
            params = ()
    elif kind == "class":
        members = _all_members(obj)
        init = _init_of(obj, members)
        if init is not None:
            params = ex.params_of(init)
            if not raw_doc:
                raw_doc = _doc_of(init)
        record.signature = format_signature(f"class {obj.name}", params)
        for base in obj.bases:
            canonical = _canonical(base) if not isinstance(base, str) else base
            if canonical:
                record.bases.append(canonical)
        for name, _member, target in public_members(members):
            if target is not None:
                record.members[name] = target.path
    elif kind == "attribute":
        annotation, record.deprecated = _annotation_of(obj.annotation)
        record.type = _canonical(obj.annotation)
        value = obj.value
        if value is not None and len(str(value)) <= 40:
            record.value = str(value)
        record.signature = f"{obj.name}: {annotation}" if annotation else obj.name
        if record.value and not annotation:
            record.signature = f"{obj.name} = {record.value}"
        if not raw_doc and obj.parent is not None and obj.parent.kind.value == "class":
            # FastAPI documents instance attributes through the __init__ parameter of that name
            init = _init_of(obj.parent, obj.parent.members)
            for p in ex.params_of(init) if init is not None else ():
                if p.name == obj.name:
                    raw_doc = p.doc
                    if not annotation:
                        record.signature = f"{obj.name}: {p.annotation}"
    elif kind == "module":
        for name, member, target in public_members(obj.members):
            if target is not None:
                record.members[name] = target.path
            elif member.is_alias:
                record.members[name] = member.target_path
    record.links = extract_links(raw_doc)
    doc = clean_doc(raw_doc)
    record.doc = doc[:_DOC_LIMIT]
    record.summary = first_paragraph(doc)
    record.params = [_finished_param(p) for p in params]
    return record


def _finished_param(raw: ParamInfo) -> ParamInfo:
    """A parameter as stored: its doc cleaned and cut, its own "Read more" link kept (the best
    anchor for it)."""
    p_links = extract_links(raw.doc)
    doc = clean_doc(raw.doc)[:_DOC_LIMIT]
    if p_links:
        doc += "".join(f"\n\n[{t}]({u})" for t, u in p_links[:1])
    return ParamInfo(raw.name, raw.kind, raw.annotation, raw.default, doc, raw.deprecated)


def _as_dict(record: ApiObject) -> dict[str, Any]:
    """``dataclasses.asdict`` for a record, without its deep copies (a quarter of the time)."""
    out = {name: getattr(record, name) for name in _RECORD_FIELDS}
    out["params"] = [{name: getattr(p, name) for name in _PARAM_FIELDS} for p in record.params]
    out["links"] = [list(link) for link in record.links]
    out["bases"] = list(record.bases)
    out["members"] = dict(record.members)
    return out


_RECORD_FIELDS = tuple(f.name for f in fields(ApiObject))
_PARAM_FIELDS = tuple(f.name for f in fields(ParamInfo))


def _public_rank(path: str) -> tuple[int, int, int]:
    parts = path.split(".")
    private = any(p.startswith("_") for p in parts)
    return (private, 0 if parts[0] == "fastapi" else 1, len(parts))


def extract_api(search_paths: list[str]) -> dict[str, Any]:
    """Load fastapi + starlette from ``search_paths`` with griffe and return the JSON payload."""
    import griffe

    extensions = griffe.load_extensions("griffe_typingdoc")
    loader = griffe.GriffeLoader(extensions=extensions, search_paths=list(search_paths), allow_inspection=False)
    roots = {}
    for package in PACKAGES:
        try:
            roots[package] = loader.load(package, try_relative_path=False)
        except Exception as exc:  # missing or broken: record and continue
            log.warning("could not read %s: %s", package, exc, exc_info=log.isEnabledFor(logging.DEBUG))
    try:
        loader.resolve_aliases(implicit=True, external=False)
    except Exception as exc:
        log.warning("alias resolution incomplete: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))
    return _payload(roots)


def _payload(roots: dict[str, Any], wanted: set[str] | None = None) -> dict[str, Any]:
    """The JSON payload of loaded griffe packages: every object, or (``wanted``: the first,
    partial extraction) only the objects named there, their class members, and the modules
    whose members all resolved."""
    objects: dict[str, Any] = {}
    aliases: dict[str, str] = {}  # any visible path -> canonical path
    public: dict[str, str] = {}  # canonical -> best public path

    def offer(visible: str, canonical: str) -> None:
        current = public.get(canonical)
        if current is None or _public_rank(visible) < _public_rank(current):
            public[canonical] = visible

    def walk(module: Any) -> None:
        objects[module.path] = module
        offer(module.path, module.path)
        exported = _reexported_names(module)
        for name, member in list(module.members.items()):
            if name.startswith("_") and name != "__init__":
                continue
            visible = f"{module.path}.{name}"
            if member.is_alias:
                target = _final(member)
                if target is None or not target.path.startswith(PACKAGES):
                    continue
                aliases[visible] = target.path
                if not name.startswith("_") and name in exported:
                    offer(visible, target.path)
                continue
            if member.kind.value == "module":
                if not name.startswith("_"):
                    walk(member)
                continue
            objects[member.path] = member
            offer(visible, member.path)

    for root in roots.values():
        walk(root)

    ex = _Extractor()
    records: dict[str, dict[str, Any]] = {}
    for canonical, obj in list(objects.items()):
        if wanted is not None and canonical not in wanted and obj.kind.value != "module":
            continue
        pub = public.get(canonical, canonical)
        try:
            records[canonical] = _as_dict(ex.record(obj, pub))
        except Exception as exc:
            log.debug("skipping %s: %s", canonical, exc, exc_info=True)
            continue
        if obj.kind.value != "class":
            continue
        for name, _member, target in public_members(_all_members(obj)):
            if target is None or target.path in records or target.kind.value not in ("function", "attribute"):
                continue
            owner_pub = public.get(target.parent.path, target.parent.path) if target.parent else pub
            try:
                records[target.path] = _as_dict(ex.record(target, f"{owner_pub}.{name}"))
            except Exception as exc:
                log.debug("skipping member %s: %s", target.path, exc, exc_info=True)

    versions = {}
    for package in PACKAGES:
        versions[package] = _version_of(roots.get(package))
    payload = {
        "schema": SCHEMA_VERSION,
        "versions": versions,
        "objects": records,
        "aliases": aliases,
    }
    if wanted is not None:
        payload["partial"] = True
        # a module member pointing into a module not read here: its final path is not known
        # yet (``merge_quick`` fills it in from another partial payload, or drops the record)
        unresolved: dict[str, list[str]] = {}
        for canonical, obj in objects.items():
            if canonical in records and obj.kind.value == "module":
                names = _unresolved_members(obj)
                for name in names:
                    records[canonical]["members"].pop(name, None)
                if names:
                    unresolved[canonical] = names
        payload["unresolved"] = unresolved
    return payload


def _unresolved_members(module: Any) -> list[str]:
    """Public members of ``module`` that point into fastapi/starlette but did not resolve."""
    return [
        name
        for name, member, target in public_members(module.members)
        if target is None and member.is_alias and member.target_path.startswith(PACKAGES)
    ]


def merge_quick(payloads: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One first, partial payload from those of the ``QUICK_GROUPS`` children: records and
    aliases together, and each module's members that one child could not resolve taken from
    the aliases another one resolved (a module whose members stay unknown is left out)."""
    payloads = [p for p in payloads if p]
    if not payloads:
        return None
    objects: dict[str, dict[str, Any]] = {}
    aliases: dict[str, str] = {}
    unresolved: dict[str, list[str]] = {}
    for payload in payloads:
        aliases.update(payload.get("aliases", {}))
        missing_of = payload.get("unresolved", {})
        for path, record in payload.get("objects", {}).items():
            missing = missing_of.get(path, [])
            if path not in objects or len(missing) < len(unresolved.get(path, [])):
                objects[path] = record
                unresolved[path] = missing
    for path, names in unresolved.items():
        for name in names:
            target = aliases.get(f"{path}.{name}")
            if target is None:
                del objects[path]
                break
            objects[path]["members"][name] = target
    return {
        "schema": payloads[0].get("schema"),
        "versions": payloads[0].get("versions", {}),
        "objects": objects,
        "aliases": aliases,
        "partial": True,
    }


#: what the first, partial extraction reads: all that ``fastapi`` exports, and these modules
#: (with the objects they export). It runs as parallel children, one per group: the names
#: of ``fastapi``'s exports (a dotted name: a module) each reads, ``"*"``: the exports no
#: other group names. ``FastAPI`` and ``APIRouter`` are each about a fifth of the packages'
#: source: each has a child of its own (the parameter functions come first anyway: apifast).
QUICK_GROUPS: tuple[tuple[str, ...], ...] = (("FastAPI",), ("APIRouter",), ("*", "fastapi.responses", "fastapi.security"))
#: at most this many modules in the first extraction (a fastapi whose exports reach further
#: is read in full only)
_QUICK_MAX_MODULES = 60


def extract_quick(search_paths: list[str], group: int | None = None) -> dict[str, Any]:
    """The first, partial payload: what ``fastapi`` exports (``FastAPI``, ``APIRouter``,
    ``Query`` ..., ``Request``, ``status``) and the modules named in ``QUICK_GROUPS``, with their members
    (only the part of ``QUICK_GROUPS[group]`` when ``group`` is given; ``merge_quick`` joins them).

    griffe reads only the modules these live in (and those of their base classes), about
    half of the packages' source, so it is ready in a fraction of the full extraction's time.
    Every record in it is the one the full extraction makes for the same object (the tests
    check it): a hover answered from it is the final answer."""
    import griffe
    from griffe_typingdoc import TypingDocExtension

    loader = griffe.GriffeLoader(search_paths=list(search_paths), allow_inspection=False)
    roots: dict[str, Any] = {}
    folders: dict[str, Path] = {}
    for package in PACKAGES:
        try:
            roots[package] = loader.load(package, submodules=False, try_relative_path=False)
        except Exception as exc:  # missing or broken: the full extraction reports it
            log.debug("quick extraction: could not read %s: %s", package, exc, exc_info=True)
            continue
        filepath = roots[package].filepath
        if not isinstance(filepath, Path) or filepath.name != "__init__.py":
            raise ValueError(f"{package} is not a regular package")
        folders[package] = filepath.parent
    loaded: set[str] = set(roots)

    def module_file(path: str) -> Path | None:
        package, *parts = path.split(".")
        folder = folders.get(package)
        if folder is None or not parts:
            return None
        as_file = folder.joinpath(*parts[:-1], parts[-1] + ".py")
        if as_file.is_file():
            return as_file
        as_package = folder.joinpath(*parts, "__init__.py")
        return as_package if as_package.is_file() else None

    def ensure_module_of(path: str) -> None:
        """Load the module holding ``path`` (and its parent packages), if it is in the packages."""
        parts = path.split(".")
        if parts[0] not in roots:
            return
        for end in range(2, len(parts) + 1):
            name = ".".join(parts[:end])
            if name in loaded:
                continue
            filepath = module_file(name)
            if filepath is None:
                return  # not a module: an object inside the previous one
            if len(loaded) >= _QUICK_MAX_MODULES:
                raise ValueError("the first extraction would read too many modules")
            loader._load_submodule(roots[parts[0]], tuple(parts[1:end]), filepath)  # pyright: ignore[reportPrivateUsage]
            loaded.add(name)

    def lookup(path: str) -> Any | None:
        try:
            return loader.modules_collection.get_member(path)
        except Exception:  # not there (yet)
            log.debug("not loaded: %s", path, exc_info=True)
            return None

    wanted: set[str] = set()
    names = [name for name in (roots["fastapi"].members if "fastapi" in roots else {}) if not name.startswith("_")]
    named = {n for spec in QUICK_GROUPS for n in spec}
    queue: list[str] = []
    if group is None:  # all groups at once
        queue += [n for n in named if "." in n]
    else:
        spec = QUICK_GROUPS[group]
        names = [n for n in names if n in spec or ("*" in spec and n not in named)]
        queue += [n for n in spec if "." in n]
    for name in names:
        member = roots["fastapi"].members[name]
        queue.append(member.target_path if member.is_alias else member.path)
    seen: set[str] = set()
    while queue:
        path = queue.pop()
        if path in seen or not path.startswith(PACKAGES):
            continue
        seen.add(path)
        ensure_module_of(path)
        obj = lookup(path)
        if obj is None:
            continue
        if obj.is_alias:
            queue.append(obj.target_path)
            continue
        wanted.add(obj.path)
        kind = obj.kind.value
        if kind == "module" and obj.path not in roots:
            queue += [m.target_path if m.is_alias else m.path for n, m in obj.members.items() if not n.startswith("_")]
        elif kind == "class":
            for base in obj.bases:
                canonical = _canonical(base) if not isinstance(base, str) else base
                if canonical:
                    queue.append(canonical)
    for root in roots.values():
        loader.expand_exports(root)
        loader.expand_wildcards(root, external=False)
    typingdoc = TypingDocExtension()
    for path in sorted(wanted):  # the Doc() texts of what is wanted (and its members) only
        obj = lookup(path)
        if obj is not None:
            typingdoc.on_package(pkg=obj)
    loader.resolve_aliases(implicit=True, external=False)
    payload = _payload(roots, wanted)
    # a package's record names all its submodules, loaded here or not
    for path, record in payload["objects"].items():
        if record["kind"] == "module":
            filepath = module_file(path) if "." in path else folders[path] / "__init__.py"
            if filepath is not None and filepath.name == "__init__.py":
                for name in _submodule_names(filepath.parent):
                    record["members"].setdefault(name, f"{path}.{name}")
    return payload


def _submodule_names(folder: Path) -> list[str]:
    """Public submodule names of a package folder, as griffe finds them."""
    names = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return names
    for entry in entries:
        stem = entry.name[:-3] if entry.name.endswith(".py") else entry.name
        if stem.startswith("_") or not stem.isidentifier():
            continue
        if (entry.name.endswith(".py") and entry.is_file()) or (entry / "__init__.py").is_file():
            names.append(stem)
    return names


_AS_SAME_RE = re.compile(r"\b(\w+)\s+as\s+\1\b")


def _reexported_names(module: Any) -> set[str]:
    """Names a module deliberately re-exports: ``__all__``, ``X as X`` imports, or a package's ``__init__``."""
    names: set[str] = set()
    try:
        if module.filepath and Path(module.filepath).name == "__init__.py":
            return set(module.members)
        source = read_regular_text(module.filepath, _MAX_SOURCE_BYTES) or ""
    except Exception:
        log.debug("no source for %s", getattr(module, "path", "?"), exc_info=True)
        return names
    for line in source.splitlines():
        if " as " in line:  # the regex only on the few lines that can match
            names.update(_AS_SAME_RE.findall(line))
    try:
        exports = module.exports or ()
        names.update(e if isinstance(e, str) else getattr(e, "name", str(e)) for e in exports)
    except Exception:
        log.debug("no __all__ for %s", getattr(module, "path", "?"), exc_info=True)
    return names


def _version_of(module: Any) -> str | None:
    if module is None:
        return None
    try:
        value = module.members["__version__"].value
        return str(value).strip("'\"")
    except Exception:
        log.debug("no __version__ in %s", getattr(module, "path", "?"), exc_info=True)
        return None


# ---------------------------------------------------------------------------------------
# the compact, queryable database used by the server


class ApiDB:
    """Look-ups over the extracted API records (no griffe needed at run time)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.versions: dict[str, str | None] = payload.get("versions", {})
        self._objects: dict[str, ApiObject] = {}
        # JSON decoding makes a new string for every value: member paths, annotations and the
        # parameter docs FastAPI repeats on every method (get, post, ...) would be held many
        # times over (~1.4 MB). One copy of each.
        memo: dict[str, str] = {}

        def one(value: Any) -> Any:
            if isinstance(value, str):
                return memo.setdefault(value, value)
            if isinstance(value, list):
                return [one(v) for v in value]
            if isinstance(value, dict):
                return {one(k): one(v) for k, v in value.items()}
            return value

        for path, raw in payload.get("objects", {}).items():
            raw = {k: one(v) for k, v in raw.items() if k not in ("params", "links")} | {
                "params": [ParamInfo(**{k: one(v) for k, v in p.items()}) for p in raw.get("params", [])],
                "links": [tuple(one(x)) for x in raw.get("links", [])],
            }
            self._objects[one(path)] = ApiObject(**raw)
        self._aliases: dict[str, str] = dict(payload.get("aliases", {}))
        # public path -> canonical, so user-facing paths resolve too
        for path, obj in self._objects.items():
            if obj.public != path:
                self._aliases.setdefault(obj.public, path)

    @classmethod
    def empty(cls) -> ApiDB:
        return cls({})

    def __len__(self) -> int:
        return len(self._objects)

    def canonical(self, path: str) -> str | None:
        if path in self._objects:
            return path
        seen = 0
        while path in self._aliases and seen < 8:
            path = self._aliases[path]
            seen += 1
            if path in self._objects:
                return path
        # member of an aliased owner: fastapi.FastAPI.get -> fastapi.applications.FastAPI.get
        owner, _, name = path.rpartition(".")
        if owner and owner != path:
            owner_canonical = self.canonical(owner) if owner in self._aliases else None
            if owner_canonical:
                obj = self._objects.get(owner_canonical)
                if obj and name in obj.members:
                    return obj.members[name]
        return None

    def get(self, path: str) -> ApiObject | None:
        canonical = self.canonical(path)
        return self._objects.get(canonical) if canonical else None

    def member(self, owner: str, name: str) -> ApiObject | None:
        obj = self.get(owner)
        if obj is None:
            return None
        target = obj.members.get(name)
        if target:
            return self._objects.get(target)
        return None

    def objects(self) -> Iterable[ApiObject]:
        return self._objects.values()

    def deprecated_params(self) -> dict[str, dict[str, str]]:
        """public callable path -> {param: deprecation message} for every deprecated parameter."""
        out: dict[str, dict[str, str]] = {}
        for obj in self._objects.values():
            for p in obj.params:
                if p.deprecated:
                    out.setdefault(obj.public, {})[p.name] = p.deprecated
        return out


#: an API payload is ~1.5 MB; anything far larger in the cache folder is not ours
_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024


def load_payload(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(read_regular_bytes(path, _MAX_PAYLOAD_BYTES))
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("ignoring unreadable API cache %s: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        return None
    return data


def check_packages(search_paths: list[str]) -> str | None:
    """Why fastapi/starlette under ``search_paths`` must not be read, or ``None``.

    griffe reads every module file of a package: a module that is a FIFO, a device or a
    symlink to ``/dev/zero`` (a hostile ``.venv`` can hold one) would block or fill memory."""
    for package in PACKAGES:
        for base in search_paths:
            folder = Path(base) / package
            if not folder.is_dir():
                continue
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = [d for d in dirnames if d != "__pycache__"]
                for name in filenames:
                    if name.endswith((".py", ".pyi")):
                        full = os.path.join(dirpath, name)
                        size = regular_file_size(full)
                        if size is None:
                            return f"{full} is not a regular file"
                        if size > _MAX_SOURCE_BYTES:
                            return f"{full} is {size} bytes, over the {_MAX_SOURCE_BYTES}-byte limit"
            break  # the first folder holding the package is the one griffe reads
    return None


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (``files.write_atomically``)."""
    files.write_atomically(path, lambda fh: fh.write(text.encode("utf-8")))


def _run(out: str, paths: list[str], quick: bool, group: int | None) -> int:
    """One extraction into ``out``; its exit code (``check_packages`` already passed)."""
    if quick:  # the first, partial payload; the full extraction (another child) reports problems
        write_atomically(Path(out), json.dumps(extract_quick(paths, group)))
        return 0
    payload = extract_api(paths)
    if any((Path(p) / "fastapi").is_dir() for p in paths) and not any(k.startswith("fastapi.") for k in payload["objects"]):
        # nothing cached: the next start tries again (the install may be fixed by then)
        print("no API found in the installed fastapi package: griffe could not read it (see the lines above)", file=sys.stderr)
        return 4
    write_atomically(Path(out), json.dumps(payload))
    return 0


def _batch(jobs: list[Any], paths: list[str]) -> int:
    """Several extractions, one forked worker each, after griffe is imported once (``--batch``).

    ``jobs``: ``[out, group, nice]`` lists, ``group`` an int (a ``QUICK_GROUPS`` part), ``-1``
    (every quick group) or ``None`` (the full extraction). The interpreter's start and griffe's
    import are paid once instead of once per child; the workers share them copy-on-write. This
    process has no threads when it forks. It reports on stdout, one line each: ``start I PID``
    when job ``I`` runs, ``exit I CODE`` when it is over (``ApiJob`` reads them).
    Quick workers write nothing to stderr (the full extraction reports the problems)."""
    running: dict[int, int] = {}
    for index, (out, group, nice) in enumerate(jobs):
        pid = os.fork()  # pyright: ignore[reportAttributeAccessIssue] - only where os.fork exists (ApiJob checks)
        if pid == 0:
            code = 1
            try:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)  # stdout is the report channel: the workers leave it alone
                if group is not None:
                    os.dup2(null, 2)
                if nice:
                    os.nice(int(nice))
                code = _run(str(out), paths, group is not None, None if group in (None, -1) else int(group))
            except BaseException:  # noqa: BLE001 - a worker: report on stderr and exit with a code
                import traceback

                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        running[pid] = index
        print(f"start {index} {pid}", flush=True)
    while running:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        index = running.pop(pid, None)
        if index is not None:
            print(f"exit {index} {os.waitstatus_to_exitcode(status)}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Child-process entry point: ``python -m fastapi_docs_lsp.core.apidb [--quick] OUT SEARCH_PATH...``
    (``--quick``: the first, partial payload of ``extract_quick``), or ``... --batch`` (several,
    forked: ``_batch``), which imports griffe, then reads ``{"jobs": [...], "search": [...]}``
    as one line on stdin (nothing: it exits). It may start before the server knows what to
    read (``apijob.prestart``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    batch: list[Any] | None = None
    quick = bool(argv) and argv[0].startswith("--quick")
    group: int | None = None
    if quick:
        option, argv = argv[0], argv[1:]
        if option.startswith("--quick="):
            group = int(option.split("=", 1)[1])
    elif argv[:1] == ["--batch"]:
        import griffe  # noqa: F401 - before the jobs are known (and before forking): the point of the batch
        import griffe_typingdoc  # noqa: F401

        line = sys.stdin.readline()
        if not line.strip():
            return 0  # not needed after all
        spec = json.loads(line)
        batch, argv = list(spec["jobs"]), ["-", *spec["search"]]
    if not argv:
        print("usage: python -m fastapi_docs_lsp.core.apidb [--quick[=GROUP]] OUT.json SEARCH_PATH...", file=sys.stderr)
        return 2
    out, *paths = argv
    refused = check_packages(paths)
    if refused:
        print(f"not reading this fastapi/starlette install: {refused}", file=sys.stderr)
        return 3
    if batch is not None:
        return _batch(batch, paths)
    return _run(out, paths, quick, group)


if __name__ == "__main__":
    raise SystemExit(main())
