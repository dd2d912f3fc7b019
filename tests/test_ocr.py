"""Scans: image files and PDF pages without a text layer read by Tesseract, as paragraphs, with
page numbers; cached by content; one clear reason when Tesseract is missing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from qa.documents import Document, read_file
from qa.formats import ocr

needs_tesseract = pytest.mark.skipif(
    not ocr.available(), reason="Tesseract is not installed (make install-dev installs it)"
)
NOTICE = [
    "The winter ferry to Skjervøy leaves the north pier at a quarter past seven in the",
    "morning, except on public holidays, when the first departure is at nine.",
    "Tickets cost 240 kroner for adults and half of that for children.",
]


def page(lines: list[str] = NOTICE, heading: str = "Harbour notice"):  # type: ignore[no-untyped-def]
    """A page of text drawn at 200 dpi (A5 wide), as a scanner would give it."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1400, 900), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=30)
    draw.text((80, 80), heading, font=font, fill=0)
    for n, line in enumerate(lines):
        draw.text((80, 200 + 44 * n), line, font=font, fill=0)
    return image


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch):
    """Each test its own OCR cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_paragraphs_join_lines_and_hyphenated_words():
    data = {
        "block_num": [1, 1, 1, 1, 2],
        "par_num": [1, 1, 1, 1, 1],
        "line_num": [1, 1, 2, 2, 1],
        "text": ["The", "docu-", "ment", "ends.", "Next"],
    }
    assert ocr.paragraphs(data) == "The document ends.\n\nNext"


def test_without_tesseract_a_scan_is_skipped_saying_what_to_install(tmp_path, monkeypatch):
    page().save(tmp_path / "scan.png")
    page().save(tmp_path / "scan.pdf")  # Pillow writes an image-only PDF
    monkeypatch.setattr("shutil.which", lambda name: None)
    for rel, kind in (("scan.png", "needs OCR"), ("scan.pdf", "no text layer")):
        got = read_file(tmp_path, rel)
        assert not isinstance(got, Document) and got.kind == kind
        assert "apt-get install tesseract-ocr" in got.reason


@needs_tesseract
@pytest.mark.slow  # Tesseract processes
def test_an_image_is_read_as_paragraphs(tmp_path: Path):
    page().save(tmp_path / "notice.png")
    page().convert("RGB").save(tmp_path / "notice.jpg", quality=80)
    for rel in ("notice.png", "notice.jpg"):
        doc = read_file(tmp_path, rel)
        assert isinstance(doc, Document), doc
        assert "Harbour notice" in doc.text
        assert "quarter past seven in the morning, except on public holidays" in doc.text
        assert "240 kroner" in doc.text


@needs_tesseract
@pytest.mark.slow  # Tesseract processes
def test_a_tilted_noisy_photo_of_a_page_is_still_read(tmp_path: Path):
    """A page as a phone or a cheap scanner gives it: turned 1.5°, specks, JPEG at 60%."""
    import random

    from PIL import Image

    tilted = page().rotate(1.5, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    pixels = tilted.load()
    rng = random.Random(7)
    for _ in range(4000):
        pixels[rng.randrange(tilted.width), rng.randrange(tilted.height)] = rng.choice((0, 160))
    tilted.convert("RGB").save(tmp_path / "photo.jpg", quality=60)
    doc = read_file(tmp_path, "photo.jpg")
    assert isinstance(doc, Document), doc
    assert "240 kroner" in doc.text and "public holidays" in doc.text


@needs_tesseract
@pytest.mark.slow  # Tesseract processes
def test_a_multipage_tiff_and_a_scanned_pdf_cite_pages(tmp_path: Path):
    first, second = page(heading="Page one"), page(["Ferries stop in March."], "Page two")
    first.save(tmp_path / "scans.tiff", save_all=True, append_images=[second])
    first.save(tmp_path / "scans.pdf", save_all=True, append_images=[second])
    for rel in ("scans.tiff", "scans.pdf"):
        doc = read_file(tmp_path, rel)
        assert isinstance(doc, Document), doc
        assert len(doc.page_starts) == 2
        later = doc.text[doc.page_starts[1] :]
        assert "Ferries stop in March" in later and "Page one" not in later


@needs_tesseract
@pytest.mark.slow  # Tesseract processes
def test_a_pdf_mixing_typed_and_scanned_pages_keeps_both(tmp_path: Path):
    from fpdf import FPDF

    page().save(tmp_path / "scan.png")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "The typed page says the office opens at eight in the morning.")
    pdf.add_page()
    pdf.image(str(tmp_path / "scan.png"), x=10, y=10, w=190)
    pdf.output(str(tmp_path / "mixed.pdf"))
    doc = read_file(tmp_path, "mixed.pdf")
    assert isinstance(doc, Document), doc
    typed, scanned = doc.text[: doc.page_starts[1]], doc.text[doc.page_starts[1] :]
    assert "office opens at eight" in typed and "240 kroner" in scanned


@needs_tesseract
@pytest.mark.slow  # Tesseract processes
def test_pages_are_read_once_then_from_the_cache(tmp_path: Path, monkeypatch):
    page().save(tmp_path / "notice.png")
    first = read_file(tmp_path, "notice.png")
    shutil.copy(tmp_path / "notice.png", tmp_path / "renamed.png")
    monkeypatch.setattr(ocr, "page_text", lambda image, settings: pytest.fail("read again"))
    again = read_file(tmp_path, "renamed.png")  # same content, another name
    assert isinstance(again, Document) and again.text == first.text
    (cached,) = (tmp_path / "cache" / "qa" / "ocr").glob("*.json")
    assert json.loads(cached.read_text())["settings"] == ocr.OcrSettings().cache_key()


def test_damaged_and_empty_images_are_skipped(tmp_path: Path):
    (tmp_path / "empty.png").write_bytes(b"")
    page().save(tmp_path / "whole.tiff")
    whole = (tmp_path / "whole.tiff").read_bytes()
    (tmp_path / "cut.tiff").write_bytes(whole[: len(whole) // 3])
    for rel in ("empty.png", "cut.tiff"):
        got = read_file(tmp_path, rel)
        assert not isinstance(got, Document)
        assert got.kind in ({"damaged"} if ocr.available() else {"needs OCR"}), got


def test_huge_images_are_scaled_down_before_ocr(monkeypatch):
    from PIL import Image

    monkeypatch.setattr(ocr, "MAX_PIXELS", 10_000)
    small = ocr.scaled_for_ocr(Image.new("RGB", (400, 100)))
    assert small.width * small.height <= 10_000 and small.width / small.height == 4
    assert ocr.scaled_for_ocr(Image.new("RGB", (50, 50))).size == (50, 50)


def test_a_reader_runs_as_many_tesseracts_as_its_share_of_the_cores(monkeypatch):
    """The reader pool gives each worker its cores over its processes (QA_OCR_THREADS)."""
    from qa.isolation import cores, prepare_worker

    monkeypatch.setenv("QA_OCR_THREADS", "")
    monkeypatch.setenv("OMP_THREAD_LIMIT", "8")  # put back as it was after the test (FAISS
    # hangs in a process whose OMP_THREAD_LIMIT is 1: qa sets it in its readers only)
    assert ocr.ocr_threads() == cores()
    monkeypatch.setattr("qa.isolation.threading.Thread.start", lambda self: None)
    prepare_worker(2048, True, 3)
    assert ocr.ocr_threads() == 3
    assert os.environ["OMP_THREAD_LIMIT"] == "1"  # in a reader, each tesseract on one thread


def test_a_failed_page_is_empty_and_not_cached(tmp_path: Path, monkeypatch):
    (tmp_path / "scan.bin").write_bytes(b"same bytes")
    monkeypatch.setattr(
        ocr, "page_text", lambda image, settings: None
    )  # Tesseract failed, timed out
    assert ocr.cached_pages(tmp_path / "scan.bin", {0: lambda: "image"}, ocr.OcrSettings()) == {
        0: ""
    }
    monkeypatch.setattr(ocr, "page_text", lambda image, settings: "Read at last.")
    assert ocr.cached_pages(tmp_path / "scan.bin", {0: lambda: "image"}, ocr.OcrSettings()) == {
        0: "Read at last."
    }


def test_an_unwritable_cache_only_means_reading_again(tmp_path: Path, monkeypatch):
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    (tmp_path / "scan.bin").write_bytes(b"bytes")
    monkeypatch.setattr(ocr, "page_text", lambda image, settings: "Words.")
    assert ocr.cached_pages(tmp_path / "scan.bin", {0: lambda: "image"}, ocr.OcrSettings()) == {
        0: "Words."
    }


def test_a_blank_page_is_not_sent_to_ocr_and_a_huge_page_is_rendered_smaller(
    tmp_path: Path, monkeypatch
):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "The typed page says the office opens at eight in the morning.")
    pdf.add_page()  # blank: no picture to read
    pdf.output(str(tmp_path / "typed.pdf"))
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(
        ocr, "page_text", lambda image, settings: pytest.fail("a blank page was OCR'd")
    )
    doc = read_file(tmp_path, "typed.pdf")
    assert isinstance(doc, Document) and "office opens at eight" in doc.text

    import pypdfium2 as pdfium

    from qa.formats import pdf as pdf_reader

    big = pdfium.PdfDocument.new()
    big.new_page(72 * 100, 72 * 100)  # a 100-inch square poster
    monkeypatch.setattr(ocr, "MAX_PIXELS", 1_000_000)
    picture = pdf_reader.render_for_ocr(big, 0)
    assert picture.width * picture.height <= 1_000_000 and picture.width == picture.height


def test_the_modes_off_and_force(tmp_path: Path, monkeypatch):
    """off: images are skipped saying how to read them, scanned PDFs say OCR is off; force:
    a page that has a picture is read by OCR even when it has a text layer."""
    from fpdf import FPDF

    page().save(tmp_path / "scan.png")
    off = ocr.OcrSettings(mode="off")
    got = read_file(tmp_path, "scan.png", ocr=off)
    assert not isinstance(got, Document) and got.kind == "OCR off" and "--ocr auto" in got.reason
    page().save(tmp_path / "scan.pdf")
    got = read_file(tmp_path, "scan.pdf", ocr=off)
    assert not isinstance(got, Document) and "--ocr auto" in got.reason

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "A text layer that says something else than the picture does.")
    pdf.image(str(tmp_path / "scan.png"), x=10, y=40, w=190)
    pdf.output(str(tmp_path / "layered.pdf"))
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(ocr, "page_text", lambda image, settings: "What the picture says.")
    auto = read_file(tmp_path, "layered.pdf")
    forced = read_file(tmp_path, "layered.pdf", ocr=ocr.OcrSettings(mode="force"))
    assert isinstance(auto, Document) and "says something else" in auto.text
    assert isinstance(forced, Document) and forced.text.strip() == "What the picture says."


def test_a_long_scan_stops_at_its_budget_and_resumes_from_the_cache(tmp_path: Path, monkeypatch):
    (tmp_path / "scan.bin").write_bytes(b"forty pages")
    clock = iter(range(1000))
    monkeypatch.setattr(ocr.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(ocr, "page_text", lambda image, settings: f"page {image}")
    monkeypatch.setattr(ocr, "ocr_threads", lambda: 1)
    settings = ocr.OcrSettings(budget=2.5)  # two or three pages a turn by this clock
    pictures = {i: (lambda i=i: i) for i in range(7)}
    turns = 0
    while True:
        turns += 1
        try:
            got = ocr.cached_pages(tmp_path / "scan.bin", pictures, settings)
            break
        except ocr.Unreadable as exc:
            assert exc.kind == ocr.UNFINISHED and "of 7 pages read" in str(exc)
    assert got == {i: f"page {i}" for i in range(7)} and 2 < turns < 7


def test_languages_are_checked_in_one_line(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(ocr, "installed_languages", lambda: "eng+deu")
    assert ocr.check_languages("eng+deu") is None
    why = ocr.check_languages("eng+xyz")
    assert why and "xyz is not installed" in why and "apt-get install tesseract-ocr-xyz" in why
    assert "language codes" in (ocr.check_languages("eng deu; rm") or "")


@needs_tesseract
def test_the_installed_languages_are_the_default():
    codes = ocr.installed_languages().split("+")
    assert "eng" in codes and "osd" not in codes
    assert ocr.OcrSettings().languages() == ocr.installed_languages()
    assert ocr.OcrSettings(lang="eng").cache_key() != ocr.OcrSettings(lang="eng+deu").cache_key()


@needs_tesseract
@pytest.mark.model
def test_qa_ask_cites_the_page_of_a_scan_and_ocr_off_is_kept_until_turned_on(tmp_path: Path):
    from tests.conftest import run

    docs, index = tmp_path / "scans", tmp_path / "index"
    docs.mkdir()
    first, second = page(heading="Page one"), page(["Ferries stop in March."], "Page two")
    first.save(docs / "scans.tiff", save_all=True, append_images=[second])
    (docs / "notes.md").write_text("# Notes\n\nThe harbour has two piers.\n")

    built = run("index", str(docs), "--index", str(index), "--ocr", "off")
    assert built.exit_code == 0, built.output
    assert "OCR off" in run("status", "--index", str(index), "--skipped").output
    again = run("index", str(docs), "--index", str(index))  # kept as built: still off
    assert "OCR off" in run("status", "--index", str(index), "--skipped").output, again.output

    built = run("index", str(docs), "--index", str(index), "--ocr", "auto")
    assert built.exit_code == 0, built.output
    asked = run("ask", "When do the ferries stop?", "--index", str(index), "--json")
    top = json.loads(asked.stdout)["passages"][0]
    assert top["citation"]["path"] == "scans.tiff" and top["citation"]["page"] == 2
    assert "Ferries stop in March" in top["text"]


def test_an_ocr_language_that_is_not_installed_is_one_line(tmp_path: Path, monkeypatch):
    from tests.conftest import run

    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(ocr, "installed_languages", lambda: "eng")
    (tmp_path / "notes.md").write_text("Some notes.\n")
    got = run("index", str(tmp_path), "--index", str(tmp_path / "ix"), "--ocr-lang", "eng+xyz")
    assert got.exit_code == 2 and not (tmp_path / "ix").exists()
    assert got.stderr.strip().splitlines() == [
        "qa: OCR language xyz is not installed (installed: eng): apt-get install tesseract-ocr-xyz"
    ]


def test_a_page_that_failed_is_not_tried_again_in_the_same_build(tmp_path: Path, monkeypatch):
    (tmp_path / "scan.bin").write_bytes(b"three pages")
    tries: list[int] = []

    def read(image, settings):  # type: ignore[no-untyped-def]
        tries.append(image)
        return None if image == 0 else f"page {image}"  # page 0 times out every time

    clock = iter(range(1000))
    monkeypatch.setattr(ocr.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(ocr, "page_text", read)
    monkeypatch.setattr(ocr, "ocr_threads", lambda: 1)
    pictures = {i: (lambda i=i: i) for i in range(3)}
    build = ocr.OcrSettings(budget=0.5, session="build-1")  # a page a turn
    got = None
    for _ in range(5):
        try:
            got = ocr.cached_pages(tmp_path / "scan.bin", pictures, build)
            break
        except ocr.Unreadable:
            continue
    assert got == {0: "", 1: "page 1", 2: "page 2"} and tries == [0, 1, 2]
    later = ocr.OcrSettings(session="build-2")  # the next build tries the failed page again
    assert ocr.cached_pages(tmp_path / "scan.bin", pictures, later)[0] == "" and tries[-1] == 0


def test_a_reader_may_run_twice_its_share_of_the_cores_in_tesseracts(monkeypatch):
    from qa import isolation

    monkeypatch.setattr(isolation, "cores", lambda: 2)
    assert [isolation.ocr_share(w) for w in (1, 2)] == [2, 2]  # never more than the cores
    monkeypatch.setattr(isolation, "cores", lambda: 8)
    assert [isolation.ocr_share(w) for w in (1, 2, 8, 16)] == [8, 8, 2, 1]
