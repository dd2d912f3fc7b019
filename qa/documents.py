"""Files on disk → Documents: exact text, title, date, content hash.

A Document keeps the text its reader extracted exactly (for a text file: the file as
decoded), so every chunk can be cited by character offsets and line numbers. Readers of each
format are in qa.formats; `read_file` is the per-file boundary where anything a reader raises
becomes a Skipped file with a short reason, never a failed build.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import QAError
from qa.formats import Extracted, Unreadable, read_with, reader_name

if TYPE_CHECKING:
    from qa.formats.ocr import OcrSettings

log = logging.getLogger("qa")


@dataclass(frozen=True)
class Document:
    """One source file: `rel` is its path inside the corpus folder, in POSIX form."""

    rel: str
    text: str
    title: str
    date: str | None
    sha256: str
    page_starts: tuple[int, ...] = ()  # PDF, slides: offset in `text` where each page begins
    sections: tuple[tuple[int, str], ...] = ()  # (offset, name): chapters, messages, headings
    lang: str = ""  # the language of its prose (ISO 639-1; "" unknown: qa.languages)


@dataclass(frozen=True)
class Skipped:
    """A file the corpus holds but qa could not read: `kind` groups it, `reason` says why."""

    rel: str
    reason: str
    kind: str = ""


def unsupported(rel: str) -> Skipped:
    """A file of a type qa does not read (images, archives, binaries)."""
    suffix = Path(rel).suffix.lower() or "no suffix"
    return Skipped(rel, f"unsupported file type ({suffix})", "unsupported type")


def skip_groups(skipped: list[Skipped]) -> list[tuple[str, list[Skipped]]]:
    """Skipped files grouped by kind, the largest group first."""
    groups: dict[str, list[Skipped]] = {}
    for s in skipped:
        groups.setdefault(s.kind or s.reason.split(" (")[0], []).append(s)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def skip_counts(skipped: list[Skipped]) -> str:
    """ "12 unsupported type, 2 damaged": how many files were skipped for what."""
    return ", ".join(f"{len(files)} {kind}" for kind, files in skip_groups(skipped))


def skip_report(skipped: list[Skipped], max_groups: int = 10) -> list[str]:
    """A few lines on the skipped files, whatever their number: a count per kind with two
    examples (for unsupported files, the commonest suffixes)."""
    if not skipped:
        return []
    noun = "file" if len(skipped) == 1 else "files"
    lines = [f"{len(skipped)} {noun} skipped (`qa status --skipped` lists them):"]
    groups = skip_groups(skipped)
    for kind, files in groups[:max_groups]:
        if kind == "unsupported type":
            suffixes = Counter(Path(s.rel).suffix.lower() or "no suffix" for s in files)
            shown = [f"{suffix} {n}" for suffix, n in suffixes.most_common(6)]
            more = ", …" if len(suffixes) > 6 else ""
        else:
            shown = [_short(s.rel) for s in files[:2]]
            more = ", …" if len(files) > 2 else ""
        lines.append(f"  {len(files):>5} {kind}: {', '.join(shown)}{more}")
    if len(groups) > max_groups:
        rest = sum(len(files) for _, files in groups[max_groups:])
        lines.append(f"  {rest:>5} for {len(groups) - max_groups} other reasons")
    return lines


def _short(rel: str, width: int = 40) -> str:
    """A path cut to its last `width` characters, at a folder boundary when there is one."""
    if len(rel) <= width:
        return rel
    tail = rel[-width:]
    return "…/" + tail.split("/", 1)[1] if "/" in tail[:-1] else "…" + tail


def read_file(root: Path, rel: str, *, ocr: OcrSettings | None = None) -> Document | Skipped:
    """The Document of one listed file (scans read as `ocr` says), or why it was skipped:
    never raises for a bad file."""
    path = root / rel
    name = reader_name(path)
    if name is None:
        return unsupported(rel)
    try:
        return make_document(rel, read_with(name, path, ocr=ocr))
    except Exception as exc:  # the per-file boundary: no reader failure may stop a build
        log.debug("skipped %s:\n%s", rel, traceback.format_exc())
        return skipped_for(rel, exc)


def skipped_for(rel: str, exc: BaseException) -> Skipped:
    """A Skipped file with a short reason for what its reader raised."""
    if isinstance(exc, Unreadable):
        return Skipped(rel, str(exc), exc.kind)
    if isinstance(exc, PermissionError):
        return Skipped(rel, "permission denied", "unreadable")
    if isinstance(exc, OSError):
        return Skipped(rel, exc.strerror or type(exc).__name__, "unreadable")
    if isinstance(exc, MemoryError):
        return Skipped(rel, "ran out of memory", "too much memory")
    if isinstance(exc, RecursionError):
        return Skipped(rel, "nested too deeply", "damaged")
    detail = " ".join(str(exc).split())[:120]
    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return Skipped(rel, reason, "reader error")


def make_document(rel: str, content: str | Extracted) -> Document:
    """A Document from decoded text (or a reader's extract), with its title, date and hash."""
    import hashlib  # deferred: only reading hashes, not a cold question

    from qa.languages import document_language

    got = content if isinstance(content, Extracted) else Extracted(content)
    text = _valid_unicode(got.text)
    if not text.strip():
        raise Unreadable("empty")
    return Document(
        rel=rel,
        text=text,
        title=_valid_unicode(got.title or "") or find_title(text) or Path(rel).stem,
        date=got.date or find_date(text),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        page_starts=got.page_starts,
        sections=got.sections,
        lang=document_language(text),
    )


def _valid_unicode(text: str) -> str:
    """`text` with lone surrogates (from broken PDF fonts) replaced, same length: they cannot
    be written as UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8")


def read_document(root: Path, rel: str, *, ocr: OcrSettings | None = None) -> str:
    """The current text of one indexed file (scans read as `ocr` says, as it was indexed),
    for showing a citation in context."""
    path = root / rel
    name = reader_name(path) or "text:read_plain"
    try:
        return read_with(name, path, ocr=ocr).text
    except (OSError, Unreadable) as exc:
        raise QAError(f"cannot read {path}: {skipped_for(rel, exc).reason}") from None


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

    A Markdown heading (`#`, or text over `===`/`---`) or a reStructuredText one (text over
    a line of `=`, `-`, `~`, … as long as it) wins outright. Otherwise the first line of five
    or more words that is not menu-like (`|`-separated), not a "Label: value" field, not a
    date and not a site banner such as "Official website of ...". Long lines are cut at 120
    characters. YAML front matter (`---` lines around `key: value`s, as Jekyll, Hugo and
    Docusaurus pages start) gives its `title:`, and is never a title itself.
    """
    named, body = front_matter(text)
    if named:
        return named
    text = text[body:]
    lines = [ln.strip() for ln in text.splitlines()[:60]]
    for i, line in enumerate(lines):
        heading = _MD_HEADING.match(line)
        if heading:
            return heading.group(1)
        if _is_underlined(line, lines[i + 1] if i + 1 < len(lines) else ""):
            return line
    for line in lines:
        if _is_title_like(line):
            return line if len(line) <= 120 else line[:117].rsplit(" ", 1)[0] + "..."
    return None


def front_matter(text: str) -> tuple[str | None, int]:
    """The `title:` of `text`'s YAML front matter (None without one), and where the text after
    the front matter starts (0 without any)."""
    front = _FRONT_MATTER.match(text)
    if not front:
        return None, 0
    named = _FRONT_TITLE.search(front.group(1) or "")
    title = named.group(1).strip(" \"'") if named else ""
    return title or None, front.end()


_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_UNDERLINE = re.compile(r"^([=\-~^*+#`:'\"])\1{2,}$")


def _is_underlined(line: str, below: str) -> bool:
    """Whether `line` is a reStructuredText or Markdown setext heading: text over a line of
    one repeated punctuation mark (`====`, `----`, `~~~~`) at least as long as it (Markdown
    allows a shorter `===`/`---`)."""
    if not line or _UNDERLINE.match(line) or not _UNDERLINE.match(below):
        return False
    return len(below) >= len(line) or below[0] in "=-"


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
