"""The editor snippets in editors/: the README shows exactly the files, and each file is valid.

TOML and JSON parse (JSON comments are stripped only for editors that allow them: Zed, Sublime);
Lisp reads with a small s-expression reader, and loads in real Emacs when it is installed; Lua
loads in Neovim when it is installed. Every `fastapi` settings object is checked against the
server's own settings parser.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from fastapi_docs_lsp.settings import parse_settings

REPO = Path(__file__).resolve().parents[2]
EDITORS = REPO / "editors"
README = EDITORS / "README.md"
SERVER = "fastapi-docs-lsp"

FILE_BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```", re.S)


def readme_blocks() -> dict[str, str]:
    return {m["path"]: m["body"] for m in FILE_BLOCK.finditer(README.read_text())}


def assert_valid_settings(obj) -> None:
    assert isinstance(obj, dict) and "fastapi" in obj, obj
    _, problems = parse_settings(obj)
    assert problems == [], problems


# --------------------------------------------------------------------------- README


EXPECTED_FILES = [
    "nvim/examples/init-plugin.lua",
    "nvim/examples/init-0.11.lua",
    "nvim/examples/init-lsp-dir.lua",
    "nvim/lsp/fastapi_docs_lsp.lua",
    "mason/packages/fastapi-docs-lsp/package.yaml",
    "nvim/examples/init-lspconfig.lua",
    "nvim/examples/init-0.8.lua",
    "helix/languages.toml",
    "zed/settings.json",
    "sublime/LSP.sublime-settings",
    "emacs/fastapi-docs-lsp-mode.el",
    "emacs/fastapi-docs-eglot.el",
]


def test_readme_shows_every_snippet_file_verbatim():
    blocks = readme_blocks()
    assert sorted(blocks) == sorted(EXPECTED_FILES)
    for path, body in blocks.items():
        assert (EDITORS / path).read_text() == body, f"README block differs from editors/{path}"


def test_readme_says_what_ran_for_real():
    text = README.read_text()
    assert "run for real" in text
    assert "not been built or run here" in text  # the Zed extension
    assert "one** server per major mode" in text  # Eglot's limitation


# --------------------------------------------------------------------------- JSON with comments


def strip_json_comments(text: str) -> str:
    """Remove // and /* */ comments outside strings (Zed and Sublime accept them)."""
    out, i, n, in_str = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.index("*/", i + 2)
            i = end + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def test_strip_json_comments_keeps_strings():
    text = '{"a": "http://x//y", /* c */ "b": 1 // d\n}'
    assert json.loads(strip_json_comments(text)) == {"a": "http://x//y", "b": 1}


def test_zed_settings():
    data = json.loads(strip_json_comments((EDITORS / "zed/settings.json").read_text()))
    servers = data["languages"]["Python"]["language_servers"]
    assert SERVER in servers and "..." in servers  # ours plus Zed's defaults
    lsp = data["lsp"][SERVER]
    assert lsp["binary"]["path"] == SERVER and lsp["binary"]["arguments"] == []
    assert_valid_settings(lsp["initialization_options"])
    assert_valid_settings(lsp["settings"])


def test_zed_extension_registers_the_same_server():
    manifest = tomllib.loads((EDITORS / "zed/extension/extension.toml").read_text())
    for key in ("id", "name", "version", "schema_version"):
        assert key in manifest
    assert manifest["schema_version"] == 1
    assert manifest["language_servers"][SERVER]["languages"] == ["Python"]
    cargo = tomllib.loads((EDITORS / "zed/extension/Cargo.toml").read_text())
    assert cargo["lib"]["crate-type"] == ["cdylib"]
    assert "zed_extension_api" in cargo["dependencies"]
    source = (EDITORS / "zed/extension/src/lib.rs").read_text()
    assert f'const SERVER: &str = "{SERVER}";' in source
    for fn in ("language_server_command", "language_server_initialization_options", "language_server_workspace_configuration"):
        assert f"fn {fn}(" in source
    assert "register_extension!(FastapiDocsExtension)" in source
    assert source.count("{") == source.count("}") and source.count("(") == source.count(")")


def test_sublime_settings():
    data = json.loads(strip_json_comments((EDITORS / "sublime/LSP.sublime-settings").read_text()))
    client = data["clients"][SERVER]
    assert client["enabled"] is True
    assert client["command"] == [SERVER]
    assert client["selector"] == "source.python"
    assert_valid_settings(client["initializationOptions"])
    assert_valid_settings(client["settings"])


# --------------------------------------------------------------------------- TOML


def test_helix_languages_toml():
    data = tomllib.loads((EDITORS / "helix/languages.toml").read_text())
    server = data["language-server"][SERVER]
    assert server["command"] == SERVER
    assert_valid_settings(server["config"])
    python = [lang for lang in data["language"] if lang["name"] == "python"]
    assert len(python) == 1
    servers = python[0]["language-servers"]
    assert servers[-1] == SERVER and len(servers) >= 2  # a second server, after the usual one
    assert all(isinstance(s, str) and (s == SERVER or s not in data["language-server"]) for s in servers)


# --------------------------------------------------------------------------- Lisp


class SexpError(ValueError):
    pass


def read_sexps(text: str) -> list:
    """A small Emacs Lisp reader: lists, vectors, strings, ?chars, quotes, comments, atoms."""
    pos, n = 0, len(text)

    def skip() -> None:
        nonlocal pos
        while pos < n:
            if text[pos].isspace():
                pos += 1
            elif text[pos] == ";":
                while pos < n and text[pos] != "\n":
                    pos += 1
            else:
                return

    def read():
        nonlocal pos
        skip()
        if pos >= n:
            raise SexpError("unexpected end of input")
        c = text[pos]
        if c in "([":
            close = ")" if c == "(" else "]"
            pos += 1
            items = []
            while True:
                skip()
                if pos >= n:
                    raise SexpError(f"unclosed {c}")
                if text[pos] == close:
                    pos += 1
                    return items if c == "(" else tuple(items)
                if text[pos] in ")]":
                    raise SexpError(f"mismatched {text[pos]} at {pos}")
                items.append(read())
        if c in ")]":
            raise SexpError(f"unexpected {c} at {pos}")
        if c == '"':
            pos += 1
            buf = []
            while pos < n and text[pos] != '"':
                if text[pos] == "\\":
                    pos += 1
                buf.append(text[pos])
                pos += 1
            if pos >= n:
                raise SexpError("unterminated string")
            pos += 1
            return "".join(buf)
        if c == "?":
            pos += 2 if text[pos + 1] != "\\" else 3
            return "?char"
        if c in "'`":
            pos += 1
            return ["quote", read()]
        if c == ",":
            pos += 2 if text[pos + 1 : pos + 2] == "@" else 1
            return ["unquote", read()]
        if c == "#" and text[pos + 1] == "'":
            pos += 2
            return ["function", read()]
        start = pos
        while pos < n and not text[pos].isspace() and text[pos] not in "()[]\";'`,":
            if text[pos] == "\\":
                pos += 1
            pos += 1
        return text[start:pos]

    forms = []
    while True:
        skip()
        if pos >= n:
            return forms
        forms.append(read())


def test_sexp_reader_rejects_broken_lisp():
    assert read_sexps("(a [b \"c)\"] ?\\( 'd) ; x") == [["a", ("b", "c)"), "?char", ["quote", "d"]]]
    for bad in ("(a (b)", "(a))", "(a]", '("x)'):
        with pytest.raises(SexpError):
            read_sexps(bad)


def _heads(form, out):
    if isinstance(form, list) and form:
        if isinstance(form[0], str):
            out.append(form[0])
        for f in form:
            _heads(f, out)
    return out


def test_lsp_mode_snippet_reads():
    forms = read_sexps((EDITORS / "emacs/fastapi-docs-lsp-mode.el").read_text())
    heads = _heads(forms, [])
    for name in ("lsp-register-client", "make-lsp-client", "lsp-stdio-connection", "lsp-register-custom-settings", "provide"):
        assert name in heads
    text = (EDITORS / "emacs/fastapi-docs-lsp-mode.el").read_text()
    assert ":add-on? t" in text and f"'(\"{SERVER}\")" in text


def test_eglot_snippet_reads():
    text = (EDITORS / "emacs/fastapi-docs-eglot.el").read_text()
    forms = read_sexps(text)
    heads = _heads(forms, [])
    assert "add-to-list" in heads and "provide" in heads
    # the commented-out alternative (b) reads too
    lines = text[text.index(";; (b)") : text.index(";; Settings")].splitlines()[1:]
    alt = "\n".join(line.removeprefix(";;") for line in lines)
    (form,) = read_sexps(alt)
    assert form[0] == "with-eval-after-load"
    assert ":initializationOptions" in alt
    assert '"rass" "--" "basedpyright-langserver" "--stdio" "--" "fastapi-docs-lsp"' in text


def _emacs_with(packages: list[str]) -> str:
    emacs = shutil.which("emacs")
    if not emacs:
        pytest.skip("emacs is not installed (apt-get install emacs-nox elpa-lsp-mode elpa-eglot)")
    probe = "(progn (package-initialize) " + " ".join(f"(require '{p})" for p in packages) + ")"
    if subprocess.run([emacs, "--batch", "--eval", probe], capture_output=True, timeout=120).returncode:
        pytest.skip(f"emacs lacks {packages} (apt-get install elpa-lsp-mode elpa-eglot)")
    return emacs


def test_lsp_mode_snippet_loads_in_emacs():
    emacs = _emacs_with(["lsp-mode"])
    check = f"""(progn (package-initialize) (require 'lsp-mode)
      (load "{EDITORS / 'emacs/fastapi-docs-lsp-mode.el'}" nil t)
      (let ((c (gethash 'fastapi-docs-lsp lsp-clients)))
        (unless c (error "client not registered"))
        (unless (lsp--client-add-on? c) (error "client is not an add-on"))
        (unless (fboundp 'fastapi-docs-search) (error "no fastapi-docs-search"))
        (princ "ok")))"""
    proc = subprocess.run([emacs, "--batch", "--eval", check], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.endswith("ok"), proc.stderr[-2000:]


def test_eglot_snippet_loads_in_emacs():
    emacs = _emacs_with(["eglot"])
    check = f"""(progn (package-initialize) (require 'eglot)
      (load "{EDITORS / 'emacs/fastapi-docs-eglot.el'}" nil t)
      (let ((entry (assoc '(python-mode python-ts-mode) eglot-server-programs)))
        (unless (member "fastapi-docs-lsp" entry) (error "no server entry: %S" entry))
        (unless (equal (default-value 'eglot-workspace-configuration)
                       '(:fastapi (:openReferencesIn "browser" :docsLanguage "auto" :codeLens :json-false)))
          (error "workspace configuration"))
        (unless (memq 'eglot-ensure python-mode-hook) (error "no hook"))
        (princ "ok")))"""
    proc = subprocess.run([emacs, "--batch", "--eval", check], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.endswith("ok"), proc.stderr[-2000:]


# --------------------------------------------------------------------------- Lua


LUA_FILES = sorted(str(p.relative_to(EDITORS)) for p in (EDITORS / "nvim").rglob("*.lua"))


@pytest.mark.parametrize("path", LUA_FILES)
def test_lua_files_compile(path):
    nvim = shutil.which("nvim")
    if not nvim:
        pytest.skip("no nvim binary (apt-get install neovim)")
    target = EDITORS / path
    lua = f"local f, err = loadfile({json.dumps(str(target))}); if not f then io.stderr:write(err); vim.cmd('cq') end; vim.cmd('qa!')"
    proc = subprocess.run([nvim, "--headless", "--clean", "-u", "NONE", "-c", f"lua {lua}"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr


def test_nvim_lsp_config_file_matches_the_plugin():
    """editors/nvim/lsp/fastapi_docs_lsp.lua: what vim.lsp.enable('fastapi_docs_lsp') reads (0.11+)."""
    text = (EDITORS / "nvim/lsp/fastapi_docs_lsp.lua").read_text()
    assert "cmd = { 'fastapi-docs-lsp' }" in text
    assert "filetypes = { 'python' }" in text
    assert "experimental = { commands = { commands = { 'fastapi.showReferences' } } }" in text
    plugin = (EDITORS / "nvim/lua/fastapi_docs/init.lua").read_text()
    markers = re.search(r"root_markers = (\{[^}]*\})", plugin)[1]
    assert f"root_markers = {markers}" in text, "the same root markers as the plugin"
    assert "fastapi_docs_lsp = true" in plugin, "the plugin's commands recognise this client name"


def test_mason_package_spec():
    import yaml
    spec = yaml.safe_load((EDITORS / "mason/packages/fastapi-docs-lsp/package.yaml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for key in ("name", "description", "homepage", "licenses", "languages", "categories", "source", "bin"):
        assert spec.get(key), key
    assert spec["name"] == project["name"]
    assert spec["licenses"] == [project["license"]]
    assert spec["categories"] == ["LSP"] and spec["languages"] == ["Python"]
    # the purl names the PyPI package at the version this checkout builds
    assert spec["source"]["id"] == f"pkg:pypi/{project['name']}@{project['version']}"
    # the binary Mason links is the console script the wheel installs
    assert list(spec["bin"]) == list(project["scripts"]) == [SERVER]
    assert spec["bin"][SERVER] == f"pypi:{project['name']}"
    # nvim-lspconfig / vim.lsp.config name: the lsp/ file shipped in editors/nvim
    assert (EDITORS / "nvim/lsp" / f"{spec['neovim']['lspconfig']}.lua").is_file()


def test_nvim_examples_use_the_same_server_and_settings():
    for name in ("init-plugin.lua", "init-0.11.lua", "init-0.8.lua", "init-lspconfig.lua"):
        text = (EDITORS / "nvim/examples" / name).read_text()
        assert "'fastapi-docs-lsp'" in text, name
        assert "openReferencesIn = 'browser'" in text, name
        assert "~/src/fastapi-docs-lsp/editors/nvim" in text, name
