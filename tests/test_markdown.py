"""Answers as Markdown: links that open the cited line, document text never read as markup."""

from __future__ import annotations

from qa.markdown import conversation_to_markdown, link, result_to_markdown
from qa.results import AnsweredPassage, Citation, Result, Span


def passage(rank: int, text: str, section: str = "") -> AnsweredPassage:
    citation = Citation(
        "docs/guide.md", 12, 14, 300, 300 + len(text), "Guide", None, None, section, "/home/me/site"
    )
    return AnsweredPassage(rank, 0.9, text, Span(text, 300, 300 + len(text)), citation)


def test_links_carry_page_section_and_line_anchor():
    c = passage(1, "x", section="Setup › [beta]").citation
    # the text relative to the indexed folder, the target absolute: it opens from anywhere
    assert link(c) == r"[docs/guide.md:12 § Setup › \[beta\]](</home/me/site/docs/guide.md#L12>)"


def test_citation_labels_are_relative_and_absolute_on_request():
    c = passage(1, "x", section="Setup").citation
    assert c.label() == 'docs/guide.md:12 § Setup [chars 300-301] · "Guide"'
    assert c.absolute == "/home/me/site/docs/guide.md"
    assert c.label(absolute=True).startswith("/home/me/site/docs/guide.md:12 § Setup [chars")


def test_document_text_is_escaped_and_kept_on_one_line():
    p = passage(1, "Use *args and [link](http://x)\nwith read_csv <b>")
    result = Result("What is *this*?", True, p.answer, p.citation, [p])
    md = result_to_markdown(result)
    assert md.splitlines()[0] == r"## What is \*this\*?"
    assert r"Use \*args and \[link\](http://x) with read_csv \<b\>" in md
    weak = Result("Nothing?", False, None, None, [p])
    assert "*No passage answers this well" in result_to_markdown(weak)
    both = conversation_to_markdown([result, weak], "qa chat: notes")
    assert both.startswith("# qa chat: notes\n") and both.index("## What") < both.index(
        "## Nothing"
    )
