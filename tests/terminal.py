"""A program run in a real pseudo-terminal, its screen read back through pyte (a terminal
emulator): what a person at a terminal sees, keys arriving in bursts as terminals send them."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable

import pyte


class Terminal:
    """`argv` on a pty of `rows` × `cols`; `write` sends bytes, `wait_for` polls the screen."""

    def __init__(self, argv: list[str], rows: int = 50, cols: int = 160) -> None:
        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self.screen)
        self._lock = threading.Lock()
        self._last_output = time.monotonic()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "HF_HUB_OFFLINE": "1"}
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self._master = master
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # the program ended and the pty closed
                return
            if not data:
                return
            with self._lock:
                self._stream.feed(data)
                self._last_output = time.monotonic()

    def text(self) -> str:
        """The screen as lines of text."""
        with self._lock:
            return "\n".join(self.screen.display)

    def write(self, keys: str) -> None:
        """Send `keys` in one write, as a burst."""
        os.write(self._master, keys.encode())

    def wait_for(self, seen: Callable[[str], bool], timeout: float, quiet: float = 0.2) -> str:
        """The screen once `seen(screen)` holds on a settled screen (no output for `quiet` s, less
        than a cursor blink: never a frame half drawn); fails with the screen after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                settled = time.monotonic() - self._last_output >= quiet
            screen = self.text()
            if settled and seen(screen):
                return screen
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"not seen in {timeout} s; the screen:\n{self.text()}")

    def wait_exit(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self._master)
