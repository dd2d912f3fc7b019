"""E-mail → Extracted: .eml (one message) and .mbox (a mailbox, one section per message).

Each message reads as its headers (From, To, Date, Subject) then its body: the plain-text
part, else the HTML part through the HTML reader. Attachments are left out. The Subject is
the title and the Date header the document's date (of a mailbox: its first message's title
and date; each message is a section "Subject · date", so a citation names the message).
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from qa.formats import Extracted, TextBuilder, Unreadable, check_size
from qa.formats.text import read_bytes


def read_eml(path: Path) -> Extracted:
    """One message: headers and body, its subject the title and its Date the date."""
    message = BytesParser(policy=policy.default).parsebytes(read_bytes(path))
    if not message.keys():
        raise Unreadable("damaged", "no e-mail headers")
    out = TextBuilder()
    out.add(_message_text(message))
    return out.extracted(title=_subject(message), date=_date(message))


def read_mbox(path: Path) -> Extracted:
    """Every message of a mailbox in order, one section each."""
    import mailbox

    check_size(path)
    out = TextBuilder()
    first: Any = None
    box = mailbox.mbox(str(path), factory=_parse, create=False)
    try:
        for message in box:
            first = first or message
            date = _date(message)
            out.section(" · ".join(x for x in (_subject(message) or "(no subject)", date) if x))
            out.add(_message_text(message))
    finally:
        box.close()
    if first is None:
        raise Unreadable("no text", "no messages in the mailbox")
    return out.extracted(title=_subject(first), date=_date(first))


def _parse(file: Any) -> Any:
    return BytesParser(policy=policy.default).parse(file)


def _subject(message: Any) -> str | None:
    return " ".join(str(message.get("Subject", "")).split()) or None


def _date(message: Any) -> str | None:
    """The Date header as an ISO date, or None when absent or unreadable."""
    try:
        return parsedate_to_datetime(str(message["Date"])).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _message_text(message: Any) -> str:
    """Headers, then the body text."""
    head = [f"{k}: {' '.join(str(message[k]).split())}" for k in ("From", "To", "Date", "Subject")]
    return "\n".join(h for h in head if not h.endswith(": None")) + "\n\n" + _body(message)


def _body(message: Any) -> str:
    """The plain-text body, else the HTML body as text, else ""."""
    from qa.formats.html import read_html

    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset, bad encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if part.get_content_subtype() == "html":
        try:
            return read_html(str(content)).text
        except Unreadable:
            return ""
    return str(content)
