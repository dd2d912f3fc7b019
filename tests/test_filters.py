"""Narrowing a question: path, type, date, +word, -word, "phrase", applied inside retrieval."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from qa.errors import UsageError
from qa.filters import Filters, parse_date, parse_question
from tests.conftest import run

FERRY = "When does the ferry to the island leave?"


def test_question_syntax_is_parsed_and_ordinary_text_left_alone():
    search, f = parse_question('+ferry -winter "north pier" path:notes/ type:md,TXT since:2020 x')
    assert search == "ferry north pier x"
    assert (f.must, f.must_not, f.phrases) == (("ferry",), ("winter",), ("north pier",))
    assert (f.paths, f.types, f.since) == (("notes/",), ("md", "txt"), date(2020, 1, 1))
    search, f = parse_question("Is C++ an e-mail language at -5 degrees?")
    assert not f and search == "Is C++ an e-mail language at -5 degrees?"


def test_a_flag_inside_the_question_is_asked_about_not_excluded():
    for question in ("What happens with a short option like -dbg?", "Is -v or -q quieter?"):
        search, f = parse_question(question)
        assert not f and search == question
    search, f = parse_question("What does -v do? -verbose")
    assert f.must_not == ("verbose",) and search == "What does -v do?"
    search, f = parse_question("When does the ferry leave -winter")  # no "?": a filter
    assert f.must_not == ("winter",) and search == "When does the ferry leave"


def test_dates_are_iso_or_a_usage_error():
    assert parse_date("2021-03", "--since") == date(2021, 3, 1)
    for bad in ("2021-13-01", "March 2021", "yesterday"):
        with pytest.raises(UsageError, match="is not a date"):
            parse_date(bad, "--since")
    narrower = Filters(since=date(2020, 1, 1)).and_(Filters(since=date(2021, 1, 1)))
    assert narrower.since == date(2021, 1, 1)


@pytest.fixture(scope="module")
def ferries(tmp_path_factory) -> tuple[Path, Path]:
    """Twelve timetables (three years, two folders, three types), indexed."""
    docs = tmp_path_factory.mktemp("ferries")
    ix = docs.parent / (docs.name + "-ix")
    for n in range(12):
        year = 2019 + n % 3
        folder = docs / ("harbour" if n % 2 else "notes")
        folder.mkdir(exist_ok=True)
        suffix = ["txt", "md", "html"][n % 3]
        season = "winter" if n % 4 == 0 else "summer"
        body = (
            f"Timetable {n}\n\n{year}-0{1 + n % 9}-15\n\n"
            f"In {season} the ferry to the island leaves at {6 + n}:00 from the "
            f"{'north pier' if n < 6 else 'south pier'}. Tickets cost {n + 3} euros."
        )
        if suffix == "html":
            body = f"<html><body><p>{body.replace(chr(10) * 2, '</p><p>')}</p></body></html>"
        (folder / f"timetable-{n:02}.{suffix}").write_text(body)
    assert run("index", str(docs), "--index", str(ix)).exit_code == 0
    return docs, ix


def ask(ferries, question: str, *options: str) -> dict:
    docs, ix = ferries
    result = run("ask", question, "--docs", str(docs), "--index", str(ix), "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def names(answer: dict) -> list[str]:
    return [Path(p["citation"]["path"]).name for p in answer["passages"]]


def numbers(answer: dict) -> set[int]:
    return {int(n.split("-")[1].split(".")[0]) for n in names(answer)}


@pytest.mark.model
def test_each_filter_alone(ferries):
    assert numbers(ask(ferries, FERRY, "-k", "12")) == set(range(12))  # unfiltered: all
    assert numbers(ask(ferries, FERRY, "-k", "12", "--path", "harbour/")) == {1, 3, 5, 7, 9, 11}
    assert numbers(ask(ferries, FERRY, "-k", "12", "--type", "md")) == {1, 4, 7, 10}
    assert numbers(ask(ferries, FERRY, "-k", "12", "--since", "2021-01-01")) == {2, 5, 8, 11}
    assert numbers(ask(ferries, FERRY, "-k", "12", "--until", "2019-12-31")) == {0, 3, 6, 9}
    assert numbers(ask(ferries, FERRY + " +winter", "-k", "12")) == {0, 4, 8}
    assert numbers(ask(ferries, FERRY + " -winter", "-k", "12")) == set(range(12)) - {0, 4, 8}
    assert numbers(ask(ferries, FERRY + ' "south pier"', "-k", "12")) == set(range(6, 12))
    assert numbers(ask(ferries, FERRY + " path:notes/*-0[0-4].*", "-k", "12")) == {0, 2, 4}


@pytest.mark.model
def test_filters_combine_and_fill_k_from_inside_retrieval(ferries):
    got = ask(ferries, FERRY, "-k", "4", "--path", "notes/")
    assert numbers(got) <= {0, 2, 4, 6, 8, 10} and len(got["passages"]) == 4  # k filled
    got = ask(ferries, FERRY + " -winter", "-k", "3", "--path", "notes/", "--type", "txt,html")
    assert numbers(got) == {2, 6}  # notes ∩ (txt | html) = 0, 2, 6, 8; not winter: 2, 6
    top = ask(ferries, "Which ferry leaves at 16:00?", "-k", "1", "--since", "2019-06-01")
    assert names(top) == ["timetable-10.md"]  # the best one that passes, not "none in top 5"


@pytest.mark.model
def test_a_filter_that_matches_nothing_says_so(ferries):
    got = ask(ferries, FERRY, "--type", "pdf")
    assert got["answered"] is False and got["passages"] == [] and got["answer"] is None
    docs, ix = ferries
    text = run("ask", FERRY, "--docs", str(docs), "--index", str(ix), "--since", "2030-01-01")
    assert text.exit_code == 0 and "No document matches the filters" in text.stdout


def test_a_bad_date_is_one_usage_line():
    result = run("ask", FERRY, "--until", "31/12/2020")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "qa: --until '31/12/2020' is not a date: give YYYY-MM-DD, e.g. 2021-03-01"
    ]
