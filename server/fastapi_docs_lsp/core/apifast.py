"""The very first API docs: FastAPI's parameter functions, read with ``ast`` in a few ms.

``Query``, ``Path``, ``Body``, ``Header``, ``Cookie``, ``Form``, ``File``, ``Depends`` and
``Security`` carry the ``Doc()`` texts users hover first (``max_length=``, ``alias=``...).
They are plain module-level functions whose parameters are ``Annotated[..., Doc("...")]``,
so a small reader makes exactly the record the griffe extraction makes for them (the tests
compare them), from one ~80 kB module, before any child process has even started griffe.

The reader is strict: a function it is not sure to read exactly as griffe + griffe-typingdoc
do (a decorator, a string in an annotation, a name bound twice in its module, a default that
is not a plain name or literal ...) is left out, and comes with the griffe extractions.
Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import inspect
import logging
from pathlib import Path
from typing import Any

from .apidb import (
    _MAX_SOURCE_BYTES,
    SCHEMA_VERSION,
    ApiObject,
    ParamInfo,
    _as_dict,
    _finished_param,
    _format_default,
    clean_doc,
    extract_links,
    first_paragraph,
    format_signature,
    strip_annotated,
    _DOC_LIMIT,
)
from .files import read_regular_text

log = logging.getLogger(__name__)

_ANNOTATED = {"typing.Annotated", "typing_extensions.Annotated"}
_DOC = {"annotated_doc.Doc", "typing.Doc", "typing_extensions.Doc"}
_DEPRECATED = {"typing.deprecated", "typing_extensions.deprecated"}
_VARIADIC_DEFAULTS = {"variadic positional": "()", "variadic keyword": "{}"}
_KINDS = ("positional-only", "positional or keyword", "variadic positional", "keyword-only", "variadic keyword")


class _Unsure(Exception):
    """This function is not read here (the griffe extraction reads it)."""


class _Module:
    def __init__(self, path: str, tree: ast.Module, *, is_package: bool = False) -> None:
        self.path = path
        self.tree = tree
        self.bound: dict[str, int] = {}  # name -> how many times the module binds it
        self.imports: dict[str, str] = {}  # name -> full path
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        package = path if is_package else path.rpartition(".")[0]
        for node in self._statements(tree.body):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    if isinstance(node, ast.ImportFrom):
                        base = node.module or ""
                        if node.level:
                            parts = package.split(".")
                            parts = parts[: len(parts) - (node.level - 1)]
                            base = ".".join([*parts, *([base] if base else [])])
                        self.imports[name] = f"{base}.{alias.name}"
                    else:
                        self.imports[name] = alias.name if alias.asname else name
                    self._bind(name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = node
                self._bind(node.name)
            elif isinstance(node, ast.ClassDef):
                self._bind(node.name)
            else:
                for sub in ast.walk(node) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) else ():
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        self._bind(sub.id)

    def _bind(self, name: str) -> None:
        self.bound[name] = self.bound.get(name, 0) + 1

    @staticmethod
    def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
        """Module-level statements, those in ``if``/``try``/``with`` blocks included (griffe
        sees those too)."""
        out: list[ast.stmt] = []
        for node in body:
            if isinstance(node, ast.If):
                out += _Module._statements(node.body) + _Module._statements(node.orelse)
            elif isinstance(node, ast.Try):
                out += _Module._statements(node.body)
                for handler in node.handlers:
                    out += _Module._statements(handler.body)
                out += _Module._statements(node.orelse) + _Module._statements(node.finalbody)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                out += _Module._statements(node.body)
            else:
                out.append(node)
        return out

    def resolve(self, name: str) -> str | None:
        """What griffe's ``canonical_path`` gives for a name used in this module."""
        if name in self.imports:
            return self.imports[name]
        if name in self.bound:
            return f"{self.path}.{name}"
        return None


_LITERAL = {"typing.Literal", "typing_extensions.Literal"}


def _plain(node: ast.expr | None, module: _Module | None = None) -> None:
    """Refuse what griffe may write differently from ``ast.unparse``: string constants (quotes,
    forward references; with ``module``, those of a ``Literal[...]`` are fine: apidb writes
    them as ``ast.unparse`` does), f-strings, lambdas, starred/complex expressions."""
    if node is None:
        return
    literals: set[int] = set()
    if module is not None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name) and module.resolve(sub.value.id) in _LITERAL:
                literals.update(id(x) for x in ast.walk(sub.slice))
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, (str, bytes)) and id(sub) not in literals:
            raise _Unsure("a string in an annotation or default")
        if isinstance(sub, (ast.JoinedStr, ast.Lambda, ast.Starred, ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Compare, ast.BoolOp, ast.IfExp)):
            raise _Unsure("a complex expression")


def _annotation(module: _Module, node: ast.expr | None) -> tuple[str, str | None, str | None]:
    """(annotation as stored, its ``deprecated`` message, its ``Doc()``/typingdoc text)."""
    if node is None:
        return "", None, None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Annotated":
        if module.resolve("Annotated") not in _ANNOTATED or not isinstance(node.slice, ast.Tuple) or not node.slice.elts:
            raise _Unsure("an unusual Annotated")
        first, *extra = node.slice.elts
        _plain(first, module)
        deprecated_msg: str | None = None
        typing_deprecated: str | None = None
        doc: str | None = None
        for e in extra:
            if not isinstance(e, ast.Call) or not isinstance(e.func, ast.Name) or e.keywords:
                raise _Unsure("unusual Annotated metadata")
            name = e.func.id
            arg = e.args[0] if len(e.args) == 1 else None
            if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
                raise _Unsure("unusual Annotated metadata")
            try:  # griffe reads a string in an annotation that parses as a forward reference
                ast.parse(arg.value.strip(), mode="eval")
            except (SyntaxError, ValueError):
                pass
            else:
                raise _Unsure("a metadata string that reads as an expression")
            full = module.resolve(name)
            if name == "deprecated":
                deprecated_msg = arg.value.strip()
                if full in _DEPRECATED:
                    typing_deprecated = inspect.cleandoc(arg.value)
            elif full in _DOC:
                doc = inspect.cleandoc(arg.value)
            else:
                raise _Unsure(f"Annotated metadata {name}")
        text = None
        if doc is not None or typing_deprecated is not None:
            text = f"{typing_deprecated or ''} {doc or ''}".lstrip()
        return ast.unparse(first), deprecated_msg, text
    _plain(node)
    text = ast.unparse(node)
    if text.startswith("Annotated["):
        raise _Unsure("Annotated under another name")
    return strip_annotated(text)[0], None, None


def _canonical(module: _Module, node: ast.expr | None) -> str | None:
    """``apidb._canonical`` for a return annotation read with ast."""
    if node is None:
        return None
    if isinstance(node, ast.Name):
        return module.resolve(node.id) or node.id
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if node.value.id in ("Annotated", "Optional", "Union"):
            elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            for element in elements:
                found = _canonical(module, element)
                if found and found not in ("None", "builtins.None"):
                    return found
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _canonical(module, node.left) or _canonical(module, node.right)
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    raise _Unsure("an unusual return annotation")


def _function_record(module: _Module, fn: ast.FunctionDef | ast.AsyncFunctionDef, public: str) -> dict[str, Any]:
    if fn.decorator_list or getattr(fn, "type_params", None):
        raise _Unsure("decorated or generic")
    if module.bound.get(fn.name) != 1:
        raise _Unsure("bound more than once")
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    raw: list[tuple[ast.arg, str, ast.expr | None, str]] = []
    for i, a in enumerate(positional):
        raw.append((a, _KINDS[0] if i < len(args.posonlyargs) else _KINDS[1], defaults[i], a.arg))
    if args.vararg is not None:
        raw.append((args.vararg, _KINDS[2], None, f"*{args.vararg.arg}"))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        raw.append((a, _KINDS[3], d, a.arg))
    if args.kwarg is not None:
        raw.append((args.kwarg, _KINDS[4], None, f"**{args.kwarg.arg}"))
    docs: dict[str, str] = {}
    params: list[ParamInfo] = []
    for a, kind, default, doc_key in raw:
        annotation, deprecated, text = _annotation(module, a.annotation)
        if default is not None:
            # names, attributes and literals (griffe writes a string as ``repr`` does)
            if not isinstance(default, (ast.Name, ast.Constant, ast.Attribute)) or (isinstance(default, ast.Constant) and isinstance(default.value, bytes)):
                raise _Unsure("an unusual default")
        if text is not None and a.arg not in ("self", "cls"):
            docs[doc_key] = text
        params.append(
            ParamInfo(
                name=a.arg,
                kind=kind,
                annotation=annotation,
                # griffe gives ``*args`` the default ``()`` and ``**kwargs`` ``{}``
                default=_format_default(ast.unparse(default)) if default is not None else _VARIADIC_DEFAULTS.get(kind),
                doc="",
                deprecated=deprecated,
            )
        )
    for p in params:  # typingdoc keys docs by "*args"/"**kwargs"; apidb looks them up by name
        p.doc = docs.get(p.name, "").strip()
    returns, _, _ = _annotation(module, fn.returns)
    docstring = ast.get_docstring(fn, clean=False)
    raw_doc = inspect.cleandoc(docstring.rstrip()) if docstring is not None else ""
    record = ApiObject(path=f"{module.path}.{fn.name}", public=public, kind="function")
    record.type = _canonical(module, fn.returns)
    record.signature = format_signature(fn.name, params, returns)
    record.links = extract_links(raw_doc)
    doc = clean_doc(raw_doc)
    record.doc = doc[:_DOC_LIMIT]
    record.summary = first_paragraph(doc)
    record.params = [_finished_param(p) for p in params]
    return _as_dict(record)


def _parse(folder: Path, module_path: str, functions: list[str] | None = None) -> _Module | None:
    """The module, parsed; with ``functions``, only when it defines one of them at the top
    level (``FastAPI``'s and ``APIRouter``'s big modules are not parsed for nothing)."""
    parts = module_path.split(".")
    file = folder.joinpath(*parts[1:-1], parts[-1] + ".py") if len(parts) > 1 else folder / "__init__.py"
    text = read_regular_text(file, _MAX_SOURCE_BYTES)
    if text is None:
        return None
    if functions is not None and not any(f"\ndef {name}(" in text or f"\nasync def {name}(" in text for name in functions):
        return None
    try:
        return _Module(module_path, ast.parse(text), is_package=len(parts) == 1)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def read_parameter_functions(search_paths: list[str]) -> dict[str, Any] | None:
    """A partial API payload (``apidb.merge_quick`` format) with the records of the functions
    ``fastapi`` exports that this reader reads exactly, or ``None``."""
    folder = next((Path(p) / "fastapi" for p in search_paths if (Path(p) / "fastapi" / "__init__.py").is_file()), None)
    if folder is None:
        return None
    root = _parse(folder, "fastapi")
    if root is None:
        return None
    objects: dict[str, dict[str, Any]] = {}
    modules: dict[str, _Module | None] = {}
    imported: dict[str, list[str]] = {}  # module -> names imported from it
    for node in root.tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            imported.setdefault(f"fastapi.{node.module}", []).extend(a.name for a in node.names)
    for node in root.tree.body:
        if not isinstance(node, ast.ImportFrom) or node.level != 1 or not node.module:
            continue
        module_path = f"fastapi.{node.module}"
        for alias in node.names:
            public = alias.asname or alias.name
            if public.startswith("_") or root.bound.get(public) != 1:
                continue
            if module_path not in modules:
                modules[module_path] = _parse(folder, module_path, imported[module_path])
            module = modules[module_path]
            fn = module.functions.get(alias.name) if module is not None else None
            if module is None or fn is None or f"{module_path}.{alias.name}" in objects:
                continue
            try:
                objects[f"{module_path}.{alias.name}"] = _function_record(module, fn, f"fastapi.{public}")
            except _Unsure as why:
                log.debug("%s.%s is left to the griffe extraction: %s", module_path, alias.name, why)
    if not objects:
        return None
    return {"schema": SCHEMA_VERSION, "versions": {}, "objects": objects, "aliases": {}, "unresolved": {}, "partial": True}
