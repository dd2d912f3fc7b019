"""Your own embedding model: `qa index --model` (a folder, or a name in the local Hugging Face
cache) is recorded in the manifest and used by every question of that index."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from embeddings.models import packaged_model_path
from qa import index as index_mod
from tests.conftest import run


@pytest.mark.model
def test_an_index_built_with_another_model_is_asked_with_it(tmp_path: Path, monkeypatch):
    model = tmp_path / "my-model"  # a second model folder: the packaged one's files, linked
    shutil.copytree(packaged_model_path(), model, copy_function=os.symlink)
    docs, ix = tmp_path / "notes", tmp_path / "ix"
    docs.mkdir()
    (docs / "ferry.md").write_text("# Ferry\n\nThe winter ferry leaves the north pier at seven.\n")
    built = run("index", str(docs), "--index", str(ix), "--model", str(model))
    assert built.exit_code == 0, built.output
    assert index_mod.load(ix).manifest.model == str(model)
    assert f"model      {model}" in run("status", "--index", str(ix)).output
    monkeypatch.chdir(tmp_path.parent)  # asked from elsewhere, with no --model
    asked = run("ask", "When does the ferry leave?", "--index", str(ix), "--json")
    assert asked.exit_code == 0, asked.output
    assert "seven" in json.loads(asked.stdout)["passages"][0]["text"]
    from embeddings.onnx_encoder import cache_folder, is_exported
    from qa.workspace import onnx_cache

    assert is_exported(cache_folder(model, onnx_cache()))  # its own export, not the default's
    (docs / "bus.md").write_text("# Bus\n\nThe bus stops at the harbour.\n")
    again = run("index", str(docs), "--index", str(ix))  # kept as built
    assert again.exit_code == 0 and index_mod.load(ix).manifest.model == str(model)


def test_a_model_that_is_not_on_this_machine_is_one_line(tmp_path: Path):
    docs = tmp_path / "notes"
    docs.mkdir()
    (docs / "a.md").write_text("Some notes.\n")
    for name in ("nobody/no-such-model", str(tmp_path / "missing")):
        got = run("index", str(docs), "--index", str(tmp_path / "ix"), "--model", name)
        assert got.exit_code == 2, got.output
        (line,) = got.stderr.strip().splitlines()
        assert "qa never downloads models" in line and not (tmp_path / "ix" / "live").exists()
