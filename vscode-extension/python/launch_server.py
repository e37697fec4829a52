# Launcher for the fastapi-docs-lsp language server, shipped inside the VS Code extension.
#
#   python launch_server.py [server args...]   run the server on stdio
#   python launch_server.py --check            print a JSON health report and exit
#
# FASTAPI_DOCS_LSP_IMPORT_STRATEGY selects where the server code comes from:
#   useBundled       (default) the copy in ../bundled/libs goes first on sys.path, so the server
#                    and its pure-Python dependencies are the versions tested with the extension;
#                    ../bundled/fallback (rapidfuzz without its compiled extensions) goes *last*,
#                    so a compiled rapidfuzz in the interpreter's environment wins when present.
#   fromEnvironment  the server must be installed in this interpreter's environment.
#
# This file must stay parseable by old interpreters (no f-strings, no annotations) so that a
# too-old Python gets a clear report instead of a SyntaxError.
from __future__ import print_function

import json
import os
import sys

MIN_PYTHON = (3, 10)
HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED = os.path.normpath(os.path.join(HERE, "..", "bundled"))
LIBS = os.path.join(BUNDLED, "libs")
FALLBACK = os.path.join(BUNDLED, "fallback")
SERVER_DIST = "fastapi-docs-lsp"
SERVER_MODULE = "fastapi_docs_lsp"


def strategy():
    value = os.environ.get("FASTAPI_DOCS_LSP_IMPORT_STRATEGY", "useBundled")
    return value if value in ("useBundled", "fromEnvironment") else "useBundled"


def update_sys_path():
    # The launcher's own directory is not a place to import from.
    if sys.path and os.path.normcase(os.path.abspath(sys.path[0] or ".")) == os.path.normcase(HERE):
        del sys.path[0]
    if strategy() == "useBundled":
        if os.path.isdir(LIBS):
            sys.path.insert(0, LIBS)
        if os.path.isdir(FALLBACK):
            sys.path.append(FALLBACK)


def _requirement_names():
    """Names of the server's runtime requirements, read from its installed metadata."""
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover - Python < 3.8
        return []
    try:
        requires = metadata.distribution(SERVER_DIST).requires or []
    except Exception:
        return []
    names = []
    for req in requires:
        if "extra ==" in req.replace("extra==", "extra =="):
            continue
        name = req.split(";")[0]
        for sep in "<>=!~[( ":
            name = name.split(sep)[0]
        if name.strip():
            names.append(name.strip())
    return names


def check():
    report = {
        "executable": sys.executable,
        "python": ".".join(str(p) for p in sys.version_info[:3]),
        "minPython": ".".join(str(p) for p in MIN_PYTHON),
        "versionOk": sys.version_info[:2] >= MIN_PYTHON,
        "strategy": strategy(),
        "bundled": os.path.isdir(LIBS),
        "serverVersion": None,
        "serverPath": None,
        "missing": [],
        "error": None,
    }
    if not report["versionOk"]:
        return report
    from importlib import metadata

    try:
        report["serverVersion"] = metadata.version(SERVER_DIST)
    except Exception:
        pass
    for name in _requirement_names():
        try:
            metadata.distribution(name)
        except Exception:
            report["missing"].append(name)
    try:
        import importlib

        module = importlib.import_module(SERVER_MODULE)
        report["serverPath"] = os.path.dirname(os.path.abspath(module.__file__))
        # importing the CLI pulls in pygls, lsprotocol and the core, without starting anything
        importlib.import_module(SERVER_MODULE + ".cli")
    except ImportError as exc:
        name = getattr(exc, "name", None) or str(exc)
        top = name.split(".")[0]
        if top == SERVER_MODULE and report["serverPath"] is None:
            report["missing"].insert(0, SERVER_DIST)
        elif top not in report["missing"] and top != SERVER_MODULE:
            report["missing"].append(top)
        else:
            report["error"] = "%s: %s" % (type(exc).__name__, exc)
    except Exception as exc:  # a broken install, not a missing one
        report["error"] = "%s: %s" % (type(exc).__name__, exc)
    return report


def main():
    update_sys_path()
    if sys.argv[1:2] == ["--check"]:
        print(json.dumps(check()))
        return 0
    if sys.version_info[:2] < MIN_PYTHON:
        sys.stderr.write(
            "fastapi-docs-lsp needs Python %s or newer; %s is %s\n"
            % (".".join(map(str, MIN_PYTHON)), sys.executable, sys.version.split()[0])
        )
        return 3
    import runpy

    sys.argv[0] = SERVER_MODULE
    runpy.run_module(SERVER_MODULE, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
