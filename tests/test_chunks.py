from __future__ import annotations

import json

import pytest

from qa.chunks import ChunkSettings, merged_chunk, split_document, split_sentences
from qa.documents import make_document
from tests.conftest import SEEDS, read_folder


def test_sentences_respect_abbreviations_and_lines():
    text = 'Mr. Smith met Dr. Jones. They talked.\nA heading\n"Quoted." Next one! Last?'
    got = [text[s:e] for s, e in split_sentences(text)]
    assert got == [
        "Mr. Smith met Dr. Jones.",
        "They talked.",
        "A heading",
        '"Quoted."',
        "Next one!",
        "Last?",
    ]


def test_chunks_slice_the_source_exactly_and_never_cut_sentences():
    cut = ChunkSettings(short_max_words=0)  # every document cut at 100 words
    for doc in read_folder(SEEDS)[0]:
        sentences = {doc.text[s:e] for s, e in split_sentences(doc.text)}
        chunks = split_document(doc, cut)
        assert len(chunks) > 1
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text
            assert len(chunk.text.split()) <= 100
            first = split_sentences(chunk.text)[0]
            assert chunk.text[first[0] : first[1]] in sentences  # starts on a sentence boundary
            assert doc.text.count("\n", 0, chunk.start) + 1 == chunk.line
            assert doc.text.count("\n", 0, chunk.end - 1) + 1 == chunk.end_line


def test_overlapping_chunks_merge_into_the_text_they_span_together():
    doc = read_folder(SEEDS)[0][0]
    chunks = split_document(doc, ChunkSettings(short_max_words=0))
    a, b = chunks[0], chunks[1]
    assert b.start < a.end  # the overlap sentence
    for merged in (merged_chunk(a, b), merged_chunk(b, a)):
        assert (merged.start, merged.end, merged.line) == (a.start, b.end, a.line)
        assert merged.end_line == b.end_line and merged.text == doc.text[a.start : b.end]
    assert merged_chunk(a, a) == a


def test_long_single_line_gets_several_chunks_on_the_same_line():
    doc = next(d for d in read_folder(SEEDS)[0] if d.rel.startswith("000"))
    on_line_5 = [c for c in split_document(doc, ChunkSettings(short_max_words=0)) if c.line == 5]
    assert len(on_line_5) >= 2
    assert len({c.start for c in on_line_5}) == len(on_line_5)


def test_max_words_and_overlap_are_configurable():
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    doc = make_document("x.txt", text)
    small = split_document(doc, ChunkSettings(max_words=20, overlap=0, short_max_words=0))
    assert all(len(c.text.split()) <= 20 for c in small)
    overlapped = split_document(doc, ChunkSettings(max_words=20, overlap=1, short_max_words=0))
    assert overlapped[1].start < overlapped[0].end  # the last sentence is repeated
    assert len(overlapped) > len(small)


def test_overlong_sentence_is_split_at_words():
    doc = make_document("t.txt", " ".join(["word"] * 1000))
    chunks = split_document(doc, ChunkSettings(max_words=100))
    assert len(chunks) == 10
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_chrome_lines_are_not_read_but_facts_are():
    from qa.chunks import indexed_text

    doc = next(d for d in read_folder(SEEDS)[0] if d.rel.startswith("000"))
    texts = [indexed_text(c, ChunkSettings()) for c in split_document(doc)]
    assert not any("Bookmark" in t or "Related News" in t or "Sign-Up" in t for t in texts)
    assert any("Machimura" in t for t in texts)
    embassy = next(d for d in read_folder(SEEDS)[0] if d.rel.startswith("002"))
    read = "\n".join(indexed_text(c, ChunkSettings()) for c in split_document(embassy))
    assert "Address: 22 Norbrook Drive" in read and "Phone: +1 (876) 924-1048" in read
    assert "рус" not in read  # the language menu


def test_short_documents_get_longer_passages_than_long_ones():
    sentence = "The committee met in the old library to review the budget plan. "
    note = make_document("note.txt", sentence * 12)  # 144 words: fits one passage
    abstract = make_document("abstract.txt", sentence * 30)  # 360 words: two or so
    report = make_document("report.txt", sentence * 50)  # 600 words: long
    assert [c.text for c in split_document(note)] == [note.text.strip()]
    assert 2 <= len(split_document(abstract)) <= 3
    assert all(len(c.text.split()) <= 200 for c in split_document(abstract))
    assert all(len(c.text.split()) <= 100 for c in split_document(report))
    assert len(split_document(note, ChunkSettings(short_max_words=0))) >= 2


def test_a_short_markdown_note_is_still_cut_at_its_headings():
    note = make_document("n.md", "# Setup\n\nInstall it first.\n\n# Usage\n\nRun it then.\n")
    assert [c.section for c in split_document(note)] == ["Setup", "Usage"]


def test_hard_wrapped_lines_of_a_paragraph_are_one_sentence():
    text = (
        "## Counting\n\n"
        "To count, set `count=True`. If the option is not\n"
        "passed on the command line, then the count is 0. Counting is used for\n"
        "verbosity.\n\n"
        "```python\nimport click\nfrom x import y\n```\n"
        "- Support for `-` to mean a file that refers to stdin when used\n"
        "  for reading.\n"
        "- Another item\n"
        "Value Sources\n~~~~~~~~~~~~~\nclick resolves values in order\n"
        "Address: 22 Norbrook Drive\nPhone: +1\n"
    )
    got = [text[s:e] for s, e in split_sentences(text)]
    assert "If the option is not\npassed on the command line, then the count is 0." in got
    assert "Counting is used for\nverbosity." in got  # "0." ends a sentence: not an initial
    assert "import click" in got and "from x import y" in got  # code lines stay lines
    assert "- Support for `-` to mean a file that refers to stdin when used\n  for reading." in got
    assert "- Another item" in got  # a list item starts a sentence
    assert "click resolves values in order" in got  # ~~~ underlines a heading, opens no code
    assert "Address: 22 Norbrook Drive" in got and "Phone: +1" in got
    assert "## Counting" in got


@pytest.mark.model
def test_an_index_chunked_by_the_old_splitter_is_chunked_again(tmp_path):
    from qa import index as index_mod
    from qa.workspace import Workspace

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Title\n\nOne sentence that goes\non over two lines.\n")
    ws = Workspace.resolve(docs, tmp_path / "ix")
    ws.build()
    manifest = index_mod.current_folder(ws.root) / "manifest.json"
    raw = json.loads(manifest.read_text())
    del raw["chunking"]["sentences"]  # as an index of qa before the setting was
    manifest.write_text(json.dumps(raw))
    assert index_mod.read_manifest(manifest.parent).chunking.sentences == 1
    report = ws.build()
    assert report.read == 1  # the unchanged file was read and chunked again
    assert index_mod.read_manifest(index_mod.current_folder(ws.root)).chunking.sentences == 2
