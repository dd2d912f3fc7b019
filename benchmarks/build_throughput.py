"""Index build throughput against raw `SentenceTransformer.encode` on the same passages.

    python benchmarks/build_throughput.py [N_ARTICLES]

Passages: the chunks of SQuAD part A's first N articles (default 8). Measured in one run:
raw sentence-transformers encode of the chunk texts, qa's torch encoder on the same texts, the
ONNX encoder on the same texts, and a full `qa index` build (chunks + their sentences, FAISS,
BM25, files). Prints passages/s and ratios to the raw encode, and the full build's time split
by phase.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared/eval/squad/squad-v1.1-dev-part-a.json"


def main() -> None:

    from embeddings.encoder import SentenceEncoder
    from embeddings.models import packaged_model_path
    from qa import evaluation
    from qa.build import read_and_chunk
    from qa.chunks import ChunkSettings, indexed_text
    from qa.workspace import Workspace

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        evaluation.squad_corpus(SQUAD, docs, articles=n)
        settings = ChunkSettings()
        chunks = read_and_chunk(docs, settings).chunks
        texts = [indexed_text(c, settings) for c in chunks]
        encoder = SentenceEncoder(packaged_model_path())
        model = encoder._model
        ws = Workspace.resolve(docs, Path(tmp) / "ix")
        onnx = ws.query_encoder()
        model.encode(texts[:32])  # warm up both
        onnx.encode(texts[:32])
        rows = []
        t = time.perf_counter()
        model.encode(texts, batch_size=64, normalize_embeddings=True)
        raw = time.perf_counter() - t
        rows.append(("raw SentenceTransformer.encode", raw))
        t = time.perf_counter()
        encoder.encode(texts)
        rows.append(("qa SentenceEncoder.encode", time.perf_counter() - t))
        t = time.perf_counter()
        onnx.encode(texts)
        rows.append(("qa OnnxEncoder.encode", time.perf_counter() - t))
        t = time.perf_counter()
        report = ws.build()
        rows.append(("full `qa index` (chunks + sentences, FAISS, BM25)", time.perf_counter() - t))
    print(f"{len(texts)} passages, {report.chunks} chunks")
    print("| step | seconds | passages/s | throughput vs raw |")
    print("|---|---|---|---|")
    for name, sec in rows:
        print(f"| {name} | {sec:.1f} | {len(texts) / sec:.0f} | {raw / sec:.2f}× |")
    print("\nwhere the full build's time went (BuildReport.seconds, as `qa index --verbose`):")
    print("| phase | seconds | share |\n|---|---|---|")
    total = sum(report.seconds.values())
    for phase, sec in report.seconds.items():
        print(f"| {phase} | {sec:.2f} | {sec / total:.0%} |")


if __name__ == "__main__":
    import resource

    main()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this benchmark process: {peak:.0f} MB")
