"""HTML and PDF files → Extracted text with the metadata the format carries.

HTML: the main text comes from trafilatura (tables and lists kept as text lines), the title and
publication date from the page's metadata. Page chrome is dropped by the extractor, but facts a
user may ask about often live there (an embassy's address, a phone number, an e-mail): lines of
the whole page that look like such facts and are not in the main text are kept in a final
"Page details" section, so they stay findable and citable.

PDF: text per page with pypdf; words hyphenated across line ends are joined; header and footer
lines repeated on most pages are dropped; pages are separated by a form feed on its own line,
and each page's starting offset is kept so that citations carry page numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from qa.documents import Extracted

_FACT = re.compile(
    r"^[\w .-]{2,20}:\s*\S"  # "Address: ...", "Phone: ..."
    r"|[\w.+-]+@[\w-]+\.[\w.]+"  # an e-mail address
    r"|\+?\d[\d ()-]{7,}\d",  # a phone number
)


def read_html(html: str) -> Extracted:
    """Main text, title and date of a web page, plus its fact lines outside the main text."""
    import trafilatura  # deferred: 0.3 s, only for .html files

    main = trafilatura.extract(
        html, output_format="txt", include_tables=True, include_comments=False, favor_recall=True
    )
    meta = trafilatura.extract_metadata(html)
    text = (main or "").strip()
    facts = [line for line in _page_lines(html) if _FACT.search(line) and line not in text]
    if facts:
        text += "\n\nPage details\n" + "\n".join(dict.fromkeys(facts))
    if not text:
        raise ValueError("no text found in the page")
    title = meta.title if meta and meta.title else None
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


def read_pdf(path: Path, max_bytes: int) -> Extracted:
    """Page texts of a PDF joined with form feeds; refuse encrypted and image-only files."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if path.stat().st_size > max_bytes:
        raise ValueError(f"too large ({path.stat().st_size // 2**20} MB): split it")
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("encrypted PDF (no password support)")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except PdfReadError as exc:
        raise ValueError(f"damaged PDF ({exc})") from None
    if not any(p.strip() for p in pages):
        raise ValueError("no text layer (a scanned, image-only PDF?)")
    pages = _drop_repeated_edges([_dehyphenate(p) for p in pages])
    text, starts = "", list[int]()
    for page in pages:
        if starts:
            text += "\n\f\n"
        starts.append(len(text))
        text += page.strip()
    return Extracted(text + "\n", title=title or None, page_starts=tuple(starts))


def _dehyphenate(text: str) -> str:
    """Join words split by a hyphen at a line end ("docu-\\nment" → "document")."""
    return re.sub(r"(\w)-\n(\w)", r"\1\2", text)


def _drop_repeated_edges(pages: list[str]) -> list[str]:
    """Remove header/footer lines found at the top or bottom of most pages (3+ pages)."""
    if len(pages) < 3:
        return pages
    edges: Counter[str] = Counter()
    for page in pages:
        lines = [ln.strip() for ln in page.strip().splitlines() if ln.strip()]
        edges.update({_shape(ln) for ln in lines[:2] + lines[-2:]})
    repeated = {shape for shape, n in edges.items() if n >= max(3, len(pages) * 0.6)}
    return [
        "\n".join(ln for ln in page.splitlines() if _shape(ln.strip()) not in repeated)
        for page in pages
    ]


def _shape(line: str) -> str:
    """A line with its digits masked, so "Page 3 of 9" and "Page 4 of 9" repeat."""
    return re.sub(r"\d+", "#", line)
