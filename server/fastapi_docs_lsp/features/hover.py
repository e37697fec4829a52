"""textDocument/hover: the core renders; this converts positions and wraps the result."""

from __future__ import annotations

from lsprotocol import types

from .positions import client_range, encoding_of, line_text, to_code_points


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls, params: types.HoverParams) -> types.Hover | None:
        found = ls.analysis_for(params.text_document.uri)
        if found is None:
            return None
        doc, path, analysis = found
        encoding = encoding_of(doc)
        line = params.position.line
        col = to_code_points(line_text(analysis.lines, line), params.position.character, encoding)
        markdown = ls.markdown_supported("text_document", "hover", "content_format")
        result = ls.project.hover(path, doc.source, line, col, markdown=markdown, version=doc.version)
        if result is None:
            return None
        text, occ = result
        kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
        return types.Hover(
            contents=types.MarkupContent(kind=kind, value=text),
            range=client_range(analysis.lines, occ.line, occ.start, occ.line, occ.end, encoding),
        )
