"""How fast `qa chat`'s source pane shows a passage of a long PDF.

    python -m benchmarks.source_pane [PDF]   (default: a 352-page book typeset here with fpdf2)

Rows, one run: reading the document (PDFium, in the pane's worker), reading it again (kept by
qa.sources), cutting the window of CONTEXT_LINES lines on each side, and drawing it in the
pane's TextArea (load and first paint, on the app's thread), beside drawing the whole document
in the same TextArea, which is what a pane without a window would cost on the app's thread.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def make_book(path: Path, pages: int = 352) -> Path:
    """A long PDF of wrapped prose with a running header, as books have."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("body", fname=str(FONT))
    pdf.set_font("body", size=10)
    sentence = "The committee met in the old hall to review the annual ledger and its notes. "
    for n in range(pages):
        pdf.add_page()
        pdf.cell(0, 8, f"Annual ledger, page {n + 1}")
        pdf.ln(10)
        pdf.multi_cell(0, 5, sentence * 40)
    pdf.output(str(path))
    return path


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


async def draw(text: str, window: bool) -> float:
    """Seconds to load `text` in the pane's view and paint it once."""
    from textual.app import App

    from tui.widgets.source import DocumentView

    class Pane(App[None]):
        def compose(self):
            yield DocumentView()

    app = Pane()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(DocumentView)
        start = time.perf_counter()
        middle = len(text) // 2 if not window else 0
        view.show(text, 1, [(middle, middle + 200, "passage")])
        await pilot.pause()
        return time.perf_counter() - start


def main() -> None:
    from qa.results import Citation
    from qa.sources import line_starts, open_source, read_source
    from tui.widgets.source import CONTEXT_CHARS, CONTEXT_LINES

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(sys.argv[1]) if len(sys.argv) > 1 else make_book(Path(tmp) / "book.pdf")
        text, cold = timed(lambda: read_source(pdf))
        _, warm = timed(lambda: read_source(pdf))
        starts = line_starts(text)
        middle = starts[len(starts) // 2]
        end = text.find("\n", middle)
        line = len(starts) // 2 + 1
        citation = Citation(str(pdf), line, line, middle, end, title="", date=None)
        cut, window = timed(
            lambda: open_source(citation, text[middle:end], CONTEXT_LINES, CONTEXT_CHARS)
        )
        pane = asyncio.run(draw(cut.text, window=True))
        whole = asyncio.run(draw(text, window=False))
    table = Table(title=f"source pane: {pdf.name}, {len(text):,} chars, {len(starts):,} lines")
    table.add_column("step")
    table.add_column("where")
    table.add_column("seconds", justify="right")
    for step, where, seconds in (
        ("read the PDF (first time)", "worker", cold),
        ("read it again (kept)", "worker", warm),
        (f"cut ±{CONTEXT_LINES} lines, ±{CONTEXT_CHARS:,} chars", "worker", window),
        (f"draw the window ({len(cut.lines)} lines)", "app thread", pane),
        ("draw the whole document (not done)", "app thread", whole),
    ):
        table.add_row(step, where, f"{seconds:.3f}")
    Console().print(table)
    print(f"window vs whole document on the app thread: {whole / pane:.0f}x less time")


if __name__ == "__main__":
    main()
