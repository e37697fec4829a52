import os
import stat
import sys
from pathlib import Path

import pytest

from fastapi_docs_lsp.core.env import find_environment, static_site_packages


def test_setting_interpreter_is_used():
    env = find_environment(sys.executable)
    assert env.source == "setting" and env.fastapi_version and env.starlette_version


def test_venv_folder_in_workspace(tmp_path):
    sp = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "fastapi"
    sp.mkdir(parents=True)
    (sp / "__init__.py").write_text('__version__ = "0.99.1"\n')
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    env = find_environment("", str(tmp_path), environ={})
    assert env.source == ".venv" and env.fastapi_version == "0.99.1"


def test_missing_setting_is_reported_and_falls_back(tmp_path):
    env = find_environment(str(tmp_path / "nope" / "python"), str(tmp_path), environ={})
    assert env.source == "server"
    assert any("does not exist" in p for p in env.problems)


def test_workspace_without_fastapi_falls_back_to_server(tmp_path):
    venv = tmp_path / ".venv"
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("")
    env = find_environment("", str(tmp_path), environ={})
    assert env.source == "server"
    assert any("no fastapi" in p for p in env.problems)


def test_skill_dir_detected():
    env = find_environment(sys.executable)
    if env.skill_dir:
        assert (Path(env.skill_dir) / "SKILL.md").is_file()


# --------------------------------------------------------------------------------------
# nothing the workspace provides is ever run: environments are read from disk


def _script(path: Path, marker: Path) -> Path:
    """An executable that leaves ``marker`` behind when run (and prints a bogus sys.path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho ran > '{marker}'\necho '[\"/\"]'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _fastapi_in(site: Path, version: str) -> Path:
    pkg = site / "fastapi"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(f'__version__ = "{version}"\n')
    return pkg


posix_only = pytest.mark.skipif(os.name == "nt", reason="shell-script interpreters")


@posix_only
@pytest.mark.parametrize("name", [".venv", "venv"])
def test_an_executable_file_named_like_a_venv_never_runs(tmp_path, name):
    marker = tmp_path / "marker"
    root = tmp_path / "project"
    _script(root / name, marker)
    env = find_environment("", str(root), environ={})
    assert not marker.exists(), "a workspace file was executed"
    assert env.source == "server"
    assert any("not a virtual environment" in p for p in env.problems)


@posix_only
def test_a_chosen_venv_interpreter_is_read_statically_not_run(tmp_path):
    marker = tmp_path / "marker"
    venv = tmp_path / "project" / ".venv"
    (venv / "pyvenv.cfg").parent.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion_info = 3.12.1.final.0\n")
    _fastapi_in(venv / "lib" / "python3.12" / "site-packages", "0.120.0")
    _fastapi_in(venv / "lib" / "python3.9" / "site-packages", "0.60.0")  # left over from an upgrade
    python = _script(venv / "bin" / "python", marker)
    env = find_environment(str(python), str(tmp_path / "project"), environ={})
    assert not marker.exists()
    assert env.source == "setting" and env.method == "static"
    assert env.fastapi_version == "0.120.0"  # pyvenv.cfg's version wins


@posix_only
def test_a_chosen_installation_prefix_interpreter_is_read_statically(tmp_path):
    """conda / pyenv / python.org layouts: <prefix>/bin/python3.X and <prefix>/lib/python3.X."""
    marker = tmp_path / "marker"
    prefix = tmp_path / "conda"
    _fastapi_in(prefix / "lib" / "python3.11" / "site-packages", "0.111.0")
    python = _script(prefix / "bin" / "python3.11", marker)
    (prefix / "bin" / "python").symlink_to(python)
    env = find_environment(str(prefix / "bin" / "python"), None, environ={})
    assert not marker.exists()
    assert env.fastapi_version == "0.111.0" and env.method == "static"


def test_windows_layout_symlinked_venv_and_system_site_packages(tmp_path):
    win = tmp_path / "win" / ".venv"
    win.mkdir(parents=True)
    (win / "pyvenv.cfg").write_text("home = C:\\Python311\n")
    _fastapi_in(win / "Lib" / "site-packages", "0.101.0")
    assert find_environment("", str(tmp_path / "win"), environ={}).fastapi_version == "0.101.0"

    real = tmp_path / "elsewhere" / "env"
    real.mkdir(parents=True)
    (real / "pyvenv.cfg").write_text("")
    _fastapi_in(real / "lib" / "python3.11" / "site-packages", "0.102.0")
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / ".venv").symlink_to(real, target_is_directory=True)
    assert find_environment("", str(tmp_path / "linked"), environ={}).fastapi_version == "0.102.0"

    base = tmp_path / "base"
    _fastapi_in(base / "lib" / "python3.11" / "site-packages", "0.103.0")
    (base / "bin").mkdir()
    sysvenv = tmp_path / "sys" / ".venv"
    (sysvenv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (sysvenv / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\ninclude-system-site-packages = true\nversion = 3.11.4\n")
    assert find_environment("", str(tmp_path / "sys"), environ={}).fastapi_version == "0.103.0"


def test_pth_path_lines_are_read_and_import_lines_never_run(tmp_path):
    marker = tmp_path / "marker"
    venv = tmp_path / ".venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("")
    checkout = tmp_path / "src"
    _fastapi_in(checkout, "0.104.0")
    (site / "_fastapi.pth").write_text(f"import os; open({str(marker)!r}, 'w')\n{checkout}\n")
    env = find_environment("", str(tmp_path), environ={})
    assert env.fastapi_version == "0.104.0" and not marker.exists()


@posix_only
def test_only_a_chosen_interpreter_that_cannot_be_read_statically_is_run(tmp_path):
    """A pyenv shim or wrapper script has no readable prefix: it runs only as the user's choice."""
    marker = tmp_path / "marker"
    shim = _script(tmp_path / "shims" / "python", marker)
    assert static_site_packages(str(shim)) == (str(shim), [])
    env = find_environment("", str(tmp_path / "shims"), environ={"VIRTUAL_ENV": str(tmp_path / "shims")})
    assert not marker.exists()  # VIRTUAL_ENV and workspace folders are never run
    env = find_environment(str(shim), None, environ={})
    assert marker.exists() and env.method == f"ran {shim}"


def test_fifo_and_device_files_in_an_environment_are_not_read(tmp_path):
    venv = tmp_path / ".venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    _fastapi_in(site, "0.105.0")
    os.mkfifo(venv / "pyvenv.cfg")  # reading it would block forever
    dist = site / "fastapi-0.105.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").symlink_to("/dev/zero")  # reading it would never end
    env = find_environment("", str(tmp_path), environ={})
    assert env.fastapi_version == "0.105.0"
