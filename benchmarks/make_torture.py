"""Assemble tests/data/torture/: real odd files from public test suites, plus made ones.

    python -m benchmarks.make_torture --pdfjs DIR --pypdf DIR --samples DIR --docx DIR \
        --pptx DIR [--out tests/data/torture]

Each DIR is a checkout of the repository named in SOURCES (its test files only are taken).
Files are picked deterministically (sorted names, under a size cap) and recorded with their
source and licence in MANIFEST.tsv; odd files that no suite has (zero bytes, wrong suffixes,
truncated, deeply nested, non-UTF-8 names) are made here and recorded as "made".
"""

from __future__ import annotations

import argparse
import os
import shutil
import zipfile
from pathlib import Path

SOURCES = {
    "pdfjs": ("mozilla/pdf.js", "test/pdfs", "Apache-2.0 (pdf.js test suite)", 40_000, 240),
    "pypdf": ("py-pdf/pypdf", "resources", "BSD-3-Clause (pypdf test resources)", 150_000, 40),
    "samples": ("py-pdf/sample-files", ".", "CC-BY-SA-4.0 (py-pdf/sample-files)", 300_000, 25),
    "docx": ("python-openxml/python-docx", ".", "MIT (python-docx test files)", 120_000, 25),
    "pptx": ("scanny/python-pptx", ".", "MIT (python-pptx test files)", 120_000, 25),
}
SUFFIXES = {".pdf", ".docx", ".pptx", ".odt", ".xlsx", ".dotx", ".pptm", ".potx"}


def pick(folder: Path, cap: int, count: int) -> list[Path]:
    """Up to `count` files under `cap` bytes, spread evenly over the sorted names."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and p.stat().st_size <= cap
    )
    step = max(1, len(files) // count)
    return files[::step][:count]


def copy_real(args: argparse.Namespace, out: Path) -> list[tuple[str, str, str]]:
    rows = []
    for key, (repo, sub, licence, cap, count) in SOURCES.items():
        root = Path(getattr(args, key)) / sub
        for src in pick(root, cap, count):
            rel = Path(key) / src.relative_to(root)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out / rel)
            origin = f"{repo}:{sub}/{src.relative_to(root).as_posix()}"
            rows.append((rel.as_posix(), origin, licence))
    return rows


def make_odd(out: Path, a_pdf: Path, a_docx: Path) -> list[tuple[str, str, str]]:
    """Files no test suite has, made from the copied ones."""
    made = out / "made"
    made.mkdir(parents=True, exist_ok=True)
    pdf = a_pdf.read_bytes()
    files: dict[str, bytes] = {
        "zero.pdf": b"",
        "zero.docx": b"",
        "zero.txt": b"",
        "png-named.pdf": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "pdf-named.docx": pdf,
        "pdf-named.txt": pdf,
        "text-named.pdf": b"This is plain text pretending to be a PDF.\n",
        "zip-named.epub": _zip({"hello.txt": b"not an epub"}),
        "docx-named.pptx": a_docx.read_bytes(),
        "truncated-half.pdf": pdf[: len(pdf) // 2],
        "truncated-header.pdf": pdf[:20],
        "truncated.docx": a_docx.read_bytes()[:600],
        "garbage.xyz": bytes((i * 97) % 256 for i in range(4096)),
        "utf16-no-suffix": "Plain text in UTF-16 with a BOM.\n".encode("utf-16"),
        "latin1.csv": "name;city\nJosé;Málaga\n".encode("latin-1"),
        "broken.ipynb": b'{"cells": [ {"cell_type": "markdown", ',
        "not-json.ipynb": b"this is no notebook",
        "broken.epub": _zip({"META-INF/container.xml": b"<container><nope/>"}),
        "no-headers.eml": b"\x00\x01\x02",
        "empty.mbox": b"",
        "bad.rtf": b"{\\rtf1 {\\unclosed group \\par",
        "not-rtf.rtf": b"hello",
        "bomb.docx": _zip({"word/document.xml": b"<" * 100_000}),
        "zero.png": b"",
        "truncated.tiff": _tiff()[:300],
        "png-named.jpg": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        "poster-100mp.png": _poster("PNG"),
        "poster-page.pdf": _poster("PDF"),
    }
    for name, data in files.items():
        (made / name).write_bytes(data)
    deep = made.joinpath(*[f"d{i}" for i in range(40)])
    deep.mkdir(parents=True, exist_ok=True)
    (deep / "deep.txt").write_text("A note forty folders down.\n")
    odd_name = os.fsencode(made) + b"/caf\xe9-latin1-name.txt"
    with open(odd_name, "wb") as f:
        f.write(b"A file whose name is not UTF-8.\n")
    rows = [(f"made/{name}", "made by benchmarks/make_torture.py", "CC0") for name in files]
    rows.append(("made/d0/…/d39/deep.txt", "made by benchmarks/make_torture.py", "CC0"))
    rows.append(("made/caf\\xe9-latin1-name.txt", "made by benchmarks/make_torture.py", "CC0"))
    return rows


def _tiff() -> bytes:
    """A two-page TIFF of a few words (Pillow)."""
    import io

    from PIL import Image, ImageDraw

    pages = [Image.new("L", (400, 120), 255) for _ in range(2)]
    for n, page in enumerate(pages):
        ImageDraw.Draw(page).text((10, 40), f"Page {n + 1} of a scan", fill=0)
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:])
    return out.getvalue()


def _poster(kind: str) -> bytes:
    """A 100-megapixel picture with one line of text, as a PNG or as the page of an
    image-only PDF (1-bit: a few kilobytes)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    poster = Image.new("1", (10000, 10000), 1)
    font = ImageFont.load_default(size=120)
    ImageDraw.Draw(poster).text((800, 800), "A poster of one hundred megapixels", font=font)
    out = io.BytesIO()
    poster.save(out, format=kind, **({"resolution": 300} if kind == "PDF" else {}))
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for key in SOURCES:
        parser.add_argument(f"--{key}", required=True)
    parser.add_argument("--out", default="tests/data/torture")
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rows = copy_real(args, out)
    a_pdf = next(out.rglob("*.pdf"))
    a_docx = next(out.rglob("*.docx"))
    rows += make_odd(out, a_pdf, a_docx)
    lines = ["path\tsource\tlicence"] + ["\t".join(r) for r in sorted(rows)]
    (out / "MANIFEST.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{len(rows)} files, {size / 2**20:.1f} MB in {out}")


if __name__ == "__main__":
    main()
