from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.documents import find_date, find_title, make_document
from qa.errors import UsageError
from tests.conftest import SEEDS, read_folder


def test_seed_titles_skip_chrome_and_dates():
    docs = {d.rel: d for d in read_folder(SEEDS)[0]}
    assert docs["000_1d2b28749ff36f0e.txt"].title == "Sergei Lavrov will visit Japan in early March"
    title = docs["002_80cab102279fe767.txt"].title
    assert title.startswith("Foreign Minister Sergey Lavrov’s remarks")
    assert "Official website" not in title


def test_seed_dates_are_the_articles_own():
    docs = {d.rel: d for d in read_folder(SEEDS)[0]}
    # "Friday, 14-12-2018" is the site's banner; "31/07/2018" is the article's dateline.
    assert docs["002_80cab102279fe767.txt"].date == "2018-07-31"
    # Doc 000 only has the banner date (a weekday line) and a calendar widget: no own date.
    assert docs["000_1d2b28749ff36f0e.txt"].date is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2020-02-29", "2020-02-29"),
        ("31/07/2018", "2018-07-31"),
        ("July 31, 2018", "2018-07-31"),
        ("5 March 2021", "2021-03-05"),
        ("Monday, March 1, 2021", None),
        ("31/13/2018", None),
        ("The talks were held on July 31, 2018 in Moscow with many people present.", None),
    ],
)
def test_find_date(text, iso):
    assert find_date(text) == iso


def test_markdown_heading_is_the_title():
    assert find_title("intro text\n# Setting up qa\nmore") == "Setting up qa"


@pytest.mark.parametrize(
    "text, title",
    [
        (
            ".. _config:\n\nConfiguration Handling\n======================\n\n"
            "Applications need some kind of configuration.  There are different settings\n",
            "Configuration Handling",
        ),
        (
            "=========\nQuickstart\n=========\n\nA minimal application looks like this one.",
            "Quickstart",
        ),
        ("Setting up qa\n---\n\nInstall it with pip in a fresh virtual env.", "Setting up qa"),
        # a rule of its own, or text over a short rule in reStructuredText, is not a heading
        (
            "----\n\nThe whole of this page is about one thing only.",
            "The whole of this page is about one thing only.",
        ),
        (
            "Short\n~~\n\nThe whole of this page is about one thing only.",
            "The whole of this page is about one thing only.",
        ),
    ],
)
def test_underlined_heading_is_the_title(text, title):
    assert find_title(text) == title


def test_title_falls_back_to_file_name():
    assert make_document("notes/todo.txt", "buy milk").title == "todo"


def test_read_folder_is_recursive_and_keeps_exact_text(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.md").write_text("# Deep\r\nline one\r\n", newline="")
    (tmp_path / "top.txt").write_text("top level text")
    (tmp_path / "ignored.bin").write_bytes(b"\x00\x01")
    docs, skipped = read_folder(tmp_path)
    assert [d.rel for d in docs] == ["a/b/deep.md", "top.txt"]
    assert docs[0].text == "# Deep\r\nline one\r\n"
    assert [(s.rel, s.reason) for s in skipped] == [("ignored.bin", "unsupported file type (.bin)")]


def test_text_encodings_are_decoded_and_non_text_skipped(tmp_path: Path):
    (tmp_path / "good.txt").write_text("fine text")
    (tmp_path / "latin.txt").write_bytes("un café crème".encode("latin-1"))
    (tmp_path / "nul.txt").write_bytes(b"abc\x00def")
    (tmp_path / "noise.txt").write_bytes(bytes(range(1, 32)) * 4 + b"\x81\x8d")
    (tmp_path / "utf16.txt").write_text("hello utf16", encoding="utf-16")
    docs, skipped = read_folder(tmp_path)
    assert {d.rel: d.text for d in docs} == {
        "good.txt": "fine text",
        "latin.txt": "un café crème",
        "utf16.txt": "hello utf16",
    }
    assert {s.rel: s.kind for s in skipped} == {"noise.txt": "not text", "nul.txt": "not text"}
    assert "binary" in next(s.reason for s in skipped if s.rel == "nul.txt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_skipped(tmp_path: Path):
    (tmp_path / "secret.txt").write_text("hidden")
    (tmp_path / "secret.txt").chmod(0)
    docs, skipped = read_folder(tmp_path)
    assert docs == [] and skipped[0].reason == "permission denied"


def test_symlink_loop_terminates(tmp_path: Path):
    (tmp_path / "doc.txt").write_text("some text")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    docs, _ = read_folder(tmp_path)
    assert [d.rel for d in docs] == ["doc.txt"]


def test_missing_folder_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="not a folder"):
        read_folder(tmp_path / "nope")


def test_front_matter_gives_its_title_and_is_never_one():
    from qa.documents import find_title

    assert find_title("---\ntitle: helm plugin install\n---\n\n## Synopsis\n\nText.") == (
        "helm plugin install"
    )
    assert find_title('---\ntitle: "Quoted"\nweight: 3\n---\nText.') == "Quoted"
    assert find_title("---\nsidebar_position: 1\n---\n\n# Getting started\n\nText.") == (
        "Getting started"
    )
    assert find_title("Setext title\n---\n\nText.") == "Setext title"  # not front matter
