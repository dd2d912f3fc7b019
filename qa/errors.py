"""The errors qa's core raises; each message says what is wrong and what to do."""

from __future__ import annotations

import re
from enum import IntEnum

# C0/C1 control characters except newline and tab (ANSI and OSC sequences start with ESC),
# and lone surrogates (bytes of a file name that is not UTF-8), which no terminal can print.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class ExitCode(IntEnum):
    """Process exit codes of the `qa` command."""

    OK = 0
    ERROR = 1  # something stopped qa: a damaged index, a failed build
    USAGE = 2  # bad usage or input: empty question, missing folder, unknown option
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


class QAError(Exception):
    """A failure the user can act on; `str(err)` is the one line to show."""

    exit_code = ExitCode.ERROR


class UsageError(QAError):
    """Bad usage or input."""

    exit_code = ExitCode.USAGE


class IndexBusy(QAError):
    """Another process is writing the index: wait, or read the version that is live."""


def printable(text: str) -> str:
    """`text` with control characters shown as visible `\\xNN` escapes, same line breaks: a
    file name or document text in a message is data, never a terminal control sequence."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", text)
