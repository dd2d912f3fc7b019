"""A whole `qa index --rebuild` against a bare `SentenceTransformer.encode()` of its passages.

    python -m benchmarks.build_throughput [--squad N_ARTICLES | --docs DIR] [--rounds R]

Documents: SQuAD part A's first N articles (default 4), or any folder (`--docs`: a real docs
tree). In one run, sides interleaved for R rounds (default 1): sentence-transformers'
`encode()` of the passages qa cuts (model already loaded: the bar to meet), the ONNX encoder
on the same passages in float32 and int8 (what reading each passage whole, besides its
sentences, would add to a build), and the whole build (read, chunk, passages and their
sentences, FAISS, BM25, files) in float32 (the default) and with `--quantize int8`, each a
rebuild into its own index folder. Prints seconds, passages/s and the throughput of each as
a ratio to the bare encode, then each build's time split (BuildReport.seconds, as `qa index
--verbose`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import SQUAD


def main() -> None:
    from embeddings.encoder import SentenceEncoder
    from embeddings.models import packaged_model_path
    from qa import evaluation
    from qa.chunks import ChunkSettings, chunk_sentences, indexed_text
    from qa.corpus import read_and_chunk
    from qa.options import BuildOptions
    from qa.workspace import Workspace

    parser = argparse.ArgumentParser()
    parser.add_argument("--squad", type=int, default=4, help="SQuAD articles (default 4)")
    parser.add_argument("--docs", type=Path, help="a folder to index instead of SQuAD")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        docs = args.docs
        if docs is None:
            docs = Path(tmp) / "docs"
            evaluation.squad_corpus(SQUAD, docs, articles=args.squad)
        settings = ChunkSettings()
        chunks = read_and_chunk(docs, settings).chunks
        texts = [indexed_text(c, settings) for c in chunks]
        model = SentenceEncoder(packaged_model_path())._model
        float32 = Workspace.resolve(
            docs, Path(tmp) / "float32", building=BuildOptions(quantize="float32")
        )
        int8 = Workspace.resolve(docs, Path(tmp) / "int8", building=BuildOptions(quantize="int8"))
        onnx = float32.query_encoder(prepack=True)
        # exported and quantised before any clock starts
        onnx8 = int8.query_encoder(prepack=True, quantize="int8")
        model.encode(texts[:32])
        onnx.encode(texts[:32])
        sides = {
            "bare `SentenceTransformer.encode()` of the passages": lambda: model.encode(
                texts, batch_size=64, normalize_embeddings=True
            ),
            "qa's ONNX encoder, passages only": lambda: onnx.encode(texts),
            "qa's int8 ONNX encoder, passages only": lambda: onnx8.encode(texts),
            "whole `qa index --rebuild` (float32, the default)": lambda: float32.build(
                rebuild=True
            ),
            "whole `qa index --rebuild --quantize int8`": lambda: int8.build(rebuild=True),
        }
        seconds = dict.fromkeys(sides, 0.0)
        reports = {}
        for _ in range(args.rounds):
            for name, run in sides.items():
                start = time.perf_counter()
                got = run()
                seconds[name] += (time.perf_counter() - start) / args.rounds
                if hasattr(got, "seconds"):
                    reports[name] = got
    sentences = sum(len(chunk_sentences(c)) for c in chunks)
    print(
        f"{docs if args.docs else f'SQuAD part A, {args.squad} articles'}: "
        f"{len(texts)} passages ({sentences} sentences), {args.rounds} round(s)\n"
    )
    bare = next(iter(seconds.values()))
    print("| side | seconds | passages/s | throughput vs bare encode |\n|---|---|---|---|")
    for name, sec in seconds.items():
        print(f"| {name} | {sec:.1f} | {len(texts) / sec:.0f} | **{bare / sec:.2f}×** |")
    for name, report in reports.items():
        total = sum(report.seconds.values())
        split = ", ".join(f"{p} {s:.2f} s ({s / total:.0%})" for p, s in report.seconds.items())
        print(f"\n{name}: {split}")


if __name__ == "__main__":
    import resource

    main()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this benchmark process: {peak:.0f} MB")
