"""Warm query latency on SQuAD part A: plain dense search against qa's hybrid search and answers.

    python -m benchmarks.query_latency [N_QUESTIONS]

Same index, same loaded ONNX encoder, questions interleaved so drift hits all paths alike:
- dense: encode the question, FAISS top 5 (the baseline any embedding tool pays);
- qa search: dense + BM25 fusion with sentence scores (`Retriever.search`);
- qa ask: search plus the answer sentence of each passage and the abstain decision.
Run `qa eval --squad …` once first so that the index exists.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time

from benchmarks.common import SQUAD, eval_cache


def main() -> None:
    from embeddings.vector_index import search
    from qa.workspace import Workspace

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    data = json.loads(SQUAD.read_text())["data"]
    questions = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]][:n]
    ws = Workspace.resolve(*eval_cache(SQUAD))
    retriever = ws.retriever()
    ws.ask(questions[:5])  # warm up
    times: dict[str, list[float]] = {"dense": [], "qa search": [], "qa ask": []}
    for q in questions:
        t = time.perf_counter()
        search(retriever.index.dense, retriever.encoder.encode([q]), 5)
        times["dense"].append(time.perf_counter() - t)
        t = time.perf_counter()
        retriever.search(q, 5)
        times["qa search"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ws.ask([q], 5)
        times["qa ask"].append(time.perf_counter() - t)
    base = statistics.median(times["dense"])
    print(f"{len(questions)} questions, {len(retriever.index.chunks)} passages")
    print("| path | p50 ms | p95 ms | p50 vs dense |")
    print("|---|---|---|---|")
    for name, values in times.items():
        p50 = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"| {name} | {p50 * 1000:.1f} | {p95 * 1000:.1f} | {p50 / base:.2f}× |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this benchmark process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
