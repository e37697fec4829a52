"""textDocument/completion + completionItem/resolve: client capabilities in, LSP items out.

The core (``core.completion``) decides what to offer. This adapter converts positions, picks
plain text or snippets, Markdown or plain documentation, ``InsertReplaceEdit`` or ``TextEdit``,
and leaves documentation to ``completionItem/resolve`` when the client resolves it.

While the user types, the document's analysis of a previous version is reused for name
bindings (the core refreshes it when the edit touches a binding it needs), so completion in a
large module does not wait for a full re-analysis on every keystroke.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from ..core.analysis import ModuleAnalysis
from ..core.completion import Completion, CompletionOptions, Item, Snapshot, complete, documentation, warm_documentation
from ..core.completion_scan import LineMap
from ..pygls_seam import DECLINE, raw_position
from ..server import FastAPIDocsServer, needs_docs
from .positions import encoding_of, line_text, to_client, to_code_points

log = logging.getLogger(__name__)

TRIGGER_CHARACTERS = [".", "(", ",", "=", " "]

_KINDS = {
    "keyword": types.CompletionItemKind.Variable,
    "status": types.CompletionItemKind.Constant,
    "module": types.CompletionItemKind.Module,
    "class": types.CompletionItemKind.Class,
    "function": types.CompletionItemKind.Function,
    "method": types.CompletionItemKind.Method,
    "property": types.CompletionItemKind.Property,
    "attribute": types.CompletionItemKind.Field,
    "value": types.CompletionItemKind.Value,
    "variable": types.CompletionItemKind.Variable,
    "path": types.CompletionItemKind.Variable,
}


@dataclass(frozen=True, slots=True)
class ClientFeatures:
    snippets: bool
    markdown: bool
    resolve_documentation: bool
    insert_replace: bool
    label_details: bool
    deprecated_tag: bool
    deprecated_property: bool


def client_features(ls: FastAPIDocsServer) -> ClientFeatures:
    item = ls.client_supports  # shorthand
    resolve = ls.client_capability("text_document", "completion", "completion_item", "resolve_support", "properties") or []
    tag_support = ls.client_capability("text_document", "completion", "completion_item", "tag_support", "value_set") or []
    return ClientFeatures(
        snippets=item("text_document", "completion", "completion_item", "snippet_support"),
        markdown=ls.markdown_supported("text_document", "completion", "completion_item", "documentation_format"),
        resolve_documentation="documentation" in resolve,
        insert_replace=item("text_document", "completion", "completion_item", "insert_replace_support"),
        label_details=item("text_document", "completion", "completion_item", "label_details_support"),
        deprecated_tag=types.CompletionItemTag.Deprecated in tag_support,
        deprecated_property=item("text_document", "completion", "completion_item", "deprecated_support"),
    )


def document_snapshot(ls: FastAPIDocsServer, uri: str, doc, text: str) -> Snapshot:
    """The analysis to complete with: this version's if made, else the previous one, line-mapped."""
    project = ls.project
    path = ls.path_of(uri)
    version = getattr(doc, "version", None)
    key = project.analysis_key(text, version)
    latest = project.latest_analysis(path)
    if latest is not None and latest[0] == key:
        return Snapshot.of(latest[1])

    def refresh() -> ModuleAnalysis | None:
        return project.analysis(path, text, version)

    lines = text.replace("\x00", " ").split("\n")
    if latest is not None and latest[0][2] == key[2]:
        return Snapshot(lines, latest[1], LineMap.between(latest[1].lines, lines), refresh)
    return Snapshot(lines, None, None, refresh)


def _position(lines: list[str], line: int, column: int, encoding: str) -> dict[str, int]:
    return {"line": line, "character": to_client(line_text(lines, line), column, encoding)}


def to_json(item: Item, result: Completion, features: ClientFeatures, lines: list[str], encoding: str) -> dict[str, Any]:
    """One ``CompletionItem`` as LSP JSON, made directly: converting tens of items through
    lsprotocol and cattrs costs more than finding them (the tests check each shape against
    lsprotocol's own round trip)."""
    start = _position(lines, result.line, result.start, encoding)
    end = _position(lines, result.line, result.end, encoding)
    snippet = features.snippets and item.snippet is not None
    new_text = (item.snippet if snippet else item.insert) or ""
    out: dict[str, Any] = {"label": item.label}
    if features.label_details and item.description:
        out["labelDetails"] = {"description": item.description}
    out["kind"] = int(_KINDS.get(item.kind, types.CompletionItemKind.Text))
    if item.deprecated and features.deprecated_tag:
        out["tags"] = [int(types.CompletionItemTag.Deprecated)]
    if item.detail:
        out["detail"] = item.detail
    if item.documentation:
        out["documentation"] = {"kind": "markdown" if features.markdown else "plaintext", "value": item.documentation}
    if item.deprecated and not features.deprecated_tag and features.deprecated_property:
        out["deprecated"] = True
    if item.preselect:
        out["preselect"] = True
    if item.sort:
        out["sortText"] = item.sort
    if item.filter is not None:
        out["filterText"] = item.filter
    out["insertTextFormat"] = int(types.InsertTextFormat.Snippet if snippet else types.InsertTextFormat.PlainText)
    if features.insert_replace and result.replace_end > result.end:
        replace_end = _position(lines, result.line, result.replace_end, encoding)
        out["textEdit"] = {"newText": new_text, "insert": {"start": start, "end": end}, "replace": {"start": start, "end": replace_end}}
    else:
        out["textEdit"] = {"range": {"start": start, "end": end}, "newText": new_text}
    if item.edits:
        out["additionalTextEdits"] = [
            {"range": {"start": _position(lines, e.line, e.start, encoding), "end": _position(lines, e.line, e.end, encoding)}, "newText": e.text}
            for e in item.edits
        ]
    if item.documentation is None and item.data is not None:
        out["data"] = item.data
    return out


def register(server: FastAPIDocsServer) -> None:
    features_cache: dict[int, ClientFeatures] = {}

    def features_of(ls: FastAPIDocsServer) -> ClientFeatures:
        key = id(ls.client_capabilities)
        found = features_cache.get(key)
        if found is None:
            features_cache.clear()
            found = features_cache[key] = client_features(ls)
        return found

    def warm() -> None:
        """Clients that cannot resolve documentation get it inline: render the common lists now."""
        try:
            features = features_of(server)
            if server.settings.completion.enabled and not features.resolve_documentation:
                count = warm_documentation(server.project.db, server.project.docs, features.markdown)
                log.debug("completion: rendered %d documentation entries ahead", count)
        except Exception:
            log.exception("completion: warming the documentation failed")

    server.on_after_load(warm)

    def completion_result(ls: FastAPIDocsServer, uri: str, line: int, character: int) -> dict[str, Any]:
        """The ``CompletionList`` at a position, as JSON."""
        empty: dict[str, Any] = {"isIncomplete": False, "items": []}
        if not ls.settings.completion.enabled:
            return empty
        doc = ls.document(uri)
        text = ls.document_text(doc) if doc is not None else None
        if text is None or len(text) > ls.settings.maxFileSize:
            return empty
        project = ls.project
        try:
            snapshot = document_snapshot(ls, uri, doc, text)
            encoding = encoding_of(doc)
            col = to_code_points(line_text(snapshot.lines, line), character, encoding)
            features = features_of(ls)
            options = CompletionOptions(
                snippets=features.snippets, markdown=features.markdown, defer_documentation=features.resolve_documentation
            )
            path = ls.path_of(uri)
            result = complete(
                snapshot,
                line,
                col,
                project.db,
                project.docs,
                options,
                module_name=project.modules.module_name_for(path),
                workspace=project.modules,
            )
            if result is None:
                return empty
            return {"isIncomplete": False, "items": [to_json(item, result, features, snapshot.lines, encoding) for item in result.items]}
        except Exception:  # never fail the request: the editor would show an error
            log.exception("completion failed at %s:%s:%s", uri, line, character)
            return empty

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=True),
    )
    @needs_docs()
    def completion(ls: FastAPIDocsServer, params: types.CompletionParams) -> dict[str, Any]:
        return completion_result(ls, params.text_document.uri, params.position.line, params.position.character)

    def raw_completion(params: Any) -> Any:
        if not server.docs_ready():
            return DECLINE  # the typed handler waits for the docs (without blocking the loop)
        where = raw_position(params)
        return DECLINE if where is None else completion_result(server, *where)

    server.raw_request(types.TEXT_DOCUMENT_COMPLETION, raw_completion)

    @server.feature(types.COMPLETION_ITEM_RESOLVE)
    @needs_docs()
    def resolve(ls: FastAPIDocsServer, item: types.CompletionItem) -> types.CompletionItem:
        if item.documentation is not None or not isinstance(item.data, dict):
            return item
        markdown = features_of(ls).markdown
        try:
            text = documentation(item.data, ls.project.db, ls.project.docs, markdown)
        except Exception:
            log.exception("completion resolve failed for %s", item.label)
            return item
        if text:
            kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
            item.documentation = types.MarkupContent(kind=kind, value=text)
        return item
