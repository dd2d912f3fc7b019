"""Whole `qa index --rebuild` of folders: this checkout against an earlier one, alternated.

    python -m benchmarks.index_folders FOLDER... --before CHECKOUT [--runs 3]

Each run is a fresh process with its own index folder (the ONNX export is shared and made
beforehand), sides alternated; prints the median wall time, files/s, passages/s and the
ratio this/before. The time includes embedding, which dominates: reading must not show.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = "import sys; from qa.cli import main; sys.argv[0] = 'qa'; main()"


def index_once(code: Path, folder: Path) -> tuple[float, int]:
    """Seconds for one rebuild, and the passages indexed."""
    with tempfile.TemporaryDirectory() as ix:
        env = {**os.environ, "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", RUN, "index", str(folder), "--index", ix, "--rebuild"],
            capture_output=True,
            text=True,
            env=env,
            cwd=code,
        )
        seconds = time.perf_counter() - started
        if out.returncode != 0:
            raise SystemExit(f"{code}: {out.stderr.strip().splitlines()[-1]}")
        status = subprocess.run(
            [sys.executable, "-c", RUN, "status", "--index", ix, "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=code,
        )
        return seconds, int(json.loads(status.stdout)["passages"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'folder':<10} {'side':<7} {'median s':>8} {'passages':>8} {'pass./s':>8} {'ratio':>6}")
    for folder in args.folders:
        times: dict[str, list[float]] = {"before": [], "this": []}
        passages: dict[str, int] = {}
        for run in range(args.runs):
            sides = [("before", args.before), ("this", ROOT)]
            for name, code in sides if run % 2 == 0 else sides[::-1]:
                seconds, passages[name] = index_once(code, folder)
                times[name].append(seconds)
        base = statistics.median(times["before"])
        for name in ("before", "this"):
            med = statistics.median(times[name])
            print(
                f"{folder.name[:10]:<10} {name:<7} {med:>8.2f} {passages[name]:>8} "
                f"{passages[name] / med:>8.1f} {med / base:>6.2f}"
            )


if __name__ == "__main__":
    main()
