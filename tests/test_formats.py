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
    (docs / "photo.psd").write_bytes(b"\x89PNG\r\n")
    return docs


@pytest.fixture(scope="module")
def workspace(corpus: Path) -> Workspace:
    ws = Workspace.resolve(corpus, corpus.parent / "ix")
    ws.build()
    return ws


@pytest.mark.model
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


@pytest.mark.model
def test_unreadable_files_are_listed_and_the_rest_indexed(corpus: Path, workspace: Workspace):
    _, skipped = read_folder(corpus)
    reasons = {s.rel: (s.kind, s.reason) for s in skipped}
    assert reasons["broken.pdf"] == ("damaged", "damaged (PDFium: Data format error)")
    assert reasons["photo.psd"] == ("unsupported type", "unsupported file type (.psd)")
    manifest = workspace.load().manifest
    assert set(manifest.documents) == {"report.pdf", "ferry.html", "handbook.md"}
    assert {s.rel for s in manifest.skipped} == {"broken.pdf", "photo.psd"}


@pytest.mark.model
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


@pytest.mark.model
def test_markdown_sections_in_citations_and_code_kept_whole(workspace: Workspace):
    top = workspace.ask(["How do I install it on Linux?"])[0].passages[0]
    assert top.citation.section == "Handbook › Setup › Linux"
    assert "§ Handbook › Setup › Linux" in top.citation.label()
    chunks = [c for c in workspace.load().chunks if c.path == "handbook.md"]
    holding = [c for c in chunks if "sudo apt install" in c.text]
    assert holding and all("enable --now frobnicator\n```" in c.text for c in holding)


@pytest.mark.model
def test_pdf_page_in_json_and_human_output(workspace: Workspace):
    args = ["ask", "reactor core temperature", "--index", str(workspace.root)]
    out = CliRunner().invoke(cli, [*args, "--json"])
    assert json.loads(out.stdout)["passages"][0]["citation"]["page"] == 2
    human = CliRunner().invoke(cli, args)
    assert "report.pdf p.2:" in human.stdout


@pytest.mark.model
def test_show_prints_the_cited_passage_with_context(workspace: Workspace, corpus: Path):
    top = workspace.ask(["What temperature did the reactor core reach?"])[0].passages[0]
    out = CliRunner().invoke(cli, ["show", top.citation.label(), "-C", "1"])
    assert out.exit_code == 2 and "451" not in out.stdout  # not an index qa knows of
    where = ["--index", str(workspace.root)]
    out = CliRunner().invoke(cli, ["show", top.citation.label(), "-C", "1", *where])
    assert out.exit_code == 0, out.output
    assert "451 degrees" in out.stdout
    assert str(corpus / "report.pdf") in out.stdout
    bad = CliRunner().invoke(cli, ["show", "no citation here"])
    assert bad.exit_code == 2 and "is not a citation" in bad.stderr


# --- the formats people keep: each made with its own library, each answering with a citation


def write_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Travel policy", 0)
    d.add_heading("Expenses", 1)
    d.add_paragraph("Hotel costs are refunded up to 140 euros per night on business trips.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Meal", "Allowance"
    table.cell(1, 0).text, table.cell(1, 1).text = "Dinner", "35 euros"
    d.add_heading("Trains", 1)
    d.add_paragraph("Second-class tickets are booked through the travel desk.")
    d.save(str(path))


def write_pptx(path: Path) -> None:
    import pptx

    deck = pptx.Presentation()
    for title, body in [
        ("Welcome", "Agenda for the autumn meeting."),
        ("Quarterly results", "Revenue grew to 4.2 million kroner in the third quarter."),
        ("Next steps", "Hire two engineers for the Bergen office."),
    ]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    deck.save(str(path))


def write_odt(path: Path) -> None:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Garden"))
    doc.text.addElement(P(text="The greenhouse tomatoes are watered at six every morning."))
    doc.save(str(path))


def write_odp(path: Path) -> None:
    from odf.draw import Frame, Page, TextBox
    from odf.opendocument import OpenDocumentPresentation
    from odf.style import MasterPage, PageLayout
    from odf.text import P

    doc = OpenDocumentPresentation()
    layout = PageLayout(name="layout")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="master", pagelayoutname=layout)
    doc.masterstyles.addElement(master)
    for name, line in [
        ("Intro", "Opening words."),
        ("Volcano", "The volcano observatory records tremors every ninety seconds."),
    ]:
        page = Page(name=name, masterpagename=master)
        frame = Frame(width="20cm", height="5cm", x="1cm", y="1cm")
        box = TextBox()
        box.addElement(P(text=line))
        frame.addElement(box)
        page.addElement(frame)
        doc.presentation.addElement(page)
    doc.save(str(path))


def write_epub(path: Path) -> None:
    import zipfile

    def chapter(title: str, text: str) -> str:
        return (
            '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p>"
            "<p>The chapter goes on for a while with other details of the voyage.</p></body></html>"
        )

    opf = """<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The Long Voyage</dc:title>
<dc:date>1911-05-02</dc:date></metadata>
<manifest><item id="c1" href="text/c1.xhtml" media-type="application/xhtml+xml"/>
<item id="c2" href="text/c2.xhtml" media-type="application/xhtml+xml"/></manifest>
<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>"""
    container = """<?xml version="1.0"?><container version="1.0"
xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>
<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
</rootfiles></container>"""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml", container)
        z.writestr("OEBPS/content.opf", opf)
        z.writestr("OEBPS/text/c1.xhtml", chapter("Departure", "The ship left Hull in fog."))
        z.writestr(
            "OEBPS/text/c2.xhtml",
            chapter("The Storm", "A storm broke the mainmast two days west of the Faroes."),
        )


def write_mail(folder: Path) -> None:
    import mailbox
    from email.message import EmailMessage

    def message(subject: str, date: str, body: str) -> EmailMessage:
        m = EmailMessage()
        m["From"], m["To"] = "facilities@example.org", "staff@example.org"
        m["Subject"], m["Date"] = subject, date
        m.set_content(body)
        return m

    visit = message(
        "Boiler service visit",
        "Tue, 03 Mar 2026 09:15:00 +0100",
        "The engineer will service the boiler on Thursday at 10 am.",
    )
    (folder / "boiler.eml").write_bytes(visit.as_bytes())
    box = mailbox.mbox(str(folder / "list.mbox"))
    box.add(message("Lunch menu", "Mon, 02 Feb 2026 08:00:00 +0000", "Soup and bread today."))
    box.add(
        message(
            "[ops] Parking closed",
            "Wed, 04 Feb 2026 07:30:00 +0000",
            "The car park is closed on Friday for line painting.",
        )
    )
    box.flush()
    box.close()


def write_ipynb(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# Data cleaning\n\nRows where the sensor reported negative humidity are dropped."
        ),
        nbformat.v4.new_code_cell("# not a heading\ndf = df[df.humidity >= 0]"),
    ]
    nbformat.write(nb, str(path))


def write_pdfs(folder: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    write_pdf(
        folder / "plain.pdf", ["The vault beneath the bank was opened with three separate keys."]
    )
    for name, user in [("aes.pdf", ""), ("locked.pdf", "secret")]:
        writer = PdfWriter(clone_from=PdfReader(folder / "plain.pdf"))
        writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-256")
        writer.write(folder / name)
    (folder / "plain.pdf").unlink()


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    docs = tmp_path_factory.mktemp("kept") / "docs"
    docs.mkdir()
    write_docx(docs / "policy.docx")
    write_pptx(docs / "results.pptx")
    write_odt(docs / "garden.odt")
    write_odp(docs / "volcano.odp")
    write_epub(docs / "voyage.epub")
    write_mail(docs)
    write_ipynb(docs / "cleaning.ipynb")
    write_pdfs(docs)
    (docs / "lighthouse.rtf").write_text(
        r"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard "
        r"The lighthouse keeper lit the lamp at dusk every evening.\par}"
    )
    (docs / "config.rst").write_text(
        "Configuration\n=============\n\nSet ``cache_dir`` to keep downloaded tiles between runs.\n"
    )
    (docs / "tiles.py").write_text(
        'def fetch():\n    """Download map tiles from the tile server."""\n'
    )
    ws = Workspace.resolve(docs, docs.parent / "ix")
    ws.build()
    return ws


def top(ws: Workspace, question: str):
    return ws.ask([question])[0].passages[0]


@pytest.mark.model
@pytest.mark.parametrize(
    "question, path, page, section, needle",
    [
        (
            "How much is refunded for hotel costs per night?",
            "policy.docx",
            None,
            "Travel policy › Expenses",
            "140 euros",
        ),
        (
            "How much did revenue grow in the third quarter?",
            "results.pptx",
            2,
            "Quarterly results",
            "4.2 million",
        ),
        ("When are the greenhouse tomatoes watered?", "garden.odt", None, "Garden", "six"),
        (
            "How often does the volcano observatory record tremors?",
            "volcano.odp",
            2,
            "Volcano",
            "ninety seconds",
        ),
        ("What broke the mainmast?", "voyage.epub", None, "The Storm", "storm"),
        (
            "Why is the car park closed on Friday?",
            "list.mbox",
            None,
            "[ops] Parking closed · 2026-02-04",
            "line painting",
        ),
        (
            "Which rows with negative humidity are dropped?",
            "cleaning.ipynb",
            None,
            "Data cleaning",
            "negative humidity",
        ),
        ("When does the lighthouse keeper light the lamp?", "lighthouse.rtf", None, "", "dusk"),
        ("How many keys open the vault beneath the bank?", "aes.pdf", 1, "", "three"),
        ("Which setting keeps downloaded tiles between runs?", "config.rst", None, "", "cache_dir"),
    ],
)
def test_each_format_answers_with_a_citation(kept, question, path, page, section, needle):
    passage = top(kept, question)
    assert passage.citation.path.endswith(path), passage.citation
    assert passage.citation.page == page
    assert passage.citation.section == section
    assert needle in passage.text


@pytest.mark.model
def test_mail_subject_is_the_title_and_date_header_the_date(kept: Workspace):
    passage = top(kept, "When will the engineer service the boiler?")
    assert passage.citation.path.endswith("boiler.eml")
    assert passage.citation.title == "Boiler service visit"
    assert passage.citation.date == "2026-03-03"
    assert top(kept, "mainmast storm").citation.title == "The Long Voyage"


@pytest.mark.model
def test_locked_pdf_is_skipped_as_needing_a_password(kept: Workspace):
    skipped = {s.rel: s for s in kept.load().manifest.skipped}
    assert skipped["locked.pdf"].kind == "needs a password"
    assert "tiles.py" in kept.load().manifest.documents  # source code is text: indexed


@pytest.mark.model
def test_citation_with_brackets_in_its_section_opens_with_show(kept: Workspace):
    passage = top(kept, "Why is the car park closed on Friday?")
    out = CliRunner().invoke(
        cli, ["show", passage.citation.label(), "-C", "0", "--index", str(kept.root)]
    )
    assert out.exit_code == 0, out.output
    assert "line painting" in out.stdout


def test_hard_wrapped_pdf_lines_are_rejoined_into_sentences(tmp_path: Path):
    from qa.chunks import split_sentences
    from qa.formats.pdf import read_pdf

    sentence = (
        "The committee agreed that the northern bridge would be repaired before the spring "
        "floods, and that the cost would be shared equally between the two river towns."
    )
    write_pdf(tmp_path / "minutes.pdf", [sentence + " " + sentence.replace("northern", "old")])
    text = read_pdf(tmp_path / "minutes.pdf").text
    spans = [text[a:b] for a, b in split_sentences(text)]
    assert sentence in spans  # one whole sentence, not a printed line's fragment


def test_pdf_rejoin_keeps_headings_lists_and_short_lines():
    from qa.formats.pdf import _rejoin

    page = (
        "Results\n"
        "The first trial ran for six weeks in the northern district and the second one\n"
        "ran for eight weeks in the south, where the weather was much more difficult.\n"
        "- first item of a list\n"
        "- second item\n"
        "Address: 12 Quay Street"
    )
    assert _rejoin(page).splitlines() == [
        "Results",
        "The first trial ran for six weeks in the northern district and the second one "
        "ran for eight weeks in the south, where the weather was much more difficult.",
        "- first item of a list",
        "- second item",
        "Address: 12 Quay Street",
    ]


def test_ligatures_are_normalised_for_search_but_cited_as_written():
    from qa.chunks import ChunkSettings, indexed_text, split_document
    from qa.documents import make_document
    from qa.lexical import LexicalIndex

    doc = make_document("report.txt", "The ﬁnancial oﬃce ﬂagged the ﬁgures.\n")
    (chunk,) = split_document(doc)
    assert "ﬁnancial" in chunk.text  # the citation's text is the file's
    assert "financial office flagged the figures" in indexed_text(chunk, ChunkSettings())
    lexical = LexicalIndex.build([indexed_text(chunk, ChunkSettings())])
    assert lexical.terms("ﬁnancial ﬁgures") == lexical.terms("financial figures") != []


def test_html_source_of_a_static_site_reads_past_its_front_matter():
    from qa.formats.html import read_html

    page = (
        '---\ntitle: "Advanced Linux Source Installation"\ndescription: "Build options"\n---\n'
        "<div>\n<p>It's possible you don't want to build ImageMagick from source.</p>\n"
        "<p>Run <code>./configure --with-quantum-depth=8</code> to use 8 bits a channel.</p>"
        "\n</div>\n"
    )
    got = read_html(page)
    assert got.title == "Advanced Linux Source Installation"
    assert "--with-quantum-depth=8" in got.text and "description:" not in got.text
