"""The workspace's own modules, so ``from app.main import app`` resolves to a FastAPI instance.

Modules are found under the workspace roots (and ``src/``); open documents take precedence
over disk. Their analyses are cached by content and invalidated when a file changes. Nothing
is executed: the files are only read and parsed.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from collections.abc import Callable

from .analysis import ApiLookup, ModuleAnalysis, Ref, analyze
from .files import read_regular_text, regular_file_size

log = logging.getLogger(__name__)

MAX_DEPTH = 4


class WorkspaceModules:
    def __init__(
        self,
        roots: list[str],
        read_text: Callable[[str], str | None],
        db: Callable[[], ApiLookup | None],
        max_file_size: int = 3_000_000,
    ) -> None:
        self.roots = [str(Path(r)) for r in roots if r]
        self._read_text = read_text
        self._db = db
        self.max_file_size = max_file_size
        self._cache: dict[str, tuple[str, ModuleAnalysis]] = {}

    # ---- paths <-> module names ---------------------------------------------------------

    def _search_roots(self) -> list[Path]:
        out = []
        for root in self.roots:
            out.append(Path(root))
            if (Path(root) / "src").is_dir():
                out.append(Path(root) / "src")
        return out

    def module_name_for(self, path: str) -> str | None:
        p = Path(path)
        best = None
        for root in self._search_roots():
            try:
                rel = p.relative_to(root)
            except ValueError:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts and parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and all(part.isidentifier() for part in parts):
                name = ".".join(parts)
                if best is None or len(name) < len(best):
                    best = name
        return best

    def path_for_module(self, module: str) -> str | None:
        # (os.path, not pathlib: a keystroke's re-analysis checks its imports again, ~10 times)
        parts = module.split(".")
        if not all(parts):
            return None
        for root in self.roots:
            for folder in (root, os.path.join(root, "src")):
                if folder is not root and not os.path.isdir(folder):
                    continue
                base = os.path.join(folder, *parts)
                for candidate in (base + ".py", os.path.join(base, "__init__.py")):
                    if os.path.isfile(candidate):
                        return str(Path(candidate))
        return None

    # ---- analyses ---------------------------------------------------------------------

    def invalidate(self, path: str | None = None) -> None:
        if path is None:
            self._cache.clear()
        else:
            self._cache.pop(str(Path(path)), None)

    def analysis_for(self, path: str, seen: frozenset[str] = frozenset()) -> ModuleAnalysis | None:
        key = str(Path(path))
        size = regular_file_size(key)
        if size is not None and size > self.max_file_size:
            return None
        text = self._read_text(key)
        if text is None:
            return None
        cached = self.cached(key, text)
        if cached is not None:
            return cached
        result = analyze(
            text, module_name=self.module_name_for(key), db=self._db(), resolver=self, seen=seen, is_package=is_package_file(key)
        )
        self.remember(key, text, result)
        return result

    def cached(self, path: str, text: str) -> ModuleAnalysis | None:
        """The analysis already made of ``path`` with exactly this text, if any."""
        hit = self._cache.get(str(Path(path)))
        return hit[1] if hit is not None and hit[0] == text else None

    def remember(self, path: str, text: str, analysis: ModuleAnalysis) -> None:
        """Share an analysis made elsewhere (an open document's), so the file is analysed once."""
        self._cache[str(Path(path))] = (text, analysis)

    def is_module(self, module: str) -> bool:
        return self.path_for_module(module) is not None

    def exported_ref(self, module: str, name: str, seen: frozenset[str]) -> Ref | None:
        """The FastAPI value a workspace module binds ``name`` to (``""``: the module itself)."""
        if module in seen or len(seen) > MAX_DEPTH:
            return None
        path = self.path_for_module(module)
        if path is None:
            return None
        if not name:
            return None
        analysis = self.analysis_for(path, seen | {module})
        if analysis is None:
            return None
        ref = analysis.exported(name)
        if ref is not None and ref.kind in ("inst", "subclass", "factory", "classfactory", "uclass", "obj", "wsmod"):
            return ref
        return None


def is_package_file(path: str) -> bool:
    return Path(path).name == "__init__.py"


def read_file_text(path: str, max_size: int = 3_000_000) -> str | None:
    """Read a source file defensively: regular files only (never a device, FIFO or socket, even
    through a symlink), size-capped, binary files refused, bad UTF-8 replaced."""
    return read_regular_text(path, max_size)
