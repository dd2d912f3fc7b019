"""OpenDocument files → Extracted: .odt with heading sections, .odp by slide (odfpy)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qa.formats import Extracted, TextBuilder, open_checked


def _load(path: Path) -> Any:
    from odf.opendocument import load  # deferred: odfpy, only for OpenDocument files

    return open_checked(load, path, "OpenDocument file")


def _title(doc: Any) -> str | None:
    from odf import dc, teletype

    titles = doc.meta.getElementsByType(dc.Title) if doc.meta else []
    return teletype.extractText(titles[0]) if titles else None


def read_odt(path: Path) -> Extracted:
    """A text document's headings and paragraphs in order; headings give the section path."""
    from odf import teletype
    from odf.namespaces import TEXTNS

    doc = _load(path)
    out = TextBuilder()
    for el in _blocks(doc.text):
        text = teletype.extractText(el)
        if el.qname == (TEXTNS, "h"):
            out.heading(int(el.getAttrNS(TEXTNS, "outline-level") or 1), text)
        out.add(text)
    return out.extracted(title=_title(doc))


def _blocks(node: Any) -> Any:
    """Headings and paragraphs below `node`, in document order (lists and tables entered)."""
    from odf.namespaces import TEXTNS

    for child in node.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        if child.qname in ((TEXTNS, "h"), (TEXTNS, "p")):
            yield child
        else:
            yield from _blocks(child)


def read_odp(path: Path) -> Extracted:
    """A presentation's pages, one citation page each, in order."""
    from odf import draw

    doc = _load(path)
    out = TextBuilder()
    for n, page in enumerate(doc.presentation.getElementsByType(draw.Page), start=1):
        out.page()
        name = page.getAttribute("name") or ""
        out.section(name if name and not re.fullmatch(r"page\d+", name) else f"Slide {n}")
        for el in _blocks(page):
            out.add(_text(el))
    return out.extracted(title=_title(doc))


def _text(el: Any) -> str:
    from odf import teletype

    return str(teletype.extractText(el))
