"""Files on disk → Documents: exact text, title, date, content hash.

A Document keeps the file's text exactly as decoded, so every chunk can be cited by character
offsets and line numbers of the original file. Readers are chosen by file suffix in READERS;
other formats plug in there.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError, UsageError


@dataclass(frozen=True)
class Document:
    """One source file: `rel` is its path inside the corpus folder, in POSIX form."""

    rel: str
    text: str
    title: str
    date: str | None
    sha256: str
    page_starts: tuple[int, ...] = ()  # PDF: offset in `text` where each page begins


@dataclass(frozen=True)
class Extracted:
    """What a reader gets out of a file: text, and metadata when the format carries it."""

    text: str
    title: str | None = None
    date: str | None = None
    page_starts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A file the corpus holds but qa could not read, and why."""

    rel: str
    reason: str


MAX_FILE_BYTES = 64 * 2**20  # larger files are skipped, never loaded blindly into memory


def _read_text(path: Path) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else UTF-16 with a BOM."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"too large ({size // 2**20} MB; qa reads files up to 64 MB): split it")
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _latin1_or_fail(raw, exc.start)


def _latin1_or_fail(raw: bytes, bad_at: int) -> str:
    """Text that is not UTF-8 but reads as Windows-1252/Latin-1 prose; else not text at all."""
    text = raw.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > len(text) / 100 or text.count("\ufffd") > len(text) / 100:
        raise ValueError(f"not text (undecodable byte at {bad_at})")
    return text


def _plain(path: Path) -> Extracted:
    return Extracted(_read_text(path))


def _html(path: Path) -> Extracted:
    from qa.formats import read_html  # deferred: trafilatura and lxml (0.3 s)

    return read_html(_read_text(path))


def _pdf(path: Path) -> Extracted:
    from qa.formats import read_pdf  # deferred: pypdf

    return read_pdf(path, MAX_FILE_BYTES)


READERS: dict[str, Callable[[Path], Extracted]] = {
    ".txt": _plain,
    ".md": _plain,
    ".markdown": _plain,
    ".html": _html,
    ".htm": _html,
    ".pdf": _pdf,
}


def read_folder(root: Path) -> tuple[list[Document], list[Skipped]]:
    """Every readable document below `root`, sorted by path, and the files that were skipped
    (sorted by path)."""
    rels, skipped = list_folder(root)
    docs: list[Document] = []
    for rel in rels:
        got = read_file(root, rel)
        (docs if isinstance(got, Document) else skipped).append(got)  # type: ignore[arg-type]
    return docs, sorted(skipped, key=lambda s: s.rel)


def list_folder(root: Path) -> tuple[list[str], list[Skipped]]:
    """Paths (POSIX, relative to `root`, sorted) of the files qa can read below `root`, and the
    files of other types, skipped. Hidden files and folders are left out."""
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder: give the folder of documents to index")
    rels: list[str] = []
    skipped: list[Skipped] = []
    # followlinks=False: a symlinked folder that loops back can never make the walk endless.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if name.startswith("."):
                continue
            if path.suffix.lower() not in READERS:
                skipped.append(Skipped(rel, f"unsupported file type ({path.suffix or 'none'})"))
                continue
            rels.append(rel)
    return sorted(rels), skipped


def read_file(root: Path, rel: str) -> Document | Skipped:
    """The Document of one listed file, or why it was skipped."""
    path = root / rel
    try:
        return make_document(rel, READERS[path.suffix.lower()](path))
    except (OSError, ValueError) as exc:
        return Skipped(rel, _reason(exc))


def _reason(exc: Exception) -> str:
    """A short reason for a skipped file."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc)


def make_document(rel: str, content: str | Extracted) -> Document:
    """A Document from decoded text (or a reader's extract), with its title, date and hash."""
    got = content if isinstance(content, Extracted) else Extracted(content)
    text = got.text
    return Document(
        rel=rel,
        text=text,
        title=got.title or find_title(text) or Path(rel).stem,
        date=got.date or find_date(text),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        page_starts=got.page_starts,
    )


def read_document(root: Path, rel: str) -> str:
    """The current text of one indexed file, for showing a citation in context."""
    path = root / rel
    reader = READERS.get(path.suffix.lower(), _plain)
    try:
        return reader(path).text
    except (OSError, ValueError) as exc:
        raise QAError(f"cannot read {path}: {_reason(exc)}") from None


# --- title -------------------------------------------------------------------------------------

_BANNER = re.compile(r"^(official (web)?site|welcome to)\b", re.IGNORECASE)
_CHROME = re.compile(
    r"^(home|menu|skip to|sign[ -]?(in|up)|log ?in|search|print|bookmark|share|related news"
    r"|contact us|copyright|©|more)\b",
    re.IGNORECASE,
)
_FIELD = re.compile(r"^[\w -]{2,20}:\s")  # "Address: ...", "Phone: ..."
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")


def find_title(text: str) -> str | None:
    """The first heading or line of real content, skipping site chrome, dates and fields.

    A Markdown heading wins outright. Otherwise the first line of five or more words that is
    not menu-like (`|`-separated), not a "Label: value" field, not a date and not a site
    banner such as "Official website of ...". Long lines are cut at 120 characters.
    """
    lines = [ln.strip() for ln in text.splitlines()[:60]]
    for line in lines:
        heading = _MD_HEADING.match(line)
        if heading:
            return heading.group(1)
    for line in lines:
        if _is_title_like(line):
            return line if len(line) <= 120 else line[:117].rsplit(" ", 1)[0] + "..."
    return None


def is_chrome(line: str) -> bool:
    """Whether a line is page chrome (menus, "Print", "Related News", widgets), not content.

    "Label: value" lines (an address, a phone number) are never chrome: they are facts.
    """
    line = line.strip()
    if not line or _FIELD.match(line):
        return False
    words = line.split()
    if line.count("|") >= 2 or (re.search(r"\s/\s", line) and len(words) <= 6):
        return True
    if len(words) <= 2 and not re.search(r"[\d.?!,:]", line):
        return True
    return bool(_CHROME.match(line)) and not line.endswith((".", "?", "!"))


def _is_title_like(line: str) -> bool:
    words = line.split()
    return (
        len(words) >= 5
        and "|" not in line
        and not _BANNER.match(line)
        and not is_chrome(line)
        and not _FIELD.match(line)
        and find_date(line, standalone=True) is None
        and sum(ch.isalpha() for ch in line) > len(line) / 2
    )


# --- date --------------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = r"(?P<mon>[A-Za-z]{3,9})\.?"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})\b"),
    re.compile(rf"\b{_MONTH} (?P<d>\d{{1,2}}),? (?P<y>\d{{4}})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}}) {_MONTH},? (?P<y>\d{{4}})\b"),
]
_WEEKDAY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s", re.IGNORECASE)


def find_date(text: str, standalone: bool = False) -> str | None:
    """The document's own date as ISO `YYYY-MM-DD`, or None.

    Only a date standing alone on its line counts (a dateline), and lines that start with a
    weekday are passed over: on scraped pages those are the site's "today" banner, not the
    article's date. Day-first is assumed for numeric dates (dd/mm/yyyy), as in the seeds.
    With `standalone`, `text` is one line and the answer says whether it is only a date.
    """
    lines = [text.strip()] if standalone else [ln.strip() for ln in text.splitlines()[:80]]
    for line in lines:
        if not line or len(line) > 40 or (not standalone and _WEEKDAY.match(line)):
            continue
        for pattern in _DATE_PATTERNS:
            found = pattern.search(line)
            if found and len(line) - (found.end() - found.start()) <= 12:
                iso = _iso(found)
                if iso:
                    return iso
    return None


def _iso(found: re.Match[str]) -> str | None:
    parts = found.groupdict()
    month = _MONTHS.get(parts["mon"].lower()) if parts.get("mon") else int(parts["m"])
    day, year = int(parts["d"]), int(parts["y"])
    if not month or not 1 <= month <= 12 or not 1 <= day <= 31 or not 1000 <= year <= 2999:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"
