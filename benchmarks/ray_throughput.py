"""Throughput: the local engine against `--engine ray` on a local 2-worker runtime.

    python -m benchmarks.ray_throughput [N_TEXTS] [N_ARTICLES]

Embedding: same texts (SQuAD part A paragraphs), same ONNX encoder; the Ray side includes Ray
Data's scheduling and the transfer of texts and vectors, not the runtime's start-up (timed
apart). Whole builds: `qa index` of the first N_ARTICLES SQuAD articles (default 3), locally
and on Ray (files read and chunked by Ray tasks, vectors written as shards by the actors).
On one 2-core machine the two actors share the cores the local engine already uses, so the
ratio shows Ray's overhead; on a cluster, throughput grows with the number of workers.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.common import SQUAD


def main() -> None:
    from functools import partial

    import ray

    from embeddings.models import packaged_model_path
    from embeddings.onnx_encoder import load_or_export
    from embeddings.ray_encoder import RayEncoder, RaySettings
    from qa.workspace import onnx_cache

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    data = json.loads(SQUAD.read_text())["data"]
    texts = [p["context"] for a in data for p in a["paragraphs"]][:n]
    factory = partial(load_or_export, packaged_model_path(), onnx_cache())
    local = factory()
    local.encode(texts[:32])
    t = time.perf_counter()
    local.encode(texts)
    local_s = time.perf_counter() - t
    t = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    remote = RayEncoder(factory, RaySettings(workers=2, cpus_per_worker=1))
    remote.encode(texts[:64])  # actors up, model loaded
    startup = time.perf_counter() - t
    t = time.perf_counter()
    remote.encode(texts)
    ray_s = time.perf_counter() - t
    print(f"{len(texts)} passages (SQuAD paragraphs, ~120 words)")
    print("| engine | texts/s | vs local |")
    print("|---|---|---|")
    print(f"| local (ONNX, 2 threads) | {len(texts) / local_s:.1f} | 1.00× |")
    print(f"| ray, 2 actors × 1 CPU | {len(texts) / ray_s:.1f} | {local_s / ray_s:.2f}× |")
    print(f"(Ray runtime start + actor model load: {startup:.1f} s)")
    articles = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    local_b, ray_b, chunks = whole_builds(articles)
    print(
        f"\nwhole `qa index` of {articles} SQuAD articles ({chunks} passages and their sentences)"
    )
    print("| engine | seconds | vs local |")
    print("|---|---|---|")
    print(f"| local | {local_b:.1f} | 1.00× |")
    print(f"| ray, 2 actors × 1 CPU | {ray_b:.1f} | {local_b / ray_b:.2f}× |")


def whole_builds(articles: int) -> tuple[float, float, int]:
    """Seconds of a local and of a Ray build of the same documents, and their passages."""
    import tempfile

    from embeddings.ray_encoder import RaySettings
    from qa import evaluation
    from qa.options import BuildOptions
    from qa.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        evaluation.squad_corpus(SQUAD, docs, articles=articles)
        t = time.perf_counter()
        report = Workspace.resolve(docs, Path(tmp) / "local").build()
        local_s = time.perf_counter() - t
        t = time.perf_counter()
        Workspace.resolve(
            docs, Path(tmp) / "ray", building=BuildOptions(ray=RaySettings(workers=2))
        ).build()
        return local_s, time.perf_counter() - t, report.chunks


if __name__ == "__main__":
    main()
