"""HTML pages → Extracted: main text, title, date, and the page's fact lines.

The main text comes from trafilatura (tables and lists kept as text lines), the title and
publication date from the page's metadata. Page chrome is dropped by the extractor, but facts a
user may ask about often live there (an embassy's address, a phone number, an e-mail): lines of
the whole page that look like such facts and are not in the main text are kept in a final
"Page details" section, so they stay findable and citable.
"""

from __future__ import annotations

import re
from pathlib import Path

from qa.formats import Extracted, Unreadable
from qa.formats.text import decode, read_bytes

_FACT = re.compile(
    r"^[\w .-]{2,20}:\s*\S"  # "Address: ...", "Phone: ..."
    r"|[\w.+-]+@[\w-]+\.[\w.]+"  # an e-mail address
    r"|\+?\d[\d ()-]{7,}\d",  # a phone number
)


def read_html_file(path: Path) -> Extracted:
    """An HTML file: its text decoded, then read as a page."""
    return read_html(decode(read_bytes(path)))


def read_html(html: str) -> Extracted:
    """Main text, title and date of a web page, plus its fact lines outside the main text.
    A page's YAML front matter (the HTML sources of a Jekyll or Hugo site) gives its title
    and is not read as text."""
    import trafilatura  # deferred: 0.3 s, only for .html files

    from qa.documents import front_matter

    named, body = front_matter(html)
    html = html[body:]
    # lxml refuses a str that declares its encoding (XHTML, EPUB chapters): it is decoded
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)

    main = trafilatura.extract(
        html, output_format="txt", include_tables=True, include_comments=False, favor_recall=True
    )
    meta = trafilatura.extract_metadata(html)
    text = (main or "").strip()
    facts = [line for line in _page_lines(html) if _FACT.search(line) and line not in text]
    if facts:
        text += "\n\nPage details\n" + "\n".join(dict.fromkeys(facts))
    if not text:
        raise Unreadable("no text", "no text found in the page")
    title = named or (meta.title if meta and meta.title else None)
    date = meta.date if meta and meta.date else None
    return Extracted(text + "\n", title=title, date=date)


def _page_lines(html: str) -> list[str]:
    """Every non-empty text line of the whole page (scripts and styles left out)."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    lines = []
    for block in tree.xpath("//body//*[not(*)]|//body//p|//body//li|//body//address"):
        for line in block.text_content().splitlines():
            line = " ".join(line.split())
            if line:
                lines.append(line)
    return lines
