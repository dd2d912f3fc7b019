"""The two encoders (sentence-transformers reference, ONNX query path) and the FAISS wrapper."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings.models import ModelNotFound, packaged_model_path, resolve_model
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # builds indexes with the model or starts processes

VARIED = [
    "When did Lavrov plan to visit Japan?",
    "x",
    " ",
    "",
    "Ünïcödé — 日本語のテキスト, emojis 🎌🚀 and Кириллица",
    "word " * 600,  # longer than the model reads: both must truncate the same way
    "[bold]markup[/bold] \x1b[31mred\x1b[0m",
]


@pytest.fixture(scope="module")
def encoders(seed_workspace):
    from embeddings.encoder import SentenceEncoder

    return SentenceEncoder(packaged_model_path()), seed_workspace.query_encoder()


@pytest.mark.model
def test_onnx_matches_sentence_transformers(encoders):
    reference, fast = encoders
    a, b = reference.encode(VARIED), fast.encode(VARIED)
    assert a.shape == b.shape == (len(VARIED), 384)
    cosine = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert cosine.min() >= 0.9999, cosine


@pytest.mark.model
def test_build_encoder_matches_query_encoder(encoders, seed_workspace):
    # the query path skips weight prepacking to load faster; the vectors must not change
    _, fast = encoders
    batch = seed_workspace.query_encoder(prepack=True)
    assert np.allclose(fast.encode(VARIED), batch.encode(VARIED), atol=1e-5)


@pytest.mark.model
def test_optimized_model_keeps_its_weights_in_a_separate_file(encoders, tmp_path: Path):
    import shutil

    from embeddings.onnx_encoder import OPTIMIZED, OnnxEncoder, cache_folder
    from qa.workspace import onnx_cache

    export = cache_folder(packaged_model_path(), onnx_cache())
    for name in ("model.onnx", "tokenizer.json", "onnx.json"):
        shutil.copy(export / name, tmp_path / name)
    first = OnnxEncoder(tmp_path, prepack=False).encode(VARIED)
    assert (tmp_path / OPTIMIZED).stat().st_size < 1_000_000  # the graph only
    assert (tmp_path / (OPTIMIZED + ".data")).stat().st_size > 50_000_000  # the weights
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    again = OnnxEncoder(tmp_path, prepack=False).encode(VARIED)  # loads the optimised files
    assert np.allclose(first, again, atol=1e-6)
    assert np.allclose(first, encoders[1].encode(VARIED), atol=1e-5)


@pytest.mark.model
def test_word_pieces_are_counted_per_text_not_padded(encoders):
    _, fast = encoders
    counts = fast.count_tokens(["short", "a much longer text about something else", "x " * 400])
    assert list(counts[:2]) == [3, 9]  # [CLS] … [SEP]; a batch does not pad them
    assert counts[2] == 256  # the model's window


@pytest.mark.model
def test_encoding_counts_word_pieces_as_count_tokens_does(encoders):
    _, fast = encoders
    texts = ["short", "a much longer text about something else", "x " * 400, "two words"]
    vectors, counts = fast.encode_counted(texts, batch_size=2)
    assert list(counts) == list(fast.count_tokens(texts)) == [3, 9, 256, 4]
    assert np.allclose(vectors, fast.encode(texts), atol=1e-6)


@pytest.mark.model
def test_word_pieces_are_counted_in_slices_in_order(encoders, monkeypatch):
    _, fast = encoders
    texts = ["short", "a much longer text about something else", "x " * 400, "two words"]
    whole = fast.count_tokens(texts)
    monkeypatch.setattr("embeddings.onnx_encoder.COUNT_SLICE", 3)  # two slices, one of 1
    assert list(fast.count_tokens(texts)) == list(whole) == [3, 9, 256, 4]


@pytest.mark.model
def test_vectors_are_unit_length_and_in_input_order(encoders):
    _, fast = encoders
    texts = ["short", "a much longer text about something else entirely", "short"]
    vecs = fast.encode(texts, batch_size=2)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vecs[0], vecs[2], atol=1e-6)
    assert not np.allclose(vecs[0], vecs[1])


@pytest.mark.model
def test_progress_callback_counts_every_text(encoders):
    reference, _ = encoders
    seen: list[int] = []
    reference.encode([f"text {i}" for i in range(300)], batch_size=16, on_batch=seen.append)
    assert sum(seen) == 300 and len(seen) > 1


def test_model_resolution_never_needs_the_network():
    assert resolve_model(None) == packaged_model_path()
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == packaged_model_path()
    assert (packaged_model_path() / "modules.json").is_file()
    with pytest.raises(ModelNotFound, match="never downloads"):
        resolve_model("some-org/some-model-not-on-disk")


def test_flat_index_finds_exact_neighbours():
    from embeddings.vector_index import build_index, search

    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(200, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = build_index(vecs)
    scores, ids = search(index, vecs[:5], 3)
    assert list(ids[:, 0]) == [0, 1, 2, 3, 4]
    assert np.allclose(scores[:, 0], 1.0, atol=1e-5)


def test_saved_index_round_trips(tmp_path: Path):
    from embeddings.vector_index import build_index, load_index, save_index, search

    vecs = np.eye(8, dtype=np.float32)
    save_index(build_index(vecs), tmp_path / "x.faiss")
    _, ids = search(load_index(tmp_path / "x.faiss"), vecs[[3]], 1)
    assert ids[0, 0] == 3


BLOCK_TORCH = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'sentence_transformers', 'transformers'):
            raise ImportError('blocked for this test: ' + name)
        return None
sys.meta_path.insert(0, Blocker())
from qa.cli import main
sys.argv = ['qa'] + sys.argv[1:]
main()
"""


@pytest.mark.model
def test_ask_works_where_torch_cannot_be_imported(seed_workspace, seed_index: Path):
    seed_workspace.query_encoder()  # the export exists, as after any `qa index`
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCK_TORCH,
            "ask",
            "When did Lavrov plan to visit Japan?",
            "--index",
            str(seed_index),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
    )
    assert out.returncode == 0, out.stderr
    assert "early March" in json.loads(out.stdout)["answer"]["text"]


def clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors drawn around random centres, like real embeddings (not uniform noise)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, dim))
    vecs = centres[rng.integers(0, 50, n)] + 0.3 * rng.normal(size=(n, dim))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs.astype(np.float32)


def sharded_ivf_matches_whole(folder: Path, mapper) -> None:
    """Build an IVF index in shards merged on disk with `mapper`; it must search like one
    built at once, also after saving and loading it from `folder`."""
    from embeddings.vector_index import IVFDATA, build_index, load_index, save_index, search

    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(5000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    whole = build_index(vectors, "ivf-sq8")
    sharded = build_index(vectors, "ivf-sq8", map_shards=mapper, folder=folder, shard_rows=1300)
    save_index(sharded, folder / "dense.faiss")
    assert sorted(p.name for p in folder.iterdir()) == ["dense.faiss", IVFDATA]  # shards gone
    loaded = load_index(folder / "dense.faiss")
    assert loaded.ntotal == whole.ntotal == 5000
    queries = vectors[:64]
    for index in (sharded, loaded):
        scores, ids = search(index, queries, 10)
        expected_scores, expected_ids = search(whole, queries, 10)
        assert (ids == expected_ids).all() and np.allclose(scores, expected_scores)


def test_ivf_filled_in_shards_and_merged_on_disk_equals_ivf_filled_at_once(tmp_path: Path, capfd):
    calls: list[int] = []

    def mapper(fn, items):
        calls.append(len(items))
        return [fn(x) for x in items]

    capfd.readouterr()
    sharded_ivf_matches_whole(tmp_path, mapper)
    assert calls == [4]  # 1300 + 1300 + 1300 + 1100 rows
    assert capfd.readouterr().out == ""  # FAISS's messages never reach qa's output


def test_index_type_follows_size():
    from embeddings.vector_index import FLAT_MAX, index_kind

    assert index_kind(10) == "flat" and index_kind(FLAT_MAX) == "flat"
    assert index_kind(FLAT_MAX + 1) == "ivf-sq8"


def test_ivf_recall_at_10_against_flat(tmp_path: Path):
    from embeddings.vector_index import build_index, load_index, save_index, search

    vecs = clustered(20_000)
    queries = clustered(200, seed=1)
    _, exact = search(build_index(vecs, "flat"), queries, 10)
    save_index(build_index(vecs, "ivf-sq8"), tmp_path / "ivf.faiss")
    _, approx = search(load_index(tmp_path / "ivf.faiss"), queries, 100)
    # Callers rescore 100 candidates exactly, so recall@10 is the share of true top 10 among them.
    recall = np.mean([len(set(e) & set(a)) / 10 for e, a in zip(exact, approx, strict=True)])
    assert recall >= 0.99


@pytest.mark.model
def test_index_builds_without_torch_once_the_model_is_exported(seed_workspace, tmp_path: Path):
    import shutil

    from tests.conftest import SEEDS

    seed_workspace.query_encoder()
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    (docs / "new.txt").write_text("The spare key is under the blue flowerpot.")
    out = subprocess.run(
        [sys.executable, "-c", BLOCK_TORCH, "index", str(docs), "--index", str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
    )
    assert out.returncode == 0, out.stderr
    assert "3 added" in out.stdout


def test_onnx_threads_are_one_per_physical_core(monkeypatch):
    from embeddings import onnx_encoder

    topology = {0: ("0", "0"), 1: ("0", "0"), 2: ("0", "1"), 3: ("0", "1")}  # 2 cores × 2 HT
    monkeypatch.setattr(onnx_encoder.os, "sched_getaffinity", lambda _pid: set(topology))
    real_read = Path.read_text

    def read_text(path: Path, *args, **kwargs):
        if path.parent.name == "topology" and path.parent.parent.name.startswith("cpu"):
            package, core = topology[int(path.parent.parent.name[3:])]
            return package if path.name == "physical_package_id" else core
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    assert onnx_encoder.physical_cores() == 2


@pytest.mark.parametrize("flat_max", [10_000, 100])  # flat, then IVF-SQ8 for 3,000 vectors
def test_an_index_built_from_a_file_in_slices_is_the_one_built_in_memory(
    tmp_path: Path, monkeypatch, flat_max: int
):
    from embeddings import vector_index
    from embeddings.vector_index import build_index, build_index_from_file, search

    monkeypatch.setattr(vector_index, "FLAT_MAX", flat_max)
    monkeypatch.setattr(vector_index, "ADD_ROWS", 256)  # many slices
    rng = np.random.default_rng(5)
    vecs = rng.standard_normal((3000, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    np.save(tmp_path / "v.npy", vecs)
    queries = vecs[:20] + 0.1 * rng.standard_normal((20, 32)).astype(np.float32)
    whole, from_file = build_index(vecs), build_index_from_file(tmp_path / "v.npy")
    assert from_file.ntotal == 3000 and hasattr(from_file, "nprobe") == (flat_max == 100)
    assert np.array_equal(search(whole, queries, 10)[1], search(from_file, queries, 10)[1])


def test_a_flat_index_is_searched_exactly_without_faiss(tmp_path: Path):
    """Given its vectors, a flat index loads as ExactIndex (numpy; FAISS not imported for a
    question): the same ids and scores as FAISS's own search, filtered or not, in blocks."""
    import numpy as np

    from embeddings import vector_index as vi

    rng = np.random.default_rng(0)
    for n in (5, 700):
        vecs = rng.standard_normal((n, 16)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        vi.save_index(vi.build_index(vecs), tmp_path / f"{n}.faiss")
        by_faiss = vi.load_index(tmp_path / f"{n}.faiss")
        exact = vi.load_index(tmp_path / f"{n}.faiss", vecs)
        assert isinstance(exact, vi.ExactIndex) and exact.ntotal == n
        queries = rng.standard_normal((40, 16)).astype(np.float32)
        for allowed in (None, rng.random(n) < 0.3, np.arange(n) < 3):
            want, got = (
                vi.search(by_faiss, queries, 10, allowed),
                vi.search(exact, queries, 10, allowed),
            )
            assert np.array_equal(want[1], got[1])
            assert np.allclose(want[0], got[0], atol=1e-5)
        blocks = vi.ExactIndex(vecs)
        blocks.BLOCK_CELLS = 2 * n  # two queries at a time give the same
        assert np.array_equal(blocks.search(queries, 4)[1], exact.search(queries, 4)[1])
