"""Initialisation, settings and document synchronisation."""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.uris import to_fs_path

log = logging.getLogger(__name__)


def register(server) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls, params: types.InitializeParams) -> None:
        ls.setup(params)

    @server.feature(types.INITIALIZED)
    async def initialized(ls, params: types.InitializedParams) -> None:
        await ls.fetch_configuration()
        ls.start_loading()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls, params: types.DidChangeConfigurationParams) -> None:
        if ls.client_supports("workspace", "configuration"):
            await ls.fetch_configuration()
        elif params.settings:
            ls.apply_settings(params.settings)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls, params: types.DidSaveTextDocumentParams) -> None:
        ls.project.file_changed(to_fs_path(params.text_document.uri) or params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: types.DidCloseTextDocumentParams) -> None:
        ls.project.forget(to_fs_path(params.text_document.uri) or params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            ls.project.file_changed(to_fs_path(change.uri) or change.uri)
