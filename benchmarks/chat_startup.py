"""Time from a new process to a usable `qa chat` input, and to a loaded index and model.

    python -m benchmarks.chat_startup [ROUNDS]

Each round starts a fresh Python process that imports the app, runs it headless
(`App.run_test`), and reports when the question input has focus (usable) and when the
background worker has loaded the index and the ONNX model (first answer possible).
"""

from __future__ import annotations

import statistics
import subprocess
import sys

CHILD = """
import time
t0 = time.perf_counter()
import asyncio
from qa.workspace import Workspace
from tui.app import QAApp

async def main():
    app = QAApp(Workspace.resolve(None, None))
    async with app.run_test() as pilot:
        while not (app.focused and app.focused.id == "question"):
            await pilot.pause(0.005)
        usable = time.perf_counter() - t0
        await app.workers.wait_for_complete()
        print(usable, time.perf_counter() - t0)

asyncio.run(main())
"""


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    usable, loaded = [], []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True
        )
        a, b = map(float, out.stdout.split())
        usable.append(a)
        loaded.append(b)
    print("| qa chat, fresh process | median s |")
    print("|---|---|")
    print(f"| input usable | {statistics.median(usable):.2f} |")
    print(f"| index and model loaded (worker) | {statistics.median(loaded):.2f} |")


if __name__ == "__main__":
    main()
