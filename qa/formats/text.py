"""Text files → Extracted: decoded exactly (UTF-8, UTF-16, Windows-1252), sniffed by content.

A Document keeps a text file's characters exactly as decoded, so citations are offsets into
the file as the user sees it. Files of unknown suffix are text when their content says so:
no NUL bytes (unless UTF-16 with a BOM) and almost no control characters.
"""

from __future__ import annotations

from pathlib import Path

from qa.formats import Extracted, Unreadable, check_size

SNIFF_BYTES = 8192  # how much of an unknown file is looked at before reading it whole


def decode(raw: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252
    prose; Unreadable("not text") for anything else."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise Unreadable("not text", "bad UTF-16") from None
    if b"\x00" in raw:
        raise Unreadable("not text", "binary content")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _latin1_or_fail(raw, exc.start)


def _latin1_or_fail(raw: bytes, bad_at: int) -> str:
    """Text that is not UTF-8 but reads as Windows-1252/Latin-1 prose; else not text at all."""
    text = raw.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > len(text) / 100 or text.count("\ufffd") > len(text) / 100:
        raise Unreadable("not text", f"undecodable byte at {bad_at}")
    return text


def read_bytes(path: Path) -> bytes:
    """The whole file, refused when over the size limit."""
    check_size(path)
    return path.read_bytes()


def read_plain(path: Path) -> Extracted:
    """A .txt or .md file, decoded."""
    return Extracted(decode(read_bytes(path)))


def read_sniffed(path: Path) -> Extracted:
    """A file of unknown suffix, read as text when its first bytes are text."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head:
        raise Unreadable("empty")
    decode(_whole_characters(head))  # raises when the start of the file is not text
    return read_plain(path)


def _whole_characters(head: bytes) -> bytes:
    """`head` without a UTF-8 or UTF-16 character cut in two at its end."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[: len(head) // 2 * 2]
    for cut in range(4):  # a UTF-8 character is at most 4 bytes
        part = head[: len(head) - cut]
        try:
            part.decode("utf-8")
            return part
        except UnicodeDecodeError:
            continue
    return head


def read_rtf(path: Path) -> Extracted:
    """An RTF document's text (striprtf)."""
    from striprtf.striprtf import rtf_to_text  # deferred: only for .rtf files

    raw = decode(read_bytes(path))
    if not raw.lstrip().startswith("{\\rtf"):
        raise Unreadable("damaged", "not an RTF file")
    return Extracted(rtf_to_text(raw, errors="ignore"))
