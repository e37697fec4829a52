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

from lsprotocol import types

from ..core.analysis import ModuleAnalysis
from ..core.completion import Completion, CompletionOptions, Item, Snapshot, complete, documentation, warm_documentation
from ..core.completion_scan import LineMap
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


def to_lsp(item: Item, result: Completion, features: ClientFeatures, lines: list[str], encoding: str) -> types.CompletionItem:
    text = line_text(lines, result.line)
    start = types.Position(line=result.line, character=to_client(text, result.start, encoding))
    end = types.Position(line=result.line, character=to_client(text, result.end, encoding))
    snippet = features.snippets and item.snippet is not None
    new_text = (item.snippet if snippet else item.insert) or ""
    edit: types.TextEdit | types.InsertReplaceEdit
    if features.insert_replace and result.replace_end > result.end:
        replace_end = types.Position(line=result.line, character=to_client(text, result.replace_end, encoding))
        edit = types.InsertReplaceEdit(new_text=new_text, insert=types.Range(start, end), replace=types.Range(start, replace_end))
    else:
        edit = types.TextEdit(range=types.Range(start, end), new_text=new_text)
    extra = None
    if item.edits:
        extra = []
        for e in item.edits:
            t = line_text(lines, e.line)
            extra.append(
                types.TextEdit(
                    range=types.Range(
                        types.Position(line=e.line, character=to_client(t, e.start, encoding)),
                        types.Position(line=e.line, character=to_client(t, e.end, encoding)),
                    ),
                    new_text=e.text,
                )
            )
    doc = None
    if item.documentation:
        kind = types.MarkupKind.Markdown if features.markdown else types.MarkupKind.PlainText
        doc = types.MarkupContent(kind=kind, value=item.documentation)
    return types.CompletionItem(
        label=item.label,
        kind=_KINDS.get(item.kind, types.CompletionItemKind.Text),
        detail=item.detail or None,
        documentation=doc,
        sort_text=item.sort or None,
        filter_text=item.filter,
        insert_text_format=types.InsertTextFormat.Snippet if snippet else types.InsertTextFormat.PlainText,
        text_edit=edit,
        additional_text_edits=extra,
        preselect=True if item.preselect else None,
        tags=[types.CompletionItemTag.Deprecated] if item.deprecated and features.deprecated_tag else None,
        deprecated=True if item.deprecated and not features.deprecated_tag and features.deprecated_property else None,
        label_details=types.CompletionItemLabelDetails(description=item.description) if features.label_details and item.description else None,
        data=item.data if item.documentation is None and item.data is not None else None,
    )


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

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=True),
    )
    @needs_docs()
    def completion(ls: FastAPIDocsServer, params: types.CompletionParams) -> types.CompletionList:
        empty = types.CompletionList(is_incomplete=False, items=[])
        if not ls.settings.completion.enabled:
            return empty
        uri = params.text_document.uri
        doc = ls.document(uri)
        text = ls.document_text(doc) if doc is not None else None
        if text is None or len(text) > ls.settings.maxFileSize:
            return empty
        project = ls.project
        try:
            snapshot = document_snapshot(ls, uri, doc, text)
            encoding = encoding_of(doc)
            line = params.position.line
            col = to_code_points(line_text(snapshot.lines, line), params.position.character, encoding)
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
        except Exception:  # never fail the request: the editor would show an error
            log.exception("completion failed at %s:%s", uri, params.position)
            return empty
        if result is None:
            return empty
        return types.CompletionList(
            is_incomplete=False, items=[to_lsp(item, result, features, snapshot.lines, encoding) for item in result.items]
        )

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
