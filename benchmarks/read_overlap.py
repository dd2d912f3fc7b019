"""Would reading while the model encodes make a build faster here? Sequence against overlap.

    python benchmarks/read_overlap.py FOLDER... [--rounds R]

For each folder, in one process: `qa.build.read_and_chunk` (text files read here, other
formats in qa's worker processes), then the ONNX encoder on every sentence of the passages
(as a build encodes them), one after the other; then both at once, the encoder in a thread
(ONNX Runtime lets go of the GIL) while the folder is read again. Files are read once before
the clock starts, so the disk cache is warm for every side. Prints seconds and the overlap's
speed as a ratio to the sequence, per round (issue 18: overlap is worth building only where
this ratio is above 1).
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path


def main() -> None:
    from qa.build import read_and_chunk
    from qa.chunks import ChunkSettings, sentence_texts
    from qa.workspace import Workspace

    parser = argparse.ArgumentParser()
    parser.add_argument("folders", type=Path, nargs="+")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings = ChunkSettings()
    head = "folder | passages | read s | encode s | in sequence s | overlapped s | ratio"
    print(f"| {head} |")
    print("|---|---|---|---|---|---|---|")
    for docs in args.folders:
        encoder = Workspace.resolve(docs, None)._encoder()
        chunks = read_and_chunk(docs, settings).chunks
        texts = [t for c in chunks for t in sentence_texts(c)]
        encoder.encode(texts[:64])
        for _ in range(args.rounds):
            start = time.perf_counter()
            read_and_chunk(docs, settings)
            read = time.perf_counter() - start
            encoder.encode(texts)
            encode = time.perf_counter() - start - read
            start = time.perf_counter()
            thread = threading.Thread(target=encoder.encode, args=(texts,))
            thread.start()
            read_and_chunk(docs, settings)
            thread.join()
            both = time.perf_counter() - start
            cells = [f"{read:.2f}", f"{encode:.2f}", f"{read + encode:.2f}", f"{both:.2f}"]
            ratio = (read + encode) / both
            name = "/".join(docs.parts[-2:])
            print(f"| {name} | {len(chunks)} | " + " | ".join([*cells, f"{ratio:.2f}×"]) + " |")


if __name__ == "__main__":  # the reading workers import this module: nothing runs then
    main()
