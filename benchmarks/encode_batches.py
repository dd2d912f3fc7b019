"""Batching of the ONNX encoder: fixed 32 texts per batch against word-piece budgets.

    python -m benchmarks.encode_batches [--texts N]

ONNX Runtime keeps memory for the largest batch it has run, and a batch's memory grows with
batch × length². Each row runs in a fresh process (so its peak RSS is its own) on the same
texts: N passages of ~200 words (cut at the model's 256 word pieces), then 8N sentences of
~20 words, as a build encodes them. Prints peak RSS above the loaded model and texts per
second, and each row's speed as a ratio to the first (one run, rows in turn).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = [("32 texts", 32, 0), ("budget 512", None, 512), ("budget 1024", None, 1024)]
ROWS += [("budget 2048", None, 2048)]
ROWS += [("budget 4096", None, 4096)]


def texts(n: int) -> list[str]:
    """n long passages and 8n sentences of a Zipf vocabulary (deterministic)."""
    import numpy as np

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(5000)]

    def words(k: int) -> str:
        return " ".join(vocab[min(int(z), len(vocab)) - 1] for z in rng.zipf(1.3, k))

    return [words(200) for _ in range(n)] + [words(20) for _ in range(8 * n)]


def one(batch: int | None, budget: int, n: int) -> dict:
    """Encode the texts once in this process; peak RSS growth and seconds."""
    import resource

    sys.path.insert(0, str(ROOT))
    from embeddings import onnx_encoder
    from qa.workspace import Workspace

    if budget:
        onnx_encoder.TOKEN_BUDGET = budget
    encoder = Workspace.resolve(None, None).query_encoder(prepack=True)
    items = texts(n)
    encoder.encode(items[:8])  # warm up
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    encoder.encode(items, batch_size=batch)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"grew": peak - before, "per_second": len(items) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=300, help="long passages (and 8× sentences)")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        batch, budget = (int(x) for x in args.one)
        print(json.dumps(one(batch or None, budget, args.texts)))
        return
    print("| batches | peak RSS above the loaded model | texts / s | speed vs 32 texts |")
    print("|---|---|---|---|")
    first = None
    for name, batch, budget in ROWS:
        cmd = [sys.executable, __file__, "--texts", str(args.texts), "--one"]
        out = subprocess.run(
            [*cmd, str(batch or 0), str(budget)], capture_output=True, text=True, check=True
        )
        got = json.loads(out.stdout.strip().splitlines()[-1])
        first = first or got["per_second"]
        ratio = got["per_second"] / first
        print(f"| {name} | {got['grew']:.0f} MB | {got['per_second']:.0f} | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
