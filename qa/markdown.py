"""Results → Markdown: each question, its answer, and citations as `path:line` links.

The one Markdown rendering of answers: `qa ask --format markdown` prints it, and `qa chat`
saves a conversation with it (Ctrl+S). Links point at the file with a `#L<line>` anchor, which
editors and Markdown viewers open at the line; the link text is the citation as qa prints it
elsewhere, so it can be pasted into `qa show`.
"""

from __future__ import annotations

from qa.results import Citation, Result


def link(citation: Citation) -> str:
    """`[path p.N:line § section](<absolute path>#Lline)`: a citation as a Markdown link
    (the text relative to the indexed folder, the target absolute, so it opens from anywhere)."""
    text = citation.place().replace("[", "\\[").replace("]", "\\]")
    return f"[{text}](<{citation.absolute}#L{citation.line}>)"


def result_to_markdown(result: Result) -> str:
    """One question: a heading, the answer (or that there is none), then its passages."""
    lines = [f"## {_one_line(result.question)}", ""]
    if result.answered and result.answer and result.citation:
        short = result.passages[0].short
        head = f"**{_one_line(short.text)}**: " if short else ""
        lines += [f"{head}{_one_line(result.answer.text)}", "", f"— {link(result.citation)}"]
    else:
        lines.append(f"*{result.no_answer()}*")
    lines.append("")
    for p in result.passages:
        lines.append(f"{p.rank}. {link(p.citation)}: “{_one_line(p.answer.text)}”")
    return "\n".join(lines) + "\n"


def conversation_to_markdown(results: list[Result], title: str) -> str:
    """A whole conversation, in the order asked."""
    parts = [f"# {_one_line(title)}\n"] + [result_to_markdown(r) for r in results]
    return "\n".join(parts)


def _one_line(text: str) -> str:
    """Text on one line (document text may hold line breaks), Markdown specials escaped."""
    return _escape(" ".join(text.split()))


def _escape(text: str) -> str:
    """Characters that would turn document text into Markdown markup, escaped (an underscore
    inside a word is no markup, and identifiers keep theirs)."""
    for ch in "\\`*[]<>":
        text = text.replace(ch, "\\" + ch)
    return text
