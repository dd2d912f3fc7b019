"""qa's per-user folders: the XDG answer qa computes itself is platformdirs' answer."""

from __future__ import annotations

import sys

import platformdirs
import pytest

from qa.userdirs import user_dir

FIND = {
    "config": platformdirs.user_config_dir,
    "data": platformdirs.user_data_dir,
    "cache": platformdirs.user_cache_dir,
}
VARIABLE = {"config": "XDG_CONFIG_HOME", "data": "XDG_DATA_HOME", "cache": "XDG_CACHE_HOME"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rule is for Linux")
@pytest.mark.parametrize("kind", sorted(FIND))
@pytest.mark.parametrize("value", [None, "", "relative/dir", "/abs/where"])
def test_the_folders_are_platformdirs_folders(kind, value, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    if value is None:
        monkeypatch.delenv(VARIABLE[kind], raising=False)
    else:
        monkeypatch.setenv(VARIABLE[kind], value)
    assert str(user_dir(kind)) == FIND[kind]("qa", appauthor=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rule is for Linux")
def test_a_cold_question_loads_neither_platformdirs_nor_openssl():
    import subprocess

    code = (
        "import sys; from qa.workspace import default_index_dir, onnx_cache;"
        " from qa.config import config_path; from pathlib import Path;"
        " default_index_dir(Path('.')); onnx_cache(); config_path();"
        " from embeddings.onnx_encoder import cache_folder; cache_folder(Path('.'), Path('.'));"
        " print(sorted({'platformdirs', 'hashlib', 'tempfile'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
