import sys
from pathlib import Path

from fastapi_docs_lsp.core.env import find_environment


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
