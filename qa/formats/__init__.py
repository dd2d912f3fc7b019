"""Files of each format → Extracted text, with the metadata and locations the format carries.

One module per family of formats; each reader takes a path and returns an `Extracted`, or
raises `Unreadable` with the kind of problem (the build groups skipped files by kind). Any
other exception a reader lets through is caught at the per-file boundary (qa.documents).

Readers are found by suffix in READERS; a file of any other suffix is read as plain text when
its content is text (qa.formats.text.sniff), so source code, .rst, .org and logs are
indexed without a list of extensions to keep up to date.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from qa.formats.ocr import OcrSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Extracted:
    """What a reader gets out of a file: text, and metadata when the format carries it.

    `page_starts`: offset in `text` where each page (PDF) or slide (PPTX, ODP) begins.
    `sections`: (offset, name) where each chapter (EPUB), message (mbox) or heading path
    (DOCX, ODT) begins; Markdown headings are found by the chunker instead.
    """

    text: str
    title: str | None = None
    date: str | None = None
    page_starts: tuple[int, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()


def paged(pages: list[str], title: str | None = None) -> Extracted:
    """Page texts as one Extracted: pages apart by a form feed on its own line, each page's
    starting offset kept for citations (`p.N`)."""
    text, starts = "", list[int]()
    for page in pages:
        if starts:
            text += "\n\f\n"
        starts.append(len(text))
        text += page.strip()
    return Extracted(text + "\n", title=title, page_starts=tuple(starts))


class Unreadable(Exception):
    """A file qa cannot take text from; `kind` groups such files in the build's report."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind} ({detail})" if detail else kind)
        self.kind = kind


MAX_FILE_BYTES = 64 * 2**20  # larger files are skipped, never loaded blindly into memory

# suffix → "module:function" below qa.formats; imported on first use (lxml, PDFium, … are slow)
READERS: dict[str, str] = {
    ".txt": "text:read_plain",
    ".md": "text:read_plain",
    ".markdown": "text:read_plain",
    ".html": "html:read_html_file",
    ".htm": "html:read_html_file",
    ".xhtml": "html:read_html_file",
    ".pdf": "pdf:read_pdf",
    ".docx": "office:read_docx",
    ".pptx": "office:read_pptx",
    ".odt": "opendocument:read_odt",
    ".odp": "opendocument:read_odp",
    ".epub": "epub:read_epub",
    ".rtf": "text:read_rtf",
    ".eml": "mail:read_eml",
    ".mbox": "mail:read_mbox",
    ".ipynb": "notebook:read_ipynb",
    ".xlsx": "spreadsheet:read_workbook",
    ".xlsm": "spreadsheet:read_workbook",
    ".xlsb": "spreadsheet:read_workbook",
    ".xls": "spreadsheet:read_workbook",
    ".ods": "spreadsheet:read_workbook",
    ".png": "ocr:read_image",
    ".jpg": "ocr:read_image",
    ".jpeg": "ocr:read_image",
    ".tif": "ocr:read_image",
    ".tiff": "ocr:read_image",
    ".webp": "ocr:read_image",
    ".bmp": "ocr:read_image",
    ".gif": "ocr:read_image",
    ".csv": "spreadsheet:read_delimited",
    ".tsv": "spreadsheet:read_delimited",
}

# Suffixes never worth sniffing: media, archives, binaries, fonts, and text formats that are
# pictures (SVG) rather than prose.
NOT_DOCUMENTS = frozenset(
    ".ico .icns .svg .psd .heic .avif .jbig2 .jb2 "
    ".mp3 .wav .flac .ogg .m4a .mp4 .mov .avi .mkv .webm .zip .gz .tgz .bz2 .xz .zst .7z .rar "
    ".tar .jar .whl .exe .dll .so .dylib .o .a .pyc .pyo .class .wasm .bin .dat .db .sqlite "
    ".woff .woff2 .ttf .otf .eot .pfb .afm .npy .npz .pkl .pickle .parquet .onnx .pt .faiss "
    ".doc .ppt .dmg .iso .deb .rpm .msi .swf .fla .lock".split()
)
# Bumped when files of some suffixes come to be read differently; an index built before is
# refreshed by reading those files again (qa.changes, qa.corpus), whatever their stat.
READERS_VERSION = 4
EVERY = frozenset({"*"})  # every document
READ_ANEW = {  # version → the suffixes whose documents are read differently since
    2: frozenset({".csv", ".tsv", ".pdf"}),  # sheets; OCR of a PDF's scanned pages
    3: EVERY,  # each document's language; Chinese and Japanese sentences (their vectors are
    # reused: a sentence already embedded is not embedded again)
    4: frozenset({".html", ".htm", ".xhtml"}),  # past a static site's YAML front matter
}


def read_anew(rel: str, built_with: int) -> bool:
    """Whether a document an index read with readers of version `built_with` reads
    differently now. (Files it skipped are read again by `qa index`, which retries skipped
    files, not by the refresh before a question: a folder of scans is OCR'd when asked for.)"""
    suffix = rel[rel.rfind(".") :].lower() if "." in rel else ""
    return any(suffix in READ_ANEW[v] or READ_ANEW[v] is EVERY for v in READ_ANEW if v > built_with)


# Formats qa reads itself in this process: plain text is cheap and cannot hang a parser.
IN_PROCESS = frozenset({"text:read_plain", "text:read_sniffed"})


def reader_name(path: Path | str) -> str | None:
    """The reader of a file (a path or a file name), by suffix; sniffed text for unknown
    suffixes; None to skip."""
    name = path if isinstance(path, str) else path.name
    dot = name.rfind(".")  # as Path.suffix, without building a Path (a listing calls this a lot)
    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""
    if suffix in READERS:
        return READERS[suffix]
    if suffix in NOT_DOCUMENTS:
        return None
    return "text:read_sniffed"


def reader(name: str) -> Callable[[Path], Extracted]:
    """The reader function called `name` ("module:function" in this package)."""
    module, function = name.split(":")
    return getattr(importlib.import_module(f"qa.formats.{module}"), function)


# Readers that may OCR (qa.formats.ocr): they take the OCR settings too.
OCR_READERS = frozenset({"pdf:read_pdf", "ocr:read_image"})


def read_with(name: str, path: Path, *, ocr: OcrSettings | None = None) -> Extracted:
    """The file at `path` read by the reader called `name`, scans read as `ocr` says."""
    read: Any = reader(name)
    return read(path, ocr=ocr) if name in OCR_READERS else read(path)


def check_size(path: Path) -> int:
    """The file's size; Unreadable when it is over MAX_FILE_BYTES."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Unreadable("too large", f"{size // 2**20} MB; qa reads files up to 64 MB: split it")
    return size


def open_checked(open_file: Callable[[str], T], path: Path, what: str) -> T:
    """`open_file(path)` after the size check; any failure to open it is Unreadable("damaged")
    (format libraries raise bare KeyError, BadZipFile or XML errors on broken files)."""
    check_size(path)
    try:
        return open_file(str(path))
    except Unreadable:
        raise
    except Exception as exc:
        raise Unreadable("damaged", f"not a readable {what}: {type(exc).__name__}") from None


class TextBuilder:
    """Text assembled from blocks (paragraphs, cells, slides), remembering where each page
    and section begins, for readers of structured formats."""

    def __init__(self) -> None:
        self.text = ""
        self.page_starts: list[int] = []
        self.sections: list[tuple[int, str]] = []
        self._pending_pages = 0
        self._pending_section: str | None = None
        self._headings: list[tuple[int, str]] = []

    def page(self) -> None:
        """The next block starts a new page (or slide)."""
        self._pending_pages += 1

    def section(self, name: str) -> None:
        """The next block starts section `name`."""
        self._pending_section = " ".join(name.split())

    def heading(self, level: int, text: str) -> None:
        """The next block is a heading of `level`: its section is the heading path,
        "Setup › Linux", as for Markdown headings."""
        if not text.strip():
            return
        self._headings = [(lv, t) for lv, t in self._headings if lv < level] + [(level, text)]
        self.section(" › ".join(t.strip() for _, t in self._headings))

    def add(self, block: str) -> None:
        """Append a block of text (blank blocks are dropped), a blank line before it."""
        block = block.strip()
        if not block:
            return
        if self.text:
            self.text += "\n\n"
        self.page_starts += [len(self.text)] * self._pending_pages
        if self._pending_section is not None:
            self.sections.append((len(self.text), self._pending_section))
        self._pending_pages, self._pending_section = 0, None
        self.text += block

    def extracted(self, title: str | None = None, date: str | None = None) -> Extracted:
        """What was built; Unreadable("no text") when nothing was."""
        if not self.text.strip():
            raise Unreadable("no text")
        return Extracted(
            self.text + "\n",
            title=(title or "").strip() or None,
            date=date,
            page_starts=tuple(self.page_starts),
            sections=tuple(self.sections),
        )
