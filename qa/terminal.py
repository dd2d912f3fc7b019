"""Document text made safe for a terminal: it is data, never markup or control sequences."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.answer import Span

# C0/C1 control characters except newline and tab (ANSI and OSC sequences start with ESC),
# and lone surrogates (bytes of a file name that is not UTF-8), which no terminal can print.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with control characters shown as visible `\\xNN` escapes, same line breaks."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", text)


def highlighted(
    text: str,
    start: int,
    sentence: Span,
    short: Span | None,
    styles: Mapping[str, str],
    clean: Callable[[str], str] = printable,
) -> Any:
    """`text` (found at offset `start` of its source) as rich Text, every piece made safe by
    `clean`, styled by role: `styles[""]` outside the answer sentence, `styles["sentence"]`
    inside it, `styles["short"]` on the short answer. The one renderer of the CLI and TUI."""
    from rich.text import Text  # deferred: only when something is shown

    from qa.answer import pieces

    parts = pieces(text, start, sentence, short)
    return Text.assemble(*((clean(t), styles[role]) for t, role in parts))


def age(seconds: float) -> str:
    """A duration as people say it: `42 s`, `3 min`, `2 h`, `5 d`."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"
