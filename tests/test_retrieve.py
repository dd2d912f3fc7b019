"""Retrieval: the document's title and date as a field, neighbouring passages as evidence."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qa.chunks import Chunk, field_text
from qa.retrieve import Retriever, SearchSettings

pytestmark = pytest.mark.slow

FILLER = (
    "The committee met in the town hall and read the minutes of the last meeting aloud. "
    "Members discussed the budget for the coming season, the state of the harbour wall "
    "and the repairs to the school roof, and agreed to meet again after the summer. "
)


def _report(year: str, hour: str) -> str:
    """A dated report (a dateline on its first line) whose fourth passage says when the
    ferry left; the year is in no passage but the first."""
    body = [f"{FILLER * 2}" for _ in range(3)]
    body.append(f"The ferry to the islands left at {hour} every morning that season. {FILLER}")
    return f"01/03/{year}\n\n" + "\n\n".join(body) + "\n"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory):
    from qa.workspace import Workspace

    base = tmp_path_factory.mktemp("reports")
    (base / "docs").mkdir()
    (base / "docs" / "a.txt").write_text(_report("2018", "seven"))
    (base / "docs" / "b.txt").write_text(_report("2021", "nine"))
    ws = Workspace.resolve(base / "docs", base / "ix")
    ws.build()
    return ws


def test_field_text_holds_the_title_and_the_date_in_words():
    chunk = Chunk("a.md", 0, 1, 1, 1, "x", "Setup guide", "2018-07-31", section="Install › Linux")
    assert field_text(chunk) == "Setup guide\n2018 July"  # the headings are read with the text
    assert field_text(replace(chunk, date=None)) == "Setup guide"


@pytest.mark.model
def test_a_year_in_the_question_favours_the_document_of_that_date(reports):
    retriever = reports.retriever()
    assert retriever.index.fields is not None
    question = "When did the ferry to the islands leave in 2018?"
    assert SearchSettings().field_weight > 0  # on by default
    with_fields = Retriever(retriever.index, retriever.encoder, SearchSettings())
    top = with_fields.search(question, 1)[0]
    assert top.chunk.path == "a.txt" and "seven" in top.chunk.text
    other = with_fields.search(question.replace("2018", "2021"), 1)[0]
    assert other.chunk.path == "b.txt" and "nine" in other.chunk.text


@pytest.mark.model
def test_a_passage_borrows_the_score_of_its_neighbours(reports):
    index = reports.retriever().index
    retriever = Retriever(index, reports.retriever().encoder, SearchSettings(neighbour_weight=1))
    rows = np.array([0, 1, 3])
    fused = np.array([0.9, 0.1, 0.5])
    got = retriever._neighbours(rows, fused)
    docs = index.row_documents
    assert got[0] == (0.1 if docs[1] == docs[0] else 0)  # its next row
    assert got[1] == (0.9 if docs[0] == docs[1] else 0)  # the best of rows 0 and 2 (absent)
    assert got[2] == 0  # rows 2 and 4 are not candidates


@pytest.mark.model
def test_an_index_without_fields_is_still_searched(reports):
    retriever = reports.retriever()
    bare = replace(retriever.index, fields=None)
    plain = Retriever(bare, retriever.encoder, SearchSettings(field_weight=0.5))
    assert plain.search("When did the ferry leave?", 2)


@pytest.mark.model
def test_copies_of_a_text_are_one_result_that_names_the_other_files(tmp_path):
    import json

    from tests.conftest import run

    docs = tmp_path / "papers"
    docs.mkdir()
    paper = (
        "# Ferries\n\nThe winter ferry to Skjervøy leaves the north pier at a quarter past seven "
        "in the morning, except on public holidays, when the first departure is at nine. "
        "Tickets cost 240 kroner for adults and half of that for children under sixteen; "
        "bicycles travel free of charge, and dogs on a lead are welcome on the open deck. "
        "The crossing takes about forty minutes in calm weather and up to an hour in a storm.\n"
    )
    for name in ("paper.md", "paper (1).md", "copies/paper-final.md"):
        (docs / name).parent.mkdir(exist_ok=True)
        (docs / name).write_text(paper)
    # a near copy: one word changed, the rest the same text
    (docs / "paper-v2.md").write_text(paper.replace("forty", "fifty"))
    (docs / "buses.md").write_text("# Buses\n\nThe harbour bus runs every twenty minutes.\n")
    got = run("ask", "When does the winter ferry leave?", "--docs", str(docs), "--json")
    assert got.exit_code == 0, got.output
    passages = json.loads(got.stdout)["passages"]
    texts = [p["text"] for p in passages]
    assert len(texts) == len(set(texts)) == 2  # the paper once, then the buses
    top = passages[0]
    assert len(top["also_in"]) == 3 and top["citation"]["path"] not in top["also_in"]
    human = run("ask", "When does the winter ferry leave?", "--docs", str(docs))
    assert "also in 3 files: " in human.stdout


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("How do I greet a user by name?", False),
        ("Which shells does tab completion support? e.g. bash", False),
        ("What does console.print do?", True),
        ("How do I use read_csv?", True),
        ("What does --wait do?", True),
        ("What does setting TERM=dumb change?", True),
        ("Why does Console() print twice?", True),
        ("How does getElementById work?", True),
        ("What goes in `pyproject.toml`?", True),
    ],
)
def test_a_question_names_code_or_is_asked_in_words(question: str, code: bool):
    from qa.retrieve import names_code

    assert names_code(question) is code


@pytest.mark.model
def test_source_code_weighs_less_for_a_question_asked_in_words(tmp_path):
    from qa.workspace import Workspace

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "greeting.md").write_text(
        "# Greeting a user by name\n\nHow do I greet a user by name? Run the hello program "
        "and give it the user's name: it greets that user by name once.\n"
    )
    (docs / "hello.py").write_text(
        "# Greet a user by name: the hello command with a name option.\n"
        "import click\n\n\n@click.command()\n@click.option('--name', help='The user to greet.')\n"
        "def hello(name):\n    click.echo(f'Hello {name}!')\n"
    )
    for i, text in enumerate(["Ferries leave at seven.", "The library opens at nine."]):
        (docs / f"note-{i}.txt").write_text(text + "\n")
    ws = Workspace.resolve(docs, tmp_path / "index")
    ws.build()
    plain = ws.retriever()
    assert plain.settings.code_weight > 0
    off = Retriever(plain.index, plain.encoder, replace(plain.settings, code_weight=0))

    def program(retriever: Retriever, question: str) -> float:
        return next(p.score for p in retriever.search(question, 4) if p.chunk.path == "hello.py")

    words = "How do I greet a user by name?"
    assert program(plain, words) == pytest.approx(
        (1 - plain.settings.code_weight) * program(off, words), abs=1e-6
    )
    named = "What does the --name option of hello do?"
    assert program(plain, named) == pytest.approx(program(off, named), abs=1e-6)
