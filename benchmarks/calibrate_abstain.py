"""Calibrate the abstain threshold on SQuAD part A: half the articles indexed, the other half's
questions are realistic unanswerable ones (their article is not in the corpus).

    python benchmarks/calibrate_abstain.py

Prints precision / recall of `answered` and accuracy on unanswerable questions for a range of
thresholds on the best passage's cosine similarity (AnswerSettings.min_similarity).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import evaluation  # noqa: E402
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
    top = np.array(
        [hits[0].dense for hits in retriever.batch_search(questions, k=1)], dtype=np.float32
    )
    print(f"{positive.sum()} answerable, {(~positive).sum()} unanswerable questions")
    print("| min_similarity | precision | recall | unanswerable acc | accuracy |")
    print("|---|---|---|---|---|")
    for t in np.arange(0.20, 0.62, 0.025):
        answered = top >= t
        precision = (answered & positive).sum() / max(1, answered.sum())
        recall = (answered & positive).sum() / positive.sum()
        neg = (~answered & ~positive).sum() / (~positive).sum()
        acc = (answered == positive).mean()
        print(f"| {t:.3f} | {precision:.3f} | {recall:.3f} | {neg:.3f} | {acc:.3f} |")


if __name__ == "__main__":
    main()
