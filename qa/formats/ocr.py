"""Pictures of text → paragraphs, by Tesseract: scanned PDF pages and image files.

Tesseract is Debian's `tesseract-ocr` (the Makefile installs it where it can); it is run through
pytesseract, one `tesseract` process a page (benchmarks/ocr.py measured it against tesserocr's
in-process C API: docs/performance.md#ocr). Each page runs on one thread (OMP_THREAD_LIMIT=1:
Tesseract's own threads fight the reader pool's processes) and within PAGE_TIMEOUT seconds; a page
that fails or times out is left empty and the rest of the document kept.

Text comes back as paragraphs: Tesseract's blocks and paragraphs, each paragraph's lines joined
and words hyphenated at a line end rejoined, paragraphs apart by a blank line. What a page reads
is cached by the file's content (and the OCR settings) in the user's cache folder, so a rebuild,
a renamed file or a second copy is never read twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from qa.formats import Extracted, Unreadable, check_size, paged

DPI = 200  # PDF pages are rendered at this resolution for OCR
LANG = "eng"
PAGE_TIMEOUT = 60.0  # seconds one page may take
MAX_PIXELS = 40_000_000  # larger images are scaled down before OCR
TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"  # Debian's language data
SETTINGS = f"v1 {LANG} {DPI}dpi"  # part of the cache key: a change reads pages again
MISSING = (
    "install Tesseract to read scans: apt-get install tesseract-ocr (or brew install tesseract)"
)


def available() -> bool:
    """Whether the `tesseract` command is installed."""
    return shutil.which("tesseract") is not None


def read_image(path: Path) -> Extracted:
    """An image file's text; every frame of a TIFF a page (`p.N`), a GIF's first frame."""
    from PIL import Image, ImageSequence  # deferred: only for images

    check_size(path)
    if not available():
        raise Unreadable("needs OCR", MISSING)
    try:
        image = Image.open(path)
        frames = [image] if path.suffix.lower() == ".gif" else ImageSequence.Iterator(image)
        pictures = [scaled_for_ocr(frame.convert("RGB")) for frame in frames]
    except Image.DecompressionBombError:  # over 2 × Image.MAX_IMAGE_PIXELS (179 MP)
        raise Unreadable("too large", "an image of over 179 megapixels") from None
    except Exception as exc:  # Pillow raises many kinds on truncated or odd files
        raise Unreadable("damaged", f"not a readable image: {type(exc).__name__}") from None
    read = cached_pages(path, {i: partial(_same, p) for i, p in enumerate(pictures)})
    pages = [read[i] for i in range(len(pictures))]
    if not any(p.strip() for p in pages):
        raise Unreadable("no text", "no words found in the image")
    return paged(pages) if len(pages) > 1 else Extracted(pages[0].strip() + "\n")


def cached_pages(path: Path, pictures: dict[int, Callable[[], Any]]) -> dict[int, str]:
    """The text of each page numbered in `pictures` (its image made by calling it, only when
    not cached) of the file at `path`, cached by the file's content and SETTINGS."""
    cache = _cache_folder() / f"{hashlib.sha256(path.read_bytes()).hexdigest()}.json"
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
        if known.get("settings") != SETTINGS:
            known = {}
    except (OSError, ValueError):
        known = {}
    pages = {int(k): v for k, v in known.get("pages", {}).items()}
    todo = [i for i in pictures if i not in pages]
    if todo:
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        from qa.isolation import cores

        # a `tesseract` process per core, each on one thread; the pictures are made here,
        # one at a time and in order (PDFium is not thread-safe), never all held at once
        with ThreadPoolExecutor(max_workers=cores()) as pool:
            running: dict[Any, int] = {}
            for n, i in enumerate(todo):
                running[pool.submit(page_text, pictures[i]())] = i
                while running and (len(running) >= cores() or n == len(todo) - 1):
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        pages[running.pop(future)] = future.result()
                    _write(cache, {"settings": SETTINGS, "pages": pages})  # resumable
    return {i: pages[i] for i in pictures}


def page_text(image: Any) -> str:
    """The paragraphs Tesseract reads on `image`; "" when it fails or runs out of time."""
    import pytesseract  # deferred: only for scans

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # inherited by the tesseract process
    try:
        data = pytesseract.image_to_data(
            image, lang=LANG, output_type=pytesseract.Output.DICT, timeout=PAGE_TIMEOUT
        )
    except (RuntimeError, pytesseract.TesseractError, OSError):
        return ""
    return paragraphs(data)


def paragraphs(data: dict[str, list[Any]]) -> str:
    """Tesseract's words (image_to_data) as paragraphs: the lines of a paragraph joined,
    a word hyphenated at a line end rejoined, a blank line between paragraphs."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    for i, word in enumerate(data["text"]):
        if str(word).strip():
            place = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(place, []).append(str(word).strip())
    paras: dict[tuple[int, int], str] = {}
    for (block, par, _), words in lines.items():
        line = " ".join(words)
        before = paras.get((block, par), "")
        if before.endswith("-") and before[-2:-1].isalpha() and line[:1].islower():
            paras[(block, par)] = before[:-1] + line
        else:
            paras[(block, par)] = f"{before} {line}".strip()
    return "\n\n".join(paras.values())


def scaled_for_ocr(picture: Any) -> Any:
    """`picture` scaled down to at most MAX_PIXELS (an A4 page at 600 dpi is 35 MP): a
    huge photograph or poster costs Tesseract minutes and reads no better."""
    pixels = picture.width * picture.height
    if pixels <= MAX_PIXELS:
        return picture
    scale = (MAX_PIXELS / pixels) ** 0.5
    return picture.resize((max(1, int(picture.width * scale)), max(1, int(picture.height * scale))))


def _same(picture: Any) -> Any:
    return picture


def _cache_folder() -> Path:
    from platformdirs import user_cache_dir

    folder = Path(user_cache_dir("qa", appauthor=False)) / "ocr"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(path: Path, value: dict[str, Any]) -> None:
    """Write JSON atomically (readers in other processes see the old file or the new)."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
