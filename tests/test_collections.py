"""Several folders by name, and the user's config file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.config import Config, load_config
from qa.errors import UsageError
from tests.conftest import SEEDS, run


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file of this test's own (collections.json lives beside it)."""
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir()
    monkeypatch.setenv("QA_CONFIG", str(path))
    return path


def test_no_config_file_is_the_defaults():
    assert load_config() == Config()


def test_config_values_are_read(config_home: Path):
    config_home.write_text(
        'k = 8\nrefresh = false\ncollections = ["notes", "papers"]\nocr = "force"\n'
        'ocr_lang = "eng+deu"\n'
    )
    assert load_config() == Config(
        k=8, refresh=False, collections=("notes", "papers"), ocr="force", ocr_lang="eng+deu"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("k = ", "is not valid TOML"),
        ("k = 0", "k must be a whole number"),
        ('k = "five"', "k must be a whole number"),
        ('refresh = "yes"', "refresh must be true or false"),
        ('collections = "notes"', "collections must be a list of names"),
        ("colour = 1", "unknown key 'colour'"),
        ('ocr = "sometimes"', 'ocr must be "auto", "off" or "force"'),
        ("ocr_lang = 3", "ocr_lang must be Tesseract language codes"),
    ],
)
def test_a_bad_config_is_one_line_naming_file_and_key(config_home: Path, text: str, says: str):
    config_home.write_text(text + "\n")
    with pytest.raises(UsageError, match=says) as err:
        load_config()
    assert str(config_home) in str(err.value)
    result = run("ask", "When?")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("qa: ") and str(config_home) in line


def test_unknown_collection_names_the_known_ones():
    result = run("ask", "When?", "--in", "nope")
    assert result.exit_code == 2
    assert "no collection named 'nope'" in result.stderr and "qa index DOCS --name" in result.stderr


@pytest.fixture
def two_collections(tmp_path: Path) -> tuple[Path, Path]:
    """The seeds as "news", and a folder of harbour notes as "harbour"."""
    news, harbour = tmp_path / "news", tmp_path / "harbour"
    shutil.copytree(SEEDS, news)
    harbour.mkdir()
    (harbour / "ferry.txt").write_text(
        "Harbour notes\n\nThe ferry to the island leaves at 7:00 from the north pier.\n"
    )
    assert run("index", str(news), "--index", str(tmp_path / "ix-news")).exit_code == 0
    got = run("index", str(harbour), "--index", str(tmp_path / "ix-h"), "--name", "harbour")
    assert got.exit_code == 0
    return news, harbour


@pytest.mark.model
def test_a_question_over_two_collections_merges_their_passages(two_collections, config_home):
    news, harbour = two_collections
    listed = [json.loads(line) for line in run("collections", "--json").stdout.splitlines()]
    assert {(c["name"], c["docs"], c["documents"]) for c in listed} == {
        ("news", str(news), 2),
        ("harbour", str(harbour), 1),
    }
    text = run("collections").stdout
    assert "news" in text and "harbour" in text and "1 documents" in text

    result = run("ask", "When does the ferry leave?", "--in", "news,harbour", "--json", "-k", "3")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["answered"] and "7:00" in got["answer"]["text"]
    cited = [p["citation"] for p in got["passages"]]
    assert cited[0]["path"] == "ferry.txt" and cited[0]["folder"] == str(harbour)
    assert cited[0]["absolute"] == str(harbour / "ferry.txt")  # citations keep their folder
    assert any(c["folder"] == str(news) for c in cited[1:]) and len(cited) == 3
    human = run("ask", "When does the ferry leave?", "--in", "news,harbour", "-k", "3").stdout
    assert human.splitlines()[0] in (f"In {harbour}, {news}:", f"In {news}, {harbour}:")
    # several folders: each citation whole, so `qa show` finds the right file
    assert f"{harbour / 'ferry.txt'}:1[chars" in "".join(human.split())  # wrapped at 80 columns
    assert [p["rank"] for p in got["passages"]] == [1, 2, 3]

    lavrov = run("ask", "When did Lavrov plan to visit Japan?", "--in", "harbour,news", "--json")
    assert json.loads(lavrov.stdout)["answer"]["text"].startswith("Sergei Lavrov will visit Japan")

    config_home.write_text('collections = ["harbour"]\nk = 1\n')  # the config's defaults
    got = json.loads(run("ask", "When does the ferry leave?", "--json").stdout)
    (only,) = got["passages"]
    assert only["citation"]["path"].endswith("ferry.txt")


@pytest.mark.model
def test_a_taken_name_is_not_reused_silently(tmp_path: Path, two_collections):
    other = tmp_path / "elsewhere" / "news"
    shutil.copytree(SEEDS, other)
    result = run("index", str(other), "--index", str(tmp_path / "ix-other"))
    assert result.exit_code == 0
    assert "the name 'news' is taken by" in result.stderr and "--name" in result.stderr
    news = [json.loads(line) for line in run("collections", "--json").stdout.splitlines()]
    assert {c["docs"] for c in news if c["name"] == "news"} == {str(two_collections[0])}
