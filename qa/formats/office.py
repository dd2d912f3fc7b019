"""Word and PowerPoint files → Extracted: .docx with heading sections, .pptx by slide.

A .docx's paragraphs and tables are read in document order (python-docx); its Heading styles
give each passage a section path, "Setup › Linux", as Markdown headings do. A .pptx slide is
a page for citations (`p.3` is slide 3), its title the section; speaker notes are kept.
Table cells are separated by tabs, never "|" (which qa reads as a menu line).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qa.formats import Extracted, TextBuilder, open_checked

_HEADING = re.compile(r"^(?:Heading (\d)|Title)$")


def read_docx(path: Path) -> Extracted:
    """A Word document's paragraphs and tables, with heading sections."""
    import docx  # deferred: python-docx, only for .docx files
    from docx.table import Table

    document = open_checked(docx.Document, path, ".docx")
    out = TextBuilder()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            out.add(_table_text(block))
            continue
        level = _heading_level(block)
        if level is not None:
            out.heading(level, block.text)
        out.add(block.text)
    return out.extracted(title=document.core_properties.title)


def _heading_level(paragraph: Any) -> int | None:
    """1–9 for a Heading paragraph, 0 for the Title style, else None."""
    name = paragraph.style.name if paragraph.style is not None else ""
    found = _HEADING.match(name or "")
    if not found:
        return None
    return int(found.group(1)) if found.group(1) else 0


def _table_text(table: Any) -> str:
    """One line per row, cells separated by tabs (merged cells once)."""
    rows = []
    for row in table.rows:
        cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells))
        rows.append("\t".join(c for c in cells if c))
    return "\n".join(r for r in rows if r)


def read_pptx(path: Path) -> Extracted:
    """A presentation's slides (one page each): text frames, tables and speaker notes."""
    import pptx  # deferred: python-pptx, only for .pptx files

    deck = open_checked(pptx.Presentation, path, ".pptx")
    out = TextBuilder()
    first_title = None
    for n, slide in enumerate(deck.slides, start=1):
        out.page()
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text.strip() if title_shape is not None else ""
        first_title = first_title or title
        out.section(title or f"Slide {n}")
        for shape in slide.shapes:
            out.add(_shape_text(shape))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            out.add(slide.notes_slide.notes_text_frame.text)
    return out.extracted(title=deck.core_properties.title or first_title)


def _shape_text(shape: Any) -> str:
    """The text of a shape: its text frame, table, or grouped shapes."""
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        return str(shape.text_frame.text)
    if getattr(shape, "has_table", False) and shape.has_table:
        return _table_text(shape.table)
    if hasattr(shape, "shapes"):  # a group
        return "\n".join(t for t in (_shape_text(s) for s in shape.shapes) if t.strip())
    return ""
