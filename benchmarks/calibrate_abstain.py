"""Calibrate the abstain threshold on a mix of corpora: SQuAD part A with half its articles
indexed (questions about the other half are realistic unanswerable ones), and the docs dev
sets with their unanswerable questions (near misses: they ask about things the docs do not
cover, in the docs' own words).

    python benchmarks/calibrate_abstain.py [--click DIR] [--rich DIR]

For each way of scoring confidence (qa.answer.confidence: the best passage's dense similarity
plus `coverage_weight` × the share of the question's terms it contains; "all terms" also counts
terms found nowhere in the corpus as missing), prints the best thresholds by the mean, over
corpora, of the accuracy of `answered`, with precision / recall of `answered` and the share of
unanswerable questions refused per corpus.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import evaluation  # noqa: E402
from qa.answer import confidence  # noqa: E402
from qa.workspace import Workspace  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared/eval/squad/squad-v1.1-dev-part-a.json"
WEIGHTS = (0.2, 0.3, 0.4, 0.5)
THRESHOLDS = np.arange(0.40, 0.95, 0.025)


def squad_half() -> tuple[Workspace, list[str], np.ndarray]:
    """Half of SQuAD part A's articles indexed; every question, answerable or not."""
    cache = evaluation.cache_folder(SQUAD) / "abstain"
    with tempfile.TemporaryDirectory() as tmp:
        items = evaluation.squad_corpus(SQUAD, Path(tmp))
        files = sorted(p.name for p in Path(tmp).iterdir())
    inside = set(files[: len(files) // 2])
    docs = cache / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    evaluation.squad_corpus(SQUAD, docs)
    for extra in docs.iterdir():
        if extra.name not in inside:
            extra.unlink()
    ws = Workspace.resolve(docs, cache / "index")
    ws.build()
    return ws, [i.turns[-1] for i in items], np.array([i.source in inside for i in items])


def question_file(docs: Path, path: Path) -> tuple[Workspace, list[str], np.ndarray]:
    """A docs folder and its dev set: answerable questions positive, unanswerable negative."""
    items = evaluation.load_questions(path)
    ws = Workspace.resolve(docs, None)
    ws.build()
    return ws, [i.turns[-1] for i in items], np.array([not i.unanswerable for i in items])


def scores(ws: Workspace, questions: list[str], weight: float, all_terms: bool) -> np.ndarray:
    """Confidence of each question's best passage."""
    retriever = ws.retriever()
    tops = [hits[0] for hits in retriever.batch_search(questions, k=1)]
    return np.array(
        [
            confidence(retriever, q, p, weight, all_terms)
            for q, p in zip(questions, tops, strict=True)
        ]
    )


def figures(answered: np.ndarray, positive: np.ndarray) -> tuple[float, float, float, float]:
    """Precision, recall of `answered`, share of unanswerable refused, accuracy."""
    precision = (answered & positive).sum() / max(1, answered.sum())
    recall = (answered & positive).sum() / max(1, positive.sum())
    refused = (~answered & ~positive).sum() / max(1, (~positive).sum())
    return precision, recall, refused, float((answered == positive).mean())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--click", type=Path)
    parser.add_argument("--rich", type=Path)
    args = parser.parse_args()
    data = ROOT / "benchmarks" / "data"
    sets = {"squad": squad_half()}
    for name in ("click", "rich"):
        if getattr(args, name):
            sets[name] = question_file(getattr(args, name), data / f"docs-{name}.jsonl")
    names = list(sets)
    head = " | ".join(f"{n} P / R / refused" for n in names)
    print(f"| terms | coverage_weight | min_confidence | {head} | mean accuracy |")
    print("|---" * (len(names) + 4) + "|")
    for all_terms in (False, True):
        for weight in WEIGHTS:
            got = {n: scores(ws, q, weight, all_terms) for n, (ws, q, _) in sets.items()}
            rows = []
            for t in THRESHOLDS:
                per = {n: figures(got[n] >= t, sets[n][2]) for n in names}
                rows.append((np.mean([f[3] for f in per.values()]), t, per))
            for mean, t, per in sorted(rows, key=lambda r: -r[0])[:3]:
                cells = " | ".join("{:.3f} / {:.3f} / {:.2f}".format(*per[n][:3]) for n in names)
                terms = "all" if all_terms else "in corpus"
                print(f"| {terms} | {weight} | {t:.3f} | {cells} | {mean:.3f} |", flush=True)


if __name__ == "__main__":
    main()
