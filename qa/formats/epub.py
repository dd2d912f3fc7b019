"""EPUB books → Extracted: chapters in reading order, each chapter's title its section.

An EPUB is a zip of XHTML files listed by its package document (OPF) in reading order (the
spine). Each chapter is read by the HTML reader (qa.formats.html); chapters without text
(covers, title pages) are left out. Read with the standard library's zipfile and lxml, which
the HTML reader already needs, rather than an e-book library.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from typing import Any

from qa.formats import Extracted, TextBuilder, Unreadable, check_size

_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}
MAX_CHAPTER_BYTES = 16 * 2**20  # a larger "chapter" inside the zip is a zip bomb, not text


def read_epub(path: Path) -> Extracted:
    """A book's chapters in spine order, with the book's title and date."""
    from lxml import etree  # deferred: only for e-books

    from qa.formats.html import read_html

    check_size(path)
    try:
        book = zipfile.ZipFile(path)
        opf_path = _package_path(book, etree)
        opf = etree.fromstring(_member(book, opf_path))
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise Unreadable("damaged", f"not a readable EPUB: {type(exc).__name__}") from None
    out = TextBuilder()
    for n, href in enumerate(_spine(opf, posixpath.dirname(opf_path)), start=1):
        try:
            chapter = read_html(_member(book, href).decode("utf-8", errors="replace"))
        except (Unreadable, KeyError):
            continue
        out.section(chapter.title or f"Chapter {n}")
        out.add(chapter.text)
    return out.extracted(title=_meta(opf, "title"), date=_meta(opf, "date"))


def _member(book: zipfile.ZipFile, name: str) -> bytes:
    """One file of the zip, refused when it would unpack to too much."""
    if book.getinfo(name).file_size > MAX_CHAPTER_BYTES:
        raise Unreadable("too large", f"{name} unpacks to over 16 MB")
    return book.read(name)


def _package_path(book: zipfile.ZipFile, etree: Any) -> str:
    """Where the OPF package document is, from META-INF/container.xml."""
    container = etree.fromstring(_member(book, "META-INF/container.xml"))
    found = container.find(".//c:rootfile", _NS)
    if found is None or not found.get("full-path"):
        raise KeyError("rootfile")
    return str(found.get("full-path"))


def _spine(opf: Any, base: str) -> list[str]:
    """Zip paths of the spine's XHTML files, in reading order."""
    hrefs = {
        item.get("id"): item.get("href")
        for item in opf.iterfind(".//opf:manifest/opf:item", _NS)
        if "html" in (item.get("media-type") or "")
    }
    refs = [ref.get("idref") for ref in opf.iterfind(".//opf:spine/opf:itemref", _NS)]
    return [posixpath.normpath(posixpath.join(base, hrefs[r])) for r in refs if r in hrefs]


def _meta(opf: Any, name: str) -> str | None:
    found = opf.find(f".//dc:{name}", _NS)
    text = (found.text or "").strip() if found is not None else ""
    return text or None
