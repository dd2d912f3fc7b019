"""Real documents: PDF pages, HTML main text and metadata, Markdown sections, `qa show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import cli
from qa.workspace import Workspace
from tests.conftest import read_folder

HTML = """<!doctype html><html><head>
<title>Harbour authority opens new ferry terminal</title>
<meta property="article:published_time" content="2024-05-17">
</head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/print">Print</a></nav>
<article><h1>Harbour authority opens new ferry terminal</h1>
<p>The harbour authority opened its new ferry terminal on Friday after three years of
construction. The terminal can handle four ferries at once and was designed by the firm
Lindqvist Architects.</p>
<p>Officials expect the terminal to serve two million passengers a year.</p>
<table><tr><th>Route</th><th>Crossings per day</th></tr>
<tr><td>North Island</td><td>14</td></tr><tr><td>South Island</td><td>9</td></tr></table>
</article>
<footer><p>Contact the harbour office</p><p>Address: 12 Quay Street, Port Elsby</p>
<p>Phone: +44 1632 960 123</p></footer>
</body></html>"""

MARKDOWN = """# Handbook

Intro text for the handbook.

## Setup

General setup notes.

### Linux

On Linux, install the package with the system package manager and run the daemon as a service.

```sh
sudo apt install frobnicator
sudo systemctl enable --now frobnicator
```

### Windows

On Windows, run the installer and accept the firewall prompt.
"""


def write_pdf(path: Path, pages: list[str]) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.set_auto_page_break(False)
    for n, body in enumerate(pages, start=1):
        pdf.add_page()
        pdf.cell(0, 8, "ACME Quarterly Safety Report", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, body)
        pdf.set_y(-20)
        pdf.cell(0, 8, f"Page {n} of {len(pages)}")
    pdf.output(str(path))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = tmp_path_factory.mktemp("formats") / "docs"
    docs.mkdir()
    write_pdf(
        docs / "report.pdf",
        [
            "Inspections covered all pumping stations this quarter. The maintenance docu-\n"
            "mentation was complete for every station.",
            "The reactor core temperature peaked at 451 degrees during the July test run.",
            "Staff training hours rose by twelve percent over the previous quarter.",
        ],
    )
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (docs / "ferry.html").write_text(HTML)
    (docs / "handbook.md").write_text(MARKDOWN)
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n")
    return docs


@pytest.fixture(scope="module")
def workspace(corpus: Path, seed_workspace) -> Workspace:
    ws = Workspace.resolve(corpus, corpus.parent / "ix")
    ws.build()
    return ws


def test_pdf_pages_are_cited_and_edges_dropped(corpus: Path, workspace: Workspace):
    docs = {d.rel: d for d in read_folder(corpus)[0]}
    pdf = docs["report.pdf"]
    assert len(pdf.page_starts) == 3
    assert "ACME Quarterly Safety Report" not in pdf.text  # header on every page
    assert "Page 2 of 3" not in pdf.text  # footer on every page
    assert "documentation" in pdf.text  # hyphenation repaired
    top = workspace.ask(["What temperature did the reactor core reach?"])[0].passages[0]
    assert top.citation.path.endswith("report.pdf") and top.citation.page == 2
    assert "451 degrees" in top.text


def test_unreadable_files_are_listed_and_the_rest_indexed(corpus: Path, workspace: Workspace):
    _, skipped = read_folder(corpus)
    reasons = {s.rel: (s.kind, s.reason) for s in skipped}
    assert reasons["broken.pdf"] == ("damaged", "damaged (PDFium: Data format error)")
    assert reasons["photo.png"] == ("unsupported type", "unsupported file type (.png)")
    manifest = workspace.load().manifest
    assert set(manifest.documents) == {"report.pdf", "ferry.html", "handbook.md"}
    assert {s.rel for s in manifest.skipped} == {"broken.pdf", "photo.png"}


def test_html_title_date_table_and_footer_facts(workspace: Workspace):
    result = workspace.ask(["Who designed the new ferry terminal?"])[0]
    top = result.passages[0]
    assert "Lindqvist" in top.text
    assert top.citation.title == "Harbour authority opens new ferry terminal"
    assert top.citation.date == "2024-05-17"
    assert "Home | News" not in top.text
    address = workspace.ask(["What is the address of the harbour office?"])[0].passages[0]
    assert "12 Quay Street" in address.text
    crossings = workspace.ask(["How many crossings per day to North Island?"])[0].passages[0]
    assert "North Island" in crossings.text and "14" in crossings.text


def test_markdown_sections_in_citations_and_code_kept_whole(workspace: Workspace):
    top = workspace.ask(["How do I install it on Linux?"])[0].passages[0]
    assert top.citation.section == "Handbook › Setup › Linux"
    assert "§ Handbook › Setup › Linux" in top.citation.label()
    chunks = [c for c in workspace.load().chunks if c.path == "handbook.md"]
    holding = [c for c in chunks if "sudo apt install" in c.text]
    assert holding and all("enable --now frobnicator\n```" in c.text for c in holding)


def test_pdf_page_in_json_and_human_output(workspace: Workspace):
    args = ["ask", "reactor core temperature", "--index", str(workspace.root)]
    out = CliRunner().invoke(cli, [*args, "--json"])
    assert json.loads(out.stdout)["passages"][0]["citation"]["page"] == 2
    human = CliRunner().invoke(cli, args)
    assert "report.pdf p.2:" in human.stdout


def test_show_prints_the_cited_passage_with_context(workspace: Workspace, corpus: Path):
    top = workspace.ask(["What temperature did the reactor core reach?"])[0].passages[0]
    out = CliRunner().invoke(cli, ["show", top.citation.label(), "-C", "1"])
    assert out.exit_code == 0, out.output
    assert "451 degrees" in out.stdout
    assert str(corpus / "report.pdf") in out.stdout
    bad = CliRunner().invoke(cli, ["show", "no citation here"])
    assert bad.exit_code == 2 and "is not a citation" in bad.stderr
