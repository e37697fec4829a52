"""LSP features: one module per feature, each a ``register(server)`` of short adapters over the core."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..server import FastAPIDocsServer

log = logging.getLogger(__name__)

#: Feature modules, registered in this order. A module that is missing is skipped with a log line.
FEATURES = ("lifecycle", "hover", "commands", "completion", "diagnostics", "symbols", "code_actions", "debug")


def register_all(server: FastAPIDocsServer) -> None:
    for name in FEATURES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                log.warning("feature module %r is missing: its features are not available", name)
                continue
            raise
        module.register(server)
