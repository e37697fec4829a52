"""``fastapi-docs-lsp``: serve LSP (stdio by default, or --tcp), or answer one question from the shell.

    fastapi-docs-lsp                       serve over stdio
    fastapi-docs-lsp --tcp 127.0.0.1:2087  serve over TCP
    fastapi-docs-lsp hover FILE:LINE:COL   print the hover an editor would show (1-based line and column)
    fastapi-docs-lsp symbols FILE [--json] list the FastAPI symbols found in FILE
    fastapi-docs-lsp search QUERY [--json] [--limit N] [--lang CODE] [--references PATH ...]
    fastapi-docs-lsp info [--json]         interpreter, fastapi/starlette versions, docs sources
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from collections.abc import Sequence

from . import __version__
from .settings import Settings, parse_settings

log = logging.getLogger("fastapi_docs_lsp")


class _ClientLogHandler(logging.Handler):
    """Forwards warnings and errors to the client's log (window/logMessage)."""

    def __init__(self, server) -> None:
        super().__init__(level=logging.INFO)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        from lsprotocol import types

        kind = {
            logging.ERROR: types.MessageType.Error,
            logging.WARNING: types.MessageType.Warning,
            logging.INFO: types.MessageType.Info,
        }.get(record.levelno, types.MessageType.Log)
        try:
            if getattr(self.server.protocol, "transport", None) is not None:
                self.server.window_log_message(types.LogMessageParams(type=kind, message=self.format(record)))
        except Exception:  # noqa: BLE001 - a log handler must not log (it would recurse); stderr still has the record
            pass


#: the level asked for on the command line (``--log-level``) or by ``FASTAPI_DOCS_LSP_LOG``; it
#: wins over the ``logLevel`` setting
_explicit_level: str | None = None
DEFAULT_LEVEL = "warning"


def _setup_logging(level: str | None) -> None:
    """Log to stderr (never stdout): warnings and errors only, unless ``level`` asks for more."""
    global _explicit_level
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)  # other libraries (pygls): warnings and errors only
    _explicit_level = level
    log.setLevel((level or DEFAULT_LEVEL).upper())


def apply_log_level(setting: str) -> None:
    """The ``logLevel`` setting: used unless the command line or the environment chose a level."""
    log.setLevel((_explicit_level or setting or DEFAULT_LEVEL).upper())


def _project(args: argparse.Namespace, start: str | None):
    from .core.project import Project

    data: dict = {}
    if getattr(args, "python", None):
        data["pythonPath"] = args.python
    if getattr(args, "references", None):
        data["referencePaths"] = args.references
    if getattr(args, "lang", None):
        data["docsLanguage"] = args.lang
    settings, problems = parse_settings(data)
    for problem in problems:
        log.warning("%s", problem)
    root = args.root or _guess_root(start)
    project = Project(roots=[root] if root else [], settings=settings)
    project.load()
    return project


def _guess_root(start: str | None) -> str | None:
    """The nearest folder above ``start`` with pyproject.toml/setup.py/.git, else its folder."""
    if not start:
        return os.getcwd()
    path = Path(start).resolve()
    folder = path if path.is_dir() else path.parent
    for candidate in [folder, *folder.parents]:
        if any((candidate / marker).exists() for marker in ("pyproject.toml", "setup.py", ".git", ".venv")):
            return str(candidate)
    return str(folder)


def _read(path: str) -> str:
    from .core.workspace import read_file_text

    text = read_file_text(path, Settings().maxFileSize)
    if text is None:
        raise SystemExit(f"fastapi-docs-lsp: cannot read {path} (missing, binary or too large)")
    return text


def cmd_hover(args: argparse.Namespace) -> int:
    try:
        path, line, col = args.location.rsplit(":", 2)
        line_no, col_no = int(line), int(col)
    except ValueError:
        print("fastapi-docs-lsp: expected FILE:LINE:COL (1-based)", file=sys.stderr)
        return 2
    text = _read(path)
    project = _project(args, path)
    result = project.hover(str(Path(path).resolve()), text, line_no - 1, col_no - 1, markdown=not args.plain)
    if result is None:
        print("(no FastAPI symbol here)", file=sys.stderr)
        return 1
    print(result[0])
    return 0


def cmd_symbols(args: argparse.Namespace) -> int:
    from .core.render import symbol_payload

    text = _read(args.file)
    project = _project(args, args.file)
    analysis = project.analysis(str(Path(args.file).resolve()), text)
    rows = [symbol_payload(o, project.db) for o in (analysis.occurrences if analysis else [])]
    rows.sort(key=lambda r: (r["line"], r["start"]))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            print(f"{r['line'] + 1}:{r['start'] + 1}\t{r['kind']}\t{r['symbol']}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from .core.docs.index import search_payload

    project = _project(args, None)
    if project.docs is None:
        print("fastapi-docs-lsp: the documentation index could not be built", file=sys.stderr)
        return 1
    hits = search_payload(project.docs, [{"query": " ".join(args.query), "limit": args.limit}])
    if args.json:
        print(json.dumps(hits, indent=2, ensure_ascii=False))
    else:
        for hit in hits:
            print(f"{hit['score']:5.2f}  {hit['breadcrumb']}\n       {hit['url']}")
    return 0 if hits else 1


def cmd_info(args: argparse.Namespace) -> int:
    project = _project(args, None)
    info = project.info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"fastapi-docs-lsp {info['version']} (server Python: {info['serverInterpreter']})")
    print(f"project interpreter: {info['interpreter']} (found via {info['environmentSource']})")
    print(f"fastapi: {info['fastapiVersion'] or 'not installed'}   starlette: {info['starletteVersion'] or 'not installed'}")
    print(f"API objects documented: {info['apiObjects']}")
    print(f"docs in use: {info['docsSummary']}")
    print(f"docs language: {info.get('docsLanguage', 'en')}")
    for source in info["docsSources"]:
        print(f"  - {source['kind']}: {source['sections']} sections  {source['path'] or ''}")
    for problem in info["problems"]:
        print(f"note: {problem}")
    print(f"cache: {info['cacheDir']}")
    return 0


def _without_tls() -> None:
    """Keep OpenSSL out of the server process (~4 MB resident of libcrypto and libssl).

    ``asyncio`` imports ``ssl`` at start-up only to support TLS transports, and falls back to
    ``ssl = None`` when the import fails. The server never uses TLS: it speaks LSP over stdio or
    a plain local TCP socket, and nothing in it fetches over the network (the API extraction runs
    in a child interpreter of its own). A ``None`` entry in ``sys.modules`` makes ``import ssl``
    raise ImportError. Only done in a fresh process, before anything imported asyncio or ssl:
    otherwise OpenSSL is already loaded and blocking it would only break its other users.
    """
    if "ssl" not in sys.modules and "asyncio" not in sys.modules:
        sys.modules["ssl"] = None  # type: ignore[assignment]


def serve(args: argparse.Namespace) -> int:
    _without_tls()
    from .core.apijob import prestart
    from .core.files import cache_dir

    # on a first start, the API extraction child gets ready (griffe imported) while the server
    # imports its own modules: the first hover does not wait for that
    prestart(cache_dir(), exclude=[os.getcwd()])
    from .server import create_server

    server = create_server()
    logging.getLogger().addHandler(_ClientLogHandler(server))
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--python", help="the project's interpreter or venv (default: auto-detect)")
    common.add_argument("--root", help="workspace root (default: nearest project folder)")
    common.add_argument("--references", nargs="*", default=[], metavar="PATH", help="extra docs folders")
    common.add_argument(
        "--log-level", default=None, choices=["error", "warning", "info", "debug"], help="stderr log level (default: warning)"
    )

    parser = argparse.ArgumentParser(
        prog="fastapi-docs-lsp",
        description="FastAPI documentation where you type: a language server, plus shell commands.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--stdio", action="store_true", help="serve over stdio (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="serve over TCP instead of stdio")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("hover", parents=[common], help="print the hover for FILE:LINE:COL (1-based)")
    p.add_argument("location")
    p.add_argument("--plain", action="store_true", help="plain text instead of Markdown")
    p.add_argument("--lang", metavar="CODE", help="docs language: en (default), de, es, fr, hi, ja, ko, pt, ru, tr, uk, zh, zh-hant")
    p.set_defaults(func=cmd_hover)

    p = sub.add_parser("symbols", parents=[common], help="list the FastAPI symbols in a file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_symbols)

    p = sub.add_parser("search", parents=[common], help="search the FastAPI docs")
    p.add_argument("query", nargs="+")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=8)
    p.add_argument("--lang", metavar="CODE", help="docs language: en (default), de, es, fr, hi, ja, ko, pt, ru, tr, uk, zh, zh-hant")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("info", parents=[common], help="show the environment and docs sources in use")
    p.add_argument("--json", action="store_true")
    p.add_argument("--lang", metavar="CODE", help="docs language: en (default), de, es, fr, hi, ja, ko, pt, ru, tr, uk, zh, zh-hant")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    env_level = os.environ.get("FASTAPI_DOCS_LSP_LOG", "").lower() or None
    if env_level not in (None, "error", "warning", "info", "debug"):
        print(f"fastapi-docs-lsp: FASTAPI_DOCS_LSP_LOG={env_level!r} is not a log level; ignored", file=sys.stderr)
        env_level = None
    _setup_logging(args.log_level or env_level)
    if not args.command:
        return serve(args)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
