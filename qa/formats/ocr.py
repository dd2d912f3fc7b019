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
    from PIL import Image  # deferred: only for images

    check_size(path)
    if not available():
        raise Unreadable("needs OCR", MISSING)
    try:
        image = Image.open(path)
        count = 1 if path.suffix.lower() == ".gif" else getattr(image, "n_frames", 1)
        first = _frame(image, 0)  # a damaged file fails here, before any OCR
        # the other frames are decoded one at a time, as their turn comes
        pictures = {i: partial(_frame, image, i) for i in range(1, count)}
        read = cached_pages(path, {0: partial(_same, first), **pictures})
    except Unreadable:
        raise
    except Image.DecompressionBombError:  # over 2 × Image.MAX_IMAGE_PIXELS (179 MP)
        raise Unreadable("too large", "an image of over 179 megapixels") from None
    except Exception as exc:  # Pillow raises many kinds on truncated or odd files
        raise Unreadable("damaged", f"not a readable image: {type(exc).__name__}") from None
    pages = [read[i] for i in range(count)]
    if not any(p.strip() for p in pages):
        raise Unreadable("no text", "no words found in the image")
    return paged(pages) if len(pages) > 1 else Extracted(pages[0].strip() + "\n")


def cached_pages(path: Path, pictures: dict[int, Callable[[], Any]]) -> dict[int, str]:
    """The text of each page numbered in `pictures` (its image made by calling it, only when
    not cached) of the file at `path`, cached by the file's content and SETTINGS (best
    effort: a cache that cannot be written only means reading again). A page Tesseract fails
    on reads as "" and is not cached: the next build tries it again."""
    cache = _cache_file(path)
    pages = _cached(cache)
    todo = [i for i in pictures if i not in pages]
    if todo:
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        threads = ocr_threads()
        # a `tesseract` process per thread, each on one core; the pictures are made here,
        # one at a time and in order (PDFium is not thread-safe), never all held at once
        with ThreadPoolExecutor(max_workers=threads) as pool:
            running: dict[Any, int] = {}
            for n, i in enumerate(todo):
                running[pool.submit(page_text, pictures[i]())] = i
                while running and (len(running) >= threads or n == len(todo) - 1):
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        pages[running.pop(future)] = future.result()
                    _store(cache, pages)  # a page at a time: a stopped build resumes
    return {i: pages.get(i) or "" for i in pictures}


def ocr_threads() -> int:
    """Pages read at once: the cores this reader has to itself (QA_OCR_THREADS, set by the
    reader pool: its cores over its processes), else every core."""
    from qa.isolation import cores

    return max(1, int(os.environ.get("QA_OCR_THREADS") or 0) or cores())


def page_text(image: Any) -> str | None:
    """The paragraphs Tesseract reads on `image`; None when it fails or runs out of time."""
    import pytesseract  # deferred: only for scans

    try:
        data = pytesseract.image_to_data(
            image, lang=LANG, output_type=pytesseract.Output.DICT, timeout=PAGE_TIMEOUT
        )
    except (RuntimeError, pytesseract.TesseractError, OSError):
        return None
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


def _frame(image: Any, index: int) -> Any:
    """Frame `index` of an open image, in RGB, scaled for OCR."""
    image.seek(index)
    return scaled_for_ocr(image.convert("RGB"))


def _cache_file(path: Path) -> Path | None:
    """Where the pages of the file at `path` are cached (by its content); None when the
    cache folder cannot be made."""
    from qa.userdirs import user_dir

    folder = user_dir("cache") / "ocr"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder / f"{hashlib.sha256(path.read_bytes()).hexdigest()}.json"


def _cached(cache: Path | None) -> dict[int, str | None]:
    """The pages a cache file holds (none if it is missing, unreadable or of other SETTINGS)."""
    try:
        known = json.loads(cache.read_text(encoding="utf-8")) if cache else {}
    except (OSError, ValueError):
        return {}
    if known.get("settings") != SETTINGS:
        return {}
    return {int(k): v for k, v in known.get("pages", {}).items()}


def _store(cache: Path | None, pages: dict[int, str | None]) -> None:
    """Write the pages read (not those that failed) with what another process may have
    added meanwhile, atomically; a cache that cannot be written is let be."""
    if cache is None:
        return
    kept = {**_cached(cache), **{i: t for i, t in pages.items() if t is not None}}
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"settings": SETTINGS, "pages": kept}), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        tmp.unlink(missing_ok=True)


def _same(picture: Any) -> Any:
    return picture
