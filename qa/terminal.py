"""Document text made safe for a terminal: it is data, never markup or control sequences."""

from __future__ import annotations

import re

# C0/C1 control characters except newline and tab; ANSI and OSC sequences start with ESC.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters shown as visible `\\xNN` escapes, same line breaks."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
