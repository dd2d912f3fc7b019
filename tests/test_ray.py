"""`qa index --engine ray` on a local Ray runtime builds exactly the index a local build does."""

from __future__ import annotations

import os
import shutil
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import SentenceEncoder
from embeddings.models import packaged_model_path
from embeddings.onnx_encoder import load_or_export
from qa import build as build_mod
from qa import corpus as corpus_mod
from qa import index as index_mod
from qa.options import BuildOptions
from qa.workspace import Workspace
from tests.conftest import DATA, SEEDS, pooled_vectors, read_jsonl

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.ray, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def ray_runtime():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def synthetic(folder: Path) -> Path:
    shutil.copytree(SEEDS, folder)
    for i in range(12):
        (folder / f"note_{i}.txt").write_text(
            " ".join(
                f"Note {i} records that shipment {i * 7 + j} left dock {j}." for j in range(40)
            )
        )
    return folder


def test_files_are_read_and_chunked_on_ray_as_they_are_here(tmp_path: Path, ray_runtime):
    from embeddings.ray_encoder import RaySettings
    from qa.chunks import ChunkSettings
    from qa.cluster import RayEngine

    docs = synthetic(tmp_path / "docs")
    (docs / "picture.png").write_bytes(b"\x89PNG")  # not a readable image: listed as skipped
    (docs / "broken.txt").write_bytes(b"\x00\x01binary\x00")  # unreadable: skipped by a worker
    engine = RayEngine(lambda: None, RaySettings(workers=2))
    settings = ChunkSettings()
    on_ray = corpus_mod.read_and_chunk(docs, settings, engine.map_files)
    here = corpus_mod.read_and_chunk(docs, settings)
    assert on_ray == here
    assert [s.rel for s in on_ray.skipped] == ["broken.txt", "picture.png"]
    assert len(on_ray.docs) == 14 and len(on_ray.chunks) > 14


def test_ivf_shards_filled_by_ray_tasks_merge_into_the_local_index(tmp_path: Path, ray_runtime):
    from embeddings.ray_encoder import RayEncoder, RaySettings
    from tests.test_embeddings import sharded_ivf_matches_whole

    encoder = RayEncoder(lambda: None, RaySettings(workers=2))
    sharded_ivf_matches_whole(tmp_path, encoder.map)


@pytest.mark.model
def test_ray_build_of_an_ivf_index_merged_on_disk_answers_like_a_local_one(
    tmp_path: Path, ray_runtime, monkeypatch
):
    from embeddings import vector_index
    from embeddings.ray_encoder import RaySettings

    monkeypatch.setattr(vector_index, "FLAT_MAX", 10)  # IVF, in shards, even for a few docs
    monkeypatch.setattr(vector_index, "SHARD_ROWS", 12)
    docs = synthetic(tmp_path / "docs")
    local = Workspace.resolve(docs, tmp_path / "local")
    local.build()
    remote = Workspace.resolve(
        docs, tmp_path / "ray", building=BuildOptions(ray=RaySettings(workers=2))
    )
    remote.build()
    version = index_mod.current_folder(remote.root)
    assert (version / vector_index.IVFDATA).is_file()
    assert not list(version.glob("shard-*"))
    a, b = index_mod.load(local.root), index_mod.load(remote.root)
    assert a.dense.ntotal == b.dense.ntotal == len(a.chunks) > 2 * 12  # three shards or more
    questions = [q["question"] for q in read_jsonl(DATA / "seed-questions.jsonl")]
    for ra, rb in zip(local.ask(questions), remote.ask(questions), strict=True):
        assert [p.citation for p in ra.passages] == [p.citation for p in rb.passages]


@pytest.mark.model
def test_ray_build_equals_local_build(tmp_path: Path, ray_runtime):
    from embeddings.ray_encoder import RaySettings

    docs = synthetic(tmp_path / "docs")
    local = Workspace.resolve(docs, tmp_path / "local")
    local.build()
    remote = Workspace.resolve(
        docs, tmp_path / "ray", building=BuildOptions(ray=RaySettings(workers=2))
    )
    remote.build()
    a, b = index_mod.load(local.root), index_mod.load(remote.root)
    assert list(a.chunks) == list(b.chunks)
    assert np.allclose(a.vectors, b.vectors, atol=1e-5)
    assert np.allclose(
        np.asarray(a.sentences.vectors, np.float32),
        np.asarray(b.sentences.vectors, np.float32),
        atol=1e-3,  # float16 storage
    )
    assert a.manifest.documents == b.manifest.documents and a.manifest.dim == b.manifest.dim
    questions = [q["question"] for q in read_jsonl(DATA / "seed-questions.jsonl")]
    for ra, rb in zip(local.ask(questions), remote.ask(questions), strict=True):
        assert [p.citation for p in ra.passages] == [p.citation for p in rb.passages]


class DiesOnce:
    """An encoder factory whose first encoder kills its worker process mid-batch."""

    def __init__(self, marker: Path, cache: Path) -> None:
        self.marker = marker
        self.cache = cache

    def __call__(self):
        encoder = load_or_export(packaged_model_path(), self.cache)
        marker = self.marker
        real = encoder.encode

        def encode(texts, **kw):
            if not marker.exists():
                marker.write_text("died")
                os._exit(1)  # a crashed worker, as Ray sees a lost node
            return real(texts, **kw)

        encoder.encode = encode  # type: ignore[method-assign]
        return encoder


@pytest.mark.model
def test_a_worker_failure_is_retried_and_the_index_is_complete(tmp_path: Path, ray_runtime):
    from embeddings.ray_encoder import RayEncoder, RaySettings

    docs = synthetic(tmp_path / "docs")
    marker = tmp_path / "died.txt"
    cache = tmp_path / "onnx"
    reference = load_or_export(packaged_model_path(), cache)
    encoder = RayEncoder(DiesOnce(marker, cache), RaySettings(workers=2, batch_size=16))
    ws = Workspace.resolve(docs, tmp_path / "ix")
    report = build_mod.build(docs, ws.root, model=ws.chosen_model(), encoder=lambda: encoder)
    assert marker.exists()  # the failure really happened
    index = index_mod.load(ws.root)
    assert len(index.chunks) == report.chunks
    assert np.allclose(index.vectors, pooled_vectors(index, reference), atol=1e-3)


def test_without_ray_the_message_says_how_to_install(monkeypatch, tmp_path: Path):
    import builtins

    from click.testing import CliRunner

    from qa.cli import cli

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("no ray here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    result = CliRunner().invoke(
        cli, ["index", str(SEEDS), "--index", str(tmp_path / "ix"), "--engine", "ray"]
    )
    assert result.exit_code == 2
    assert "pip install '.[ray]'" in result.stderr


def test_partial_factory_is_what_workers_receive():
    import pickle

    factory = partial(SentenceEncoder, packaged_model_path())
    assert pickle.loads(pickle.dumps(factory)).args == factory.args


@pytest.mark.parametrize("shown", [True, False])
def test_progress_is_ray_datas_own_bars_when_asked(ray_runtime, shown):
    from ray.data import DataContext

    from embeddings.ray_encoder import RayEncoder, RaySettings

    RayEncoder(lambda: None, RaySettings(progress=shown))
    assert DataContext.get_current().enable_progress_bars is shown


class AlwaysDies:
    """An encoder factory whose every encoder kills its worker: Ray's retries run out."""

    def __call__(self):
        os._exit(1)


@pytest.mark.model
def test_a_ray_build_that_keeps_failing_is_one_error_and_keeps_the_index(
    tmp_path: Path, ray_runtime, monkeypatch
):
    from embeddings.ray_encoder import RaySettings
    from qa.cluster import RayEngine
    from qa.errors import QAError

    docs = synthetic(tmp_path / "docs")
    ws = Workspace.resolve(docs, tmp_path / "ix", building=BuildOptions(ray=RaySettings(workers=1)))
    before = build_mod.build(docs, ws.root, model=ws.chosen_model(), encoder=ws._encoder)
    (docs / "new.txt").write_text("A note written after the first build.")
    monkeypatch.setattr(
        ws, "_ray_engine", lambda _quantize: RayEngine(AlwaysDies(), ws.building.ray)
    )
    with pytest.raises(QAError, match="the Ray build failed"):
        ws.build()
    index = index_mod.load(ws.root)
    assert len(index.chunks) == before.chunks and "new.txt" not in index.manifest.documents
