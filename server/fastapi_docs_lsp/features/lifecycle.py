"""Initialisation, settings and document synchronisation.

pygls keeps the documents in sync itself; these handlers add the project's bookkeeping and fan
each event out to the features that subscribed with ``ls.on_document(event, callback)``.
"""

from __future__ import annotations

import asyncio
import logging
from lsprotocol import types

from ..server import FastAPIDocsServer

log = logging.getLogger(__name__)


def register(server: FastAPIDocsServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: FastAPIDocsServer, params: types.InitializeParams) -> None:
        ls.setup(params)  # loading starts here, from initializationOptions

    @server.feature(types.INITIALIZED)
    async def initialized(ls: FastAPIDocsServer, params: types.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()
        # progress for the load under way, and the settings (a reload only if they differ)
        await asyncio.gather(ls.show_load_progress(), ls.fetch_configuration())

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: FastAPIDocsServer, params: types.DidChangeConfigurationParams) -> None:
        if ls.client_supports("workspace", "configuration"):
            await ls.fetch_configuration()
        elif params.settings:
            ls.apply_settings(params.settings)
        ls.document_event("configuration", params)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FastAPIDocsServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.document_event("open", params)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FastAPIDocsServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.document_event("change", params)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FastAPIDocsServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.project.file_changed(ls.path_of(params.text_document.uri))
        ls.document_event("save", params)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FastAPIDocsServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.project.forget(ls.path_of(params.text_document.uri))
        ls.document_event("close", params)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: FastAPIDocsServer, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            ls.project.file_changed(ls.path_of(change.uri))
