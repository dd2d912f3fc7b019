"""OCR of a rendered page: the Tesseract bindings, and how much of the text comes back.

    python -m benchmarks.ocr [PAGES]
    python -m benchmarks.ocr --folder [PAGES]
    python -m benchmarks.ocr --dpi [PAGES]

PAGES A4 pages of prose (default 3) are drawn with Pillow at 200 dpi, then read by Tesseract
through pytesseract (the `tesseract` command, one process a page) and through tesserocr (its C
API in this process, when installed), one thread each (OMP_THREAD_LIMIT=1, as qa runs it beside
its reader pool). Prints seconds a page and the share of the page's words read back exactly.
With --folder: a folder of scans (PNG pages and an image-only PDF of the same pages, PAGES
each) indexed by `qa index`, then again with `--rebuild` (OCR from the cache), with a fresh
OCR cache; prints both times and their ratio. With --dpi: PAGES pages of 10- and 7-point prose
scanned at 300 dpi (typeset by fpdf2, turned, specked, blurred) in an image-only PDF, rendered
by PDFium at 100 to 300 dpi as qa renders a scanned page, each read by the tesseract command:
seconds a page, pages a minute on all cores, words read back in order.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"  # before Tesseract is loaded

WORDS = (
    "The harbour office in Tromsø opens at seven in the morning and the winter ferry to "
    "Skjervøy leaves at a quarter past seven from the north pier, except on public holidays. "
    "Tickets cost 240 kroner for adults and half of that for children under sixteen years. "
)


def page(seed: int):  # type: ignore[no-untyped-def]
    """An A4 page at 200 dpi: a heading and paragraphs of prose."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=34)
    y = 160
    draw.text((150, y), f"Harbour notice {seed}", font=font, fill=0)
    y += 90
    for _ in range(6):
        words = (WORDS * 2).split()
        line: list[str] = []
        for word in words:
            if draw.textlength(" ".join([*line, word]), font=font) > 1350:
                draw.text((150, y), " ".join(line), font=font, fill=0)
                y, line = y + 46, []
            line.append(word)
        draw.text((150, y), " ".join(line), font=font, fill=0)
        y += 90
    return image


def recall(text: str) -> float:
    """Share of the prose's words found in `text`."""
    want = (WORDS * 2).split()
    got = set(text.split())
    return sum(w in got for w in want) / len(want)


def folder(count: int) -> None:
    """`qa index` of a folder of scans, then `qa index --rebuild`: seconds and ratio."""
    from benchmarks.common import run_qa

    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "scans"
        docs.mkdir()
        pages = [page(i) for i in range(count)]
        for i, picture in enumerate(pages):
            picture.save(docs / f"page-{i}.png")
        pages[0].save(docs / "scanned.pdf", save_all=True, append_images=pages[1:], resolution=200)
        own = {"XDG_CACHE_HOME": str(Path(tmp) / "cache"), "XDG_CONFIG_HOME": str(Path(tmp))}
        env = {**os.environ, **own}  # its own OCR cache and collections
        env.pop("OMP_THREAD_LIMIT", None)  # qa sets it in its readers only
        took = []
        for extra in ([], ["--rebuild"]):
            start = time.perf_counter()
            run_qa("index", str(docs), "--index", str(Path(tmp) / "ix"), *extra, env=env)
            took.append(time.perf_counter() - start)
    print(f"a folder of {count} PNG pages and a {count}-page image-only PDF")
    print("| qa index | seconds |")
    print("|---|---|")
    print(f"| first build (OCR) | {took[0]:.1f} ({2 * count / took[0] * 60:.0f} pages a minute) |")
    print(f"| --rebuild (OCR text from the cache) | {took[1]:.1f} ({took[1] / took[0]:.0%}) |")


def word_accuracy(text: str, truth: str) -> float:
    """Share of the true words read back in order, exactly (difflib's matching blocks)."""
    import difflib

    want, got = truth.split(), text.split()
    blocks = difflib.SequenceMatcher(None, want, got, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(want)


SIZES = (10, 7)  # points: body text, and small print (footnotes, forms)


def resolutions(count: int) -> None:
    """The resolution table for each type size of SIZES."""
    for size in SIZES:
        resolution_table(count, size)
        print()


def resolution_table(count: int, size: int) -> None:
    """OCR time and words read back of scanned pages of `size`-point prose rendered at each
    resolution, as qa renders an image-only PDF page."""
    import random

    import pypdfium2 as pdfium
    import pytesseract
    from fpdf import FPDF
    from PIL import Image, ImageFilter

    from qa.isolation import cores

    pdf = FPDF()
    pdf.set_font("helvetica", size=size)
    truths = [f"Harbour notice {i}\n\n" + (WORDS * 2 + "\n\n") * 6 for i in range(count)]
    for truth in truths:
        pdf.add_page()
        pdf.multi_cell(0, size / 2, truth)
    typeset = pdfium.PdfDocument(bytes(pdf.output()))
    rng = random.Random(3)
    scans = []  # as a 300-dpi scanner gives them: turned 0.7°, specks
    for i in range(count):
        scan = typeset[i].render(scale=300 / 72).to_pil().convert("L")
        scan = scan.rotate(0.7, fillcolor=255, resample=Image.Resampling.BICUBIC)
        pixels = scan.load()
        for _ in range(20000):
            pixels[rng.randrange(scan.width), rng.randrange(scan.height)] = rng.choice((0, 128))
        scans.append(scan.filter(ImageFilter.GaussianBlur(1.2)))
    path = Path(tempfile.mkdtemp()) / "scanned.pdf"
    scans[0].save(path, save_all=True, append_images=scans[1:], resolution=300)
    doc = pdfium.PdfDocument(str(path))
    print(f"{count} A4 pages of {size}-point prose scanned at 300 dpi (turned 0.7°, specks,")
    print("blurred), in an image-only PDF rendered by PDFium at each resolution; one thread")
    print(f"| dpi | s a page | pages a minute on {cores()} cores | words read back in order |")
    print("|---|---|---|---|")
    for dpi in (100, 150, 200, 300):
        images = [doc[i].render(scale=dpi / 72).to_pil() for i in range(count)]
        start = time.perf_counter()
        texts = [pytesseract.image_to_string(p) for p in images]
        each = (time.perf_counter() - start) / count
        share = sum(word_accuracy(t, w) for t, w in zip(texts, truths, strict=True)) / count
        print(f"| {dpi} | {each:.2f} | {60 / each * cores():.0f} | {share:.1%} |")


def main() -> None:
    if "--dpi" in sys.argv:
        args = [a for a in sys.argv[1:] if a != "--dpi"]
        return resolutions(int(args[0]) if args else 3)
    if "--folder" in sys.argv:
        args = [a for a in sys.argv[1:] if a != "--folder"]
        return folder(int(args[0]) if args else 4)
    import pytesseract

    pages = [page(i) for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3)]
    rows = []
    start = time.perf_counter()
    texts = [pytesseract.image_to_string(p) for p in pages]
    rows.append(("pytesseract (the tesseract command)", time.perf_counter() - start, texts))
    try:
        import tesserocr
    except ImportError:
        tesserocr = None
    if tesserocr is not None:
        from qa.formats.ocr import TESSDATA

        start = time.perf_counter()
        with tesserocr.PyTessBaseAPI(path=TESSDATA, lang="eng") as api:
            texts = []
            for p in pages:
                api.SetImage(p)
                texts.append(api.GetUTF8Text())
        rows.append(("tesserocr (C API, in process)", time.perf_counter() - start, texts))
    print(f"{len(pages)} A4 pages at 200 dpi, OMP_THREAD_LIMIT=1")
    print("| binding | s a page | words read back |")
    print("|---|---|---|")
    for name, seconds, got in rows:
        share = sum(recall(t) for t in got) / len(got)
        print(f"| {name} | {seconds / len(pages):.2f} | {share:.1%} |")


if __name__ == "__main__":
    main()
