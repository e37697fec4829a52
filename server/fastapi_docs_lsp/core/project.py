"""One project's state, shared by the LSP server and the CLI: environment, API docs, doc index.

``Project.load()`` finds the Python environment, loads the API docs of its fastapi/starlette
(from the on-disk cache, or extracted in a child process), and builds the documentation index.
Every method is safe to call before loading finishes: callers get what is available.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable

from ..settings import Settings
from .analysis import ModuleAnalysis, Occurrence, analyze
from .apidb import SCHEMA_VERSION, ApiDB, load_payload
from .apijob import ApiJob, release_spare
from .background import background_work
from .callsite import CallArgs, call_arguments
from .env import PythonEnv, find_environment, packages_digest
from .files import cache_dir
from .render import HoverOptions, Link, best_link, render_hover
from .workspace import WorkspaceModules, is_package_file, read_file_text

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


def _slug(text: str | None) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in (text or "none"))


#: distinct hovers kept (a few hundred per project in practice); all are dropped beyond it
MAX_REMEMBERED_HOVERS = 4096


@dataclass(slots=True)
class _Cached:
    key: tuple[Any, ...]
    analysis: ModuleAnalysis


@dataclass
class Project:
    roots: list[str]
    settings: Settings = field(default_factory=Settings)
    env: PythonEnv | None = None
    db: ApiDB | None = None
    docs: Any = None  # DocIndex (core.docs.index), or None while loading / unavailable
    messages: list[str] = field(default_factory=list)
    overlay: Callable[[str], str | None] | None = None  # open documents' text by path
    #: why the installed FastAPI could not be read (None when it was, or when none is installed)
    api_error: str | None = None
    _api_env: PythonEnv | None = None  # the environment ``db`` was read from
    _api_final: bool = False  # ``db`` is the full extraction's (or the cache's), not the first one
    locale: str | None = None  # the client's locale at initialize ("auto" docsLanguage follows it)

    def __post_init__(self) -> None:
        self.modules = WorkspaceModules(self.roots, self._read_text, lambda: self.db, self.settings.maxFileSize)
        self._analyses: dict[str, _Cached] = {}
        self._lock = threading.RLock()
        self.generation = 0  # bumps whenever db/docs change, so cached analyses refresh
        self.analyses_made = 0
        self.loaded = threading.Event()
        #: set once requests can be answered in full: the API docs of what ``fastapi`` exports
        #: (the first, partial extraction on a cold cache) and the doc index are in, or the load
        #: ended without them
        self.ready = threading.Event()
        #: set once the doc index and its topic search index are in (searches need nothing else;
        #: on a first load it comes right after the doc index, before or after ``ready``)
        self.search_ready = threading.Event()
        self._waiting: dict[threading.Event, list[Callable[[], None]]] = {self.ready: [], self.search_ready: []}
        self._first_api_done = False  # the first phase of a cold-cache API extraction is over
        # rendered hovers by what they depend on (symbol, options), for the current generation
        self._hovers: dict[tuple[Any, ...], str | None] = {}
        self._hovers_generation = -1

    # ---- loading --------------------------------------------------------------------

    def _read_text(self, path: str) -> str | None:
        if self.overlay is not None:
            text = self.overlay(path)
            if text is not None:
                return text
        return read_file_text(path, self.settings.maxFileSize)

    def load(self, progress: Progress | None = None) -> None:
        """(Re)load environment, API docs and doc index. Never raises.

        On a cold cache the API docs come in two phases (issue 12): the parameter functions
        read in-process (``apifast``) and the first, partial extractions of what ``fastapi``
        exports (``apidb.extract_quick``, forked workers) go in use as soon as each is read,
        while this thread builds the doc index; the full extraction (a niced worker) runs
        meanwhile, and its docs replace the first ones (a new ``generation`` each time).
        ``ready`` is set once the first API docs and the doc index are in (requests waiting
        for the docs then run); ``search_ready`` once the doc index's topic search index is built
        (searches need nothing else; hovers and links do not need it, so ``ready`` does not wait
        for it); ``loaded`` when everything is. This thread yields to requests between steps
        (``background.pause_point``)."""
        report = progress or (lambda message, fraction: None)
        first_load = not self.ready.is_set()
        try:
            with background_work():
                report("Finding the Python environment", 0.05)
                env = find_environment(self.settings.pythonPath, self.roots[0] if self.roots else None)
                for problem in env.problems:
                    log.warning("%s", problem)
                self.env = env
                self.api_error = None  # until this environment's API docs are in (or failed)
                self._api_final = False
                report(f"Reading FastAPI API docs ({env.describe()})", 0.15)
                api = self._start_api(env)
                release_spare()  # the extraction child started ahead, if the cache answered
                if api is None or not api.running:  # from the cache (or none): in use at once
                    self._use_api(api.result() if api is not None else None, env, final=True)
                    self.api_error = api.error if api is not None else None
                else:  # a cold cache: the first, partial docs go in use as soon as they are read
                    with self._lock:
                        self._first_api_done = False
                    threading.Thread(target=self._use_first_api, args=(api, env), name="first-api-docs", daemon=True).start()
                report("Indexing documentation", 0.3)
                self.docs = self._load_docs(env, report, lazy_search=first_load)
                with self._lock:
                    self.generation += 1
                self._set_ready()
                self._build_search()
                if api is not None and api.running:
                    report(f"Reading FastAPI API docs ({env.describe()})", 0.95)
                    full = api.result()
                    # the full extraction failed: keep the first, partial docs, and say why
                    self._use_api(full if full is not None else api.first(timeout=0), env, final=True)
                    self.api_error = api.error
                with self._lock:
                    self._analyses.clear()
                    self.modules.invalidate()
                log.info("docs source: %s", self.docs_summary())
                report("Ready", 1.0)
        except Exception:  # keep serving with whatever loaded
            log.exception("loading the FastAPI docs failed; continuing with what is available")
        finally:
            self._set_ready(force=True)
            self._set(self.search_ready)
            self.loaded.set()

    def _build_search(self) -> None:
        """Build the topic search index of the doc index in use now (if it is not yet)."""
        docs = self.docs
        base = getattr(docs, "base", docs)
        try:
            if base is not None:
                getattr(base, "search_index", None)
        except Exception:  # search answers nothing; everything else keeps working
            log.exception("building the docs search index failed")
        self._set(self.search_ready)

    def _use_api(self, db: ApiDB | None, env: PythonEnv, *, final: bool) -> bool:
        """Put API docs of ``env`` in use (the first, partial ones only while the final ones are
        not in); a new docs generation, so remembered hovers and analyses are made again."""
        with self._lock:
            if not final and self._api_final:
                return False
            self._api_final = final
            self.db = db
            self._api_env = env
            self.generation += 1
            self._analyses.clear()
            self.modules.invalidate()
        return True

    def _use_first_api(self, api: ApiJob, env: PythonEnv) -> None:
        """(A thread) the first, partial API docs in use as soon as they are read."""
        try:
            db = api.first(on_part=lambda part: self._use_api(part, env, final=False))
            if db is not None and self._use_api(db, env, final=False):
                log.info("first API docs in use (%d objects); the rest follows", len(db))
            if db is not None:  # else ready once the full extraction is in (load() sets it)
                with self._lock:
                    self._first_api_done = True
                self._set_ready()
        except Exception:  # the full extraction still comes
            log.exception("the first API docs could not be used")

    def _load_api(self, env: PythonEnv) -> ApiDB | None:
        """The API docs of the environment's fastapi/starlette (cached, or extracted now)."""
        api = self._start_api(env)
        if api is None:
            return None
        db = api.result()
        self.api_error, self._api_env = api.error, env
        return db

    def _start_api(self, env: PythonEnv) -> ApiJob | None:
        if env.fastapi_dir is None and env.starlette_dir is None:
            self.messages.append("FastAPI is not installed in the project environment; hover uses the built-in catalog.")
            return None
        started = time.perf_counter()
        digest = packages_digest(env)
        # named by the packages' content, never by their version strings: a fake "0.165.0"
        # in one project's .venv cannot stand in for the real one in another project
        path = cache_dir() / f"api-{digest[:40]}-s{SCHEMA_VERSION}.json"
        if path.is_file():
            payload = load_payload(path)
            if payload is not None and env.fastapi_dir and not any(k.startswith("fastapi.") for k in payload.get("objects", ())):
                payload = None  # an entry written before empty extractions were refused: read again
            if payload is not None:
                log.info("API docs of %s from the cache (%.0f ms)", env.describe(), (time.perf_counter() - started) * 1000)
                return ApiJob.done(ApiDB(payload))
        search = sorted({str(Path(d).parent) for d in (env.fastapi_dir, env.starlette_dir) if d})
        return ApiJob.start(path, search, env.describe(), exclude=[os.getcwd(), *self.roots])
    def _load_docs(self, env: PythonEnv, report: Progress, *, lazy_search: bool = False) -> Any:
        try:
            from .docs.index import build_index
        except ImportError as exc:  # pragma: no cover - part of the package
            log.warning("documentation index unavailable: %s", exc)
            return None
        skill = env.skill_dir if self.settings.useInstalledSkill else None
        return self._in_docs_language(build_index(
            catalog=True,
            reference_paths=list(self.settings.referencePaths),
            installed_skill=skill,
            cache_dir=str(cache_dir()),
            progress=lambda message, fraction: report(message, 0.5 + 0.5 * fraction),
            lazy_search=lazy_search,
        ))

    @property
    def docs_language(self) -> str:
        """The docs language in use: the ``docsLanguage`` setting, or the client's locale."""
        from .docs.i18n import resolve_language

        return resolve_language(self.settings.docsLanguage, self.locale)

    def _in_docs_language(self, docs: Any) -> Any:
        """The doc index as seen in the docs language (links and titles translated: docs/i18n.py)."""
        from .docs.i18n import with_language

        return with_language(docs, self.docs_language, warm=True)

    def wait_for_docs(self, timeout: float = 5.0) -> Any:
        """The doc index, waiting up to ``timeout`` seconds for a first load still under way.

        Only a worker thread waits: on a thread running an event loop this returns at once (the
        server's handlers wait with ``FastAPIDocsServer.wait_for_docs``, which does not block).
        """
        if not self.ready.is_set():
            if _on_event_loop():
                log.debug("wait_for_docs on the event loop: not waiting")
            else:
                self.ready.wait(timeout=timeout)
        return self.docs

    def when_ready(self, callback: Callable[[], None], *, search: bool = False) -> None:
        """Call ``callback()`` once requests can be answered in full (``ready``; with
        ``search``: ``search_ready``): now if they can (any thread), else from the loading
        thread when they can."""
        event = self.search_ready if search else self.ready
        with self._lock:
            if not event.is_set():
                self._waiting[event].append(callback)
                return
        callback()

    def _set_ready(self, force: bool = False) -> None:
        """Set ``ready`` when the first API docs (or none to read) and the doc index are in, or
        at the end of a load whatever it got (``force``)."""
        with self._lock:
            api_in = self.db is not None and (self._api_final or self._first_api_done)
            if not (force or (api_in and self.docs is not None)):
                return
        self._set(self.ready)

    def _set(self, event: threading.Event) -> None:
        """Set ``event`` and run the callbacks waiting for it."""
        with self._lock:
            if event.is_set():
                return
            event.set()
            callbacks, self._waiting[event] = self._waiting[event], []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("a callback waiting for the docs failed")

    def apply_settings(self, settings: Settings) -> bool:
        """Use new settings; returns True when a reload is needed."""
        old = self.settings
        self.settings = settings
        self.modules.max_file_size = settings.maxFileSize
        if self.docs is not None and (docs := self._in_docs_language(self.docs)) is not self.docs:
            self.docs, self.generation = docs, self.generation + 1
        return (old.pythonPath, old.referencePaths, old.useInstalledSkill) != (
            settings.pythonPath,
            settings.referencePaths,
            settings.useInstalledSkill,
        )

    # ---- analysis --------------------------------------------------------------------

    def analysis_key(self, text: str, version: Any = None) -> tuple[Any, ...]:
        """What identifies an analysis: the document version (or text), its size, the docs generation."""
        return (version if version is not None else hash(text), len(text), self.generation)

    def latest_analysis(self, path: str) -> tuple[tuple[Any, ...], ModuleAnalysis] | None:
        """The newest analysis made for ``path`` and its key, possibly of an older version.

        Completion reuses it while the user types (bindings rarely change with a keystroke).
        """
        with self._lock:
            cached = self._analyses.get(path)
        return (cached.key, cached.analysis) if cached is not None else None

    def analysis(self, path: str, text: str, version: Any = None) -> ModuleAnalysis | None:
        """The analysis of a document, cached by (text identity, generation)."""
        if len(text) > self.settings.maxFileSize:
            return None
        key = self.analysis_key(text, version)
        with self._lock:
            cached = self._analyses.get(path)
            if cached is not None and cached.key == key:
                return cached.analysis
        # one analysis per file and text, shared with the workspace modules (route scan, imports)
        result = self.modules.cached(path, text) if path else None
        if result is None:
            module_name = self.modules.module_name_for(path) if path else None
            result = analyze(text, module_name=module_name, db=self.db, resolver=self.modules, is_package=is_package_file(path))
            if path:
                self.modules.remember(path, text, result)
        with self._lock:
            self._analyses[path] = _Cached(key, result)
            self.analyses_made += 1
        return result

    def forget(self, path: str) -> None:
        with self._lock:
            self._analyses.pop(path, None)
        self.modules.invalidate(path)

    def file_changed(self, path: str) -> None:
        """Another module changed on disk or in the editor: cross-module bindings may differ."""
        self.modules.invalidate(path)
        with self._lock:
            self._analyses.clear()

    def hover(self, path: str, text: str, line: int, col: int, *, markdown: bool = True, version: Any = None) -> tuple[str, Occurrence] | None:
        analysis = self.analysis(path, text, version) if self.settings.hover.enabled else None
        return self.hover_in(analysis, line, col, markdown=markdown) if analysis is not None else None

    def hover_in(self, analysis: ModuleAnalysis, line: int, col: int, *, markdown: bool = True) -> tuple[str, Occurrence] | None:
        """The hover text at a position of an analysis already at hand, and its occurrence."""
        if not self.settings.hover.enabled:
            return None
        occ = analysis.at(line, col)
        if occ is None:
            return None
        options = HoverOptions(markdown=markdown, max_links=self.settings.hover.maxLinks, excerpt=self.settings.hover.excerpt)
        call = call_arguments(analysis.lines, occ.line, occ.end) if occ.kind in ("name", "member") else None
        rendered = self._render_hover(occ, options, call)
        return (rendered, occ) if rendered else None

    def _render_hover(self, occ: Occurrence, options: HoverOptions, call: CallArgs | None = None) -> str | None:
        """``render_hover``, remembered: the text depends only on what the occurrence refers to,
        the options and the docs (``generation``), and a module names the same few symbols many
        times. Ranking the docs sections for a symbol is most of the cost of a hover."""
        key = (occ.target, occ.kind, occ.param, occ.instance_of, options, call)
        hovers = self._hovers
        if self._hovers_generation != self.generation or len(hovers) > MAX_REMEMBERED_HOVERS:
            hovers = self._hovers = {}
            self._hovers_generation = self.generation
        try:
            return hovers[key]
        except KeyError:
            rendered = hovers[key] = render_hover(occ, self.db, self.docs, options, call)
            return rendered

    def reference_for(self, occ: Occurrence) -> Link | None:
        return best_link(occ, self.db, self.docs)

    # ---- information ------------------------------------------------------------------

    def docs_summary(self) -> str:
        sources = getattr(self.docs, "sources", None) or []
        kinds = [s.kind for s in sources if getattr(s, "sections", 0)]
        api = f"FastAPI {self.env.fastapi_version} API docs" if self.api_loaded() and self.env else None
        parts = ([api] if api else []) + kinds
        return " + ".join(parts) if parts else "built-in catalog"

    def api_loaded(self) -> bool:
        """True when the API docs of the current environment are loaded (while a reload reads
        another environment, the previous one's docs do not count)."""
        return self.db is not None and self._api_env is self.env

    def info(self) -> dict[str, Any]:
        env = self.env
        sources = getattr(self.docs, "sources", None) or []
        return {
            "version": _own_version(),
            "serverInterpreter": sys.executable,
            "interpreter": env.interpreter if env else None,
            "environmentSource": env.source if env else None,
            "fastapiVersion": env.fastapi_version if env else None,
            "starletteVersion": env.starlette_version if env else None,
            "fastapiPath": env.fastapi_dir if env else None,
            "apiObjects": len(self.db) if self.db is not None else 0,
            "apiLoaded": self.api_loaded(),
            "apiError": self.api_error,
            "docsSources": [
                {"kind": s.kind, "path": s.path, "sections": s.sections, "note": getattr(s, "note", "")} for s in sources
            ],
            "docsSummary": self.docs_summary(),
            "docsLanguage": self.docs_language,
            "cacheDir": str(cache_dir()),
            "problems": (env.problems if env else []) + self.messages,
        }


def _on_event_loop() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False


def _own_version() -> str:
    from .. import __version__

    return __version__


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
