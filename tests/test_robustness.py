"""Never lose or corrupt an index; every bad input answered with one clear line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from qa import build as build_mod
from qa import index as index_mod
from qa.errors import QAError
from qa.workspace import Workspace
from tests.conftest import ROOT, SEEDS, read_folder, run, wait_until

pytestmark = pytest.mark.slow  # builds indexes with the model or starts processes

SAMPLE = "When did Lavrov plan to visit Japan?"
QA = str(Path(sys.executable).parent / "qa")


def bigger_corpus(folder: Path, n: int = 60) -> Path:
    """The seeds plus `n` generated documents, so that a build takes a few seconds."""
    shutil.copytree(SEEDS, folder)
    for i in range(n):
        sentences = [
            f"Report {i} line {j} says the value of item {i * j} rose by {j}%." for j in range(80)
        ]
        (folder / f"gen_{i:03d}.txt").write_text(" ".join(sentences))
    return folder


def ask_json(index: Path) -> dict:
    out = subprocess.run(
        [QA, "ask", SAMPLE, "--index", str(index), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.model
def test_kill_9_at_any_moment_leaves_a_usable_index(tmp_path: Path):
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    ix = tmp_path / "ix"
    Workspace.resolve(docs, ix).build()
    for i, delay in enumerate((1.0, 5.0, 9.0)):
        (docs / f"extra_{i}.txt").write_text(f"Extra note {i}. " * 50)
        bigger = docs / f"gen_{i}"
        bigger.mkdir()
        for j in range(40):
            (bigger / f"g{j}.txt").write_text(f"Batch {i} file {j} mentions widget {j}. " * 150)
        proc = subprocess.Popen(
            [QA, "index", str(docs), "--index", str(ix)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        index_mod.load(ix)  # old or new, complete either way
        assert "early March" in ask_json(ix)["answer"]["text"]
    report = Workspace.resolve(docs, ix).build()  # and the next build finishes the job
    assert len(index_mod.load(ix).manifest.documents) == 2 + 3 + 3 * 40
    assert report.chunks > 0


@pytest.mark.model
def test_interrupted_build_resumes_from_what_was_embedded(tmp_path, monkeypatch, seed_workspace):
    docs = bigger_corpus(tmp_path / "docs", n=10)
    monkeypatch.setattr("qa.vectors.RESUME_SLICE", 8)
    real = seed_workspace._encoder()
    calls: list[int] = []

    class Interrupting:
        dim = real.dim
        count_tokens = real.count_tokens

        def encode(self, texts, on_batch=None):
            if len(calls) == 2:
                raise KeyboardInterrupt
            calls.append(len(texts))
            return real.encode(texts, on_batch=on_batch)

    ws = Workspace.resolve(docs, tmp_path / "ix")
    with pytest.raises(KeyboardInterrupt):
        build_mod.build(docs, ws.root, model=ws.chosen_model(), encoder=Interrupting)
    assert not index_mod.exists(ws.root)  # nothing half-built is live
    embedded_before = sum(calls)
    calls.clear()

    class Counting(Interrupting):
        def encode(self, texts, on_batch=None):
            calls.append(len(texts))
            return real.encode(texts, on_batch=on_batch)

    build_mod.build(docs, ws.root, model=ws.chosen_model(), encoder=Counting)
    resumed = sum(calls)
    assert not (ws.root / "resume").exists()
    calls.clear()
    fresh = tmp_path / "fresh"
    build_mod.build(docs, fresh, model=ws.chosen_model(), encoder=Counting)
    assert embedded_before > 0 and resumed == sum(calls) - embedded_before
    assert np.allclose(index_mod.load(ws.root).vectors, index_mod.load(fresh).vectors, atol=1e-5)


@pytest.mark.model
def test_second_writer_is_refused_while_readers_go_on(seed_index: Path, tmp_path: Path):
    ix = tmp_path / "ix"
    shutil.copytree(seed_index, ix)
    ws = Workspace.resolve(None, ix)
    with FileLock(str(ix / "write.lock")):
        with pytest.raises(QAError, match="another `qa index` is writing"):
            Workspace.resolve(SEEDS, ix).build()
        assert ws.ask([SAMPLE])[0].answered  # readers never wait for the writer


@pytest.mark.model
def test_ctrl_c_during_a_build_exits_130_and_keeps_the_index(tmp_path: Path, seed_index: Path):
    docs = bigger_corpus(tmp_path / "docs", n=80)
    ix = tmp_path / "ix"
    shutil.copytree(seed_index, ix)
    before = (ix / "CURRENT").read_text()
    proc = subprocess.Popen(
        [QA, "index", str(docs), "--index", str(ix)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # interrupted mid-embedding: once a first slice of the new passages is checkpointed
    wait_until(lambda: any((ix / "resume").glob("*.json")), timeout=120)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == (
        "qa: interrupted: the index is as it was before; "
        "`qa index` again resumes from the passages already embedded"
    )
    assert (ix / "CURRENT").read_text() == before
    assert [p.name for p in ix.iterdir() if p.name.startswith("v-")] == [before.strip()]


@pytest.mark.model
def test_over_long_question_is_cut_with_a_notice(seed_index: Path):
    result = run("ask", "Lavrov Japan visit " * 6000, "--index", str(seed_index), "--json")
    assert result.exit_code == 0
    assert "cut to its first 2,000 characters" in result.stderr
    assert len(json.loads(result.stdout)["question"]) == 2000


@pytest.mark.model
def test_one_megabyte_on_stdin(seed_index: Path):
    result = run("ask", "-", "--index", str(seed_index), "--json", input="x" * 2**20 + "\n")
    assert result.exit_code == 0
    assert "cut to its first 2,000 characters" in result.stderr
    assert len(result.stdout.strip().splitlines()) == 1


def test_huge_file_is_skipped_with_a_reason(tmp_path: Path, monkeypatch):
    from qa import formats

    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 1000)
    (tmp_path / "big.txt").write_text("word " * 1000)
    (tmp_path / "small.txt").write_text("a small file")
    docs, skipped = read_folder(tmp_path)
    assert [d.rel for d in docs] == ["small.txt"]
    assert skipped[0].rel == "big.txt" and "too large" in skipped[0].reason


@pytest.mark.model
def test_skipped_files_are_listed_by_index_and_status(tmp_path: Path):
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    (docs / "bad.txt").write_bytes(b"\x00\x01\x02 not text")
    result = run("index", str(docs), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0
    assert "1 file skipped" in result.stderr and "1 not text: bad.txt" in result.stderr
    status = json.loads(run("status", "--index", str(tmp_path / "ix"), "--json").stdout)
    assert status["skipped"][0] == {
        "path": "bad.txt",
        "kind": "not text",
        "reason": "not text (binary content)",
    }
    listed = run("status", "--index", str(tmp_path / "ix"), "--skipped")
    assert listed.stdout == "bad.txt\tnot text (binary content)\n"


@pytest.mark.model
def test_corpus_that_disappears_keeps_the_index_answering(tmp_path: Path):
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    ws = Workspace.resolve(docs, tmp_path / "ix")
    ws.build()
    shutil.rmtree(docs)
    result = run("index", str(docs), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 2 and "is not a folder" in result.stderr
    result = run("ask", SAMPLE, "--index", str(tmp_path / "ix"), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["answered"]


def test_index_path_that_is_a_file_is_one_line_exit_2(tmp_path: Path):
    (tmp_path / "afile").write_text("not a folder")
    result = run("index", str(SEEDS), "--index", str(tmp_path / "afile" / "ix"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "cannot write the index folder" in result.stderr


@pytest.mark.model
@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_index_folder_still_answers(seed_index: Path, tmp_path: Path):
    ix = tmp_path / "ix"
    shutil.copytree(seed_index, ix)
    for p in [ix, *ix.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        assert run("ask", SAMPLE, "--index", str(ix)).exit_code == 0
        result = run("index", str(SEEDS), "--index", str(ix))
        assert result.exit_code == 2 and "cannot write" in result.stderr
    finally:
        for p in [ix, *ix.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)


@pytest.mark.model
def test_document_cannot_inject_markup_or_escapes_into_the_cli(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    evil = (
        "The vault code is [bold red]7[/bold red] "
        "\x1b[2J\x1b]8;;http://x.test\x07link\x1b]8;;\x07 here."
    )
    (docs / "evil.txt").write_text(evil + "\n")
    assert run("index", str(docs), "--index", str(tmp_path / "ix")).exit_code == 0
    human = run("ask", "What is the vault code?", "--index", str(tmp_path / "ix"))
    assert "[bold red]7[/bold red]" in human.stdout
    assert "\x1b" not in human.stdout and "\\x1b[2J" in human.stdout
    raw = run("ask", "What is the vault code?", "--index", str(tmp_path / "ix"), "--json")
    assert json.loads(raw.stdout)["passages"][0]["text"] == evil


@pytest.mark.model
def test_the_torture_corpus_indexes_with_one_short_report(tmp_path: Path):
    """Hundreds of real odd files (tests/data/torture/MANIFEST.tsv): exit 0, no traceback,
    every file indexed or skipped with a reason, a report of a few lines."""
    torture = ROOT / "tests" / "data" / "torture"
    result = subprocess.run(
        [QA, "index", str(torture), "--index", str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) <= 20, result.stderr
    manifest = index_mod.load(tmp_path / "ix").manifest
    files = [p for p in torture.rglob("*") if p.is_file()]
    assert len(files) >= 300
    accounted = set(manifest.documents) | {s.rel for s in manifest.skipped}
    assert len(manifest.documents) + len(manifest.skipped) == len(files)
    assert all(s.reason for s in manifest.skipped)
    assert (
        "made/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16/d17/d18/d19/d20/d21/"
        "d22/d23/d24/d25/d26/d27/d28/d29/d30/d31/d32/d33/d34/d35/d36/d37/d38/d39/deep.txt"
        in accounted
    )
    kinds = {s.kind for s in manifest.skipped}
    assert {"needs a password", "damaged", "no text layer", "bad name"} <= kinds
    from qa.formats import ocr

    if ocr.available():  # 100-megapixel pictures are read, scaled down to ocr.MAX_PIXELS
        assert {"made/poster-100mp.png", "made/poster-page.pdf"} <= set(manifest.documents)


@pytest.mark.model
def test_verbose_shows_why_a_file_failed_and_quiet_shows_one_report(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "broken.docx").write_bytes(b"PK\x03\x04 not a zip at all")
    (docs / "note.txt").write_text("The ferry leaves at noon from the north pier.")
    quiet = subprocess.run(
        [QA, "index", str(docs), "--index", str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.splitlines() == [
        "1 file skipped (`qa status --skipped` lists them):",
        "      1 damaged: broken.docx",
    ]
    loud = subprocess.run(
        [QA, "index", str(docs), "--index", str(tmp_path / "ix"), "--verbose"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert loud.returncode == 0, loud.stderr
    assert "skipped broken.docx" in loud.stderr and "Traceback" in loud.stderr
    # where the build's time went, one line, every phase named
    split = next(line for line in loud.stderr.splitlines() if line.startswith("qa: time: "))
    for phase in ("read and chunk", "texts", "encode", "FAISS", "BM25", "write"):
        assert f"{phase} " in split
