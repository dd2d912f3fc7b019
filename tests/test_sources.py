"""Citations opened in their files: windows around a passage, staleness, the reading cache."""

from __future__ import annotations

import os
from pathlib import Path

from qa.results import Citation
from qa.sources import excerpt, open_source
from tests.conftest import manifest_of


def citation(path: Path, text: str, needle: str) -> Citation:
    start = text.index(needle)
    line = text.count("\n", 0, start) + 1
    return Citation(str(path), line, line, start, start + len(needle), title="", date=None)


def test_the_window_is_bounded_in_lines_and_in_characters(tmp_path: Path):
    short = "\n".join(f"line {i}" for i in range(1000)) + "\n"
    path = tmp_path / "short.txt"
    path.write_text(short)
    served = manifest_of(tmp_path, "short.txt", "long.txt")
    cut = open_source(served, citation(path, short, "line 500"), "line 500", context=10)
    assert (cut.first_line, len(cut.lines), cut.total_lines) == (491, 21, 1000)
    assert cut.text[cut.start : cut.end] == "line 500"
    assert short[cut.offset : cut.offset + len(cut.text)] == cut.text

    long = "\n".join(f"paragraph {i} " + "word " * 400 for i in range(100))  # 2 kB lines
    path = tmp_path / "long.txt"
    path.write_text(long)
    passage = "paragraph 50 word"
    cut = open_source(
        served, citation(path, long, passage), passage, context=20, context_chars=5000
    )
    assert 3 <= len(cut.lines) <= 7  # 41 by lines alone; about 2 + 1 + 3 within 5,000 chars
    assert 0 < cut.start <= 5000  # whole lines before the passage, within 5,000 characters
    assert cut.text[cut.start : cut.end] == passage


def test_a_changed_file_is_read_again_and_marked_stale(tmp_path: Path):
    path = tmp_path / "note.txt"
    path.write_text("alpha beta gamma\n")
    c = citation(path, "alpha beta gamma\n", "beta")
    served = manifest_of(tmp_path, "note.txt")
    assert not open_source(served, c, "beta", context=3).stale
    path.write_text("alpha delta gamma and more\n")
    os.utime(path, ns=(1, 1))  # a different modification time even on a coarse clock
    cut = open_source(served, c, "beta", context=3)
    assert cut.stale and cut.start == cut.end  # nothing highlighted
    assert "delta" in cut.text


def test_qa_show_excerpt_counts_lines_as_editors_do(tmp_path: Path):
    path = tmp_path / "three.txt"
    path.write_text("one\ntwo\nthree\n")
    cut = excerpt(manifest_of(tmp_path, "three.txt"), f"{path}:2", context=0)
    assert (cut.lines, cut.first_line, cut.total_lines) == (["two"], 2, 3)
