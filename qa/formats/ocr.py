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

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

from qa.formats import Extracted, Unreadable, check_size, paged

DPI = 200  # PDF pages are rendered at this resolution for OCR
PAGE_TIMEOUT = 60.0  # seconds one page may take
MAX_PIXELS = 40_000_000  # larger images are scaled down before OCR
TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"  # Debian's language data
MODES = ("auto", "off", "force")
UNFINISHED = "OCR unfinished"  # the kind of a reading stopped at its budget, to be resumed
MISSING = (
    "install Tesseract to read scans: apt-get install tesseract-ocr (or brew install tesseract)"
)
NOT_LANGUAGES = frozenset({"osd", "equ"})  # Tesseract's orientation and equation data


@dataclass(frozen=True)
class OcrSettings:
    """How scans are read: `mode` auto (pages with no text layer, image files), off, or
    force (every page that holds a picture, its text layer replaced); `lang` Tesseract's
    language codes ("eng+deu"), "" for every installed language. A reading stops starting
    pages after `budget` seconds (None: never) and raises Unreadable(UNFINISHED) for the
    pool to resume it from the cache; each page may take `page_timeout` seconds."""

    mode: str = "auto"
    lang: str = ""
    budget: float | None = None
    page_timeout: float = PAGE_TIMEOUT
    # the build this reading is part of: a page that failed in it is not tried again by
    # its later rounds (a later build tries it again)
    session: str = ""

    def languages(self) -> str:
        """The language codes Tesseract is run with."""
        return self.lang or installed_languages()

    def cache_key(self) -> str:
        """What, besides the file's content, decides a page's text (part of the cache key)."""
        return f"v1 {self.languages()} {DPI}dpi"


def available() -> bool:
    """Whether the `tesseract` command is installed."""
    import shutil  # deferred: it loads the compression modules

    return shutil.which("tesseract") is not None


@cache
def installed_languages() -> str:
    """Tesseract's installed languages as a `-l` value ("eng+deu"; English first); "eng"
    when none can be listed."""
    import subprocess

    try:
        out = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "eng"
    codes = [c.strip() for c in out.splitlines()[1:] if c.strip()]
    codes = sorted((c for c in codes if c not in NOT_LANGUAGES), key=lambda c: (c != "eng", c))
    return "+".join(codes) or "eng"


def check_languages(lang: str) -> str | None:
    """Why `lang` ("eng+deu") cannot be used, in one line; None when it can (or when
    Tesseract is not installed: scans are then skipped with their own reason)."""
    codes = lang.split("+")
    if not all(c.replace("_", "").isalnum() for c in codes):
        return f"--ocr-lang {lang!r}: give Tesseract language codes joined by +, e.g. eng+deu"
    if not available():
        return None
    have = set(installed_languages().split("+"))
    missing = [c for c in codes if c not in have]
    if not missing:
        return None
    package = " ".join(f"tesseract-ocr-{c.lower().replace('_', '-')}" for c in missing)
    return (
        f"OCR language {'+'.join(missing)} is not installed (installed: {', '.join(sorted(have))}):"
        f" apt-get install {package}"
    )


def read_image(path: Path, *, ocr: OcrSettings | None = None) -> Extracted:
    """An image file's text; every frame of a TIFF a page (`p.N`), a GIF's first frame."""
    from PIL import Image  # deferred: only for images

    settings = ocr or OcrSettings()
    check_size(path)
    if settings.mode == "off":
        raise Unreadable("OCR off", "an image: qa index --ocr auto reads it")
    if not available():
        raise Unreadable("needs OCR", MISSING)
    try:
        image = Image.open(path)
        count = 1 if path.suffix.lower() == ".gif" else getattr(image, "n_frames", 1)
        first = _frame(image, 0)  # a damaged file fails here, before any OCR
        # the other frames are decoded one at a time, as their turn comes
        pictures = {i: partial(_frame, image, i) for i in range(1, count)}
        read = cached_pages(path, {0: partial(_same, first), **pictures}, settings)
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


def cached_pages(
    path: Path, pictures: Mapping[int, Callable[[], Any]], settings: OcrSettings
) -> dict[int, str]:
    """The text of each page numbered in `pictures` (its image made by calling it, only when
    not cached) of the file at `path`, cached by the file's content and the settings (best
    effort: a cache that cannot be written only means reading again). A page Tesseract fails
    on reads as "" and is not cached: the next build tries it again. Past the settings'
    budget no page is started: Unreadable(UNFINISHED) says how far it got."""
    cache = _cache_file(path, settings)
    pages, failed = _cached(cache, settings)
    todo = [i for i in pictures if i not in pages and i not in failed]
    if todo:
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        threads = ocr_threads()
        stop = time.monotonic() + settings.budget if settings.budget is not None else None
        read = partial(page_text, settings=settings)
        # a `tesseract` process per thread, each on one core; the pictures are made here,
        # one at a time and in order (PDFium is not thread-safe), never all held at once
        with ThreadPoolExecutor(max_workers=threads) as pool:
            running: dict[Any, int] = {}
            for n, i in enumerate(todo):
                if stop is not None and n and time.monotonic() > stop:  # one page at least
                    break
                running[pool.submit(read, pictures[i]())] = i
                while running and (len(running) >= threads or n == len(todo) - 1):
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        pages[running.pop(future)] = future.result()
                    _store(cache, pages, settings)  # a page at a time: a stopped build resumes
            for future in running:  # the pages under way when the budget ran out
                pages[running[future]] = future.result()
            _store(cache, pages, settings)
        left = sum(i not in pages and i not in failed for i in pictures)
        if left:
            raise Unreadable(UNFINISHED, f"{len(pictures) - left} of {len(pictures)} pages read")
    return {i: pages.get(i) or "" for i in pictures}


def pages_read(reason: str) -> tuple[int, int]:
    """(pages read, pages) of an UNFINISHED reading's reason."""
    import re

    found = re.search(r"(\d+) of (\d+) pages read", reason)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def ocr_threads() -> int:
    """Pages read at once: the reader's share of tesseracts (QA_OCR_THREADS, set by the
    reader pool: qa.isolation.ocr_share), else every core."""
    from qa.isolation import cores

    return max(1, int(os.environ.get("QA_OCR_THREADS") or 0) or cores())


def page_text(image: Any, *, settings: OcrSettings) -> str | None:
    """The paragraphs Tesseract reads on `image`; None when it fails or runs out of time."""
    import pytesseract  # deferred: only for scans

    if getattr(image, "mode", "L") not in ("L", "1"):
        image = image.convert("L")  # grey: as Tesseract reads it, and 0.5 s a page faster
    try:
        data = pytesseract.image_to_data(
            image,
            lang=settings.languages(),
            output_type=pytesseract.Output.DICT,
            timeout=settings.page_timeout,
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
    """Frame `index` of an open image, in grey (what Tesseract reads; a colour page handed
    over costs it 0.5 s more: benchmarks/ocr.py), scaled for OCR."""
    image.seek(index)
    return scaled_for_ocr(image.convert("L"))


def _cache_file(path: Path, settings: OcrSettings) -> Path | None:
    """Where the pages of the file at `path` are cached (by its content and the settings
    that decide its text); None when the cache folder cannot be made."""
    import hashlib

    from qa.userdirs import user_dir

    folder = user_dir("cache") / "ocr"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    key = hashlib.sha256(path.read_bytes())
    key.update(settings.cache_key().encode())
    return folder / f"{key.hexdigest()}.json"


def _cached(cache: Path | None, settings: OcrSettings) -> tuple[dict[int, str | None], set[int]]:
    """The pages a cache file holds, and those that failed earlier in this reading's session
    (none if it is missing, unreadable or of other settings; no failures without a session)."""
    try:
        known = json.loads(cache.read_text(encoding="utf-8")) if cache else {}
    except (OSError, ValueError):
        return {}, set()
    if known.get("settings") != settings.cache_key():
        return {}, set()
    pages = {int(k): v for k, v in known.get("pages", {}).items()}
    failed = known.get("failed", {}) if settings.session else {}
    return pages, {int(i) for i, session in failed.items() if session == settings.session}


def _store(cache: Path | None, pages: dict[int, str | None], settings: OcrSettings) -> None:
    """Write the pages read, with what another process may have added meanwhile,
    atomically; a page that failed is noted with the session (never its text: the next
    build tries it again). A cache that cannot be written is let be."""
    if cache is None:
        return
    known, failed_before = _cached(cache, settings)
    kept = {**known, **{i: t for i, t in pages.items() if t is not None}}
    failed = failed_before | {i for i, t in pages.items() if t is None}
    record = {
        "settings": settings.cache_key(),
        "pages": kept,
        "failed": {str(i): settings.session for i in failed},
    }
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        tmp.unlink(missing_ok=True)


def _same(picture: Any) -> Any:
    return picture
