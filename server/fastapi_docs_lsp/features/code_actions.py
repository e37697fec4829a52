"""Code actions: quick fixes for the FastAPI diagnostics, and "Open FastAPI docs: <section>".

The fixes are computed by the core with the diagnostics (``core/fixes.py``); this converts them
to ``WorkspaceEdit``s. The docs action runs ``fastapi.openReference`` on the FastAPI symbol at
the start of the requested range.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from ..core.routes import Span
from ..server import FastAPIDocsServer, needs_docs
from .commands import OPEN_REFERENCE
from .diagnostics import compute, to_lsp
from .positions import client_range, encoding_of, line_text, to_code_points

log = logging.getLogger(__name__)

QUICKFIX = types.CodeActionKind.QuickFix


def _wanted(only: list[str] | None, kind: str) -> bool:
    if not only:
        return True
    return any(kind == k or kind.startswith(k + ".") or k == "" for k in only)


def code_actions(ls: FastAPIDocsServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    got = compute(ls, uri)
    if got is None:
        return []
    doc, analysis, diagnostics, _ = got
    encoding = encoding_of(doc)
    r = params.range
    start_col = to_code_points(line_text(analysis.lines, r.start.line), r.start.character, encoding)
    end_col = to_code_points(line_text(analysis.lines, r.end.line), r.end.character, encoding)
    wanted = Span(r.start.line, start_col, r.end.line, end_col)
    only = list(params.context.only) if params.context and params.context.only else None
    out: list[types.CodeAction] = []

    if _wanted(only, QUICKFIX):
        for diag in diagnostics:
            if not diag.fixes or not diag.span.overlaps(wanted):
                continue
            lsp_diag = to_lsp(ls, uri, doc, analysis, diag)
            for fix in diag.fixes:
                edits = [
                    types.TextEdit(
                        range=client_range(analysis.lines, e.line, e.start, e.end_line, e.end, encoding),
                        new_text=e.new_text,
                    )
                    for e in fix.edits
                ]
                out.append(
                    types.CodeAction(
                        title=fix.title,
                        kind=QUICKFIX,
                        diagnostics=[lsp_diag],
                        is_preferred=fix.preferred,
                        edit=types.WorkspaceEdit(changes={uri: edits}),
                    )
                )

    if _wanted(only, types.CodeActionKind.Empty) or not only:
        occ = analysis.at(r.start.line, start_col)
        if occ is not None:
            link = ls.project.reference_for(occ)
            if link is not None:
                position = client_range(analysis.lines, occ.line, occ.start, occ.line, occ.start, encoding).start
                title = f"Open FastAPI docs: {link.title}"
                out.append(
                    types.CodeAction(
                        title=title,
                        kind=types.CodeActionKind.Empty,
                        command=types.Command(
                            title=title,
                            command=OPEN_REFERENCE,
                            arguments=[{"uri": uri, "position": {"line": position.line, "character": position.character}}],
                        ),
                    )
                )
    return out


def register(server: FastAPIDocsServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[QUICKFIX], resolve_provider=False),
    )
    @needs_docs()
    def code_action(ls: FastAPIDocsServer, params: types.CodeActionParams):
        try:
            return code_actions(ls, params) or None
        except Exception:
            log.exception("codeAction failed")
            return None
