"""Spreadsheets (.xlsx, .ods, .csv, .tsv): each sheet a section, each row a line naming its
columns, formulas as their computed values; damaged files skipped; a question finds a row."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest

from qa.documents import Document, read_file
from qa.formats import Unreadable, reader_name

BUDGET = [
    ["Item", "Q1", "Q2", "Q3"],
    ["Travel", 12000, 9000.0, 41200],
    ["Training", 3000, 2500, 4100],
]


def make_xlsx(path: Path, *, formula_value: int | None = None) -> Path:
    """A workbook of two sheets (Budget, Staff); with `formula_value`, Budget!E2 is a formula
    whose cached value is that (openpyxl writes none: added to the sheet's XML here)."""
    import openpyxl

    book = openpyxl.Workbook()
    budget = book.active
    budget.title = "Budget"
    for row in BUDGET:
        budget.append(row)
    if formula_value is not None:
        budget["E1"], budget["E2"] = "Total", "=B2+C2+D2"
    staff = book.create_sheet("Staff")
    staff.append(["Name", "Started", "Office"])
    staff.append(["Ada Lovelace", dt.date(2021, 3, 1), "Tromsø"])
    book.save(path)
    if formula_value is not None:
        _cache_formula(path, formula_value)
    return path


def _cache_formula(path: Path, value: int) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace("<f>B2+C2+D2</f><v></v>", f"<f>B2+C2+D2</f><v>{value}</v>")
    assert f"<v>{value}</v>" in sheet, "the formula cell as openpyxl writes it"
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def make_ods(path: Path) -> Path:
    """An OpenDocument spreadsheet of one sheet, Ferries, written with odfpy."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Ferries")
    for row in [["Route", "Departs"], ["Tromsø–Skjervøy", "07:15"], ["Bodø–Moskenes", "09:30"]]:
        tr = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def text_of(folder: Path, rel: str):
    got = read_file(folder, rel)
    assert isinstance(got, Document), got
    return got


def test_each_row_names_its_columns_and_each_sheet_is_a_section(tmp_path: Path):
    make_xlsx(tmp_path / "budget.xlsx", formula_value=62200)
    doc = text_of(tmp_path, "budget.xlsx")
    lines = doc.text.splitlines()
    assert "Item: Travel · Q1: 12000 · Q2: 9000 · Q3: 41200 · Total: 62200" in lines
    assert "Name: Ada Lovelace · Started: 2021-03-01 · Office: Tromsø" in lines
    assert [name for _, name in doc.sections] == ["Budget", "Staff"]
    staff_at = dict((name, at) for at, name in doc.sections)["Staff"]
    assert doc.text.index("Ada Lovelace") > staff_at > doc.text.index("Travel")
    assert doc.title == "budget"


def test_opendocument_csv_and_tsv_read_the_same_way(tmp_path: Path):
    make_ods(tmp_path / "ferries.ods")
    (tmp_path / "budget.csv").write_text("Item;Q3\nTravel;41200\n;\nTraining;4100\n")
    (tmp_path / "staff.tsv").write_text("Name\tOffice\nAda Lovelace\tTromsø\n")
    assert "Route: Tromsø–Skjervøy · Departs: 07:15" in text_of(tmp_path, "ferries.ods").text
    assert text_of(tmp_path, "budget.csv").text.splitlines() == [
        "Item · Q3",
        "Item: Travel · Q3: 41200",
        "Item: Training · Q3: 4100",
    ]
    assert "Name: Ada Lovelace · Office: Tromsø" in text_of(tmp_path, "staff.tsv").text
    for suffix in ("xlsx", "xlsm", "xlsb", "xls", "ods"):
        assert reader_name(f"report.{suffix}") == "spreadsheet:read_workbook"


def test_a_sheet_without_a_header_names_columns_by_letter(tmp_path: Path):
    (tmp_path / "numbers.csv").write_text("2021,41200,north\n2022,18.364620000000002,south\n")
    lines = text_of(tmp_path, "numbers.csv").text.splitlines()
    assert lines == ["A: 2021 · B: 41200 · C: north", "A: 2022 · B: 18.364620000000002 · C: south"]


def test_workbook_numbers_read_as_a_spreadsheet_shows_them(tmp_path: Path):
    import openpyxl

    book = openpyxl.Workbook()
    for row in (["Rate", "Count", "Paid"], [0.1 + 0.2, 3.0, True]):
        book.active.append(row)
    book.save(tmp_path / "rates.xlsx")
    assert "Rate: 0.3 · Count: 3 · Paid: TRUE" in text_of(tmp_path, "rates.xlsx").text


def test_a_huge_sheet_is_read_up_to_the_cap_and_says_so(tmp_path: Path, monkeypatch):
    from qa.formats import spreadsheet

    monkeypatch.setattr(spreadsheet, "MAX_CELLS", 10)
    rows = "\n".join(f"row {i},{i}" for i in range(20))
    (tmp_path / "big.csv").write_text("Name,Value\n" + rows + "\n")
    lines = text_of(tmp_path, "big.csv").text.splitlines()
    assert lines[1] == "Name: row 0 · Value: 0" and lines[5] == "Name: row 4 · Value: 4"
    assert lines[-1] == "(15 more rows not read: qa reads 10 cells a sheet)"
    assert len(lines) == 7


def test_damaged_and_empty_workbooks_are_skipped_with_a_reason(tmp_path: Path):
    good = make_xlsx(tmp_path / "good.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(good[: len(good) // 2])
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (tmp_path / "blank.csv").write_text(",,\n,,\n")
    for rel, kind in (("cut.xlsx", "damaged"), ("empty.xlsx", "damaged"), ("blank.csv", "no text")):
        got = read_file(tmp_path, rel)
        assert not isinstance(got, Document) and got.kind == kind, (rel, got)
    with pytest.raises(Unreadable):
        from qa.formats.spreadsheet import read_workbook

        read_workbook(tmp_path / "cut.xlsx")


def test_real_odd_workbooks_from_calamines_tests():
    """Files of calamine's own test suite in the torture corpus: password-protected ones say
    so, a chart sheet that cannot be read leaves the other sheets read, damaged ones skip."""
    from tests.conftest import ROOT

    root = ROOT / "tests" / "data" / "torture"
    kinds = {}
    for path in sorted((root / "calamine").iterdir()):
        got = read_file(root, f"calamine/{path.name}")
        kinds[path.name] = "read" if isinstance(got, Document) else got.kind
    assert kinds["pass_protected.xlsx"] == kinds["pass_protected.ods"] == "needs a password"
    assert kinds["issue_385.xls"] == "needs a password"
    assert kinds["any_sheets.xlsb"] == kinds["pivots.xlsx"] == kinds["date.xlsb"] == "read"
    assert kinds["issue252.xlsx"] == kinds["too_small.xls"] == "damaged"
    visible = read_file(root, "calamine/any_sheets.xlsb")
    assert "A: 1 · B: 2" in visible.text and visible.sections[0][1] == "Visible"


@pytest.mark.model
def test_a_question_finds_the_row_that_answers_it(tmp_path: Path):
    from tests.conftest import run

    docs = tmp_path / "reports"
    docs.mkdir()
    make_xlsx(docs / "budget-2021.xlsx")
    (docs / "notes.md").write_text("# Notes\n\nThe travel policy changed in spring.\n")
    result = run("ask", "What was the Q3 budget for travel?", "--docs", str(docs), "--json")
    assert result.exit_code == 0, result.output
    top = json.loads(result.stdout)["passages"][0]
    assert top["citation"]["path"] == "budget-2021.xlsx"
    assert top["citation"]["section"] == "Budget"
    assert "Item: Travel" in top["answer"]["text"] and "Q3: 41200" in top["answer"]["text"]


def test_an_index_from_before_reads_its_csv_and_pdf_documents_again(tmp_path: Path):
    """A .csv read as plain text (and a PDF read before OCR) by an older index is read again
    by the next refresh, whatever its stat; so is every document of an index from before
    languages were kept (version 3); nothing is read again at the current version."""
    from dataclasses import replace

    from qa.changes import find_changes
    from qa.files import stat_files
    from qa.formats import READERS_VERSION
    from tests.conftest import manifest_of

    for rel in ("budget.csv", "notes.md", "scan.png"):
        (tmp_path / rel).write_text("Item,Q3\nTravel,41200\n")
    rels = ["budget.csv", "notes.md", "scan.png"]
    stats = {r: list(s) for r, s in stat_files(tmp_path, rels).items()}
    # scan.png was skipped (unsupported then): `qa index` retries it, a refresh does not
    before = replace(manifest_of(tmp_path, "budget.csv", "notes.md"), stats=stats, readers=2)
    assert find_changes(tmp_path, before).changed == ["budget.csv", "notes.md"]  # languages
    assert find_changes(tmp_path, replace(before, readers=1)).changed == ["budget.csv", "notes.md"]
    before = replace(before, readers=READERS_VERSION - 1)
    assert find_changes(tmp_path, replace(before, readers=READERS_VERSION)).changed == []
    (tmp_path / "page.html").write_text("---\ntitle: Budget\n---\n<p>Travel: 41200</p>\n")
    stats["page.html"] = list(stat_files(tmp_path, ["page.html"])["page.html"])
    site = replace(manifest_of(tmp_path, "notes.md", "page.html"), stats=stats, readers=3)
    assert find_changes(tmp_path, site).changed == ["page.html"]  # past its front matter (4)


def test_odd_delimited_files_read_as_what_they_are(tmp_path: Path):
    (tmp_path / "years.csv").write_text("Item,2021,2022\nTravel,100,200\n")
    (tmp_path / "quotes.tsv").write_text(
        'Note\tWho\n"Quoted" thing\tAda\n"open quote\tBo\nLast line\tCy\n'
    )
    (tmp_path / "broken.csv").write_text('a,b\n"' + "x" * 140_000 + "\n")
    (tmp_path / "prose.csv").write_text(
        "This is a paragraph of prose, written by hand.\nIt goes on, as prose does.\nThe end.\n"
    )
    assert "Item: Travel · 2021: 100 · 2022: 200" in text_of(tmp_path, "years.csv").text
    quotes = text_of(tmp_path, "quotes.tsv").text.splitlines()
    assert quotes[1:] == [
        'Note: "Quoted" thing · Who: Ada',
        'Note: "open quote · Who: Bo',
        "Note: Last line · Who: Cy",
    ]
    assert text_of(tmp_path, "broken.csv").text.startswith('a,b\n"xxx')  # as plain text
    assert text_of(tmp_path, "prose.csv").text.startswith("This is a paragraph of prose, written")
