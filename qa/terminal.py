"""Document text made safe for a terminal: it is data, never markup or control sequences."""

from __future__ import annotations

import re

# C0/C1 control characters except newline and tab (ANSI and OSC sequences start with ESC),
# and lone surrogates (bytes of a file name that is not UTF-8), which no terminal can print.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with control characters shown as visible `\\xNN` escapes, same line breaks."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", text)
