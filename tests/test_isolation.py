"""One file can never stop a build: readers that raise, hang, eat memory or crash."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from qa.chunks import ChunkSettings
from qa.corpus import read_and_chunk
from qa.documents import Skipped
from qa.files import ReadSettings
from qa.isolation import Limits, map_isolated

pytestmark = pytest.mark.slow  # starts processes


def _work(item: str) -> str:
    """Run in a worker: behave as the item says."""
    if item == "hang":
        time.sleep(600)
    if item == "hog":
        hoard = [bytearray(2**20) for _ in range(400)]  # 400 MB, touched
        return str(len(hoard))
    if item == "crash":
        os._exit(3)
    return item.upper()


def _failed(item: str, kind: str, reason: str) -> str:
    return f"{item}: {kind} ({reason})"


def test_a_hanging_reader_is_stopped_and_the_others_finish():
    started = time.monotonic()
    got = map_isolated(_work, ["a", "hang", "b"], Limits(timeout=2), _failed)
    assert got == ["A", "hang: timed out (stopped after 2 s)", "B"]
    assert time.monotonic() - started < 60


def test_a_reader_over_the_memory_cap_is_stopped():
    got = map_isolated(_work, ["hog", "c"], Limits(memory_mb=150), _failed)
    assert got == ["hog: too much memory (stopped at 150 MB)", "C"]


def test_a_crashing_reader_takes_only_its_file_down():
    got = map_isolated(_work, ["crash", "d"], Limits(), _failed)
    assert got == ["crash: crashed the reader (exit code 3)", "D"]


def test_any_exception_from_a_reader_is_a_skip_with_its_reason(tmp_path: Path, monkeypatch):
    from qa.formats import text

    real = text.read_plain

    def flaky(path: Path):
        if path.name == "bad.txt":
            raise RuntimeError("the parser tripped")
        return real(path)

    monkeypatch.setattr(text, "read_plain", flaky)
    (tmp_path / "bad.txt").write_text("never read")
    (tmp_path / "good.txt").write_text("A good note about the harbour.")
    corpus = read_and_chunk(tmp_path, ChunkSettings())
    assert list(corpus.docs) == ["good.txt"]
    (skip,) = corpus.skipped
    assert (skip.rel, skip.kind, skip.reason) == (
        "bad.txt",
        "reader error",
        "RuntimeError: the parser tripped",
    )


def test_a_broken_binary_file_is_skipped_by_its_worker(tmp_path: Path):
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "locked.pdf").write_bytes(b"%PDF-1.7\n%%EOF")
    (tmp_path / "note.md").write_text("# Note\n\nThe ferry leaves at noon.")
    corpus = read_and_chunk(tmp_path, ChunkSettings(), reading=ReadSettings(limits=Limits()))
    assert list(corpus.docs) == ["note.md"]
    assert {s.rel: s.kind for s in corpus.skipped} == {
        "broken.docx": "damaged",
        "locked.pdf": "damaged",
    }


def _scan_in_turns(folder: Path, rel: str) -> tuple[Skipped, list]:
    """Run in a worker: a scan of three pages read a page a turn ("stuck.pdf" never gets on)."""
    from qa.formats.ocr import UNFINISHED

    turns = folder / f"{rel}.turns"
    n = 0 if rel == "stuck.pdf" else len(turns.read_text()) + 1 if turns.exists() else 1
    turns.write_text("x" * n)
    if n < 3:
        return Skipped(rel, f"{n} of 3 pages read", UNFINISHED), []
    return Skipped(rel, "read whole", "done"), []


def test_a_scan_stopped_at_its_budget_is_read_again_while_it_gets_on(tmp_path: Path):
    from functools import partial

    from qa.corpus import read_isolated

    taken: list[tuple[str, str]] = []
    pages: list[tuple[int, int]] = []
    fn = partial(_scan_in_turns, tmp_path)
    take = lambda rel, r: taken.append((rel, r[0].reason))  # noqa: E731
    read_isolated(
        fn, ["a.pdf", "stuck.pdf"], Limits(timeout=30), take, on_pages=lambda *p: pages.append(p)
    )
    assert sorted(taken) == [("a.pdf", "read whole"), ("stuck.pdf", "0 of 3 pages read")]
    assert (tmp_path / "a.pdf.turns").read_text() == "xxx"  # three turns, each further on
    assert pages == [(1, 6), (5, 6)]  # pages of the files read on, before each round
