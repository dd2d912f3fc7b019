"""Cold `qa ask` (a new process each time) against the plain sentence-transformers path.

    python benchmarks/cold_ask.py [ROUNDS]

Both sides answer the sample question from the same seed index in a fresh process, run
alternately so that machine drift hits both alike. The baseline is the minimum a
sentence-transformers tool must do: import it, load the model, encode the query, search FAISS.
Prints wall-time medians and their ratio.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "When did Lavrov plan to visit Japan?"

BASELINE = """
import sys, faiss
from sentence_transformers import SentenceTransformer
from embeddings.models import packaged_model_path
from qa import index
ix = index.load(__import__('pathlib').Path(sys.argv[1]))
model = SentenceTransformer(str(packaged_model_path()), device="cpu")
q = model.encode([sys.argv[2]], normalize_embeddings=True)
print(ix.dense.search(q, 5))
"""


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    from qa.workspace import Workspace

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    ws = Workspace.resolve(None, None)
    if ws.needs_build():
        ws.build()
    ws.query_encoder()
    qa = [
        str(Path(sys.executable).parent / "qa"),
        "ask",
        QUESTION,
        "--json",
        "--index",
        str(ws.root),
    ]
    base = [sys.executable, "-c", BASELINE, str(ws.root), QUESTION]
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(timed(qa))
        theirs.append(timed(base))
    a, b = statistics.median(ours), statistics.median(theirs)
    print("| path | median wall time (s) | runs |")
    print("|---|---|---|")
    print(f"| `qa ask` (ONNX, hybrid, answer sentences) | {a:.2f} | {rounds} |")
    print(f"| sentence-transformers + FAISS only | {b:.2f} | {rounds} |")
    print(f"| ratio qa / baseline | {a / b:.2f} | |")


if __name__ == "__main__":
    main()
