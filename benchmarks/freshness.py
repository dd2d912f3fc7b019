"""What "fresh by default" costs: the stat walk before each question, against the question.

    python -m benchmarks.freshness [SIZES…]   (default: 2000 20000 100000 files)

For each size, a folder of that many small text files (in nested folders, as notes are) is
listed and stat'ed as `qa ask` does before answering (`qa.changes.find_changes` against a
manifest of the same stats: nothing changed). The check is compared with a warm `qa ask` on the
seeds in the same run (`Workspace.ask`, model loaded), and at the first size with a whole
`qa ask` process with and without `--no-refresh`, interleaved.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.common import QA, ROOT

QUESTION = "When did Lavrov plan to visit Japan?"


def make_folder(root: Path, n: int) -> None:
    """`n` small notes, 100 per folder."""
    for i in range(n):
        folder = root / f"d{i // 100:04}"
        if i % 100 == 0:
            folder.mkdir(parents=True)
        (folder / f"note{i:06}.txt").write_text(f"Note {i}: the courier arrives on day {i}.\n")


def check_seconds(root: Path, repeats: int = 3) -> float:
    """Median seconds of one freshness check of `root` (nothing changed)."""
    from qa.changes import find_changes
    from qa.chunks import ChunkSettings
    from qa.files import list_folder, stat_files
    from qa.manifest import Manifest

    listing = list_folder(root)
    stats = stat_files(root, listing.rels)
    recorded = {r: list(s) for r, s in stats.items()}
    manifest = Manifest("m", 0, ChunkSettings(), str(root), 0.0, {}, stats=recorded)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        assert not find_changes(root, manifest)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def warm_ask_seconds(repeats: int = 10) -> float:
    from qa.workspace import Workspace

    ws = Workspace.resolve(ROOT / "seeds", Path(tempfile.mkdtemp()) / "ix")
    ws.build()
    ws.ask([QUESTION])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ws.ask([QUESTION])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def process_seconds(docs: Path, ix: Path, refresh: bool, repeats: int = 5) -> list[float]:
    args = [QA, "ask", QUESTION, "--docs", str(docs), "--index", str(ix)]
    args += [] if refresh else ["--no-refresh"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 20000, 100000]
    warm = warm_ask_seconds()
    table = Table(title="freshness check before a question (nothing changed)")
    for col in ("files", "check (s)", "check / warm ask", "qa ask process: refresh / --no-refresh"):
        table.add_column(col, justify="right")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            docs = Path(tmp) / "docs"
            make_folder(docs, n)
            check = check_seconds(docs)
            whole = ""
            if n == sizes[0]:
                ix = Path(tmp) / "ix"
                env = {**os.environ, "HF_HUB_OFFLINE": "1"}
                build = [QA, "index", str(docs), "--index", str(ix)]
                subprocess.run(build, check=True, capture_output=True, env=env)
                on, off = [], []
                for _ in range(3):  # interleaved, so drift hits both
                    on += process_seconds(docs, ix, True, 2)
                    off += process_seconds(docs, ix, False, 2)
                whole = f"{statistics.median(on):.2f} / {statistics.median(off):.2f} s = "
                whole += f"{statistics.median(on) / statistics.median(off):.2f}x"
            table.add_row(f"{n:,}", f"{check:.3f}", f"{check / warm:.2f}x", whole)
    Console().print(table)
    print(f"warm qa ask on the seeds (model loaded): {warm:.3f} s")


if __name__ == "__main__":
    main()
