"""Does encoding while files are read make a whole build faster here? Sequence against overlap.

    python -m benchmarks.read_overlap FOLDER... [--rounds R] [--readers N ...]

For each folder, the whole `qa index --rebuild` (model loaded once before the clock starts,
disk cache warm) with `qa.build.readers_beside_encoder` forced: 0 reads every file first and
encodes after (what this machine does: it has no CPU beside the encoder's), N > 0 runs N
reader processes while `qa.vectors.EncodeAhead` embeds the sentences of the files already
read. Sides interleaved for R rounds. Prints seconds per side, the texts encoded ahead and
each side's speed as a ratio to the sequence (issue 18: overlap pays where the ratio is
above 1; on a machine whose encoder leaves no CPU free it is expected at or below 1).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    from qa import build as build_mod
    from qa.workspace import Workspace

    parser = argparse.ArgumentParser()
    parser.add_argument("folders", type=Path, nargs="+")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--readers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    sides = [0, *args.readers]
    print("| folder | passages | readers while encoding | seconds | encoded ahead | vs sequence |")
    print("|---|---|---|---|---|---|")
    for docs in args.folders:
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace.resolve(docs, Path(tmp) / "ix")
            ws.build(rebuild=True)  # model loaded, export made, disk cache warm
            seconds = dict.fromkeys(sides, 0.0)
            ahead = dict.fromkeys(sides, 0)
            chunks = 0
            for _ in range(args.rounds):
                for readers in sides:
                    build_mod.readers_beside_encoder = lambda n=readers: n  # type: ignore[misc]
                    start = time.perf_counter()
                    report = ws.build(rebuild=True)
                    seconds[readers] += (time.perf_counter() - start) / args.rounds
                    ahead[readers] += report.ahead // args.rounds
                    chunks = report.chunks
        name = "/".join(docs.parts[-2:])
        for readers in sides:
            ratio = seconds[0] / seconds[readers]
            label = "0 (read first)" if readers == 0 else str(readers)
            took = f"{seconds[readers]:.2f}"
            cells = [name, chunks, label, took, ahead[readers], f"{ratio:.2f}×"]
            print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":  # the reading workers import this module: nothing runs then
    main()
