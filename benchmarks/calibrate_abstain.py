"""Calibrate the abstain threshold on SQuAD part A: half the articles indexed, the other half's
questions are realistic unanswerable ones (their article is not in the corpus).

    python benchmarks/calibrate_abstain.py

For each weight of term coverage, prints the three best thresholds on the best passage's
confidence (AnswerSettings.min_confidence) with precision / recall of `answered` and the
accuracy on unanswerable questions.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import evaluation  # noqa: E402
from qa.answer import confidence  # noqa: E402
from qa.workspace import Workspace  # noqa: E402

SQUAD = (
    Path(__file__).resolve().parent.parent.parent / "shared/eval/squad/squad-v1.1-dev-part-a.json"
)


def main() -> None:
    cache = evaluation.cache_folder(SQUAD) / "abstain"
    with tempfile.TemporaryDirectory() as tmp:
        items = evaluation.squad_corpus(SQUAD, Path(tmp))
        files = sorted(p.name for p in Path(tmp).iterdir())
    inside = set(files[: len(files) // 2])
    docs = cache / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for stale in docs.iterdir():
        if stale.name not in inside:
            stale.unlink()
    evaluation.squad_corpus(SQUAD, docs)
    for extra in docs.iterdir():
        if extra.name not in inside:
            extra.unlink()
    ws = Workspace.resolve(docs, cache / "index")
    ws.build()
    retriever = ws.retriever()
    questions = [i.turns[-1] for i in items]
    positive = np.array([i.source in inside for i in items])
    tops = [hits[0] for hits in retriever.batch_search(questions, k=1)]
    print(f"{positive.sum()} answerable, {(~positive).sum()} unanswerable questions")
    print("| coverage_weight | min_confidence | precision | recall | unanswerable acc | accuracy |")
    print("|---|---|---|---|---|---|")
    for weight in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5):
        pairs = zip(questions, tops, strict=True)
        scores = np.array([confidence(retriever, q, p, weight) for q, p in pairs])
        rows = []
        for t in np.arange(0.30, 0.80, 0.025):
            answered = scores >= t
            precision = (answered & positive).sum() / max(1, answered.sum())
            recall = (answered & positive).sum() / positive.sum()
            neg = (~answered & ~positive).sum() / (~positive).sum()
            rows.append(((answered == positive).mean(), t, precision, recall, neg))
        for acc, t, precision, recall, neg in sorted(rows, reverse=True)[:3]:
            print(
                f"| {weight} | {t:.3f} | {precision:.3f} | {recall:.3f} | {neg:.3f} | {acc:.3f} |"
            )


if __name__ == "__main__":
    main()
