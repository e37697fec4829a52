"""Quick-fix edits for the FastAPI diagnostics, as plain text edits on the module's lines.

Every builder takes AST nodes of a chunk (``offset`` = the chunk's first line) and the module's
lines, and returns a ``Fix`` (or None when the edit would not be clearly right). Edits use
0-based lines and code-point columns; ``apply_edits`` applies them to a text (tests use it to
check the exact result).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .routes import Span, node_span, text_of


@dataclass(frozen=True, slots=True)
class TextEdit:
    line: int
    start: int
    end_line: int
    end: int
    new_text: str

    @classmethod
    def replace(cls, span: Span, new_text: str) -> TextEdit:
        return cls(span.line, span.start, span.end_line, span.end, new_text)

    @classmethod
    def insert(cls, line: int, col: int, new_text: str) -> TextEdit:
        return cls(line, col, line, col, new_text)


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    preferred: bool = True


def apply_edits(text: str, edits: tuple[TextEdit, ...] | list[TextEdit]) -> str:
    """Apply non-overlapping edits (any order) to ``text``."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(line: int, col: int) -> int:
        if line >= len(lines):
            return len(text)
        return starts[line] + min(col, len(lines[line]))

    out = text
    for edit in sorted(edits, key=lambda e: (e.line, e.start), reverse=True):
        a, b = offset(edit.line, edit.start), offset(edit.end_line, edit.end)
        out = out[:a] + edit.new_text + out[b:]
    return out


# --------------------------------------------------------------------------------------
# the builders


def rename_keyword(kw: ast.keyword, new_name: str, offset: int, lines: list[str]) -> Fix | None:
    """``regex=...`` -> ``pattern=...``."""
    if kw.arg is None:
        return None
    line = offset + kw.lineno - 1
    span = node_span(kw, offset, lines)
    if not text_of(lines, Span(line, span.start, line, span.start + len(kw.arg))) == kw.arg:
        return None
    return Fix(f"Rename `{kw.arg}=` to `{new_name}=`", (TextEdit(line, span.start, line, span.start + len(kw.arg), new_name),))


def example_to_examples(kw: ast.keyword, offset: int, lines: list[str]) -> Fix | None:
    """``example=X`` -> ``examples=[X]``."""
    span = node_span(kw, offset, lines)
    value = text_of(lines, node_span(kw.value, offset, lines))
    if not text_of(lines, span).startswith("example"):
        return None
    return Fix("Replace `example=` with `examples=[...]`", (TextEdit.replace(span, f"examples=[{value}]"),))


def add_parameter(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str, annotation: str, offset: int, lines: list[str]) -> Fix | None:
    """Add ``name: annotation`` as the first parameter of ``fn`` (required parameters go first)."""
    args = fn.args
    first = next(iter([*args.posonlyargs, *args.args]), None)
    new = f"{name}: {annotation}"
    if first is None and (args.vararg or args.kwonlyargs or args.kwarg):
        # `def f(*, q=None)`: the new one goes before the star
        first_node = args.vararg or (args.kwonlyargs[0] if args.kwonlyargs else args.kwarg)
        assert first_node is not None  # one of the three is there (tested above)
        star_line = offset + first_node.lineno - 1
        col = node_span(first_node, offset, lines).start
        text = lines[star_line]
        star = text.rfind("*", 0, col)
        if star < 0:
            return None
        while star > 0 and text[star - 1] == "*":
            star -= 1
        return Fix(f"Add path parameter `{name}` to `{fn.name}`", (TextEdit.insert(star_line, star, new + ", "),))
    if first is None:
        # empty parentheses: find "(" after the name on the def line(s)
        line = offset + fn.lineno - 1
        for i in range(line, min(line + 5, len(lines))):
            text = lines[i]
            start = text.find(f"{fn.name}") + len(fn.name) if i == line else 0
            idx = text.find("(", start)
            if idx >= 0:
                close = text.find(")", idx)
                if close < 0 or text[idx + 1 : close].strip():
                    return None
                return Fix(f"Add path parameter `{name}` to `{fn.name}`", (TextEdit(i, idx + 1, i, close, new),))
        return None
    span = node_span(first, offset, lines)
    open_line = offset + fn.lineno - 1
    if span.line != open_line and lines[span.line][: span.start].strip() == "":
        # one parameter per line: keep the layout
        indent = lines[span.line][: span.start]
        return Fix(f"Add path parameter `{name}` to `{fn.name}`", (TextEdit.insert(span.line, span.start, f"{new},\n{indent}"),))
    return Fix(f"Add path parameter `{name}` to `{fn.name}`", (TextEdit.insert(span.line, span.start, f"{new}, "),))


def uncall(inner: ast.Call, offset: int, lines: list[str]) -> Fix | None:
    """``Depends(get_db())`` -> ``Depends(get_db)``."""
    if inner.args or inner.keywords:
        return None
    func_text = text_of(lines, node_span(inner.func, offset, lines))
    return Fix(f"Pass `{func_text}` itself, not its result", (TextEdit.replace(node_span(inner, offset, lines), func_text),))


def remove_argument(call: ast.Call, node: ast.keyword | ast.expr, offset: int, lines: list[str], title: str) -> Fix | None:
    """Delete one argument of a call with its separating comma."""
    items: list[ast.expr | ast.keyword] = sorted([*call.args, *call.keywords], key=lambda n: (n.lineno, n.col_offset))
    try:
        i = next(k for k, n in enumerate(items) if n is node)
    except StopIteration:
        return None
    span = node_span(node, offset, lines)
    if i > 0:
        prev = node_span(items[i - 1], offset, lines)
        return Fix(title, (TextEdit(prev.end_line, prev.end, span.end_line, span.end, ""),))
    if i + 1 < len(items):
        nxt = node_span(items[i + 1], offset, lines)
        return Fix(title, (TextEdit(span.line, span.start, nxt.line, nxt.start, ""),))
    return Fix(title, (TextEdit.replace(span, ""),))


#: markers whose first positional argument (or ``default=``) is the parameter's default value
VALUE_MARKERS = frozenset(("Query", "Path", "Body", "Header", "Cookie", "Form", "File"))


def to_annotated(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    arg: ast.arg,
    default: ast.Call,
    marker: str,
    offset: int,
    lines: list[str],
    import_edit: TextEdit | None,
) -> Fix | None:
    """``q: str = Query(None, max_length=5)`` -> ``q: Annotated[str, Query(max_length=5)] = None``.

    Not offered when the parameter has no annotation, or when dropping its default would put a
    required parameter after one with a default (a syntax error).
    """
    if arg.annotation is None:
        return None
    annotation = text_of(lines, node_span(arg.annotation, offset, lines))
    func_text = text_of(lines, node_span(default.func, offset, lines))
    kept: list[str] = []
    value: str | None = None
    items = sorted([*default.args, *default.keywords], key=lambda n: (n.lineno, n.col_offset))
    for k, item in enumerate(items):
        text = text_of(lines, node_span(item, offset, lines))
        if marker in VALUE_MARKERS and item is (default.args[0] if default.args else None) and k == 0:
            value = text
            continue
        if marker in VALUE_MARKERS and isinstance(item, ast.keyword) and item.arg == "default":
            value = text_of(lines, node_span(item.value, offset, lines))
            continue
        kept.append(text)
    if value is not None and value.strip() == "...":
        value = None  # `Query(...)`: required
    new = f"{arg.arg}: Annotated[{annotation}, {func_text}({', '.join(kept)})]"
    if value is not None:
        new += f" = {value}"
    if value is None and not _may_drop_default(fn, arg):
        return None
    span = node_span(arg, offset, lines)
    end = node_span(default, offset, lines)
    edits = [TextEdit(span.line, span.start, end.end_line, end.end, new)]
    if import_edit is not None:
        edits.insert(0, import_edit)
    return Fix(f"Use `Annotated` for `{arg.arg}`", tuple(edits))


def _may_drop_default(fn: ast.FunctionDef | ast.AsyncFunctionDef, arg: ast.arg) -> bool:
    args = fn.args
    if arg in args.kwonlyargs:
        return True
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    idx = positional.index(arg)
    # every earlier positional parameter must be without a default
    return idx <= first_default


def import_annotated_edit(chunks, lines: list[str]) -> TextEdit:
    """``from typing import Annotated`` before the module's first non-``__future__`` import."""
    docstring_end = 0
    for chunk in chunks:
        tree = chunk.tree
        if tree is None:
            continue
        for stmt in tree.body:
            line = chunk.start_line + stmt.lineno - 1
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
                docstring_end = chunk.start_line + (stmt.end_lineno or stmt.lineno)
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                return TextEdit.insert(line, 0, "from typing import Annotated\n")
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str) and line <= docstring_end + 1:
                docstring_end = chunk.start_line + (stmt.end_lineno or stmt.lineno)
                continue
            return TextEdit.insert(docstring_end, 0, "from typing import Annotated\n")
    return TextEdit.insert(docstring_end, 0, "from typing import Annotated\n")
