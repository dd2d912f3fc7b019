from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa import index as index_mod
from qa.errors import QAError, UsageError
from qa.manifest import release_pages
from qa.options import BuildOptions
from qa.workspace import Workspace
from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow  # builds indexes with the model or starts processes

QUESTION = "Who co-chairs the Council of Wise Men?"


@pytest.mark.model
def test_round_trip_in_a_new_process_gives_the_same_results(seed_workspace, seed_index: Path):
    here = [(p.citation.path, p.score) for p in seed_workspace.ask([QUESTION])[0].passages]
    code = (
        "import json, sys; from pathlib import Path; from qa.workspace import Workspace; "
        "r = Workspace.resolve(None, Path(sys.argv[1])).ask([sys.argv[2]])[0]; "
        "print(json.dumps([[p.citation.path, p.score] for p in r.passages]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(seed_index), QUESTION],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert [tuple(x) for x in json.loads(out.stdout)] == here


@pytest.mark.model
def test_manifest_records_what_a_rebuild_must_check(seed_index: Path):
    manifest = index_mod.read_manifest(index_mod.current_folder(seed_index))
    assert manifest.format_version == index_mod.FORMAT_VERSION
    assert manifest.model == "all-MiniLM-L6-v2"
    assert manifest.dim == 384
    assert manifest.chunking.max_words == 100
    assert set(manifest.documents) == {p.name for p in SEEDS.iterdir()}
    assert all(len(d.sha256) == 64 for d in manifest.documents.values())
    assert "dense.faiss" in manifest.files and "vectors.npy" in manifest.files


@pytest.mark.model
def test_no_pickle_anywhere_in_the_index(seed_index: Path):
    import numpy as np

    folder = index_mod.current_folder(seed_index)
    manifest = index_mod.read_manifest(folder)
    found = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert found == {*manifest.files, "manifest.json"}  # nothing else: no pickle beside them
    arrays = sorted(f for f in found if f.endswith(".npy"))
    assert arrays == [
        *(
            f"{lexical}/{name}.csc.index.npy"
            for lexical in ("bm25", "bm25_fields")
            for name in ("data", "indices", "indptr")
        ),
        "chunks.offsets.npy",
        "sentence_offsets.npy",
        "sentence_spans.npy",
        "sentences.npy",
        "vectors.npy",
    ]
    for name in arrays:
        np.load(folder / name, allow_pickle=False)  # raises if an array needed pickle


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    return docs


@pytest.mark.model
def test_second_build_embeds_nothing_and_rename_is_free(small_corpus: Path, tmp_path: Path):
    ws = Workspace.resolve(small_corpus, tmp_path / "ix")
    first = ws.build()
    assert first.embedded == first.chunks and len(first.added) == 2
    again = ws.build()
    assert again.embedded == 0 and again.unchanged == 2
    (small_corpus / "000_1d2b28749ff36f0e.txt").rename(small_corpus / "renamed.txt")
    (small_corpus / "new.txt").write_text("The quarterly report is due on Friday the 13th.")
    report = ws.build()
    assert report.renamed == [("000_1d2b28749ff36f0e.txt", "renamed.txt")]
    assert report.added == ["new.txt"] and report.embedded == 1
    top = ws.ask(["When did Lavrov plan to visit Japan?"])[0].passages[0]
    assert top.citation.path.endswith("renamed.txt")


@pytest.mark.model
def test_deleted_document_disappears_from_results(small_corpus: Path, tmp_path: Path):
    ws = Workspace.resolve(small_corpus, tmp_path / "ix")
    ws.build()
    (small_corpus / "002_80cab102279fe767.txt").unlink()
    report = ws.build()
    assert report.removed == ["002_80cab102279fe767.txt"]
    paths = {
        p.citation.path
        for p in ws.ask(["Where is the Russian Embassy in Jamaica?"], k=10)[0].passages
    }
    assert all("002_" not in p for p in paths)


@pytest.mark.model
def test_changed_chunking_embeds_only_the_texts_that_changed(small_corpus: Path, tmp_path: Path):
    import numpy as np

    from qa import index
    from qa.chunks import ChunkSettings

    Workspace.resolve(small_corpus, tmp_path / "ix").build()
    titled = ChunkSettings(with_title=True)
    report = Workspace.resolve(
        small_corpus, tmp_path / "ix", building=BuildOptions(chunking=titled)
    ).build()
    assert report.full_rebuild_reason is None
    # each document's first passage holds its title already, so it reads the same
    assert report.embedded == report.chunks - 2
    fresh = Workspace.resolve(
        small_corpus, tmp_path / "fresh", building=BuildOptions(chunking=titled)
    ).build()
    assert fresh.embedded == fresh.chunks
    a, b = index.load(tmp_path / "ix"), index.load(tmp_path / "fresh")
    assert a.manifest.chunking == titled
    # passages pooled from reused sentence vectors, which the index keeps as float16
    assert np.allclose(a.vectors, b.vectors, atol=2e-3)
    assert np.allclose(a.sentences.vectors, b.sentences.vectors, atol=1e-3)


@pytest.mark.model
def test_only_one_version_is_live_after_builds(small_corpus: Path, tmp_path: Path):
    ws = Workspace.resolve(small_corpus, tmp_path / "ix")
    ws.build()
    ws.build(rebuild=True)
    versions = [p for p in (tmp_path / "ix").iterdir() if p.name.startswith("v-")]
    assert [v.name for v in versions] == [(tmp_path / "ix" / "CURRENT").read_text().strip()]


@pytest.mark.model
def test_truncated_faiss_file_is_reported_with_the_fix(seed_index: Path, tmp_path: Path):
    copy = tmp_path / "ix"
    shutil.copytree(seed_index, copy)
    faiss_file = index_mod.current_folder(copy) / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(QAError, match=r"damaged.*qa index --rebuild"):
        index_mod.load(copy)


@pytest.mark.model
def test_manifest_of_another_format_is_refused(seed_index: Path, tmp_path: Path):
    copy = tmp_path / "ix"
    shutil.copytree(seed_index, copy)
    manifest = index_mod.current_folder(copy) / "manifest.json"
    raw = json.loads(manifest.read_text())
    raw["format_version"] = 999
    manifest.write_text(json.dumps(raw))
    with pytest.raises(QAError, match="another qa version"):
        index_mod.load(copy)


def test_missing_index_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="no index at"):
        index_mod.load(tmp_path / "nothing")


def test_empty_corpus_is_a_usage_error(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="nothing to index"):
        Workspace.resolve(tmp_path / "empty", tmp_path / "ix").build()
    assert not index_mod.exists(tmp_path / "ix")
    assert not list((tmp_path / "ix").rglob("*.jsonl"))  # no scratch file left behind
    (tmp_path / "empty" / "a.psd").write_bytes(b"8BPS")
    (tmp_path / "empty" / "b.pdf").write_bytes(b"%PDF-1.4 broken")
    with pytest.raises(UsageError, match="2 files skipped: 1 damaged, 1 unsupported type"):
        Workspace.resolve(tmp_path / "empty", tmp_path / "ix").build()


def built_with_manifest(docs: Path, root: Path, edit) -> Workspace:  # type: ignore[no-untyped-def]
    """A workspace of `docs` built into `root`, its manifest then rewritten by `edit`."""
    ws = Workspace.resolve(docs, root)
    ws.build()
    manifest = index_mod.current_folder(ws.root) / "manifest.json"
    manifest.write_text(json.dumps(edit(json.loads(manifest.read_text()))))
    return ws


@pytest.mark.model
def test_index_from_another_qa_version_is_rebuilt_when_the_docs_are_known(
    small_corpus: Path, tmp_path: Path
):
    ws = built_with_manifest(
        small_corpus, tmp_path / "ix", lambda raw: {**raw, "format_version": 1}
    )
    assert index_mod.is_outdated(ws.root) and ws.needs_build()
    assert not Workspace.resolve(None, ws.root).needs_build()  # docs unknown: refuse, with fix
    report = ws.build()
    assert report.full_rebuild_reason is not None
    assert report.full_rebuild_reason.startswith("the old index could not be read (")
    assert "another qa version" in report.full_rebuild_reason
    assert report.embedded == report.chunks
    assert not index_mod.is_outdated(ws.root)


@pytest.mark.model
def test_passage_vectors_are_pooled_from_their_sentences_read_alone(seed_workspace):
    import numpy as np

    from qa.build import indexed_sentences, passage_parts
    from qa.chunks import indexed_text
    from tests.conftest import pooled_vectors

    index = seed_workspace.load()
    encoder = seed_workspace._encoder()
    assert index.manifest.pooled
    rows = [r for r in range(len(index.chunks)) if len(index.sentences.of(r)) >= 2]
    assert len(index.chunks) == 15 and len(rows) == 14  # one passage is a single sentence
    for row in rows[:3]:
        chunk = index.chunks[row]
        sentences = indexed_sentences(index, row)
        stored = np.asarray(index.sentences.vectors[index.sentences.of(row)], np.float32)
        assert np.allclose(stored, encoder.encode(sentences), atol=2e-3)  # float16 on disk
        assert passage_parts(chunk, index.manifest.chunking, sentences)[-len(sentences) :] == (
            sentences
        )
        assert abs(float(np.linalg.norm(index.vectors[row])) - 1) < 1e-5
    expected = pooled_vectors(index, encoder, rows[:3])
    assert np.allclose(index.vectors[rows[:3]], expected, atol=1e-5)
    whole = encoder.encode([indexed_text(index.chunks[r], index.manifest.chunking) for r in rows])
    assert float((whole * index.vectors[rows]).sum(axis=1).min()) > 0.6  # near, not the same
    assert not np.allclose(whole, index.vectors[rows], atol=1e-3)


@pytest.mark.model
def test_a_build_counts_word_pieces_as_it_encodes_not_again(small_corpus: Path, tmp_path: Path):
    import numpy as np

    from qa import build as build_mod
    from qa.build import indexed_sentences, passage_parts

    ws = Workspace.resolve(small_corpus, tmp_path / "ix")
    real = ws._encoder()
    encoded: list[str] = []
    counted: list[str] = []

    class Recording:
        def encode_counted(self, texts, on_batch=None):
            encoded.extend(texts)
            return real.encode_counted(texts, on_batch=on_batch)

        encode = real.encode

        def count_tokens(self, texts):
            counted.extend(texts)
            return real.count_tokens(texts)

    build_mod.build(small_corpus, ws.root, model=ws.chosen_model(), encoder=Recording)
    # a fresh build encodes each text once, and tokenises none again
    built = index_mod.load(ws.root)
    parts = {
        part
        for row in range(len(built.chunks))
        for part in passage_parts(
            built.chunks[row], built.manifest.chunking, indexed_sentences(built, row)
        )
    }
    assert sorted(encoded) == sorted(parts) and counted == []
    doc = small_corpus / "000_1d2b28749ff36f0e.txt"
    doc.write_text(doc.read_text().rstrip() + " Zebras were counted in Nairobi on Tuesday.\n")
    encoded.clear()
    build_mod.build(small_corpus, ws.root, model=ws.chosen_model(), encoder=Recording)
    # the edited passage's new sentence is counted as it is encoded; only its parts taken
    # from the live index are tokenised again
    assert any("Zebras" in t for t in encoded) and counted
    assert not any("Zebras" in t for t in counted) and not set(counted) & set(encoded)
    fresh = Workspace.resolve(small_corpus, tmp_path / "fresh")
    fresh.build()
    assert np.allclose(ws.load().vectors, fresh.load().vectors, atol=2e-3)


def test_a_passage_without_sentences_is_read_whole():
    from qa.build import passage_parts
    from qa.chunks import Chunk, ChunkSettings, indexed_text

    chunk = Chunk("a.md", 0, 10, 1, 1, "Page 3 / 9", "Title", None, section="Usage")
    assert passage_parts(chunk, ChunkSettings(), []) == [indexed_text(chunk, ChunkSettings())]
    assert passage_parts(chunk, ChunkSettings(), ["One."]) == ["Usage", "One."]


@pytest.mark.model
def test_an_index_read_whole_before_pooling_is_pooled_without_encoding(
    small_corpus: Path, tmp_path: Path
):
    from qa import build as build_mod

    # as qa wrote it when passages were read whole: no "pooled"
    ws = built_with_manifest(
        small_corpus, tmp_path / "ix", lambda raw: {k: v for k, v in raw.items() if k != "pooled"}
    )
    real = ws._encoder()
    encoded: list[str] = []

    class Counting:
        count_tokens = real.count_tokens

        def encode(self, texts, on_batch=None):
            encoded.extend(texts)
            return real.encode(texts, on_batch=on_batch)

    report = build_mod.build(small_corpus, ws.root, model=ws.chosen_model(), encoder=Counting)
    assert encoded == [] and report.embedded == 0
    assert index_mod.load(ws.root).manifest.pooled


@pytest.mark.model
def test_sentences_are_encoded_while_files_are_read_and_give_the_same_index(
    small_corpus: Path, tmp_path: Path, monkeypatch
):
    import numpy as np

    from qa import build as build_mod
    from qa import vectors

    for n, text in enumerate(SEEDS.iterdir()):  # the seeds again as HTML: read in workers
        body = "".join(f"<p>{p}</p>" for p in text.read_text().split("\n\n"))
        (small_corpus / f"page{n}.html").write_text(f"<html><body>{body}</body></html>")
    first = Workspace.resolve(small_corpus, tmp_path / "first")
    assert first.build().ahead == 0  # this machine: no CPU beside the encoder's, read first
    monkeypatch.setattr(build_mod, "readers_beside_encoder", lambda: 1)
    monkeypatch.setattr(vectors, "RESUME_SLICE", 8)
    ws = Workspace.resolve(small_corpus, tmp_path / "ahead")
    report = ws.build()
    assert report.ahead >= 8 and report.embedded == report.chunks
    a, b = first.load(), ws.load()
    assert list(a.chunks) == list(b.chunks) and not (ws.root / "resume").exists()
    assert np.allclose(a.vectors, b.vectors, atol=1e-5)
    assert np.allclose(a.sentences.vectors, b.sentences.vectors, atol=1e-3)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads Linux's /proc")
def test_pages_of_a_mapped_index_file_are_handed_back_once_read(tmp_path: Path):
    import numpy as np

    def resident_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20

    np.save(tmp_path / "v.npy", np.ones((16384, 1024), dtype=np.float32))  # 64 MB
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")
    before = resident_mb()
    assert float(mapped.sum()) == 16384 * 1024  # every page read
    assert resident_mb() - before > 48
    release_pages(mapped)
    assert resident_mb() - before < 16
    assert float(mapped[-1].sum()) == 1024  # still readable: read again from the file
