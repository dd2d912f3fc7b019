"""Jupyter notebooks → Extracted: Markdown cells as they are, code cells fenced; no outputs.

Outputs are left out (they are mostly numbers, images and tracebacks); code cells are
fenced like Markdown code blocks, so the chunker finds the headings of Markdown cells and
keeps a code cell whole, as it does in a .md file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.formats import Extracted, TextBuilder, open_checked
from qa.formats.text import decode, read_bytes


def read_ipynb(path: Path) -> Extracted:
    """A notebook's Markdown and code cells, in order."""
    import nbformat  # deferred: only for notebooks

    def parse(name: str) -> Any:
        return nbformat.reads(decode(read_bytes(Path(name))), as_version=4)

    notebook = open_checked(parse, path, "notebook")
    language = notebook.metadata.get("kernelspec", {}).get("language", "") or ""
    out = TextBuilder()
    for cell in notebook.cells:
        source = cell.get("source", "")
        if cell.get("cell_type") == "markdown":
            out.add(source)
        elif cell.get("cell_type") == "code" and source.strip():
            out.add(f"```{language}\n{source.strip()}\n```")
    return out.extracted(title=notebook.metadata.get("title"))
