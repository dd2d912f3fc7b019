"""The errors qa's core raises; each message says what is wrong and what to do."""

from __future__ import annotations

from enum import IntEnum


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
