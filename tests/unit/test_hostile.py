"""Hostile input: huge/binary files in the workspace, evil docs folders, quadratic Markdown,
settings of the wrong types, and workspaces whose modules run code at import time."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_docs_lsp.core.analysis import analyze
from fastapi_docs_lsp.core.project import Project
from fastapi_docs_lsp.core.routes import iter_python_files
from fastapi_docs_lsp.core.workspace import WorkspaceModules, read_file_text
from fastapi_docs_lsp.settings import Settings, parse_settings, settings_schema

from ..fuzz.strategies import examples

GIB = 1024**3


def sparse(path: Path, size: int = GIB, head: bytes = b"from fastapi import FastAPI\napp = FastAPI()\n") -> Path:
    path.write_bytes(head)
    os.truncate(path, size)  # sparse: no disk space used
    return path


# --------------------------------------------------------------------------------------
# huge and binary files in the workspace


def test_gigabyte_and_binary_files_are_skipped_with_a_log_line(tmp_path, caplog):
    big = sparse(tmp_path / "huge.py")
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\x7fELF\x00\x00\x01" + bytes(range(256)) * 40)
    with caplog.at_level(logging.INFO, logger="fastapi_docs_lsp"):
        started = time.perf_counter()
        assert read_file_text(str(big)) is None
        assert read_file_text(str(binary)) is None
        assert time.perf_counter() - started < 1.0
    assert "huge.py" in caplog.text and "limit" in caplog.text
    assert "blob.py" in caplog.text and "binary" in caplog.text
    assert str(big) not in list(iter_python_files([str(tmp_path)], 3_000_000))


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    path = tmp_path / "latin1.py"
    path.write_bytes("from fastapi import FastAPI\napp = FastAPI(title='caf\xe9')\n".encode("latin-1") + b"\xff\xfe\xc3")
    text = read_file_text(str(path))
    assert text is not None and "\ufffd" in text
    assert any(o.target == "fastapi.FastAPI" for o in analyze(text).occurrences)


def test_imports_from_huge_or_binary_modules_resolve_to_nothing(tmp_path):
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    sparse(pkg / "huge.py")
    (pkg / "blob.py").write_bytes(b"app = FastAPI()\x00\x00\x00")
    modules = WorkspaceModules([str(tmp_path)], lambda p: read_file_text(p), lambda: None)
    started = time.perf_counter()
    analysis = analyze(
        "from app.huge import app\nfrom app.blob import app as other\napp.get\nother.get\n",
        module_name="app.main",
        resolver=modules,
    )
    assert time.perf_counter() - started < 1.0
    assert not [o for o in analysis.occurrences if o.line >= 2]


def test_project_refuses_documents_over_the_size_limit():
    project = Project(roots=[], settings=Settings(maxFileSize=1000))
    assert project.analysis("/x/big.py", "from fastapi import FastAPI\n" + "#" * 2000, 1) is None
    assert project.analysis("/x/small.py", "from fastapi import FastAPI\n", 1) is not None


# --------------------------------------------------------------------------------------
# documentation folders (referencePaths)

PATHOLOGICAL_MARKDOWN = {
    "brackets.md": "# Brackets\n\n" + "[" * 200_000 + "\n",
    "links.md": "# Links\n\n" + "[a](" * 50_000 + "\n",
    "emphasis.md": "# Emphasis\n\n" + "*a _" * 50_000 + "\n",
    "backticks.md": "# Backticks\n\n" + "`" * 100_000 + " x " + "``" * 1000 + "\n",
    "quotes.md": "# Quotes\n\n" + "> " * 100_000 + "deep\n",
    "lists.md": "# Lists\n\n" + "".join("  " * (i % 60) + "- item\n" for i in range(20_000)),
    "setext.md": "# Setext\n\n" + "line\n" * 50_000 + "===\n",
    "fences.md": "# Fences\n\n" + "```\n" * 50_000,
    "tables.md": "# Tables\n\n|a|b|\n|-|-|\n" + "|x|y|\n" * 40_000,
    "anchors.md": "# Anchors\n\n" + "## Same { #same }\n\ntext\n\n" * 10_000,
    "headings.md": "# Headings\n\n" + "".join(f"## Heading {i}\n\nbody\n\n" for i in range(10_000)),
    "includes.md": "# Includes\n\n" + "{* ../../outside.py *}\n" * 5_000 + "--8<-- \"../../outside.md\"\n" * 5_000,
    "nul.md": "# Nul\n\n" + "a\x00b\r\n" * 10_000,
    "crlf_only.md": "# Cr\r\r" + "text\r" * 20_000,
}


def evil_docs_folder(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret page\n\nTOPSECRET-TOKEN-1234\n")
    (tmp_path / "outside.py").write_text("TOPSECRET_INCLUDE = 1\n")
    (tmp_path / "outside.md").write_text("TOPSECRET-SNIPPET\n")
    root = tmp_path / "mydocs"
    docs = root / "docs"
    docs.mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: Mine\nsite_url: https://docs.example.com/\n")
    (docs / "index.md").write_text("# Welcome home\n\nThe start page.\n\n## Getting started\n\nInstall it.\n")
    for name, text in PATHOLOGICAL_MARKDOWN.items():
        (docs / name).write_text(text, newline="")
    (docs / "loop").symlink_to(docs)  # directory symlink loop
    (docs / "self.md").symlink_to(docs / "self.md")  # file symlink loop
    (docs / "escape").symlink_to(outside)  # a folder outside
    (docs / "escape.md").symlink_to(outside / "secret.md")  # a file outside
    (docs / "dangling.md").symlink_to(tmp_path / "missing.md")
    sparse(docs / "gigantic.md", GIB, b"# Gigantic\n\n")
    (docs / "binary.md").write_bytes(b"# Binary\n\x00\x01\x02" * 1000)
    (docs / "fifo.md").unlink(missing_ok=True)
    os.mkfifo(docs / "fifo.md")  # reading it would block forever
    return root


def test_hostile_docs_folder_loads_quickly_and_stays_inside(tmp_path, caplog):
    from fastapi_docs_lsp.core.docs.index import build_index

    root = evil_docs_folder(tmp_path)
    # CPU time of this process: what the parsers cost, whatever else the shared machine runs
    # (a quadratic parser takes minutes here; the linear ones about 10 s)
    started = time.process_time()
    with caplog.at_level(logging.INFO):
        index = build_index(catalog=False, reference_paths=[str(root), str(root / "docs" / "loop" / "loop")], cache_dir="")
    elapsed = time.process_time() - started
    assert elapsed < 20, elapsed
    titles = {s.title for s in index.sections}
    assert "Welcome home" in titles and "Getting started" in titles
    assert "Brackets" in titles and "Anchors" in titles
    assert not {"Secret page", "Gigantic", "Binary"} & titles
    everything = "\n".join(f"{s.title}\n{s.text}\n{s.summary}" for s in index.sections)
    assert "TOPSECRET" not in everything
    same = [s for s in index.sections if s.title == "Same"]
    # the folder is listed twice (once through the symlink loop): the same 10,000 distinct anchors
    assert len({s.url for s in same}) == 10_000
    assert "outside" in caplog.text and "gigantic.md" in caplog.text
    assert index.search("welcome home")


def test_docs_paths_that_are_files_devices_or_missing(tmp_path):
    from fastapi_docs_lsp.core.docs.index import build_index

    plain = tmp_path / "notes.txt"
    plain.write_text("hello")
    paths = [str(plain), "/dev/zero", "/dev/null", str(tmp_path / "missing"), "", "~", "/proc/self"]
    started = time.perf_counter()
    index = build_index(catalog=False, reference_paths=paths, cache_dir="")
    assert time.perf_counter() - started < 20
    assert index.sections == [] or all(s.url for s in index.sections)


# --------------------------------------------------------------------------------------
# settings of the wrong types

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
setting_keys = st.sampled_from(sorted(settings_schema()) + ["hover", "completion", "diagnostics", "diagnostics.rules", "server", "fastapi", "bogus"])


@st.composite
def settings_payloads(draw):
    data: dict = {}
    for key in draw(st.lists(setting_keys, max_size=8)):
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = draw(json_values)
    return draw(st.sampled_from([data, {"fastapi": data}, draw(json_values)]))


def _check_types(obj, default) -> None:
    for name in default.__dataclass_fields__:
        value, want = getattr(obj, name), getattr(default, name)
        if hasattr(want, "__dataclass_fields__"):
            _check_types(value, want)
        else:
            assert type(value) is type(want), (name, value)


@settings(max_examples=examples(200, 5000))
@given(settings_payloads())
def test_settings_of_any_shape_never_raise_and_keep_types(payload):
    parsed, problems = parse_settings(payload)
    _check_types(parsed, Settings())
    assert all(isinstance(p, str) for p in problems)
    assert parsed.maxFileSize >= 0 and parsed.hover.maxLinks >= 0
    for severity in parsed.diagnostics.rules.values():
        assert severity in ("off", "error", "warning", "information", "hint")
    project = Project(roots=[])
    project.apply_settings(parsed)  # never raises either


# --------------------------------------------------------------------------------------
# a workspace whose modules run code when imported

EVIL = '''import os, socket
open({marker!r}, "w").write("{name} ran")
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"{name}")
except OSError:
    pass
'''


def evil_workspace(root: Path, marker_dir: Path, port: int) -> list[Path]:
    """A FastAPI project in which every importable file runs code (marker file + a connection)."""

    def evil(name: str) -> str:
        return EVIL.format(marker=str(marker_dir / f"{name}.ran"), name=name, port=port)

    files = {
        "app/__init__.py": evil("app_init"),
        "app/main.py": evil("main") + "from fastapi import FastAPI, Depends\nfrom app.deps import get_db\napp = FastAPI()\n\n@app.get('/')\ndef root(db=Depends(get_db)):\n    return {}\n",
        "app/deps.py": evil("deps") + "def get_db():\n    yield {}\n",
        "app/routers/__init__.py": evil("routers_init"),
        "app/routers/items.py": evil("items") + "from fastapi import APIRouter\nrouter = APIRouter()\n@router.get('/items')\ndef items():\n    return []\n",
        "conftest.py": evil("conftest"),
        "setup.py": evil("setup"),
        "sitecustomize.py": evil("sitecustomize"),
        "usercustomize.py": evil("usercustomize"),
        "fastapi.py": evil("fake_fastapi"),  # shadows the real package for code run from the root
        "pydantic/__init__.py": evil("fake_pydantic"),
        # names a server (or its subprocesses) could import from the working directory
        **{f"{mod}.py": evil(mod) for mod in ("ast", "json", "re", "typing", "griffe", "uuid", "logging", "enum", "dataclasses", "inspect", "platformdirs", "rapidfuzz", "markdown_it", "lsprotocol", "pygls", "importlib_metadata", "typing_extensions")},
        "evil.pth": f"import os; open({str(marker_dir / 'pth.ran')!r}, 'w').write('pth')\n",
        ".venv/pyvenv.cfg": "home = /nonexistent\n",
        ".venv/lib/python3.11/site-packages/fastapi/__init__.py": evil("venv_fastapi"),
    }
    written = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


class Listener:
    """A localhost socket the evil modules try to reach; records whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        n = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, OSError):
                return n
            conn.close()
            n += 1

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def evil(tmp_path):
    listener = Listener()
    markers = tmp_path / "markers"
    markers.mkdir()
    root = tmp_path / "project"
    files = evil_workspace(root, markers, listener.port)
    yield root, markers, listener, files
    listener.close()


def assert_nothing_ran(markers: Path, listener: Listener) -> None:
    assert sorted(p.name for p in markers.iterdir()) == []
    assert listener.connections() == 0


def test_analysing_a_workspace_never_imports_it(evil, cache_dir):
    from fastapi_docs_lsp.core.diagnostics import diagnose
    from fastapi_docs_lsp.core.routes import RouteIndex

    root, markers, listener, files = evil
    project = Project(roots=[str(root)], settings=Settings(pythonPath=sys.executable))
    project.load()
    for path in files:
        if path.suffix == ".py":
            text = path.read_text()
            analysis = project.analysis(str(path), text, 1)
            assert analysis is not None
            for occ in analysis.occurrences:
                project.hover(str(path), text, occ.line, occ.start, version=1)
            diagnose(analysis, db=project.db, docs=project.docs, module_name=project.modules.module_name_for(str(path)), path=str(path))
    main = root / "app" / "main.py"
    assert any(o.target == "fastapi.FastAPI" for o in project.analysis(str(main), main.read_text(), 1).occurrences)
    index = RouteIndex([str(root)], project.modules.analysis_for, project.modules.module_name_for, lambda: project.db)
    index.refresh()  # the workspace route scan (workspace symbols, unused-router diagnostics)
    assert any(r.path == "/items" for f in index.files.values() for r in f.routes)
    assert_nothing_ran(markers, listener)


def test_cli_in_the_workspace_never_imports_it(evil, tmp_path):
    """The CLI (and the API extraction it may start) run from inside the hostile workspace."""
    root, markers, listener, _ = evil
    env = {**os.environ, "FASTAPI_DOCS_LSP_CACHE_DIR": str(tmp_path / "fresh-cache")}  # forces API extraction
    main = root / "app" / "main.py"
    for args in (["info", "--python", sys.executable], ["hover", f"{main}:9:8", "--python", sys.executable], ["symbols", str(main)]):
        for cmd in ([sys.executable, "-m", "fastapi_docs_lsp", *args], [str(Path(sys.executable).parent / "fastapi-docs-lsp"), *args]):
            proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, (cmd, proc.stderr[-2000:])
    assert_nothing_ran(markers, listener)
    assert json.loads((tmp_path / "fresh-cache").joinpath(next(p.name for p in (tmp_path / "fresh-cache").glob("api-*.json"))).read_text())


# --------------------------------------------------------------------------------------
# special files in the workspace: a symlink to /dev/zero, a FIFO (issue 17, item 2)


def _peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _finishes(work, timeout: float) -> bool:
    """Run ``work`` in a daemon thread; True when it returns within ``timeout`` seconds."""
    import threading

    done = threading.Event()

    def run():
        work()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(timeout)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="POSIX special files")
def test_dev_zero_symlink_and_fifo_in_the_workspace_are_not_read(tmp_path, caplog):
    from fastapi_docs_lsp.core.files import read_regular_text
    from fastapi_docs_lsp.core.routes import RouteIndex

    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("from fastapi import FastAPI\nfrom app.zz import x\napp = FastAPI()\n@app.get('/ok')\ndef ok():\n    return 1\n")
    (root / "app" / "zz.py").symlink_to("/dev/zero")  # git stores symlinks: a clone is enough
    (root / "app" / "x.py").unlink(missing_ok=True)
    os.mkfifo(root / "app" / "x.py")  # opening it for reading would wait for a writer forever
    (root / "app" / "dev.py").symlink_to("/dev/null")
    for special in ("zz.py", "x.py", "dev.py"):
        assert read_file_text(str(root / "app" / special)) is None
        assert read_regular_text(root / "app" / special) is None

    project = Project(roots=[str(root)])
    index = RouteIndex([str(root)], project.modules.analysis_for, project.modules.module_name_for, lambda: None)
    before = _peak_rss_mb()
    with caplog.at_level(logging.INFO, logger="fastapi_docs_lsp"):
        assert _finishes(index.refresh, 60), "the route scan blocked on a FIFO or endless file"
        main = root / "app" / "main.py"
        assert _finishes(lambda: project.analysis(str(main), main.read_text(), 1), 30)
    grown = _peak_rss_mb() - before
    assert grown < 100, f"peak RSS grew by {grown:.0f} MB"
    assert any(r.path == "/ok" for f in index.files.values() for r in f.routes)
    assert "a device, not a regular file" in caplog.text and "a FIFO, not a regular file" in caplog.text


def test_regular_file_reader_refuses_what_grows_past_the_limit_and_follows_only_file_links(tmp_path):
    from fastapi_docs_lsp.core.files import RefusedFile, read_regular_bytes, read_regular_text

    target = tmp_path / "real.py"
    target.write_text("x = 1\n")
    (tmp_path / "link.py").symlink_to(target)
    (tmp_path / "dirlink.py").symlink_to(tmp_path, target_is_directory=True)
    assert read_regular_text(tmp_path / "link.py") == "x = 1\n"
    assert read_regular_text(tmp_path / "dirlink.py") is None
    with pytest.raises(RefusedFile):
        read_regular_bytes(target, limit=3)
    if hasattr(socket, "AF_UNIX") and len(str(tmp_path)) < 90:
        sock = socket.socket(socket.AF_UNIX)
        try:
            sock.bind(str(tmp_path / "sock.py"))
            assert read_regular_text(tmp_path / "sock.py") is None
        finally:
            sock.close()


# --------------------------------------------------------------------------------------
# the docs cache: keyed by content, never by version strings (issue 17, item 3)


def _fake_env(base: Path, doc: str) -> Path:
    """A venv whose fastapi and starlette claim the real versions but hold other code."""
    venv = base / ".venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    (venv / "pyvenv.cfg").parent.mkdir(parents=True, exist_ok=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for package, version, body in (
        ("fastapi", "0.165.0", f'__version__ = "0.165.0"\n\n\nclass FastAPI:\n    """{doc}"""\n'),
        ("starlette", "1.10.0", '__version__ = "1.10.0"\n'),
    ):
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text(body)
        dist = site / f"{package}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    return venv


def test_two_environments_claiming_the_same_versions_get_their_own_docs(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("FASTAPI_DOCS_LSP_CACHE_DIR", str(cache))
    docs = {}
    for name, doc in (("real", "The real FastAPI."), ("fake", "A poisoned docstring."), ("copy", "The real FastAPI.")):
        root = tmp_path / name
        _fake_env(root, doc)
        project = Project(roots=[str(root)])
        project.env = env = __import__("fastapi_docs_lsp.core.env", fromlist=["x"]).find_environment("", str(root), environ={})
        assert env.source == ".venv" and env.fastapi_version == "0.165.0"
        db = project._load_api(env)
        assert db is not None, project.api_error
        obj = db.get("fastapi.FastAPI")
        assert obj is not None
        docs[name] = obj.doc
    assert docs == {"real": "The real FastAPI.", "fake": "A poisoned docstring.", "copy": "The real FastAPI."}
    entries = sorted(p.name for p in cache.glob("api-*.json"))
    assert len(entries) == 2, entries  # the identical copy shares the real one's entry
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]  # atomic writes leave no temp file


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fastapi_install_holding_a_fifo_is_refused_with_an_api_error(tmp_path, monkeypatch, caplog):
    from fastapi_docs_lsp.core.env import find_environment

    monkeypatch.setenv("FASTAPI_DOCS_LSP_CACHE_DIR", str(tmp_path / "cache"))
    venv = _fake_env(tmp_path, "doc")
    os.mkfifo(venv / "lib" / "python3.11" / "site-packages" / "fastapi" / "evil.py")
    project = Project(roots=[str(tmp_path)])
    env = find_environment("", str(tmp_path), environ={})
    with caplog.at_level(logging.WARNING):
        assert _finishes(lambda: project._load_api(env), 60)
    info_error = project.api_error
    assert info_error and "evil.py is not a regular file" in info_error
    assert "reading the installed FastAPI failed" in caplog.text
    project.env = env
    info = project.info()
    assert info["apiLoaded"] is False and info["apiError"] == info_error and info["fastapiVersion"] == "0.165.0"


def test_the_extraction_runs_from_a_copied_package_outside_any_site_packages(tmp_path):
    """The .vsix case: the server's interpreter knows nothing of fastapi_docs_lsp; the package
    and its dependencies sit in a bundled ``libs`` folder the launcher puts on ``sys.path``."""
    import shutil

    base = getattr(sys, "_base_executable", "") or ""
    if sys.prefix == sys.base_prefix or not base or not os.path.exists(base):
        pytest.skip("needs a venv's base interpreter")
    probe = subprocess.run([base, "-I", "-c", "import fastapi_docs_lsp"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("the base interpreter can import fastapi_docs_lsp by itself")
    import fastapi_docs_lsp

    package = Path(fastapi_docs_lsp.__file__).parent
    libs = tmp_path / "libs"
    shutil.copytree(package, libs / "fastapi_docs_lsp", ignore=shutil.ignore_patterns("__pycache__"))
    if not (libs / "fastapi_docs_lsp" / "references").exists():
        shutil.copytree(package.parents[1] / "references", libs / "fastapi_docs_lsp" / "references")
    site = Path(__import__("griffe").__file__).parents[1]
    for entry in site.iterdir():  # the dependencies, as a bundle holds them
        if not entry.name.startswith(("fastapi_docs_lsp", "__editable__", "_pytest", "pytest", "__pycache__")) and not entry.name.endswith(".pth"):
            (libs / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    cache = tmp_path / "cache"
    code = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(libs)!r}]\n"
        "from fastapi_docs_lsp.core.env import find_environment\n"
        "from fastapi_docs_lsp.core.project import Project\n"
        f"env = find_environment({sys.executable!r})\n"
        "project = Project(roots=[])\n"
        "project.env, project.db = env, project._load_api(env)\n"
        "info = project.info()\n"
        "print(json.dumps({'loaded': info['apiLoaded'], 'error': info['apiError'], 'file': __import__('fastapi_docs_lsp').__file__}))\n"

    )
    env_vars = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env_vars["FASTAPI_DOCS_LSP_CACHE_DIR"] = str(cache)
    proc = subprocess.run([base, "-I", "-c", code], capture_output=True, text=True, timeout=300, env=env_vars, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["file"].startswith(str(libs))
    assert result == {"loaded": True, "error": None, "file": result["file"]}, proc.stderr[-2000:]
    assert list(cache.glob("api-*.json"))


# --------------------------------------------------------------------------------------
# hostile docs folders: linear parsing, sources failing alone, the loop keeps answering


def hostile_docs(tmp_path: Path) -> tuple[Path, Path]:
    """An mkdocs tree and a skill folder built to stall a backtracking parser."""
    mk = tmp_path / "mk" / "docs"
    mk.mkdir(parents=True)
    (mk / "index.md").write_text("# Hostile home\n\n## Fine section { #fine }\n\nText.\n")
    n = 300_000
    (mk / "heading.md").write_text("# Long heading\n\n## " + "{ #a " * (n // 5) + "\n\n## " + " " * n + "x\n")
    (mk / "admonition.md").write_text("# Long admonition\n\n/// note " + " " * n + "x\n\ntext\n///\n")
    (mk / "include.md").write_text("# Long include\n\n{* " + "a" * n + "\n")
    (mk / "line.md").write_text("# One long line\n\n" + "word [link](x " * (1_000_000 // 14) + "\n")
    skill = tmp_path / "skill"
    (skill / "references").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: hostile\n---\n# Hostile skill\n\nSee references.\n")
    (skill / "references" / "tutorial-1.md").write_text("# Skill page\u00b6\n\nBody.\n\n## Skill section\u00b6\n\nMore.\n")
    (skill / "pages.json").write_text("[" * 200_000 + "]" * 200_000)
    return mk, skill


def test_hostile_docs_parse_in_linear_time_and_each_source_fails_alone(tmp_path, caplog, monkeypatch):
    from fastapi_docs_lsp.core.docs import mkdocs as mkdocs_module
    from fastapi_docs_lsp.core.docs.index import build_index

    mk, skill = hostile_docs(tmp_path)
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING):
        index = build_index(catalog=True, reference_paths=[str(mk), str(skill)], cache_dir="")
    elapsed = time.perf_counter() - started
    titles = {s.title for s in index.sections}
    assert {"Hostile home", "Fine section", "Skill section"} <= titles
    assert "pages.json is not valid JSON" in caplog.text
    assert elapsed < 60, elapsed  # quadratic regexes took minutes here

    # a source whose parser blows up takes only itself down
    def boom(path):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("fastapi_docs_lsp.core.docs.sources.parse_mkdocs_tree", boom)
    assert mkdocs_module.parse_mkdocs_tree is not boom
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        index = build_index(catalog=True, reference_paths=[str(mk), str(skill)], cache_dir="")
    kinds = {s.source for s in index.sections}
    assert kinds == {"catalog", "skill"}, kinds
    assert any(info.kind == "mkdocs" and info.sections == 0 and "could not be read" in info.note for info in index.sources)
    assert "failed; this source is skipped" in caplog.text


def test_the_loop_keeps_running_while_hostile_docs_load(tmp_path):
    """Docs load in a background thread; no single step may hold the interpreter lock for long
    (a catastrophic regex runs in C and holds it for its whole match)."""
    import threading

    from fastapi_docs_lsp.core.background import background_work
    from fastapi_docs_lsp.core.docs.index import build_index

    mk, skill = hostile_docs(tmp_path)
    done = threading.Event()

    def load():
        with background_work():
            build_index(catalog=True, reference_paths=[str(mk), str(skill)], cache_dir="")
        done.set()

    threading.Thread(target=load, daemon=True).start()
    worst = 0.0
    last = time.perf_counter()
    deadline = last + 120
    while not done.is_set() and last < deadline:
        time.sleep(0.001)  # an event-loop tick: it needs the interpreter lock back to go on
        now = time.perf_counter()
        worst = max(worst, now - last)
        last = now
    assert done.is_set(), "hostile docs did not finish loading"
    print(f"worst loop gap while hostile docs load: {worst * 1000:.0f} ms")
    assert worst < 1.0, f"the loading thread held the interpreter for {worst:.2f} s"


@pytest.mark.skipif(os.name == "nt", reason="shell-script interpreters")
def test_loading_a_workspace_with_an_executable_venv_file_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAPI_DOCS_LSP_CACHE_DIR", str(tmp_path / "cache"))
    marker = tmp_path / "marker"
    root = tmp_path / "project"
    root.mkdir()
    for name in (".venv", "venv"):
        script = root / name
        script.write_text(f"#!/bin/sh\necho ran > '{marker}'\n")
        script.chmod(0o755)
    project = Project(roots=[str(root)], settings=Settings())
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    project.load()
    assert not marker.exists(), "a workspace file was executed"
    assert project.env is not None and project.env.source == "server"
