"""PDF files → Extracted: page texts from PDFium, as paragraphs, with page offsets.

PDFium (pypdfium2, the engine in Chrome) reads the text layer: 2.5× faster than pypdf over
971 real-world PDFs and 8× on a 352-page book, with fewer failures (docs/performance.md).
Encrypted files with an empty user password open as they do in a viewer; others need one.

Each page is cleaned before it is joined: words hyphenated at a line end are joined, header
and footer lines repeated on most pages are dropped, and hard-wrapped lines are rejoined into
paragraphs, so that a sentence is never cut at a printed line's end. Pages are separated by a
form feed on its own line and each page's starting offset is kept for citations.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from qa.formats import Extracted, Unreadable, check_size, paged
from qa.formats import ocr as _ocr
from qa.formats.ocr import MISSING, OcrSettings

_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD
MIN_TEXT = 20  # a page with fewer non-space characters in its text layer is read by OCR


def read_pdf(path: Path, *, ocr: OcrSettings | None = None) -> Extracted:
    """Page texts of a PDF joined with form feeds, scanned pages read as `ocr` says; refuse
    locked files and those where no page has text."""
    import pypdfium2 as pdfium  # deferred: only for .pdf files

    check_size(path)
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PASSWORD_ERROR:
            raise Unreadable("needs a password") from None
        found = re.search(r"\((.+?)\)", str(exc))
        raise Unreadable("damaged", found.group(1) if found else str(exc)) from None
    settings = ocr or OcrSettings()
    try:
        pages = [_page_text(pdf, i) for i in range(len(pdf))]
        title = (pdf.get_metadata_value("Title") or "").strip() or None
        if settings.mode != "off" and _ocr.available():
            pages = _with_ocr(path, pdf, pages, settings)
    finally:
        pdf.close()
    if not any(p.strip() for p in pages):
        raise Unreadable("no text layer", _why_no_text(settings))
    pages = [_rejoin(p) for p in _drop_repeated_edges([_dehyphenate(p) for p in pages])]
    return paged(pages, title)


def _with_ocr(path: Path, pdf: Any, pages: list[str], settings: OcrSettings) -> list[str]:
    """`pages` with those that hold a picture and no text layer (or only a few stray
    characters; with mode force, any text layer) read by OCR (qa.formats.ocr) from the page
    rendered at DPI, or less for a page so big it would be over MAX_PIXELS. In auto mode a
    page keeps its text layer when OCR reads less."""
    force = settings.mode == "force"
    short = [i for i, p in enumerate(pages) if force or len("".join(p.split())) < MIN_TEXT]
    scanned = [i for i in short if _has_image(pdf, i)]  # not a blank page, not a title slide
    if not scanned:
        return pages
    pictures = {i: partial(render_for_ocr, pdf, i) for i in scanned}
    read = _ocr.cached_pages(path, pictures, settings)
    return [read[i] if i in read and _better(read[i], p, force) else p for i, p in enumerate(pages)]


def _better(read: str, layer: str, force: bool) -> bool:
    """Whether OCR's text of a page replaces its text layer: with force whenever it read
    something, else when it read more."""
    return bool(read.strip()) and (force or len(read.strip()) > len(layer.strip()))


def _why_no_text(settings: OcrSettings) -> str:
    """Why a PDF whose pages have no text was not read (the detail of "no text layer")."""
    if settings.mode == "off":
        return "a scanned, image-only PDF: qa index --ocr auto reads it"
    if not _ocr.available():
        return "a scanned, image-only PDF: " + MISSING
    return "no page has text, and OCR found no words on them"


def _has_image(pdf: Any, i: int) -> bool:
    import pypdfium2.raw as pdfium_c

    page = pdf[i]
    try:
        return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)))
    finally:
        page.close()


def render_for_ocr(pdf: Any, i: int) -> Any:
    """Page `i` rendered for OCR: at DPI, or at the scale that keeps it to MAX_PIXELS."""
    page = pdf[i]
    try:
        width, height = page.get_size()  # points: 1/72 inch
        scale = min(_ocr.DPI / 72, (_ocr.MAX_PIXELS / max(1.0, width * height)) ** 0.5)
        return page.render(scale=scale, grayscale=True).to_pil()
    finally:
        page.close()


def _page_text(pdf: object, i: int) -> str:
    """One page's text with plain line breaks; "" for a page PDFium cannot read."""
    import pypdfium2 as pdfium

    try:
        page = pdf[i]  # type: ignore[index]
        textpage = page.get_textpage()
        raw = textpage.get_text_range()
        textpage.close()
        page.close()
    except pdfium.PdfiumError:
        return ""
    # PDFium marks a hyphen it removed at a line end with U+FFFE (or U+0002): the word joins.
    raw = re.sub("[\ufffe\x02]\r?\n?", "", raw)
    return raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


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
        # a running header or footer is a short line; a paragraph (as OCR gives a scan's
        # lines) repeated on every page is content, never dropped as an edge
        edges.update({_shape(ln) for ln in lines[:2] + lines[-2:] if len(ln.split()) <= 12})
    repeated = {shape for shape, n in edges.items() if n >= max(3, len(pages) * 0.6)}
    return [
        "\n".join(ln for ln in page.splitlines() if _shape(ln.strip()) not in repeated)
        for page in pages
    ]


def _shape(line: str) -> str:
    """A line with its digits masked, so "Page 3 of 9" and "Page 4 of 9" repeat."""
    return re.sub(r"\d+", "#", line)


_LIST_ITEM = re.compile(r"^([-•*–▪◦·]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")
_FULL = 0.8  # a line at least this share of the page's usual width was wrapped, not ended


def _rejoin(page: str) -> str:
    """Join hard-wrapped lines into paragraphs.

    A line continues into the next when it fills most of the page's usual line width (it was
    wrapped, not ended), or when it stops mid-sentence and the next starts in lower case.
    Short lines (headings, table rows, addresses), blank lines and list items stay lines.
    """
    lines = [ln.strip() for ln in page.split("\n")]
    widths = sorted(len(ln) for ln in lines if len(ln) >= 20)
    usual = widths[int(len(widths) * 0.6)] if len(widths) >= 3 else 0
    out: list[str] = []
    for prev, line in zip(["", *lines], lines, strict=False):
        if out and prev and line and not _LIST_ITEM.match(line) and _wrapped(prev, line, usual):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def _wrapped(prev: str, line: str, usual: int) -> bool:
    """Whether printed line `prev` runs on into `line`."""
    if usual and len(prev) >= _FULL * usual and not prev.endswith(":"):
        return True
    return prev[-1] not in ".!?:;" and line[0].islower()
